/* cluster: Gaussian mixture as sklearn.mixture.GaussianMixture 1.2 (init_params="kmeans",
 * covariance_type "full" or "diag").
 *
 * Follows sklearn/mixture/_gaussian_mixture.py and _base.py:
 *   init     responsibilities = one-hot labels of KMeans(k, n_init=1) with this run's seed, then an
 *            M-step (_initialize);
 *   E-step   log N(x | mu_k, Sigma_k) through the Cholesky factor of the precision
 *            (_estimate_log_gaussian_prob), + log weight, normalised with log-sum-exp;
 *   M-step   nk = sum resp + 10 eps, means, covariances + reg_covar on the diagonal
 *            (_estimate_gaussian_parameters);
 *   stop     when the mean log-likelihood changes by less than tol; the initialisation with the highest
 *            final lower bound is kept; labels are the argmax of a last E-step (fit_predict).
 * Everything is in double. Matrix products go through BLAS from the calling thread; row-wise work is
 * split over OpenMP threads, and sums over points are added per fixed block, in order: nk and the
 * lower bound per chunk of MC_CL_CHUNK rows, resp^T X and the covariance sums per block of
 * MC_CL_SUM_ROWS rows (one dgemm each).
 *
 * Over R processes (cfg->dist, issue 11): every rank passes the same X and config. The rows are shared
 * out as whole blocks of MC_CL_SUM_ROWS rows (mc_dist_share of the ceil(n / MC_CL_SUM_ROWS) blocks, a
 * number fixed by n alone); each rank holds the double copies, responsibilities and log-sum-exps of
 * its own rows only and runs the E-step on them. Every sum over points is a list of per-chunk or
 * per-block partials added in list order by mc_dist_sum_ordered_f64 (0 + part 0 + part 1 + ..., the
 * additions one process makes), so every rank gets the parameters of R = 1 to the bit, takes the same
 * convergence decisions, and the labels of the last E-step are all-gathered. Four exchanges per EM
 * iteration (nk with the lower bound, resp^T X, the covariance sums of all components at once while
 * they fit in mc_cl_gmm_batch_bytes, the error check): each is a point where every rank waits for
 * the slowest, so they are few. The k-means that
 * initialises each restart runs over the same group (mc_cl_kmeans_run with cfg->dist). A failure on
 * one rank (out of memory, an ill-defined covariance) reaches every rank through mc_dist_check before
 * the next collective. */
#include "cluster_internal.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <omp.h>
#include <string.h>

_Static_assert(MC_CL_SUM_ROWS % MC_CL_CHUNK == 0, "a block of rows is whole chunks");

typedef struct gm {
    int64_t n, d;  /* all rows (every rank's), columns */
    int k;
    bool full;
    int nt;
    double reg;
    /* the process group (NULL: this process alone) and this rank's rows: blocks [b0, b0 + nbl) of the
     * nb blocks of MC_CL_SUM_ROWS rows, i.e. chunks [c0, c0 + ncl) of the nch chunks of MC_CL_CHUNK rows,
     * i.e. rows [r0, r0 + nl); all of them for one process */
    mc_dist *dist;
    int64_t nb, b0, nbl;
    int64_t nch, c0, ncl;
    int64_t r0, nl;
    double *X;     // (nl, d) this rank's points in double
    double *X2;    // (nl, d) squared entries (diag only)
    double *resp;  // (nl, k) log-responsibilities after the E-step, responsibilities in the M-step
    double *Y;     // (nl, d) scratch: X P_k (full) / diff or weighted diff (M-step)
    double *W;     // (max(nl * d, k * d + 2 k)) scratch: resp-weighted diff (full M-step); diag E-step terms
    double *lse;   // (nl) log-sum-exp of each row
    double *lpart; // (ncl) per-chunk sums of lse (the lower bound)
    double *part;  // (ncl, k + 1) per-chunk sums: nk, then the lower bound (lpart) in the last column
    double *nkl;   // (k + 1) their sums over every rank's chunks
    double *weights, *means, *cov, *pchol; // (k), (k, d), (k, d, d)|(k, d), same as cov
    double *best_w, *best_m, *best_c, *best_p;
    double *tmp;   // (d, d) or (k, d)
    double *nk;    // (k) responsibility mass per component
    int kb;        /* full covariances summed kb components at a time (one exchange each) */
    double *red;   // (nbl, max(kb d, k), d) per-block partial products of mc_cl_dgemm_tn_parts
    int32_t *lab;  // (nl) this rank's labels of the last E-step, for the all-gather
} gm;

