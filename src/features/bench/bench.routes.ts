import type { OpenAPIHono } from "@hono/zod-openapi";
import { UI_MESSAGE_STREAM_HEADERS } from "ai";
import type { AppEnv } from "../../http/app-env";
import { openapiByHand } from "../../http/by-hand-route";
import { pingWorkspace, workspaceApi } from "../../kernel/workspace-client";
import { relayUntilCancelled } from "../../lib/relay-stream";
import { registerBenchFileRoutes } from "./bench-files.routes";
import { benchOnly, benchRoute } from "./bench-route";

// Baselines for `npm run bench`, mounted only when BENCH_ROUTES is "true" (the bench script
// sets it); otherwise these paths are an ordinary 404. They are not part of the API.

export function registerBenchRoutes(app: OpenAPIHono<AppEnv>) {
  /** One RPC round trip to a Durable Object, with no auth and no storage. */
  openapiByHand(app, benchRoute("get", "/__bench/do-ping"), async (c) => {
    return c.json({ pong: await pingWorkspace(c.env, "bench-ping") });
  });

  /**
   * Appends `count` events to a workspace from inside its Durable Object, one every
   * `interval_ms` (the live-events benchmark's producer); answers when the last is appended.
   */
  openapiByHand(app, benchRoute("post", "/__bench/workspaces/{workspace}/append"), async (c) => {
    const caller = { accountId: c.req.query("account") ?? "", actor: null };
    const count = Math.min(Math.max(Number(c.req.query("count") ?? 1) || 1, 1), 100_000);
    const interval = Math.min(Math.max(Number(c.req.query("interval_ms") ?? 10) || 10, 1), 10_000);
    const result = await workspaceApi(
      c.env,
      c.req.param("workspace") ?? "",
      caller,
    ).workspaces.benchAppend(count, interval);
    return c.json(result);
  });

  /** The same rows `GET /v1/workspaces` reads, straight from D1, with no auth or validation. */
  openapiByHand(app, benchRoute("get", "/__bench/d1-select"), async (c) => {
    const account = c.req.query("account") ?? "";
    const asked = Number(c.req.query("limit") ?? 100);
    const limit = Number.isInteger(asked) && asked > 0 ? Math.min(asked, 100) : 100;
    const { results } = await c.env.DB.prepare(
      "SELECT record FROM workspaces WHERE account_id = ? ORDER BY id DESC LIMIT ?",
    )
      .bind(account, limit)
      .all<{ record: string }>();
    return c.json({ items: results.map((row) => JSON.parse(row.record) as unknown) });
  });

  /**
   * The threads benchmark's baseline: a thread turn's echo stream with nothing stored. Through
   * the same Worker path as `POST …/threads/stream` (key, workspace, the relay to the client),
   * so the two differ only in what the Durable Object stores.
   */
  openapiByHand(
    app,
    benchRoute("post", "/__bench/workspaces/{ws}/echo-stream", "json", "key"),
    async (c) => {
      const words = Math.min(Math.max(Number(c.req.query("words") ?? 100) || 100, 1), 1_000_000);
      const stream = await c.var.workspace.threads.benchUnpersisted(words);
      const body = relayUntilCancelled(
        stream,
        async () => undefined,
        (promise) => c.executionCtx.waitUntil(promise),
      );
      return new Response(body, { headers: UI_MESSAGE_STREAM_HEADERS });
    },
  );

  registerBenchFileRoutes(app);
  // Any other path here: with the switch off, a 404 like the routes above, not a 405.
  app.on("ALL", ["/__bench/*"], benchOnly);
}
