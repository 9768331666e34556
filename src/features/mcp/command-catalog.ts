import { z } from "zod";
import type { ArgInfo, CommandInfo, McpPorts } from "./ports";
import { DESTRUCTIVE, defineTool, type ToolDefinition } from "./tool-kit";
import { runRegistered } from "./tools/work-tools";

// What a team registers once is usable from any MCP client: every shell and http command of the
// workspace's registry is a tool (its trigger as the name, `cmd_<trigger>` where that is a
// built-in tool's name; its declared arguments as the input schema), and every prompt command
// is an MCP prompt.

/** The most registry commands listed (the registry's page size). */
const COMMANDS_LISTED = 500;

const argSchema = (arg: ArgInfo) => {
  const base =
    arg.type === "number" ? z.number() : arg.type === "boolean" ? z.boolean() : z.string();
  const described = arg.description ? base.describe(arg.description) : base;
  return arg.required && arg.default === undefined ? described : described.optional();
};

/** A command's arguments as a tool's input schema. */
export const argsSchema = (args: readonly ArgInfo[]) =>
  z.object(Object.fromEntries(args.map((arg) => [arg.name, argSchema(arg)]))).strict();

/** Every command of one type (the registry, a page at a time). */
export async function registryCommands(
  ports: McpPorts,
  caller: Parameters<McpPorts["commands"]>[0],
  type: "shell" | "prompt" | "http",
): Promise<CommandInfo[]> {
  const commands = ports.commands(caller);
  const all: CommandInfo[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await commands.list({
      type,
      search: undefined,
      category: undefined,
      after,
      limit: Math.min(100, COMMANDS_LISTED - all.length),
    });
    all.push(...page.items);
    if (!page.more || all.length >= COMMANDS_LISTED || page.items.length === 0) return all;
    after = page.items.at(-1)?.trigger ?? null;
  }
}

/** The registry's shell and http commands as tools, named apart from the built-in ones. */
export async function commandTools(
  ports: McpPorts,
  caller: Parameters<McpPorts["commands"]>[0],
  builtIn: ReadonlySet<string>,
  maxBytes: number,
): Promise<ToolDefinition[]> {
  const commands = [
    ...(await registryCommands(ports, caller, "shell")),
    ...(await registryCommands(ports, caller, "http")),
  ];
  return commands.map((command) =>
    defineTool({
      name: builtIn.has(command.trigger) ? `cmd_${command.trigger}` : command.trigger,
      title: command.trigger,
      description: `${command.description || `The workspace's ${command.type} command '${command.trigger}'.`} (a registered ${command.type} command: runs it and answers the execution)`,
      input: argsSchema(command.args),
      annotations: { ...DESTRUCTIVE, openWorldHint: command.type === "http" },
      run: async (args, context) => ({
        value: await runRegistered(
          ports,
          command.trigger,
          args as Record<string, string | number | boolean>,
          context,
          maxBytes,
        ),
      }),
    }),
  );
}
