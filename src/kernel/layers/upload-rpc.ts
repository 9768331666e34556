import { UNCOMMITTED_UPLOAD_GRACE_MS } from "../../features/files/deletion-queue";
import type { FileEntry, StoredObject } from "../../features/files/file-index";
import {
  abortInR2,
  checkPartList,
  describeUpload,
  MULTIPART_TTL_MS,
  type MultipartUpload,
  type MultipartUploadBody,
  newUploadId,
  PART_SIZE_MAX,
  type UploadedPart,
} from "../../features/files/multipart-uploads";
import { newObjectKey } from "../../features/files/object-store";
import { assertWriteConditions, type WriteConditions } from "../../features/files/preconditions";
import type { UploadGrant, UploadHolder } from "../../features/files/signed-uploads";
import type { Caller } from "../../features/workspaces/workspace.types";
import { ApiError } from "../../http/errors";
import { type RpcResult, rpcBoundary } from "../rpc-errors";
import { WorkspaceRecordRpc } from "./record-rpc";

/** Uploads: one-shot, multipart and signed URLs, each committed by `commitUpload`. */
export abstract class WorkspaceUploadRpc extends WorkspaceRecordRpc {
  /**
   * Before an upload's bytes are sent: checks the path, the conditions and the quota, and names
   * the new object. The object is queued for deletion after a grace period in case the upload
   * never commits.
   */
  filePrepareUpload(
    caller: Caller,
    path: string,
    size: number,
    conditions: WriteConditions,
  ): Promise<RpcResult<{ objectKey: string }>> {
    return rpcBoundary(async () => {
      const { record } = this.load(caller);
      const current = this.files.row(path);
      if (current?.kind === "directory") throw new ApiError("conflict", `'${path}' is a directory`);
      assertWriteConditions(current, conditions);
      this.assertQuota(size - (current?.size ?? 0));
      const objectKey = newObjectKey(record.id);
      this.deletions.queue([objectKey], Date.now() + UNCOMMITTED_UPLOAD_GRACE_MS);
      await this.wakeAt(Date.now() + UNCOMMITTED_UPLOAD_GRACE_MS);
      return { objectKey };
    });
  }

  /**
   * After the bytes are in R2: points the path at the new object in one transaction (creating
   * parent directories, appending the events) and queues the replaced object for deletion. If
   * the conditions no longer hold, the new object is queued for deletion instead.
   */
  fileCommitUpload(
    caller: Caller,
    path: string,
    object: StoredObject,
    conditions: WriteConditions,
  ): Promise<RpcResult<{ entry: FileEntry; created: boolean }>> {
    return rpcBoundary(() => this.commitUpload(caller, path, object, conditions));
  }

  /**
   * Starts a multipart upload: names the object, opens the R2 multipart upload and records it
   * (with its expiry, when the alarm aborts it). A declared size is checked against the quota.
   */
  multipartCreate(
    caller: Caller,
    input: { path: string; contentType: string; declaredSize: number | null },
  ): Promise<RpcResult<MultipartUploadBody>> {
    return rpcBoundary(async () => {
      const { record } = this.load(caller);
      const current = this.files.row(input.path);
      if (current?.kind === "directory") {
        throw new ApiError("conflict", `'${input.path}' is a directory`);
      }
      if (input.declaredSize !== null) {
        this.assertQuota(input.declaredSize - (current?.size ?? 0));
      }
      const now = Date.now();
      const objectKey = newObjectKey(record.id);
      const r2 = await this.env.FILES.createMultipartUpload(objectKey, {
        httpMetadata: { contentType: input.contentType },
      });
      const upload = {
        uploadId: newUploadId(),
        path: input.path,
        objectKey,
        r2UploadId: r2.uploadId,
        contentType: input.contentType,
        author: caller.actor,
        declaredSize: input.declaredSize,
        createdAt: now,
        expiresAt: now + MULTIPART_TTL_MS,
      };
      this.multipart.insert(upload);
      // Completed in R2 but never committed (a crash in between): the object is deleted later.
      this.deletions.queue([objectKey], upload.expiresAt + UNCOMMITTED_UPLOAD_GRACE_MS);
      await this.wakeAt(upload.expiresAt);
      return describeUpload({ ...upload, state: "open", bytesReceived: 0 });
    });
  }

  /**
   * Before a part's bytes are sent: the upload must be open, and the bytes it would then hold
   * within its declared size and the workspace's quota. Answers where the Worker streams it.
   */
  multipartPreparePart(
    caller: Caller,
    uploadId: string,
    partNumber: number,
    size: number,
  ): Promise<RpcResult<{ objectKey: string; r2UploadId: string }>> {
    return rpcBoundary(() => {
      this.load(caller);
      const upload = this.multipart.open(uploadId, Date.now());
      this.assertPartFits(upload, partNumber, size);
      return { objectKey: upload.objectKey, r2UploadId: upload.r2UploadId };
    });
  }

  /** After R2 accepted a part: records it (checked again: parts may arrive side by side). */
  multipartRecordPart(
    caller: Caller,
    uploadId: string,
    part: UploadedPart,
  ): Promise<RpcResult<UploadedPart>> {
    return rpcBoundary(() => {
      this.load(caller);
      const upload = this.multipart.open(uploadId, Date.now());
      this.assertPartFits(upload, part.part_number, part.size);
      this.multipart.recordPart(uploadId, part);
      return part;
    });
  }

