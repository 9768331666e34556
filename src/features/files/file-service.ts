import { ApiError, notFound } from "../../http/errors";
import type { WriteConditions } from "../../http/etag";
import type { Caller } from "../../kernel/caller";
import type { Emit } from "../../kernel/events";
import type { Kernel } from "../../kernel/kernel";
import { nowIso } from "../../lib/time";
import { AttachmentIndex } from "./attachments";
import { contentTypeFor } from "./content-types";
import { DeletionQueue, UNCOMMITTED_UPLOAD_GRACE_MS } from "./deletion-queue";
import { type FileEntry, FileIndex, type StoredObject } from "./file-index";
import { newObjectKey, putObject } from "./object-store";
import { assertWriteConditions } from "./preconditions";
import { workspaceQuotaBytes } from "./quota";

/** Any state of the path will do (a write that does not check what it replaces). */
export const UNCONDITIONAL: WriteConditions = { ifMatch: null, ifNoneMatch: null };

/**
 * The one way the workspace's files change: every upload (one-shot, multipart, signed, URL
 * import), the shell, and the agents' tools write through here, so each write checks the quota
 * and the conditions, names a new immutable object, switches the index row in one transaction
 * with its events, and queues the replaced object for deletion.
 */
export class FileService {
  readonly index: FileIndex;
  readonly deletions: DeletionQueue;
  readonly attachments: AttachmentIndex;

  constructor(private readonly kernel: Kernel) {
    this.index = new FileIndex(kernel.sql);
    this.deletions = new DeletionQueue(kernel.sql);
    this.attachments = new AttachmentIndex(kernel.sql);
  }

  get bucket(): R2Bucket {
    return this.kernel.env.FILES;
  }

  /** Files and attachments share the one quota. */
  assertQuota(addedBytes: number): void {
    if (addedBytes <= 0) return;
    const quota = workspaceQuotaBytes(this.kernel.env);
    const bytes = this.index.totals().bytes + this.attachments.totals().bytes;
    if (bytes + addedBytes > quota) {
      throw new ApiError(
        "quota_exceeded",
        `the workspace's files and attachments would take ${bytes + addedBytes} bytes; its quota is ${quota}`,
        { details: { used_bytes: bytes, quota_bytes: quota, requested_bytes: addedBytes } },
      );
    }
  }

  /** A file or directory's entry, with the object to read a file's bytes from. */
  stat(path: string) {
    const row = this.index.row(path);
    if (!row) throw notFound("file");
    return row;
  }

  /** The directory at `path` ("" is the root), or why it is not one. */
  assertDirectory(path: string): void {
    if (path === "") return;
    const directory = this.index.row(path);
    if (!directory) throw notFound("directory");
    if (directory.kind !== "directory") throw new ApiError("conflict", `'${path}' is a file`);
  }

  /**
   * Before a write's bytes are sent: checks the path, the conditions and the quota, and names
   * the new object, queued for deletion after a grace period in case the write never commits.
   */
  async prepareWrite(
    path: string,
    size: number,
    conditions: WriteConditions,
  ): Promise<{ objectKey: string }> {
    this.prepareWriteChecks(path, size, conditions);
    return { objectKey: await this.newPendingObject() };
  }

  /** What a write to `path` of `size` bytes must pass before its bytes are stored. */
  prepareWriteChecks(path: string, size: number, conditions: WriteConditions): void {
    const current = this.index.row(path);
    if (current?.kind === "directory") throw new ApiError("conflict", `'${path}' is a directory`);
    assertWriteConditions(current, conditions);
    this.assertQuota(size - (current?.size ?? 0));
  }

  /** A new object's key, deleted after the grace period unless something commits it. */
  async newPendingObject(): Promise<string> {
    const objectKey = newObjectKey(this.kernel.owner().workspaceId);
    const due = Date.now() + UNCOMMITTED_UPLOAD_GRACE_MS;
    this.deletions.queue([objectKey], due);
    await this.kernel.wakeAt(due);
    return objectKey;
  }