double mc_cl_gmm_batch_bytes = 32e6;

static const double LOG_2PI = 1.8378770664093454835606594728112; /* log(2 pi) */

/* This rank's blocks, chunks and rows of n (all of them when dist is NULL). */
static void gm_layout(gm *g, int64_t n, mc_dist *dist) {
    const int64_t cpb = MC_CL_SUM_ROWS / MC_CL_CHUNK; /* chunks per block */
    g->n = n;
    g->dist = dist;
    g->nb = (n + MC_CL_SUM_ROWS - 1) / MC_CL_SUM_ROWS;
    g->nch = (n + MC_CL_CHUNK - 1) / MC_CL_CHUNK;
    mc_dist_share(g->nb, mc_dist_rank(dist), mc_dist_size(dist), &g->b0, &g->nbl);
    int64_t b1 = g->b0 + g->nbl;
    g->c0 = g->b0 * cpb < g->nch ? g->b0 * cpb : g->nch;
    g->ncl = (b1 * cpb < g->nch ? b1 * cpb : g->nch) - g->c0;
    g->r0 = g->b0 * MC_CL_SUM_ROWS < n ? g->b0 * MC_CL_SUM_ROWS : n;
    g->nl = (b1 * MC_CL_SUM_ROWS < n ? b1 * MC_CL_SUM_ROWS : n) - g->r0;
}

/* The collective error check over the group (the local status alone for one process). */
static mc_status gm_check(const gm *g, mc_status st) {
    return mc_dist_size(g->dist) > 1 ? mc_dist_check(g->dist, st) : st;
}

static void gm_free(gm *g) {
    mc_free(g->X);
    mc_free(g->X2);
    mc_free(g->resp);
    mc_free(g->Y);
    mc_free(g->W);
    mc_free(g->lse);
    mc_free(g->lpart);
    mc_free(g->part);
    mc_free(g->nkl);
    mc_free(g->weights);
    mc_free(g->means);
    mc_free(g->cov);
    mc_free(g->pchol);
    mc_free(g->best_w);
    mc_free(g->best_m);
    mc_free(g->best_c);
    mc_free(g->best_p);
    mc_free(g->tmp);
    mc_free(g->nk);
    mc_free(g->red);
    mc_free(g->lab);
}

static size_t cov_size(const gm *g) {
    return (size_t)g->k * (size_t)g->d * (g->full ? (size_t)g->d : 1);
}

/* The buffers of the E-step (both fit and predict) for this rank's rows, and this rank's rows of X in
 * double. false when out of memory. */
