/* fast.h - the fast path: oneDNN primitives over channels-last (NHWC) activations.
 *
 * fuse.c decides, for a context, which steps run on oneDNN: a Conv together with
 * what follows it (a folded BatchNormalization, activations, PRelu, SiLU, a residual
 * Add), pools, elementwise and binary ops, channel Concat. Their activations stay
 * NHWC between fast steps; conversion steps appear only where a reference kernel or
 * a graph output needs ONNX's NCHW. dnnl.c builds the primitives (at context
 * creation, cached for the context's shapes) and binds them to the planned arena.
 */
#ifndef FC_NN_FAST_H
#define FC_NN_FAST_H

#include "nn/ctx.h"
#include "nn/ops/inspect.h"

typedef enum {
    FC_FAST_CONV,
    FC_FAST_MAX_POOL,
    FC_FAST_AVG_POOL,    /* padding excluded from the divisor */
    FC_FAST_GLOBAL_AVG_POOL,
    FC_FAST_ELTWISE,
    FC_FAST_BINARY,
    FC_FAST_CONCAT,      /* along channels */
    FC_FAST_PRELU,       /* per-channel slope (as a conv post-op oneDNN 2.6 only has a
                          * reference implementation, so it runs on its own) */
    FC_FAST_CHANNELS,    /* a per-pixel channel gather: a channel Slice, a channel
                          * shuffle (Reshape, Transpose, Reshape), or both; own kernel */
    FC_FAST_REPEAT,      /* nearest upsampling by integer factors, and the Add that
                          * alone reads it (one ADD post-op); own kernel */
    FC_FAST_TO_NHWC,     /* the layout conversion steps, as oneDNN reorders */
    FC_FAST_TO_NCHW,
    FC_FAST_PWDW,        /* 1x1 -> depthwise 3x3 (-> 2x2 max pool) fused; own kernel
                          * (pwdw.c), made by fuse_pwdw.c from the steps it replaces */
} fc_fast_kind;

typedef enum { FC_POST_ELTWISE, FC_POST_ADD } fc_post_kind;

/* Elementwise functions, in oneDNN's terms (fuse.c maps ONNX ops to these). */
typedef enum {
    FC_ELT_RELU,      /* alpha: negative slope (LeakyRelu) */
    FC_ELT_LOGISTIC,
    FC_ELT_TANH,
    FC_ELT_CLIP,      /* alpha = lo, beta = hi */
    FC_ELT_HARDSWISH,
    FC_ELT_SWISH,     /* x * sigmoid(x) */
    FC_ELT_EXP,
    FC_ELT_SQRT,
} fc_elt_alg;

typedef enum { FC_BIN_ADD, FC_BIN_SUB, FC_BIN_MUL, FC_BIN_DIV } fc_bin_alg;

#define FC_FAST_MAX_POST 8
/* Inputs of one fast step at most (a channel Concat's): fuse.c builds no larger
 * step, and dnnl.c sizes a step's oneDNN arguments by it. */
#define FC_FAST_MAX_IN 64

typedef struct {
    fc_post_kind kind;
    fc_elt_alg alg;
    float alpha, beta;
    int input;              /* ADD: which step input is the addend */
} fc_post_op;

/* Everything needed to build one fast step's primitive. Tensors are constants that
 * live as long as the context (model initializers or folded values). */
typedef struct {
    fc_fast_kind kind;
    fc_window win;               /* CONV, pools */
    const fc_tensor *w, *b;      /* CONV weights (M, C/group, kH, kW) and bias */
    const fc_tensor *bn[4];      /* CONV: a BatchNormalization folded in (scale, B,
                                  * mean, var), or NULLs */
    int src_nchw;                /* CONV: reads its input as ONNX has it (NCHW): a first
                                  * layer on an image, no conversion step (dnnl.c) */
    float bn_eps;
    fc_elt_alg elt;              /* ELTWISE */
    int flat;                    /* ELTWISE on the elements as they lie, any rank and
                                  * layout (fuse_flat.c: detector tails in NCHW) */
    float alpha, beta;
    fc_bin_alg bin;              /* BINARY: in[1] may broadcast as [1,C,1,1] or [1] */
    const fc_tensor *slope;      /* PRELU: C floats */
    int64_t rep_h, rep_w;        /* REPEAT: factors */
    int64_t ch_first;            /* CHANNELS: output channel j reads input channel */
    int64_t ch_groups;           /* shuffle(ch_first + j), where shuffle(c) with g groups
                                  * of C/g is (c % g) * (C/g) + c / g; g = 0: identity */
    int n_post;
    fc_post_op post[FC_FAST_MAX_POST];
} fc_fast_desc;

/* dnnl.c: builds the primitive for step s (inputs and outputs NHWC, 4-D float,
 * shapes already inferred); FC_ERR_UNSUPPORTED when oneDNN declines it, in which
 * case the caller keeps the reference steps. */
fc_status fc_fast_create(fc_nn_ctx *ctx, fc_step *s, const fc_fast_desc *d, fc_error *err);
/* dnnl.c: what a fast step was built from. */
const fc_fast_desc *fc_fast_desc_of(const fc_fast *f);
/* Is step s a fast step of this kind? */
static inline int fc_step_is_fast(const fc_step *s, fc_fast_kind kind)
{
    return s->kind == FC_STEP_FAST && s->fast && fc_fast_desc_of(s->fast)->kind == kind;
}

/* dnnl.c: a oneDNN reorder for conversion step s (FC_STEP_TO_NHWC or _TO_NCHW);
 * without one the step runs fc_layout_convert. */
