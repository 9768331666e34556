import { api, type TestAccount } from "../../../../test/helpers";

// Shared by the agent suites: spawning an agent as a client does, and waiting until its turn
// has ended (its status is derived from its thread's stream, so a short poll of GET …/agents/{id}).

export interface AgentBody {
  id: string;
  role: string;
  status: "running" | "idle" | "closed";
  model: string | null;
  effort: string;
  task: string;
  thread_id: string;
  parent_id: string | null;
  is_orchestrator: boolean;
  stream_status: string | null;
  closed_at: string | null;
  close_reason: string | null;
  [field: string]: unknown;
}

export interface LogEntryBody {
  index: number;
  message_id: string;
  role: string;
  type: string;
  text: string | null;
  tool: string | null;
  state: string | null;
  input?: unknown;
  output: string | null;
  streaming: boolean;
}

export type AgentWithLog = AgentBody & { log: LogEntryBody[]; log_total: number };

export const agentsPath = (ws: string) => `/v1/workspaces/${ws}/agents`;

export async function spawn(account: TestAccount, ws: string, body: Record<string, unknown>) {
  return api<AgentBody & { error?: { code: string; message: string } }>("POST", agentsPath(ws), {
    key: account.key,
    body,
  });
}

export async function putTemplate(
  account: TestAccount,
  ws: string,
  role: string,
  body: Record<string, unknown>,
) {
  const response = await api("PUT", `/v1/workspaces/${ws}/role-templates/${role}`, {
    key: account.key,
    body,
  });
  if (response.status !== 200) {
    throw new Error(`PUT template: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body;
}

export async function agentOf(account: TestAccount, ws: string, id: string) {
  const response = await api<AgentBody>("GET", `${agentsPath(ws)}/${id}`, { key: account.key });
  if (response.status !== 200) throw new Error(`GET agent: ${response.status}`);
  return response.body;
}

/** Waits until the agent's turn has ended (idle or closed). */
export async function settled(account: TestAccount, ws: string, id: string, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const agent = await agentOf(account, ws, id);
    if (agent.status !== "running") return agent;
    if (Date.now() > until) throw new Error(`agent ${id} still running`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until the agent's log has an entry from the answer streaming. */
export async function streamingStarted(account: TestAccount, ws: string, id: string) {
  for (let i = 0; i < 250; i++) {
    const log = await api<{ items: LogEntryBody[] }>("GET", `${agentsPath(ws)}/${id}/log`, {
      key: account.key,
    });
    // A word has arrived (a text part opens empty, before its first delta).
    if (log.body.items.some((e) => e.streaming && e.type === "text" && e.text)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`agent ${id} never streamed`);
}
