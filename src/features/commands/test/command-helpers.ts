import { api, dispatch, type TestAccount } from "../../../../test/helpers";

// Shared by the command suites: registering and running commands the way a client does, and
// waiting for an execution to end by reading its NDJSON output (the stream closes at the end),
// so no test polls.

export interface CommandBody {
  trigger: string;
  description: string;
  category: string;
  type: "shell" | "prompt" | "http";
  body: unknown;
  args: unknown[];
  etag: string;
  [field: string]: unknown;
}

export interface ExecutionBody {
  id: string;
  trigger: string;
  status: string;
  exit_code: number | null;
  http_status: number | null;
  reason: string | null;
  rendered: string | null;
  output_bytes: number;
  output_truncated: boolean;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  [field: string]: unknown;
}

export interface OutputLine {
  seq?: number;
  stream?: "stdout" | "stderr";
  data?: string;
  end?: boolean;
  execution?: ExecutionBody;
}

export const commandsPath = (ws: string) => `/v1/workspaces/${ws}/commands`;

export async function createCommand(
  account: TestAccount,
  ws: string,
  body: Record<string, unknown>,
): Promise<CommandBody> {
  const response = await api<CommandBody>("POST", commandsPath(ws), { key: account.key, body });
  if (response.status !== 201) {
    throw new Error(`create command: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body;
}

export async function shellCommand(
  account: TestAccount,
  ws: string,
  trigger: string,
  script: string,
  extra: Record<string, unknown> = {},
): Promise<CommandBody> {
  return createCommand(account, ws, { trigger, type: "shell", body: script, ...extra });
}

export async function execute(
  account: TestAccount,
  ws: string,
  trigger: string,
  body: Record<string, unknown> = {},
) {
  return api<ExecutionBody & { error?: { code: string; message: string; details?: unknown } }>(
    "POST",
    `${commandsPath(ws)}/${trigger}/execute`,
    { key: account.key, body },
  );
}

/** The execution's NDJSON output, read to its end (so the execution has ended). */
export async function readOutput(
  account: TestAccount,
  ws: string,
  trigger: string,
  id: string,
  cursor?: number,
): Promise<{ chunks: OutputLine[]; end: ExecutionBody }> {
  const query = cursor === undefined ? "" : `?cursor=${cursor}`;
  const response = await dispatch(
    new Request(`https://api.test${commandsPath(ws)}/${trigger}/executions/${id}/output${query}`, {
      headers: { authorization: `Bearer ${account.key}` },
    }),
  );
  if (response.status !== 200)
    throw new Error(`output: ${response.status} ${await response.text()}`);
  const lines = new TextDecoder()
    .decode(await response.arrayBuffer())
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as OutputLine);
  const last = lines.at(-1);
  if (!last?.end || !last.execution) throw new Error("the output did not end with its end line");
  return { chunks: lines.slice(0, -1), end: last.execution };
}

export const stdoutOf = (chunks: OutputLine[]) =>
  chunks
    .filter((chunk) => chunk.stream === "stdout")
    .map((chunk) => chunk.data)
    .join("");

export const stderrOf = (chunks: OutputLine[]) =>
  chunks
    .filter((chunk) => chunk.stream === "stderr")
    .map((chunk) => chunk.data)
    .join("");

/** Creates a shell command, runs it with `args`, and waits for the end. */
export async function runScript(
  account: TestAccount,
  ws: string,
  script: string,
  args: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) {
  const trigger = `t${Math.random().toString(36).slice(2, 10)}`;
  await shellCommand(account, ws, trigger, script, extra);
  const started = await execute(account, ws, trigger, { args });
  if (started.status !== 202) {
    throw new Error(`execute: ${started.status} ${JSON.stringify(started.body)}`);
  }
  const { chunks, end } = await readOutput(account, ws, trigger, started.body.id);
  return {
    trigger,
    id: started.body.id,
    chunks,
    end,
    stdout: stdoutOf(chunks),
    stderr: stderrOf(chunks),
  };
}
