// Bundles the extension with esbuild: one bundle each for the client, the
// server, the CLI and every webview script; with --editor, the launcher of
// `npm start` (scripts/open-editor.ts); with --tests, the test files and the
// launcher.
//   node scripts/build.mjs [--production] [--editor] [--tests] [--watch]
import * as esbuild from "esbuild";
import { copyFileSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const production = process.argv.includes("--production");
const withTests = process.argv.includes("--tests");
const withEditor = withTests || process.argv.includes("--editor");
const watch = process.argv.includes("--watch");

const nodeBundle = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  sourcemap: production ? false : "linked",
  minify: production,
  logLevel: "warning",
  absWorkingDir: root,
};

const builds = [
  { ...nodeBundle, entryPoints: { client: "client/src/extension.ts" }, outdir: "dist", external: ["vscode"] },
  // tfjs-node is optional and native: found at run time when a user installed it, never bundled.
  { ...nodeBundle, entryPoints: { server: "server/src/lsp/main.ts", worker: "server/src/worker/main.ts", "trial-worker": "server/src/worker/trial-worker.ts", cli: "server/src/cli/entry.ts" }, outdir: "dist", external: ["@tensorflow/tfjs-node"] },
  {
    bundle: true,
    platform: "browser",
    format: "iife",
    target: "es2022",
    sourcemap: production ? false : "inline",
    minify: production,
    logLevel: "warning",
    absWorkingDir: root,
    entryPoints: {
      "lab-panel": "media/src/lab-panel.ts",
      "data-panel": "media/src/data-panel.ts",
      "runs-panel": "media/src/runs-panel.ts",
      "sweep-panel": "media/src/sweep-panel.ts",
      "search-panel": "media/src/search-panel.ts",
      "landscape-panel": "media/src/landscape-panel.ts",
      "gradcheck-panel": "media/src/gradcheck-panel.ts",
      "learned-panel": "media/src/learned-panel.ts",
    },
    outdir: "media/dist",
  },
];

function testFiles(directory) {
  return readdirSync(directory).flatMap((entry) => {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) return testFiles(path);
    return /\.(test|run)\.ts$/.test(entry) ? [relative(root, path)] : [];
  });
}

if (withTests) {
  builds.push({
    ...nodeBundle,
    sourcemap: "inline",
    minify: false,
    entryPoints: testFiles(join(root, "test")),
    outdir: "out",
    outbase: ".",
    // Browser drivers and the VS Code runner stay as they are in node_modules.
    external: ["playwright-core", "@vscode/test-electron", "vscode", "@tensorflow/tfjs-node"],
  });
}

if (withEditor) {
  builds.push({
    ...nodeBundle,
    entryPoints: ["scripts/open-editor.ts"],
    outdir: "out",
    outbase: ".",
    // It shares the end-to-end harness's launcher, which also drives browsers: never bundled.
    external: ["playwright-core"],
  });
}

/** The WebAssembly backend loads its .wasm files from beside the bundles. */
function copyWasm() {
  const from = join(root, "node_modules", "@tensorflow", "tfjs-backend-wasm", "dist");
  mkdirSync(join(root, "dist"), { recursive: true });
  for (const file of readdirSync(from).filter((name) => name.endsWith(".wasm"))) copyFileSync(join(from, file), join(root, "dist", file));
}

copyWasm();
if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
  console.log("watching for changes…");
} else {
  const started = Date.now();
  await Promise.all(builds.map((options) => esbuild.build(options)));
  console.log(`built ${builds.length} bundle groups in ${Date.now() - started} ms${production ? " (production)" : ""}`);
}
