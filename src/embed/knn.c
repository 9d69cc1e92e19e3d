/* embed: k nearest neighbours for t-SNE (sklearn's exact NearestNeighbors) and UMAP (umap-learn's
 * exact search for small data, NN-descent for large data).
 *
 * Both searches order neighbours by (squared distance, index), a total order, so the set kept does
 * not depend on the order candidates arrive in; together with fixed work partitions this makes the
 * result independent of the thread count. */
#include "embed_internal.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <string.h>

/* ---------------------------------------------------------------- bounded max-heap on (d2, index) */

/* a is farther than b in the (distance, index) order. */
static inline bool worse(double da, int32_t ia, double db, int32_t ib) {
    return da > db || (da == db && ia > ib);
}

/* Entries a and b of the heap exchanged (hf, the flags, may be NULL). */
static inline void heap_swap(double *hd, int32_t *hi, uint8_t *hf, int a, int b) {
    double td = hd[a];
    hd[a] = hd[b];
    hd[b] = td;
    int32_t ti = hi[a];
    hi[a] = hi[b];
    hi[b] = ti;
    if (hf) {
        uint8_t tf = hf[a];
        hf[a] = hf[b];
        hf[b] = tf;
    }
}

/* Max-heap of `size` entries on (hd, hi): the root is the farthest kept neighbour. */
static void heap_sift_down(double *hd, int32_t *hi, uint8_t *hf, int size, int s) {
    for (;;) {
        int l = 2 * s + 1, r = l + 1, m = s;
        if (l < size && worse(hd[l], hi[l], hd[m], hi[m])) m = l;
        if (r < size && worse(hd[r], hi[r], hd[m], hi[m])) m = r;
        if (m == s) return;
        heap_swap(hd, hi, hf, s, m);
        s = m;
    }
}

static void heap_sift_up(double *hd, int32_t *hi, uint8_t *hf, int s) {
    while (s > 0) {
        int p = (s - 1) / 2;
        if (!worse(hd[s], hi[s], hd[p], hi[p])) return;
        heap_swap(hd, hi, hf, s, p);
        s = p;
    }
}

/* Offer (v, j) to a heap holding *size <= k entries; returns 1 when it was kept. */
static inline int heap_offer(double *hd, int32_t *hi, uint8_t *hf, int *size, int k, double v, int32_t j) {
    if (*size < k) {
        hd[*size] = v;
        hi[*size] = j;
        if (hf) hf[*size] = 1;
        heap_sift_up(hd, hi, hf, (*size)++);
        return 1;
    }
    if (!worse(hd[0], hi[0], v, j)) return 0;
    hd[0] = v;
    hi[0] = j;
    if (hf) hf[0] = 1;
    heap_sift_down(hd, hi, hf, k, 0);
    return 1;
}

/* Sort (d, i) pairs ascending in the (distance, index) order: insertion sort (k is small). */
static void sort_pairs(double *d, int32_t *i, int k) {
    for (int a = 1; a < k; a++) {
        double vd = d[a];
        int32_t vi = i[a];
        int b = a - 1;
        while (b >= 0 && worse(d[b], i[b], vd, vi)) {
            d[b + 1] = d[b];
            i[b + 1] = i[b];
            b--;
        }
        d[b + 1] = vd;
        i[b + 1] = vi;
    }
}

/* Squared euclidean distance in double, summed in feature order. */
static inline double sqdist(const float *a, const float *b, int d) {
    double s = 0.0;
    for (int f = 0; f < d; f++) {
        double t = (double)a[f] - (double)b[f];
        s += t * t;
    }
    return s;
}

/* Squared euclidean distance in float, 4 lanes at a time (the lanes summed in a fixed order): the
 * NN-descent's candidate tests; the neighbours it keeps are re-measured with sqdist. */
