/* cluster: k-means as sklearn.cluster.KMeans 1.2 (algorithm="lloyd", init="k-means++").
 *
 * Follows sklearn/cluster/_kmeans.py (_kmeans_plusplus, _kmeans_single_lloyd, _tolerance) and
 * _k_means_lloyd.pyx / _k_means_common.pyx (lloyd_iter_chunked_dense, _relocate_empty_clusters_dense):
 *   - seeding: first centre uniform; each further centre is the best (lowest potential) of
 *     2 + floor(ln k) candidates drawn with probability proportional to D(x)^2;
 *   - Lloyd: labels from argmin_j ||c_j||^2 - 2 x.c_j (on 256-row chunks, as sklearn), centres = means;
 *     a centre left empty takes the point farthest from its own centre;
 *   - stop when the labels do not change, or when sum_j ||c_j,new - c_j||^2 <= tol * mean_f var(X_f);
 *     if stopped by tol (or max_iter), labels are recomputed once for the final centres;
 *   - n_init restarts; the run with the lowest inertia is kept (the first on ties).
 * Sums over points are accumulated in double per group of chunks and the groups are added in order,
 * so the result does not depend on the thread count.
 *
 * The products x.c are not sgemm calls but the kernels below (dots_*): with k = 10 columns and 256-row
 * chunks, OpenBLAS spent most of its time packing and in its generic kernel (Debian's OpenBLAS 0.3.21
 * does not recognise every CPU). They read a copy of X transposed in blocks of 16 points (n x d floats
 * more, for the whole fit: the points sit in the vector lanes, one broadcast centre coordinate serves
 * 16 points, and a centre's results come out point-contiguous for the argmin and the k-means++ rows),
 * and give the same bits on every instruction set.
 *
 * Over R processes (cfg->dist, issue 11): every rank holds X (a memory-mapped file costs page cache
 * only). Each rank runs the E-step for its share of the groups (mc_dist_share of G, which depends
 * on n, k and d only); the labels are all-gathered and the per-group sums are added in group order
 * by mc_dist_sum_ordered_f64 (0 + group 0 + group 1 + ..., the same additions as one process), so
 * every rank takes the very steps of R = 1 and returns its bytes. Seeding (k-means++), the
 * empty-cluster reseeding and the inertia read every row and run whole on each rank. */
#include "kmeans_kernels.h"

#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

typedef struct km {
    const float *X; // (n, d) row-major
    int64_t n, d;
    int k, T;       /* T = local trials of k-means++ */
    mc_cl_km_kern K;
    const float *XT; // (nblk, d, KM_BLK) X transposed by blocks (mc_cl_km_transpose); shared
    int nt;         /* threads */
    int64_t nch;    /* chunks of MC_CL_CHUNK rows */
    int64_t G;      /* accumulation groups of consecutive chunks */
    const float *x_sq; // (n) squared row norms (float, as sklearn's x_squared_norms for float32 X); shared
    float *centers; // (k, d)
    float *centers_new; // (k, d)
    float *c_sq;    // (k) squared centre norms
    double *acc;    // (G, k, d) per-group sums of the points of each cluster
    double *wacc;   // (G, k) per-group counts
    double *sums;   // (k, d) total sums
    double *counts; // (k)
    int32_t *labels, *labels_old; // (n)
    float *scratch; // (nt, max(k, T), CHUNK) products of one chunk, per thread
    double *part;   // (nch, max(T, 1) + 1) per-chunk partial sums (potentials, inertia)
    float *closest; // (n) k-means++: squared distance to the nearest chosen centre
    float *cand_d;  // (T, n) k-means++: min(closest, distance to each candidate)
    float *cand;    // (T, d) k-means++ candidate points
    float *cand_sq; // (T)
    double *far;    // (n) squared distance of each point to its own centre (empty-cluster reseeding)
    int64_t *order; // (n) for the reseeding sort
    /* the process group (NULL or size 1: everything here) */
    mc_dist *dist;
    int64_t g0, g1;     /* this rank's groups [g0, g1) */
    double *pack;       // (g1 - g0, k * d + k) this rank's group sums then counts, for the ordered sum
    double *red;        // (k * d + k) their ordered sum
    int32_t *lab_send;  // (rows of groups g0..g1) this rank's labels, for the all-gather
    mc_status st;       /* first failure of a collective */
} km;

