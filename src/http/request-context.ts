import { createMiddleware } from "hono/factory";
import { newId } from "../lib/ids";
import type { AppEnv } from "./app-env";

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives every request an id (the client's `x-request-id` when it is sane), echoes it on the
 * response, and writes one JSON log line per request.
 */
export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header("x-request-id");
  const requestId = incoming && CLIENT_REQUEST_ID.test(incoming) ? incoming : newId("req");
  c.set("requestId", requestId);
  const started = Date.now();
  await next();
  try {
    c.res.headers.set("x-request-id", requestId);
  } catch {
    // Some responses (e.g. passed through from fetch) have immutable headers.
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set("x-request-id", requestId);
  }
  if (c.env.LOG_REQUESTS !== "false") {
    console.log(
      JSON.stringify({
        level: c.res.status >= 500 ? "error" : "info",
        time: new Date(started).toISOString(),
        request_id: requestId,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        duration_ms: Date.now() - started,
        account_id: c.get("auth")?.accountId ?? null,
      }),
    );
  }
});
