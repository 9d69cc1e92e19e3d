/* metrics module internals: the one noise helper every metric goes through, argument checks, and the
 * silhouette's SIMD kernels (exposed so tests can check every instruction-set path gives identical
 * bits). */
#ifndef MC_METRICS_INTERNAL_H
#define MC_METRICS_INTERNAL_H

#include <musiclust/metrics.h>

/* Cluster ids encoded once, for every metric (see NOISE CONVENTION in metrics.h): ids >= 0 become
 * dense indices 0..k-1 in ascending id order; noise (-1) becomes -1. Internal metrics then skip the
 * rows with dense -1; label metrics pool them into one row (mc__clusters_row). */
typedef struct mc__clusters {
    int64_t n;       /* rows */
    int64_t n_noise; /* rows with id -1 */
    int64_t n_used;  /* n - n_noise */
    int k;           /* distinct non-noise ids */
    int32_t *ids;    /* (k) ascending distinct non-noise ids */
    int32_t *dense;  /* (n) 0..k-1, or -1 for noise */
    int64_t *size;   /* (k) rows per dense cluster */
} mc__clusters;

/* Fails (INVALID_ARG) on an id < -1, naming its row. */
mc_status mc__clusters_encode(const int32_t *cluster, int64_t n, mc__clusters *out);
void mc__clusters_free(mc__clusters *c);
/* The label-metric row of a dense id: noise pooled into row 0, cluster c into row c + 1. */
static inline int64_t mc__clusters_row(int32_t dense) { return (int64_t)dense + 1; }

/* Check X (n, d) and cluster (n): sizes, NULL pointers, NaN/Inf (NUMERIC, naming row and column). */
mc_status mc__metrics_check_input(const float *X, int64_t n, int d, const int32_t *cluster,
                                  const char *fn);
/* Fill the counts of info from cl and set the note when 2 <= k <= n_used - 1 does not hold (returns
 * false then). */
bool mc__internal_defined(const mc__clusters *cl, mc_internal_scores *info);

/* ---------------------------------------------------------------- silhouette kernels */

enum { MC__ISA_SCALAR = 0, MC__ISA_SSE2, MC__ISA_AVX2, MC__ISA_AVX512, MC__ISA_COUNT };

typedef struct mc__sil_kernels {
    int isa;
    const char *name;
    /* One tile row: g[j] = sqrt(max((g[j] + ni) + nj[j], 0)) turns -2 x.y into distances, and
     * sums[s] = the sum of g over segment s = [bounds[s], bounds[s+1]) (bounds[0] = 0, nseg
     * segments), element j of a segment in lane (j - bounds[s]) % 8, lanes combined as
     * ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)): the same order, hence the same bits, on every path. An
     * entry whose squared distance is below (ni + nj[j]) / 1024 is set to -1 and left out of its sum
     * (the caller recomputes it directly). Returns how many were flagged. */
    int64_t (*dist_sums)(double *g, double ni, const double *nj, const int64_t *bounds, int nseg, double *sums);
    /* acc[j] += x[j] for j < n. */
    void (*add)(double *acc, const double *x, int64_t n);
    /* D (bi, 8 nv): the distances between the rows of XI (bi, d) (squared norms ni) and the columns
     * of PJ (nv panels of 8 columns, each (d, 8); squared norms nj (8 nv)), -1 for a pair flagged as
     * in dist_sums; the products are fma chains over f in order from 0 (the same bits on every path).
     * NULL on a CPU without FMA instructions: dgemm and dist_sums are used then, on every path. */
    void (*tile)(const double *XI, int64_t bi, const double *ni, const double *PJ, const double *nj, int64_t nv,
                 int d, double *D);
    /* sums[s] = the sum of the non-negative entries of g over segment s, in dist_sums's lanes and
     * order; returns the number of negative (flagged) entries. */
    int64_t (*seg_sums)(const double *g, const int64_t *bounds, int nseg, double *sums);
} mc__sil_kernels;

/* Whether this CPU runs the path (scalar always). */
bool mc__sil_isa_available(int isa);
/* The kernels of a path; an unavailable path falls back to the best available. */
mc__sil_kernels mc__sil_kernels_get(int isa);
/* Tests only: make the silhouette use this path (-1 = the best available, the default). */
void mc__sil_force_isa(int isa);
/* The forced path (-1: none). */
int mc__sil_forced_isa(void);
/* Tests only: make one process (a NULL or one-rank dist) take the path of R > 1 ranks (the parts,
 * their sum in order, the gather), to check it gives the bytes of the usual path. mode 0: off (the
 * group decides); 1: SYMMETRIC's parts added by the chain of broadcasts; 2: by the ordered sum. */
void mc__sil_force_ranks(int mode);

#endif
