// W9: a small convnet's forward and backward passes on Fashion-MNIST, in
// examples per second, against bench/numpy/convnet.py (the same layers, data
// and batches). The layers: a 3×3 convolution with 16 filters (stride 1,
// pad 1) and a bias, ReLU, 2×2 max pooling with stride 2, an affine layer to
// 10 classes, softmax cross-entropy, and an SGD update of every param; the
// input's gradient is computed on neither side (x is data).
//
// The measurement (`measureConvnet`) takes a step function, so what it times
// can change without touching it: here `kernelLayers` calls our kernels
// (kernels/convolution.c for the convolution and pooling, the existing
// products and elementwise kernels for the rest) directly, layer by layer;
// a step through the kernel executor, training a .optim convnet, fits the
// same slot.
//   node out/bench/convnet.js [--repeats 3] [--steps 200] [--method direct|im2col] [--threads 1|2] [--layers] [--json]
// --layers times each convolution and pooling kernel alone on W9's shapes, both ways.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { Kernels } from "../server/src/engine/kernels/kernels";
import type { ConvMethod, ConvShape, PoolShape } from "../server/src/engine/kernels/convolution";
import { randomSource } from "../server/src/engine/random";

const fashion = "/usr/share/datasets/fashion-mnist";
const examplesUsed = 12_800;
const batch = 64;
const filters = 16;
const classes = 10;
const pixels = 28 * 28;
const pooled = filters * 14 * 14;
/** Multiply-adds counted twice: the convolution and its kernel's gradient, the affine layer, its W's gradient and its input's gradient. */
const flopsPerExample = 2 * (2 * filters * 9 * pixels + 3 * pooled * classes);

/** One training step on the examples numbered `rows`: forward, backward and the update; returns the loss. */
export type ConvnetStep = (rows: Int32Array) => number;

export interface Images {
  /** [count, 784], scaled by 1/255. */
  values: Float32Array;
  labels: Int32Array;
  count: number;
}

export function fashionMnist(count: number): Images {
  const images = gunzipSync(readFileSync(join(fashion, "train-images-idx3-ubyte.gz")));
  const labels = gunzipSync(readFileSync(join(fashion, "train-labels-idx1-ubyte.gz")));
  const values = new Float32Array(count * pixels);
  for (let i = 0; i < values.length; i++) values[i] = images[16 + i] / 255;
  return { values, labels: Int32Array.from(labels.subarray(8, 8 + count)), count };
}

/**
 * Runs `steps` steps on batches of 64 in a seeded random order (a new one
 * each pass over the examples) and times all but the first.
 */
