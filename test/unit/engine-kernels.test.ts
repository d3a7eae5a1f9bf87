// The kernel executor against the float64 reference: the same losses and
// gradients within float32 tolerance, on one thread and on two, in both builds
// of the kernels (with relaxed SIMD's multiply-add and without); its matrix
// products against a plain triple loop in every layout; and its elementwise
// kernels (binary ops with broadcasting, sums back, exp, log-sum-exp)
// against their definitions, at the edges of float32 too.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { analyze } from "../../server/src/analysis/analyze";
import { initialParams } from "../../server/src/engine/check-gradients";
import { compileDeclaration } from "../../server/src/engine/compile";
import { batchRows, Kernels, kernelMatrix, lossAndGradients } from "../../server/src/engine/kernel-executor";
import { evaluate, gradients } from "../../server/src/engine/reference";
import { randomSource, seededStreams } from "../../server/src/engine/random";
import { tensor } from "../../server/src/engine/tensor";
import { binaryScalar } from "../../server/src/engine/incremental";
import { binaryKernelOps, type Matrix } from "../../server/src/engine/kernels/kernels";
import { createOptimizer } from "../../server/src/train/optimizers";

// The default build is the relaxed-SIMD one wherever the runtime has it (Node 20
// behind a flag the kernels turn on); the plain build runs where it does not.
const runtimes = { "one thread": Kernels.create(1), "two threads": Kernels.create(2), "two threads, plain SIMD": Kernels.create(2, "simd") };
after(() => Object.values(runtimes).forEach((kernels) => kernels.dispose()));

const losses: Record<string, string> = {
  svm: "param W: [C, D] = randn * 0.1\nscore s = X @ W^T\nloss L = mean(sum(max(0, s - s[y] + 1) * (1 - onehot(y)), axis=1)) + 0.5 * reg * sum(W^2)\n",
  "svm with W as [D, C]": "param W: [D, C] = randn * 0.1\nscore s = X @ W\nloss L = mean(sum(max(0, s - s[y] + 1) * (1 - onehot(y)), axis=1)) + 0.5 * reg * sum(W^2)\n",
  softmax: "param W: [C, D] = randn * 0.1\nparam b: [C] = randn\nscore s = X @ W^T + b\nloss L = -mean(log(softmax(s, axis=1))[y]) + reg * sum(abs(W))\n",
  "two-layer net": "param W1: [37, D] = he\nparam b1: [37] = randn * 0.1\nparam W2: [C, 37] = xavier\nscore s = relu(X @ W1^T + b1) @ W2^T\nloss L = mean(logsumexp(s, axis=1) - s[y]) + reg * (sum(W1^2) + sum(W2^2))\n",
  "broadcasting both ways": "param W: [C, D] = randn * 0.2\nparam b: [C] = randn\nscore s = X @ W^T\nloss L = mean(max(s, b) - min(s[y], 0.1 * b)) + sum(max(W, 0.05) * (W > -0.02)) + mean(s / (2 + abs(b))) + mean(logsumexp(s - b, axis=0))\n",
  "a param large enough for the kernel memory": "param W1: [400, D] = randn * 0.1\nparam W2: [C, 400] = randn * 0.05\nscore s = relu(X @ W1^T) @ W2^T\nloss L = mean(logsumexp(s, axis=1) - s[y]) + reg * sum(W1^2) + sum(W1 * W1 - W1 / 3) / 1000 + mean(W1 + 1) + sum(W1 / (2 + W1^2)) / 100\n",
  "sums of squares, summed whole (never built) or also read elsewhere": "param W: [C, D] = randn * 0.2\nparam b: [C] = randn\nscore s = X @ W^T + b\nloss L = mean(logsumexp(s, axis=1) - s[y]) + reg * sum(W^2) + 0.1 * sum(b^2) * mean(b^2) + 0.01 * sum(sum(W^2, axis=1)) + sum(s^2) / 1000\n",
  "every other op": "param W: [C, D] = randn * 0.3\nscore s = X @ W^T\nloss L = mean(sqrt(exp(tanh(s)) + sigmoid(s)) / (1 + abs(min(s, 0.5)))) + sum(softmax(s, axis=0) * (s >= 0)) / N - mean(mean(s, axis=0)) + sum(W^3) - sum(W^T @ W) / 10\n",
  "X read by other ops than products": "param W: [C, D] = randn * 0.3\nscore s = X @ W^T + mean(X^2)\nloss L = mean(logsumexp(s, axis=1) - s[y]) + sum((X^T @ X) @ W^T) / 1000\n",
};

