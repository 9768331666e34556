// Peak memory of the Worker's workerd process while it takes an upload and while it streams a
// ZIP, each at two sizes ten times apart: bytes that stream do not grow the peak with the size,
// bytes that are buffered do. The figures are a 50 MiB upload (compared with a 500 MiB
// one: the upload must not grow with its size) and a ZIP of 1,000 files (of 50 KiB, compared
// with 1,000 of 500 KiB, a ZIP ten times larger).
import { findWorkerd, peakMemoryDuring } from "./memory.mjs";

const MIB = 1024 * 1024;
export const UPLOAD_SIZES = [50 * MIB, 500 * MIB];
/** 1,000 files each time, 50 KiB then 500 KiB each: ~50 MiB then ~500 MiB of ZIP. */
export const ZIP_FILES = 1000;
export const ZIP_FILE_SIZES = [50 * 1024, 500 * 1024];

/**
 * "Flat": the 10× larger job's peak growth is under 2× the smaller's, or under a tenth of its
 * own bytes (when both are small, their ratio is mostly noise).
 */
export const FLAT_RATIO = 2;
export const FLAT_SHARE_OF_SIZE = 0.1;

const zipDir = (size) => `bench-zip-${size / 1024}k`;

/** Reads a response to the end, counting bytes and keeping the last 22 (a ZIP's end record). */
async function drain(res) {
  let bytes = 0;
  let tail = Buffer.alloc(0);
  for await (const chunk of res.body) {
    bytes += chunk.byteLength;
    tail = Buffer.concat([tail, chunk]).subarray(-22);
  }
  return { bytes, tail };
}

/** The entry count of a ZIP's end-of-central-directory record (0xffff: see its ZIP64 record). */
function zipEntries(tail) {
  if (tail.length < 22 || tail.readUInt32LE(0) !== 0x06054b50) return null;
  return tail.readUInt16LE(10);
}

/**
 * Whether the ZIP route exists yet, asked of a directory that exists: a 404 or 405 then means
 * the route does not. The route belongs to another change; until it is merged the ZIP figures
 * are skipped, not failed.
 */
async function zipAvailability(files) {
  await files.upload("bench-zip-probe/probe.bin", 16);
  const res = await fetch(files.zipUrl("bench-zip-probe"), { headers: files.auth });
  await res.body?.cancel();
  return { available: res.status !== 404 && res.status !== 405, status: res.status };
}

/** One measured job: { label, bytes, result, durationMs, byProcess }. */
async function job(pids, label, bytes, operation) {
  const measured = await peakMemoryDuring(pids, operation);
  return { label, bytes, ...measured };
}

/**
 * Runs a warm-up, then `rounds` rounds of the small and the large upload (then ZIP), and
 * returns { pids, upload: [small, large], bareUpload, zip: [small, large] | { skipped } },
 * each job the round with the highest Worker growth.
 *
 * RSS is a coarse meter: the first large transfer of a fresh workerd grows it by some 30 MiB
 * whatever path the bytes take (the allocator and the local R2's working set), and memory freed
 * later stays resident and is reused. So the warm-up first puts one large object straight into
 * R2 (the bare route) and uploads one as large through the API (the allocator's first reach to a
 * new high-water mark is not the upload path's doing); then, per round, the small upload, the
 * large one, and the same large one straight into R2 (the reference: what R2 alone costs).
 */
export async function measureFileMemory(files, serverPid, rounds) {
  const pids = findWorkerd(serverPid);
  if (pids.worker === null) throw new Error("no workerd process found under wrangler's");
  const large = UPLOAD_SIZES[1];
  const upload = (size, round) =>
    job(pids, `upload ${size / MIB} MiB`, size, () =>
      files.upload(`bench/upload-${size / MIB}mib-${round}.bin`, size),
    );
  const bare = (_size, round) =>
    job(pids, `bare R2 put ${large / MIB} MiB`, large, () =>
      files.bareUpload(`bench/bare-${round}`, large),
    );
  const warmUps = [
    await bare(large, "warm-up"),
    await job(pids, `warm-up: upload ${large / MIB} MiB`, large, () =>
      files.upload("bench/warm-up.bin", large),
    ),
  ];
  for (const warm of warmUps) {
    const { growthKiB, baselineKiB } = warm.byProcess.worker;
    console.log(
      `  ${warm.label} (warm-up): Worker +${mib(growthKiB)} MiB (baseline ${mib(baselineKiB)} MiB)`,
    );
  }
  const [uploads, [bareUpload]] = await repeat(rounds, [UPLOAD_SIZES, [large]], [upload, bare]);

  const availability = await zipAvailability(files);
  if (!availability.available) {
    return { pids, upload: uploads, bareUpload, zip: { skipped: availability.status } };
  }
  console.log(`  seeding ${ZIP_FILE_SIZES.length} × ${ZIP_FILES} files for the ZIPs`);
  for (const size of ZIP_FILE_SIZES) await files.seedFiles(zipDir(size), ZIP_FILES, size);
  const zip = (size) =>
    job(pids, `ZIP ${ZIP_FILES} × ${size / 1024} KiB`, ZIP_FILES * size, async () => {
      const res = await fetch(files.zipUrl(zipDir(size)), { headers: files.auth });
      if (res.status !== 200) {
        throw new Error(`ZIP of ${zipDir(size)} answered ${res.status}: ${await res.text()}`);
      }
      const { bytes, tail } = await drain(res);
      const entries = zipEntries(tail);
      if (
        bytes < ZIP_FILES * size ||
        (entries !== null && entries !== 0xffff && entries < ZIP_FILES)
      ) {
        throw new Error(`ZIP of ${zipDir(size)}: ${bytes} bytes, ${entries} entries`);
      }
      return { bytes, entries };
    });
  await zip(ZIP_FILE_SIZES[0]); // warm-up: the route's code, the DO, R2's reads
  const [zips] = await repeat(rounds, [ZIP_FILE_SIZES], [zip]);
  return { pids, upload: uploads, bareUpload, zip: zips };
}

/**
 * `rounds` times: each group's sizes in order, run by that group's function. Returns, per group
 * and size, the round whose Worker grew the most.
 */
async function repeat(rounds, groups, runs) {
  const worst = groups.map((sizes) => sizes.map(() => null));
  for (let round = 0; round < rounds; round++) {
    for (const [g, sizes] of groups.entries()) {
      for (const [i, size] of sizes.entries()) {
        const measured = await runs[g](size, round);
        const { growthKiB, baselineKiB } = measured.byProcess.worker;
        console.log(
          `  ${measured.label}: Worker +${mib(growthKiB)} MiB (baseline ${mib(baselineKiB)} ` +
            `MiB), ${Math.round(measured.durationMs)} ms`,
        );
        const previous = worst[g][i];
        if (!previous || growthKiB > previous.byProcess.worker.growthKiB) worst[g][i] = measured;
      }
    }
  }
  return worst;
}

const mib = (kib) => (kib / 1024).toFixed(1);

/** Whether [small, large] is flat (see FLAT_RATIO), and the ratio of their Worker growths. */
export function flatness([small, large]) {
  const smallGrowth = small.byProcess.worker.growthKiB;
  const largeGrowth = large.byProcess.worker.growthKiB;
  const ratio = largeGrowth / Math.max(smallGrowth, 1);
  const shareOfSize = (largeGrowth * 1024) / large.bytes;
  return {
    ratio,
    shareOfSize,
    met: ratio < FLAT_RATIO || shareOfSize < FLAT_SHARE_OF_SIZE,
  };
}
