/* The fitted lyrics model, shared by src/text/lyrics.c (fit, transform) and src/text/lyrics_io.c (save,
 * load); not part of the public API. */
#ifndef MUSICLUST_LYRICS_INTERNAL_H
#define MUSICLUST_LYRICS_INTERNAL_H

#include "text_internal.h"

enum { BLOCK_WORD = 0, BLOCK_CHAR = 1, N_BLOCKS = 2 };
static const char *const BLOCK_NAME[N_BLOCKS] = {"word", "char"};

struct mc_lyrics_model {
    int dim;                          /* output columns */
    int rank;                         /* output columns computed (k - drop) */
    int k;                            /* SVD components kept in the model, the dropped one included */
    int drop;                         /* 1: the first component is left out */
    bool normalize;                   /* unit-norm output rows */
    uint64_t seed;                    /* of the SVD fit (recorded, not used by transform) */
    int svd_iter, svd_oversamples;    /* idem */
    mc_tfidf *block[N_BLOCKS];        /* NULL when the block is not used */
    double weight[N_BLOCKS];          /* scale of each block's unit rows (sqrt of its share) */
    int64_t offset[N_BLOCKS];         /* first column of each block in the concatenation */
    int64_t n_features;               /* columns of the concatenation */
    float *components_t;              // (n_features, k) row-major: V, so that a term's k weights are contiguous
    double *singular_values;          // (k)
    double *explained_variance_ratio; // (k)
};

/* components_t, singular_values and explained_variance_ratio for n_features x k (set before). */
mc_status mc_lyrics_model_alloc_svd(mc_lyrics_model *m);
/* Block weights and column offsets from the blocks present and the word share. */
void mc_lyrics_model_set_layout(mc_lyrics_model *m, double word_weight);

#endif
