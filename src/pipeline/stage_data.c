/* The data stages of `musiclust run`: extract (the feature store), lyrics (when the metadata has a
 * lyrics column), then what every later stage reads: the label columns and tracks, the common space,
 * the reconstruction examples, and k (given, from the main label, or the ksweep stage). */
#include "run_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

mc_status pl_stage_extract(pl_run *R, const char *const *inputs, int n_inputs) {
    const mc_run_config *c = R->cfg;
    pl_hash h;
    pl_hash_init(&h, "extract");
    mc_status st = pl_hash_paths(&h, "input", inputs, n_inputs);
    if (st == MC_STATUS_OK && c->extract.metadata) st = pl_hash_paths(&h, "metadata", &c->extract.metadata, 1);
    if (st != MC_STATUS_OK) return st;
    const mc_dsp_config *d = &c->extract.dsp;
    pl_hash_int(&h, "sr", d->sr);
    pl_hash_int(&h, "n_fft", d->n_fft);
    pl_hash_int(&h, "hop", d->hop);
    pl_hash_int(&h, "n_mels", d->n_mels);
    pl_hash_dbl(&h, "fmin", d->fmin);
    pl_hash_dbl(&h, "fmax", d->fmax);
    pl_hash_int(&h, "n_mfcc", d->n_mfcc);
    pl_hash_dbl(&h, "ref", d->ref);
    pl_hash_dbl(&h, "amin", d->amin);
    pl_hash_dbl(&h, "top_db", d->top_db);
    pl_hash_dbl(&h, "segment", c->extract.segment_s);
    pl_hash_int(&h, "logmel_frames", c->extract.logmel_frames);
    pl_hash_str(&h, "id_column", c->extract.id_column);
    pl_hash_str(&h, "folder_label", c->extract.folder_label);
    pl_hash_int(&h, "keep_unmatched", c->extract.keep_unmatched);
    pl_hash_hex(&h, R->extract_hash);
    static const char *const outs[] = {"features/index.tsv", "features/tracks.tsv", "features/mfcc_stats.npy",
                                       "features/logmel.npy", "features/skipped.tsv"};
    if (pl_cached(R, "extract", R->extract_hash, outs, 5)) return MC_STATUS_OK;
    double t0 = mc_clock_seconds();
    mc_extract_config ec = c->extract;
    ec.threads = R->threads;
    char *fd = mc_report_path(R->dir, MC_REPORT_FEATURES);
    if (!fd) return MC_STATUS_NO_MEMORY;
    mc_extract_summary sum;
    mc_progress *p = pl_bar(R, "extract", 0);
    /* over ranks each rank writes its shard of the store (data.h) and rank 0 joins them */
    const bool discarding = mc_file_discard_writes(false);
    st = mc_data_extract_group(R->dist, &ec, inputs, n_inputs, fd, p, &sum);
    mc_file_discard_writes(discarding);
    pl_bar_end(p, st == MC_STATUS_OK);
    free(fd);
    if (st != MC_STATUS_OK) return st;
    return pl_commit(R, "extract", R->extract_hash, t0, NULL, NULL, 0);
}

/* Whether the metadata table has the lyrics column (the whole table is read: mc_table_read is the
 * one reader, and metadata tables are small). */
static bool metadata_has_column(const char *path, const char *col) {
    mc_table t;
    if (mc_table_read(path, 0, &t) != MC_STATUS_OK) {
        mc_error_clear();
        return false;
    }
    bool has = mc_table_column(&t, col) >= 0;
    mc_table_free(&t);
    return has;
}

