/* k-means's kernels (kmeans_kernels.c), used by kmeans.c; not part of the public API. */
#ifndef MUSICLUST_CLUSTER_KMEANS_KERNELS_H
#define MUSICLUST_CLUSTER_KMEANS_KERNELS_H

#include "cluster_internal.h"

/* Points per block of the transposed copy of X, and blocks per step of the kernel. */
#define KM_BLK 16
#define KM_STEP 4

/* XT: X transposed block by block, (nblk, d, KM_BLK): XT[b][f][l] = X[KM_BLK b + l][f], rows past n
 * zero; nblk is a multiple of KM_STEP, so every chunk of MC_CL_CHUNK rows (a multiple of KM_BLK
 * KM_STEP) is a whole number of kernel steps. With the points in the lanes, one broadcast centre
 * coordinate serves 16 points and the results come out point-contiguous per centre. */
static inline int64_t mc_cl_km_nblk(int64_t n) { return (n + KM_BLK * KM_STEP - 1) / (KM_BLK * KM_STEP) * KM_STEP; }

/* XT (mc_cl_km_nblk(n), d, KM_BLK) = X (n, d) transposed block by block, over nt threads. */
void mc_cl_km_transpose(const float *X, int64_t n, int64_t d, int nt, float *XT);

/* D (k, MC_CL_CHUNK): D[j][16 b + l] = -2 (x . c_j) for the point in lane l of block b, for the nb
 * blocks (a multiple of KM_STEP) of XT starting at XT (blocks of d x 16) and the k rows of C (k, d).
 * Each dot is one chain of fused multiply-adds over f = 0..d-1 in order (acc = fmaf(x_f, c_f, acc)
 * from 0), the same in every lane of every path, so the AVX-512, AVX2 and scalar paths give the same
 * bits, and each entry is independent of the others: no block or thread split can change it.
 * (sgemm's result depends on OpenBLAS's kernel; this does not.) */
typedef void (*km_dots_fn)(const float *XT, int64_t nb, int64_t d, const float *C, int k, float *D);

/* Point-wise kernels.
 *
 * pp: one candidate's row of a k-means++ step, m points: dd_i = max((xs_i + cs) + D_i, 0) (NaN -> 0),
 *     then min(cl_i, dd_i) unless cl is NULL; out_i = dd_i; returns sum_i dd_i in double, point i in
 *     lane i % 16, the lanes added as ((l + l+8) then + l+4, + l+2, + l+1): one fixed order on every
 *     path.
 * argmin: lab_i = argmin_j (c_sq_j + D[j][i]) over j < k, the first on ties (D (k, CHUNK)).
 * add_row: a[f] += x[f] in double, f < d, element by element. */
typedef double (*km_pp_fn)(const float *xs, float cs, const float *D, const float *cl, float *out, int64_t m);
typedef void (*km_argmin_fn)(const float *D, const float *c_sq, int k, int64_t m, int32_t *lab);
typedef void (*km_add_fn)(double *a, const float *x, int64_t d);

typedef struct mc_cl_km_kern {
    km_dots_fn dots;
    km_pp_fn pp;
    km_argmin_fn argmin;
    km_add_fn add_row;
} mc_cl_km_kern;

/* The kernels of the forced path (mc_cl_kmeans_force_isa) if it runs here, else of the best available. */
mc_cl_km_kern mc_cl_km_kernels(void);

#endif
