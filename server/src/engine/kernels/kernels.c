// The kernel executor's WebAssembly (../kernel-executor.ts): float32 matrix
// products in SIMD, the gathering of a batch of rows, optimizer updates and a
// step's elementwise ops. Two loop shapes cover every layout of a product the
// executor meets; it picks one and, where neither fits, transposes a small
// operand.
//
//   broadcast form: C[i, j] = sum_p A(i, p) * B[p, j]   B's rows contiguous in j
//   dot form:       C[i, j] = sum_p A[i, p] * B[j, p]   both contiguous in p
//
// Each computes a block of rows [i0, i1) and columns [j0, j1), so two threads
// can share one product. A row table (`arows`, `brows`; null for none) reads
// an operand's rows where they lie, in the table's order: row i of A is then
// A's row arows[i], row p of B (broadcast form) B's row brows[p]. A batch is
// read this way straight out of the examples, never gathered into a copy.
// Register blocks are sized for the 16 vector registers of x86-64; no
// function touches the stack, so threads sharing one memory need no stacks of
// their own.
//
// Built twice by server/src/engine/kernels/build.mjs (Debian's clang-16:
// apt-get install clang-16 lld-16 llvm-16), with and without relaxed SIMD,
// which writes both modules to kernels-wasm.ts beside this file.
#include "simd.h"

// Broadcast form. A(i, p) is A[i * sai + p * sap], so A may be stored either
// way round. Sixteen columns of B at a time are first copied into `panel`
// (k x 16, contiguous): rows of B lie a whole row apart, and a stride near a
// multiple of 4 KiB maps them all to a few cache sets, so read in place the
// strip would not stay in the L1 cache while every pair of rows of A passes
// over it. Each element of A is splatted across a vector and multiplied by the
// sixteen entries of a row of the panel; two rows of C at a time keep eight
// accumulators in registers for the whole sum over p.
__attribute__((export_name("broadcast_product")))
void broadcast_product(const float *A, int sai, int sap, const int *arows, const float *B, int ldb, const int *brows, float *C, int ldc, int k, int i0, int i1, int j0, int j1, float *panel) {
  int j = j0;
  for (; j + 16 <= j1; j += 16) {
    for (int p = 0; p < k; p++) {
      const float *row = B + ROW(brows, p) * ldb + j;
      float *to = panel + p * 16;
      wasm_v128_store(to, LOAD(row));
      wasm_v128_store(to + 4, LOAD(row + 4));
      wasm_v128_store(to + 8, LOAD(row + 8));
      wasm_v128_store(to + 12, LOAD(row + 12));
    }
    int i = i0;
    for (; i + 2 <= i1; i += 2) {
      v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
      const float *a = A + ROW(arows, i) * sai, *a1p = A + ROW(arows, i + 1) * sai;
      const float *b = panel;
      for (int p = 0; p < k; p++) {
        v128_t b0 = LOAD(b), b1 = LOAD(b + 4), b2 = LOAD(b + 8), b3 = LOAD(b + 12);
        v128_t a0 = SPLAT(a);
        MULADD(c00, a0, b0);
        MULADD(c01, a0, b1);
        MULADD(c02, a0, b2);
        MULADD(c03, a0, b3);
        v128_t a1 = SPLAT(a1p);
        MULADD(c10, a1, b0);
        MULADD(c11, a1, b1);
        MULADD(c12, a1, b2);
        MULADD(c13, a1, b3);
        a += sap;
        a1p += sap;
        b += 16;
      }
      float *c = C + i * ldc + j;
      wasm_v128_store(c, c00);
      wasm_v128_store(c + 4, c01);
      wasm_v128_store(c + 8, c02);
      wasm_v128_store(c + 12, c03);
      wasm_v128_store(c + ldc, c10);
      wasm_v128_store(c + ldc + 4, c11);
      wasm_v128_store(c + ldc + 8, c12);
      wasm_v128_store(c + ldc + 12, c13);
    }
    if (i < i1) {
      v128_t c0 = wasm_f32x4_splat(0), c1 = c0, c2 = c0, c3 = c0;
      const float *a = A + ROW(arows, i) * sai;
      const float *b = panel;
      for (int p = 0; p < k; p++) {
        v128_t a0 = SPLAT(a);
        MULADD(c0, a0, LOAD(b));
        MULADD(c1, a0, LOAD(b + 4));
        MULADD(c2, a0, LOAD(b + 8));
        MULADD(c3, a0, LOAD(b + 12));
        a += sap;
        b += 16;
      }
      float *c = C + i * ldc + j;
      wasm_v128_store(c, c0);
      wasm_v128_store(c + 4, c1);
      wasm_v128_store(c + 8, c2);
      wasm_v128_store(c + 12, c3);
    }
  }
  // Fewer than sixteen columns left: four, then one at a time, read in place.
  for (; j + 4 <= j1; j += 4) {
    for (int i = i0; i < i1; i++) {
      const float *a = A + ROW(arows, i) * sai;
      v128_t c0 = wasm_f32x4_splat(0);
      for (int p = 0; p < k; p++) MULADD(c0, SPLAT(a + p * sap), LOAD(B + ROW(brows, p) * ldb + j));
      wasm_v128_store(C + i * ldc + j, c0);
    }
  }
  for (; j < j1; j++) {
    for (int i = i0; i < i1; i++) {
      const float *a = A + ROW(arows, i) * sai;
      float sum = 0;
      for (int p = 0; p < k; p++) sum += a[p * sap] * B[ROW(brows, p) * ldb + j];
      C[i * ldc + j] = sum;
    }
  }
}

