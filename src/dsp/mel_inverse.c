/* From a mel spectrogram back to a linear one, and on to audio:
 *   librosa.db_to_power(S_db, ref)                       ref * 10^(S_db / 10)
 *   librosa.feature.inverse.mel_to_stft(M, power=2.0)    nnls(mel_basis, M) ** (1 / 2)
 *   librosa.feature.inverse.mel_to_audio(M, power=2.0)   griffinlim(mel_to_stft(M))
 *
 * The non-negative least-squares problem is librosa.util.nnls's: min_x ||W x - M||_F^2, x >= 0, with W
 * (n_mels, n_bins) the mel basis, one column of M per frame. librosa starts from the pseudo-inverse
 * solution pinv(W) M clipped at 0 and hands it to scipy's L-BFGS-B (objective scaled by 1 / M.size,
 * default tolerances). It is the same start here, followed by a fixed number of FISTA iterations
 * (A. Beck and M. Teboulle, "A fast iterative shrinkage-thresholding algorithm for linear inverse
 * problems", SIAM J. Imaging Sciences 2(1), 2009; the proximal step is the projection onto x >= 0):
 *   y_0 = x_0,  t_0 = 1
 *   x_{k+1} = max(0, y_k - W^T (W y_k - M) / L),   L = sigma_max(W)^2 (the gradient's Lipschitz constant)
 *   t_{k+1} = (1 + sqrt(1 + 4 t_k^2)) / 2
 *   y_{k+1} = x_{k+1} + (t_k - 1) / t_{k+1} (x_{k+1} - x_k)
 * A fixed iteration count (not a tolerance) keeps the cost and the output bytes independent of the
 * data's scale. Why not L-BFGS-B: the problem is underdetermined (n_bins > n_mels) and librosa's stopping
 * rule (projected gradient < 1e-5 of an objective divided by M.size) ends early on quiet recordings; on
 * the three librosa reference clips its mel residual ||W x - M|| / ||M|| is 7.5e-3, 4.3e-3 and 7.1e-2
 * (tools/make_generate_fixtures.py --report) where 200 FISTA steps reach 5e-4, 6e-8 and 4e-5. Each step
 * costs two products with the sparse mel basis (about 4 n_bins multiply-adds per frame). */
#include "dsp_internal.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

void mc_dsp_db_to_power(const float *db, int64_t count, double ref, float *out) {
    if (!db || !out || count <= 0) return;
    /* librosa evaluates ref * np.power(10.0, 0.1 * S_db) in float32; float64 with one final rounding
     * is within a few float32 ulps of it (the float32 product 0.1 * S_db alone is off by up to half an
     * ulp of the exponent) */
    for (int64_t i = 0; i < count; i++) out[i] = (float)(ref * pow(10.0, 0.1 * (double)db[i]));
}

/* ---------------------------------------------------------------- the pseudo-inverse */

mc_status mc_dsp_synth_mel_init(mc_dsp_synth *s) {
    const mc_dsp_plan *p = s->plan;
    const int M = p->cfg.n_mels, K = p->n_bins;
    float *wf = mc_alloc((size_t)M * (size_t)K, sizeof(float));   /* (M, K) mel basis, float32 */
    double *w = mc_alloc((size_t)M * (size_t)K, sizeof(double));  /* (M, K) the same in float64 */
    double *u = mc_alloc((size_t)M * (size_t)M, sizeof(double));  /* (M, M) left singular vectors */
    double *vt = mc_alloc((size_t)M * (size_t)K, sizeof(double)); /* (M, K) right singular vectors */
    double *sv = mc_alloc((size_t)M, sizeof(double));             /* (M,) singular values, descending */
    mc_status st = MC_STATUS_OK;
    if (!wf || !w || !u || !vt || !sv) {
        st = mc_error_nomem("out of memory computing the mel basis' pseudo-inverse");
        goto done;
    }
    st = mc_dsp_mel_filterbank(p->cfg.sr, p->cfg.n_fft, M, p->cfg.fmin, p->cfg.fmax, wf);
    if (st != MC_STATUS_OK) goto done;
    for (size_t i = 0; i < (size_t)M * (size_t)K; i++) w[i] = (double)wf[i];
    /* numpy.linalg.pinv: W = U diag(s) V^T (economy SVD), pinv = V diag(1 / s) U^T over the singular
     * values above rcond * s_max, rcond = 1e-15 */
    /* BLAS/LAPACK single-threaded (core.h: mc_threads_blas_serial_begin): the same bits on any machine */
    const int blas_prev = mc_threads_blas_serial_begin();
    lapack_int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', M, K, w, K, sv, u, M, vt, K);
    if (info != 0) {
        mc_threads_blas_serial_end(blas_prev);
        st = mc_error_set(MC_STATUS_NUMERIC, "the SVD of the %d x %d mel basis did not converge (LAPACK "
                          "dgesdd info %d)", M, K, (int)info);
        goto done;
    }
    const double cutoff = 1e-15 * sv[0];
    for (int j = 0; j < M; j++) {
        const double inv = sv[j] > cutoff ? 1.0 / sv[j] : 0.0;
        for (int k = 0; k < K; k++) vt[(size_t)j * K + k] *= inv;
    }
    /* pinv (K, M) = (diag(1/s) V^T)^T U^T */
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasTrans, K, M, M, 1.0, vt, K, u, M, 0.0, s->pinv, M);
    mc_threads_blas_serial_end(blas_prev);
    /* an all-zero basis (no FFT bin inside any filter) has no gradient to follow: any step works */
    s->lipschitz = sv[0] > 0 ? sv[0] * sv[0] : 1.0;
