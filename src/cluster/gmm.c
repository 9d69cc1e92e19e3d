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
 * split over OpenMP threads, and sums over points are added per fixed chunk, in order. */
#include "cluster_internal.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <omp.h>
#include <string.h>

typedef struct gm {
    int64_t n, d;
    int k;
    bool full;
    int nt;
    double reg;
    double *X;     // (n, d) the points in double
    double *X2;    // (n, d) squared entries (diag only)
    double *resp;  // (n, k) log-responsibilities after the E-step, responsibilities in the M-step
    double *Y;     // (n, d) scratch: X P_k (full) / diff or weighted diff (M-step)
    double *W;     // (n, d) scratch: resp-weighted diff (full M-step)
    double *lse;   // (n) log-sum-exp of each row
    double *part;  // (nchunks) per-chunk sums
    double *weights, *means, *cov, *pchol; // (k), (k, d), (k, d, d)|(k, d), same as cov
    double *best_w, *best_m, *best_c, *best_p;
    double *tmp;   // (d, d) or (k, d)
    double *nk;    // (k) responsibility mass per component
    double *red;   // (ceil(n / MC_CL_SUM_ROWS), max(d, k), d) partial sums of mc_cl_dgemm_tn
} gm;

static const double LOG_2PI = 1.8378770664093454835606594728112; /* log(2 pi) */

static void gm_free(gm *g) {
    mc_free(g->X);
    mc_free(g->X2);
    mc_free(g->resp);
    mc_free(g->Y);
    mc_free(g->W);
    mc_free(g->lse);
    mc_free(g->part);
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
}

