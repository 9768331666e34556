import { describe, expect, it } from "vitest";
import { createAccount, createWorkspace, getWorkspace } from "../../../../test/helpers";
import { execute, readOutput, shellCommand } from "./command-helpers";

// One isolate holds many workspaces' Durable Objects (in tests and wrangler dev, all of them),
// so a script that never let go would hold every one of them until it ended. The shell yields
// to the event loop as it works: requests to other workspaces, another account's included, are
// answered while it runs, each within a small bound.

/**
 * The most a request may take beside a busy neighbour (ms): tens of ms on a quiet machine, the
 * rest is room for a loaded one; without the yields a request waits for the whole script.
 */
const BOUND_MS = 750;
/** How long requests are sent while the script runs (ms); it runs for longer. */
const WINDOW_MS = 600;

describe("a busy script in one workspace", () => {
  it.each([
    // Builtins only (arithmetic): it outlasts the time limit below before it could reach the
    // test's command cap (30,000).
    [
      "a loop of builtins",
      "while true; do for j in 1 2 3 4 5 6 7 8 9 10; do x=$(( (x * 7 + j) % 10007 )); done; done",
    ],
    ["a loop writing files", 'i=0; while true; do i=$((i+1)); echo "$i" > out/f$i.txt; done'],
  ])("Should not hold up requests to other workspaces: %s", async (_name, script) => {
    const owner = await createAccount("busy neighbour");
    const other = await createAccount("other account");
    const busy = (await createWorkspace(owner)).id;
    const sameAccount = (await createWorkspace(owner)).id;
    const otherAccount = (await createWorkspace(other)).id;
    await shellCommand(owner, busy, "busy", script, { timeout_ms: 1_500 });
    // The first request to a workspace wakes its Durable Object: not the time measured.
    await getWorkspace(owner, sameAccount);
    await getWorkspace(other, otherAccount);

    const started = execute(owner, busy, "busy");
    const latencies: number[] = [];
    let lastAnswered = 0;
    const windowEnd = Date.now() + WINDOW_MS;
    for (let turn = 0; Date.now() < windowEnd; turn++) {
      const sent = Date.now();
      const answer =
        turn % 2 === 0
          ? await getWorkspace(other, otherAccount)
          : await getWorkspace(owner, sameAccount);
      expect(answer.status).toBe(200);
      lastAnswered = Date.now();
      latencies.push(lastAnswered - sent);
    }
    const execution = await started;
    expect(execution.status).toBe(202);
    const { end } = await readOutput(owner, busy, "busy", execution.body.id);
    // The requests were answered while the script still ran, not after it.
    expect(Date.parse(end.finished_at as string)).toBeGreaterThan(lastAnswered);
    expect(Math.max(...latencies)).toBeLessThan(BOUND_MS);
  });
});
