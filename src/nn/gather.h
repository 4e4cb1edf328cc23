/* gather.h - a per-pixel channel gather from several NHWC inputs (same N, H, W):
 * output channel j of each pixel is channel map[j] of input src[j]'s same pixel.
 * The CHANNELS fast steps run it (fuse.c's slices and shuffles, fuse_heads.c's head
 * outputs, fuse_gather.c's reads through Concats). */
#ifndef FC_NN_GATHER_H
#define FC_NN_GATHER_H

#include "nn/tensor.h"

typedef struct fc_gather fc_gather;

/* The most inputs a gather reads. */
enum { FC_GATHER_MAX_IN = 16 };

/* Plans the gather of co channels; in_channels[k] is input k's channel count (n_in
 * <= FC_GATHER_MAX_IN inputs). NULL when out of memory or n_in is too large. */
fc_gather *fc_gather_plan(const int *src, const int *map, int co, const int64_t *in_channels, int n_in);
/* Runs it: in[k] are the inputs, out the output. Allocates nothing. */
void fc_gather_run(const fc_gather *g, fc_tensor *const *in, fc_tensor *out);
void fc_gather_free(fc_gather *g);
/* Its map: output channel j is channel map[j] of input (*src)[j]. */
const int *fc_gather_map(const fc_gather *g, const int **src);
/* How many of its 16-channel blocks go channel by channel (not as vectors). */
int fc_gather_scalar_blocks(const fc_gather *g);

#endif
