/* embed: Barnes-Hut t-SNE as sklearn.manifold.TSNE 1.2 (method='barnes_hut', angle 0.5,
 * init='pca', learning_rate='auto', n_iter 1000, early_exaggeration 12, perplexity 30).
 *
 *   1. exact k-NN with k = min(n - 1, floor(3 perplexity + 1)) (sklearn's NearestNeighbors), squared;
 *   2. per-row precisions by bisection so that each conditional row has entropy log(perplexity)
 *      (sklearn _utils._binary_search_perplexity), P = (C + C^T) / sum (_joint_probabilities_nn);
 *   3. PCA initialisation scaled so that the first coordinate has standard deviation 1e-4;
 *   4. gradient descent with momentum and delta-bar-delta gains (_gradient_descent): 250 iterations
 *      with P exaggerated 12 times and momentum 0.5, the rest with momentum 0.8; the gradient is
 *      4 (sum_j p_ij q_ij Z (y_i - y_j) - sum_j q_ij^2 Z^2 (y_i - y_j) / Z), q_ij Z = 1 / (1 + |y_i -
 *      y_j|^2), the repulsive sum estimated with a quadtree (_barnes_hut_tsne.gradient,
 *      _quad_tree._QuadTree.summarize).
 *
 * The optimiser's positions, updates and gains are double; the force kernels read float32 copies of
 * the positions and P and work 4 lanes at a time (the quadtree stores the 4 children of a cell
 * together), like sklearn's float32 kernels; per-point sums end in double. Every point's forces are
 * computed independently (repulsion in the tree's leaf order, for cache locality; attraction in row
 * order) and the normalisation Z = sum of the per-point sums is added in point order, so the result
 * does not depend on the thread count. */
#include "embed_internal.h"

#include <float.h>
#include <math.h>
#include <omp.h>
#include <string.h>

/* ---------------------------------------------------------------- perplexity calibration */

void emb_tsne_binary_search(const double *d2, int64_t n, int k, double perplexity, int threads, double *P,
                            double *beta_out) {
    /* sklearn _binary_search_perplexity: 100 steps at most, |H - log(perplexity)| <= 1e-5 (nats), beta
     * doubled / halved until bracketed, then bisected; a row whose sum underflows uses 1e-8. */
    const double desired = log(perplexity);
#pragma omp parallel for num_threads(threads < 1 ? 1 : threads) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        const double *di = d2 + i * k;
        double *pi = P + i * k;
        double beta = 1.0, lo = -INFINITY, hi = INFINITY;
        for (int step = 0; step < 100; step++) {
            double sum = 0.0;
            for (int j = 0; j < k; j++) {
                pi[j] = exp(-di[j] * beta);
                sum += pi[j];
            }
            if (sum == 0.0) sum = 1e-8;
            double sdp = 0.0;
            for (int j = 0; j < k; j++) {
                pi[j] /= sum;
                sdp += di[j] * pi[j];
            }
            const double diff = log(sum) + beta * sdp - desired;
            if (fabs(diff) <= 1e-5) break;
            if (diff > 0.0) {
                lo = beta;
                beta = hi == INFINITY ? beta * 2.0 : (beta + hi) / 2.0;
            } else {
                hi = beta;
                beta = lo == -INFINITY ? beta / 2.0 : (beta + lo) / 2.0;
            }
        }
        if (beta_out) beta_out[i] = beta;
    }
}

/* ---------------------------------------------------------------- symmetric joint probabilities */

/* Sort a row's (col, val) pairs by column (insertion sort: a k-NN row holds k entries). */
static void sort_row(int32_t *c, double *v, int64_t m) {
    for (int64_t a = 1; a < m; a++) {
        int32_t cc = c[a];
        double vv = v[a];
        int64_t b = a - 1;
        while (b >= 0 && c[b] > cc) {
            c[b + 1] = c[b];
            v[b + 1] = v[b];
            b--;
        }
        c[b + 1] = cc;
        v[b + 1] = vv;
    }
}

/* M + M^T for the sparse M with rows (idx[i], C[i]) (n, k), merged per entry as
 * mode 0: a + b (t-SNE's P + P^T); mode 1: mix (a + b - a b) + (1 - mix) a b (UMAP's fuzzy union),
 * with a missing entry counting 0; the diagonal and zeros are dropped. Each row is the merge of its
 * own k entries (sorted) and its transposed entries, which arrive in increasing row order: O(nnz),
 * whatever the in-degrees. */
