// Searches over hypers and optimizer settings: the trials a space gives
// (random on log and linear scales, grids, lists, whole numbers; the same
// from the same seed), and a whole search on a small data set, one trial at
// a time here and two at a time on trial threads, ranked and saved.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { analyze } from "../../../server/src/analysis/analyze";
import type { SearchSpace } from "../../../server/src/analysis/model";
import { valueEdits } from "../../../server/src/features/run-findings";
import { saveSearch } from "../../../server/src/train/experiments";
import { gridValues, roundValue, searchTrials } from "../../../server/src/train/search-space";
import { rankTrials } from "../../../server/src/train/rank-trials";
import type { TrialResult } from "../../../server/src/train/search";
import { runSearch } from "../../../server/src/worker/run-search";
import { repoRoot } from "../../support/fixtures";
import { scratchFolder } from "../../support/scratch";

function spaceOf(text: string, name: string): SearchSpace {
  const analysis = analyze(text, { dataFacts: () => ({ features: 2, classes: 3 }) });
  assert.deepEqual(analysis.findings.filter((finding) => finding.severity === "error").map((finding) => finding.message), []);
  const declaration = analysis.document.declarations.find((candidate) => candidate.kind === "search" && candidate.name.text === name);
  const space = declaration ? analysis.model.facts.get(declaration)?.search : undefined;
  assert.ok(space, `search ${name} has a space`);
  return space;
}

const model = `data d = blobs(classes=3, points=40, dims=2, seed=4) { val 30; test 30 }
hyper reg = 1e-3
param W: [C, D] = randn * 0.01
param b: [C] = zeros
score s = X @ W^T + b
loss L = mean(logsumexp(s, axis=1) - s[y]) + reg * sum(W^2)
optimizer opt = momentum { lr 0.05, batch 16 }
`;

test("a random search draws each setting within its range, on its scale, and repeats from its seed", () => {
  const space = spaceOf(model + "search tune { minimize L; on d.train; by opt; steps 5; eval d.val; trials 400; reg 1e-6 .. 1e-2 log; mu 0.5 .. 0.99 linear; batch 4 .. 64 }", "tune");
  assert.deepEqual(
    space.dimensions.map((dimension) => [dimension.name, dimension.range?.scale, dimension.integer]),
    [
      ["reg", "log", false],
      ["opt.mu", "linear", false],
      ["opt.batch", "log", true],
    ],
  );
  const trials = searchTrials(space, 7);
  assert.equal(trials.length, 400);
  assert.deepEqual(searchTrials(space, 7), trials, "the same seed gives the same trials");
  assert.notDeepEqual(searchTrials(space, 8), trials, "another seed gives others");
  const regs = trials.map((trial) => trial.values.reg);
  const mus = trials.map((trial) => trial.values["opt.mu"]);
  const batches = trials.map((trial) => trial.values["opt.batch"]);
  assert.ok(regs.every((value) => value >= 1e-6 && value <= 1e-2));
  assert.ok(mus.every((value) => value >= 0.5 && value <= 0.99));
  assert.ok(batches.every((value) => Number.isInteger(value) && value >= 4 && value <= 64));
  // On a log scale each decade gets its share: about a quarter of 400 draws below 1e-5.
  const lowDecade = regs.filter((value) => value < 1e-5).length;
  assert.ok(lowDecade > 60 && lowDecade < 140, `${lowDecade} of 400 draws in the lowest decade`);
  // On a linear scale, about half lie below the middle.
  const lowerHalf = mus.filter((value) => value < 0.745).length;
  assert.ok(lowerHalf > 160 && lowerHalf < 240, `${lowerHalf} of 400 draws in the lower half`);
  // Three significant digits: the value a trial used is the value written back.
  assert.ok(regs.every((value) => Number(value.toPrecision(3)) === value));
});

test("adding a searched setting leaves the others' draws as they were", () => {
  const one = spaceOf(model + "search a { minimize L; on d.train; by opt; steps 5; eval d.val; trials 5; reg 1e-6 .. 1e-2 }", "a");
  const two = spaceOf(model + "search a { minimize L; on d.train; by opt; steps 5; eval d.val; trials 5; reg 1e-6 .. 1e-2; lr 1e-3 .. 1 }", "a");
  assert.deepEqual(
    searchTrials(two, 1).map((trial) => trial.values.reg),
    searchTrials(one, 1).map((trial) => trial.values.reg),
  );
});

test("a grid search runs every combination of its ranges' points and its lists' values", () => {
  const space = spaceOf(model + "search grid { minimize L; on d.train; by opt; steps 5; eval d.val; method grid; points 3; reg 1e-4 .. 1e-2; lr [0.01, 0.1]; mu 0 .. 0.9 linear }", "grid");
  assert.equal(space.trials, 18);
  assert.deepEqual(gridValues(space.dimensions[0], 3), [1e-4, 1e-3, 1e-2]);
  assert.deepEqual(gridValues(space.dimensions[2], 3), [0, 0.45, 0.9]);
  const trials = searchTrials(space, 0);
  assert.equal(trials.length, 18);
  assert.equal(new Set(trials.map((trial) => JSON.stringify(trial.values))).size, 18, "no combination twice");
  assert.deepEqual(trials[0].values, { reg: 1e-4, "opt.lr": 0.01, "opt.mu": 0 });
});

