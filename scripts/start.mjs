// `npm start`: applies the local D1 migrations, serves the API with `wrangler dev` on
// http://127.0.0.1:8787 (local D1/R2/DO), and makes sure a development account and API key
// exist, printing the key. Secrets live in git-ignored files: .dev.vars (ADMIN_TOKEN, read by
// wrangler) and .dev-credentials.json (the development key). No login, no internet.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const host = "127.0.0.1";
const port = Number(process.env.PORT ?? 8787);
const baseUrl = `http://${host}:${port}`;
const devVarsPath = join(root, ".dev.vars");
const credentialsPath = join(root, ".dev-credentials.json");
const wranglerEnv = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};

function run(command, args, extraEnv = {}) {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: "inherit",
    env: { ...wranglerEnv, ...extraEnv },
  });
  if (result.status !== 0) {
    console.error(`\n${command} ${args.join(" ")} failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
}

/** ADMIN_TOKEN for local use: made once, kept in .dev.vars. */
function ensureAdminToken() {
  const existing = existsSync(devVarsPath) ? readFileSync(devVarsPath, "utf8") : "";
  const match = existing.match(/^ADMIN_TOKEN="?([^"\n]+)"?$/m);
  if (match) return match[1];
  const token = `adm_${randomBytes(24).toString("base64url")}`;
  const kept = existing.replace(/^ADMIN_TOKEN=.*\n?/m, "");
  writeFileSync(
    devVarsPath,
    `${kept}${kept && !kept.endsWith("\n") ? "\n" : ""}ADMIN_TOKEN="${token}"\n`,
  );
  return token;
}

async function waitForHealth(child) {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error("wrangler dev exited before it was ready");
    try {
      const response = await fetch(`${baseUrl}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`${baseUrl}/health did not answer within 90 s`);
}

async function callApi(method, path, token, body) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

/** The saved development key if it still works, else a new account and key. */
async function ensureDevelopmentKey(adminToken) {
  if (existsSync(credentialsPath)) {
    const saved = JSON.parse(readFileSync(credentialsPath, "utf8"));
    const check = await callApi("GET", "/v1/workspaces?limit=1", saved.api_key);
    if (check.status === 200) return { ...saved, created: false };
  }
  const account = await callApi("POST", "/v1/admin/accounts", adminToken, { name: "development" });
  if (account.status !== 201) throw new Error(`creating the account: ${JSON.stringify(account)}`);
  const key = await callApi("POST", `/v1/admin/accounts/${account.body.id}/keys`, adminToken, {
    name: "development",
  });
  if (key.status !== 201) throw new Error(`creating the key: ${JSON.stringify(key)}`);
  const credentials = { account_id: account.body.id, api_key: key.body.key, key_id: key.body.id };
  writeFileSync(credentialsPath, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return { ...credentials, created: true };
}

run("node", ["scripts/copy-assets.mjs"]);
const adminToken = ensureAdminToken();
// CI=true answers wrangler's "apply these migrations?" prompt without a terminal.
run("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local"], { CI: "true" });

const wrangler = spawn(
  "npx",
  [
    "wrangler",
    "dev",
    "--ip",
    host,
    "--port",
    String(port),
    "--show-interactive-dev-session=false",
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: "inherit", env: wranglerEnv, detached: true },
);
const stop = () => {
  try {
    process.kill(-wrangler.pid, "SIGTERM");
  } catch {
    // already gone
  }
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
wrangler.on("exit", (code) => process.exit(code ?? 0));

try {
  await waitForHealth(wrangler);
  const credentials = await ensureDevelopmentKey(adminToken);
  console.log(`
  Workspaces API is running at ${baseUrl}
    API reference:  ${baseUrl}/docs
    OpenAPI:        ${baseUrl}/v1/openapi.json
    Account:        ${credentials.account_id}
    API key:        ${credentials.api_key}${credentials.created ? "   (new)" : ""}
    Admin token:    in .dev.vars (ADMIN_TOKEN)

  Try:  curl -H "Authorization: Bearer ${credentials.api_key}" ${baseUrl}/v1/workspaces
`);
} catch (error) {
  console.error(`\nnpm start: ${error.message}`);
  stop();
  process.exit(1);
}
