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
  /** Yield after this many commands. */
  sliceCommands: number;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class ShellPacer {
  /** The work of the stretches already ended by a wait. */
  private workedMs = 0;
  /** When the current stretch of work began (the end of the last wait). */
  private workStart: number;
  /** The commands run since the shell last yielded. */
  private commandsSinceYield = 0;
  /** How many waits (a yield, a file-service call) are under way; while any is, no work counts. */
  private waiting = 0;
  private exceeded = false;

  constructor(
    private readonly limits: PaceLimits,
    /** Called once, from inside the interpreter's turn, when the budget is used up. */
    private readonly onExceeded: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.workStart = now();
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
   * A point where the shell may wait: after a slice of commands it lets the event loop run
   * first. Commands, not milliseconds: Workers' clocks do not advance during CPU work, and
   * where they do (wrangler dev) a yield for time is costly — a timer comes back only once
   * workerd's loop is idle (it runs ready I/O first), 1.5 s on average under a process tick,
   * which made 32 concurrent trivial command tasks take 21 ms a task instead of 4.
   */
  async pace(): Promise<void> {
    this.checkBudget();
    if (this.commandsSinceYield < this.limits.sliceCommands) return;
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
