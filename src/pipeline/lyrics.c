/* `musiclust lyrics` and the lyrics stage of `musiclust run` (pipeline.h, mc_pipeline_lyrics): the one
 * implementation of joining lyrics to a feature store, embedding them and writing the results. */
#include "pipeline_internal.h"

#include <musiclust/text.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct key_row {
    const char *id;
    int64_t row;
} key_row;

static int cmp_key_row(const void *a, const void *b) {
    const key_row *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    if (c) return c;
    return (x->row > y->row) - (x->row < y->row);
}

/* Row of the first entry whose id is `id`, -1 if none (keys sorted, unique). */
static int64_t find_key(const key_row *keys, int64_t n, const char *id) {
    int64_t lo = 0, hi = n - 1;
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int c = strcmp(keys[mid].id, id);
        if (c == 0) return keys[mid].row;
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

/* t written to path (atomically) with column `name` set to values (t->nrows): replaced where the
 * header has it, appended otherwise. */
static mc_status rewrite_with_column(const mc_table *t, const char *path, const char *name,
                                     const char *const *values) {
    mc_memfile m;
    mc_status st = mc_memfile_open(&m, path);
    if (st != MC_STATUS_OK) return st;
    FILE *f = m.f;
    int col = mc_table_column(t, name);
    int ncols = col >= 0 ? t->ncols : t->ncols + 1;
    for (int c = 0; c < ncols; c++) {
        if (c) fputc('\t', f);
        mc_csv_write_field(f, c < t->ncols ? t->header[c] : name, '\t');
    }
    fputc('\n', f);
    for (int64_t r = 0; r < t->nrows; r++) {
        for (int c = 0; c < ncols; c++) {
            if (c) fputc('\t', f);
            mc_csv_write_field(f, c == col || c == t->ncols ? values[r] : mc_table_get(t, r, c), '\t');
        }
        fputc('\n', f);
    }
    return mc_memfile_commit(&m, path);
}

/* Counts per language of the tracks with lyrics, in order of first appearance. */
static void count_languages(const mc_lyrics *L, mc_pipeline_lyrics_summary *sum) {
    sum->n_codes = 0;
    for (int64_t i = 0; i < L->n; i++) {
        if (!L->has_lyrics[i]) continue;
        int k = 0;
        while (k < sum->n_codes && strcmp(sum->codes[k], L->language[i].language) != 0) k++;
        if (k == sum->n_codes) {
            if (k == 64) continue;
            snprintf(sum->codes[k], sizeof sum->codes[k], "%s", L->language[i].language);
            sum->counts[k] = 0;
            sum->n_codes++;
        }
        sum->counts[k]++;
    }
}

static mc_status write_json(const char *path, const char *metadata, const char *id_column, const char *text_column,
                            const mc_lyrics_config *cfg, const mc_pipeline_lyrics_summary *sum, const mc_lyrics *L) {
    mc_json *j = NULL;
    mc_status st = mc_json_create(&j);
    if (st != MC_STATUS_OK) return st;
    mc_json_begin_object(j);
    mc_json_key(j, "musiclust_version"); mc_json_string(j, mc_version());
    mc_json_key(j, "parameters");
    mc_json_begin_object(j);
    mc_json_key(j, "metadata"); mc_json_string(j, metadata);
    mc_json_key(j, "id_column"); mc_json_string(j, id_column);
    mc_json_key(j, "text_column"); mc_json_string(j, text_column);
    mc_json_key(j, "dim"); mc_json_int(j, cfg->dim);
    mc_json_key(j, "seed"); mc_json_int(j, (int64_t)cfg->seed);
    mc_json_key(j, "min_df"); mc_json_number(j, cfg->min_df);
    mc_json_key(j, "max_df"); mc_json_number(j, cfg->max_df);
    mc_json_key(j, "word_ngram_range");
    mc_json_begin_array(j); mc_json_int(j, cfg->word_ngram_min); mc_json_int(j, cfg->word_ngram_max); mc_json_end_array(j);
    mc_json_key(j, "char_wb_ngram_range");
    mc_json_begin_array(j); mc_json_int(j, cfg->char_ngram_min); mc_json_int(j, cfg->char_ngram_max); mc_json_end_array(j);
    mc_json_key(j, "word_weight"); mc_json_number(j, cfg->word_weight);
    mc_json_key(j, "char_tokens"); mc_json_string(j, cfg->char_tokens == MC_TEXT_TOKENS_CHUNKS ? "chunks" : "words");
    mc_json_key(j, "sublinear_tf"); mc_json_bool(j, true);
    mc_json_key(j, "smooth_idf"); mc_json_bool(j, true);
    mc_json_key(j, "block_weights");
    mc_json_string(j, "each block L2-normalised, then scaled by sqrt(word_weight) (words) and sqrt(1 - word_weight) "
                      "(char_wb)");
    mc_json_key(j, "drop_first"); mc_json_bool(j, cfg->drop_first);
    mc_json_key(j, "normalize"); mc_json_bool(j, cfg->normalize);
    mc_json_key(j, "svd"); mc_json_string(j, "randomized (Halko et al.), QR power iterations");
    mc_json_key(j, "svd_n_iter"); mc_json_int(j, cfg->svd_iter);
    mc_json_key(j, "svd_n_oversamples"); mc_json_int(j, cfg->svd_oversamples);
    mc_json_key(j, "threads"); mc_json_int(j, cfg->threads);
    mc_json_end_object(j);
    mc_json_key(j, "joined_on_store"); mc_json_bool(j, sum->store);
    mc_json_key(j, "tracks"); mc_json_int(j, L->n);
    mc_json_key(j, "with_lyrics"); mc_json_int(j, L->n_with_lyrics);
    mc_json_key(j, "without_lyrics"); mc_json_int(j, L->n - L->n_with_lyrics);
    mc_json_key(j, "without_metadata_row"); mc_json_int(j, sum->missing);
    mc_json_key(j, "vocabulary");
    mc_json_begin_object(j);
    mc_json_key(j, "word"); mc_json_int(j, L->n_word_terms);
    mc_json_key(j, "char_wb"); mc_json_int(j, L->n_char_terms);
    mc_json_end_object(j);
    mc_json_key(j, "rank"); mc_json_int(j, L->rank);
    double total = 0;
    mc_json_key(j, "explained_variance_ratio");
    mc_json_begin_array(j);
    for (int k = 0; k < L->dim; k++) {
        mc_json_number(j, L->explained_variance_ratio[k]);
        total += L->explained_variance_ratio[k];
    }
    mc_json_end_array(j);
    mc_json_key(j, "explained_variance_ratio_sum"); mc_json_number(j, total);
    mc_json_key(j, "languages");
    mc_json_begin_object(j);
    for (int k = 0; k < sum->n_codes; k++) {
        mc_json_key(j, sum->codes[k]);
        mc_json_int(j, sum->counts[k]);
    }
    mc_json_end_object(j);
    mc_json_key(j, "seconds"); mc_json_number(j, L->seconds);
    mc_json_end_object(j);
    st = mc_json_write_file(j, path);
    mc_json_free(j);
    return st;
}

static bool is_file(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* mc_pipeline_lyrics (model_path NULL: fit) and mc_pipeline_lyrics_apply (a saved model). */
static mc_status lyrics_store(const char *featdir, const char *metadata, const char *id_column, const char *text_column,
                              const mc_lyrics_config *cfg, const char *model_path, mc_pipeline_lyrics_summary *summary) {
    if (!featdir || !metadata || !cfg) return mc_error_set(MC_STATUS_INVALID_ARG, "lyrics: NULL argument");
    if (!id_column) id_column = "track_id";
    if (!text_column) text_column = "lyrics";
    mc_pipeline_lyrics_summary sum;
    memset(&sum, 0, sizeof sum);
    if (summary) *summary = sum;
    mc_status st = mc_text_lyrics_config_validate(cfg);
    if (st != MC_STATUS_OK) return st;
    mc_table meta = {0}, tracks = {0}, index = {0};
    key_row *keys = NULL, *tk = NULL;
    const char **texts = NULL, **ids = NULL, **names = NULL, **labels = NULL, **seg_labels = NULL;
    char (*rownum)[24] = NULL; /* (n) track numbers when there is no store */
    mc_lyrics L;
    memset(&L, 0, sizeof L);
    char *p_tracks = mc_sprintf("%s/tracks.tsv", featdir), *p_index = mc_sprintf("%s/index.tsv", featdir);
    char *p_npy = mc_sprintf("%s/lyrics.npy", featdir), *p_tt = mc_sprintf("%s/lyrics_tracks.tsv", featdir);
    char *p_json = mc_sprintf("%s/lyrics.json", featdir), *p_model = mc_sprintf("%s/lyrics_model.safetensors", featdir);
    mc_lyrics_model *model = NULL;
    if (!p_tracks || !p_index || !p_npy || !p_tt || !p_json || !p_model) {
        st = mc_error_nomem("lyrics: out of memory");
        goto done;
    }
    if ((st = mc_table_read(metadata, 0, &meta)) != MC_STATUS_OK) goto done;
    int idc = mc_table_column(&meta, id_column), txc = mc_table_column(&meta, text_column);
    if (idc < 0 || txc < 0) {
        char cols[1024] = "";
        for (int c = 0; c < meta.ncols && strlen(cols) + 8 < sizeof cols; c++) {
            strncat(cols, c ? ", " : "", sizeof cols - strlen(cols) - 1);
            strncat(cols, meta.header[c], sizeof cols - strlen(cols) - 1);
        }
        st = mc_error_set(MC_STATUS_FORMAT, "%s: no column '%s' (columns: %s); use %s", metadata,
                          idc < 0 ? id_column : text_column, cols, idc < 0 ? "--id-column" : "--text-column");
        goto done;
    }
    sum.store = is_file(p_tracks);
    int tid = -1, tcol = -1;
    if (sum.store) {
        if ((st = mc_table_read(p_tracks, '\t', &tracks)) != MC_STATUS_OK) goto done;
        tid = mc_table_column(&tracks, "track_id");
        tcol = mc_table_column(&tracks, "track");
        if (tid < 0 || tcol < 0) {
            st = mc_error_set(MC_STATUS_FORMAT, "%s: expected columns track and track_id (a store written by "
                              "musiclust extract)", p_tracks);
            goto done;
        }
    } else if ((st = mc_mkdirs(featdir)) != MC_STATUS_OK) {
        goto done;
    }
    const int64_t n = sum.store ? tracks.nrows : meta.nrows;
    if (n == 0) {
        st = mc_error_set(MC_STATUS_EMPTY, "%s: no rows", sum.store ? p_tracks : metadata);
        goto done;
    }
    texts = mc_calloc((size_t)n, sizeof *texts);
    ids = mc_calloc((size_t)n, sizeof *ids);
    names = mc_calloc((size_t)n, sizeof *names);
    labels = mc_calloc((size_t)n, sizeof *labels);
    keys = mc_calloc((size_t)(meta.nrows ? meta.nrows : 1), sizeof *keys);
    rownum = sum.store ? NULL : mc_calloc((size_t)n, sizeof *rownum);
    if (!texts || !ids || !names || !labels || !keys || (!sum.store && !rownum)) {
        st = mc_error_nomem("lyrics: out of memory");
        goto done;
    }
    if (sum.store) {
        /* Join: the first metadata row of each id, as extract does. */
        int64_t nk = 0;
        for (int64_t r = 0; r < meta.nrows; r++)
            if (mc_table_get(&meta, r, idc)[0]) keys[nk++] = (key_row){mc_table_get(&meta, r, idc), r};
        qsort(keys, (size_t)nk, sizeof *keys, cmp_key_row);
        int64_t u = 0;
        for (int64_t k = 0; k < nk; k++) {
            if (u > 0 && strcmp(keys[u - 1].id, keys[k].id) == 0) {
                mc_log(MC_LOG_LEVEL_WARN, "%s: %s '%s' appears more than once; using the first row", metadata,
                       id_column, keys[k].id);
                continue;
            }
            keys[u++] = keys[k];
        }
        for (int64_t i = 0; i < n; i++) {
            ids[i] = mc_table_get(&tracks, i, tid);
            names[i] = mc_table_get(&tracks, i, tcol);
            int64_t r = find_key(keys, u, ids[i]);
            if (r < 0) sum.missing++;
            texts[i] = r >= 0 ? mc_table_get(&meta, r, txc) : NULL;
        }
        if (sum.missing > 0)
            mc_log(MC_LOG_LEVEL_WARN, "lyrics: %lld of %lld store tracks have no row in %s (zero vectors)",
                   (long long)sum.missing, (long long)n, metadata);
    } else {
        for (int64_t i = 0; i < n; i++) {
            snprintf(rownum[i], sizeof rownum[i], "%lld", (long long)i);
            names[i] = rownum[i];
            ids[i] = mc_table_get(&meta, i, idc);
            texts[i] = mc_table_get(&meta, i, txc);
        }
    }
    mc_progress_set_total(cfg->progress, n);
    if (model_path) {
        /* a run's saved model: new lyrics into the run's space (the same bytes as the run's own rows) */
        st = mc_text_lyrics_model_load(model_path, &model);
        if (st == MC_STATUS_OK) st = mc_text_lyrics_apply(model, texts, n, cfg->threads, cfg->progress, &L);
    } else {
        st = mc_text_lyrics_embed_model(cfg, texts, n, &L, &model);
    }
    if (st == MC_STATUS_EMPTY) st = mc_error_set(st, "%s: %s (column '%s')", metadata, mc_error_message(), text_column);
    if (st != MC_STATUS_OK) goto done;
    /* The fitted model, so that later commands put new lyrics into the same space. */
    if ((st = mc_text_lyrics_model_save(model, p_model)) != MC_STATUS_OK) goto done;
    int64_t shape[2] = {n, L.dim};
    if ((st = mc_npy_write(p_npy, MC_DTYPE_F32, 2, shape, L.vectors)) != MC_STATUS_OK) goto done;
    {
        mc_memfile m;
        if ((st = mc_memfile_open(&m, p_tt)) != MC_STATUS_OK) goto done;
        FILE *f = m.f;
        fputs("track\ttrack_id\tlyrics_language\tlyrics_confidence\thas_lyrics\n", f);
        for (int64_t i = 0; i < n; i++) {
            mc_csv_write_field(f, names[i], '\t');
            fputc('\t', f);
            mc_csv_write_field(f, ids[i], '\t');
            fprintf(f, "\t%s\t%.4f\t%d\n", L.has_lyrics[i] ? L.language[i].language : "",
                    L.has_lyrics[i] ? L.language[i].confidence : 0.0, L.has_lyrics[i] ? 1 : 0);
        }
        if ((st = mc_memfile_commit(&m, p_tt)) != MC_STATUS_OK) goto done;
    }
    /* the label column: a language, or "" (unlabelled) for unknown or no lyrics */
    for (int64_t i = 0; i < n; i++) {
        labels[i] = L.has_lyrics[i] && strcmp(L.language[i].language, "unknown") != 0 ? L.language[i].language : "";
        bool seen = false;
        for (int64_t j = 0; j < i && !seen && labels[i][0]; j++) seen = strcmp(labels[j], labels[i]) == 0;
        if (labels[i][0] && !seen) sum.languages++;
    }
    if (sum.store) {
        if ((st = rewrite_with_column(&tracks, p_tracks, "lyrics_language", labels)) != MC_STATUS_OK) goto done;
        if (is_file(p_index)) {
            /* index.tsv last: a store whose index has the column has a complete lyrics stage */
            if ((st = mc_table_read(p_index, '\t', &index)) != MC_STATUS_OK) goto done;
            int itc = mc_table_column(&index, "track");
            tk = mc_calloc((size_t)n, sizeof *tk);
            seg_labels = mc_calloc((size_t)(index.nrows ? index.nrows : 1), sizeof *seg_labels);
            if (itc < 0) {
                st = mc_error_set(MC_STATUS_FORMAT, "%s: no 'track' column", p_index);
                goto done;
            }
            if (!tk || !seg_labels) {
                st = mc_error_nomem("lyrics: out of memory");
                goto done;
            }
            for (int64_t i = 0; i < n; i++) tk[i] = (key_row){names[i], i};
            qsort(tk, (size_t)n, sizeof *tk, cmp_key_row);
            for (int64_t r = 0; r < index.nrows; r++) {
                int64_t t = find_key(tk, n, mc_table_get(&index, r, itc));
                if (t < 0) {
                    st = mc_error_set(MC_STATUS_FORMAT, "%s line %lld: track '%s' is not in %s", p_index,
                                      (long long)r + 2, mc_table_get(&index, r, itc), p_tracks);
                    goto done;
                }
                seg_labels[r] = labels[t];
            }
            if ((st = rewrite_with_column(&index, p_index, "lyrics_language", seg_labels)) != MC_STATUS_OK) goto done;
            sum.index_updated = true;
        }
    }
    sum.tracks = n;
    sum.with_lyrics = L.n_with_lyrics;
    sum.rank = L.rank;
    sum.dim = L.dim;
    sum.word_terms = L.n_word_terms;
    sum.char_terms = L.n_char_terms;
    sum.seconds = L.seconds;
    count_languages(&L, &sum);
    if ((st = write_json(p_json, metadata, id_column, text_column, cfg, &sum, &L)) != MC_STATUS_OK) goto done;
    if (summary) *summary = sum;
done:
    mc_text_lyrics_model_free(model);
    mc_text_lyrics_free(&L);
    mc_table_free(&meta);
    mc_table_free(&tracks);
    mc_table_free(&index);
    free(keys);
    free(tk);
    free(texts);
    free(ids);
    free(names);
    free(labels);
    free(seg_labels);
    free(rownum);
    free(p_tracks);
    free(p_index);
    free(p_npy);
    free(p_tt);
    free(p_json);
    free(p_model);
    return st;
}

mc_status mc_pipeline_lyrics(const char *featdir, const char *metadata, const char *id_column,
                             const char *text_column, const mc_lyrics_config *cfg,
                             mc_pipeline_lyrics_summary *summary) {
    return lyrics_store(featdir, metadata, id_column, text_column, cfg, NULL, summary);
}

mc_status mc_pipeline_lyrics_apply(const char *featdir, const char *metadata, const char *id_column,
                                   const char *text_column, const char *model_path, int threads,
                                   mc_pipeline_lyrics_summary *summary) {
    if (!model_path) return mc_error_set(MC_STATUS_INVALID_ARG, "lyrics: no model");
    mc_lyrics_config cfg;
    mc_text_lyrics_config_default(&cfg);
    cfg.threads = threads;
    return lyrics_store(featdir, metadata, id_column, text_column, &cfg, model_path, summary);
}