// Enough features and examples that the products take their vector paths, tails included.
const features = 53;
const examples = 45;
const header = `data d = blobs(classes=4, points=10, dims=${features - 1}) { bias_trick }\nhyper reg = 0.05\n`;

function compare(kernels: Kernels, name: string, body: string): void {
  const analysis = analyze(header + body, { dataFacts: () => ({ features: features - 1, classes: 4 }) });
  assert.deepEqual(analysis.findings.filter((finding) => finding.severity === "error").map((finding) => finding.message), []);
  const symbol = analysis.model.symbols.get("L");
  assert.ok(symbol);
  const compiled = compileDeclaration(analysis.model, symbol.declaration);
  assert.ok(compiled.ok, compiled.ok ? "" : compiled.message);
  const random = randomSource(4);
  const X = tensor([examples, features]);
  for (let i = 0; i < X.data.length; i++) X.data[i] = i % features === features - 1 ? 1 : random.normal();
  const y = tensor([examples], Array.from({ length: examples }, (_, i) => (i * 7) % 4));
  const params = initialParams(analysis, seededStreams(2));
  const reference = evaluate(compiled.graph, { X, y, params });
  const referenceGradients = gradients(compiled.graph, reference);

  // The examples also as a batch of a larger matrix, read where they lie through their row
  // numbers: each example at row 2i + 1 (in reverse order), the other rows junk.
  const scattered = new Float32Array(2 * examples * features).fill(1e30);
  const rows = Int32Array.from({ length: examples }, (_, i) => 2 * (examples - 1 - i) + 1);
  rows.forEach((row, i) => scattered.set(X.data.subarray(i * features, (i + 1) * features), row * features));

  // Gradients as fresh arrays, into arrays of the kernel memory (a run's store: a param's
  // contributions are summed there, a sum of squares' gradient with the product's in one pass)
  // and into plain arrays; and from the batch read in place, which must give the gathered
  // examples' results exactly.
  let gathered: { loss: number; gradients: Map<string, Float32Array> } | undefined;
  for (const into of ["fresh arrays", "the kernel memory", "plain arrays", "fresh arrays, X read in place"] as const) {
    const mark = kernels.mark();
    const targets =
      into === "fresh arrays" || into === "fresh arrays, X read in place" ? undefined : new Map([...params].map(([key, value]) => [key, into === "plain arrays" ? new Float32Array(value.data.length) : kernels.allocate(value.data.length)]));
    targets?.forEach((target) => target.fill(NaN));
    const result = lossAndGradients(
      kernels,
      compiled.graph,
      {
        X: into === "fresh arrays, X read in place" ? batchRows(kernels, kernelMatrix(kernels, 2 * examples, features, scattered), rows) : kernelMatrix(kernels, examples, features, Float32Array.from(X.data)),
        y: { shape: y.shape, data: Float32Array.from(y.data) },
        params: new Map([...params].map(([key, value]) => [key, { shape: value.shape, data: Float32Array.from(value.data) }])),
      },
      targets,
    );
    const expected = reference[compiled.graph.output].data[0];
    assert.ok(Math.abs(result.loss - expected) <= 1e-4 * Math.max(1, Math.abs(expected)), `${name}: loss ${result.loss} vs ${expected}`);
    for (const [param, gradient] of referenceGradients) {
      const actual = result.gradients.get(param);
      assert.ok(actual, `${param} has a gradient`);
      if (targets) assert.equal(actual, targets.get(param), `${name}: d${param} written into its array (${into})`);
      assert.equal(actual.length, gradient.data.length);
      const scale = Math.max(1e-3, ...Array.from(gradient.data, Math.abs));
      for (let i = 0; i < gradient.data.length; i++) {
        assert.ok(Math.abs(actual[i] - gradient.data[i]) <= 2e-4 * scale, `${name}, into ${into}: d${param}[${i}] ${actual[i]} vs ${gradient.data[i]}`);
      }
    }
    if (into === "fresh arrays") gathered = result;
    else if (into === "fresh arrays, X read in place") {
      assert.equal(result.loss, gathered?.loss, `${name}: the loss from X read in place`);
      for (const [param, gradient] of gathered?.gradients ?? []) assert.deepEqual(result.gradients.get(param), gradient, `${name}: d${param} from X read in place`);
    }
    kernels.release(mark);
  }
}

