/* The process group: Open MPI when built with it and started by a launcher, else one process. */
#include <musiclust/dist.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef MC_HAVE_MPI
#include <mpi.h>
#endif

struct mc_dist {
    int rank, size;
#ifdef MC_HAVE_MPI
    MPI_Comm comm;
#endif
};

bool mc_dist_built_with_mpi(void) {
#ifdef MC_HAVE_MPI
    return true;
#else
    return false;
#endif
}

/* Started by mpirun (Open MPI), srun / PMI-2 or a PMIx launcher? */
static bool launched(void) {
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK") || getenv("PMI_SIZE");
}

#ifdef MC_HAVE_MPI
static mc_status mpi_fail(int rc, const char *what) {
    char s[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, s, &len) != MPI_SUCCESS) snprintf(s, sizeof s, "error %d", rc);
    return mc_error_set(MC_STATUS_IO, "MPI %s failed: %s", what, s);
}
#define MPI_TRY(call, what)                                                                                       \
    do {                                                                                                          \
        int rc_ = (call);                                                                                         \
        if (rc_ != MPI_SUCCESS) return mpi_fail(rc_, what);                                                       \
    } while (0)
#endif

mc_status mc_dist_init(mc_dist **out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dist_init: out is NULL");
    *out = NULL;
    if (!launched()) return MC_STATUS_OK;
#ifdef MC_HAVE_MPI
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited) {
        int provided = 0;
        MPI_TRY(MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided), "initialisation");
        if (provided < MPI_THREAD_FUNNELED) {
            MPI_Finalize();
            return mc_error_set(MC_STATUS_UNSUPPORTED, "MPI does not provide MPI_THREAD_FUNNELED");
        }
    }
    mc_dist *d = calloc(1, sizeof *d);
    if (!d) return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory allocating the process group");
    d->comm = MPI_COMM_WORLD;
    /* errors come back as codes (turned into statuses), never as MPI's default abort */
    MPI_Comm_set_errhandler(d->comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(d->comm, &d->rank);
    MPI_Comm_size(d->comm, &d->size);
    if (d->size == 1) {
        /* mpirun -np 1: a group of one behaves exactly as a plain start */
        MPI_Finalize();
        free(d);
        return MC_STATUS_OK;
    }
    *out = d;
    return MC_STATUS_OK;
#else
    return mc_error_set(MC_STATUS_UNSUPPORTED,
                        "started by an MPI launcher, but this musiclust was built without MPI (rebuild with "
                        "Open MPI installed: libopenmpi-dev); refusing to run the whole job once per process");
#endif
}

void mc_dist_finalize(mc_dist *d) {
    if (!d) return;
#ifdef MC_HAVE_MPI
    int fin = 0;
    MPI_Finalized(&fin);
    if (!fin) MPI_Finalize();
#endif
    free(d);
}

int mc_dist_rank(const mc_dist *d) { return d ? d->rank : 0; }
int mc_dist_size(const mc_dist *d) { return d ? d->size : 1; }

void mc_dist_share(int64_t n, int rank, int size, int64_t *first, int64_t *count) {
    if (size < 1) size = 1;
    if (n < 0) n = 0;
    int64_t base = n / size, extra = n % size;
    *first = (int64_t)rank * base + (rank < extra ? rank : extra);
    *count = base + (rank < extra ? 1 : 0);
}

mc_status mc_dist_check(mc_dist *d, mc_status local) {
    if (!d) return local;
#ifdef MC_HAVE_MPI
    int mine = local == MC_STATUS_OK ? d->size : d->rank, first = d->size;
    MPI_TRY(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, d->comm), "error check");
    if (first == d->size) return MC_STATUS_OK;
    /* the lowest failing rank tells everyone its status and message */
    struct {
        int status;
        char msg[1024];
    } m;
    memset(&m, 0, sizeof m);
    if (d->rank == first) {
        m.status = (int)local;
        snprintf(m.msg, sizeof m.msg, "%s", mc_error_message());
    }
    MPI_TRY(MPI_Bcast(&m, (int)sizeof m, MPI_BYTE, first, d->comm), "error check");
    if (d->rank == first) return local;
    return mc_error_set((mc_status)m.status, "rank %d: %s", first, m.msg[0] ? m.msg : mc_status_name((mc_status)m.status));
#else
    return local;
#endif
}

void mc_dist_abort(mc_dist *d, int code) {
#ifdef MC_HAVE_MPI
    if (d) MPI_Abort(d->comm, code);
#else
    (void)d;
    (void)code;
#endif
}

mc_status mc_dist_barrier(mc_dist *d) {
    if (!d) return MC_STATUS_OK;
#ifdef MC_HAVE_MPI
    MPI_TRY(MPI_Barrier(d->comm), "barrier");
#endif
    return MC_STATUS_OK;
}

