// Moving a 10,000-file directory through the API (one index update in the workspace's DO, no
// R2 object touched) vs what a store keyed by path would do for the same objects: copy each one
// to a new key and delete the old (a bench-only route, 6 objects at a time).

export const MOVE_FILE_SIZE = 1024;
export const MOVE_TARGET = 50;

const A = "bench-move/a";
const B = "bench-move/b";

/**
 * Seeds `count` files of 1 KiB (not timed), moves the directory `rounds` times back and forth
 * (A → B, B → A, …, ending in B), then copies+deletes the objects now under B once. Returns
 * { count, moveMs: [each], moveMedianMs, copyDeleteMs, copyDeleteServerMs }; times are the
 * client's, request to response.
 */
export async function measureMove(files, count, rounds) {
  console.log(`  seeding ${count} files of ${MOVE_FILE_SIZE} bytes`);
  const seedStarted = performance.now();
  await files.seedFiles(A, count, MOVE_FILE_SIZE);
  console.log(`  seeded in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

  const moveMs = [];
  let at = A;
  // An odd count ends in B, where the copy+delete then reads.
  const moves = rounds % 2 === 1 ? rounds : rounds + 1;
  for (let i = 0; i < moves; i++) {
    const to = at === A ? B : A;
    const started = performance.now();
    await files.move(at, to);
    moveMs.push(performance.now() - started);
    at = to;
  }
  if ((await files.hasChildren(A)) || !(await files.hasChildren(B))) {
    throw new Error(`after the moves, ${A} should be gone and ${B} hold the files`);
  }

  console.log(`  copy+delete of the same ${count} objects`);
  const started = performance.now();
  const copied = await files.copyDelete(B);
  const copyDeleteMs = performance.now() - started;
  if (copied.objects !== count) {
    throw new Error(`copy+delete handled ${copied.objects} objects, expected ${count}`);
  }
  const sorted = [...moveMs].sort((a, b) => a - b);
  return {
    count,
    moveMs,
    moveMedianMs: sorted[Math.floor(sorted.length / 2)],
    copyDeleteMs,
    copyDeleteServerMs: copied.duration_ms,
  };
}
