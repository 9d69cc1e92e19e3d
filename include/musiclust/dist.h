/* musiclust dist: the process group. One process, or R processes started by mpirun / srun (Open MPI),
 * seen through one small interface so that the modules that distribute work (extract, train, k-means,
 * GMM, metrics, run) never call MPI themselves and everything else never sees it.
 *
 * A NULL `mc_dist *` is the group of one process everywhere: rank 0, size 1, and every collective is
 * the identity (a copy where it has an output). A build without MPI (cmake -DMC_MPI=OFF, or Open MPI
 * not installed) has the same interface; mc_dist_init then always gives one process.
 *
 * Determinism across ranks: the only reduction offered on floating-point data is
 * mc_dist_sum_ordered_f64, which adds a fixed list of partial vectors in the list's order on every rank,
 * so the result does not depend on how the partials were shared out among the ranks (nor on their
 * number). Callers make partials over blocks fixed by the problem (never by the rank count).
 *
 * Collectives must be called by every rank of the group in the same order, from the thread that
 * called mc_dist_init (MPI_THREAD_FUNNELED). They never print or exit; a failure of the transport is
 * MC_STATUS_IO with MPI's error string. mc_dist_check is the collective error check that keeps a
 * failing rank from leaving the others waiting: call it after any step that can fail on one rank
 * only, before the next collective. */
#ifndef MUSICLUST_DIST_H
#define MUSICLUST_DIST_H

#include <musiclust/core.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mc_dist mc_dist;

/* true when this library was built with MPI. */
bool mc_dist_built_with_mpi(void);

/* The group this process belongs to. Started by a launcher (the environment has OMPI_COMM_WORLD_SIZE,
 * PMIX_RANK or PMI_RANK, as mpirun and srun set) and built with MPI: MPI_Init_thread(FUNNELED) and
 * MPI_COMM_WORLD; *out is NULL for a plain start (one process: no MPI initialisation at all, so a
 * single run never pays for MPI's start-up). Launched by mpirun but built without MPI: MC_STATUS_UNSUPPORTED
 * ("this musiclust was built without MPI"), so R copies never each redo the whole job unknowingly.
 * Call once per process, before any other dist function. */
mc_status mc_dist_init(mc_dist **out);
/* MPI_Finalize and free. NULL ok. */
void mc_dist_finalize(mc_dist *d);

int mc_dist_rank(const mc_dist *d); /* 0 for NULL */
int mc_dist_size(const mc_dist *d); /* 1 for NULL */

/* Rows [*first, *first + *count) of n for `rank` of `size`: contiguous shares, the first n % size
 * ranks one row more. A pure function (no communication). */
void mc_dist_share(int64_t n, int rank, int size, int64_t *first, int64_t *count);

/* Collective error check. Every rank passes its own status (and has left its message with
 * mc_error_set when it failed). Returns MC_STATUS_OK on every rank when all passed OK; otherwise every
 * rank returns the status of the lowest failing rank, with the message "rank R: <its message>" (on
 * the failing rank itself its own message, unchanged). */
mc_status mc_dist_check(mc_dist *d, mc_status local);

/* End every process of the group now with exit code `code` (MPI_Abort); for a failure that a rank
 * cannot report through mc_dist_check (e.g. in the middle of a sequence of collectives). With NULL
 * (one process) it does nothing and returns: the caller exits normally. */
void mc_dist_abort(mc_dist *d, int code);

mc_status mc_dist_barrier(mc_dist *d);

/* buf (bytes) from `root` to every rank. */
mc_status mc_dist_bcast(mc_dist *d, void *buf, size_t bytes, int root);

/* Element-wise sums over the ranks, in place, on every rank (exact for integers). */
mc_status mc_dist_sum_i64(mc_dist *d, int64_t *buf, int64_t n);
/* Element-wise max over the ranks, in place (for error flags, counts, extents). */
mc_status mc_dist_max_f64(mc_dist *d, double *buf, int64_t n);

/* Concatenate every rank's `send` (send_bytes, may differ per rank, may be 0) in rank order into
 * `recv` on every rank; recv_bytes (size) receives each rank's count (may be NULL); *total the sum
 * (may be NULL). recv must hold the total: call with recv NULL first to learn it (that call is a
 * collective too), or size it from known shares. */
mc_status mc_dist_allgather(mc_dist *d, const void *send, size_t send_bytes, void *recv, size_t *recv_bytes,
                            size_t *total);

/* out (len) = parts[0] + parts[1] + ... + parts[n_parts - 1], added left to right in double, the
 * same bytes on every rank whatever the number of ranks and however the parts are shared out. This
 * rank holds parts [first, first + count) in `mine` ((count, len) row-major); the shares of the ranks
 * must tile 0..n_parts-1 in rank order (e.g. mc_dist_share). Communication: each rank receives the
 * parts of one slice of the vector (~n_parts * len / size doubles), adds them in order, and the slices
 * are gathered: ~(n_parts + 1) * len doubles move in all. `out` may alias `mine` only when
 * count == n_parts (one process). */
mc_status mc_dist_sum_ordered_f64(mc_dist *d, const double *mine, int64_t first, int64_t count, int64_t n_parts,
                                  int64_t len, double *out);

#ifdef __cplusplus
}
#endif
#endif