// Dot form: every entry is a dot product of a row of A and a row of B. Four
// rows of A against two rows of B keep eight accumulators; their lanes are
// added at the end. The sum over p goes in chunks of `depth` so that the
// chunk of B's rows every block of A's rows reads stays in the L2 cache
// (100 rows of 512 floats are 200 KiB); later chunks add to C.
static void dot_chunk(const float *A, int lda, const int *arows, const float *B, int ldb, float *C, int ldc, int p0, int p1, int i0, int i1, int j0, int j1) {
  int first = p0 == 0;
  int p4 = p0 + ((p1 - p0) & ~3);
  int i = i0;
  for (; i + 4 <= i1; i += 4) {
    const float *a0 = A + ROW(arows, i) * lda, *a1 = A + ROW(arows, i + 1) * lda, *a2 = A + ROW(arows, i + 2) * lda, *a3 = A + ROW(arows, i + 3) * lda;
    int j = j0;
    for (; j + 2 <= j1; j += 2) {
      const float *b0 = B + j * ldb, *b1 = b0 + ldb;
      v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      // Each row of A a distance from the first, stepped along the sum by one
      // pointer: a load then addresses memory directly.
      const float *pa = a0 + p0, *pb = b0 + p0, *end = b0 + p4;
      const int d1 = a1 - a0, d2 = a2 - a0, d3 = a3 - a0, db = b1 - b0;
      for (; pb < end; pa += 4, pb += 4) {
        v128_t x0 = LOAD(pb), x1 = LOAD(pb + db);
        v128_t r = LOAD(pa);
        MULADD(c00, r, x0);
        MULADD(c01, r, x1);
        r = LOAD(pa + d1);
        MULADD(c10, r, x0);
        MULADD(c11, r, x1);
        r = LOAD(pa + d2);
        MULADD(c20, r, x0);
        MULADD(c21, r, x1);
        r = LOAD(pa + d3);
        MULADD(c30, r, x0);
        MULADD(c31, r, x1);
      }
      float s00 = horizontal_sum(c00), s01 = horizontal_sum(c01), s10 = horizontal_sum(c10), s11 = horizontal_sum(c11);
      float s20 = horizontal_sum(c20), s21 = horizontal_sum(c21), s30 = horizontal_sum(c30), s31 = horizontal_sum(c31);
      for (int p = p4; p < p1; p++) {
        s00 += a0[p] * b0[p];
        s01 += a0[p] * b1[p];
        s10 += a1[p] * b0[p];
        s11 += a1[p] * b1[p];
        s20 += a2[p] * b0[p];
        s21 += a2[p] * b1[p];
        s30 += a3[p] * b0[p];
        s31 += a3[p] * b1[p];
      }
      float *c = C + i * ldc + j;
      if (first) {
        c[0] = s00, c[1] = s01, c[ldc] = s10, c[ldc + 1] = s11;
        c[2 * ldc] = s20, c[2 * ldc + 1] = s21, c[3 * ldc] = s30, c[3 * ldc + 1] = s31;
      } else {
        c[0] += s00, c[1] += s01, c[ldc] += s10, c[ldc + 1] += s11;
        c[2 * ldc] += s20, c[2 * ldc + 1] += s21, c[3 * ldc] += s30, c[3 * ldc + 1] += s31;
      }
    }
    for (; j < j1; j++) {
      const float *b0 = B + j * ldb;
      v128_t c0 = wasm_f32x4_splat(0), c1 = c0, c2 = c0, c3 = c0;
      for (int p = p0; p < p4; p += 4) {
        v128_t x0 = LOAD(b0 + p);
        MULADD(c0, LOAD(a0 + p), x0);
        MULADD(c1, LOAD(a1 + p), x0);
        MULADD(c2, LOAD(a2 + p), x0);
        MULADD(c3, LOAD(a3 + p), x0);
      }
      float s0 = horizontal_sum(c0), s1 = horizontal_sum(c1), s2 = horizontal_sum(c2), s3 = horizontal_sum(c3);
      for (int p = p4; p < p1; p++) {
        s0 += a0[p] * b0[p];
        s1 += a1[p] * b0[p];
        s2 += a2[p] * b0[p];
        s3 += a3[p] * b0[p];
      }
      float *c = C + i * ldc + j;
      if (first) c[0] = s0, c[ldc] = s1, c[2 * ldc] = s2, c[3 * ldc] = s3;
      else c[0] += s0, c[ldc] += s1, c[2 * ldc] += s2, c[3 * ldc] += s3;
    }
  }
  for (; i < i1; i++) {
    const float *a0 = A + ROW(arows, i) * lda;
    for (int j = j0; j < j1; j++) {
      const float *b0 = B + j * ldb;
      v128_t c0 = wasm_f32x4_splat(0);
      for (int p = p0; p < p4; p += 4) MULADD(c0, LOAD(a0 + p), LOAD(b0 + p));
      float s = horizontal_sum(c0);
      for (int p = p4; p < p1; p++) s += a0[p] * b0[p];
      if (first) C[i * ldc + j] = s;
      else C[i * ldc + j] += s;
    }
  }
}

