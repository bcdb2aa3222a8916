/* AVX2 + FMA forms of the transformer block's float kernels; see CKernels.h. Only the
 * functions carry the target attribute: the file builds for any x86-64 (and, empty of
 * kernels, elsewhere), and nothing here runs unless fa_has_avx2_fma() said yes. */

#include "CKernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <float.h>
#include <immintrin.h>
#include <string.h>

#define FA_AVX2 __attribute__((target("avx2,fma")))

int fa_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* erf as FastMath.erf: x P(x²)/Q(x²) on x clamped to [−4, 4] (Eigen's and XLA's coefficients). */
static inline __attribute__((always_inline)) FA_AVX2 __m256 erf8(__m256 x) {
    __m256 xc = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-4.0f)), _mm256_set1_ps(4.0f));
    __m256 x2 = _mm256_mul_ps(xc, xc);
    __m256 p = _mm256_set1_ps(-2.72614225801306e-10f);
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(2.77068142495902e-08f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-2.10102402082508e-06f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-5.69250639462346e-05f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-7.34990630326855e-04f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-2.95459980854025e-03f));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-1.60960333262415e-02f));
    __m256 q = _mm256_set1_ps(-1.45660718464996e-05f);
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-2.13374055278905e-04f));
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-1.68282697438203e-03f));
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-7.37332916720468e-03f));
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-1.42647390514189e-02f));
    return _mm256_div_ps(_mm256_mul_ps(xc, p), q);
}

static inline __attribute__((always_inline)) FA_AVX2 __m256 gelu8(__m256 z) {
    __m256 h = _mm256_mul_ps(z, _mm256_set1_ps(0.5f));
    __m256 e = erf8(_mm256_mul_ps(z, _mm256_set1_ps(0.70710678118654752f)));
    return _mm256_fmadd_ps(h, e, h);
}

FA_AVX2 void fa_gelu_avx2(const float *z, float *a, ptrdiff_t n) {
    ptrdiff_t i = 0;
    for (; i + 16 <= n; i += 16) { /* two independent chains: the division's latency overlaps */
        __m256 a0 = gelu8(_mm256_loadu_ps(z + i));
        __m256 a1 = gelu8(_mm256_loadu_ps(z + i + 8));
        _mm256_storeu_ps(a + i, a0);
        _mm256_storeu_ps(a + i + 8, a1);
    }
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(a + i, gelu8(_mm256_loadu_ps(z + i)));
    if (i < n) {
        float buf[8] = {0};
        memcpy(buf, z + i, (size_t)(n - i) * sizeof(float));
        _mm256_storeu_ps(buf, gelu8(_mm256_loadu_ps(buf)));
        memcpy(a + i, buf, (size_t)(n - i) * sizeof(float));
    }
}

/* Σ of the 8 lanes, in every lane. */
static inline __attribute__((always_inline)) FA_AVX2 __m256 sum8(__m256 v) {
    v = _mm256_add_ps(v, _mm256_permute2f128_ps(v, v, 1));
    v = _mm256_add_ps(v, _mm256_shuffle_ps(v, v, 0x4E));
    return _mm256_add_ps(v, _mm256_shuffle_ps(v, v, 0xB1));
}

/* The largest of the 8 lanes, in every lane (NaN-free input). */
static inline __attribute__((always_inline)) FA_AVX2 __m256 max8(__m256 v) {
    v = _mm256_max_ps(v, _mm256_permute2f128_ps(v, v, 1));
    v = _mm256_max_ps(v, _mm256_shuffle_ps(v, v, 0x4E));
    return _mm256_max_ps(v, _mm256_shuffle_ps(v, v, 0xB1));
}

