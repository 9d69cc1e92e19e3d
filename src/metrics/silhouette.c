/* The exact silhouette (sklearn.metrics.silhouette_samples, euclidean), block-wise.
 *
 * For each non-noise row i with cluster c(i): a(i) = mean distance to the other rows of c(i),
 * b(i) = min over the other clusters c' of the mean distance to the rows of c', and
 * s(i) = (b - a) / max(a, b); 0 for a row alone in its cluster (sklearn: 0/0 -> nan_to_num -> 0).
 * The score is the mean of s over the non-noise rows.
 *
 * How: the used rows are sorted by cluster (so every cluster is a contiguous range of columns),
 * centred (distances do not change, and the expansion below loses far less to cancellation when the
 * data sit far from the origin), and held in double. A tile of distances between row blocks I and J
 * is -2 X_I X_J^T from fused multiply-add kernels (the same bits on every instruction set; dgemm on a
 * CPU without FMA, where fma() would be a slow library routine), then ||x_i||^2 and ||x_j||^2 are
 * added (in sklearn's order), clamped at 0 and square-rooted (sqrt_fast: ~1e-13 relative, half the
 * divider time), and the diagonal of a tile I = J is set to exactly 0 (as sklearn's
 * pairwise_distances_chunked does). Pairs so close that the expansion's rounding dominates are
 * recomputed directly (MC_SIL_CLOSE), so duplicates are exactly 0 apart. Each tile row is then summed
 * over the cluster ranges it crosses.
 * float32 sgemm is not used: its error on ||x||^2 + ||y||^2 - 2 x.y is ~1e-7 (||x||^2 + ||y||^2),
 * which for nearby points far from the origin is far above the 1e-6 relative target (bench_metrics
 * measures both).
 *
 * SYMMETRIC: every pair of blocks p < q is one tile, summed along its rows (into the per-cluster sums
 * of I's rows) and along its columns (into J's), so each distance is computed once. Tiles run in
 * rounds of the circle method (round-robin tournament): the pairs of one round touch disjoint blocks,
 * so threads never write the same sums, and every sum receives its terms in the same order whatever
 * the thread count. Needs the (m, k) table of sums.
 * ROWS: each row block sweeps every column block in order, keeping per row only the running sum of
 * the current cluster range, its own cluster's sum and the smallest other-cluster mean, so any k fits.
 *
 * Threads: OpenMP over tiles; where dgemm is used each thread calls it single-threaded (OpenBLAS's own
 * thread count is set to 1 for the duration and restored).
 *
 * Ranks (opts->dist, R > 1): the same pieces, shared out, combined in the order one process uses.
 * ROWS: each row's value comes from its own row block's sweep alone, so whole row blocks are shared
 * (mc_dist_share over the blocks) and the values gathered in row order. SYMMETRIC: one process adds
 * into the sums of a block its diagonal tile, then one tile per round in round order, and each tile
 * adds at most one term to each sum. So with the diagonal tiles as part 0 and round r as part r + 1,
 * each part a dense (m, k) table (zero where it adds nothing, and x + 0 = x for these non-negative
 * sums), the sums are the parts added left to right, the same bits. Parts are shared out among the
 * ranks in batches that fit max_bytes per rank, and added in order either rank after rank (a chain of
 * broadcasts, few ranks) or by mc_dist_sum_ordered_f64 (many ranks): see sym_ranks. */
#include "metrics_internal.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define MC_SIL_X86 1
#include <immintrin.h>
#endif


/* ---------------------------------------------------------------- tiles */

