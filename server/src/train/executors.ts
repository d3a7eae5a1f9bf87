// The trainer's view of an executor: a set of examples bound where the
// executor computes, and, for some of its rows under given params, the loss,
// its gradients, or each row's predicted class. One adapter per executor:
// TensorFlow.js (tfjs-executor.ts) and our own kernels (kernel-executor.ts).
import type { Graph } from "../engine/ir";
import { buildOutput, lossAndGradients as tfjsLossAndGradients, lossValue as tfjsLossValue, type TfjsRuntime } from "../engine/tfjs-executor";
import { gatherRows, kernelMatrix, Kernels, lossAndGradients as kernelLossAndGradients, lossValue as kernelLossValue, outputValue, type KernelBindings } from "../engine/kernel-executor";
import type { TrainExamples } from "./trainer";

/** Our own kernels (WebAssembly SIMD matrix products on up to two threads). */
export interface KernelRuntime {
  backend: "kernels";
  kernels: Kernels;
  notes: string[];
}

export type TrainingRuntime = TfjsRuntime | KernelRuntime;

let kernelRuntime: KernelRuntime | undefined;

/** The kernel executor, created once per process (it owns a memory and a thread). */
export function loadKernels(): KernelRuntime {
  kernelRuntime ??= { backend: "kernels", kernels: Kernels.create(), notes: [] };
  return kernelRuntime;
}

export type Params = ReadonlyMap<string, Float32Array>;

/** Examples bound to an executor; `rows` picks some of them, all when absent. Release when done. */
export interface BoundExamples {
  lossAndGradients(graph: Graph, rows: Int32Array | undefined, params: Params): { loss: number; gradients: Map<string, Float32Array> };
  loss(graph: Graph, rows: Int32Array | undefined, params: Params): number;
  /** The loss and, given a score graph, the index of each row's largest score, from one upload of the rows. */
  evaluate(graph: Graph, score: Graph | undefined, rows: Int32Array | undefined, params: Params): { loss: number; predictions?: ArrayLike<number> };
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
  const run = <T>(rows: Int32Array | undefined, params: Params, work: (bindings: Parameters<typeof tfjsLossValue>[2]) => T): T => {
    const batch = rows ? upload(rows) : (all ??= { X: tf.tensor2d(examples.X, [examples.n, examples.d]), y: tf.tensor1d(examples.y, "int32") });
    const tensors = new Map([...params].map(([name, value]) => [name, tf.tensor(value, shapes.get(name))]));
    try {
      return work({ X: batch.X, y: batch.y, params: tensors });
    } finally {
      tf.dispose([...tensors.values(), ...(rows ? [batch.X, batch.y] : [])]);
    }
  };
  return {
    lossAndGradients: (graph, rows, params) => run(rows, params, (bindings) => tfjsLossAndGradients(tf, graph, bindings)),
    loss: (graph, rows, params) => run(rows, params, (bindings) => tfjsLossValue(tf, graph, bindings)),
    evaluate: (graph, score, rows, params) =>
      run(rows, params, (bindings) => ({
        loss: tfjsLossValue(tf, graph, bindings),
        predictions: score ? tf.tidy(() => tf.argMax(buildOutput(tf, score, bindings), 1).dataSync()) : undefined,
      })),
    release: () => {
      if (all) tf.dispose([all.X, all.y]);
      all = undefined;
    },
  };
}

function bindToKernels(kernels: Kernels, examples: TrainExamples, shapes: ReadonlyMap<string, number[]>): BoundExamples {
  // The inputs stay in the kernel memory until released; a call gathers its rows there.
  const bound = kernels.mark();
  const X = kernelMatrix(kernels, examples.n, examples.d, examples.X);
  const labels = Float32Array.from(examples.y);
  const run = <T>(rows: Int32Array | undefined, params: Params, work: (bindings: KernelBindings) => T): T => {
    const mark = kernels.mark();
    try {
      const y = rows ? Float32Array.from(rows, (row) => labels[row]) : labels;
      const tensors = new Map([...params].map(([name, value]) => [name, { shape: shapes.get(name) ?? [value.length], data: value }]));
      return work({ X: rows ? gatherRows(kernels, X, rows) : X, y: { shape: [y.length], data: y }, params: tensors });
    } finally {
      kernels.release(mark);
    }
  };
  return {
    lossAndGradients: (graph, rows, params) => run(rows, params, (bindings) => kernelLossAndGradients(kernels, graph, bindings)),
    loss: (graph, rows, params) => run(rows, params, (bindings) => kernelLossValue(kernels, graph, bindings)),
    evaluate: (graph, score, rows, params) =>
      run(rows, params, (bindings) => ({
        loss: kernelLossValue(kernels, graph, bindings),
        predictions: score ? largestOfEachRow(outputValue(kernels, score, bindings)) : undefined,
      })),
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
