import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

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
          },
        },
      }),
    ],
    test: {
      setupFiles: ["./test/apply-migrations.ts"],
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: 30_000,
    },
  };
});