__attribute__((export_name("dot_product")))
void dot_product(const float *A, int lda, const int *arows, const float *B, int ldb, float *C, int ldc, int k, int i0, int i1, int j0, int j1) {
  const int depth = 512;
  for (int p = 0; p < k; p += depth) dot_chunk(A, lda, arows, B, ldb, C, ldc, p, p + depth < k ? p + depth : k, i0, i1, j0, j1);
}

// Copies rows of an n x d matrix, in the order `rows` lists them, into `to`.
__attribute__((export_name("gather_rows")))
void gather_rows(const float *from, const int *rows, int count, int d, float *to) {
  for (int i = 0; i < count; i++) __builtin_memcpy(to + i * d, from + rows[i] * d, d * sizeof(float));
}

// Elementwise work: a step's tensors, small ones included, live in the kernel
// memory, and their arithmetic runs here four lanes at a time. A loop in
// JavaScript takes 2 to 3 ns an element, these about a tenth of that.

// Binary ops by number, as kernels.ts lists them: 0 +, 1 −, 2 ·, 3 /, 4 max,
// 5 min (both keep x on a tie), 6 >, 7 <, 8 >=, 9 <=, 10 ==, 11 != (1 or 0).
#define ONE wasm_f32x4_splat(1)
#define BINARY_OPS(CASE)                                                                              \
  CASE(0, wasm_f32x4_add(a, b), a + b)                                                                \
  CASE(1, wasm_f32x4_sub(a, b), a - b)                                                                \
  CASE(2, wasm_f32x4_mul(a, b), a * b)                                                                \
  CASE(3, wasm_f32x4_div(a, b), a / b)                                                                \
  CASE(4, wasm_v128_bitselect(a, b, wasm_f32x4_ge(a, b)), a >= b ? a : b)                             \
  CASE(5, wasm_v128_bitselect(a, b, wasm_f32x4_le(a, b)), a <= b ? a : b)                             \
  CASE(6, wasm_v128_and(wasm_f32x4_gt(a, b), ONE), a > b ? 1.0f : 0.0f)                               \
  CASE(7, wasm_v128_and(wasm_f32x4_lt(a, b), ONE), a < b ? 1.0f : 0.0f)                               \
  CASE(8, wasm_v128_and(wasm_f32x4_ge(a, b), ONE), a >= b ? 1.0f : 0.0f)                              \
  CASE(9, wasm_v128_and(wasm_f32x4_le(a, b), ONE), a <= b ? 1.0f : 0.0f)                              \
  CASE(10, wasm_v128_and(wasm_f32x4_eq(a, b), ONE), a == b ? 1.0f : 0.0f)                             \
  CASE(11, wasm_v128_and(wasm_f32x4_ne(a, b), ONE), a != b ? 1.0f : 0.0f)

