/* New rows onto an existing 2-D map (embed.h, mc_embed_place): the k nearest reference rows and
 * umap-learn's transform weights. Used by `musiclust assign` (new audio onto a run's maps) and by
 * the bounded maps of `map` / `run` (the rows outside the mapped sample). */
#include <musiclust/embed.h>

#include <math.h>
#include <omp.h>
#include <string.h>

enum {
    QB = 16,  /* query rows per task: they share each reference tile while it is in cache */
    RB = 256, /* reference rows per tile: (d, RB) floats of the transposed references */
    KMAX = 256,
};

/* The k smallest of one query's distances so far, ascending; ties keep the smaller reference index
 * (a later row replaces a kept one only when strictly nearer). */
typedef struct nearest {
    double dk[KMAX];  // (k) distances, ascending
    int64_t ik[KMAX]; // (k) their reference rows
    int m;            // how many are kept (<= k)
} nearest;

static void keep(nearest *s, int k, double t, int64_t j) {
    if (s->m == k && t >= s->dk[k - 1]) return;
    int p = s->m < k ? s->m++ : k - 1;
    while (p > 0 && s->dk[p - 1] > t) {
        s->dk[p] = s->dk[p - 1];
        s->ik[p] = s->ik[p - 1];
        p--;
    }
    s->dk[p] = t;
    s->ik[p] = j;
}

/* The weighted mean of the neighbours' map positions (umap-learn transform's initial placement). */
static void position(const nearest *s, int k, const float *Y, float *out) {
    const int m = s->m;
    const double target = log2((double)k);
    double lo = 0, hi = INFINITY, mid = 1, mean = 0;
    for (int q = 0; q < m; q++) mean += s->dk[q];
    mean /= m;
    for (int it = 0; it < 64; it++) { /* umap-learn's smooth_knn_dist bisection (rho = 0) */
        double psum = 0;
        for (int q = 1; q < m; q++) psum += s->dk[q] > 0 ? exp(-s->dk[q] / mid) : 1.0;
        if (fabs(psum - target) < 1e-5) break;
        if (psum > target) hi = mid, mid = (lo + hi) / 2;
        else if (isinf(hi)) lo = mid, mid *= 2;
        else lo = mid, mid = (lo + hi) / 2;
    }
    if (mid < 1e-3 * mean) mid = 1e-3 * mean;
    double w = 0, x = 0, y = 0;
    for (int q = 0; q < m; q++) {
        const double wq = s->dk[q] > 0 && mid > 0 ? exp(-s->dk[q] / mid) : 1.0;
        w += wq;
        x += wq * Y[s->ik[q] * 2];
        y += wq * Y[s->ik[q] * 2 + 1];
    }
    out[0] = (float)(x / w);
    out[1] = (float)(y / w);
}

mc_status mc_embed_place(const float *X, int64_t n, const float *R, int64_t nr, int d, const float *Y, int k,
                         int threads, float *out) {
    if (n < 0 || nr < 1 || d < 1 || k < 1 || (n > 0 && (!X || !out)) || !R || !Y)
        return mc_error_set(MC_STATUS_INVALID_ARG, "place: %lld rows onto %lld reference rows of %d columns, k %d",
                            (long long)n, (long long)nr, d, k);
    if (n == 0) return MC_STATUS_OK;
    if (k > nr) k = (int)nr;
    if (k > KMAX) k = KMAX;
    /* the references transposed, tile by tile: column t of tile b holds RB consecutive rows, so the
     * distance loop runs over reference rows (vectorisable) while each row's sum still adds its
     * columns in order 0..d-1, exactly as a row-by-row loop would */
    const int64_t ntiles = (nr + RB - 1) / RB;
    float *RT = mc_alloc((size_t)ntiles * RB * (size_t)d, sizeof *RT); // (ntiles, d, RB), zero-padded
    if (!RT) return mc_error_nomem("place: the transposed reference rows");
    memset(RT, 0, (size_t)ntiles * RB * (size_t)d * sizeof *RT);
    for (int64_t j = 0; j < nr; j++)
        for (int t = 0; t < d; t++) RT[((size_t)(j / RB) * d + t) * RB + (size_t)(j % RB)] = R[j * d + t];
    const int nt = mc_threads_resolve(threads);
    const int64_t nq = (n + QB - 1) / QB;
    int failed = 0;
#pragma omp parallel num_threads(nt)
    {
        nearest *s = mc_alloc(QB, sizeof *s); // (QB) per query of the task
        double(*acc)[RB] = mc_alloc(QB, sizeof *acc); // (QB, RB) squared distances of one tile
        if (!s || !acc) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (int64_t qb = 0; qb < nq; qb++) {
            if (!s || !acc) continue;
            const int64_t i0 = qb * QB, qn = n - i0 < QB ? n - i0 : QB;
            for (int64_t q = 0; q < qn; q++) s[q].m = 0;
            for (int64_t b = 0; b < ntiles; b++) {
                const float *T = RT + (size_t)b * d * RB;
                const int64_t j0 = b * RB, jn = nr - j0 < RB ? nr - j0 : RB;
                for (int64_t q = 0; q < qn; q++) {
                    const float *x = X + (i0 + q) * d;
                    double *a = acc[q];
                    for (int j = 0; j < RB; j++) a[j] = 0;
                    for (int t = 0; t < d; t++) {
                        const double xt = x[t];
                        const float *c = T + (size_t)t * RB;
                        for (int j = 0; j < RB; j++) {
                            const double u = xt - (double)c[j];
                            a[j] += u * u;
                        }
                    }
                    for (int64_t j = 0; j < jn; j++) keep(&s[q], k, sqrt(a[j]), j0 + j);
                }
            }
            for (int64_t q = 0; q < qn; q++) position(&s[q], k, Y, out + (i0 + q) * 2);
        }
        mc_free(s);
        mc_free(acc);
    }
    mc_free(RT);
    return failed ? mc_error_set(MC_STATUS_NO_MEMORY, "place: out of memory for %d query rows", (int)QB) : MC_STATUS_OK;
}