mc_status mc_dist_bcast(mc_dist *d, void *buf, size_t bytes, int root) {
    if (!d || bytes == 0) return MC_STATUS_OK;
#ifdef MC_HAVE_MPI
    /* in pieces of at most INT_MAX bytes (MPI counts are int) */
    for (size_t off = 0; off < bytes;) {
        size_t n = bytes - off < (size_t)INT_MAX ? bytes - off : (size_t)INT_MAX;
        MPI_TRY(MPI_Bcast((char *)buf + off, (int)n, MPI_BYTE, root, d->comm), "broadcast");
        off += n;
    }
#else
    (void)buf;
    (void)root;
#endif
    return MC_STATUS_OK;
}

mc_status mc_dist_sum_i64(mc_dist *d, int64_t *buf, int64_t n) {
    if (!d || n <= 0) return MC_STATUS_OK;
#ifdef MC_HAVE_MPI
    if (n > INT_MAX) return mc_error_set(MC_STATUS_UNSUPPORTED, "mc_dist_sum_i64: %lld values at once", (long long)n);
    MPI_TRY(MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_INT64_T, MPI_SUM, d->comm), "sum");
#else
    (void)buf;
#endif
    return MC_STATUS_OK;
}

mc_status mc_dist_max_f64(mc_dist *d, double *buf, int64_t n) {
    if (!d || n <= 0) return MC_STATUS_OK;
#ifdef MC_HAVE_MPI
    if (n > INT_MAX) return mc_error_set(MC_STATUS_UNSUPPORTED, "mc_dist_max_f64: %lld values at once", (long long)n);
    MPI_TRY(MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_DOUBLE, MPI_MAX, d->comm), "max");
#else
    (void)buf;
#endif
    return MC_STATUS_OK;
}

mc_status mc_dist_allgather(mc_dist *d, const void *send, size_t send_bytes, void *recv, size_t *recv_bytes,
                            size_t *total) {
    if (!d) {
        if (recv_bytes) recv_bytes[0] = send_bytes;
        if (total) *total = send_bytes;
        if (recv && send_bytes) memmove(recv, send, send_bytes);
        return MC_STATUS_OK;
    }
#ifdef MC_HAVE_MPI
    long long mine = (long long)send_bytes;
    long long *all = malloc((size_t)d->size * sizeof *all);
    int *counts = malloc((size_t)d->size * sizeof *counts), *displs = malloc((size_t)d->size * sizeof *displs);
    if (!all || !counts || !displs) {
        free(all);
        free(counts);
        free(displs);
        return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory allocating %d gather counts", d->size);
    }
    mc_status st = MC_STATUS_OK;
    int rc = MPI_Allgather(&mine, 1, MPI_LONG_LONG, all, 1, MPI_LONG_LONG, d->comm);
    if (rc != MPI_SUCCESS) st = mpi_fail(rc, "gather of sizes");
    long long sum = 0;
    for (int r = 0; !st && r < d->size; r++) {
        if (recv_bytes) recv_bytes[r] = (size_t)all[r];
        if (sum > INT_MAX || all[r] > INT_MAX - sum)
            st = mc_error_set(MC_STATUS_UNSUPPORTED, "mc_dist_allgather: more than %d bytes at once", INT_MAX);
        else {
            counts[r] = (int)all[r];
            displs[r] = (int)sum;
            sum += all[r];
        }
    }
    if (!st && total) *total = (size_t)sum;
    if (!st && recv) {
        rc = MPI_Allgatherv(send, (int)send_bytes, MPI_BYTE, recv, counts, displs, MPI_BYTE, d->comm);
        if (rc != MPI_SUCCESS) st = mpi_fail(rc, "gather");
    }
    free(all);
    free(counts);
    free(displs);
    return st;
#else
    (void)send;
    (void)recv;
    return MC_STATUS_OK;
#endif
}

/* out[j] = sum over p of parts[p][j], p in order (the one definition every path follows). */
static void sum_in_order(const double *parts, int64_t n_parts, int64_t len, int64_t ld, double *out) {
    for (int64_t j = 0; j < len; j++) {
        double s = 0.0;
        for (int64_t p = 0; p < n_parts; p++) s += parts[p * ld + j];
        out[j] = s;
    }
}

mc_status mc_dist_sum_ordered_f64(mc_dist *d, const double *mine, int64_t first, int64_t count, int64_t n_parts,
                                  int64_t len, double *out) {
    if (len < 0 || n_parts < 0 || first < 0 || count < 0 || first + count > n_parts || (len > 0 && !out) ||
        (count > 0 && len > 0 && !mine))
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dist_sum_ordered_f64: parts [%lld, +%lld) of %lld, length %lld",
                            (long long)first, (long long)count, (long long)n_parts, (long long)len);
    if (!d) {
        if (first != 0 || count != n_parts)
            return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dist_sum_ordered_f64: one process must hold all %lld parts",
                                (long long)n_parts);
        /* (out may be row 0 of mine: each out[j] is written after its column was read) */
        sum_in_order(mine, n_parts, len, len, out);
        return MC_STATUS_OK;
    }
