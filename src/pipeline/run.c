/* `musiclust run` (pipeline.h): the driver. It walks the table of representations (reps.c) and runs
 * each stage by kind: data (stage_data.c), spaces and models, the spaces built on them, clustering,
 * scoring, maps, the bookkeeping files and the report (one file per kind). Each stage computes its
 * configuration hash, skips itself when its record matches and its outputs exist, and otherwise
 * writes its outputs atomically and then its record. */
#include "run_internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void mc_run_config_default(mc_run_config *c) {
    *c = (mc_run_config){.tasks = MC_PIPELINE_TASK_ALL, .text_column = "lyrics", .lyrics_dim = 64, .seeds = 3,
                         .k_max = 10, .conv_budget = 8000, .conv_min_epochs = 1, .conv_max_epochs = 20,
                         .conv_batch = 32, .maps = true, .report = true,
                         .features = MC_STORE_FEATURES_MFCC_DESCRIPTORS, .mlp_latent = 16,
                         .map_sample = MC_MAP_SAMPLE};
    mc_extract_config_default(&c->extract);
}

void mc_run_summary_free(mc_run_summary *s) {
    if (!s) return;
    free(s->stages);
    s->stages = NULL;
    s->n_stages = 0;
}

mc_status mc_pipeline_parse_tasks(const char *s, unsigned *out) {
    if (!s || !out) return mc_error_set(MC_STATUS_INVALID_ARG, "tasks: NULL argument");
    unsigned m = 0;
    const char *p = s;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 4 && strncmp(p, "easy", 4) == 0) m |= MC_PIPELINE_TASK_EASY;
        else if (len == 6 && strncmp(p, "medium", 6) == 0) m |= MC_PIPELINE_TASK_MEDIUM;
        else if (len == 4 && strncmp(p, "hard", 4) == 0) m |= MC_PIPELINE_TASK_HARD;
        else if (len == 3 && strncmp(p, "all", 3) == 0) m |= MC_PIPELINE_TASK_ALL;
        else return mc_error_set(MC_STATUS_INVALID_ARG, "task '%.*s': choose easy, medium, hard or all", (int)len, p);
        if (!e) break;
        p = e + 1;
    }
    if (!m) return mc_error_set(MC_STATUS_INVALID_ARG, "task '%s': choose easy, medium, hard or all", s);
    *out = m;
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- shared by the stages */

void pl_note(pl_run *R, const char *fmt, ...) {
    if (R->n_notes >= 16) return;
    va_list ap;
    va_start(ap, fmt);
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *s = mc_strdup(buf);
    if (s) R->notes[R->n_notes++] = s;
}

int pl_light_threads(const pl_run *R) { return R->n < 1000 ? 1 : R->threads; }

mc_progress *pl_bar(pl_run *R, const char *label, int64_t total) {
    return R->cfg->progress ? R->cfg->progress(R->cfg->progress_user, label, total) : NULL;
}

void pl_bar_end(mc_progress *p, bool ok) {
    if (ok) mc_progress_finish(p);
    mc_progress_free(p);
}

mc_status pl_sync(pl_run *R, mc_status st) {
    if (st != MC_STATUS_OK || mc_dist_size(R->dist) < 2) return st;
    return mc_dist_barrier(R->dist);
}

bool pl_cached(pl_run *R, const char *name, const char *hash, const char *const *outs, int n_out) {
    double when = 0;
    pl_hash_str(&R->all, name, hash);
    bool fresh = R->writer && pl_stage_fresh(&R->S, name, hash, outs, n_out, &when);
    if (mc_dist_size(R->dist) > 1) {
        /* rank 0's answer, given after every file it wrote before: the same stages run everywhere (a
         * transport failure leaves it false here and fails the stage's next collective) */
        double v[2] = {fresh ? 1.0 : 0.0, when};
        if (mc_dist_bcast(R->dist, v, sizeof v, 0) != MC_STATUS_OK) v[0] = 0;
        fresh = v[0] != 0;
        when = v[1];
    }
    if (!fresh) return false;
    pl_stage_time(&R->S, name, false, 0, when);
    mc_log(MC_LOG_LEVEL_INFO, "%-34s cached (%.1f s when computed)", name, when);
    return true;
}