// One row of out = x op y: each operand either runs along the row (stride 1)
// or repeats its one value (stride 0).
#define ROW_LOOP(VECTOR, SCALAR)                                                                      \
  if (xc && yc) {                                                                                     \
    for (; j + 4 <= columns; j += 4) {                                                                \
      v128_t a = LOAD(xp + j), b = LOAD(yp + j);                                                      \
      wasm_v128_store(o + j, VECTOR);                                                                 \
    }                                                                                                 \
    for (; j < columns; j++) {                                                                        \
      float a = xp[j], b = yp[j];                                                                     \
      o[j] = SCALAR;                                                                                  \
    }                                                                                                 \
  } else if (xc) {                                                                                    \
    v128_t b = SPLAT(yp);                                                                             \
    for (; j + 4 <= columns; j += 4) {                                                                \
      v128_t a = LOAD(xp + j);                                                                        \
      wasm_v128_store(o + j, VECTOR);                                                                 \
    }                                                                                                 \
    for (; j < columns; j++) {                                                                        \
      float a = xp[j], b = yp[0];                                                                     \
      o[j] = SCALAR;                                                                                  \
    }                                                                                                 \
  } else if (yc) {                                                                                    \
    v128_t a = SPLAT(xp);                                                                             \
    for (; j + 4 <= columns; j += 4) {                                                                \
      v128_t b = LOAD(yp + j);                                                                        \
      wasm_v128_store(o + j, VECTOR);                                                                 \
    }                                                                                                 \
    for (; j < columns; j++) {                                                                        \
      float a = xp[0], b = yp[j];                                                                     \
      o[j] = SCALAR;                                                                                  \
    }                                                                                                 \
  } else {                                                                                            \
    float a = xp[0], b = yp[0];                                                                       \
    float r = SCALAR;                                                                                 \
    for (; j < columns; j++) o[j] = r;                                                                \
  }

// out[i, j] = x(i, j) op y(i, j) over a rows x columns output stored row by
// row, where x(i, j) = x[i * xr + j * xc] and likewise y: a stride of 0
// repeats an operand along that axis (broadcasting), xc and yc are 0 or 1.
__attribute__((export_name("binary")))
void binary(int op, float *out, const float *x, int xr, int xc, const float *y, int yr, int yc, int rows, int columns) {
#define BINARY_CASE(N, VECTOR, SCALAR)                  \
  case N:                                               \
    for (int i = 0; i < rows; i++) {                    \
      const float *xp = x + i * xr, *yp = y + i * yr;   \
      float *o = out + i * columns;                     \
      int j = 0;                                        \
      ROW_LOOP(VECTOR, SCALAR)                          \
    }                                                   \
    break;
  switch (op) { BINARY_OPS(BINARY_CASE) }
#undef BINARY_CASE
}

// out[i * orow + j * ocol] += from[i, j] over a rows x columns input stored
// row by row: sums a broadcast gradient back to the operand's shape (orow
// and ocol 0 along the axes the operand repeated, ocol 0 or 1).
__attribute__((export_name("sum_into")))
void sum_into(float *out, int orow, int ocol, const float *from, int rows, int columns) {
  for (int i = 0; i < rows; i++) {
    const float *f = from + i * columns;
    float *o = out + i * orow;
    int j = 0;
    if (ocol) {
      for (; j + 4 <= columns; j += 4) wasm_v128_store(o + j, wasm_f32x4_add(LOAD(o + j), LOAD(f + j)));
      for (; j < columns; j++) o[j] += f[j];
    } else {
      v128_t total = wasm_f32x4_splat(0);
      for (; j + 4 <= columns; j += 4) total = wasm_f32x4_add(total, LOAD(f + j));
      float rest = horizontal_sum(total);
      for (; j < columns; j++) rest += f[j];
      o[0] += rest;
    }
  }
}

