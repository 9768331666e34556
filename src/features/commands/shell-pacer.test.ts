import { describe, expect, it } from "vitest";
import { ShellPacer, type TurnClock } from "./shell-pacer";

// The pacer against a hand-driven clock: what counts as the shell's work, and when it yields.

function pacerAt(
  limits = { cpuBudgetMs: 100, sliceMs: 10, sliceCommands: 5 },
  turns: TurnClock = { at: Number.NEGATIVE_INFINITY },
) {
  const clock = { now: 0 };
  const exceeded: number[] = [];
  const pacer = new ShellPacer(
    limits,
    () => exceeded.push(clock.now),
    () => clock.now,
    turns,
  );
  return { clock, exceeded, pacer };
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

  it("Should take one turn for all the shells of the isolate, not one each, per time slice", async () => {
    const turns: TurnClock = { at: Number.NEGATIVE_INFINITY };
    const limits = { cpuBudgetMs: 1_000, sliceMs: 10, sliceCommands: 1_000 };
    const clock = { now: 0 };
    const shells = [0, 1, 2].map(
      () =>
        new ShellPacer(
          limits,
          () => undefined,
          () => clock.now,
          turns,
        ),
    );
    const yielded = async (pacer: ShellPacer) => {
      const order: string[] = [];
      setTimeout(() => order.push("timer"), 0);
      await pacer.pace();
      order.push("paced");
      return order[0] === "timer";
    };
    clock.now = 20;
    // The first past its slice yields; the turn it took counts for the others.
    expect(await yielded(shells[0] as ShellPacer)).toBe(true);
    expect(await yielded(shells[1] as ShellPacer)).toBe(false);
    expect(await yielded(shells[2] as ShellPacer)).toBe(false);
    // A slice later, with no turn taken meanwhile, the next one yields again.
    clock.now = 31;
    expect(await yielded(shells[1] as ShellPacer)).toBe(true);
    expect(await yielded(shells[2] as ShellPacer)).toBe(false);
  });
});
