import { parse } from "yaml";

// A Markdown file's YAML front matter (`---` … `---` at the very start) and its body, as Claude
// Code's `.claude/agents/*.md` files have them. Parsed with the `yaml` package; front matter
// that is not a YAML mapping is reported, and the whole file is then the body.

export interface FrontMatter {
  data: Record<string, unknown> | null;
  body: string;
  error: string | null;
}

const FENCE = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

export function splitFrontMatter(text: string): FrontMatter {
  const source = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const match = FENCE.exec(source);
  if (!match) return { data: null, body: source, error: null };
  const body = source.slice(match[0].length);
  try {
    const data = parse(match[1] ?? "", { maxAliasCount: 10 }) as unknown;
    if (data === null || data === undefined) return { data: {}, body, error: null };
    if (typeof data !== "object" || Array.isArray(data)) {
      return { data: null, body: source, error: "the front matter is not a mapping" };
    }
    return { data: data as Record<string, unknown>, body, error: null };
  } catch (error) {
    const message = (error as Error).message.split("\n")[0] ?? "invalid YAML";
    return { data: null, body: source, error: `invalid front matter: ${message}` };
  }
}

/** A front matter field as text (a number or boolean written bare is still its text). */
export function textField(data: Record<string, unknown> | null, key: string): string | null {
  const value = data?.[key];
  if (typeof value === "string") return value.trim() || null;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return null;
}

/** `tools: [a, b]` or `tools: a, b` (Claude Code writes both). */
export function listField(data: Record<string, unknown> | null, key: string): string[] | null {
  const value = data?.[key];
  const items = Array.isArray(value)
    ? value.map((item) => String(item))
    : typeof value === "string"
      ? value.split(",")
      : null;
  if (!items) return null;
  return items.map((item) => item.trim()).filter(Boolean);
}
