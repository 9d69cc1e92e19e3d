/* Generation you can check (issue 17, item 5): clips sampled from a conditioned log-mel model, judged
 * against the real segments of the store by their MFCC statistics:
 *   (a) k-NN on the real segments' z-scored MFCC statistics labels each generated clip; the fraction
 *       labelled with the class it was conditioned on, per class (chance = 1 / classes);
 *   (b) the Fréchet distance between the Gaussians fitted to the real and the generated statistics of
 *       each class (Heusel et al. 2017, the FID formula on MFCC statistics instead of Inception features),
 *       beside the distances between the real statistics of that class and of each other class.
 * The generated log-mel (dB) rows get the MFCC statistics exactly as extract computes them from a
 * segment's log-mel (mc_dsp_mfcc + mc_dsp_mfcc_stats), so real and generated are measured alike. */
#include "models_internal.h"

#include <musiclust/dsp.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mc_gen_check_config_default(mc_gen_check_config *c) {
    memset(c, 0, sizeof *c);
    c->per_class = 50;
    c->k = 5;
    c->seed = 0;
    c->threads = 0;
}

void mc_gen_check_free(mc_gen_check *c) {
    if (!c) return;
    if (c->classes)
        for (int i = 0; i < c->n_classes; i++) free(c->classes[i]);
    free(c->classes);
    free(c->real_rows);
    free(c->knn_accuracy);
    free(c->fd_generated);
    free(c->fd_other_mean);
    free(c->fd_other_min);
    memset(c, 0, sizeof *c);
}

/* Eigenvalues (and vectors, columns of V) of the symmetric A (d, d), by cyclic Jacobi rotations
 * (Golub & Van Loan, Matrix Computations, 8.5); A is destroyed, its diagonal the eigenvalues. */
static void jacobi_eigen(double *A, double *V, int d) {
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) V[i * d + j] = i == j;
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0, diag = 0;
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) {
                if (i != j) off += A[i * d + j] * A[i * d + j];
                else diag += A[i * d + j] * A[i * d + j];
            }
        if (off <= 1e-30 * (diag > 0 ? diag : 1)) break;
        for (int p = 0; p < d - 1; p++)
            for (int q = p + 1; q < d; q++) {
                const double apq = A[p * d + q];
                if (apq == 0) continue;
                const double theta = (A[q * d + q] - A[p * d + p]) / (2 * apq);
                const double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
                const double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < d; k++) { /* A <- A J (columns p, q) */
                    const double akp = A[k * d + p], akq = A[k * d + q];
                    A[k * d + p] = c * akp - s * akq;
                    A[k * d + q] = s * akp + c * akq;
                }
                for (int k = 0; k < d; k++) { /* A <- J^T A (rows p, q) */
                    const double apk = A[p * d + k], aqk = A[q * d + k];
                    A[p * d + k] = c * apk - s * aqk;
                    A[q * d + k] = s * apk + c * aqk;
                }
                for (int k = 0; k < d; k++) { /* V <- V J */
                    const double vkp = V[k * d + p], vkq = V[k * d + q];
                    V[k * d + p] = c * vkp - s * vkq;
                    V[k * d + q] = s * vkp + c * vkq;
                }
            }
    }
}

/* Mean (d) and sample covariance (d, d) (ddof 1, as numpy.cov) of the rows of X (n, d) listed in idx. */
static void gaussian_fit(const float *X, const int64_t *idx, int64_t n, int d, double *mu, double *S) {
    memset(mu, 0, (size_t)d * sizeof *mu);
    memset(S, 0, (size_t)d * d * sizeof *S);
    for (int64_t r = 0; r < n; r++)
        for (int j = 0; j < d; j++) mu[j] += X[idx[r] * d + j];
    for (int j = 0; j < d; j++) mu[j] /= (double)n;
    for (int64_t r = 0; r < n; r++)
        for (int i = 0; i < d; i++) {
            const double xi = X[idx[r] * d + i] - mu[i];
            for (int j = 0; j <= i; j++) S[i * d + j] += xi * (X[idx[r] * d + j] - mu[j]);
        }
    const double den = n > 1 ? (double)(n - 1) : 1.0;
    for (int i = 0; i < d; i++)
        for (int j = 0; j <= i; j++) S[j * d + i] = S[i * d + j] = S[i * d + j] / den;
}

