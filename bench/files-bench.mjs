// The files benchmark, on a workspace of its own: download vs bare R2 (throughput), upload and
// ZIP peak memory at two sizes, and a 10,000-file directory move vs copy+delete. See
// bench/README.md ("Files").
import { FilesClient } from "./files-client.mjs";
import { measureDownload } from "./files-download.mjs";
import { measureFileMemory } from "./files-memory.mjs";
import { measureMove } from "./files-move.mjs";
import { postJson } from "./seed.mjs";

/**
 * Returns { download, memory, move }. `serverPid` is wrangler's (npx) pid, below which the
 * workerd processes are found; `options` has connections, duration, rounds and moveCount.
 */
export async function measureFiles(baseUrl, { apiKey, accountId }, serverPid, options) {
  const workspace = await postJson(`${baseUrl}/v1/workspaces`, apiKey, {
    name: "Bench files",
    slug: "bench-files",
  });
  const files = new FilesClient(baseUrl, { apiKey, accountId, workspaceId: workspace.id });

  console.log(
    `Measuring file downloads: 10 MiB through the API vs bare R2 (${options.rounds} rounds ` +
      `of ${options.duration} s each, after a warm-up)`,
  );
  const download = await measureDownload(files, options, options.rounds);

  console.log("Measuring the Worker's peak memory: uploads, then ZIPs, at two sizes");
  const memory = await measureFileMemory(files, serverPid, options.rounds);

  console.log(`Measuring a ${options.moveCount}-file directory move vs copy+delete`);
  const move = await measureMove(files, options.moveCount, 3);
  return { download, memory, move };
}
