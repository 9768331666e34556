import { shellFileHost } from "../../features/commands/file-host";
import type { FileHost } from "../../features/commands/workspace-fs";
import type { Attachment, StoredAttachment } from "../../features/files/attachments";
import { contentTypeFor } from "../../features/files/content-types";
import { UNCOMMITTED_UPLOAD_GRACE_MS, ZIP_READ_HOLD_MS } from "../../features/files/deletion-queue";
import type { FileEntry } from "../../features/files/file-index";
import { newObjectKey, putObject } from "../../features/files/object-store";
import { type PathSearch, searchPaths } from "../../features/files/path-search";
import { normalizeDirectory, normalizePath, toolPath } from "../../features/files/paths";
import type { Caller } from "../../features/workspaces/workspace.types";
import { ApiError, notFound } from "../../http/errors";
import { TOOL_LIST_MAX, TOOL_TEXT_MAX, type WorkspaceFiles } from "../../models/workspace-tools";
import { type RpcResult, rpcBoundary } from "../rpc-errors";
import { nowIso } from "./core";
import { WorkspaceUploadRpc } from "./upload-rpc";

/** The file index (stat, move, delete, directories, search), attachments, ZIP pages, and the files as the agents' tools see them. */
export abstract class WorkspaceFileRpc extends WorkspaceUploadRpc {
  /** A file or directory's entry, with the object to read a file's bytes from. */
  fileStat(caller: Caller, path: string) {
    return rpcBoundary(() => {
      this.load(caller);
      const row = this.files.row(path);
      if (!row) throw notFound("file");
      return row;
    });
  }

  fileMove(
    caller: Caller,
    input: { from: string; to: string; overwrite: boolean },
  ): Promise<RpcResult<FileEntry>> {
    return rpcBoundary(async () => {
      const { record } = this.load(caller);
      const now = Date.now();
      const { entry, freed } = this.commit(caller, record.id, (emit) => {
        const moved = this.files.move(input.from, input.to, input.overwrite, {
          now: new Date(now).toISOString(),
          author: caller.actor,
          emit,
        });
        this.deletions.queue(moved.freed, now);
        return moved;
      });
      if (freed.length > 0) await this.wakeAt(now);
      return entry;
    });
  }

  /** Deletes a file, or a directory and everything in it (only with `recursive`). */
  fileDelete(caller: Caller, path: string, recursive: boolean): Promise<RpcResult<void>> {
    return rpcBoundary(async () => {
      const { record } = this.load(caller);
      const current = this.files.row(path);
      if (!current) throw notFound("file");
      if (current.kind === "directory" && !recursive) {
        throw new ApiError(
          "conflict",
          `'${path}' is a directory; pass recursive=true to delete it`,
        );
      }
      const now = Date.now();
      const freed = this.commit(caller, record.id, (emit) => {
        const keys = this.files.remove(path, { emit });
        this.deletions.queue(keys, now);
        return keys;
      });
      if (freed.length > 0) await this.wakeAt(now);
    });
  }

  /** mkdir -p; answers the directory and whether it was created. */
  makeDirectory(
    caller: Caller,
    path: string,
  ): Promise<RpcResult<{ entry: FileEntry; created: boolean }>> {
    return rpcBoundary(() => {
      const { record } = this.load(caller);
      const existed = this.files.row(path);
      if (existed?.kind === "file") throw new ApiError("conflict", `'${path}' is a file`);
      this.commit(caller, record.id, (emit) =>
        this.files.ensureDirectories(path, true, {
          now: nowIso(),
          author: caller.actor,
          emit,
        }),
      );
      return { entry: this.files.get(path), created: !existed };
    });
  }

  /** Glob search over the index (picomatch semantics), a page at a time. */
  searchPaths(caller: Caller, search: PathSearch) {
    return rpcBoundary(() => {
      this.load(caller);
      return searchPaths(this.files.entriesAfter(search.after), search);
    });
  }

  /** The entries directly inside a directory ("" is the root), by name. */
  listDirectory(caller: Caller, path: string, after: string | null, limit: number) {
    return rpcBoundary(() => {
      this.load(caller);
      if (path !== "") {
        const directory = this.files.row(path);
        if (!directory) throw notFound("directory");
        if (directory.kind !== "directory") throw new ApiError("conflict", `'${path}' is a file`);
      }
      return this.files.children(path, after, limit);
    });
  }

  /**
   * Before an attachment's bytes are sent: the quota, and a new object, queued for deletion
   * after a grace period in case the upload never commits (as for a file upload).
   */
  attachmentPrepare(caller: Caller, size: number): Promise<RpcResult<{ objectKey: string }>> {
    return rpcBoundary(async () => {
      const { record } = this.load(caller);
      this.assertQuota(size);
      const objectKey = newObjectKey(record.id);
      this.deletions.queue([objectKey], Date.now() + UNCOMMITTED_UPLOAD_GRACE_MS);
      await this.wakeAt(Date.now() + UNCOMMITTED_UPLOAD_GRACE_MS);
      return { objectKey };
    });
  }

  /** After the bytes are in R2: names and indexes the attachment, or queues its object to go. */
  attachmentCommit(caller: Caller, stored: StoredAttachment): Promise<RpcResult<Attachment>> {
    return rpcBoundary(async () => {
      const { record } = this.load(caller);
      const now = Date.now();
      try {
        return this.commit(caller, record.id, (emit) => {
          this.assertQuota(stored.size);
          const attachment = this.attachments.add(stored, {
            now: new Date(now).toISOString(),
            author: caller.actor,
            emit,
          });
          this.deletions.keep(stored.objectKey);
          return attachment;
        });
      } catch (error) {
        this.deletions.queue([stored.objectKey], now);
        await this.wakeAt(now);
        throw error;
      }
    });
  }

