/* The evaluate stage of `musiclust run`: every representation x algorithm x seed scored at the
 * segment and track level, in its own space and in the one common space, against every evaluated
 * label column, summarised as mean ± std over the seeds into the report table (report.h). */
#include "pipeline_eval.h"

#include <musiclust/metrics.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *pl_algo_name(unsigned algo) {
    return algo == PL_ALGO_KMEANS ? "kmeans" : algo == PL_ALGO_AGGLO ? "agglomerative" : "dbscan";
}

/* The metric columns: internal (own, common), label metrics per column, what was found. */
mc_status pl_eval_metric_names(const pl_eval_input *in, char ***names, int *n) {
    static const char *const internal[] = {"silhouette", "calinski_harabasz", "davies_bouldin",
                                           "silhouette_common", "calinski_harabasz_common",
                                           "davies_bouldin_common"};
    const int total = 6 + 3 * in->n_cols + 2;
    char **v = calloc((size_t)total, sizeof *v);
    if (!v) return mc_error_set(MC_STATUS_NO_MEMORY, "evaluate: out of memory");
    int k = 0;
    for (int i = 0; i < 6; i++) v[k++] = mc_strdup(internal[i]);
    for (int c = 0; c < in->n_cols; c++) {
        v[k++] = pl_fmt("ari_%s", in->cols[c]);
        v[k++] = pl_fmt("nmi_%s", in->cols[c]);
        v[k++] = pl_fmt("purity_%s", in->cols[c]);
    }
    v[k++] = mc_strdup("n_clusters");
    v[k++] = mc_strdup("noise_fraction");
    for (int i = 0; i < total; i++)
        if (!v[i]) {
            for (int j = 0; j < total; j++) free(v[j]);
            free(v);
            return mc_error_set(MC_STATUS_NO_MEMORY, "evaluate: out of memory");
        }
    *names = v;
    *n = total;
    return MC_STATUS_OK;
}

/* Scores of one clustering at one level into vals[m * seeds + s] for metric m. */
typedef struct level_data {
    const float *X; int d;       /* (n, d) own space */
    const float *C; int dc;      /* (n, dc) common space */
    int64_t n;
    const int32_t *cl;           /* (n) */
    const int32_t *const *codes; /* per column (n) */
} level_data;

static mc_status score(const pl_eval_input *in, const level_data *L, int seeds, int s, double *vals,
                       char *note, size_t note_cap, const char *level) {
    mc_metrics_opts mo;
    mc_metrics_opts_default(&mo);
    mo.threads = in->threads;
    mc_internal_scores a, b;
    mc_status st = mc_metrics_internal(L->X, L->n, L->d, L->cl, &mo, &a);
    if (st == MC_STATUS_OK) st = mc_metrics_internal(L->C, L->n, L->dc, L->cl, &mo, &b);
    if (st != MC_STATUS_OK) return st;
    const double iv[6] = {a.silhouette, a.calinski_harabasz, a.davies_bouldin,
                          b.silhouette, b.calinski_harabasz, b.davies_bouldin};
    for (int m = 0; m < 6; m++) vals[(size_t)m * (size_t)seeds + (size_t)s] = iv[m];
    if (a.note[0] && note && !note[0])
        snprintf(note, note_cap, "%s level, seed %llu: internal metrics undefined (%s)", level,
                 (unsigned long long)(in->first_seed + (uint64_t)s), a.note);
    for (int c = 0; c < in->n_cols; c++) {
        mc_contingency ct;
        st = mc_metrics_contingency(L->cl, L->codes[c], L->n, in->n_classes[c], in->class_names[c], &ct);
        if (st != MC_STATUS_OK) return st;
        vals[(size_t)(6 + 3 * c) * (size_t)seeds + (size_t)s] = mc_metrics_ari(&ct);
        vals[(size_t)(6 + 3 * c + 1) * (size_t)seeds + (size_t)s] = mc_metrics_nmi(&ct);
        vals[(size_t)(6 + 3 * c + 2) * (size_t)seeds + (size_t)s] = mc_metrics_purity(&ct);
        mc_metrics_contingency_free(&ct);
    }
    vals[(size_t)(6 + 3 * in->n_cols) * (size_t)seeds + (size_t)s] = a.n_clusters;
    vals[(size_t)(6 + 3 * in->n_cols + 1) * (size_t)seeds + (size_t)s] = L->n ? (double)a.n_noise / (double)L->n : 0;
    return MC_STATUS_OK;
}

