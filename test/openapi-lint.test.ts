import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { LintProblem } from "../scripts/lint-openapi.mjs";
import { api } from "./helpers";

// `redocly lint` (its recommended rules, redocly.yaml) on the document exactly as the Worker
// serves it. The lint runs in Node: the OPENAPI_LINT service binding (vitest.config.ts) writes the
// document to .wrangler/openapi/openapi.json and runs the CLI on it (`node
// scripts/lint-openapi.mjs` lints that file again by hand).

/** Warnings that are known and say nothing false to a client, each with its reason. */
const KNOWN: { rule: string; where: string; why: string }[] = [
  {
    rule: "no-ambiguous-paths",
    where: "#/paths/~1v1~1workspaces~1{ws}~1commands~1{trigger}~1execute",
    why: "…/commands/categories/{category} is a GET, …/{trigger}/execute a POST: no request matches both",
  },
  {
    rule: "no-ambiguous-paths",
    where: "#/paths/~1v1~1workspaces~1{ws}~1processes~1{process}~1runs",
    why: "`runs` is reserved, never a process name: …/processes/runs/{run} is always a run",
  },
  {
    rule: "operation-4xx-response",
    where: "#/paths/~1health/get/responses",
    why: "liveness: public, no parameters, nothing a client can get wrong",
  },
  {
    rule: "operation-2xx-response",
    where: "#/paths/~1v1~1workspaces~1{ws}~1socket/get/responses",
    why: "a WebSocket upgrade answers 101",
  },
];

const isKnown = (problem: LintProblem) =>
  KNOWN.some(({ rule, where }) => problem.rule === rule && problem.where === where);

describe("the OpenAPI document as served", () => {
  it("Should pass redocly lint: no error, every operation named, no warning but the known ones", async () => {
    const served = await api("GET", "/v1/openapi.json");
    expect(served.status).toBe(200);
    const report = await env.OPENAPI_LINT.fetch("http://lint/", {
      method: "POST",
      body: JSON.stringify(served.body),
    });
    expect(report.status).toBe(200);
    const { problems } = (await report.json()) as { problems: LintProblem[] };
    expect(problems.filter((problem) => problem.severity === "error")).toEqual([]);
    expect(problems.filter((problem) => problem.rule.startsWith("operation-operationId"))).toEqual(
      [],
    );
    expect(problems.filter((problem) => !isKnown(problem))).toEqual([]);
  });
});
