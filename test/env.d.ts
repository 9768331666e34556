import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** `redocly lint` in Node: POST a document, get `{failed, problems}` (vitest.config.ts). */
      OPENAPI_LINT: Fetcher;
    }
  }
}
