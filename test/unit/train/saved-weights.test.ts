// What a run learns, kept: its weights as .npy files NumPy's format defines,
// a checkpoint it goes on from exactly (a resumed run's curve is the one it
// would have drawn without stopping), saved weights a run starts from, and
// patience that stops a run that no longer improves, saying which weights
// its figures come from.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { analyze } from "../../../server/src/analysis/analyze";
import { loadNpyInputs } from "../../../server/src/data/npy";
import { loadTfjs } from "../../../server/src/engine/tfjs-executor";
import { loadKernels, type TrainingRuntime } from "../../../server/src/train/executors";
import { planRun, type RunDeclaration } from "../../../server/src/train/plan-run";
import { prepareRuns } from "../../../server/src/train/prepare";
import { savedInputs, trainAndSave } from "../../../server/src/train/saved-run";
import type { CurvePoint } from "../../../server/src/train/trainer";
import { npyBytes } from "../../../server/src/train/weights";
import { dataLoader } from "../../../server/src/worker/load-examples";
import { scratchFolder } from "../../support/scratch";

const net = (run: string) => `data d = blobs(classes=3, points=60, dims=6, seed=2) { val 30 }
param W1: [12, D] = randn * 0.1
param W2: [C, 12] = randn * 0.1
param b: [C] = zeros
score s = relu(X @ W1^T) @ W2^T + b
loss L = mean(logsumexp(s, axis=1) - s[y]) + 0.5 * 1e-3 * (sum(W1^2) + sum(W2^2))
optimizer opt = adam { lr 0.01, batch 16 }
optimizer slow = momentum { lr 0.01, batch 16 }
${run}
`;

async function startRun(runtime: TrainingRuntime, text: string, runsFolder: string, options: { resume?: string; cancelAfter?: number; crashAfter?: number } = {}) {
  const prepared = await prepareRuns(text, dataLoader({ baseDirectory: runsFolder }));
  assert.ok(prepared.ok, prepared.ok ? "" : prepared.message);
  const run = prepared.analysis.document.declarations.find((declaration): declaration is RunDeclaration => declaration.kind === "run") as RunDeclaration;
  const inputs = savedInputs(runsFolder, options.resume);
  assert.ok(inputs.ok, inputs.ok ? "" : inputs.message);
  const planned = planRun(prepared.analysis, run, prepared.data, undefined, inputs.value.saved);
  if (!planned.ok) return { error: planned.message };
  let points = 0;
  const saved = trainAndSave(runtime, planned.spec, { runsFolder, run: run.name.text, file: "net.optim", text, description: planned.description, seed: planned.seed, resumeFolder: options.resume, previous: inputs.value.previous }, {
    cancelled: () => options.cancelAfter !== undefined && points >= options.cancelAfter,
    onPoint: () => {
      points++;
      // A crash: the run ends by an exception, its last checkpoint the last evaluation's.
      if (options.crashAfter !== undefined && points >= options.crashAfter) throw new Error("crashed");
    },
  });
  return { saved };
}

/** The curve as saved, without its clock. */
function savedCurve(folder: string): Omit<CurvePoint, "seconds">[] {
  return (JSON.parse(readFileSync(join(folder, "curve.json"), "utf8")) as CurvePoint[]).map(({ seconds: _seconds, ...rest }) => rest);
}

function csvRows(folder: string): string[] {
  // Without the seconds column (the third).
  return readFileSync(join(folder, "curve.csv"), "utf8").trim().split("\n").map((line) => line.split(",").filter((_, i) => i !== 2).join(","));
}

test("a .npy file we write is read back by the data layer's reader with its shape and values", async () => {
  const folder = scratchFolder("npy-write");
  const values = Float32Array.from({ length: 24 }, (_, i) => (i - 7) / 3);
  const bytes = npyBytes([2, 3, 4], values);
  // NumPy aligns the values to 64 bytes; its header ends with a newline.
  const headerEnd = 10 + new DataView(bytes.buffer).getUint16(8, true);
  assert.equal(headerEnd % 64, 0);
  assert.equal(bytes[headerEnd - 1], 0x0a);
  writeFileSync(join(folder, "a.npy"), bytes);
  const read = await loadNpyInputs(join(folder, "a.npy"));
  assert.ok(read.ok);
  assert.deepEqual(read.value.shape, [2, 3, 4]);
  assert.deepEqual([...read.value.X], [...values]);
  assert.throws(() => npyBytes([5], values), /holds 5 values, not 24/);
});

