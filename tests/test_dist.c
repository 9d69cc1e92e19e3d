/* dist: the process group. Runs as a plain process (the one-process group: identities) and, where the
 * build has MPI, under `mpirun -np 2` and `-np 3` (CTest cases test_dist_np2 / _np3): shares, broadcast,
 * integer sums, gathers of uneven sizes, the ordered floating-point sum (the same bytes as one process
 * adding the same parts, whatever the rank count), and the collective error check (a failure on one
 * rank reaches every rank with its message, nobody hangs). */
#include <musiclust/dist.h>

#include "mc_test.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Part p of the ordered-sum test: values of very different magnitudes, so that the order of the
 * additions shows in the last bits. */
static double part_value(int64_t p, int64_t j) {
    uint64_t h = (uint64_t)(p * 1000003 + j) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    double u = (double)(h >> 11) / 9007199254740992.0; /* [0, 1) */
    int e = (int)(h % 40) - 20;
    return (u - 0.5) * ldexp(1.0, e);
}

int main(void) {
    mc_dist *d = NULL;
    if (getenv("MC_TEST_EXPECT_REFUSAL")) {
        /* a build without MPI started as if by mpirun must refuse, not run the job once per process */
        mc_status st = mc_dist_init(&d);
        MC_CHECK(st == MC_STATUS_UNSUPPORTED && strstr(mc_error_message(), "built without MPI"),
                 "launched without MPI support: status %d (%s)", (int)st, mc_error_message());
        return mc_test_summary("test_dist (refusal)");
    }
    MC_CHECK_OK(mc_dist_init(&d));
    const int rank = mc_dist_rank(d), size = mc_dist_size(d);
    printf("rank %d of %d (built %s MPI)\n", rank, size, mc_dist_built_with_mpi() ? "with" : "without");

    /* shares tile 0..n-1 in rank order, sizes differ by at most one */
    for (int64_t n = 0; n < 20; n++)
        for (int s = 1; s <= 5; s++) {
            int64_t next = 0, lo = INT64_MAX, hi = 0;
            for (int r = 0; r < s; r++) {
                int64_t f, c;
                mc_dist_share(n, r, s, &f, &c);
                MC_CHECK(f == next, "share(%lld, %d of %d) starts at %lld, want %lld", (long long)n, r, s, (long long)f,
                         (long long)next);
                next = f + c;
                lo = c < lo ? c : lo;
                hi = c > hi ? c : hi;
            }
            MC_CHECK(next == n && hi - lo <= 1, "shares of %lld over %d ranks", (long long)n, s);
        }

    /* broadcast from the last rank */
    char msg[32];
    snprintf(msg, sizeof msg, "hello from %d", rank);
    MC_CHECK_OK(mc_dist_bcast(d, msg, sizeof msg, size - 1));
    char want[32];
    snprintf(want, sizeof want, "hello from %d", size - 1);
    MC_CHECK(strcmp(msg, want) == 0, "bcast: got '%s', want '%s'", msg, want);

    /* integer sums and max */
    int64_t v[3] = {rank, 1, (int64_t)1 << 40};
    MC_CHECK_OK(mc_dist_sum_i64(d, v, 3));
    MC_CHECK(v[0] == (int64_t)size * (size - 1) / 2 && v[1] == size && v[2] == (int64_t)size << 40,
             "sum_i64: %lld %lld %lld", (long long)v[0], (long long)v[1], (long long)v[2]);
    double mx = rank * 1.5;
    MC_CHECK_OK(mc_dist_max_f64(d, &mx, 1));
    MC_CHECK(mx == (size - 1) * 1.5, "max_f64 %g", mx);

    /* gather of uneven sizes (rank r sends r + 1 bytes of value r), rank 0 possibly empty */
    size_t total = 0;
    size_t *counts = mc_test_xcalloc((size_t)size, sizeof *counts);
    unsigned char mine[8];
    memset(mine, rank, sizeof mine);
    size_t nb = (size_t)(rank % 3);
    MC_CHECK_OK(mc_dist_allgather(d, mine, nb, NULL, counts, &total));
    unsigned char *all = mc_test_xcalloc(total + 1, 1);
    MC_CHECK_OK(mc_dist_allgather(d, mine, nb, all, counts, &total));
    size_t off = 0;
    int bad = 0;
    for (int r = 0; r < size; r++) {
        if (counts[r] != (size_t)(r % 3)) bad++;
        for (size_t i = 0; i < counts[r]; i++) bad += all[off + i] != (unsigned char)r;
        off += counts[r];
    }
    MC_CHECK(bad == 0 && off == total, "allgather: %d wrong bytes or counts", bad);
    free(all);
    free(counts);

    /* the ordered sum: 7 parts (shared unevenly for 2 and 3 ranks) of 1001 values */
    const int64_t n_parts = 7, len = 1001;
    double *ref = mc_test_xcalloc((size_t)len, sizeof(double)), *out = mc_test_xcalloc((size_t)len, sizeof(double));
    for (int64_t j = 0; j < len; j++) {
        double s = 0.0;
        for (int64_t p = 0; p < n_parts; p++) s += part_value(p, j);
        ref[j] = s;
    }
    int64_t first, count;
    mc_dist_share(n_parts, rank, size, &first, &count);
    double *parts = mc_test_xcalloc((size_t)(count * len + 1), sizeof(double));
    for (int64_t p = 0; p < count; p++)
        for (int64_t j = 0; j < len; j++) parts[p * len + j] = part_value(first + p, j);
    MC_CHECK_OK(mc_dist_sum_ordered_f64(d, parts, first, count, n_parts, len, out));
    MC_CHECK(memcmp(ref, out, (size_t)len * sizeof(double)) == 0,
             "ordered sum over %d ranks differs from one process adding the same parts in order", size);
    /* and it really is the order of the parts: (1e16 + 1) - 1e16 = 0, not 1 */
    double tiny[3] = {1e16, 1.0, -1e16}, tsum = -1;
    mc_dist_share(3, rank, size, &first, &count);
    MC_CHECK_OK(mc_dist_sum_ordered_f64(d, tiny + first, first, count, 3, 1, &tsum));
    MC_CHECK(tsum == 0.0, "(1e16 + 1) - 1e16 summed in order: %g, want 0", tsum);
    /* shares that do not tile are refused on every rank (not a hang) */
    if (size > 1) {
        mc_status st = mc_dist_sum_ordered_f64(d, parts, rank == 0 ? 0 : 1, 1, n_parts, len, out);
        MC_CHECK(st == MC_STATUS_INVALID_ARG, "overlapping shares: status %d (%s)", (int)st, mc_error_message());
    }
    free(parts);
    free(ref);
    free(out);

    /* the collective error check: everyone passes, then the last rank fails */
    MC_CHECK_OK(mc_dist_check(d, MC_STATUS_OK));
    mc_status local = MC_STATUS_OK;
    if (rank == size - 1) local = mc_error_set(MC_STATUS_FORMAT, "bad file x.npy on the last rank");
    mc_status st = mc_dist_check(d, local);
    MC_CHECK(st == MC_STATUS_FORMAT, "error check: status %d on rank %d", (int)st, rank);
    const char *m = mc_error_message();
    if (rank == size - 1)
        MC_CHECK(strcmp(m, "bad file x.npy on the last rank") == 0, "failing rank keeps its message: '%s'", m);
    else {
        char w[128];
        snprintf(w, sizeof w, "rank %d: bad file x.npy on the last rank", size - 1);
        MC_CHECK(strcmp(m, w) == 0, "rank %d got '%s', want '%s'", rank, m, w);
    }
    /* two failing ranks: the lowest one's status and message win everywhere */
    if (size > 1) {
        local = rank == 0 ? mc_error_set(MC_STATUS_IO, "rank zero's disk") : mc_error_set(MC_STATUS_NUMERIC, "NaN");
        st = mc_dist_check(d, local);
        MC_CHECK(st == MC_STATUS_IO, "two failures: status %d on rank %d", (int)st, rank);
    }
    MC_CHECK_OK(mc_dist_barrier(d));

    char name[64];
    snprintf(name, sizeof name, "test_dist (rank %d of %d)", rank, size);
    int rc = mc_test_summary(name);
    mc_dist_finalize(d);
    return rc;
}
