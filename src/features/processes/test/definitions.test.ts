import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, expectEnvelope } from "../../../../test/helpers";
import { migrate } from "../../../kernel/migrations";
import { MIGRATIONS as AGENT_STEPS } from "../../agents/schema";
import { workspaceStub } from "../../events/test/event-helpers";
import { MIGRATIONS as PROCESS_STEPS } from "../schema";
import {
  control,
  detailsOf,
  drive,
  eventsOf,
  freshWorkspaceEachTest,
  type RunView,
  sh,
  specOf,
} from "./process-helpers";

// Definitions are mutable resources: an ETag on GET and PUT (and `etag` in the body), If-Match
// guarding PUT and DELETE, If-None-Match: * creating only; DELETE leaves runs already created
// with the spec stored with them; every change appends a `process.definition.*` event.

const ctx = freshWorkspaceEachTest();

interface DefinitionBody {
  name: string;
  description: string | null;
  etag: string;
}

const path = (name: string) => `/v1/workspaces/${ctx.ws}/processes/${name}`;
const put = (name: string, description: string, headers: Record<string, string> = {}) =>
  api<DefinitionBody>("PUT", path(name), {
    key: ctx.account.key,
    headers,
    body: { spec: specOf([sh("a", `echo ${description}`)]), description },
  });
const get = (name: string) => api<DefinitionBody>("GET", path(name), { key: ctx.account.key });
const del = (name: string, headers: Record<string, string> = {}) =>
  api("DELETE", path(name), { key: ctx.account.key, headers });

const quoted = (etag: string) => `"${etag}"`;

describe("definition etags", () => {
  it("Should answer the etag as ETag on PUT and GET and in the body, new with every save", async () => {
    const first = await put("deploy", "one");
    expect(first.status).toBe(201);
    expect(first.body.etag).toMatch(/^[0-9a-f]{32}$/);
    expect(first.headers.get("etag")).toBe(quoted(first.body.etag));
    const got = await get("deploy");
    expect(got.headers.get("etag")).toBe(quoted(first.body.etag));
    expect(got.body.etag).toBe(first.body.etag);
    const second = await put("deploy", "two");
    expect(second.status).toBe(200);
    expect(second.body.etag).not.toBe(first.body.etag);
    expect(second.headers.get("etag")).toBe(quoted(second.body.etag));
    const page = await api<{ items: DefinitionBody[] }>(
      "GET",
      `/v1/workspaces/${ctx.ws}/processes`,
      { key: ctx.account.key },
    );
    expect(page.body.items.map((d) => [d.name, d.etag])).toEqual([["deploy", second.body.etag]]);
  });

  it("Should refuse a PUT whose If-Match is stale (412) and take the current one", async () => {
    const first = await put("deploy", "one");
    const second = await put("deploy", "two", { "if-match": quoted(first.body.etag) });
    expect(second.status).toBe(200);
    const stale = await put("deploy", "three", { "if-match": quoted(first.body.etag) });
    expect(stale.status).toBe(412);
    const error = expectEnvelope(stale.body);
    expect(error.code).toBe("precondition_failed");
    expect(detailsOf(stale.body)).toEqual({ current_etag: second.body.etag });
    expect((await get("deploy")).body).toMatchObject({
      description: "two",
      etag: second.body.etag,
    });
    // A weak or listed tag matches as it does everywhere else.
    const listed = await put("deploy", "four", {
      "if-match": `"nope", W/${quoted(second.body.etag)}`,
    });
    expect(listed.status).toBe(200);
    // If-Match names a current definition: there is none to match.
    const absent = await put("ghost", "x", { "if-match": "*" });
    expect(absent.status).toBe(412);
    expect((await get("ghost")).status).toBe(404);
  });

  it("Should create only with If-None-Match: *, 412 when the definition exists", async () => {
    const created = await put("once", "first", { "if-none-match": "*" });
    expect(created.status).toBe(201);
    const again = await put("once", "second", { "if-none-match": "*" });
    expect(again.status).toBe(412);
    expect(expectEnvelope(again.body).code).toBe("precondition_failed");
    expect((await get("once")).body).toMatchObject({ description: "first" });
  });
});

