// Convolution and pooling on NCHW float32 tensors, for the kernel executor:
//   x [n, c, h, w], K [f, c, kh, kw], out [n, f, ho, wo] with
//   ho = (h + 2 pad - kh) / stride + 1 (and wo likewise), a cross-correlation:
//   out[i, g, oy, ox] = sum over ch, ky, kx of K[g, ch, ky, kx] · x[i, ch, oy·stride + ky − pad, ox·stride + kx − pad]
// (zero outside the image). Two ways to each: direct SIMD kernels, which
// read a zero-padded copy of the image, and im2col onto the products of
// kernels.c; docs/performance.md has the measurement that picked the one
// kernels.ts calls by default. Every exported function here draws its pieces
// of work (images, blocks of filters, blocks of planes) from the counter
// `next`, so two threads share one call and neither waits for the other
// longer than one piece; each piece is computed whole by one thread, in a
// fixed order, so the result does not depend on how the threads divide them.
// Buffers marked "per thread" are the caller's, one for each thread; like
// kernels.c, nothing here uses the stack.
#include "simd.h"

#define NEXT(next) __atomic_fetch_add(next, 1, __ATOMIC_SEQ_CST)
#define INLINE static inline __attribute__((always_inline))

// One image's c planes of h x w into xp, c planes of (h + 2 ph) x (w + 2 pw),
// with ph rows of zeros above and below and pw columns either side.
static void pad_image(const float *x, int c, int h, int w, int ph, int pw, float *xp) {
  int hp = h + 2 * ph, wp = w + 2 * pw;
  for (int ch = 0; ch < c; ch++) {
    float *to = xp + ch * hp * wp;
    __builtin_memset(to, 0, ph * wp * sizeof(float));
    for (int y = 0; y < h; y++) {
      float *row = to + (ph + y) * wp;
      for (int i = 0; i < pw; i++) row[i] = 0, row[pw + w + i] = 0;
      __builtin_memcpy(row + pw, x + (ch * h + y) * w, w * sizeof(float));
    }
    __builtin_memset(to + (ph + h) * wp, 0, ph * wp * sizeof(float));
  }
}

// Four entries of a padded row from p on, `stride` apart (1 or 2).
INLINE v128_t xload(const float *p, const int stride) {
  if (stride == 1) return LOAD(p);
  return wasm_i32x4_shuffle(LOAD(p), LOAD(p + 4), 0, 2, 4, 6);
}

// Direct forward of one padded image (c planes hp x wp) into f planes
// ho x wo, wo >= 4. Four filters by two vectors of one output row (columns
// oa and oa + 4) keep eight accumulators; a row's last four columns or fewer
// take one vector, which starts at wo − 4 and so overlaps the one before
// where wo is not a multiple of 4, and its last five to seven a pair ending
// at the row's end. A last block of fewer than four filters
// repeats its first filter in the missing places. Repeats compute the same
// values again and store them where they already are.
INLINE void direct_block(const float *xp, int c, int hp, int wp, const float *k0, const float *k1, const float *k2, const float *k3, int kh, int kw, const int stride, int oy, int oa, const int pair, float *o0, float *o1, float *o2, float *o3) {
  v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  for (int ch = 0; ch < c; ch++) {
    for (int ky = 0; ky < kh; ky++) {
      const float *ra = xp + (ch * hp + oy * stride + ky) * wp + oa * stride, *rb = ra + 4 * stride;
      int t = (ch * kh + ky) * kw;
      for (int kx = 0; kx < kw; kx++) {
        v128_t xa = xload(ra + kx, stride), xb;
        if (pair) xb = xload(rb + kx, stride);
        v128_t s = SPLAT(k0 + t + kx);
        MULADD(a0, s, xa);
        if (pair) MULADD(b0, s, xb);
        s = SPLAT(k1 + t + kx);
        MULADD(a1, s, xa);
        if (pair) MULADD(b1, s, xb);
        s = SPLAT(k2 + t + kx);
        MULADD(a2, s, xa);
        if (pair) MULADD(b2, s, xb);
        s = SPLAT(k3 + t + kx);
        MULADD(a3, s, xa);
        if (pair) MULADD(b3, s, xb);
      }
    }
  }
  wasm_v128_store(o0 + oa, a0);
  wasm_v128_store(o1 + oa, a1);
  wasm_v128_store(o2 + oa, a2);
  wasm_v128_store(o3 + oa, a3);
  if (pair) {
    wasm_v128_store(o0 + oa + 4, b0);
    wasm_v128_store(o1 + oa + 4, b1);
    wasm_v128_store(o2 + oa + 4, b2);
    wasm_v128_store(o3 + oa + 4, b3);
  }
}

