// The shapes of convolution and pooling on the kernels (convolution.c), the
// scratch each call needs, and a layer over the Kernels methods that takes
// ordinary Float32Arrays (copied into the kernel memory for the call and out
// after), for tests and benches.
import type { Kernels } from "./kernels";

/**
 * A convolution's dimensions: x [n, c, h, w], K [f, c, kh, kw], out
 * [n, f, ho, wo] with ho = ⌊(h + 2·pad − kh) / stride⌋ + 1 and wo likewise.
 */
export interface ConvShape {
  n: number;
  c: number;
  h: number;
  w: number;
  f: number;
  kh: number;
  kw: number;
  stride: number;
  pad: number;
}

/** Pooling's dimensions: x [n, c, h, w] in windows of size × size, `stride` apart; out [n, c, ho, wo], ho = ⌊(h − size) / stride⌋ + 1. */
export interface PoolShape {
  n: number;
  c: number;
  h: number;
  w: number;
  size: number;
  stride: number;
}

/**
 * How a convolution runs: "direct", SIMD kernels reading a zero-padded copy
 * of each image, or "im2col", each image's columns and then the matrix
 * products. The direct gradient with respect to x covers stride 1 with
 * pad ≤ kh − 1 and kw − 1; other cases take im2col.
 */
export type ConvMethod = "direct" | "im2col";

/** The output's height and width; throws on dimensions no convolution has. */
export function convOutput(shape: ConvShape): { ho: number; wo: number } {
  const { n, c, h, w, f, kh, kw, stride, pad } = shape;
  for (const [name, value] of Object.entries(shape)) if (!Number.isInteger(value) || value < 0) throw new Error(`convolution: ${name} must be a whole number ≥ 0, not ${value}`);
  if (n < 1 || c < 1 || f < 1 || kh < 1 || kw < 1 || stride < 1) throw new Error("convolution: n, c, f, kh, kw and stride must be at least 1");
  const ho = Math.floor((h + 2 * pad - kh) / stride) + 1;
  const wo = Math.floor((w + 2 * pad - kw) / stride) + 1;
  if (h + 2 * pad < kh || w + 2 * pad < kw) throw new Error(`convolution: a ${kh}×${kw} kernel does not fit a ${h}×${w} image padded by ${pad}`);
  return { ho, wo };
}

/** The output's height and width; throws on dimensions no pooling has. */
export function poolOutput(shape: PoolShape): { ho: number; wo: number } {
  const { n, c, h, w, size, stride } = shape;
  if (![n, c, h, w, size, stride].every((value) => Number.isInteger(value) && value >= 1)) throw new Error("pooling: every dimension must be a whole number ≥ 1");
  if (size > h || size > w) throw new Error(`pooling: a window of ${size} does not fit a ${h}×${w} image`);
  return { ho: Math.floor((h - size) / stride) + 1, wo: Math.floor((w - size) / stride) + 1 };
}

/** Whether the direct gradient with respect to x covers `shape` (else it runs by im2col). */
export function directInputGradient(shape: ConvShape): boolean {
  return shape.stride === 1 && shape.pad <= shape.kh - 1 && shape.pad <= shape.kw - 1;
}

/** Scratch floats for one thread of each convolution kernel (see convolution.c). */
export function convScratch(shape: ConvShape): { padded: number; columns: number; paddedGradient: number; columnsGradient: number } {
  const { c, h, w, f, kh, kw, pad } = shape;
  const { ho, wo } = convOutput(shape);
  const taps = c * kh * kw;
  return {
    padded: c * (h + 2 * pad) * (w + 2 * pad) + 8,
    columns: taps * (ho * wo + 16),
    paddedGradient: f * (ho + 2 * Math.max(0, kh - 1 - pad)) * (wo + 2 * Math.max(0, kw - 1 - pad)) + 8,
    columnsGradient: taps * ho * wo + 16 * f,
  };
}

function sizes(shape: ConvShape): { x: number; K: number; out: number } {
  const { ho, wo } = convOutput(shape);
  return { x: shape.n * shape.c * shape.h * shape.w, K: shape.f * shape.c * shape.kh * shape.kw, out: shape.n * shape.f * ho * wo };
}