for (const [threads, kernels] of Object.entries(runtimes)) {
  for (const [name, body] of Object.entries(losses)) {
    test(`the kernel executor (${threads}) agrees with the reference: ${name}`, () => compare(kernels, name, body));
  }
}

test("the kernels run their relaxed-SIMD build by default, on one thread and on two", () => {
  assert.equal(runtimes["one thread"].build, "relaxed-simd");
  assert.equal(runtimes["two threads"].build, "relaxed-simd");
  assert.equal(runtimes["two threads, plain SIMD"].build, "simd");
});

test("matrix products agree with a triple loop in every layout, on one thread and on two, in both builds", () => {
  const random = randomSource(9);
  // Shapes around the kernels' block sizes, and the last two large enough (half a millisecond and more) to be shared between threads.
  const shapes = [
    [1, 1, 1],
    [3, 5, 2],
    [10, 37, 33],
    [45, 53, 4],
    [7, 200, 100],
    [20, 300, 70],
    [130, 300, 17],
    [96, 1500, 70],
    [300, 900, 40],
  ];
  for (const kernels of Object.values(runtimes)) {
    for (const [m, k, n] of shapes) {
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) {
          const mark = kernels.mark();
          const a = kernels.copyIn(Array.from({ length: m * k }, () => random.normal()));
          const b = kernels.copyIn(Array.from({ length: k * n }, () => random.normal()));
          const out = kernels.allocate(m * n);
          kernels.matmul({ rows: transposeA ? k : m, columns: transposeA ? m : k, data: a }, transposeA, { rows: transposeB ? n : k, columns: transposeB ? k : n, data: b }, transposeB, out);
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let sum = 0;
              for (let p = 0; p < k; p++) sum += (transposeA ? a[p * m + i] : a[i * k + p]) * (transposeB ? b[j * k + p] : b[p * n + j]);
              assert.ok(Math.abs(out[i * n + j] - sum) <= 1e-4 * Math.sqrt(k), `${m}×${k}×${n} (${transposeA}, ${transposeB}) [${i}, ${j}]: ${out[i * n + j]} vs ${sum}`);
            }
          }
          kernels.release(mark);
        }
      }
    }
  }
});

test("a dot-form product shared block by block gives the one-thread result exactly, however the threads divide the blocks", () => {
  const random = randomSource(13);
  const one = runtimes["one thread"];
  const two = runtimes["two threads"];
  // 203 rows: 25 blocks of eight and a last one of three; long enough (about a millisecond) to be shared.
  const [m, k, n] = [203, 1100, 60];
  const values = (count: number) => Array.from({ length: count }, () => random.normal());
  const [aValues, bValues] = [values(m * k), values(n * k)];
  const product = (kernels: Kernels): Float32Array => {
    const mark = kernels.mark();
    const out = kernels.allocate(m * n);
    out.fill(NaN);
    kernels.matmul({ rows: m, columns: k, data: kernels.copyIn(aValues) }, false, { rows: n, columns: k, data: kernels.copyIn(bValues) }, true, out);
    const copy = Float32Array.from(out);
    kernels.release(mark);
    return copy;
  };
  const expected = product(one);
  const sharedBefore = two.sharedJobs;
  for (let round = 0; round < 40; round++) assert.deepEqual(product(two), expected, `round ${round}`);
  assert.ok(two.sharedJobs > sharedBefore, "the product was shared with the second thread");
});

