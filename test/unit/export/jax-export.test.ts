// `optim export --to jax`: the script it writes, run with JAX in float64 on
// the same start and the same batches, takes the steps our float64 reference
// executor takes (the same loss at every step, to 1e-6 relative); a construct
// the export cannot reproduce is an error on its line; and `optim runs` lists
// the run the script saved. Needs .cache/jax-venv (scripts/lib.mjs setupJax).
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { analyze } from "../../../server/src/analysis/analyze";
import { runCli } from "../../../server/src/cli/main";
import { npyBytes } from "../../../server/src/train/weights";
import { planRun, type RunDeclaration } from "../../../server/src/train/plan-run";
import { prepareRuns } from "../../../server/src/train/prepare";
import { dataLoader } from "../../../server/src/worker/load-examples";
import { repoRoot } from "../../support/fixtures";
import { scratchFolder } from "../../support/scratch";
import { referenceLosses } from "./reference-steps";

const python = join(repoRoot, ".cache", "jax-venv", "bin", "python");
const comparedSteps = 50;
const tolerance = 1e-6;
const scratch = scratchFolder("export");

async function cli(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

function runNames(file: string): string[] {
  return analyze(readFileSync(file, "utf8"))
    .document.declarations.filter((declaration) => declaration.kind === "run")
    .map((declaration) => (declaration as RunDeclaration).name.text);
}

/** How a script is started: its environment, and how many processes train together (on this machine, through jax.distributed). */
interface Launch {
  env?: Record<string, string>;
  processes?: number;
}

function finished(child: ChildProcess): Promise<{ code: number | null; output: string }> {
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, output })));
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Runs an exported script in float64 for `steps` steps, saving into `runs`; returns the losses of its curve. */
async function runScript(script: string, steps: number, runs: string, launch: Launch = {}): Promise<number[]> {
  const before = new Set(existsSync(runs) ? readdirSync(runs) : []);
  const processes = launch.processes ?? 1;
  const coordinator = processes > 1 ? ["--coordinator", `127.0.0.1:${await freePort()}`, "--num-processes", String(processes)] : [];
  const env = { ...process.env, JAX_PLATFORMS: "cpu", ...launch.env };
  const children = Array.from({ length: processes }, (_, id) => spawn(python, [script, "--x64", "--steps", String(steps), "--runs", runs, ...coordinator, ...(processes > 1 ? ["--process-id", String(id)] : [])], { env }));
  const timer = setTimeout(() => children.forEach((child) => child.kill()), 600_000);
  const results = await Promise.all(children.map(finished));
  clearTimeout(timer);
  results.forEach((result, id) => assert.equal(result.code, 0, `${script} (process ${id}) failed:\n${result.output}`));
  const folders = readdirSync(runs).filter((folder) => !before.has(folder));
  assert.equal(folders.length, 1, `one new run folder in ${runs}`);
  const [header, ...lines] = readFileSync(join(runs, folders[0], "curve.csv"), "utf8").trim().split("\n");
  const column = header.split(",").indexOf("loss");
  return lines.map((line) => Number(line.split(",")[column]));
}

/** The largest relative difference over the steps, checked against the tolerance at each step. */
function compareLosses(actual: number[], expected: number[], what: string): number {
  assert.equal(actual.length, expected.length, `${what}: steps`);
  let largest = 0;
  expected.forEach((value, step) => {
    const difference = Math.abs(actual[step] - value) / Math.max(Math.abs(value), 1e-12);
    assert.ok(difference <= tolerance, `${what}: step ${step} loss ${actual[step]} in JAX, ${value} in the reference (relative ${difference.toExponential(2)})`);
    largest = Math.max(largest, difference);
  });
  return largest;
}

/** Exports a run, runs it and the reference for the same steps; returns the largest relative difference. */
async function exportAndCompare(file: string, run: string, launch: Launch = {}, most = comparedSteps): Promise<number> {
  const out = join(scratch, `${file.split("/").pop()}-${run}-${launch.processes ?? 1}-${launch.env ? "devices" : "one"}`);
  const exported = await cli("export", file, "--run", run, "--to", "jax", "--out", out);
  assert.equal(exported.code, 0, exported.stderr);
  const text = readFileSync(file, "utf8");
  const prepared = await prepareRuns(text, dataLoader({ baseDirectory: dirname(file) }));
  assert.ok(prepared.ok, prepared.ok ? "" : prepared.message);
  const declaration = prepared.analysis.document.declarations.find((candidate) => candidate.kind === "run" && candidate.name.text === run) as RunDeclaration;
  const planned = planRun(prepared.analysis, declaration, prepared.data);
  assert.ok(planned.ok);
  const steps = Math.min(most, planned.spec.steps);
  const losses = await runScript(join(out, `train_${run}.py`), steps, join(out, "runs"), launch);
  return compareLosses(losses, referenceLosses(planned.spec, steps), `${file} run ${run}`);
}

