/* The bookkeeping files of `musiclust run`, rewritten by every run: summary.tsv and
 * representations.tsv (their content feeds the report stage's hash), timings.tsv and run.json
 * (configuration, library versions from each module, seeds, the dataset, stages); and the report
 * stage (report.html, report.h). */
#include "run_internal.h"

#include <musiclust/audio.h>
#include <musiclust/dsp.h>
#include <musiclust/nn.h>
#include <musiclust/plot.h>

#include <stdlib.h>
#include <string.h>

/* Write only when the content differs, so that a repeated run leaves the file alone. */
static mc_status write_if_changed(const char *path, const char *buf, size_t len) {
    FILE *f = fopen(path, "rb");
    if (f) {
        bool same = true;
        size_t i = 0;
        int ch;
        while ((ch = fgetc(f)) != EOF && same) same = i < len && (char)ch == buf[i++];
        same = same && i == len && ch == EOF;
        fclose(f);
        if (same) return MC_STATUS_OK;
    }
    return mc_file_write_atomic(path, buf, len);
}

static void kv_line(FILE *f, const char *k, const char *v) {
    mc_csv_write_field(f, k, '\t');
    fputc('\t', f);
    mc_csv_write_field(f, v ? v : "", '\t');
    fputc('\n', f);
}

/* The libraries the modules run on (each module's mc_<module>_versions), and one by name. */
typedef struct libs {
    mc_library_version v[8];
    int n;
} libs;

static void collect_libraries(libs *L) {
    int (*const module[])(mc_library_version *, int) = {mc_audio_versions, mc_dsp_versions, mc_nn_versions,
                                                        mc_plot_versions};
    L->n = 0;
    for (size_t m = 0; m < sizeof module / sizeof *module; m++) {
        int got = module[m](L->v + L->n, 8 - L->n);
        L->n += got < 8 - L->n ? got : 8 - L->n;
    }
}

static const char *library(const libs *L, const char *name) {
    for (int i = 0; i < L->n; i++)
        if (strcmp(L->v[i].library, name) == 0) return L->v[i].version;
    return "";
}

/* "libsndfile-1.2.0; fftw fftw-3.3.10...; OpenBLAS 0.3.21; 0.1.3; cairo 1.16.0" */
static void libraries(char *buf, size_t cap) {
    libs L;
    collect_libraries(&L);
    char ob[128];
    snprintf(ob, sizeof ob, "%s", library(&L, "openblas"));
    char *sp = strchr(ob, ' ');
    if (sp) sp = strchr(sp + 1, ' ');
    if (sp) *sp = '\0'; /* "OpenBLAS 0.3.21" */
    snprintf(buf, cap, "%s; fftw %s; %s; %s; cairo %s", library(&L, "sndfile"), library(&L, "fftw"), ob,
             library(&L, "soxr"), library(&L, "cairo"));
}

/* The tasks the run ran: --task's (or a "tasks" recipe's), or, for a recipe of representations, the
 * recipe's name (the task column of its rows in metrics.csv). */
static const char *run_tasks(const pl_run *R, char *buf, size_t cap) {
    const mc_run_config *c = R->cfg;
    if (c->recipe && c->recipe->n_reps > 0) {
        snprintf(buf, cap, "%s", c->recipe->name);
        return buf;
    }
    return pl_tasks_text(c->tasks, buf, cap);
}