// e^x in float32, four lanes: x = k ln 2 + r with |r| <= ln 2 / 2, e^r by a
// polynomial of degree 7 (relative error within 2 ulp), 2^k in two halves so
// that every result from the smallest subnormal to overflow is formed right.
static v128_t exp4(v128_t x) {
  x = wasm_f32x4_pmin(wasm_f32x4_pmax(x, wasm_f32x4_splat(-110.0f)), wasm_f32x4_splat(90.0f));
  v128_t k = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(k, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(k, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
  p = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), r), ONE);
  v128_t n = wasm_i32x4_trunc_sat_f32x4(k);
  v128_t half = wasm_i32x4_shr(n, 1);
  v128_t bias = wasm_i32x4_splat(127);
  v128_t first = wasm_i32x4_shl(wasm_i32x4_add(half, bias), 23);
  v128_t second = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_sub(n, half), bias), 23);
  return wasm_f32x4_mul(wasm_f32x4_mul(p, first), second);
}

static float exp1(float x) {
  return wasm_f32x4_extract_lane(exp4(wasm_f32x4_splat(x)), 0);
}

// out = e^x.
__attribute__((export_name("exp_into")))
void exp_into(float *out, const float *x, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(out + i, exp4(LOAD(x + i)));
  for (; i < n; i++) out[i] = exp1(x[i]);
}

// For each row of a rows x columns matrix, its largest entry and the sum of
// e^(entry − largest): the logarithm of the sum plus the largest is the row's
// log-sum-exp (kernels.ts adds them, in float64). A row whose largest entry
// is not finite gets a sum of 1.
__attribute__((export_name("row_max_sum_exp")))
void row_max_sum_exp(const float *x, int rows, int columns, float *largest, float *sums) {
  for (int i = 0; i < rows; i++) {
    const float *row = x + i * columns;
    float top = -__builtin_inff();
    for (int j = 0; j < columns; j++) top = row[j] > top || row[j] != row[j] ? row[j] : top;
    largest[i] = top;
    if (!(top - top == 0)) {
      sums[i] = 1;
      continue;
    }
    v128_t shift = wasm_f32x4_splat(top), total = wasm_f32x4_splat(0);
    int j = 0;
    for (; j + 4 <= columns; j += 4) total = wasm_f32x4_add(total, exp4(wasm_f32x4_sub(LOAD(row + j), shift)));
    float sum = horizontal_sum(total);
    for (; j < columns; j++) sum += exp1(row[j] - top);
    sums[i] = sum;
  }
}

// out = scale · x · y; with y null, out = scale · x.
__attribute__((export_name("scaled_product")))
void scaled_product(float *out, const float *x, const float *y, float scale, int n) {
  v128_t s = wasm_f32x4_splat(scale);
  int i = 0;
  if (y) {
    for (; i + 4 <= n; i += 4) wasm_v128_store(out + i, wasm_f32x4_mul(wasm_f32x4_mul(s, LOAD(x + i)), LOAD(y + i)));
    for (; i < n; i++) out[i] = scale * x[i] * y[i];
  } else {
    for (; i + 4 <= n; i += 4) wasm_v128_store(out + i, wasm_f32x4_mul(LOAD(x + i), s));
    for (; i < n; i++) out[i] = x[i] * scale;
  }
}

// out = x + scale · y, the product rounded before the sum as in two passes
// (scaled_product, then binary's +), in one: a param's gradient from a
// product plus the gradient of its sum of squares.
__attribute__((export_name("add_scaled")))
void add_scaled(float *out, const float *x, const float *y, float scale, int n) {
  v128_t s = wasm_f32x4_splat(scale);
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(out + i, wasm_f32x4_add(LOAD(x + i), wasm_f32x4_mul(LOAD(y + i), s)));
  for (; i < n; i++) out[i] = x[i] + y[i] * scale;
}

// The sum of x, accumulated in float64 as the reference does.
__attribute__((export_name("sum")))
double sum(const float *x, int n) {
  v128_t low = wasm_f64x2_splat(0), high = low;
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = LOAD(x + i);
    low = wasm_f64x2_add(low, wasm_f64x2_promote_low_f32x4(v));
    high = wasm_f64x2_add(high, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1)));
  }
  double total = wasm_f64x2_extract_lane(low, 0) + wasm_f64x2_extract_lane(low, 1) + wasm_f64x2_extract_lane(high, 0) + wasm_f64x2_extract_lane(high, 1);
  for (; i < n; i++) total += x[i];
  return total;
}

