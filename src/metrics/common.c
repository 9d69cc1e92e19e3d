/* The pieces every metric shares: options, argument checks, and the single place where cluster ids
 * (and DBSCAN's noise, -1) are encoded, so the noise convention of metrics.h holds everywhere. */
#include "metrics_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mc_metrics_opts_default(mc_metrics_opts *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->threads = 0;
    o->block = 256;
    o->algo = MC_SILHOUETTE_AUTO;
    o->max_bytes = (int64_t)256 << 20;
    o->progress = NULL;
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

void mc__clusters_free(mc__clusters *c) {
    if (!c) return;
    mc_free(c->ids);
    mc_free(c->dense);
    mc_free(c->size);
    memset(c, 0, sizeof *c);
}

mc_status mc__clusters_encode(const int32_t *cluster, int64_t n, mc__clusters *out) {
    memset(out, 0, sizeof *out);
    if (n < 0 || (n > 0 && !cluster))
        return mc_error_set(MC_STATUS_INVALID_ARG, "metrics: cluster ids: NULL or negative count");
    out->n = n;
    for (int64_t i = 0; i < n; i++) {
        if (cluster[i] < MC_METRICS_NOISE)
            return mc_error_set(MC_STATUS_INVALID_ARG,
                                "metrics: row %lld has cluster id %d; ids must be >= 0, or -1 for noise",
                                (long long)i, (int)cluster[i]);
        out->n_noise += cluster[i] == MC_METRICS_NOISE;
    }
    out->n_used = n - out->n_noise;
    /* The distinct non-noise ids, ascending: sort a copy and deduplicate. */
    int32_t *sorted = mc_alloc((size_t)(out->n_used ? out->n_used : 1), sizeof *sorted); // (n_used)
    out->dense = mc_alloc((size_t)(n ? n : 1), sizeof *out->dense);                     // (n)
    if (!sorted || !out->dense) {
        mc_free(sorted);
        mc__clusters_free(out);
        return MC_STATUS_NO_MEMORY;
    }
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (cluster[i] != MC_METRICS_NOISE) sorted[m++] = cluster[i];
    qsort(sorted, (size_t)m, sizeof *sorted, cmp_i32);
    int64_t k = 0;
    for (int64_t i = 0; i < m; i++)
        if (i == 0 || sorted[i] != sorted[i - 1]) sorted[k++] = sorted[i];
    out->k = (int)k;
    out->ids = mc_alloc((size_t)(k ? k : 1), sizeof *out->ids); // (k)
    out->size = mc_alloc((size_t)(k ? k : 1), sizeof *out->size); // (k)
    if (!out->ids || !out->size) {
        mc_free(sorted);
        mc__clusters_free(out);
        return MC_STATUS_NO_MEMORY;
    }
    memcpy(out->ids, sorted, (size_t)k * sizeof *sorted);
    mc_free(sorted);
    for (int64_t i = 0; i < n; i++) {
        if (cluster[i] == MC_METRICS_NOISE) {
            out->dense[i] = -1;
            continue;
        }
        const int32_t *hit = bsearch(&cluster[i], out->ids, (size_t)k, sizeof *out->ids, cmp_i32);
        out->dense[i] = (int32_t)(hit - out->ids);
        out->size[out->dense[i]]++;
    }
    return MC_STATUS_OK;
}

mc_status mc__metrics_check_input(const float *X, int64_t n, int d, const int32_t *cluster,
                                  const char *fn) {
    if (n < 0) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: negative row count %lld", fn, (long long)n);
    if (d < 1) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: X needs at least one column, got %d", fn, d);
    if (n > 0 && (!X || !cluster))
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: NULL X or cluster ids", fn);
    for (int64_t i = 0; i < n; i++)
        for (int c = 0; c < d; c++)
            if (!isfinite(X[i * d + c]))
                return mc_error_set(MC_STATUS_NUMERIC, "%s: X row %lld, column %d is %s", fn, (long long)i, c,
                                    isnan(X[i * d + c]) ? "NaN" : "infinite");
    return MC_STATUS_OK;
}

bool mc__internal_defined(const mc__clusters *cl, mc_internal_scores *info) {
    info->n = cl->n;
    info->n_used = cl->n_used;
    info->n_noise = cl->n_noise;
    info->n_clusters = cl->k;
    info->note[0] = '\0';
    /* sklearn.metrics.cluster._unsupervised.check_number_of_labels: 1 < n_labels < n_samples. */
    if (cl->k >= 2 && (int64_t)cl->k <= cl->n_used - 1) return true;
    if (cl->n_used == 0)
        snprintf(info->note, sizeof info->note, "undefined: no non-noise rows (%lld noise)",
                 (long long)cl->n_noise);
    else if (cl->k < 2)
        snprintf(info->note, sizeof info->note,
                 "undefined: %d cluster%s among %lld non-noise rows; needs 2 <= clusters <= n-1", cl->k,
                 cl->k == 1 ? "" : "s", (long long)cl->n_used);
    else
        snprintf(info->note, sizeof info->note,
                 "undefined: %d clusters for %lld non-noise rows (every row alone); needs 2 <= clusters <= n-1",
                 cl->k, (long long)cl->n_used);
    return false;
}
