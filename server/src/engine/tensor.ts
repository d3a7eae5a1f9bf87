// Float64 tensors of rank 0 to 4 and numpy-style broadcasting: the data type
// of the reference executor. The shape helpers here (broadcasting, axes,
// permutations) serve the float32 executors too.

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

/** Row-major strides of a shape. */
export function stridesOf(shape: number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return strides;
}

/**
 * For each element of the broadcast output, the index of the element of
 * `input` it reads: the output's index split into coordinates, each read with
 * the input's stride, or 0 along an axis the input repeats.
 */
export function broadcastIndex(input: number[], output: number[]): (outputIndex: number) => number {
  const rank = output.length;
  const padded = [...new Array<number>(rank - input.length).fill(1), ...input];
  if (sizeOf(input) === sizeOf(output)) return (index) => index;
  if (sizeOf(input) === 1) return () => 0;
  const inputStrides = stridesOf(padded).map((stride, i) => (padded[i] === 1 ? 0 : stride));
  if (rank === 2) {
    const columns = output[1];
    const [rowStride, columnStride] = inputStrides;
    return (index) => Math.floor(index / columns) * rowStride + (index % columns) * columnStride;
  }
  return (index) => {
    let source = 0;
    let rest = index;
    for (let i = rank - 1; i >= 0; i--) {
      const coordinate = rest % output[i];
      rest = (rest - coordinate) / output[i];
      source += coordinate * inputStrides[i];
    }
    return source;
  };
}

/** An axis as written (negative counts from the end) within a rank, or undefined when out of range. */
export function normalizeAxis(axis: number, rank: number): number | undefined {
  const resolved = axis < 0 ? axis + rank : axis;
  return Number.isInteger(resolved) && resolved >= 0 && resolved < rank ? resolved : undefined;
}

/** A shape seen around one axis: the product of the axes before it, its length, the product after it. */
export function aroundAxis(shape: number[], axis: number): [outer: number, length: number, inner: number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, shape[axis], inner];
}

/** For each element of the permuted tensor, the index of the element of the input (of `shape`) it is: out axis i is input axis axes[i]. */
export function permutedIndex(shape: number[], axes: number[]): (outputIndex: number) => number {
  const strides = stridesOf(shape);
  const outShape = axes.map((axis) => shape[axis]);
  const readStrides = axes.map((axis) => strides[axis]);
  const rank = axes.length;
  return (index) => {
    let source = 0;
    let rest = index;
    for (let i = rank - 1; i >= 0; i--) {
      const coordinate = rest % outShape[i];
      rest = (rest - coordinate) / outShape[i];
      source += coordinate * readStrides[i];
    }
    return source;
  };
}

/** The permutation that undoes `axes`. */
export function inversePermutation(axes: number[]): number[] {
  const inverse = new Array<number>(axes.length);
  axes.forEach((axis, i) => (inverse[axis] = i));
  return inverse;
}

/** The axes of a tensor permuted (numpy's transpose(a, axes)); without axes, a matrix's two swapped. */
export function permute(a: Tensor, axes: number[] | undefined): Tensor {
  if (!axes) return transpose(a);
  const out = tensor(axes.map((axis) => a.shape[axis]));
  const source = permutedIndex(a.shape, axes);
  for (let i = 0; i < out.data.length; i++) out.data[i] = a.data[source(i)];
  return out;
}

/** For each element of the flipped tensor, the element of the input it is: reversed along each of `axes`. */
export function flippedIndex(shape: number[], axes: number[]): (index: number) => number {
  const strides = stridesOf(shape);
  const flipped = shape.map((_, i) => axes.includes(i));
  const rank = shape.length;
  return (index) => {
    let source = 0;
    let rest = index;
    for (let i = rank - 1; i >= 0; i--) {
      const coordinate = rest % shape[i];
      rest = (rest - coordinate) / shape[i];
      source += (flipped[i] ? shape[i] - 1 - coordinate : coordinate) * strides[i];
    }
    return source;
  };
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

/**
 * Visits each slice a reduction along `axis` combines (everything when
 * undefined): `visit(start, stride, count, slice)`, slice being the output's index.
 */
export function forEachSlice(shape: number[], axis: number | undefined, visit: (start: number, stride: number, count: number, slice: number) => void): void {
  if (axis === undefined) return visit(0, 1, sizeOf(shape), 0);
  const [outer, length, inner] = aroundAxis(shape, axis);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) visit(o * length * inner + i, inner, length, o * inner + i);
}