static bool gm_alloc_rows(gm *g, const float *X) {
    const size_t nd = (size_t)g->nl * (size_t)g->d, kd = (size_t)g->k * (size_t)g->d, cs = cov_size(g);
    g->X = mc_alloc(nd, sizeof(double));
    g->X2 = mc_alloc(nd, sizeof(double));
    g->resp = mc_alloc((size_t)g->nl * (size_t)g->k, sizeof(double));
    g->Y = mc_alloc(nd, sizeof(double));
    g->W = mc_alloc(nd > kd + 2 * (size_t)g->k ? nd : kd + 2 * (size_t)g->k, sizeof(double));
    g->lse = mc_alloc((size_t)g->nl, sizeof(double));
    g->lpart = mc_alloc((size_t)g->ncl, sizeof(double));
    g->part = mc_alloc((size_t)g->ncl * ((size_t)g->k + 1), sizeof(double));
    g->nkl = mc_alloc((size_t)g->k + 1, sizeof(double));
    g->weights = mc_alloc((size_t)g->k, sizeof(double));
    g->means = mc_alloc(kd, sizeof(double));
    g->cov = mc_alloc(cs, sizeof(double));
    g->pchol = mc_alloc(cs, sizeof(double));
    g->tmp = mc_alloc((size_t)g->d * (size_t)g->d > kd ? (size_t)g->d * (size_t)g->d : kd, sizeof(double));
    g->lab = mc_alloc((size_t)g->nl, sizeof(int32_t));
    if (!g->X || !g->X2 || !g->resp || !g->Y || !g->W || !g->lse || !g->lpart || !g->part || !g->nkl ||
        !g->weights || !g->means ||
        !g->cov || !g->pchol || !g->tmp || !g->lab)
        return false;
    const float *Xl = X + g->r0 * g->d;
    for (size_t t = 0; t < nd; t++) {
        g->X[t] = Xl[t];
        g->X2[t] = (double)Xl[t] * Xl[t];
    }
    return true;
}

/* _compute_precision_cholesky: full: P = inv(cholesky(Sigma))^T (upper); diag: 1 / sqrt(var). */
static mc_status precision_cholesky(gm *g) {
    const int64_t d = g->d;
    if (!g->full) {
        for (size_t t = 0; t < cov_size(g); t++) {
            if (!(g->cov[t] > 0)) goto ill;
            g->pchol[t] = 1.0 / sqrt(g->cov[t]);
        }
        return MC_STATUS_OK;
    }
    for (int c = 0; c < g->k; c++) {
        double *L = g->tmp;
        memcpy(L, g->cov + (size_t)c * d * d, (size_t)(d * d) * sizeof(double));
        if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)d, L, (lapack_int)d) != 0) goto ill;
        if (LAPACKE_dtrtri(LAPACK_ROW_MAJOR, 'L', 'N', (lapack_int)d, L, (lapack_int)d) != 0) goto ill;
        double *P = g->pchol + (size_t)c * d * d;
        for (int64_t a = 0; a < d; a++)
            for (int64_t b = 0; b < d; b++) P[a * d + b] = b >= a ? L[b * d + a] : 0.0; /* P = L^-T */
    }
    return MC_STATUS_OK;
ill:
    return mc_error_set(MC_STATUS_NUMERIC,
                        "GMM: fitting failed because some components have an ill-defined empirical covariance "
                        "(singleton or collapsed points); use fewer components or a larger reg_covar");
}

/* C (m1, m2) = A^T B summed over every rank's rows: A (nl, m1) and B (nl, m2) are this rank's rows
 * (row strides lda, ldb); one partial product per block of MC_CL_SUM_ROWS rows, the blocks of all
 * ranks added in block order. A collective over the group. */
static mc_status sum_tn(gm *g, int m1, int m2, const double *A, int lda, const double *B, int ldb, double *C) {
    mc_cl_dgemm_tn_parts(g->nt, g->nl, m1, m2, A, lda, B, ldb, g->red, (int64_t)m1 * m2);
    return mc_dist_sum_ordered_f64(g->dist, g->red, g->b0, g->nbl, g->nb, (int64_t)m1 * m2, C);
}

/* _estimate_gaussian_parameters from g->resp (responsibilities, not logs). With lb_sum, the sum of
 * the log-sum-exps of the E-step before (its per-chunk sums in g->lpart) rides along with nk's
 * exchange: *lb_sum = the sum over every rank's rows. A collective: ceil(k / kb) + 2 exchanges
 * (diag: 3). */