static void km_free(km *w) {
    mc_free(w->centers);
    mc_free(w->centers_new);
    mc_free(w->c_sq);
    mc_free(w->acc);
    mc_free(w->wacc);
    mc_free(w->sums);
    mc_free(w->counts);
    mc_free(w->labels);
    mc_free(w->labels_old);
    mc_free(w->scratch);
    mc_free(w->part);
    mc_free(w->closest);
    mc_free(w->cand_d);
    mc_free(w->cand);
    mc_free(w->cand_sq);
    mc_free(w->far);
    mc_free(w->order);
    mc_free(w->pack);
    mc_free(w->red);
    mc_free(w->lab_send);
}

static mc_status km_alloc(km *w) {
    size_t n = (size_t)w->n, d = (size_t)w->d, k = (size_t)w->k, T = (size_t)w->T;
    size_t kt = k > T ? k : T;
    w->centers = mc_alloc(k * d, sizeof(float));
    w->centers_new = mc_alloc(k * d, sizeof(float));
    w->c_sq = mc_alloc(k, sizeof(float));
    w->acc = mc_alloc((size_t)w->G * k * d, sizeof(double));
    w->wacc = mc_alloc((size_t)w->G * k, sizeof(double));
    w->sums = mc_alloc(k * d, sizeof(double));
    w->counts = mc_alloc(k, sizeof(double));
    w->labels = mc_alloc(n, sizeof(int32_t));
    w->labels_old = mc_alloc(n, sizeof(int32_t));
    w->scratch = mc_alloc((size_t)w->nt * MC_CL_CHUNK * kt, sizeof(float));
    w->part = mc_alloc((size_t)w->nch * (T + 1), sizeof(double));
    w->closest = mc_alloc(n, sizeof(float));
    w->cand_d = mc_alloc(T * n, sizeof(float));
    w->cand = mc_alloc(T * d, sizeof(float));
    w->cand_sq = mc_alloc(T, sizeof(float));
    w->far = mc_alloc(n, sizeof(double));
    w->order = mc_alloc(n, sizeof(int64_t));
    if (mc_dist_size(w->dist) > 1) {
        size_t ng = (size_t)(w->g1 - w->g0);
        w->pack = mc_alloc((ng > 0 ? ng : 1) * (k * d + k), sizeof(double));
        w->red = mc_alloc(k * d + k, sizeof(double));
        w->lab_send = mc_alloc(n, sizeof(int32_t));
        if (!w->pack || !w->red || !w->lab_send)
            return mc_error_set(MC_STATUS_NO_MEMORY, "k-means: out of memory for the exchange buffers, k = %d", w->k);
    }
    if (!w->centers || !w->centers_new || !w->c_sq || !w->acc || !w->wacc || !w->sums ||
        !w->counts || !w->labels || !w->labels_old || !w->scratch || !w->part || !w->closest ||
        !w->cand_d || !w->cand || !w->cand_sq || !w->far || !w->order)
        return mc_error_nomem("k-means: out of memory for %lld x %lld points, k = %d",
                            (long long)w->n, (long long)w->d, w->k);
    return MC_STATUS_OK;
}

static inline int64_t chunk_rows(const km *w, int64_t c, int64_t *i0) {
    *i0 = c * MC_CL_CHUNK;
    int64_t m = w->n - *i0;
    return m < MC_CL_CHUNK ? m : MC_CL_CHUNK;
}

/* ---------------------------------------------------------------- k-means++ */

/* For every point: dd_t = max(0, |x|^2 + |cand_t|^2 - 2 x.cand_t) (sklearn _euclidean_distances,
 * squared), cand_d[t][i] = min(closest[i], dd_t), and per-chunk potentials part[c][t]. With
 * first = true there is one candidate and closest is initialised instead. */