mc_status pl_stage_lyrics(pl_run *R) {
    const mc_run_config *c = R->cfg;
    snprintf(R->data_hash, sizeof R->data_hash, "%s", R->extract_hash);
    if (!c->extract.metadata || !c->text_column || !metadata_has_column(c->extract.metadata, c->text_column))
        return MC_STATUS_OK;
    mc_lyrics_config lc;
    mc_text_lyrics_config_default(&lc);
    lc.dim = c->lyrics_dim;
    lc.seed = 0;
    lc.threads = R->threads;
    pl_hash h;
    pl_hash_init(&h, "lyrics");
    pl_hash_str(&h, "extract", R->extract_hash);
    pl_hash_str(&h, "text_column", c->text_column);
    pl_hash_str(&h, "id_column", c->extract.id_column);
    /* every option of the lyrics configuration (all but threads and progress shape the output) */
    pl_hash_int(&h, "dim", lc.dim);
    pl_hash_u64(&h, "seed", lc.seed);
    pl_hash_dbl(&h, "min_df", lc.min_df);
    pl_hash_dbl(&h, "max_df", lc.max_df);
    pl_hash_dbl(&h, "word_weight", lc.word_weight);
    pl_hash_int(&h, "word_ngram_min", lc.word_ngram_min);
    pl_hash_int(&h, "word_ngram_max", lc.word_ngram_max);
    pl_hash_int(&h, "char_ngram_min", lc.char_ngram_min);
    pl_hash_int(&h, "char_ngram_max", lc.char_ngram_max);
    pl_hash_int(&h, "char_tokens", lc.char_tokens);
    pl_hash_int(&h, "svd_iter", lc.svd_iter);
    pl_hash_int(&h, "svd_oversamples", lc.svd_oversamples);
    pl_hash_int(&h, "drop_first", lc.drop_first);
    pl_hash_int(&h, "normalize", lc.normalize);
    pl_hash_int(&h, "threads", R->threads);
    pl_hash_hex(&h, R->data_hash);
    static const char *const outs[] = {"features/lyrics.npy", "features/lyrics_tracks.tsv", "features/lyrics.json",
                                       "features/lyrics_model.safetensors"};
    R->have_lyrics = true;
    char v[64];
    if (pl_cached(R, "lyrics", R->data_hash, outs, 4)) {
        if (pl_stage_value(&R->S, "lyrics", "with_lyrics", v, sizeof v)) R->lyr.with_lyrics = strtoll(v, NULL, 10);
        if (pl_stage_value(&R->S, "lyrics", "languages", v, sizeof v)) R->lyr.languages = strtoll(v, NULL, 10);
        return MC_STATUS_OK;
    }
    double t0 = mc_clock_seconds();
    char *fd = mc_report_path(R->dir, MC_REPORT_FEATURES);
    if (!fd) return MC_STATUS_NO_MEMORY;
    mc_status st = mc_pipeline_lyrics(fd, c->extract.metadata, c->extract.id_column, c->text_column, &lc, &R->lyr);
    free(fd);
    if (st == MC_STATUS_EMPTY) { /* a lyrics column without any lyrics: go on without them */
        mc_log(MC_LOG_LEVEL_WARN, "lyrics: %s", mc_error_message());
        mc_error_clear();
        R->have_lyrics = false;
        snprintf(R->data_hash, sizeof R->data_hash, "%s", R->extract_hash);
        return MC_STATUS_OK;
    }
    if (st != MC_STATUS_OK) return st;
    char a[32], b[32];
    snprintf(a, sizeof a, "%lld", (long long)R->lyr.with_lyrics);
    snprintf(b, sizeof b, "%lld", (long long)R->lyr.languages);
    const char *keys[2] = {"with_lyrics", "languages"}, *vals[2] = {a, b};
    return pl_commit(R, "lyrics", R->data_hash, t0, keys, vals, 2);
}

/* ---------------------------------------------------------------- labels, tracks, the common space */

/* The evaluated columns (mc_pipeline_label_columns, the main label first) and the main label: --label
 * (it must have >= 2 classes), else the first genre-like one of the default columns (the rule lists
 * genre, tag, label, style before the language columns, so it is the first column). */
