// Convolution, pooling and upsampling in float32, as plain loops over
// Float32Arrays in row-major [N, C, H, W] order: the kernel executor's
// versions of the reference's image ops (image-ops.ts), forward and backward.
// Each function reads its sizes from a `ConvDims` or `PoolDims` and writes
// into an output the caller allocated (zeroed where it accumulates), so a
// faster implementation can replace any of them one for one.

export interface ConvDims {
  n: number;
  c: number;
  h: number;
  w: number;
  /** Filters, and each filter's height and width. */
  f: number;
  kh: number;
  kw: number;
  stride: number;
  pad: number;
  /** The output's height and width. */
  ho: number;
  wo: number;
}

export interface PoolDims {
  /** Planes: N·C. */
  planes: number;
  h: number;
  w: number;
  size: number;
  stride: number;
  ho: number;
  wo: number;
}

export function convDims(x: number[], k: number[], stride: number, pad: number): ConvDims {
  const [n, c, h, w] = x;
  const [f, , kh, kw] = k;
  return { n, c, h, w, f, kh, kw, stride, pad, ho: Math.floor((h + 2 * pad - kh) / stride) + 1, wo: Math.floor((w + 2 * pad - kw) / stride) + 1 };
}

export function poolDims(x: number[], size: number, stride: number): PoolDims {
  const [n, c, h, w] = x;
  return { planes: n * c, h, w, size, stride, ho: Math.floor((h - size) / stride) + 1, wo: Math.floor((w - size) / stride) + 1 };
}

/** The output columns j whose input column j·stride + q − pad lies inside [0, length): [low, high). */
function validRange(q: number, pad: number, stride: number, length: number, outputs: number): [number, number] {
  const low = Math.max(0, Math.ceil((pad - q) / stride));
  const high = Math.min(outputs, Math.floor((length - 1 + pad - q) / stride) + 1);
  return [low, high];
}

/**
 * Visits each (kernel tap, output row) pair of a convolution with the
 * offsets it joins: `row(xRow, kIndex, outRow, jLow, jHigh, q)` where the
 * input row starts at xRow (column 0) and the output row at outRow.
 */
function forEachTapRow(d: ConvDims, visit: (xRow: number, ki: number, oRow: number, jLow: number, jHigh: number, q: number) => void): void {
  for (let b = 0; b < d.n; b++) {
    for (let f = 0; f < d.f; f++) {
      for (let c = 0; c < d.c; c++) {
        for (let p = 0; p < d.kh; p++) {
          const [iLow, iHigh] = validRange(p, d.pad, d.stride, d.h, d.ho);
          for (let q = 0; q < d.kw; q++) {
            const [jLow, jHigh] = validRange(q, d.pad, d.stride, d.w, d.wo);
            const ki = ((f * d.c + c) * d.kh + p) * d.kw + q;
            for (let i = iLow; i < iHigh; i++) {
              const xRow = ((b * d.c + c) * d.h + i * d.stride + p - d.pad) * d.w;
              visit(xRow, ki, ((b * d.f + f) * d.ho + i) * d.wo, jLow, jHigh, q);
            }
          }
        }
      }
    }
  }
}

/** out[n, f, i, j] = Σ x[n, c, i·s + p − pad, j·s + q − pad] · K[f, c, p, q]; out zeroed. */
export function conv2dForward(x: Float32Array, k: Float32Array, d: ConvDims, out: Float32Array): void {
  const { stride, pad } = d;
  forEachTapRow(d, (xRow, ki, oRow, jLow, jHigh, q) => {
    const weight = k[ki];
    const shift = xRow + q - pad;
    for (let j = jLow; j < jHigh; j++) out[oRow + j] += weight * x[shift + j * stride];
  });
}

/** gx += the gradient with respect to x given the output's g; gx zeroed. */
export function conv2dBackwardInput(g: Float32Array, k: Float32Array, d: ConvDims, gx: Float32Array): void {
  const { stride, pad } = d;
  forEachTapRow(d, (xRow, ki, oRow, jLow, jHigh, q) => {
    const weight = k[ki];
    const shift = xRow + q - pad;
    for (let j = jLow; j < jHigh; j++) gx[shift + j * stride] += weight * g[oRow + j];
  });
}