INLINE void direct_image(const float *xp, int c, int hp, int wp, const float *K, int f, int kh, int kw, const int stride, float *out, int ho, int wo) {
  int taps = c * kh * kw, plane = ho * wo;
  for (int f0 = 0; f0 < f; f0 += 4) {
    int more = f - f0;
    const float *k0 = K + f0 * taps, *k1 = more > 1 ? k0 + taps : k0, *k2 = more > 2 ? k0 + 2 * taps : k0, *k3 = more > 3 ? k0 + 3 * taps : k0;
    float *o0 = out + f0 * plane, *o1 = more > 1 ? o0 + plane : o0, *o2 = more > 2 ? o0 + 2 * plane : o0, *o3 = more > 3 ? o0 + 3 * plane : o0;
    for (int oy = 0; oy < ho; oy++) {
      int at = oy * wo, ox = 0;
      for (; ox + 8 <= wo; ox += 8) direct_block(xp, c, hp, wp, k0, k1, k2, k3, kh, kw, stride, oy, ox, 1, o0 + at, o1 + at, o2 + at, o3 + at);
      // Five to seven columns left: a pair ending at the row's end, or two single vectors in a row narrower than 8.
      if (wo - ox > 4 && wo >= 8) direct_block(xp, c, hp, wp, k0, k1, k2, k3, kh, kw, stride, oy, wo - 8, 1, o0 + at, o1 + at, o2 + at, o3 + at);
      else if (wo - ox > 4) direct_block(xp, c, hp, wp, k0, k1, k2, k3, kh, kw, stride, oy, 0, 0, o0 + at, o1 + at, o2 + at, o3 + at);
      if (ox < wo && !(wo - ox > 4 && wo >= 8)) direct_block(xp, c, hp, wp, k0, k1, k2, k3, kh, kw, stride, oy, wo - 4, 0, o0 + at, o1 + at, o2 + at, o3 + at);
    }
  }
}

// The same, one entry at a time: any stride, any width.
static void scalar_image(const float *xp, int c, int hp, int wp, const float *K, int f, int kh, int kw, int stride, float *out, int ho, int wo) {
  int taps = c * kh * kw;
  for (int g = 0; g < f; g++)
    for (int oy = 0; oy < ho; oy++)
      for (int ox = 0; ox < wo; ox++) {
        float sum = 0;
        for (int ch = 0; ch < c; ch++)
          for (int ky = 0; ky < kh; ky++) {
            const float *row = xp + (ch * hp + oy * stride + ky) * wp + ox * stride;
            const float *k = K + g * taps + (ch * kh + ky) * kw;
            for (int kx = 0; kx < kw; kx++) sum += k[kx] * row[kx];
          }
        out[(g * ho + oy) * wo + ox] = sum;
      }
}

static void convolve_padded(const float *xp, int c, int hp, int wp, const float *K, int f, int kh, int kw, int stride, float *out, int ho, int wo) {
  if (wo >= 4 && stride == 1) direct_image(xp, c, hp, wp, K, f, kh, kw, 1, out, ho, wo);
  else if (wo >= 4 && stride == 2) direct_image(xp, c, hp, wp, K, f, kh, kw, 2, out, ho, wo);
  else scalar_image(xp, c, hp, wp, K, f, kh, kw, stride, out, ho, wo);
}

