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

/* Rows per block of mc_cl_dgemm_tn_parts. A multiple of MC_CL_CHUNK, so that a share of whole blocks
 * (GMM over ranks) is also a share of whole chunks. */
#define MC_CL_SUM_ROWS 4096

/* The partial products of C (m1, m2) = A^T B for A (n, m1) and B (n, m2) row-major (lda, ldb their row
 * strides): part + b * ldp (m1, m2) = A_b^T B_b for each block b of MC_CL_SUM_ROWS rows (the last one
 * shorter; ldp >= m1 * m2, so part holds ceil(n / MC_CL_SUM_ROWS) * ldp doubles), one single-threaded
 * dgemm each, run over nt threads: the same calls whatever nt, so the same bytes. The caller adds the
 * blocks in block order (GMM: with mc_dist_sum_ordered_f64, so that blocks held by other ranks join in
 * the same order). Call with OpenBLAS serial. */
void mc_cl_dgemm_tn_parts(int nt, int64_t n, int m1, int m2, const double *A, int lda, const double *B, int ldb,
                          double *part, int64_t ldp);

/* GMM (full): the bytes of per-block covariance sums held for one exchange, ~32 MB; as many components
 * are summed per exchange as fit (at least one). A variable so that the tests can force one component
 * per exchange; it changes the number of exchanges, never a result. */
extern double mc_cl_gmm_batch_bytes;

/* Check the points and k for an algorithm that needs k non-empty clusters: NaN/Inf, n >= k, and at
 * least k distinct rows. `what` names the algorithm in the message. */
mc_status mc_cl_check_k(const float *X, int64_t n, int64_t d, int k, const char *what);

/* Fill the algorithm-independent fields of a result and allocate labels (n). */
mc_status mc_cl_result_init(mc_clustering *out, mc_cluster_algo algo, int64_t n, int64_t d);

/* k-means's dot-product kernel paths (they all give the same bits). Tests only: force a path
 * (-1 = the best this CPU runs, the default); an unavailable one falls back to the best. */
enum { MC_CL_ISA_SCALAR = 0, MC_CL_ISA_AVX2, MC_CL_ISA_AVX512, MC_CL_ISA_COUNT };
bool mc_cl_kmeans_isa_available(int isa);
void mc_cl_kmeans_force_isa(int isa);
/* Tests only: the kernels of path isa on m <= MC_CL_CHUNK points X (m, d) and centres C (k, d), k <= 64:
 * D (k, MC_CL_CHUNK) = -2 C X^T; lab (m) = argmin_j (j / 2 + D[j][i]); pp_out (2 m) and pp_sum (2): the
 * k-means++ row of D[0] with |x|^2 = i / 4 - 3 and |c|^2 = 1.5, then again with 0.5 against the first.
 * INVALID_ARG outside those sizes, NO_MEMORY. */
mc_status mc_cl_kmeans_probe(int isa, const float *X, int64_t m, int64_t d, const float *C, int k, float *D,
                             int32_t *lab, float *pp_out, double *pp_sum);

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