export function measureConvnet(step: ConvnetStep, count: number, steps: number, seed: number): { examples: number; seconds: number; loss: number } {
  const random = randomSource(seed);
  const order = Int32Array.from({ length: count }, (_, i) => i);
  const shuffle = () => {
    for (let i = count - 1; i > 0; i--) {
      const j = Math.floor(random.uniform() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
  };
  shuffle();
  let position = 0;
  let started = 0;
  let examples = 0;
  let loss = NaN;
  for (let k = 0; k < steps; k++) {
    if (position + batch > count) shuffle(), (position = 0);
    loss = step(order.subarray(position, position + batch));
    position += batch;
    if (k === 0) started = performance.now();
    else examples += batch;
  }
  return { examples, seconds: (performance.now() - started) / 1000, loss };
}

/** The convnet's layers on our kernels, called directly; params initialised from `seed`. */
export function kernelLayers(kernels: Kernels, images: Images, seed: number, method?: ConvMethod): ConvnetStep {
  const random = randomSource(seed);
  const normal = (count: number, scale: number) => kernels.copyIn(Float32Array.from({ length: count }, () => random.normal() * scale));
  const K = normal(filters * 9, Math.sqrt(2 / 9));
  const b1 = kernels.allocate(filters);
  const W = normal(classes * pooled, Math.sqrt(2 / pooled));
  const b2 = kernels.allocate(classes);
  const X = kernels.copyIn(images.values);
  const conv: ConvShape = { n: batch, c: 1, h: 28, w: 28, f: filters, kh: 3, kw: 3, stride: 1, pad: 1 };
  const pool: PoolShape = { n: batch, c: filters, h: 28, w: 28, size: 2, stride: 2 };
  const lr = 0.05;
  return (rows) => {
    const mark = kernels.mark();
    try {
      const x = kernels.gatherRows(X, pixels, rows);
      const z = kernels.allocate(batch * filters * pixels, false);
      kernels.conv2dForward(z, x, K, conv, method);
      for (let i = 0; i < batch; i++) {
        const image = z.subarray(i * filters * pixels, (i + 1) * filters * pixels);
        kernels.binary("add", image, { data: image, row: pixels, column: 1 }, { data: b1, row: 1, column: 0 }, filters, pixels);
      }
      const a = kernels.allocate(z.length, false);
      kernels.relu(a, z);
      const p = kernels.allocate(batch * pooled, false);
      kernels.maxpoolForward(p, a, pool);
      const s = kernels.allocate(batch * classes, false);
      kernels.matmul({ rows: batch, columns: pooled, data: p }, false, { rows: classes, columns: pooled, data: W }, true, s);
      kernels.binary("add", s, { data: s, row: classes, column: 1 }, { data: b2, row: 0, column: 1 }, batch, classes);
      // Softmax cross-entropy and its gradient, ds = (softmax(s) − onehot(y)) / m, in float64 loops (640 scores).
      const ds = kernels.allocate(batch * classes, false);
      const db2 = kernels.allocate(classes);
      let loss = 0;
      for (let i = 0; i < batch; i++) {
        const row = i * classes;
        let top = -Infinity;
        for (let j = 0; j < classes; j++) top = Math.max(top, s[row + j]);
        let total = 0;
        for (let j = 0; j < classes; j++) total += Math.exp(s[row + j] - top);
        const label = images.labels[rows[i]];
        loss += Math.log(total) + top - s[row + label];
        for (let j = 0; j < classes; j++) {
          ds[row + j] = (Math.exp(s[row + j] - top) / total - (j === label ? 1 : 0)) / batch;
          db2[j] += ds[row + j];
        }
      }
      const dW = kernels.allocate(classes * pooled, false);
      kernels.matmul({ rows: batch, columns: classes, data: ds }, true, { rows: batch, columns: pooled, data: p }, false, dW);
      const dp = kernels.allocate(batch * pooled, false);
      kernels.matmul({ rows: batch, columns: classes, data: ds }, false, { rows: classes, columns: pooled, data: W }, false, dp);
      const dz = kernels.allocate(z.length, false);
      kernels.maxpoolBackward(dz, dp, a, pool);
      kernels.reluGradient(dz, dz, z);
      const db1 = kernels.allocate(filters);
      for (let i = 0; i < batch; i++) kernels.sumInto({ data: db1, row: 1, column: 0 }, dz.subarray(i * filters * pixels, (i + 1) * filters * pixels), filters, pixels);
      const dK = kernels.allocate(K.length, false);
      kernels.conv2dBackwardKernel(dK, dz, x, conv, method);
      for (const [param, gradient] of [[K, dK], [b1, db1], [W, dW], [b2, db2]] as const) kernels.addScaled(param, param, gradient, -lr);
      return loss / batch;
    } finally {
      kernels.release(mark);
    }
  };
}

/**
 * Each convolution kernel alone, both ways, on W9's layer and on a second
 * layer such as a deeper net would have ([64, 16, 14, 14] by 32 filters of
 * 16 × 3 × 3), and W9's pooling: the fastest of `repeats` calls, in milliseconds.
 */
function timeLayers(kernels: Kernels, repeats: number): Record<string, number> {
  const random = randomSource(3);
  const fill = (count: number) => kernels.copyIn(Float32Array.from({ length: count }, () => random.normal()));
  const fastest = (work: () => void) => {
    for (let i = 0; i < 3; i++) work();
    let best = Infinity;
    for (let i = 0; i < repeats; i++) {
      const started = performance.now();
      work();
      best = Math.min(best, performance.now() - started);
    }
    return best;
  };
  const times: Record<string, number> = {};
  const layers: Record<string, ConvShape> = {
    "W9 [64, 1, 28, 28] * [16, 1, 3, 3]": { n: batch, c: 1, h: 28, w: 28, f: filters, kh: 3, kw: 3, stride: 1, pad: 1 },
    "[64, 16, 14, 14] * [32, 16, 3, 3]": { n: batch, c: 16, h: 14, w: 14, f: 32, kh: 3, kw: 3, stride: 1, pad: 1 },
  };
  for (const [name, conv] of Object.entries(layers)) {
    const mark = kernels.mark();
    const x = fill(conv.n * conv.c * conv.h * conv.w);
    const K = fill(conv.f * conv.c * 9);
    const g = fill(conv.n * conv.f * conv.h * conv.w);
    const out = kernels.allocate(g.length);
    const dx = kernels.allocate(x.length);
    const dK = kernels.allocate(K.length);
    for (const method of ["direct", "im2col"] as const) {
      times[`${name}: forward, ${method}`] = fastest(() => kernels.conv2dForward(out, x, K, conv, method));
      times[`${name}: kernel's gradient, ${method}`] = fastest(() => kernels.conv2dBackwardKernel(dK, g, x, conv, method));
      times[`${name}: input's gradient, ${method}`] = fastest(() => kernels.conv2dBackwardInput(dx, g, K, conv, method));
    }
    kernels.release(mark);
  }
  const pool: PoolShape = { n: batch, c: filters, h: 28, w: 28, size: 2, stride: 2 };
  const mark = kernels.mark();
  const a = fill(batch * filters * pixels);
  const p = fill(batch * pooled);
  const da = kernels.allocate(a.length);
  times["W9 max pooling"] = fastest(() => kernels.maxpoolForward(p, a, pool));
  times["W9 max pooling's gradient"] = fastest(() => kernels.maxpoolBackward(da, p, a, pool));
  kernels.release(mark);
  return times;
}

function main(): void {
  const args = process.argv.slice(2);
  const option = (name: string) => {
    const index = args.indexOf(name);
    return index >= 0 ? args[index + 1] : undefined;
  };
  const repeats = Number(option("--repeats") ?? 3);
  const steps = Number(option("--steps") ?? 200);
  const method = option("--method") as ConvMethod | undefined;
  const kernels = Kernels.create(option("--threads") ? Number(option("--threads")) : undefined);
  if (args.includes("--layers")) {
    const times = timeLayers(kernels, repeats);
    if (args.includes("--json")) console.log(JSON.stringify({ workload: "W9 layers", threads: kernels.threads, milliseconds: times }));
    else for (const [name, ms] of Object.entries(times)) console.log(`${name}: ${ms.toFixed(3)} ms`);
    kernels.dispose();
    return;
  }
  const images = fashionMnist(examplesUsed);
  const backend = `kernels, layers called directly (${kernels.threads} thread${kernels.threads > 1 ? "s" : ""}${method ? `, ${method}` : ""})`;
  for (let repeat = 0; repeat < repeats; repeat++) {
    const mark = kernels.mark();
    const { examples, seconds, loss } = measureConvnet(kernelLayers(kernels, images, repeat, method), images.count, steps, repeat);
    kernels.release(mark);
    if (!Number.isFinite(loss)) throw new Error(`W9: the loss is ${loss}`);
    const line = { workload: "W9", backend, steps, examples, seconds, loss, examplesPerSecond: examples / seconds, gflops: (examples * flopsPerExample) / seconds / 1e9 };
    console.log(args.includes("--json") ? JSON.stringify(line) : `W9 ${backend}: ${Math.round(line.examplesPerSecond)} examples/s, ${line.gflops.toFixed(2)} GFLOP/s, loss ${loss.toFixed(3)}`);
  }
  kernels.dispose();
}

if (require.main === module) main();
