// The TensorFlow.js executor: the same IR on float32 tensors, for training at
// scale. Its backends in order of speed: tfjs-node (native TensorFlow, when a
// user has installed it; the default then), WebAssembly, plain JavaScript.
// Without tfjs-node the default is our own kernel executor instead
// (train/executors.ts chooses). It is tested against the float64 reference
// executor.
import { join } from "node:path";
import type * as tfjs from "@tensorflow/tfjs";
import { runningValue } from "./batch-statistics";
import { fillDropoutMask } from "./dropout";
import { reshapeTarget } from "./image-ops";
import { broadcastShape, sizeOf } from "./tensor";
import type { Graph, IrNode } from "./ir";
import type { OpContext } from "./ops";

type Tf = typeof tfjs;
type TfTensor = tfjs.Tensor;

/** Which bundled TensorFlow.js backend loadTfjs starts: WebAssembly (plain JavaScript when it cannot), or plain JavaScript. */
export type TfjsPreference = "wasm" | "cpu";
export type TfjsBackendName = "tensorflow" | "wasm" | "cpu";

export interface TfjsRuntime {
  tf: Tf;
  backend: TfjsBackendName;
  /** Why a faster backend was not used, for logs and the status bar tooltip. */
  notes: string[];
}

let runtime: Promise<TfjsRuntime> | undefined;
let runtimePreference: TfjsPreference | undefined;
let native: Promise<TfjsRuntime | { failure: string }> | undefined;

/** TensorFlow.js on tfjs-node (native TensorFlow), or why it cannot start; tried once per process. */
export function loadNativeTfjs(): Promise<TfjsRuntime | { failure: string }> {
  native ??= (async () => {
    try {
      // Optional: its install downloads libtensorflow, which not every machine can.
      const tf = require("@tensorflow/tfjs-node") as Tf;
      await tf.setBackend("tensorflow");
      await tf.ready();
      return { tf, backend: "tensorflow" as const, notes: [] };
    } catch (failure) {
      return { failure: `tfjs-node is not available (${failure instanceof Error ? failure.message.split("\n")[0] : String(failure)})` };
    }
  })();
  return native;
}

/** Loads TensorFlow.js once per process on a bundled backend; tfjs-node is loadNativeTfjs's (train/executors.ts chooses between them). */
export function loadTfjs(preference: TfjsPreference = "wasm", wasmDirectory?: string): Promise<TfjsRuntime> {
  if (runtime && runtimePreference === preference) return runtime;
  runtimePreference = preference;
  runtime = (async () => {
    const notes: string[] = [];
    const tf: Tf = await import("@tensorflow/tfjs");
    tf.env().set("IS_NODE", true);
    if (preference !== "cpu") {
      try {
        const wasm = await import("@tensorflow/tfjs-backend-wasm");
        wasm.setWasmPaths(`${wasmDirectory ?? join(require.resolve("@tensorflow/tfjs-backend-wasm"), "..")}/`);
        if (await tf.setBackend("wasm")) {
          await tf.ready();
          return { tf, backend: "wasm", notes };
        }
        notes.push("the WebAssembly backend did not start");
      } catch (failure) {
        notes.push(`the WebAssembly backend is not available (${failure instanceof Error ? failure.message.split("\n")[0] : String(failure)})`);
      }
    }
    await tf.setBackend("cpu");
    await tf.ready();
    return { tf, backend: "cpu", notes };
  })();
  return runtime;
}

/** Tensors bound to the graph's leaves. `y` holds int32 labels. */
export interface TfBindings extends OpContext {
  X: TfTensor;
  y: TfTensor;
  params: ReadonlyMap<string, TfTensor>;
}

/** Builds the graph's output with TensorFlow.js ops; call inside tf.tidy or a gradient function. */
export function buildOutput(tf: Tf, graph: Graph, bindings: TfBindings): TfTensor {
  const values: TfTensor[] = new Array(graph.nodes.length);
  for (const node of graph.nodes) values[node.id] = buildNode(tf, node, node.inputs.map((input) => values[input]), bindings);
  return values[graph.output];
}

function lastAxisOp(tensor: TfTensor, axis: number, op: (x: TfTensor) => TfTensor): TfTensor {
  // softmax and logSoftmax work on the last axis; another goes there and back by swapping it with the last.
  if (axis === tensor.rank - 1) return op(tensor);
  const swap = Array.from({ length: tensor.rank }, (_, i) => (i === axis ? tensor.rank - 1 : i === tensor.rank - 1 ? axis : i));
  return op(tensor.transpose(swap)).transpose(swap);
}

