#ifndef FAIRAUDIT_CKERNELS_H
#define FAIRAUDIT_CKERNELS_H

/* Float kernels compiled for AVX2 with FMA (function attributes, no build flags), called only
 * when the running CPU has both (fa_has_avx2_fma); elsewhere the Swift kernels they mirror run.
 * Each states the Swift function it mirrors; the formulas are the same, the rounding differs
 * by fused multiply-adds. */

#include <stddef.h>

/* 1 when the CPU executes AVX2 and FMA instructions, else 0. */
int fa_has_avx2_fma(void);

/* Exact GELU a[i] = ½ z[i] (1 + erf(z[i]/√2)) for i < n (a may equal z), erf as
 * FastMath.erf (Activation.gelu(_:into:count:)). */
void fa_gelu_avx2(const float *z, float *a, ptrdiff_t n);

/* Layer normalization of n vectors of 16: per vector x, x̂ = (x − mean) / √(var + eps),
 * inverse[v] = 1/√(var + eps), out = γ x̂ + β; xhat and inverse may be NULL
 * (LayerNormalizationOp.normalizeRows16). */
void fa_layer_norm16_avx2(const float *x, ptrdiff_t n, float eps, const float *gamma, const float *beta,
                          float *xhat, float *inverse, float *out);

/* Attention over at most 16 keys (AttentionKernels.attendShortRows): for each sample b < rows,
 * head h and query i < tq, p = softmax(q_i K_bhᵀ) over the tv keys (q already scaled), written
 * to probs[((b·heads + h)·tq + i)·tv + j] (probs NULL: not stored), and c_i = p V_bh at the
 * head's columns of c.
 * Layouts as the Swift kernel: q (rows, tq, heads·kd), k (rows, tv, heads·kd), v and c
 * (rows, ·, heads·vd). scratch holds kd·16 + 8 floats. */
void fa_attend_short_avx2(const float *q, const float *k, const float *v, float *probs, float *c, ptrdiff_t rows,
                          ptrdiff_t tq, ptrdiff_t tv, ptrdiff_t heads, ptrdiff_t kd, ptrdiff_t vd, float *scratch);

#endif
