/* Metrics against labels: the contingency table, ARI, NMI (arithmetic mean), purity; and the
 * track-level helpers (majority vote, mean of a track's rows). Noise rows pool into one cluster
 * (metrics.h, NOISE CONVENTION) through mc__clusters_encode / mc__clusters_row. */
#include "metrics_internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- label strings -> class ids */

static int cmp_strp(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void mc_metrics_names_free(char **names, int n_names) {
    if (!names) return;
    for (int i = 0; i < n_names; i++) free(names[i]);
    free(names);
}

mc_status mc_metrics_encode_labels(const char *const *labels, int64_t n, int32_t *class_id,
                                   char ***names, int *n_names) {
    *names = NULL;
    *n_names = 0;
    if (n < 0 || (n > 0 && (!labels || !class_id)))
        return mc_error_set(MC_STATUS_INVALID_ARG, "encode_labels: NULL labels or negative count");
    const char **sorted = mc_calloc(1, (size_t)(n ? n : 1) * sizeof *sorted); // (n) non-empty labels
    if (!sorted) return mc_error_nomem("encode_labels: out of memory");
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (labels[i] && labels[i][0]) sorted[m++] = labels[i];
    qsort(sorted, (size_t)m, sizeof *sorted, cmp_strp);
    int64_t u = 0;
    for (int64_t i = 0; i < m; i++)
        if (i == 0 || strcmp(sorted[i], sorted[u - 1]) != 0) sorted[u++] = sorted[i];
    if (u > INT32_MAX - 1) {
        free(sorted);
        return mc_error_set(MC_STATUS_UNSUPPORTED, "encode_labels: %lld distinct labels", (long long)u);
    }
    char **out = mc_calloc((size_t)(u ? u : 1), sizeof *out); // (u)
    if (!out) {
        free(sorted);
        return mc_error_nomem("encode_labels: out of memory");
    }
    for (int64_t i = 0; i < u; i++) {
        out[i] = mc_strdup(sorted[i]);
        if (!out[i]) {
            mc_metrics_names_free(out, (int)i);
            free(sorted);
            return MC_STATUS_NO_MEMORY;
        }
    }
    for (int64_t i = 0; i < n; i++) {
        if (!labels[i] || !labels[i][0]) {
            class_id[i] = -1;
            continue;
        }
        const char *const *hit = bsearch(&labels[i], sorted, (size_t)u, sizeof *sorted, cmp_strp);
        class_id[i] = (int32_t)(hit - sorted);
    }
    free(sorted);
    *names = out;
    *n_names = (int)u;
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- contingency */

void mc_metrics_contingency_free(mc_contingency *c) {
    if (!c) return;
    mc_free(c->cluster_ids);
    mc_metrics_names_free(c->class_names, c->n_classes);
    mc_free(c->counts);
    memset(c, 0, sizeof *c);
}

mc_status mc_metrics_contingency(const int32_t *cluster, const int32_t *class_id, int64_t n,
                                 int n_names, const char *const *names, mc_contingency *out) {
    memset(out, 0, sizeof *out);
    if (n < 0 || n_names < 0 || (n > 0 && (!cluster || !class_id)))
        return mc_error_set(MC_STATUS_INVALID_ARG, "contingency: NULL input or negative count");
    for (int64_t i = 0; i < n; i++)
        if (class_id[i] < -1 || class_id[i] >= n_names)
            return mc_error_set(MC_STATUS_INVALID_ARG, "contingency: row %lld has class id %d, not in [-1, %d)",
                                (long long)i, (int)class_id[i], n_names);
    mc__clusters cl;
    mc_status st = mc__clusters_encode(cluster, n, &cl);
    if (st != MC_STATUS_OK) return st;
    const int64_t rows = (int64_t)cl.k + 1; /* row 0: pooled noise */
    const int64_t cols = n_names;
    int64_t *full = mc_alloc((size_t)(rows * (cols ? cols : 1)), sizeof *full); // (rows, cols)
    int64_t *rsum = mc_alloc((size_t)rows, sizeof *rsum);                       // (rows)
    int64_t *csum = mc_alloc((size_t)(cols ? cols : 1), sizeof *csum);          // (cols)
    if (!full || !rsum || !csum) {
        st = MC_STATUS_NO_MEMORY;
        goto done;
    }
    for (int64_t i = 0; i < n; i++) {
        if (class_id[i] < 0) {
            out->n_unlabeled++;
            continue;
        }
        int64_t r = mc__clusters_row(cl.dense[i]);
        full[r * cols + class_id[i]]++;
        rsum[r]++;
        csum[class_id[i]]++;
        out->n_used++;
    }
    for (int64_t r = 0; r < rows; r++) out->n_clusters += rsum[r] > 0;
    for (int64_t j = 0; j < cols; j++) out->n_classes += csum[j] > 0;
    out->n_noise = rsum[0];
    out->cluster_ids = mc_alloc((size_t)(out->n_clusters ? out->n_clusters : 1), sizeof *out->cluster_ids);
    out->class_names = mc_calloc((size_t)(out->n_classes ? out->n_classes : 1), sizeof *out->class_names);
    out->counts = mc_alloc((size_t)out->n_clusters * (size_t)(out->n_classes ? out->n_classes : 1),
                           sizeof *out->counts);
    if (!out->cluster_ids || !out->class_names || !out->counts) {
        st = mc_error_nomem("contingency: out of memory");
        goto done;
    }
    int jj = 0;
    for (int64_t j = 0; j < cols; j++) {
        if (!csum[j]) continue;
        char buf[24];
        snprintf(buf, sizeof buf, "%lld", (long long)j);
        out->class_names[jj] = mc_strdup(names ? names[j] : buf);
        if (!out->class_names[jj]) {
            st = MC_STATUS_NO_MEMORY;
            goto done;
        }
        jj++;
    }
    int ii = 0;
    for (int64_t r = 0; r < rows; r++) {
        if (!rsum[r]) continue;
        out->cluster_ids[ii] = r == 0 ? MC_METRICS_NOISE : cl.ids[r - 1];
        jj = 0;
        for (int64_t j = 0; j < cols; j++)
            if (csum[j]) out->counts[(int64_t)ii * out->n_classes + jj++] = full[r * cols + j];
        ii++;
    }
done:
    mc_free(full);
    mc_free(rsum);
    mc_free(csum);
    mc__clusters_free(&cl);
    if (st != MC_STATUS_OK) mc_metrics_contingency_free(out);
    return st;
}

mc_status mc_metrics_contingency_write(const mc_contingency *c, const char *path) {
    if (!c || !path) return mc_error_set(MC_STATUS_INVALID_ARG, "contingency_write: NULL argument");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return mc_error_nomem("%s: out of memory", path);
    fputs("cluster", f);
    for (int j = 0; j < c->n_classes; j++) {
        fputc('\t', f);
        mc_csv_write_field(f, c->class_names[j], '\t');
    }
    fputc('\n', f);
    for (int i = 0; i < c->n_clusters; i++) {
        fprintf(f, "%d", (int)c->cluster_ids[i]);
        for (int j = 0; j < c->n_classes; j++) fprintf(f, "\t%lld", (long long)c->counts[(int64_t)i * c->n_classes + j]);
        fputc('\n', f);
    }
    if (fclose(f) != 0 || !buf) {
        free(buf);
        return mc_error_nomem("%s: out of memory", path);
    }
    mc_status st = mc_file_write_atomic(path, buf, len);
    free(buf);
    return st;
}

/* ---------------------------------------------------------------- scores */

/* Exact pair counts need n^4 ~ 1e24 for n = 1e6: 128-bit integers where the compiler has them. */
#ifdef __SIZEOF_INT128__
__extension__ typedef __int128 wide_int;
#else
typedef long double wide_int;
#endif

double mc_metrics_ari(const mc_contingency *c) {
    if (!c || c->n_used == 0) return NAN;
    /* sklearn.metrics.cluster.pair_confusion_matrix with classes as its rows, clusters as columns:
     * C11 = sum n_ij^2 - n, C01 = sum_k |cluster_k|^2 - sum n_ij^2, C10 = sum_j |class_j|^2 - sum n_ij^2,
     * C00 = n^2 - C01 - C10 - sum n_ij^2 (ordered pairs). */
    int64_t ss = 0, sk = 0, sj = 0;
    for (int i = 0; i < c->n_clusters; i++) {
        int64_t row = 0;
        for (int j = 0; j < c->n_classes; j++) {
            int64_t v = c->counts[(int64_t)i * c->n_classes + j];
            ss += v * v;
            row += v;
        }
        sk += row * row;
    }
    for (int j = 0; j < c->n_classes; j++) {
        int64_t col = 0;
        for (int i = 0; i < c->n_clusters; i++) col += c->counts[(int64_t)i * c->n_classes + j];
        sj += col * col;
    }
    const int64_t n = c->n_used;
    const wide_int tp = ss - n, fp = sk - ss, fn = sj - ss, tn = (wide_int)n * n - fp - fn - ss;
    /* sklearn.metrics.adjusted_rand_score: full agreement (or no pairs) is 1.0. */
    if (fn == 0 && fp == 0) return 1.0;
    const wide_int num = tp * tn - fn * fp;
    const wide_int den = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn);
    return (2.0 * (double)num) / (double)den; /* Python: 2.0 * int / int */
}

/* sklearn.metrics.cluster.entropy of group sizes: -sum (p/N) (log p - log N); 0 for one group. */
static double entropy_of(const int64_t *sizes, int count) {
    int nz = 0;
    double tot = 0.0;
    for (int i = 0; i < count; i++)
        if (sizes[i] > 0) {
            nz++;
            tot += (double)sizes[i];
        }
    if (nz <= 1) return 0.0;
    double h = 0.0, lt = log(tot);
    for (int i = 0; i < count; i++)
        if (sizes[i] > 0) h += ((double)sizes[i] / tot) * (log((double)sizes[i]) - lt);
    return -h;
}

/* The class sizes (n_classes) and cluster sizes (n_clusters) of a table; false when out of memory. */
static bool marginals(const mc_contingency *c, int64_t **tsize, int64_t **csize) {
    *csize = mc_alloc((size_t)c->n_clusters, sizeof **csize); // (n_clusters)
    *tsize = mc_alloc((size_t)c->n_classes, sizeof **tsize);  // (n_classes)
    if (!*csize || !*tsize) {
        mc_free(*csize);
        mc_free(*tsize);
        return false;
    }
    for (int i = 0; i < c->n_clusters; i++)
        for (int j = 0; j < c->n_classes; j++) {
            int64_t v = c->counts[(int64_t)i * c->n_classes + j];
            (*csize)[i] += v;
            (*tsize)[j] += v;
        }
    return true;
}

/* sklearn.metrics.mutual_info_score of the table: 0 when either side is a single group; else per
 * non-zero cell nm (log v - log N) + nm (-log(a_j b_i) + log N + log N), nm = v / N, terms below eps
 * dropped, the sum clipped at 0. Cells are visited class-major as sklearn's sparse (class, cluster)
 * table. */
static double mutual_info(const mc_contingency *c, const int64_t *tsize, const int64_t *csize) {
    double mi = 0.0;
    if (c->n_classes > 1 && c->n_clusters > 1) {
        const double N = (double)c->n_used, logN = log(N);
        for (int j = 0; j < c->n_classes; j++)
            for (int i = 0; i < c->n_clusters; i++) {
                int64_t v = c->counts[(int64_t)i * c->n_classes + j];
                if (!v) continue;
                double nm = (double)v / N;
                double outer = (double)(tsize[j] * csize[i]); /* int64 product, as sklearn */
                double log_outer = -log(outer) + logN + logN;
                double term = nm * (log((double)v) - logN) + nm * log_outer;
                if (fabs(term) < DBL_EPSILON) term = 0.0;
                mi += term;
            }
        if (mi < 0.0) mi = 0.0;
    }
    return mi;
}

double mc_metrics_nmi(const mc_contingency *c) {
    if (!c || c->n_used == 0) return NAN;
    /* sklearn.metrics.normalized_mutual_info_score(average_method='arithmetic'). */
    if (c->n_classes == 1 && c->n_clusters == 1) return 1.0; /* both unsplit: a perfect match */
    int64_t *csize, *tsize;
    if (!marginals(c, &tsize, &csize)) return NAN;
    const double mi = mutual_info(c, tsize, csize);
    double nmi = 0.0;
    if (mi != 0.0) {
        double h_true = entropy_of(tsize, c->n_classes), h_pred = entropy_of(csize, c->n_clusters);
        nmi = mi / ((h_true + h_pred) / 2.0);
    }
    mc_free(csize);
    mc_free(tsize);
    return nmi;
}

/* sklearn.metrics.cluster._expected_mutual_info_fast.expected_mutual_information: the mutual
 * information expected under the hypergeometric model of random tables with these marginals
 * (Vinh, Epps & Bailey 2010, eq. 24a), summed in sklearn's order (classes a_i, clusters b_j, then
 * n_ij from max(1, a_i + b_j - N) to min(a_i, b_j)) with its log-gamma terms. 0 when either side is one
 * group. O(sum_ij min(a_i, b_j)) <= O(N min(R, C)) time, no allocation. */
static double expected_mutual_info(const int64_t *a, int R, const int64_t *b, int C, int64_t n) {
    if (R == 1 || C == 1) return 0.0;
    const double N = (double)n, logN = log(N), gln_N = lgamma(N + 1.0);
    double emi = 0.0;
    for (int i = 0; i < R; i++) {
        const double ai = (double)a[i], log_a = log(ai), gln_a = lgamma(ai + 1.0), gln_Na = lgamma(N - ai + 1.0);
        for (int j = 0; j < C; j++) {
            const double bj = (double)b[j], log_b = log(bj), gln_b = lgamma(bj + 1.0), gln_Nb = lgamma(N - bj + 1.0);
            int64_t start = a[i] + b[j] - n, end = a[i] < b[j] ? a[i] : b[j];
            if (start < 1) start = 1;
            for (int64_t k = start; k <= end; k++) {
                const double nij = (double)k;
                const double term1 = nij / N;
                const double term2 = logN + log(nij) - log_a - log_b;
                const double gln = gln_a + gln_b + gln_Na + gln_Nb - gln_N - lgamma(nij + 1.0) - lgamma(ai - nij + 1.0) -
                                   lgamma(bj - nij + 1.0) - lgamma(N - ai - bj + nij + 1.0);
                emi += term1 * term2 * exp(gln);
            }
        }
    }
    return emi;
}

double mc_metrics_ami(const mc_contingency *c) {
    if (!c || c->n_used == 0) return NAN;
    /* sklearn.metrics.adjusted_mutual_info_score(average_method='arithmetic'). */
    if (c->n_classes == 1 && c->n_clusters == 1) return 1.0; /* both unsplit: a perfect match */
    int64_t *csize, *tsize;
    if (!marginals(c, &tsize, &csize)) return NAN;
    const double mi = mutual_info(c, tsize, csize);
    const double emi = expected_mutual_info(tsize, c->n_classes, csize, c->n_clusters, c->n_used);
    const double h_true = entropy_of(tsize, c->n_classes), h_pred = entropy_of(csize, c->n_clusters);
    double den = (h_true + h_pred) / 2.0 - emi;
    /* sklearn keeps the sign and bounds |den| below by eps (a perfect match where emi = the mean entropy) */
    if (den < 0) den = fmin(den, -DBL_EPSILON);
    else den = fmax(den, DBL_EPSILON);
    mc_free(csize);
    mc_free(tsize);
    return (mi - emi) / den;
}

double mc_metrics_purity(const mc_contingency *c) {
    if (!c || c->n_used == 0) return NAN;
    int64_t s = 0;
    for (int i = 0; i < c->n_clusters; i++) {
        int64_t best = 0;
        for (int j = 0; j < c->n_classes; j++)
            if (c->counts[(int64_t)i * c->n_classes + j] > best) best = c->counts[(int64_t)i * c->n_classes + j];
        s += best;
    }
    return (double)s / (double)c->n_used;
}

/* ---------------------------------------------------------------- track level */

typedef struct vote_key {
    int64_t track;
    int32_t cluster;
} vote_key;

static int cmp_vote(const void *a, const void *b) {
    const vote_key *x = a, *y = b;
    if (x->track != y->track) return (x->track > y->track) - (x->track < y->track);
    return (x->cluster > y->cluster) - (x->cluster < y->cluster);
}

static mc_status check_tracks(const int64_t *track_of_row, int64_t n, int64_t n_tracks, const char *fn) {
    if (n < 0 || n_tracks < 0 || (n > 0 && !track_of_row))
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: NULL input or negative count", fn);
    for (int64_t i = 0; i < n; i++)
        if (track_of_row[i] < 0 || track_of_row[i] >= n_tracks)
            return mc_error_set(MC_STATUS_INVALID_ARG, "%s: row %lld has track %lld, not in [0, %lld)", fn,
                                (long long)i, (long long)track_of_row[i], (long long)n_tracks);
    return MC_STATUS_OK;
}

mc_status mc_metrics_track_vote(const int32_t *cluster, const int64_t *track_of_row, int64_t n,
                                int64_t n_tracks, int32_t *track_cluster) {
    mc_status st = check_tracks(track_of_row, n, n_tracks, "track_vote");
    if (st != MC_STATUS_OK) return st;
    if ((n > 0 && !cluster) || (n_tracks > 0 && !track_cluster))
        return mc_error_set(MC_STATUS_INVALID_ARG, "track_vote: NULL cluster ids");
    vote_key *v = mc_alloc((size_t)(n ? n : 1), sizeof *v); // (n) sorted by (track, cluster)
    if (!v) return MC_STATUS_NO_MEMORY;
    for (int64_t i = 0; i < n; i++) {
        if (cluster[i] < MC_METRICS_NOISE) {
            mc_free(v);
            return mc_error_set(MC_STATUS_INVALID_ARG, "track_vote: row %lld has cluster id %d", (long long)i,
                                (int)cluster[i]);
        }
        v[i].track = track_of_row[i];
        v[i].cluster = cluster[i];
    }
    qsort(v, (size_t)n, sizeof *v, cmp_vote);
    for (int64_t t = 0; t < n_tracks; t++) track_cluster[t] = MC_METRICS_NOISE;
    /* Runs of equal (track, cluster), ascending cluster within a track: the first run with the
     * largest count wins, i.e. ties go to the smallest id. */
    int64_t best = 0;
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        while (j < n && v[j].track == v[i].track && v[j].cluster == v[i].cluster) j++;
        if (i == 0 || v[i].track != v[i - 1].track) best = 0;
        if (j - i > best) {
            best = j - i;
            track_cluster[v[i].track] = v[i].cluster;
        }
        i = j;
    }
    mc_free(v);
    return MC_STATUS_OK;
}