/* ||mu1 - mu2||^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2)), with tr((S1 S2)^(1/2)) =
 * tr((A S2 A)^(1/2)) for A = S1^(1/2) (symmetric, so A S2 A is symmetric PSD: the sum of the square
 * roots of its eigenvalues, negative round-off clipped to 0). w: 5 d^2 doubles of scratch. */
static double frechet(const double *mu1, const double *S1, const double *mu2, const double *S2, int d, double *w) {
    double *E = w, *V = w + d * d, *A = w + 2 * d * d, *T = w + 3 * d * d, *M = w + 4 * d * d;
    double dist = 0, tr = 0;
    for (int j = 0; j < d; j++) {
        dist += (mu1[j] - mu2[j]) * (mu1[j] - mu2[j]);
        tr += S1[j * d + j] + S2[j * d + j];
    }
    memcpy(E, S1, (size_t)d * d * sizeof *E);
    jacobi_eigen(E, V, d);
    for (int i = 0; i < d; i++) /* A = V diag(sqrt(max(l, 0))) V^T */
        for (int j = 0; j < d; j++) {
            double s = 0;
            for (int k = 0; k < d; k++) {
                const double l = E[k * d + k];
                s += V[i * d + k] * (l > 0 ? sqrt(l) : 0) * V[j * d + k];
            }
            A[i * d + j] = s;
        }
    for (int i = 0; i < d; i++) /* T = A S2 */
        for (int j = 0; j < d; j++) {
            double s = 0;
            for (int k = 0; k < d; k++) s += A[i * d + k] * S2[k * d + j];
            T[i * d + j] = s;
        }
    for (int i = 0; i < d; i++) /* M = T A, symmetrised against round-off */
        for (int j = 0; j < d; j++) {
            double s = 0;
            for (int k = 0; k < d; k++) s += T[i * d + k] * A[k * d + j];
            M[i * d + j] = s;
        }
    for (int i = 0; i < d; i++)
        for (int j = 0; j < i; j++) M[i * d + j] = M[j * d + i] = 0.5 * (M[i * d + j] + M[j * d + i]);
    jacobi_eigen(M, V, d);
    double root = 0;
    for (int i = 0; i < d; i++) root += M[i * d + i] > 0 ? sqrt(M[i * d + i]) : 0;
    const double fd = dist + tr - 2 * root;
    return fd > 0 ? fd : 0;
}

mc_status mc_model_frechet_distance(const float *X, int64_t nx, const float *Y, int64_t ny, int d, double *out) {
    if (!X || !Y || !out || nx < 2 || ny < 2 || d < 1 || d > 4096)
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_model_frechet_distance: needs >= 2 rows on each side and 1..4096 columns");
    int64_t *idx = mc_calloc((size_t)(nx > ny ? nx : ny), sizeof *idx);
    double *buf = mc_calloc((size_t)(2 * d + 2 * d * d + 5 * d * d), sizeof *buf);
    if (!idx || !buf) {
        free(idx);
        free(buf);
        return mc_error_nomem("Frechet distance: out of memory for the %d-dimensional statistics", d);
    }
    double *mu1 = buf, *mu2 = buf + d, *S1 = buf + 2 * d, *S2 = S1 + d * d, *w = S2 + d * d;
    for (int64_t i = 0; i < nx; i++) idx[i] = i;
    gaussian_fit(X, idx, nx, d, mu1, S1);
    for (int64_t i = 0; i < ny; i++) idx[i] = i;
    gaussian_fit(Y, idx, ny, d, mu2, S2);
    *out = frechet(mu1, S1, mu2, S2, d, w);
    free(idx);
    free(buf);
    return MC_STATUS_OK;
}