// The sum of the squares of x, in float64: sum(W^2) without building W^2.
__attribute__((export_name("sum_squares")))
double sum_squares(const float *x, int n) {
  v128_t low = wasm_f64x2_splat(0), high = low;
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = LOAD(x + i);
    v128_t a = wasm_f64x2_promote_low_f32x4(v), b = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    low = wasm_f64x2_add(low, wasm_f64x2_mul(a, a));
    high = wasm_f64x2_add(high, wasm_f64x2_mul(b, b));
  }
  double total = wasm_f64x2_extract_lane(low, 0) + wasm_f64x2_extract_lane(low, 1) + wasm_f64x2_extract_lane(high, 0) + wasm_f64x2_extract_lane(high, 1);
  for (; i < n; i++) total += (double)x[i] * x[i];
  return total;
}

// ReLU of large tensors (a hidden layer's activations) and its
// vector-Jacobian product: out = max(x, 0), and out = g where x > 0, else 0.
__attribute__((export_name("relu_forward")))
void relu_forward(float *out, const float *x, int n) {
  v128_t zero = wasm_f32x4_splat(0);
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(out + i, wasm_f32x4_pmax(LOAD(x + i), zero));
  for (; i < n; i++) out[i] = x[i] > 0 ? x[i] : 0;
}

__attribute__((export_name("relu_backward")))
void relu_backward(float *out, const float *g, const float *x, int n) {
  v128_t zero = wasm_f32x4_splat(0);
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(out + i, wasm_v128_and(LOAD(g + i), wasm_f32x4_gt(LOAD(x + i), zero)));
  for (; i < n; i++) out[i] = x[i] > 0 ? g[i] : 0;
}

// One optimizer update of a param w in place from its gradient g, with the
// rule's state s1 and s2, as train/optimizers.ts defines the rules:
//   0 sgd       w -= lr g
//   1 momentum  v = mu v - lr g; w += v                      (h1 = mu)
//   2 nesterov  v' = mu v - lr g; w += -mu v + (1 + mu) v'   (h1 = mu)
//   3 adagrad   c += g^2; w -= lr g / (sqrt(c) + eps)        (h1 = eps)
//   4 rmsprop   c = rho c + (1 - rho) g^2; w -= lr g / (sqrt(c) + eps)   (h1 = rho, h2 = eps)
//   5 adam      m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
//               w -= lr (m / c1) / (sqrt(v / c2) + eps)      (h1 = b1, h2 = b2, h3 = eps, h4 = c1, h5 = c2)
// In the same pass it adds the sums of g^2, of the update's square and of
// w^2 before the update to squares[0..2] (float64; float32 within blocks of
// 1,024 entries), for the gradient norm and the update ratio. n is a
// multiple of 4: the executor pads the arrays with zeros, which every rule
// leaves at zero.
#define UPDATE_LOOP(BODY)                                                        \
  for (int block = 0; block < n; block += 1024) {                                \
    int end = block + 1024 < n ? block + 1024 : n;                               \
    v128_t sg = wasm_f32x4_splat(0), su = sg, sw = sg;                           \
    for (int i = block; i < end; i += 4) {                                       \
      v128_t w0 = LOAD(w + i), gi = LOAD(g + i), w1;                             \
      BODY                                                                       \
      wasm_v128_store(w + i, w1);                                                \
      v128_t change = wasm_f32x4_sub(w1, w0);                                    \
      MULADD(sg, gi, gi);                                                        \
      MULADD(su, change, change);                                                \
      MULADD(sw, w0, w0);                                                        \
    }                                                                            \
    gradient += horizontal_sum(sg);                                              \
    change2 += horizontal_sum(su);                                               \
    weight += horizontal_sum(sw);                                                \
  }

