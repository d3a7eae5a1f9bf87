// The SIMD shorthands kernels.c and convolution.c share.
#include <wasm_simd128.h>

#define LOAD(p) wasm_v128_load(p)
#define SPLAT(p) wasm_v128_load32_splat(p)
// Row r of a table, or r itself where there is no table.
#define ROW(table, r) ((table) ? (table)[r] : (r))
// acc += a * b. Built with relaxed SIMD (RELAXED_SIMD defined), one
// multiply-add the runtime may fuse (x86-64 with FMA3 does: one instruction,
// one rounding); otherwise a multiply and an add. The products and the
// update's sums of squares use it.
#ifdef RELAXED_SIMD
#define MULADD(acc, a, b) acc = (v128_t)__builtin_wasm_relaxed_madd_f32x4((__f32x4)(a), (__f32x4)(b), (__f32x4)(acc))
#else
#define MULADD(acc, a, b) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(a, b))
#endif

static inline float horizontal_sum(v128_t v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3);
}

// The two product forms of kernels.c, which convolution.c calls image by image.
void broadcast_product(const float *A, int sai, int sap, const int *arows, const float *B, int ldb, const int *brows, float *C, int ldc, int k, int i0, int i1, int j0, int j1, float *panel);
void dot_product(const float *A, int lda, const int *arows, const float *B, int ldb, float *C, int ldc, int k, int i0, int i1, int j0, int j1);
