/* musiclust lyrics: lyrics of a metadata table -> FEATDIR/lyrics.npy (one vector per track), the
 * language of every track, and a `lyrics_language` label column in the feature store. */
#include "cli.h"

#include <musiclust/text.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CMD "lyrics"

static int fail_input(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
static int fail_input(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "musiclust " CMD ": ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return MC_EXIT_INPUT;
}

static char *path_join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static bool file_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The table's column names, comma-separated, for messages. */
static void list_columns(const mc_table *t, char *buf, size_t cap) {
    buf[0] = '\0';
    for (int c = 0; c < t->ncols && strlen(buf) + 8 < cap; c++) {
        strncat(buf, c ? ", " : "", cap - strlen(buf) - 1);
        strncat(buf, t->header[c], cap - strlen(buf) - 1);
    }
}

/* ---------------------------------------------------------------- joining on track_id */

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

/* Row of the metadata whose id is `id` (the first one when repeated), or -1. keys sorted, unique. */
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

/* ---------------------------------------------------------------- rewriting a TSV */

/* Write table t to path (atomically) with column `name` set to values (t->nrows): replaced where
 * the header has it, appended otherwise. Cells are quoted only where needed, as extract writes them. */
static mc_status rewrite_with_column(const mc_table *t, const char *path, const char *name,
                                     const char *const *values) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory rewriting", path);
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
    if (fclose(f) != 0) {
        free(buf);
        return mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory rewriting", path);
    }
    mc_status st = mc_file_write_atomic(path, buf, len);
    free(buf);
    return st;
}

/* ---------------------------------------------------------------- languages */

/* Distinct languages of the tracks with lyrics, in order of first appearance, with their counts
 * (the identifier knows a few dozen codes, so the list stays short). */
typedef struct lang_count {
    const char *code[64];
    int64_t count[64];
    int n;
} lang_count;

static void count_languages(const mc_lyrics *L, lang_count *lc) {
    memset(lc, 0, sizeof *lc);
    for (int64_t i = 0; i < L->n; i++) {
        if (!L->has_lyrics[i]) continue;
        int k = 0;
        while (k < lc->n && strcmp(lc->code[k], L->language[i].language) != 0) k++;
        if (k == lc->n) {
            if (lc->n == 64) continue;
            lc->code[lc->n++] = L->language[i].language;
        }
        lc->count[k]++;
    }
}

/* ---------------------------------------------------------------- lyrics.json */

static mc_status write_json(const char *path, const char *metadata, const char *id_column,
                            const char *text_column, const mc_lyrics_config *cfg, int threads,
                            bool store, int64_t missing, const mc_lyrics *L) {
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
    mc_json_key(j, "sublinear_tf"); mc_json_bool(j, true);
    mc_json_key(j, "smooth_idf"); mc_json_bool(j, true);
    mc_json_key(j, "block_weights"); mc_json_string(j, "each block L2-normalised, then scaled by 1/sqrt(2)");
    mc_json_key(j, "svd"); mc_json_string(j, "randomized (Halko et al.), QR power iterations");
    mc_json_key(j, "svd_n_iter"); mc_json_int(j, cfg->svd_iter);
    mc_json_key(j, "svd_n_oversamples"); mc_json_int(j, cfg->svd_oversamples);
    mc_json_key(j, "threads"); mc_json_int(j, threads);
    mc_json_end_object(j);
    mc_json_key(j, "joined_on_store"); mc_json_bool(j, store);
    mc_json_key(j, "tracks"); mc_json_int(j, L->n);
    mc_json_key(j, "with_lyrics"); mc_json_int(j, L->n_with_lyrics);
    mc_json_key(j, "without_lyrics"); mc_json_int(j, L->n - L->n_with_lyrics);
    mc_json_key(j, "without_metadata_row"); mc_json_int(j, missing);
    mc_json_key(j, "vocabulary");
    mc_json_begin_object(j);
    mc_json_key(j, "word"); mc_json_int(j, L->n_word_terms);
    mc_json_key(j, "char_wb"); mc_json_int(j, L->n_char_terms);
    mc_json_end_object(j);
    mc_json_key(j, "rank"); mc_json_int(j, L->rank);
    double sum = 0;
    mc_json_key(j, "explained_variance_ratio");
    mc_json_begin_array(j);
    for (int k = 0; k < L->dim; k++) {
        mc_json_number(j, L->explained_variance_ratio[k]);
        sum += L->explained_variance_ratio[k];
    }
    mc_json_end_array(j);
    mc_json_key(j, "explained_variance_ratio_sum"); mc_json_number(j, sum);
    /* Counts per language (tracks with lyrics), in order of first appearance. */
    mc_json_key(j, "languages");
    mc_json_begin_object(j);
    lang_count lc;
    count_languages(L, &lc);
    for (int k = 0; k < lc.n; k++) {
        mc_json_key(j, lc.code[k]);
        mc_json_int(j, lc.count[k]);
    }
    mc_json_end_object(j);
    mc_json_key(j, "seconds"); mc_json_number(j, L->seconds);
    mc_json_end_object(j);
    st = mc_json_write_file(j, path);
    mc_json_free(j);
    return st;
}

