/* cluster: exact agglomerative clustering (sklearn.cluster.AgglomerativeClustering without
 * connectivity, which delegates to scipy.cluster.hierarchy.linkage / sklearn's mst_linkage_core).
 *
 *   ward              nearest-neighbour chain (scipy _hierarchy.nn_chain) on cluster centroids: the
 *                     Ward distance of two clusters is sqrt(2 na nb / (na + nb)) |ca - cb|, which is
 *                     what scipy's Lance-Williams recursion yields from Euclidean point distances;
 *                     O(n^2 d) time, O(n d) memory.
 *   average/complete  nearest-neighbour chain with Lance-Williams updates (scipy's _average and
 *                     _complete) on an (n, n) float32 matrix of Euclidean distances; active clusters
 *                     are kept in the first m rows/columns so every scan is contiguous.
 *   single            Prim's minimum spanning tree exactly as sklearn's mst_linkage_core (edges
 *                     (previous node, new node)), O(n) memory.
 * Merges are then sorted by height (stable) and renumbered with a union-find as scipy's
 * _hierarchy.label / sklearn's single_linkage_label do, and cut as sklearn's _hc_cut. */
#define _GNU_SOURCE /* MAP_ANONYMOUS, madvise */
#include "cluster_internal.h"

#include <math.h>
#include <sys/mman.h>
#include <unistd.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

typedef struct merge {
    int64_t a, b; /* one point of each merged cluster */
    double h;     /* height */
} merge;

static int nthreads(int t) { return t > 0 ? t : mc_threads_available(); }

/* ---------------------------------------------------------------- tree assembly */

/* Stable merge sort of merges by height (numpy argsort kind="mergesort"). */
static void sort_merges(merge *m, merge *tmp, int64_t n) {
    for (int64_t w = 1; w < n; w *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * w) {
            int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            int64_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi) tmp[o++] = m[j].h < m[i].h ? m[j++] : m[i++];
            while (i < mid) tmp[o++] = m[i++];
            while (j < hi) tmp[o++] = m[j++];
        }
        memcpy(m, tmp, (size_t)n * sizeof *m);
    }
}

