import type {
  EventId,
  EventStore,
  StreamId,
} from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

// The SDK transport's resumability store, in the DO's SQLite: every message the server sends
// on a session's SSE streams, numbered by one sequence (the SSE `id:`), so a client that
// reconnects with Last-Event-ID gets what it missed on that stream — across the object's
// eviction too. The transport calls it; nothing else writes here but `append` (a notification
// for a session whose transport is not in memory, kept for its next GET).

/** The SDK's name of a session's standalone (GET) stream: where unrelated notifications go. */
export const STANDALONE_STREAM = "_GET_stream";

export class MessageLog {
  constructor(private readonly sql: SqlStorage) {}

  /** The transport's view of one session's messages. */
  forSession(sessionId: string, muted: () => boolean): EventStore {
    return {
      storeEvent: async (streamId: StreamId, message: JSONRPCMessage): Promise<EventId> =>
        // A replayed `initialize` (a session rebuilt on wake) was answered long ago.
        muted() ? "0" : this.append(sessionId, streamId, message),
      getStreamIdForEventId: async (eventId: EventId) => this.streamOf(sessionId, eventId),
      replayEventsAfter: async (eventId, { send }) => {
        const streamId = this.streamOf(sessionId, eventId);
        if (streamId === undefined) throw new Error(`unknown event id ${eventId}`);
        for (const row of this.sql.exec(
          `SELECT seq, message FROM mcp_messages
           WHERE session_id = ? AND stream_id = ? AND seq > ? ORDER BY seq`,
          sessionId,
          streamId,
          Number(eventId),
        )) {
          const message = JSON.parse(String(row.message));
          // A priming event (no message, only an id) is not sent again.
          if (Object.keys(message).length > 0) await send(String(row.seq), message);
        }
        return streamId;
      },
    };
  }

  append(sessionId: string, streamId: string, message: JSONRPCMessage | object): string {
    const row = this.sql
      .exec(
        `INSERT INTO mcp_messages (session_id, stream_id, message, created_at)
         VALUES (?, ?, ?, ?) RETURNING seq`,
        sessionId,
        streamId,
        JSON.stringify(message),
        Date.now(),
      )
      .one();
    return String(row.seq);
  }

  private streamOf(sessionId: string, eventId: string): string | undefined {
    if (!/^\d{1,15}$/.test(eventId)) return undefined;
    const row = this.sql
      .exec(
        "SELECT stream_id FROM mcp_messages WHERE session_id = ? AND seq = ?",
        sessionId,
        Number(eventId),
      )
      .toArray()[0];
    return row ? String(row.stream_id) : undefined;
  }

  /** Keeps each session's newest `keep` messages. */
  trim(keep: number): void {
    this.sql.exec(
      `DELETE FROM mcp_messages WHERE seq IN (
         SELECT seq FROM (
           SELECT seq, row_number() OVER (PARTITION BY session_id ORDER BY seq DESC) AS n
           FROM mcp_messages
         ) WHERE n > ?
       )`,
      keep,
    );
  }

  forget(sessionId: string): void {
    this.sql.exec("DELETE FROM mcp_messages WHERE session_id = ?", sessionId);
  }
}