typedef struct sil_ctx {
    int64_t m;             /* used (non-noise) rows */
    int d, k;
    int64_t B, nb;         /* block edge, number of blocks */
    const double *Xc;      /* (m, d) row-major: centred, sorted by cluster */
    const double *nrm;     /* (m8) squared norms of Xc's rows, zero past m (m8 = m rounded up to 8) */
    const double *pk;      /* (m8 / 8, d, 8) Xc packed in panels of 8 rows for the tile kernels, zero past m;
                              NULL when the tiles do not start on panel bounds (B not a multiple of 8) or
                              there is no tile kernel: then each tile packs its own columns */
    const int32_t *cl;     /* (m) dense cluster of each sorted row */
    const int64_t *start;  /* (k + 1) first sorted row of each cluster */
    const int64_t *size;   /* (k) */
    mc__sil_kernels K;
    mc_progress *progress;
} sil_ctx;

/* Per-thread scratch, allocated once. */
typedef struct sil_work {
    double *D;         /* (B, Bp) distance tile, Bp = B rounded up to a multiple of 8; row stride ldd */
    double *pj;        /* (Bp / 8, d, 8) the tile's columns packed for the tile kernels */
    double *nj;        /* (Bp) their squared norms, zero past the tile */
    int64_t ldd;       /* row stride of D in this tile: bj rounded up to a multiple of 8 */
    double *rs;        /* (B, B) per-row segment sums (at most B segments) */
    double *acc;       /* (B) column sums of one segment of rows; ROWS: running sums */
    double *own, *best; /* (B) ROWS: own-cluster sum, smallest other-cluster mean */
    int64_t *bounds;   /* (B + 1) segment bounds of the tile's columns, relative to j0 */
    int32_t *segc;     /* (B) cluster of each column segment */
} sil_work;

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* Split the sorted rows [j0, j0+bj) into cluster ranges. */
static int tile_segments(const sil_ctx *c, int64_t j0, int64_t bj, int64_t *bounds, int32_t *segc) {
    int ns = 0;
    bounds[0] = 0;
    for (int64_t lo = j0; lo < j0 + bj;) {
        const int32_t cc = c->cl[lo];
        const int64_t hi = min64(c->start[cc + 1], j0 + bj);
        segc[ns] = cc;
        bounds[++ns] = hi - j0;
        lo = hi;
    }
    return ns;
}

/* w->D (bi, bj) <- distances between sorted rows [i0, i0+bi) and [j0, j0+bj); w->rs (bi, nseg) <-
 * each row's sum over each column segment. The diagonal of a tile i0 == j0 comes out exactly 0: it
 * is flagged (its squared norm is far above the rounding) and recomputed from x - x = 0. */
static int tile_distances(const sil_ctx *c, int64_t i0, int64_t bi, int64_t j0, int64_t bj, sil_work *w) {
    const int d = c->d;
    const int nseg = tile_segments(c, j0, bj, w->bounds, w->segc);
    const int64_t nv = (bj + 7) / 8, ldd = 8 * nv;
    w->ldd = ldd;
    if (c->K.tile && c->pk) {
        /* the tile's columns are whole panels of the packed copy (zero past m) */
        c->K.tile(c->Xc + i0 * d, bi, c->nrm + i0, c->pk + (j0 / 8) * d * 8, c->nrm + j0, nv, d, w->D);
    } else if (c->K.tile) {
        /* pj[v][f][l] = column 8 v + l of the tile, coordinate f; nj its squared norm; zero past bj */
        for (int64_t v = 0; v < nv; v++)
            for (int l = 0; l < 8; l++) {
                const int64_t j = 8 * v + l;
                double *o = w->pj + v * d * 8 + l;
                for (int f = 0; f < d; f++) o[8 * f] = j < bj ? c->Xc[(j0 + j) * d + f] : 0.0;
                w->nj[j] = j < bj ? c->nrm[j0 + j] : 0.0;
            }
        c->K.tile(c->Xc + i0 * d, bi, c->nrm + i0, w->pj, w->nj, nv, d, w->D);
    } else {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)bi, (int)bj, d, -2.0, c->Xc + i0 * d, d,
                    c->Xc + j0 * d, d, 0.0, w->D, (int)ldd);
    }
    for (int64_t i = 0; i < bi; i++) {
        double *row = w->D + i * ldd, *sums = w->rs + i * nseg;
        const int64_t nflag = c->K.tile ? c->K.seg_sums(row, w->bounds, nseg, sums)
                                        : c->K.dist_sums(row, c->nrm[i0 + i], c->nrm + j0, w->bounds, nseg, sums);
        if (nflag == 0) continue;
        /* Flagged pairs: the direct distance, added to its segment after the lanes. */
        const double *x = c->Xc + (i0 + i) * d;
        int s = 0;
        for (int64_t j = 0; j < bj; j++) {
            while (j >= w->bounds[s + 1]) s++;
            if (row[j] >= 0.0) continue;
            const double *y = c->Xc + (j0 + j) * d;
            double q = 0.0;
            for (int f = 0; f < d; f++) q += (x[f] - y[f]) * (x[f] - y[f]);
            row[j] = sqrt(q);
            sums[s] += row[j];
        }
    }
    return nseg;
}