test("JAX is installed for the export tests", () => {
  assert.ok(existsSync(python), `no ${python}: scripts/test.mjs installs it (setupJax in scripts/lib.mjs)`);
});

// Generated data (carried as .npy), every optimizer rule, schedules, a bias broadcast, a two-layer net.
const synthetic = `data toy_points = toy() { bias_trick }
data blob = blobs(classes=3, points=40, dims=2, seed=2) { val 20; center }
data swirl = spiral(classes=3, points=30, seed=1) { scale 2 }

hyper delta = 1
param W: [C, D] = zeros
param V: [C, D] = randn * 0.01
param b: [C] = zeros
param W1: [16, D] = he
param b1: [16] = zeros
param W2: [C, 16] = xavier
param b2: [C] = zeros

score s = X @ W^T
loss svm = mean(sum(max(0, s - s[y] + delta) * (1 - onehot(y)), axis=1))
score t = X @ V^T + b
loss cross_entropy = mean(logsumexp(t, axis=1) - t[y]) + 0.5 * 1e-3 * sum(V^2)
score hidden = tanh(X @ W1^T + b1)
score u = hidden @ W2^T + b2
loss net = -mean(sum(log(softmax(u, axis=1) + 1e-12) * onehot(y), axis=1)) + 1e-4 * sum(abs(W1)) + 0.5 * 1e-4 * sum(W2^2)

optimizer mom = momentum { lr 0.1, batch 2, schedule step(every=10, gamma=0.5) }
optimizer nest = nesterov { lr 0.05, batch 16, schedule cosine() }
optimizer grad_sum = adagrad { lr 0.1, batch 7 }
optimizer rms = rmsprop { lr 0.01, batch 32 }
optimizer adam_opt = adam { lr 0.01, batch 25, schedule one_cycle() }
optimizer full = sgd { lr 0.5, schedule warmup(steps=5) }

run toy_svm { minimize svm; on toy_points.train; by mom; steps 50 }
run blob_softmax { minimize cross_entropy; on blob.train; by nest; steps 80; eval blob.val; every 10 }
run blob_adagrad { minimize cross_entropy; on blob.train; by grad_sum; steps 50 }
run blob_rmsprop { minimize cross_entropy; on blob.train; by rms; steps 50 }
run swirl_net { minimize net; on swirl.train; by adam_opt; steps 60; eval swirl.train; every 20 }
run swirl_full { minimize net; on swirl.train; by full; steps 40 }
`;

test("exported scripts of generated data, every optimizer and schedule step as the float64 reference does", async (t) => {
  const file = join(scratch, "synthetic.optim");
  writeFileSync(file, synthetic);
  for (const run of runNames(file)) {
    const largest = await exportAndCompare(file, run);
    t.diagnostic(`${run}: max relative loss difference ${largest.toExponential(2)}`);
  }
});

test("an exported script reads and prepares a CIFAR-10 folder as our data layer does", async (t) => {
  const folder = join(scratch, "cifar");
  mkdirSync(folder);
  // Records of a label byte and 3,072 pixel bytes, from a small linear congruential sequence.
  let state = 7;
  const records = (count: number) => {
    const bytes = new Uint8Array(count * 3073);
    for (let record = 0; record < count; record++) {
      bytes[record * 3073] = record % 10;
      for (let i = 1; i < 3073; i++) {
        state = (state * 1103515245 + 12345) % 2147483648;
        bytes[record * 3073 + i] = (state >> 16) & 255;
      }
    }
    return bytes;
  };
  writeFileSync(join(folder, "data_batch_1.bin"), records(80));
  writeFileSync(join(folder, "data_batch_2.bin"), records(60));
  writeFileSync(join(folder, "test_batch.bin"), records(40));
  const file = join(scratch, "cifar.optim");
  writeFileSync(file, 'data pics = cifar10("cifar") { train 120, val 20; scale 1/255; center; bias_trick }\nparam W: [C, D] = randn * 0.001\nscore s = X @ W^T\nloss L = mean(logsumexp(s, axis=1) - s[y]) + 0.5 * 1e-3 * sum(W^2)\noptimizer o = momentum { lr 0.01, batch 32 }\nrun fit { minimize L; on pics.train; by o; steps 50; eval pics.val; every 10; test pics.test }\n');
  const largest = await exportAndCompare(file, "fit");
  t.diagnostic(`CIFAR-10 run fit: max relative loss difference ${largest.toExponential(2)}`);
});

