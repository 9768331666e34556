import { ApiError } from "../errors";
import {
  type ArgDeclaration,
  type ArgValue,
  COMMAND_LIMITS,
  type CommandType,
  type HttpTemplate,
} from "./command.schemas";

// A command's declared arguments: checked when the command is written (defaults of the right
// type, no duplicates, templates naming only declared arguments) and when it is executed (every
// value named in a 400 when unknown, missing or of the wrong type). Values never become script
// text: a shell command reads them as variables, templates substitute them as data.

const bad = (field: string, message: string) =>
  new ApiError("invalid_request", `${field}: ${message}`, { details: [{ field, message }] });

const typeOf = (value: ArgValue) => typeof value as "string" | "number" | "boolean";

/** `${args.name}`: the one template syntax, in prompts and http templates. */
export const TEMPLATE_REFERENCE = /\$\{args\.([a-z_][a-z0-9_]*)\}/g;

export function checkDeclarations(
  args: readonly ArgDeclaration[],
  type: CommandType,
  body: string | HttpTemplate,
): void {
  const names = new Set<string>();
  args.forEach((arg, index) => {
    const field = `args[${index}]`;
    if (names.has(arg.name)) throw bad(`${field}.name`, `'${arg.name}' is declared twice`);
    names.add(arg.name);
    if (arg.default !== undefined && typeOf(arg.default) !== arg.type) {
      throw bad(`${field}.default`, `must be a ${arg.type}`);
    }
    if (arg.default !== undefined && arg.required) {
      throw bad(`${field}.default`, "a required argument has no default");
    }
  });
  if (type === "shell" && typeof body !== "string") throw bad("body", "a shell body is a script");
  if (type === "prompt" && typeof body !== "string") throw bad("body", "a prompt body is text");
  if (type === "http" && typeof body === "string") {
    throw bad("body", "an http body is a request template {method, url, headers, body}");
  }
  if (type === "shell") return;
  const text = typeof body === "string" ? body : JSON.stringify(body);
  for (const match of text.matchAll(TEMPLATE_REFERENCE)) {
    if (!names.has(match[1] as string)) {
      throw bad("body", `\${args.${match[1]}} names no declared argument`);
    }
  }
}

/** The execution's arguments: the given values checked, the defaults filled in. */
export function resolveArgs(
  declared: readonly ArgDeclaration[],
  given: Record<string, ArgValue>,
): Record<string, ArgValue> {
  const byName = new Map(declared.map((arg) => [arg.name, arg]));
  for (const name of Object.keys(given)) {
    if (!byName.has(name)) throw bad(`args.${name}`, "the command declares no such argument");
  }
  const resolved: Record<string, ArgValue> = {};
  for (const arg of declared) {
    const value = given[arg.name] ?? arg.default;
    if (value === undefined) {
      if (arg.required) throw bad(`args.${arg.name}`, "required");
      continue;
    }
    if (typeOf(value) !== arg.type) throw bad(`args.${arg.name}`, `must be a ${arg.type}`);
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw bad(`args.${arg.name}`, "must be a finite number");
    }
    if (
      typeof value === "string" &&
      new TextEncoder().encode(value).byteLength > COMMAND_LIMITS.argStringBytes
    ) {
      throw bad(`args.${arg.name}`, `at most ${COMMAND_LIMITS.argStringBytes} bytes`);
    }
    resolved[arg.name] = value;
  }
  return resolved;
}

/** The arguments as shell variables: every declared one, "" when not given. */
export function argsEnvironment(
  declared: readonly ArgDeclaration[],
  args: Record<string, ArgValue>,
): Record<string, string> {
  return Object.fromEntries(
    declared.map((arg) => [arg.name, args[arg.name] === undefined ? "" : String(args[arg.name])]),
  );
}

/** Replaces `${args.name}` with `encode(value)`; an argument not given becomes "". */
export function renderTemplate(
  text: string,
  args: Record<string, ArgValue>,
  encode: (value: string) => string = (value) => value,
): string {
  return text.replace(TEMPLATE_REFERENCE, (_, name: string) =>
    encode(args[name] === undefined ? "" : String(args[name])),
  );
}