__attribute__((export_name("update")))
void update(int rule, float *w, const float *g, float *s1, float *s2, int n, float lr, float h1, float h2, float h3, float h4, float h5, double *squares) {
  double gradient = 0, change2 = 0, weight = 0;
  v128_t rate = wasm_f32x4_splat(lr), a = wasm_f32x4_splat(h1), b = wasm_f32x4_splat(h2), e = wasm_f32x4_splat(h3);
  v128_t one = wasm_f32x4_splat(1);
  switch (rule) {
    case 0:
      UPDATE_LOOP(w1 = wasm_f32x4_sub(w0, wasm_f32x4_mul(rate, gi));)
      break;
    case 1:
      UPDATE_LOOP(v128_t v = wasm_f32x4_sub(wasm_f32x4_mul(a, LOAD(s1 + i)), wasm_f32x4_mul(rate, gi)); wasm_v128_store(s1 + i, v); w1 = wasm_f32x4_add(w0, v);)
      break;
    case 2:
      UPDATE_LOOP(v128_t previous = LOAD(s1 + i); v128_t v = wasm_f32x4_sub(wasm_f32x4_mul(a, previous), wasm_f32x4_mul(rate, gi)); wasm_v128_store(s1 + i, v);
                  w1 = wasm_f32x4_add(w0, wasm_f32x4_sub(wasm_f32x4_mul(wasm_f32x4_add(one, a), v), wasm_f32x4_mul(a, previous)));)
      break;
    case 3:
      UPDATE_LOOP(v128_t c = wasm_f32x4_add(LOAD(s2 + i), wasm_f32x4_mul(gi, gi)); wasm_v128_store(s2 + i, c);
                  w1 = wasm_f32x4_sub(w0, wasm_f32x4_div(wasm_f32x4_mul(rate, gi), wasm_f32x4_add(wasm_f32x4_sqrt(c), a)));)
      break;
    case 4:
      UPDATE_LOOP(v128_t c = wasm_f32x4_add(wasm_f32x4_mul(a, LOAD(s2 + i)), wasm_f32x4_mul(wasm_f32x4_sub(one, a), wasm_f32x4_mul(gi, gi))); wasm_v128_store(s2 + i, c);
                  w1 = wasm_f32x4_sub(w0, wasm_f32x4_div(wasm_f32x4_mul(rate, gi), wasm_f32x4_add(wasm_f32x4_sqrt(c), b)));)
      break;
    case 5: {
      v128_t c1 = wasm_f32x4_splat(h4), c2 = wasm_f32x4_splat(h5);
      UPDATE_LOOP(v128_t m = wasm_f32x4_add(wasm_f32x4_mul(a, LOAD(s1 + i)), wasm_f32x4_mul(wasm_f32x4_sub(one, a), gi));
                  v128_t v = wasm_f32x4_add(wasm_f32x4_mul(b, LOAD(s2 + i)), wasm_f32x4_mul(wasm_f32x4_sub(one, b), wasm_f32x4_mul(gi, gi)));
                  wasm_v128_store(s1 + i, m); wasm_v128_store(s2 + i, v);
                  w1 = wasm_f32x4_sub(w0, wasm_f32x4_div(wasm_f32x4_mul(rate, wasm_f32x4_div(m, c1)), wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_div(v, c2)), e)));)
      break;
    }
  }
  squares[0] += gradient;
  squares[1] += change2;
  squares[2] += weight;
}

// The broadcast form shared between threads strip by strip: each thread takes
// the next 16 columns from the counter `next` until none are left, so
// neither waits for the other longer than one strip, however late the second
// thread starts or however slowly it runs. Each thread has a panel of its own.
// Returns how many strips this thread computed.
__attribute__((export_name("broadcast_shared")))
int broadcast_shared(const float *A, int sai, int sap, const int *arows, const float *B, int ldb, const int *brows, float *C, int ldc, int k, int m, int n, float *panel, int *next) {
  int done = 0;
  for (;;) {
    int j0 = __atomic_fetch_add(next, 1, __ATOMIC_SEQ_CST) * 16;
    if (j0 >= n) return done;
    broadcast_product(A, sai, sap, arows, B, ldb, brows, C, ldc, k, 0, m, j0, j0 + 16 < n ? j0 + 16 : n, panel);
    done++;
  }
}

// The dot form shared the same way, eight rows of C at a time: each block
// runs over every chunk of the sum (a block of eight rows goes as fast per
// row as the whole product), so whichever thread is ahead takes more blocks
// and neither waits for the other longer than one block. Returns how many
// blocks this thread did.
__attribute__((export_name("dot_shared")))
int dot_shared(const float *A, int lda, const int *arows, const float *B, int ldb, float *C, int ldc, int k, int m, int n, int *next) {
  int done = 0;
  for (;;) {
    int i0 = __atomic_fetch_add(next, 1, __ATOMIC_SEQ_CST) * 8;
    if (i0 >= m) return done;
    dot_product(A, lda, arows, B, ldb, C, ldc, k, i0, i0 + 8 < m ? i0 + 8 : m, 0, n);
    done++;
  }
}
