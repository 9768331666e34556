import { ApiError } from "../../http/errors";
import {
  type ArgDeclaration,
  type ArgValue,
  COMMAND_LIMITS,
  type CommandType,
  type HttpTemplate,
} from "./command.schemas";
import { referVariables } from "./shell-references";

// A command's declared arguments: checked when the command is written (defaults of the right
// type, no duplicates, templates naming only declared arguments) and when it is executed (every
// value named in a 400 when unknown, missing or of the wrong type). Values never become script
// text: a shell command reads them as variables, templates substitute them as data.

const bad = (field: string, message: string) =>
  new ApiError("invalid_request", `${field}: ${message}`, { details: [{ field, message }] });

const typeOf = (value: ArgValue) => typeof value as "string" | "number" | "boolean";

/**
 * An argument in a prompt or an http template: `${args.name}`, or `${{ args.name }}` as process
 * specs write their templates. The name is group 1 or group 2.
 */
export const TEMPLATE_REFERENCE =
  /\$\{\{\s*args\.([a-z_][a-z0-9_]*)\s*\}\}|\$\{args\.([a-z_][a-z0-9_]*)\}/g;
/** `${{ args.name }}` in a shell script: becomes a reference to the variable, never the value. */
const SHELL_REFERENCE = /\$\{\{\s*args\.([a-z_][a-z0-9_]*)\s*\}\}/g;

const referenced = (match: RegExpMatchArray) => (match[1] ?? match[2]) as string;

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
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const references = type === "shell" ? SHELL_REFERENCE : TEMPLATE_REFERENCE;
  for (const match of text.matchAll(references)) {
    const name = referenced(match);
    if (!names.has(name)) throw bad("body", `'${match[0]}' names no declared argument ('${name}')`);
  }
}

/** A shell body as it runs: `${{ args.name }}` written as a reference to `$name`. */
export const shellScript = (body: string) =>
  referVariables(body, SHELL_REFERENCE, (_match, [name]) => name as string);

/**
 * Positional values (`["a", "3"]`, as a command line gives them) named by the declarations'
 * order. A string for a number or boolean argument is read as one ("3", "true"); more values
 * than declared arguments is a 400.
 */
export function namedArgs(
  declared: readonly ArgDeclaration[],
  given: Record<string, ArgValue> | readonly ArgValue[],
): Record<string, ArgValue> {
  if (!Array.isArray(given)) return given as Record<string, ArgValue>;
  if (given.length > declared.length) {
    throw bad(`args[${declared.length}]`, `the command declares ${declared.length} arguments`);
  }
  return Object.fromEntries(
    given.map((value, index) => {
      const arg = declared[index] as ArgDeclaration;
      return [arg.name, typeof value === "string" ? fromText(value, arg.type) : value];
    }),
  );
}

/** Values given as text by name (an MCP prompt's arguments), each read as its declared type. */
export function textArgs(
  declared: readonly ArgDeclaration[],
  given: Record<string, string>,
): Record<string, ArgValue> {
  const types = new Map(declared.map((arg) => [arg.name, arg.type]));
  return Object.fromEntries(
    Object.entries(given).map(([name, value]) => {
      const type = types.get(name);
      return [name, type ? fromText(value, type) : value];
    }),
  );
}

function fromText(value: string, type: ArgDeclaration["type"]): ArgValue {
  if (type === "number" && value.trim() !== "" && Number.isFinite(Number(value))) {
    return Number(value);
  }
  if (type === "boolean" && (value === "true" || value === "false")) return value === "true";
  return value; // left as text: the type check names the argument
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

/** Replaces each argument reference with `encode(value)`; an argument not given becomes "". */
export function renderTemplate(
  text: string,
  args: Record<string, ArgValue>,
  encode: (value: string) => string = (value) => value,
): string {
  return text.replace(TEMPLATE_REFERENCE, (_match, long?: string, short?: string) => {
    const value = args[(long ?? short) as string];
    return encode(value === undefined ? "" : String(value));
  });
}