static void pp_distances(km *w, int T, bool first) {
    const int64_t n = w->n, d = w->d;
    const int Tp = w->T + 1;
    const size_t kt = (size_t)(w->k > w->T ? w->k : w->T);
#pragma omp parallel for schedule(dynamic, 4) num_threads(w->nt)
    for (int64_t c = 0; c < w->nch; c++) {
        float *D = w->scratch + (size_t)omp_get_thread_num() * MC_CL_CHUNK * kt;
        int64_t i0, m = chunk_rows(w, c, &i0);
        const int64_t nb = (m + KM_BLK * KM_STEP - 1) / (KM_BLK * KM_STEP) * KM_STEP;
        w->K.dots(w->XT + i0 * d, nb, d, w->cand, T, D); // D (T, CHUNK) = -2 cand X_chunk^T
        double *p = w->part + c * Tp;
        const float *xs = w->x_sq + i0;
        for (int t = 0; t < T; t++) {
            const float *Dt = D + (size_t)t * MC_CL_CHUNK;
            const float cs = w->cand_sq[t];
            float *out = first ? w->closest + i0 : w->cand_d + (size_t)t * (size_t)n + (size_t)i0;
            p[t] = w->K.pp(xs, cs, Dt, first ? NULL : w->closest + i0, out, m);
        }
    }
}

/* numpy.searchsorted(cumsum(closest), r, side="left"), clipped to n - 1, walking the per-chunk
 * totals first so that only one chunk is scanned point by point. */
static int64_t pp_search(const km *w, const double *chunk_tot, double r) {
    double acc = 0;
    for (int64_t c = 0; c < w->nch; c++) {
        if (acc + chunk_tot[c] >= r) {
            int64_t i0, m = chunk_rows(w, c, &i0);
            for (int64_t i = 0; i < m; i++) {
                acc += w->closest[i0 + i];
                if (acc >= r) return i0 + i;
            }
        } else {
            acc += chunk_tot[c];
        }
    }
    return w->n - 1;
}

static void set_cand(km *w, int t, int64_t idx) {
    memcpy(w->cand + (size_t)t * (size_t)w->d, w->X + idx * w->d, (size_t)w->d * sizeof(float));
    w->cand_sq[t] = w->x_sq[idx];
}

/* sklearn.cluster._kmeans._kmeans_plusplus (greedy k-means++). */
static void kmeanspp(km *w, mc_rng *rng) {
    const int64_t n = w->n, d = w->d;
    const int Tp = w->T + 1;
    double *chunk_tot = w->far; /* (nch) scratch: per-chunk sums of closest */
    int64_t first = (int64_t)mc_rng_below(rng, (uint64_t)n);
    memcpy(w->centers, w->X + first * d, (size_t)d * sizeof(float));
    set_cand(w, 0, first);
    pp_distances(w, 1, true);
    double pot = 0;
    for (int64_t c = 0; c < w->nch; c++) {
        chunk_tot[c] = w->part[c * Tp];
        pot += chunk_tot[c];
    }
    int64_t ids[64];
    double cand_pot[64];
    for (int c = 1; c < w->k; c++) {
        for (int t = 0; t < w->T; t++) {
            double r = mc_rng_uniform(rng) * pot;
            ids[t] = pp_search(w, chunk_tot, r);
            set_cand(w, t, ids[t]);
        }
        pp_distances(w, w->T, false);
        int best = 0;
        for (int t = 0; t < w->T; t++) {
            double s = 0;
            for (int64_t ch = 0; ch < w->nch; ch++) s += w->part[ch * Tp + t];
            cand_pot[t] = s;
            if (s < cand_pot[best]) best = t;
        }
        pot = cand_pot[best];
        memcpy(w->closest, w->cand_d + (size_t)best * (size_t)n, (size_t)n * sizeof(float));
        for (int64_t ch = 0; ch < w->nch; ch++) chunk_tot[ch] = w->part[ch * Tp + best];
        memcpy(w->centers + (size_t)c * (size_t)d, w->X + ids[best] * d, (size_t)d * sizeof(float));
    }
}

/* ---------------------------------------------------------------- Lloyd */

/* The rows [*r0, *r1) of this rank's groups. */
static void own_rows(const km *w, int64_t *r0, int64_t *r1) {
    *r0 = w->g0 * w->nch / w->G * MC_CL_CHUNK;
    *r1 = w->g1 * w->nch / w->G * MC_CL_CHUNK;
    if (*r1 > w->n) *r1 = w->n;
    if (*r0 > *r1) *r0 = *r1;
}

