/* Helpers shared by the files of src/cluster; not part of the public API. */
#ifndef MUSICLUST_CLUSTER_INTERNAL_H
#define MUSICLUST_CLUSTER_INTERNAL_H

#include <musiclust/cluster.h>

/* Rows per block in the blocked distance loops: small enough that a block's distances stay in L1/L2
 * and that every sgemm/dgemm call is below OpenBLAS's single-thread threshold, as sklearn's 256-row
 * chunks in _k_means_lloyd.pyx. Block boundaries never depend on the thread count. */
#define MC_CL_CHUNK 256

/* Element operations below which a step that is repeated thousands of times (a nearest-neighbour
 * query of Ward's chain, a step of Prim's tree) runs on one thread. Each parallel step ends in a join,
 * and on a shared machine a thread the OS has preempted holds that join for a scheduler time slice
 * (milliseconds): 60,000 such joins made Ward on 20,000 points take minutes instead of seconds. Only
 * steps long enough to hide that are split. A variable so that the tests can force the parallel path. */
extern int64_t mc_cl_par_min_work;

/* C (n, nc) = alpha A (n, d) op(B) + beta C for a tall A (row-major, op(B) (d, nc): B is (nc, d) when
 * tb, else (d, nc)), with A's rows cut into blocks of MC_CL_CHUNK rows, one single-threaded dgemm each,
 * run over nt threads: the same calls whatever nt, so the same bytes (core.h,
 * mc_threads_blas_serial_begin). Call with OpenBLAS serial. */
void mc_cl_dgemm_rows(int nt, bool tb, int64_t n, int nc, int d, double alpha, const double *A,
                      const double *B, double beta, double *C);

/* Rows per block of mc_cl_dgemm_tn's sum. */
#define MC_CL_SUM_ROWS 4096

/* C (m1, m2) = A^T B for A (n, m1) and B (n, m2) row-major (lda, ldb their row strides): the sum over
 * the n rows taken as partial products of blocks of MC_CL_SUM_ROWS rows (in parallel over nt
 * threads), added in block order -- the same bytes for any nt. part: scratch of
 * ceil(n / MC_CL_SUM_ROWS) * m1 * m2 doubles. Call with OpenBLAS serial. */
void mc_cl_dgemm_tn(int nt, int64_t n, int m1, int m2, const double *A, int lda, const double *B, int ldb,
                    double *C, double *part);

/* Check the points and k for an algorithm that needs k non-empty clusters: NaN/Inf, n >= k, and at
 * least k distinct rows. `what` names the algorithm in the message. */
mc_status mc_cl_check_k(const float *X, int64_t n, int64_t d, int k, const char *what);

/* Fill the algorithm-independent fields of a result and allocate labels (n). */
mc_status mc_cl_result_init(mc_clustering *out, mc_cluster_algo algo, int64_t n, int64_t d);

/* k-means with an explicit stream base for the RNG (GMM's initialisation uses its own streams). */
mc_status mc_cl_kmeans_run(const mc_cluster_config *cfg, const float *X, int64_t n, int64_t d,
                           uint64_t stream_base, mc_clustering *out);

/* Root of x in the union-find forest parent (parent[r] == r at a root), compressing the path
 * (agglomerative's tree building, DBSCAN's core components). */
int64_t mc_cl_uf_find(int64_t *parent, int64_t x);

/* The start of a k-based algorithm: *out zeroed, cfg validated, X checked for k clusters (what names
 * the algorithm in messages). */
mc_status mc_cl_begin(const mc_cluster_config *cfg, const float *X, int64_t n, int64_t d, const char *what,
                      mc_clustering *out);

#endif
