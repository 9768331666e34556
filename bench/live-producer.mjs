// The producer of the live-events benchmark's main measurement: the workspace's Durable Object
// appends the events itself (`POST /__bench/workspaces/{ws}/append`, mounted only with
// BENCH_ROUTES=true), by the same commit and fan-out as `POST …/lifecycle-events`, so what is
// measured is delivery and not the cost of an HTTP request per event in front of it.
import http from "node:http";

/** Sends a request and resolves with { status, body (parsed JSON, or the text) }. */
function request(url, { method = "GET", headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    // No agent and no timeout: the append request is meant to last the whole window.
    const req = http.request(url, { method, headers }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Not JSON: keep the text for the error message.
        }
        resolve({ status: res.statusCode, body });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** The workspace's newest event id, from `GET …/streams/debug`: the next append is head + 1. */
export async function workspaceHead(baseUrl, apiKey, workspaceId) {
  const url = `${baseUrl}/v1/workspaces/${workspaceId}/streams/debug`;
  const { status, body } = await request(url, { headers: { authorization: `Bearer ${apiKey}` } });
  if (status !== 200 || typeof body?.head_event_id !== "number") {
    throw new Error(`GET ${url} answered ${status}: ${JSON.stringify(body)}`);
  }
  return body.head_event_id;
}

/**
 * Has the workspace's DO append `count` events, one every `intervalMs` on its own fixed schedule
 * (event i is due at its start + i × intervalMs; `notes` = "<i>"). Resolves when the last one is
 * appended with { appended, lateMs (the DO's worst lag behind its schedule), elapsedMs (this
 * client's send → answer) }. Anything but 200 and `ok` throws: a broken producer is a broken run.
 */
export async function runProducer({ baseUrl, accountId, workspaceId, count, intervalMs }) {
  const query = new URLSearchParams({
    account: accountId,
    count: String(count),
    interval_ms: String(intervalMs),
  });
  const url = `${baseUrl}/__bench/workspaces/${workspaceId}/append?${query}`;
  const startedAt = performance.now();
  const { status, body } = await request(url, { method: "POST" });
  const elapsedMs = performance.now() - startedAt;
  if (status !== 200 || typeof body?.appended !== "number") {
    throw new Error(`POST ${url} answered ${status}: ${JSON.stringify(body)}`);
  }
  return { appended: body.appended, lateMs: body.lateMs, elapsedMs };
}