/** Throws unless `values` has `count` entries. */
export function expectLength(what: string, values: Float32Array, count: number): void {
  if (values.length !== count) throw new Error(`${what} has ${values.length} values, not the ${count} its shape needs`);
}

/** Runs `work` on copies of `inputs` in the kernel memory and returns a copy of its output (`count` floats). */
function onKernels(kernels: Kernels, inputs: Float32Array[], count: number, work: (out: Float32Array, inputs: Float32Array[]) => void): Float32Array {
  const mark = kernels.mark();
  try {
    const copies = inputs.map((values) => kernels.copyIn(values));
    const out = kernels.allocate(count, false);
    work(out, copies);
    return Float32Array.from(out);
  } finally {
    kernels.release(mark);
  }
}

/** The convolution of x by K (ordinary arrays); see Kernels.conv2dForward. */
export function conv2dForward(kernels: Kernels, x: Float32Array, K: Float32Array, shape: ConvShape, method?: ConvMethod): Float32Array {
  return onKernels(kernels, [x, K], sizes(shape).out, (out, [xs, Ks]) => kernels.conv2dForward(out, xs, Ks, shape, method));
}

/** The gradient with respect to x given the output's gradient g; see Kernels.conv2dBackwardInput. */
export function conv2dBackwardInput(kernels: Kernels, g: Float32Array, K: Float32Array, shape: ConvShape, method?: ConvMethod): Float32Array {
  return onKernels(kernels, [g, K], sizes(shape).x, (dx, [gs, Ks]) => kernels.conv2dBackwardInput(dx, gs, Ks, shape, method));
}

/** The gradient with respect to K given the output's gradient g; see Kernels.conv2dBackwardKernel. */
export function conv2dBackwardKernel(kernels: Kernels, g: Float32Array, x: Float32Array, shape: ConvShape, method?: ConvMethod): Float32Array {
  return onKernels(kernels, [g, x], sizes(shape).K, (dK, [gs, xs]) => kernels.conv2dBackwardKernel(dK, gs, xs, shape, method));
}

/** Max or average pooling of x (an ordinary array); see Kernels.maxpoolForward and avgpoolForward. */
export function poolForward(kernels: Kernels, kind: "max" | "avg", x: Float32Array, shape: PoolShape): Float32Array {
  const { ho, wo } = poolOutput(shape);
  return onKernels(kernels, [x], shape.n * shape.c * ho * wo, (out, [xs]) => (kind === "max" ? kernels.maxpoolForward(out, xs, shape) : kernels.avgpoolForward(out, xs, shape)));
}

/** Pooling's gradient with respect to x given the output's gradient g; see Kernels.maxpoolBackward and avgpoolBackward. */
export function poolBackward(kernels: Kernels, kind: "max" | "avg", g: Float32Array, x: Float32Array, shape: PoolShape): Float32Array {
  return onKernels(kernels, [g, x], shape.n * shape.c * shape.h * shape.w, (dx, [gs, xs]) => (kind === "max" ? kernels.maxpoolBackward(dx, gs, xs, shape) : kernels.avgpoolBackward(dx, gs, shape)));
}

/** The sizes, in floats, of x, K and out for `shape` (for callers allocating them). */
export { sizes as convSizes };

/**
 * The way a convolution runs unless asked otherwise, the faster in the
 * measurement of docs/performance.md (W9's layer, one input channel, and a
 * deeper one of 16): the forward pass and the kernel's gradient direct (the
 * kernel's gradient as fast as im2col at 16 channels, with a padded copy of
 * the batch in place of its columns, a ninth of the memory for 3 × 3); the
 * input's gradient direct where it applies and the input has 4 channels or
 * more, else by im2col (its direct kernel computes four input channels at
 * once, so with fewer it repeats work).
 */
export function defaultConvMethod(kind: "forward" | "input" | "kernel", shape: ConvShape): ConvMethod {
  if (kind !== "input") return "direct";
  return directInputGradient(shape) && shape.c >= 4 ? "direct" : "im2col";
}
