import { notFound } from "../../http/errors";
import type { Caller } from "../../kernel/caller";
import type { Emit } from "../../kernel/events";
import { featureApi } from "../../kernel/feature-api";
import type { Kernel } from "../../kernel/kernel";
import type { StoredAttachment } from "./attachments";
import type { FileService } from "./file-service";

/** Attachments: immutable, named by the server, sharing the files' quota. */
export function attachmentsApi(kernel: Kernel, service: FileService) {
  const { attachments, deletions } = service;
  return featureApi({
    /** Before an attachment's bytes are sent: the quota, and a new object (see newPendingObject). */
    async prepare(_caller: Caller, size: number) {
      service.assertQuota(size);
      return { objectKey: await service.newPendingObject() };
    },

    /** After the bytes are in R2: names and indexes the attachment, or queues its object to go. */
    async commit(caller: Caller, stored: StoredAttachment) {
      const now = Date.now();
      try {
        return kernel.commit(caller, (emit: Emit) => {
          service.assertQuota(stored.size);
          const attachment = attachments.add(stored, {
            now: new Date(now).toISOString(),
            author: caller.actor,
            emit,
          });
          deletions.keep(stored.objectKey);
          return attachment;
        });
      } catch (error) {
        deletions.queue([stored.objectKey], now);
        await kernel.wakeAt(now);
        throw error;
      }
    },

    /** An attachment with the object its bytes are in. */
    stat(_caller: Caller, name: string) {
      const row = attachments.row(name);
      if (!row) throw notFound("attachment");
      return row;
    },

    list: (_caller: Caller, after: string | null, limit: number, skip = 0) =>
      attachments.list(after, limit, skip),

    async remove(caller: Caller, name: string) {
      const now = Date.now();
      kernel.commit(caller, (emit: Emit) => {
        deletions.queue([attachments.remove(name, { emit })], now);
      });
      await kernel.wakeAt(now);
    },
  });
}
