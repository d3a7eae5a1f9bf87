// The kernel executor's entries for the image ops and the largest entry
// (reducemax), in float32: convolution, pooling and upsampling call the loops
// of image-ops-f32.ts on tensors of the call; reshape and flatten only
// relabel an array; flip moves entries. Each mirrors the reference's entry
// (image-ops.ts, ops.ts), forward and vector-Jacobian product.
import { avgpoolBackward, avgpoolForward, conv2dBackwardInput, conv2dBackwardKernel, conv2dForward, convDims, maxpoolBackward, maxpoolForward, poolDims, upsampleBackward, upsampleForward } from "./image-ops-f32";
import { reshapeTarget } from "./image-ops";
import type { IrNode } from "./ir";
import type { Float32Op, Float32Tensor, Step } from "./kernel-ops";
import { aroundAxis, flippedIndex, sizeOf } from "./tensor";

function pooled(x: Float32Tensor, node: IrNode) {
  const size = node.size as number;
  return poolDims(x.shape, size, node.stride ?? size);
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

/** Visits each slice a reduction along `axis` reads (everything when undefined). */
function forEachSlice(shape: number[], axis: number | undefined, visit: (start: number, stride: number, count: number, slice: number) => void): void {
  if (axis === undefined) return visit(0, 1, sizeOf(shape), 0);
  const [outer, length, inner] = aroundAxis(shape, axis);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) visit(o * length * inner + i, inner, length, o * inner + i);
}

export const imageFloat32Ops = {
  conv2d: {
    forward: (step, [x, k], node) => {
      const d = convDims(x.shape, k.shape, node.stride ?? 1, node.pad ?? 0);
      const out = step.tensor([d.n, d.f, d.ho, d.wo], true);
      conv2dForward(x.data, k.data, d, out.data);
      return out;
    },
    vjp: (step, g, [x, k], _, node, needs) => {
      const d = convDims(x.shape, k.shape, node.stride ?? 1, node.pad ?? 0);
      let gx: Float32Tensor | null = null;
      let gk: Float32Tensor | null = null;
      if (needs[0]) {
        gx = step.tensor(x.shape, true);
        conv2dBackwardInput(g.data, k.data, d, gx.data);
      }
      if (needs[1]) {
        gk = step.tensor(k.shape, true);
        conv2dBackwardKernel(g.data, x.data, d, gk.data);
      }
      return [gx, gk];
    },
  },
  maxpool: {
    forward: (step, [x], node) => {
      const d = pooled(x, node);
      const out = step.tensor([x.shape[0], x.shape[1], d.ho, d.wo]);
      maxpoolForward(x.data, d, out.data);
      return out;
    },
    vjp: (step, g, [x], out, node) => {
      const gx = step.tensor(x.shape, true);
      maxpoolBackward(g.data, x.data, out.data, pooled(x, node), gx.data);
      return [gx];
    },
  },
  avgpool: {
    forward: (step, [x], node) => {
      const d = pooled(x, node);
      const out = step.tensor([x.shape[0], x.shape[1], d.ho, d.wo]);
      avgpoolForward(x.data, d, out.data);
      return out;
    },
    vjp: (step, g, [x], _, node) => {
      const gx = step.tensor(x.shape, true);
      avgpoolBackward(g.data, pooled(x, node), gx.data);
      return [gx];
    },
  },
  upsample: {
    forward: (step, [x], node) => {
      const size = node.size as number;
      const [n, c, h, w] = x.shape;
      const out = step.tensor([n, c, h * size, w * size]);
      upsampleForward(x.data, n * c, h, w, size, out.data);
      return out;
    },
    vjp: (step, g, [x], _, node) => {
      const [n, c, h, w] = x.shape;
      const gx = step.tensor(x.shape, true);
      upsampleBackward(g.data, n * c, h, w, node.size as number, gx.data);
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
