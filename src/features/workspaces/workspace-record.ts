import { ApiError } from "../../http/errors";
import { randomToken } from "../../lib/crypto";
import { isPlainObject, mergePatch } from "../../lib/merge";
import {
  type CreateWorkspaceInput,
  checkMergedSize,
  type PatchWorkspaceInput,
  type ReplaceWorkspaceInput,
  type Workspace,
} from "./workspace.schemas";

// Pure functions from a request to the next workspace record. They never touch storage,
// so create, PUT and PATCH share one definition of defaults and of what a field may hold.

const newEtag = () => randomToken(9);

type Defaults = Omit<
  Workspace,
  | "id"
  | "account_id"
  | "slug"
  | "name"
  | "status"
  | "error_reason"
  | "etag"
  | "created_at"
  | "updated_at"
  | "last_activity_at"
  | "stopped_at"
  | "archived_at"
>;

/** The writable fields of a workspace; what a request leaves out (or sets null) is the default. */
function writableFrom(input: CreateWorkspaceInput | ReplaceWorkspaceInput): Defaults {
  return {
    description: input.description ?? null,
    mode: input.mode ?? null,
    color: input.color ?? null,
    tags: input.tags ?? [],
    metadata: input.metadata ?? {},
    config: input.config ?? {},
    template_id: input.template_id ?? null,
    template_version: input.template_version ?? null,
    repo_path: input.repo_path ?? null,
    branch: input.branch ?? null,
    cwd: input.cwd ?? null,
    machine_id: input.machine_id ?? null,
    orchestrator_role: input.orchestrator_role ?? null,
  };
}

export function newWorkspaceRecord(
  ids: { id: string; accountId: string; slug: string },
  input: CreateWorkspaceInput,
  now: string,
): Workspace {
  return {
    id: ids.id,
    account_id: ids.accountId,
    slug: ids.slug,
    name: input.name,
    status: "creating",
    error_reason: null,
    ...writableFrom(input),
    etag: newEtag(),
    created_at: now,
    updated_at: now,
    last_activity_at: now,
    stopped_at: null,
    archived_at: null,
  };
}

/** PUT: every writable field is taken from the body or reset; the slug is kept if omitted. */
export function replacedRecord(
  current: Workspace,
  input: ReplaceWorkspaceInput,
  now: string,
): Workspace {
  return {
    ...current,
    ...writableFrom(input),
    name: input.name,
    slug: input.slug ?? current.slug,
    etag: newEtag(),
    updated_at: now,
    last_activity_at: now,
  };
}

function mergedObject(
  field: "metadata" | "config",
  current: Record<string, unknown>,
  patch: Record<string, unknown> | undefined,
): Record<string, unknown> {
  if (patch === undefined) return current;
  const merged = mergePatch(current, patch);
  const tooLarge = checkMergedSize(field, merged);
  if (tooLarge) {
    throw new ApiError("invalid_request", tooLarge, {
      details: [{ field, message: tooLarge }],
    });
  }
  return merged;
}

const patchedField = <T>(current: T, next: T | null | undefined): T | null =>
  next === undefined ? current : next;

/** PATCH: fields present replace, `null` clears, metadata and config deep-merge. */
export function patchedRecord(
  current: Workspace,
  patch: PatchWorkspaceInput,
  now: string,
): Workspace {
  return {
    ...current,
    name: patch.name ?? current.name,
    slug: patch.slug ?? current.slug,
    description: patchedField(current.description, patch.description),
    mode: patchedField(current.mode, patch.mode),
    color: patchedField(current.color, patch.color),
    tags: patch.tags ?? current.tags,
    metadata: mergedObject("metadata", current.metadata, patch.metadata),
    config: mergedObject("config", current.config, patch.config),
    template_id: patchedField(current.template_id, patch.template_id),
    template_version: patchedField(current.template_version, patch.template_version),
    repo_path: patchedField(current.repo_path, patch.repo_path),
    branch: patchedField(current.branch, patch.branch),
    cwd: patchedField(current.cwd, patch.cwd),
    machine_id: patchedField(current.machine_id, patch.machine_id),
    orchestrator_role: patchedField(current.orchestrator_role, patch.orchestrator_role),
    etag: newEtag(),
    updated_at: now,
    last_activity_at: now,
  };
}

/**
 * A record whose status changed; timestamps that belong to a status follow it. The error
 * reason lives as long as the error does: archiving keeps it (unarchive may return to error),
 * recovering to running or stopped clears it.
 */
export function withStatus(
  current: Workspace,
  status: Workspace["status"],
  now: string,
  errorReason: string | null = null,
): Workspace {
  const keepsReason = status === "error" || status === "archived";
  const stoppedNow = status === "stopped" && current.status !== "archived";
  return {
    ...current,
    status,
    error_reason: keepsReason ? (errorReason ?? current.error_reason) : null,
    stopped_at: stoppedNow ? now : current.stopped_at,
    archived_at: status === "archived" ? now : null,
    etag: newEtag(),
    updated_at: now,
    last_activity_at: now,
  };
}

/** Fields added after the first records were written: a record stored before has them unset. */
const LATER_FIELDS: Partial<Workspace> = { orchestrator_role: null };

export function parseRecord(json: string): Workspace {
  const value: unknown = JSON.parse(json);
  if (!isPlainObject(value)) throw new Error("corrupt workspace record");
  return { ...LATER_FIELDS, ...value } as Workspace;
}
