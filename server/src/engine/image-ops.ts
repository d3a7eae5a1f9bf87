// The reference op table's entries for image-shaped tensors ([N, C, H, W]):
// convolution, pooling, nearest-neighbour upsampling and the ops that only
// move entries (reshape, flatten, flip), float64 forward and vector-Jacobian
// product side by side, with max pooling's kinks. ops.ts spreads them into
// its table; the float32 executors are tested against them.
import type { IrNode } from "./ir";
import type { OpDefinition } from "./ops";
import { flippedIndex, sizeOf, tensor, type Tensor } from "./tensor";

/** The output side of a window of `size` every `stride` over `length` entries (padded by `pad` on each side). */
export function windowsAlong(length: number, size: number, stride: number, pad = 0): number {
  return Math.floor((length + 2 * pad - size) / stride) + 1;
}

/** reshape's target: its one -1 worked out from the entries' count, and a leading -1 left by compilation for N. */
export function reshapeTarget(dims: number[], entries: number): number[] {
  const known = dims.reduce((product, dim) => (dim === -1 ? product : product * dim), 1);
  const shape = dims.map((dim) => (dim === -1 ? entries / known : dim));
  if (sizeOf(shape) !== entries || shape.some((dim) => !Number.isInteger(dim))) throw new Error(`cannot reshape ${entries} entries to [${dims.join(", ")}]`);
  return shape;
}

interface Conv {
  n: number;
  c: number;
  h: number;
  w: number;
  f: number;
  kh: number;
  kw: number;
  ho: number;
  wo: number;
  stride: number;
  pad: number;
}

function convDims(x: Tensor, k: Tensor, node: IrNode): Conv {
  const [n, c, h, w] = x.shape;
  const [f, kc, kh, kw] = k.shape;
  const stride = node.stride ?? 1;
  const pad = node.pad ?? 0;
  if (x.shape.length !== 4 || k.shape.length !== 4 || kc !== c) throw new Error(`conv2d needs x [N, C, H, W] and K [F, C, kh, kw], got [${x.shape}] and [${k.shape}]`);
  return { n, c, h, w, f, kh, kw, ho: windowsAlong(h, kh, stride, pad), wo: windowsAlong(w, kw, stride, pad), stride, pad };
}

/**
 * Visits every product of a convolution: `visit(xIndex, kIndex, outIndex)`
 * for each output entry, each kernel entry and the input entry under it
 * (those in the padding are skipped, being zero).
 */
function forEachProduct(d: Conv, visit: (xi: number, ki: number, oi: number) => void): void {
  for (let b = 0; b < d.n; b++) {
    for (let f = 0; f < d.f; f++) {
      for (let i = 0; i < d.ho; i++) {
        for (let j = 0; j < d.wo; j++) {
          const oi = ((b * d.f + f) * d.ho + i) * d.wo + j;
          for (let c = 0; c < d.c; c++) {
            for (let p = 0; p < d.kh; p++) {
              const row = i * d.stride + p - d.pad;
              if (row < 0 || row >= d.h) continue;
              for (let q = 0; q < d.kw; q++) {
                const column = j * d.stride + q - d.pad;
                if (column < 0 || column >= d.w) continue;
                visit(((b * d.c + c) * d.h + row) * d.w + column, ((f * d.c + c) * d.kh + p) * d.kw + q, oi);
              }
            }
          }
        }
      }
    }
  }
}

/** Visits every window of a pooling: `visit(windowIndex, inputIndices)`, the window's entries in row-major order. */
function forEachWindow(x: Tensor, size: number, stride: number, visit: (oi: number, entries: number[]) => void): number[] {
  const [n, c, h, w] = x.shape;
  const ho = windowsAlong(h, size, stride);
  const wo = windowsAlong(w, size, stride);
  const entries = new Array<number>(size * size);
  for (let plane = 0; plane < n * c; plane++) {
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++) {
        for (let p = 0; p < size; p++) for (let q = 0; q < size; q++) entries[p * size + q] = (plane * h + i * stride + p) * w + j * stride + q;
        visit((plane * ho + i) * wo + j, entries);
      }
    }
  }
  return [n, c, ho, wo];
}

function pooledShape(x: Tensor, node: IrNode): number[] {
  const size = node.size as number;
  const stride = node.stride ?? size;
  const [n, c, h, w] = x.shape;
  return [n, c, windowsAlong(h, size, stride), windowsAlong(w, size, stride)];
}

