// The second thread of the kernel runtime (kernels.ts): the control block
// both threads share, the worker's code, the kernels it can be posted, and
// how work is divided between the threads.
/**
 * The kernels of convolution.c that draw their pieces of work from a counter
 * (their last argument), by the number the second thread is posted (4 on);
 * each takes int32 arguments only and returns how many pieces it did.
 */
export const countedKernels = ["conv_forward_direct", "conv_forward_im2col", "conv_input_direct", "conv_input_im2col", "conv_pad_images", "conv_im2col_images", "conv_kernel_direct", "conv_kernel_im2col", "pool"] as const;
export type CountedKernel = (typeof countedKernels)[number];

// Control block shared with the second thread: state, kernel, arguments, the
// number of arguments of a counted kernel in the last slot but one, and in
// the last slot the counter two threads draw pieces of shared work from.
export const controlSlots = 24;
export const counterSlot = controlSlots - 1;
export const idle = 0;
export const posted = 1;
export const done = 2;
export const stop = 3;

export const workerSource = `
const { workerData } = require("node:worker_threads");
const { module, memory, control } = workerData;
const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
const counted = ${JSON.stringify(countedKernels)};
const block = new Int32Array(memory.buffer, control, ${controlSlots});
for (;;) {
  let state = Atomics.load(block, 0);
  while (state !== ${posted} && state !== ${stop}) {
    Atomics.wait(block, 0, state);
    state = Atomics.load(block, 0);
  }
  if (state === ${stop}) break;
  const args = Array.from(block.subarray(2, ${controlSlots - 2}));
  if (block[1] === 1) kernels.dot_shared(...args.slice(0, 11));
  else if (block[1] === 2) kernels.gather_rows(...args.slice(0, 5));
  else if (block[1] === 3) kernels.broadcast_shared(...args.slice(0, 14));
  else kernels[counted[block[1] - 4]](...args.slice(0, block[${controlSlots - 2}]));
  Atomics.store(block, 0, ${done});
  Atomics.notify(block, 0);
}
`;

/**
 * Whether work is worth sharing between the threads, and how a gather split
 * once is divided. The second thread starts late (it has to be woken: 0.05 to
 * 0.2 ms on the machines we measured), so work too small to gain from it runs
 * on the main thread alone, and in a split gather the main thread takes more
 * than half, enough that both end together. Products are shared piece by
 * piece from a counter instead, so whichever thread is ahead takes more.
 * Both the wake-up and each kernel's pace are learnt as they run.
 */
/** Milliseconds to wake the second thread on the machines we measured, where the estimate starts and returns to. */
const typicalLatency = 0.15;

/** Work whose pace is learnt: 0 the broadcast form, 1 the dot form, 2 a gather of rows, 3 convolutions (multiply-adds), 4 pooling and padding (floats read). */
export type Kernel = 0 | 1 | 2 | 3 | 4;

/** What the second thread is posted: 1 blocks of rows of a dot-form product, 2 part of a gather, 3 strips of a broadcast-form product, 4 on a counted kernel (countedKernels). */
export type Posted = number;

export class ThreadShare {
  /** Milliseconds from posting work to the second thread starting it. */
  private latency = typicalLatency;
  /** Work per millisecond on one thread: multiply-adds for the broadcast and the dot form, floats copied for a gather. */
  private readonly pace = [15e6, 18e6, 1.2e6, 10e6, 0.5e6];
  private lastShare = 1;

  constructor(private readonly available: boolean) {}

  /** Whether `work` takes long enough alone for the second thread's wake-up to pay. */
  worthSharing(kernel: Kernel, work: number): boolean {
    this.lastShare = 1;
    if (!this.available) return false;
    if (work / this.pace[kernel] >= 2 * this.latency) return true;
    // A slow wake-up (a busy machine, the thread's start) must not keep work on one thread for good.
    this.latency = Math.max(typicalLatency, 0.98 * this.latency);
    return false;
  }

  /**
   * Where the main thread's part of `size` items (rows or columns) ends; the
   * second thread takes the rest. Multiples of `block`, `size` when unshared.
   */
  split(kernel: Kernel, work: number, size: number, block: number): number {
    if (!this.worthSharing(kernel, work)) return size;
    const alone = work / this.pace[kernel];
    // Both end together when share · alone = (1 − share) · alone + latency.
    const share = Math.min(0.9, 0.5 + this.latency / (2 * alone));
    const split = Math.round((share * size) / block) * block;
    if (split <= 0 || split >= size) return size;
    this.lastShare = split / size;
    return split;
  }

  /** How long the main thread took for its `work` (as pace counts it), and how long it then waited for the second thread. */
  observe(kernel: Kernel, work: number, own: number, waited: number): void {
    if (own > 0) this.pace[kernel] = 0.8 * this.pace[kernel] + 0.2 * (work / own);
    if (this.lastShare >= 1 || own <= 0) return;
    // The second thread's part takes (1 − share)/share of the main thread's
    // time, after the latency: a wait measures the latency, no wait bounds it.
    const theirs = ((1 - this.lastShare) / this.lastShare) * own;
    const latency = waited > 0.005 ? own + waited - theirs : Math.min(this.latency, own - theirs);
    this.latency = 0.8 * this.latency + 0.2 * Math.min(0.5, Math.max(0.01, latency));
  }
}