static mc_status m_step(gm *g, double *lb_sum) {
    const int64_t nl = g->nl, d = g->d;
    const int k = g->k;
    double *nk = g->nk;
    /* nk: per chunk (rows in order, each component on its own), the chunks of all ranks in order */
#pragma omp parallel for schedule(static) num_threads(g->nt)
    for (int64_t ch = 0; ch < g->ncl; ch++) {
        int64_t i1 = (ch + 1) * MC_CL_CHUNK < nl ? (ch + 1) * MC_CL_CHUNK : nl;
        double *p = g->part + ch * (k + 1);
        for (int c = 0; c < k; c++) p[c] = 0;
        for (int64_t i = ch * MC_CL_CHUNK; i < i1; i++)
            for (int c = 0; c < k; c++) p[c] += g->resp[i * k + c];
        p[k] = lb_sum ? g->lpart[ch] : 0;
    }
    mc_status st = mc_dist_sum_ordered_f64(g->dist, g->part, g->c0, g->ncl, g->nch, k + 1, g->nkl);
    if (st) return st;
    for (int c = 0; c < k; c++) nk[c] = g->nkl[c] + 10 * DBL_EPSILON;
    if (lb_sum) *lb_sum = g->nkl[k];
    /* means = resp^T X / nk */
    st = sum_tn(g, k, (int)d, g->resp, k, g->X, (int)d, g->means);
    if (st) return st;
    for (int c = 0; c < k; c++)
        for (int64_t f = 0; f < d; f++) g->means[c * d + f] /= nk[c];
    if (g->full) {
        /* (resp_k * diff)^T diff / nk + reg I: the per-block sums of kb components side by side, so that
         * one exchange adds them all (each component's blocks still in block order) */
        const int64_t dd = d * d;
        for (int c0 = 0; c0 < k; c0 += g->kb) {
            const int nc = k - c0 < g->kb ? k - c0 : g->kb;
            for (int c = c0; c < c0 + nc; c++) {
                const double *mu = g->means + (size_t)c * d;
#pragma omp parallel for schedule(static) num_threads(g->nt)
                for (int64_t i = 0; i < nl; i++) {
                    double r = g->resp[i * k + c];
                    for (int64_t f = 0; f < d; f++) {
                        double t = g->X[i * d + f] - mu[f];
                        g->Y[i * d + f] = t;
                        g->W[i * d + f] = r * t;
                    }
                }
                mc_cl_dgemm_tn_parts(g->nt, nl, (int)d, (int)d, g->W, (int)d, g->Y, (int)d, g->red + (c - c0) * dd,
                                     nc * dd);
            }
            double *C = g->cov + (size_t)c0 * (size_t)dd;
            st = mc_dist_sum_ordered_f64(g->dist, g->red, g->b0, g->nbl, g->nb, nc * dd, C);
            if (st) return st;
            for (int c = c0; c < c0 + nc; c++) {
                double *Cc = g->cov + (size_t)c * (size_t)dd;
                for (int64_t t = 0; t < dd; t++) Cc[t] /= nk[c];
                for (int64_t f = 0; f < d; f++) Cc[f * d + f] += g->reg;
            }
        }
    } else {
        /* avg_X2 - 2 avg_X_means + avg_means2 + reg, as sklearn's _estimate_gaussian_covariances_diag */
        double *avg_x2 = g->tmp; // (k, d)
        st = sum_tn(g, k, (int)d, g->resp, k, g->X2, (int)d, avg_x2);
        if (st) return st;
        for (int c = 0; c < k; c++)
            for (int64_t f = 0; f < d; f++) {
                double m = g->means[c * d + f];
                double ax2 = avg_x2[c * d + f] / nk[c];
                double axm = m * m; /* means * (resp^T X) / nk = means^2 */
                g->cov[c * d + f] = ax2 - 2 * axm + m * m + g->reg;
            }
    }
    for (int c = 0; c < k; c++) g->weights[c] = nk[c];
    double ws = 0;
    for (int c = 0; c < k; c++) ws += g->weights[c];
    for (int c = 0; c < k; c++) g->weights[c] /= ws;
    return MC_STATUS_OK;
}

/* E-step on this rank's rows: g->resp = log responsibilities, g->lse = log-likelihood of each point,
 * g->lpart their per-chunk sums. With mean_ll: *mean_ll = the mean over every rank's rows (a
 * collective); NULL: no exchange (the M-step after it adds g->lpart). */