/* The class of q (d) by its k nearest rows of R (n, d) (Euclidean; a tie between classes goes to the
 * class with the smaller summed distance, then the smaller code). best (k) dist / code scratch. */
static int knn_class(const float *R, const int32_t *codes, int64_t n, int d, const float *q, int k, int n_classes,
                     double *bd, int32_t *bc, int *votes, double *sums) {
    int have = 0;
    for (int64_t i = 0; i < n; i++) {
        if (codes[i] < 0) continue;
        double s = 0;
        for (int j = 0; j < d; j++) {
            const double t = (double)R[i * d + j] - q[j];
            s += t * t;
        }
        if (have == k && s >= bd[k - 1]) continue;
        int p = have < k ? have++ : k - 1;
        while (p > 0 && bd[p - 1] > s) { /* insertion: the k best in ascending order, the first kept on ties */
            bd[p] = bd[p - 1];
            bc[p] = bc[p - 1];
            p--;
        }
        bd[p] = s;
        bc[p] = codes[i];
    }
    memset(votes, 0, (size_t)n_classes * sizeof *votes);
    for (int c = 0; c < n_classes; c++) sums[c] = 0;
    for (int i = 0; i < have; i++) {
        votes[bc[i]]++;
        sums[bc[i]] += sqrt(bd[i]);
    }
    int best = -1;
    for (int c = 0; c < n_classes; c++)
        if (votes[c] > 0 && (best < 0 || votes[c] > votes[best] || (votes[c] == votes[best] && sums[c] < sums[best])))
            best = c;
    return best;
}

