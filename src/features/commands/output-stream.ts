import { encodeSse, sseComment, sseFrame } from "../events/sse";
import type { Execution, OutputChunk } from "./command.schemas";
import type { ExecutionStore } from "./executions";

// Reading an execution's output: what is stored after the cursor, then live until the
// execution ends, in one of two formats.
// - ndjson (`…/output`): one JSON object a line, `{"seq","stream","data"}`, and last
//   `{"end":true,"execution":{…}}`.
// - sse (`…/events`): `event: output` frames with `id: <seq>` and data `{"stream","data"}`, and
//   last `event: end` with the execution; resume with Last-Event-ID (or ?cursor=) = a seq.
// The replay and the switch to live happen in one synchronous turn, so no chunk is missed or
// sent twice.

export type OutputFormat = "ndjson" | "sse";

const HEARTBEAT_MS = 15_000;
const REPLAY_PAGE = 256;
const encoder = new TextEncoder();

const chunkText = (format: OutputFormat, chunk: OutputChunk) =>
  format === "ndjson"
    ? `${JSON.stringify(chunk)}\n`
    : sseFrame({
        event: "output",
        id: chunk.seq,
        data: JSON.stringify({ stream: chunk.stream, data: chunk.data }),
      });

const endText = (format: OutputFormat, execution: Execution) =>
  format === "ndjson"
    ? `${JSON.stringify({ end: true, execution })}\n`
    : sseFrame({ event: "end", data: JSON.stringify(execution) });

export function openOutput(
  store: ExecutionStore,
  execution: Execution,
  format: OutputFormat,
  after: number,
  finished: boolean,
): ReadableStream<Uint8Array> {
  let stop: () => void = () => undefined;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (text: string) => controller.enqueue(encoder.encode(text));
      let cursor = after;
      for (;;) {
        const page = store.chunks(execution.id, cursor, REPLAY_PAGE);
        for (const chunk of page) send(chunkText(format, chunk));
        cursor = page.at(-1)?.seq ?? cursor;
        if (page.length < REPLAY_PAGE) break;
      }
      if (finished) {
        send(endText(format, store.get(execution.id)));
        controller.close();
        return;
      }
      const heartbeat =
        format === "sse"
          ? setInterval(() => controller.enqueue(encodeSse(sseComment("heartbeat"))), HEARTBEAT_MS)
          : null;
      const unlisten = store.listen(execution.id, {
        chunk: (chunk) => {
          if (chunk.seq > cursor) send(chunkText(format, chunk));
        },
        end: (ended) => {
          stop();
          send(endText(format, ended));
          controller.close();
        },
      });
      stop = () => {
        if (heartbeat) clearInterval(heartbeat);
        unlisten();
      };
    },
    cancel() {
      stop();
    },
  });
}
