// The trainer's view of an executor: which one trains (loadRuntime), a set
// of examples bound where it computes, and, for some of its rows under given
// params, the loss, its gradients, or each row's predicted class. One adapter
// per executor: TensorFlow.js (tfjs-executor.ts) and our own kernels
// (kernel-executor.ts).
import type { Graph } from "../engine/ir";
import type { OpContext } from "../engine/ops";
import { buildOutput, loadNativeTfjs, loadTfjs, lossAndGradients as tfjsLossAndGradients, lossValue as tfjsLossValue, type TfjsRuntime } from "../engine/tfjs-executor";
import { batchRows, kernelMatrix, Kernels, lossAndGradients as kernelLossAndGradients, lossValue as kernelLossValue, outputValue, type Float32Tensor, type KernelBindings } from "../engine/kernel-executor";
import type { TrainExamples } from "./trainer";

/**
 * Which executor trains. `auto`: TensorFlow.js on tfjs-node when it is
 * installed, else our kernels, else TensorFlow.js on WebAssembly, else on
 * plain JavaScript. The others ask for one; one that cannot start falls back
 * the same way.
 */
export type BackendPreference = "auto" | "tensorflow" | "kernels" | "wasm" | "cpu";
export type BackendName = "tensorflow" | "kernels" | "wasm" | "cpu";
export const backendPreferences: readonly BackendPreference[] = ["auto", "tensorflow", "kernels", "wasm", "cpu"];

/** Our own kernels (WebAssembly SIMD matrix products on up to two threads). */
export interface KernelRuntime {
  backend: "kernels";
  kernels: Kernels;
  /** Why a faster backend was not used. */
  notes: string[];
}

export type TrainingRuntime = TfjsRuntime | KernelRuntime;

let kernelRuntime: KernelRuntime | undefined;

/** The kernel executor, created once per process (it owns a memory and a thread); throws when it cannot start. */
export function loadKernels(): KernelRuntime {
  if (!kernelRuntime) {
    const kernels = Kernels.create();
    try {
      selfTest(kernels);
    } catch (failure) {
      kernels.dispose();
      throw failure;
    }
    kernelRuntime = { backend: "kernels", kernels, notes: [] };
  }
  return kernelRuntime;
}

/** A small product of known result in both loop forms, so a broken runtime is caught before it trains. */
function selfTest(kernels: Kernels): void {
  const a = { rows: 2, columns: 3, data: Float32Array.of(1, 2, 3, 4, 5, 6) };
  const b = { rows: 3, columns: 2, data: Float32Array.of(1, 0, 0, 1, 1, 1) };
  const expected = [4, 5, 10, 11];
  for (const transposed of [false, true]) {
    const right = transposed ? { rows: 2, columns: 3, data: Float32Array.of(1, 0, 1, 0, 1, 1) } : b;
    const out = new Float32Array(4);
    kernels.matmul(a, false, right, transposed, out);
    if (out.some((value, i) => value !== expected[i])) throw new Error(`the kernels computed a wrong product (${[...out].join(", ")} for ${expected.join(", ")})`);
  }
}

/** The executor for training, chosen as BackendPreference says, with notes on why a faster one was not used. */
export async function loadRuntime(preference: BackendPreference = "auto", wasmDirectory?: string): Promise<TrainingRuntime> {
  const notes: string[] = [];
  if (preference === "auto" || preference === "tensorflow") {
    const native = await loadNativeTfjs();
    if (!("failure" in native)) return native;
    notes.push(native.failure);
    if (preference === "tensorflow") notes.push("falling back to the fastest backend available");
  }
  if (preference !== "wasm" && preference !== "cpu") {
    try {
      const runtime = loadKernels();
      return { ...runtime, notes };
    } catch (failure) {
      notes.push(`the kernel executor did not start (${failure instanceof Error ? failure.message.split("\n")[0] : String(failure)})`);
    }
  }
  const tfjs = await loadTfjs(preference === "cpu" ? "cpu" : "wasm", wasmDirectory);
  return { ...tfjs, notes: [...notes, ...tfjs.notes] };
}