test("gathering rows agrees with copying them, on one thread and on two", () => {
  const random = randomSource(5);
  // The second matrix is large enough for the two threads to share the gather.
  for (const [n, d, count] of [
    [10, 7, 5],
    [300, 500, 257],
  ]) {
    for (const kernels of Object.values(runtimes)) {
      const mark = kernels.mark();
      const from = kernels.copyIn(Array.from({ length: n * d }, () => random.normal()));
      const rows = Int32Array.from({ length: count }, () => Math.floor(random.uniform() * n));
      const gathered = kernels.gatherRows(from, d, rows);
      for (let i = 0; i < count; i++) assert.deepEqual(Array.from(gathered.subarray(i * d, (i + 1) * d)), Array.from(from.subarray(rows[i] * d, (rows[i] + 1) * d)), `${n}×${d}, row ${i} (${rows[i]})`);
      kernels.release(mark);
    }
  }
});

test("a product reads an operand's rows through a row table exactly as it reads them gathered, in every layout, on one thread and on two", () => {
  const random = randomSource(11);
  // Few and many columns, both forms, W4's shape, and the last large enough (about 2 ms) for two threads to share.
  const shapes = [
    [3, 5, 2],
    [45, 53, 4],
    [20, 300, 70],
    [256, 785, 10],
    [160, 2500, 80],
  ];
  for (const [threads, kernels] of Object.entries(runtimes)) {
    const sharedBefore = kernels.sharedJobs;
    for (const [m, k, n] of shapes) {
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) {
          for (const tables of ["a", "b", "both"] as const) {
            const mark = kernels.mark();
            // An operand with a table is a batch of a larger matrix: its rows picked (some twice) from 50 more.
            const operand = (rows: number, columns: number, withTable: boolean): { gathered: Matrix; table: Matrix } => {
              if (!withTable) {
                const data = kernels.copyIn(Array.from({ length: rows * columns }, () => random.normal()));
                return { gathered: { rows, columns, data }, table: { rows, columns, data } };
              }
              const from = kernels.copyIn(Array.from({ length: (rows + 50) * columns }, () => random.normal()));
              const rowTable = Int32Array.from({ length: rows }, () => Math.floor(random.uniform() * (rows + 50)));
              return { gathered: { rows, columns, data: kernels.gatherRows(from, columns, rowTable) }, table: { rows, columns, data: from, rowTable } };
            };
            const a = operand(transposeA ? k : m, transposeA ? m : k, tables !== "b");
            const b = operand(transposeB ? n : k, transposeB ? k : n, tables !== "a");
            const expected = kernels.allocate(m * n);
            kernels.matmul(a.gathered, transposeA, b.gathered, transposeB, expected);
            const out = kernels.allocate(m * n);
            out.fill(NaN);
            kernels.matmul(a.table, transposeA, b.table, transposeB, out);
            assert.deepEqual(out, expected, `${threads}, ${m}×${k}×${n} (${transposeA}, ${transposeB}), table on ${tables}`);
            kernels.release(mark);
          }
        }
      }
    }
    if (kernels.threads > 1) assert.ok(kernels.sharedJobs > sharedBefore, `${threads}: some products were shared with the second thread`);
  }
});