function buildNode(tf: Tf, node: IrNode, inputs: TfTensor[], bindings: TfBindings): TfTensor {
  const [a, b] = inputs;
  switch (node.op) {
    case "input":
      return bindings.X;
    case "labels":
      return bindings.y;
    case "batch":
      return tf.scalar(bindings.X.shape[0]);
    case "const":
      return tf.scalar(node.value as number);
    case "param": {
      const value = bindings.params.get(node.name as string);
      if (!value) throw new Error(`no value bound for param ${node.name}`);
      return value;
    }
    case "add":
      return tf.add(a, b);
    case "sub":
      return tf.sub(a, b);
    case "mul":
      return tf.mul(a, b);
    case "div":
      return tf.div(a, b);
    case "neg":
      return tf.neg(a);
    case "pow":
      return node.exponent === 2 ? tf.square(a) : tf.pow(a, tf.scalar(node.exponent as number));
    // Broadcast first: TensorFlow.js's gradients of maximum and minimum are not summed back when both sides broadcast.
    case "max":
      return tf.maximum(...sameShape(tf, a, b));
    case "min":
      return tf.minimum(...sameShape(tf, a, b));
    case "relu":
      return tf.relu(a);
    case "abs":
      return tf.abs(a);
    case "exp":
      return tf.exp(a);
    case "log":
      return tf.log(a);
    case "sqrt":
      return tf.sqrt(a);
    case "tanh":
      return tf.tanh(a);
    case "sigmoid":
      return tf.sigmoid(a);
    case "gt":
      return tf.cast(tf.greater(a, b), "float32");
    case "lt":
      return tf.cast(tf.less(a, b), "float32");
    case "ge":
      return tf.cast(tf.greaterEqual(a, b), "float32");
    case "le":
      return tf.cast(tf.lessEqual(a, b), "float32");
    case "eq":
      return tf.cast(tf.equal(a, b), "float32");
    case "ne":
      return tf.cast(tf.notEqual(a, b), "float32");
    case "matmul": {
      const left = a.rank === 1 ? a.reshape([1, a.shape[0]]) : a;
      const right = b.rank === 1 ? b.reshape([b.shape[0], 1]) : b;
      const product = tf.matMul(left as tfjs.Tensor2D, right as tfjs.Tensor2D);
      if (a.rank === 1 && b.rank === 1) return product.reshape([]);
      if (a.rank === 1) return product.reshape([product.shape[1] as number]);
      if (b.rank === 1) return product.reshape([product.shape[0] as number]);
      return product;
    }
    case "transpose":
      if (node.axes) return tf.transpose(a, node.axes);
      return a.rank < 2 ? a : tf.transpose(a);
    case "sum":
      return node.axis === undefined ? tf.sum(a) : tf.sum(a, node.axis, true);
    case "mean":
      return node.axis === undefined ? tf.mean(a) : tf.mean(a, node.axis, true);
    case "logsumexp":
      return tf.logSumExp(a, node.axis ?? 1, true);
    case "softmax":
      return lastAxisOp(a, node.axis ?? 1, (x) => tf.softmax(x));
    case "logsoftmax":
      return lastAxisOp(a, node.axis ?? 1, (x) => tf.logSoftmax(x));
    case "pick": {
      // s[y] as a masked row sum: gathers have no gradient kernel on the WebAssembly backend.
      const mask = tf.oneHot(tf.cast(b, "int32"), a.shape[1] as number);
      return tf.sum(tf.mul(a, tf.cast(mask, a.dtype)), 1, true);
    }
    case "onehot":
      return tf.cast(tf.oneHot(tf.cast(a, "int32"), node.classes as number), "float32");
    case "conv2d":
    case "maxpool":
    case "avgpool":
    case "upsample":
      return imageNode(tf, node, a, b);
    case "reshape":
      return tf.reshape(a, reshapeTarget(node.dims as number[], a.size));
    case "flatten":
      return tf.reshape(a, [a.shape[0] as number, a.size / (a.shape[0] as number)]);
    case "flip":
      return tf.reverse(a, node.axes);
    case "reducemax":
      return node.axis === undefined ? tf.max(a) : tf.max(a, node.axis, true);
    case "dropoutmask": {
      // The reference's mask (dropout.ts), drawn here and uploaded: a constant, so no gradient flows through it.
      const mask = new Float32Array(a.size);
      fillDropoutMask(mask, node.keep as number, node.salt as number, bindings.dropout);
      return tf.tensor(mask, a.shape);
    }
    case "batchmean":
    case "batchvar": {
      const statistic = node.statistic as string;
      const running = bindings.statistics?.running;
      if (running) {
        const value = new Float32Array(a.shape[a.rank - 1] as number);
        runningValue(node.op, statistic, running, value);
        return tf.tensor(value, [1, value.length]);
      }
      const mean = tf.mean(a, 0, true);
      const value = node.op === "batchmean" ? mean : tf.mean(tf.square(tf.sub(a, mean)), 0, true);
      bindings.statistics?.observed?.set(statistic, Float32Array.from(value.dataSync() as Float32Array));
      return value;
    }
  }
}

