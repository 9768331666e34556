import { makeZip, predictLength } from "client-zip";
import { ApiError } from "../../http/errors";
import type { WorkspaceClient } from "../../kernel/workspace-client";
import { ZIP_READ_HOLD_MS } from "./deletion-queue";
import type { FileEntry } from "./file-index";

// A directory as a ZIP, streamed as it is read from R2 (client-zip, stored entries: no
// compression, so the exact length is known before the first byte and the CPU cost is a CRC).
// The listing comes from the DO first, a page at a time (names, sizes, object keys: memory grows
// with the number of entries, never with their bytes); then the bytes are read one object after
// another by a lazy generator, so one R2 body is open at a time (a Worker may have six).
//
// Consistency: every page of the listing holds the workspace's R2 deletions (DeletionQueue), and
// the stream renews the hold while it runs, so a file deleted or overwritten after it was listed
// is still read whole, as it was. A change made while the listing is read may or may not be in
// the ZIP (pages are read one after another); a ZIP is never a mix of two versions of a file.

export const ZIP_PAGE = 1000;
/** A listing held in memory for the length and the central directory: bounded. */
export const ZIP_MAX_ENTRIES = 100_000;
const RENEW_EVERY_MS = ZIP_READ_HOLD_MS / 2;
/** Objects opened ahead of the one streaming (see zipInputs). */
export const ZIP_LOOKAHEAD = 3;

interface ZipEntry {
  /** Relative to the zipped directory; a directory's without the trailing '/'. */
  name: string;
  kind: "file" | "directory";
  size: number;
  lastModified: Date;
  objectKey: string | null;
}

type ZipPageRow = Pick<FileEntry, "path" | "kind" | "size" | "updated_at"> & {
  objectKey: string | null;
};

/** Lists what the ZIP of `directory` holds (404 if missing, 409 if a file). */
export async function zipListing(workspace: WorkspaceClient, directory: string) {
  const entries: ZipEntry[] = [];
  const prefix = directory === "" ? "" : `${directory}/`;
  let after: string | null = null;
  for (;;) {
    const cursor: string | null = after;
    const page: ZipPageRow[] = await workspace.files.zipPage(directory, cursor, ZIP_PAGE);
    for (const row of page) {
      entries.push({
        name: row.path.slice(prefix.length),
        kind: row.kind,
        size: row.size,
        lastModified: new Date(row.updated_at),
        objectKey: row.objectKey,
      });
    }
    if (entries.length > ZIP_MAX_ENTRIES) {
      throw new ApiError(
        "too_large",
        `the directory holds more than ${ZIP_MAX_ENTRIES} entries; ZIP a smaller directory`,
      );
    }
    if (page.length < ZIP_PAGE) return entries;
    after = page.at(-1)?.path ?? null;
  }
}

/** The ZIP's exact byte length, from names and sizes alone. */
export function zipLength(entries: ZipEntry[]): number {
  return Number(
    predictLength(
      entries.map((entry) =>
        entry.kind === "directory"
          ? { name: entry.name, lastModified: entry.lastModified }
          : { name: entry.name, lastModified: entry.lastModified, size: entry.size },
      ),
    ),
  );
}

/**
 * The ZIP's bytes, exactly `length` of them (a FixedLengthStream: the response carries a
 * Content-Length, and a stream that would not match it fails instead of lying).
 */
export function zipStream(
  bucket: R2Bucket,
  workspace: WorkspaceClient,
  entries: ZipEntry[],
  length: number,
): ReadableStream<Uint8Array> {
  const fixed = new FixedLengthStream(length);
  makeZip(zipInputs(bucket, workspace, entries))
    .pipeTo(fixed.writable)
    .catch((error: unknown) => {
      // The client sees the body end early (the Content-Length is not met): never a ZIP that
      // looks whole but is not.
      console.error("ZIP stream failed", error instanceof Error ? error.message : error);
    });
  return fixed.readable;
}

/**
 * The entries as client-zip inputs, in order. Each object is opened a few entries ahead of the
 * one being streamed (`ZIP_LOOKAHEAD`), so R2's latency is not paid once per file in sequence;
 * that keeps at most `ZIP_LOOKAHEAD + 1` bodies open, under the six connections a Worker may
 * hold, and an opened body not yet read buffers only what the network window holds.
 */
async function* zipInputs(bucket: R2Bucket, workspace: WorkspaceClient, entries: ZipEntry[]) {
  const needsObject = (entry: ZipEntry) =>
    entry.kind === "file" && entry.size > 0 && entry.objectKey !== null;
  const opened = new Map<number, Promise<R2ObjectBody | null>>();
  let next = 0; // the first entry not opened yet
  /** Opens the objects of entries `current` … `current + ZIP_LOOKAHEAD`. */
  const openThrough = (current: number) => {
    for (; next < entries.length && next <= current + ZIP_LOOKAHEAD; next++) {
      const entry = entries[next] as ZipEntry;
      if (!needsObject(entry)) continue;
      const promise = bucket.get(entry.objectKey as string);
      promise.catch(() => undefined); // awaited in turn; never an unhandled rejection
      opened.set(next, promise);
    }
  };

  let renewAt = Date.now() + RENEW_EVERY_MS;
  try {
    for (const [index, entry] of entries.entries()) {
      if (Date.now() >= renewAt) {
        await workspace.files.zipHold();
        renewAt = Date.now() + RENEW_EVERY_MS;
      }
      if (entry.kind === "directory") {
        yield { name: entry.name, lastModified: entry.lastModified };
        continue;
      }
      if (!needsObject(entry)) {
        yield { name: entry.name, lastModified: entry.lastModified, input: new Uint8Array(0) };
        continue;
      }
      openThrough(index);
      const object = await opened.get(index);
      opened.delete(index);
      if (!object) throw new Error(`the object of '${entry.name}' is missing from storage`);
      // client-zip reads this body to its end before it asks for the next entry.
      yield {
        name: entry.name,
        lastModified: entry.lastModified,
        input: object.body,
        size: entry.size,
      };
    }
  } finally {
    // The stream failed or was cancelled: close the bodies opened ahead.
    for (const promise of opened.values()) {
      promise.then((object) => object?.body.cancel()).catch(() => undefined);
    }
  }
}