/* SYMMETRIC: tile (p, q), p <= q. S (m, k) row-major per-cluster distance sums. */
static void sym_tile(const sil_ctx *c, int64_t p, int64_t q, sil_work *w, double *S) {
    const int64_t B = c->B, k = c->k;
    const int64_t i0 = p * B, bi = min64(B, c->m - i0), j0 = q * B, bj = min64(B, c->m - j0);
    const int nseg = tile_distances(c, i0, bi, j0, bj, w);
    /* Along rows: row i of I gets its sum over each cluster range of J. */
    for (int64_t i = 0; i < bi; i++)
        for (int s = 0; s < nseg; s++) S[(i0 + i) * k + w->segc[s]] += w->rs[i * nseg + s];
    if (p == q) return; /* a diagonal tile holds both directions already */
    /* Along columns: row j of J gets the sum over each cluster range of I (rows added in order). */
    for (int64_t lo = i0; lo < i0 + bi;) {
        const int32_t cc = c->cl[lo];
        const int64_t hi = min64(c->start[cc + 1], i0 + bi);
        double *acc = w->acc;
        memcpy(acc, w->D + (lo - i0) * w->ldd, (size_t)bj * sizeof *acc);
        for (int64_t r = lo + 1; r < hi; r++) c->K.add(acc, w->D + (r - i0) * w->ldd, bj);
        for (int64_t j = 0; j < bj; j++) S[(j0 + j) * k + cc] += acc[j];
        lo = hi;
    }
}

/* s(i) from its own cluster's distance sum and the smallest mean over the other clusters, as
 * sklearn's silhouette_samples: intra /= (size - 1); (inter - intra) / max(intra, inter);
 * nan_to_num (a row alone in its cluster, or a = b = 0, gives 0). */
static double sil_value(double own_sum, int64_t own_size, double best) {
    if (own_size <= 1) return 0.0;
    double a = own_sum / (double)(own_size - 1);
    double s = (best - a) / (a > best ? a : best);
    return isnan(s) ? 0.0 : s;
}

/* ROWS: fold the finished cluster range curc of every row into own / best. */
static void rows_fold(const sil_ctx *c, int64_t i0, int64_t bi, int32_t curc, sil_work *w) {
    for (int64_t i = 0; curc >= 0 && i < bi; i++) {
        if (c->cl[i0 + i] == curc) w->own[i] = w->acc[i];
        else if (w->acc[i] / (double)c->size[curc] < w->best[i]) w->best[i] = w->acc[i] / (double)c->size[curc];
    }
}

/* ROWS: row block p against every column block in order; acc holds the running sum of the
 * current cluster range, which may span several column blocks. */