static inline double sqdist_f(const float *a, const float *b, int d) {
    v4 s = v4_set1(0.0f);
    int f = 0;
    for (; f + 4 <= d; f += 4) {
        const v4 t = v4_sub(v4_load(a + f), v4_load(b + f));
        s = v4_add(s, v4_mul(t, t));
    }
    double r = v4_hsum(s);
    for (; f < d; f++) {
        const float t = a[f] - b[f];
        r += (double)(t * t);
    }
    return r;
}

/* ---------------------------------------------------------------- exact, blocked */

#define KNN_RB 128  /* rows per block */
#define KNN_CB 1024 /* columns per dgemm tile */

mc_status emb_knn_exact(const float *X, int64_t n, int d, int k, int threads, int32_t *idx, double *d2) {
    if (k < 1 || k > n - 1)
        return mc_error_set(MC_STATUS_INVALID_ARG, "knn: k = %d must be in [1, n - 1 = %lld]", k, (long long)(n - 1));
    const int nt = threads < 1 ? 1 : threads;
    double *Xc = mc_alloc((size_t)n * (size_t)d, sizeof(double));            // (n, d) column-centred
    double *nrm = mc_alloc((size_t)n, sizeof(double));                          // (n) squared norms of Xc rows
    double *mean = mc_alloc((size_t)d, sizeof(double));                         // (d)
    double *tile = mc_alloc((size_t)nt * KNN_RB * KNN_CB, sizeof(double));      // (nt, RB, CB) -2 x.y tiles
    double *hd = mc_alloc((size_t)nt * KNN_RB * (size_t)k, sizeof(double));     // (nt, RB, k) heaps: distances
    int32_t *hi = mc_alloc((size_t)nt * KNN_RB * (size_t)k, sizeof(int32_t));   // (nt, RB, k) heaps: indices
    if (!Xc || !nrm || !mean || !tile || !hd || !hi) {
        mc_free(Xc), mc_free(nrm), mc_free(mean), mc_free(tile), mc_free(hd), mc_free(hi);
        return MC_STATUS_NO_MEMORY;
    }
    /* Centring first keeps ||x||^2 - 2 x.y + ||y||^2 from cancelling catastrophically when the data sit
     * far from the origin; the kept neighbours are re-measured directly anyway. */
    emb_centre(X, n, d, mean, Xc, nrm);
    const int64_t nb = (n + KNN_RB - 1) / KNN_RB;
    const int blas_prev = mc_threads_blas_serial_begin();
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (int64_t b = 0; b < nb; b++) {
        const int t = omp_get_thread_num();
        double *T = tile + (size_t)t * KNN_RB * KNN_CB;
        double *bd = hd + (size_t)t * KNN_RB * k;
        int32_t *bi = hi + (size_t)t * KNN_RB * k;
        int size[KNN_RB];
        const int64_t r0 = b * KNN_RB, rb = (n - r0 < KNN_RB) ? n - r0 : KNN_RB;
        for (int r = 0; r < rb; r++) size[r] = 0;
        for (int64_t c0 = 0; c0 < n; c0 += KNN_CB) {
            const int64_t cb = (n - c0 < KNN_CB) ? n - c0 : KNN_CB;
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rb, (int)cb, d, -2.0, Xc + r0 * d, d, Xc + c0 * d,
                        d, 0.0, T, (int)cb);
            for (int r = 0; r < rb; r++) {
                const int64_t i = r0 + r;
                const double ni = nrm[i];
                const double *Tr = T + (size_t)r * cb;
                double *rd = bd + (size_t)r * k;
                int32_t *ri = bi + (size_t)r * k;
                for (int64_t c = 0; c < cb; c++) {
                    const int64_t j = c0 + c;
                    if (j == i) continue;
                    double v = Tr[c] + ni + nrm[j];
                    if (v < 0) v = 0;
                    if (size[r] == k && !worse(rd[0], ri[0], v, (int32_t)j)) continue;
                    heap_offer(rd, ri, NULL, &size[r], k, v, (int32_t)j);
                }
            }
        }
        for (int r = 0; r < rb; r++) {
            const int64_t i = r0 + r;
            double *rd = bd + (size_t)r * k;
            int32_t *ri = bi + (size_t)r * k;
            /* re-measure directly (no expansion): the values handed on are exact to double rounding */
            for (int q = 0; q < k; q++) rd[q] = sqdist(X + i * d, X + (int64_t)ri[q] * d, d);
            sort_pairs(rd, ri, k);
            memcpy(idx + i * k, ri, (size_t)k * sizeof(int32_t));
            memcpy(d2 + i * k, rd, (size_t)k * sizeof(double));
        }
    }
    mc_threads_blas_serial_end(blas_prev);
    mc_free(Xc), mc_free(nrm), mc_free(mean), mc_free(tile), mc_free(hd), mc_free(hi);
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- NN-descent */