mc_status pl_commit(pl_run *R, const char *name, const char *hash, double t0, const char *const *keys,
                    const char *const *vals, int n) {
    double dt = mc_clock_seconds() - t0;
    mc_status st = pl_stage_commit(&R->S, name, hash, dt, keys, vals, n);
    if (st == MC_STATUS_OK) {
        pl_stage_time(&R->S, name, true, dt, dt);
        mc_log(MC_LOG_LEVEL_INFO, "%-34s done in %.1f s", name, dt);
    }
    return st;
}

/* ---------------------------------------------------------------- the driver */

/* A representation for every seed it has: spaces once, models and the spaces built on them per seed. */
static mc_status make_rep(pl_run *R, pl_rep *r) {
    mc_status st = MC_STATUS_OK;
    switch (r->make) {
    case PL_MAKE_RAW:
    case PL_MAKE_PCA:
    case PL_MAKE_PCA_LOGMEL:
        return pl_stage_space(R, r);
    case PL_MAKE_MODEL:
        for (int s = 0; st == MC_STATUS_OK && s < r->n_seeds; s++) st = pl_stage_model(R, r, s);
        return st;
    case PL_MAKE_CONCAT:
        for (int s = 0; st == MC_STATUS_OK && s < r->n_seeds; s++) st = pl_stage_concat(R, r, s);
        return st;
    }
    return st;
}

/* What the report and run.json say about the conv-vae's sample budget. */
static void budget_notes(pl_run *R) {
    if (!R->conv_limited) return;
    for (int i = 0; i < R->n_reps; i++) {
        pl_rep *r = &R->reps[i];
        const pl_rep *from = r->from ? pl_find_rep(R, r->from) : NULL;
        if (r->make == PL_MAKE_MODEL && r->input == MC_MODEL_INPUT_LOGMEL)
            snprintf(r->note, sizeof r->note, "Training limited by the sample budget: %d epoch%s over %lld of %lld rows per seed.",
                     R->conv_epochs, R->conv_epochs == 1 ? "" : "s", (long long)R->conv_rows, (long long)R->n);
        if (from && from->input == MC_MODEL_INPUT_LOGMEL)
            snprintf(r->note, sizeof r->note, "Its audio half is the budget-limited %s.", from->id);
    }
    pl_note(R, "The conv-vae's training was limited by the sample budget (%d epoch%s over %lld rows per seed; "
               "raise it with --conv-budget): its latent space, and what is built on it, is under-trained.",
            R->conv_epochs, R->conv_epochs == 1 ? "" : "s", (long long)R->conv_rows);
}

