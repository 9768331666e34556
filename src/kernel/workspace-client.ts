import type { Caller } from "../features/workspaces/workspace.types";
import type { AuthContext } from "../http/app-env";
import { type RpcResult, unwrapRpc } from "./rpc-errors";
import type { WorkspaceDO } from "./workspace-do";

/**
 * The DO's RPC surface as the Worker sees it. Results cross the boundary as structured clones
 * of plain objects, so the DO's own signatures describe them exactly.
 */
export type WorkspaceRpc = Omit<
  WorkspaceDO,
  "alarm" | "fetch" | "webSocketMessage" | "webSocketClose" | "webSocketError"
>;

/** The one place that turns a workspace id into its Durable Object stub. */
export function workspaceStub(env: Env, workspaceId: string): WorkspaceRpc {
  return env.WORKSPACE.get(env.WORKSPACE.idFromName(workspaceId)) as unknown as WorkspaceRpc;
}

/**
 * A workspace's DO as the Worker uses it: typed RPC calls that carry the caller's identity,
 * with the ApiErrors the DO returns thrown again here.
 */
export class WorkspaceClient {
  readonly caller: Caller;
  private readonly stub: WorkspaceRpc;

  constructor(
    env: Env,
    readonly id: string,
    auth: Pick<AuthContext, "accountId" | "keyId">,
  ) {
    this.stub = workspaceStub(env, id);
    this.caller = { accountId: auth.accountId, actor: auth.keyId };
  }

  /** Forwards a request (a WebSocket upgrade) to the DO's fetch handler. */
  forward(request: Request): Promise<Response> {
    return (this.stub as unknown as { fetch(request: Request): Promise<Response> }).fetch(request);
  }

  async call<T>(method: (stub: WorkspaceRpc, caller: Caller) => Promise<RpcResult<T>>): Promise<T> {
    return unwrapRpc(await method(this.stub, this.caller));
  }
}