test("optimizer updates in the kernels follow optimizers.ts, and their sums of squares agree", () => {
  const random = randomSource(12);
  const kernels = runtimes["one thread"];
  const rules: [string, number, number[] | ((t: number) => number[]), Record<string, number>][] = [
    ["sgd", 0, [], {}],
    ["momentum", 1, [0.9], { mu: 0.9 }],
    ["nesterov", 2, [0.8], { mu: 0.8 }],
    ["adagrad", 3, [1e-6], { eps: 1e-6 }],
    ["rmsprop", 4, [0.95, 1e-6], { decay: 0.95, eps: 1e-6 }],
    ["adam", 5, (t) => [0.9, 0.99, 1e-7, 1 - 0.9 ** t, 1 - 0.99 ** t], { beta1: 0.9, beta2: 0.99, eps: 1e-7 }],
  ];
  for (const [rule, code, settings, named] of rules) {
    // Lengths around the vector width and the kernel's blocks of 1,024.
    for (const length of [1, 7, 2051]) {
      const optimizer = createOptimizer(rule, named);
      const padded = (values?: Float32Array) => {
        const view = kernels.allocate((length + 3) & ~3).subarray(0, length);
        if (values) view.set(values);
        return view;
      };
      const mark = kernels.mark();
      const start = Float32Array.from({ length }, () => random.normal());
      const w = padded(start);
      const [s1, s2] = [padded(), padded()];
      const expected = start.slice();
      const state = optimizer.newState(length);
      for (let t = 1; t <= 4; t++) {
        const gradient = Float32Array.from({ length }, () => random.normal() * 0.5);
        const g = padded(gradient);
        const before = expected.slice();
        optimizer.step(expected, gradient, state, 0.05, t);
        const sums = kernels.update(code, w, g, s1, s2, 0.05, typeof settings === "function" ? settings(t) : settings);
        for (let i = 0; i < length; i++) assert.ok(Math.abs(w[i] - expected[i]) <= 1e-5 * Math.max(1, Math.abs(expected[i])), `${rule}, ${length} entries, step ${t}, [${i}]: ${w[i]} vs ${expected[i]}`);
        const squares = { gradient: 0, update: 0, weight: 0 };
        for (let i = 0; i < length; i++) {
          squares.gradient += gradient[i] ** 2;
          squares.update += (expected[i] - before[i]) ** 2;
          squares.weight += before[i] ** 2;
        }
        for (const key of ["gradient", "update", "weight"] as const) assert.ok(Math.abs(sums[key] - squares[key]) <= 1e-4 * squares[key] + 1e-12, `${rule}, ${length} entries, step ${t}: sum of ${key} squares ${sums[key]} vs ${squares[key]}`);
      }
      // The padding stays zero, so a param's last entries never leak into the next array.
      const tail = new Float32Array(w.buffer, w.byteOffset + length * 4, ((length + 3) & ~3) - length);
      assert.ok(tail.every((value) => value === 0), `${rule}: padding ${Array.from(tail)}`);
      kernels.release(mark);
    }
  }
});

/** Distance in float32 steps between a and b (0 when both are the same value, NaN included). */
function ulps(a: number, b: number): number {
  if (Number.isNaN(a) && Number.isNaN(b)) return 0;
  if (a === b) return 0;
  const bits = new Int32Array(new Float32Array([a, b]).buffer);
  const ordered = (i: number) => (bits[i] < 0 ? -2147483648 - bits[i] : bits[i]);
  return Math.abs(ordered(0) - ordered(1));
}

test("the binary kernel agrees with the ops' definitions for every op and every way of broadcasting, ties, zeros and NaN included", () => {
  const kernels = runtimes["one thread"];
  const specials = [0, -0, 1, -1, 2.5, NaN, Infinity, -Infinity, 1e-30, 3];
  // 7 columns: a vector part and a tail; operands along the row (stride 1) or repeated (stride 0), rows apart or repeated.
  const rows = 5;
  const columns = 7;
  const values = (count: number, salt: number) => Float32Array.from({ length: count }, (_, i) => ((i * 7 + salt) % 3 === 0 ? specials[(i + salt) % specials.length] : Math.round(Math.sin(i * 1.7 + salt) * 4) / 2));
  for (const op of binaryKernelOps) {
    // The reference's own definition of the op on one pair of numbers.
    const oracle = binaryScalar[op];
    assert.ok(oracle, `the reference defines ${op}`);
    for (const [xr, xc] of [[columns, 1], [0, 1], [1, 0], [0, 0]]) {
      for (const [yr, yc] of [[columns, 1], [0, 1], [1, 0], [0, 0]]) {
        const mark = kernels.mark();
        const x = kernels.copyIn(values(rows * columns, 1));
        const y = kernels.copyIn(values(rows * columns, 2));
        const out = kernels.allocate(rows * columns);
        kernels.binary(op, out, { data: x, row: xr, column: xc }, { data: y, row: yr, column: yc }, rows, columns);
        for (let i = 0; i < rows; i++) {
          for (let j = 0; j < columns; j++) {
            const a = x[i * xr + j * xc];
            const b = y[i * yr + j * yc];
            const expected = Math.fround(oracle(a, b));
            const got = out[i * columns + j];
            assert.ok(Object.is(got, expected) || (Number.isNaN(got) && Number.isNaN(expected)), `${op} of ${a} and ${b} (strides ${xr},${xc} and ${yr},${yc}): ${got}, expected ${expected}`);
          }
        }
        kernels.release(mark);
      }
    }
  }
});