mc_status mc_model_generation_check(mc_model *m, const char *featdir, const mc_gen_check_config *cfg,
                                    mc_gen_check *out) {
    if (!m || !featdir || !cfg || !out) return mc_error_set(MC_STATUS_INVALID_ARG, "generation check: NULL argument");
    memset(out, 0, sizeof *out);
    mc_status st = mc_model_check_audio(m);
    if (st != MC_STATUS_OK) return st;
    int C = 0;
    const char *const *mclasses = mc_model_classes(m, &C);
    if (C < 2)
        return mc_error_set(MC_STATUS_UNSUPPORTED, "the generation check needs a model conditioned on a label with >= 2 "
                            "classes (musiclust train --model cvae --input logmel --condition COLUMN)");
    if (cfg->per_class < 2 || cfg->k < 1)
        return mc_error_set(MC_STATUS_INVALID_ARG, "generation check: per_class must be >= 2 and k >= 1");
    int in_ndim = 0;
    int64_t in_shape[3];
    mc_model_input_shape(m, &in_ndim, in_shape);
    const int n_mels = (int)in_shape[0], frames = (int)in_shape[1];

    /* the real side: the store's MFCC statistics and the model's label column */
    mc_store s;
    st = mc_store_open(featdir, &s);
    if (st != MC_STATUS_OK) return st;
    const int d = (int)s.vectors.shape[1];
    mc_dsp_config dc;
    mc_dsp_config_default(&dc);
    const char *col = mc_model_get_config(m)->condition;
    int32_t *scodes = mc_calloc((size_t)s.n, sizeof *scodes), *rcodes = mc_calloc((size_t)s.n, sizeof *rcodes);
    char **sclasses = NULL;
    int sn = 0;
    mc_dsp_plan *plan = NULL;
    float *z = NULL, *gen = NULL, *mf = NULL, *G = NULL; // see below
    /* R (n, d): a copy of the real rows (standardised in place below; the store's array may be a
     * read-only memory map) */
    float *R = mc_alloc((size_t)s.n * (size_t)d, sizeof(float));
    double *buf = NULL;
    int64_t *idx = NULL;
    int32_t *bc = NULL;
    int *votes = NULL;
    const int64_t P = cfg->per_class, NG = P * C;
    if (!scodes || !rcodes || !R)
        st = mc_error_nomem("generation check: out of memory for the codes and a copy of the %lld real rows",
                            (long long)s.n);
    else memcpy(R, s.vectors.data, (size_t)s.n * (size_t)d * sizeof(float));
    if (st == MC_STATUS_OK) st = mc_store_label_codes(&s, col, scodes, &sclasses, &sn);
    if (st == MC_STATUS_OK) st = mc_store_extract_params(featdir, &dc, NULL);
    if (st == MC_STATUS_OK && (d % 2 != 0 || d / 2 > dc.n_mels || dc.n_mels != n_mels))
        st = mc_error_set(MC_STATUS_FORMAT, "%s: mfcc_stats.npy has %d columns and %d mel bands; the model has %d bands",
                          featdir, d, dc.n_mels, n_mels);
    if (st == MC_STATUS_OK) {
        dc.n_mfcc = d / 2;
        st = mc_dsp_plan_create(&dc, &plan);
    }
    /* store classes -> the model's codes (a class the model does not know is left out, -1) */
    for (int64_t i = 0; st == MC_STATUS_OK && i < s.n; i++) rcodes[i] = -1;
    int32_t *map = st == MC_STATUS_OK ? mc_calloc((size_t)(sn > 0 ? sn : 1), sizeof *map) : NULL;
    if (st == MC_STATUS_OK && !map) st = mc_error_nomem("generation check: out of memory for the class map");
    for (int c = 0; st == MC_STATUS_OK && c < sn; c++) {
        map[c] = -1;
        for (int j = 0; j < C; j++)
            if (strcmp(sclasses[c], mclasses[j]) == 0) map[c] = j;
    }
    for (int64_t i = 0; st == MC_STATUS_OK && i < s.n; i++) rcodes[i] = scodes[i] >= 0 ? map[scodes[i]] : -1;
    free(map);
    if (st == MC_STATUS_OK) {
        out->n_classes = C;
        out->dim = d;
        out->per_class = cfg->per_class;
        out->k = cfg->k;
        out->classes = mc_calloc((size_t)C, sizeof *out->classes);
        out->real_rows = mc_calloc((size_t)C, sizeof *out->real_rows);
        out->knn_accuracy = mc_calloc((size_t)C, sizeof *out->knn_accuracy);
        out->fd_generated = mc_calloc((size_t)C, sizeof *out->fd_generated);
        out->fd_other_mean = mc_calloc((size_t)C, sizeof *out->fd_other_mean);
        out->fd_other_min = mc_calloc((size_t)C, sizeof *out->fd_other_min);
        z = mc_alloc((size_t)(P * mc_model_latent_dim(m)), sizeof *z);                // (P, latent)
        gen = mc_alloc((size_t)(P * n_mels * frames), sizeof *gen);                   // (P, n_mels, frames) dB
        mf = mc_alloc((size_t)(dc.n_mfcc * frames), sizeof *mf);                      // (n_mfcc, frames)
        G = mc_alloc((size_t)(NG * d), sizeof *G);                                    // (C * P, d) generated stats
        buf = mc_calloc((size_t)(4 * d + 4 * d * d + 5 * d * d + 2 * C), sizeof *buf);
        idx = mc_calloc((size_t)(s.n > NG ? s.n : NG), sizeof *idx);
        bc = mc_calloc((size_t)cfg->k, sizeof *bc);
        votes = mc_calloc((size_t)C, sizeof *votes);
        if (!out->classes || !out->real_rows || !out->knn_accuracy || !out->fd_generated || !out->fd_other_mean ||
            !out->fd_other_min || !z || !gen || !mf || !G || !buf || !idx || !bc || !votes)
            st = mc_error_nomem("generation check: out of memory for the per-class results and work buffers "
                                "(%d classes)", C);
        for (int c = 0; st == MC_STATUS_OK && c < C; c++)
            if (!(out->classes[c] = mc_strdup(mclasses[c]))) st = MC_STATUS_NO_MEMORY; // mc_strdup named it
    }
    /* generate: per class, P latent samples from their own seeded stream, decoded with the class */
    int32_t *gc = st == MC_STATUS_OK ? mc_calloc((size_t)P, sizeof *gc) : NULL;
    if (st == MC_STATUS_OK && !gc)
        st = mc_error_nomem("generation check: out of memory for the codes of %lld generated rows", (long long)P);
    for (int c = 0; st == MC_STATUS_OK && c < C; c++) {
        mc_rng rng;
        mc_rng_seed(&rng, cfg->seed, 0x67656eULL + (uint64_t)c);
        mc_model_sample_latent(m, &rng, P, z);
        for (int64_t i = 0; i < P; i++) gc[i] = c;
        st = mc_model_decode(m, z, gc, P, cfg->threads, gen);
        for (int64_t i = 0; st == MC_STATUS_OK && i < P; i++) {
            mc_dsp_mfcc(plan, gen + i * n_mels * frames, frames, mf);
            mc_dsp_mfcc_stats(mf, dc.n_mfcc, frames, G + (c * P + i) * d);
        }
    }
    free(gc);
    if (st == MC_STATUS_OK) {
        for (int64_t i = 0; i < s.n; i++)
            if (rcodes[i] >= 0) out->real_rows[rcodes[i]]++;
        for (int c = 0; c < C; c++)
            if (out->real_rows[c] < 2)
                st = mc_error_set(MC_STATUS_EMPTY, "%s: class '%s' of '%s' has %lld real segment%s; the check needs >= 2",
                                  featdir, mclasses[c], col, (long long)out->real_rows[c], out->real_rows[c] == 1 ? "" : "s");
    }
    if (st == MC_STATUS_OK) {
        /* one z-score, fitted on the real rows of the model's classes, for both sides */
        double *mean = buf, *sd = buf + d;
        int64_t nr = 0;
        for (int j = 0; j < d; j++) mean[j] = sd[j] = 0;
        for (int64_t i = 0; i < s.n; i++)
            if (rcodes[i] >= 0) {
                nr++;
                for (int j = 0; j < d; j++) mean[j] += R[i * d + j];
            }
        for (int j = 0; j < d; j++) mean[j] /= (double)nr;
        for (int64_t i = 0; i < s.n; i++)
            if (rcodes[i] >= 0)
                for (int j = 0; j < d; j++) sd[j] += (R[i * d + j] - mean[j]) * (R[i * d + j] - mean[j]);
        for (int j = 0; j < d; j++) sd[j] = sd[j] > 0 ? sqrt(sd[j] / (double)nr) : 1.0;
        for (int64_t i = 0; i < s.n; i++)
            for (int j = 0; j < d; j++) R[i * d + j] = (float)((R[i * d + j] - mean[j]) / sd[j]);
        for (int64_t i = 0; i < NG; i++)
            for (int j = 0; j < d; j++) G[i * d + j] = (float)((G[i * d + j] - mean[j]) / sd[j]);
        /* (a) k-NN labels */
        double *sums = buf + 4 * d + 9 * d * d; // (C) summed neighbour distances per class
        double *bdk = mc_calloc((size_t)cfg->k, sizeof *bdk);
        if (!bdk) st = mc_error_nomem("generation check: out of memory for the k = %d cluster distances", cfg->k);
        int64_t right = 0;
        for (int c = 0; st == MC_STATUS_OK && c < C; c++) {
            int64_t ok = 0;
            for (int64_t i = 0; i < P; i++)
                ok += knn_class(R, rcodes, s.n, d, G + (c * P + i) * d, cfg->k, C, bdk, bc, votes, sums) == c;
            out->knn_accuracy[c] = (double)ok / (double)P;
            right += ok;
        }
        free(bdk);
        out->accuracy = (double)right / (double)NG;
        /* (b) Fréchet distances: real c vs generated c, real c vs real c' */
        double *mu = buf + 2 * d, *S = buf + 4 * d, *mu2 = buf + 3 * d, *S2 = S + d * d, *w = S2 + d * d;
        double *fd_real = mc_calloc((size_t)C * C, sizeof *fd_real); // (C, C) real c vs real c'
        double *mus = mc_calloc((size_t)C * d, sizeof *mus), *Ss = mc_calloc((size_t)C * d * d, sizeof *Ss);
        if (st == MC_STATUS_OK && (!fd_real || !mus || !Ss))
            st = mc_error_nomem("generation check: out of memory for the class statistics (%d classes x %d dims)", C,
                                d);
        for (int c = 0; st == MC_STATUS_OK && c < C; c++) {
            int64_t n = 0;
            for (int64_t i = 0; i < s.n; i++)
                if (rcodes[i] == c) idx[n++] = i;
            gaussian_fit(R, idx, n, d, mus + c * d, Ss + (int64_t)c * d * d);
        }
        for (int c = 0; st == MC_STATUS_OK && c < C; c++) {
            for (int64_t i = 0; i < P; i++) idx[i] = c * P + i;
            gaussian_fit(G, idx, P, d, mu2, S2);
            out->fd_generated[c] = frechet(mus + c * d, Ss + (int64_t)c * d * d, mu2, S2, d, w);
            double sum = 0, mn = INFINITY;
            for (int o = 0; o < C; o++) {
                if (o == c) continue;
                if (o < c) {
                    fd_real[c * C + o] = fd_real[o * C + c]; /* symmetric: computed once */
                } else {
                    memcpy(mu, mus + c * d, (size_t)d * sizeof *mu);
                    memcpy(S, Ss + (int64_t)c * d * d, (size_t)d * d * sizeof *S);
                    fd_real[c * C + o] = frechet(mu, S, mus + o * d, Ss + (int64_t)o * d * d, d, w);
                }
                sum += fd_real[c * C + o];
                mn = fmin(mn, fd_real[c * C + o]);
            }
            out->fd_other_mean[c] = sum / (C - 1);
            out->fd_other_min[c] = mn;
        }
        for (int c = 0; st == MC_STATUS_OK && c < C; c++) {
            out->fd_generated_mean += out->fd_generated[c] / C;
            out->fd_other_mean_mean += out->fd_other_mean[c] / C;
        }
        free(fd_real);
        free(mus);
        free(Ss);
    }
    free(scodes);
    free(rcodes);
    mc_store_free_classes(sclasses, sn);
    mc_dsp_plan_free(plan);
    mc_free(z);
    mc_free(gen);
    mc_free(mf);
    mc_free(G);
    mc_free(R);
    free(buf);
    free(idx);
    free(bc);
    free(votes);
    mc_store_close(&s);
    if (st != MC_STATUS_OK) mc_gen_check_free(out);
    return st;
}