mc_status emb_symmetrise(const double *C, const int32_t *idx, int64_t n, int k, int mode, double mix, emb_csr *out) {
    memset(out, 0, sizeof *out);
    int64_t *tptr = mc_alloc((size_t)n + 1, sizeof(int64_t));   // (n + 1) transposed rows
    int32_t *tcol = mc_alloc((size_t)n * k, sizeof(int32_t));   // (n k)
    double *tval = mc_alloc((size_t)n * k, sizeof(double));     // (n k)
    int32_t *fcol = mc_alloc((size_t)n * k, sizeof(int32_t));   // (n k) forward rows, sorted
    double *fval = mc_alloc((size_t)n * k, sizeof(double));     // (n k)
    int64_t *ptr = mc_alloc((size_t)n + 1, sizeof(int64_t));    // (n + 1) result
    int32_t *col = mc_alloc((size_t)n * k * 2, sizeof(int32_t)); // (<= 2 n k)
    double *val = mc_alloc((size_t)n * k * 2, sizeof(double));   // (<= 2 n k)
    if (!tptr || !tcol || !tval || !fcol || !fval || !ptr || !col || !val) {
        mc_free(tptr), mc_free(tcol), mc_free(tval), mc_free(fcol), mc_free(fval), mc_free(ptr), mc_free(col),
            mc_free(val);
        return MC_STATUS_NO_MEMORY;
    }
    for (int64_t e = 0; e < n * k; e++) tptr[idx[e] + 1]++;
    for (int64_t i = 0; i < n; i++) tptr[i + 1] += tptr[i];
    for (int64_t i = 0; i < n; i++)
        for (int q = 0; q < k; q++) {
            const int32_t j = idx[i * k + q];
            tcol[tptr[j]] = (int32_t)i;
            tval[tptr[j]++] = C[i * k + q];
        }
    for (int64_t i = n; i > 0; i--) tptr[i] = tptr[i - 1];
    tptr[0] = 0;
    memcpy(fcol, idx, (size_t)n * k * sizeof(int32_t));
    memcpy(fval, C, (size_t)n * k * sizeof(double));
    int64_t w = 0;
    for (int64_t i = 0; i < n; i++) {
        int32_t *fc = fcol + i * k;
        double *fv = fval + i * k;
        sort_row(fc, fv, k);
        ptr[i] = w;
        int q = 0;
        int64_t t = tptr[i];
        while (q < k || t < tptr[i + 1]) {
            int32_t c;
            double a = 0, b = 0;
            if (t == tptr[i + 1] || (q < k && fc[q] < tcol[t])) {
                c = fc[q], a = fv[q++];
            } else if (q == k || tcol[t] < fc[q]) {
                c = tcol[t], b = tval[t++];
            } else {
                c = fc[q], a = fv[q++], b = tval[t++];
            }
            const double v = mode == 0 ? a + b : mix * (a + b - a * b) + (1.0 - mix) * (a * b);
            if (c != (int32_t)i && v != 0.0) { /* no self loops; scipy's eliminate_zeros */
                col[w] = c;
                val[w] = v;
                w++;
            }
        }
    }
    ptr[n] = w;
    mc_free(tptr), mc_free(tcol), mc_free(tval), mc_free(fcol), mc_free(fval);
    out->n = n;
    out->nnz = w;
    out->indptr = ptr;
    out->col = col;
    out->val = val;
    return MC_STATUS_OK;
}