static mc_status e_step(gm *g, double *mean_ll) {
    const int64_t nl = g->nl, d = g->d;
    const int k = g->k;
    if (g->full) {
        for (int c = 0; c < k; c++) {
            const double *P = g->pchol + (size_t)c * d * d, *mu = g->means + (size_t)c * d;
            double log_det = 0;
            for (int64_t f = 0; f < d; f++) log_det += log(P[f * d + f]);
            double *muP = g->tmp; // (d) mu P
            for (int64_t b = 0; b < d; b++) {
                double s = 0;
                for (int64_t a = 0; a < d; a++) s += mu[a] * P[a * d + b];
                muP[b] = s;
            }
            mc_cl_dgemm_rows(g->nt, false, nl, (int)d, (int)d, 1.0, g->X, P, 0.0, g->Y); /* Y (nl, d) = X P */
            const double lw = log(g->weights[c]);
#pragma omp parallel for schedule(static) num_threads(g->nt)
            for (int64_t i = 0; i < nl; i++) {
                double s = 0;
                for (int64_t f = 0; f < d; f++) {
                    double y = g->Y[i * d + f] - muP[f];
                    s += y * y;
                }
                g->resp[i * k + c] = -0.5 * ((double)d * LOG_2PI + s) + log_det + lw;
            }
        }
    } else {
        double *prec = g->tmp; // (k, d) precisions
        double *mp = g->W;     // (k, d) means * precisions, then (k) sum means^2 precisions after it
        double *c0 = mp + (size_t)k * d;
        for (int c = 0; c < k; c++) {
            double s = 0, log_det = 0;
            for (int64_t f = 0; f < d; f++) {
                double pc = g->pchol[c * d + f];
                double p = pc * pc;
                prec[c * d + f] = p;
                mp[c * d + f] = g->means[c * d + f] * p;
                s += g->means[c * d + f] * g->means[c * d + f] * p;
                log_det += log(pc);
            }
            c0[c] = s;
            c0[k + c] = log_det;
        }
        /* resp = X2 prec^T - 2 X mp^T (nl, k), then the constant terms */
        mc_cl_dgemm_rows(g->nt, true, nl, k, (int)d, 1.0, g->X2, prec, 0.0, g->resp);
        mc_cl_dgemm_rows(g->nt, true, nl, k, (int)d, -2.0, g->X, mp, 1.0, g->resp);
#pragma omp parallel for schedule(static) num_threads(g->nt)
        for (int64_t i = 0; i < nl; i++)
            for (int c = 0; c < k; c++) {
                double lp = c0[c] + g->resp[i * k + c];
                g->resp[i * k + c] = -0.5 * ((double)d * LOG_2PI + lp) + c0[k + c] + log(g->weights[c]);
            }
    }
    /* log-sum-exp over components (scipy.special.logsumexp), per chunk for the sum */
#pragma omp parallel for schedule(static) num_threads(g->nt)
    for (int64_t ch = 0; ch < g->ncl; ch++) {
        int64_t i1 = (ch + 1) * MC_CL_CHUNK < nl ? (ch + 1) * MC_CL_CHUNK : nl;
        double part = 0;
        for (int64_t i = ch * MC_CL_CHUNK; i < i1; i++) {
            double *r = g->resp + i * k;
            double m = r[0];
            for (int c = 1; c < k; c++)
                if (r[c] > m) m = r[c];
            double lse = m;
            if (isfinite(m)) {
                double s = 0;
                for (int c = 0; c < k; c++) s += exp(r[c] - m);
                lse = m + log(s);
            }
            for (int c = 0; c < k; c++) r[c] -= lse;
            g->lse[i] = lse;
            part += lse;
        }
        g->lpart[ch] = part;
    }
    if (!mean_ll) return MC_STATUS_OK;
    double s = 0;
    mc_status st = mc_dist_sum_ordered_f64(g->dist, g->lpart, g->c0, g->ncl, g->nch, 1, &s);
    *mean_ll = s / (double)g->n;
    return st;
}

