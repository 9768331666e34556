import type { OpenAPIHono, RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { z } from "zod";
import type { AppEnv } from "./app-env";
import { validationError } from "./validation";

// Routes whose last parameter is a file path (it may contain '/'). @hono/zod-openapi maps
// `{name}` to `:name`, which stops at a '/'; these routes are documented from their RouteConfig
// like any other, and served on Hono's `:name{[\s\S]+}` pattern (line breaks included, so such a path is a 400), with the same zod validation.

export function openapiWildcard(
  app: OpenAPIHono<AppEnv>,
  route: RouteConfig,
  wildcard: string,
  handler: (c: Context<AppEnv>) => Promise<Response>,
): void {
  app.openAPIRegistry.registerPath(route);
  const path = route.path
    .replace(`{${wildcard}}`, `:${wildcard}{[\\s\\S]+}`)
    .replaceAll(/\{(\w+)\}/g, ":$1");
  app.on(route.method.toUpperCase(), path, handler);
}

/** Parses a request part with its schema; a failure is the usual 400 naming the field. */
export function parsePart<T extends z.ZodType>(
  schema: T,
  value: unknown,
  location: string,
): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error, location);
  return result.data;
}
