import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api } from "./helpers";

interface Problem {
  rule: string;
  severity: "error" | "warn";
  message: string;
  where: string;
}

describe("the OpenAPI document as served", () => {
  it("Should pass redocly lint with no error and no operation without an operationId", async () => {
    const served = await api("GET", "/v1/openapi.json");
    expect(served.status).toBe(200);
    const report = await env.OPENAPI_LINT.fetch("http://lint/", {
      method: "POST",
      body: JSON.stringify(served.body),
    });
    const { problems } = (await report.json()) as { problems: Problem[] };
    console.log(JSON.stringify(problems, null, 1));
    expect(problems.filter((problem) => problem.severity === "error")).toEqual([]);
  });
});