mc_status emb_tsne_joint(const double *C, const int32_t *idx, int64_t n, int k, emb_csr *P) {
    mc_status st = emb_symmetrise(C, idx, n, k, 0, 1.0, P);
    if (st) return st;
    double sum = 0.0;
    for (int64_t e = 0; e < P->nnz; e++) sum += P->val[e];
    sum = fmax(sum, DBL_EPSILON); /* np.maximum(P.sum(), MACHINE_EPSILON) */
    for (int64_t e = 0; e < P->nnz; e++) P->val[e] /= sum;
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- quadtree */

/* sklearn _quad_tree: a point closer than this to a leaf's point in every coordinate is a duplicate of
 * it (EPSILON = 1e-6); a point never repels the points of its own leaf. */
#define QT_EPS 1e-6
#define QT_MAX_DEPTH 60

/* The four children of a split cell, stored together (quadrant (x >= mid x) + 2 (y >= mid y)) so
 * that the walk tests them as one 4-lane vector. Cell id = 4 * group + lane; group 0 holds the root
 * in lane 0 (lanes 1-3 stay empty). An empty cell has cnt 0 and first -1 (a leaf). */
typedef struct qt_group {
    float cx[4], cy[4]; /* barycentres */
    float cnt[4];       /* points in the cell (sklearn cumulative_size), 0 when empty */
    int32_t first[4];   /* group of the cell's children, -1 for a leaf */
} qt_group;             /* 64 bytes: one cache line (mc_alloc aligns to 64) */

struct emb_tsne_ws {
    int64_t n;
    int64_t cap;      /* groups allocated */
    int64_t used;
    qt_group *groups; // (cap)
    float *gw2;       // (cap) squared largest side of a group's cells (sklearn squared_max_width)
    double *sum;      // (cap, 4, 2) coordinate sums of each cell during the build
    int32_t *head;    // (cap, 4) a leaf's first point (its duplicates follow `next`); -1 if none
    int32_t *tail;    // (cap, 4) a leaf's last point
    int32_t *next;    // (n) next point of the same leaf, -1 at the end
    int32_t *order;   // (n) points in the tree's leaf order (depth first): neighbours in the plane
                      //     are processed together, which keeps the walks in cache
    int32_t *ins;     // (n) insertion order of the next build: the last build's leaf order (index
                      //     order at first), so consecutive inserts descend the same cells
    float *Yf;        // (n, 2) positions as float32
    float *pval;      // (nnz) P as float32 (sklearn passes val_P as float32 too)
    double *attr;     // (n, 2) attractive force sum_j p_ij q_ij Z (y_i - y_j)
    double *rep;      // (n, 2) repulsive numerator sum_cells cnt (qZ)^2 (y_i - y_cell)
    double *zi;       // (n) per-point sums of qZ over the summarised cells
    double *kl;       // (n) per-point KL terms
};

void emb_tsne_ws_free(emb_tsne_ws *w) {
    if (!w) return;
    mc_free(w->groups), mc_free(w->gw2), mc_free(w->sum), mc_free(w->head), mc_free(w->tail);
    mc_free(w->next), mc_free(w->order), mc_free(w->ins);
    mc_free(w->Yf), mc_free(w->pval), mc_free(w->attr), mc_free(w->rep), mc_free(w->zi), mc_free(w->kl);
    mc_free(w);
}

static mc_status ws_grow(emb_tsne_ws *w, int64_t cap) {
    qt_group *g = mc_alloc((size_t)cap, sizeof(qt_group));
    double *s = mc_alloc((size_t)cap * 8, sizeof(double));
    int32_t *h = mc_alloc((size_t)cap * 4, sizeof(int32_t));
    int32_t *t = mc_alloc((size_t)cap * 4, sizeof(int32_t));
    float *w2 = mc_alloc((size_t)cap, sizeof(float));
    if (!g || !s || !h || !t || !w2) {
        mc_free(g), mc_free(s), mc_free(h), mc_free(t), mc_free(w2);
        return MC_STATUS_NO_MEMORY;
    }
    mc_free(w->groups), mc_free(w->sum), mc_free(w->head), mc_free(w->tail), mc_free(w->gw2);
    w->groups = g, w->sum = s, w->head = h, w->tail = t, w->gw2 = w2, w->cap = cap;
    return MC_STATUS_OK;
}

mc_status emb_tsne_ws_create(const emb_csr *P, emb_tsne_ws **out) {
    const int64_t n = P->n;
    emb_tsne_ws *w = mc_alloc(1, sizeof *w);
    if (!w) return MC_STATUS_NO_MEMORY;
    w->n = n;
    w->next = mc_alloc((size_t)n, sizeof(int32_t));
    w->order = mc_alloc((size_t)n, sizeof(int32_t));
    w->ins = mc_alloc((size_t)n, sizeof(int32_t));
    w->Yf = mc_alloc((size_t)n * 2, sizeof(float));
    w->pval = mc_alloc((size_t)(P->nnz > 0 ? P->nnz : 1), sizeof(float));
    w->attr = mc_alloc((size_t)n * 2, sizeof(double));
    w->rep = mc_alloc((size_t)n * 2, sizeof(double));
    w->zi = mc_alloc((size_t)n, sizeof(double));
    w->kl = mc_alloc((size_t)n, sizeof(double));
    /* n spread-out points make about n/2 splits (4 cells each); grown if points crowd together */
    if (!w->next || !w->order || !w->ins || !w->Yf || !w->pval || !w->attr || !w->rep || !w->zi || !w->kl ||
        ws_grow(w, n + 64) != MC_STATUS_OK) {
        emb_tsne_ws_free(w);
        return MC_STATUS_NO_MEMORY;
    }
    for (int64_t e = 0; e < P->nnz; e++) w->pval[e] = (float)P->val[e];
    for (int64_t i = 0; i < n; i++) w->ins[i] = (int32_t)i;
    *out = w;
    return MC_STATUS_OK;
}

/* A new group of four empty cells of squared width w2; -1 when out of room. */
static int32_t qt_group_new(emb_tsne_ws *w, double w2) {
    if (w->used == w->cap) return -1;
    const int32_t g = (int32_t)w->used++;
    qt_group *G = &w->groups[g];
    memset(G, 0, sizeof *G);
    for (int q = 0; q < 4; q++) G->first[q] = -1, w->head[4 * g + q] = w->tail[4 * g + q] = -1;
    memset(w->sum + (size_t)g * 8, 0, 8 * sizeof(double));
    w->gw2[g] = (float)w2;
    return g;
}

/* Build the tree of Yf (n, 2); 0 when done, -1 when out of groups. The cell geometry (centre, half
 * sides) is carried down the descent, not stored. Points are inserted in the order of the previous
 * tree's leaves (sklearn: index order): the tree is the same for any order — each point ends alone
 * in its cell — except which point of a group of near-duplicates (within QT_EPS) represents the
 * leaf and the rounding of the cell sums; the order is itself a function of the previous positions,
 * so the result stays deterministic. */
static int qt_build(emb_tsne_ws *w) {
    const int64_t n = w->n;
    const float *Y = w->Yf;
    double x0 = Y[0], x1 = Y[0], y0 = Y[1], y1 = Y[1];
    for (int64_t i = 1; i < n; i++) {
        x0 = fmin(x0, Y[2 * i]), x1 = fmax(x1, Y[2 * i]);
        y0 = fmin(y0, Y[2 * i + 1]), y1 = fmax(y1, Y[2 * i + 1]);
    }
    /* a small margin so that no point sits on the outer border, and no side is 0 */
    const double rhw = 0.5 * (x1 - x0) + 1e-3 * fmax(x1 - x0, 1e-12) + 1e-12;
    const double rhh = 0.5 * (y1 - y0) + 1e-3 * fmax(y1 - y0, 1e-12) + 1e-12;
    const double rmx = 0.5 * (x0 + x1), rmy = 0.5 * (y0 + y1);
    w->used = 0;
    qt_group_new(w, 4.0 * fmax(rhw, rhh) * fmax(rhw, rhh));
    /* the cells the previous insertion went through (pc) and the quadrant it took in each (pq):
     * consecutive points mostly share a path, which is then followed without loading the children */
    int32_t pc[QT_MAX_DEPTH + 2];
    int8_t pq[QT_MAX_DEPTH + 2];
    int plen = 0;
    for (int64_t p = 0; p < n; p++) {
        const int64_t i = w->ins[p];
        const double x = Y[2 * i], y = Y[2 * i + 1];
        double mx = rmx, my = rmy, hw = rhw, hh = rhh;
        int32_t c = 0; /* cell id 4 g + lane */
        int depth = 0;
        while (depth + 1 < plen) { /* pc[depth] is an inner cell of the previous path */
            const int qd = (x >= mx) | ((y >= my) << 1);
            if (qd != pq[depth]) break;
            w->groups[c >> 2].cnt[c & 3]++;
            w->sum[(size_t)c * 2] += x, w->sum[(size_t)c * 2 + 1] += y;
            hw *= 0.5, hh *= 0.5;
            mx += (qd & 1) ? hw : -hw;
            my += (qd & 2) ? hh : -hh;
            c = pc[++depth];
        }
        for (;; depth++) {
            pc[depth] = c;
            plen = depth + 1;
            qt_group *G = &w->groups[c >> 2];
            const int l = c & 3;
            double *s = w->sum + (size_t)c * 2;
            if (G->cnt[l] == 0) { /* empty leaf */
                G->cnt[l] = 1, s[0] = x, s[1] = y;
                w->head[c] = w->tail[c] = (int32_t)i;
                w->next[i] = -1;
                break;
            }
            if (G->first[l] < 0) {
                const int32_t q = w->head[c];
                const double qx = Y[2 * (int64_t)q], qy = Y[2 * (int64_t)q + 1];
                if ((fabs(x - qx) <= QT_EPS && fabs(y - qy) <= QT_EPS) || depth >= QT_MAX_DEPTH) {
                    /* a duplicate joins the leaf (appended: lists keep the insertion order) */
                    G->cnt[l]++, s[0] += x, s[1] += y;
                    w->next[w->tail[c]] = (int32_t)i;
                    w->tail[c] = (int32_t)i;
                    w->next[i] = -1;
                    break;
                }
                /* split: the leaf's points (one point and its duplicates) move to a child */
                const double side = fmax(hw, hh); /* the children's largest side */
                const int32_t g = qt_group_new(w, side * side);
                if (g < 0) return -1;
                G = &w->groups[c >> 2];
                G->first[l] = g;
                const int qq = (qx >= mx) | ((qy >= my) << 1);
                w->groups[g].cnt[qq] = G->cnt[l];
                w->sum[(size_t)(4 * g + qq) * 2] = s[0];
                w->sum[(size_t)(4 * g + qq) * 2 + 1] = s[1];
                w->head[4 * g + qq] = q;
                w->tail[4 * g + qq] = w->tail[c];
                w->head[c] = w->tail[c] = -1;
            }
            G->cnt[l]++, s[0] += x, s[1] += y;
            const int qd = (x >= mx) | ((y >= my) << 1);
            pq[depth] = (int8_t)qd;
            hw *= 0.5, hh *= 0.5;
            mx += (qd & 1) ? hw : -hw;
            my += (qd & 2) ? hh : -hh;
            c = 4 * G->first[l] + qd;
        }
    }
    for (int64_t g = 0; g < w->used; g++)
        for (int l = 0; l < 4; l++) {
            qt_group *G = &w->groups[g];
            if (G->cnt[l] > 0) {
                G->cx[l] = (float)(w->sum[(size_t)(4 * g + l) * 2] / G->cnt[l]);
                G->cy[l] = (float)(w->sum[(size_t)(4 * g + l) * 2 + 1] / G->cnt[l]);
            }
        }
    /* leaf order: depth first, children in quadrant order */
    int32_t stack[3 * QT_MAX_DEPTH + 8];
    int top = 0;
    int64_t p = 0;
    stack[top++] = 0;
    while (top > 0) {
        const int32_t c = stack[--top];
        const qt_group *G = &w->groups[c >> 2];
        const int l = c & 3;
        if (G->first[l] < 0) {
            for (int32_t i = w->head[c]; i >= 0; i = w->next[i]) w->order[p++] = i;
            continue;
        }
        for (int q = 3; q >= 0; q--)
            if (w->groups[G->first[l]].cnt[q] > 0) stack[top++] = 4 * G->first[l] + q;
    }
    memcpy(w->ins, w->order, (size_t)n * sizeof(int32_t));
    return 0;
}

/* Repulsion on point (x, y) (sklearn _QuadTree.summarize, walked depth first): a cell is used as a
 * whole when it is a leaf or when its squared width over the squared distance to its barycentre is
 * below theta^2, else its children are visited; a leaf holding the point itself (or its duplicates,
 * within QT_EPS) is skipped. The root is a point's own cell, never summarised. The four children of
 * an opened cell are tested together: each adds cnt (qZ, (qZ)^2 dx, (qZ)^2 dy) where it is
 * summarised and not the point's own leaf (an empty child adds 0), and is pushed where it is not
 * summarised. The lanes are summed in double at the end. */
/* One step of a walk: test the group on top of `stack` against the point (vx, vy), accumulate the
 * summarised cells into (sz, sx, sy) and push the children of the cells to open. */
#define QT_STEP(stack, top, vx, vy, sz, sx, sy)                                                     \
    do {                                                                                        \
        const int32_t gi_ = stack[--top];                                                       \
        const qt_group *G = groups + gi_;                                                       \
        const v4 dx = v4_sub(vx, v4_load(G->cx)), dy = v4_sub(vy, v4_load(G->cy));              \
        const v4 d2 = v4_add(v4_mul(dx, dx), v4_mul(dy, dy));                                   \
        const v4 leaf = v4_ineg(G->first);                                                      \
        const v4 use = v4_or(leaf, v4_lt(v4_set1(gw2[gi_]), v4_mul(th, d2)));                   \
        const v4 self = v4_and(leaf, v4_and(v4_le(v4_abs(dx), eps), v4_le(v4_abs(dy), eps)));   \
        const v4 qz = v4_div(one, v4_add(one, d2));                                             \
        const v4 m = v4_and(v4_andnot(self, use), v4_mul(v4_load(G->cnt), qz));                 \
        const v4 m2 = v4_mul(m, qz);                                                            \
        sz = v4_add(sz, m);                                                                     \
        sx = v4_add(sx, v4_mul(m2, dx));                                                        \
        sy = v4_add(sy, v4_mul(m2, dy));                                                        \
        int open_ = ~v4_mask(use) & 0xF;                                                        \
        while (open_) {                                                                         \
            stack[top++] = G->first[__builtin_ctz((unsigned)open_)];                            \
            open_ &= open_ - 1;                                                                 \
        }                                                                                       \
    } while (0)

/* Repulsion on points a and b (sklearn _QuadTree.summarize, walked depth first): a cell is used as a
 * whole when it is a leaf or when its squared width over the squared distance to its barycentre is
 * below theta^2, else its children are visited; a leaf holding the point itself (or its duplicates,
 * within QT_EPS) is skipped. The root is a point's own cell, never summarised. The four children of
 * an opened cell are tested together: each adds cnt (qZ, (qZ)^2 dx, (qZ)^2 dy) where it is
 * summarised and not the point's own leaf (an empty child adds 0), and is pushed where it is not
 * summarised; the lanes are summed in double at the end. The two walks are independent and
 * interleaved only to overlap their latencies: each point's sums are the same as walked alone. */
static void qt_repulse2(const emb_tsne_ws *w, int64_t a, int64_t b, float theta2, int both) {
    const qt_group *groups = w->groups;
    const float *gw2 = w->gw2;
    const float *Y = w->Yf;
    int32_t sa[3 * QT_MAX_DEPTH + 8], sb[3 * QT_MAX_DEPTH + 8];
    int ta = 0, tb = 0;
    const v4 ax = v4_set1(Y[2 * a]), ay = v4_set1(Y[2 * a + 1]);
    const v4 bx = v4_set1(Y[2 * b]), by = v4_set1(Y[2 * b + 1]);
    const v4 one = v4_set1(1.0f), eps = v4_set1((float)QT_EPS), th = v4_set1(theta2);
    v4 za = v4_set1(0.0f), xa = za, ya = za, zb = za, xb = za, yb = za;
    if (groups[0].first[0] >= 0) { /* else: every point is a duplicate of every other */
        sa[ta++] = groups[0].first[0];
        if (both) sb[tb++] = groups[0].first[0];
    }
    while (ta > 0 && tb > 0) {
        QT_STEP(sa, ta, ax, ay, za, xa, ya);
        QT_STEP(sb, tb, bx, by, zb, xb, yb);
    }
    while (ta > 0) QT_STEP(sa, ta, ax, ay, za, xa, ya);
    while (tb > 0) QT_STEP(sb, tb, bx, by, zb, xb, yb);
    w->zi[a] = v4_hsum(za), w->rep[2 * a] = v4_hsum(xa), w->rep[2 * a + 1] = v4_hsum(ya);
    if (both) w->zi[b] = v4_hsum(zb), w->rep[2 * b] = v4_hsum(xb), w->rep[2 * b + 1] = v4_hsum(yb);
}
#undef QT_STEP

/* Attraction on point i from its row of P (sklearn compute_gradient_positive), 4 edges at a time
 * (the tail padded with p = 0). */
static void attract(const emb_tsne_ws *w, const emb_csr *P, int64_t i, double *ax, double *ay) {
    const float *Y = w->Yf;
    const v4 vx = v4_set1(Y[2 * i]), vy = v4_set1(Y[2 * i + 1]), one = v4_set1(1.0f);
    v4 sx = v4_set1(0.0f), sy = sx;
    const int64_t e0 = P->indptr[i], e1 = P->indptr[i + 1];
    const int32_t *col = P->col;
    const float *pv = w->pval;
    int64_t e = e0;
    for (; e + 4 <= e1; e += 4) {
        /* lanes built from registers (v4_set), not through memory: a 16-byte load of four 4-byte
         * stores cannot be forwarded and stalls */
        const float *y0 = Y + 2 * (int64_t)col[e], *y1 = Y + 2 * (int64_t)col[e + 1];
        const float *y2 = Y + 2 * (int64_t)col[e + 2], *y3 = Y + 2 * (int64_t)col[e + 3];
        const v4 dx = v4_sub(vx, v4_set(y0[0], y1[0], y2[0], y3[0]));
        const v4 dy = v4_sub(vy, v4_set(y0[1], y1[1], y2[1], y3[1]));
        const v4 m = v4_div(v4_load(pv + e), v4_add(one, v4_add(v4_mul(dx, dx), v4_mul(dy, dy))));
        sx = v4_add(sx, v4_mul(m, dx));
        sy = v4_add(sy, v4_mul(m, dy));
    }
    if (e < e1) { /* the last 1-3 edges, the other lanes padded with p = 0 at the point itself */
        const float *yy[4];
        float p[4];
        for (int l = 0; l < 4; l++) {
            yy[l] = e + l < e1 ? Y + 2 * (int64_t)col[e + l] : Y + 2 * i;
            p[l] = e + l < e1 ? pv[e + l] : 0.0f;
        }
        const v4 dx = v4_sub(vx, v4_set(yy[0][0], yy[1][0], yy[2][0], yy[3][0]));
        const v4 dy = v4_sub(vy, v4_set(yy[0][1], yy[1][1], yy[2][1], yy[3][1]));
        const v4 m = v4_div(v4_set(p[0], p[1], p[2], p[3]), v4_add(one, v4_add(v4_mul(dx, dx), v4_mul(dy, dy))));
        sx = v4_add(sx, v4_mul(m, dx));
        sy = v4_add(sy, v4_mul(m, dy));
    }
    *ax = v4_hsum(sx), *ay = v4_hsum(sy);
}

mc_status emb_tsne_gradient(emb_tsne_ws *w, const emb_csr *P, double exag, const double *Y, double angle,
                            bool compute_error, int threads, double *grad, double *kl) {
    const int64_t n = w->n;
    for (int64_t i = 0; i < 2 * n; i++) w->Yf[i] = (float)Y[i];
    while (qt_build(w) != 0) {
        /* crowded points made a deep tree: grow the pool (rare; outside the per-point loops) */
        mc_status st = ws_grow(w, w->cap * 2);
        if (st) return st;
    }
    const float theta2 = (float)(angle * angle);
#pragma omp parallel num_threads(threads)
    {
        /* repulsion in the tree's leaf order (cache), attraction in row order (P streams from memory) */
#pragma omp for schedule(dynamic, 32) nowait
        for (int64_t p = 0; p < n; p += 2) {
            const int both = p + 1 < n;
            qt_repulse2(w, w->order[p], w->order[both ? p + 1 : p], theta2, both);
        }
#pragma omp for schedule(dynamic, 256)
        for (int64_t i = 0; i < n; i++) {
            double ax, ay;
            attract(w, P, i, &ax, &ay);
            w->attr[2 * i] = exag * ax;
            w->attr[2 * i + 1] = exag * ay;
        }
    }
    const int64_t *ptr = P->indptr;
    const int32_t *col = P->col;
    const double *val = P->val;
    double Z = 0.0;
    for (int64_t i = 0; i < n; i++) Z += w->zi[i];
    for (int64_t i = 0; i < 2 * n; i++) grad[i] = 4.0 * (w->attr[i] - w->rep[i] / Z);
    *kl = 0.0;
    if (compute_error) {
        /* C = sum_ij p_ij log(max(p_ij, tiny) / max(q_ij, tiny)), q_ij = qZ_ij / Z, tiny =
         * np.finfo(np.float32).tiny, over the pairs of P (sklearn compute_gradient_positive) */
        const double tiny = FLT_MIN;
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int64_t i = 0; i < n; i++) {
            double c = 0;
            for (int64_t e = ptr[i]; e < ptr[i + 1]; e++) {
                const int64_t j = col[e];
                const double dx = Y[2 * i] - Y[2 * j], dy = Y[2 * i + 1] - Y[2 * j + 1];
                const double p = exag * val[e], q = 1.0 / (1.0 + dx * dx + dy * dy) / Z;
                c += p * log(fmax(p, tiny) / fmax(q, tiny));
            }
            w->kl[i] = c;
        }
        double c = 0;
        for (int64_t i = 0; i < n; i++) c += w->kl[i];
        *kl = c;
    }
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- driver */

void mc_tsne_opts_default(mc_tsne_opts *o) {
    /* Fields not named are 0: learning_rate (auto), seed, threads (all cores), knn_exact_max (the
     * default threshold), progress. */
    *o = (mc_tsne_opts){.perplexity = 30.0, .early_exaggeration = 12.0, .n_iter = 1000, .n_iter_exploration = 250,
                        .n_iter_without_progress = 300, .min_grad_norm = 1e-7, .angle = 0.5,
                        .init = MC_TSNE_INIT_PCA, .knn = MC_EMBED_KNN_AUTO};
}

typedef struct gd_state {
    double *Y;      // (n, 2)
    double *grad;   // (n, 2)
    double *update; // (n, 2)
    double *gains;  // (n, 2)
} gd_state;

/* sklearn _gradient_descent from iteration `it` to n_iter - 1; returns the last iteration run. */
static mc_status gradient_descent(emb_tsne_ws *w, const emb_csr *P, double exag, gd_state *s, int it, int n_iter,
                                  double momentum, double lr, int n_iter_without_progress, const mc_tsne_opts *o,
                                  int threads, int *last, double *error) {
    const int64_t m = 2 * w->n;
    for (int64_t e = 0; e < m; e++) s->update[e] = 0.0, s->gains[e] = 1.0;
    double best_error = DBL_MAX;
    int best_iter = it, i = it;
    *error = DBL_MAX;
    for (i = it; i < n_iter; i++) {
        const bool check = (i + 1) % 50 == 0; /* _N_ITER_CHECK */
        double err = 0;
        mc_status st = emb_tsne_gradient(w, P, exag, s->Y, o->angle, check || i == n_iter - 1, threads, s->grad, &err);
        if (st) return st;
        if (check || i == n_iter - 1) *error = err;
        double gn = 0;
        for (int64_t e = 0; e < m; e++) {
            /* delta-bar-delta: a gain grows by 0.2 while the step keeps its sign against the
             * gradient, shrinks by 0.8 when it flips; min_gain 0.01 */
            double g = s->gains[e];
            g = (s->update[e] * s->grad[e] < 0.0) ? g + 0.2 : g * 0.8;
            if (g < 0.01) g = 0.01;
            s->gains[e] = g;
            const double gr = s->grad[e] * g;
            gn += gr * gr;
            s->update[e] = momentum * s->update[e] - lr * gr;
            s->Y[e] += s->update[e];
        }
        mc_progress_tick(o->progress, 1);
        if (check) {
            if (err < best_error) {
                best_error = err;
                best_iter = i;
            } else if (i - best_iter > n_iter_without_progress) {
                break;
            }
            if (sqrt(gn) <= o->min_grad_norm) break;
        }
    }
    *last = i < n_iter ? i : n_iter - 1;
    return MC_STATUS_OK;
}

mc_status emb_tsne_init(const float *X, int64_t n, int d, mc_tsne_init init, uint64_t seed, double *Y) {
    bool random_init = init == MC_TSNE_INIT_RANDOM;
    if (!random_init) {
        double *sc = mc_alloc((size_t)n * 2, sizeof(double)); // (n, 2) scores
        if (!sc) return MC_STATUS_NO_MEMORY;
        mc_status st = emb_pca_scores(X, n, d, d >= 2 ? 2 : 1, sc);
        if (st) {
            mc_free(sc);
            return st;
        }
        /* one input column: its centred values, and 0 as the second coordinate */
        for (int64_t i = 0; i < n; i++) {
            Y[2 * i] = d >= 2 ? sc[2 * i] : sc[i];
            Y[2 * i + 1] = d >= 2 ? sc[2 * i + 1] : 0.0;
        }
        mc_free(sc);
        /* sklearn casts the scores to float32, then divides by np.std(first column) and scales by 1e-4 */
        double mean = 0, var = 0;
        for (int64_t i = 0; i < 2 * n; i++) Y[i] = (float)Y[i];
        for (int64_t i = 0; i < n; i++) mean += Y[2 * i];
        mean /= (double)n;
        for (int64_t i = 0; i < n; i++) var += (Y[2 * i] - mean) * (Y[2 * i] - mean);
        const double sd = sqrt(var / (double)n);
        if (sd > 0 && isfinite(sd)) {
            for (int64_t i = 0; i < 2 * n; i++) Y[i] = (double)(float)(Y[i] / sd * 1e-4);
        } else {
            mc_log(MC_LOG_LEVEL_WARN, "tsne: the first principal component is constant; using a random start");
            random_init = true;
        }
    }
    if (random_init) {
        mc_rng r;
        mc_rng_seed(&r, seed, EMB_STREAM_TSNE_INIT);
        for (int64_t i = 0; i < 2 * n; i++) Y[i] = 1e-4 * mc_rng_normal(&r);
    }
    return MC_STATUS_OK;
}

mc_status mc_embed_tsne(const float *X, int64_t n, int d, const mc_tsne_opts *opts, float *Y, mc_tsne_info *info) {
    if (!Y) return mc_error_set(MC_STATUS_INVALID_ARG, "tsne: output Y is NULL");
    mc_tsne_opts o;
    if (opts) o = *opts;
    else mc_tsne_opts_default(&o);
    mc_status st = emb_check_input("tsne", X, n, d, 2);
    if (st) return st;
    if (!(o.perplexity > 0))
        return mc_error_set(MC_STATUS_INVALID_ARG, "tsne: perplexity must be > 0, got %g", o.perplexity);
    if (o.perplexity >= (double)n)
        return mc_error_set(MC_STATUS_INVALID_ARG, "tsne: perplexity (%g) must be less than the number of points (%lld)",
                            o.perplexity, (long long)n);
    if (!(o.early_exaggeration >= 1.0))
        return mc_error_set(MC_STATUS_INVALID_ARG, "tsne: early_exaggeration must be >= 1, got %g", o.early_exaggeration);
    if (o.n_iter_exploration < 0) return mc_error_set(MC_STATUS_INVALID_ARG, "tsne: n_iter_exploration must be >= 0");
    if (o.n_iter < 250 || o.n_iter < o.n_iter_exploration)
        return mc_error_set(MC_STATUS_INVALID_ARG, "tsne: n_iter must be >= 250 and >= n_iter_exploration, got %d",
                            o.n_iter);
    if (!(o.angle >= 0.0 && o.angle <= 1.0))
        return mc_error_set(MC_STATUS_INVALID_ARG, "tsne: angle must be in [0, 1], got %g", o.angle);
    if (o.init != MC_TSNE_INIT_PCA && o.init != MC_TSNE_INIT_RANDOM)
        return mc_error_set(MC_STATUS_INVALID_ARG, "tsne: unknown init %d", (int)o.init);
    /* The output does not depend on the thread count, so an automatic count (threads <= 0) also
     * leaves out threads that small problems cannot keep busy: each iteration is a fork and join. */
    int nt = mc_threads_resolve(o.threads);
    if (o.threads <= 0 && nt > 1 + n / 2048) nt = (int)(1 + n / 2048);
    /* sklearn: n_neighbors = min(n_samples - 1, int(3 * perplexity + 1)) */
    const double kk = floor(3.0 * o.perplexity + 1.0);
    const int k = (int)(kk < (double)(n - 1) ? kk : (double)(n - 1));
    const double lr = o.learning_rate > 0 ? o.learning_rate : fmax((double)n / o.early_exaggeration / 4.0, 50.0);

    int32_t *idx = mc_alloc((size_t)n * k, sizeof(int32_t)); // (n, k) neighbours
    double *d2 = mc_alloc((size_t)n * k, sizeof(double));    // (n, k) squared distances
    double *C = mc_alloc((size_t)n * k, sizeof(double));     // (n, k) conditional P rows
    gd_state s = {mc_alloc((size_t)n * 2, sizeof(double)), mc_alloc((size_t)n * 2, sizeof(double)),
                  mc_alloc((size_t)n * 2, sizeof(double)), mc_alloc((size_t)n * 2, sizeof(double))};
    emb_csr P = {0};
    emb_tsne_ws *ws = NULL;
    if (!idx || !d2 || !C || !s.Y || !s.grad || !s.update || !s.gains) {
        st = MC_STATUS_NO_MEMORY;
        goto done;
    }
    st = emb_knn(X, n, d, k, o.knn, o.knn_exact_max, o.seed, nt, idx, d2);
    if (st) goto done;
    /* sklearn runs the search on float32 squared distances (_joint_probabilities_nn casts them) */
    for (int64_t e = 0; e < n * k; e++) d2[e] = (float)d2[e];
    emb_tsne_binary_search(d2, n, k, o.perplexity, nt, C, NULL);
    st = emb_tsne_joint(C, idx, n, k, &P);
    if (st) goto done;
    mc_free(C), C = NULL;
    mc_free(d2), d2 = NULL;
    mc_free(idx), idx = NULL;

    /* initialisation */
    st = emb_tsne_init(X, n, d, o.init, o.seed, s.Y);
    if (st) goto done;

    st = emb_tsne_ws_create(&P, &ws);
    if (st) goto done;
    int last = 0;
    double err = 0;
    const int explore = o.n_iter_exploration;
    mc_progress_set_total(o.progress, o.n_iter);
    /* part 1: exaggerated P, momentum 0.5, patience = the exploration length (sklearn) */
    if (explore > 0) {
        st = gradient_descent(ws, &P, o.early_exaggeration, &s, 0, explore, 0.5, lr, explore, &o, nt, &last, &err);
        if (st) goto done;
    } else {
        last = -1;
    }
    /* part 2: plain P, momentum 0.8 (sklearn runs it when part 1 stopped early or iterations remain) */
    if (last < explore - 1 || o.n_iter - explore > 0) {
        st = gradient_descent(ws, &P, 1.0, &s, last + 1, o.n_iter, 0.8, lr, o.n_iter_without_progress, &o, nt, &last,
                              &err);
        if (st) goto done;
    }
    for (int64_t i = 0; i < 2 * n; i++) {
        if (!isfinite(s.Y[i])) {
            st = mc_error_set(MC_STATUS_NUMERIC, "tsne: the optimisation diverged (non-finite position at row %lld)",
                              (long long)(i / 2));
            goto done;
        }
        Y[i] = (float)s.Y[i];
    }
    if (info) {
        info->n_neighbors = k;
        info->learning_rate = lr;
        info->n_iter = last + 1;
        info->kl_divergence = err;
    }
done:
    emb_tsne_ws_free(ws);
    emb_csr_free(&P);
    mc_free(idx), mc_free(d2), mc_free(C);
    mc_free(s.Y), mc_free(s.grad), mc_free(s.update), mc_free(s.gains);
    return st;
}