done:
    mc_free(wf);
    mc_free(w);
    mc_free(u);
    mc_free(vt);
    mc_free(sv);
    return st;
}

/* ---------------------------------------------------------------- products with the sparse basis */

/* y += a x over n entries, in chunks of constant length so that -O2's cheap vectoriser takes them
 * (the rest one by one); the order of the additions per entry is the same either way. */
static inline void axpy(double *restrict y, double a, const double *restrict x, int64_t n) {
    enum { CHUNK = 8 };
    int64_t i = 0;
    for (; i + CHUNK <= n; i += CHUNK)
        for (int j = 0; j < CHUNK; j++) y[i + j] += a * x[i + j];
    for (; i < n; i++) y[i] += a * x[i];
}

/* r = W x - m: x (K, F), m (M, F), r (M, F). Filter i is nonzero on bins [lo, lo + len). */
static void basis_residual(const mc_dsp_sparse_mel *fb, const double *x, const double *m, int64_t F,
                           double *r) {
    for (int i = 0; i < fb->n_mels; i++) {
        double *ri = r + (size_t)i * (size_t)F;
        const double *mi = m + (size_t)i * (size_t)F;
        for (int64_t t = 0; t < F; t++) ri[t] = -mi[t];
        const float *wi = fb->weights + fb->off[i];
        for (int j = 0; j < fb->len[i]; j++) {
            const double wj = (double)wi[j];
            axpy(ri, wj, x + (size_t)(fb->lo[i] + j) * (size_t)F, F);
        }
    }
}

/* g = W^T r: r (M, F), g (K, F). */
static void basis_transpose(const mc_dsp_sparse_mel *fb, const double *r, int64_t F, double *g) {
    memset(g, 0, sizeof(double) * (size_t)fb->n_bins * (size_t)F);
    for (int i = 0; i < fb->n_mels; i++) {
        const double *ri = r + (size_t)i * (size_t)F;
        const float *wi = fb->weights + fb->off[i];
        for (int j = 0; j < fb->len[i]; j++) {
            const double wj = (double)wi[j];
            axpy(g + (size_t)(fb->lo[i] + j) * (size_t)F, wj, ri, F);
        }
    }
}

/* One FISTA step over n entries, given the gradient g at the extrapolated point y:
 *   x_new = max(0, y - step g),  y = x_new + beta (x_new - x),  g = x_new (the caller swaps x and g).
 * Chunked as axpy. */
static void fista_step(const double *restrict x, double *restrict y, double *restrict g, int64_t n,
                       double step, double beta) {
    enum { CHUNK = 8 };
    int64_t i = 0;
    for (; i + CHUNK <= n; i += CHUNK)
        for (int j = 0; j < CHUNK; j++) {
            double xn = y[i + j] - step * g[i + j];
            xn = xn > 0 ? xn : 0;
            y[i + j] = xn + beta * (xn - x[i + j]);
            g[i + j] = xn;
        }
    for (; i < n; i++) {
        double xn = y[i] - step * g[i];
        xn = xn > 0 ? xn : 0;
        y[i] = xn + beta * (xn - x[i]);
        g[i] = xn;
    }
}

static double sum_squares(const double *a, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += a[i] * a[i];
    return s;
}

/* ---------------------------------------------------------------- NNLS */

