// `npm run bench`: every workload of docs/performance.md on our default
// backend and, where one exists, on a plain NumPy program doing the same work,
// with both figures and their ratio (median, minimum and maximum of the runs).
// Training (W1–W4) is also measured on TensorFlow.js's WebAssembly backend,
// for comparison, unless --backends says otherwise. W9 (a small convnet)
// trains on the kernel executor, whatever the backends, and also times our
// kernels called layer by layer without it.
//   npm run bench [-- --only W1,W3] [--repeats 5] [--backends auto,wasm] [--json]
// A backend is auto (what `optim train` and the editor use: tfjs-node when
// installed, else the kernel executor), tensorflow, kernels, wasm or cpu.
// It type-checks and bundles what it measures into out/bench first (W5 runs
// the server bundle, so it runs `node scripts/build.mjs` too).
import * as esbuild from "esbuild";
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const option = (name) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
};
const json = args.includes("--json");
const repeats = Number(option("--repeats") ?? 5);
const backends = (option("--backends") ?? option("--backend") ?? "auto,wasm").split(",");
const all = ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9", "W10", "W11"];
const only = option("--only")?.split(",").map((name) => name.trim().toUpperCase()) ?? all;
for (const name of only) if (!all.includes(name)) throw new Error(`no workload ${name}; the workloads are ${all.join(", ")}`);

// The bench files are type-checked by their own tsconfig (the root one covers the product and its tests).
run(process.execPath, [join("node_modules", "typescript", "bin", "tsc"), "-p", "bench"]);
const bundles = { training: "bench/training.ts", gradcheck: "bench/gradcheck.ts", editor: "bench/editor.ts", "data-load": "bench/data-load.ts", "edit-to-check": "bench/edit-to-check.ts", "first-hour": "bench/first-hour.ts", convnet: "bench/convnet.ts" };
await esbuild.build({ entryPoints: bundles, outdir: join(root, "out", "bench"), bundle: true, platform: "node", format: "cjs", target: "node20", absWorkingDir: root, logLevel: "warning", external: ["@tensorflow/tfjs-node"] });
if (["W5", "W10", "W11"].some((name) => only.includes(name))) run(process.execPath, ["scripts/build.mjs"]);

function run(command, commandArgs, env = {}) {
  const result = spawnSync(command, commandArgs, { cwd: root, encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(`${command} ${commandArgs.join(" ")} failed:\n${result.stderr || result.stdout}`);
  return result.stdout;
}

/** One JSON object per line of a program's output. */
function jsonLines(command, commandArgs, env = {}) {
  return run(command, commandArgs, env)
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));
}

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length };
}

const node = (bundle, bundleArgs) => jsonLines(process.execPath, [join("out", "bench", `${bundle}.js`), ...bundleArgs, "--json"]);
const python = (script, scriptArgs, env = {}) => jsonLines("python3", [join("bench", "numpy", script), ...scriptArgs], env);

const rows = [];
/** Runs one workload's measurement; a failure becomes a row that says why, and the others still run. */
function attempt(workload, measure) {
  try {
    measure();
  } catch (failure) {
    rows.push({ workload, error: (failure instanceof Error ? failure.message : String(failure)).split("\n").slice(0, 3).join(" ") });
  }
}
const machinePeak = python("train.py", ["--repeats", "0", "--peak"]).find((line) => line.workload === "peak");
const oneCorePeak = python("train.py", ["--repeats", "0", "--peak"], { OPENBLAS_NUM_THREADS: "1" }).find((line) => line.workload === "peak");