static void rows_block(const sil_ctx *c, int64_t p, sil_work *w, double *sv) {
    const int64_t B = c->B, i0 = p * B, bi = min64(B, c->m - i0);
    for (int64_t i = 0; i < bi; i++) {
        w->acc[i] = 0.0;
        w->own[i] = 0.0;
        w->best[i] = INFINITY;
    }
    int32_t curc = -1;
    for (int64_t q = 0; q < c->nb; q++) {
        const int64_t j0 = q * B, bj = min64(B, c->m - j0);
        const int nseg = tile_distances(c, i0, bi, j0, bj, w);
        for (int s = 0; s < nseg; s++) {
            if (w->segc[s] != curc) {
                rows_fold(c, i0, bi, curc, w);
                for (int64_t i = 0; i < bi; i++) w->acc[i] = 0.0;
                curc = w->segc[s];
            }
            for (int64_t i = 0; i < bi; i++) w->acc[i] += w->rs[i * nseg + s];
        }
        mc_progress_tick(c->progress, 1);
    }
    rows_fold(c, i0, bi, curc, w);
    for (int64_t i = 0; i < bi; i++) sv[i0 + i] = sil_value(w->own[i], c->size[c->cl[i0 + i]], w->best[i]);
}

/* SYMMETRIC: every sorted row's value from the (m, k) table of sums S into sv (m). */
static void sym_values(const sil_ctx *c, const double *S, double *sv) {
    const int k = c->k;
    for (int64_t r = 0; r < c->m; r++) {
        const int32_t ci = c->cl[r];
        double best = INFINITY;
        for (int cc = 0; cc < k; cc++) {
            if (cc == ci) continue;
            double v = S[r * k + cc] / (double)c->size[cc];
            if (v < best) best = v;
        }
        sv[r] = sil_value(S[r * k + ci], c->size[ci], best);
    }
}

/* Wait until *done >= want (another thread finishes a tile): spin briefly, then give the core away (on
 * a shared machine the thread being waited for may be the one waiting for a core). */
static void sil_wait(atomic_llong *done, int64_t want) {
    for (int spin = 0; atomic_load_explicit(done, memory_order_acquire) < want; spin++) {
        if (spin < 2000) {
#ifdef MC_SIL_X86
            _mm_pause();
#endif
        } else {
            sched_yield();
        }
    }
}

/* ---------------------------------------------------------------- over ranks */

static atomic_int g_force_ranks; /* 0: as the group says; 1: the ranks path, chain; 2: ordered sum */
void mc__sil_force_ranks(int mode) { atomic_store(&g_force_ranks, mode); }

/* The tiles of SYMMETRIC's part q (0: every diagonal tile; q >= 1: round q - 1 of the circle method
 * over P slots) added into T (m, k), zero on entry. The tiles of a part touch disjoint blocks. */
static void sym_part(const sil_ctx *c, int64_t q, int nt, sil_work *work, double *T) {
    const int64_t nb = c->nb, P = nb + (nb & 1);
    if (q == 0) {
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
        for (int64_t t = 0; t < nb; t++) {
            sym_tile(c, t, t, &work[omp_get_thread_num()], T);
            mc_progress_tick(c->progress, 1);
        }
        return;
    }
    const int64_t r = q - 1;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (int64_t i = 0; i < P / 2; i++) {
        const int64_t a = i == 0 ? P - 1 : (r + i) % (P - 1), b = i == 0 ? r : (r - i + (P - 1)) % (P - 1);
        if (a >= nb || b >= nb) continue; /* a bye */
        sym_tile(c, a < b ? a : b, a < b ? b : a, &work[omp_get_thread_num()], T);
        mc_progress_tick(c->progress, 1);
    }
}

/* SYMMETRIC over the ranks of d: S (m, k) receives on every rank the sums one process computes.
 * Parts are handed out in batches, each rank a contiguous range (mc_dist_share) of at most per_rank
 * parts (per_rank tables fit max_bytes), and added to the running sums S in part order, the order one
 * process adds them in (x + 0 = x where a part adds nothing), in one of two ways with the same bits:
 *   chain: rank by rank, each rank adds its parts to S and broadcasts S: R - 1 tables received per
 *          rank and batch; for few ranks.
 *   ordered sum: mc_dist_sum_ordered_f64 over [S, the batch's parts] (S held by rank 0 as the first
 *          part after the first batch): about per_rank + 1 tables received per rank and batch, but its
 *          buffers take about twice per_rank tables more; for many ranks (R > per_rank + 2). */