/** What trains, in words: for the status bar, logs and the CLI. */
export function describeBackend(backend: BackendName): string {
  switch (backend) {
    case "tensorflow":
      return "TensorFlow.js on tfjs-node";
    case "kernels":
      return "the kernel executor (WebAssembly SIMD)";
    case "wasm":
      return "TensorFlow.js on WebAssembly";
    case "cpu":
      return "TensorFlow.js on plain JavaScript";
  }
}

export type Params = ReadonlyMap<string, Float32Array>;

/** Examples bound to an executor; `rows` picks some of them, all when absent. Release when done. */
export interface BoundExamples {
  /**
   * The loss and every param's gradient, written into the arrays of `into`
   * where given (see param-store.ts). `context`: a training step's dropout
   * draw (else every mask is 1), and where to leave the batch statistics.
   */
  lossAndGradients(graph: Graph, rows: Int32Array | undefined, params: Params, into?: ReadonlyMap<string, Float32Array>, context?: OpContext): { loss: number; gradients: Map<string, Float32Array> };
  loss(graph: Graph, rows: Int32Array | undefined, params: Params, context?: OpContext): number;
  /** The loss and, given a score graph, the index of each row's largest score, from one upload of the rows; `context` holds the running averages of batch statistics. */
  evaluate(graph: Graph, score: Graph | undefined, rows: Int32Array | undefined, params: Params, context?: OpContext): { loss: number; predictions?: ArrayLike<number> };
  release(): void;
}

export function bindExamples(runtime: TrainingRuntime, examples: TrainExamples, shapes: ReadonlyMap<string, number[]>): BoundExamples {
  return runtime.backend === "kernels" ? bindToKernels(runtime.kernels, examples, shapes) : bindToTfjs(runtime, examples, shapes);
}

function bindToTfjs({ tf }: TfjsRuntime, examples: TrainExamples, shapes: ReadonlyMap<string, number[]>): BoundExamples {
  type Batch = { X: ReturnType<typeof tf.tensor2d>; y: ReturnType<typeof tf.tensor1d> };
  // All rows are uploaded once, when first asked for; a subset is copied and uploaded per call.
  let all: Batch | undefined;
  const upload = (rows: Int32Array): Batch => {
    const X = new Float32Array(rows.length * examples.d);
    const y = new Int32Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      X.set(examples.X.subarray(rows[i] * examples.d, (rows[i] + 1) * examples.d), i * examples.d);
      y[i] = examples.y[rows[i]];
    }
    return { X: tf.tensor2d(X, [rows.length, examples.d]), y: tf.tensor1d(y, "int32") };
  };
  const run = <T>(rows: Int32Array | undefined, params: Params, work: (bindings: Parameters<typeof tfjsLossValue>[2]) => T, context?: OpContext): T => {
    const batch = rows ? upload(rows) : (all ??= { X: tf.tensor2d(examples.X, [examples.n, examples.d]), y: tf.tensor1d(examples.y, "int32") });
    const tensors = new Map([...params].map(([name, value]) => [name, tf.tensor(value, shapes.get(name))]));
    try {
      return work({ X: batch.X, y: batch.y, params: tensors, ...context });
    } finally {
      tf.dispose([...tensors.values(), ...(rows ? [batch.X, batch.y] : [])]);
    }
  };
  return {
    lossAndGradients: (graph, rows, params, into, context) => {
      const result = run(rows, params, (bindings) => tfjsLossAndGradients(tf, graph, bindings), context);
      for (const [name, gradient] of result.gradients) {
        const target = into?.get(name);
        if (!target) continue;
        target.set(gradient);
        result.gradients.set(name, target);
      }
      return result;
    },
    loss: (graph, rows, params, context) => run(rows, params, (bindings) => tfjsLossValue(tf, graph, bindings), context),
    evaluate: (graph, score, rows, params, context) =>
      run(
        rows,
        params,
        (bindings) => ({
          loss: tfjsLossValue(tf, graph, bindings),
          predictions: score ? tf.tidy(() => tf.argMax(buildOutput(tf, score, bindings), 1).dataSync()) : undefined,
        }),
        context,
      ),
    release: () => {
      if (all) tf.dispose([all.X, all.y]);
      all = undefined;
    },
  };
}

