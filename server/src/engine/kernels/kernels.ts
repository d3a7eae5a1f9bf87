// The kernel runtime: our WebAssembly kernels (kernels.c, convolution.c)
// over one shared memory, a stack allocator in that memory, and an optional
// second thread (threads.ts) that takes part of every large product, gather,
// convolution and pooling. The kernel executor (../kernel-executor.ts) keeps
// the examples and a run's params in this memory, and a product reads a
// batch's rows where they lie there, through a table of row numbers; a
// step's tensors live there too, on the stack allocator, freed when the step
// returns; an operand from elsewhere is copied in for a product.
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";
import { kernelsRelaxedWasmBase64, kernelsWasmBase64 } from "./kernels-wasm";
import { controlSlots, counterSlot, countedKernels, idle, posted, stop, ThreadShare, workerSource, type CountedKernel, type Kernel, type Posted } from "./threads";
import { convOutput, convScratch, defaultConvMethod, directInputGradient, expectLength, poolOutput, type ConvMethod, type ConvShape, type PoolShape } from "./convolution";

interface KernelExports extends Record<CountedKernel, (...args: number[]) => number> {
  broadcast_product(A: number, sai: number, sap: number, arows: number, B: number, ldb: number, brows: number, C: number, ldc: number, k: number, i0: number, i1: number, j0: number, j1: number, panel: number): void;
  broadcast_shared(A: number, sai: number, sap: number, arows: number, B: number, ldb: number, brows: number, C: number, ldc: number, k: number, m: number, n: number, panel: number, next: number): number;
  dot_product(A: number, lda: number, arows: number, B: number, ldb: number, C: number, ldc: number, k: number, i0: number, i1: number, j0: number, j1: number): void;
  dot_shared(A: number, lda: number, arows: number, B: number, ldb: number, C: number, ldc: number, k: number, m: number, n: number, next: number): number;
  gather_rows(from: number, rows: number, count: number, d: number, to: number): void;
  binary(op: number, out: number, x: number, xr: number, xc: number, y: number, yr: number, yc: number, rows: number, columns: number): void;
  sum_into(out: number, orow: number, ocol: number, from: number, rows: number, columns: number): void;
  exp_into(out: number, x: number, n: number): void;
  row_max_sum_exp(x: number, rows: number, columns: number, largest: number, sums: number): void;
  scaled_product(out: number, x: number, y: number, scale: number, n: number): void;
  add_scaled(out: number, x: number, y: number, scale: number, n: number): void;
  sum(x: number, n: number): number;
  sum_squares(x: number, n: number): number;
  relu_forward(out: number, x: number, n: number): void;
  relu_backward(out: number, g: number, x: number, n: number): void;
  conv_flip_kernel(K: number, f: number, c: number, kh: number, kw: number, Kt: number): void;
  update(rule: number, w: number, g: number, s1: number, s2: number, n: number, lr: number, h1: number, h2: number, h3: number, h4: number, h5: number, squares: number): void;
  __heap_base: WebAssembly.Global;
}

/** The binary ops of the `binary` kernel, in the order kernels.c numbers them. */
export const binaryKernelOps = ["add", "sub", "mul", "div", "max", "min", "gt", "lt", "ge", "le", "eq", "ne"] as const;
export type BinaryKernelOp = (typeof binaryKernelOps)[number];

/** Values in the kernel memory read as a matrix: entry (i, j) at data[i · row + j · column]. */
export interface Strided {
  data: Float32Array;
  row: number;
  column: number;
}

/**
 * A float32 matrix stored row by row in the kernel memory: `data` is a view
 * of it. With a row table, row i is instead row `rowTable[i]` of `data`
 * (each `columns` long), and `rows` is the table's length: a batch read
 * where its examples lie, without a gathered copy.
 */
export interface Matrix {
  rows: number;
  columns: number;
  data: Float32Array;
  rowTable?: Int32Array;
}

const pageBytes = 65536;
const columnPanel = 16;
/** Rows of C in each block of a shared dot-form product (dot_shared in kernels.c). */
const dotBlock = 8;

