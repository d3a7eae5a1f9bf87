// Float64 tensors of rank 0 to 2 and numpy-style broadcasting: the data type
// of the reference executor.

export interface Tensor {
  shape: number[];
  data: Float64Array;
}

export function tensor(shape: number[], data?: ArrayLike<number>): Tensor {
  const size = sizeOf(shape);
  const values = new Float64Array(size);
  if (data) {
    if (data.length !== size) throw new Error(`tensor of shape [${shape}] needs ${size} values, got ${data.length}`);
    values.set(data);
  }
  return { shape: [...shape], data: values };
}

export function scalar(value: number): Tensor {
  return { shape: [], data: Float64Array.of(value) };
}

export function sizeOf(shape: number[]): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

export function shapeString(shape: number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Rows and columns of a tensor seen as a matrix: [] is 1×1, [n] is 1×n. */
export function asMatrix(shape: number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [1, shape[0]];
  return [shape[0], shape[1]];
}

/** The broadcast shape of two shapes, or undefined if they do not broadcast. */
export function broadcastShape(a: number[], b: number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const result: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    result.push(Math.max(x, y));
  }
  return result;
}

/**
 * For each element of the broadcast output, the index of the element of
 * `input` it reads. Rank ≤ 2, so a closed form suffices.
 */
export function broadcastIndex(input: number[], output: number[]): (outputIndex: number) => number {
  const rank = output.length;
  const padded = [...new Array<number>(rank - input.length).fill(1), ...input];
  if (rank === 0) return () => 0;
  if (rank === 1) return padded[0] === 1 ? () => 0 : (index) => index;
  const columns = output[1];
  const rowStride = padded[0] === 1 ? 0 : padded[1];
  const columnStride = padded[1] === 1 ? 0 : 1;
  return (index) => Math.floor(index / columns) * rowStride + (index % columns) * columnStride;
}

/** Applies `f` elementwise with broadcasting. */
export function map2(a: Tensor, b: Tensor, f: (x: number, y: number) => number): Tensor {
  const shape = broadcastShape(a.shape, b.shape);
  if (!shape) throw new Error(`cannot broadcast ${shapeString(a.shape)} with ${shapeString(b.shape)}`);
  const out = tensor(shape);
  const size = out.data.length;
  if (a.data.length === size && b.data.length === size) {
    for (let i = 0; i < size; i++) out.data[i] = f(a.data[i], b.data[i]);
    return out;
  }
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(b.shape, shape);
  for (let i = 0; i < size; i++) out.data[i] = f(a.data[ia(i)], b.data[ib(i)]);
  return out;
}

export function map1(a: Tensor, f: (x: number) => number): Tensor {
  const out = tensor(a.shape);
  for (let i = 0; i < a.data.length; i++) out.data[i] = f(a.data[i]);
  return out;
}

/** Sums a broadcast gradient back to the shape of the input it came from. */
export function unbroadcast(gradient: Tensor, shape: number[]): Tensor {
  if (gradient.shape.length === shape.length && gradient.shape.every((dim, i) => dim === shape[i])) return gradient;
  const out = tensor(shape);
  const index = broadcastIndex(shape, gradient.shape);
  for (let i = 0; i < gradient.data.length; i++) out.data[index(i)] += gradient.data[i];
  return out;
}

/** C = A @ B for matrices (vectors are promoted as numpy does). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const [n, k] = a.shape.length === 1 ? [1, a.shape[0]] : [a.shape[0], a.shape[1]];
  const [k2, m] = b.shape.length === 1 ? [b.shape[0], 1] : [b.shape[0], b.shape[1]];
  if (k !== k2) throw new Error(`cannot multiply ${shapeString(a.shape)} by ${shapeString(b.shape)}`);
  const outShape = [...(a.shape.length === 2 ? [n] : []), ...(b.shape.length === 2 ? [m] : [])];
  const out = tensor(outShape);
  const A = a.data;
  const B = b.data;
  const C = out.data;
  // i-p-j order: the inner loop walks B and C contiguously.
  for (let i = 0; i < n; i++) {
    const rowC = i * m;
    for (let p = 0; p < k; p++) {
      const value = A[i * k + p];
      if (value === 0) continue;
      const rowB = p * m;
      for (let j = 0; j < m; j++) C[rowC + j] += value * B[rowB + j];
    }
  }
  return out;
}

export function transpose(a: Tensor): Tensor {
  if (a.shape.length < 2) return { shape: [...a.shape].reverse(), data: a.data.slice() };
  const [rows, columns] = a.shape;
  const out = tensor([columns, rows]);
  for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) out.data[j * rows + i] = a.data[i * columns + j];
  return out;
}