static mc_status sym_ranks(const sil_ctx *c, mc_dist *d, int nt, sil_work *work, int64_t max_bytes, double *S) {
    const int R = mc_dist_size(d), rank = mc_dist_rank(d);
    const int64_t nb = c->nb, P = nb + (nb & 1), len = c->m * c->k;
    int64_t per_rank = max_bytes / (len * (int64_t)sizeof(double)); /* parts a rank holds at once */
    if (per_rank < 1) per_rank = 1;
    if (per_rank > (P + R - 1) / R) per_rank = (P + R - 1) / R;
    const int force = atomic_load(&g_force_ranks);
    const bool ordered = force ? force == 2 : R > per_rank + 2;
    if (ordered && per_rank < 2) per_rank = 2; /* room for the running sums and a fresh part (one rank) */
    double *mine = mc_alloc((size_t)per_rank * (size_t)len, sizeof *mine); // (per_rank, m, k)
    mc_status st = mine ? MC_STATUS_OK
                        : mc_error_nomem("silhouette: out of memory for %lld tables of %lld x %d sums",
                                         (long long)per_rank, (long long)c->m, c->k);
    st = mc_dist_check(d, st);
    /* progress: this rank's tiles (a share of the parts, about nb (nb + 1) / 2 / R tiles) */
    mc_progress_set_total(c->progress, (nb * (nb + 1) / 2 + R - 1) / R);
    memset(S, 0, (size_t)len * sizeof *S);
    for (int64_t done = 0; st == MC_STATUS_OK && done < P;) {
        const int64_t carry = ordered && done > 0; /* the running sums, as part 0 of the batch */
        const int64_t fresh = per_rank * R - carry < P - done ? per_rank * R - carry : P - done;
        int64_t first, count;
        mc_dist_share(carry + fresh, rank, R, &first, &count);
        for (int64_t e = first; e < first + count; e++) {
            double *T = mine + (e - first) * len;
            if (carry && e == 0) {
                memcpy(T, S, (size_t)len * sizeof *T);
            } else {
                memset(T, 0, (size_t)len * sizeof *T);
                sym_part(c, done + e - carry, nt, work, T);
            }
        }
        if (ordered) st = mc_dist_sum_ordered_f64(d, mine, first, count, carry + fresh, len, S);
        for (int r = 0; !ordered && st == MC_STATUS_OK && r < R; r++) {
            if (r == rank)
                for (int64_t e = 0; e < count; e++) {
                    const double *T = mine + e * len;
                    for (int64_t j = 0; j < len; j++) S[j] += T[j];
                }
            st = mc_dist_bcast(d, S, (size_t)len * sizeof *S, r);
        }
        done += fresh;
    }
    mc_free(mine);
    return st;
}

/* ROWS over the ranks of d: this rank's whole row blocks, then every row's value gathered in row
 * order into sv (m) on every rank. */
