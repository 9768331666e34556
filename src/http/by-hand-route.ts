import type { OpenAPIHono, RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { z } from "zod";
import type { AppEnv } from "./app-env";
import { middlewareOf, operationOf } from "./route";
import { validationError } from "./validation";

// Routes documented from their declaration like any other, but served by hand: with their
// policy's middleware and without @hono/zod-openapi's validators, the handler parsing what it
// reads (parsePart, the same zod schemas). Two reasons: a last parameter that is a file path
// (it may contain '/'; `{name}` maps to `:name`, which stops at a '/', so these are served on
// Hono's `:name{[\s\S]+}` pattern, line breaks included, so such a path is a 400), and a body
// that may be any content type (the validators would refuse all but the declared ones). Hidden
// routes (the bench baselines) are served this way too: they validate nothing.

/** Documents `route` and serves it by hand; `wildcard` names a parameter that may hold '/'. */
export function openapiByHand(
  app: OpenAPIHono<AppEnv>,
  route: RouteConfig,
  handler: (c: Context<AppEnv>) => Promise<Response>,
  wildcard?: string,
): void {
  if (!route.hide) app.openAPIRegistry.registerPath(operationOf(route));
  const path = (
    wildcard ? route.path.replace(`{${wildcard}}`, `:${wildcard}{[\\s\\S]+}`) : route.path
  ).replaceAll(/\{(\w+)\}/g, ":$1");
  app.on(route.method.toUpperCase(), [path], ...middlewareOf(route), handler);
}

/** Documents an operation another route serves (HEAD, which Hono answers from the GET). */
export function documentOnly(app: OpenAPIHono<AppEnv>, route: RouteConfig): void {
  app.openAPIRegistry.registerPath(operationOf(route));
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