  /**
   * Assembles the parts in R2 and commits the file like any upload (conditions and quota
   * checked before and again at commit). The upload is marked as completing meanwhile, so a
   * second completion is a 409 and, once done, a 404. If the commit is refused the upload is
   * over (its object is deleted); if R2 refuses, it stays open for another try.
   */
  multipartComplete(
    caller: Caller,
    uploadId: string,
    parts: readonly { part_number: number; etag: string }[],
    conditions: WriteConditions,
  ): Promise<RpcResult<{ entry: FileEntry; created: boolean }>> {
    return rpcBoundary(async () => {
      this.load(caller);
      const upload = this.multipart.open(uploadId, Date.now());
      const size = checkPartList(parts, this.multipart.parts(uploadId));
      const current = this.files.row(upload.path);
      if (current?.kind === "directory") {
        throw new ApiError("conflict", `'${upload.path}' is a directory`);
      }
      assertWriteConditions(current, conditions);
      this.assertQuota(size - (current?.size ?? 0));
      this.multipart.setState(uploadId, "completing");
      let assembled: R2Object;
      try {
        assembled = await this.env.FILES.resumeMultipartUpload(
          upload.objectKey,
          upload.r2UploadId,
        ).complete(parts.map((part) => ({ partNumber: part.part_number, etag: part.etag })));
      } catch (error) {
        this.multipart.setState(uploadId, "open");
        throw error;
      }
      // No SHA-256 was streamed (parts arrive in any order): the etag is R2's multipart etag.
      const object = {
        objectKey: upload.objectKey,
        size: assembled.size,
        sha256: assembled.etag,
        contentType: upload.contentType,
      };
      try {
        return await this.commitUpload(caller, upload.path, object, conditions, () =>
          this.multipart.remove(uploadId),
        );
      } catch (error) {
        this.multipart.remove(uploadId);
        throw error;
      }
    });
  }

  /** Aborts an open upload: R2 drops its parts, and the record goes. */
  multipartAbort(caller: Caller, uploadId: string): Promise<RpcResult<void>> {
    return rpcBoundary(async () => {
      this.load(caller);
      const upload = this.multipart.open(uploadId, Date.now());
      await abortInR2(this.env.FILES, upload);
      this.multipart.remove(uploadId);
    });
  }

  /** Issues a signed upload URL's nonce and signature for `path` (not for a directory). */
  signedUploadCreate(
    caller: Caller,
    input: { path: string; maxSize: number; expires: number; contentType: string | null },
  ): Promise<RpcResult<UploadGrant>> {
    return rpcBoundary(() => {
      const { record } = this.load(caller);
      if (this.files.row(input.path)?.kind === "directory") {
        throw new ApiError("conflict", `'${input.path}' is a directory`);
      }
      return this.signedUploads.issue(
        record.id,
        input,
        { accountId: caller.accountId, actor: caller.actor },
        Date.now(),
      );
    });
  }

  /**
   * Checks a signed URL (no caller: the URL is the credential); answers who issued it. A URL of
   * a deleted workspace, or of one whose owner changed, is refused like a bad signature.
   */
  signedUploadVerify(grant: UploadGrant): Promise<RpcResult<UploadHolder>> {
    return rpcBoundary(async () => {
      if (!this.initialized) throw new ApiError("forbidden", "the upload URL is not valid");
      const holder = await this.signedUploads.verify(grant, Date.now());
      try {
        this.load({ accountId: holder.accountId, actor: holder.actor });
      } catch {
        throw new ApiError("forbidden", "the upload URL is not valid");
      }
      return holder;
    });
  }

  /** Commits a signed URL's upload, using the URL up in the same transaction. */
  signedUploadCommit(
    caller: Caller,
    nonce: string,
    path: string,
    object: StoredObject,
    conditions: WriteConditions,
  ): Promise<RpcResult<{ entry: FileEntry; created: boolean }>> {
    return rpcBoundary(() =>
      this.commitUpload(caller, path, object, conditions, () =>
        this.signedUploads.consume(nonce, Date.now()),
      ),
    );
  }

  /**
   * After the bytes are in R2: points the path at the new object in one transaction (creating
   * parent directories, appending the events, and whatever `alsoInTransaction` does) and queues
   * the replaced object for deletion. If the conditions no longer hold, or anything in the
   * transaction fails, the new object is queued for deletion instead.
   */
  protected async commitUpload(
    caller: Caller,
    path: string,
    object: StoredObject,
    conditions: WriteConditions,
    alsoInTransaction: () => void = () => undefined,
  ): Promise<{ entry: FileEntry; created: boolean }> {
    const { record } = this.load(caller);
    const now = Date.now();
    try {
      const result = this.commit(caller, record.id, (emit) => {
        const current = this.files.row(path);
        assertWriteConditions(current, conditions);
        this.assertQuota(object.size - (current?.size ?? 0));
        alsoInTransaction();
        const put = this.files.putFile(path, object, {
          now: new Date(now).toISOString(),
          author: caller.actor,
          emit,
        });
        this.deletions.keep(object.objectKey);
        if (put.replaced) this.deletions.queue([put.replaced], now);
        return put;
      });
      if (result.replaced) await this.wakeAt(now);
      return { entry: result.entry, created: result.created };
    } catch (error) {
      this.deletions.queue([object.objectKey], now);
      await this.wakeAt(now);
      throw error;
    }
  }

  /** A part of `size` bytes fits R2's limit, the upload's declared size and the quota. */
  private assertPartFits(upload: MultipartUpload, partNumber: number, size: number): void {
    if (size > PART_SIZE_MAX) {
      throw new ApiError("too_large", `a part may be at most ${PART_SIZE_MAX} bytes`);
    }
    const total = this.multipart.totalWithPart(upload, partNumber, size);
    if (upload.declaredSize !== null && total > upload.declaredSize) {
      throw new ApiError(
        "too_large",
        `the parts would hold ${total} bytes; the upload declared ${upload.declaredSize}`,
      );
    }
    this.assertQuota(total - (this.files.row(upload.path)?.size ?? 0));
  }
}
