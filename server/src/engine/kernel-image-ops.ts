// The kernel executor's entries for the image ops and the largest entry
// (reducemax), in float32: convolution and pooling run on the WebAssembly
// SIMD kernels (kernels/convolution.c, on both threads); upsampling loops here;
// reshape and flatten only relabel an array; flip moves entries. Each mirrors
// the reference's entry (image-ops.ts, ops.ts), forward and vector-Jacobian
// product. Every kernel writes each entry of its output, so outputs are not zeroed.
import { convOutput, poolOutput, type ConvShape, type PoolShape } from "./kernels/convolution";
import { reshapeTarget } from "./image-ops";
import type { IrNode } from "./ir";
import type { Float32Op, Float32Tensor, Step } from "./kernel-ops";
import { flippedIndex, forEachSlice, sizeOf } from "./tensor";

function convShape(x: Float32Tensor, k: Float32Tensor, node: IrNode): ConvShape {
  const [n, c, h, w] = x.shape;
  const [f, , kh, kw] = k.shape;
  return { n, c, h, w, f, kh, kw, stride: node.stride ?? 1, pad: node.pad ?? 0 };
}

function poolShape(x: Float32Tensor, node: IrNode): PoolShape {
  const [n, c, h, w] = x.shape;
  const size = node.size as number;
  return { n, c, h, w, size, stride: node.stride ?? size };
}

function pooledTensor(step: Step, shape: PoolShape): Float32Tensor {
  const { ho, wo } = poolOutput(shape);
  return step.tensor([shape.n, shape.c, ho, wo]);
}

/** Each entry of x ([planes, h, w]) copied to a size × size block of out. */
function upsampleInto(x: Float32Array, planes: number, h: number, w: number, size: number, out: Float32Array): void {
  const wo = w * size;
  for (let plane = 0; plane < planes; plane++) {
    for (let i = 0; i < h * size; i++) {
      const from = (plane * h + Math.floor(i / size)) * w;
      const to = (plane * h * size + i) * wo;
      for (let j = 0; j < wo; j++) out[to + j] = x[from + Math.floor(j / size)];
    }
  }
}

/** gx (of x's [planes, h, w], zeroed) = the sum of each size × size block of g. */
function blockSumsInto(g: Float32Array, planes: number, h: number, w: number, size: number, gx: Float32Array): void {
  const wo = w * size;
  for (let plane = 0; plane < planes; plane++) {
    for (let i = 0; i < h * size; i++) {
      const to = (plane * h + Math.floor(i / size)) * w;
      const from = (plane * h * size + i) * wo;
      for (let j = 0; j < wo; j++) gx[to + Math.floor(j / size)] += g[from + j];
    }
  }
}

function relabelled(a: Float32Tensor, shape: number[]): Float32Tensor {
  return { shape, data: a.data };
}

function flipped(step: Step, a: Float32Tensor, axes: number[]): Float32Tensor {
  const out = step.tensor(a.shape);
  const source = flippedIndex(a.shape, axes);
  for (let i = 0; i < out.data.length; i++) out.data[i] = a.data[source(i)];
  return out;
}

export const imageFloat32Ops = {
  conv2d: {
    forward: (step, [x, k], node) => {
      const shape = convShape(x, k, node);
      const { ho, wo } = convOutput(shape);
      const out = step.tensor([shape.n, shape.f, ho, wo]);
      step.kernels.conv2dForward(out.data, step.inKernelMemory(x.data), step.inKernelMemory(k.data), shape);
      return out;
    },
    vjp: (step, g, [x, k], _, node, needs) => {
      const shape = convShape(x, k, node);
      const gradient = step.inKernelMemory(g.data);
      let gx: Float32Tensor | null = null;
      let gk: Float32Tensor | null = null;
      if (needs[0]) {
        gx = step.tensor(x.shape);
        step.kernels.conv2dBackwardInput(gx.data, gradient, step.inKernelMemory(k.data), shape);
      }
      if (needs[1]) {
        gk = step.tensor(k.shape);
        step.kernels.conv2dBackwardKernel(gk.data, gradient, step.inKernelMemory(x.data), shape);
      }
      return [gx, gk];
    },
  },
  maxpool: {
    forward: (step, [x], node) => {
      const shape = poolShape(x, node);
      const out = pooledTensor(step, shape);
      step.kernels.maxpoolForward(out.data, step.inKernelMemory(x.data), shape);
      return out;
    },
    // To the first largest entry of each window, as in the reference.
    vjp: (step, g, [x], _, node) => {
      const gx = step.tensor(x.shape);
      step.kernels.maxpoolBackward(gx.data, step.inKernelMemory(g.data), step.inKernelMemory(x.data), poolShape(x, node));
      return [gx];
    },
  },
  avgpool: {
    forward: (step, [x], node) => {
      const shape = poolShape(x, node);
      const out = pooledTensor(step, shape);
      step.kernels.avgpoolForward(out.data, step.inKernelMemory(x.data), shape);
      return out;
    },
    vjp: (step, g, [x], _, node) => {
      const gx = step.tensor(x.shape);
      step.kernels.avgpoolBackward(gx.data, step.inKernelMemory(g.data), poolShape(x, node));
      return [gx];
    },
  },
  upsample: {
    forward: (step, [x], node) => {
      const size = node.size as number;
      const [n, c, h, w] = x.shape;
      const out = step.tensor([n, c, h * size, w * size]);
      upsampleInto(x.data, n * c, h, w, size, out.data);
      return out;
    },
    vjp: (step, g, [x], _, node) => {
      const [n, c, h, w] = x.shape;
      const gx = step.tensor(x.shape, true);
      blockSumsInto(g.data, n * c, h, w, node.size as number, gx.data);
      return [gx];
    },
  },
  reshape: {
    forward: (_, [x], node) => relabelled(x, reshapeTarget(node.dims as number[], x.data.length)),
    vjp: (_, g, [x]) => [relabelled(g, x.shape)],
  },
  flatten: {
    forward: (_, [x]) => relabelled(x, [x.shape[0] ?? 1, sizeOf(x.shape.slice(1))]),
    vjp: (_, g, [x]) => [relabelled(g, x.shape)],
  },
  flip: {
    forward: (step, [x], node) => flipped(step, x, node.axes ?? []),
    vjp: (step, g, _, __, node) => [flipped(step, g, node.axes ?? [])],
  },
  // The gradient goes to the first largest entry of each slice, as in the reference.
  reducemax: {
    forward: (step, [a], node) => {
      const out = step.tensor(node.axis === undefined ? [] : a.shape.map((dim, i) => (i === node.axis ? 1 : dim)));
      forEachSlice(a.shape, node.axis, (start, stride, count, slice) => {
        let largest = -Infinity;
        for (let k = 0; k < count; k++) largest = Math.max(largest, a.data[start + k * stride]);
        out.data[slice] = largest;
      });
      return out;
    },
    vjp: (step, g, [a], out, node) => {
      const grad = step.tensor(a.shape, true);
      forEachSlice(a.shape, node.axis, (start, stride, count, slice) => {
        for (let k = 0; k < count; k++) {
          if (a.data[start + k * stride] === out.data[slice]) {
            grad.data[start + k * stride] = g.data[slice];
            return;
          }
        }
      });
      return [grad];
    },
  },
} satisfies Record<string, Float32Op>;