static mc_status rows_ranks(const sil_ctx *c, mc_dist *d, int nt, sil_work *work, double *sv) {
    int64_t first, count;
    mc_dist_share(c->nb, mc_dist_rank(d), mc_dist_size(d), &first, &count);
    mc_progress_set_total(c->progress, count * c->nb);
    const int64_t r0 = first * c->B, r1 = min64((first + count) * c->B, c->m);
    double *part = mc_alloc((size_t)(r1 > r0 ? r1 - r0 : 1), sizeof *part); // (r1 - r0) this rank's values
    mc_status st = part ? MC_STATUS_OK : mc_error_nomem("silhouette: out of memory for %lld values", (long long)(r1 - r0));
    st = mc_dist_check(d, st);
    if (st != MC_STATUS_OK) {
        mc_free(part);
        return st;
    }
    /* rows_block writes sv[i0..]: give it sv, then copy this rank's rows out before the gather */
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (int64_t p = first; p < first + count; p++) rows_block(c, p, &work[omp_get_thread_num()], sv);
    if (r1 > r0) memcpy(part, sv + r0, (size_t)(r1 - r0) * sizeof *part);
    size_t total = 0;
    st = mc_dist_allgather(d, part, (size_t)(r1 > r0 ? r1 - r0 : 0) * sizeof *part, sv, NULL, &total);
    if (st == MC_STATUS_OK && total != (size_t)c->m * sizeof *sv)
        st = mc_error_set(MC_STATUS_INVALID_ARG, "silhouette: the ranks gathered %zu bytes for %lld rows", total,
                          (long long)c->m);
    mc_free(part);
    return st;
}

/* ---------------------------------------------------------------- entry point */