mc_status pl_evaluate(const pl_eval_input *in, mc_report_table *out) {
    char **names = NULL;
    int nm = 0;
    mc_status st = pl_eval_metric_names(in, &names, &nm);
    if (st != MC_STATUS_OK) return st;
    st = mc_report_table_init(out, (const char *const *)names, nm);
    for (int i = 0; i < nm; i++) free(names[i]);
    free(names);
    if (st != MC_STATUS_OK) return st;

    const int64_t n = in->n, T = in->n_tracks;
    const int S = in->seeds;
    int32_t *cl = malloc((size_t)n * sizeof *cl);                     // (n)
    int32_t *tcl = malloc((size_t)T * sizeof *tcl);                   // (T)
    float *Ct = malloc((size_t)T * (size_t)in->dc * sizeof *Ct);      // (T, dc) common space, track means
    int64_t *first = malloc((size_t)T * sizeof *first);               // (T) first row of each track
    int32_t **tcodes = calloc((size_t)(in->n_cols ? in->n_cols : 1), sizeof *tcodes);
    double *vseg = malloc((size_t)nm * (size_t)S * sizeof *vseg);     // (nm, S)
    double *vtrk = malloc((size_t)nm * (size_t)S * sizeof *vtrk);
    float *Xt = NULL;
    mc_array lat = {0};
    if (!cl || !tcl || !Ct || !first || !tcodes || !vseg || !vtrk) {
        st = mc_error_set(MC_STATUS_NO_MEMORY, "evaluate: out of memory");
        goto done;
    }
    for (int64_t t = 0; t < T; t++) first[t] = -1;
    for (int64_t i = 0; i < n; i++)
        if (first[in->track_of[i]] < 0) first[in->track_of[i]] = i;
    /* a track's label is the label of its segments (they agree: labels come from the track's row) */
    for (int c = 0; c < in->n_cols; c++) {
        tcodes[c] = malloc((size_t)T * sizeof **tcodes);
        if (!tcodes[c]) {
            st = mc_error_set(MC_STATUS_NO_MEMORY, "evaluate: out of memory");
            goto done;
        }
        for (int64_t t = 0; t < T; t++) tcodes[c][t] = first[t] >= 0 ? in->codes[c][first[t]] : -1;
    }
    st = mc_metrics_track_means(in->common, n, in->dc, in->track_of, T, Ct);
    if (st != MC_STATUS_OK) goto done;

    for (int r = 0; r < in->n_reps; r++) {
        const pl_eval_rep *rep = &in->reps[r];
        for (unsigned algo = 1; algo <= PL_ALGO_DBSCAN; algo <<= 1) {
            if (!(rep->algos & algo)) continue;
            char note[512] = "";
            for (size_t i = 0; i < (size_t)nm * (size_t)S; i++) vseg[i] = vtrk[i] = NAN;
            for (int s = 0; s < S; s++) {
                const uint64_t seed = in->first_seed + (uint64_t)s;
                char *lp = rep->seeded ? pl_fmt("%s/latents/%s.seed%llu.npy", in->results, rep->id, (unsigned long long)seed)
                                       : pl_fmt("%s/latents/%s.npy", in->results, rep->id);
                char *ap = pl_fmt("%s/assign/%s.%s.seed%llu.tsv", in->results, rep->id, pl_algo_name(algo),
                                  (unsigned long long)seed);
                if (!lp || !ap) {
                    free(lp);
                    free(ap);
                    st = MC_STATUS_NO_MEMORY;
                    goto done;
                }
                if (s == 0 || rep->seeded) {
                    mc_array_free(&lat);
                    st = mc_npy_read_f32(lp, &lat);
                    if (st == MC_STATUS_OK && (lat.ndim != 2 || lat.shape[0] != n))
                        st = mc_error_set(MC_STATUS_FORMAT, "%s: expected (%lld, d), found %d dims / %lld rows", lp,
                                          (long long)n, lat.ndim, lat.ndim ? (long long)lat.shape[0] : 0LL);
                    if (st == MC_STATUS_OK) {
                        free(Xt);
                        Xt = malloc((size_t)T * (size_t)lat.shape[1] * sizeof *Xt);
                        if (!Xt) st = mc_error_set(MC_STATUS_NO_MEMORY, "evaluate: out of memory");
                    }
                    if (st == MC_STATUS_OK)
                        st = mc_metrics_track_means(lat.data, n, (int)lat.shape[1], in->track_of, T, Xt);
                }
                if (st == MC_STATUS_OK) st = pl_read_assign(ap, n, cl);
                free(lp);
                if (st != MC_STATUS_OK) {
                    free(ap);
                    goto done;
                }
                const int d = (int)lat.shape[1];
                level_data seg = {lat.data, d, in->common, in->dc, n, cl, (const int32_t *const *)in->codes};
                st = score(in, &seg, S, s, vseg, note, sizeof note, "segment");
                if (st == MC_STATUS_OK) st = mc_metrics_track_vote(cl, in->track_of, n, T, tcl);
                level_data trk = {Xt, d, Ct, in->dc, T, tcl, (const int32_t *const *)tcodes};
                if (st == MC_STATUS_OK) st = score(in, &trk, S, s, vtrk, note, sizeof note, "track");
                /* contingency tables of the first seed (segment level) for the report's heatmaps */
                for (int c = 0; st == MC_STATUS_OK && s == 0 && c < in->n_cols; c++) {
                    mc_contingency ct;
                    st = mc_metrics_contingency(cl, in->codes[c], n, in->n_classes[c], in->class_names[c], &ct);
                    if (st != MC_STATUS_OK) break;
                    char *cp = pl_fmt("%s/contingency/%s.%s.%s.tsv", in->results, rep->id, pl_algo_name(algo), in->cols[c]);
                    st = cp ? mc_metrics_contingency_write(&ct, cp) : MC_STATUS_NO_MEMORY;
                    free(cp);
                    mc_metrics_contingency_free(&ct);
                }
                free(ap);
                if (st != MC_STATUS_OK) goto done;
            }
            const int k = algo == PL_ALGO_DBSCAN ? 0 : in->k;
            st = mc_report_table_add(out, rep->tasks, rep->name, pl_algo_name(algo), "segment", k, n, rep->leaked, note, S, vseg);
            if (st == MC_STATUS_OK)
                st = mc_report_table_add(out, rep->tasks, rep->name, pl_algo_name(algo), "track", k, T, rep->leaked, note, S, vtrk);
            if (st != MC_STATUS_OK) goto done;
        }
    }
done:
    mc_array_free(&lat);
    free(Xt);
    free(cl);
    free(tcl);
    free(Ct);
    free(first);
    if (tcodes)
        for (int c = 0; c < in->n_cols; c++) free(tcodes[c]);
    free(tcodes);
    free(vseg);
    free(vtrk);
    if (st != MC_STATUS_OK) mc_report_table_free(out);
    return st;
}
