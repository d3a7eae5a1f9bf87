// `npm run reliability:full`: the reliability tests at full size, then their
// figures (docs/reliability.md reports them).
//   - the in-process fuzz of parser, analysis and features: 100,000 documents
//   - the fuzz of every request through the server: 100,000 documents
//   - deep nesting, long chains and megabyte lines, ten times the sizes of
//     `npm test` (100,000 parentheses, 500,000-term sums, 10 MB lines),
//     in-process and through the CLI
//   - the leak test: 1,000 cycles of edit, check and run
//   - the crash tests: the compute worker (protocol), the server (end to end, with --e2e)
// Sizes can be changed: FUZZ_DOCUMENTS, LSP_FUZZ_DOCUMENTS, LEAK_CYCLES, EXTREME_SCALE.
//   node scripts/reliability-full.mjs [--e2e]
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { build, ensureDependencies, packageExtension, root, run, setupCodeServer, step } from "./lib.mjs";

const withE2e = process.argv.includes("--e2e");
const sizes = {
  FUZZ_DOCUMENTS: process.env.FUZZ_DOCUMENTS ?? "100000",
  LSP_FUZZ_DOCUMENTS: process.env.LSP_FUZZ_DOCUMENTS ?? "100000",
  LEAK_CYCLES: process.env.LEAK_CYCLES ?? "1000",
  EXTREME_SCALE: process.env.EXTREME_SCALE ?? "10",
};

ensureDependencies();
if (withE2e) {
  setupCodeServer();
  packageExtension();
}
build({ tests: true });

const started = Date.now();
const timings = {};
function runTest(title, file, env = {}) {
  step(title);
  const begun = Date.now();
  run(process.execPath, ["--test", "--test-concurrency=1", join("out", "test", file)], { env: { ...process.env, ...env } });
  timings[file] = Math.round((Date.now() - begun) / 1000);
}

runTest(`fuzzing parser, analysis and features in-process: ${sizes.FUZZ_DOCUMENTS} documents`, "unit/fuzz.test.js", { FUZZ_DOCUMENTS: sizes.FUZZ_DOCUMENTS });
runTest(`fuzzing every request through the server: ${sizes.LSP_FUZZ_DOCUMENTS} documents`, "lsp/fuzz.test.js", { LSP_FUZZ_DOCUMENTS: sizes.LSP_FUZZ_DOCUMENTS });
runTest(`deep nesting, long chains and long lines at ${sizes.EXTREME_SCALE} times their size`, "unit/extremes.test.js", { EXTREME_SCALE: sizes.EXTREME_SCALE });
runTest(`leaks: ${sizes.LEAK_CYCLES} cycles of edit, check and run`, "unit/leak.test.js", { LEAK_CYCLES: sizes.LEAK_CYCLES });
runTest("crash isolation: the compute worker runs out of memory", "lsp/worker-crash.test.js");
if (withE2e) runTest("crash isolation: the language server is killed in VS Code", "e2e/server-crash.test.js");

step("figures (test-results/reliability/)");
const figures = (name) => {
  const path = join(root, "test-results", "reliability", `${name}.json`);
  return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : undefined;
};
const fuzz = figures("fuzz");
const lspFuzz = figures("lsp-fuzz");
const leak = figures("leak");
const workerCrash = figures("worker-crash");
const serverCrash = withE2e ? figures("server-crash") : undefined;
const lines = [
  fuzz && `in-process fuzz: ${fuzz.documents} documents, ${fuzz.findings} findings, slowest document (analysis and every feature) ${fuzz.slowestMs} ms`,
  lspFuzz && `server fuzz: ${lspFuzz.documents} documents, ${lspFuzz.requests} requests (${lspFuzz.refusedRenames} renames refused), ${lspFuzz.diagnosticsChecked} diagnostics checked; longest request ${lspFuzz.slowestMs} ms (${lspFuzz.slowestMethod})`,
  lspFuzz && `  longest per method (ms): ${Object.entries(lspFuzz.slowestByMethod).map(([method, ms]) => `${method.replace("textDocument/", "")} ${ms}`).join(", ")}`,
  leak && `leaks: ${leak.cycles} cycles on ${leak.backend}: tensors ${leak.tensorsBefore} -> ${leak.tensorsAfter} (${leak.tensorsMade} made), heap ${leak.heapBeforeMB} MB -> ${leak.heapAfterMB} MB (${leak.growthPercent}%)`,
  workerCrash && `worker killed (${workerCrash.cause} at a ${workerCrash.heapMegabytes} MB heap): its job answered after ${workerCrash.answeredAfterMs} ms, the next check on a new worker after ${workerCrash.nextCheckAfterMs} ms`,
  serverCrash && `server killed (${serverCrash.signal}): a new server after ${serverCrash.newServerAfterMs} ms, the file's problems back in the Problems panel within ${serverCrash.problemsBackAfterMs} ms`,
  `wall time (s): ${Object.entries(timings).map(([file, seconds]) => `${file} ${seconds}`).join(", ")}; total ${Math.round((Date.now() - started) / 1000)}`,
];
console.log(lines.filter(Boolean).join("\n"));