// Training: one run of each contender in turn, repeated, so that a burst of
// other work on the machine falls on all of them alike. NumPy runs with its
// default threads (the reference) and on one thread (steadier when the
// machine is shared: OpenBLAS's threads wait for each other by spinning).
const contenders = [
  { name: "numpy", run: (workload) => python("train.py", [workload, "--repeats", "1"]) },
  { name: "numpy, 1 thread", run: (workload) => python("train.py", [workload, "--repeats", "1"], { OPENBLAS_NUM_THREADS: "1" }) },
  ...backends.map((backend) => ({ name: backend, run: (workload) => node("training", [workload, "--repeats", "1", "--backend", backend]) })),
];
for (const name of only.filter((workload) => ["W1", "W2", "W3", "W4"].includes(workload))) {
  attempt(name, () => {
    const runs = new Map(contenders.map((contender) => [contender.name, []]));
    for (let repeat = 0; repeat < repeats; repeat++) for (const contender of contenders) runs.get(contender.name).push(...contender.run(name));
    const rate = (contender) => stats(runs.get(contender).map((line) => line.examplesPerSecond));
    const gflops = (contender) => stats(runs.get(contender).map((line) => line.gflops)).median;
    for (const backend of backends) {
      rows.push({
        workload: name,
        unit: "examples/s",
        backend: runs.get(backend)[0].backend,
        ours: rate(backend),
        numpy: rate("numpy"),
        numpyOneThread: rate("numpy, 1 thread"),
        ratio: rate(backend).median / rate("numpy").median,
        target: 0.5,
        gflops: { ours: gflops(backend), numpy: gflops("numpy"), numpyOneThread: gflops("numpy, 1 thread"), peak: machinePeak.gflops },
      });
    }
  });
}

// W9, a small convnet on Fashion-MNIST: the kernel executor training its .optim
// (bench/training.ts), and our kernels called layer by layer without the
// executor (bench/convnet.ts), against the same layers in NumPy (bench/numpy/convnet.py),
// one run of each in turn as for training. NumPy also runs on one thread with
// glibc keeping freed memory: its steps allocate arrays of megabytes, which
// glibc otherwise returns to the system and faults in afresh every step (on
// these machines that multiplied NumPy's step time by up to 8).
if (only.includes("W9")) {
  attempt("W9", () => {
    const w9 = [
      { name: "numpy", run: () => python("convnet.py", ["--repeats", "1"]) },
      { name: "numpy, 1 thread", run: () => python("convnet.py", ["--repeats", "1"], { OPENBLAS_NUM_THREADS: "1" }) },
      { name: "numpy, 1 thread, memory kept", run: () => python("convnet.py", ["--repeats", "1"], { OPENBLAS_NUM_THREADS: "1", MALLOC_MMAP_THRESHOLD_: "2000000000", MALLOC_TRIM_THRESHOLD_: "2000000000" }) },
      { name: "ours", run: () => node("training", ["W9", "--repeats", "1", "--backend", "kernels"]) },
      { name: "our kernels alone", run: () => node("convnet", ["--repeats", "1"]) },
    ];
    const runs = new Map(w9.map((contender) => [contender.name, []]));
    for (let repeat = 0; repeat < repeats; repeat++) for (const contender of w9) runs.get(contender.name).push(...contender.run());
    const rate = (contender) => stats(runs.get(contender).map((line) => line.examplesPerSecond));
    const gflops = (contender) => stats(runs.get(contender).map((line) => line.gflops)).median;
    rows.push({
      workload: "W9",
      unit: "examples/s",
      backend: runs.get("ours")[0].backend,
      ours: rate("ours"),
      numpy: rate("numpy"),
      numpyOneThread: rate("numpy, 1 thread"),
      numpyBest: rate("numpy, 1 thread, memory kept"),
      kernelsAlone: rate("our kernels alone"),
      ratio: rate("ours").median / rate("numpy").median,
      ratioToBest: rate("ours").median / rate("numpy, 1 thread, memory kept").median,
      target: 1.0,
      gflops: { ours: gflops("ours"), numpy: gflops("numpy"), numpyOneThread: gflops("numpy, 1 thread"), peak: machinePeak.gflops },
    });
  });
}

