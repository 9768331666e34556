import { notFound } from "../http/errors";
import type { Caller } from "./caller";
import type { Remote } from "./feature-api";
import { DELETED_RESET_REASON } from "./kernel";
import type { WorkspaceApis } from "./modules";
import { type RpcResult, unwrapRpc } from "./rpc-errors";

/** The DO's RPC surface as the Worker sees it (see WorkspaceDO). */
interface WorkspaceStub {
  call(
    caller: Caller | null,
    feature: string,
    method: string,
    args: unknown[],
  ): Promise<RpcResult<unknown>>;
  fetch(request: Request): Promise<Response>;
  ping(): Promise<string>;
}

/** Every feature's facade as the Worker calls it: `api.files.stat(path)`. */
export type WorkspaceApi = { [F in keyof WorkspaceApis]: Remote<WorkspaceApis[F]> };

/** The one place that turns a workspace id into its Durable Object stub. */
function workspaceStub(env: Env, workspaceId: string): WorkspaceStub {
  return env.WORKSPACE.get(env.WORKSPACE.idFromName(workspaceId)) as unknown as WorkspaceStub;
}

/**
 * A workspace's features for `caller` (null only for the methods that need none: a signed URL
 * or a ticket is its own credential). Each call is one RPC; an ApiError the DO returns is thrown
 * again here.
 */
export function workspaceApi(env: Env, workspaceId: string, caller: Caller | null): WorkspaceApi {
  const stub = workspaceStub(env, workspaceId);
  const facades = new Map<string, unknown>();
  return new Proxy({} as WorkspaceApi, {
    get(_target, feature) {
      if (typeof feature !== "string") return undefined;
      let facade = facades.get(feature);
      if (!facade) {
        facade = new Proxy(
          {},
          {
            get: (_facade, method) =>
              typeof method === "string"
                ? async (...args: unknown[]) =>
                    unwrapRpc(await deletedIsNotFound(stub.call(caller, feature, method, args)))
                : undefined,
          },
        );
        facades.set(feature, facade);
      }
      return facade;
    },
  });
}

/** A call that met the reset of a deleted workspace's object (see Kernel.resetDeleted): 404. */
async function deletedIsNotFound<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof Error && error.message.includes(DELETED_RESET_REASON)) {
      throw notFound("workspace");
    }
    throw error;
  }
}

/** A bare round trip to a workspace's DO (the benchmark's baseline). */
export function pingWorkspace(env: Env, workspaceId: string): Promise<string> {
  return workspaceStub(env, workspaceId).ping();
}

/** Forwards a request (a WebSocket upgrade) to the workspace's DO. */
export function forwardToWorkspace(env: Env, workspaceId: string, request: Request) {
  return deletedIsNotFound(workspaceStub(env, workspaceId).fetch(request));
}

/**
 * A workspace's DO as the Worker's routes use it: every feature's facade, acting as the
 * authenticated caller (`c.var.workspace.files.stat(path)`).
 */
export type WorkspaceClient = WorkspaceApi & {
  readonly id: string;
  readonly caller: Caller;
  forward(request: Request): Promise<Response>;
};

export function workspaceClient(
  env: Env,
  id: string,
  auth: { accountId: string; keyId: string },
): WorkspaceClient {
  const caller = { accountId: auth.accountId, actor: auth.keyId };
  const api = workspaceApi(env, id, caller);
  const own = { id, caller, forward: (request: Request) => forwardToWorkspace(env, id, request) };
  return new Proxy(own as WorkspaceClient, {
    get: (target, key) =>
      key in target ? target[key as keyof typeof own] : api[key as keyof WorkspaceApi],
  });
}
