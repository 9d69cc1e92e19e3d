/* embed: UMAP as umap-learn 0.5 (UMAP(n_neighbors=15, min_dist=0.1, spread=1.0, init='spectral',
 * metric='euclidean')).
 *
 *   1. k-NN with the point itself first (umap.umap_.nearest_neighbors): exact up to knn_exact_max
 *      points (umap-learn: exact below 4096, NN-descent above), NN-descent beyond;
 *   2. smooth_knn_dist: rho_i = distance to the nearest neighbour at distance > 0, sigma_i by
 *      bisection so that sum_{j >= 1} exp(-max(0, d_ij - rho_i) / sigma_i) = log2(k);
 *   3. compute_membership_strengths and the fuzzy union (fuzzy_simplicial_set);
 *   4. simplicial_set_embedding: n_epochs (500 up to 10000 points, else 200), edges with weight below
 *      max / n_epochs dropped, epochs_per_sample = max / w, spectral initialisation scaled to max
 *      |coord| 10 plus N(0, 1e-4^2) noise, then every column min-max scaled to [0, 10];
 *   5. optimize_layout_euclidean: per epoch, each edge due is sampled (attraction -2ab d^(2(b-1)) /
 *      (1 + a d^2b) (y_i - y_j)), with int((epoch - next_negative) / (epochs_per_sample / 5))
 *      negative samples (repulsion 2 gamma b / ((0.001 + d^2)(1 + a d^2b)) (y_i - y_k)), every
 *      gradient coordinate clipped to [-4, 4], learning rate 1 decaying linearly.
 *
 * The SGD is umap-learn's with one change for determinism under threads (see embed.h): within an
 * epoch point i walks its own edges in column order, moving only itself, against the other points'
 * positions from the start of the epoch; it applies twice the attraction of an edge (its own pull and
 * the pull umap-learn's move_other gives it from the reverse edge, which fires in the same epochs:
 * the graph is symmetric), and draws its negative samples from the mc_rng stream (epoch, i). */
#include "embed_internal.h"

#include <float.h>
#include <math.h>
#include <omp.h>
#include <string.h>

/* ---------------------------------------------------------------- fuzzy simplicial set */

void emb_umap_smooth_knn(const double *dist, int64_t n, int k, double local_connectivity, double bandwidth,
                         double *sigma, double *rho) {
    /* umap-learn smooth_knn_dist: n_iter 64, SMOOTH_K_TOLERANCE 1e-5, MIN_K_DIST_SCALE 1e-3 */
    const double target = log2((double)k) * bandwidth;
    double mean_all = 0;
    for (int64_t e = 0; e < n * k; e++) mean_all += dist[e];
    mean_all /= (double)(n * k);
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) {
        const double *di = dist + i * k;
        /* rho: the local_connectivity-th smallest positive distance (interpolated) */
        double r = 0;
        int nz = 0, first = -1;
        for (int j = 0; j < k; j++)
            if (di[j] > 0) {
                if (first < 0) first = j;
                nz++;
            }
        if (nz >= local_connectivity) {
            const int index = (int)floor(local_connectivity);
            const double interp = local_connectivity - index;
            /* the positive distances are di[first..] (sorted ascending) */
            if (index > 0) {
                r = di[first + index - 1];
                if (interp > 1e-5 && index < nz) r += interp * (di[first + index] - di[first + index - 1]);
            } else {
                r = interp * di[first];
            }
        } else if (nz > 0) {
            for (int j = 0; j < k; j++) r = fmax(r, di[j]);
        }
        double lo = 0.0, hi = INFINITY, mid = 1.0;
        for (int it = 0; it < 64; it++) {
            double psum = 0;
            for (int j = 1; j < k; j++) {
                const double dd = di[j] - r;
                psum += dd > 0 ? exp(-(dd / mid)) : 1.0;
            }
            if (fabs(psum - target) < 1e-5) break;
            if (psum > target) {
                hi = mid;
                mid = (lo + hi) / 2.0;
            } else {
                lo = mid;
                mid = hi == INFINITY ? mid * 2 : (lo + hi) / 2.0;
            }
        }
        if (r > 0) {
            double mean_i = 0;
            for (int j = 0; j < k; j++) mean_i += di[j];
            mean_i /= k;
            if (mid < 1e-3 * mean_i) mid = 1e-3 * mean_i;
        } else if (mid < 1e-3 * mean_all) {
            mid = 1e-3 * mean_all;
        }
        sigma[i] = mid;
        rho[i] = r;
    }
}

