/* embed: UMAP's spectral initialisation (umap-learn 0.5 umap.spectral.spectral_layout and
 * multi_component_layout).
 *
 * The layout of a connected graph is given by the eigenvectors 2..dim+1 (ascending eigenvalue) of
 * the normalised Laplacian L = I - D^-1/2 W D^-1/2. umap-learn asks ARPACK (scipy eigsh, which='SM',
 * tol 1e-4, v0 = ones); here they are the top eigenvectors of M = D^-1/2 W D^-1/2 (same vectors,
 * eigenvalue 1 - lambda) from a thick-restart Lanczos iteration (Wu & Simon, "Thick-restart Lanczos
 * method for large symmetric eigenvalue problems", SIAM J. Matrix Anal. Appl. 22, 2000) with full
 * reorthogonalisation, the known first eigenvector sqrt(deg) projected out, and v0 = ones as umap.
 * Each eigenvector's sign is fixed (largest |entry| positive) since ARPACK's is arbitrary.
 *
 * Everything is sequential or reduced per row, so the result does not depend on the thread count. */
#include "embed_internal.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

mc_status emb_lanczos_top(const emb_csr *G, int want, uint64_t seed, double tol, double *vecs, double *vals,
                          double *resid) {
    const int64_t n = G->n;
    if (want < 1 || want > n - 1)
        return mc_error_set(MC_STATUS_INVALID_ARG, "spectral: %d eigenvectors of a %lld-vertex graph", want, (long long)n);
    /* Krylov space: at most the whole complement of sqrt(deg) (n - 1), else 2 want + 40 vectors, of
     * which want + half of the rest are kept at each restart */
    int m = 2 * want + 40;
    if (m > n - 1) m = (int)(n - 1);
    const int max_restarts = 400;
    double *wn = mc_alloc((size_t)G->nnz, sizeof(double));           // (nnz) w_ij / sqrt(deg_i deg_j)
    double *u0 = mc_alloc((size_t)n, sizeof(double));                // (n) sqrt(deg) / norm
    double *V = mc_alloc((size_t)n * (m + 1), sizeof(double));       // (m + 1, n): basis vectors, each contiguous
    double *w = mc_alloc((size_t)n, sizeof(double));                 // (n)
    double *T = mc_alloc((size_t)m * m, sizeof(double));             // (m, m) projected matrix V^T M V, column-major
    double *S = mc_alloc((size_t)m * m, sizeof(double));             // (m, m) its eigenvectors
    double *theta = mc_alloc((size_t)m, sizeof(double));             // (m) its eigenvalues
    double *h = mc_alloc((size_t)m + 1, sizeof(double));             // (m + 1) projections
    double *h2 = mc_alloc((size_t)m + 1, sizeof(double));            // (m + 1)
    double *Yk = mc_alloc((size_t)n * m, sizeof(double));            // (m, n) Ritz vectors at a restart
    if (!wn || !u0 || !V || !w || !T || !S || !theta || !h || !h2 || !Yk) {
        mc_free(wn), mc_free(u0), mc_free(V), mc_free(w), mc_free(T), mc_free(S), mc_free(theta), mc_free(h),
            mc_free(h2), mc_free(Yk);
        return MC_STATUS_NO_MEMORY;
    }
    const int blas_prev = mc_threads_blas_serial_begin();
    double nu = 0;
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int64_t e = G->indptr[i]; e < G->indptr[i + 1]; e++) s += G->val[e];
        u0[i] = sqrt(s);
        nu += s;
    }
    nu = sqrt(nu);
    for (int64_t i = 0; i < n; i++)
        for (int64_t e = G->indptr[i]; e < G->indptr[i + 1]; e++) {
            const double di = u0[i], dj = u0[G->col[e]];
            wn[e] = di > 0 && dj > 0 ? G->val[e] / (di * dj) : 0.0;
        }
    for (int64_t i = 0; i < n; i++) u0[i] = nu > 0 ? u0[i] / nu : 1.0 / sqrt((double)n);

    /* v0 = ones (umap: eigsh(v0=np.ones)), without its sqrt(deg) part; random if nothing is left */
    double *v = V;
    for (int64_t i = 0; i < n; i++) v[i] = 1.0;
    for (int attempt = 0;; attempt++) {
        double p = cblas_ddot((int)n, u0, 1, v, 1);
        cblas_daxpy((int)n, -p, u0, 1, v, 1);
        double nv = cblas_dnrm2((int)n, v, 1);
        if (nv > 1e-8 * sqrt((double)n) || attempt == 3) {
            cblas_dscal((int)n, 1.0 / (nv > 0 ? nv : 1.0), v, 1);
            break;
        }
        mc_rng r;
        mc_rng_seed(&r, seed, EMB_STREAM_SPECTRAL + 0x100 + (uint64_t)attempt);
        for (int64_t i = 0; i < n; i++) v[i] = mc_rng_normal(&r);
    }

    int j0 = 0, m_eff = m, restarts = 0;
    double beta = 0, worst = INFINITY;
    memset(T, 0, (size_t)m * m * sizeof(double));
    for (;;) {
        m_eff = m;
        for (int j = j0; j < m; j++) {
            const double *vj = V + (size_t)j * n;
            /* w = M v_j, row by row */
#pragma omp parallel for schedule(static)
            for (int64_t i = 0; i < n; i++) {
                double s = 0;
                for (int64_t e = G->indptr[i]; e < G->indptr[i + 1]; e++) s += wn[e] * vj[G->col[e]];
                w[i] = s;
            }
            double p = cblas_ddot((int)n, u0, 1, w, 1);
            cblas_daxpy((int)n, -p, u0, 1, w, 1);
            /* full reorthogonalisation, twice ("twice is enough", Parlett) */
            cblas_dgemv(CblasColMajor, CblasTrans, (int)n, j + 1, 1.0, V, (int)n, w, 1, 0.0, h, 1);
            cblas_dgemv(CblasColMajor, CblasNoTrans, (int)n, j + 1, -1.0, V, (int)n, h, 1, 1.0, w, 1);
            cblas_dgemv(CblasColMajor, CblasTrans, (int)n, j + 1, 1.0, V, (int)n, w, 1, 0.0, h2, 1);
            cblas_dgemv(CblasColMajor, CblasNoTrans, (int)n, j + 1, -1.0, V, (int)n, h2, 1, 1.0, w, 1);
            p = cblas_ddot((int)n, u0, 1, w, 1);
            cblas_daxpy((int)n, -p, u0, 1, w, 1);
            for (int i = 0; i <= j; i++) {
                T[(size_t)j * m + i] = h[i] + h2[i];
                T[(size_t)i * m + j] = h[i] + h2[i];
            }
            beta = cblas_dnrm2((int)n, w, 1);
            if (beta < 1e-12) {
                /* an invariant subspace: go on from a random vector orthogonal to it (the projection
                 * stays V^T M V), unless the basis already spans everything */
                beta = 0;
                double nv = 0;
                if (j + 1 < m) {
                    mc_rng r;
                    mc_rng_seed(&r, seed, EMB_STREAM_SPECTRAL + 0x200 + (uint64_t)j);
                    for (int64_t i = 0; i < n; i++) w[i] = mc_rng_normal(&r);
                    for (int pass = 0; pass < 2; pass++) {
                        p = cblas_ddot((int)n, u0, 1, w, 1);
                        cblas_daxpy((int)n, -p, u0, 1, w, 1);
                        cblas_dgemv(CblasColMajor, CblasTrans, (int)n, j + 1, 1.0, V, (int)n, w, 1, 0.0, h2, 1);
                        cblas_dgemv(CblasColMajor, CblasNoTrans, (int)n, j + 1, -1.0, V, (int)n, h2, 1, 1.0, w, 1);
                    }
                    nv = cblas_dnrm2((int)n, w, 1);
                }
                if (nv < 1e-8) {
                    m_eff = j + 1;
                    break;
                }
                double *vn = V + (size_t)(j + 1) * n;
                for (int64_t i = 0; i < n; i++) vn[i] = w[i] / nv;
                continue;
            }
            if (j + 1 <= m) {
                double *vn = V + (size_t)(j + 1) * n;
                for (int64_t i = 0; i < n; i++) vn[i] = w[i] / beta;
            }
        }
        /* Rayleigh-Ritz on the m_eff x m_eff projection */
        for (int c = 0; c < m_eff; c++)
            for (int r = 0; r < m_eff; r++) S[(size_t)c * m_eff + r] = T[(size_t)c * m + r];
        if (LAPACKE_dsyev(LAPACK_COL_MAJOR, 'V', 'U', m_eff, S, m_eff, theta) != 0) {
            mc_threads_blas_serial_end(blas_prev);
            mc_free(wn), mc_free(u0), mc_free(V), mc_free(w), mc_free(T), mc_free(S), mc_free(theta), mc_free(h),
                mc_free(h2), mc_free(Yk);
            return mc_error_set(MC_STATUS_NUMERIC, "spectral: eigen-decomposition of the Lanczos matrix failed");
        }
        if (m_eff < want) {
            mc_threads_blas_serial_end(blas_prev);
            mc_free(wn), mc_free(u0), mc_free(V), mc_free(w), mc_free(T), mc_free(S), mc_free(theta), mc_free(h),
                mc_free(h2), mc_free(Yk);
            return mc_error_set(MC_STATUS_NUMERIC, "spectral: the graph spans fewer than %d non-trivial directions", want);
        }
        /* descending: column m_eff - 1 - c holds the c-th largest; residual of a Ritz pair = beta |s_last| */
        worst = 0;
        for (int c = 0; c < want; c++) {
            const double r = beta * fabs(S[(size_t)(m_eff - 1 - c) * m_eff + (m_eff - 1)]);
            if (r > worst) worst = r;
        }
        if (worst <= tol || m_eff < m || m == n - 1 || restarts >= max_restarts) break;
        /* thick restart: keep the kk best Ritz vectors and the last residual direction */
        int kk = want + (m - want) / 2;
        if (kk > m - 1) kk = m - 1;
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n, kk, m, 1.0, V, (int)n, S + (size_t)(m - kk) * m,
                    m, 0.0, Yk, (int)n);
        /* Yk's columns are the Ritz vectors in ascending order of theta: store them descending */
        for (int c = 0; c < kk; c++) memcpy(V + (size_t)c * n, Yk + (size_t)(kk - 1 - c) * n, (size_t)n * sizeof(double));
        memmove(V + (size_t)kk * n, V + (size_t)m * n, (size_t)n * sizeof(double));
        memset(T, 0, (size_t)m * m * sizeof(double));
        for (int c = 0; c < kk; c++) {
            const int sc = m - 1 - c;
            T[(size_t)c * m + c] = theta[sc];
            const double b = beta * S[(size_t)sc * m + (m - 1)];
            T[(size_t)kk * m + c] = b;
            T[(size_t)c * m + kk] = b;
        }
        j0 = kk;
        restarts++;
    }
    /* the top `want` Ritz vectors, each signed so that its largest |entry| is positive */
    for (int c = 0; c < want; c++) {
        const double *s = S + (size_t)(m_eff - 1 - c) * m_eff;
        cblas_dgemv(CblasColMajor, CblasNoTrans, (int)n, m_eff, 1.0, V, (int)n, s, 1, 0.0, w, 1);
        int64_t arg = 0;
        for (int64_t i = 1; i < n; i++)
            if (fabs(w[i]) > fabs(w[arg])) arg = i;
        const double sg = w[arg] < 0 ? -1.0 : 1.0;
        for (int64_t i = 0; i < n; i++) vecs[i * want + c] = sg * w[i];
        if (vals) vals[c] = theta[m_eff - 1 - c];
    }
    if (resid) *resid = worst;
    mc_threads_blas_serial_end(blas_prev);
    mc_free(wn), mc_free(u0), mc_free(V), mc_free(w), mc_free(T), mc_free(S), mc_free(theta), mc_free(h), mc_free(h2),
        mc_free(Yk);
    return MC_STATUS_OK;
}