/* summary.tsv: the facts of the run the report shows. */
static void summary_text(const pl_run *R, const char *const *inputs, int n_inputs, FILE *f) {
    const mc_run_config *c = R->cfg;
    char v[1024], tb[64];
    fputs("key\tvalue\n", f);
    kv_line(f, "version", mc_version());
    libraries(v, sizeof v);
    kv_line(f, "libraries", v);
    kv_line(f, "tasks", run_tasks(R, tb, sizeof tb));
    if (c->recipe) kv_line(f, "recipe", c->recipe->path[0] ? c->recipe->path : c->recipe->name);
    v[0] = '\0';
    for (int i = 0; i < n_inputs; i++) snprintf(v + strlen(v), sizeof v - strlen(v), "%s%s", i ? " " : "", inputs[i]);
    kv_line(f, "inputs", v);
    kv_line(f, "metadata", c->extract.metadata ? c->extract.metadata : "");
    kv_line(f, "main_label", R->main_label);
    v[0] = '\0';
    for (int k = 0; k < R->labels.n_cols; k++) snprintf(v + strlen(v), sizeof v - strlen(v), "%s%s", k ? ";" : "", R->labels.cols[k]);
    kv_line(f, "evaluated_columns", v);
    snprintf(v, sizeof v, "%d", R->k);
    kv_line(f, "k", v);
    kv_line(f, "k_source", R->k_source);
    snprintf(v, sizeof v, "%d (%llu..%llu)", c->seeds, (unsigned long long)c->first_seed,
             (unsigned long long)(c->first_seed + (uint64_t)c->seeds - 1));
    kv_line(f, "seeds", v);
    snprintf(v, sizeof v, "%llu", (unsigned long long)c->first_seed);
    kv_line(f, "first_seed", v);
    snprintf(v, sizeof v, "%d", R->threads);
    kv_line(f, "threads", v);
    kv_line(f, "common_space", "the z-scored MFCC statistics (per-segment means and variances of 20 MFCCs), "
                               "the same rows for every method");
    if (R->conv_epochs > 0) {
        snprintf(v, sizeof v, "%d epoch%s over %lld of %lld rows per seed (sample budget %lld; batch %d)%s", R->conv_epochs,
                 R->conv_epochs == 1 ? "" : "s", (long long)R->conv_rows, (long long)R->n,
                 (long long)(c->fast ? 64 : c->conv_budget), c->conv_batch,
                 R->conv_limited ? ": LIMITED by the budget" : "");
        kv_line(f, "conv_vae", v);
    }
    for (int i = 0; i < R->n_notes; i++) kv_line(f, "note", R->notes[i]);
}

/* representations.tsv: the representations of the run, as the report lists them. */
static void representations_text(const pl_run *R, FILE *f) {
    char tb[64];
    fputs("id\tname\ttasks\tmodel\tinput\tleaked\tshow\tepochs\tnote\tdescription\n", f);
    for (int i = 0; i < R->n_reps; i++) {
        const pl_rep *r = &R->reps[i];
        fprintf(f, "%s\t", r->id);
        mc_csv_write_field(f, r->name, '\t');
        fprintf(f, "\t%s\t%s\t%s\t", pl_rep_task(R, r, tb, sizeof tb), r->make == PL_MAKE_MODEL ? mc_model_kind_name(r->model) : "",
                r->lyrics_input || r->model == MC_MODEL_KIND_MM_VAE ? "vectors+lyrics" : r->input == MC_MODEL_INPUT_LOGMEL ? "logmel" : "vectors");
        mc_csv_write_field(f, r->leaked, '\t');
        fprintf(f, "\t%d\t%d\t", r->show && r->evaluated ? 1 : 0, r->epochs);
        mc_csv_write_field(f, r->note, '\t');
        fputc('\t', f);
        mc_csv_write_field(f, r->description, '\t');
        fputc('\n', f);
    }
}

/* The text of a bookkeeping file written (only when it changed) and fed to the report stage's hash. */
static mc_status write_hashed(const pl_run *R, const char *name, mc_memfile *m, pl_hash *content, const char *key) {
    char *buf = NULL, *p = mc_report_path(R->dir, name);
    size_t len = 0;
    mc_status st = mc_memfile_take(m, name, &buf, &len);
    if (st == MC_STATUS_OK) st = p ? write_if_changed(p, buf, len) : MC_STATUS_NO_MEMORY;
    if (buf) pl_hash_str(content, key, buf);
    free(p);
    free(buf);
    return st;
}

mc_status pl_write_tables(pl_run *R, const char *const *inputs, int n_inputs, pl_hash *content) {
    mc_memfile m;
    mc_status st = mc_memfile_open(&m, MC_REPORT_SUMMARY);
    if (st != MC_STATUS_OK) return st;
    summary_text(R, inputs, n_inputs, m.f);
    if ((st = write_hashed(R, MC_REPORT_SUMMARY, &m, content, "summary")) != MC_STATUS_OK) return st;
    if ((st = mc_memfile_open(&m, MC_REPORT_REPRESENTATIONS)) != MC_STATUS_OK) return st;
    representations_text(R, m.f);
    return write_hashed(R, MC_REPORT_REPRESENTATIONS, &m, content, "representations");
}