/* The stages in order; st is the first failure. */
static mc_status run_stages(pl_run *R, const char *const *inputs, int n_inputs, double t_start) {
    const mc_run_config *cfg = R->cfg;
    /* Over ranks every stage up to evaluate runs on every rank, in step (pl_sync after each); a
     * failure returns at once (the caller ends the group) */
    mc_status st = pl_sync(R, pl_stage_extract(R, inputs, n_inputs));
    if (st == MC_STATUS_OK) st = pl_sync(R, pl_stage_lyrics(R));
    if (st == MC_STATUS_OK) st = pl_sync(R, pl_prepare(R));
    if (st == MC_STATUS_OK) st = pl_sync(R, pl_choose_k(R));
    if (st != MC_STATUS_OK) return st;
    if ((st = pl_build_reps(R)) != MC_STATUS_OK) return st;
    mc_log(MC_LOG_LEVEL_INFO, "%lld segments of %lld tracks; main label: %s; k = %d (%s); %d seed%s; %d threads",
           (long long)R->n, (long long)R->n_tracks, R->main_label[0] ? R->main_label : "(none)", R->k, R->k_source,
           cfg->seeds, cfg->seeds == 1 ? "" : "s", R->threads);
    bool detected = false; /* the store has the column the lyrics stage adds */
    int n_label_cols = 0;
    const char *const *label_cols = mc_store_label_columns(&R->store, &n_label_cols);
    for (int k = 0; k < n_label_cols; k++) detected |= strcmp(label_cols[k], "lyrics_language") == 0;
    if (R->have_lyrics && detected)
        pl_note(R, "lyrics_language is detected from the lyrics text itself, so lyrics-based representations "
                   "agree with it partly by construction; the metadata's language column (when present) is the "
                   "independent check.");
    if (!R->main_label[0])
        pl_note(R, "No label column with 2 or more classes: only the internal metrics are available, and the "
                   "conditional models (cvae) are left out.");
    /* representations: those made from the data first, then those built on another one */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; st == MC_STATUS_OK && i < R->n_reps; i++)
            if ((R->reps[i].from != NULL) == (pass == 1)) st = pl_sync(R, make_rep(R, &R->reps[i]));
    if (st == MC_STATUS_OK) budget_notes(R);
    for (int i = 0; st == MC_STATUS_OK && i < R->n_reps; i++)
        if (R->reps[i].evaluated) st = pl_sync(R, pl_stage_cluster(R, &R->reps[i]));
    if (st == MC_STATUS_OK) st = pl_sync(R, pl_stage_evaluate(R));
    if (st != MC_STATUS_OK) return st;
    /* the rest is rank 0's alone (tables, maps, report): the other ranks wait in the last check */
    R->tail = true;
    if (!R->writer) return MC_STATUS_OK;
    pl_hash content = R->all;
    if (st == MC_STATUS_OK) st = pl_write_tables(R, inputs, n_inputs, &content);
    for (int i = 0; st == MC_STATUS_OK && cfg->maps && i < R->n_reps; i++)
        if (R->reps[i].show && R->reps[i].evaluated) {
            st = pl_stage_embed(R, &R->reps[i]);
            pl_hash_str(&content, "embed", R->reps[i].embed_hash);
        }
    if (st == MC_STATUS_OK) st = pl_write_timings(R);
    if (st == MC_STATUS_OK && cfg->report) st = pl_stage_report(R, &content);
    const double wall = mc_clock_seconds() - t_start;
    if (st == MC_STATUS_OK) st = pl_write_timings(R);
    if (st == MC_STATUS_OK) st = pl_write_run_json(R, inputs, n_inputs, wall);
    return st;
}

static void summarize(pl_run *R, double wall, mc_run_summary *summary) {
    for (int i = 0; i < R->S.n; i++) {
        if (R->S.t[i].ran) summary->stages_run++;
        else summary->stages_cached++;
    }
    summary->seconds = wall;
    summary->tracks = R->n_tracks;
    summary->segments = R->n;
    summary->k = R->k;
    snprintf(summary->k_source, sizeof summary->k_source, "%s", R->k_source);
    snprintf(summary->main_label, sizeof summary->main_label, "%s", R->main_label);
    summary->conv_epochs = R->conv_epochs;
    summary->conv_rows = R->conv_rows;
    summary->conv_budget_limited = R->conv_limited;
    char *p = mc_report_path(R->dir, MC_REPORT_FEATURES "/skipped.tsv");
    mc_table t;
    if (p && pl_file_exists(p) && mc_table_read(p, '\t', &t) == MC_STATUS_OK) {
        summary->skipped = t.nrows;
        mc_table_free(&t);
    }
    free(p);
    summary->stages = R->S.t;
    summary->n_stages = R->S.n;
    R->S.t = NULL; /* ownership moves to the summary */
}

static void run_free(pl_run *R) {
    if (R->store_open) mc_store_close(&R->store);
    mc_pipeline_score_labels_free(&R->labels);
    mc_free(R->common);
    mc_free(R->common_mean);
    mc_free(R->common_sd);
    for (int i = 0; i < R->n_notes; i++) free(R->notes[i]);
    free(R->S.t);
    free(R->S.results);
    free(R->dir);
}

