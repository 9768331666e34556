import type { Kernel } from "../../kernel/kernel";
import type { WorkspaceModule } from "../../kernel/module";
import { deletePrefix, workspacePrefix } from "../../lib/r2-prefix";
import { attachmentsApi } from "./attachments-api";
import { FILE_EVENTS } from "./events";
import { FileService } from "./file-service";
import { filesApi } from "./files-api";
import { abortInR2, MultipartUploads } from "./multipart-uploads";
import { deleteObjects } from "./object-store";
import { MIGRATIONS } from "./schema";
import { SignedUploads } from "./signed-uploads";
import { uploadsApi } from "./uploads-api";

/** The workspace's files, attachments and uploads; R2 holds the bytes, this module the index. */
export function filesModule(kernel: Kernel) {
  const service = new FileService(kernel);
  const multipart = new MultipartUploads(kernel.sql);
  const signed = new SignedUploads(kernel.sql);
  const { deletions, bucket } = service;

  /** Aborts the multipart uploads past their expiry; a failed abort is retried later. */
  async function abortExpiredUploads(now: number): Promise<void> {
    for (const upload of multipart.expired(now)) {
      try {
        await abortInR2(bucket, upload);
        multipart.remove(upload.uploadId);
      } catch (error) {
        console.error("could not abort an expired multipart upload; will retry", error);
        multipart.abortFailed(upload.uploadId, now);
      }
    }
    const next = multipart.nextExpiry();
    if (next !== null) await kernel.wakeAt(Math.max(next, now + 1000));
  }

  /** Deletes from R2 the objects whose time has come; failures are retried with backoff. */
  async function deleteDueObjects(now: number): Promise<void> {
    const keys = deletions.due(now);
    if (keys.length > 0) {
      try {
        await deleteObjects(bucket, keys);
        deletions.done(keys);
      } catch (error) {
        console.error("could not delete R2 objects; will retry", error);
        deletions.failed(keys, now);
      }
    }
    const next = deletions.nextDue();
    if (next !== null) await kernel.wakeAt(Math.max(next, now + 1000));
  }

  const apis = {
    files: filesApi(kernel, service),
    attachments: attachmentsApi(kernel, service),
    uploads: uploadsApi(kernel, service, multipart, signed),
  };
  const module: WorkspaceModule = {
    name: "files",
    migrations: MIGRATIONS,
    events: FILE_EVENTS,
    apis,
    async onAlarm(now) {
      await abortExpiredUploads(now);
      await deleteDueObjects(now);
    },
    async onPurge() {
      // Parts of unfinished uploads are not objects yet: a prefix delete would not see them.
      for (const upload of multipart.all()) {
        await abortInR2(bucket, upload).catch((error) =>
          console.error("could not abort a multipart upload; R2's lifecycle rule will", error),
        );
      }
      await deletePrefix(bucket, workspacePrefix(kernel.owner().workspaceId));
      signed.forgetKey();
    },
    counts() {
      const { attachments, bytes } = service.attachments.totals();
      return { ...service.index.totals(), attachments, attachment_bytes: bytes };
    },
  };
  return { module, service, apis };
}