mc_status pl_write_timings(pl_run *R) {
    char *p = mc_report_path(R->dir, MC_REPORT_TIMINGS);
    mc_memfile m;
    mc_status st = p ? mc_memfile_open(&m, p) : MC_STATUS_NO_MEMORY;
    if (st == MC_STATUS_OK) {
        fputs("stage\tstatus\tseconds\tseconds_when_computed\n", m.f);
        for (int i = 0; i < R->S.n; i++)
            fprintf(m.f, "%s\t%s\t%.2f\t%.2f\n", R->S.t[i].name, R->S.t[i].ran ? "ran" : "cached", R->S.t[i].seconds,
                    R->S.t[i].seconds_when_computed);
        st = mc_memfile_commit(&m, p);
    }
    free(p);
    return st;
}

mc_status pl_write_run_json(pl_run *R, const char *const *inputs, int n_inputs, double wall) {
    const mc_run_config *c = R->cfg;
    mc_json *j = NULL;
    mc_status st = mc_json_create(&j);
    if (st != MC_STATUS_OK) return st;
    char tb[64];
    mc_json_begin_object(j);
    mc_json_key(j, "musiclust_version"); mc_json_string(j, mc_version());
    mc_json_key(j, "libraries");
    mc_json_begin_object(j);
    libs L;
    collect_libraries(&L);
    static const char *const order[] = {"sndfile", "fftw", "openblas", "soxr", "cairo"};
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        mc_json_key(j, order[i]);
        mc_json_string(j, library(&L, order[i]));
    }
    mc_json_end_object(j);
    mc_json_key(j, "configuration");
    mc_json_begin_object(j);
    mc_json_key(j, "inputs");
    mc_json_begin_array(j);
    for (int i = 0; i < n_inputs; i++) mc_json_string(j, inputs[i]);
    mc_json_end_array(j);
    mc_json_key(j, "metadata"); mc_json_string(j, c->extract.metadata);
    mc_json_key(j, "tasks"); mc_json_string(j, run_tasks(R, tb, sizeof tb));
    if (c->recipe) {
        mc_json_key(j, "recipe"); mc_json_string(j, c->recipe->name);
        mc_json_key(j, "recipe_file"); mc_json_string(j, c->recipe->path);
    }
    mc_json_key(j, "label"); mc_json_string(j, c->label);
    mc_json_key(j, "text_column"); mc_json_string(j, c->text_column);
    mc_json_key(j, "lyrics_dim"); mc_json_int(j, c->lyrics_dim);
    mc_json_key(j, "seeds"); mc_json_int(j, c->seeds);
    mc_json_key(j, "first_seed"); mc_json_int(j, (int64_t)c->first_seed);
    mc_json_key(j, "k_option"); mc_json_int(j, c->k);
    mc_json_key(j, "k_max"); mc_json_int(j, c->k_max);
    mc_json_key(j, "threads"); mc_json_int(j, R->threads);
    mc_json_key(j, "processes"); mc_json_int(j, mc_dist_size(R->dist)); /* mpirun -np R: the same outputs */
    mc_json_key(j, "conv_budget"); mc_json_int(j, c->fast ? 64 : c->conv_budget);
    mc_json_key(j, "conv_min_epochs"); mc_json_int(j, c->conv_min_epochs);
    mc_json_key(j, "conv_max_epochs"); mc_json_int(j, c->fast ? 1 : c->conv_max_epochs);
    mc_json_key(j, "conv_batch"); mc_json_int(j, c->conv_batch);
    mc_json_key(j, "precision"); mc_json_string(j, mc_nn_precision_name(c->precision));
    mc_json_key(j, "mlp_epochs"); mc_json_int(j, c->mlp_epochs);
    mc_json_key(j, "mlp_latent"); mc_json_int(j, c->mlp_latent);
    mc_json_key(j, "features"); mc_json_string(j, mc_store_features_name(R->features));
    mc_json_key(j, "fast"); mc_json_bool(j, c->fast);
    mc_json_key(j, "maps"); mc_json_bool(j, c->maps);
    mc_json_key(j, "sr"); mc_json_int(j, c->extract.dsp.sr);
    mc_json_key(j, "segment_s"); mc_json_number(j, c->extract.segment_s);
    mc_json_key(j, "n_fft"); mc_json_int(j, c->extract.dsp.n_fft);
    mc_json_key(j, "hop"); mc_json_int(j, c->extract.dsp.hop);
    mc_json_key(j, "n_mels"); mc_json_int(j, c->extract.dsp.n_mels);
    mc_json_key(j, "n_mfcc"); mc_json_int(j, c->extract.dsp.n_mfcc);
    mc_json_end_object(j);
    mc_json_key(j, "seeds");
    mc_json_begin_array(j);
    for (int s = 0; s < c->seeds; s++) mc_json_int(j, (int64_t)(c->first_seed + (uint64_t)s));
    mc_json_end_array(j);
    mc_json_key(j, "dataset");
    mc_json_begin_object(j);
    mc_json_key(j, "tracks"); mc_json_int(j, R->n_tracks);
    mc_json_key(j, "segments"); mc_json_int(j, R->n);
    mc_json_key(j, "lyrics"); mc_json_bool(j, R->have_lyrics);
    if (R->have_lyrics) {
        mc_json_key(j, "tracks_with_lyrics"); mc_json_int(j, R->lyr.with_lyrics);
    }
    mc_json_key(j, "main_label"); mc_json_string(j, R->main_label[0] ? R->main_label : NULL);
    mc_json_key(j, "label_columns");
    mc_json_begin_object(j);
    for (int k = 0; k < R->labels.n_cols; k++) {
        mc_json_key(j, R->labels.cols[k]);
        mc_json_begin_object(j);
        int64_t *cnt = mc_calloc((size_t)R->labels.n_classes[k] + 1, sizeof *cnt);
        for (int64_t i = 0; cnt && i < R->n; i++) cnt[R->labels.codes[k][i] >= 0 ? R->labels.codes[k][i] : R->labels.n_classes[k]]++;
        for (int q = 0; cnt && q < R->labels.n_classes[k]; q++) {
            mc_json_key(j, R->labels.classes[k][q]);
            mc_json_int(j, cnt[q]);
        }
        if (cnt && cnt[R->labels.n_classes[k]]) {
            mc_json_key(j, "(unlabelled)");
            mc_json_int(j, cnt[R->labels.n_classes[k]]);
        }
        free(cnt);
        mc_json_end_object(j);
    }
    mc_json_end_object(j);
    mc_json_key(j, "label_counts_are"); mc_json_string(j, "segments");
    mc_json_key(j, "skipped");
    mc_json_begin_array(j);
    {
        char *p = mc_report_path(R->dir, MC_REPORT_FEATURES "/skipped.tsv");
        mc_table t;
        if (p && mc_table_read(p, '\t', &t) == MC_STATUS_OK) {
            int pc = mc_table_column(&t, "path"), rc = mc_table_column(&t, "reason");
            for (int64_t r = 0; r < t.nrows; r++) {
                mc_json_begin_object(j);
                mc_json_key(j, "path"); mc_json_string(j, pc >= 0 ? mc_table_get(&t, r, pc) : "");
                mc_json_key(j, "reason"); mc_json_string(j, rc >= 0 ? mc_table_get(&t, r, rc) : "");
                mc_json_end_object(j);
            }
            mc_table_free(&t);
        }
        mc_error_clear();
        free(p);
    }
    mc_json_end_array(j);
    mc_json_end_object(j);
    mc_json_key(j, "k"); mc_json_int(j, R->k);
    mc_json_key(j, "k_source"); mc_json_string(j, R->k_source);
    mc_json_key(j, "conv_vae");
    if (R->conv_epochs > 0) {
        mc_json_begin_object(j);
        mc_json_key(j, "epochs"); mc_json_int(j, R->conv_epochs);
        mc_json_key(j, "train_rows"); mc_json_int(j, R->conv_rows);
        mc_json_key(j, "rows"); mc_json_int(j, R->n);
        mc_json_key(j, "budget_limited"); mc_json_bool(j, R->conv_limited);
        mc_json_end_object(j);
    } else {
        mc_json_null(j);
    }
    mc_json_key(j, "representations");
    mc_json_begin_array(j);
    for (int i = 0; i < R->n_reps; i++) {
        const pl_rep *r = &R->reps[i];
        mc_json_begin_object(j);
        mc_json_key(j, "id"); mc_json_string(j, r->id);
        mc_json_key(j, "name"); mc_json_string(j, r->name);
        mc_json_key(j, "tasks"); mc_json_string(j, pl_rep_task(R, r, tb, sizeof tb));
        mc_json_key(j, "model"); mc_json_string(j, r->make == PL_MAKE_MODEL ? mc_model_kind_name(r->model) : NULL);
        mc_json_key(j, "epochs"); mc_json_int(j, r->epochs);
        mc_json_key(j, "evaluated"); mc_json_bool(j, r->evaluated);
        mc_json_key(j, "algorithms");
        mc_json_begin_array(j);
        for (unsigned a = 1; a <= PL_ALGO_LAST; a <<= 1)
            if (r->algos & a) mc_json_string(j, pl_algo_name(a));
        mc_json_end_array(j);
        mc_json_key(j, "leaked"); mc_json_string(j, r->leaked);
        mc_json_key(j, "description"); mc_json_string(j, r->description);
        mc_json_end_object(j);
    }
    mc_json_end_array(j);
    mc_json_key(j, "notes");
    mc_json_begin_array(j);
    for (int i = 0; i < R->n_notes; i++) mc_json_string(j, R->notes[i]);
    mc_json_end_array(j);
    mc_json_key(j, "stages");
    mc_json_begin_array(j);
    for (int i = 0; i < R->S.n; i++) {
        mc_json_begin_object(j);
        mc_json_key(j, "stage"); mc_json_string(j, R->S.t[i].name);
        mc_json_key(j, "status"); mc_json_string(j, R->S.t[i].ran ? "ran" : "cached");
        mc_json_key(j, "seconds"); mc_json_number(j, R->S.t[i].seconds);
        mc_json_key(j, "seconds_when_computed"); mc_json_number(j, R->S.t[i].seconds_when_computed);
        mc_json_end_object(j);
    }
    mc_json_end_array(j);
    mc_json_key(j, "wall_seconds"); mc_json_number(j, wall);
    mc_json_end_object(j);
    char *p = mc_report_path(R->dir, MC_REPORT_RUN_JSON);
    st = p ? mc_json_write_file(j, p) : MC_STATUS_NO_MEMORY;
    free(p);
    mc_json_free(j);
    return st;
}


mc_status pl_stage_report(pl_run *R, pl_hash *content) {
    char hash[17];
    pl_hash_str(content, "maps", R->cfg->maps ? "1" : "0");
    pl_hash_hex(content, hash);
    static const char *const outs[] = {MC_REPORT_HTML};
    if (pl_cached(R, "report", hash, outs, 1)) return MC_STATUS_OK;
    const double t0 = mc_clock_seconds();
    /* exports/ first (Audacity labels, TensorBoard projector files), so that the page links them */
    mc_report_exports_summary es;
    mc_status st = mc_report_exports(R->dir, &es);
    if (st != MC_STATUS_OK) return st;
    if (es.row >= 0)
        mc_log(MC_LOG_LEVEL_INFO, "exports/: %lld Audacity label files and the TensorBoard projector files of %s with %s",
               (long long)es.label_files, es.representation, es.algorithm);
    char *p = mc_report_path(R->dir, MC_REPORT_HTML);
    mc_report_summary rs;
    st = p ? mc_report_html(R->dir, p, &rs) : MC_STATUS_NO_MEMORY;
    free(p);
    return st == MC_STATUS_OK ? pl_commit(R, "report", hash, t0, NULL, NULL, 0) : st;
}
