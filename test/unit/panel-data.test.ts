// The panels' numbers and their guard at the boundary: the smoothing against
// its closed form, the CSV export and import, the validation of what a
// webview sends or saved, and what the loss-curve panel draws and calls it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { csvField, curvesCsv, forLogAxis, parseCurveCsv, smooth } from "../../media/src/curves";
import { maxExportLength, parseFromWebview, parseSavedRuns, parseSeries, type RunSeries } from "../../media/src/messages";
import { heatColour } from "../../media/src/chart-theme";
import { drawable, fullName, indexAt, lastValue, plotSeries, runNames, type Measure } from "../../media/src/run-series";

test("smoothing is the debiased exponential moving average", () => {
  const w = 0.6;
  const [v1, v2, v3] = [4, 1, 7];
  const smoothed = smooth([v1, v2, v3], w);
  // s_t = Σ_k (1 − w) w^(t−k) v_k / (1 − w^t)
  assert.equal(smoothed[0], v1, "the first value is not pulled towards zero");
  assert.ok(Math.abs((smoothed[1] as number) - ((1 - w) * (w * v1 + v2)) / (1 - w ** 2)) < 1e-12);
  assert.ok(Math.abs((smoothed[2] as number) - ((1 - w) * (w * w * v1 + w * v2 + v3)) / (1 - w ** 3)) < 1e-12);
  for (const value of smooth([3, 3, 3, 3], 0.9)) assert.ok(Math.abs((value as number) - 3) < 1e-12, "a constant stays constant");
  assert.deepEqual(smooth([5, 2, 8], 0), [5, 2, 8], "weight 0 is the raw curve");
});

test("smoothing skips missing and non-finite values without moving", () => {
  const smoothed = smooth([2, null, NaN, 2, Infinity, 4], 0.5);
  assert.equal(smoothed[1], null);
  assert.equal(smoothed[2], null);
  assert.equal(smoothed[3], 2);
  assert.equal(smoothed[4], null);
  // The finite values 2, 2, 4 in closed form.
  const expected = (0.5 * (0.25 * 2 + 0.5 * 2 + 4)) / (1 - 0.125);
  assert.ok(Math.abs((smoothed[5] as number) - expected) < 1e-12);
});

test("a log axis gets only positive finite values", () => {
  assert.deepEqual(forLogAxis([1, 0, -2, NaN, Infinity, undefined, null, 3e-9]), [1, null, null, null, null, null, null, 3e-9]);
});

const series: RunSeries = {
  id: "a",
  run: 'say "hi", twice',
  file: "lab.optim",
  status: "diverged",
  points: [
    { step: 0, epoch: 0.1, seconds: 0.01, loss: 2.5, lr: 0.01, gradNorm: 3 },
    { step: 1, epoch: 0.2, seconds: 0.02, loss: 1.5, evalLoss: 1.7, evalAccuracy: 0.5 },
  ],
  divergence: { step: 1, loss: 1.5 },
};

test("the CSV export has every point, the smoothed loss, and quotes names", () => {
  const lines = curvesCsv([series], 0.5).trim().split("\n");
  assert.equal(lines.length, 3);
  assert.equal(lines[0], "run,file,status,step,epoch,seconds,loss,smoothed_loss,eval_loss,eval_accuracy,train_accuracy,lr,grad_norm,update_ratio");
  assert.equal(lines[1], '"say ""hi"", twice",lab.optim,diverged,0,0.1,0.01,2.5,2.5,,,,0.01,3,');
  const smoothed = (0.5 * (0.5 * 2.5 + 1.5)) / 0.75;
  assert.equal(lines[2], `"say ""hi"", twice",lab.optim,diverged,1,0.2,0.02,1.5,${smoothed},1.7,0.5,,,,`);
  assert.equal(csvField("plain"), "plain");
  assert.equal(csvField("a\nb"), '"a\nb"');
});

test("a run folder's curve.csv reads back, skipping rows that do not parse", () => {
  const csv = "step,epoch,seconds,loss,lr,gradNorm,updateRatio,evalLoss,evalAccuracy\n0,0.01,0.5,2.3,0.01,1.2,0.001,,\n1,0.02,0.6,NaN,0.01,,,2.1,0.3\nbroken,row\n";
  assert.deepEqual(parseCurveCsv(csv), [
    { step: 0, epoch: 0.01, seconds: 0.5, loss: 2.3, lr: 0.01, gradNorm: 1.2, updateRatio: 0.001 },
    { step: 1, epoch: 0.02, seconds: 0.6, loss: NaN, lr: 0.01, evalLoss: 2.1, evalAccuracy: 0.3 },
  ]);
  assert.deepEqual(parseCurveCsv(""), []);
});

