// Copies the API reference's script (Scalar) from node_modules into public/, so /docs is
// served by this Worker and works without internet access. public/static/ is git-ignored.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "node_modules/@scalar/api-reference/dist/browser/standalone.js");
const target = join(root, "public/static/scalar/standalone.js");
mkdirSync(dirname(target), { recursive: true });
copyFileSync(source, target);