/* A 32-bit hash of (key, iteration, a, b) (splitmix64's finaliser), used as a sampling priority: the
 * same candidate pair gets the same priority whatever order the lists are built in; the key is drawn
 * from the seed's mc_rng stream. */
static inline uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static inline uint32_t prio(uint64_t key, uint64_t it, uint64_t a, uint64_t b) {
    return (uint32_t)(mix64(key ^ mix64(it * 0x9E3779B97F4A7C15ull ^ mix64(a * 0xD1B54A32D192ED03ull + b))) >> 32);
}

/* A candidate list of at most cap entries keeping the smallest priorities (max-heap on (priority,
 * index)): pynndescent's build_candidates samples a point's new / old neighbours this way. */
static void cand_push(int32_t *L, uint32_t *P, int32_t *cnt, int cap, int32_t v, uint32_t p) {
    int c = *cnt;
#define CAND_WORSE(x, y) (P[x] > P[y] || (P[x] == P[y] && L[x] > L[y]))
    if (c < cap) {
        L[c] = v;
        P[c] = p;
        int s = c;
        while (s > 0) {
            int q = (s - 1) / 2;
            if (!CAND_WORSE(s, q)) break;
            int32_t tl = L[s]; L[s] = L[q]; L[q] = tl;
            uint32_t tp = P[s]; P[s] = P[q]; P[q] = tp;
            s = q;
        }
        *cnt = c + 1;
        return;
    }
    if (p > P[0] || (p == P[0] && v >= L[0])) return;
    L[0] = v;
    P[0] = p;
    int s = 0;
    for (;;) {
        int l = 2 * s + 1, r = l + 1, m = s;
        if (l < cap && CAND_WORSE(l, m)) m = l;
        if (r < cap && CAND_WORSE(r, m)) m = r;
        if (m == s) break;
        int32_t tl = L[s]; L[s] = L[m]; L[m] = tl;
        uint32_t tp = P[s]; P[s] = P[m]; P[m] = tp;
        s = m;
    }
#undef CAND_WORSE
}

/* One random projection tree (umap-learn / pynndescent make_euclidean_tree): the index range is
 * split by the hyperplane halfway between two random points of it, recursively, until at most
 * leaf_size points remain; points on the plane, and a split that leaves one side empty, go to a
 * random side. perm (n) receives the points grouped by leaf, leaf (n) each point's leaf start in
 * perm, leaf_end (n) that leaf's end. */