// Direct forward, image by image. scratch (per thread): c (h + 2 pad)(w + 2 pad) + 8 floats.
__attribute__((export_name("conv_forward_direct")))
int conv_forward_direct(const float *x, const float *K, float *out, int n, int c, int h, int w, int f, int kh, int kw, int stride, int pad, float *scratch, int *next) {
  int hp = h + 2 * pad, wp = w + 2 * pad, ho = (hp - kh) / stride + 1, wo = (wp - kw) / stride + 1;
  int done = 0;
  for (int i; (i = NEXT(next)) < n; done++) {
    pad_image(x + i * c * h * w, c, h, w, pad, pad, scratch);
    convolve_padded(scratch, c, hp, wp, K, f, kh, kw, stride, out + i * f * ho * wo, ho, wo);
  }
  return done;
}

// One image's columns: cols[(ch kh + ky) kw + kx][oy wo + ox] = x[ch, oy·stride + ky − pad, ox·stride + kx − pad], 0 outside.
static void im2col(const float *x, int c, int h, int w, int kh, int kw, int stride, int pad, int ho, int wo, float *cols) {
  for (int ch = 0; ch < c; ch++)
    for (int ky = 0; ky < kh; ky++)
      for (int kx = 0; kx < kw; kx++) {
        float *to = cols + ((ch * kh + ky) * kw + kx) * ho * wo;
        // Columns ox with 0 <= ox·stride + kx − pad < w.
        int lo = pad > kx ? (pad - kx + stride - 1) / stride : 0;
        int hi = w - 1 + pad - kx >= 0 ? (w - 1 + pad - kx) / stride + 1 : 0;
        hi = hi < wo ? hi : wo;
        lo = lo < hi ? lo : hi;
        for (int oy = 0; oy < ho; oy++, to += wo) {
          int iy = oy * stride + ky - pad;
          if (iy < 0 || iy >= h) {
            __builtin_memset(to, 0, wo * sizeof(float));
            continue;
          }
          const float *from = x + (ch * h + iy) * w;
          int shift = kx - pad;
          for (int ox = 0; ox < lo; ox++) to[ox] = 0;
          if (stride == 1) __builtin_memcpy(to + lo, from + lo + shift, (hi - lo) * sizeof(float));
          else
            for (int ox = lo; ox < hi; ox++) to[ox] = from[ox * stride + shift];
          for (int ox = hi; ox < wo; ox++) to[ox] = 0;
        }
      }
}

// The adjoint of im2col: dx[ch, iy, ix] += cols[tap][oy wo + ox] for each column that read it.
static void col2im_add(const float *cols, int c, int h, int w, int kh, int kw, int stride, int pad, int ho, int wo, float *dx) {
  for (int ch = 0; ch < c; ch++)
    for (int ky = 0; ky < kh; ky++)
      for (int kx = 0; kx < kw; kx++) {
        const float *from = cols + ((ch * kh + ky) * kw + kx) * ho * wo;
        int lo = pad > kx ? (pad - kx + stride - 1) / stride : 0;
        int hi = w - 1 + pad - kx >= 0 ? (w - 1 + pad - kx) / stride + 1 : 0;
        hi = hi < wo ? hi : wo;
        for (int oy = 0; oy < ho; oy++, from += wo) {
          int iy = oy * stride + ky - pad;
          if (iy < 0 || iy >= h) continue;
          float *to = dx + (ch * h + iy) * w + kx - pad;
          for (int ox = lo; ox < hi; ox++) to[ox * stride] += from[ox];
        }
      }
}

// Forward by im2col, image by image: the image's columns (taps x ho wo, taps =
// c kh kw), then out_i = K @ columns in the broadcast form. scratch (per
// thread): taps (ho wo + 16) floats, the columns then the product's panel.
__attribute__((export_name("conv_forward_im2col")))
int conv_forward_im2col(const float *x, const float *K, float *out, int n, int c, int h, int w, int f, int kh, int kw, int stride, int pad, float *scratch, int *next) {
  int ho = (h + 2 * pad - kh) / stride + 1, wo = (w + 2 * pad - kw) / stride + 1, p = ho * wo, taps = c * kh * kw;
  float *panel = scratch + taps * p;
  int done = 0;
  for (int i; (i = NEXT(next)) < n; done++) {
    im2col(x + i * c * h * w, c, h, w, kh, kw, stride, pad, ho, wo, scratch);
    broadcast_product(K, taps, 1, 0, scratch, p, 0, out + i * f * p, p, taps, 0, f, 0, p, panel);
  }
  return done;
}

