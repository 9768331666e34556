// Seeds the benchmark data through the public API (not SQL), so the rows look exactly like
// the ones real clients create: one account, one API key, N workspaces.

import { randomUUID } from "node:crypto";

const CREATE_CONCURRENCY = 5;

const POST_ATTEMPTS = 3;

/**
 * POSTs JSON with a bearer token and returns the parsed body; any status but `expected` throws.
 * wrangler dev's proxy now and then answers 503 "Your worker restarted mid-request" (it lost
 * its connection to the Worker): the request is sent again under the same Idempotency-Key, so a
 * create that did happen is replayed, never made twice.
 */
export async function postJson(url, token, body, expected = 201) {
  const idempotencyKey = `bench-${randomUUID()}`;
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "idempotency-key": idempotencyKey,
      },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status === 503 && attempt < POST_ATTEMPTS) continue;
    if (res.status !== expected) throw new Error(`POST ${url} answered ${res.status}: ${text}`);
    return JSON.parse(text);
  }
}

/**
 * Returns { accountId, apiKey, workspaceId, workspaceIds }: workspaceId is one of the seeded
 * workspaces, workspaceIds all of them.
 */
export async function seed(baseUrl, adminToken, workspaceCount) {
  const account = await postJson(`${baseUrl}/v1/admin/accounts`, adminToken, { name: "Bench" });
  const { key } = await postJson(`${baseUrl}/v1/admin/accounts/${account.id}/keys`, adminToken, {});
  const ids = await createWorkspaces(baseUrl, key, workspaceCount);
  return { accountId: account.id, apiKey: key, workspaceId: ids[0], workspaceIds: ids };
}

/** Creates the workspaces a few at a time (each create is a DO call plus a D1 insert). */
async function createWorkspaces(baseUrl, apiKey, count) {
  const ids = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const n = String(next++).padStart(3, "0");
      const ws = await postJson(`${baseUrl}/v1/workspaces`, apiKey, {
        name: `Bench workspace ${n}`,
        slug: `bench-${n}`,
      });
      ids.push(ws.id);
    }
  };
  await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, worker));
  return ids;
}
