// The convolution and pooling kernels (kernels/convolution.c) against plain
// float64 loops written here from the definitions: forward, the gradient
// with respect to x and to K, both ways of running each (direct and im2col),
// on one thread and two, in both builds; max pooling's ties; and the checks
// on shapes and memory.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Kernels } from "../../server/src/engine/kernels/kernels";
import { conv2dBackwardInput, conv2dBackwardKernel, conv2dForward, poolBackward, poolForward, type ConvMethod, type ConvShape, type PoolShape } from "../../server/src/engine/kernels/convolution";
import { randomSource } from "../../server/src/engine/random";

const runtimes = { "one thread": Kernels.create(1), "two threads": Kernels.create(2), "two threads, plain SIMD": Kernels.create(2, "simd") };
after(() => Object.values(runtimes).forEach((kernels) => kernels.dispose()));
const methods: ConvMethod[] = ["direct", "im2col"];

// --- The oracles: the definitions, in float64, one entry at a time. ---

function outputSize(s: ConvShape): [number, number] {
  return [Math.floor((s.h + 2 * s.pad - s.kh) / s.stride) + 1, Math.floor((s.w + 2 * s.pad - s.kw) / s.stride) + 1];
}

/** Calls visit(outIndex, xIndex, kIndex) for every term of the convolution's sums. */
function eachTerm(s: ConvShape, visit: (o: number, xi: number, ki: number) => void): void {
  const [ho, wo] = outputSize(s);
  for (let i = 0; i < s.n; i++)
    for (let g = 0; g < s.f; g++)
      for (let oy = 0; oy < ho; oy++)
        for (let ox = 0; ox < wo; ox++)
          for (let c = 0; c < s.c; c++)
            for (let ky = 0; ky < s.kh; ky++)
              for (let kx = 0; kx < s.kw; kx++) {
                const y = oy * s.stride + ky - s.pad;
                const x = ox * s.stride + kx - s.pad;
                if (y < 0 || y >= s.h || x < 0 || x >= s.w) continue;
                visit(((i * s.f + g) * ho + oy) * wo + ox, ((i * s.c + c) * s.h + y) * s.w + x, ((g * s.c + c) * s.kh + ky) * s.kw + kx);
              }
}

function convOracle(s: ConvShape, x: ArrayLike<number>, K: ArrayLike<number>): Float64Array {
  const [ho, wo] = outputSize(s);
  const out = new Float64Array(s.n * s.f * ho * wo);
  eachTerm(s, (o, xi, ki) => (out[o] += x[xi] * K[ki]));
  return out;
}

function inputGradientOracle(s: ConvShape, g: ArrayLike<number>, K: ArrayLike<number>): Float64Array {
  const dx = new Float64Array(s.n * s.c * s.h * s.w);
  eachTerm(s, (o, xi, ki) => (dx[xi] += g[o] * K[ki]));
  return dx;
}

function kernelGradientOracle(s: ConvShape, g: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
  const dK = new Float64Array(s.f * s.c * s.kh * s.kw);
  eachTerm(s, (o, xi, ki) => (dK[ki] += g[o] * x[xi]));
  return dK;
}

/** Each window's entries' indices in x, row-major, for every output entry in order. */
function windows(s: PoolShape): number[][] {
  const ho = Math.floor((s.h - s.size) / s.stride) + 1;
  const wo = Math.floor((s.w - s.size) / s.stride) + 1;
  const all: number[][] = [];
  for (let plane = 0; plane < s.n * s.c; plane++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++) {
        const window: number[] = [];
        for (let y = 0; y < s.size; y++) for (let x = 0; x < s.size; x++) window.push((plane * s.h + oy * s.stride + y) * s.w + ox * s.stride + x);
        all.push(window);
      }
  return all;
}

/** The first entry of the window holding its largest value. */
function argmax(x: ArrayLike<number>, window: number[]): number {
  return window.reduce((best, index) => (x[index] > x[best] ? index : best));
}

function poolOracle(kind: "max" | "avg", s: PoolShape, x: ArrayLike<number>): Float64Array {
  return Float64Array.from(windows(s), (window) => (kind === "max" ? x[argmax(x, window)] : window.reduce((sum, index) => sum + x[index], 0) / window.length));
}

function poolGradientOracle(kind: "max" | "avg", s: PoolShape, g: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
  const dx = new Float64Array(s.n * s.c * s.h * s.w);
  windows(s).forEach((window, o) => {
    if (kind === "max") dx[argmax(x, window)] += g[o];
    else for (const index of window) dx[index] += g[o] / window.length;
  });
  return dx;
}

// --- Comparison ---

function randomArray(count: number, seed: number): Float32Array {
  const random = randomSource(seed);
  return Float32Array.from({ length: count }, () => random.normal());
}

/**
 * Every entry within float32 rounding of the float64 value: |got − want| ≤
 * 1e-5 · the sum of its terms' magnitudes (`bound`, the oracle on |inputs|).
 */
