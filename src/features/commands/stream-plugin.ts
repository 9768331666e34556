import type {
  FileContent,
  InMemoryFs,
  ScriptNode,
  StatementNode,
  TransformPlugin,
} from "just-bash";
import { contentBytes, type EncodingArg } from "./encoding";

// just-bash returns a script's output only when the script ends. To stream it as produced, the
// script is rewritten before it runs: each top-level statement S becomes `{ S; } >>OUT 2>>ERR`,
// where OUT and ERR are files of a sink filesystem that hands every write to the execution.
// A brace group is no subshell, so variables, `cd`, `exit` and `$?` behave as before. Loops,
// `if` and `case` without redirections of their own are rewritten inside instead, statement by
// statement, so a long loop streams as it iterates. Function bodies and pipelines are left
// whole: their output belongs to whoever reads it.

export const SINK_MOUNT = "/run/exec";
const OUT = `${SINK_MOUNT}/stdout`;
const ERR = `${SINK_MOUNT}/stderr`;

type Node = StatementNode["pipelines"][number]["commands"][number];
type Lists = { [key: string]: unknown };

const DESCENDED = new Set(["For", "CStyleFor", "While", "Until", "If", "Case", "Group"]);

const appendTo = (fd: number, path: string) => ({
  type: "Redirection" as const,
  fd,
  operator: ">>" as const,
  target: { type: "Word" as const, parts: [{ type: "Literal" as const, value: path }] },
});

function wrapStatement(statement: StatementNode): StatementNode {
  const only =
    statement.pipelines.length === 1 &&
    statement.pipelines[0]?.commands.length === 1 &&
    !statement.background
      ? (statement.pipelines[0]?.commands[0] as Node)
      : null;
  if (
    only &&
    DESCENDED.has(only.type) &&
    "redirections" in only &&
    only.redirections.length === 0
  ) {
    descend(only as unknown as Lists);
    return statement;
  }
  const group = {
    type: "Group",
    body: [statement],
    redirections: [appendTo(1, OUT), appendTo(2, ERR)],
  };
  return {
    type: "Statement",
    pipelines: [{ type: "Pipeline", commands: [group as unknown as Node], negated: false }],
    operators: [],
    background: false,
    line: statement.line,
  };
}

const wrapList = (list: StatementNode[]) => list.map(wrapStatement);

/** Rewrites the statement lists of a loop, `if`, `case` or group in place. */
function descend(node: Lists): void {
  for (const key of ["body", "condition", "elseBody"]) {
    const list = node[key];
    if (Array.isArray(list)) node[key] = wrapList(list as StatementNode[]);
  }
  for (const key of ["clauses", "items"]) {
    const parts = node[key];
    if (!Array.isArray(parts)) continue;
    for (const part of parts as Lists[]) descend(part);
  }
}

export const streamingPlugin: TransformPlugin = {
  name: "stream-output",
  transform: ({ ast }) => ({ ast: { ...ast, statements: wrapList(ast.statements) } as ScriptNode }),
};

/**
 * The sink: an in-memory filesystem whose two files are never stored, each append handed to
 * `onOutput` instead. Writes by the script itself to these paths are output too, nothing more.
 */
export function outputSink(
  base: InMemoryFs,
  onOutput: (stream: "stdout" | "stderr", bytes: Uint8Array) => void,
): InMemoryFs {
  const take = async (path: string, content: FileContent, options?: EncodingArg) => {
    const bytes = contentBytes(content, options);
    if (bytes.byteLength > 0) onOutput(path.endsWith("stderr") ? "stderr" : "stdout", bytes);
  };
  return Object.assign(base, { appendFile: take, writeFile: take });
}