/* Over R ranks: every rank's labels (rows of its groups) to every rank, in rank (= row) order. Only
 * where every row's label is needed: an empty cluster's reseeding, and the end of a Lloyd run (the
 * inertia and the output); the iterations themselves exchange the sums and one count. */
static void gather_labels(km *w) {
    if (w->st) return;
    int64_t r0, r1;
    own_rows(w, &r0, &r1);
    memcpy(w->lab_send, w->labels + r0, (size_t)(r1 - r0) * sizeof(int32_t));
    size_t total = 0;
    w->st = mc_dist_allgather(w->dist, w->lab_send, (size_t)(r1 - r0) * sizeof(int32_t), w->labels, NULL, &total);
    if (!w->st && total != (size_t)w->n * sizeof(int32_t))
        w->st = mc_error_set(MC_STATUS_INVALID_ARG, "k-means: the ranks hold %zu label bytes, expected %lld", total,
                             (long long)w->n * 4);
}

/* E-step (labels from `centers`) and, when update is true, the per-group sums for the M-step. */
static void lloyd_assign(km *w, const float *centers, bool update) {
    const int64_t d = w->d;
    const int k = w->k;
    for (int j = 0; j < k; j++) {
        double s = 0;
        for (int64_t f = 0; f < d; f++) s += (double)centers[j * d + f] * centers[j * d + f];
        w->c_sq[j] = (float)s;
    }
    const size_t kt = (size_t)(w->k > w->T ? w->k : w->T);
#pragma omp parallel for schedule(dynamic, 4) num_threads(w->nt)
    for (int64_t g = w->g0; g < w->g1; g++) {
        float *D = w->scratch + (size_t)omp_get_thread_num() * MC_CL_CHUNK * kt;
        double *acc = w->acc + (size_t)g * (size_t)k * (size_t)d;
        double *wacc = w->wacc + (size_t)g * (size_t)k;
        if (update) {
            memset(acc, 0, (size_t)k * (size_t)d * sizeof(double));
            memset(wacc, 0, (size_t)k * sizeof(double));
        }
        int64_t c0 = g * w->nch / w->G, c1 = (g + 1) * w->nch / w->G;
        for (int64_t c = c0; c < c1; c++) {
            int64_t i0, m = chunk_rows(w, c, &i0);
            /* |c_j|^2 - 2 x_i.c_j: what sklearn's _update_chunk_dense computes (|x|^2 does not change
             * the argmin). */
            const int64_t nb = (m + KM_BLK * KM_STEP - 1) / (KM_BLK * KM_STEP) * KM_STEP;
            w->K.dots(w->XT + i0 * d, nb, d, centers, k, D); // D (k, CHUNK) = -2 C X_chunk^T
            int32_t *lab = w->labels + i0;
            w->K.argmin(D, w->c_sq, k, m, lab);
            if (update)
                for (int64_t i = 0; i < m; i++) {
                    w->K.add_row(acc + (size_t)lab[i] * (size_t)d, w->X + (i0 + i) * d, d);
                    wacc[lab[i]] += 1;
                }
        }
    }
}

/* sklearn _relocate_empty_clusters_dense: the n_empty points farthest from their (old) centre move to
 * the empty clusters, farthest first, lowest index on ties; their labels are left as they are (the
 * next E-step reassigns them). */
static int cmp_far(const void *a, const void *b, const double *far) {
    int64_t i = *(const int64_t *)a, j = *(const int64_t *)b;
    if (far[i] != far[j]) return far[i] > far[j] ? -1 : 1;
    return i < j ? -1 : i > j;
}

/* Partial selection: the m farthest points (m is small) into order[0..m). */
static void farthest(km *w, const float *centers_old, int m) {
    const int64_t n = w->n, d = w->d;
#pragma omp parallel for schedule(dynamic, 4) num_threads(w->nt)
    for (int64_t i = 0; i < n; i++) {
        const float *x = w->X + i * d, *c = centers_old + (size_t)w->labels[i] * (size_t)d;
        double s = 0;
        for (int64_t f = 0; f < d; f++) {
            double t = (double)x[f] - c[f];
            s += t * t;
        }
        w->far[i] = s;
    }
    int64_t cnt = 0;
    for (int64_t i = 0; i < n; i++) {
        /* insertion into the sorted top-m list */
        int64_t pos = cnt < m ? cnt : m;
        if (cnt >= m && cmp_far(&i, &w->order[m - 1], w->far) >= 0) continue;
        while (pos > 0 && cmp_far(&i, &w->order[pos - 1], w->far) < 0) {
            if (pos < m) w->order[pos] = w->order[pos - 1];
            pos--;
        }
        w->order[pos] = i;
        if (cnt < m) cnt++;
    }
}