FA_AVX2 void fa_layer_norm16_avx2(const float *x, ptrdiff_t n, float eps, const float *gamma, const float *beta,
                                  float *xhat, float *inverse, float *out) {
    const __m256 g0 = _mm256_loadu_ps(gamma), g1 = _mm256_loadu_ps(gamma + 8);
    const __m256 b0 = _mm256_loadu_ps(beta), b1 = _mm256_loadu_ps(beta + 8);
    const __m256 sixteenth = _mm256_set1_ps(1.0f / 16.0f), e = _mm256_set1_ps(eps);
    const __m256 half = _mm256_set1_ps(0.5f), three = _mm256_set1_ps(3.0f);
    for (ptrdiff_t v = 0; v < n; v++) {
        __m256 r0 = _mm256_loadu_ps(x + 16 * v), r1 = _mm256_loadu_ps(x + 16 * v + 8);
        __m256 mean = _mm256_mul_ps(sum8(_mm256_add_ps(r0, r1)), sixteenth);
        __m256 d0 = _mm256_sub_ps(r0, mean), d1 = _mm256_sub_ps(r1, mean);
        __m256 var = _mm256_mul_ps(sum8(_mm256_fmadd_ps(d0, d0, _mm256_mul_ps(d1, d1))), sixteenth);
        /* 1/√(var + ε): the estimate refined by one Newton step, y(3 − a y²)/2 (relative error
         * within about 3e-7; a square root and a division per vector held the loop on the divider). */
        __m256 a = _mm256_add_ps(var, e), y = _mm256_rsqrt_ps(a);
        __m256 inv = _mm256_mul_ps(_mm256_mul_ps(half, y), _mm256_fnmadd_ps(_mm256_mul_ps(a, y), y, three));
        __m256 h0 = _mm256_mul_ps(d0, inv), h1 = _mm256_mul_ps(d1, inv);
        if (inverse) inverse[v] = _mm256_cvtss_f32(inv);
        if (xhat) {
            _mm256_storeu_ps(xhat + 16 * v, h0);
            _mm256_storeu_ps(xhat + 16 * v + 8, h1);
        }
        _mm256_storeu_ps(out + 16 * v, _mm256_fmadd_ps(h0, g0, b0));
        _mm256_storeu_ps(out + 16 * v + 8, _mm256_fmadd_ps(h1, g1, b1));
    }
}

/* eˣ for x ≤ 0 as FastMath.expNonPositive: 2ⁿ · 2ᶠ, n = round(x log₂e), |f| ≤ ½, 2ᶠ by a
 * degree-5 polynomial with constant term 1; x below −87.33654 is clamped there. */
static inline __attribute__((always_inline)) FA_AVX2 __m256 exp_nonpositive8(__m256 x) {
    const __m256 shifter = _mm256_set1_ps(12582912.0f);
    __m256 xc = _mm256_max_ps(x, _mm256_set1_ps(-87.33654f));
    __m256 y = _mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f));
    __m256 t = _mm256_add_ps(y, shifter);
    __m256 f = _mm256_sub_ps(y, _mm256_sub_ps(t, shifter));
    __m256 p = _mm256_set1_ps(1.32647273e-3f);
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(9.67151299e-3f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(5.55073358e-2f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0.240222424f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0.693147004f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

/* The first `count` (0…8) lanes on, as a maskload/maskstore mask. */
static inline __attribute__((always_inline)) FA_AVX2 __m256i lanes_on(ptrdiff_t count) {
    const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), index);
}

/* Scores of R query rows (R ≤ 4; q rows qw apart) against the transposed keys kt: row r in
 * s0[r] (keys 0…7) and s1[r] (keys 8…15). */
static inline __attribute__((always_inline)) FA_AVX2 void scores_rows(const float *q, ptrdiff_t qw,
                                                                        const float *kt, ptrdiff_t kd, int R,
                                                                        __m256 *s0, __m256 *s1) {
#pragma clang loop unroll(full)
    for (int r = 0; r < 4; r++) s0[r] = s1[r] = _mm256_setzero_ps();
    for (ptrdiff_t e = 0; e < kd; e++) {
        __m256 k0 = _mm256_load_ps(kt + 16 * e), k1 = _mm256_load_ps(kt + 16 * e + 8);
#pragma clang loop unroll(full)
        for (int r = 0; r < 4; r++) {
            if (r >= R) continue;
            __m256 qe = _mm256_broadcast_ss(q + r * qw + e);
            s0[r] = _mm256_fmadd_ps(qe, k0, s0[r]);
            s1[r] = _mm256_fmadd_ps(qe, k1, s1[r]);
        }
    }
}

/* Context rows c_r = inv[r] Σ_{j<tv} x[r][j] v_j (value rows vw apart, vd wide) for R ≤ 4 rows
 * of unnormalized weights x (rows of 16), stored at c + r·vw. */