test("an exported script reads and prepares .npy files as our data layer does", async (t) => {
  const n = 70;
  // Three-dimensional inputs (flattened to rows of 6), labels in three classes.
  const inputs = Float32Array.from({ length: n * 6 }, (_, i) => Math.sin(i * 0.37) * 3 + (i % 6));
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % 3);
  writeFileSync(join(scratch, "inputs.npy"), npyBytes([n, 2, 3], inputs));
  writeFileSync(join(scratch, "labels.npy"), npyBytes([n], labels));
  const file = join(scratch, "arrays.optim");
  writeFileSync(file, 'data pts = npy("inputs.npy", "labels.npy") { train 50, val 10, test 10; scale 0.5; center; bias_trick }\nparam W: [C, D] = randn * 0.01\nscore s = X @ W^T\nloss L = mean(sum(max(0, s - s[y] + 1) * (1 - onehot(y)), axis=1)) + 0.5 * 1e-2 * sum(W^2)\noptimizer o = sgd { lr 0.05, batch 8, schedule exponential(gamma=0.99) }\nrun fit { minimize L; on pts.train; by o; steps 50; eval pts.val; every 10; test pts.test }\n');
  const largest = await exportAndCompare(file, "fit");
  t.diagnostic(`npy run fit: max relative loss difference ${largest.toExponential(2)}`);
});

test("sharded over four devices, and over two processes of two devices each, the steps are the same", async (t) => {
  const file = join(scratch, "sharded.optim");
  writeFileSync(file, synthetic);
  const devices = (count: number) => ({ XLA_FLAGS: `--xla_force_host_platform_device_count=${count}` });
  // Batches of 16 split over the devices; batches of 7 do not divide, so each device gets the whole batch.
  for (const run of ["blob_softmax", "blob_adagrad"]) {
    const largest = await exportAndCompare(file, run, { env: devices(4) }, 20);
    t.diagnostic(`${run} on 4 devices: max relative loss difference ${largest.toExponential(2)}`);
  }
  const largest = await exportAndCompare(file, "blob_softmax", { env: devices(2), processes: 2 }, 20);
  t.diagnostic(`blob_softmax on 2 processes of 2 devices: max relative loss difference ${largest.toExponential(2)}`);
});

