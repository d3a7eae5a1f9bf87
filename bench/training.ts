// W1–W4: training throughput on the path a user's run takes. Each workload is
// a .optim document; it is read and analysed like any other (prepareRuns),
// its run planned (planRun) and trained by the trainer on the backend chosen
// as the editor and the CLI choose it (`auto` unless --backend says otherwise).
// The matching NumPy programs are in bench/numpy/train.py.
//
// Timing: from the first step's point to the last one's, so the first step
// (which uploads the data and compiles kernels) is left out, as is the final
// evaluation after the loop; NumPy's figure leaves out its first step too.
//   npx esbuild bench/training.ts --bundle --platform=node --outfile=out/bench/training.js --external:@tensorflow/tfjs-node && node out/bench/training.js W1 [--repeats 3] [--backend auto|tensorflow|kernels|wasm|cpu] [--json]
import { dirname } from "node:path";
import { loadRuntime, type BackendPreference } from "../server/src/train/executors";
import { planRun, type RunDeclaration } from "../server/src/train/plan-run";
import { prepareRuns } from "../server/src/train/prepare";
import { train } from "../server/src/train/trainer";
import { dataLoader } from "../server/src/worker/load-examples";

export interface TrainingWorkload {
  title: string;
  /** The document: one data set, one model, one run named `bench`. */
  source: string;
  /** Matrix-product flops per example and step: forward X@W, backward X^T@G and G@W^T where they occur. */
  flopsPerExample: number;
}

const D = 3073;
const C = 10;
const H = 100;
const synthetic = "data d = blobs(classes=10, points=500, dims=3072, seed=1) { bias_trick }";
const svmLoss = "loss L = mean(sum(max(0, s - s[y] + 1) * (1 - onehot(y)), axis=1)) + 0.5 * reg * sum(W^2)";

export const trainingWorkloads: Record<string, TrainingWorkload> = {
  W1: {
    title: "linear SVM, D 3073, C 10, batch 256 of 5,000, 500 SGD steps",
    source: [synthetic, "hyper reg = 1e-3", "param W: [C, D] = randn * 0.0001", "score s = X @ W^T", svmLoss, "optimizer opt = sgd { lr 1e-7, batch 256 }", "run bench { minimize L; on d.train; by opt; steps 500 }"].join("\n"),
    flopsPerExample: 4 * D * C,
  },
  W2: {
    title: "softmax, D 3073, C 10, batch 256 of 5,000, 500 SGD steps",
    source: [synthetic, "hyper reg = 1e-3", "param W: [C, D] = randn * 0.0001", "score s = X @ W^T", "loss L = mean(logsumexp(s, axis=1) - s[y]) + 0.5 * reg * sum(W^2)", "optimizer opt = sgd { lr 1e-7, batch 256 }", "run bench { minimize L; on d.train; by opt; steps 500 }"].join("\n"),
    flopsPerExample: 4 * D * C,
  },
  W3: {
    title: "two-layer ReLU net, hidden 100, softmax, batch 200 of 5,000, 500 SGD steps",
    source: [
      synthetic,
      "hyper reg = 1e-3",
      `param W1: [${H}, D] = randn * 0.0001`,
      `param W2: [C, ${H}] = randn * 0.01`,
      "score s = relu(X @ W1^T) @ W2^T",
      "loss L = mean(logsumexp(s, axis=1) - s[y]) + 0.5 * reg * (sum(W1^2) + sum(W2^2))",
      "optimizer opt = sgd { lr 1e-5, batch 200 }",
      "run bench { minimize L; on d.train; by opt; steps 500 }",
    ].join("\n"),
    // forward X@W1^T and h@W2^T; backward G^T@h, G@W2 and dh^T@X (no gradient for X).
    flopsPerExample: 4 * D * H + 6 * H * C,
  },
  W4: {
    title: "linear SVM on Fashion-MNIST, D 785, one epoch of 60,000, batch 256",
    source: ['data f = idx("/usr/share/datasets/fashion-mnist") { scale 1/255; bias_trick }', "hyper reg = 1e-3", "param W: [C, D] = randn * 0.0001", "score s = X @ W^T", svmLoss, "optimizer opt = sgd { lr 1e-3, batch 256 }", "run bench { minimize L; on f.train; by opt; epochs 1 }"].join("\n"),
    flopsPerExample: 4 * 785 * C,
  },
  // W9's convnet (bench/convnet.ts), trained by the executor from its .optim text: what `optim train` runs.
  W9: {
    title: "convnet: 3×3 conv 16 pad 1, ReLU, 2×2 max pool, affine, softmax; Fashion-MNIST, first 12,800, batch 64, 200 SGD steps",
    source: [
      'data f = idx("/usr/share/datasets/fashion-mnist") { scale 1/255 }',
      "param K: [16, 1, 3, 3] = randn * 0.1",
      "param c: [16, 1, 1] = zeros",
      "param W: [C, 3136] = randn * 0.01",
      "param b: [C] = zeros",
      "score x = reshape(X, [N, 1, 28, 28])",
      "score s = flatten(maxpool(relu(conv2d(x, K, stride=1, pad=1) + c), size=2, stride=2)) @ W^T + b",
      "loss L = mean(logsumexp(s, axis=1) - s[y])",
      "optimizer opt = sgd { lr 1e-2, batch 64 }",
      "run bench { minimize L; on f.train; by opt; steps 200; first 12800 }",
    ].join("\n"),
    // The convolution and its kernel's gradient, the affine layer, its W's gradient and its input's gradient.
    flopsPerExample: 2 * (2 * 16 * 9 * 784 + 3 * 3136 * C),
  },
};