static mc_status label_columns(pl_run *R, const char **cols, int *n_cols) {
    const mc_run_config *c = R->cfg;
    const mc_store *s = &R->store;
    if (c->label) {
        int n = 0;
        bool found = false;
        const char *const *all = mc_store_label_columns(s, &n);
        for (int i = 0; i < n; i++) found |= strcmp(all[i], c->label) == 0;
        if (!found) return mc_error_set(MC_STATUS_INVALID_ARG, "--label %s: the store has no such label column", c->label);
        int32_t *codes = mc_calloc((size_t)s->n, sizeof *codes);
        char **cl = NULL;
        int nc = 0;
        mc_status st = codes ? mc_store_label_codes(s, c->label, codes, &cl, &nc) : MC_STATUS_NO_MEMORY;
        mc_store_free_classes(cl, nc);
        free(codes);
        if (st != MC_STATUS_OK) return st;
        if (nc < 2)
            return mc_error_set(MC_STATUS_INVALID_ARG, "--label %s: the column has %d class%s; it needs at least 2",
                                c->label, nc, nc == 1 ? "" : "es");
        snprintf(R->main_label, sizeof R->main_label, "%s", c->label);
    }
    mc_pipeline_label_columns(s, c->label, cols, PL_MAX_COLS, n_cols);
    static const char *const genre_like[] = {"genre", "tag", "label", "style"};
    for (size_t g = 0; !R->main_label[0] && *n_cols > 0 && g < sizeof genre_like / sizeof *genre_like; g++)
        if (strcmp(cols[0], genre_like[g]) == 0) snprintf(R->main_label, sizeof R->main_label, "%s", cols[0]);
    return MC_STATUS_OK;
}

/* The common space: the z-scored vectors (mfcc_stats.npy) of every row, the same for every method. */
static mc_status common_space(pl_run *R) {
    const mc_store *s = &R->store;
    const int d = (int)s->vectors.shape[1];
    R->dc = d;
    R->common = mc_alloc((size_t)R->n * (size_t)d, sizeof(float));
    float *mean = mc_alloc((size_t)d, sizeof(float)), *sd = mc_alloc((size_t)d, sizeof(float));
    if (!R->common || !mean || !sd) {
        mc_free(mean);
        mc_free(sd);
        return MC_STATUS_NO_MEMORY;
    }
    memcpy(R->common, s->vectors.data, (size_t)R->n * (size_t)d * sizeof(float));
    mc_data_zscore_fit(R->common, R->n, d, mean, sd);
    mc_data_zscore_apply(R->common, R->n, d, mean, sd);
    R->common_mean = mean;
    R->common_sd = sd;
    return MC_STATUS_OK;
}

/* Reconstruction examples: the first row of each of the first classes of the main label, else rows
 * spread over the store. */
static void examples(pl_run *R) {
    R->n_examples = 0;
    if (R->main_label[0]) {
        const int32_t *codes = R->labels.codes[0];
        for (int cls = 0; cls < R->labels.n_classes[0] && R->n_examples < PL_N_EXAMPLES; cls++)
            for (int64_t i = 0; i < R->n; i++)
                if (codes[i] == cls) {
                    R->examples[R->n_examples++] = i;
                    break;
                }
    } else {
        for (int e = 0; e < PL_N_EXAMPLES && e < R->n; e++)
            R->examples[R->n_examples++] = (int64_t)e * R->n / PL_N_EXAMPLES;
    }
}

/* The run's feature set: the configured one, or the MFCC statistics when the store has no
 * descriptors; a set other than the MFCC statistics is folded into the data hash, so that every stage
 * that reads the vectors is recomputed when it changes (and an MFCC run keeps its hashes). */
static mc_status choose_features(pl_run *R, const char *fd) {
    char *p = mc_sprintf("%s/descriptors.npy", fd);
    if (!p) return MC_STATUS_NO_MEMORY;
    struct stat sb;
    R->have_descriptors = stat(p, &sb) == 0;
    free(p);
    R->features = R->cfg->features;
    if (R->features != MC_STORE_FEATURES_MFCC && !R->have_descriptors) {
        pl_note(R, "features: the store has no descriptors (extracted with --no-descriptors), so the %s are used "
                "instead of the %s", pl_features_text(MC_STORE_FEATURES_MFCC), pl_features_text(R->features));
        R->features = MC_STORE_FEATURES_MFCC;
    }
    if (R->features != MC_STORE_FEATURES_MFCC) {
        pl_hash h;
        pl_hash_init(&h, "features");
        pl_hash_str(&h, "data", R->data_hash);
        pl_hash_str(&h, "features", mc_store_features_name(R->features));
        pl_hash_hex(&h, R->data_hash);
    }
    return MC_STATUS_OK;
}