export class Kernels {
  private readonly exports: KernelExports;
  private top: number;
  private readonly marks: number[] = [];
  private readonly control: Int32Array;
  private shared = 0;
  /** Where update() leaves its three sums. */
  private readonly squares: Float64Array;
  private readonly worker?: Worker;
  private readonly sharing: ThreadShare;
  /** The memory's buffer, read again only after it grows (reading it costs more than an allocation). */
  private buffer: ArrayBuffer | SharedArrayBuffer;

  private constructor(
    private readonly memory: WebAssembly.Memory,
    module: WebAssembly.Module,
    /** 1 or 2: how many threads share a large product. */
    readonly threads: number,
    /** Which build of kernels.c runs. */
    readonly build: KernelBuild,
  ) {
    this.exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
    this.buffer = memory.buffer;
    this.top = this.exports.__heap_base.value as number;
    const controlOffset = this.allocate(controlSlots).byteOffset;
    this.control = new Int32Array(this.buffer, controlOffset, controlSlots);
    this.squares = new Float64Array(this.buffer, this.allocate(6).byteOffset, 3);
    if (threads > 1) {
      this.worker = new Worker(workerSource, { eval: true, workerData: { module, memory, control: controlOffset } });
      // A waiting worker must not keep the process alive.
      this.worker.unref();
    }
    this.sharing = new ThreadShare(this.worker !== undefined);
  }

  /**
   * Compiles the kernels; `threads` (1 or 2) defaults as defaultThreads says,
   * the build to the relaxed-SIMD one wherever the runtime can run it.
   */
  static create(threads = defaultThreads(), build: KernelBuild = relaxedSimd() === "missing" ? "simd" : "relaxed-simd"): Kernels {
    const module = compileOptimized(build);
    const memory = new WebAssembly.Memory({ initial: 32, maximum: 65536, shared: true });
    return new Kernels(memory, module, Math.max(1, Math.min(2, threads)), build);
  }

  /** Ends the second thread. */
  dispose(): void {
    if (!this.worker) return;
    Atomics.store(this.control, 0, stop);
    Atomics.notify(this.control, 0);
    void this.worker.terminate();
  }

  /** `count` floats, 64-byte aligned, zeroed unless asked not to; freed by the `release` of an earlier `mark`. */
  allocate(count: number, zeroed = true): Float32Array {
    const offset = (this.top + 63) & ~63;
    const end = offset + count * 4;
    if (end > this.buffer.byteLength) {
      this.memory.grow(Math.ceil((end - this.buffer.byteLength) / pageBytes));
      // Views of the old buffer stay valid: a shared memory is never detached.
      this.buffer = this.memory.buffer;
    }
    this.top = end;
    const view = new Float32Array(this.buffer, offset, count);
    if (zeroed) view.fill(0);
    return view;
  }

  /** Bytes allocated and not yet released, and the memory's size in bytes. */
  usage(): { allocated: number; size: number } {
    return { allocated: this.top - (this.exports.__heap_base.value as number), size: this.buffer.byteLength };
  }

  /** Whether `values` lies in the kernel memory (the only shared memory the executor makes). */
  holds(values: Float32Array): boolean {
    return values.buffer instanceof SharedArrayBuffer;
  }

  /** A copy of `values` in the kernel memory. */
  copyIn(values: ArrayLike<number>): Float32Array {
    const view = this.allocate(values.length, false);
    view.set(values);
    return view;
  }

  /** A copy of `values` (row numbers) in the kernel memory, as 32-bit integers. */
  copyInRows(values: ArrayLike<number>): Int32Array {
    const space = this.allocate(values.length, false);
    const view = new Int32Array(space.buffer, space.byteOffset, values.length);
    view.set(values);
    return view;
  }

  /**
   * Remembers the allocation point; `release(mark)` frees everything
   * allocated since. Marks nest and are released innermost first.
   */
  mark(): number {
    this.marks.push(this.top);
    return this.marks.length;
  }

  release(mark: number): void {
    if (mark !== this.marks.length) throw new Error(`kernel memory released out of order (mark ${mark} of ${this.marks.length})`);
    this.top = this.marks.pop() as number;
  }

