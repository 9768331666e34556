import { existsSync, readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { lintDocument } from "./scripts/lint-openapi.mjs";

/**
 * Every installed package specifier (`hono`, `hono/factory`, …) that src/ and test/ import, for
 * the dependency pre-bundler below. All of them must be listed: a specifier left out would load
 * unbundled beside the bundled copy, a second instance of the same module (`instanceof` fails).
 */
function importedPackages(): string[] {
  const found = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.[cm]?tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) {
        const source = readFileSync(path, "utf8");
        const specifiers = /\b(?:from|import)\s*\(?\s*"(@?[a-z0-9][\w.-]*(?:\/[\w.@-]+)*)"/g;
        for (const [, specifier = ""] of source.matchAll(specifiers)) {
          const name = specifier.split("/", specifier.startsWith("@") ? 2 : 1).join("/");
          if (name !== "vitest" && existsSync(join("node_modules", name, "package.json"))) {
            found.add(specifier);
          }
        }
      }
    }
  };
  walk("src");
  walk("test");
  return [...found].sort();
}

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            ADMIN_TOKEN: "test-admin-token",
            LOG_REQUESTS: "false",
            // Tests check revocation across the cache with their own waits; keep it short.
            AUTH_CACHE_TTL_MS: "200",
            // Event delivery at test speed (src/features/events/test): heartbeats and the SSE lifetime are
            // observed within a few seconds, the slow-consumer cap is reachable with a few dozen
            // events, and retention trims with a short log. No other suite reads events.
            SSE_HEARTBEAT_MS: "300",
            SSE_MAX_LIFETIME_MS: "4000",
            SSE_RETRY_MS: "250",
            EVENT_QUEUE_MAX_BYTES: "65536",
            EVENT_RETENTION_MIN_EVENTS: "20",
            // Files: a 32 MiB quota per workspace, so the files tests can reach it with real bytes.
            WORKSPACE_QUOTA_BYTES: String(32 * 1024 * 1024),
            // Thread streams: the echo model answers at once (a test that needs time asks for
            // it with a `/delay` directive), and the only model is the offline one.
            MODEL_PROVIDER: "echo",
            ECHO_DELAY_MS: "0",
            // The shell's caps within reach of a quick test (src/features/commands/test): a loop
            // of 5,000 iterations, a script of 30,000 commands.
            COMMAND_MAX_COMMANDS: "30000",
            COMMAND_MAX_LOOP_ITERATIONS: "5000",
          },
          serviceBindings: {
            // Runs in Node, not in workerd: `redocly lint` of the document a test posts
            // (test/openapi-lint.test.ts), answering its problems as JSON.
            OPENAPI_LINT: async (request: Request) =>
              Response.json(await lintDocument(await request.text())),
          },
        },
      }),
    ],
    test: {
      setupFiles: ["./test/apply-migrations.ts"],
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: 30_000,
      // Each test file gets its own workerd runtime (that is what keeps storage isolated per
      // file), and most of a file's time is that runtime loading the Worker's modules. Vitest's
      // default is one file at a time on a 2-core machine (cores - 1); two at once overlap one
      // file's loading with another's waits. `isolate` stays on: off, files would share storage.
      maxWorkers: Math.max(2, availableParallelism() - 1),
      deps: {
        optimizer: {
          // Pre-bundles the dependencies (about 800 of the ~1,000 modules every test file loads)
          // into a few files, once per install (node_modules/.vite); the Worker's own code still
          // loads module by module. The runtime's modules (node:, cloudflare:) stay external.
          ssr: {
            enabled: true,
            include: importedPackages(),
            rolldownOptions: { external: [/^node:/, /^cloudflare:/] },
          },
        },
      },
    },
  };
});