for (const [backend, load] of [["kernels", async () => loadKernels()], ["TensorFlow.js (cpu)", () => loadTfjs("cpu")]] as const) {
  test(`on ${backend}, a run stopped and resumed draws the curve of a run that never stopped, exactly`, async () => {
    const runtime = await load();
    const text = net("run fit { minimize L; on d.train; by opt; steps 70; eval d.val; every 10 }");
    const whole = await startRun(runtime, text, scratchFolder("resume-whole"));
    assert.ok(whole.saved);
    assert.equal(whole.saved.result.status, "finished");
    const reference = savedCurve(whole.saved.folder);
    assert.equal(reference.length, 70);

    // Cancelled after 25 steps: its checkpoint is where it stopped.
    const cancelledRuns = scratchFolder("resume-cancel");
    const cancelled = await startRun(runtime, text, cancelledRuns, { cancelAfter: 25 });
    assert.equal(cancelled.saved?.result.status, "cancelled");
    const folder = cancelled.saved?.folder as string;
    assert.equal(JSON.parse(readFileSync(join(folder, "weights", "final", "weights.json"), "utf8")).steps, 25);
    const resumed = await startRun(runtime, text, cancelledRuns, { resume: folder });
    assert.equal(resumed.saved?.folder, folder, "a resumed run goes on in its own folder");
    assert.equal(resumed.saved?.result.status, "finished");
    assert.deepEqual(savedCurve(folder), reference);
    assert.deepEqual(csvRows(folder), csvRows(whole.saved.folder));
    assert.deepEqual([...(resumed.saved?.result.params.get("W1") ?? [])], [...(whole.saved.result.params.get("W1") ?? [])]);
    assert.deepEqual(resumed.saved?.result.final, whole.saved.result.final);
    assert.deepEqual(JSON.parse(readFileSync(join(folder, "meta.json"), "utf8")).resumed.map((entry: { steps: number }) => entry.steps), [25]);

    // Crashed after 37 points: the last checkpoint is the evaluation at step 30, and the curve past it is drawn again.
    const crashedRuns = scratchFolder("resume-crash");
    await assert.rejects(startRun(runtime, text, crashedRuns, { crashAfter: 37 }), /crashed/);
    const [crashed] = readdirSync(crashedRuns);
    assert.equal(JSON.parse(readFileSync(join(crashedRuns, crashed, "weights", "final", "weights.json"), "utf8")).steps, 31);
    assert.equal(csvRows(join(crashedRuns, crashed)).length - 1, 37);
    await startRun(runtime, text, crashedRuns, { resume: join(crashedRuns, crashed) });
    assert.deepEqual(savedCurve(join(crashedRuns, crashed)), reference);
  });
}

test("weights are saved as .npy beside the curve, named in meta.json, and the best is the best evaluation's", async () => {
  const runs = scratchFolder("weights");
  const { saved } = await startRun(loadKernels(), net("run fit { minimize L; on d.train; by opt; steps 40; eval d.val; every 10 }"), runs);
  assert.ok(saved);
  const meta = JSON.parse(readFileSync(join(saved.folder, "meta.json"), "utf8"));
  assert.deepEqual(meta.params, [
    { name: "W1", shape: [12, 6], file: "W1.npy" },
    { name: "W2", shape: [3, 12], file: "W2.npy" },
    { name: "b", shape: [3], file: "b.npy" },
  ]);
  assert.equal(meta.weights.best.step, saved.result.best?.step);
  assert.equal(meta.weights.final.steps, 40);
  const final = await loadNpyInputs(join(saved.folder, "weights", "final", "W2.npy"));
  assert.ok(final.ok);
  assert.deepEqual(final.value.shape, [3, 12]);
  // The result's params are the reported (best) weights.
  const best = await loadNpyInputs(join(saved.folder, "weights", "best", "W2.npy"));
  assert.ok(best.ok);
  assert.deepEqual([...best.value.X], [...(saved.result.params.get("W2") ?? [])]);
  // Adam's two moments are saved for going on.
  assert.deepEqual(readdirSync(join(saved.folder, "weights", "final", "optimizer")).sort(), ["W1.first.npy", "W1.second.npy", "W2.first.npy", "W2.second.npy", "b.first.npy", "b.second.npy"]);
  // No temporary file or folder is left behind.
  assert.deepEqual(readdirSync(join(saved.folder, "weights")).sort(), ["best", "final"]);
  assert.deepEqual(readdirSync(saved.folder).filter((name) => name.startsWith(".")), []);
});