  /**
   * Rows of an [n, d] matrix in the kernel memory, gathered into a new
   * [rows, d] one there. Rows scattered over a large matrix are fetched from
   * main memory, so two threads share a large gather.
   */
  gatherRows(from: Float32Array, d: number, rows: Int32Array): Float32Array {
    const to = this.allocate(rows.length * d, false);
    const indices = this.copyInRows(rows);
    const split = rows.length >= 2 ? this.share(2, rows.length * d, rows.length, 1) : rows.length;
    if (split < rows.length) this.post(2, [from.byteOffset, indices.byteOffset + split * 4, rows.length - split, d, to.byteOffset + split * d * 4]);
    const started = performance.now();
    this.exports.gather_rows(from.byteOffset, indices.byteOffset, split, d, to.byteOffset);
    this.finish(2, split * d, performance.now() - started, split < rows.length);
    return to;
  }

  /** How many times the second thread has taken a share of a product or a gather. */
  get sharedJobs(): number {
    return this.shared;
  }

  /** out = max(x, 0); both in the kernel memory, of one size. */
  relu(out: Float32Array, x: Float32Array): void {
    this.exports.relu_forward(out.byteOffset, x.byteOffset, out.length);
  }

  /** out = g where x > 0, else 0; all in the kernel memory, of one size. */
  reluGradient(out: Float32Array, g: Float32Array, x: Float32Array): void {
    this.exports.relu_backward(out.byteOffset, g.byteOffset, x.byteOffset, out.length);
  }

  /**
   * One optimizer update of `w` in place (see update in kernels.c for the
   * rules and their settings `h`); all arrays in the kernel memory, padded
   * with zeros to a multiple of 4 entries beyond their length. Returns the
   * sums of the gradient's squares, of the update's and of the weights'
   * before the update.
   */
  update(rule: number, w: Float32Array, g: Float32Array, s1: Float32Array | undefined, s2: Float32Array | undefined, lr: number, h: readonly number[]): { gradient: number; update: number; weight: number } {
    const squares = this.squares;
    squares.fill(0);
    this.exports.update(rule, w.byteOffset, g.byteOffset, s1?.byteOffset ?? 0, s2?.byteOffset ?? 0, (w.length + 3) & ~3, lr, h[0] ?? 0, h[1] ?? 0, h[2] ?? 0, h[3] ?? 0, h[4] ?? 0, squares.byteOffset);
    return { gradient: squares[0], update: squares[1], weight: squares[2] };
  }

  /**
   * out[i, j] = x(i, j) op y(i, j) over a rows × columns output, where
   * x(i, j) = x[i · x.row + j · x.column] and likewise y: a stride of 0
   * repeats an operand along that axis (column strides are 0 or 1). All in
   * the kernel memory; comparisons give 1 or 0, max and min keep x on a tie.
   */
  binary(op: BinaryKernelOp, out: Float32Array, x: Strided, y: Strided, rows: number, columns: number): void {
    this.exports.binary(binaryKernelOps.indexOf(op), out.byteOffset, x.data.byteOffset, x.row, x.column, y.data.byteOffset, y.row, y.column, rows, columns);
  }

  /** out[i · row + j · column] += from[i, j] over a rows × columns input: a broadcast gradient summed back (column 0 or 1). */
  sumInto(out: Strided, from: Float32Array, rows: number, columns: number): void {
    this.exports.sum_into(out.data.byteOffset, out.row, out.column, from.byteOffset, rows, columns);
  }

  /** out = e^x in float32 (within 2 ulp); both in the kernel memory, of one size. */
  exp(out: Float32Array, x: Float32Array): void {
    this.exports.exp_into(out.byteOffset, x.byteOffset, out.length);
  }

  /** Each row's largest entry and its sum of e^(entry − largest), for a log-sum-exp; all in the kernel memory. */
  rowMaxSumExp(x: Float32Array, rows: number, columns: number, largest: Float32Array, sums: Float32Array): void {
    this.exports.row_max_sum_exp(x.byteOffset, rows, columns, largest.byteOffset, sums.byteOffset);
  }

