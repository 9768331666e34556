import type { EventLog } from "./event-log";

// Where a subscriber starts: live from the head (no cursor), a replay from its cursor, or — when
// the events after its cursor are no longer all retained — a reset marker telling it to refetch
// state, after which it follows live from the head. A replay never silently skips.

export interface ResetMarker {
  type: "reset";
  reason: "cursor_expired" | "cursor_unknown";
  /** The cursor the client asked for. */
  requested_cursor: number;
  /** The oldest event still retained. */
  oldest_id: number;
  /** Where the subscriber continues from: events after this id follow. */
  cursor: number;
}

export type ReplayStart =
  | { kind: "live"; cursor: number }
  | { kind: "replay"; cursor: number }
  | { kind: "reset"; cursor: number; marker: ResetMarker };

/** How many events one replay read takes from SQLite before handing them to the subscriber. */
export const REPLAY_PAGE = 200;

export function replayStart(log: EventLog, requested: number | null): ReplayStart {
  const head = log.head();
  if (requested === null) return { kind: "live", cursor: head };
  const trimmedThrough = log.trimmedThrough();
  if (requested >= trimmedThrough && requested <= head)
    return { kind: "replay", cursor: requested };
  return {
    kind: "reset",
    cursor: head,
    marker: {
      type: "reset",
      reason: requested > head ? "cursor_unknown" : "cursor_expired",
      requested_cursor: requested,
      oldest_id: trimmedThrough + 1,
      cursor: head,
    },
  };
}
