import { ApiError } from "../../http/errors";
import type { WriteConditions } from "../../http/etag";
import type { Caller } from "../../kernel/caller";
import { featureApi } from "../../kernel/feature-api";
import type { Kernel } from "../../kernel/kernel";
import { UNCOMMITTED_UPLOAD_GRACE_MS } from "./deletion-queue";
import type { StoredObject } from "./file-index";
import { type FileService, UNCONDITIONAL } from "./file-service";
import {
  abortInR2,
  checkPartList,
  describeUpload,
  MULTIPART_TTL_MS,
  type MultipartUpload,
  type MultipartUploads,
  newUploadId,
  PART_SIZE_MAX,
  type UploadedPart,
} from "./multipart-uploads";
import { newObjectKey } from "./object-store";
import type { SignedUploads, UploadGrant } from "./signed-uploads";

/** Large uploads: multipart (parts in any order) and signed URLs, each committed as any write. */
export function uploadsApi(
  kernel: Kernel,
  service: FileService,
  multipart: MultipartUploads,
  signed: SignedUploads,
) {
  const { index, deletions, bucket } = service;

  /** A part of `size` bytes fits R2's limit, the upload's declared size and the quota. */
  function assertPartFits(upload: MultipartUpload, partNumber: number, size: number): void {
    if (size > PART_SIZE_MAX) {
      throw new ApiError("too_large", `a part may be at most ${PART_SIZE_MAX} bytes`);
    }
    const total = multipart.totalWithPart(upload, partNumber, size);
    if (upload.declaredSize !== null && total > upload.declaredSize) {
      throw new ApiError(
        "too_large",
        `the parts would hold ${total} bytes; the upload declared ${upload.declaredSize}`,
      );
    }
    service.assertQuota(total - (index.row(upload.path)?.size ?? 0));
  }

  return featureApi(
    {
      /**
       * Starts a multipart upload: names the object, opens the R2 multipart upload and records
       * it (with its expiry, when the alarm aborts it). A declared size is checked against the
       * quota.
       */
      async create(
        caller: Caller,
        input: { path: string; contentType: string; declaredSize: number | null },
      ) {
        // Any conditions are checked at completion; an undeclared size is checked part by part.
        service.prepareWriteChecks(input.path, input.declaredSize ?? 0, UNCONDITIONAL);
        const now = Date.now();
        const objectKey = newObjectKey(kernel.owner().workspaceId);
        const r2 = await bucket.createMultipartUpload(objectKey, {
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
        multipart.insert(upload);
        // Completed in R2 but never committed (a crash in between): the object is deleted later.
        deletions.queue([objectKey], upload.expiresAt + UNCOMMITTED_UPLOAD_GRACE_MS);
        await kernel.wakeAt(upload.expiresAt);
        return describeUpload({ ...upload, state: "open", bytesReceived: 0 });
      },

      /**
       * Before a part's bytes are sent: the upload must be open, and the bytes it would then
       * hold within its declared size and the quota. Answers where the Worker streams it.
       */
      preparePart(_caller: Caller, uploadId: string, partNumber: number, size: number) {
        const upload = multipart.open(uploadId, Date.now());
        assertPartFits(upload, partNumber, size);
        return { objectKey: upload.objectKey, r2UploadId: upload.r2UploadId };
      },

      /** After R2 accepted a part: records it (checked again: parts may arrive side by side). */
      recordPart(_caller: Caller, uploadId: string, part: UploadedPart) {
        const upload = multipart.open(uploadId, Date.now());
        assertPartFits(upload, part.part_number, part.size);
        multipart.recordPart(uploadId, part);
        return part;
      },

      /**
       * Assembles the parts in R2 and commits the file like any write (conditions and quota
       * checked before and again at commit). The upload is marked as completing meanwhile, so a
       * second completion is a 409 and, once done, a 404. If the commit is refused the upload is
       * over (its object is deleted); if R2 refuses, it stays open for another try.
       */
      async complete(
        caller: Caller,
        uploadId: string,
        parts: readonly { part_number: number; etag: string }[],
        conditions: WriteConditions,
      ) {
        const upload = multipart.open(uploadId, Date.now());
        const size = checkPartList(parts, multipart.parts(uploadId));
        service.prepareWriteChecks(upload.path, size, conditions);
        multipart.setState(uploadId, "completing");
        let assembled: R2Object;
        try {
          assembled = await bucket
            .resumeMultipartUpload(upload.objectKey, upload.r2UploadId)
            .complete(parts.map((part) => ({ partNumber: part.part_number, etag: part.etag })));
        } catch (error) {
          multipart.setState(uploadId, "open");
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
          return await service.commitWrite(caller, upload.path, object, conditions, () =>
            multipart.remove(uploadId),
          );
        } catch (error) {
          multipart.remove(uploadId);
          throw error;
        }
      },

      /** Aborts an open upload: R2 drops its parts, and the record goes. */
      async abort(_caller: Caller, uploadId: string) {
        const upload = multipart.open(uploadId, Date.now());
        await abortInR2(bucket, upload);
        multipart.remove(uploadId);
      },

      /** Issues a signed upload URL's nonce and signature for `path` (not for a directory). */
      createSigned(
        caller: Caller,
        input: { path: string; maxSize: number; expires: number; contentType: string | null },
      ) {
        if (index.row(input.path)?.kind === "directory") {
          throw new ApiError("conflict", `'${input.path}' is a directory`);
        }
        return signed.issue(
          kernel.owner().workspaceId,
          input,
          { accountId: caller.accountId, actor: caller.actor },
          Date.now(),
        );
      },

      /**
       * Checks a signed URL (no caller: the URL is the credential); answers who issued it. A URL
       * of a deleted workspace, or of one whose owner changed, is refused like a bad signature.
       */
      async verifySigned(_caller: Caller | null, grant: UploadGrant) {
        const refused = new ApiError("forbidden", "the upload URL is not valid");
        if (!kernel.initialized) throw refused;
        const holder = await signed.verify(grant, Date.now());
        try {
          kernel.check({ accountId: holder.accountId, actor: holder.actor });
        } catch {
          throw refused;
        }
        return holder;
      },

      /** Commits a signed URL's upload, using the URL up in the same transaction. */
      commitSigned: (
        caller: Caller,
        nonce: string,
        path: string,
        object: StoredObject,
        conditions: WriteConditions,
      ) =>
        service.commitWrite(caller, path, object, conditions, () =>
          signed.consume(nonce, Date.now()),
        ),
    },
    { unchecked: ["verifySigned"] },
  );
}