test("summing a broadcast gradient back agrees with a loop: into rows, columns, one value or the same shape", () => {
  const kernels = runtimes["one thread"];
  const rows = 6;
  const columns = 11;
  const from = Float32Array.from({ length: rows * columns }, (_, i) => Math.cos(i) * 3);
  for (const [row, column, size] of [[0, 1, columns], [1, 0, rows], [0, 0, 1], [columns, 1, rows * columns]]) {
    const mark = kernels.mark();
    const out = kernels.allocate(size);
    out.fill(0.5);
    kernels.sumInto({ data: out, row, column }, kernels.copyIn(from), rows, columns);
    const expected = new Float64Array(size).fill(0.5);
    for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) expected[i * row + j * column] += from[i * columns + j];
    expected.forEach((value, k) => assert.ok(Math.abs(out[k] - value) <= 1e-5 * Math.max(1, Math.abs(value)), `strides ${row},${column} entry ${k}: ${out[k]}, expected ${value}`));
    kernels.release(mark);
  }
});

test("exp in the kernels is within 2 float32 steps of Math.exp over the whole range, and right at its ends", () => {
  const kernels = runtimes["one thread"];
  const inputs: number[] = [0, -0, 1, -1, 88.7, 88.72, 88.73, 89, 100, -87.3, -100, -103.9, -104, -120, Infinity, -Infinity, NaN];
  for (let x = -103; x <= 88.7; x += 0.0137) inputs.push(x);
  const mark = kernels.mark();
  const x = kernels.copyIn(inputs);
  const out = kernels.allocate(inputs.length);
  kernels.exp(out, x);
  x.forEach((value, i) => {
    const expected = Math.fround(Math.exp(value));
    const distance = ulps(out[i], expected);
    assert.ok(distance <= 2, `exp(${value}) = ${out[i]}, expected ${expected} (${distance} steps apart)`);
  });
  kernels.release(mark);
});

test("each row's log-sum-exp from the kernels agrees with float64, with infinite and NaN entries", () => {
  const kernels = runtimes["one thread"];
  const rows = [
    [1, 2, 3, 4, 5, 6, 7],
    [-1000, -1001, -999.5, -1000, -1002, -998, -1003],
    [80, 80, 80, 80, 80, 80, 80],
    [-Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity],
    [0, 1, Infinity, 2, 3, 4, 5],
    [0, 1, 2, NaN, 3, 4, 5],
    [-Infinity, 0, 1, 2, 3, 4, -Infinity],
  ];
  const columns = rows[0].length;
  const mark = kernels.mark();
  const x = kernels.copyIn(rows.flat());
  const largest = kernels.allocate(rows.length);
  const sums = kernels.allocate(rows.length);
  kernels.rowMaxSumExp(x, rows.length, columns, largest, sums);
  rows.forEach((row, i) => {
    const top = row.reduce((a, b) => Math.max(a, b), -Infinity);
    const expected = Number.isFinite(top) ? top + Math.log(row.reduce((total, value) => total + Math.exp(value - top), 0)) : top;
    const got = Number.isFinite(largest[i]) ? largest[i] + Math.log(sums[i]) : largest[i];
    if (Number.isNaN(expected)) assert.ok(Number.isNaN(got), `row ${i}: ${got}, expected NaN`);
    else assert.ok(Math.abs(got - expected) <= 1e-6 * Math.max(1, Math.abs(expected)) || got === expected, `row ${i}: ${got}, expected ${expected}`);
  });
  kernels.release(mark);
});
