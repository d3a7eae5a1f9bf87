// The training loop: it learns, it repeats exactly from a seed, it stops when
// cancelled, and it stops (and says so) when the loss diverges.
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../../server/src/analysis/analyze";
import { blobs } from "../../../server/src/data/generators";
import { loadTfjs } from "../../../server/src/engine/tfjs-executor";
import { planRun, type RunDeclaration } from "../../../server/src/train/plan-run";
import { train, type CurvePoint } from "../../../server/src/train/trainer";

function plan(lr: string, steps = 60, extra = "") {
  const data = blobs({ classes: 3, points: 40, dims: 2, seed: 3 });
  assert.ok(data.ok);
  const text = `data d = blobs(classes=3, points=40, dims=2)
param W: [C, D] = randn * 0.01
param b: [C] = zeros
score s = X @ W^T + b
loss L = mean(logsumexp(s, axis=1) - s[y])
optimizer opt = sgd { lr ${lr}, batch 16 }
run r { minimize L; on d.train; by opt; steps ${steps}; eval d.train; every 20${extra} }
`;
  const analysis = analyze(text, { dataFacts: () => ({ features: 2, classes: 3 }) });
  assert.deepEqual(analysis.findings.filter((finding) => finding.severity === "error"), []);
  const run = analysis.document.declarations.find((declaration) => declaration.kind === "run") as RunDeclaration;
  const planned = planRun(analysis, run, () => ({ train: data.value }));
  assert.ok(planned.ok, planned.ok ? "" : planned.message);
  return planned.spec;
}

async function runOnce(lr: string, steps = 60, cancelAfter?: number) {
  const runtime = await loadTfjs("cpu");
  const points: CurvePoint[] = [];
  const result = train(runtime, plan(lr, steps), { onPoint: (point) => points.push(point), cancelled: () => cancelAfter !== undefined && points.length >= cancelAfter });
  return { result, points };
}

test("gradient descent lowers the loss and learns separable blobs", async () => {
  const { result, points } = await runOnce("0.1", 200);
  assert.equal(result.status, "finished");
  assert.equal(points.length, 200);
  assert.ok(points[points.length - 1].loss < points[0].loss / 3, `loss ${points[0].loss} -> ${points[points.length - 1].loss}`);
  assert.ok((result.final.trainAccuracy ?? 0) > 0.9, `accuracy ${result.final.trainAccuracy}`);
});

test("the same seed gives the identical curve on the same backend", async () => {
  const first = await runOnce("0.05");
  const second = await runOnce("0.05");
  assert.deepEqual(first.points.map((point) => point.loss), second.points.map((point) => point.loss));
  assert.deepEqual([...first.result.params.get("W") ?? []], [...second.result.params.get("W") ?? []]);
});

test("a cancelled run stops at once and says so", async () => {
  const { result, points } = await runOnce("0.05", 1000, 5);
  assert.equal(result.status, "cancelled");
  assert.equal(points.length, 5);
});

test("a loss that blows up stops the run as diverged", async () => {
  const { result } = await runOnce("1e6", 100);
  assert.equal(result.status, "diverged");
  assert.ok(result.divergence && result.divergence.step < 100);
  assert.ok(!Number.isFinite(result.divergence.loss) || result.divergence.loss > result.divergence.best, JSON.stringify(result.divergence));
});