static inline __attribute__((always_inline)) FA_AVX2 void context_rows(const float (*x)[16], const float *inv, int R,
                                                                         ptrdiff_t tv, const float *v, ptrdiff_t vw,
                                                                         ptrdiff_t vd, float *c) {
    for (ptrdiff_t e = 0; e < vd; e += 8) {
        ptrdiff_t width = vd - e < 8 ? vd - e : 8;
        __m256i mask = lanes_on(width);
        __m256 acc[4], acc2[4];
#pragma clang loop unroll(full)
        for (int r = 0; r < 4; r++) acc[r] = acc2[r] = _mm256_setzero_ps();
        ptrdiff_t j = 0;
        for (; j + 2 <= tv; j += 2) { /* two chains per row */
            __m256 va = width == 8 ? _mm256_loadu_ps(v + j * vw + e) : _mm256_maskload_ps(v + j * vw + e, mask);
            __m256 vb = width == 8 ? _mm256_loadu_ps(v + (j + 1) * vw + e)
                                   : _mm256_maskload_ps(v + (j + 1) * vw + e, mask);
#pragma clang loop unroll(full)
            for (int r = 0; r < 4; r++) {
                if (r >= R) continue;
                acc[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(x[r] + j), va, acc[r]);
                acc2[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(x[r] + j + 1), vb, acc2[r]);
            }
        }
        if (j < tv) {
            __m256 va = width == 8 ? _mm256_loadu_ps(v + j * vw + e) : _mm256_maskload_ps(v + j * vw + e, mask);
#pragma clang loop unroll(full)
            for (int r = 0; r < 4; r++) {
                if (r >= R) continue;
                acc[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(x[r] + j), va, acc[r]);
            }
        }
#pragma clang loop unroll(full)
        for (int r = 0; r < 4; r++) {
            if (r >= R) continue;
            __m256 sum = _mm256_mul_ps(_mm256_add_ps(acc[r], acc2[r]), _mm256_broadcast_ss(inv + r));
            if (width == 8) {
                _mm256_storeu_ps(c + r * vw + e, sum);
            } else {
                _mm256_maskstore_ps(c + r * vw + e, mask, sum);
            }
        }
    }
}

/* Queries per block of attend_block: the exponentials of a block's rows are kept, then their
 * sums inverted two registers at a time (one division per 8 rows, off the rows' chains). */
#define FA_QUERY_BLOCK 16

/* Query rows i0 … i0+n−1 (n ≤ FA_QUERY_BLOCK) of one (sample, head): x = exp(s − max s) per row
 * (lanes past tv 0), then p = x / Σx into probs (rows of tv; NULL: not stored) and the contexts
 * c = (Σ_j x_j v_j) / Σx. */
static inline __attribute__((always_inline)) FA_AVX2 void attend_block(
    const float *q, ptrdiff_t qw, const float *kt, ptrdiff_t kd, ptrdiff_t n, __m256 absent0, __m256 absent1,
    __m256 keep0, __m256 keep1, ptrdiff_t tv, float *probs, const float *v, ptrdiff_t vw, ptrdiff_t vd, float *c) {
    _Alignas(32) float x[FA_QUERY_BLOCK][16];
    _Alignas(32) float sums[FA_QUERY_BLOCK];
    for (ptrdiff_t i = 0; i < n; i += 4) {
        int R = n - i < 4 ? (int)(n - i) : 4;
        __m256 s0[4], s1[4];
        if (R == 4) {
            scores_rows(q + i * qw, qw, kt, kd, 4, s0, s1);
        } else {
            scores_rows(q + i * qw, qw, kt, kd, R, s0, s1);
        }
#pragma clang loop unroll(full)
        for (int r = 0; r < 4; r++) {
            if (r >= R) continue;
            __m256 a0 = _mm256_add_ps(s0[r], absent0), a1 = _mm256_add_ps(s1[r], absent1);
            __m256 m = max8(_mm256_max_ps(a0, a1));
            __m256 x0 = _mm256_mul_ps(exp_nonpositive8(_mm256_sub_ps(a0, m)), keep0);
            __m256 x1 = _mm256_mul_ps(exp_nonpositive8(_mm256_sub_ps(a1, m)), keep1);
            _mm256_store_ps(x[i + r], x0);
            _mm256_store_ps(x[i + r] + 8, x1);
            sums[i + r] = _mm256_cvtss_f32(sum8(_mm256_add_ps(x0, x1)));
        }
    }
    for (ptrdiff_t i = n; i < FA_QUERY_BLOCK; i++) sums[i] = 1.0f;
    _Alignas(32) float inv[FA_QUERY_BLOCK];
    _mm256_store_ps(inv, _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_load_ps(sums)));
    _mm256_store_ps(inv + 8, _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_load_ps(sums + 8)));
    if (probs) {
        for (ptrdiff_t r = 0; r < n; r++) {
            __m256 w = _mm256_broadcast_ss(inv + r);
            __m256 p0 = _mm256_mul_ps(_mm256_load_ps(x[r]), w), p1 = _mm256_mul_ps(_mm256_load_ps(x[r] + 8), w);
            if (tv == 16) {
                _mm256_storeu_ps(probs + 16 * r, p0);
                _mm256_storeu_ps(probs + 16 * r + 8, p1);
            } else {
                __m256i on0 = lanes_on(tv), on1 = lanes_on(tv - 8);
                _mm256_maskstore_ps(probs + tv * r, on0, p0);
                if (tv > 8) _mm256_maskstore_ps(probs + tv * r + 8, on1, p1);
            }
        }
    }
    ptrdiff_t i = 0;
    for (; i + 4 <= n; i += 4) context_rows((const float (*)[16])x[i], inv + i, 4, tv, v, vw, vd, c + i * vw);
    for (; i < n; i++) context_rows((const float (*)[16])x[i], inv + i, 1, tv, v, vw, vd, c + i * vw);
}

