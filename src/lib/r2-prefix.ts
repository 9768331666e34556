/** Where a workspace's objects live in R2: `ws/<workspace_id>/…` (objects under `o/`). */
export const workspacePrefix = (workspaceId: string) => `ws/${workspaceId}/`;

/**
 * Deletes every object under a prefix, a page at a time. Safe to run again after a failure:
 * it only ever deletes what it lists, and an empty listing is the end.
 */
export async function deletePrefix(bucket: R2Bucket, prefix: string): Promise<number> {
  let deleted = 0;
  for (;;) {
    const page = await bucket.list({ prefix, limit: 1000 });
    if (page.objects.length === 0) return deleted;
    await bucket.delete(page.objects.map((object) => object.key));
    deleted += page.objects.length;
    if (!page.truncated) return deleted;
  }
}