mc_status mc_dsp_mel_to_power(const mc_dsp_plan *p, mc_dsp_synth *s, const float *mel, int64_t frames,
                              int n_iter, float *power, double *residual) {
    static const char fn[] = "mc_dsp_mel_to_power";
    if (!p || !s || !mel || !power) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: NULL argument", fn);
    if (s->plan != p) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: workspace made for another plan", fn);
    if (frames < 1 || frames > s->max_frames)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: %lld frames; the workspace holds 1 to %lld", fn,
                            (long long)frames, (long long)s->max_frames);
    if (n_iter < 0) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: n_iter = %d must be >= 0", fn, n_iter);
    const int M = p->cfg.n_mels, K = p->n_bins;
    const int64_t F = frames;
    const mc_dsp_sparse_mel *fb = &p->mel;
    double *m = s->nm; /* (M, F) the target */
    for (int64_t i = 0; i < (int64_t)M * F; i++) {
        if (!isfinite(mel[i]))
            return mc_error_set(MC_STATUS_NUMERIC, "%s: mel[%lld, %lld] is %g", fn, (long long)(i / F),
                                (long long)(i % F), (double)mel[i]);
        m[i] = (double)mel[i];
    }

    /* x_0 = max(0, pinv(W) m): (K, M) x (M, F), each sum in increasing mel order */
    double *x = s->nx, *y = s->ny, *g = s->ng, *r = s->nr; /* (K, F), (K, F), (K, F), (M, F) */
    memset(x, 0, sizeof(double) * (size_t)K * (size_t)F);
    for (int k = 0; k < K; k++) {
        double *xk = x + (size_t)k * (size_t)F;
        const double *pk = s->pinv + (size_t)k * M;
        for (int i = 0; i < M; i++) axpy(xk, pk[i], m + (size_t)i * (size_t)F, F);
        for (int64_t t = 0; t < F; t++) xk[t] = xk[t] > 0 ? xk[t] : 0;
    }

    /* FISTA with the projection onto x >= 0 (see the top of this file) */
    const int64_t KF = (int64_t)K * F;
    const double step = 1.0 / s->lipschitz;
    double tk = 1.0;
    memcpy(y, x, sizeof(double) * (size_t)KF);
    for (int it = 0; it < n_iter; it++) {
        basis_residual(fb, y, m, F, r);  /* r = W y - m */
        basis_transpose(fb, r, F, g);    /* g = W^T r, the gradient of 1/2 ||W y - m||^2 at y */
        const double tn = (1.0 + sqrt(1.0 + 4.0 * tk * tk)) / 2.0;
        const double beta = (tk - 1.0) / tn;
        fista_step(x, y, g, KF, step, beta); /* g = x_{k+1}, y = y_{k+1} */
        double *tmp = x; /* x = x_{k+1}; the old iterate's buffer takes the next gradient */
        x = g;
        g = tmp;
        tk = tn;
    }
    for (int64_t i = 0; i < KF; i++) power[i] = (float)x[i];
    if (residual) {
        basis_residual(fb, x, m, F, r);
        const double den = sum_squares(m, (int64_t)M * F);
        *residual = den > 0 ? sqrt(sum_squares(r, (int64_t)M * F) / den) : 0.0;
    }
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- mel -> audio */

mc_status mc_dsp_mel_to_audio(const mc_dsp_plan *p, mc_dsp_synth *s, const float *mel, int64_t frames,
                              int nnls_iter, const mc_dsp_griffinlim_options *o, int64_t length,
                              float *y, mc_dsp_inverse_stats *stats) {
    if (!p || !s) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_dsp_mel_to_audio: NULL argument");
    double resid = 0, sc = 0;
    float *S = s->power; /* (n_bins, frames) */
    mc_status st = mc_dsp_mel_to_power(p, s, mel, frames, nnls_iter, S, stats ? &resid : NULL);
    if (st != MC_STATUS_OK) return st;
    /* mel_to_stft(power=2.0) returns the magnitude: the power to the 1 / power */
    for (int64_t i = 0; i < (int64_t)p->n_bins * frames; i++) S[i] = sqrtf(S[i]);
    st = mc_dsp_griffinlim(p, s, S, frames, o, length, y, stats ? &sc : NULL);
    if (st != MC_STATUS_OK) return st;
    if (stats) {
        stats->mel_residual = resid;
        stats->spectral_convergence = sc;
    }
    return MC_STATUS_OK;
}