/* Sub-graph of G on the vertices with label c (local indices in vertex order). */
static mc_status subgraph(const emb_csr *G, const int32_t *label, const int32_t *local, int32_t c, int64_t size,
                          emb_csr *out) {
    memset(out, 0, sizeof *out);
    int64_t nnz = 0;
    for (int64_t i = 0; i < G->n; i++)
        if (label[i] == c) nnz += G->indptr[i + 1] - G->indptr[i];
    out->indptr = mc_alloc((size_t)size + 1, sizeof(int64_t));
    out->col = mc_alloc((size_t)(nnz > 0 ? nnz : 1), sizeof(int32_t));
    out->val = mc_alloc((size_t)(nnz > 0 ? nnz : 1), sizeof(double));
    if (!out->indptr || !out->col || !out->val) {
        emb_csr_free(out);
        return MC_STATUS_NO_MEMORY;
    }
    int64_t r = 0, e2 = 0;
    for (int64_t i = 0; i < G->n; i++) {
        if (label[i] != c) continue;
        for (int64_t e = G->indptr[i]; e < G->indptr[i + 1]; e++) {
            out->col[e2] = local[G->col[e]]; /* an edge never leaves its component */
            out->val[e2++] = G->val[e];
        }
        out->indptr[++r] = e2;
    }
    out->n = size;
    out->nnz = e2;
    return MC_STATUS_OK;
}

