// The confusion matrix and per-class accuracy: counted by hand on a tiny set,
// and at the end of a run on the training executor, where they agree with the
// float64 reference executor's predictions from the same weights and with the
// run's reported accuracy.
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../../server/src/analysis/analyze";
import { blobs } from "../../../server/src/data/generators";
import { evaluate } from "../../../server/src/engine/reference";
import { tensor } from "../../../server/src/engine/tensor";
import { classNamesOf, ConfusionCounter, runConfusion, summarizeConfusion } from "../../../server/src/train/confusion";
import { loadKernels } from "../../../server/src/train/executors";
import { planRun, type RunDeclaration } from "../../../server/src/train/plan-run";
import { train, type TrainExamples } from "../../../server/src/train/trainer";

test("a tiny set counted by hand: rows are the true class, columns the predicted one", () => {
  // True:      0  0  1  2  2  2
  // Predicted: 0  1  1  2  0  2
  const counter = new ConfusionCounter(3);
  counter.add([0, 0, 1, 2, 2, 2], [0, 1, 2, 3, 4, 5], [0, 1, 1, 2, 0, 2]);
  const confusion = counter.result();
  assert.deepEqual(confusion.matrix, [
    [1, 1, 0],
    [0, 1, 0],
    [1, 0, 2],
  ]);
  assert.deepEqual(confusion.support, [2, 1, 3]);
  assert.deepEqual(confusion.perClass, [1 / 2, 1, 2 / 3]);
  assert.equal(confusion.total, 6);
  // The accuracy is the trace over the total: 4 of 6.
  assert.equal(confusion.accuracy, 4 / 6);
});

test("rows are read through the row numbers given, in chunks", () => {
  const labels = [2, 1, 0, 1];
  const counter = new ConfusionCounter(3);
  counter.add(labels, [3, 1], [1, 0]);
  counter.add(labels, [0, 2], [2, 2]);
  assert.deepEqual(counter.result().matrix, [
    [0, 0, 1],
    [1, 1, 0],
    [0, 0, 1],
  ]);
});

test("a class with no example has no accuracy, not zero", () => {
  const confusion = summarizeConfusion([
    [3, 1],
    [0, 0],
  ]);
  assert.deepEqual(confusion.perClass, [0.75, null]);
  assert.equal(confusion.accuracy, 0.75);
});

test("a prediction past the data's classes widens the matrix; a negative class is refused", () => {
  const counter = new ConfusionCounter(2);
  counter.add([0, 1], [0, 1], [3, 1]);
  assert.equal(counter.classes, 4);
  assert.deepEqual(counter.result().matrix[0], [0, 0, 0, 1]);
  assert.throws(() => counter.add([0], [0], [-1]), /integers from 0/);
});

test("a run's two splits share one list of classes, the wider one's", () => {
  const evaluation = new ConfusionCounter(2);
  const testSplit = new ConfusionCounter(2);
  testSplit.add([0], [0], [2]);
  const confusion = runConfusion("best", ["a", "b"], evaluation, testSplit);
  assert.deepEqual(confusion?.classes, ["a", "b", "class 2"]);
  assert.equal(confusion?.evaluation?.matrix.length, 3);
  assert.equal(confusion?.test?.matrix.length, 3);
  assert.equal(runConfusion("final", undefined), undefined);
});

test("class names are the data set's, else class k", () => {
  assert.deepEqual(classNamesOf(3, ["a", "b", "c"]), ["a", "b", "c"]);
  assert.deepEqual(classNamesOf(2), ["class 0", "class 1"]);
});

test("a run counts its eval and test splits with its reported weights, as the reference executor predicts from them", () => {
  const data = blobs({ classes: 3, points: 60, dims: 2, seed: 5 });
  assert.ok(data.ok);
  const text = `data d = blobs(classes=3, points=60, dims=2)
param W: [C, D] = randn * 0.01
param b: [C] = zeros
score s = X @ W^T + b
loss L = mean(logsumexp(s, axis=1) - s[y])
optimizer opt = sgd { lr 0.05, batch 16 }
run r { minimize L; on d.train; by opt; steps 30; eval d.val; every 10; test d.test }
`;
  const analysis = analyze(text, { dataFacts: () => ({ features: 2, classes: 3 }) });
  assert.deepEqual(analysis.findings.filter((finding) => finding.severity === "error"), []);
  const run = analysis.document.declarations.find((declaration) => declaration.kind === "run") as RunDeclaration;
  // Thirds of the blobs for train, val and test; the examples are shuffled by the generator.
  const all = data.value;
  const part = (from: number, to: number) => ({ ...all, X: all.X.slice(from * all.d, to * all.d), y: all.y.slice(from, to), n: to - from });
  const third = Math.floor(all.n / 3);
  const planned = planRun(analysis, run, () => ({ train: part(0, third), val: part(third, 2 * third), test: part(2 * third, all.n) }));
  assert.ok(planned.ok, planned.ok ? "" : planned.message);
  const result = train(loadKernels(), planned.spec, { onPoint: () => undefined, cancelled: () => false });
  const confusion = result.confusion;
  assert.ok(confusion?.evaluation && confusion.test, "both splits are counted");
  assert.equal(confusion.weights, result.reported.weights);
  assert.deepEqual(confusion.classes, ["class 0", "class 1", "class 2"]);
  assert.equal(confusion.evaluation.accuracy, result.final.evalAccuracy);
  assert.equal(confusion.test.accuracy, result.final.testAccuracy);
  // The reference executor's argmax of the score, in float64, from the weights the run reports.
  const score = planned.spec.score;
  assert.ok(score);
  const referenceCounts = (examples: TrainExamples) => {
    const params = new Map([...result.params].map(([name, values]) => [name, tensor(planned.spec.shapes.get(name) as number[], values)]));
    const values = evaluate(score, { X: tensor([examples.n, examples.d], examples.X), y: tensor([examples.n], examples.y), params });
    const scores = values[score.output];
    const predicted = Array.from({ length: examples.n }, (_, i) => {
      const row = Array.from(scores.data.subarray(i * 3, i * 3 + 3));
      return row.indexOf(Math.max(...row));
    });
    const counter = new ConfusionCounter(3);
    counter.add(examples.y, Array.from({ length: examples.n }, (_, i) => i), predicted);
    return counter.result().matrix;
  };
  assert.deepEqual(confusion.evaluation.matrix, referenceCounts(planned.spec.evaluation as TrainExamples));
  assert.deepEqual(confusion.test.matrix, referenceCounts(planned.spec.test as TrainExamples));
  assert.equal(confusion.test.total, (planned.spec.test as TrainExamples).n);
});

test("a loss without class scores has no confusion matrix", () => {
  const data = blobs({ classes: 2, points: 20, dims: 2, seed: 1 });
  assert.ok(data.ok);
  const text = `data d = blobs(classes=2, points=20, dims=2)
param W: [C, D] = randn * 0.01
loss L = sum(W^2)
optimizer opt = sgd { lr 0.1 }
run r { minimize L; on d.train; by opt; steps 5; eval d.train; every 5 }
`;
  const analysis = analyze(text, { dataFacts: () => ({ features: 2, classes: 2 }) });
  const run = analysis.document.declarations.find((declaration) => declaration.kind === "run") as RunDeclaration;
  const planned = planRun(analysis, run, () => ({ train: data.value }));
  assert.ok(planned.ok, planned.ok ? "" : planned.message);
  const result = train(loadKernels(), planned.spec, { onPoint: () => undefined, cancelled: () => false });
  assert.equal(result.confusion, undefined);
});