  /** out = scale · x · y, or scale · x without y; all in the kernel memory, of one size. */
  scaledProduct(out: Float32Array, x: Float32Array, y: Float32Array | undefined, scale: number): void {
    this.exports.scaled_product(out.byteOffset, x.byteOffset, y ? y.byteOffset : 0, scale, out.length);
  }

  /** out = x + scale · y (rounded as scaledProduct then binary add would); all in the kernel memory, of one size. */
  addScaled(out: Float32Array, x: Float32Array, y: Float32Array, scale: number): void {
    this.exports.add_scaled(out.byteOffset, x.byteOffset, y.byteOffset, scale, out.length);
  }

  /** The sum of values in the kernel memory, accumulated in float64. */
  sum(x: Float32Array): number {
    return this.exports.sum(x.byteOffset, x.length);
  }

  /** The sum of the squares of values in the kernel memory, in float64. */
  sumOfSquares(x: Float32Array): number {
    return this.exports.sum_squares(x.byteOffset, x.length);
  }

  /**
   * out = conv2d(x, K) with the shape's stride and pad, a cross-correlation
   * (convolution.c): x [n, c, h, w], K [f, c, kh, kw], out [n, f, ho, wo],
   * all in the kernel memory. The images are shared between the threads;
   * each thread's scratch (a padded image, or an image's columns) is
   * allocated on the kernel memory's stack and freed before this returns.
   */
  conv2dForward(out: Float32Array, x: Float32Array, K: Float32Array, shape: ConvShape, method: ConvMethod = defaultConvMethod("forward", shape)): void {
    const { n, c, h, w, f, kh, kw, stride, pad } = shape;
    const { scratch, multiplyAdds } = this.convChecked(shape, { x, K, out });
    const direct = method === "direct";
    this.scoped(() => this.counted(direct ? "conv_forward_direct" : "conv_forward_im2col", 3, multiplyAdds, n, direct ? scratch.padded : scratch.columns, (own) => [x.byteOffset, K.byteOffset, out.byteOffset, n, c, h, w, f, kh, kw, stride, pad, own]));
  }

  /**
   * dx, the gradient of a convolution with respect to x [n, c, h, w], given
   * the output's gradient g [n, f, ho, wo] and K; all in the kernel memory.
   * Shared over the images; "direct" covers stride 1 with pad ≤ kh − 1 and
   * kw − 1 (a convolution of g with the flipped kernel), other shapes go by im2col.
   */
  conv2dBackwardInput(dx: Float32Array, g: Float32Array, K: Float32Array, shape: ConvShape, method: ConvMethod = defaultConvMethod("input", shape)): void {
    const { n, c, h, w, f, kh, kw, stride, pad } = shape;
    const { scratch, multiplyAdds } = this.convChecked(shape, { dx, K, g });
    this.scoped(() => {
      if (method === "direct" && directInputGradient(shape)) {
        const flipped = this.allocate(K.length, false);
        this.exports.conv_flip_kernel(K.byteOffset, f, c, kh, kw, flipped.byteOffset);
        this.counted("conv_input_direct", 3, multiplyAdds, n, scratch.paddedGradient, (own) => [g.byteOffset, flipped.byteOffset, dx.byteOffset, n, c, h, w, f, kh, kw, pad, own]);
      } else {
        this.counted("conv_input_im2col", 3, multiplyAdds, n, scratch.columnsGradient, (own) => [g.byteOffset, K.byteOffset, dx.byteOffset, n, c, h, w, f, kh, kw, stride, pad, own]);
      }
    });
  }

