// Gradient-check latency for a linear SVM of CIFAR-10 shape (W is [10, 3073]):
// W5, the sampled check after an edit (analysis + check on 100 examples), and
// W6, the full check of all 30,730 entries.
//   npx esbuild bench/gradcheck.ts --bundle --platform=node --outfile=out/bench/gradcheck.js && node out/bench/gradcheck.js [--json]
import { analyze } from "../server/src/analysis/analyze";
import { checkFindings } from "../server/src/engine/check-findings";
import { checkGradients, type CheckExamples } from "../server/src/engine/check-gradients";
import { randomSource, seededStreams } from "../server/src/engine/random";

export const svmSource = `data cifar = cifar10("cifar-10-batches-bin") { bias_trick }
hyper reg = 2.5e4
param W: [C, D] = randn * 0.0001
score s = X @ W^T
score active = (s - s[y] + 1 > 0) * (1 - onehot(y))
loss L = mean(sum(max(0, s - s[y] + 1) * (1 - onehot(y)), axis=1)) + 0.5 * reg * sum(W^2)
grad dL/dW = (active - onehot(y) * sum(active, axis=1))^T @ X / N + reg * W
`;

export function cifarLikeExamples(n: number): CheckExamples {
  const d = 3073;
  const random = randomSource(3);
  const X = new Float64Array(n * d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d - 1; j++) X[i * d + j] = random.uniform() * 255 - 128;
    X[i * d + d - 1] = 1;
    y[i] = Math.floor(random.uniform() * 10);
  }
  return { X, y, n, d };
}

function stats(times: number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1] };
}

const examples = cifarLikeExamples(100);
const settings = { h: 1e-5, samples: 20, projections: 4 };
const edits: number[] = [];
for (let round = 0; round < 12; round++) {
  const started = performance.now();
  const analysis = analyze(svmSource.replace("hyper reg = 2.5e4", `hyper reg = 2.5e4\nhyper edit${round} = ${round}`));
  checkFindings(checkGradients(analysis, examples, settings, seededStreams(round)));
  if (round >= 2) edits.push(performance.now() - started);
}
const fullTimes: number[] = [];
let entries = 0;
for (let round = 0; round < 3; round++) {
  const started = performance.now();
  const report = checkGradients(analyze(svmSource), examples, { ...settings, all: true }, seededStreams(round));
  fullTimes.push(performance.now() - started);
  entries = report.grads[0].check?.checked ?? 0;
}
const results = [
  { workload: "W5 edit to gradient diagnostic, W [10, 3073], 100 examples (analysis and check, data in memory)", unit: "ms", target: 300, ...stats(edits) },
  { workload: `W6 full check of ${entries} entries`, unit: "ms", target: 10_000, ...stats(fullTimes) },
];
for (const result of results) {
  if (process.argv.includes("--json")) console.log(JSON.stringify(result));
  else console.log(`${result.workload}: median ${result.median.toFixed(0)} ms (min ${result.min.toFixed(0)}, max ${result.max.toFixed(0)}), target ${result.target} ms${result.median <= result.target ? "" : "  ** over target **"}`);
}