// Kt[ch, g, ky, kx] = K[g, ch, kh − 1 − ky, kw − 1 − kx]: the kernel whose
// stride-1 convolution of the gradient maps it back to the input.
__attribute__((export_name("conv_flip_kernel")))
void conv_flip_kernel(const float *K, int f, int c, int kh, int kw, float *Kt) {
  for (int g = 0; g < f; g++)
    for (int ch = 0; ch < c; ch++)
      for (int ky = 0; ky < kh; ky++)
        for (int kx = 0; kx < kw; kx++) Kt[((ch * f + g) * kh + ky) * kw + kx] = K[((g * c + ch) * kh + kh - 1 - ky) * kw + kw - 1 - kx];
}

// The gradient with respect to x, direct, for stride 1 and pad <= kh − 1,
// kw − 1: dx_i is the convolution of g_i (the output's gradient, f planes ho
// x wo) padded by kh − 1 − pad rows and kw − 1 − pad columns with Kt
// (conv_flip_kernel). scratch (per thread): f (ho + 2 kh)(wo + 2 kw) + 8 floats.
__attribute__((export_name("conv_input_direct")))
int conv_input_direct(const float *g, const float *Kt, float *dx, int n, int c, int h, int w, int f, int kh, int kw, int pad, float *scratch, int *next) {
  int ho = h + 2 * pad - kh + 1, wo = w + 2 * pad - kw + 1, ph = kh - 1 - pad, pw = kw - 1 - pad;
  int done = 0;
  for (int i; (i = NEXT(next)) < n; done++) {
    pad_image(g + i * f * ho * wo, f, ho, wo, ph, pw, scratch);
    convolve_padded(scratch, f, ho + 2 * ph, wo + 2 * pw, Kt, c, kh, kw, 1, dx + i * c * h * w, h, w);
  }
  return done;
}

// The gradient with respect to x by im2col, image by image: the columns'
// gradient K^T @ g_i (broadcast form, A read transposed), summed back into
// dx_i. scratch (per thread): taps ho wo + 16 f floats.
__attribute__((export_name("conv_input_im2col")))
int conv_input_im2col(const float *g, const float *K, float *dx, int n, int c, int h, int w, int f, int kh, int kw, int stride, int pad, float *scratch, int *next) {
  int ho = (h + 2 * pad - kh) / stride + 1, wo = (w + 2 * pad - kw) / stride + 1, p = ho * wo, taps = c * kh * kw;
  float *panel = scratch + taps * p;
  int done = 0;
  for (int i; (i = NEXT(next)) < n; done++) {
    broadcast_product(K, 1, taps, 0, g + i * f * p, p, 0, scratch, p, f, 0, taps, 0, p, panel);
    float *to = dx + i * c * h * w;
    __builtin_memset(to, 0, c * h * w * sizeof(float));
    col2im_add(scratch, c, h, w, kh, kw, stride, pad, ho, wo, to);
  }
  return done;
}

// Every image padded (as conv_forward_direct pads one) into xp, n c (h + 2 pad)(w + 2 pad) floats.
__attribute__((export_name("conv_pad_images")))
int conv_pad_images(const float *x, int n, int c, int h, int w, int pad, float *xp, int *next) {
  int size = c * (h + 2 * pad) * (w + 2 * pad);
  int done = 0;
  for (int i; (i = NEXT(next)) < n; done++) pad_image(x + i * c * h * w, c, h, w, pad, pad, xp + i * size);
  return done;
}

// Every image's columns (as conv_forward_im2col makes one's) into cols, n taps ho wo floats.
__attribute__((export_name("conv_im2col_images")))
int conv_im2col_images(const float *x, int n, int c, int h, int w, int kh, int kw, int stride, int pad, float *cols, int *next) {
  int ho = (h + 2 * pad - kh) / stride + 1, wo = (w + 2 * pad - kw) / stride + 1;
  int done = 0;
  for (int i; (i = NEXT(next)) < n; done++) im2col(x + i * c * h * w, c, h, w, kh, kw, stride, pad, ho, wo, cols + i * c * kh * kw * ho * wo);
  return done;
}

