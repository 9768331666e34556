import { describe, expect, it } from "vitest";
import { api, createAccount, createWorkspace } from "./helpers";

describe("smoke", () => {
  it("Should create and read a workspace", async () => {
    const account = await createAccount();
    const ws = await createWorkspace(account, { name: "Smoke" });
    expect(ws.status).toBe("running");
    const got = await api("GET", `/v1/workspaces/${ws.id}`, { key: account.key });
    expect(got.status).toBe(200);
    expect(got.body.name).toBe("Smoke");
    const bySlug = await api("GET", `/v1/workspaces/${ws.slug}`, { key: account.key });
    expect(bySlug.status).toBe(200);
    const list = await api<{ items: unknown[]; total: number }>("GET", "/v1/workspaces", {
      key: account.key,
    });
    expect(list.body.total).toBe(1);
  });
});
