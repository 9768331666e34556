// Lints the OpenAPI document with `redocly lint` (redocly.yaml chooses the rules), offline: no
// telemetry, no update check. test/openapi-lint.test.ts hands it the document as the Worker
// serves it (through a service binding that runs in Node, see vitest.config.ts); run by hand,
// `node scripts/lint-openapi.mjs` lints the document that test last wrote.
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const DOCUMENT_FILE = join(root, ".wrangler/openapi/openapi.json");
const cli = join(root, "node_modules/@redocly/cli/bin/cli.js");

/** `redocly lint`'s problems, as its JSON report lists them. */
function runLint(format) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        cli,
        "lint",
        DOCUMENT_FILE,
        `--config=${join(root, "redocly.yaml")}`,
        `--format=${format}`,
        "--max-problems=10000",
      ],
      {
        cwd: root,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          ...process.env,
          REDOCLY_TELEMETRY: "off",
          REDOCLY_SUPPRESS_UPDATE_NOTICE: "true",
          REDOCLY_SUPPRESS_NOTIFICATIONS: "true",
        },
      },
      // Exit code 1 means "problems found": the report says which.
      (error, stdout, stderr) => {
        if (error && error.code !== 1) reject(new Error(`redocly lint failed: ${stderr}`));
        else resolve({ failed: Boolean(error), stdout, stderr });
      },
    );
  });
}

/** Writes `documentText` where `redocly lint` reads it, and lints it. */
export async function lintDocument(documentText) {
  mkdirSync(dirname(DOCUMENT_FILE), { recursive: true });
  writeFileSync(DOCUMENT_FILE, documentText);
  const { failed, stdout } = await runLint("json");
  const problems = JSON.parse(stdout).problems.map((problem) => ({
    rule: problem.ruleId,
    severity: problem.severity,
    message: problem.message,
    where: problem.location?.map((location) => location.pointer).join(", "),
  }));
  return { failed, problems };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { failed, stdout, stderr } = await runLint("stylish");
  process.stdout.write(stdout);
  process.stderr.write(stderr);
  process.exit(failed ? 1 : 0);
}