/* M-step: reduce the groups in order, reseed empty clusters, divide. Returns the summed squared
 * centre shift and sets *relocated. */
static double lloyd_update(km *w, const float *centers_old, float *centers_new, bool *relocated) {
    const int64_t d = w->d;
    const int k = w->k;
    memset(w->sums, 0, (size_t)k * (size_t)d * sizeof(double));
    memset(w->counts, 0, (size_t)k * sizeof(double));
    if (mc_dist_size(w->dist) > 1) {
        /* the groups of every rank, added in group order from 0: the additions of the loop below */
        const size_t kd = (size_t)k * (size_t)d, len = kd + (size_t)k;
        for (int64_t g = w->g0; g < w->g1; g++) {
            double *p = w->pack + (size_t)(g - w->g0) * len;
            memcpy(p, w->acc + (size_t)g * kd, kd * sizeof(double));
            memcpy(p + kd, w->wacc + (size_t)g * (size_t)k, (size_t)k * sizeof(double));
        }
        if (!w->st)
            w->st = mc_dist_sum_ordered_f64(w->dist, w->pack, w->g0, w->g1 - w->g0, w->G, (int64_t)len, w->red);
        if (!w->st) {
            memcpy(w->sums, w->red, kd * sizeof(double));
            memcpy(w->counts, w->red + kd, (size_t)k * sizeof(double));
        }
    }
    for (int64_t g = 0; g < w->G && mc_dist_size(w->dist) <= 1; g++) {
        const double *acc = w->acc + (size_t)g * (size_t)k * (size_t)d;
        const double *wacc = w->wacc + (size_t)g * (size_t)k;
        for (size_t t = 0; t < (size_t)k * (size_t)d; t++) w->sums[t] += acc[t];
        for (int j = 0; j < k; j++) w->counts[j] += wacc[j];
    }
    int n_empty = 0;
    for (int j = 0; j < k; j++) n_empty += w->counts[j] == 0;
    *relocated = n_empty > 0;
    if (n_empty > 0 && mc_dist_size(w->dist) > 1) gather_labels(w); /* farthest() reads every row's */
    if (n_empty > 0 && !w->st) {
        farthest(w, centers_old, n_empty);
        int e = 0;
        for (int j = 0; j < k; j++) {
            if (w->counts[j] != 0) continue;
            int64_t idx = w->order[e++];
            int old = w->labels[idx];
            const float *x = w->X + idx * d;
            for (int64_t f = 0; f < d; f++) {
                w->sums[(size_t)old * d + f] -= x[f];
                w->sums[(size_t)j * d + f] = x[f];
            }
            w->counts[j] = 1;
            w->counts[old] -= 1;
        }
    }
    double shift = 0;
    for (int j = 0; j < k; j++) {
        for (int64_t f = 0; f < d; f++) {
            float v = w->counts[j] > 0 ? (float)(w->sums[(size_t)j * d + f] / w->counts[j])
                                       : centers_old[(size_t)j * d + f];
            centers_new[(size_t)j * d + f] = v;
            double t = (double)v - centers_old[(size_t)j * d + f];
            shift += t * t;
        }
    }
    return shift;
}