  /**
   * dK, the gradient of a convolution with respect to K [f, c, kh, kw],
   * given the output's gradient g [n, f, ho, wo] and x; all in the kernel
   * memory. Every image is padded (direct) or turned to columns (im2col)
   * first, then blocks of filters are shared between the threads, each
   * summed over the images in their order.
   */
  conv2dBackwardKernel(dK: Float32Array, g: Float32Array, x: Float32Array, shape: ConvShape, method: ConvMethod = defaultConvMethod("kernel", shape)): void {
    const { n, c, h, w, f, kh, kw, stride, pad } = shape;
    const { ho, wo, scratch, multiplyAdds } = this.convChecked(shape, { x, dK, g });
    this.scoped(() => {
      if (method === "direct") {
        const padded = this.allocate(n * (scratch.padded - 8) + 8);
        this.counted("conv_pad_images", 4, n * c * h * w, n, 0, () => [x.byteOffset, n, c, h, w, pad, padded.byteOffset]);
        this.counted("conv_kernel_direct", 3, multiplyAdds, Math.ceil(f / 3), 0, () => [g.byteOffset, padded.byteOffset, dK.byteOffset, n, c, h, w, f, kh, kw, stride, pad]);
      } else {
        const taps = c * kh * kw;
        const columns = this.allocate(n * taps * ho * wo, false);
        this.counted("conv_im2col_images", 4, columns.length, n, 0, () => [x.byteOffset, n, c, h, w, kh, kw, stride, pad, columns.byteOffset]);
        this.counted("conv_kernel_im2col", 3, multiplyAdds, Math.ceil(f / 8), 8 * taps, (own) => [g.byteOffset, columns.byteOffset, dK.byteOffset, n, taps, f, ho * wo, own]);
      }
    });
  }

  /** out [n, c, ho, wo] = each window's largest entry of x [n, c, h, w]; both in the kernel memory. */
  maxpoolForward(out: Float32Array, x: Float32Array, shape: PoolShape): void {
    this.pool(0, x, undefined, out, shape);
  }

  /**
   * dx [n, c, h, w]: the output's gradient g [n, c, ho, wo] sent to each
   * window's largest entry of x, on a tie to the first in the window's
   * row-major order, summed where windows overlap; all in the kernel memory.
   */
  maxpoolBackward(dx: Float32Array, g: Float32Array, x: Float32Array, shape: PoolShape): void {
    this.pool(1, x, g, dx, shape);
  }

  /** out [n, c, ho, wo] = each window's mean of x [n, c, h, w]; both in the kernel memory. */
  avgpoolForward(out: Float32Array, x: Float32Array, shape: PoolShape): void {
    this.pool(2, x, undefined, out, shape);
  }

  /** dx [n, c, h, w]: g [n, c, ho, wo] / size² to every entry of each window, summed where windows overlap; both in the kernel memory. */
  avgpoolBackward(dx: Float32Array, g: Float32Array, shape: PoolShape): void {
    this.pool(3, undefined, g, dx, shape);
  }

  private pool(op: number, x: Float32Array | undefined, g: Float32Array | undefined, out: Float32Array, shape: PoolShape): void {
    const { n, c, h, w, size, stride } = shape;
    const { ho, wo } = poolOutput(shape);
    const planes = n * c;
    const given = op & 1 ? { x, g, dx: out } : { x, out };
    for (const [name, values] of Object.entries(given)) if (values) this.inKernelMemory(name, values, name === "x" || name === "dx" ? planes * h * w : planes * ho * wo);
    this.counted("pool", 4, planes * h * w, Math.ceil(planes / 8), 0, () => [op, x?.byteOffset ?? 0, g?.byteOffset ?? 0, out.byteOffset, planes, h, w, size, stride]);
  }

  /** Checks a convolution's arrays, named as its x, K and output (or their gradients); its output size, scratch and multiply-adds. */
  private convChecked(shape: ConvShape, arrays: Record<string, Float32Array>): { ho: number; wo: number; scratch: ReturnType<typeof convScratch>; multiplyAdds: number } {
    const { ho, wo } = convOutput(shape);
    const { n, c, h, w, f, kh, kw } = shape;
    const sizes: Record<string, number> = { x: n * c * h * w, dx: n * c * h * w, K: f * c * kh * kw, dK: f * c * kh * kw, out: n * f * ho * wo, g: n * f * ho * wo };
    for (const [name, values] of Object.entries(arrays)) this.inKernelMemory(name, values, sizes[name]);
    return { ho, wo, scratch: convScratch(shape), multiplyAdds: n * f * ho * wo * c * kh * kw };
  }

  private inKernelMemory(name: string, values: Float32Array, count: number): void {
    expectLength(name, values, count);
    if (!this.holds(values)) throw new Error(`${name} must lie in the kernel memory`);
  }