test("every example run the export supports steps in JAX as the float64 reference does", async (t) => {
  let compared = 0;
  for (const example of readdirSync(join(repoRoot, "examples")).filter((name) => name.endsWith(".optim")).sort()) {
    // A copy, so nothing lands in the repository, keeping the first 2,000 images of each split (the script and the reference alike), so the test stays short.
    const file = join(scratch, example);
    writeFileSync(file, readFileSync(join(repoRoot, "examples", example), "utf8").replace(/^(data \w+ = idx\("[^"]*"\) \{)/gm, "$1 first 2000;"));
    for (const run of runNames(file)) {
      const exported = await cli("export", file, "--run", run, "--to", "jax", "--out", join(scratch, "probe"));
      if (exported.code !== 0) {
        // Only the notes' searches, and dropout and batch normalization, are out of the export's reach.
        assert.match(exported.stderr, /the JAX export does not support (random (local )?search|dropout_mask|batch_mean|batch_var)/, `${example} run ${run}`);
        continue;
      }
      const largest = await exportAndCompare(file, run);
      t.diagnostic(`${example} run ${run}: max relative loss difference ${largest.toExponential(2)}`);
      compared++;
    }
  }
  // 07's three runs (SVM: full batch, minibatch, one example), 08's SVM and softmax, 09's two-layer net.
  assert.ok(compared >= 6, `compared ${compared} example runs`);
});

test("a construct the export does not support is an error naming it, on its line", async () => {
  const search = join(scratch, "search.optim");
  copyFileSync(join(repoRoot, "examples", "03-random-search.optim"), search);
  const text = readFileSync(search, "utf8");
  const line = text.split("\n").findIndex((row) => row.startsWith("run random")) + 1;
  const refused = await cli("export", search, "--run", "random", "--to", "jax", "--out", join(scratch, "refused"));
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, new RegExp(`^${search.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:${line}:\\d+: error: run random: the JAX export does not support random search`));
  assert.ok(!existsSync(join(scratch, "refused")), "nothing is written");

  const sampled = join(scratch, "sampled.optim");
  writeFileSync(sampled, "data d = blobs(classes=2, points=20) {\n  sample 10\n}\nparam W: [C, D] = zeros\nscore s = X @ W^T\nloss L = mean(logsumexp(s, axis=1) - s[y])\noptimizer o = sgd { lr 0.1 }\nrun r { minimize L; on d.train; by o; steps 5 }\n");
  const refusedData = await cli("export", sampled, "--run", "r", "--to", "jax");
  assert.equal(refusedData.code, 1);
  assert.match(refusedData.stderr, /sampled\.optim:2:3: error: run r: the JAX export does not support the data setting 'sample'/);

  // Dropout's masks and batch normalization's running averages have no counterpart in the script: refused on the first call.
  const stateful = join(scratch, "stateful.optim");
  writeFileSync(stateful, "data d = blobs(classes=2, points=20)\nparam W: [C, D] = randn * 0.1\nscore z = X @ W^T\nscore mu = batch_mean(z)\nscore s = z - mu\nloss L = mean(logsumexp(s, axis=1) - s[y])\noptimizer o = sgd { lr 0.1 }\nrun r { minimize L; on d.train; by o; steps 5 }\n");
  const refusedStateful = await cli("export", stateful, "--run", "r", "--to", "jax", "--out", join(scratch, "refused-stateful"));
  assert.equal(refusedStateful.code, 1);
  assert.match(refusedStateful.stderr, /stateful\.optim:4:12: error: run r: the JAX export does not support batch_mean\(\.\.\.\)/);
  assert.ok(!existsSync(join(scratch, "refused-stateful")), "nothing is written");

  const target = await cli("export", sampled, "--run", "r", "--to", "torch");
  assert.equal(target.code, 2);
  assert.match(target.stderr, /--to is jax, not 'torch'/);
});

test("optim runs lists the run an exported script saved, beside ours", async () => {
  const file = join(scratch, "listed.optim");
  writeFileSync(file, "data d = blobs(classes=3, points=30, dims=2, seed=4)\nparam W: [C, D] = randn * 0.01\nparam b: [C] = zeros\nscore s = X @ W^T + b\nloss L = mean(logsumexp(s, axis=1) - s[y])\noptimizer o = sgd { lr 0.5, batch 10 }\nrun fit { minimize L; on d.train; by o; steps 30; eval d.train; every 10 }\n");
  // Ours, saved under runs/ beside the file, and the script's, saved into the same folder.
  assert.equal((await cli("train", file, "--run", "fit")).code, 0);
  const runs = join(scratch, "runs");
  const exported = await cli("export", file, "--run", "fit", "--to", "jax", "--out", join(scratch, "listed-export"));
  assert.equal(exported.code, 0, exported.stderr);
  await runScript(join(scratch, "listed-export", "train_fit.py"), 30, runs);
  const listed = await cli("runs", runs, "--json");
  assert.equal(listed.code, 0, listed.stderr);
  const report = JSON.parse(listed.stdout) as { runs: { folder: string; run: string; status: string; steps: number; backend: string; trainLoss: number; evalAccuracy: number }[] };
  assert.equal(report.runs.length, 2, listed.stdout);
  const jax = report.runs.find((run) => run.backend === "jax");
  assert.ok(jax, listed.stdout);
  assert.ok(report.runs.some((run) => run.backend !== "jax" && run.run === "fit"), listed.stdout);
  assert.equal(jax.run, "fit");
  assert.equal(jax.status, "finished");
  assert.equal(jax.steps, 30);
  assert.ok(jax.trainLoss < Math.log(3) && jax.evalAccuracy > 0.5, listed.stdout);
  const table = await cli("runs", runs);
  assert.equal(table.stdout.match(/^fit-\d{8}-\d{6}(-\d+)?\s+run\s+finished\s+30\s/gm)?.length, 2, table.stdout);
  assert.ok(existsSync(join(runs, jax.folder, "weights", "W.npy")), "the weights are saved");
});
