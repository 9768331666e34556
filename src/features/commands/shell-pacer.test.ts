import { describe, expect, it } from "vitest";
import { ShellPacer } from "./shell-pacer";

// The pacer against a hand-driven clock: what counts as the shell's work, and when it yields.

function pacerAt(limits = { cpuBudgetMs: 100, sliceCommands: 5 }) {
  const clock = { now: 0 };
  const exceeded: number[] = [];
  const pacer = new ShellPacer(
    limits,
    () => exceeded.push(clock.now),
    () => clock.now,
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
    const { pacer } = pacerAt({ cpuBudgetMs: 100, sliceCommands: 3 });
    const order: string[] = [];
    setTimeout(() => order.push("timer"), 0);
    for (let i = 0; i < 3; i++) {
      pacer.command();
      await pacer.pace();
      order.push(`command ${i}`);
    }
    expect(order).toEqual(["command 0", "command 1", "timer", "command 2"]);
  });

  it("Should not yield for time alone, however long since its last yield", async () => {
    const { clock, pacer } = pacerAt({ cpuBudgetMs: 10_000, sliceCommands: 3 });
    pacer.command();
    clock.now = 5_000;
    expect(await yielded(pacer)).toBe(false);
  });
});