  /** Runs `work`, freeing what it allocates when it returns. */
  private scoped(work: () => void): void {
    const mark = this.mark();
    try {
      work();
    } finally {
      this.release(mark);
    }
  }

  /**
   * A counted kernel of convolution.c over `pieces` pieces: shared with the
   * second thread where `work` is worth it, else run here alone. Each thread
   * gets `scratch` floats of its own; `args` gives the arguments before the
   * counter for a thread whose scratch is at that offset.
   */
  private counted(name: CountedKernel, kernel: Kernel, work: number, pieces: number, scratch: number, args: (scratch: number) => number[]): void {
    const run = this.exports[name];
    const own = this.allocate(scratch, false).byteOffset;
    if (pieces >= 2 && this.sharing.worthSharing(kernel, work)) {
      const theirs = args(this.allocate(scratch, false).byteOffset);
      this.control[controlSlots - 2] = theirs.length + 1;
      this.byCounter(kernel, 4 + countedKernels.indexOf(name), theirs, (counter) => (run(...args(own), counter) * work) / pieces);
      return;
    }
    Atomics.store(this.control, counterSlot, 0);
    const started = performance.now();
    run(...args(own), this.control.byteOffset + counterSlot * 4);
    this.finish(kernel, work, performance.now() - started, false);
  }

  /**
   * out = op(a) @ op(b), where op transposes when asked; `out` holds
   * rows(op(a)) × columns(op(b)) floats. Operands outside the kernel memory
   * are copied in, and a result outside it is copied out. An operand's row
   * table is read in place where the loop reads that operand's rows one by
   * one (a's as op(a)'s rows, and either's as the rows of the sum), else the
   * rows are gathered first.
   */
  matmul(a: Matrix, transposeA: boolean, b: Matrix, transposeB: boolean, result: Float32Array): void {
    const m = transposeA ? a.columns : a.rows;
    const k = transposeA ? a.rows : a.columns;
    const n = transposeB ? b.rows : b.columns;
    if ((transposeB ? b.columns : b.rows) !== k) throw new Error(`cannot multiply ${m}×${k} by ${transposeB ? b.columns : b.rows}×${n}`);
    const mark = this.mark();
    try {
      a = this.inMemory(a);
      b = this.inMemory(b);
      const out = this.holds(result) ? result : this.allocate(m * n, false);
      const rowsOf = (x: Matrix) => (x.rowTable ? x.rowTable.byteOffset : 0);
      if (!transposeB) {
        if (n >= columnPanel || n >= m) {
          // Broadcast form straight into out; A is read either way round through its strides.
          if (transposeA) a = this.gathered(a);
          this.broadcast(a.data, transposeA ? 1 : k, transposeA ? m : 1, rowsOf(a), b.data, n, rowsOf(b), out, n, m, k, n);
        } else if (transposeA) {
          // Few columns, many rows: out^T = b^T @ a, whose rows are long, then transpose back.
          const swapped = this.allocate(n * m);
          this.broadcast(this.gathered(b).data, 1, n, 0, a.data, m, rowsOf(a), swapped, m, n, k, m);
          transposeInto(swapped, n, m, out);
        } else {
          // Few columns: transpose the small b so both operands run along p.
          const bt = this.allocate(n * k);
          transposeInto(this.gathered(b).data, k, n, bt);
          this.dot(a.data, k, rowsOf(a), bt, k, out, n, m, k, n);
        }
      } else if (!transposeA) {
        this.dot(a.data, k, rowsOf(a), this.gathered(b).data, k, out, n, m, k, n);
      } else {
        // a^T @ b^T = (b @ a)^T.
        const swapped = this.allocate(n * m);
        this.broadcast(b.data, k, 1, rowsOf(b), a.data, m, rowsOf(a), swapped, m, n, k, m);
        transposeInto(swapped, n, m, out);
      }
      if (out !== result) result.set(out);
    } finally {
      this.release(mark);
    }
  }

  /** `x` with its values and row table in the kernel memory (copies made for this call where they are not). */
  private inMemory(x: Matrix): Matrix {
    const data = this.holds(x.data) ? x.data : this.copyIn(x.data);
    const table = x.rowTable;
    if (!table || table.buffer instanceof SharedArrayBuffer) return data === x.data ? x : { ...x, data };
    return { ...x, data, rowTable: this.copyInRows(table) };
  }