static void resp_exp(gm *g) {
    const size_t m = (size_t)g->nl * (size_t)g->k;
#pragma omp parallel for schedule(static) num_threads(g->nt)
    for (size_t t = 0; t < m; t++) g->resp[t] = exp(g->resp[t]);
}

/* labels (nl) = argmax of each of this rank's rows of g->resp, ties to the smaller component (numpy
 * argmax). */
static void argmax_rows(const gm *g, int32_t *labels) {
    for (int64_t i = 0; i < g->nl; i++) {
        const double *r = g->resp + i * g->k;
        int b = 0;
        for (int c = 1; c < g->k; c++)
            if (r[c] > r[b]) b = c;
        labels[i] = b;
    }
}

mc_status mc_cluster_gmm(const mc_cluster_config *cfg, const float *X, int64_t n, int64_t d,
                         mc_clustering *out) {
    mc_status st = mc_cl_begin(cfg, X, n, d, "GMM", out);
    if (!cfg) return st;
    /* Every check below gives the same answer on every rank for the same X and config; the collective
     * check after the allocations still covers them, so that a rank given other data fails every rank
     * instead of leaving them waiting in the first collective. */
    if (!st && d > 46340) st = mc_error_set(MC_STATUS_UNSUPPORTED, "GMM: d = %lld is too large", (long long)d);
    if (!st && cfg->covariance == MC_COVARIANCE_FULL && 2.0 * 8.0 * (double)cfg->k * (double)d * (double)d > 4e9)
        st = mc_error_set(MC_STATUS_UNSUPPORTED,
                          "GMM: %d full %lld x %lld covariances need %.1f GB; use covariance diag or reduce the "
                          "dimensions (e.g. PCA)",
                          cfg->k, (long long)d, (long long)d, 2.0 * 8.0 * (double)cfg->k * (double)d * (double)d * 1e-9);
    gm g;
    memset(&g, 0, sizeof g);
    g.d = d;
    g.k = cfg->k;
    g.full = cfg->covariance == MC_COVARIANCE_FULL;
    gm_layout(&g, st ? 0 : n, cfg->dist);
    g.nt = cfg->threads > 0 ? cfg->threads : mc_threads_available();
    /* Each EM iteration runs ~2k short row loops and BLAS calls: split them only when they are long
     * enough to hide a preempted thread (see mc_cl_par_min_work); k-means keeps cfg->threads. */
    if ((int64_t)g.nl * d < mc_cl_par_min_work) g.nt = 1;
    g.reg = cfg->reg_covar;
    const int n_init = cfg->n_init > 0 ? cfg->n_init : 1;
    const int max_iter = cfg->max_iter > 0 ? cfg->max_iter : 100;
    const double tol = cfg->tol > 0 ? cfg->tol : 1e-3;
    const size_t kd = (size_t)g.k * (size_t)d;
    size_t cs = cov_size(&g);
    if (!st) {
        bool ok = gm_alloc_rows(&g, X);
        g.best_w = mc_alloc((size_t)g.k, sizeof(double));
        g.best_m = mc_alloc(kd, sizeof(double));
        g.best_c = mc_alloc(cs, sizeof(double));
        g.best_p = mc_alloc(cs, sizeof(double));
        g.nk = mc_alloc((size_t)g.k, sizeof(double));
        /* kb: as many components per exchange as keep red within mc_cl_gmm_batch_bytes on the rank with
         * the most blocks (a function of n, d, k and R alone, so every rank makes the same exchanges) */
        int64_t nbl_max = (g.nb + mc_dist_size(g.dist) - 1) / mc_dist_size(g.dist);
        double per = 8.0 * (double)(nbl_max > 0 ? nbl_max : 1) * (double)d * (double)d;
        g.kb = g.full ? (int)fmin((double)g.k, fmax(1.0, floor(mc_cl_gmm_batch_bytes / per))) : 1;
        int64_t w = (int64_t)g.kb * d > g.k ? (int64_t)g.kb * d : g.k;
        g.red = mc_alloc((size_t)g.nbl * (size_t)w * (size_t)d, sizeof(double));
        if (!ok || !g.best_w || !g.best_m || !g.best_c || !g.best_p || !g.nk || !g.red)
            st = mc_error_nomem("GMM: out of memory for %lld x %lld points (%lld on this process), k = %d",
                                (long long)n, (long long)d, (long long)g.nl, cfg->k);
    }
    st = gm_check(&g, st);
    if (st) {
        gm_free(&g);
        return st;
    }
    int blas_prev = mc_threads_blas_serial_begin();
    mc_progress_set_total(cfg->progress, n_init);
    double best_lb = -INFINITY;
    int best_iter = 0;
    bool best_conv = false, have_best = false;
    for (int init = 0; init < n_init && !st; init++) {
        /* _initialize_parameters(init_params="kmeans"): one-hot k-means labels. k-means runs over the
         * same group (kc.dist = cfg->dist) and returns every row's label on every rank. */
        mc_cluster_config kc = *cfg; /* threads and dist as given */
        kc.algo = MC_CLUSTER_ALGO_KMEANS;
        kc.n_init = 1;
        kc.max_iter = 300;
        kc.tol = 1e-4;
        kc.progress = NULL;
        mc_clustering km;
        st = gm_check(&g, mc_cl_kmeans_run(&kc, X, n, d, ((uint64_t)1 << 32) + (uint64_t)init, &km));
        if (st) break;
        memset(g.resp, 0, (size_t)g.nl * (size_t)g.k * sizeof(double));
        for (int64_t i = 0; i < g.nl; i++) g.resp[i * g.k + km.labels[g.r0 + i]] = 1.0;
        mc_clustering_free(&km);
        st = m_step(&g, NULL);
        if (!st) st = precision_cholesky(&g);
        st = gm_check(&g, st);
        if (st) break;
        double lb = -INFINITY;
        bool conv = false;
        int it;
        for (it = 1; it <= max_iter; it++) {
            double prev = lb, lb_sum = 0;
            st = e_step(&g, NULL); /* its lower bound is added in the M-step's first exchange */
            if (!st) {
                resp_exp(&g);
                st = m_step(&g, &lb_sum);
            }
            lb = lb_sum / (double)n;
            if (!st) st = precision_cholesky(&g);
            st = gm_check(&g, st);
            if (st) break;
            /* lb is the same double on every rank: every rank stops at the same iteration */
            if (fabs(lb - prev) < tol) {
                conv = true;
                break;
            }
        }
        if (st) break;
        if (it > max_iter) it = max_iter;
        if (!have_best || lb > best_lb) {
            have_best = true;
            best_lb = lb;
            best_iter = it;
            best_conv = conv;
            memcpy(g.best_w, g.weights, (size_t)g.k * sizeof(double));
            memcpy(g.best_m, g.means, kd * sizeof(double));
            memcpy(g.best_c, g.cov, cs * sizeof(double));
            memcpy(g.best_p, g.pchol, cs * sizeof(double));
        }
        mc_progress_tick(cfg->progress, 1);
    }
    if (!st) {
        memcpy(g.weights, g.best_w, (size_t)g.k * sizeof(double));
        memcpy(g.means, g.best_m, kd * sizeof(double));
        memcpy(g.cov, g.best_c, cs * sizeof(double));
        memcpy(g.pchol, g.best_p, cs * sizeof(double));
        double ll = 0;
        st = e_step(&g, &ll);
        if (!st) {
            st = mc_cl_result_init(out, MC_CLUSTER_ALGO_GMM, n, d);
            if (!st) {
                out->centers = mc_alloc(kd, sizeof(float));
                out->weights = mc_alloc((size_t)g.k, sizeof(double));
                out->covariances = mc_alloc(cs, sizeof(double));
                out->means = mc_alloc(kd, sizeof(double));
                if (!out->centers || !out->weights || !out->covariances || !out->means)
                    st = mc_error_nomem("GMM: out of memory for the result, k = %d", g.k);
            }
            st = gm_check(&g, st);
        }
        if (!st) {
            /* every rank's labels (its rows, in rank = row order) to every rank */
            argmax_rows(&g, g.lab);
            size_t total = 0;
            st = mc_dist_allgather(g.dist, g.lab, (size_t)g.nl * sizeof(int32_t), out->labels, NULL, &total);
            if (!st && total != (size_t)n * sizeof(int32_t))
                st = mc_error_set(MC_STATUS_INVALID_ARG, "GMM: the ranks hold %zu label bytes, expected %lld", total,
                                  (long long)n * 4);
        }
        if (!st) {
            for (size_t t = 0; t < kd; t++) out->centers[t] = (float)g.means[t];
            memcpy(out->means, g.means, kd * sizeof(double));
            memcpy(out->weights, g.weights, (size_t)g.k * sizeof(double));
            memcpy(out->covariances, g.cov, cs * sizeof(double));
            out->k = g.k;
            out->n_iter = best_iter;
            out->converged = best_conv;
            out->log_likelihood = ll;
            /* sklearn _n_parameters and bic */
            double dd = (double)d, kk = (double)g.k;
            double cov_params = g.full ? kk * dd * (dd + 1) / 2.0 : kk * dd;
            double n_params = cov_params + kk * dd + kk - 1;
            out->bic = -2.0 * ll * (double)n + n_params * log((double)n);
            if (!isfinite(ll)) st = mc_error_set(MC_STATUS_NUMERIC, "GMM: the log-likelihood is not finite");
        }
    }
    mc_threads_blas_serial_end(blas_prev);
    gm_free(&g);
    if (st) mc_clustering_free(out);
    return st;
}

