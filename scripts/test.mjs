// `npm test`: installs what the tests need and runs all of them.
//   node scripts/test.mjs [unit|lsp|browser|e2e ...]   (default: every level)
import { join } from "node:path";
import { build, ensureDependencies, packageExtension, root, run, setupBrowser, setupCodeServer, setupData, setupNeovim, step } from "./lib.mjs";

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
run(process.execPath, ["--test", "--test-concurrency=1", ...selected.map((level) => join("out", "test", level))]);
