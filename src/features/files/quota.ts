const DEFAULT_QUOTA_BYTES = 10 * 1024 ** 3;

/** The most bytes a workspace's files may take (`WORKSPACE_QUOTA_BYTES`, default 10 GiB). */
export function workspaceQuotaBytes(env: Env): number {
  const value = Number(env.WORKSPACE_QUOTA_BYTES);
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_QUOTA_BYTES;
}