  /** `x` without a row table: its rows gathered into a matrix of their own where it has one. */
  private gathered(x: Matrix): Matrix {
    return x.rowTable ? { rows: x.rows, columns: x.columns, data: this.gatherRows(x.data, x.columns, x.rowTable) } : x;
  }

  /** Broadcast form over rows [0, m) and columns [0, n), the columns shared between the threads strip by strip; arows and brows are row tables' offsets, 0 for none. */
  private broadcast(A: Float32Array, sai: number, sap: number, arows: number, B: Float32Array, ldb: number, brows: number, C: Float32Array, ldc: number, m: number, k: number, n: number): void {
    const panels = this.allocate(2 * k * columnPanel, false);
    const panel = (index: number) => panels.byteOffset + index * k * columnPanel * 4;
    if (n >= 2 * columnPanel && this.sharing.worthSharing(0, m * n * k)) {
      this.byCounter(0, 3, [A.byteOffset, sai, sap, arows, B.byteOffset, ldb, brows, C.byteOffset, ldc, k, m, n, panel(1)], (counter) => {
        const strips = this.exports.broadcast_shared(A.byteOffset, sai, sap, arows, B.byteOffset, ldb, brows, C.byteOffset, ldc, k, m, n, panel(0), counter);
        return m * Math.min(n, strips * columnPanel) * k;
      });
      return;
    }
    const started = performance.now();
    this.exports.broadcast_product(A.byteOffset, sai, sap, arows, B.byteOffset, ldb, brows, C.byteOffset, ldc, k, 0, m, 0, n, panel(0));
    this.finish(0, m * n * k, performance.now() - started, false);
  }

  /** Dot form over rows [0, m) and columns [0, n), the rows shared between the threads block by block; arows is a row table's offset, 0 for none. */
  private dot(A: Float32Array, lda: number, arows: number, B: Float32Array, ldb: number, C: Float32Array, ldc: number, m: number, k: number, n: number): void {
    if (m >= 2 * dotBlock && this.sharing.worthSharing(1, m * n * k)) {
      this.byCounter(1, 1, [A.byteOffset, lda, arows, B.byteOffset, ldb, C.byteOffset, ldc, k, m, n], (counter) => {
        const blocks = this.exports.dot_shared(A.byteOffset, lda, arows, B.byteOffset, ldb, C.byteOffset, ldc, k, m, n, counter);
        return Math.min(m, blocks * dotBlock) * n * k;
      });
      return;
    }
    const started = performance.now();
    this.exports.dot_product(A.byteOffset, lda, arows, B.byteOffset, ldb, C.byteOffset, ldc, k, 0, m, 0, n);
    this.finish(1, m * n * k, performance.now() - started, false);
  }

  /**
   * A product shared piece by piece: the second thread is posted `args` and
   * the counter (the control block's last slot) both threads draw pieces
   * from, the main thread runs `own` with it (returning the multiply-adds it
   * did), and neither waits for the other longer than one piece.
   */
  private byCounter(kernel: Kernel, posted: Posted, args: number[], own: (counter: number) => number): void {
    this.shared++;
    const counter = this.control.byteOffset + counterSlot * 4;
    Atomics.store(this.control, counterSlot, 0);
    this.post(posted, [...args, counter]);
    const started = performance.now();
    const work = own(counter);
    this.finish(kernel, work, performance.now() - started, true);
  }

  /** Waits for the second thread's part, if it had one, and learns from the times. */
  private finish(kernel: Kernel, multiplyAdds: number, own: number, shared: boolean): void {
    const started = performance.now();
    if (shared) this.join();
    this.sharing.observe(kernel, multiplyAdds, own, shared ? performance.now() - started : 0);
  }

  // Both threads sleep while they wait. Spinning instead saves the wake-up
  // (about 0.2 ms here), but on a machine whose cores are busy with other
  // work a spinning thread takes time from the one it waits for.
  /** Where the main thread's part ends (see ThreadShare). */
  private share(kernel: Kernel, work: number, size: number, block: number): number {
    const split = this.sharing.split(kernel, work, size, block);
    if (split < size) this.shared++;
    return split;
  }

