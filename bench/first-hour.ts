// What a new user feels, through the real server over stdio:
//   W10: from opening examples/05-gradient-check.optim (Fashion-MNIST read
//        from disk) to the published diagnostics that carry its gradient
//        check, a fresh server each time;
//   W11: the server's memory (resident set, worker threads included) once
//        every example is open and checked, and its peak on the way.
//   node scripts/build.mjs && npx esbuild bench/first-hour.ts --bundle --platform=node --outfile=out/bench/first-hour.js && node out/bench/first-hour.js [--repeats 3] [--json]
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { AnalysisSummaryNotification, CheckResults } from "../server/src/protocol";
import { LspTestClient, type PublishedDiagnostics } from "../test/support/lsp-client";

const root = join(__dirname, "..", "..");
const examples = join(root, "examples");
const args = process.argv.slice(2);
const repeats = Number(args[args.indexOf("--repeats") + 1] || 3);
const patience = 120_000;

/** VmRSS and VmHWM of a process, in MB. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) / 1024;
  return { rss: field("VmRSS"), peak: field("VmHWM") };
}

function openExample(client: LspTestClient, file: string): string {
  const uri = pathToFileURL(join(examples, file)).toString();
  void client.open(uri, readFileSync(join(examples, file), "utf8"), 1);
  return uri;
}

/** Milliseconds from didOpen to the diagnostics with the wrong grad's error. */
async function firstGradientDiagnostic(): Promise<number> {
  const client = new LspTestClient();
  await client.initialize();
  const started = performance.now();
  const uri = openExample(client, "05-gradient-check.optim");
  const published = await client.waitFor<PublishedDiagnostics>(
    "textDocument/publishDiagnostics",
    (params) => params.uri === uri && params.diagnostics.some((diagnostic) => diagnostic.severity === 1 && /dL_again\/dW/.test(diagnostic.message)),
    patience,
  );
  const elapsed = performance.now() - started;
  await client.shutdown();
  if (published.diagnostics.length === 0) throw new Error("no diagnostics");
  return elapsed;
}

/** The server's memory with every example open, after each one's analysis and checks are done. */
async function memoryWithEveryExample(): Promise<{ rss: number; peak: number; files: number }> {
  const client = new LspTestClient();
  await client.initialize();
  const files = readdirSync(examples).filter((file) => file.endsWith(".optim")).sort();
  for (const file of files) {
    const uri = openExample(client, file);
    const summary = await client.waitFor<AnalysisSummaryNotification.Params>("optim/analysisSummary", (params) => params.uri === uri, patience);
    if (summary.declarations.some((declaration) => declaration.kind === "grad")) {
      await client.waitFor<CheckResults>("optim/checkResults", (params) => params.uri === uri, patience);
    }
  }
  // Let collections that follow the checks happen, as they would while the user reads.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const measured = memory(client.pid!);
  await client.shutdown();
  return { ...measured, files: files.length };
}

function spread(values: number[]): { median: number; min: number; max: number; runs: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length };
}

async function main(): Promise<void> {
  const opens: number[] = [];
  for (let i = 0; i < repeats; i++) opens.push(await firstGradientDiagnostic());
  const memories: Array<{ rss: number; peak: number; files: number }> = [];
  for (let i = 0; i < Math.max(1, Math.min(repeats, 2)); i++) memories.push(await memoryWithEveryExample());
  const results = [
    { workload: "W10 open to first gradient diagnostic, example 05 (Fashion-MNIST read from disk)", unit: "ms", target: 2000, ...spread(opens) },
    { workload: `W11 server memory with every example open (${memories[0].files} files), resident`, unit: "MB", target: 400, ...spread(memories.map((m) => m.rss)), peak: Math.max(...memories.map((m) => m.peak)) },
  ];
  if (args.includes("--json")) {
    for (const result of results) console.log(JSON.stringify(result));
    return;
  }
  for (const result of results) {
    const peak = "peak" in result ? `, peak ${result.peak.toFixed(0)} MB` : "";
    console.log(`${result.workload}: median ${result.median.toFixed(0)} ${result.unit} (min ${result.min.toFixed(0)}, max ${result.max.toFixed(0)})${peak}, target ${result.target} ${result.unit}${result.median <= result.target ? "" : "  ** over target **"}`);
  }
}

main().catch((failure: unknown) => {
  console.error(failure);
  process.exit(1);
});