static void rp_tree(const float *X, int64_t n, int d, int leaf_size, mc_rng *r, int32_t *perm, int32_t *leaf,
                    int32_t *leaf_end, double *normal, int64_t *stack) {
    for (int64_t i = 0; i < n; i++) perm[i] = (int32_t)i;
    int top = 0;
    stack[top++] = 0, stack[top++] = n;
    while (top > 0) {
        const int64_t e = stack[--top], b = stack[--top];
        if (e - b <= leaf_size) {
            for (int64_t p = b; p < e; p++) leaf[perm[p]] = (int32_t)b, leaf_end[perm[p]] = (int32_t)e;
            continue;
        }
        const int64_t li = b + (int64_t)mc_rng_below(r, (uint64_t)(e - b));
        int64_t ri = b + (int64_t)mc_rng_below(r, (uint64_t)(e - b - 1));
        if (ri >= li) ri++;
        const float *xl = X + (int64_t)perm[li] * d, *xr = X + (int64_t)perm[ri] * d;
        double off = 0;
        for (int f = 0; f < d; f++) {
            normal[f] = (double)xl[f] - (double)xr[f];
            off -= normal[f] * ((double)xl[f] + (double)xr[f]) / 2.0;
        }
        /* partition in place: left side (margin > 0) first */
        int64_t lo = b, hi = e;
        while (lo < hi) {
            const float *x = X + (int64_t)perm[lo] * d;
            double m = off;
            for (int f = 0; f < d; f++) m += normal[f] * x[f];
            const bool left = m > 0 || (m == 0 && (mc_rng_next(r) & 1));
            if (left) {
                lo++;
            } else {
                const int32_t t = perm[lo];
                perm[lo] = perm[--hi];
                perm[hi] = t;
            }
        }
        if (lo == b || lo == e) { /* degenerate (duplicates): a random half split */
            for (int64_t p = e - 1; p > b; p--) {
                const int64_t q = b + (int64_t)mc_rng_below(r, (uint64_t)(p - b + 1));
                const int32_t t = perm[p];
                perm[p] = perm[q];
                perm[q] = t;
            }
            lo = b + (e - b) / 2;
        }
        /* the larger side waits on the stack, the smaller goes next: at most log2(n) pending ranges */
        if (lo - b > e - lo) {
            stack[top++] = b, stack[top++] = lo;
            stack[top++] = lo, stack[top++] = e;
        } else {
            stack[top++] = lo, stack[top++] = e;
            stack[top++] = b, stack[top++] = lo;
        }
    }
}