test("whole-number settings are rounded and kept inside their range; lists are drawn from", () => {
  assert.equal(roundValue(7.6, { integer: true, range: { from: 4, to: 7, scale: "linear" } }), 7);
  assert.equal(roundValue(0.000123456, { integer: false }), 0.000123);
  const space = spaceOf(model + "search bs { minimize L; on d.train; by opt; steps 5; eval d.val; method grid; points 4; batch 1 .. 3 linear }", "bs");
  assert.deepEqual(gridValues(space.dimensions[0], 4), [1, 2, 3], "rounded points that coincide run once");
  const listed = spaceOf(model + "search cs { minimize L; on d.train; by opt; steps 5; eval d.val; trials 30; batch [8, 32] }", "cs");
  const drawn = new Set(searchTrials(listed, 2).map((trial) => trial.values["opt.batch"]));
  assert.deepEqual([...drawn].sort((a, b) => a - b), [8, 32]);
});

test("trials rank by evaluation accuracy, then evaluation loss; failed ones last", () => {
  const trial = (index: number, evalAccuracy: number | undefined, evalLoss?: number, status: TrialResult["status"] = "finished"): TrialResult => ({ index, values: { reg: index }, status, steps: 1, evalAccuracy, evalLoss, seconds: 0 });
  const ranked = rankTrials([trial(0, 0.5, 1), trial(1, undefined, undefined, "failed"), trial(2, 0.9, 2), trial(3, 0.9, 1), trial(4, NaN, 3, "diverged")]);
  assert.deepEqual(
    ranked.map((entry) => entry.index),
    [3, 2, 0, 4, 1],
  );
});

const searchFile = model + "search tune { minimize L; on d.train; by opt; steps 30; eval d.val; every 10; test d.test; trials 4; seed 2; reg 1e-5 .. 1e-1 log; lr 1e-3 .. 1 log }\n";

async function searchOf(trialWorkerPath?: string) {
  const outcome = await runSearch({ text: searchFile, baseDirectory: repoRoot, search: "tune", backend: "kernels", wasmDirectory: join(repoRoot, "dist"), trialWorkerPath }, () => undefined, () => false);
  assert.ok(outcome.ok, outcome.ok ? "" : outcome.message);
  return outcome.result;
}

test("a search runs its trials, ranks them best first and saves them as JSON and CSV", async () => {
  const progress: number[] = [];
  const outcome = await runSearch({ text: searchFile, baseDirectory: repoRoot, search: "tune", backend: "kernels", wasmDirectory: join(repoRoot, "dist") }, ({ done }) => progress.push(done), () => false);
  assert.ok(outcome.ok, outcome.ok ? "" : outcome.message);
  const result = outcome.result;
  assert.deepEqual(progress, [1, 2, 3, 4]);
  assert.equal(result.parallel, 1);
  assert.equal(result.trials.length, 4);
  assert.deepEqual(result.axes, [
    { name: "reg", scale: "log", from: 1e-5, to: 0.1 },
    { name: "opt.lr", scale: "log", from: 1e-3, to: 1 },
  ]);
  for (const trial of result.trials) {
    assert.equal(trial.status, "finished");
    assert.equal(trial.steps, 30);
    assert.ok(trial.evalAccuracy !== undefined && trial.testAccuracy !== undefined && trial.evalLoss !== undefined);
  }
  const accuracies = result.trials.map((trial) => trial.evalAccuracy as number);
  assert.deepEqual(accuracies, [...accuracies].sort((a, b) => b - a), "best first");
  // Each trial trained with its own values: their losses differ.
  assert.equal(new Set(result.trials.map((trial) => trial.trainLoss)).size, 4);

  const folder = saveSearch(scratchFolder("search-"), "tune", result);
  assert.deepEqual(readdirSync(folder).sort(), ["search.csv", "search.json"]);
  const saved = JSON.parse(readFileSync(join(folder, "search.json"), "utf8"));
  assert.deepEqual(saved.trials.map((trial: TrialResult) => trial.index), result.trials.map((trial) => trial.index));
  const lines = readFileSync(join(folder, "search.csv"), "utf8").trim().split("\n");
  assert.equal(lines[0], "rank,trial,reg,opt.lr,status,steps,eval_accuracy,eval_loss,test_accuracy,test_loss,train_loss");
  assert.equal(lines.length, 5);
  assert.equal(lines[1].split(",")[2], String(result.trials[0].values.reg));
});

test("trials on two trial threads give what one at a time gives", async () => {
  const alone = await searchOf();
  const threaded = await searchOf(join(repoRoot, "dist", "trial-worker.js"));
  assert.equal(threaded.parallel, 2);
  const figures = (trials: TrialResult[]) => trials.map((trial) => [trial.index, trial.values, trial.evalAccuracy, trial.evalLoss, trial.testAccuracy]);
  assert.deepEqual(figures(threaded.trials), figures(alone.trials));
});

test("the best values are written into the hyper and the optimizer, adding a setting the optimizer lacks", () => {
  const text = model.replace("optimizer opt = momentum { lr 0.05, batch 16 }", "optimizer opt = momentum { lr 0.05 }");
  const found = valueEdits(text, { reg: 0.000123, "opt.lr": 0.2, "opt.batch": 32 });
  assert.ok(found.ok);
  let edited = text;
  for (const edit of [...found.edits].sort((a, b) => b.span.start - a.span.start)) edited = edited.slice(0, edit.span.start) + edit.newText + edited.slice(edit.span.end);
  assert.match(edited, /hyper reg = 1\.23e-4\n/);
  assert.match(edited, /optimizer opt = momentum \{ lr 0\.2; batch 32 \}/);
  const again = valueEdits(edited, { reg: 0.000123, "opt.lr": 0.2, "opt.batch": 32 });
  assert.ok(again.ok);
  assert.deepEqual(again.edits, [], "values the file has need no edit");
});