test("patience stops a run whose evaluations stop improving, and its figures say they are the best weights'", async () => {
  const runs = scratchFolder("patience");
  const { saved } = await startRun(loadKernels(), net("run fit { minimize L; on d.train; by opt; steps 2000; eval d.val; every 5; patience 3 }"), runs);
  assert.ok(saved);
  const { result } = saved;
  assert.ok(result.earlyStop, "the run stopped early");
  assert.equal(result.earlyStop.patience, 3);
  assert.ok(result.steps < 2000, `${result.steps} steps`);
  assert.equal(result.earlyStop.step, (result.best?.step ?? 0) + 15, "three evaluations after the best");
  assert.equal(result.steps, result.earlyStop.step + 1);
  assert.deepEqual(result.reported, { weights: "best", step: result.best?.step });
  const final = JSON.parse(readFileSync(join(saved.folder, "final.json"), "utf8"));
  assert.equal(final.reportedWeights, "best");
  assert.equal(final.reportedStep, result.best?.step);
  assert.deepEqual(final.earlyStop, result.earlyStop);
});

test("a run without evaluations reports its final weights", async () => {
  const { saved } = await startRun(loadKernels(), net("run fit { minimize L; on d.train; by opt; steps 12 }"), scratchFolder("no-eval"));
  assert.deepEqual(saved?.result.reported, { weights: "final", step: 11 });
  assert.ok(!existsSync(join(saved?.folder as string, "weights", "best")));
});

test("start_from starts a run from a saved run's weights, and a shape that differs is an error naming the param and both shapes", async () => {
  const runs = scratchFolder("start-from");
  const runtime = loadKernels();
  const first = await startRun(runtime, net("run fit { minimize L; on d.train; by opt; steps 30; eval d.val; every 10 }"), runs);
  const folder = first.saved?.folder as string;
  const relative = `${folder.slice(runs.length + 1)}`;
  const next = await startRun(runtime, net(`run fit { minimize L; on d.train; by slow; steps 1; eval d.val; every 1; start_from "${relative}" }`), runs);
  assert.ok(next.saved);
  // Its first evaluation is one step from the best weights it started from.
  const start = first.saved?.result.final.evalLoss as number;
  assert.ok(Math.abs((next.saved.result.best?.evalLoss as number) - start) < 0.05 * start, `${next.saved.result.best?.evalLoss} against ${start}`);
  assert.match(next.saved.result.reported.weights, /best/);
  const wider = (await startRun(runtime, net(`run fit { minimize L; on d.train; by slow; steps 1; start_from "${relative}" }`).replace("param W1: [12, D]", "param W1: [13, D]").replace("[C, 12]", "[C, 13]"), runs)) as { error?: string };
  assert.match(wider.error ?? "", /^param W1 is \[13, 6\] here but \[12, 6\] in .*weights.best$/);
  const missing = (await startRun(runtime, net(`run fit { minimize L; on d.train; by slow; steps 1; start_from "nowhere" }`), runs)) as { error?: string };
  assert.match(missing.error ?? "", /^start_from: .*nowhere holds no saved weights/);
});

test("resuming a run that took all its steps, or with another optimizer, says why it cannot", async () => {
  const runs = scratchFolder("resume-refused");
  const runtime = loadKernels();
  const { saved } = await startRun(runtime, net("run fit { minimize L; on d.train; by opt; steps 10; eval d.val; every 5 }"), runs);
  const done = (await startRun(runtime, net("run fit { minimize L; on d.train; by opt; steps 10; eval d.val; every 5 }"), runs, { resume: saved?.folder })) as { error?: string };
  assert.equal(done.error, "the saved run already took 10 of its 10 steps: raise steps to go on");
  const other = (await startRun(runtime, net("run fit { minimize L; on d.train; by slow; steps 20; eval d.val; every 5 }"), runs, { resume: saved?.folder })) as { error?: string };
  assert.match(other.error ?? "", /optimizer state for W1 is not what momentum keeps/);
});

