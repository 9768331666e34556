import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/app-env";
import { jsonResponse } from "../../http/openapi-helpers";
import { apiRoute } from "../../http/route";

const healthRoute = apiRoute({
  method: "get",
  path: "/health",
  operationId: "getHealth",
  auth: "public",
  tags: ["Service"],
  summary: "Liveness of the service (no authentication, touches no storage)",
  responses: {
    200: jsonResponse(z.object({ status: z.literal("ok") }).openapi("Health"), "The service is up"),
  },
});

export function registerHealthRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(healthRoute, (c) => c.json({ status: "ok" as const }, 200));
}