static size_t cov_size(const gm *g) {
    return (size_t)g->k * (size_t)g->d * (g->full ? (size_t)g->d : 1);
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

/* _estimate_gaussian_parameters from g->resp (responsibilities, not logs). */
static void m_step(gm *g) {
    const int64_t n = g->n, d = g->d;
    const int k = g->k;
    const int64_t nch = (n + MC_CL_CHUNK - 1) / MC_CL_CHUNK;
    double *nk = g->nk;
    for (int c = 0; c < k; c++) {
#pragma omp parallel for schedule(static) num_threads(g->nt)
        for (int64_t ch = 0; ch < nch; ch++) {
            int64_t i1 = (ch + 1) * MC_CL_CHUNK < n ? (ch + 1) * MC_CL_CHUNK : n;
            double s = 0;
            for (int64_t i = ch * MC_CL_CHUNK; i < i1; i++) s += g->resp[i * k + c];
            g->part[ch] = s;
        }
        double s = 0;
        for (int64_t ch = 0; ch < nch; ch++) s += g->part[ch];
        nk[c] = s + 10 * DBL_EPSILON;
    }
    /* means = resp^T X / nk */
    mc_cl_dgemm_tn(g->nt, n, k, (int)d, g->resp, k, g->X, (int)d, g->means, g->red);
    for (int c = 0; c < k; c++)
        for (int64_t f = 0; f < d; f++) g->means[c * d + f] /= nk[c];
    if (g->full) {
        for (int c = 0; c < k; c++) {
            const double *mu = g->means + (size_t)c * d;
#pragma omp parallel for schedule(static) num_threads(g->nt)
            for (int64_t i = 0; i < n; i++) {
                double r = g->resp[i * k + c];
                for (int64_t f = 0; f < d; f++) {
                    double t = g->X[i * d + f] - mu[f];
                    g->Y[i * d + f] = t;
                    g->W[i * d + f] = r * t;
                }
            }
            double *C = g->cov + (size_t)c * d * d;
            /* (resp_k * diff)^T diff / nk + reg I */
            mc_cl_dgemm_tn(g->nt, n, (int)d, (int)d, g->W, (int)d, g->Y, (int)d, C, g->red);
            for (int64_t t = 0; t < d * d; t++) C[t] /= nk[c];
            for (int64_t f = 0; f < d; f++) C[f * d + f] += g->reg;
        }
    } else {
        /* avg_X2 - 2 avg_X_means + avg_means2 + reg, as sklearn's _estimate_gaussian_covariances_diag */
        double *avg_x2 = g->tmp; // (k, d)
        mc_cl_dgemm_tn(g->nt, n, k, (int)d, g->resp, k, g->X2, (int)d, avg_x2, g->red);
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
}

/* E-step: g->resp = log responsibilities, g->lse = log-likelihood of each point; returns the mean. */
static double e_step(gm *g) {
    const int64_t n = g->n, d = g->d;
    const int k = g->k;
    const int64_t nch = (n + MC_CL_CHUNK - 1) / MC_CL_CHUNK;
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
            mc_cl_dgemm_rows(g->nt, false, n, (int)d, (int)d, 1.0, g->X, P, 0.0, g->Y); /* Y (n, d) = X P */
            const double lw = log(g->weights[c]);
#pragma omp parallel for schedule(static) num_threads(g->nt)
            for (int64_t i = 0; i < n; i++) {
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
        /* resp = X2 prec^T - 2 X mp^T (n, k), then the constant terms */
        mc_cl_dgemm_rows(g->nt, true, n, k, (int)d, 1.0, g->X2, prec, 0.0, g->resp);
        mc_cl_dgemm_rows(g->nt, true, n, k, (int)d, -2.0, g->X, mp, 1.0, g->resp);
#pragma omp parallel for schedule(static) num_threads(g->nt)
        for (int64_t i = 0; i < n; i++)
            for (int c = 0; c < k; c++) {
                double lp = c0[c] + g->resp[i * k + c];
                g->resp[i * k + c] = -0.5 * ((double)d * LOG_2PI + lp) + c0[k + c] + log(g->weights[c]);
            }
    }
    /* log-sum-exp over components (scipy.special.logsumexp), per chunk for the sum */
#pragma omp parallel for schedule(static) num_threads(g->nt)
    for (int64_t ch = 0; ch < nch; ch++) {
        int64_t i1 = (ch + 1) * MC_CL_CHUNK < n ? (ch + 1) * MC_CL_CHUNK : n;
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
        g->part[ch] = part;
    }
    double s = 0;
    for (int64_t ch = 0; ch < nch; ch++) s += g->part[ch];
    return s / (double)n;
}

static void resp_exp(gm *g) {
    const size_t m = (size_t)g->n * (size_t)g->k;
#pragma omp parallel for schedule(static) num_threads(g->nt)
    for (size_t t = 0; t < m; t++) g->resp[t] = exp(g->resp[t]);
}

mc_status mc_cluster_gmm(const mc_cluster_config *cfg, const float *X, int64_t n, int64_t d,
                         mc_clustering *out) {
    mc_status st = mc_cl_begin(cfg, X, n, d, "GMM", out);
    if (st) return st;
    if (d > 46340) return mc_error_set(MC_STATUS_UNSUPPORTED, "GMM: d = %lld is too large", (long long)d);
    if (cfg->covariance == MC_COVARIANCE_FULL && 2.0 * 8.0 * (double)cfg->k * (double)d * (double)d > 4e9)
        return mc_error_set(MC_STATUS_UNSUPPORTED,
                            "GMM: %d full %lld x %lld covariances need %.1f GB; use covariance diag or reduce the "
                            "dimensions (e.g. PCA)",
                            cfg->k, (long long)d, (long long)d, 2.0 * 8.0 * (double)cfg->k * (double)d * (double)d * 1e-9);
    gm g;
    memset(&g, 0, sizeof g);
    g.n = n;
    g.d = d;
    g.k = cfg->k;
    g.full = cfg->covariance == MC_COVARIANCE_FULL;
    g.nt = cfg->threads > 0 ? cfg->threads : mc_threads_available();
    /* Each EM iteration runs ~2k short row loops and BLAS calls: split them only when they are long
     * enough to hide a preempted thread (see mc_cl_par_min_work); k-means keeps cfg->threads. */
    if ((int64_t)n * d < mc_cl_par_min_work) g.nt = 1;
    g.reg = cfg->reg_covar;
    const int n_init = cfg->n_init > 0 ? cfg->n_init : 1;
    const int max_iter = cfg->max_iter > 0 ? cfg->max_iter : 100;
    const double tol = cfg->tol > 0 ? cfg->tol : 1e-3;
    const size_t nd = (size_t)n * (size_t)d, kd = (size_t)g.k * (size_t)d;
    const int64_t nch = (n + MC_CL_CHUNK - 1) / MC_CL_CHUNK;
    size_t cs = cov_size(&g);
    size_t tmp_size = (size_t)d * (size_t)d > kd ? (size_t)d * (size_t)d : kd;
    g.X = mc_alloc(nd, sizeof(double));
    g.X2 = mc_alloc(nd, sizeof(double));
    g.resp = mc_alloc((size_t)n * (size_t)g.k, sizeof(double));
    g.Y = mc_alloc(nd, sizeof(double));
    g.W = mc_alloc(nd > kd + 2 * (size_t)g.k ? nd : kd + 2 * (size_t)g.k, sizeof(double));
    g.lse = mc_alloc((size_t)n, sizeof(double));
    g.part = mc_alloc((size_t)nch, sizeof(double));
    g.weights = mc_alloc((size_t)g.k, sizeof(double));
    g.means = mc_alloc(kd, sizeof(double));
    g.cov = mc_alloc(cs, sizeof(double));
    g.pchol = mc_alloc(cs, sizeof(double));
    g.best_w = mc_alloc((size_t)g.k, sizeof(double));
    g.best_m = mc_alloc(kd, sizeof(double));
    g.best_c = mc_alloc(cs, sizeof(double));
    g.best_p = mc_alloc(cs, sizeof(double));
    g.tmp = mc_alloc(tmp_size, sizeof(double));
    g.nk = mc_alloc((size_t)g.k, sizeof(double));
    g.red = mc_alloc((size_t)((n + MC_CL_SUM_ROWS - 1) / MC_CL_SUM_ROWS) * (size_t)(d > g.k ? d : g.k) * (size_t)d,
                     sizeof(double));
    if (!g.X || !g.X2 || !g.resp || !g.Y || !g.W || !g.lse || !g.part || !g.weights || !g.means || !g.cov ||
        !g.pchol || !g.best_w || !g.best_m || !g.best_c || !g.best_p || !g.tmp || !g.nk || !g.red) {
        gm_free(&g);
        return mc_error_nomem("GMM: out of memory for %lld x %lld points, k = %d",
                            (long long)n, (long long)d, cfg->k);
    }
    for (size_t t = 0; t < nd; t++) {
        g.X[t] = X[t];
        g.X2[t] = (double)X[t] * X[t];
    }
    int blas_prev = mc_threads_blas_serial_begin();
    mc_progress_set_total(cfg->progress, n_init);
    double best_lb = -INFINITY;
    int best_iter = 0;
    bool best_conv = false, have_best = false;
    for (int init = 0; init < n_init && !st; init++) {
        /* _initialize_parameters(init_params="kmeans"): one-hot k-means labels */
        mc_cluster_config kc = *cfg; /* threads as given */
        kc.algo = MC_CLUSTER_ALGO_KMEANS;
        kc.n_init = 1;
        kc.max_iter = 300;
        kc.tol = 1e-4;
        kc.progress = NULL;
        mc_clustering km;
        st = mc_cl_kmeans_run(&kc, X, n, d, ((uint64_t)1 << 32) + (uint64_t)init, &km);
        if (st) break;
        memset(g.resp, 0, (size_t)n * (size_t)g.k * sizeof(double));
        for (int64_t i = 0; i < n; i++) g.resp[i * g.k + km.labels[i]] = 1.0;
        mc_clustering_free(&km);
        m_step(&g);
        st = precision_cholesky(&g);
        if (st) break;
        double lb = -INFINITY;
        bool conv = false;
        int it;
        for (it = 1; it <= max_iter; it++) {
            double prev = lb;
            lb = e_step(&g);
            resp_exp(&g);
            m_step(&g);
            st = precision_cholesky(&g);
            if (st) break;
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
        double ll = e_step(&g);
        st = mc_cl_result_init(out, MC_CLUSTER_ALGO_GMM, n, d);
        if (!st) {
            out->centers = mc_alloc(kd, sizeof(float));
            out->weights = mc_alloc((size_t)g.k, sizeof(double));
            out->covariances = mc_alloc(cs, sizeof(double));
            out->means = mc_alloc(kd, sizeof(double));
            if (!out->centers || !out->weights || !out->covariances || !out->means) st = MC_STATUS_NO_MEMORY;
        }
        if (!st) {
            for (int64_t i = 0; i < n; i++) {
                const double *r = g.resp + i * g.k;
                int b = 0;
                for (int c = 1; c < g.k; c++)
                    if (r[c] > r[b]) b = c;
                out->labels[i] = b;
            }
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
    g.n = n;
    g.d = d;
    g.k = k;
    g.full = covariance == MC_COVARIANCE_FULL;
    g.nt = threads > 0 ? threads : mc_threads_available();
    if ((int64_t)n * d < mc_cl_par_min_work) g.nt = 1;
    const size_t nd = (size_t)n * (size_t)d, kd = (size_t)k * (size_t)d, cs = cov_size(&g);
    const int64_t nch = (n + MC_CL_CHUNK - 1) / MC_CL_CHUNK;
    g.X = mc_alloc(nd, sizeof(double));
    g.X2 = mc_alloc(nd, sizeof(double));
    g.resp = mc_alloc((size_t)n * (size_t)k, sizeof(double));
    g.Y = mc_alloc(nd, sizeof(double));
    g.W = mc_alloc(nd > kd + 2 * (size_t)k ? nd : kd + 2 * (size_t)k, sizeof(double));
    g.lse = mc_alloc((size_t)n, sizeof(double));
    g.part = mc_alloc((size_t)nch, sizeof(double));
    g.weights = mc_alloc((size_t)k, sizeof(double));
    g.means = mc_alloc(kd, sizeof(double));
    g.cov = mc_alloc(cs, sizeof(double));
    g.pchol = mc_alloc(cs, sizeof(double));
    g.tmp = mc_alloc((size_t)d * (size_t)d > kd ? (size_t)d * (size_t)d : kd, sizeof(double));
    if (!g.X || !g.X2 || !g.resp || !g.Y || !g.W || !g.lse || !g.part || !g.weights || !g.means || !g.cov ||
        !g.pchol || !g.tmp) {
        gm_free(&g);
        return mc_error_nomem("GMM predict: out of memory for %lld x %lld points, k = %d", (long long)n, (long long)d, k);
    }
    for (size_t t = 0; t < nd; t++) {
        g.X[t] = X[t];
        g.X2[t] = (double)X[t] * X[t];
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
        e_step(&g);
        mc_threads_blas_serial_end(blas_prev);
        for (int64_t i = 0; i < n; i++) { /* argmax, ties to the smaller component (numpy argmax) */
            const double *r = g.resp + i * k;
            int b = 0;
            for (int c = 1; c < k; c++)
                if (r[c] > r[b]) b = c;
            labels[i] = b;
        }
    }
    gm_free(&g);
    return st;
}