fc_status fc_fast_create_convert(fc_nn_ctx *ctx, fc_step *s, fc_error *err);
/* dnnl.c: binds every fast step to its planned memory; prepares weights once. */
fc_status fc_fast_bind(fc_nn_ctx *ctx, fc_error *err);
/* dnnl.c: runs a fast step. */
fc_status fc_fast_run(const fc_step *s, fc_error *err);
/* dnnl.c: thread count for the runs about to happen on this calling thread, and its
 * workers' C++ allocations from ctx's pool until fc_fast_end_run (newpool.h). */
void fc_fast_begin_run(const fc_nn_ctx *ctx);
void fc_fast_end_run(const fc_nn_ctx *ctx);
void fc_fast_free(fc_fast *f);
/* dnnl.c: the oneDNN implementation a fast step runs ("brgconv:avx512_core"). */
const char *fc_fast_impl(const fc_step *s);
/* dnnl.c: a conv's weights w (M, ...) and bias b (or NULL) with a BatchNormalization
 * bn (scale, B, mean, var; bn[0] NULL: none) folded in: w' = w * s and
 * b' = (b - mean) * s + B per output channel, s = scale / sqrt(var + eps) (s = 1 and
 * b' = b without one). w_out has w's size, b_out M floats. */
void fc_fold_conv(const fc_tensor *w, const fc_tensor *b, const fc_tensor *const bn[4], float eps,
                  float *w_out, float *b_out);
/* dnnl.c: a fast step running the fused kernel k (owned from then on; freed on
 * failure); first (0, FC_PWDW_FIRST_PRE or FC_PWDW_FIRST_STEM: its stage before the
 * 1x1) and pool (an fc_pwdw_pool) say what it has (for fc_fast_impl). With
 * FC_PWDW_POOL_TOO the step has two outputs: the depthwise's and the pool's. */
struct fc_pwdw;
enum { FC_PWDW_FIRST_PRE = 1, FC_PWDW_FIRST_STEM = 2 };
fc_fast *fc_fast_wrap_pwdw(struct fc_pwdw *k, int first, int pool, fc_error *err);
/* fuse_pwdw.c: replaces each (depthwise 3x3 ->) 1x1 -> depthwise 3x3 (-> 2x2 max
 * pool) chain of fast steps by one step of the fused kernel, where the kernel
 * applies (pwdw.h). */
fc_status fc_fast_fuse_pwdw(fc_nn_ctx *ctx, fc_error *err);
/* fuse_heads.c: sibling convolutions of one input (detector heads) as one
 * convolution and a channel gather per head, where that saves vector blocks. */
fc_status fc_fast_fuse_heads(fc_nn_ctx *ctx, fc_error *err);
/* dnnl.c: a CHANNELS step gathering output channel j from channel map[j] of its
 * input src[j] (the step's n_in inputs in order, in_channels[k] channels each; src
 * and map have co entries). */
fc_fast *fc_fast_wrap_gather(const int *src, const int *map, int co, const int64_t *in_channels, int n_in,
                             fc_error *err);
/* dnnl.c: a CHANNELS step's map: output channel j is channel map[j] of input
 * (*src)[j]. */
const int *fc_fast_gather_map(const fc_fast *f, const int **src);
/* dnnl.c: how many 16-channel blocks a CHANNELS step gathers channel by channel. */
int fc_fast_gather_scalar_blocks(const fc_fast *f);
/* fuse_gather.c: a Concat or channel gather that only channel gathers read is
 * dropped; they gather from its inputs instead. */
fc_status fc_fast_fuse_gather(fc_nn_ctx *ctx, fc_error *err);
/* fuse_concat_conv.c: a 1x1 conv of a two-input Concat runs as two convs, the
 * second adding to the first, without the Concat. */
fc_status fc_fast_fuse_concat_conv(fc_nn_ctx *ctx, fc_error *err);
/* fuse_flat.c: Sigmoid, Exp and Tanh steps left on reference kernels (after a
 * detector's Reshapes) run as flat oneDNN eltwise steps. */
fc_status fc_fast_fuse_flat(fc_nn_ctx *ctx, fc_error *err);

/* dnnl.c: denormal floats flushed to zero (FTZ/DAZ) on the calling thread; returns
 * the previous state for fc_denormals_restore. Face models' weights and activations
 * hold denormals that cost x86 ~100 cycles each: measured on fr_feature, 63 ms with
 * them, 3.3 ms without, with outputs unchanged within the parity bounds. */
unsigned fc_denormals_off(void);
void fc_denormals_restore(unsigned saved);

/* fuse.c: is the environment variable name (a fusing pass's switch, FC_NN_PWDW, ...)
 * set to "0"? Then the pass is off. */
int fc_fast_switched_off(const char *name);

/* fuse.c: rewrites ctx->steps to use the fast path where it applies. */
fc_status fc_fast_compile(fc_nn_ctx *ctx, fc_error *err);

/* nhwc.c: copies a 4-D float tensor between NCHW and NHWC (to_nhwc says which way). */
void fc_layout_convert(const fc_tensor *in, fc_tensor *out, int to_nhwc);

/* nhwc.c: NHWC nearest upsampling, out[y, x] = in[y / rh, x / rw], plus add[y, x]
 * when add (out's shape) is not NULL. */
void fc_repeat_pixels(const fc_tensor *in, const fc_tensor *add, fc_tensor *out, int64_t rh, int64_t rw);

#endif
