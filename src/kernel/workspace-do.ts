import { DurableObject } from "cloudflare:workers";
import type { Caller } from "./caller";
import type { FeatureApi } from "./feature-api";
import { Kernel } from "./kernel";
import { hasSchema, migrate } from "./migrations";
import { composeModules } from "./modules";
import { type RpcResult, rpcBoundary } from "./rpc-errors";

/**
 * One Durable Object per workspace: the source of truth for the workspace record and
 * everything inside it. The Worker authenticates; the kernel trusts the caller's account id and
 * refuses (as "not found") any call that names an account other than the owner.
 *
 * Its public surface is `call` (a feature's method, by name, with the caller checked and errors
 * returned as values), the WebSocket upgrade, and the alarm. The features are modules
 * (modules.ts) composed around one kernel; this class only walks them.
 */
export class WorkspaceDO extends DurableObject<Env> {
  private readonly kernel: Kernel;
  private readonly composed: ReturnType<typeof composeModules>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.kernel = new Kernel(ctx, env);
    this.composed = composeModules(this.kernel, {
      walk: {
        migrate: () => migrate(this.kernel.sql, this.modules),
        counts: () => Object.assign({}, ...this.modules.map((m) => m.counts?.() ?? {})),
        reset: (caller) => Object.assign({}, ...this.modules.map((m) => m.onReset?.(caller) ?? {})),
        stopAll: async (caller) => {
          for (const module of this.modules) await module.onDelete?.(caller);
        },
        deleted: async () => {
          for (const module of this.modules) module.onDeleted?.();
          await ctx.storage.setAlarm(Date.now());
        },
      },
    });
    // A DO that was never created stays without tables, so a lookup of an unknown id writes nothing.
    ctx.blockConcurrencyWhile(async () => {
      this.kernel.initialized = hasSchema(this.kernel.sql);
      if (!this.kernel.initialized) return;
      migrate(this.kernel.sql, this.modules);
      for (const module of this.modules) await module.onWake?.();
    });
  }

  private get modules() {
    return this.composed.modules;
  }

  /**
   * Calls `method` of the feature facade `feature` for `caller`: the caller is checked (unless
   * the facade says the method needs no live workspace), a write waits for the one before it,
   * and an ApiError comes back as a value (see rpc-errors.ts).
   */
  call(
    caller: Caller | null,
    feature: string,
    method: string,
    args: unknown[],
  ): Promise<RpcResult<unknown>> {
    const api = (this.composed.apis as unknown as Record<string, FeatureApi | undefined>)[feature];
    const body = api && Object.hasOwn(api.methods, method) ? api.methods[method] : null;
    if (!api || !body) throw new Error(`no method ${feature}.${method}`);
    const run = () =>
      rpcBoundary(() => {
        if (!api.unchecked.has(method)) this.kernel.check(caller as Caller);
        return (body as (caller: Caller | null, ...args: unknown[]) => unknown)(caller, ...args);
      });
    return api.exclusive.has(method) ? this.kernel.exclusive(run) : run();
  }

  /** A bare round trip, for health checks and benchmarks. */
  ping(): string {
    return "pong";
  }

  /** The WebSocket upgrade, forwarded by the Worker after it authenticated the caller. */
  fetch(request: Request): Promise<Response> {
    return this.composed.events.accept(request);
  }

  webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    this.composed.events.hub.sockets.message(ws, message);
  }

  webSocketClose(ws: WebSocket, code: number, reason: string): void {
    this.composed.events.socketClosed(ws, code, reason);
  }

  webSocketError(ws: WebSocket): void {
    this.composed.events.socketClosed(ws, 1011, "socket error");
  }

  /**
   * For a live workspace, every module's alarm duty (each registers its due times with
   * `wakeAt`; one failing does not stop the others). For a deleted one, its storage is freed
   * (R2 first, then every row of this DO); the alarm retries on failure.
   */
  async alarm(): Promise<void> {
    if (!this.kernel.initialized) return;
    if (this.kernel.owner().live) {
      const now = Date.now();
      for (const module of this.modules) {
        try {
          await module.onAlarm?.(now);
        } catch (error) {
          console.error(`the ${module.name} module's alarm failed; will retry`, error);
          await this.kernel.wakeAt(Date.now() + 1000);
        }
      }
      return;
    }
    for (const module of this.modules) await module.onPurge?.();
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.kernel.initialized = false;
    this.kernel.forgetOwner();
  }
}
