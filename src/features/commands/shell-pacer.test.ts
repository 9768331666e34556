import { describe, expect, it } from "vitest";
import { type LoopClock, ShellPacer } from "./shell-pacer";

// The pacer against a hand-driven clock: what counts as the shell's work, and when it yields.

function pacerAt(
  limits = { cpuBudgetMs: 100, sliceMs: 10, sliceCommands: 5 },
  loop: LoopClock = { turnedAt: Number.NEGATIVE_INFINITY },
) {
  const clock = { now: 0 };
  const exceeded: number[] = [];
  const pacer = new ShellPacer(
    limits,
    () => exceeded.push(clock.now),
    () => clock.now,
    loop,
  );
  return { clock, exceeded, pacer };
}

/** Whether `pace()` let a timer run before it returned. */
async function yielded(pacer: ShellPacer): Promise<boolean> {
  const order: string[] = [];
  setTimeout(() => order.push("timer"), 0);
  await pacer.pace();
  order.push("paced");
  return order[0] === "timer";
}

describe("ShellPacer", () => {
  it("Should count the shell's work but not its waits on the file service", async () => {
    const { clock, pacer } = pacerAt();
    clock.now = 30;
    let release = () => {};
    const io = pacer.wait(new Promise<void>((resolve) => (release = resolve)));
    clock.now = 530;
    release();
    await io;
    clock.now = 550;
    expect(pacer.workMs).toBe(50);
  });

  it("Should stop the run once, when a command finds the budget used up", () => {
    const { clock, exceeded, pacer } = pacerAt();
    clock.now = 100;
    pacer.command();
    expect(exceeded).toEqual([]);
    clock.now = 101;
    pacer.command();
    clock.now = 150;
    pacer.command();
    expect(exceeded).toEqual([101]);
  });

  it("Should yield to a timer after its slice of commands, and not before", async () => {
    const { pacer } = pacerAt({ cpuBudgetMs: 100, sliceMs: 1_000, sliceCommands: 3 });
    const order: string[] = [];
    setTimeout(() => order.push("timer"), 0);
    for (let i = 0; i < 3; i++) {
      pacer.command();
      await pacer.pace();
      order.push(`command ${i}`);
    }
    expect(order).toEqual(["command 0", "command 1", "timer", "command 2"]);
  });

  it("Should yield only when the isolate's loop has not turned for a slice, whichever shell saw it turn", async () => {
    const loop: LoopClock = { turnedAt: Number.NEGATIVE_INFINITY };
    const limits = { cpuBudgetMs: 1_000, sliceMs: 10, sliceCommands: 1_000 };
    const clock = { now: 0 };
    const [a, b] = [0, 1].map(
      () =>
        new ShellPacer(
          limits,
          () => undefined,
          () => clock.now,
          loop,
        ),
    );
    // b's wait on the file service comes back at 15: the loop turned then, for a too.
    let release = () => {};
    const io = (b as ShellPacer).wait(new Promise<void>((resolve) => (release = resolve)));
    clock.now = 15;
    release();
    await io;
    clock.now = 20;
    expect(await yielded(a as ShellPacer)).toBe(false);
    // Nothing came back since 15: at 26 a slice has passed, and a shell yields.
    clock.now = 26;
    expect(await yielded(a as ShellPacer)).toBe(true);
    expect(await yielded(b as ShellPacer)).toBe(false);
  });
});