// One vector of output positions from ox on: its gradients d0..d2 (three
// filters) times the input under taps kx0, kx1 and kx2.
#define TAPS_STEP(G0, G1, G2)               \
  {                                         \
    v128_t d0 = G0, d1 = G1, d2 = G2;       \
    const float *r = row + ox * stride;     \
    v128_t v = xload(r + kx0, stride);      \
    MULADD(a0, d0, v);                      \
    MULADD(a1, d1, v);                      \
    MULADD(a2, d2, v);                      \
    v = xload(r + kx1, stride);             \
    MULADD(b0, d0, v);                      \
    MULADD(b1, d1, v);                      \
    MULADD(b2, d2, v);                      \
    v = xload(r + kx2, stride);             \
    MULADD(c0, d0, v);                      \
    MULADD(c1, d1, v);                      \
    MULADD(c2, d2, v);                      \
  }

// One row of taps' sums for the kernel's gradient: filters f0..f0+2 (the
// missing ones repeating f0) against padded input columns kx0..kx0+2 (past
// the kernel's width repeating kx0), over every image and output position;
// four lanes each, added at the end. A row's last vector, where wo is not a
// multiple of 4, overlaps the one before and is masked to its new lanes.
INLINE void kernel_taps(const float *g, const float *xp, float *dK, int n, int c, int hp, int wp, int f, int f0, int kh, int kw, const int stride, int ho, int wo, int ch, int ky, int kx0) {
  int plane = ho * wo, taps = c * kh * kw;
  int e1 = f - f0 > 1, e2 = f - f0 > 2;
  int kx1 = kx0 + 1 < kw ? kx0 + 1 : kx0, kx2 = kx0 + 2 < kw ? kx0 + 2 : kx0;
  int rest = wo & 3;
  v128_t mask = wasm_i32x4_ge(wasm_i32x4_make(0, 1, 2, 3), wasm_i32x4_splat(4 - rest));
  v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, b0 = a0, b1 = a0, b2 = a0, c0 = a0, c1 = a0, c2 = a0;
  for (int i = 0; i < n; i++) {
    const float *gi = g + (i * f + f0) * plane;
    const float *xi = xp + ((i * c + ch) * hp + ky) * wp;
    for (int oy = 0; oy < ho; oy++) {
      const float *g0 = gi + oy * wo, *g1 = g0 + e1 * plane, *g2 = g0 + e2 * 2 * plane, *row = xi + oy * stride * wp;
      int ox = 0;
      for (; ox + 4 <= wo; ox += 4) TAPS_STEP(LOAD(g0 + ox), LOAD(g1 + ox), LOAD(g2 + ox))
      if (rest) {
        ox = wo - 4;
        TAPS_STEP(wasm_v128_and(LOAD(g0 + ox), mask), wasm_v128_and(LOAD(g1 + ox), mask), wasm_v128_and(LOAD(g2 + ox), mask))
      }
    }
  }
  // Repeated filters and taps store the same sums where they already are.
  float *k0 = dK + f0 * taps + (ch * kh + ky) * kw, *k1 = k0 + e1 * taps, *k2 = k0 + e2 * 2 * taps;
  k0[kx0] = horizontal_sum(a0), k1[kx0] = horizontal_sum(a1), k2[kx0] = horizontal_sum(a2);
  k0[kx1] = horizontal_sum(b0), k1[kx1] = horizontal_sum(b1), k2[kx1] = horizontal_sum(b2);
  k0[kx2] = horizontal_sum(c0), k1[kx2] = horizontal_sum(c1), k2[kx2] = horizontal_sum(c2);
}