  /** An attachment with the object its bytes are in. */
  attachmentStat(caller: Caller, name: string) {
    return rpcBoundary(() => {
      this.load(caller);
      const row = this.attachments.row(name);
      if (!row) throw notFound("attachment");
      return row;
    });
  }

  attachmentList(caller: Caller, after: string | null, limit: number) {
    return rpcBoundary(() => {
      this.load(caller);
      return this.attachments.list(after, limit);
    });
  }

  attachmentDelete(caller: Caller, name: string): Promise<RpcResult<void>> {
    return rpcBoundary(async () => {
      const { record } = this.load(caller);
      const now = Date.now();
      this.commit(caller, record.id, (emit) => {
        this.deletions.queue([this.attachments.remove(name, { emit })], now);
      });
      await this.wakeAt(now);
    });
  }

  /**
   * A page of a directory's ZIP entries ("" is the root): everything below it, by path, after
   * `after`. Every page also holds deletions for `ZIP_READ_HOLD_MS`, so the objects listed stay
   * readable while the Worker streams them, even if their files are deleted meanwhile.
   */
  zipPage(caller: Caller, path: string, after: string | null, limit: number) {
    return rpcBoundary(() => {
      this.load(caller);
      if (path !== "" && after === null) {
        const directory = this.files.row(path);
        if (!directory) throw notFound("directory");
        if (directory.kind !== "directory") throw new ApiError("conflict", `'${path}' is a file`);
      }
      this.deletions.holdUntil(Date.now() + ZIP_READ_HOLD_MS);
      return this.files.entriesUnder(path, after, limit).map((entry) => ({
        path: entry.path,
        kind: entry.kind,
        size: entry.size,
        updated_at: entry.updated_at,
        objectKey: entry.objectKey,
      }));
    });
  }

  /** Renews the deletion hold of a ZIP still streaming (see `zipPage`). */
  zipHold(caller: Caller) {
    return rpcBoundary(() => {
      this.load(caller);
      this.deletions.holdUntil(Date.now() + ZIP_READ_HOLD_MS);
    });
  }

  /** The files as the built-in shell sees them: reads from the index and R2, writes by the files API's RPCs. */
  protected fileHost(caller: Caller): FileHost {
    return shellFileHost(this, this.files, this.env.FILES, caller);
  }

  /**
   * The workspace's files as a thread stream's tools use them, acting as the stream's caller.
   * Reads and writes take the files API's paths: a write is prepared (path, quota, an object
   * queued for deletion unless it commits), put to R2, and committed with its file events.
   */
  protected agentFiles(caller: Caller): WorkspaceFiles {
    const directoryOf = (raw: string) => {
      const path = normalizeDirectory(toolPath(raw));
      if (path !== "") {
        const row = this.files.row(path);
        if (!row) throw new Error(`no such directory: ${path}`);
        if (row.kind !== "directory") throw new Error(`'${path}' is a file`);
      }
      return path;
    };
    return {
      list: async (raw) => {
        this.load(caller);
        const entries = this.files.children(directoryOf(raw), null, TOOL_LIST_MAX + 1);
        return {
          entries: entries
            .slice(0, TOOL_LIST_MAX)
            .map(({ path, kind, size }) => ({ path, kind, size })),
          more: entries.length > TOOL_LIST_MAX,
        };
      },
      read: async (raw) => {
        this.load(caller);
        const path = normalizePath(toolPath(raw));
        const row = this.files.row(path);
        if (!row) throw new Error(`no such file: ${path}`);
        if (row.kind === "directory" || !row.objectKey) throw new Error(`'${path}' is a directory`);
        const object = await this.env.FILES.get(row.objectKey, {
          range: { offset: 0, length: TOOL_TEXT_MAX * 4 },
        });
        if (!object) throw new Error(`the bytes of '${path}' are missing`);
        const text = await object.text();
        const content = text.slice(0, TOOL_TEXT_MAX);
        return {
          path,
          size: row.size,
          content,
          truncated: content.length < text.length || row.size > TOOL_TEXT_MAX * 4,
        };
      },
      write: async (raw, content) => {
        const { record } = this.load(caller);
        const path = normalizePath(toolPath(raw));
        const bytes = new TextEncoder().encode(content);
        const current = this.files.row(path);
        if (current?.kind === "directory") throw new Error(`'${path}' is a directory`);
        this.assertQuota(bytes.byteLength - (current?.size ?? 0));
        const objectKey = newObjectKey(record.id);
        this.deletions.queue([objectKey], Date.now() + UNCOMMITTED_UPLOAD_GRACE_MS);
        await this.wakeAt(Date.now() + UNCOMMITTED_UPLOAD_GRACE_MS);
        const contentType = contentTypeFor(path);
        const { sha256 } = await putObject(
          this.env.FILES,
          objectKey,
          new Blob([bytes]).stream(),
          bytes.byteLength,
          contentType,
        );
        const { entry, created } = await this.commitUpload(
          caller,
          path,
          { objectKey, size: bytes.byteLength, sha256, contentType },
          { ifMatch: null, ifNoneMatch: null },
        );
        return { path: entry.path, size: entry.size, created };
      },
      search: async (glob) => {
        this.load(caller);
        const found = searchPaths(this.files.entriesAfter(null), {
          glob,
          maxDepth: null,
          after: null,
          limit: TOOL_LIST_MAX,
        });
        return { paths: found.items.map((entry) => entry.path), more: found.more };
      },
    };
  }
}