function assertClose(got: Float32Array, want: Float64Array, bound: Float64Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const error = Math.abs(got[i] - want[i]) / (bound[i] + 1e-30);
    if (!(error <= worst)) (worst = error), (at = i);
  }
  assert.ok(worst <= 1e-5, `${what}: entry ${at} is ${got[at]}, should be ${want[at]} (relative error ${worst})`);
}

const abs = (values: Float32Array) => values.map(Math.abs);

// Shapes: stride 1, 2 and 3; pad 0, 1, 2; square and not; one channel and three; filters not a
// multiple of 4; one image and five; outputs narrower than a vector and wider than two; the last
// large enough (about 3.5 million multiply-adds) for two threads to share.
const shapes: ConvShape[] = [
  { n: 1, c: 1, h: 6, w: 6, f: 1, kh: 3, kw: 3, stride: 1, pad: 0 },
  { n: 5, c: 3, h: 9, w: 13, f: 5, kh: 3, kw: 3, stride: 1, pad: 1 },
  { n: 2, c: 1, h: 28, w: 28, f: 16, kh: 3, kw: 3, stride: 1, pad: 1 },
  { n: 5, c: 3, h: 11, w: 10, f: 7, kh: 3, kw: 2, stride: 2, pad: 1 },
  { n: 1, c: 3, h: 8, w: 17, f: 10, kh: 5, kw: 5, stride: 1, pad: 2 },
  { n: 2, c: 1, h: 15, w: 19, f: 6, kh: 2, kw: 4, stride: 2, pad: 2 },
  { n: 5, c: 2, h: 7, w: 5, f: 3, kh: 3, kw: 1, stride: 1, pad: 0 },
  { n: 3, c: 3, h: 12, w: 12, f: 9, kh: 4, kw: 4, stride: 3, pad: 1 },
  { n: 1, c: 1, h: 4, w: 4, f: 2, kh: 3, kw: 3, stride: 1, pad: 2 },
  { n: 8, c: 3, h: 32, w: 32, f: 16, kh: 3, kw: 3, stride: 1, pad: 1 },
];

const label = (s: ConvShape) => `x [${s.n}, ${s.c}, ${s.h}, ${s.w}], K [${s.f}, ${s.c}, ${s.kh}, ${s.kw}], stride ${s.stride}, pad ${s.pad}`;

for (const [threads, kernels] of Object.entries(runtimes)) {
  test(`convolution forward and backward agree with the float64 definitions (${threads})`, () => {
    const sharedBefore = kernels.sharedJobs;
    shapes.forEach((s, index) => {
      const [ho, wo] = outputSize(s);
      const x = randomArray(s.n * s.c * s.h * s.w, 10 * index + 1);
      const K = randomArray(s.f * s.c * s.kh * s.kw, 10 * index + 2);
      const g = randomArray(s.n * s.f * ho * wo, 10 * index + 3);
      const want = convOracle(s, x, K);
      const wantDx = inputGradientOracle(s, g, K);
      const wantDK = kernelGradientOracle(s, g, x);
      for (const method of methods) {
        assertClose(conv2dForward(kernels, x, K, s, method), want, convOracle(s, abs(x), abs(K)), `forward, ${method}, ${label(s)}`);
        assertClose(conv2dBackwardInput(kernels, g, K, s, method), wantDx, inputGradientOracle(s, abs(g), abs(K)), `dx, ${method}, ${label(s)}`);
        assertClose(conv2dBackwardKernel(kernels, g, x, s, method), wantDK, kernelGradientOracle(s, abs(g), abs(x)), `dK, ${method}, ${label(s)}`);
      }
    });
    if (kernels.threads > 1) assert.ok(kernels.sharedJobs > sharedBefore, "the largest shape was shared with the second thread");
  });
}

test("two threads give the one-thread results exactly, however they divide the images and filters", () => {
  const s = shapes[shapes.length - 1];
  const [ho, wo] = outputSize(s);
  const x = randomArray(s.n * s.c * s.h * s.w, 5);
  const K = randomArray(s.f * s.c * s.kh * s.kw, 6);
  const g = randomArray(s.n * s.f * ho * wo, 7);
  const one = runtimes["one thread"];
  const two = runtimes["two threads"];
  for (const method of methods) {
    for (let repeat = 0; repeat < 3; repeat++) {
      assert.deepEqual(conv2dForward(two, x, K, s, method), conv2dForward(one, x, K, s, method), `forward, ${method}`);
      assert.deepEqual(conv2dBackwardInput(two, g, K, s, method), conv2dBackwardInput(one, g, K, s, method), `dx, ${method}`);
      assert.deepEqual(conv2dBackwardKernel(two, g, x, s, method), conv2dBackwardKernel(one, g, x, s, method), `dK, ${method}`);
    }
  }
});