#ifdef MC_HAVE_MPI
    const int R = d->size;
    /* every rank's share of the parts (they must tile 0..n_parts-1 in rank order) */
    int64_t *shares = malloc((size_t)R * 2 * sizeof *shares);
    int *scount = malloc((size_t)R * 4 * sizeof *scount);
    double *sendbuf = NULL, *recvbuf = NULL, *slice = NULL;
    mc_status st = shares && scount ? MC_STATUS_OK
                                    : mc_error_set(MC_STATUS_NO_MEMORY, "out of memory allocating %d share counts", R);
    int *sdispl = scount ? scount + R : NULL, *rcount = scount ? scount + 2 * R : NULL,
        *rdispl = scount ? scount + 3 * R : NULL;
    if (!st) {
        int64_t me[2] = {first, count};
        int rc = MPI_Allgather(me, 2, MPI_INT64_T, shares, 2, MPI_INT64_T, d->comm);
        if (rc != MPI_SUCCESS) st = mpi_fail(rc, "gather of shares");
    }
    int64_t next = 0;
    for (int r = 0; !st && r < R; r++) {
        if (shares[2 * r] != next)
            st = mc_error_set(MC_STATUS_INVALID_ARG, "mc_dist_sum_ordered_f64: rank %d holds parts from %lld, expected %lld",
                              r, (long long)shares[2 * r], (long long)next);
        next = shares[2 * r] + shares[2 * r + 1];
        if (!st && r == R - 1 && next != n_parts)
            st = mc_error_set(MC_STATUS_INVALID_ARG, "mc_dist_sum_ordered_f64: shares cover %lld of %lld parts", (long long)next,
                              (long long)n_parts);
    }
    /* slice r of the vector: columns [s0, s0 + sl) */
    int64_t s0 = 0, sl = 0;
    if (!st) mc_dist_share(len, d->rank, R, &s0, &sl);
    if (!st && ((double)n_parts * (double)(sl + 1) > (double)INT_MAX || (double)count * (double)len > (double)INT_MAX))
        st = mc_error_set(MC_STATUS_UNSUPPORTED, "mc_dist_sum_ordered_f64: %lld parts of %lld values exceed MPI's int counts",
                          (long long)n_parts, (long long)len);
    if (!st) {
        sendbuf = malloc((size_t)(count * len > 0 ? count * len : 1) * sizeof *sendbuf);
        recvbuf = malloc((size_t)(n_parts * sl > 0 ? n_parts * sl : 1) * sizeof *recvbuf);
        slice = malloc((size_t)(sl > 0 ? sl : 1) * sizeof *slice);
        if (!sendbuf || !recvbuf || !slice)
            st = mc_error_set(MC_STATUS_NO_MEMORY, "out of memory allocating %lld x %lld values for an ordered sum",
                              (long long)n_parts, (long long)len);
    }
    if (!st) {
        /* to rank r: my parts' slice r, part by part */
        int off = 0;
        for (int r = 0; r < R; r++) {
            int64_t a, n;
            mc_dist_share(len, r, R, &a, &n);
            sdispl[r] = off;
            scount[r] = (int)(count * n);
            for (int64_t p = 0; p < count; p++) memcpy(sendbuf + off + p * n, mine + p * len + a, (size_t)n * sizeof(double));
            off += scount[r];
            rcount[r] = (int)(shares[2 * r + 1] * sl);
            rdispl[r] = (int)(shares[2 * r] * sl);
        }
        int rc = MPI_Alltoallv(sendbuf, scount, sdispl, MPI_DOUBLE, recvbuf, rcount, rdispl, MPI_DOUBLE, d->comm);
        if (rc != MPI_SUCCESS) st = mpi_fail(rc, "exchange of partial sums");
    }
    if (!st) {
        /* recvbuf (n_parts, sl): every part's slice, in part order */
        sum_in_order(recvbuf, n_parts, sl, sl, slice);
        for (int r = 0; r < R; r++) {
            int64_t a, n;
            mc_dist_share(len, r, R, &a, &n);
            rcount[r] = (int)n;
            rdispl[r] = (int)a;
        }
        int rc = MPI_Allgatherv(slice, (int)sl, MPI_DOUBLE, out, rcount, rdispl, MPI_DOUBLE, d->comm);
        if (rc != MPI_SUCCESS) st = mpi_fail(rc, "gather of sums");
    }
    free(shares);
    free(scount);
    free(sendbuf);
    free(recvbuf);
    free(slice);
    return st;
#else
    return mc_error_set(MC_STATUS_UNSUPPORTED, "mc_dist_sum_ordered_f64: no MPI in this build");
#endif
}
