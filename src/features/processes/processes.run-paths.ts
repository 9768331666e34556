import type { OpenAPIHono, RouteConfig, RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/app-env";
import { ProcessParamsSchema } from "./process-route.schemas";

// A run is named by its id under the processes (`…/processes/runs/{run}…`), and under its
// process too (`…/processes/{process}/runs/{run}…`), beside `…/processes/{process}/runs` where
// it was created — clients reading "GET …/runs/{run}" after that route write either. Each run
// route is declared once, with the first path, and served (and documented) at both: the
// second takes the `process` parameter as well, and the handler is given it to check that the
// run is of that process (a 404 when it is not, as for an unknown run).

export const RUN_BASE = "/v1/workspaces/{ws}/processes/runs/{run}";
const NESTED_RUN_BASE = "/v1/workspaces/{ws}/processes/{process}/runs/{run}";

type RunRouteConfig = RouteConfig & { path: `${typeof RUN_BASE}${string}` } & {
  request: { params: z.ZodObject };
};

type RunHandler<R extends RouteConfig> = (
  c: Parameters<RouteHandler<R, AppEnv>>[0],
  /** The `{process}` of the nested path; null on the path by id alone. */
  process: string | null,
) => ReturnType<RouteHandler<R, AppEnv>>;

/** The route at its process's path: the same declaration, one more path parameter. */
export function nestedRunRoute<R extends RunRouteConfig>(route: R): R {
  return {
    ...route,
    path: route.path.replace(RUN_BASE, NESTED_RUN_BASE),
    operationId: `${route.operationId}OfProcess`,
    request: {
      ...route.request,
      params: route.request.params.extend({ process: ProcessParamsSchema.shape.process }),
    },
  };
}

/** Registers a run route at both paths with one handler. */
export function openapiRunRoute<R extends RunRouteConfig>(
  app: OpenAPIHono<AppEnv>,
  route: R,
  handler: RunHandler<R>,
): void {
  for (const each of [route, nestedRunRoute(route)]) {
    app.openapi(each, (c) => handler(c, c.req.param("process") ?? null));
  }
}