test("a run with batch normalization and dropout, stopped and resumed, draws the curve of a run that never stopped; its checkpoints keep the running averages", async () => {
  const runtime = loadKernels();
  const normalized = (run: string) => net(run).replace("score s = relu(X @ W1^T) @ W2^T + b", "score z = X @ W1^T\nscore zn = (z - batch_mean(z)) / sqrt(batch_var(z) + 1e-5)\nscore h = relu(zn)\nscore s = (h * dropout_mask(h, keep=0.8)) @ W2^T + b");
  const text = normalized("run fit { minimize L; on d.train; by opt; steps 40; eval d.val; every 10 }");
  const whole = await startRun(runtime, text, scratchFolder("resume-bn-whole"));
  assert.ok(whole.saved);
  const runs = scratchFolder("resume-bn");
  const cancelled = await startRun(runtime, text, runs, { cancelAfter: 17 });
  const folder = cancelled.saved?.folder as string;
  // Both checkpoints hold the averages of both statistics, one entry per hidden unit.
  for (const kind of ["best", "final"]) {
    const listed = JSON.parse(readFileSync(join(folder, "weights", kind, "weights.json"), "utf8")) as { statistics: { name: string; shape: number[]; file: string }[] };
    assert.equal(listed.statistics.length, 2, kind);
    for (const entry of listed.statistics) {
      assert.deepEqual(entry.shape, [12]);
      const read = await loadNpyInputs(join(folder, "weights", kind, entry.file));
      assert.ok(read.ok && read.value.X.some((value) => value !== 0), `${kind} ${entry.name} holds averages`);
    }
  }
  const resumed = await startRun(runtime, text, runs, { resume: folder });
  assert.equal(resumed.saved?.result.status, "finished");
  assert.deepEqual(savedCurve(folder), savedCurve(whole.saved.folder));
  assert.deepEqual(resumed.saved?.result.final, whole.saved.result.final, "the evaluations at the end read the same running averages");

  // A checkpoint saved without the averages cannot go on as the run would have.
  const older = await startRun(runtime, text, scratchFolder("resume-bn-old"), { cancelAfter: 17 });
  const olderFolder = older.saved?.folder as string;
  const weightsFile = join(olderFolder, "weights", "final", "weights.json");
  const { statistics: _statistics, ...withoutStatistics } = JSON.parse(readFileSync(weightsFile, "utf8"));
  writeFileSync(weightsFile, JSON.stringify(withoutStatistics));
  const refused = (await startRun(runtime, text, scratchFolder("resume-bn-old"), { resume: olderFolder })) as { error?: string };
  assert.match(refused.error ?? "", /^the checkpoint holds no running averages of batch_mean and batch_var/);
});

test("a run stopped between the two renames of a checkpoint goes on from the one it replaced", async () => {
  const runs = scratchFolder("resume-old");
  const runtime = loadKernels();
  const text = net("run fit { minimize L; on d.train; by opt; steps 30; eval d.val; every 10 }");
  const whole = await startRun(runtime, text, scratchFolder("resume-old-whole"));
  const { saved } = await startRun(runtime, text, runs, { cancelAfter: 12 });
  const folder = saved?.folder as string;
  renameSync(join(folder, "weights", "final"), join(folder, "weights", "final.old"));
  const resumed = await startRun(runtime, text, runs, { resume: folder });
  assert.equal(resumed.saved?.result.status, "finished");
  assert.deepEqual(savedCurve(folder), savedCurve(whole.saved?.folder as string));
});

test("patience and start_from are run settings the checker knows and checks", () => {
  const errors = (run: string) => analyze(net(run), { dataFacts: () => ({ features: 6, classes: 3 }) }).findings.filter((finding) => finding.severity === "error").map((finding) => finding.message);
  assert.deepEqual(errors(`run fit { minimize L; on d.train; by opt; steps 10; eval d.val; patience 3; start_from "runs/fit" }`), []);
  assert.equal(errors("run fit { minimize L; on d.train; by opt; steps 10; patience 0 }").length, 1);
  assert.match(errors("run fit { minimize L; on d.train; by opt; steps 10; start_from 3 }")[0] ?? "", /'start_from' needs a string/);
});