/* ---------------------------------------------------------------- the command */

int cmd_lyrics(int argc, char **argv) {
    mc_lyrics_config cfg;
    mc_text_lyrics_config_default(&cfg);
    const char *out = NULL, *metadata = NULL, *id_column = "track_id", *text_column = "lyrics";
    int threads = 0;
    bool quiet = false;
    const cli_opt opts[] = {
        {"output", 'o', CLI_STRING, &out, "FEATDIR", "feature store (or new folder) to write into (required)"},
        {"metadata", 0, CLI_STRING, &metadata, "FILE", "CSV/TSV with an id column and a lyrics column (required)"},
        {"id-column", 0, CLI_STRING, &id_column, "NAME", "column joined on the store's track_id (default track_id)"},
        {"text-column", 0, CLI_STRING, &text_column, "NAME", "column holding the lyrics (default lyrics)"},
        {"dim", 0, CLI_INT, &cfg.dim, "N", "dimensions of the lyrics vectors (default 64)"},
        {"seed", 0, CLI_U64, &cfg.seed, "S", "seed of the randomised SVD (default 0)"},
        {"min-df", 0, CLI_DOUBLE, &cfg.min_df, "N", "keep terms in at least N tracks (< 1: a fraction; default 2)"},
        {"max-df", 0, CLI_DOUBLE, &cfg.max_df, "F", "keep terms in at most a fraction F of tracks (> 1: a count; default 1.0)"},
        {"threads", 0, CLI_INT, &threads, "N", "worker threads (default: all cores); output is identical for a given N"},
        {"quiet", 'q', CLI_FLAG, &quiet, NULL, "no progress or summary (warnings still shown)"},
    };
    const cli_command cmd = {
        CMD, "musiclust lyrics --metadata FILE [options] -o FEATDIR",
        "Embed the lyrics of every track: word and character (2..4, within words) n-gram TF-IDF\n"
        "(sublinear tf, smooth idf, each block L2-normalised) reduced to --dim dimensions by a\n"
        "randomised truncated SVD, and identify each track's language (en, de, es, fr, it, pt, nl by\n"
        "character n-grams; bn, hi, ta, ko, ja, ru, ar... by script; 'unknown' when unsure).\n"
        "If FEATDIR holds a feature store (tracks.tsv), there is one row per store track, joined on\n"
        "track_id, and a `lyrics_language` label column is added to tracks.tsv and index.tsv (empty\n"
        "for unknown or missing lyrics); otherwise one row per metadata row. Writes lyrics.npy\n"
        "(tracks, dim) float32, lyrics_tracks.tsv (track, track_id, lyrics_language,\n"
        "lyrics_confidence, has_lyrics) and lyrics.json. A track with no lyrics gets a zero vector.",
        opts, (int)(sizeof opts / sizeof opts[0]), 0, 0};
    const char **pos = NULL;
    int npos = 0;
    int rc = cli_parse(&cmd, argc, argv, &pos, &npos);
    free(pos);
    if (rc >= 0) return rc;
    cli_init_logging(quiet);
    if (!out || !metadata) {
        fprintf(stderr, "musiclust " CMD ": %s is required\nusage: %s\n", !metadata ? "--metadata FILE" : "-o FEATDIR",
                cmd.usage);
        return MC_EXIT_USAGE;
    }
    threads = mc_threads_resolve(threads);
    cfg.threads = threads;
    mc_status st = mc_text_lyrics_config_validate(&cfg);
    if (st != MC_STATUS_OK) {
        fprintf(stderr, "musiclust " CMD ": %s\n", mc_error_message());
        return MC_EXIT_USAGE;
    }

    int status = MC_EXIT_OK;
    mc_table meta = {0}, tracks = {0}, index = {0};
    key_row *keys = NULL;
    const char **texts = NULL, **track_ids = NULL, **labels = NULL, **seg_labels = NULL;
    char **track_names = NULL;
    int64_t n = 0, missing = 0;
    mc_lyrics L = {0};
    char *p_tracks = path_join(out, "tracks.tsv"), *p_index = path_join(out, "index.tsv");
    char *p_npy = path_join(out, "lyrics.npy"), *p_tt = path_join(out, "lyrics_tracks.tsv");
    char *p_json = path_join(out, "lyrics.json");
    if (!p_tracks || !p_index || !p_npy || !p_tt || !p_json) { status = fail_input("out of memory"); goto done; }

    st = mc_table_read(metadata, 0, &meta);
    if (st != MC_STATUS_OK) { status = cli_fail(CMD, st); goto done; }
    int idc = mc_table_column(&meta, id_column), txc = mc_table_column(&meta, text_column);
    if (idc < 0 || txc < 0) {
        char cols[1024];
        list_columns(&meta, cols, sizeof cols);
        status = fail_input("%s: no column '%s' (columns: %s); use %s", metadata, idc < 0 ? id_column : text_column,
                            cols, idc < 0 ? "--id-column" : "--text-column");
        goto done;
    }

    bool store = file_exists(p_tracks);
    if (store) {
        st = mc_table_read(p_tracks, '\t', &tracks);
        if (st != MC_STATUS_OK) { status = cli_fail(CMD, st); goto done; }
        if (mc_table_column(&tracks, "track_id") < 0 || mc_table_column(&tracks, "track") < 0) {
            status = fail_input("%s: expected columns track and track_id (a store written by musiclust extract)", p_tracks);
            goto done;
        }
        n = tracks.nrows;
    } else {
        st = mc_mkdirs(out);
        if (st != MC_STATUS_OK) { status = cli_fail(CMD, st); goto done; }
        n = meta.nrows;
    }
    if (n == 0) { status = fail_input("%s: no rows", store ? p_tracks : metadata); goto done; }
    texts = calloc((size_t)n, sizeof *texts);
    track_ids = calloc((size_t)n, sizeof *track_ids);
    track_names = calloc((size_t)n, sizeof *track_names);
    keys = malloc((size_t)(meta.nrows ? meta.nrows : 1) * sizeof *keys);
    if (!texts || !track_ids || !track_names || !keys) { status = fail_input("out of memory"); goto done; }
    if (store) {
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
        int tid = mc_table_column(&tracks, "track_id"), tcol = mc_table_column(&tracks, "track");
        for (int64_t i = 0; i < n; i++) {
            track_ids[i] = mc_table_get(&tracks, i, tid);
            track_names[i] = mc_strdup(mc_table_get(&tracks, i, tcol));
            int64_t r = find_key(keys, u, track_ids[i]);
            if (r < 0) missing++;
            texts[i] = r >= 0 ? mc_table_get(&meta, r, txc) : NULL;
        }
        if (missing > 0)
            mc_log(MC_LOG_LEVEL_WARN, "%lld of %lld store tracks have no row in %s (zero vectors)", (long long)missing,
                   (long long)n, metadata);
    } else {
        for (int64_t i = 0; i < n; i++) {
            char num[32];
            snprintf(num, sizeof num, "%lld", (long long)i);
            track_ids[i] = mc_table_get(&meta, i, idc);
            track_names[i] = mc_strdup(num);
            texts[i] = mc_table_get(&meta, i, txc);
        }
    }
    for (int64_t i = 0; i < n; i++)
        if (!track_names[i]) { status = fail_input("out of memory"); goto done; }

    mc_progress *bar = cli_progress(quiet, "lyrics", n);
    cfg.progress = bar;
    st = mc_text_lyrics_embed(&cfg, texts, n, &L);
    if (st == MC_STATUS_OK) mc_progress_finish(bar);
    mc_progress_free(bar);
    if (st != MC_STATUS_OK) {
        status = st == MC_STATUS_EMPTY ? fail_input("%s: %s (column '%s')", metadata, mc_error_message(), text_column)
                                       : cli_fail(CMD, st);
        goto done;
    }

    /* lyrics.npy */
    int64_t shape[2] = {n, L.dim};
    st = mc_npy_write(p_npy, MC_DTYPE_F32, 2, shape, L.vectors);
    if (st != MC_STATUS_OK) { status = cli_fail(CMD, st); goto done; }

    /* lyrics_tracks.tsv */
    {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f) { status = fail_input("out of memory"); goto done; }
        fputs("track\ttrack_id\tlyrics_language\tlyrics_confidence\thas_lyrics\n", f);
        for (int64_t i = 0; i < n; i++) {
            mc_csv_write_field(f, track_names[i], '\t');
            fputc('\t', f);
            mc_csv_write_field(f, track_ids[i], '\t');
            fprintf(f, "\t%s\t%.4f\t%d\n", L.has_lyrics[i] ? L.language[i].language : "",
                    L.has_lyrics[i] ? L.language[i].confidence : 0.0, L.has_lyrics[i] ? 1 : 0);
        }
        fclose(f);
        st = mc_file_write_atomic(p_tt, buf, len);
        free(buf);
        if (st != MC_STATUS_OK) { status = cli_fail(CMD, st); goto done; }
    }

    /* The label column: a language, or "" (unlabelled for `evaluate`) for unknown / no lyrics. */
    labels = calloc((size_t)n, sizeof *labels);
    if (!labels) { status = fail_input("out of memory"); goto done; }
    for (int64_t i = 0; i < n; i++)
        labels[i] = L.has_lyrics[i] && strcmp(L.language[i].language, "unknown") != 0 ? L.language[i].language : "";
    if (store) {
        st = rewrite_with_column(&tracks, p_tracks, "lyrics_language", labels);
        if (st != MC_STATUS_OK) { status = cli_fail(CMD, st); goto done; }
        if (file_exists(p_index)) {
            st = mc_table_read(p_index, '\t', &index);
            if (st != MC_STATUS_OK) { status = cli_fail(CMD, st); goto done; }
            int tc = mc_table_column(&index, "track");
            if (tc < 0) { status = fail_input("%s: no 'track' column", p_index); goto done; }
            seg_labels = calloc((size_t)(index.nrows ? index.nrows : 1), sizeof *seg_labels);
            key_row *tk = malloc((size_t)n * sizeof *tk);
            if (!seg_labels || !tk) { free(tk); status = fail_input("out of memory"); goto done; }
            for (int64_t i = 0; i < n; i++) tk[i] = (key_row){track_names[i], i};
            qsort(tk, (size_t)n, sizeof *tk, cmp_key_row);
            for (int64_t r = 0; r < index.nrows; r++) {
                int64_t t = find_key(tk, n, mc_table_get(&index, r, tc));
                if (t < 0) {
                    free(tk);
                    status = fail_input("%s line %lld: track '%s' is not in %s", p_index, (long long)r + 2,
                                        mc_table_get(&index, r, tc), p_tracks);
                    goto done;
                }
                seg_labels[r] = labels[t];
            }
            free(tk);
            st = rewrite_with_column(&index, p_index, "lyrics_language", seg_labels);
            if (st != MC_STATUS_OK) { status = cli_fail(CMD, st); goto done; }
        }
    }

    st = write_json(p_json, metadata, id_column, text_column, &cfg, threads, store, missing, &L);
    if (st != MC_STATUS_OK) { status = cli_fail(CMD, st); goto done; }

    if (!quiet) {
        printf("embedded lyrics of %lld tracks in %.2f s -> %s (%lld x %d)\n", (long long)n, L.seconds, p_npy,
               (long long)n, L.dim);
        printf("  %lld with lyrics, %lld without (zero vectors, has_lyrics = 0)", (long long)L.n_with_lyrics,
               (long long)(n - L.n_with_lyrics));
        if (store) printf(", %lld without a metadata row", (long long)missing);
        printf("\n  vocabulary: %lld words, %lld character n-grams; SVD rank %d\n  languages:",
               (long long)L.n_word_terms, (long long)L.n_char_terms, L.rank);
        lang_count lc;
        count_languages(&L, &lc);
        for (int k = 0; k < lc.n; k++) printf(" %s %lld", lc.code[k], (long long)lc.count[k]);
        printf("\n");
        if (store) printf("  added column lyrics_language to %s%s\n", p_tracks, seg_labels ? " and index.tsv" : "");
    }

done:
    mc_text_lyrics_free(&L);
    mc_table_free(&meta);
    mc_table_free(&tracks);
    mc_table_free(&index);
    free(keys);
    free(texts);
    free(track_ids);
    if (track_names)
        for (int64_t i = 0; i < n; i++) free(track_names[i]);
    free(track_names);
    free(labels);
    free(seg_labels);
    free(p_tracks);
    free(p_index);
    free(p_npy);
    free(p_tt);
    free(p_json);
    return status;
}