// Pooling: 2 × 2 windows with stride 2 (the vector path, even and odd sizes, outputs of at least
// four windows a row and fewer), overlapping windows, and windows wider than their stride.
const pools: PoolShape[] = [
  { n: 2, c: 3, h: 8, w: 8, size: 2, stride: 2 },
  { n: 5, c: 1, h: 28, w: 28, size: 2, stride: 2 },
  { n: 1, c: 2, h: 9, w: 13, size: 2, stride: 2 },
  { n: 3, c: 2, h: 6, w: 6, size: 2, stride: 2 },
  { n: 2, c: 3, h: 11, w: 9, size: 3, stride: 2 },
  { n: 1, c: 1, h: 7, w: 10, size: 3, stride: 1 },
  { n: 5, c: 3, h: 10, w: 12, size: 2, stride: 1 },
  { n: 64, c: 16, h: 28, w: 28, size: 2, stride: 2 },
];

for (const [threads, kernels] of Object.entries(runtimes)) {
  test(`max and average pooling agree with their definitions, ties to the first entry of the window (${threads})`, () => {
    pools.forEach((s, index) => {
      const ho = Math.floor((s.h - s.size) / s.stride) + 1;
      const wo = Math.floor((s.w - s.size) / s.stride) + 1;
      // Whole numbers from 0 to 3: most windows hold ties, some several.
      const random = randomSource(index + 20);
      const x = Float32Array.from({ length: s.n * s.c * s.h * s.w }, () => Math.floor(4 * random.uniform()));
      const g = randomArray(s.n * s.c * ho * wo, index + 40);
      const what = `[${s.n}, ${s.c}, ${s.h}, ${s.w}], size ${s.size}, stride ${s.stride}`;
      assert.deepEqual(poolForward(kernels, "max", x, s), Float32Array.from(poolOracle("max", s, x)), `max, ${what}`);
      const overlapping = s.stride < s.size;
      const dx = poolBackward(kernels, "max", g, x, s);
      if (overlapping) assertClose(dx, poolGradientOracle("max", s, g, x), poolGradientOracle("max", s, abs(g), x), `max gradient, ${what}`);
      else assert.deepEqual(dx, Float32Array.from(poolGradientOracle("max", s, g, x)), `max gradient, ${what}`);
      const y = randomArray(x.length, index + 60);
      assertClose(poolForward(kernels, "avg", y, s), poolOracle("avg", s, y), poolOracle("avg", s, abs(y)), `average, ${what}`);
      assertClose(poolBackward(kernels, "avg", g, y, s), poolGradientOracle("avg", s, g, y), poolGradientOracle("avg", s, abs(g), y), `average gradient, ${what}`);
    });
  });
}

test("a max pooling gradient goes to the first largest entry of its window, in row-major order", () => {
  // One 2 × 2 window per plane, each with a different pattern of ties; four windows in a row for the vector path.
  const s: PoolShape = { n: 1, c: 1, h: 2, w: 8, size: 2, stride: 2 };
  const x = Float32Array.from([1, 5, 5, 2, 3, 3, 0, -1, 5, 1, 9, 9, 3, 3, -1, -1]);
  const g = Float32Array.from([10, 20, 30, 40]);
  // Windows (row-major): [1, 5, 5, 1] → the 5 in the top row; [5, 2, 9, 9] → the first 9; [3, 3, 3, 3] → the first; [0, -1, -1, -1] → the first.
  const want = Float32Array.from([0, 10, 0, 0, 30, 0, 40, 0, 0, 0, 20, 0, 0, 0, 0, 0]);
  for (const kernels of Object.values(runtimes)) assert.deepEqual(poolBackward(kernels, "max", g, x, s), want);
  // The same windows through the general path (three windows a row).
  const narrow: PoolShape = { n: 1, c: 1, h: 2, w: 6, size: 2, stride: 2 };
  const cut = Float32Array.from([...x.subarray(0, 6), ...x.subarray(8, 14)]);
  assert.deepEqual(poolBackward(runtimes["one thread"], "max", g.subarray(0, 3), cut, narrow), Float32Array.from([0, 10, 0, 0, 30, 0, 0, 0, 20, 0, 0, 0]));
});

test("convolution and pooling refuse arrays of the wrong size or outside the kernel memory, and kernels that do not fit", () => {
  const kernels = runtimes["one thread"];
  const s: ConvShape = { n: 1, c: 1, h: 5, w: 5, f: 2, kh: 3, kw: 3, stride: 1, pad: 0 };
  assert.throws(() => conv2dForward(kernels, new Float32Array(24), new Float32Array(18), s), /x has 24 values, not the 25/);
  assert.throws(() => conv2dForward(kernels, new Float32Array(25), new Float32Array(18), { ...s, kh: 7 }), /does not fit/);
  assert.throws(() => kernels.conv2dForward(new Float32Array(18), new Float32Array(25), new Float32Array(18), s), /must lie in the kernel memory/);
  assert.throws(() => poolForward(kernels, "max", new Float32Array(25), { n: 1, c: 1, h: 5, w: 5, size: 6, stride: 1 }), /does not fit/);
  assert.throws(() => conv2dForward(kernels, new Float32Array(25), new Float32Array(18), { ...s, stride: 0 }), /at least 1/);
});
