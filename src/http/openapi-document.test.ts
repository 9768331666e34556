import { OpenAPIHono } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "./app-env";
import { checkOperationIds } from "./openapi-document";

const ok = { 200: { description: "ok" } };

/** A registry holding `routes` as documented operations. */
function registryOf(...routes: { method: "get" | "post"; path: string; operationId?: string }[]) {
  const app = new OpenAPIHono<AppEnv>();
  for (const route of routes) app.openAPIRegistry.registerPath({ ...route, responses: ok });
  return app.openAPIRegistry;
}

describe("checkOperationIds", () => {
  it("Should accept operations that each name themselves once", () => {
    const registry = registryOf(
      { method: "get", path: "/v1/things", operationId: "listThings" },
      { method: "post", path: "/v1/things", operationId: "createThing" },
    );
    expect(() => checkOperationIds(registry)).not.toThrow();
  });

  it("Should refuse an operation without an operationId, naming it", () => {
    const registry = registryOf({ method: "get", path: "/v1/things" });
    expect(() => checkOperationIds(registry)).toThrow("GET /v1/things has no operationId");
  });

  it("Should refuse two operations with the same operationId, naming both", () => {
    const registry = registryOf(
      { method: "get", path: "/v1/things", operationId: "listThings" },
      { method: "get", path: "/v1/other-things", operationId: "listThings" },
    );
    expect(() => checkOperationIds(registry)).toThrow(
      "GET /v1/other-things and GET /v1/things are both listThings",
    );
  });
});