/** gk += the gradient with respect to K given the output's g; gk zeroed. */
export function conv2dBackwardKernel(g: Float32Array, x: Float32Array, d: ConvDims, gk: Float32Array): void {
  const { stride, pad } = d;
  forEachTapRow(d, (xRow, ki, oRow, jLow, jHigh, q) => {
    const shift = xRow + q - pad;
    let total = 0;
    for (let j = jLow; j < jHigh; j++) total += g[oRow + j] * x[shift + j * stride];
    gk[ki] += total;
  });
}

/** Each window's largest entry; `where` (when given) keeps the index of the first largest, for the backward pass. */
export function maxpoolForward(x: Float32Array, d: PoolDims, out: Float32Array, where?: Int32Array): void {
  for (let plane = 0; plane < d.planes; plane++) {
    for (let i = 0; i < d.ho; i++) {
      for (let j = 0; j < d.wo; j++) {
        let largest = -Infinity;
        let at = -1;
        for (let p = 0; p < d.size; p++) {
          const row = (plane * d.h + i * d.stride + p) * d.w + j * d.stride;
          for (let q = 0; q < d.size; q++) {
            if (x[row + q] > largest || at < 0) {
              largest = x[row + q];
              at = row + q;
            }
          }
        }
        const oi = (plane * d.ho + i) * d.wo + j;
        out[oi] = largest;
        if (where) where[oi] = at;
      }
    }
  }
}

/** gx += each window's gradient at its first largest entry; gx zeroed. */
export function maxpoolBackward(g: Float32Array, x: Float32Array, out: Float32Array, d: PoolDims, gx: Float32Array): void {
  for (let plane = 0; plane < d.planes; plane++) {
    for (let i = 0; i < d.ho; i++) {
      for (let j = 0; j < d.wo; j++) {
        const oi = (plane * d.ho + i) * d.wo + j;
        search: for (let p = 0; p < d.size; p++) {
          const row = (plane * d.h + i * d.stride + p) * d.w + j * d.stride;
          for (let q = 0; q < d.size; q++) {
            if (x[row + q] === out[oi]) {
              gx[row + q] += g[oi];
              break search;
            }
          }
        }
      }
    }
  }
}

/** Each window's mean. */
export function avgpoolForward(x: Float32Array, d: PoolDims, out: Float32Array): void {
  const scale = 1 / (d.size * d.size);
  for (let plane = 0; plane < d.planes; plane++) {
    for (let i = 0; i < d.ho; i++) {
      for (let j = 0; j < d.wo; j++) {
        let total = 0;
        for (let p = 0; p < d.size; p++) {
          const row = (plane * d.h + i * d.stride + p) * d.w + j * d.stride;
          for (let q = 0; q < d.size; q++) total += x[row + q];
        }
        out[(plane * d.ho + i) * d.wo + j] = total * scale;
      }
    }
  }
}

/** gx += each window's gradient spread evenly over it; gx zeroed. */
export function avgpoolBackward(g: Float32Array, d: PoolDims, gx: Float32Array): void {
  const scale = 1 / (d.size * d.size);
  for (let plane = 0; plane < d.planes; plane++) {
    for (let i = 0; i < d.ho; i++) {
      for (let j = 0; j < d.wo; j++) {
        const share = g[(plane * d.ho + i) * d.wo + j] * scale;
        for (let p = 0; p < d.size; p++) {
          const row = (plane * d.h + i * d.stride + p) * d.w + j * d.stride;
          for (let q = 0; q < d.size; q++) gx[row + q] += share;
        }
      }
    }
  }
}

/** Each entry of x ([planes, h, w]) copied to a size × size block of out. */
export function upsampleForward(x: Float32Array, planes: number, h: number, w: number, size: number, out: Float32Array): void {
  const wo = w * size;
  for (let plane = 0; plane < planes; plane++) {
    for (let i = 0; i < h * size; i++) {
      const from = (plane * h + Math.floor(i / size)) * w;
      const to = (plane * h * size + i) * wo;
      for (let j = 0; j < wo; j++) out[to + j] = x[from + Math.floor(j / size)];
    }
  }
}

/** gx (of x's [planes, h, w]) = the sum of each size × size block of g; gx zeroed. */
export function upsampleBackward(g: Float32Array, planes: number, h: number, w: number, size: number, gx: Float32Array): void {
  const wo = w * size;
  for (let plane = 0; plane < planes; plane++) {
    for (let i = 0; i < h * size; i++) {
      const to = (plane * h + Math.floor(i / size)) * w;
      const from = (plane * h * size + i) * wo;
      for (let j = 0; j < wo; j++) gx[to + Math.floor(j / size)] += g[from + j];
    }
  }
}