mc_status mc_metrics_track_means(const float *X, int64_t n, int d, const int64_t *track_of_row,
                                 int64_t n_tracks, float *out) {
    mc_status st = check_tracks(track_of_row, n, n_tracks, "track_means");
    if (st != MC_STATUS_OK) return st;
    if (d < 1 || (n > 0 && !X) || (n_tracks > 0 && !out))
        return mc_error_set(MC_STATUS_INVALID_ARG, "track_means: NULL X or d < 1");
    double *sum = mc_alloc((size_t)(n_tracks ? n_tracks : 1) * (size_t)d, sizeof *sum); // (n_tracks, d)
    int64_t *cnt = mc_alloc((size_t)(n_tracks ? n_tracks : 1), sizeof *cnt);            // (n_tracks)
    if (!sum || !cnt) {
        mc_free(sum);
        mc_free(cnt);
        return MC_STATUS_NO_MEMORY;
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t t = track_of_row[i];
        cnt[t]++;
        for (int f = 0; f < d; f++) sum[t * d + f] += X[i * d + f];
    }
    for (int64_t t = 0; t < n_tracks && st == MC_STATUS_OK; t++) {
        if (!cnt[t]) {
            st = mc_error_set(MC_STATUS_INVALID_ARG, "track_means: track %lld has no rows", (long long)t);
            break;
        }
        for (int f = 0; f < d; f++) out[t * d + f] = (float)(sum[t * d + f] / (double)cnt[t]);
    }
    mc_free(sum);
    mc_free(cnt);
    return st;
}