FA_AVX2 void fa_attend_short_avx2(const float *q, const float *k, const float *v, float *probs, float *c,
                                  ptrdiff_t rows, ptrdiff_t tq, ptrdiff_t tv, ptrdiff_t heads, ptrdiff_t kd,
                                  ptrdiff_t vd, float *scratch) {
    if (tv < 1 || tv > 16) return;
    const ptrdiff_t qw = heads * kd, vw = heads * vd;
    /* 32-byte aligned rows of 16 lanes for the transposed keys, zero past tv. */
    float *kt = (float *)(((size_t)scratch + 31) & ~(size_t)31);
    memset(kt, 0, (size_t)(16 * kd) * sizeof(float));
    __m256i on0 = lanes_on(tv), on1 = lanes_on(tv - 8);
    __m256 keep0 = _mm256_and_ps(_mm256_castsi256_ps(on0), _mm256_set1_ps(1.0f));
    __m256 keep1 = _mm256_and_ps(_mm256_castsi256_ps(on1), _mm256_set1_ps(1.0f));
    __m256 absent0 = _mm256_andnot_ps(_mm256_castsi256_ps(on0), _mm256_set1_ps(-FLT_MAX));
    __m256 absent1 = _mm256_andnot_ps(_mm256_castsi256_ps(on1), _mm256_set1_ps(-FLT_MAX));
    for (ptrdiff_t b = 0; b < rows; b++) {
        for (ptrdiff_t h = 0; h < heads; h++) {
            const float *kb = k + b * tv * qw + h * kd;
            for (ptrdiff_t j = 0; j < tv; j++)
                for (ptrdiff_t e = 0; e < kd; e++) kt[16 * e + j] = kb[j * qw + e];
            const float *qb = q + b * tq * qw + h * kd;
            const float *vb = v + b * tv * vw + h * vd;
            float *pb = probs ? probs + (b * heads + h) * tq * tv : NULL;
            float *cb = c + b * tq * vw + h * vd;
            for (ptrdiff_t i = 0; i < tq; i += FA_QUERY_BLOCK) {
                ptrdiff_t n = tq - i < FA_QUERY_BLOCK ? tq - i : FA_QUERY_BLOCK;
                attend_block(qb + i * qw, qw, kt, kd, n, absent0, absent1, keep0, keep1, tv, pb ? pb + i * tv : NULL,
                             vb, vw, vd, cb + i * vw);
            }
        }
    }
}

#else

int fa_has_avx2_fma(void) { return 0; }
void fa_gelu_avx2(const float *z, float *a, ptrdiff_t n) { (void)z, (void)a, (void)n; }
void fa_layer_norm16_avx2(const float *x, ptrdiff_t n, float eps, const float *gamma, const float *beta,
                          float *xhat, float *inverse, float *out) {
    (void)x, (void)n, (void)eps, (void)gamma, (void)beta, (void)xhat, (void)inverse, (void)out;
}
void fa_attend_short_avx2(const float *q, const float *k, const float *v, float *probs, float *c, ptrdiff_t rows,
                          ptrdiff_t tq, ptrdiff_t tv, ptrdiff_t heads, ptrdiff_t kd, ptrdiff_t vd, float *scratch) {
    (void)q, (void)k, (void)v, (void)probs, (void)c, (void)rows, (void)tq, (void)tv, (void)heads, (void)kd, (void)vd,
        (void)scratch;
}

#endif
