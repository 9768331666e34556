import { abortInR2 } from "../features/files/multipart-uploads";
import { deleteObjects } from "../features/files/object-store";
import { parseRecord } from "../features/workspaces/workspace-record";
import { deletePrefix, workspacePrefix } from "../lib/r2-prefix";
import { WorkspaceEventRpc } from "./layers/event-rpc";

/**
 * One Durable Object per workspace: the source of truth for the workspace record and
 * everything inside it. The Worker authenticates; this class trusts the caller's account id
 * and refuses (as "not found") any call that names an account other than the owner.
 *
 * Its RPC surface is built in layers, one concern per file under ./do/, each extending the
 * one before (workerd serves the methods a class inherits): core (storage, the parts, commit)
 * → record → uploads → files → threads → activity (processes, commands, agents) → events.
 * This class adds the alarm, which serves them all.
 */
export class WorkspaceDO extends WorkspaceEventRpc {
  /**
   * Finishes a delete: R2 objects first, then every row of this DO (the alarm retries on
   * failure). For a live workspace, trims the event log and sets the next trim.
   */
  async alarm(): Promise<void> {
    this.trimArmed = false;
    if (!this.initialized) return;
    const row = this.sql.exec("SELECT deleted, record FROM workspace").toArray()[0];
    if (row?.deleted !== 1) {
      this.log.trim(this.config.retention, Date.now());
      await this.threadStreams.onAlarm(Date.now());
      await this.abortExpiredUploads();
      await this.deleteDueObjects();
      await this.armTrim();
      // Last: a tick runs the tasks it starts to their end, which may take a while.
      await this.tickProcesses();
      return;
    }
    const record = parseRecord(String(row.record));
    // Parts of unfinished uploads are not objects yet: a prefix delete would not see them.
    for (const upload of this.multipart.all()) {
      await abortInR2(this.env.FILES, upload).catch((error) =>
        console.error("could not abort a multipart upload; R2's lifecycle rule will", error),
      );
    }
    await deletePrefix(this.env.FILES, workspacePrefix(record.id));
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.signedUploads.forgetKey();
    this.initialized = false;
    this.forgetRow();
    this.log.forgetHead();
  }

  /** Aborts the multipart uploads past their expiry; a failed abort is retried later. */
  private async abortExpiredUploads(): Promise<void> {
    const now = Date.now();
    for (const upload of this.multipart.expired(now)) {
      try {
        await abortInR2(this.env.FILES, upload);
        this.multipart.remove(upload.uploadId);
      } catch (error) {
        console.error("could not abort an expired multipart upload; will retry", error);
        this.multipart.abortFailed(upload.uploadId, now);
      }
    }
    const next = this.multipart.nextExpiry();
    if (next !== null) await this.wakeAt(Math.max(next, now + 1000));
  }

  /** Deletes from R2 the objects whose time has come; failures are retried with backoff. */
  private async deleteDueObjects(): Promise<void> {
    const now = Date.now();
    const keys = this.deletions.due(now);
    if (keys.length > 0) {
      try {
        await deleteObjects(this.env.FILES, keys);
        this.deletions.done(keys);
      } catch (error) {
        console.error("could not delete R2 objects; will retry", error);
        this.deletions.failed(keys, now);
      }
    }
    const next = this.deletions.nextDue();
    if (next !== null) await this.wakeAt(Math.max(next, now + 1000));
  }

  /** One tick of the process engine, then the alarm for its next due task (if any). */
  private async tickProcesses(): Promise<void> {
    let next: number | null = null;
    try {
      next = await this.engine.tick();
    } catch (error) {
      console.error("the process engine's tick failed; will retry", error);
      next = Date.now() + 1000;
    }
    if (next !== null) await this.wakeAt(Math.max(next, Date.now()));
  }
}
