// Download of a 10 MiB file through the API vs a bare route that streams the same R2 object:
// what auth, the workspace's DO (the index lookup) and the handler cost on top of R2.
import { measure } from "./measure.mjs";

export const DOWNLOAD_BYTES = 10 * 1024 * 1024;
const PATH = "bench/download-10mib.bin";

/**
 * Uploads the file, then measures both targets with autocannon, `rounds` times each in ABBA
 * order (bare, api, api, bare, …) so a drift in the machine's load hits both alike. Returns
 * { bare, api } with the means over the rounds (req/s, bytes/s, p50, p99) and every round's result.
 */
export async function measureDownload(files, options, rounds) {
  await files.upload(PATH, DOWNLOAD_BYTES);
  const key = await files.objectKey(PATH);
  const targets = {
    bare: { name: "file_download_bare_r2", url: `${files.baseUrl}/__bench/r2/${key}` },
    api: { name: "file_download_10mib", url: files.fileUrl(PATH), headers: files.auth },
  };
  const runs = { bare: [], api: [] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ["bare", "api"] : ["api", "bare"];
    for (const which of order) {
      console.log(`  ${targets[which].name} (round ${round + 1} of ${rounds})`);
      runs[which].push(await measure(targets[which], options));
    }
  }
  return {
    bare: summarize(targets.bare.name, runs.bare),
    api: summarize(targets.api.name, runs.api),
  };
}

const mean = (values) => values.reduce((sum, v) => sum + v, 0) / values.length;

function summarize(name, runs) {
  return {
    name,
    reqPerSec: mean(runs.map((r) => r.reqPerSec)),
    bytesPerSec: mean(runs.map((r) => r.bytesPerSec)),
    p50: mean(runs.map((r) => r.p50)),
    p99: mean(runs.map((r) => r.p99)),
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    rounds: runs.map((r) => r.reqPerSec),
  };
}