/* Sum of squared distances of the points to their centres, in double, per chunk then in order. */
static double inertia(km *w, const float *centers) {
    const int64_t d = w->d;
    const int Tp = w->T + 1;
#pragma omp parallel for schedule(dynamic, 4) num_threads(w->nt)
    for (int64_t c = 0; c < w->nch; c++) {
        int64_t i0, m = chunk_rows(w, c, &i0);
        /* coordinate f in lane f % 4 (four independent chains), then a fixed tree */
        double s[4] = {0};
        for (int64_t i = 0; i < m; i++) {
            const float *x = w->X + (i0 + i) * d, *cc = centers + (size_t)w->labels[i0 + i] * (size_t)d;
            int64_t f = 0;
            for (; f + 4 <= d; f += 4)
                for (int l = 0; l < 4; l++) {
                    double t = (double)x[f + l] - cc[f + l];
                    s[l] += t * t;
                }
            for (int l = 0; f < d; f++, l++) {
                double t = (double)x[f] - cc[f];
                s[l] += t * t;
            }
        }
        w->part[c * Tp] = (s[0] + s[1]) + (s[2] + s[3]);
    }
    double tot = 0;
    for (int64_t c = 0; c < w->nch; c++) tot += w->part[c * Tp];
    return tot;
}

/* Lloyd from w->centers (sklearn _kmeans_single_lloyd). */
static void lloyd_run(km *w, int max_iter, double tol, double *inert, int *n_iter, bool *converged) {
    for (int64_t i = 0; i < w->n; i++) w->labels_old[i] = -1;
    int64_t r0, r1; /* the rows this rank labels (all of them for one process) */
    own_rows(w, &r0, &r1);
    bool strict = false, tol_hit = false;
    int it = 0;
    for (it = 0; it < max_iter && !w->st; it++) {
        lloyd_assign(w, w->centers, true);
        bool relocated = false;
        double shift = lloyd_update(w, w->centers, w->centers_new, &relocated);
        float *t = w->centers;
        w->centers = w->centers_new;
        w->centers_new = t;
        /* Unchanged labels mean a fixed point, unless an empty cluster was just reseeded (sklearn
         * would stop there with a label vector that leaves the reseeded cluster empty). Over ranks
         * each rank compares its own rows and the verdicts are added (exact). */
        int64_t changed = memcmp(w->labels + r0, w->labels_old + r0, (size_t)(r1 - r0) * sizeof(int32_t)) != 0;
        if (mc_dist_size(w->dist) > 1 && !w->st) w->st = mc_dist_sum_i64(w->dist, &changed, 1);
        if (w->st) break;
        if (!relocated && changed == 0) {
            strict = true;
            it++;
            break;
        }
        if (shift <= tol) {
            tol_hit = true;
            it++;
            break;
        }
        memcpy(w->labels_old + r0, w->labels + r0, (size_t)(r1 - r0) * sizeof(int32_t));
    }
    if (!strict) lloyd_assign(w, w->centers, false); /* labels that match the final centres */
    if (mc_dist_size(w->dist) > 1) gather_labels(w); /* every row's label for the inertia and the output */
    *n_iter = it;
    *converged = strict || tol_hit;
    *inert = inertia(w, w->centers);
}

/* Everything shared by the seeded runs and the run from given centres: checks, workspace, norms,
 * tolerance; then either n_init seeded runs or one Lloyd run from init (k, d). */
/* The best run of one workspace (the lowest inertia; the earliest restart on ties). */
typedef struct km_best {
    double inertia;
    int r, n_iter;
    bool converged;
    int32_t *labels; // (n)
    float *centers;  // (k, d)
} km_best;

/* Everything shared by the seeded runs and the run from given centres: checks, workspaces, norms,
 * tolerance; then either n_init seeded runs or one Lloyd run from init (k, d).
 *
 * Threads: with n_init >= 2, whole restarts run in parallel, one per thread, each single-threaded:
 * one parallel region for the whole fit, so a thread that the OS preempts (a shared machine) delays
 * the fit by at most its own restart, instead of every one of the ~15 fork/joins of each restart.
 * With one restart, the chunks of each step are shared among the threads instead. A restart's result
 * does not depend on which thread ran it, and the best is picked by (inertia, restart index), so the
 * output is the same for every thread count. */