mc_status emb_umap_fuzzy_graph(const int32_t *idx, const double *dist, const double *sigma, const double *rho,
                               int64_t n, int k, double set_op_mix_ratio, emb_csr *G) {
    double *A = mc_alloc((size_t)n * k, sizeof(double)); // (n, k) membership strengths
    if (!A) return MC_STATUS_NO_MEMORY;
    /* compute_membership_strengths: 0 for the point itself, 1 up to rho, exp(-(d - rho) / sigma) beyond */
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < k; j++) {
            const int64_t e = i * k + j;
            double v;
            if (idx[e] == i) v = 0.0;
            else if (dist[e] - rho[i] <= 0.0 || sigma[i] == 0.0) v = 1.0;
            else v = exp(-((dist[e] - rho[i]) / sigma[i]));
            A[e] = v;
        }
    mc_status st = emb_symmetrise(A, idx, n, k, 1, set_op_mix_ratio, G);
    mc_free(A);
    return st;
}

/* ---------------------------------------------------------------- a, b */

mc_status mc_embed_umap_find_ab(double spread, double min_dist, double *a_out, double *b_out) {
    if (!(spread > 0) || !(min_dist >= 0) || !isfinite(spread) || !isfinite(min_dist))
        return mc_error_set(MC_STATUS_INVALID_ARG, "umap: spread (%g) must be > 0 and min_dist (%g) >= 0", spread, min_dist);
    if (!a_out || !b_out) return mc_error_set(MC_STATUS_INVALID_ARG, "umap: find_ab outputs are NULL");
    /* xv = np.linspace(0, spread * 3, 300); yv = 1 below min_dist, exp(-(x - min_dist) / spread) above */
    enum { NP = 300 };
    double xv[NP], yv[NP];
    for (int i = 0; i < NP; i++) {
        xv[i] = (i == NP - 1) ? 3.0 * spread : (3.0 * spread) * (double)i / (double)(NP - 1);
        yv[i] = xv[i] < min_dist ? 1.0 : exp(-(xv[i] - min_dist) / spread);
    }
    /* Levenberg-Marquardt (Marquardt's diagonal scaling) on sum (1 / (1 + a x^(2b)) - y)^2 from (1, 1),
     * the minimum scipy.optimize.curve_fit finds; iterated to full double precision. */
    double a = 1.0, b = 1.0, lambda = 1e-3;
    double cost = 0;
#define UMAP_AB_COST(A_, B_, OUT)                                                  \
    do {                                                                           \
        double c_ = 0;                                                             \
        for (int i_ = 0; i_ < NP; i_++) {                                          \
            double u_ = xv[i_] > 0 ? pow(xv[i_], 2.0 * (B_)) : 0.0;                \
            double r_ = 1.0 / (1.0 + (A_) * u_) - yv[i_];                          \
            c_ += r_ * r_;                                                         \
        }                                                                          \
        (OUT) = c_;                                                                \
    } while (0)
    UMAP_AB_COST(a, b, cost);
    for (int it = 0; it < 500; it++) {
        double jaa = 0, jab = 0, jbb = 0, ga = 0, gb = 0;
        for (int i = 0; i < NP; i++) {
            const double x = xv[i];
            const double u = x > 0 ? pow(x, 2.0 * b) : 0.0;
            const double f = 1.0 / (1.0 + a * u), r = f - yv[i];
            const double da = -u * f * f;                                   /* d f / d a */
            const double db = x > 0 ? -a * u * 2.0 * log(x) * f * f : 0.0; /* d f / d b */
            jaa += da * da, jab += da * db, jbb += db * db;
            ga += da * r, gb += db * r;
        }
        bool accepted = false;
        for (int tries = 0; tries < 60 && !accepted; tries++) {
            const double m00 = jaa * (1 + lambda), m11 = jbb * (1 + lambda), m01 = jab;
            const double det = m00 * m11 - m01 * m01;
            if (!(fabs(det) > 0)) {
                lambda *= 10;
                continue;
            }
            const double sa = -(m11 * ga - m01 * gb) / det, sb = -(m00 * gb - m01 * ga) / det;
            const double na = a + sa, nb = b + sb;
            double nc;
            UMAP_AB_COST(na, nb, nc);
            if (isfinite(nc) && nc <= cost) {
                const bool tiny = fabs(sa) <= 1e-15 * (fabs(a) + 1e-15) && fabs(sb) <= 1e-15 * (fabs(b) + 1e-15);
                a = na, b = nb;
                const double old = cost;
                cost = nc;
                lambda = fmax(lambda / 10, 1e-12);
                accepted = true;
                if (tiny || old - nc <= 1e-17 * old) it = 1 << 20; /* converged */
            } else {
                lambda *= 10;
            }
        }
        if (!accepted) break; /* no decrease possible: at the minimum to rounding */
    }
#undef UMAP_AB_COST
    if (!isfinite(a) || !isfinite(b) || a <= 0 || b <= 0)
        return mc_error_set(MC_STATUS_NUMERIC, "umap: the a, b curve fit failed for spread %g, min_dist %g", spread,
                            min_dist);
    *a_out = a;
    *b_out = b;
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- layout */


typedef struct sgd_ctx {
    const emb_csr *G;
    int dim;
    float a, b, gamma;
    double *eps;     // (nnz) epochs_per_sample
    double *eons;    // (nnz) epoch_of_next_sample
    double *epsn;    // (nnz) epochs_per_negative_sample (0: no negative samples)
    double *eonn;    // (nnz) epoch_of_next_negative_sample
    uint64_t neg_seed;
    int max_list;    /* entries a point's sample list can need in one epoch */
} sgd_ctx;

/* The samples point i takes in this epoch, in umap-learn's order (each edge due, then its negative
 * samples), as a list: -(j + 1) for an edge to j, k for a negative sample k. Which samples are due
 * does not depend on the positions, so the list (and the edge schedules) is settled before the
 * position updates. */
static int sgd_list(const sgd_ctx *c, int64_t i, int epoch, int32_t *list) {
    const int64_t n = c->G->n;
    mc_rng r;
    bool seeded = false;
    uint64_t bits = 0;
    int nbits = 0, cnt = 0;
    for (int64_t e = c->G->indptr[i]; e < c->G->indptr[i + 1]; e++) {
        if (c->eons[e] > (double)epoch) continue;
        list[cnt++] = -(c->G->col[e] + 1);
        c->eons[e] += c->eps[e];
        if (c->epsn[e] <= 0) continue; /* negative_sample_rate 0 */
        int nneg = (int)(((double)epoch - c->eonn[e]) / c->epsn[e]);
        for (int p = 0; p < nneg; p++) {
            if (!seeded) {
                mc_rng_seed(&r, c->neg_seed, (uint64_t)epoch * (uint64_t)n + (uint64_t)i);
                seeded = true;
            }
            /* uniform vertex from 32 random bits (multiply-shift; bias < n / 2^32) */
            if (nbits == 0) bits = mc_rng_next(&r), nbits = 2;
            const uint32_t u32 = (uint32_t)(bits >> 32);
            bits <<= 32;
            nbits--;
            const int64_t k = (int64_t)(((uint64_t)u32 * (uint64_t)n) >> 32);
            if (k == i) continue; /* umap-learn: `elif j == k: continue` */
            if (cnt < c->max_list) list[cnt++] = (int32_t)k;
        }
        c->eonn[e] += nneg * c->epsn[e];
    }
    return cnt;
}

/* One epoch for points i0 .. i1 - 1: positions read from A (the epoch start), the points' new ones
 * written to B. Four points are advanced together, one per vector lane, each through its own sample
 * list in order (a lane that finishes takes the next point); lanes never interact, so a point's
 * result does not depend on its lane or neighbours. Per sample, with d2 = |y - y_j|^2 and
 * pb = d2^b:
 *   edge to j:        y += 2 alpha clip(-2ab pb / (d2 (a pb + 1)) (y - y_j))   (0 when d2 = 0)
 *   negative sample:  y += alpha clip(2 gamma b / ((0.001 + d2)(a pb + 1)) (y - y_k))
 *                     (4 per coordinate when d2 = 0 or the coefficient is 0, as umap-learn)
 * -2ab pb / (d2 (a pb + 1)) is umap-learn's -2ab d2^(b-1) / (a d2^b + 1). */
static void sgd_range(const sgd_ctx *c, int64_t i0, int64_t i1, int epoch, float alpha, const float *A, float *B,
                      int32_t *lists) {
    const int dim = c->dim;
    float cur[16][4]; /* (dim, lane) */
    int64_t pt[4];
    int cnt[4] = {0, 0, 0, 0}, pos[4] = {0, 0, 0, 0};
    bool live[4] = {false, false, false, false};
    int64_t next = i0;
    const v4 va = v4_set1(c->a), vb = v4_set1(c->b), one = v4_set1(1.0f), zero = v4_set1(0.0f);
    const v4 att_num = v4_set1(-2.0f * c->a * c->b), rep_num = v4_set1(2.0f * c->gamma * c->b);
    const v4 lo = v4_set1(-4.0f), hi = v4_set1(4.0f), four = v4_set1(4.0f), two = v4_set1(2.0f);
    const v4 tiny = v4_set1(1e-30f), thou = v4_set1(0.001f), al = v4_set1(alpha);
    for (;;) {
        /* finish lanes whose list is done, and give them new points */
        int nlive = 0;
        for (int l = 0; l < 4; l++) {
            while (!live[l] || pos[l] == cnt[l]) {
                if (live[l]) {
                    for (int q = 0; q < dim; q++) B[pt[l] * dim + q] = cur[q][l];
                    live[l] = false;
                }
                if (next == i1) break;
                pt[l] = next++;
                cnt[l] = sgd_list(c, pt[l], epoch, lists + (size_t)l * c->max_list);
                pos[l] = 0;
                live[l] = true;
                for (int q = 0; q < dim; q++) cur[q][l] = A[pt[l] * dim + q];
            }
            nlive += live[l];
        }
        if (nlive == 0) break;
        /* the lanes' current samples: target rows, kind; idle lanes aim at themselves (d2 = 0) and
         * are masked out */
        const float *o[4];
        float kind[4], act[4];
        for (int l = 0; l < 4; l++) {
            if (live[l]) {
                const int32_t s = lists[(size_t)l * c->max_list + pos[l]++];
                o[l] = A + (int64_t)(s < 0 ? -s - 1 : s) * dim;
                kind[l] = s < 0 ? 1.0f : 0.0f;
                act[l] = 1.0f;
            } else {
                o[l] = NULL;
                kind[l] = 0.0f;
                act[l] = 0.0f;
            }
        }
        v4 diff[16];
        v4 d2 = zero;
        for (int q = 0; q < dim; q++) {
            const v4 oq = v4_set(o[0] ? o[0][q] : cur[q][0], o[1] ? o[1][q] : cur[q][1], o[2] ? o[2][q] : cur[q][2],
                                 o[3] ? o[3][q] : cur[q][3]);
            diff[q] = v4_sub(v4_load(cur[q]), oq);
            d2 = v4_add(d2, v4_mul(diff[q], diff[q]));
        }
        const v4 att = v4_lt(zero, v4_load(kind)), live_m = v4_lt(zero, v4_load(act));
        const v4 pos_d = v4_lt(zero, d2);
        const v4 pb = v4_exp2(v4_mul(vb, v4_log2(v4_max(d2, tiny)))); /* d2^b */
        const v4 apb1 = v4_add(v4_mul(va, pb), one);
        const v4 num = v4_or(v4_and(att, v4_mul(att_num, pb)), v4_andnot(att, rep_num));
        const v4 den = v4_mul(v4_or(v4_and(att, d2), v4_andnot(att, v4_add(thou, d2))), apb1);
        const v4 g = v4_div(num, v4_or(v4_and(pos_d, den), v4_andnot(pos_d, one)));
        /* which lanes take the clipped gradient, which the fixed push of 4, which nothing */
        const v4 rep_clip = v4_andnot(att, v4_and(pos_d, v4_lt(zero, g)));
        const v4 rep_four = v4_andnot(att, v4_andnot(rep_clip, live_m));
        const v4 att_on = v4_and(att, pos_d);
        const v4 clip_on = v4_and(live_m, v4_or(att_on, rep_clip));
        const v4 scale = v4_or(v4_and(att, two), v4_andnot(att, one));
        for (int q = 0; q < dim; q++) {
            const v4 gq = v4_mul(v4_min(v4_max(v4_mul(g, diff[q]), lo), hi), scale);
            const v4 upd = v4_or(v4_and(clip_on, gq), v4_and(rep_four, four));
            v4_store(cur[q], v4_add(v4_load(cur[q]), v4_mul(upd, al)));
        }
    }
}

/* sgd_range for 2 output dimensions (the plots' case), with the lanes' positions kept in two
 * vectors and the lane bookkeeping taken off the per-sample path; the same operations on every lane
 * as sgd_range, so the two give the same bits. */
static void sgd_range_2d(const sgd_ctx *c, int64_t i0, int64_t i1, int epoch, float alpha, const float *A, float *B,
                         int32_t *lists) {
    static const float idle_pos[2] = {0.0f, 0.0f};
    float cx[4], cy[4];
    int64_t pt[4];
    int cnt[4] = {0, 0, 0, 0}, pos[4] = {0, 0, 0, 0};
    int32_t live[4] = {0, 0, 0, 0}; /* -1 live, 0 idle (a mask) */
    int64_t next = i0;
    const v4 va = v4_set1(c->a), vb = v4_set1(c->b), one = v4_set1(1.0f), zero = v4_set1(0.0f);
    const v4 att_num = v4_set1(-2.0f * c->a * c->b), rep_num = v4_set1(2.0f * c->gamma * c->b);
    const v4 lo = v4_set1(-4.0f), hi = v4_set1(4.0f), four = v4_set1(4.0f), two = v4_set1(2.0f);
    const v4 tiny = v4_set1(1e-30f), thou = v4_set1(0.001f), al = v4_set1(alpha);
    v4 X = zero, Y = zero, live_m = zero;
    int need = 1;
    for (;;) {
        if (need) {
            /* a lane ran out: store the lanes, retire and refill, reload */
            v4_store(cx, X), v4_store(cy, Y);
            int nlive = 0;
            for (int l = 0; l < 4; l++) {
                while (!live[l] || pos[l] == cnt[l]) {
                    if (live[l]) {
                        B[2 * pt[l]] = cx[l], B[2 * pt[l] + 1] = cy[l];
                        live[l] = 0;
                    }
                    if (next == i1) break;
                    pt[l] = next++;
                    cnt[l] = sgd_list(c, pt[l], epoch, lists + (size_t)l * c->max_list);
                    pos[l] = 0;
                    live[l] = -1;
                    cx[l] = A[2 * pt[l]], cy[l] = A[2 * pt[l] + 1];
                }
                nlive += live[l] != 0;
            }
            if (nlive == 0) break;
            X = v4_load(cx), Y = v4_load(cy);
            live_m = v4_ineg(live);
            need = 0;
        }
        int32_t s[4];
        const float *o[4];
        for (int l = 0; l < 4; l++) {
            if (live[l]) {
                s[l] = lists[(size_t)l * c->max_list + pos[l]];
                o[l] = A + 2 * (int64_t)(s[l] < 0 ? -s[l] - 1 : s[l]);
                need |= ++pos[l] == cnt[l];
            } else {
                s[l] = 0;
                o[l] = idle_pos;
            }
        }
        const v4 dx = v4_sub(X, v4_set(o[0][0], o[1][0], o[2][0], o[3][0]));
        const v4 dy = v4_sub(Y, v4_set(o[0][1], o[1][1], o[2][1], o[3][1]));
        const v4 d2 = v4_add(v4_mul(dx, dx), v4_mul(dy, dy));
        const v4 att = v4_ineg(s);
        const v4 pos_d = v4_lt(zero, d2);
        const v4 pb = v4_exp2(v4_mul(vb, v4_log2(v4_max(d2, tiny)))); /* d2^b */
        const v4 apb1 = v4_add(v4_mul(va, pb), one);
        const v4 num = v4_or(v4_and(att, v4_mul(att_num, pb)), v4_andnot(att, rep_num));
        const v4 den = v4_mul(v4_or(v4_and(att, d2), v4_andnot(att, v4_add(thou, d2))), apb1);
        const v4 g = v4_div(num, v4_or(v4_and(pos_d, den), v4_andnot(pos_d, one)));
        const v4 rep_clip = v4_andnot(att, v4_and(pos_d, v4_lt(zero, g)));
        const v4 rep_four = v4_andnot(att, v4_andnot(rep_clip, live_m));
        const v4 clip_on = v4_and(live_m, v4_or(v4_and(att, pos_d), rep_clip));
        const v4 scale = v4_or(v4_and(att, two), v4_andnot(att, one));
        const v4 gx = v4_mul(v4_min(v4_max(v4_mul(g, dx), lo), hi), scale);
        const v4 gy = v4_mul(v4_min(v4_max(v4_mul(g, dy), lo), hi), scale);
        const v4 f4 = v4_and(rep_four, four);
        X = v4_add(X, v4_mul(v4_or(v4_and(clip_on, gx), f4), al));
        Y = v4_add(Y, v4_mul(v4_or(v4_and(clip_on, gy), f4), al));
    }
}

void mc_umap_opts_default(mc_umap_opts *o) {
    /* Fields not named are 0: a and b (fitted from min_dist and spread), n_epochs (automatic), seed,
     * threads (all cores), knn_exact_max (the default threshold), progress. */
    *o = (mc_umap_opts){.n_components = 2, .n_neighbors = 15, .min_dist = 0.1, .spread = 1.0,
                        .learning_rate = 1.0, .negative_sample_rate = 5.0, .repulsion_strength = 1.0,
                        .local_connectivity = 1.0, .set_op_mix_ratio = 1.0, .init = MC_UMAP_INIT_SPECTRAL,
                        .knn = MC_EMBED_KNN_AUTO};
}

mc_status mc_embed_umap(const float *X, int64_t n, int d, const mc_umap_opts *opts, float *Y, mc_umap_info *info) {
    mc_umap_opts o;
    if (opts) o = *opts;
    else mc_umap_opts_default(&o);
    mc_status st = emb_check_input("umap", X, n, d, 3);
    if (st) return st;
    if (!Y) return mc_error_set(MC_STATUS_INVALID_ARG, "umap: output Y is NULL");
    const int dim = o.n_components;
    if (dim < 1 || dim > 16)
        return mc_error_set(MC_STATUS_INVALID_ARG, "umap: n_components must be in [1, 16], got %d", dim);
    if (o.n_neighbors < 2)
        return mc_error_set(MC_STATUS_INVALID_ARG, "umap: n_neighbors must be >= 2, got %d", o.n_neighbors);
    int k = o.n_neighbors;
    if (k > n - 1) {
        /* umap-learn: "n_neighbors is larger than the dataset size; truncating to X.shape[0] - 1" */
        mc_log(MC_LOG_LEVEL_WARN, "umap: n_neighbors %d is larger than the dataset size; truncating to %lld", k,
               (long long)(n - 1));
        k = (int)(n - 1);
    }
    if (!(o.learning_rate > 0) || !(o.negative_sample_rate >= 0) || !(o.repulsion_strength >= 0) ||
        !(o.local_connectivity >= 0) || !(o.set_op_mix_ratio >= 0 && o.set_op_mix_ratio <= 1))
        return mc_error_set(MC_STATUS_INVALID_ARG,
                            "umap: learning_rate > 0, negative_sample_rate >= 0, repulsion_strength >= 0, "
                            "local_connectivity >= 0 and set_op_mix_ratio in [0, 1] are required");
    if (o.min_dist > o.spread)
        return mc_error_set(MC_STATUS_INVALID_ARG, "umap: min_dist (%g) must be less than or equal to spread (%g)",
                            o.min_dist, o.spread);
    if (o.init < MC_UMAP_INIT_SPECTRAL || o.init > MC_UMAP_INIT_RANDOM)
        return mc_error_set(MC_STATUS_INVALID_ARG, "umap: unknown init %d", (int)o.init);
    double a = o.a, b = o.b;
    if (!(a > 0 && b > 0)) {
        st = mc_embed_umap_find_ab(o.spread, o.min_dist, &a, &b);
        if (st) return st;
    }
    /* as t-SNE: an automatic thread count leaves out threads a small problem cannot keep busy */
    int nt = mc_threads_resolve(o.threads);
    if (o.threads <= 0 && nt > 1 + n / 2048) nt = (int)(1 + n / 2048);
    const int default_epochs = n <= 10000 ? 500 : 200;
    const int n_epochs = o.n_epochs > 0 ? o.n_epochs : default_epochs;

    /* 1-3: k-NN (self first), fuzzy graph */
    int32_t *idx = mc_alloc((size_t)n * k, sizeof(int32_t));   // (n, k) self + k - 1 neighbours
    double *dist = mc_alloc((size_t)n * k, sizeof(double));    // (n, k) euclidean distances
    int32_t *nidx = mc_alloc((size_t)n * (k - 1), sizeof(int32_t)); // (n, k - 1)
    double *nd2 = mc_alloc((size_t)n * (k - 1), sizeof(double));     // (n, k - 1) squared
    double *sigma = mc_alloc((size_t)n, sizeof(double));       // (n)
    double *rho = mc_alloc((size_t)n, sizeof(double));         // (n)
    double *init = mc_alloc((size_t)n * dim, sizeof(double));  // (n, dim)
    float *A = mc_alloc((size_t)n * dim, sizeof(float));       // (n, dim) positions at the epoch start
    float *B = mc_alloc((size_t)n * dim, sizeof(float));       // (n, dim) positions at the epoch end
    emb_csr G = {0};
    sgd_ctx c = {0};
    int32_t *lists = NULL; // (threads, lanes, max_list) per-epoch sample lists
    if (!idx || !dist || !nidx || !nd2 || !sigma || !rho || !init || !A || !B) {
        st = MC_STATUS_NO_MEMORY;
        goto done;
    }
    st = emb_knn(X, n, d, k - 1, o.knn, o.knn_exact_max, o.seed, nt, nidx, nd2);
    if (st) goto done;
    for (int64_t i = 0; i < n; i++) {
        idx[i * k] = (int32_t)i;
        dist[i * k] = 0.0;
        for (int j = 1; j < k; j++) {
            idx[i * k + j] = nidx[i * (k - 1) + j - 1];
            dist[i * k + j] = sqrt(nd2[i * (k - 1) + j - 1]);
        }
    }
    mc_free(nidx), nidx = NULL;
    mc_free(nd2), nd2 = NULL;
    emb_umap_smooth_knn(dist, n, k, o.local_connectivity, 1.0, sigma, rho);
    st = emb_umap_fuzzy_graph(idx, dist, sigma, rho, n, k, o.set_op_mix_ratio, &G);
    if (st) goto done;
    mc_free(idx), idx = NULL;
    mc_free(dist), dist = NULL;

    /* 4. prune weak edges: w < max / n_epochs (or / default_epochs for n_epochs <= 10) */
    double wmax = 0;
    for (int64_t e = 0; e < G.nnz; e++) wmax = fmax(wmax, G.val[e]);
    {
        const double cut = wmax / (double)(n_epochs > 10 ? n_epochs : default_epochs);
        int64_t w = 0;
        for (int64_t i = 0; i < n; i++) {
            const int64_t e0 = G.indptr[i], e1 = G.indptr[i + 1];
            G.indptr[i] = w;
            for (int64_t e = e0; e < e1; e++)
                if (!(G.val[e] < cut)) {
                    G.col[w] = G.col[e];
                    G.val[w++] = G.val[e];
                }
        }
        G.indptr[n] = w;
        G.nnz = w;
    }

    /* initialisation */
    mc_rng rng;
    mc_rng_seed(&rng, o.seed, EMB_STREAM_UMAP_INIT);
    int n_comp = 1;
    double resid = 0;
    if (o.init == MC_UMAP_INIT_RANDOM) {
        for (int64_t i = 0; i < n * dim; i++) A[i] = (float)(-10.0 + 20.0 * mc_rng_uniform(&rng));
    } else {
        if (o.init == MC_UMAP_INIT_SPECTRAL) {
            st = emb_spectral_layout(&G, X, d, dim, o.seed, nt, init, &n_comp, &resid);
        } else if (dim <= d) {
            st = emb_pca_scores(X, n, d, dim, init);
        } else {
            st = mc_error_set(MC_STATUS_INVALID_ARG, "umap: init 'pca' needs n_components (%d) <= columns (%d)", dim, d);
        }
        if (st) goto done;
        /* noisy_scale_coords: max |coord| 10 (as float32), plus N(0, 1e-4^2) */
        double mx = 0;
        for (int64_t i = 0; i < n * dim; i++) mx = fmax(mx, fabs(init[i]));
        const double ex = mx > 0 ? 10.0 / mx : 1.0;
        for (int64_t i = 0; i < n * dim; i++) A[i] = (float)(init[i] * ex) + (float)(1e-4 * mc_rng_normal(&rng));
    }
    /* every column min-max scaled to [0, 10] (simplicial_set_embedding) */
    for (int q = 0; q < dim; q++) {
        float lo = A[q], hi = A[q];
        for (int64_t i = 1; i < n; i++) lo = fminf(lo, A[i * dim + q]), hi = fmaxf(hi, A[i * dim + q]);
        const double span = (double)hi - (double)lo;
        for (int64_t i = 0; i < n; i++)
            A[i * dim + q] = span > 0 ? (float)(10.0 * ((double)A[i * dim + q] - lo) / span) : 5.0f;
    }

    /* 5. SGD */
    c.G = &G;
    c.dim = dim;
    c.a = (float)a, c.b = (float)b, c.gamma = (float)o.repulsion_strength;
    c.eps = mc_alloc((size_t)(G.nnz > 0 ? G.nnz : 1), sizeof(double));
    c.eons = mc_alloc((size_t)(G.nnz > 0 ? G.nnz : 1), sizeof(double));
    c.epsn = mc_alloc((size_t)(G.nnz > 0 ? G.nnz : 1), sizeof(double));
    c.eonn = mc_alloc((size_t)(G.nnz > 0 ? G.nnz : 1), sizeof(double));
    if (!c.eps || !c.eons || !c.epsn || !c.eonn) {
        st = MC_STATUS_NO_MEMORY;
        goto done;
    }
    for (int64_t e = 0; e < G.nnz; e++) {
        /* make_epochs_per_sample: n_epochs / (n_epochs * w / max) */
        const double ns = (double)n_epochs * (G.val[e] / wmax);
        c.eps[e] = ns > 0 ? (double)n_epochs / ns : -1.0;
        c.eons[e] = c.eps[e];
        c.epsn[e] = o.negative_sample_rate > 0 ? c.eps[e] / o.negative_sample_rate : 0.0;
        c.eonn[e] = c.epsn[e];
    }
    {
        mc_rng nr;
        mc_rng_seed(&nr, o.seed, EMB_STREAM_UMAP_NEG);
        c.neg_seed = mc_rng_next(&nr);
    }
    {
        /* a firing edge takes at most 2 rate + 1 negative samples (its next-negative epoch trails the
         * current one by less than one period), plus itself */
        int64_t maxdeg = 0;
        for (int64_t i = 0; i < n; i++)
            if (G.indptr[i + 1] - G.indptr[i] > maxdeg) maxdeg = G.indptr[i + 1] - G.indptr[i];
        const double per = 2.0 * ceil(o.negative_sample_rate) + 2.0;
        if ((double)maxdeg * per > (double)(INT32_MAX / 8)) {
            st = mc_error_set(MC_STATUS_NO_MEMORY, "umap: a point has %lld edges, too many", (long long)maxdeg);
            goto done;
        }
        c.max_list = (int)((double)maxdeg * per) + 1;
        lists = mc_alloc((size_t)nt * 4 * (size_t)c.max_list, sizeof(int32_t)); // (nt, lanes, max_list)
        if (!lists) {
            st = MC_STATUS_NO_MEMORY;
            goto done;
        }
    }
    mc_progress_set_total(o.progress, n_epochs);
    double alpha = o.learning_rate;
    const int64_t chunk = 256, nchunks = (n + chunk - 1) / chunk;
    for (int ep = 0; ep < n_epochs; ep++) {
        const float al = (float)alpha;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
        for (int64_t g = 0; g < nchunks; g++) {
            const int64_t i0 = g * chunk, i1 = i0 + chunk < n ? i0 + chunk : n;
            int32_t *ls = lists + (size_t)omp_get_thread_num() * 4 * c.max_list;
            if (dim == 2) sgd_range_2d(&c, i0, i1, ep, al, A, B, ls);
            else sgd_range(&c, i0, i1, ep, al, A, B, ls);
        }
        float *t = A;
        A = B;
        B = t;
        /* umap-learn: after epoch n, alpha = initial_alpha * (1 - n / n_epochs) */
        alpha = o.learning_rate * (1.0 - (double)ep / (double)n_epochs);
        mc_progress_tick(o.progress, 1);
    }
    for (int64_t i = 0; i < n * dim; i++) {
        if (!isfinite(A[i])) {
            st = mc_error_set(MC_STATUS_NUMERIC, "umap: the optimisation diverged (non-finite position at row %lld)",
                              (long long)(i / dim));
            goto done;
        }
        Y[i] = A[i];
    }
    if (info) {
        info->n_neighbors = k;
        info->a = a, info->b = b;
        info->n_epochs = n_epochs;
        info->n_edges = G.nnz;
        info->n_graph_components = n_comp;
        info->init_residual = resid;
    }
done:
    mc_free(idx), mc_free(dist), mc_free(nidx), mc_free(nd2), mc_free(sigma), mc_free(rho), mc_free(init);
    mc_free(A), mc_free(B);
    mc_free(c.eps), mc_free(c.eons), mc_free(c.epsn), mc_free(c.eonn);
    mc_free(lists);
    emb_csr_free(&G);
    return st;
}