mc_status emb_knn_nndescent(const float *X, int64_t n, int d, int k, uint64_t seed, int threads, int32_t *idx,
                            double *d2) {
    if (k < 1 || k > n - 1)
        return mc_error_set(MC_STATUS_INVALID_ARG, "knn: k = %d must be in [1, n - 1 = %lld]", k, (long long)(n - 1));
    if (n > INT32_MAX - 1) return mc_error_set(MC_STATUS_INVALID_ARG, "knn: %lld points is too many", (long long)n);
    const int nt = threads < 1 ? 1 : threads;
    /* pynndescent defaults as umap-learn calls them: max_candidates 60, n_iters max(5, round(log2 n)),
     * delta 0.001. */
    const int cap = 60;
    const int max_it = (int)fmax(5.0, floor(log2((double)n) + 0.5));
    const double delta = 0.001;
    double *hd = mc_alloc((size_t)n * k, sizeof(double));      // (n, k) heaps: squared distances
    int32_t *hi = mc_alloc((size_t)n * k, sizeof(int32_t));    // (n, k) heaps: indices
    uint8_t *hf = mc_alloc((size_t)n * k, 1);                   // (n, k) heaps: 1 = new (not yet joined)
    int32_t *L = mc_alloc((size_t)n * 2 * cap, sizeof(int32_t));   // (n, 2, cap) new / old candidate lists
    uint32_t *P = mc_alloc((size_t)n * 2 * cap, sizeof(uint32_t)); // (n, 2, cap) their priorities
    int32_t *cnt = mc_alloc((size_t)n * 2, sizeof(int32_t));       // (n, 2) list lengths
    int64_t *inv_ptr = mc_alloc((size_t)n + 1, sizeof(int64_t));   // (n + 1) CSR of "who lists p"
    int32_t *inv = mc_alloc((size_t)n * 2 * cap, sizeof(int32_t)); // (<= n * 2 cap) lister, +flag in the top bit
    int64_t *stamp = mc_alloc((size_t)nt * n, sizeof(int64_t));    // (nt, n) visited marks
    int64_t *upd = mc_alloc((size_t)n, sizeof(int64_t));           // (n) updates per point this iteration
    if (!hd || !hi || !hf || !L || !P || !cnt || !inv_ptr || !inv || !stamp || !upd) {
        mc_free(hd), mc_free(hi), mc_free(hf), mc_free(L), mc_free(P), mc_free(cnt), mc_free(inv_ptr), mc_free(inv),
            mc_free(stamp), mc_free(upd);
        return MC_STATUS_NO_MEMORY;
    }
    const int64_t nk = (int64_t)k;
    /* Initial graph (umap-learn: NNDescent seeded from a random projection forest): the points that
     * share a leaf of one of n_trees random projection trees (leaf size max(10, k + 1)), topped up
     * with random points; each point fills its own list, so threads do not interact. */
    const int n_trees = (int)fmin(64.0, 5.0 + floor(sqrt((double)n) / 20.0 + 0.5));
    const int leaf_size = k + 1 > 10 ? k + 1 : 10;
    int32_t *perm = mc_alloc((size_t)n_trees * n, sizeof(int32_t));     // (trees, n) points by leaf
    int32_t *leaf = mc_alloc((size_t)n_trees * n, sizeof(int32_t));     // (trees, n) leaf start per point
    int32_t *leaf_end = mc_alloc((size_t)n_trees * n, sizeof(int32_t)); // (trees, n) leaf end per point
    double *normal = mc_alloc((size_t)n_trees * d, sizeof(double));     // (trees, d)
    int64_t *tstack = mc_alloc((size_t)n_trees * 256, sizeof(int64_t));  // (trees, 256) index ranges
    if (!perm || !leaf || !leaf_end || !normal || !tstack) {
        mc_free(perm), mc_free(leaf), mc_free(leaf_end), mc_free(normal), mc_free(tstack);
        mc_free(hd), mc_free(hi), mc_free(hf), mc_free(L), mc_free(P), mc_free(cnt), mc_free(inv_ptr), mc_free(inv),
            mc_free(stamp), mc_free(upd);
        return MC_STATUS_NO_MEMORY;
    }
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (int t = 0; t < n_trees; t++) {
        mc_rng r;
        mc_rng_seed(&r, seed, ((uint64_t)EMB_STREAM_NND << 40) + 0x100000000ull + (uint64_t)t);
        rp_tree(X, n, d, leaf_size, &r, perm + (size_t)t * n, leaf + (size_t)t * n, leaf_end + (size_t)t * n,
                normal + (size_t)t * d, tstack + (size_t)t * 256);
    }
#pragma omp parallel for num_threads(nt) schedule(dynamic, 256)
    for (int64_t i = 0; i < n; i++) {
        int64_t *mark = stamp + (size_t)omp_get_thread_num() * n;
        const int64_t tag = -(i + 1); /* negative: never equal to an iteration's tag */
        double *pd = hd + i * nk;
        int32_t *pi = hi + i * nk;
        uint8_t *pf = hf + i * nk;
        int size = 0;
        mark[i] = tag;
        for (int t = 0; t < n_trees; t++) {
            const int32_t *pt = perm + (size_t)t * n;
            for (int64_t q = leaf[(size_t)t * n + i]; q < leaf_end[(size_t)t * n + i]; q++) {
                const int32_t j = pt[q];
                if (mark[j] == tag) continue;
                mark[j] = tag;
                const double dj = sqdist_f(X + i * d, X + (int64_t)j * d, d);
                if (size < k || worse(pd[0], pi[0], dj, j)) heap_offer(pd, pi, pf, &size, k, dj, j);
            }
        }
        mc_rng r;
        mc_rng_seed(&r, seed, ((uint64_t)EMB_STREAM_NND << 40) + (uint64_t)i);
        while (size < k) {
            const int32_t j = (int32_t)mc_rng_below(&r, (uint64_t)n);
            if (mark[j] == tag) continue;
            mark[j] = tag;
            heap_offer(pd, pi, pf, &size, k, sqdist_f(X + i * d, X + (int64_t)j * d, d), j);
        }
    }
    mc_free(perm), mc_free(leaf), mc_free(leaf_end), mc_free(normal), mc_free(tstack);
    /* the key of the sampling priorities, from the seed's own stream */
    mc_rng kr;
    mc_rng_seed(&kr, seed, ((uint64_t)EMB_STREAM_NND << 40) + 0x200000000ull);
    const uint64_t key = mc_rng_next(&kr);
    for (int it = 0; it < max_it; it++) {
        /* 1. candidate lists (sequential: cheap, and the pushes' order then never varies). New and
         *    old neighbours of i, forward and reverse, keep the cap smallest priorities. */
        memset(cnt, 0, (size_t)n * 2 * sizeof(int32_t));
        for (int64_t i = 0; i < n; i++)
            for (int q = 0; q < k; q++) {
                const int32_t j = hi[i * nk + q];
                const int w = hf[i * nk + q] ? 0 : 1;
                const uint32_t p = prio(key, (uint64_t)it, (uint64_t)(i < j ? i : j), (uint64_t)(i < j ? j : i));
                cand_push(L + (i * 2 + w) * cap, P + (i * 2 + w) * cap, &cnt[i * 2 + w], cap, j, p);
                cand_push(L + ((int64_t)j * 2 + w) * cap, P + ((int64_t)j * 2 + w) * cap, &cnt[(int64_t)j * 2 + w], cap,
                          (int32_t)i, p);
            }
        /* a new neighbour that made it into i's new list is joined now: mark it old */
        for (int64_t i = 0; i < n; i++)
            for (int q = 0; q < k; q++) {
                if (!hf[i * nk + q]) continue;
                const int32_t j = hi[i * nk + q];
                for (int c = 0; c < cnt[i * 2]; c++)
                    if (L[i * 2 * cap + c] == j) {
                        hf[i * nk + q] = 0;
                        break;
                    }
            }
        /* 2. who lists p: inv[p] = {v : p in new(v)} (flag 0) and {v : p in old(v)} (flag in top bit) */
        memset(inv_ptr, 0, (size_t)(n + 1) * sizeof(int64_t));
        for (int64_t v = 0; v < n; v++)
            for (int w = 0; w < 2; w++)
                for (int c = 0; c < cnt[v * 2 + w]; c++) inv_ptr[L[(v * 2 + w) * cap + c] + 1]++;
        for (int64_t p = 0; p < n; p++) inv_ptr[p + 1] += inv_ptr[p];
        for (int64_t v = 0; v < n; v++)
            for (int w = 0; w < 2; w++)
                for (int c = 0; c < cnt[v * 2 + w]; c++) {
                    const int32_t p = L[(v * 2 + w) * cap + c];
                    inv[inv_ptr[p]++] = (int32_t)v | (w ? (int32_t)0x40000000 : 0);
                }
        for (int64_t p = n; p > 0; p--) inv_ptr[p] = inv_ptr[p - 1];
        inv_ptr[0] = 0;
        /* 3. local join, written so that each point only updates its own list ("pull"): p meets every
         *    point that shares a candidate list with it, where at least one of the two is new there
         *    (the pairs NN-descent's local join forms), and the lists are read-only here. */
#pragma omp parallel for num_threads(nt) schedule(dynamic, 64)
        for (int64_t p = 0; p < n; p++) {
            int64_t *mark = stamp + (size_t)omp_get_thread_num() * n;
            const int64_t tag = (int64_t)it * n + p + 1; /* unique per (iteration, point): no clearing */
            double *pd = hd + p * nk;
            int32_t *pi = hi + p * nk;
            uint8_t *pf = hf + p * nk;
            int size = k;
            int64_t u = 0;
            mark[p] = tag;
            for (int q = 0; q < k; q++) mark[pi[q]] = tag;
            for (int64_t e = inv_ptr[p]; e < inv_ptr[p + 1]; e++) {
                const int32_t v = inv[e] & 0x3FFFFFFF;
                const int p_old = (inv[e] & 0x40000000) != 0;
                /* v itself */
                if (mark[v] != tag) {
                    mark[v] = tag;
                    double dv = sqdist_f(X + p * d, X + (int64_t)v * d, d);
                    if (worse(pd[0], pi[0], dv, v)) u += heap_offer(pd, pi, pf, &size, k, dv, v);
                }
                for (int w = 0; w < 2; w++) {
                    if (p_old && w == 1) break; /* old meets old: already joined before */
                    const int32_t *Lv = L + ((int64_t)v * 2 + w) * cap;
                    for (int c = 0; c < cnt[v * 2 + w]; c++) {
                        const int32_t q = Lv[c];
                        if (mark[q] == tag) continue;
                        mark[q] = tag;
                        double dq = sqdist_f(X + p * d, X + (int64_t)q * d, d);
                        if (worse(pd[0], pi[0], dq, q)) u += heap_offer(pd, pi, pf, &size, k, dq, q);
                    }
                }
            }
            upd[p] = u;
        }
        int64_t total = 0;
        for (int64_t p = 0; p < n; p++) total += upd[p];
        if ((double)total <= delta * (double)n * (double)k) break;
    }
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        /* re-measured in double, then ordered */
        for (int q = 0; q < k; q++) hd[i * nk + q] = sqdist(X + i * d, X + (int64_t)hi[i * nk + q] * d, d);
        sort_pairs(hd + i * nk, hi + i * nk, k);
        memcpy(idx + i * nk, hi + i * nk, (size_t)k * sizeof(int32_t));
        memcpy(d2 + i * nk, hd + i * nk, (size_t)k * sizeof(double));
    }
    mc_free(hd), mc_free(hi), mc_free(hf), mc_free(L), mc_free(P), mc_free(cnt), mc_free(inv_ptr), mc_free(inv),
        mc_free(stamp), mc_free(upd);
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- dispatch */