const targets = { W5: 300, W6: 10_000, W7: 30, W10: 2000, W11: 400 };
const latency = (name, line) => ({ workload: name, unit: line.unit ?? "ms", ours: { median: line.median, min: line.min, max: line.max }, target: targets[name], meetsTarget: line.median <= targets[name], detail: line.workload + (line.peak ? `; peak ${Math.round(line.peak)} MB` : "") });
if (only.includes("W5")) attempt("W5", () => rows.push(latency("W5", node("edit-to-check", [])[0])));
if (only.includes("W6")) attempt("W6", () => rows.push(latency("W6", node("gradcheck", []).find((line) => line.workload.startsWith("W6")))));
if (only.includes("W7")) attempt("W7", () => rows.push(latency("W7", node("editor", []).find((line) => line.workload.startsWith("W7")))));
if (only.includes("W10") || only.includes("W11")) {
  attempt("W10", () => {
    const lines = node("first-hour", ["--repeats", String(repeats)]);
    for (const name of ["W10", "W11"].filter((workload) => only.includes(workload))) rows.push(latency(name, lines.find((line) => line.workload.startsWith(name))));
  });
}
if (only.includes("W8")) {
  attempt("W8", () => {
    const ours = node("data-load", [])[0];
    const numpy = python("load.py", ["--repeats", String(Math.max(repeats, 3))])[0];
    rows.push({ workload: "W8", unit: "s", ours: { median: ours.median, min: ours.min, max: ours.max, runs: ours.runs }, numpy: { median: numpy.median, min: numpy.min, max: numpy.max, runs: numpy.runs }, ratio: numpy.median / ours.median, target: 0.6, meetsTarget: ours.median <= 0.6 });
  });
}

const number = (value, digits) => value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const spread = (figures, digits) => `${number(figures.median, digits)} (${number(figures.min, digits)}–${number(figures.max, digits)})`;
if (json) {
  console.log(JSON.stringify({ workload: "peak", numpy: machinePeak.numpy, gflops: machinePeak.gflops, oneThread: oneCorePeak.gflops, load: loadavg() }));
  for (const row of rows) console.log(JSON.stringify(row));
} else {
  console.log(`numpy ${machinePeak.numpy}: 4096² float32 product at ${number(machinePeak.gflops, 0)} GFLOP/s (${number(oneCorePeak.gflops, 0)} on one thread); medians (min–max) of ${repeats} runs; load average ${loadavg().map((load) => load.toFixed(2)).join(", ")}`);
  for (const row of rows) {
    if (row.error) {
      console.log(`${row.workload}  failed: ${row.error}`);
    } else if (row.unit === "examples/s") {
      console.log(
        `${row.workload}  ours (${row.backend}) ${spread(row.ours, 0)} examples/s, ${number(row.gflops.ours, 1)} GFLOP/s  |  numpy ${spread(row.numpy, 0)}, ${number(row.gflops.numpy, 1)} GFLOP/s (1 thread: ${number(row.numpyOneThread.median, 0)})  |  ratio ${number(row.ratio, 2)}× (target ≥ ${row.target}×)` +
          (row.numpyBest ? `  |  numpy on 1 thread with freed memory kept ${spread(row.numpyBest, 0)}: ours ${number(row.ratioToBest, 2)}×` : "") +
          (row.kernelsAlone ? `  |  our kernels without the executor ${spread(row.kernelsAlone, 0)}` : ""),
      );
    } else if (row.workload === "W8") {
      console.log(`W8  ours ${spread(row.ours, 3)} s  |  numpy ${spread(row.numpy, 3)} s  |  ours ${number(row.ratio, 2)}× as fast (target ≤ ${row.target} s${row.meetsTarget ? ", met" : ", NOT met"})`);
    } else {
      console.log(`${row.workload}  ours ${spread(row.ours, row.unit === "MB" ? 0 : 1)} ${row.unit}  |  no NumPy equivalent; target ${row.target} ${row.unit}${row.meetsTarget ? ", met" : ", NOT met"}  (${row.detail})`);
    }
  }
}