/* merges (n-1) in any order -> scipy's linkage matrix (children, heights, sizes). */
static mc_status build_tree(merge *mg, int64_t n, mc_linkage linkage, mc_dendrogram *out) {
    memset(out, 0, sizeof *out);
    out->n = n;
    out->linkage = linkage;
    out->children = mc_alloc((size_t)(n - 1) * 2, sizeof(int64_t));
    out->distances = mc_alloc((size_t)(n - 1), sizeof(double));
    out->sizes = mc_alloc((size_t)(n - 1), sizeof(int64_t));
    merge *tmp = mc_alloc((size_t)(n - 1), sizeof(merge));
    int64_t *parent = mc_alloc((size_t)(2 * n - 1), sizeof(int64_t)); // (2n-1) union-find over nodes
    int64_t *size = mc_alloc((size_t)(2 * n - 1), sizeof(int64_t));   // (2n-1) points under a node
    if (!out->children || !out->distances || !out->sizes || !tmp || !parent || !size) {
        mc_free(tmp);
        mc_free(parent);
        mc_free(size);
        mc_cluster_dendrogram_free(out);
        return MC_STATUS_NO_MEMORY;
    }
    sort_merges(mg, tmp, n - 1);
    for (int64_t i = 0; i < 2 * n - 1; i++) {
        parent[i] = i;
        size[i] = i < n ? 1 : 0;
    }
    /* scipy.cluster._hierarchy.label: node n + i is made by merge i; children ordered (min, max).
     * sklearn's single linkage labels the MST with its own _single_linkage_label, which keeps the
     * edge's order (the cluster of the earlier Prim node first); its _hc_cut numbers clusters by
     * that order, so it is kept for single. */
    const bool ordered = linkage != MC_LINKAGE_SINGLE;
    for (int64_t i = 0; i < n - 1; i++) {
        int64_t x = mc_cl_uf_find(parent, mg[i].a), y = mc_cl_uf_find(parent, mg[i].b);
        int64_t node = n + i;
        parent[x] = node;
        parent[y] = node;
        size[node] = size[x] + size[y];
        out->children[2 * i] = ordered && y < x ? y : x;
        out->children[2 * i + 1] = ordered && y < x ? x : y;
        out->distances[i] = mg[i].h;
        out->sizes[i] = size[node];
    }
    mc_free(tmp);
    mc_free(parent);
    mc_free(size);
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- Python heapq, exactly */

/* heapq._siftdown / _siftup on an int64 array; the C _heapq module runs the same algorithm, so the
 * array order (which numbers the clusters in _hc_cut) is reproduced exactly. */
static void heap_siftdown(int64_t *h, int64_t start, int64_t pos) {
    int64_t item = h[pos];
    while (pos > start) {
        int64_t parent = (pos - 1) >> 1;
        if (item < h[parent]) {
            h[pos] = h[parent];
            pos = parent;
            continue;
        }
        break;
    }
    h[pos] = item;
}

static void heap_siftup(int64_t *h, int64_t len, int64_t pos) {
    int64_t start = pos, item = h[pos], child = 2 * pos + 1;
    while (child < len) {
        int64_t right = child + 1;
        if (right < len && !(h[child] < h[right])) child = right;
        h[pos] = h[child];
        pos = child;
        child = 2 * pos + 1;
    }
    h[pos] = item;
    heap_siftdown(h, start, pos);
}

mc_status mc_cluster_dendrogram_cut(const mc_dendrogram *t, int k, int32_t *labels) {
    if (!t || !t->children || t->n < 2 || !labels)
        return mc_error_set(MC_STATUS_INVALID_ARG, "dendrogram cut: no tree");
    const int64_t n = t->n;
    if (k < 1 || (int64_t)k > n)
        return mc_error_set(MC_STATUS_INVALID_ARG, "dendrogram cut: k must be in 1..%lld, got %d", (long long)n, k);
    int64_t *heap = mc_alloc((size_t)k + 1, sizeof(int64_t)); // (k+1) -node ids, a Python heap
    int64_t *stack = mc_alloc((size_t)n, sizeof(int64_t));    // (n) DFS stack over nodes
    if (!heap || !stack) {
        mc_free(heap);
        mc_free(stack);
        return MC_STATUS_NO_MEMORY;
    }
    /* sklearn.cluster._agglomerative._hc_cut */
    int64_t len = 0;
    int64_t c0 = t->children[2 * (n - 2)], c1 = t->children[2 * (n - 2) + 1];
    heap[len++] = -((c0 > c1 ? c0 : c1) + 1);
    for (int s = 0; s < k - 1; s++) {
        int64_t node = -heap[0];
        const int64_t *ch = t->children + 2 * (node - n);
        heap[len++] = -ch[0]; /* heappush */
        heap_siftdown(heap, 0, len - 1);
        int64_t item = -ch[1]; /* heappushpop */
        if (heap[0] < item) {
            int64_t top = heap[0];
            heap[0] = item;
            item = top;
            heap_siftup(heap, len, 0);
        }
    }
    for (int64_t i = 0; i < len; i++) {
        int64_t sp = 0;
        stack[sp++] = -heap[i];
        while (sp > 0) {
            int64_t v = stack[--sp];
            if (v < n) {
                labels[v] = (int32_t)i;
            } else {
                stack[sp++] = t->children[2 * (v - n)];
                stack[sp++] = t->children[2 * (v - n) + 1];
            }
        }
    }
    mc_free(heap);
    mc_free(stack);
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- Ward: NN-chain on centroids */

#define WARD_BLOCK 256

/* Scan of all active slots for the Ward-nearest neighbour of slot a, in two stages:
 *  1. with float32 copies of the centroids (SoA, (d, n): a thread's share of 20,000 x 32 stays in its
 *     L2 cache) in float arithmetic: h'_s = sqrt(w_s sum_f (fl(c_s,f) - fl(c_a,f))^2) with
 *     w_s = 2 n_a n_s / (n_a + n_s). Rounding a coordinate to float moves it by at most 2^-24 |c|,
 *     so the exact-coordinate distance is within sqrt(w_s) 2^-24 (|c_s| + |c_a|) of the one on float
 *     coordinates, and the float sum of d squares is within (d + 2) 2^-24 of it (relative);
 *  2. every slot whose lower bound is below the smallest upper bound is evaluated exactly from the
 *     double centroids, in slot order, and scipy's rule picks among them (the previous chain element
 *     on ties). The result is the exact nearest neighbour, as if every distance had been computed in
 *     double; usually one or two slots reach stage 2. */
typedef struct ward_ws {
    int64_t n, d;
    int nt;
    float *cf;      // (d, n) float centroids, SoA
    double *cd;     // (n, d) double centroids (centred data), exact
    double *cnorm;  // (n) |c_s|
    double *size;   // (n)
    int64_t *rep;   // (n) a point of each slot
    double *lo;     // (n) lower bound of h_s
    double *th_hi;  // (nt) per-thread smallest upper bound
    float *caf;     // (d) float centroid of a
} ward_ws;

static inline double ward_exact(const ward_ws *w, int64_t a, int64_t s) {
    const double *x = w->cd + a * w->d, *y = w->cd + s * w->d;
    double sq = 0;
    for (int64_t f = 0; f < w->d; f++) {
        double t = y[f] - x[f];
        sq += t * t;
    }
    return 2.0 * w->size[a] * w->size[s] / (w->size[a] + w->size[s]) * sq; /* squared Ward distance */
}

/* Stage 1 on slots [s0, s1): lo[s], and the smallest upper bound over s != a. */
static double ward_scan(ward_ws *w, int64_t a, int64_t s0, int64_t s1) {
    const int64_t n = w->n, d = w->d;
    const double na = w->size[a], cna = w->cnorm[a];
    const double eu = 1.0000001 * 0x1p-24, er = (double)(d + 3) * 0x1p-24;
    double hi_min = INFINITY;
    float acc[WARD_BLOCK];
    for (int64_t b0 = s0; b0 < s1; b0 += WARD_BLOCK) {
        int64_t bl = s1 - b0 < WARD_BLOCK ? s1 - b0 : WARD_BLOCK;
        for (int64_t t = 0; t < bl; t++) acc[t] = 0;
        for (int64_t f = 0; f < d; f++) {
            const float *row = w->cf + f * n + b0;
            const float ca = w->caf[f];
#pragma omp simd
            for (int64_t t = 0; t < bl; t++) {
                float u = row[t] - ca;
                acc[t] += u * u;
            }
        }
        for (int64_t t = 0; t < bl; t++) {
            int64_t s = b0 + t;
            double ns = w->size[s], wt = 2.0 * na * ns / (na + ns);
            double h = sqrt(wt * (double)acc[t]);
            double e = sqrt(wt) * eu * (cna + w->cnorm[s]) + er * h + 1e-300;
            double hi = h + e, lo = h - e;
            w->lo[s] = lo == lo ? lo : -INFINITY; /* an overflowed float sum: decide exactly */
            if (s != a && hi < hi_min) hi_min = hi;
        }
    }
    return hi_min;
}

/* Returns the nearest slot b != a (preferring prev, which may be -1) and its squared distance. */
static int64_t ward_nn(ward_ws *w, int64_t m, int64_t a, int64_t prev, double *best_out) {
    for (int64_t f = 0; f < w->d; f++) w->caf[f] = w->cf[f * w->n + a];
    double U;
    if (w->nt > 1 && m * w->d >= mc_cl_par_min_work) {
        for (int t = 0; t < w->nt; t++) w->th_hi[t] = INFINITY;
#pragma omp parallel num_threads(w->nt)
        {
            int nth = omp_get_num_threads(), th = omp_get_thread_num();
            w->th_hi[th] = ward_scan(w, a, m * th / nth, m * (th + 1) / nth);
        }
        U = INFINITY;
        for (int t = 0; t < w->nt; t++)
            if (w->th_hi[t] < U) U = w->th_hi[t];
    } else {
        U = ward_scan(w, a, 0, m);
    }
    /* scipy nn_chain: current_min = D(a, prev), then the first strictly smaller one in order */
    int64_t b = prev;
    double best = prev >= 0 ? ward_exact(w, a, prev) : INFINITY;
    for (int64_t s = 0; s < m; s++) {
        if (!(w->lo[s] <= U) || s == a) continue;
        double v = ward_exact(w, a, s);
        if (v < best) {
            best = v;
            b = s;
        }
    }
    if (b < 0) /* cannot happen with finite data; keep the chain well-formed anyway */
        for (int64_t s = 0; s < m && b < 0; s++)
            if (s != a) {
                b = s;
                best = ward_exact(w, a, s);
            }
    *best_out = best;
    return b;
}

static void ward_set_slot(ward_ws *w, int64_t s) {
    const double *c = w->cd + s * w->d;
    double nn = 0;
    for (int64_t f = 0; f < w->d; f++) {
        w->cf[f * w->n + s] = (float)c[f];
        nn += c[f] * c[f];
    }
    w->cnorm[s] = sqrt(nn);
}

static mc_status ward(const float *X, int64_t n, int64_t d, int nt, mc_progress *progress, merge *mg) {
    ward_ws w;
    memset(&w, 0, sizeof w);
    w.n = n;
    w.d = d;
    w.nt = nt;
    w.cf = mc_alloc((size_t)n * (size_t)d, sizeof(float));
    w.cd = mc_alloc((size_t)n * (size_t)d, sizeof(double));
    w.cnorm = mc_alloc((size_t)n, sizeof(double));
    w.size = mc_alloc((size_t)n, sizeof(double));
    w.rep = mc_alloc((size_t)n, sizeof(int64_t));
    w.lo = mc_alloc((size_t)n, sizeof(double));
    w.th_hi = mc_alloc((size_t)nt, sizeof(double));
    w.caf = mc_alloc((size_t)d, sizeof(float));
    int64_t *chain = mc_alloc((size_t)n + 1, sizeof(int64_t)); // (n+1) slots on the chain
    double *mean = mc_alloc((size_t)d, sizeof(double));        // (d)
    mc_status st = MC_STATUS_OK;
    if (!w.cf || !w.cd || !w.cnorm || !w.size || !w.rep || !w.lo || !w.th_hi || !w.caf ||
        !chain || !mean) {
        st = MC_STATUS_NO_MEMORY;
        goto done;
    }
    /* Ward distances do not change under translation; centring keeps |c| (and so the float
     * rounding bound) small next to the distances. */
    for (int64_t i = 0; i < n; i++)
        for (int64_t f = 0; f < d; f++) mean[f] += X[i * d + f];
    for (int64_t f = 0; f < d; f++) mean[f] /= (double)n;
    for (int64_t i = 0; i < n; i++) {
        for (int64_t f = 0; f < d; f++) w.cd[i * d + f] = (double)X[i * d + f] - mean[f];
        ward_set_slot(&w, i);
        w.size[i] = 1;
        w.rep[i] = i;
    }
    int64_t m = n, L = 0, nm = 0;
    const int64_t tick = n / 100 + 1;
    while (m > 1) {
        if (L == 0) chain[L++] = 0;
        int64_t a, b;
        double best;
        for (;;) {
            a = chain[L - 1];
            int64_t prev = L > 1 ? chain[L - 2] : -1;
            b = ward_nn(&w, m, a, prev, &best);
            if (L > 1 && b == prev) break;
            chain[L++] = b;
        }
        L -= 2;
        /* Merge b into a, then move the last slot into b's place. */
        mg[nm].a = w.rep[a];
        mg[nm].b = w.rep[b];
        mg[nm].h = sqrt(best);
        nm++;
        double sa = w.size[a], sb = w.size[b], tot = sa + sb;
        for (int64_t f = 0; f < d; f++) w.cd[a * d + f] = (sa * w.cd[a * d + f] + sb * w.cd[b * d + f]) / tot;
        w.size[a] = tot;
        if (w.rep[b] < w.rep[a]) w.rep[a] = w.rep[b];
        ward_set_slot(&w, a);
        int64_t last = m - 1;
        if (b != last) {
            memcpy(w.cd + b * d, w.cd + last * d, (size_t)d * sizeof(double));
            w.size[b] = w.size[last];
            w.rep[b] = w.rep[last];
            ward_set_slot(&w, b);
            for (int64_t i = 0; i < L; i++)
                if (chain[i] == last) chain[i] = b;
        }
        m--;
        if (nm % tick == 0) mc_progress_tick(progress, tick);
    }
    mc_progress_tick(progress, (n - 1) % tick);
done:
    mc_free(w.cf);
    mc_free(w.cd);
    mc_free(w.cnorm);
    mc_free(w.size);
    mc_free(w.rep);
    mc_free(w.lo);
    mc_free(w.th_hi);
    mc_free(w.caf);
    mc_free(chain);
    mc_free(mean);
    return st;
}

/* ---------------------------------------------------------------- average / complete */

#define TILE_R 64
#define TILE_C 512

/* The (n, n) matrix is mapped directly (not mc_alloc) so that it can ask for transparent huge pages
 * before the first touch: the column updates of the Lance-Williams step touch one element per row,
 * and with 4 KiB pages every one of them is also a TLB miss. Zero-filled by the kernel. */
static float *matrix_alloc(size_t bytes) {
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE); /* a hint: failure only costs speed */
#endif
    return p;
}

static mc_status matrix_linkage(const float *X, int64_t n, int64_t d, mc_linkage linkage, int nt,
                                mc_progress *progress, merge *mg) {
    if ((uint64_t)n > ((uint64_t)SIZE_MAX / sizeof(float)) / (uint64_t)n)
        return mc_error_set(MC_STATUS_NO_MEMORY, "%s linkage: %lld points need an n x n matrix that does not fit",
                            mc_linkage_name(linkage), (long long)n);
    const size_t mbytes = (size_t)n * (size_t)n * sizeof(float);
    /* The matrix is mapped lazily: refuse up front what would not fit in memory rather than be
     * killed while filling it. */
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0 && (double)mbytes > 0.8 * (double)pages * (double)page)
        return mc_error_set(MC_STATUS_NO_MEMORY,
                            "%s linkage on %lld points needs a %.1f GB distance matrix, more than this machine's "
                            "memory allows; use ward or single linkage (O(n d) memory), or fewer points",
                            mc_linkage_name(linkage), (long long)n, (double)mbytes * 1e-9);
    float *D = matrix_alloc(mbytes);                            // (n, n) distances between clusters (by slot)
    float *Xt = mc_alloc((size_t)n * (size_t)d, sizeof(float)); // (d, n) points, transposed
    double *size = mc_alloc((size_t)n, sizeof(double));         // (n)
    int64_t *rep = mc_alloc((size_t)n, sizeof(int64_t));        // (n)
    int64_t *act = mc_alloc((size_t)n, sizeof(int64_t));        // (n) active slots, ascending
    int64_t *chain = mc_alloc((size_t)n + 1, sizeof(int64_t));  // (n+1)
    if (!D || !Xt || !size || !rep || !act || !chain) {
        if (D) munmap(D, mbytes);
        mc_free(Xt);
        mc_free(size);
        mc_free(rep);
        mc_free(act);
        mc_free(chain);
        return mc_error_nomem("%s linkage: out of memory for the %lld x %lld distance matrix "
                            "(%.1f GB)", mc_linkage_name(linkage), (long long)n, (long long)n,
                            (double)n * (double)n * 4e-9);
    }
    for (int64_t i = 0; i < n; i++) {
        for (int64_t f = 0; f < d; f++) Xt[f * n + i] = X[i * d + f];
        size[i] = 1;
        rep[i] = i;
        act[i] = i;
    }
    /* Upper triangle, Euclidean in double from the float32 points (scipy pdist "euclidean" on the
     * same values), in tiles so that a column tile of points stays in cache; then mirrored. */
    const int64_t nrt = (n + TILE_R - 1) / TILE_R;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (int64_t rt = 0; rt < nrt; rt++) {
        double acc[TILE_C];
        int64_t i0 = rt * TILE_R, i1 = i0 + TILE_R < n ? i0 + TILE_R : n;
        for (int64_t j0 = (i0 / TILE_C) * TILE_C; j0 < n; j0 += TILE_C) {
            int64_t j1 = j0 + TILE_C < n ? j0 + TILE_C : n;
            for (int64_t i = i0; i < i1; i++) {
                int64_t js = i + 1 > j0 ? i + 1 : j0;
                if (js >= j1) continue;
                for (int64_t j = js; j < j1; j++) acc[j - j0] = 0;
                for (int64_t f = 0; f < d; f++) {
                    const float *xf = Xt + f * n;
                    const double xi = xf[i];
#pragma omp simd
                    for (int64_t j = js; j < j1; j++) {
                        double t = (double)xf[j] - xi;
                        acc[j - j0] += t * t;
                    }
                }
                float *row = D + (size_t)i * (size_t)n;
                for (int64_t j = js; j < j1; j++) row[j] = (float)sqrt(acc[j - j0]);
            }
        }
    }
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (int64_t ib = 0; ib < n; ib += 64)
        for (int64_t jb = 0; jb <= ib; jb += 64)
            for (int64_t i = ib; i < ib + 64 && i < n; i++)
                for (int64_t j = jb; j < jb + 64 && j < i; j++) D[(size_t)i * n + j] = D[(size_t)j * n + i];
    mc_free(Xt);
    /* NN-chain as scipy's: slots never move; merged clusters keep the larger slot (scipy's y), the
     * other leaves the ascending list of active slots. */
    int64_t m = n, L = 0, nm = 0;
    const int64_t tick = n / 100 + 1;
    while (m > 1) {
        if (L == 0) chain[L++] = act[0];
        int64_t x, y;
        float best;
        for (;;) {
            x = chain[L - 1];
            const float *row = D + (size_t)x * (size_t)n;
            if (L > 1) {
                y = chain[L - 2];
                best = row[y];
            } else {
                y = -1;
                best = INFINITY;
            }
            for (int64_t t = 0; t < m; t++) {
                int64_t s = act[t];
                if (row[s] < best && s != x) {
                    best = row[s];
                    y = s;
                }
            }
            if (L > 1 && y == chain[L - 2]) break;
            chain[L++] = y;
        }
        L -= 2;
        if (x > y) {
            int64_t t = x;
            x = y;
            y = t;
        }
        mg[nm].a = rep[x];
        mg[nm].b = rep[y];
        mg[nm].h = best;
        nm++;
        /* Lance-Williams into y: complete = max, average = size-weighted mean (scipy _complete,
         * _average); the row is contiguous, the column write touches one element per row. */
        double sx = size[x], sy = size[y];
        float *rx = D + (size_t)x * (size_t)n, *ry = D + (size_t)y * (size_t)n;
        for (int64_t t = 0; t < m; t++) {
            int64_t s = act[t];
            if (s == x || s == y) continue;
            float v = linkage == MC_LINKAGE_COMPLETE ? (rx[s] > ry[s] ? rx[s] : ry[s])
                                                     : (float)((sx * rx[s] + sy * ry[s]) / (sx + sy));
            ry[s] = v;
            D[(size_t)s * n + y] = v;
        }
        size[y] = sx + sy;
        if (rep[x] < rep[y]) rep[y] = rep[x];
        int64_t px = 0;
        while (act[px] != x) px++;
        memmove(act + px, act + px + 1, (size_t)(m - px - 1) * sizeof(int64_t));
        m--;
        if (nm % tick == 0) mc_progress_tick(progress, tick);
    }
    mc_progress_tick(progress, (n - 1) % tick);
    munmap(D, mbytes);
    mc_free(size);
    mc_free(rep);
    mc_free(act);
    mc_free(chain);
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- single: Prim */

static mc_status single(const float *X, int64_t n, int64_t d, int nt, mc_progress *progress, merge *mg) {
    float *Xt = mc_alloc((size_t)n * (size_t)d, sizeof(float)); // (d, n): a thread's share stays in L2
    double *cur = mc_alloc((size_t)n, sizeof(double));          // (n) distance to the tree
    unsigned char *in_tree = mc_alloc((size_t)n, 1);             // (n)
    double *bv = mc_alloc((size_t)nt, sizeof(double));           // (nt) per-thread minimum
    int64_t *bi = mc_alloc((size_t)nt, sizeof(int64_t));         // (nt) and where
    if (!Xt || !cur || !in_tree || !bv || !bi) {
        mc_free(Xt);
        mc_free(cur);
        mc_free(in_tree);
        mc_free(bv);
        mc_free(bi);
        return MC_STATUS_NO_MEMORY;
    }
    for (int64_t i = 0; i < n; i++) {
        for (int64_t f = 0; f < d; f++) Xt[f * n + i] = X[i * d + f];
        cur[i] = INFINITY;
    }
    for (int t = 0; t < nt; t++) bi[t] = -1;
    int64_t node = 0;
    const int64_t tick = n / 100 + 1;
    const int ntp = n * d >= mc_cl_par_min_work ? nt : 1; /* see mc_cl_par_min_work */
    for (int64_t step = 0; step < n - 1; step++) {
        in_tree[node] = 1;
#pragma omp parallel num_threads(ntp)
        {
            int nth = omp_get_num_threads(), th = omp_get_thread_num();
            int64_t s0 = n * th / nth, s1 = n * (th + 1) / nth;
            double acc[WARD_BLOCK];
            double best = INFINITY;
            int64_t at = -1;
            for (int64_t b0 = s0; b0 < s1; b0 += WARD_BLOCK) {
                int64_t bl = s1 - b0 < WARD_BLOCK ? s1 - b0 : WARD_BLOCK;
                for (int64_t t = 0; t < bl; t++) acc[t] = 0;
                /* sklearn's EuclideanDistance.dist on the float64 copies: sum over f in order, sqrt */
                for (int64_t f = 0; f < d; f++) {
                    const float *xf = Xt + f * n + b0;
                    const double xc = Xt[f * n + node];
#pragma omp simd
                    for (int64_t t = 0; t < bl; t++) {
                        double u = (double)xf[t] - xc;
                        acc[t] += u * u;
                    }
                }
                for (int64_t t = 0; t < bl; t++) {
                    int64_t s = b0 + t;
                    if (in_tree[s]) continue;
                    double dd = sqrt(acc[t]);
                    if (dd < cur[s]) cur[s] = dd;
                    if (cur[s] < best) {
                        best = cur[s];
                        at = s;
                    }
                }
            }
            bv[th] = best;
            bi[th] = at;
        }
        /* Threads hold consecutive ranges: the first strict minimum in thread order is the lowest
         * index, as sklearn's serial loop finds it. */
        double best = INFINITY;
        int64_t next = -1;
        for (int t = 0; t < nt; t++)
            if (bi[t] >= 0 && (next < 0 || bv[t] < best)) {
                best = bv[t];
                next = bi[t];
            }
        for (int t = 0; t < nt; t++) bi[t] = -1;
        if (next < 0) { /* only possible with infinite distances, which the input check excludes */
            for (int64_t s = 0; s < n && next < 0; s++)
                if (!in_tree[s]) next = s;
        }
        mg[step].a = node;
        mg[step].b = next;
        mg[step].h = best;
        node = next;
        if ((step + 1) % tick == 0) mc_progress_tick(progress, tick);
    }
    mc_progress_tick(progress, (n - 1) % tick);
    mc_free(Xt);
    mc_free(cur);
    mc_free(in_tree);
    mc_free(bv);
    mc_free(bi);
    return MC_STATUS_OK;
}

mc_status mc_cluster_linkage(const float *X, int64_t n, int64_t d, mc_linkage linkage, int threads,
                             mc_progress *progress, mc_dendrogram *out) {
    memset(out, 0, sizeof *out);
    mc_status st = mc_cluster_check_input(X, n, d);
    if (st) return st;
    if (n < 2) return mc_error_set(MC_STATUS_EMPTY, "agglomerative clustering needs at least 2 points, got %lld",
                                   (long long)n);
    if ((unsigned)linkage > MC_LINKAGE_SINGLE)
        return mc_error_set(MC_STATUS_INVALID_ARG, "linkage: unknown linkage %d", (int)linkage);
    merge *mg = mc_alloc((size_t)(n - 1), sizeof(merge)); // (n-1) in the order found
    if (!mg) return MC_STATUS_NO_MEMORY;
    int nt = nthreads(threads);
    mc_progress_set_total(progress, n - 1);
    switch (linkage) {
    case MC_LINKAGE_WARD: st = ward(X, n, d, nt, progress, mg); break;
    case MC_LINKAGE_AVERAGE:
    case MC_LINKAGE_COMPLETE: st = matrix_linkage(X, n, d, linkage, nt, progress, mg); break;
    case MC_LINKAGE_SINGLE: st = single(X, n, d, nt, progress, mg); break;
    }
    if (!st) st = build_tree(mg, n, linkage, out);
    mc_free(mg);
    return st;
}

static int cmp_row(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The bounded mode (issue 11): the exact tree of S = cfg->bound_rows seeded sample rows (the first S
 * of a seeded shuffle, in increasing row order), cut at k; the sample rows keep their cut labels and
 * every other row takes the cluster of the nearest sample centroid (squared Euclidean distance in
 * double, the lowest cluster id on ties). Each row is decided alone, so the threads change nothing.
 * Time O(S^2 d + n k d), memory O(S d + n). */
static mc_status bounded(const mc_cluster_config *cfg, const float *X, int64_t n, int64_t d, mc_clustering *out) {
    const int64_t S = cfg->bound_rows;
    const int k = cfg->k;
    int64_t *idx = mc_alloc((size_t)n, sizeof *idx);                 // (n) a permutation of the rows
    float *Xs = mc_alloc((size_t)S * (size_t)d, sizeof *Xs);         // (S, d) the sample
    double *cen = mc_calloc((size_t)k * (size_t)d, sizeof *cen);     // (k, d) sample centroids
    int64_t *cnt = mc_calloc((size_t)k, sizeof *cnt);                // (k)
    mc_clustering sub;
    memset(&sub, 0, sizeof sub);
    mc_status st = idx && Xs && cen && cnt ? MC_STATUS_OK
                                           : mc_error_set(MC_STATUS_NO_MEMORY, "agglomerative: out of memory for a sample of %lld rows",
                                                          (long long)S);
    if (!st) {
        for (int64_t i = 0; i < n; i++) idx[i] = i;
        mc_rng rng;
        mc_rng_seed(&rng, cfg->seed, 0x61676c6fu); /* "aglo" */
        mc_rng_shuffle(&rng, idx, (size_t)n);
        qsort(idx, (size_t)S, sizeof *idx, cmp_row);
        for (int64_t i = 0; i < S; i++) memcpy(Xs + i * d, X + idx[i] * d, (size_t)d * sizeof(float));
        st = mc_cl_result_init(out, MC_CLUSTER_ALGO_AGGLOMERATIVE, n, d);
    }
    if (!st) st = mc_cluster_linkage(Xs, S, d, cfg->linkage, cfg->threads, cfg->progress, &out->tree);
    if (!st) {
        int32_t *lab = mc_alloc((size_t)S, sizeof *lab); // (S) the sample's cut
        st = lab ? mc_cluster_dendrogram_cut(&out->tree, k, lab) : MC_STATUS_NO_MEMORY;
        for (int64_t i = 0; !st && i < S; i++) {
            cnt[lab[i]]++;
            for (int64_t f = 0; f < d; f++) cen[(size_t)lab[i] * d + f] += Xs[i * d + f];
        }
        for (int j = 0; !st && j < k; j++)
            for (int64_t f = 0; f < d; f++) cen[(size_t)j * d + f] /= (double)(cnt[j] > 0 ? cnt[j] : 1);
        if (!st) {
            const int nt = mc_threads_resolve(cfg->threads);
#pragma omp parallel for schedule(static) num_threads(nt)
            for (int64_t i = 0; i < n; i++) {
                const float *x = X + i * d;
                int best = 0;
                double bv = INFINITY;
                for (int j = 0; j < k; j++) {
                    double s = 0;
                    for (int64_t f = 0; f < d; f++) {
                        double t = (double)x[f] - cen[(size_t)j * d + f];
                        s += t * t;
                    }
                    if (s < bv) { bv = s; best = j; }
                }
                out->labels[i] = best;
            }
            for (int64_t i = 0; i < S; i++) out->labels[idx[i]] = lab[i]; /* the sample keeps its cut */
        }
        mc_free(lab);
    }
    mc_free(idx);
    mc_free(Xs);
    mc_free(cen);
    mc_free(cnt);
    if (st) {
        mc_clustering_free(out);
        return st;
    }
    out->k = k;
    out->fit_rows = S;
    return MC_STATUS_OK;
}

mc_status mc_cluster_agglomerative(const mc_cluster_config *cfg, const float *X, int64_t n, int64_t d,
                                   mc_clustering *out) {
    mc_status st = mc_cl_begin(cfg, X, n, d, "agglomerative", out);
    if (st) return st;
    if (n < 2) { /* k = 1 on one point: the trivial partition */
        st = mc_cl_result_init(out, MC_CLUSTER_ALGO_AGGLOMERATIVE, n, d);
        if (st) return st;
        out->k = 1;
        out->fit_rows = n;
        return MC_STATUS_OK;
    }
    if (cfg->bound_rows > 0 && n > cfg->bound_rows && cfg->bound_rows >= cfg->k) return bounded(cfg, X, n, d, out);
    st = mc_cl_result_init(out, MC_CLUSTER_ALGO_AGGLOMERATIVE, n, d);
    if (!st) st = mc_cluster_linkage(X, n, d, cfg->linkage, cfg->threads, cfg->progress, &out->tree);
    if (!st) st = mc_cluster_dendrogram_cut(&out->tree, cfg->k, out->labels);
    if (st) {
        mc_clustering_free(out);
        return st;
    }
    out->k = cfg->k;
    out->fit_rows = n;
    return MC_STATUS_OK;
}
