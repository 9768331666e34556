// The bench's own plumbing, checked by `npm test` (node --test; the bench itself needs wrangler).
import assert from "node:assert/strict";
import { test } from "node:test";
import { randomBody } from "./files-client.mjs";
import { runParts } from "./run-parts.mjs";

test("a failing part loses no other part's figures, and is named", async () => {
  const writes = [];
  const figure = (name) => ({ name, value: 1, unit: "x" });
  const report = await runParts(
    [
      { name: "first", run: async () => ({ figures: [figure("a")] }) },
      {
        name: "broken",
        run: async () => {
          throw new Error("fetch failed: write EPIPE");
        },
      },
      { name: "last", run: async () => ({ figures: [figure("b")], checks: [{ met: true }] }) },
    ],
    (figures, failed) => writes.push({ figures: figures.map((f) => f.name), failed: [...failed] }),
    { error: () => {} },
  );
  assert.deepEqual(
    writes.map((w) => w.figures),
    [[], ["a"], ["a"], ["a", "b"]],
  );
  assert.deepEqual(report.failed, [{ part: "broken", error: "fetch failed: write EPIPE" }]);
  assert.equal(report.checks.length, 1);
});

test("a large random body is made without holding the event loop", async () => {
  let turns = 0;
  let done = false;
  const spin = () => {
    if (done) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  const body = await randomBody(64 * 1024 * 1024);
  done = true;
  assert.equal(body.length, 64 * 1024 * 1024);
  // randomBytes would fill it before any other callback ran: no turn of the loop at all.
  assert.ok(turns > 0, `the event loop turned ${turns} times while the body was made`);
});
