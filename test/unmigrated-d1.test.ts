import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, api, expectEnvelope } from "./helpers";

// A bare `wrangler dev` on a fresh state: the D1 database exists, its migrations were never
// applied. This file's D1 is its own (storage is per test file), so its tables can go.
beforeAll(async () => {
  const { results } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf%' ESCAPE '\\' AND name NOT LIKE 'sqlite%'",
  ).all<{ name: string }>();
  for (const { name } of results) await env.DB.exec(`DROP TABLE "${name}"`);
});

describe("a D1 database without its migrations", () => {
  it("Should answer a request with a key 503 saying which command applies them", async () => {
    const response = await api("GET", "/v1/workspaces", { key: `wsk_${"A".repeat(43)}` });
    expect(response.status).toBe(503);
    const error = expectEnvelope(response.body);
    expect(error.code).toBe("unavailable");
    expect(error.message).toContain("npx wrangler d1 migrations apply workspaces --local");
    expect(JSON.stringify(response.body)).not.toMatch(/SQLITE|no such table/);
  });

  it("Should answer the admin's account creation the same way", async () => {
    const response = await api("POST", "/v1/admin/accounts", {
      key: ADMIN_TOKEN,
      body: { name: "dev" },
    });
    expect(response.status).toBe(503);
    expect(expectEnvelope(response.body).code).toBe("unavailable");
  });

  it("Should still answer health without the database", async () => {
    const response = await api("GET", "/health");
    expect(response.status).toBe(200);
  });
});