mc_status mc_cluster_gmm_predict(const double *weights, const double *means, const double *covariances,
                                 mc_covariance covariance, int k, const float *X, int64_t n, int64_t d, int threads,
                                 int32_t *labels) {
    if (!weights || !means || !covariances || !labels || (!X && n > 0) || k < 1 || n < 0 || d < 1)
        return mc_error_set(MC_STATUS_INVALID_ARG, "GMM predict: no parameters, k < 1 or d < 1");
    if (n == 0) return MC_STATUS_OK;
    if (d > 46340) return mc_error_set(MC_STATUS_UNSUPPORTED, "GMM: d = %lld is too large", (long long)d);
    /* the fit's own E-step (and its precision factor from the covariances) on the new rows, so that the
     * fitted rows given again get the fit's labels bit for bit */
    gm g;
    memset(&g, 0, sizeof g);
    g.d = d;
    g.k = k;
    g.full = covariance == MC_COVARIANCE_FULL;
    gm_layout(&g, n, NULL); /* this process, every row */
    g.nt = threads > 0 ? threads : mc_threads_available();
    if ((int64_t)n * d < mc_cl_par_min_work) g.nt = 1;
    const size_t kd = (size_t)k * (size_t)d, cs = cov_size(&g);
    if (!gm_alloc_rows(&g, X)) {
        gm_free(&g);
        return mc_error_nomem("GMM predict: out of memory for %lld x %lld points, k = %d", (long long)n, (long long)d, k);
    }
    memcpy(g.weights, weights, (size_t)k * sizeof(double));
    memcpy(g.means, means, kd * sizeof(double));
    memcpy(g.cov, covariances, cs * sizeof(double));
    mc_status st = MC_STATUS_OK;
    for (int c = 0; c < k; c++)
        if (!(weights[c] > 0)) st = mc_error_set(MC_STATUS_INVALID_ARG, "GMM predict: weight %d is not positive", c);
    if (!st) st = precision_cholesky(&g);
    if (!st) {
        int blas_prev = mc_threads_blas_serial_begin();
        double ll;
        st = e_step(&g, &ll); /* one process: the ordered sum is a local loop */
        mc_threads_blas_serial_end(blas_prev);
        if (!st) argmax_rows(&g, labels);
    }
    gm_free(&g);
    return st;
}