function bindToKernels(kernels: Kernels, examples: TrainExamples, shapes: ReadonlyMap<string, number[]>): BoundExamples {
  // The inputs stay in the kernel memory until released; a call's products read its rows there.
  const bound = kernels.mark();
  const X = kernelMatrix(kernels, examples.n, examples.d, examples.X);
  const labels = Float32Array.from(examples.y);
  const rowsOf = (rows: Int32Array): Float32Tensor => {
    // Consecutive rows (an evaluation's chunks) are a plain view; others a table of row numbers.
    const first = rows[0];
    if (rows.every((row, i) => row === first + i) && first >= 0 && first + rows.length <= examples.n) return { shape: [rows.length, examples.d], data: X.data.subarray(first * examples.d, (first + rows.length) * examples.d) };
    return batchRows(kernels, X, rows);
  };
  // A batch's labels, in an array reused from call to call (a loop: Float32Array.from with a function is many times slower).
  let batchLabels = new Float32Array(0);
  const labelsOf = (rows: Int32Array): Float32Array => {
    if (batchLabels.length < rows.length) batchLabels = new Float32Array(rows.length);
    const y = batchLabels.subarray(0, rows.length);
    for (let i = 0; i < rows.length; i++) y[i] = labels[rows[i]];
    return y;
  };
  // The params as tensors, made again only when the map of params changes (a run's store keeps one map).
  let lastParams: Params | undefined;
  let lastTensors = new Map<string, Float32Tensor>();
  const tensorsOf = (params: Params): Map<string, Float32Tensor> => {
    if (params !== lastParams || [...params].some(([name, value]) => lastTensors.get(name)?.data !== value)) {
      lastTensors = new Map([...params].map(([name, value]) => [name, { shape: shapes.get(name) ?? [value.length], data: value }]));
      lastParams = params;
    }
    return lastTensors;
  };
  const run = <T>(rows: Int32Array | undefined, params: Params, work: (bindings: KernelBindings) => T, context?: OpContext): T => {
    const mark = kernels.mark();
    try {
      const y = rows ? labelsOf(rows) : labels;
      return work({ X: rows ? rowsOf(rows) : X, y: { shape: [y.length], data: y }, params: tensorsOf(params), ...context });
    } finally {
      kernels.release(mark);
    }
  };
  return {
    lossAndGradients: (graph, rows, params, into, context) => run(rows, params, (bindings) => kernelLossAndGradients(kernels, graph, bindings, into), context),
    loss: (graph, rows, params, context) => run(rows, params, (bindings) => kernelLossValue(kernels, graph, bindings), context),
    evaluate: (graph, score, rows, params, context) =>
      run(
        rows,
        params,
        (bindings) => ({
          loss: kernelLossValue(kernels, graph, bindings),
          predictions: score ? largestOfEachRow(outputValue(kernels, score, bindings)) : undefined,
        }),
        context,
      ),
    release: () => kernels.release(bound),
  };
}

/** The index of the largest entry of each row of a matrix (a vector is one column). */
function largestOfEachRow(scores: { shape: number[]; data: Float32Array }): Int32Array {
  const [count, classes] = scores.shape.length === 2 ? scores.shape : [scores.data.length, 1];
  const predicted = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let j = 1; j < classes; j++) if (scores.data[i * classes + j] > scores.data[i * classes + best]) best = j;
    predicted[i] = best;
  }
  return predicted;
}