/**
 * Convolution, pooling and upsampling on [N, C, H, W] tensors: TensorFlow.js
 * convolves and pools images [N, H, W, C], so the batch is transposed there and
 * back (K [F, C, kh, kw] to [kh, kw, C, F]); padding is added explicitly, so
 * the windows are those of the reference. Upsampling tiles each entry.
 */
function imageNode(tf: Tf, node: IrNode, a: TfTensor, b: TfTensor): TfTensor {
  const toImages = (x: TfTensor) => tf.transpose(x, [0, 2, 3, 1]) as tfjs.Tensor4D;
  const fromImages = (x: TfTensor) => tf.transpose(x, [0, 3, 1, 2]);
  switch (node.op) {
    case "conv2d": {
      const pad = node.pad ?? 0;
      const images = toImages(a);
      const padded = pad > 0 ? tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]]) : images;
      const filters = tf.transpose(b, [2, 3, 1, 0]) as tfjs.Tensor4D;
      return fromImages(tf.conv2d(padded, filters, node.stride ?? 1, "valid"));
    }
    case "maxpool":
    case "avgpool": {
      const size = node.size as number;
      const pool = node.op === "maxpool" ? tf.maxPool : tf.avgPool;
      return fromImages(pool(toImages(a), size, node.stride ?? size, "valid"));
    }
    default: {
      const size = node.size as number;
      const [n, c, h, w] = a.shape as number[];
      const tiled = tf.tile(tf.reshape(a, [n * c * h, 1, w, 1]), [1, size, 1, size]);
      return tf.reshape(tiled, [n, c, h * size, w * size]);
    }
  }
}

/** Both operands broadcast to their common shape (broadcastTo's gradient sums back). */
function sameShape(tf: Tf, a: TfTensor, b: TfTensor): [TfTensor, TfTensor] {
  if (a.shape.length === b.shape.length && a.shape.every((dim, i) => dim === b.shape[i])) return [a, b];
  const shape = broadcastShape(a.shape as number[], b.shape as number[]) as number[];
  const grown = (x: TfTensor) => (x.size === sizeOf(shape) ? x.reshape(shape) : tf.broadcastTo(x, shape));
  return [grown(a), grown(b)];
}

/** Runs `work` in a tensor scope: every tensor it makes is freed when it returns. */
function scoped<T>(tf: Tf, work: () => T): T {
  tf.engine().startScope();
  try {
    return work();
  } finally {
    tf.engine().endScope();
  }
}

/** The loss and its gradients with respect to every param, as plain arrays; no tensor outlives the call. */
export function lossAndGradients(tf: Tf, graph: Graph, bindings: TfBindings): { loss: number; gradients: Map<string, Float32Array> } {
  if (tf.getBackend() === "wasm" && graph.nodes.some((node) => node.op === "conv2d")) throw new Error("TensorFlow.js's WebAssembly backend has no gradient for conv2d: train a convolution with the kernel executor (the default), or TensorFlow.js on tfjs-node or its plain JavaScript backend");
  const names = graph.params.filter((name) => bindings.params.has(name));
  return scoped(tf, () => {
    const differentiate = tf.valueAndGrads((...params: TfTensor[]) => {
      const bound = new Map(bindings.params);
      names.forEach((name, i) => bound.set(name, params[i]));
      return buildOutput(tf, graph, { ...bindings, params: bound }) as tfjs.Scalar;
    });
    const { value, grads } = differentiate(names.map((name) => bindings.params.get(name) as TfTensor));
    const gradients = new Map<string, Float32Array>();
    // Copies: a backend may hand out its own buffer.
    names.forEach((name, i) => gradients.set(name, Float32Array.from(grads[i].dataSync() as Float32Array)));
    return { loss: value.dataSync()[0], gradients };
  });
}

/** The loss alone. */
export function lossValue(tf: Tf, graph: Graph, bindings: TfBindings): number {
  return scoped(tf, () => buildOutput(tf, graph, bindings).dataSync()[0]);
}