describe("schema step", () => {
  it("Should give a definition saved before etags existed one when the DO migrates", async () => {
    await put("old", "before");
    const etag = await runInDurableObject(workspaceStub(ctx.ws), (_instance, state) => {
      const sql = state.storage.sql;
      // As the DO stood before the processes' etag step (their second) and the agents' template
      // etag step (their third): no etag, no deadline_at, no created_event_id (processes' third),
      // and `state` where the fourth says `status`.
      sql.exec("ALTER TABLE process_definitions DROP COLUMN etag");
      sql.exec("ALTER TABLE process_tasks DROP COLUMN deadline_at");
      sql.exec("ALTER TABLE role_templates DROP COLUMN etag");
      sql.exec("ALTER TABLE process_runs DROP COLUMN created_event_id");
      sql.exec("ALTER TABLE process_runs RENAME COLUMN status TO state");
      sql.exec("ALTER TABLE process_tasks RENAME COLUMN status TO state");
      sql.exec("DROP INDEX process_runs_by_status");
      sql.exec("CREATE INDEX process_runs_by_state ON process_runs (state)");
      sql.exec("UPDATE schema_versions SET version = 1 WHERE module = 'processes'");
      sql.exec("UPDATE schema_versions SET version = 2 WHERE module = 'agents'");
      migrate(sql, [
        { name: "agents", migrations: AGENT_STEPS },
        { name: "processes", migrations: PROCESS_STEPS },
      ]);
      const columns = sql.exec("PRAGMA table_info(process_tasks)").toArray();
      expect(columns.map((column) => column.name)).toContain("deadline_at");
      const templateColumns = sql.exec("PRAGMA table_info(role_templates)").toArray();
      expect(templateColumns.map((column) => column.name)).toContain("etag");
      const runColumns = sql.exec("PRAGMA table_info(process_runs)").toArray();
      expect(runColumns.map((column) => column.name)).toContain("created_event_id");
      expect(runColumns.map((column) => column.name)).toContain("status");
      expect(columns.map((column) => column.name)).toContain("status");
      expect(runColumns.map((column) => column.name)).not.toContain("state");
      return String(sql.exec("SELECT etag FROM process_definitions WHERE name = 'old'").one().etag);
    });
    expect(etag).toMatch(/^[0-9a-f]{32}$/);
    const got = await get("old");
    expect(got.body).toMatchObject({ description: "before", etag });
    expect(got.headers.get("etag")).toBe(quoted(etag));
  });
});

describe("definition delete", () => {
  it("Should delete a definition (If-Match honoured), 404 after, and leave its runs their spec", async () => {
    const saved = await put("deploy", "saved");
    const created = await api<RunView>("POST", `${path("deploy")}/runs`, {
      key: ctx.account.key,
      body: {},
    });
    expect(created.status).toBe(201);
    const stale = await del("deploy", { "if-match": '"not-the-etag"' });
    expect(stale.status).toBe(412);
    expect(detailsOf(stale.body)).toEqual({ current_etag: saved.body.etag });
    const deleted = await del("deploy", { "if-match": quoted(saved.body.etag) });
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBe("");
    expect((await get("deploy")).status).toBe(404);
    const twice = await del("deploy");
    expect(twice.status).toBe(404);
    expect(expectEnvelope(twice.body).code).toBe("not_found");
    // A new run needs a spec now; the run made before still has the one it was created from.
    const none = await api("POST", `${path("deploy")}/runs`, { key: ctx.account.key, body: {} });
    expect(none.status).toBe(404);
    await control(ctx, created.body.id, "start");
    const view = await drive(ctx, created.body.id);
    expect(view.status).toBe("succeeded");
    expect((view.outputs.a as { stdout: string }).stdout).toBe("saved\n");
    const runs = await api<{ items: { id: string }[] }>("GET", `${path("deploy")}/runs`, {
      key: ctx.account.key,
    });
    expect(runs.body.items.map((r) => r.id)).toEqual([created.body.id]);
  });

  it("Should append process.definition.created, updated and deleted events", async () => {
    const first = await put("audit", "one");
    const second = await put("audit", "two");
    await del("audit");
    expect(await eventsOf(ctx, "process.definition.")).toEqual([
      { type: "process.definition.created", data: { name: "audit", etag: first.body.etag } },
      { type: "process.definition.updated", data: { name: "audit", etag: second.body.etag } },
      { type: "process.definition.deleted", data: { name: "audit" } },
    ]);
  });
});

describe("OpenAPI document", () => {
  it("Should describe the definition's etag, its conditional headers and DELETE", async () => {
    const doc = await api<{
      paths: Record<string, Record<string, { parameters?: { name: string }[]; responses: object }>>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    }>("GET", "/v1/openapi.json");
    const item = doc.body.paths["/v1/workspaces/{ws}/processes/{process}"];
    expect(Object.keys(item ?? {}).sort()).toEqual(["delete", "get", "put"]);
    expect(Object.keys(item?.delete?.responses ?? {})).toEqual(
      expect.arrayContaining(["204", "412"]),
    );
    expect(item?.put?.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(["if-match", "if-none-match"]),
    );
    expect(Object.keys(item?.put?.responses ?? {})).toContain("412");
    expect(doc.body.components.schemas.ProcessDefinition?.properties).toHaveProperty("etag");
    expect(doc.body.components.schemas.ProcessTask?.properties).toHaveProperty("deadline_at");
    expect(doc.body.components.schemas.ResetResult?.properties).toHaveProperty(
      "process_runs_canceled",
    );
  });
});
