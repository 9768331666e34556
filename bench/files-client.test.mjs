import assert from "node:assert/strict";
import { createServer } from "node:http";
import { test } from "node:test";
import { fetchRetryingStaleSocket } from "./files-client.mjs";

// A connection that dies under the request (what wrangler's proxy does to an idle keep-alive
// socket) is retried once on a fresh one; any other failure is not.

async function serve(handler) {
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

test("a PUT whose socket is closed under it is sent again and succeeds", async () => {
  let requests = 0;
  const { server, url } = await serve((req, res) => {
    requests++;
    if (requests === 1) return req.socket.destroy();
    req.resume();
    req.on("end", () => res.end("ok"));
  });
  try {
    const res = await fetchRetryingStaleSocket(url, { method: "PUT", body: Buffer.alloc(1024) });
    assert.equal(await res.text(), "ok");
    assert.equal(requests, 2);
  } finally {
    server.close();
  }
});

test("a refused connection is not retried: the error stands", async () => {
  const { server, url } = await serve(() => undefined);
  server.close();
  await new Promise((resolve) => server.on("close", resolve));
  await assert.rejects(fetchRetryingStaleSocket(url, { method: "PUT", body: "x" }), /fetch failed/);
});