  /**
   * After the bytes are in R2: points the path at the new object in one transaction (creating
   * parent directories, appending the events, and whatever `alsoInTransaction` does) and queues
   * the replaced object for deletion. If the conditions no longer hold, or anything in the
   * transaction fails, the new object is queued for deletion instead.
   */
  async commitWrite(
    caller: Caller,
    path: string,
    object: StoredObject,
    conditions: WriteConditions,
    alsoInTransaction: () => void = () => undefined,
  ): Promise<{ entry: FileEntry; created: boolean }> {
    const now = Date.now();
    try {
      const result = this.kernel.commit(caller, (emit: Emit) => {
        const current = this.index.row(path);
        assertWriteConditions(current, conditions);
        this.assertQuota(object.size - (current?.size ?? 0));
        alsoInTransaction();
        const put = this.index.putFile(path, object, {
          now: new Date(now).toISOString(),
          author: caller.actor,
          emit,
        });
        this.deletions.keep(object.objectKey);
        if (put.replaced) this.deletions.queue([put.replaced], now);
        return put;
      });
      if (result.replaced) await this.kernel.wakeAt(now);
      return { entry: result.entry, created: result.created };
    } catch (error) {
      this.deletions.queue([object.objectKey], now);
      await this.kernel.wakeAt(now);
      throw error;
    }
  }

  /** A whole write from bytes in memory (the shell, the agents' tools): prepare, put, commit. */
  async writeBytes(
    caller: Caller,
    path: string,
    bytes: Uint8Array,
    conditions: WriteConditions = UNCONDITIONAL,
  ): Promise<{ entry: FileEntry; created: boolean }> {
    const { objectKey } = await this.prepareWrite(path, bytes.byteLength, conditions);
    const contentType = contentTypeFor(path);
    const { sha256 } = await putObject(
      this.bucket,
      objectKey,
      new Blob([bytes]).stream(),
      bytes.byteLength,
      contentType,
    );
    return this.commitWrite(
      caller,
      path,
      { objectKey, size: bytes.byteLength, sha256, contentType },
      conditions,
    );
  }

  async move(
    caller: Caller,
    input: { from: string; to: string; overwrite: boolean },
  ): Promise<FileEntry> {
    const now = Date.now();
    const { entry, freed } = this.kernel.commit(caller, (emit: Emit) => {
      const moved = this.index.move(input.from, input.to, input.overwrite, {
        now: new Date(now).toISOString(),
        author: caller.actor,
        emit,
      });
      this.deletions.queue(moved.freed, now);
      return moved;
    });
    if (freed.length > 0) await this.kernel.wakeAt(now);
    return entry;
  }

  /** Deletes a file, or a directory and everything in it (only with `recursive`). */
  async remove(caller: Caller, path: string, recursive: boolean): Promise<void> {
    const current = this.index.row(path);
    if (!current) throw notFound("file");
    if (current.kind === "directory" && !recursive) {
      throw new ApiError("conflict", `'${path}' is a directory; pass recursive=true to delete it`);
    }
    const now = Date.now();
    const freed = this.kernel.commit(caller, (emit: Emit) => {
      const keys = this.index.remove(path, { emit });
      this.deletions.queue(keys, now);
      return keys;
    });
    if (freed.length > 0) await this.kernel.wakeAt(now);
  }

  /** mkdir -p; answers the directory and whether it was created. */
  makeDirectory(caller: Caller, path: string): { entry: FileEntry; created: boolean } {
    const existed = this.index.row(path);
    if (existed?.kind === "file") throw new ApiError("conflict", `'${path}' is a file`);
    this.kernel.commit(caller, (emit: Emit) =>
      this.index.ensureDirectories(path, true, { now: nowIso(), author: caller.actor, emit }),
    );
    return { entry: this.index.get(path), created: !existed };
  }
}
