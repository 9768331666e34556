import type { IFileSystem } from "just-bash";
import type { FileHost } from "./workspace-fs";

// just-bash runs a script as one chain of promises: a loop of builtins never waits on anything
// but microtasks, and in a Durable Object that holds the whole isolate — every other workspace
// it hosts, and their requests, wait until the script ends. The pacer gives the time back: the
// shell's filesystem calls (its own scratch space and output sink, the workspace's files, the
// lookup of every external command) are the points where it may wait, and there it yields to
// the event loop once it has run a slice's worth of commands or milliseconds. A timer is the
// yield (an awaited resolved promise is not: microtasks run before any other request).
//
// It also keeps the script's CPU budget: the milliseconds the shell itself worked, summed slice
// by slice, not the time it spent yielded or waiting on the file service (R2, SQL). Workers'
// clocks advance only across I/O, so in production the slice's command count is what makes it
// yield, and the command and loop caps are what bound a busy loop; the milliseconds act where
// the clock runs (wrangler dev, tests) and wherever I/O lets it advance.

export interface PaceLimits {
  /** The most milliseconds of the shell's own work in one run. */
  cpuBudgetMs: number;
  /** Yield after this many milliseconds of work… */
  sliceMs: number;
  /** …or after this many commands, whichever comes first. */
  sliceCommands: number;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * When the isolate's event loop was last seen to turn: a shell's wait on the file service (I/O)
 * or its yield came back. Shared by every shell of the isolate, because what holds up other
 * requests is the one chain of microtasks all running scripts make together, not any one of
 * them: while that chain keeps being broken, no shell needs a yield of its own.
 */
export interface LoopClock {
  turnedAt: number;
}
const ISOLATE_LOOP: LoopClock = { turnedAt: Number.NEGATIVE_INFINITY };

export class ShellPacer {
  /** The work of the stretches already ended by a wait. */
  private workedMs = 0;
  /** When the current stretch of work began (the end of the last wait). */
  private workStart: number;
  /** When this shell started (its first slice runs from then), and its commands since it yielded. */
  private readonly startedAt: number;
  private commandsSinceYield = 0;
  /** How many waits (a yield, a file-service call) are under way; while any is, no work counts. */
  private waiting = 0;
  private exceeded = false;

  constructor(
    private readonly limits: PaceLimits,
    /** Called once, from inside the interpreter's turn, when the budget is used up. */
    private readonly onExceeded: () => void,
    private readonly now: () => number = () => performance.now(),
    private readonly loop: LoopClock = ISOLATE_LOOP,
  ) {
    this.workStart = now();
    this.startedAt = this.workStart;
  }

  /** The interpreter starts a command (synchronously): counted, and the budget checked. */
  command(): void {
    this.commandsSinceYield++;
    this.checkBudget();
  }

  /** The milliseconds of work so far, the current stretch included. */
  get workMs(): number {
    return this.workedMs + (this.waiting > 0 ? 0 : Math.max(0, this.now() - this.workStart));
  }

  /**
   * A point where the shell may wait: past its slice — a slice's worth of commands since it
   * last yielded, or of time since the isolate's loop last turned — it lets the event loop run
   * first. A yield costs more than it seems: a timer comes back only once workerd's loop is
   * idle (it runs ready I/O first), 1.5 s on average under a process tick, so shells yield only
   * when the loop has really not turned for a slice (32 concurrent trivial command tasks that
   * each yielded on their own wall time took 21 ms a task instead of 4).
   */
  async pace(): Promise<void> {
    this.checkBudget();
    const turned = Math.max(this.loop.turnedAt, this.startedAt);
    const due =
      this.commandsSinceYield >= this.limits.sliceCommands ||
      this.now() - turned >= this.limits.sliceMs;
    if (!due) return;
    await this.wait(yieldToEventLoop());
    this.commandsSinceYield = 0;
  }

  /** Awaits a call of the file service (R2, SQL), or a yield: its time is not the shell's work. */
  async wait<T>(promise: Promise<T>): Promise<T> {
    if (this.waiting++ === 0) this.workedMs += Math.max(0, this.now() - this.workStart);
    try {
      return await promise;
    } finally {
      if (--this.waiting === 0) this.workStart = this.now();
      this.loop.turnedAt = this.now();
    }
  }

  private checkBudget(): void {
    if (!this.exceeded && this.workMs > this.limits.cpuBudgetMs) {
      this.exceeded = true;
      this.onExceeded();
    }
  }
}

const PACED = new Set<string | symbol>([
  "readFile",
  "readFileBytes",
  "readFileBuffer",
  "writeFile",
  "appendFile",
  "exists",
  "stat",
  "lstat",
  "mkdir",
  "readdir",
  "readdirWithFileTypes",
  "rm",
  "cp",
  "mv",
  "chmod",
  "symlink",
  "link",
  "readlink",
  "realpath",
  "utimes",
]);

/** The shell's whole filesystem, each asynchronous call a point where the pacer may yield. */
export function pacedFs<T extends IFileSystem>(fs: T, pacer: ShellPacer): T {
  return new Proxy(fs, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      const method = value.bind(target) as (...args: unknown[]) => unknown;
      if (!PACED.has(key)) return method;
      return async (...args: unknown[]) => {
        await pacer.pace();
        return method(...args);
      };
    },
  });
}

/** The workspace's file host, each call's wait on the file service kept out of the budget. */
export function pacedHost(host: FileHost, pacer: ShellPacer): FileHost {
  return {
    row: (path) => host.row(path),
    children: (path) => host.children(path),
    allPaths: () => host.allPaths(),
    readObject: (key) => pacer.wait(host.readObject(key)),
    writeFile: (path, bytes) => pacer.wait(host.writeFile(path, bytes)),
    mkdir: (path) => pacer.wait(host.mkdir(path)),
    remove: (path) => pacer.wait(host.remove(path)),
    move: (from, to) => pacer.wait(host.move(from, to)),
  };
}