static mc_status kmeans_main(const mc_cluster_config *cfg, const float *X, int64_t n, int64_t d,
                             uint64_t stream_base, const float *init, mc_clustering *out) {
    memset(out, 0, sizeof *out);
    mc_status st = mc_cluster_config_validate(cfg);
    if (st) return st;
    st = mc_cl_check_k(X, n, d, cfg->k, "k-means");
    if (st) return st;
    if (d > INT32_MAX / 2 || cfg->k > 1 << 20)
        return mc_error_set(MC_STATUS_UNSUPPORTED, "k-means: d = %lld or k = %d too large", (long long)d, cfg->k);
    if (init) {
        st = mc_cluster_check_input(init, cfg->k, d);
        if (st) return mc_error_set(st, "k-means initial centres: %s", mc_error_message());
    }
    const int n_init = init ? 1 : (cfg->n_init > 0 ? cfg->n_init : 10);
    const int max_iter = cfg->max_iter > 0 ? cfg->max_iter : 300;
    const double tol_rel = cfg->tol > 0 ? cfg->tol : 1e-4;
    const int nt = cfg->threads > 0 ? cfg->threads : mc_threads_available();
    const int k = cfg->k;
    km proto;
    memset(&proto, 0, sizeof proto);
    proto.X = X;
    proto.n = n;
    proto.d = d;
    proto.k = k;
    proto.T = 2 + (int)log((double)k); /* sklearn: 2 + int(np.log(n_clusters)) */
    if (proto.T > 64) proto.T = 64;
    proto.K = mc_cl_km_kernels();
    proto.nch = (n + MC_CL_CHUNK - 1) / MC_CL_CHUNK;
    /* Groups: as many as chunks while the (G, k, d) accumulators stay under ~64 MB. */
    int64_t kd = (int64_t)k * d;
    int64_t gmax = ((int64_t)1 << 23) / (kd > 0 ? kd : 1);
    proto.G = proto.nch < gmax ? proto.nch : (gmax > 0 ? gmax : 1);
    /* this rank's groups (all of them for one process) */
    proto.dist = cfg->dist;
    mc_dist_share(proto.G, mc_dist_rank(cfg->dist), mc_dist_size(cfg->dist), &proto.g0, &proto.g1);
    proto.g1 += proto.g0;
    /* Workspaces: one per concurrent restart, within ~1 GB. */
    double ws_bytes = (double)n * (4.0 * (proto.T + 4) + 8.0 * 3) + (double)proto.G * (double)(kd + k) * 8.0;
    int nw = n_init >= 2 && nt >= 2 ? (n_init < nt ? n_init : nt) : 1;
    if (mc_dist_size(cfg->dist) > 1) nw = 1; /* collectives from the calling thread only, restart by restart */
    while (nw > 1 && ws_bytes * nw > 1e9) nw--;
    proto.nt = nw > 1 ? 1 : nt;
    km *ws = mc_calloc((size_t)nw, sizeof *ws);
    km_best *bs = mc_calloc((size_t)nw, sizeof *bs);
    float *x_sq = mc_alloc((size_t)n, sizeof(float)); // (n)
    float *XT = mc_alloc((size_t)(mc_cl_km_nblk(n) * d * KM_BLK), sizeof(float)); // (nblk, d, KM_BLK)
    proto.XT = XT;
    st = ws && bs && x_sq && XT ? MC_STATUS_OK : MC_STATUS_NO_MEMORY;
    for (int t = 0; t < nw && !st; t++) {
        ws[t] = proto;
        ws[t].x_sq = x_sq;
        st = km_alloc(&ws[t]);
        bs[t].inertia = INFINITY;
        bs[t].r = -1;
        bs[t].labels = mc_alloc((size_t)n, sizeof(int32_t));
        bs[t].centers = mc_alloc((size_t)kd, sizeof(float));
        if (!st && (!bs[t].labels || !bs[t].centers)) st = MC_STATUS_NO_MEMORY;
    }
    if (!st) st = mc_cl_result_init(out, MC_CLUSTER_ALGO_KMEANS, n, d);
    if (!st) {
        out->centers = mc_alloc((size_t)kd, sizeof(float));
        if (!out->centers) st = MC_STATUS_NO_MEMORY;
    }
    if (st == MC_STATUS_NO_MEMORY)
        mc_error_set(st, "k-means: out of memory for %lld x %lld points, k = %d", (long long)n, (long long)d, k);
    /* a rank short of memory stops every rank here, before the collectives of the Lloyd steps */
    if (mc_dist_size(cfg->dist) > 1) st = mc_dist_check(cfg->dist, st);
    if (st) goto done;
    /* row by row: the same values for any thread count */
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t i = 0; i < n; i++) {
        const float *x = X + i * d;
        double s = 0;
        for (int64_t f = 0; f < d; f++) s += (double)x[f] * x[f];
        x_sq[i] = (float)s;
    }
    mc_cl_km_transpose(X, n, d, nt, XT);
    /* sklearn _tolerance: tol * mean over features of the variance of X. */
    double var_sum = 0;
    {
        double *mean = ws[0].sums; /* (d) scratch; sums has k * d >= d entries */
        memset(mean, 0, (size_t)d * sizeof(double));
        for (int64_t i = 0; i < n; i++)
            for (int64_t f = 0; f < d; f++) mean[f] += X[i * d + f];
        for (int64_t f = 0; f < d; f++) mean[f] /= (double)n;
        for (int64_t i = 0; i < n; i++)
            for (int64_t f = 0; f < d; f++) {
                double t = X[i * d + f] - mean[f];
                var_sum += t * t;
            }
    }
    const double tol = tol_rel * var_sum / (double)n / (double)d;
    mc_progress_set_total(cfg->progress, n_init);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nw)
    for (int r = 0; r < n_init; r++) {
        int t = nw > 1 ? omp_get_thread_num() : 0;
        km *w = &ws[t];
        km_best *b = &bs[t];
        if (init) {
            memcpy(w->centers, init, (size_t)kd * sizeof(float));
        } else {
            mc_rng rng;
            mc_rng_seed(&rng, cfg->seed, stream_base + (uint64_t)r);
            kmeanspp(w, &rng);
        }
        double in;
        int it;
        bool conv;
        lloyd_run(w, max_iter, tol, &in, &it, &conv);
        /* a thread gets its restarts in increasing order: strict < keeps the earliest on ties */
        if (in < b->inertia) {
            b->inertia = in;
            b->r = r;
            b->n_iter = it;
            b->converged = conv;
            memcpy(b->labels, w->labels, (size_t)n * sizeof(int32_t));
            memcpy(b->centers, w->centers, (size_t)kd * sizeof(float));
        }
        mc_progress_tick(cfg->progress, 1);
    }
    for (int t = 0; t < nw && !st; t++) st = ws[t].st;
    if (st) goto done;
    int bt = -1;
    for (int t = 0; t < nw; t++)
        if (bs[t].r >= 0 && (bt < 0 || bs[t].inertia < bs[bt].inertia ||
                             (bs[t].inertia == bs[bt].inertia && bs[t].r < bs[bt].r)))
            bt = t;
    if (bt < 0 || !isfinite(bs[bt].inertia)) {
        st = mc_error_set(MC_STATUS_NUMERIC, "k-means: inertia is not finite");
        goto done;
    }
    memcpy(out->labels, bs[bt].labels, (size_t)n * sizeof(int32_t));
    memcpy(out->centers, bs[bt].centers, (size_t)kd * sizeof(float));
    out->n_iter = bs[bt].n_iter;
    out->converged = bs[bt].converged;
    out->inertia = bs[bt].inertia;
    out->k = k;
done:
    for (int t = 0; t < nw && ws && bs; t++) {
        km_free(&ws[t]);
        mc_free(bs[t].labels);
        mc_free(bs[t].centers);
    }
    free(ws);
    free(bs);
    mc_free(x_sq);
    mc_free(XT);
    if (st) mc_clustering_free(out);
    return st;
}

mc_status mc_cl_kmeans_run(const mc_cluster_config *cfg, const float *X, int64_t n, int64_t d,
                           uint64_t stream_base, mc_clustering *out) {
    return kmeans_main(cfg, X, n, d, stream_base, NULL, out);
}

mc_status mc_cluster_kmeans_from(const mc_cluster_config *cfg, const float *X, int64_t n, int64_t d,
                                 const float *init, mc_clustering *out) {
    if (!init) {
        memset(out, 0, sizeof *out);
        return mc_error_set(MC_STATUS_INVALID_ARG, "k-means: initial centres are NULL");
    }
    return kmeans_main(cfg, X, n, d, 0, init, out);
}

mc_status mc_cluster_kmeans(const mc_cluster_config *cfg, const float *X, int64_t n, int64_t d,
                            mc_clustering *out) {
    return mc_cl_kmeans_run(cfg, X, n, d, 0, out);
}