// The gradient with respect to K, direct: dK[g, tap] = sum over images and
// output positions of g_i[g, oy, ox] times the padded input under that tap.
// xp holds every image padded (conv_pad_images) and 8 floats more; the work
// goes in blocks of three filters.
__attribute__((export_name("conv_kernel_direct")))
int conv_kernel_direct(const float *g, const float *xp, float *dK, int n, int c, int h, int w, int f, int kh, int kw, int stride, int pad, int *next) {
  int hp = h + 2 * pad, wp = w + 2 * pad, ho = (hp - kh) / stride + 1, wo = (wp - kw) / stride + 1, taps = c * kh * kw;
  int done = 0;
  for (int block; (block = NEXT(next)) * 3 < f; done++) {
    int f0 = block * 3;
    if (wo < 4 || stride > 2) {
      int f1 = f0 + 3 < f ? f0 + 3 : f;
      for (int q = f0; q < f1; q++)
        for (int ch = 0; ch < c; ch++)
          for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++) {
              float sum = 0;
              for (int i = 0; i < n; i++)
                for (int oy = 0; oy < ho; oy++) {
                  const float *gr = g + ((i * f + q) * ho + oy) * wo, *row = xp + ((i * c + ch) * hp + oy * stride + ky) * wp + kx;
                  for (int ox = 0; ox < wo; ox++) sum += gr[ox] * row[ox * stride];
                }
              dK[q * taps + (ch * kh + ky) * kw + kx] = sum;
            }
      continue;
    }
    for (int ch = 0; ch < c; ch++)
      for (int ky = 0; ky < kh; ky++)
        for (int kx = 0; kx < kw; kx += 3) {
          if (stride == 1) kernel_taps(g, xp, dK, n, c, hp, wp, f, f0, kh, kw, 1, ho, wo, ch, ky, kx);
          else kernel_taps(g, xp, dK, n, c, hp, wp, f, f0, kh, kw, 2, ho, wo, ch, ky, kx);
        }
  }
  return done;
}

// The gradient with respect to K by im2col: every image's columns in cols
// (conv_im2col_images), then, eight filters at a time, the dot form g_i @
// columns_i^T for each image, added up in image order. scratch (per thread):
// 8 taps floats.
__attribute__((export_name("conv_kernel_im2col")))
int conv_kernel_im2col(const float *g, const float *cols, float *dK, int n, int taps, int f, int p, float *scratch, int *next) {
  int done = 0;
  for (int block; (block = NEXT(next)) * 8 < f; done++) {
    int f0 = block * 8, f1 = f0 + 8 < f ? f0 + 8 : f;
    for (int i = 0; i < n; i++) {
      float *into = i == 0 ? dK : scratch - f0 * taps;
      dot_product(g + i * f * p, p, 0, cols + i * taps * p, p, into, taps, p, f0, f1, 0, taps);
      if (i > 0)
        for (int q = f0 * taps; q < f1 * taps; q++) dK[q] += into[q];
    }
  }
  return done;
}

// Pooling, plane by plane (n c planes of h x w, each pooled to ho x wo with
// ho = (h − size) / stride + 1). `op`: 0 max pooling, out = each window's
// largest entry; 1 its gradient, dx (out) = g sent to each window's largest
// entry, on a tie the first in the window's row-major order (the entry a
// scan keeping the first strictly larger one finds), summed where windows
// overlap; 2 average pooling; 3 its gradient, g / size^2 to every entry of
// the window. Windows of 2 with stride 2 (and wo >= 4) go four windows at a
// time. Planes go eight at a time.
#define PLANES 8

INLINE void max_pairs(const float *r0, const float *r1, v128_t *e0, v128_t *o0, v128_t *e1, v128_t *o1) {
  v128_t a = LOAD(r0), b = LOAD(r0 + 4), c = LOAD(r1), d = LOAD(r1 + 4);
  *e0 = wasm_i32x4_shuffle(a, b, 0, 2, 4, 6);
  *o0 = wasm_i32x4_shuffle(a, b, 1, 3, 5, 7);
  *e1 = wasm_i32x4_shuffle(c, d, 0, 2, 4, 6);
  *o1 = wasm_i32x4_shuffle(c, d, 1, 3, 5, 7);
}

