// The matrix products of W1, W3 and W4, alone: TensorFlow.js on WebAssembly, our
// kernels on one thread and on two, in GFLOP/s (best of several runs, so the
// figure is the kernel's, not the machine's other load). NumPy's figures for
// the same products come from bench/numpy/products.py. This is the lower
// level under W1–W4: it shows where the training figures' limits come from.
//   npx esbuild bench/products.ts --bundle --platform=node --outfile=out/bench/products.js --external:@tensorflow/tfjs-node && node out/bench/products.js [--json]
import { loadTfjs } from "../server/src/engine/tfjs-executor";
import { Kernels, type Matrix } from "../server/src/engine/kernels/kernels";

/** m × k times k × n, each operand stored as the product reads it (transposed or not). */
export interface Product {
  name: string;
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
}

export const products: Product[] = [
  { name: "W1 forward X @ W^T (256×3073 by 3073×10)", m: 256, k: 3073, n: 10, transposeA: false, transposeB: true },
  { name: "W1 backward G^T @ X (10×256 by 256×3073)", m: 10, k: 256, n: 3073, transposeA: true, transposeB: false },
  { name: "W1 forward, W as [D, C]: X @ W", m: 256, k: 3073, n: 10, transposeA: false, transposeB: false },
  { name: "W1 backward, W as [D, C]: X^T @ G", m: 3073, k: 256, n: 10, transposeA: true, transposeB: false },
  { name: "W3 forward X @ W1^T (200×3073 by 3073×100)", m: 200, k: 3073, n: 100, transposeA: false, transposeB: true },
  { name: "W3 backward dH^T @ X (100×200 by 200×3073)", m: 100, k: 200, n: 3073, transposeA: true, transposeB: false },
  { name: "W4 forward X @ W^T (256×785 by 785×10)", m: 256, k: 785, n: 10, transposeA: false, transposeB: true },
  { name: "W4 backward G^T @ X (10×256 by 256×785)", m: 10, k: 256, n: 785, transposeA: true, transposeB: false },
];

function best(repeats: number, work: () => void): number {
  for (let i = 0; i < 3; i++) work();
  let fastest = Infinity;
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    work();
    fastest = Math.min(fastest, performance.now() - started);
  }
  return fastest;
}

function random(count: number): Float32Array {
  return Float32Array.from({ length: count }, () => Math.random() - 0.5);
}

async function main(): Promise<void> {
  const { tf, backend } = await loadTfjs("wasm");
  const kernels = { "kernels, 1 thread": Kernels.create(1), "kernels, 2 threads": Kernels.create(2) };
  // Let the second thread start before it is timed.
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (const product of products) {
    const { m, k, n, transposeA, transposeB } = product;
    const flops = 2 * m * k * n;
    const aShape: [number, number] = transposeA ? [k, m] : [m, k];
    const bShape: [number, number] = transposeB ? [n, k] : [k, n];
    const a = random(m * k);
    const b = random(k * n);
    const figures: Record<string, number> = {};
    const ta = tf.tensor2d(a, aShape);
    const tb = tf.tensor2d(b, bShape);
    figures[`TensorFlow.js ${backend}`] = flops / best(10, () => tf.tidy(() => tf.matMul(ta, tb, transposeA, transposeB).dataSync())) / 1e6;
    tf.dispose([ta, tb]);
    for (const [name, runtime] of Object.entries(kernels)) {
      const mark = runtime.mark();
      const left: Matrix = { rows: aShape[0], columns: aShape[1], data: runtime.copyIn(a) };
      const right: Matrix = { rows: bShape[0], columns: bShape[1], data: runtime.copyIn(b) };
      const out = runtime.allocate(m * n);
      figures[name] = flops / best(30, () => runtime.matmul(left, transposeA, right, transposeB, out)) / 1e6;
      runtime.release(mark);
    }
    if (process.argv.includes("--json")) console.log(JSON.stringify({ product: product.name, gflops: figures }));
    else console.log(`${product.name}: ${Object.entries(figures).map(([name, gflops]) => `${name} ${gflops.toFixed(1)}`).join(", ")} GFLOP/s`);
  }
  for (const runtime of Object.values(kernels)) runtime.dispose();
}

main().catch((failure: unknown) => {
  console.error(failure);
  process.exit(1);
});
