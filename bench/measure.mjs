// One benchmark target: check it answers what we expect, warm it up, then measure it.
import autocannon from "autocannon";

const WARMUP_SECONDS = 2;

/**
 * Fails loudly unless the target answers 200 (and, when `expectItems` is set, a list of that
 * many items): a benchmark of error responses or of a short list would measure the wrong thing.
 */
export async function assertAnswers200(target) {
  const res = await fetch(target.url, { headers: target.headers });
  const text = await res.text();
  if (res.status !== 200) {
    throw new Error(`${target.name}: GET ${target.url} answered ${res.status}: ${text}`);
  }
  if (target.expectItems !== undefined) {
    const items = JSON.parse(text).items;
    if (items?.length !== target.expectItems) {
      throw new Error(
        `${target.name}: expected ${target.expectItems} items, got ${items?.length ?? "none"}`,
      );
    }
  }
}

function runAutocannon(target, { connections, duration }) {
  return autocannon({ url: target.url, headers: target.headers, connections, duration });
}

/** Returns { name, reqPerSec, bytesPerSec, p50, p99, non2xx, errors } for one target. */
export async function measure(target, { connections, duration }) {
  await assertAnswers200(target);
  // Warm-up: JIT, module init, DO instantiation and D1 caches, none of which we want in the figures.
  await runAutocannon(target, { connections, duration: WARMUP_SECONDS });
  const result = await runAutocannon(target, { connections, duration });
  return {
    name: target.name,
    reqPerSec: result.requests.average,
    bytesPerSec: result.throughput.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