static void pool_plane(int op, const float *x, const float *g, float *out, int h, int w, int size, int stride, int ho, int wo) {
  int pairs = op < 2 && size == 2 && stride == 2 && wo >= 4;
  // A gradient is summed into zeros, except where 2 x 2 windows tile the whole plane and each entry is written once.
  if ((op & 1) && !(pairs && h == 2 * ho && w == 2 * wo)) __builtin_memset(out, 0, h * w * sizeof(float));
  if (pairs) {
    for (int oy = 0; oy < ho; oy++) {
      const float *r0 = x + 2 * oy * w, *r1 = r0 + w;
      for (int ox = 0; ox < wo; ox += 4) {
        int oa = ox + 4 <= wo ? ox : wo - 4;
        v128_t e0, o0, e1, o1;
        max_pairs(r0 + 2 * oa, r1 + 2 * oa, &e0, &o0, &e1, &o1);
        // pmax keeps its first operand unless the second is larger, as the scan does.
        v128_t m = wasm_f32x4_pmax(wasm_f32x4_pmax(wasm_f32x4_pmax(e0, o0), e1), o1);
        if (op == 0) {
          wasm_v128_store(out + oy * wo + oa, m);
          continue;
        }
        v128_t q0 = wasm_f32x4_eq(e0, m), q1 = wasm_f32x4_eq(o0, m), q2 = wasm_f32x4_eq(e1, m), q3 = wasm_f32x4_eq(o1, m);
        v128_t t1 = wasm_v128_andnot(q1, q0), before = wasm_v128_or(q0, q1);
        v128_t t2 = wasm_v128_andnot(q2, before);
        v128_t t3 = wasm_v128_andnot(q3, wasm_v128_or(before, q2));
        v128_t t0 = wasm_v128_not(wasm_v128_or(wasm_v128_or(t1, t2), t3));
        v128_t gv = LOAD(g + oy * wo + oa);
        v128_t g0 = wasm_v128_and(gv, t0), g1 = wasm_v128_and(gv, t1), g2 = wasm_v128_and(gv, t2), g3 = wasm_v128_and(gv, t3);
        float *d0 = out + 2 * oy * w + 2 * oa, *d1 = d0 + w;
        wasm_v128_store(d0, wasm_i32x4_shuffle(g0, g1, 0, 4, 1, 5));
        wasm_v128_store(d0 + 4, wasm_i32x4_shuffle(g0, g1, 2, 6, 3, 7));
        wasm_v128_store(d1, wasm_i32x4_shuffle(g2, g3, 0, 4, 1, 5));
        wasm_v128_store(d1 + 4, wasm_i32x4_shuffle(g2, g3, 2, 6, 3, 7));
      }
    }
    return;
  }
  float area = (float)(size * size);
  for (int oy = 0; oy < ho; oy++)
    for (int ox = 0; ox < wo; ox++) {
      const float *window = x + oy * stride * w + ox * stride;
      int o = oy * wo + ox;
      if (op < 2) {
        float best = window[0];
        int at = 0;
        for (int y = 0; y < size; y++)
          for (int xx = 0; xx < size; xx++)
            if (window[y * w + xx] > best) best = window[y * w + xx], at = y * w + xx;
        if (op == 0) out[o] = best;
        else out[oy * stride * w + ox * stride + at] += g[o];
      } else if (op == 2) {
        float sum = 0;
        for (int y = 0; y < size; y++)
          for (int xx = 0; xx < size; xx++) sum += window[y * w + xx];
        out[o] = sum / area;
      } else {
        float share = g[o] / area;
        float *d = out + oy * stride * w + ox * stride;
        for (int y = 0; y < size; y++)
          for (int xx = 0; xx < size; xx++) d[y * w + xx] += share;
      }
    }
}

// x: the input (read by 0, 1 and 2); g: the output's gradient (1 and 3); out: the output (0, 2) or dx (1, 3).
__attribute__((export_name("pool")))
int pool(int op, const float *x, const float *g, float *out, int planes, int h, int w, int size, int stride, int *next) {
  int ho = (h - size) / stride + 1, wo = (w - size) / stride + 1;
  int in = op & 1 ? ho * wo : h * w, to = op & 1 ? h * w : ho * wo;
  int done = 0;
  for (int block; (block = NEXT(next)) * PLANES < planes; done++) {
    int end = block * PLANES + PLANES < planes ? block * PLANES + PLANES : planes;
    for (int q = block * PLANES; q < end; q++) pool_plane(op, x + q * h * w, g + q * in * (op & 1), out + q * to, h, w, size, stride, ho, wo);
  }
  return done;
}