mc_status mc_gen_check_write(const mc_gen_check *r, const char *path) {
    if (!r || !path) return mc_error_set(MC_STATUS_INVALID_ARG, "generation check table: NULL argument");
    FILE *f = NULL;
    char *tmp = NULL;
    mc_status st = mc_file_open_tmp(path, &f, &tmp);
    if (st != MC_STATUS_OK) return st;
    bool ok = fputs("class\treal_segments\tgenerated\tknn_accuracy\tfd_real_generated\tfd_real_other_mean\t"
                    "fd_real_other_min\n", f) >= 0;
    for (int c = 0; ok && c < r->n_classes; c++) {
        mc_csv_write_field(f, r->classes[c], '\t');
        ok = fprintf(f, "\t%lld\t%d\t%.4f\t%.4f\t%.4f\t%.4f\n", (long long)r->real_rows[c], r->per_class,
                     r->knn_accuracy[c], r->fd_generated[c], r->fd_other_mean[c], r->fd_other_min[c]) > 0;
    }
    ok = ok && (r->n_classes == 0 || fprintf(f, "all\t\t%d\t%.4f\t%.4f\t%.4f\t\n", r->per_class * r->n_classes, r->accuracy,
                       r->fd_generated_mean, r->fd_other_mean_mean) > 0);
    if (!ok) {
        mc_file_abort(f, tmp);
        free(tmp);
        return mc_error_set(MC_STATUS_IO, "%s: write failed", path);
    }
    st = mc_file_commit(f, tmp, path);
    free(tmp);
    return st;
}
