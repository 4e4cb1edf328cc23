/* pwdw.h - our own fused kernel for the commonest block of small face detectors: a
 * 1x1 convolution, the depthwise 3x3 convolution that alone reads its output, and
 * optionally the 2x2 max pool that alone reads that (YuNet's, SCRFD's and
 * MobileFaceNet's blocks), and optionally before the 1x1 the depthwise whose output
 * only it reads (MobileNet v1's order: UltraFace, SCRFD) or the image's first
 * convolution (YuNet's stem, stem.h). oneDNN runs them as two or three passes over activations
 * that at detector resolutions do not fit in cache (16 channels of 320x320 are
 * 6.5 MB); here the 1x1 output lives in a ring of four rows per thread, so the
 * block reads its input once and writes only its output.
 *
 * Channels-last float activations, any channel counts (inside, the 1x1's output
 * channels are rounded up to a multiple of 16, one AVX-512 vector); depthwise 3x3, pads 1, stride 1 or 2; each
 * convolution with its bias, a folded BatchNormalization and one activation (ReLU,
 * LeakyReLU, Clip, or per-channel PRelu slopes). AVX-512F only: fc_pwdw_available()
 * says whether the CPU has it, and the fusing pass leaves the steps alone otherwise. */
#ifndef FC_NN_PWDW_H
#define FC_NN_PWDW_H

#include "core/status.h"
#include "nn/tensor.h"

typedef enum { FC_ACT_NONE, FC_ACT_RELU, FC_ACT_CLIP, FC_ACT_PRELU } fc_act_kind;

typedef struct {
    fc_act_kind kind;
    float alpha;         /* RELU: negative slope (0: ReLU, else LeakyReLU) */
    float lo, hi;        /* CLIP */
    const float *slope;  /* PRELU: one per channel (copied) */
} fc_act;

/* One convolution of the block: weights as ONNX has them (1x1: [C, Cin, 1, 1];
 * depthwise: [C, 1, 3, 3]), bias or NULL, BatchNormalization (scale, B, mean, var)
 * or NULLs, and the activation after both. */
typedef struct {
    const fc_tensor *w, *b;
    const fc_tensor *bn[4];
    float bn_eps;
    fc_act act;
} fc_pwdw_conv;

typedef struct fc_pwdw fc_pwdw;

int fc_pwdw_available(void);

/* What the kernel writes: the depthwise output, its 2x2 max pool (stride 2, floor),
 * or both (when the pool is not the depthwise output's only reader). */
typedef enum { FC_PWDW_NO_POOL = 0, FC_PWDW_POOL = 1, FC_PWDW_POOL_TOO = 2 } fc_pwdw_pool;

/* The kernel for inputs [N, H, W, cin] (channels-last) of these shapes: dw stride 1
 * or 2, pool an fc_pwdw_pool; pre, when not NULL, a depthwise 3x3
 * (pads 1, stride 1) on the input before the 1x1, cin a multiple of 16. Weights are
 * folded and laid out once; per-thread row rings are allocated here, so a run
 * allocates nothing. */
fc_pwdw *fc_pwdw_new(const fc_pwdw_conv *pre, const fc_pwdw_conv *pw, const fc_pwdw_conv *dw, int stride,
                     fc_pwdw_pool pool, int64_t n, int64_t h, int64_t w, int64_t cin, int threads, fc_error *err);
void fc_pwdw_free(fc_pwdw *k);

/* Puts the stem (stem.h; owned from then on, freed on failure) before the 1x1 of a
 * kernel without pre: its output rows (h x w pixels of m channels) must be the
 * kernel's input rows. fc_pwdw_run's x is then the stem's NCHW image. */
struct fc_stem;
fc_status fc_pwdw_set_stem(fc_pwdw *k, struct fc_stem *stem, int64_t h, int64_t w, int64_t m, fc_error *err);

/* d = act(dw(act(pw(pre(x))))) for x [N, H, W, cin], channels-last: y = d, or
 * y = pool(d) with FC_PWDW_POOL, or y = d and yp = pool(d) with FC_PWDW_POOL_TOO
 * (yp is not read otherwise). */
void fc_pwdw_run(const fc_pwdw *k, const float *x, float *y, float *yp);

#endif
