// A tick gives the event loop a turn (a timer) after every slice of attempts it starts. Tasks
// that never wait — `true` on the built-in shell (its pacer yields only after a slice of
// commands), with SQL synchronous — otherwise make the tick one uninterrupted turn of the
// isolate for the whole run, 5 s for 1,000 of them: no request to any workspace it hosts is
// served meanwhile, and workerd closes a kept-alive connection idle for about that long — the
// timeout fires first when the loop comes back, so a request sent on it meanwhile is dropped
// (wrangler dev's proxy then holds that GET until some other request reaches it: a hang).
// Attempts, not milliseconds: a Worker's clock stands still during CPU work.

/** The attempts a tick starts between two turns of the event loop. */
export const ATTEMPTS_PER_TURN = 100;

const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class TickTurns {
  /** Attempts started since the event loop last ran. */
  private sinceTurn = 0;

  /** An attempt was claimed. */
  started(): void {
    this.sinceTurn++;
  }

  /**
   * Before a pass: after a slice of attempts, the event loop runs first (the requests and I/O
   * waiting since). A poke meanwhile is not lost: the pass comes next and looks.
   */
  async take(): Promise<void> {
    if (this.sinceTurn < ATTEMPTS_PER_TURN) return;
    this.sinceTurn = 0;
    await nextTurn();
  }
}
