// `npm test`: installs what the tests need and runs all of them.
//   node scripts/test.mjs [unit|lsp|browser|e2e ...]   (default: every level)
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, ensureDependencies, packageExtension, root, run, setupBrowser, setupCodeServer, setupData, setupJax, setupNeovim, step } from "./lib.mjs";

const levels = process.argv.slice(2);
const all = ["unit", "lsp", "browser", "e2e"];
const selected = levels.length > 0 ? levels : all;
const unknown = selected.filter((level) => !all.includes(level));
if (unknown.length > 0) {
  console.error(`unknown test level ${unknown.join(", ")}: use ${all.join(", ")}`);
  process.exit(2);
}

ensureDependencies();
setupData();
if (selected.includes("unit")) setupJax();
if (selected.includes("lsp")) setupNeovim();
step("type-checking");
run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"]);
if (selected.includes("browser") && !selected.includes("e2e")) setupBrowser();
if (selected.includes("e2e")) {
  setupCodeServer();
  // The end-to-end tests install this .vsix into code-server.
  packageExtension();
}
// Development bundles (with source maps) for unit and protocol tests; built after packaging so they win.
build({ tests: true });
step(`running tests: ${selected.join(", ")}`);
const before = new Set(scratchFolders());
const tests = spawnSync(process.execPath, ["--test", "--test-concurrency=1", ...selected.map((level) => join("out", "test", level))], { cwd: root, stdio: "inherit" });
// Tests clean up after themselves (test/support/scratch.ts): a folder left behind is a failure.
const left = scratchFolders().filter((name) => !before.has(name));
if (left.length > 0) {
  console.error(`\nthe tests left ${left.length} temporary folder(s) behind: ${left.map((name) => join(tmpdir(), name)).join(", ")}`);
  for (const name of left) rmSync(join(tmpdir(), name), { recursive: true, force: true });
}
process.exit(tests.status !== 0 ? tests.status || 1 : left.length > 0 ? 1 : 0);

/** The temporary folders tests make (all named optim-…). */
function scratchFolders() {
  return readdirSync(tmpdir()).filter((name) => name.startsWith("optim-"));
}