export interface TrainingMeasurement {
  workload: string;
  backend: string;
  steps: number;
  /** Examples in the timed steps (all but the first). */
  examples: number;
  seconds: number;
  examplesPerSecond: number;
  gflops: number;
}

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function measure(name: string, workload: TrainingWorkload, repeats: number, backend: BackendPreference): Promise<TrainingMeasurement[]> {
  const prepared = await prepareRuns(workload.source, dataLoader({ baseDirectory: dirname(process.argv[1]) }));
  if (!prepared.ok) throw new Error(`${name}: ${prepared.message}`);
  const run = prepared.analysis.document.declarations.find((declaration): declaration is RunDeclaration => declaration.kind === "run");
  if (!run) throw new Error(`${name} has no run`);
  const runtime = await loadRuntime(backend);
  const results: TrainingMeasurement[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    const planned = planRun(prepared.analysis, run, prepared.data);
    if (!planned.ok) throw new Error(`${name}: ${planned.message}`);
    const batch = planned.spec.strategy.kind === "gradient" ? planned.spec.strategy.batch ?? planned.spec.train.n : planned.spec.train.n;
    const rowsPerEpoch = planned.spec.train.n;
    let firstTime = 0;
    let lastTime = 0;
    const result = train(runtime, planned.spec, {
      cancelled: () => false,
      onPoint: (point) => {
        const now = performance.now();
        if (point.step === 0) firstTime = now;
        lastTime = now;
      },
    });
    if (result.status !== "finished") throw new Error(`${name} ${result.status} after ${result.steps} steps`);
    const examples = rowsUsed(result.steps, batch, rowsPerEpoch) - Math.min(batch, rowsPerEpoch);
    const seconds = (lastTime - firstTime) / 1000;
    results.push({ workload: name, backend: runtime.backend, steps: result.steps, examples, seconds, examplesPerSecond: examples / seconds, gflops: (examples * workload.flopsPerExample) / seconds / 1e9 });
  }
  return results;
}

/** Rows used by `steps` batches drawn epoch by epoch (each epoch's last batch holds what is left). */
function rowsUsed(steps: number, batch: number, n: number): number {
  const perEpoch = Math.ceil(n / batch);
  const epochs = Math.floor(steps / perEpoch);
  const rest = steps % perEpoch;
  return epochs * n + Math.min(rest * batch, n);
}

async function main(): Promise<void> {
  const names = process.argv.slice(2).filter((arg, i, all) => /^W\d$/.test(arg) && !["--repeats", "--backend"].includes(all[i - 1]));
  const repeats = Number(option("--repeats") ?? 3);
  const backend = (option("--backend") ?? "auto") as BackendPreference;
  for (const name of names.length > 0 ? names : Object.keys(trainingWorkloads)) {
    const workload = trainingWorkloads[name];
    if (!workload) throw new Error(`no training workload ${name}`);
    for (const measured of await measure(name, workload, repeats, backend)) {
      if (process.argv.includes("--json")) console.log(JSON.stringify(measured));
      else console.log(`${name} ${workload.title} on ${measured.backend}: ${Math.round(measured.examplesPerSecond)} examples/s, ${measured.gflops.toFixed(2)} GFLOP/s (${measured.steps} steps, ${measured.seconds.toFixed(2)} s)`);
    }
  }
}

main().catch((failure: unknown) => {
  console.error(failure instanceof Error ? failure.stack : failure);
  process.exit(1);
});
