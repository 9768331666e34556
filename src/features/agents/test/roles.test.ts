import { beforeAll, describe, expect, it } from "vitest";
import {
  api,
  createAccount,
  createWorkspace,
  expectEnvelope,
  type TestAccount,
} from "../../../../test/helpers";
import { eventsOf, putFile } from "../../files/test/file-helpers";
import { orchestratorBrief, systemPrompt } from "../roles";
import { putTemplate } from "./agent-helpers";

// Roles detected from the workspace's files (uploaded through the files API), and role
// templates: defaults, validation, their events; the workspace's orchestrator_role.

let account: TestAccount;
let other: TestAccount;
beforeAll(async () => {
  account = await createAccount("roles");
  other = await createAccount("someone else");
});

interface RoleBody {
  name: string;
  description: string | null;
  model: string | null;
  tools: string[] | null;
  source: string;
  kind: string;
  instructions: string;
  front_matter: boolean;
  front_matter_error: string | null;
  template: Record<string, unknown> | null;
}
interface RoleList {
  roles: RoleBody[];
  available_roles: string[];
  orchestrator_role: string | null;
}

const rolesOf = async (ws: string, key = account.key) =>
  api<RoleList>("GET", `/v1/workspaces/${ws}/roles`, { key });

describe("role detection", () => {
  it("reads CLAUDE.md and .claude/agents/*.md, with and without front matter", async () => {
    const ws = (await createWorkspace(account)).id;
    await putFile(account, ws, "CLAUDE.md", "# Project\nUse tabs.\n");
    await putFile(account, ws, "AGENTS.md", "ignored while CLAUDE.md exists\n");
    await putFile(
      account,
      ws,
      ".claude/agents/reviewer.md",
      "---\nname: code-reviewer\ndescription: Reviews diffs\nmodel: sonnet\ntools: Read, Grep, run_command\n---\nYou review code.\n",
    );
    await putFile(
      account,
      ws,
      ".claude/agents/writer.md",
      "---\nname: writer\ntools: [write_file, read_file]\n---\n\nYou write docs.",
    );
    await putFile(account, ws, ".claude/agents/plain.md", "No front matter here.\n");
    await putFile(account, ws, ".claude/agents/broken.md", "---\nname: [unclosed\n---\nBody\n");
    await putFile(account, ws, ".claude/agents/notes.txt", "not a role");
    const { status, body } = await rolesOf(ws);
    expect(status).toBe(200);
    expect(body.available_roles).toEqual(["default", "broken", "plain", "code-reviewer", "writer"]);
    const byName = Object.fromEntries(body.roles.map((role) => [role.name, role]));
    expect(byName.default).toMatchObject({
      source: "CLAUDE.md",
      kind: "workspace",
      instructions: "# Project\nUse tabs.",
      front_matter: false,
    });
    expect(byName["code-reviewer"]).toMatchObject({
      source: ".claude/agents/reviewer.md",
      kind: "agent",
      description: "Reviews diffs",
      model: "sonnet",
      tools: ["Read", "Grep", "run_command"],
      instructions: "You review code.",
      front_matter: true,
      front_matter_error: null,
      template: null,
    });
    expect(byName.writer?.tools).toEqual(["write_file", "read_file"]);
    expect(byName.writer?.instructions).toBe("You write docs.");
    expect(byName.plain).toMatchObject({
      description: null,
      tools: null,
      instructions: "No front matter here.",
      front_matter: false,
    });
    // Front matter that does not parse: named after its file, the whole text its instructions.
    expect(byName.broken?.front_matter).toBe(false);
    expect(byName.broken?.front_matter_error).toMatch(/^invalid front matter/);
    expect(byName.broken?.instructions).toContain("name: [unclosed");
  });

  it("falls back to AGENTS.md, and finds nothing in an empty workspace", async () => {
    const empty = (await createWorkspace(account)).id;
    expect((await rolesOf(empty)).body).toEqual({
      roles: [],
      available_roles: [],
      orchestrator_role: null,
    });
    const ws = (await createWorkspace(account)).id;
    await putFile(account, ws, "AGENTS.md", "Agents, be brief.");
    const { body } = await rolesOf(ws);
    expect(body.roles.map((r) => [r.name, r.source, r.instructions])).toEqual([
      ["default", "AGENTS.md", "Agents, be brief."],
    ]);
  });

  it("is not found for another account", async () => {
    const ws = (await createWorkspace(account)).id;
    const response = await rolesOf(ws, other.key);
    expect(response.status).toBe(404);
    expect(expectEnvelope(response.body).code).toBe("not_found");
  });
});