mc_status mc_pipeline_run(const mc_run_config *cfg, const char *const *inputs, int n_inputs,
                          const char *results_dir, mc_run_summary *summary) {
    if (summary) memset(summary, 0, sizeof *summary);
    if (!cfg || !inputs || n_inputs < 1 || !results_dir) return mc_error_set(MC_STATUS_INVALID_ARG, "run: no input or no results folder");
    if (cfg->seeds < 1 || cfg->seeds > PL_MAX_SEEDS) return mc_error_set(MC_STATUS_INVALID_ARG, "--seeds must be in 1..%d, got %d", PL_MAX_SEEDS, cfg->seeds);
    if (!cfg->tasks || (cfg->tasks & ~(unsigned)MC_PIPELINE_TASK_ALL)) return mc_error_set(MC_STATUS_INVALID_ARG, "--task: nothing to do");
    if (cfg->k < 0 || cfg->k == 1) return mc_error_set(MC_STATUS_INVALID_ARG, "--k must be >= 2, got %d", cfg->k);
    if (cfg->k_max < 2) return mc_error_set(MC_STATUS_INVALID_ARG, "k_max must be >= 2, got %d", cfg->k_max);
    if (cfg->conv_budget < 1 || cfg->conv_max_epochs < 1 || cfg->conv_batch < 1)
        return mc_error_set(MC_STATUS_INVALID_ARG, "conv-vae budget, epochs and batch must be >= 1");
    if (cfg->lyrics_dim < 1) return mc_error_set(MC_STATUS_INVALID_ARG, "lyrics dimension must be >= 1");
    const double t_start = mc_clock_seconds();
    pl_run R;
    memset(&R, 0, sizeof R);
    R.cfg = cfg;
    R.dist = mc_dist_size(cfg->dist) > 1 ? cfg->dist : NULL;
    R.writer = mc_dist_rank(R.dist) == 0;
    /* the other ranks compute what rank 0 writes: their writes are discarded (core.h) */
    const bool discarding = R.writer ? mc_file_writes_discarded() : mc_file_discard_writes(true);
    R.threads = mc_threads_resolve(cfg->threads);
    R.dir = mc_strdup(results_dir);
    R.S.results = mc_strdup(results_dir);
    pl_hash_init(&R.all, "report");
    mc_status st = R.dir && R.S.results ? MC_STATUS_OK : MC_STATUS_NO_MEMORY;
    /* One writer per results folder: a second run into it refuses at once (core.h, mc_lock). */
    mc_lock *lock = NULL;
    if (st == MC_STATUS_OK) st = mc_mkdirs(results_dir);
    if (st == MC_STATUS_OK && R.writer) { /* over ranks rank 0 holds it: it alone writes there */
        char *lp = mc_sprintf("%s/.musiclust.lock", results_dir);
        char *what = mc_sprintf("results folder %s", results_dir);
        st = lp && what ? mc_lock_acquire(lp, what, &lock) : MC_STATUS_NO_MEMORY;
        free(lp);
        free(what);
    }
    if (st == MC_STATUS_OK && R.writer) {
        int64_t stale = mc_file_remove_stale_tmp(results_dir, 4);
        if (stale > 0)
            mc_log(MC_LOG_LEVEL_INFO, "%s: removed %lld temp file(s) of an interrupted run", results_dir,
                   (long long)stale);
    }
    int n_sub = 0;
    const char *const *sub = mc_report_folders(&n_sub);
    for (int i = 0; st == MC_STATUS_OK && i < n_sub; i++) {
        char *p = mc_report_path(results_dir, sub[i]);
        st = p ? mc_mkdirs(p) : MC_STATUS_NO_MEMORY;
        free(p);
    }
    /* over ranks: rank 0's folders made and stale files gone before any rank starts (a failure returns
     * without the barrier: the caller ends the group) */
    st = pl_sync(&R, st);
    if (st == MC_STATUS_OK) st = run_stages(&R, inputs, n_inputs, t_start);
    /* after evaluate every rank is here or in rank 0's tail: rank 0's outcome is every rank's */
    if (R.tail && R.dist) st = mc_dist_check(R.dist, st);
    mc_file_discard_writes(discarding);
    if (summary) summarize(&R, mc_clock_seconds() - t_start, summary);
    if (st != MC_STATUS_OK) {
        /* keep the message of the failure: the cleanup below must not overwrite it */
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", mc_error_message());
        run_free(&R);
        mc_lock_release(lock);
        return mc_error_set(st, "%s", msg[0] ? msg : mc_status_name(st));
    }
    run_free(&R);
    mc_lock_release(lock);
    return MC_STATUS_OK;
}