mc_status emb_knn(const float *X, int64_t n, int d, int k, mc_embed_knn_method method, int64_t exact_max,
                  uint64_t seed, int threads, int32_t *idx, double *d2) {
    if (exact_max <= 0) exact_max = EMB_KNN_EXACT_MAX_DEFAULT;
    if (method == MC_EMBED_KNN_AUTO) method = n <= exact_max ? MC_EMBED_KNN_EXACT : MC_EMBED_KNN_NNDESCENT;
    /* NN-descent needs room to move: for tiny n the exact search is as cheap and always right */
    if (method == MC_EMBED_KNN_NNDESCENT && n > 4 * (int64_t)k + 8)
        return emb_knn_nndescent(X, n, d, k, seed, threads, idx, d2);
    return emb_knn_exact(X, n, d, k, threads, idx, d2);
}

mc_status mc_embed_knn(const float *X, int64_t n, int d, int k, mc_embed_knn_method method, int64_t knn_exact_max,
                       uint64_t seed, int threads, int32_t *idx, float *dist) {
    mc_status st = emb_check_input("knn", X, n, d, 2);
    if (st) return st;
    if (!idx) return mc_error_set(MC_STATUS_INVALID_ARG, "knn: idx is NULL");
    if (k < 1 || k > n - 1)
        return mc_error_set(MC_STATUS_INVALID_ARG, "knn: k = %d must be in [1, n - 1 = %lld]", k, (long long)(n - 1));
    if (method < MC_EMBED_KNN_AUTO || method > MC_EMBED_KNN_NNDESCENT)
        return mc_error_set(MC_STATUS_INVALID_ARG, "knn: unknown method %d", (int)method);
    const int nt = mc_threads_resolve(threads);
    double *d2 = mc_alloc((size_t)n * k, sizeof(double)); // (n, k)
    if (!d2) return MC_STATUS_NO_MEMORY;
    st = emb_knn(X, n, d, k, method, knn_exact_max, seed, nt, idx, d2);
    if (!st && dist)
        for (int64_t i = 0; i < n * k; i++) dist[i] = (float)sqrt(d2[i]);
    mc_free(d2);
    return st;
}