mc_status pl_prepare(pl_run *R) {
    char *fd = mc_report_path(R->dir, MC_REPORT_FEATURES);
    if (!fd) return MC_STATUS_NO_MEMORY;
    mc_status st = choose_features(R, fd);
    if (st == MC_STATUS_OK) st = mc_store_open_features(fd, R->features, &R->store);
    free(fd);
    if (st != MC_STATUS_OK) return st;
    R->store_open = true;
    R->n = R->store.n;
    if (R->n < 4)
        return mc_error_set(MC_STATUS_EMPTY, "%s/features: %lld segments; clustering needs at least 4", R->dir,
                            (long long)R->n);
    const char *cols[PL_MAX_COLS];
    int n_cols = 0;
    if ((st = label_columns(R, cols, &n_cols)) != MC_STATUS_OK) return st;
    if ((st = mc_pipeline_score_labels(&R->store, cols, n_cols, true, &R->labels)) != MC_STATUS_OK) return st;
    R->n_tracks = R->labels.n_tracks;
    if ((st = common_space(R)) != MC_STATUS_OK) return st;
    examples(R);
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- k */

/* k by the silhouette sweep (k-means in the common space): the ksweep stage. */
static mc_status stage_ksweep(pl_run *R) {
    const mc_run_config *c = R->cfg;
    pl_hash h;
    pl_hash_init(&h, "ksweep");
    pl_hash_str(&h, "data", R->data_hash);
    pl_hash_int(&h, "k_max", c->k_max);
    pl_hash_u64(&h, "seed", c->first_seed);
    pl_hash_int(&h, "threads", R->threads);
    char hash[17], v[32];
    pl_hash_hex(&h, hash);
    static const char *const outs[] = {MC_REPORT_KSWEEP};
    if (pl_cached(R, "ksweep", hash, outs, 1) && pl_stage_value(&R->S, "ksweep", "k", v, sizeof v)) {
        R->k = atoi(v);
        return MC_STATUS_OK;
    }
    double t0 = mc_clock_seconds();
    mc_cluster_config cc;
    mc_cluster_config_default(&cc);
    cc.seed = c->first_seed;
    cc.threads = pl_light_threads(R);
    cc.dist = R->dist; /* the k-means of the sweep over the ranks */
    mc_ksweep sw;
    mc_status st = mc_pipeline_choose_k(&cc, R->common, R->n, R->dc, c->k_max, 10000, NULL, &sw);
    if (st != MC_STATUS_OK) return st;
    R->k = sw.chosen_k;
    char *p = mc_report_path(R->dir, MC_REPORT_KSWEEP);
    st = p ? mc_pipeline_ksweep_write(p, &sw) : MC_STATUS_NO_MEMORY;
    free(p);
    mc_pipeline_ksweep_free(&sw);
    if (st != MC_STATUS_OK) return st;
    snprintf(v, sizeof v, "%d", R->k);
    const char *keys[1] = {"k"}, *vals[1] = {v};
    return pl_commit(R, "ksweep", hash, t0, keys, vals, 1);
}

mc_status pl_choose_k(pl_run *R) {
    const mc_run_config *c = R->cfg;
    if (c->k > 0) {
        R->k = c->k;
        snprintf(R->k_source, sizeof R->k_source, "given (--k)");
    } else if (R->main_label[0] && !c->k_sweep) {
        R->k = R->labels.n_classes[0];
        snprintf(R->k_source, sizeof R->k_source, "the number of classes of '%s'", R->main_label);
    } else {
        mc_status st = stage_ksweep(R);
        if (st != MC_STATUS_OK) return st;
        snprintf(R->k_source, sizeof R->k_source, "the silhouette sweep over k = 2..%d (k-means, common space)", c->k_max);
    }
    if (R->k > R->n - 1) R->k = (int)(R->n - 1);
    if (R->k < 2) R->k = 2;
    return MC_STATUS_OK;
}