mc_status mc_metrics_silhouette(const float *X, int64_t n, int d, const int32_t *cluster,
                                const mc_metrics_opts *opts_in, double *mean, double *samples,
                                mc_internal_scores *info) {
    mc_metrics_opts opts;
    mc_metrics_opts_default(&opts);
    if (opts_in) opts = *opts_in;
    if (opts.block <= 0) opts.block = 256;
    if (opts.max_bytes <= 0) opts.max_bytes = (int64_t)256 << 20;
    mc_internal_scores local;
    if (!info) info = &local;
    memset(info, 0, sizeof *info);
    info->silhouette = info->calinski_harabasz = info->davies_bouldin = NAN;
    if (mean) *mean = NAN;
    if (opts.block > 4096)
        return mc_error_set(MC_STATUS_INVALID_ARG, "silhouette: block %d is above 4096 rows", opts.block);
    if (opts.algo < MC_SILHOUETTE_AUTO || opts.algo > MC_SILHOUETTE_ROWS)
        return mc_error_set(MC_STATUS_INVALID_ARG, "silhouette: unknown algorithm %d", (int)opts.algo);
    mc_status st = mc__metrics_check_input(X, n, d, cluster, "silhouette");
    if (st != MC_STATUS_OK) return st;
    /* over ranks (or forced by a test: the same pieces on one process) */
    const bool ranks = mc_dist_size(opts.dist) > 1 || atomic_load(&g_force_ranks) != 0;
    mc_dist *dist = opts.dist;
    mc__clusters cl;
    st = mc__clusters_encode(cluster, n, &cl);
    if (ranks) st = mc_dist_check(dist, st); /* a rank out of memory stops every rank here */
    if (st != MC_STATUS_OK) {
        mc__clusters_free(&cl); /* zeroed or whole: safe either way */
        return st;
    }
    for (int64_t i = 0; samples && i < n; i++) samples[i] = NAN;
    if (!mc__internal_defined(&cl, info)) {
        mc__clusters_free(&cl);
        return MC_STATUS_OK;
    }

    const int64_t m = cl.n_used;
    const int k = cl.k;
    sil_ctx c = {0};
    c.m = m;
    c.d = d;
    c.k = k;
    c.B = min64(opts.block, m);
    c.nb = (m + c.B - 1) / c.B;
    c.K = mc__sil_kernels_get(mc__sil_forced_isa());
    c.progress = opts.progress;
    const bool sym = opts.algo == MC_SILHOUETTE_SYMMETRIC ||
                     (opts.algo == MC_SILHOUETTE_AUTO && (double)m * k * sizeof(double) <= (double)opts.max_bytes);
    const int nt = mc_threads_resolve(opts.threads);

    int64_t *start = mc_alloc((size_t)k + 1, sizeof *start);      // (k + 1)
    int64_t *fill = mc_alloc((size_t)k, sizeof *fill);            // (k)
    int64_t *order = mc_alloc((size_t)m, sizeof *order);          // (m) original row of sorted row
    int32_t *scl = mc_alloc((size_t)m, sizeof *scl);              // (m)
    double *Xc = mc_alloc((size_t)m * (size_t)d, sizeof *Xc);     // (m, d)
    const int64_t m8 = (m + 7) / 8 * 8;
    double *nrm = mc_alloc((size_t)m8, sizeof *nrm);              // (m8), zero past m
    const bool packed = c.K.tile && c.B % 8 == 0;
    double *pk = packed ? mc_alloc((size_t)m8 * (size_t)d, sizeof *pk) : NULL; // (m8 / 8, d, 8)
    double *mu = mc_alloc((size_t)d, sizeof *mu);                 // (d)
    double *sv = mc_alloc((size_t)m, sizeof *sv);                 // (m) s of each sorted row
    const size_t B = (size_t)c.B, Bp = (B + 7) / 8 * 8, per = B * Bp + B * B + 3 * B + Bp * (size_t)(d + 1);
    double *fwork = mc_alloc((size_t)nt * per, sizeof *fwork); // (nt, B Bp + B^2 + 3 B + Bp (d + 1))
    int64_t *bwork = mc_alloc((size_t)nt * (B + 1), sizeof *bwork);           // (nt, B + 1)
    int32_t *cwork = mc_alloc((size_t)nt * B, sizeof *cwork);                 // (nt, B)
    sil_work *work = mc_alloc((size_t)nt, sizeof *work);                      // (nt)
    double *S = sym ? mc_alloc((size_t)m * (size_t)k, sizeof *S) : NULL;       // (m, k)
    if (!start || !fill || !order || !scl || !Xc || !nrm || (packed && !pk) || !mu || !sv || !fwork || !bwork || !cwork || !work ||
        (sym && !S)) {
        st = mc_error_nomem("silhouette: out of memory for %lld rows x %d clusters",
                          (long long)m, k);
    }
    if (ranks) st = mc_dist_check(dist, st);
    if (st != MC_STATUS_OK) goto done;
    /* Counting sort by dense cluster, stable: cluster ranges [start[c], start[c+1]). */
    for (int i = 0; i < k; i++) start[i + 1] = start[i] + cl.size[i];
    for (int64_t i = 0; i < n; i++) {
        int32_t dc = cl.dense[i];
        if (dc < 0) continue;
        int64_t r = start[dc] + fill[dc]++;
        order[r] = i;
        scl[r] = dc;
    }
    for (int64_t r = 0; r < m; r++)
        for (int f = 0; f < d; f++) mu[f] += X[order[r] * d + f];
    for (int f = 0; f < d; f++) mu[f] /= (double)m;
    for (int64_t r = 0; r < m; r++) {
        double s = 0.0;
        for (int f = 0; f < d; f++) {
            double v = (double)X[order[r] * d + f] - mu[f];
            Xc[r * d + f] = v;
            s += v * v;
        }
        nrm[r] = s;
    }
    for (int t = 0; t < nt; t++) {
        double *f = fwork + (size_t)t * per, *rs = f + B * Bp, *b3 = rs + B * B;
        work[t] = (sil_work){f,      b3 + 3 * B, b3 + 3 * B + Bp * (size_t)d, 0, rs, b3, b3 + B, b3 + 2 * B,
                             bwork + (size_t)t * (B + 1), cwork + (size_t)t * B};
    }
    c.Xc = Xc;
    c.nrm = nrm;
    if (pk) {
#pragma omp parallel for num_threads(nt) schedule(static)
        for (int64_t v = 0; v < m8 / 8; v++)
            for (int l = 0; l < 8; l++)
                for (int f = 0; f < d; f++) pk[(v * d + f) * 8 + l] = 8 * v + l < m ? Xc[(8 * v + l) * d + f] : 0.0;
    }
    c.pk = pk;
    c.cl = scl;
    c.start = start;
    c.size = cl.size;

    const int64_t nb = c.nb;
    mc_progress_set_total(opts.progress, sym ? nb * (nb + 1) / 2 : nb * nb);
    const int blas_threads = mc_threads_blas_serial_begin();
    if (ranks) {
        st = sym ? sym_ranks(&c, dist, nt, work, opts.max_bytes, S) : rows_ranks(&c, dist, nt, work, sv);
        mc_threads_blas_serial_end(blas_threads);
        if (st != MC_STATUS_OK) goto done;
        if (sym) sym_values(&c, S, sv);
    } else if (sym) {
        /* Circle method over P (even) slots; slot P-1 is fixed, a slot >= nb is a bye. Before the rounds,
         * each block's diagonal tile. The order of every sum is fixed by the rounds; which thread takes
         * which tile does not matter. No barrier between rounds: items are handed out in order, and an
         * item waits only for the previous items of its own two blocks (steps[b] counts the steps block b
         * has finished: its diagonal tile, then one per round, byes included). A waited-for item was
         * handed out earlier, so this never deadlocks; on a shared machine a thread the OS has
         * preempted holds up only the tiles of its two blocks instead of a whole round. */
        const int64_t P = nb + (nb & 1), items = nb + (P - 1) * (P / 2);
        atomic_llong next = 0;
        atomic_llong *steps = mc_alloc((size_t)nb, sizeof *steps); // (nb)
        if (!steps) {
            mc_threads_blas_serial_end(blas_threads);
            st = mc_error_set(MC_STATUS_NO_MEMORY, "silhouette: out of memory for %lld blocks", (long long)nb);
            goto done;
        }
        for (int64_t b = 0; b < nb; b++) atomic_init(&steps[b], 0);
#pragma omp parallel num_threads(nt)
        {
            sil_work *w = &work[omp_get_thread_num()];
            for (;;) {
                const int64_t t = atomic_fetch_add_explicit(&next, 1, memory_order_relaxed);
                if (t >= items) break;
                if (t < nb) { /* step 0 of block t */
                    sym_tile(&c, t, t, w, S);
                    atomic_store_explicit(&steps[t], 1, memory_order_release);
                    mc_progress_tick(c.progress, 1);
                    continue;
                }
                const int64_t r = (t - nb) / (P / 2), i = (t - nb) % (P / 2); /* step r + 1 of its blocks */
                const int64_t a = i == 0 ? P - 1 : (r + i) % (P - 1);
                const int64_t b = i == 0 ? r : (r - i + (P - 1)) % (P - 1);
                if (a < nb) sil_wait(&steps[a], r + 1);
                if (b < nb) sil_wait(&steps[b], r + 1);
                if (a < nb && b < nb) {
                    sym_tile(&c, a < b ? a : b, a < b ? b : a, w, S);
                    mc_progress_tick(c.progress, 1);
                }
                if (a < nb) atomic_store_explicit(&steps[a], r + 2, memory_order_release);
                if (b < nb) atomic_store_explicit(&steps[b], r + 2, memory_order_release);
            }
        }
        mc_free(steps);
        sym_values(&c, S, sv);
    } else {
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
        for (int64_t p = 0; p < nb; p++) rows_block(&c, p, &work[omp_get_thread_num()], sv);
    }
    if (!ranks) mc_threads_blas_serial_end(blas_threads);

    double total = 0.0;
    for (int64_t r = 0; r < m; r++) {
        total += sv[r];
        if (samples) samples[order[r]] = sv[r];
    }
    info->silhouette = total / (double)m;
    if (mean) *mean = info->silhouette;

done:
    mc_free(start);
    mc_free(fill);
    mc_free(order);
    mc_free(scl);
    mc_free(Xc);
    mc_free(nrm);
    mc_free(pk);
    mc_free(mu);
    mc_free(sv);
    mc_free(fwork);
    mc_free(bwork);
    mc_free(cwork);
    mc_free(work);
    mc_free(S);
    mc__clusters_free(&cl);
    return st;
}