mc_status emb_spectral_layout(const emb_csr *G, const float *X, int d, int dim, uint64_t seed, int threads,
                              double *out, int *n_comp, double *resid) {
    (void)threads;
    const int64_t n = G->n;
    const double tol = 1e-6;
    int32_t *label = mc_alloc((size_t)n, sizeof(int32_t)); // (n) component of each vertex
    int32_t *local = mc_alloc((size_t)n, sizeof(int32_t)); // (n) index inside its component
    int32_t *queue = mc_alloc((size_t)n, sizeof(int32_t)); // (n) BFS queue
    if (!label || !local || !queue) {
        mc_free(label), mc_free(local), mc_free(queue);
        return MC_STATUS_NO_MEMORY;
    }
    /* connected components (scipy connected_components), numbered by their smallest vertex */
    for (int64_t i = 0; i < n; i++) label[i] = -1;
    int32_t nc = 0;
    for (int64_t s = 0; s < n; s++) {
        if (label[s] >= 0) continue;
        int64_t head = 0, tail = 0;
        queue[tail++] = (int32_t)s;
        label[s] = nc;
        while (head < tail) {
            const int32_t u = queue[head++];
            for (int64_t e = G->indptr[u]; e < G->indptr[u + 1]; e++) {
                const int32_t v = G->col[e];
                if (label[v] < 0) {
                    label[v] = nc;
                    queue[tail++] = v;
                }
            }
        }
        nc++;
    }
    mc_free(queue);
    *n_comp = nc;
    *resid = 0;
    mc_rng rng;
    mc_rng_seed(&rng, seed, EMB_STREAM_SPECTRAL);
    mc_status st = MC_STATUS_OK;
    if (nc == 1) {
        if (n < 2 * dim || n <= dim + 1) {
            /* too small for dim non-trivial eigenvectors: umap-learn falls back to random */
            for (int64_t i = 0; i < n * dim; i++) out[i] = -10.0 + 20.0 * mc_rng_uniform(&rng);
        } else {
            st = emb_lanczos_top(G, dim, seed, tol, out, NULL, resid);
            if (st == MC_STATUS_NUMERIC) {
                /* umap-learn: "Spectral initialisation failed! ... Falling back to random initialisation!" */
                mc_log(MC_LOG_LEVEL_WARN, "umap: %s; falling back to a random start", mc_error_message());
                for (int64_t i = 0; i < n * dim; i++) out[i] = -10.0 + 20.0 * mc_rng_uniform(&rng);
                *resid = 0;
                st = MC_STATUS_OK;
            }
        }
        mc_free(label), mc_free(local);
        return st;
    }
    /* multi_component_layout: the pieces' centres (meta), then each piece around its centre */
    int64_t *size = mc_alloc((size_t)nc, sizeof(int64_t));          // (nc)
    double *meta = mc_alloc((size_t)nc * dim, sizeof(double));       // (nc, dim)
    double *cen = mc_alloc((size_t)nc * d, sizeof(double));          // (nc, d) centroids
    float *cenf = mc_alloc((size_t)nc * d, sizeof(float));           // (nc, d)
    if (!size || !meta || !cen || !cenf) {
        st = MC_STATUS_NO_MEMORY;
        goto done;
    }
    for (int64_t i = 0; i < n; i++) local[i] = (int32_t)size[label[i]]++;
    if (nc > 2 * dim) {
        /* umap-learn component_layout embeds the centroids spectrally from exp(-dist^2) affinities,
         * which are all 0 in double for pieces > ~27 apart; PCA of the centroids keeps their
         * arrangement instead. Scaled to max |coordinate| 1 (umap: divided by the max). */
        for (int64_t i = 0; i < n; i++)
            for (int f = 0; f < d; f++) cen[(int64_t)label[i] * d + f] += X[i * d + f];
        for (int c = 0; c < nc; c++)
            for (int f = 0; f < d; f++) cenf[(int64_t)c * d + f] = (float)(cen[(int64_t)c * d + f] / (double)size[c]);
        const int pc = dim < d ? dim : d;
        double *sc = mc_alloc((size_t)nc * pc, sizeof(double)); // (nc, pc)
        if (!sc) {
            st = MC_STATUS_NO_MEMORY;
            goto done;
        }
        st = emb_pca_scores(cenf, nc, d, pc, sc);
        if (st) {
            mc_free(sc);
            goto done;
        }
        double mx = 0;
        for (int64_t i = 0; i < (int64_t)nc * pc; i++) mx = fmax(mx, fabs(sc[i]));
        for (int c = 0; c < nc; c++)
            for (int q = 0; q < dim; q++) {
                double v = q < pc ? sc[(int64_t)c * pc + q] : 0.0;
                meta[(int64_t)c * dim + q] = mx > 0 ? v / mx : mc_rng_uniform(&rng) * 2.0 - 1.0;
            }
        mc_free(sc);
    } else {
        /* few pieces: +- the unit vectors (umap: vstack([hstack([eye(k), 0]), -...])[:nc]) */
        const int k = (nc + 1) / 2;
        for (int c = 0; c < nc; c++) {
            const int b = c < k ? c : c - k;
            meta[(int64_t)c * dim + b] = c < k ? 1.0 : -1.0;
        }
    }
    for (int32_t c = 0; c < nc; c++) {
        /* data_range: half the distance to the nearest other centre */
        double dr = INFINITY;
        for (int32_t c2 = 0; c2 < nc; c2++) {
            double s = 0;
            for (int q = 0; q < dim; q++) {
                const double t = meta[(int64_t)c * dim + q] - meta[(int64_t)c2 * dim + q];
                s += t * t;
            }
            if (s > 0 && sqrt(s) < dr) dr = sqrt(s);
        }
        dr = isfinite(dr) ? dr / 2.0 : 1.0;
        const double *mc = meta + (int64_t)c * dim;
        if (size[c] < 2 * dim || size[c] <= dim + 1) {
            for (int64_t i = 0; i < n; i++)
                if (label[i] == c)
                    for (int q = 0; q < dim; q++) out[i * dim + q] = -dr + 2.0 * dr * mc_rng_uniform(&rng) + mc[q];
            continue;
        }
        emb_csr sub;
        st = subgraph(G, label, local, c, size[c], &sub);
        if (st) goto done;
        double *vec = mc_alloc((size_t)size[c] * dim, sizeof(double)); // (size, dim)
        double r = 0;
        if (!vec) st = MC_STATUS_NO_MEMORY;
        if (!st) st = emb_lanczos_top(&sub, dim, seed + (uint64_t)c, tol, vec, NULL, &r);
        emb_csr_free(&sub);
        if (st == MC_STATUS_NUMERIC) { /* as umap-learn: this piece starts at random around its centre */
            mc_log(MC_LOG_LEVEL_WARN, "umap: %s; a random start for piece %d", mc_error_message(), (int)c);
            for (int64_t i = 0; i < size[c] * dim; i++) vec[i] = -1.0 + 2.0 * mc_rng_uniform(&rng);
            r = 0;
            st = MC_STATUS_OK;
        }
        if (st) {
            mc_free(vec);
            goto done;
        }
        if (r > *resid) *resid = r;
        double mx = 0;
        for (int64_t i = 0; i < size[c] * dim; i++) mx = fmax(mx, fabs(vec[i]));
        const double ex = mx > 0 ? dr / mx : 0.0;
        for (int64_t i = 0; i < n; i++)
            if (label[i] == c)
                for (int q = 0; q < dim; q++) out[i * dim + q] = vec[(int64_t)local[i] * dim + q] * ex + mc[q];
        mc_free(vec);
    }
done:
    mc_free(label), mc_free(local), mc_free(size), mc_free(meta), mc_free(cen), mc_free(cenf);
    return st;
}
