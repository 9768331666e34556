import type { Context } from "hono";
import type { AppEnv } from "./app-env";
import { handleError } from "./error-handler";
import { ApiError } from "./errors";

interface RouteShape {
  method: string;
  pattern: RegExp;
}

function compile(path: string): RegExp {
  const source = path
    .split("/")
    .map((segment) => {
      if (segment === "*") return ".*";
      if (segment.startsWith(":")) return "[^/]+";
      return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return new RegExp(`^${source}/?$`);
}

/**
 * The not-found handler: a path that exists under another method is a 405 with `Allow`,
 * anything else a 404, both in the error envelope.
 */
export function unmatchedRoute(routes: () => { method: string; path: string }[]) {
  let shapes: RouteShape[] | null = null;
  return (c: Context<AppEnv>): Response => {
    shapes ??= routes()
      .filter((route) => route.method !== "ALL")
      .map((route) => ({ method: route.method, pattern: compile(route.path) }));
    const allowed = [
      ...new Set(shapes.filter((s) => s.pattern.test(c.req.path)).map((s) => s.method)),
    ];
    if (allowed.length > 0) {
      if (allowed.includes("GET")) allowed.push("HEAD");
      return handleError(
        new ApiError("method_not_allowed", `${c.req.method} is not allowed on ${c.req.path}`, {
          details: { allowed_methods: allowed },
          headers: { Allow: allowed.join(", ") },
        }),
        c,
      );
    }
    return handleError(new ApiError("not_found", `no route for ${c.req.method} ${c.req.path}`), c);
  };
}