test("messages from a webview are accepted only when well formed", () => {
  assert.deepEqual(parseFromWebview({ type: "ready" }), { type: "ready" });
  assert.deepEqual(parseFromWebview({ type: "reveal", line: 3 }), { type: "reveal", line: 3 });
  assert.deepEqual(parseFromWebview({ type: "clear", everything: true }), { type: "clear" });
  assert.deepEqual(parseFromWebview({ type: "export", format: "csv", name: "loss-curves.csv", content: "a,b\n" }), { type: "export", format: "csv", name: "loss-curves.csv", content: "a,b\n" });
  const rejected: unknown[] = [
    null,
    "ready",
    [],
    { type: "reveal", line: -1 },
    { type: "reveal", line: 1.5 },
    { type: "reveal", line: "3" },
    { type: "export", format: "exe", name: "x.exe", content: "" },
    { type: "export", format: "csv", name: "../../etc/passwd", content: "" },
    { type: "export", format: "csv", name: "a b.csv", content: "" },
    { type: "export", format: "png", name: "chart.png", content: "<svg onload=alert(1)>" },
    { type: "export", format: "csv", name: "big.csv", content: "x".repeat(maxExportLength + 1) },
    { type: "run", command: "rm -rf /" },
  ];
  for (const message of rejected) assert.equal(parseFromWebview(message), undefined, JSON.stringify(message)?.slice(0, 80));
});

test("saved panel state is validated before it is used", () => {
  assert.deepEqual(parseSeries(series), series);
  assert.equal(parseSeries({ ...series, status: "exploded" }), undefined);
  assert.equal(parseSeries({ ...series, points: [{ step: 0, epoch: 0, seconds: 0, loss: "2" }] }), undefined);
  assert.equal(parseSeries({ ...series, points: [{ step: 0.5, epoch: 0, seconds: 0, loss: 2 }] }), undefined);
  assert.equal(parseSeries({ ...series, divergence: { step: "1" } }), undefined);
  assert.deepEqual(parseSavedRuns({ runs: [series, { id: 1 }, null] }), [series]);
  assert.deepEqual(parseSavedRuns(undefined), []);
  assert.deepEqual(parseSavedRuns({ runs: "all" }), []);
});

test("the heatmap runs from blue (low) to red (high)", () => {
  const [lowR, , lowB] = heatColour(0);
  const [highR, , highB] = heatColour(1);
  assert.ok(lowB > lowR + 100);
  assert.ok(highR > highB + 100);
  assert.deepEqual(heatColour(NaN), heatColour(1), "a non-finite loss shows as high");
  assert.deepEqual(heatColour(-3), heatColour(0));
});

test("runs are named short: numbered only when a file started one twice, and files told apart only when several", () => {
  const sameFile = [
    { run: "train_svm", file: "a.optim" },
    { run: "train_svm", file: "a.optim" },
    { run: "softmax", file: "a.optim" },
  ];
  const oneFile = runNames(sameFile);
  assert.deepEqual(oneFile, { names: ["train_svm #1", "train_svm #2", "softmax"], severalFiles: false });
  assert.equal(fullName(oneFile, sameFile, 1), "train_svm #2", "one file: no file in the name");
  const runs = [
    { run: "train_svm", file: "a.optim" },
    { run: "train_svm", file: "b.optim" },
  ];
  const twoFiles = runNames(runs);
  assert.deepEqual(twoFiles, { names: ["train_svm", "train_svm"], severalFiles: true }, "the file, not a number, tells these apart");
  assert.equal(fullName(twoFiles, runs, 1), "train_svm (b.optim)");
});

test("a plot draws a run's measure only where the run has a drawable value of it", () => {
  const accuracy: Measure[] = [
    { key: "train", value: (point) => point.trainAccuracy, dashed: false },
    { key: "val", value: (point) => point.evalAccuracy, dashed: true },
  ];
  const point = { step: 0, epoch: 0, seconds: 0, loss: 1 };
  const runs = [{ points: [point, { ...point, step: 1, evalAccuracy: 0.5 }] }, { points: [point] }, { points: [{ ...point, trainAccuracy: NaN, evalAccuracy: 0 }] }];
  assert.deepEqual(plotSeries(runs, [0, 1, 2], accuracy, false), [
    { run: 0, measure: 1 },
    { run: 2, measure: 1 },
  ]);
  assert.deepEqual(plotSeries(runs, [0, 1, 2], accuracy, true), [{ run: 0, measure: 1 }], "0 cannot be drawn on a log axis");
  assert.deepEqual(plotSeries(runs, [2], accuracy, false), [{ run: 2, measure: 1 }], "only the runs shown");
  assert.equal(drawable(undefined, false), false);
  assert.equal(drawable(-1, false), true);
});

test("the runs table reads a run at the cursor: the last point at or before it, and the last sparse value up to there", () => {
  const steps = [0, 10, 20, 30];
  const at = (x: number) => indexAt(steps, x, (step) => step);
  assert.deepEqual([at(-5), at(0), at(9), at(10), at(29), at(30), at(1e9)], [0, 0, 0, 1, 2, 3, 3]);
  assert.equal(indexAt([], 3, (step: number) => step), -1);
  const points = steps.map((step) => ({ step, epoch: 0, seconds: 0, loss: 1, ...(step === 10 ? { evalLoss: 2 } : {}) }));
  assert.equal(lastValue(points, 3, (point) => point.evalLoss), 2);
  assert.equal(lastValue(points, 0, (point) => point.evalLoss), undefined);
});
