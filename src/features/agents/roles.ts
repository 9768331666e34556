import type { WorkspaceFiles } from "../../models/workspace-tools";
import { ROLE_NAME_PATTERN, type Role } from "./agent.schemas";
import { listField, splitFrontMatter, textField } from "./front-matter";

// Roles detected from the workspace's files, read each time they are asked for (the files are
// the truth; nothing is cached to go stale):
// - `CLAUDE.md` at the root (or, without it, `AGENTS.md`) is the `default` role: the
//   workspace's own instructions, also given to every other role as project context;
// - each `.claude/agents/*.md` is a role: its front matter's `name` (else the file's name),
//   `description`, `model`, `tools`; its body the instructions.
// The first file to claim a name keeps it (CLAUDE.md, then agent files by path).

export const DEFAULT_ROLE = "default";
export const ROOT_INSTRUCTIONS = ["CLAUDE.md", "AGENTS.md"] as const;
export const AGENTS_DIRECTORY = ".claude/agents";

type Detected = Omit<Role, "template">;

async function readText(files: WorkspaceFiles, path: string): Promise<string | null> {
  try {
    return (await files.read(path)).content;
  } catch {
    return null; // absent, a directory: not a role
  }
}

export async function detectRoles(files: WorkspaceFiles): Promise<Detected[]> {
  const roles: Detected[] = [];
  for (const path of ROOT_INSTRUCTIONS) {
    const text = await readText(files, path);
    if (text === null) continue;
    const parsed = splitFrontMatter(text);
    roles.push({
      name: DEFAULT_ROLE,
      description: textField(parsed.data, "description"),
      model: textField(parsed.data, "model"),
      tools: listField(parsed.data, "tools"),
      source: path,
      kind: "workspace",
      instructions: parsed.body.trim(),
      front_matter: parsed.data !== null,
      front_matter_error: parsed.error,
    });
    break;
  }
  let entries: { path: string; kind: string }[] = [];
  try {
    entries = (await files.list(AGENTS_DIRECTORY)).entries;
  } catch {
    entries = []; // no .claude/agents
  }
  const agentFiles = entries
    .filter((entry) => entry.kind === "file" && entry.path.toLowerCase().endsWith(".md"))
    .map((entry) => entry.path)
    .sort();
  for (const path of agentFiles) {
    const text = await readText(files, path);
    if (text === null) continue;
    const parsed = splitFrontMatter(text);
    const fileName = (path.split("/").at(-1) ?? path).replace(/\.md$/i, "");
    const declared = textField(parsed.data, "name");
    const name = declared && ROLE_NAME_PATTERN.test(declared) ? declared : fileName;
    if (!ROLE_NAME_PATTERN.test(name) || roles.some((role) => role.name === name)) continue;
    roles.push({
      name,
      description: textField(parsed.data, "description"),
      model: textField(parsed.data, "model"),
      tools: listField(parsed.data, "tools"),
      source: path,
      kind: "agent",
      instructions: parsed.body.trim(),
      front_matter: parsed.data !== null,
      front_matter_error:
        parsed.error ??
        (declared && declared !== name ? `name '${declared}' is not a role name` : null),
    });
  }
  return roles;
}

/** An agent's system prompt: its role's instructions, with the workspace's as context. */
export function systemPrompt(role: Detected | null, roles: readonly Detected[]): string {
  const workspace = roles.find((r) => r.kind === "workspace");
  const parts: string[] = [];
  if (role?.instructions) parts.push(role.instructions);
  if (workspace && workspace !== role && workspace.instructions) {
    parts.push(`# Workspace instructions (${workspace.source})\n\n${workspace.instructions}`);
  }
  return parts.join("\n\n");
}

/** What an orchestrator is told besides its role's instructions: the roles it may call on. */
export function orchestratorBrief(self: string, roles: readonly Detected[]): string {
  const others = roles.filter((role) => role.name !== self);
  const listed = others.map(
    (role) => `- ${role.name}${role.description ? `: ${role.description}` : ""}`,
  );
  return [
    "# You are this workspace's orchestrator",
    "",
    "Split the work, hand each part to an agent of the right role with the spawn_agent tool " +
      "(it works in its own thread), and bring the results together.",
    listed.length > 0
      ? `Roles you can spawn:\n${listed.join("\n")}`
      : "No other role is defined yet.",
  ].join("\n");
}
