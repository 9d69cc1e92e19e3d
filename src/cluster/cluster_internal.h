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

/* Set OpenBLAS's thread count and return the previous one. The blocked loops run one BLAS call per
 * block inside an OpenMP region, so BLAS itself must be single-threaded there (as sklearn does with
 * threadpool_limits); calls made from the main thread use the resolved thread count. */
int mc_cl_blas_threads(int n);

/* Check the points and k for an algorithm that needs k non-empty clusters: NaN/Inf, n >= k, and at
 * least k distinct rows. `what` names the algorithm in the message. */
mc_status mc_cl_check_k(const float *X, int64_t n, int64_t d, int k, const char *what);

/* Fill the algorithm-independent fields of a result and allocate labels (n). */
mc_status mc_cl_result_init(mc_clustering *out, mc_cluster_algo algo, int64_t n, int64_t d);

/* k-means with an explicit stream base for the RNG (GMM's initialisation uses its own streams). */
mc_status mc_cl_kmeans_run(const mc_cluster_config *cfg, const float *X, int64_t n, int64_t d,
                           uint64_t stream_base, mc_clustering *out);

#endif