  private post(kernel: Posted, args: number[]): void {
    this.control[1] = kernel;
    this.control.set(args, 2);
    Atomics.store(this.control, 0, posted);
    Atomics.notify(this.control, 0);
  }

  private join(): void {
    while (Atomics.load(this.control, 0) === posted) Atomics.wait(this.control, 0, posted);
    Atomics.store(this.control, 0, idle);
  }
}

/** Each build's module, compiled once per process (every Kernels of that build instantiates it). */
const compiled = new Map<KernelBuild, WebAssembly.Module>();

/**
 * Compiles the kernels straight to optimized code, every function before the
 * first call. By default V8 (Node 20) compiles a WebAssembly function only
 * when it is first called, with its baseline compiler, and optimizes it on a
 * background thread once it has run a while: a run's first steps would run
 * the products in baseline code, several times slower, while the compiler
 * takes the other core (on one core, W4's first run took 0.14 to 0.15 s
 * instead of 0.11). Both flags hold only while this module compiles (40 to
 * 60 ms, once per process and build) and return to Node's defaults after.
 */
function compileOptimized(build: KernelBuild): WebAssembly.Module {
  const known = compiled.get(build);
  if (known) return known;
  setFlagsFromString("--no-liftoff");
  setFlagsFromString("--no-wasm-lazy-compilation");
  const flagged = build === "relaxed-simd" && relaxedSimd() === "behind its flag";
  if (flagged) setFlagsFromString("--experimental-wasm-relaxed-simd");
  try {
    const module = new WebAssembly.Module(build === "relaxed-simd" ? relaxedBytes() : Buffer.from(kernelsWasmBase64, "base64"));
    compiled.set(build, module);
    return module;
  } finally {
    setFlagsFromString("--liftoff");
    setFlagsFromString("--wasm-lazy-compilation");
    if (flagged) setFlagsFromString("--no-experimental-wasm-relaxed-simd");
  }
}

/**
 * The builds of kernels.c (build.mjs). "relaxed-simd" multiplies and adds in
 * one instruction where the machine has one (FMA3 on x86-64): half the
 * arithmetic instructions of a product, one rounding instead of two.
 * "simd" runs wherever WebAssembly SIMD does.
 */
export type KernelBuild = "relaxed-simd" | "simd";

let relaxedModule: Buffer<ArrayBuffer> | undefined;
function relaxedBytes(): Buffer<ArrayBuffer> {
  return (relaxedModule ??= Buffer.from(kernelsRelaxedWasmBase64, "base64"));
}

type RelaxedSimd = "on" | "behind its flag" | "missing";
let relaxedSupport: RelaxedSimd | undefined;
/**
 * Whether the runtime runs the relaxed-SIMD build: as it is (from V8 11.4
 * on), behind a flag (Node 20's V8 11.3, whose flag compileOptimized turns on
 * while the module compiles), or not at all. Found out once.
 */
function relaxedSimd(): RelaxedSimd {
  if (relaxedSupport === undefined) {
    if (WebAssembly.validate(relaxedBytes())) relaxedSupport = "on";
    else {
      setFlagsFromString("--experimental-wasm-relaxed-simd");
      relaxedSupport = WebAssembly.validate(relaxedBytes()) ? "behind its flag" : "missing";
      setFlagsFromString("--no-experimental-wasm-relaxed-simd");
    }
  }
  return relaxedSupport;
}

/** Two threads when the machine has two cores or more; OPTIM_KERNEL_THREADS=1 keeps to one. */
function defaultThreads(): number {
  const asked = Number(process.env.OPTIM_KERNEL_THREADS);
  return asked >= 1 ? asked : Math.min(2, availableParallelism());
}

/** to (columns × rows) = from (rows × columns)^T. */
export function transposeInto(from: Float32Array, rows: number, columns: number, to: Float32Array): void {
  for (let i = 0; i < rows; i++) {
    const row = i * columns;
    for (let j = 0; j < columns; j++) to[j * rows + i] = from[row + j];
  }
}