describe("role templates", () => {
  const templatePath = (ws: string, role: string) => `/v1/workspaces/${ws}/role-templates/${role}`;

  it("answers the defaults until one is stored, then the stored one, with its event", async () => {
    const ws = (await createWorkspace(account)).id;
    const before = await api("GET", templatePath(ws, "reviewer"), { key: account.key });
    expect(before.status).toBe(200);
    expect(before.body).toEqual({
      role: "reviewer",
      model: null,
      is_orchestrator: false,
      can_spawn_subagents: false,
      default_task: null,
      effort: "medium",
      saved: false,
      etag: null,
      updated_at: null,
    });
    expect(before.headers.get("etag")).toBeNull();
    const saved = await putTemplate(account, ws, "reviewer", {
      model: "claude-sonnet-4",
      can_spawn_subagents: true,
      default_task: "Read CLAUDE.md and report ready.",
      effort: "high",
    });
    expect(saved).toMatchObject({ saved: true, effort: "high", is_orchestrator: false });
    const after = await api("GET", templatePath(ws, "reviewer"), { key: account.key });
    expect(after.body).toEqual(saved);
    // A PUT replaces: what is left out goes back to its default.
    const replaced = await putTemplate(account, ws, "reviewer", { effort: "low" });
    expect(replaced).toMatchObject({ model: null, default_task: null, effort: "low" });
    const events = (await eventsOf(ws)).filter((e) => e.type === "role_template.updated");
    expect(events.map((e) => (e.data.template as { effort: string }).effort)).toEqual([
      "high",
      "low",
    ]);
  });

  it("gives a stored template an ETag, and honours If-Match and If-None-Match on PUT", async () => {
    const ws = (await createWorkspace(account)).id;
    const put = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
      api<{ etag: string | null; effort: string }>("PUT", templatePath(ws, "lead"), {
        key: account.key,
        body,
        headers,
      });
    // If-Match names a stored template: there is none yet.
    expect((await put({}, { "if-match": '"abc"' })).status).toBe(412);
    const created = await put({ effort: "low" }, { "if-none-match": "*" });
    expect(created.status).toBe(200);
    const etag = created.body.etag as string;
    expect(etag).toMatch(/\S+/);
    expect(created.headers.get("etag")).toBe(`"${etag}"`);
    const read = await api("GET", templatePath(ws, "lead"), { key: account.key });
    expect(read.headers.get("etag")).toBe(`"${etag}"`);
    // Create-only on a stored one, or a stale etag: 412, nothing changed.
    expect((await put({ effort: "high" }, { "if-none-match": "*" })).status).toBe(412);
    const stale = await put({ effort: "high" }, { "if-match": '"stale"' });
    expect(stale.status).toBe(412);
    expect(JSON.stringify(stale.body)).toContain(etag);
    expect((await api("GET", templatePath(ws, "lead"), { key: account.key })).body.effort).toBe(
      "low",
    );
    const updated = await put({ effort: "high" }, { "if-match": `"${etag}"` });
    expect(updated.status).toBe(200);
    expect(updated.body.effort).toBe("high");
    expect(updated.body.etag).not.toBe(etag);
  });

  it("shows the workspace's orchestrator_role, a field of the workspace set by PATCH", async () => {
    const ws = (await createWorkspace(account)).id;
    expect((await rolesOf(ws)).body.orchestrator_role).toBeNull();
    const patched = await api<{ orchestrator_role: string | null }>(
      "PATCH",
      `/v1/workspaces/${ws}`,
      { key: account.key, body: { orchestrator_role: "lead" } },
    );
    expect(patched.status).toBe(200);
    expect(patched.body.orchestrator_role).toBe("lead");
    const read = await api<{ orchestrator_role: string | null }>("GET", `/v1/workspaces/${ws}`, {
      key: account.key,
    });
    expect(read.body.orchestrator_role).toBe("lead");
    expect((await rolesOf(ws)).body.orchestrator_role).toBe("lead");
    const updated = (await eventsOf(ws)).filter((e) => e.type === "workspace.updated");
    expect(JSON.stringify(updated.at(-1)?.data)).toContain('"orchestrator_role":"lead"');
    // Not a role name: 400 naming the field, nothing changed.
    const bad = await api("PATCH", `/v1/workspaces/${ws}`, {
      key: account.key,
      body: { orchestrator_role: "a b" },
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("orchestrator_role");
    expect((await rolesOf(ws)).body.orchestrator_role).toBe("lead");
    // null clears it.
    await api("PATCH", `/v1/workspaces/${ws}`, {
      key: account.key,
      body: { orchestrator_role: null },
    });
    expect((await rolesOf(ws)).body.orchestrator_role).toBeNull();
  });

  it("sets orchestrator_role at creation, and in the account's workspace list", async () => {
    const created = await api<{ id: string; orchestrator_role: string | null }>(
      "POST",
      "/v1/workspaces",
      { key: account.key, body: { name: "with a lead", orchestrator_role: "boss" } },
    );
    expect(created.status).toBe(201);
    expect(created.body.orchestrator_role).toBe("boss");
    const list = await api<{ items: { id: string; orchestrator_role: string | null }[] }>(
      "GET",
      "/v1/workspaces?limit=100",
      { key: account.key },
    );
    const listed = list.body.items.find((item) => item.id === created.body.id);
    expect(listed?.orchestrator_role).toBe("boss");
  });

  it("keeps is_orchestrator per template: one role's flag leaves the others'", async () => {
    const ws = (await createWorkspace(account)).id;
    await putTemplate(account, ws, "lead", { is_orchestrator: true });
    await putTemplate(account, ws, "boss", { is_orchestrator: true });
    const lead = await api("GET", templatePath(ws, "lead"), { key: account.key });
    expect(lead.body.is_orchestrator).toBe(true);
    // The template shows with its detected role.
    await putFile(account, ws, ".claude/agents/boss.md", "Run the show.");
    const boss = (await rolesOf(ws)).body.roles.find((r) => r.name === "boss");
    expect(boss?.template?.is_orchestrator).toBe(true);
    // A template's flag does not designate the workspace's orchestrator_role.
    expect((await rolesOf(ws)).body.orchestrator_role).toBeNull();
  });

  it.each([
    ["an unknown effort", "r", { effort: "extreme" }, "effort"],
    ["an unknown field", "r", { colour: "red" }, null],
    ["a non-boolean flag", "r", { is_orchestrator: "yes" }, "is_orchestrator"],
    ["an empty default task", "r", { default_task: "" }, "default_task"],
    ["a role name with a space", "a b", {}, "role"],
  ])("refuses %s with 400", async (_label, role, body, field) => {
    const ws = (await createWorkspace(account)).id;
    const response = await api("PUT", templatePath(ws, encodeURIComponent(role)), {
      key: account.key,
      body,
    });
    expect(response.status).toBe(400);
    expect(expectEnvelope(response.body).code).toBe("invalid_request");
    if (field) expect(JSON.stringify(response.body)).toContain(field);
    const stored = await api("GET", templatePath(ws, "r"), { key: account.key });
    expect(stored.body.saved).toBe(false);
  });
});

describe("an agent's system prompt", () => {
  it("is its role's instructions, then the workspace's as context", () => {
    const base = {
      description: null,
      model: null,
      tools: null,
      front_matter: false,
      front_matter_error: null,
    };
    const workspace = {
      ...base,
      name: "default",
      source: "CLAUDE.md",
      kind: "workspace" as const,
      instructions: "Use tabs.",
    };
    const reviewer = {
      ...base,
      name: "reviewer",
      source: ".claude/agents/reviewer.md",
      kind: "agent" as const,
      instructions: "You review.",
    };
    expect(systemPrompt(reviewer, [workspace, reviewer])).toBe(
      "You review.\n\n# Workspace instructions (CLAUDE.md)\n\nUse tabs.",
    );
    expect(systemPrompt(workspace, [workspace, reviewer])).toBe("Use tabs.");
    expect(systemPrompt(null, [reviewer])).toBe("");
  });

  it("tells an orchestrator the other roles it may spawn, with their descriptions", () => {
    const role = (name: string, description: string | null) => ({
      name,
      description,
      model: null,
      tools: null,
      source: `.claude/agents/${name}.md`,
      kind: "agent" as const,
      instructions: "",
      front_matter: true,
      front_matter_error: null,
    });
    const brief = orchestratorBrief("lead", [
      role("lead", "Leads"),
      role("coder", "Writes code"),
      role("qa", null),
    ]);
    expect(brief).toContain("spawn_agent");
    expect(brief).toContain("- coder: Writes code\n- qa");
    expect(brief).not.toContain("- lead");
    expect(orchestratorBrief("lead", [role("lead", null)])).toContain("No other role");
  });
});