export const imageOps = {
  conv2d: {
    forward: ([x, k], node) => {
      const d = convDims(x, k, node);
      const out = tensor([d.n, d.f, d.ho, d.wo]);
      forEachProduct(d, (xi, ki, oi) => (out.data[oi] += x.data[xi] * k.data[ki]));
      return out;
    },
    vjp: (g, [x, k], _, node) => {
      const d = convDims(x, k, node);
      const gx = tensor(x.shape);
      const gk = tensor(k.shape);
      forEachProduct(d, (xi, ki, oi) => {
        gx.data[xi] += g.data[oi] * k.data[ki];
        gk.data[ki] += g.data[oi] * x.data[xi];
      });
      return [gx, gk];
    },
  },
  // Each window's largest entry; the gradient goes to the first largest (in row-major order), ties being kinks.
  maxpool: {
    forward: ([x], node) => {
      const out = tensor(pooledShape(x, node));
      forEachWindow(x, node.size as number, node.stride ?? (node.size as number), (oi, entries) => {
        let largest = -Infinity;
        for (const e of entries) largest = Math.max(largest, x.data[e]);
        out.data[oi] = largest;
      });
      return out;
    },
    vjp: (g, [x], out, node) => {
      const gx = tensor(x.shape);
      forEachWindow(x, node.size as number, node.stride ?? (node.size as number), (oi, entries) => {
        const first = entries.find((e) => x.data[e] === out.data[oi]) as number;
        gx.data[first] += g.data[oi];
      });
      return [gx];
    },
    // Per window: 1 + where its largest entry is, 0 when two or more tie for it (wrapping past 255 entries, which no practical window has).
    branches: ([x], out, node) => {
      const branches = new Uint8Array(out.data.length);
      forEachWindow(x, node.size as number, node.stride ?? (node.size as number), (oi, entries) => {
        const at = entries.map((e, k) => (x.data[e] === out.data[oi] ? k : -1)).filter((k) => k >= 0);
        branches[oi] = at.length === 1 ? (at[0] + 1) % 256 : 0;
      });
      return branches;
    },
  },
  avgpool: {
    forward: ([x], node) => {
      const out = tensor(pooledShape(x, node));
      forEachWindow(x, node.size as number, node.stride ?? (node.size as number), (oi, entries) => {
        let total = 0;
        for (const e of entries) total += x.data[e];
        out.data[oi] = total / entries.length;
      });
      return out;
    },
    vjp: (g, [x], _, node) => {
      const gx = tensor(x.shape);
      forEachWindow(x, node.size as number, node.stride ?? (node.size as number), (oi, entries) => {
        for (const e of entries) gx.data[e] += g.data[oi] / entries.length;
      });
      return [gx];
    },
  },
  // Each entry copied to a size × size block; its gradient sums each block (sum pooling).
  upsample: {
    forward: ([x], node) => {
      const size = node.size as number;
      const [n, c, h, w] = x.shape;
      const out = tensor([n, c, h * size, w * size]);
      forEachWindow(out, size, size, (oi, entries) => {
        for (const e of entries) out.data[e] = x.data[oi];
      });
      return out;
    },
    vjp: (g, [x], _, node) => {
      const size = node.size as number;
      const gx = tensor(x.shape);
      forEachWindow(g, size, size, (oi, entries) => {
        for (const e of entries) gx.data[oi] += g.data[e];
      });
      return [gx];
    },
  },
  reshape: {
    forward: ([x], node) => ({ shape: reshapeTarget(node.dims as number[], x.data.length), data: x.data.slice() }),
    vjp: (g, [x]) => [{ shape: [...x.shape], data: g.data.slice() }],
  },
  flatten: {
    forward: ([x]) => ({ shape: [x.shape[0] ?? 1, sizeOf(x.shape.slice(1))], data: x.data.slice() }),
    vjp: (g, [x]) => [{ shape: [...x.shape], data: g.data.slice() }],
  },
  // Its own adjoint: reversing twice is the identity.
  flip: {
    forward: ([x], node) => flipped(x, node.axes ?? []),
    vjp: (g, _, __, node) => [flipped(g, node.axes ?? [])],
  },
} satisfies Record<string, OpDefinition>;

function flipped(x: Tensor, axes: number[]): Tensor {
  const out = tensor(x.shape);
  const source = flippedIndex(x.shape, axes);
  for (let i = 0; i < out.data.length; i++) out.data[i] = x.data[source(i)];
  return out;
}
