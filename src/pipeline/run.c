/* `musiclust run`: the experiments of the easy, medium and hard tasks as resumable stages (pipeline.h).
 * Each stage computes its configuration hash, skips itself when its record matches and its outputs
 * exist, and otherwise writes its outputs atomically and then its record. */
#include "pipeline_eval.h"

#include <musiclust/audio.h>
#include <musiclust/dsp.h>
#include <musiclust/embed.h>
#include <musiclust/metrics.h>
#include <musiclust/models.h>
#include <musiclust/nn.h>
#include <musiclust/plot.h>
#include <musiclust/text.h>

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEEDS 64
#define MAX_REPS 12
#define MAX_COLS 8
#define N_EXAMPLES 4

void mc_run_config_default(mc_run_config *c) {
    memset(c, 0, sizeof *c);
    c->tasks = MC_PIPELINE_TASK_ALL;
    mc_extract_config_default(&c->extract);
    c->text_column = "lyrics";
    c->lyrics_dim = 64;
    c->seeds = 3;
    c->k_max = 10;
    c->conv_budget = 8000;
    c->conv_min_epochs = 1;
    c->conv_max_epochs = 20;
    c->conv_batch = 32;
    c->maps = true;
    c->report = true;
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

/* ---------------------------------------------------------------- the run's state */

typedef enum rep_kind { REP_RAW, REP_PCA, REP_MODEL, REP_CONCAT } rep_kind;

typedef struct rep {
    char id[32];
    char name[96];
    rep_kind kind;
    mc_model_kind model;
    mc_model_input input;
    bool mm_input;      /* MLP input [vectors ; lyrics vector] */
    bool conditioned;   /* cvae on the main label */
    unsigned tasks;
    unsigned algos;     /* PL_ALGO_* */
    bool evaluated;     /* rows in metrics.csv */
    bool show;          /* t-SNE/UMAP, heatmaps */
    bool recon;         /* reconstruction examples (first seed) */
    int n_seeds;        /* seeds computed */
    bool seeded;        /* latents per seed */
    char leaked[128];
    char description[512];
    char note[256];
    int epochs;
    char hash[MAX_SEEDS][17];
    char cluster_hash[17];
    char embed_hash[17];
} rep;

typedef struct run {
    const mc_run_config *cfg;
    char *dir;
    pl_stages S;
    int threads;
    bool quietless;
    char extract_hash[17], data_hash[17];
    bool have_lyrics;
    mc_store store;
    bool store_open;
    int64_t n, n_tracks;
    int64_t *track_of;      // (n)
    float *common;          // (n, dc) z-scored vectors: the one common space
    int dc;
    char main_label[64];
    char cols[MAX_COLS][64];
    int n_cols;
    int32_t *codes[MAX_COLS];   // (n) each
    char **classes[MAX_COLS];
    int n_classes[MAX_COLS];
    int k;
    char k_source[96];
    rep reps[MAX_REPS];
    int n_reps;
    char *notes[16];
    int n_notes;
    int64_t examples[N_EXAMPLES];
    int n_examples;
    int conv_epochs;
    int64_t conv_rows;
    bool conv_limited;
    pl_hash all;            /* every stage hash of this run, for the report stage */
    mc_pipeline_lyrics_summary lyr;
} run;

static void add_note(run *R, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void add_note(run *R, const char *fmt, ...) {
    if (R->n_notes >= 16) return;
    va_list ap;
    va_start(ap, fmt);
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *s = mc_strdup(buf);
    if (s) R->notes[R->n_notes++] = s;
}

/* Threads for the clustering, metrics and maps of a small store: their outputs do not depend on the
 * thread count (cluster.h, metrics.h, embed.h), and below ~1000 rows the parallel regions cost more
 * than they save (on a busy machine a descheduled worker stalls every barrier). */
static int light_threads(const run *R) { return R->n < 1000 ? 1 : R->threads; }

static mc_progress *bar(run *R, const char *label, int64_t total) {
    return R->cfg->progress ? R->cfg->progress(R->cfg->progress_user, label, total) : NULL;
}

static void bar_end(mc_progress *p, bool ok) {
    if (ok) mc_progress_finish(p);
    mc_progress_free(p);
}

/* Stage prologue: true (and the timing recorded) when the stage is fresh. */
static bool cached(run *R, const char *name, const char *hash, const char *const *outs, int n_out) {
    double when = 0;
    pl_hash_str(&R->all, name, hash);
    if (!pl_stage_fresh(&R->S, name, hash, outs, n_out, &when)) return false;
    pl_stage_time(&R->S, name, false, 0, when);
    mc_log(MC_LOG_LEVEL_INFO, "%-34s cached (%.1f s when computed)", name, when);
    return true;
}

static mc_status commit(run *R, const char *name, const char *hash, double t0, const char *const *keys,
                        const char *const *vals, int n) {
    double dt = pl_now() - t0;
    mc_status st = pl_stage_commit(&R->S, name, hash, dt, keys, vals, n);
    if (st == MC_STATUS_OK) {
        pl_stage_time(&R->S, name, true, dt, dt);
        mc_log(MC_LOG_LEVEL_INFO, "%-34s done in %.1f s", name, dt);
    }
    return st;
}

/* ---------------------------------------------------------------- extract, lyrics */

static mc_status stage_extract(run *R, const char *const *inputs, int n_inputs) {
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
    if (cached(R, "extract", R->extract_hash, outs, 5)) return MC_STATUS_OK;
    double t0 = pl_now();
    mc_extract_config ec = c->extract;
    ec.threads = R->threads;
    char *fd = pl_fmt("%s/features", R->dir);
    if (!fd) return MC_STATUS_NO_MEMORY;
    mc_extract_summary sum;
    mc_progress *p = bar(R, "extract", 0);
    st = mc_data_extract(&ec, inputs, n_inputs, fd, p, &sum);
    bar_end(p, st == MC_STATUS_OK);
    free(fd);
    if (st != MC_STATUS_OK) return st;
    return commit(R, "extract", R->extract_hash, t0, NULL, NULL, 0);
}

/* Whether the metadata table has the lyrics column (read only the header line's worth: the whole table,
 * since mc_table_read is the one reader; metadata tables are small). */
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

static mc_status stage_lyrics(run *R) {
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
    pl_hash_int(&h, "dim", lc.dim);
    pl_hash_u64(&h, "seed", lc.seed);
    pl_hash_dbl(&h, "min_df", lc.min_df);
    pl_hash_dbl(&h, "max_df", lc.max_df);
    pl_hash_int(&h, "threads", R->threads);
    pl_hash_hex(&h, R->data_hash);
    static const char *const outs[] = {"features/lyrics.npy", "features/lyrics_tracks.tsv", "features/lyrics.json"};
    R->have_lyrics = true;
    char v[64];
    if (cached(R, "lyrics", R->data_hash, outs, 3)) {
        if (pl_stage_value(&R->S, "lyrics", "with_lyrics", v, sizeof v)) R->lyr.with_lyrics = strtoll(v, NULL, 10);
        if (pl_stage_value(&R->S, "lyrics", "languages", v, sizeof v)) R->lyr.languages = strtoll(v, NULL, 10);
        return MC_STATUS_OK;
    }
    double t0 = pl_now();
    char *fd = pl_fmt("%s/features", R->dir);
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
    return commit(R, "lyrics", R->data_hash, t0, keys, vals, 2);
}

/* ---------------------------------------------------------------- labels, tracks, the common space */

static int count_classes(const mc_store *s, const char *col) {
    int32_t *codes = malloc((size_t)(s->n ? s->n : 1) * sizeof *codes);
    char **cl = NULL;
    int nc = 0;
    if (!codes) return -1;
    if (mc_store_label_codes(s, col, codes, &cl, &nc) != MC_STATUS_OK) {
        mc_error_clear();
        nc = -1;
    }
    mc_store_free_classes(cl, nc > 0 ? nc : 0);
    free(codes);
    return nc;
}

static bool has_label_column(const mc_store *s, const char *col) {
    int n = 0;
    const char *const *c = mc_store_label_columns(s, &n);
    for (int i = 0; i < n; i++)
        if (strcmp(c[i], col) == 0) return true;
    return false;
}

static mc_status prepare(run *R) {
    const mc_run_config *c = R->cfg;
    char *fd = pl_fmt("%s/features", R->dir);
    if (!fd) return MC_STATUS_NO_MEMORY;
    mc_status st = mc_store_open(fd, &R->store);
    free(fd);
    if (st != MC_STATUS_OK) return st;
    R->store_open = true;
    const mc_store *s = &R->store;
    R->n = s->n;
    if (R->n < 4) return mc_error_set(MC_STATUS_EMPTY, "%s/features: %lld segments; clustering needs at least 4", R->dir, (long long)R->n);
    /* tracks */
    R->track_of = malloc((size_t)R->n * sizeof *R->track_of);
    if (!R->track_of) return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
    if ((st = mc_store_tracks(s, R->track_of)) != MC_STATUS_OK) return st;
    int64_t T = 0;
    for (int64_t i = 0; i < R->n; i++)
        if (R->track_of[i] + 1 > T) T = R->track_of[i] + 1;
    R->n_tracks = T;
    /* the common space: z-scored vectors (mfcc_stats.npy) */
    const int d = (int)s->vectors.shape[1];
    R->dc = d;
    R->common = mc_alloc((size_t)R->n * (size_t)d, sizeof(float));
    float *mean = mc_alloc((size_t)d, sizeof(float)), *sd = mc_alloc((size_t)d, sizeof(float));
    if (!R->common || !mean || !sd) {
        mc_free(mean);
        mc_free(sd);
        return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
    }
    memcpy(R->common, s->vectors.data, (size_t)R->n * (size_t)d * sizeof(float));
    mc_data_zscore_fit(R->common, R->n, d, mean, sd);
    mc_data_zscore_apply(R->common, R->n, d, mean, sd);
    mc_free(mean);
    mc_free(sd);
    /* the main label and the evaluated columns */
    static const char *const genre_like[] = {"genre", "tag", "label", "style"};
    if (c->label) {
        if (!has_label_column(s, c->label))
            return mc_error_set(MC_STATUS_INVALID_ARG, "--label %s: the store has no such label column", c->label);
        int nc = count_classes(s, c->label);
        if (nc < 2)
            return mc_error_set(MC_STATUS_INVALID_ARG, "--label %s: the column has %d class%s; it needs at least 2",
                                c->label, nc < 0 ? 0 : nc, nc == 1 ? "" : "es");
        snprintf(R->main_label, sizeof R->main_label, "%s", c->label);
        snprintf(R->cols[R->n_cols++], 64, "%s", c->label);
    }
    for (size_t i = 0; i < sizeof genre_like / sizeof *genre_like; i++) {
        if (!has_label_column(s, genre_like[i]) || (c->label && strcmp(c->label, genre_like[i]) == 0)) continue;
        if (count_classes(s, genre_like[i]) < 2) continue;
        if (!R->main_label[0]) snprintf(R->main_label, sizeof R->main_label, "%s", genre_like[i]);
        snprintf(R->cols[R->n_cols++], 64, "%s", genre_like[i]);
    }
    static const char *const lang[] = {"language", "lyrics_language"};
    for (size_t i = 0; i < 2 && R->n_cols < MAX_COLS; i++) {
        if (!has_label_column(s, lang[i]) || (c->label && strcmp(c->label, lang[i]) == 0)) continue;
        if (count_classes(s, lang[i]) < 2) continue;
        snprintf(R->cols[R->n_cols++], 64, "%s", lang[i]);
    }
    for (int k = 0; k < R->n_cols; k++) {
        R->codes[k] = malloc((size_t)R->n * sizeof(int32_t));
        if (!R->codes[k]) return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
        if ((st = mc_store_label_codes(s, R->cols[k], R->codes[k], &R->classes[k], &R->n_classes[k])) != MC_STATUS_OK)
            return st;
    }
    /* reconstruction examples: the first row of each of the first classes of the main label, else
     * rows spread over the store */
    R->n_examples = 0;
    if (R->main_label[0]) {
        for (int cls = 0; cls < R->n_classes[0] && R->n_examples < N_EXAMPLES; cls++)
            for (int64_t i = 0; i < R->n; i++)
                if (R->codes[0][i] == cls) {
                    R->examples[R->n_examples++] = i;
                    break;
                }
    } else {
        for (int e = 0; e < N_EXAMPLES && e < R->n; e++) R->examples[R->n_examples++] = (int64_t)e * R->n / N_EXAMPLES;
    }
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- k */

static mc_status choose_k(run *R) {
    const mc_run_config *c = R->cfg;
    if (c->k > 0) {
        R->k = c->k;
        snprintf(R->k_source, sizeof R->k_source, "given (--k)");
    } else if (R->main_label[0]) {
        R->k = R->n_classes[0];
        snprintf(R->k_source, sizeof R->k_source, "the number of classes of '%s'", R->main_label);
    } else {
        pl_hash h;
        pl_hash_init(&h, "ksweep");
        pl_hash_str(&h, "data", R->data_hash);
        pl_hash_int(&h, "k_max", c->k_max);
        pl_hash_u64(&h, "seed", c->first_seed);
        pl_hash_int(&h, "threads", R->threads);
        char hash[17];
        pl_hash_hex(&h, hash);
        static const char *const outs[] = {"ksweep.tsv"};
        char v[32];
        if (cached(R, "ksweep", hash, outs, 1) && pl_stage_value(&R->S, "ksweep", "k", v, sizeof v)) {
            R->k = atoi(v);
        } else {
            double t0 = pl_now();
            mc_cluster_config cc;
            mc_cluster_config_default(&cc);
            cc.seed = c->first_seed;
            cc.threads = light_threads(R);
            mc_ksweep sw;
            mc_status st = mc_pipeline_choose_k(&cc, R->common, R->n, R->dc, c->k_max, 10000, NULL, &sw);
            if (st != MC_STATUS_OK) return st;
            R->k = sw.chosen_k;
            char *buf = NULL;
            size_t len = 0;
            FILE *f = open_memstream(&buf, &len);
            if (f) {
                fputs("k\tsilhouette\tinertia\n", f);
                for (int i = 0; i < sw.n_points; i++)
                    fprintf(f, "%d\t%.17g\t%.17g\n", sw.points[i].k, sw.points[i].silhouette, sw.points[i].inertia);
                fclose(f);
            }
            mc_pipeline_ksweep_free(&sw);
            char *p = pl_fmt("%s/ksweep.tsv", R->dir);
            st = buf && p ? mc_file_write_atomic(p, buf, len) : mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
            free(buf);
            free(p);
            if (st != MC_STATUS_OK) return st;
            snprintf(v, sizeof v, "%d", R->k);
            const char *keys[1] = {"k"}, *vals[1] = {v};
            if ((st = commit(R, "ksweep", hash, t0, keys, vals, 1)) != MC_STATUS_OK) return st;
        }
        snprintf(R->k_source, sizeof R->k_source, "the silhouette sweep over k = 2..%d (k-means, common space)", c->k_max);
    }
    if (R->k > R->n - 1) R->k = (int)(R->n - 1);
    if (R->k < 2) R->k = 2;
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- the representations */

static rep *add_rep(run *R, const char *id, const char *name, rep_kind kind, unsigned tasks, unsigned algos) {
    for (int i = 0; i < R->n_reps; i++)
        if (strcmp(R->reps[i].id, id) == 0) { /* shared by several tasks */
            R->reps[i].tasks |= tasks;
            R->reps[i].algos |= algos;
            if (algos) R->reps[i].evaluated = true;
            return &R->reps[i];
        }
    rep *r = &R->reps[R->n_reps++];
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", id);
    snprintf(r->name, sizeof r->name, "%s", name);
    r->kind = kind;
    r->tasks = tasks;
    r->algos = algos;
    r->evaluated = algos != 0;
    r->n_seeds = kind == REP_RAW || kind == REP_PCA ? 1 : R->cfg->seeds;
    r->seeded = kind == REP_MODEL || kind == REP_CONCAT;
    return r;
}

static void build_reps(run *R) {
    const unsigned T = R->cfg->tasks;
    const unsigned ALL3 = PL_ALGO_KMEANS | PL_ALGO_AGGLO | PL_ALGO_DBSCAN;
    rep *r;
    if (T & MC_PIPELINE_TASK_EASY) {
        r = add_rep(R, "vae", "vae", REP_MODEL, MC_PIPELINE_TASK_EASY, PL_ALGO_KMEANS);
        r->model = MC_MODEL_KIND_VAE;
        r->show = true;
        snprintf(r->description, sizeof r->description, "MLP VAE (64 hidden, latent 4, beta 1) on the MFCC statistics; latent means");
        r = add_rep(R, "pca", "pca", REP_PCA, MC_PIPELINE_TASK_EASY, PL_ALGO_KMEANS);
        snprintf(r->description, sizeof r->description, "PCA of the z-scored MFCC statistics to 4 components (the vae's latent size)");
    }
    if (T & MC_PIPELINE_TASK_MEDIUM) {
        r = add_rep(R, "conv-vae", "conv-vae", REP_MODEL, MC_PIPELINE_TASK_MEDIUM, ALL3);
        r->model = MC_MODEL_KIND_CONV_VAE;
        r->input = MC_MODEL_INPUT_LOGMEL;
        r->show = true;
        snprintf(r->description, sizeof r->description, "conv beta-VAE (beta 4, latent 32) on 128 x 128 log-mel patches; latent means");
        if (R->have_lyrics) {
            r = add_rep(R, "conv-vae-lyrics", "conv-vae+lyrics(concat)", REP_CONCAT, MC_PIPELINE_TASK_MEDIUM, ALL3);
            r->show = true;
            snprintf(r->description, sizeof r->description,
                     "audio + lyrics by concatenation (no multimodal model): the z-scored conv-vae latent and the "
                     "track's z-scored lyrics vector, each block scaled by 1/sqrt(its width)");
            r = add_rep(R, "mm-vae", "mm-vae", REP_MODEL, MC_PIPELINE_TASK_MEDIUM, ALL3);
            r->model = MC_MODEL_KIND_MM_VAE;
            r->show = true;
            snprintf(r->description, sizeof r->description,
                     "multimodal VAE: an MLP audio encoder on the MFCC statistics and an MLP lyrics encoder on the "
                     "track's lyrics vector fused into one latent (4), two decoders; rows without lyrics use the "
                     "learned missing-lyrics embedding");
        }
    }
    if (T & MC_PIPELINE_TASK_HARD) {
        r = add_rep(R, "beta-vae", "beta-vae", REP_MODEL, MC_PIPELINE_TASK_HARD, PL_ALGO_KMEANS);
        r->model = MC_MODEL_KIND_BETA_VAE;
        r->show = true;
        snprintf(r->description, sizeof r->description, "MLP beta-VAE (beta 4, latent 4) on the MFCC statistics");
        if (R->main_label[0]) {
            char name[96];
            snprintf(name, sizeof name, "cvae(%s)", R->main_label);
            r = add_rep(R, "cvae", name, REP_MODEL, MC_PIPELINE_TASK_HARD, PL_ALGO_KMEANS);
            r->model = MC_MODEL_KIND_CVAE;
            r->conditioned = true;
            r->show = true;
            snprintf(r->leaked, sizeof r->leaked, "%s", R->main_label);
            snprintf(r->description, sizeof r->description,
                     "MLP conditional VAE on the MFCC statistics, encoder and decoder given a one-hot of '%s' "
                     "(its scores against '%s' are leaked)", R->main_label, R->main_label);
            if (R->have_lyrics) {
                snprintf(name, sizeof name, "cvae(%s)[audio+lyrics]", R->main_label);
                r = add_rep(R, "cvae-mm", name, REP_MODEL, MC_PIPELINE_TASK_HARD, PL_ALGO_KMEANS);
                r->model = MC_MODEL_KIND_CVAE;
                r->conditioned = true;
                r->mm_input = true;
                r->show = true;
                snprintf(r->leaked, sizeof r->leaked, "%s", R->main_label);
                snprintf(r->description, sizeof r->description,
                         "the audio + lyrics + %s configuration: an MLP conditional VAE on [MFCC statistics ; the "
                         "track's lyrics vector], conditioned on '%s' (its scores against '%s' are leaked)",
                         R->main_label, R->main_label, R->main_label);
            }
        }
        r = add_rep(R, "pca", "pca", REP_PCA, MC_PIPELINE_TASK_HARD, PL_ALGO_KMEANS);
        snprintf(r->description, sizeof r->description, "PCA of the z-scored MFCC statistics to 4 components (the vae's latent size)");
        r = add_rep(R, "ae", "ae", REP_MODEL, MC_PIPELINE_TASK_HARD, PL_ALGO_KMEANS);
        r->model = MC_MODEL_KIND_AE;
        snprintf(r->description, sizeof r->description, "MLP autoencoder (no KL) on the MFCC statistics; its code");
        r = add_rep(R, "raw", "raw(z-scored mfcc stats)", REP_RAW, MC_PIPELINE_TASK_HARD, PL_ALGO_KMEANS);
        r->show = true;
        snprintf(r->description, sizeof r->description, "the z-scored MFCC statistics themselves (the common space)");
        /* reconstruction examples need the conv-vae and the vae (first seed) even when their tasks are off */
        r = add_rep(R, "conv-vae", "conv-vae", REP_MODEL, 0, 0);
        r->model = MC_MODEL_KIND_CONV_VAE;
        r->input = MC_MODEL_INPUT_LOGMEL;
        r->recon = true;
        if (!r->description[0])
            snprintf(r->description, sizeof r->description, "conv beta-VAE (beta 4, latent 32) on 128 x 128 log-mel patches; latent means");
        if (!r->evaluated) r->n_seeds = 1;
        r = add_rep(R, "vae", "vae", REP_MODEL, 0, 0);
        r->model = MC_MODEL_KIND_VAE;
        r->recon = true;
        if (!r->description[0])
            snprintf(r->description, sizeof r->description, "MLP VAE (64 hidden, latent 4, beta 1) on the MFCC statistics; latent means");
        if (!r->evaluated) r->n_seeds = 1;
    }
}

static const char *tasks_text(unsigned t, char *buf, size_t cap) {
    snprintf(buf, cap, "%s%s%s%s%s", t & 1 ? "easy" : "", (t & 1) && (t & 6) ? " " : "", t & 2 ? "medium" : "",
             (t & 2) && (t & 4) ? " " : "", t & 4 ? "hard" : "");
    if (!buf[0]) snprintf(buf, cap, "(reconstructions)");
    return buf;
}

/* ---------------------------------------------------------------- deterministic spaces */

static mc_status stage_space(run *R, rep *r) {
    char name[96];
    snprintf(name, sizeof name, "space.%s", r->id);
    pl_hash h;
    pl_hash_init(&h, "space");
    pl_hash_str(&h, "data", R->data_hash);
    pl_hash_str(&h, "id", r->id);
    pl_hash_int(&h, "components", 4);
    pl_hash_hex(&h, r->hash[0]);
    char *out = pl_fmt("latents/%s.npy", r->id);
    if (!out) return MC_STATUS_NO_MEMORY;
    const char *outs[1] = {out};
    mc_status st = MC_STATUS_OK;
    if (!cached(R, name, r->hash[0], outs, 1)) {
        double t0 = pl_now();
        char *path = pl_fmt("%s/%s", R->dir, out);
        if (!path) st = MC_STATUS_NO_MEMORY;
        if (st == MC_STATUS_OK && r->kind == REP_RAW) {
            int64_t shape[2] = {R->n, R->dc};
            st = mc_npy_write(path, MC_DTYPE_F32, 2, shape, R->common);
        } else if (st == MC_STATUS_OK) {
            int nc = R->dc < 4 ? R->dc : 4;
            mc_pca pca;
            float *Z = mc_alloc((size_t)R->n * (size_t)nc, sizeof(float));
            st = Z ? mc_cluster_pca_fit(R->common, R->n, R->dc, nc, false, &pca) : MC_STATUS_NO_MEMORY;
            if (st == MC_STATUS_OK) {
                st = mc_cluster_pca_transform(&pca, R->common, R->n, R->dc, Z);
                mc_cluster_pca_free(&pca);
            }
            int64_t shape[2] = {R->n, nc};
            if (st == MC_STATUS_OK) st = mc_npy_write(path, MC_DTYPE_F32, 2, shape, Z);
            mc_free(Z);
        }
        free(path);
        if (st == MC_STATUS_OK) st = commit(R, name, r->hash[0], t0, NULL, NULL, 0);
    }
    free(out);
    return st;
}

/* ---------------------------------------------------------------- models */

/* The lyrics vector of every row's track: (n, L) and has_lyrics (n). */
static mc_status lyrics_rows(run *R, float **out, uint8_t **has, int *L_out) {
    char *p = pl_fmt("%s/features/lyrics.npy", R->dir), *pt = pl_fmt("%s/features/lyrics_tracks.tsv", R->dir);
    mc_array a = {0};
    mc_table t = {0};
    float *x = NULL;
    uint8_t *h = NULL;
    int64_t *row_of_track = NULL;
    mc_status st = p && pt ? mc_npy_read_f32(p, &a) : MC_STATUS_NO_MEMORY;
    if (st == MC_STATUS_OK) st = mc_table_read(pt, '\t', &t);
    if (st == MC_STATUS_OK && (a.ndim != 2 || a.shape[0] != t.nrows))
        st = mc_error_set(MC_STATUS_FORMAT, "%s: %lld rows but %s has %lld", p, a.ndim ? (long long)a.shape[0] : 0LL, pt,
                          (long long)t.nrows);
    int tc = mc_table_column(&t, "track"), hc = mc_table_column(&t, "has_lyrics");
    if (st == MC_STATUS_OK && (tc < 0 || hc < 0))
        st = mc_error_set(MC_STATUS_FORMAT, "%s: no track / has_lyrics column", pt);
    if (st == MC_STATUS_OK) {
        const int L = (int)a.shape[1];
        x = mc_alloc((size_t)R->n * (size_t)L, sizeof(float));
        h = mc_alloc((size_t)R->n, 1);
        row_of_track = malloc((size_t)R->n_tracks * sizeof *row_of_track);
        if (!x || !h || !row_of_track) st = mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
        for (int64_t i = 0; st == MC_STATUS_OK && i < R->n_tracks; i++) row_of_track[i] = -1;
        for (int64_t r = 0; st == MC_STATUS_OK && r < t.nrows; r++) {
            long long tr = strtoll(mc_table_get(&t, r, tc), NULL, 10);
            if (tr >= 0 && tr < R->n_tracks) row_of_track[tr] = r;
        }
        for (int64_t i = 0; st == MC_STATUS_OK && i < R->n; i++) {
            int64_t r = row_of_track[R->track_of[i]];
            if (r < 0) continue; /* no lyrics row: zeros, has_lyrics 0 */
            memcpy(x + i * L, (const float *)a.data + r * L, (size_t)L * sizeof(float));
            h[i] = strcmp(mc_table_get(&t, r, hc), "1") == 0;
        }
        *L_out = L;
    }
    free(p);
    free(pt);
    free(row_of_track);
    mc_array_free(&a);
    mc_table_free(&t);
    if (st != MC_STATUS_OK) {
        mc_free(x);
        mc_free(h);
        return st;
    }
    *out = x;
    *has = h;
    return MC_STATUS_OK;
}

static void model_config(run *R, const rep *r, mc_model_config *mc, int64_t n_rows, int64_t *train_rows) {
    const mc_run_config *c = R->cfg;
    mc_model_config_default(r->model, mc);
    mc->input = r->input;
    if (r->conditioned) mc->condition = R->main_label;
    *train_rows = n_rows;
    if (r->input == MC_MODEL_INPUT_LOGMEL) {
        int64_t budget = c->fast ? 64 : c->conv_budget;
        int maxe = c->fast ? 1 : c->conv_max_epochs, mine = c->conv_min_epochs < 1 ? 1 : c->conv_min_epochs;
        if (mine > maxe) mine = maxe;
        int64_t e = budget / (n_rows > 0 ? n_rows : 1);
        if (e < mine) e = mine;
        if (e > maxe) e = maxe;
        mc->epochs = (int)e;
        if (e * n_rows > budget && e == 1 && budget < n_rows) *train_rows = budget > 0 ? budget : 1;
        mc->batch = c->conv_batch > 0 ? c->conv_batch : 32;
        mc->precision = c->precision;
    } else {
        mc->epochs = c->fast ? 12 : c->mlp_epochs > 0 ? c->mlp_epochs : mc->epochs;
    }
}

static mc_status write_examples_tsv(run *R) {
    char *p = pl_fmt("%s/recon/examples.tsv", R->dir);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = p ? open_memstream(&buf, &len) : NULL;
    if (!f) {
        free(p);
        return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
    }
    int tc = mc_table_column(&R->store.index, "track");
    fputs("example\trow\ttrack\tlabel\n", f);
    for (int e = 0; e < R->n_examples; e++) {
        int64_t i = R->examples[e];
        fprintf(f, "%d\t%lld\t", e, (long long)i);
        mc_csv_write_field(f, tc >= 0 ? mc_table_get(&R->store.index, i, tc) : "", '\t');
        fputc('\t', f);
        mc_csv_write_field(f, R->main_label[0] && R->codes[0][i] >= 0 ? R->classes[0][R->codes[0][i]] : "", '\t');
        fputc('\n', f);
    }
    mc_status st = fclose(f) == 0 && buf ? mc_file_write_atomic(p, buf, len) : mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
    free(buf);
    free(p);
    return st;
}

/* original and reconstructed examples of the first seed's model */
static mc_status write_recon(run *R, const rep *r, mc_model *m, const mc_model_data *data) {
    int nd = 0;
    int64_t shape[3];
    mc_model_input_shape(m, &nd, shape);
    const int64_t E = R->n_examples;
    const int64_t row = data->ndim == 2 ? data->shape[1] : data->shape[1] * data->shape[2];
    const int64_t per = nd == 1 ? shape[0] : shape[0] * shape[1]; /* model's row: (F) or (n_mels, frames used) */
    float *x = mc_alloc((size_t)(E * row), sizeof(float));         // (E, row) the example rows
    float *orig = mc_alloc((size_t)(E * per), sizeof(float));      // (E, per) cropped as the model sees them
    float *rec = mc_alloc((size_t)(E * per), sizeof(float));
    float *mu = mc_alloc((size_t)(E * mc_model_latent_dim(m)), sizeof(float));
    mc_status st = x && orig && rec && mu ? MC_STATUS_OK : mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
    for (int64_t e = 0; st == MC_STATUS_OK && e < E; e++) {
        const float *src = data->x + R->examples[e] * row;
        memcpy(x + e * row, src, (size_t)row * sizeof(float));
        if (nd == 1) memcpy(orig + e * per, src, (size_t)per * sizeof(float));
        else
            for (int64_t b = 0; b < shape[0]; b++)
                memcpy(orig + e * per + b * shape[1], src + b * data->shape[2], (size_t)shape[1] * sizeof(float));
    }
    if (st == MC_STATUS_OK) {
        mc_model_data ex;
        memset(&ex, 0, sizeof ex);
        ex.n = E;
        ex.ndim = data->ndim;
        ex.shape[0] = E;
        ex.shape[1] = data->shape[1];
        ex.shape[2] = data->shape[2];
        ex.x = x;
        st = mc_model_encode(m, &ex, R->threads, mu, rec, NULL);
    }
    char *po = pl_fmt("%s/recon/%s.original.npy", R->dir, r->id), *pr = pl_fmt("%s/recon/%s.recon.npy", R->dir, r->id);
    int64_t oshape[3] = {E, shape[0], nd == 1 ? 0 : shape[1]};
    if (st == MC_STATUS_OK && (!po || !pr)) st = MC_STATUS_NO_MEMORY;
    if (st == MC_STATUS_OK) st = mc_npy_write(po, MC_DTYPE_F32, nd + 1, oshape, orig);
    if (st == MC_STATUS_OK) st = mc_npy_write(pr, MC_DTYPE_F32, nd + 1, oshape, rec);
    if (st == MC_STATUS_OK) st = write_examples_tsv(R);
    free(po);
    free(pr);
    mc_free(x);
    mc_free(orig);
    mc_free(rec);
    mc_free(mu);
    return st;
}

static mc_status stage_model(run *R, rep *r, int si) {
    const mc_run_config *c = R->cfg;
    const uint64_t seed = c->first_seed + (uint64_t)si;
    char name[96];
    snprintf(name, sizeof name, "model.%s.seed%llu", r->id, (unsigned long long)seed);
    mc_model_config mc;
    int64_t train_rows = 0;
    model_config(R, r, &mc, R->n, &train_rows);
    mc.seed = seed;
    r->epochs = mc.epochs;
    if (r->input == MC_MODEL_INPUT_LOGMEL) {
        R->conv_epochs = mc.epochs;
        R->conv_rows = train_rows;
        R->conv_limited = mc.epochs < (c->fast ? 1 : c->conv_max_epochs) || train_rows < R->n;
    }
    const bool recon = r->recon && si == 0 && (r->model == MC_MODEL_KIND_VAE || r->model == MC_MODEL_KIND_CONV_VAE);
    pl_hash h;
    pl_hash_init(&h, "model");
    pl_hash_str(&h, "data", R->data_hash);
    pl_hash_str(&h, "id", r->id);
    pl_hash_str(&h, "kind", mc_model_kind_name(mc.kind));
    pl_hash_int(&h, "input", mc.input);
    pl_hash_int(&h, "mm_input", r->mm_input);
    pl_hash_str(&h, "condition", mc.condition);
    pl_hash_int(&h, "latent", mc.latent);
    for (int i = 0; i < mc.n_hidden; i++) pl_hash_int(&h, "hidden", mc.hidden[i]);
    for (int i = 0; i < mc.n_conv; i++) pl_hash_int(&h, "channels", mc.channels[i]);
    pl_hash_dbl(&h, "beta", mc.beta);
    pl_hash_int(&h, "epochs", mc.epochs);
    pl_hash_int(&h, "batch", mc.batch);
    pl_hash_dbl(&h, "lr", mc.lr);
    /* hashed only when not the default, so results computed before --precision keep their stages */
    if (mc.precision != MC_NN_PRECISION_FP32) pl_hash_str(&h, "precision", mc_nn_precision_name(mc.precision));
    pl_hash_int(&h, "train_rows", train_rows);
    pl_hash_u64(&h, "seed", seed);
    pl_hash_int(&h, "threads", R->threads);
    pl_hash_int(&h, "recon", recon);
    for (int e = 0; recon && e < R->n_examples; e++) pl_hash_int(&h, "example", R->examples[e]);
    pl_hash_hex(&h, r->hash[si]);
    char *o_model = pl_fmt("models/%s.seed%llu.safetensors", r->id, (unsigned long long)seed);
    char *o_loss = pl_fmt("models/%s.seed%llu.loss.tsv", r->id, (unsigned long long)seed);
    char *o_lat = pl_fmt("latents/%s.seed%llu.npy", r->id, (unsigned long long)seed);
    char *o_ro = pl_fmt("recon/%s.original.npy", r->id), *o_rr = pl_fmt("recon/%s.recon.npy", r->id);
    char *p_model = pl_fmt("%s/%s", R->dir, o_model ? o_model : ""), *p_loss = pl_fmt("%s/%s", R->dir, o_loss ? o_loss : "");
    char *p_lat = pl_fmt("%s/%s", R->dir, o_lat ? o_lat : "");
    char *partial = pl_fmt("%s.partial", name);
    mc_status st = MC_STATUS_OK;
    mc_model_data data;
    memset(&data, 0, sizeof data);
    bool data_loaded = false;
    float *xbuf = NULL, *lyr = NULL, *sub = NULL;
    uint8_t *has = NULL;
    int32_t *codes = NULL;
    char **classes = NULL;
    int n_classes = 0;
    mc_model *m = NULL;
    float *mu = NULL;
    if (!o_model || !o_loss || !o_lat || !o_ro || !o_rr || !p_model || !p_loss || !p_lat || !partial) {
        st = MC_STATUS_NO_MEMORY;
        goto done;
    }
    const char *outs[5] = {o_model, o_loss, o_lat, o_ro, o_rr};
    if (cached(R, name, r->hash[si], outs, recon ? 5 : 3)) goto done;
    double t0 = pl_now();
    char *fd = pl_fmt("%s/features", R->dir);
    if (!fd) {
        st = MC_STATUS_NO_MEMORY;
        goto done;
    }
    if (r->mm_input) {
        /* [vectors ; the track's lyrics vector] for the MLP cvae */
        int L = 0;
        st = lyrics_rows(R, &lyr, &has, &L);
        const int F = (int)R->store.vectors.shape[1];
        if (st == MC_STATUS_OK) {
            xbuf = mc_alloc((size_t)R->n * (size_t)(F + L), sizeof(float));
            codes = malloc((size_t)R->n * sizeof *codes);
            if (!xbuf || !codes) st = mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
        }
        for (int64_t i = 0; st == MC_STATUS_OK && i < R->n; i++) {
            memcpy(xbuf + i * (F + L), (const float *)R->store.vectors.data + i * F, (size_t)F * sizeof(float));
            memcpy(xbuf + i * (F + L) + F, lyr + i * L, (size_t)L * sizeof(float));
        }
        if (st == MC_STATUS_OK) st = mc_store_label_codes(&R->store, R->main_label, codes, &classes, &n_classes);
        data.n = R->n;
        data.ndim = 2;
        data.shape[0] = R->n;
        data.shape[1] = F + L;
        data.x = xbuf;
        data.codes = codes;
        data.n_classes = n_classes;
        data.classes = (const char *const *)classes;
    } else {
        st = mc_model_data_load(fd, mc.input, r->conditioned ? R->main_label : NULL, &data);
        data_loaded = st == MC_STATUS_OK;
        if (st == MC_STATUS_OK && r->model == MC_MODEL_KIND_MM_VAE) st = mc_model_data_load_lyrics(fd, &data);
    }
    free(fd);
    if (st != MC_STATUS_OK) goto done;
    /* the training rows: all, or a seeded subset when the conv-vae's budget is below one epoch */
    mc_model_data train = data;
    if (train_rows < data.n) {
        int64_t row = data.ndim == 2 ? data.shape[1] : data.shape[1] * data.shape[2];
        int64_t *perm = mc_alloc((size_t)data.n, sizeof(int64_t));
        sub = mc_alloc((size_t)(train_rows * row), sizeof(float));
        if (!perm || !sub) {
            mc_free(perm);
            st = mc_error_set(MC_STATUS_NO_MEMORY, "out of memory for %lld training rows", (long long)train_rows);
            goto done;
        }
        for (int64_t i = 0; i < data.n; i++) perm[i] = i;
        mc_rng rng;
        mc_rng_seed(&rng, seed, 0x5b5e7ULL);
        mc_rng_shuffle(&rng, perm, (size_t)data.n);
        /* the chosen rows in row order */
        uint8_t *mark = mc_alloc((size_t)data.n, 1);
        if (!mark) {
            mc_free(perm);
            st = MC_STATUS_NO_MEMORY;
            goto done;
        }
        for (int64_t i = 0; i < train_rows; i++) mark[perm[i]] = 1;
        int64_t t = 0;
        for (int64_t i = 0; i < data.n; i++)
            if (mark[i]) memcpy(sub + (t++) * row, data.x + i * row, (size_t)row * sizeof(float));
        mc_free(mark);
        mc_free(perm);
        memset(&train, 0, sizeof train);
        train.n = train_rows;
        train.ndim = data.ndim;
        train.shape[0] = train_rows;
        train.shape[1] = data.shape[1];
        train.shape[2] = data.shape[2];
        train.x = sub;
    }
    /* resume from the checkpoint of an interrupted run of this very configuration */
    char ph[64];
    bool resumed = false;
    if (pl_stage_value(&R->S, partial, "hash", ph, sizeof ph) && strcmp(ph, r->hash[si]) == 0 &&
        pl_file_exists(p_model) && mc_model_load(p_model, &m) == MC_STATUS_OK) {
        resumed = mc_model_epochs_done(m) <= mc.epochs;
        if (!resumed) {
            mc_model_free(m);
            m = NULL;
        }
    }
    mc_error_clear();
    if (!m) {
        if ((st = mc_model_create(&mc, &train, &m)) != MC_STATUS_OK) goto done;
        if ((st = pl_stage_commit(&R->S, partial, r->hash[si], 0, NULL, NULL, 0)) != MC_STATUS_OK) goto done;
    }
    if (r->input == MC_MODEL_INPUT_LOGMEL || si == 0)
        mc_log(MC_LOG_LEVEL_INFO, "%s: %s%d epoch%s over %lld rows%s", name, resumed ? "resuming, " : "", mc.epochs,
               mc.epochs == 1 ? "" : "s", (long long)train.n,
               r->input == MC_MODEL_INPUT_LOGMEL
                   ? (train.n < data.n ? " (a subset: the sample budget is below one epoch)"
                                       : mc.epochs < (c->fast ? 1 : c->conv_max_epochs) ? " (limited by the sample budget)" : "")
                   : "");
    mc_train_options topt = {R->threads, r->input == MC_MODEL_INPUT_LOGMEL ? p_model : NULL, p_loss, 0};
    mc_train_summary ts;
    mc_progress *pb = r->input == MC_MODEL_INPUT_LOGMEL ? bar(R, name, mc.epochs - mc_model_epochs_done(m)) : NULL;
    st = mc_model_train(m, &train, &topt, pb, &ts);
    bar_end(pb, st == MC_STATUS_OK);
    if (st != MC_STATUS_OK) goto done;
    if ((st = mc_model_save(m, p_model)) != MC_STATUS_OK) goto done;
    if (!pl_file_exists(p_loss)) { /* 0 epochs to train (a complete checkpoint): keep an empty curve */
        if ((st = mc_file_write_atomic(p_loss, "epoch\trecon\tkl\ttotal\n", 21)) != MC_STATUS_OK) goto done;
    }
    const int Z = mc_model_latent_dim(m);
    mu = mc_alloc((size_t)R->n * (size_t)Z, sizeof(float));
    if (!mu) {
        st = mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
        goto done;
    }
    const double t_enc = pl_now();
    st = mc_model_encode(m, &data, R->threads, mu, NULL, NULL);
    const double enc_s = pl_now() - t_enc;
    int64_t zshape[2] = {R->n, Z};
    if (st == MC_STATUS_OK) st = mc_npy_write(p_lat, MC_DTYPE_F32, 2, zshape, mu);
    if (st == MC_STATUS_OK && recon) st = write_recon(R, r, m, &data);
    if (st != MC_STATUS_OK) goto done;
    char eb[32], rb[32], sp[32], tt[32], et[32];
    snprintf(eb, sizeof eb, "%d", mc.epochs);
    snprintf(rb, sizeof rb, "%lld", (long long)train.n);
    snprintf(sp, sizeof sp, "%.1f", ts.samples_per_s);
    snprintf(tt, sizeof tt, "%.2f", ts.seconds);
    snprintf(et, sizeof et, "%.2f", enc_s);
    if (r->input == MC_MODEL_INPUT_LOGMEL)
        mc_log(MC_LOG_LEVEL_INFO, "%s: trained %.1f s (%.1f samples/s), encoded %lld rows in %.1f s", name, ts.seconds,
               ts.samples_per_s, (long long)R->n, enc_s);
    const char *keys[5] = {"epochs", "train_rows", "samples_per_s", "train_seconds", "encode_seconds"};
    const char *vals[5] = {eb, rb, sp, tt, et};
    st = commit(R, name, r->hash[si], t0, keys, vals, 5);
    if (st == MC_STATUS_OK) { /* the resume marker is no longer needed */
        char *pp = pl_fmt("%s/stages/%s.tsv", R->dir, partial);
        if (pp) remove(pp);
        free(pp);
    }
done:
    mc_free(mu);
    mc_model_free(m);
    if (data_loaded) mc_model_data_free(&data);
    mc_free(xbuf);
    mc_free(lyr);
    mc_free(has);
    mc_free(sub);
    free(codes);
    mc_store_free_classes(classes, n_classes);
    free(o_model);
    free(o_loss);
    free(o_lat);
    free(o_ro);
    free(o_rr);
    free(p_model);
    free(p_loss);
    free(p_lat);
    free(partial);
    return st;
}

/* conv-vae+lyrics(concat): [z-scored latent / sqrt(Z) ; z-scored lyrics / sqrt(L)] */
static mc_status stage_concat(run *R, rep *r, int si, const rep *conv) {
    const uint64_t seed = R->cfg->first_seed + (uint64_t)si;
    char name[96];
    snprintf(name, sizeof name, "space.%s.seed%llu", r->id, (unsigned long long)seed);
    pl_hash h;
    pl_hash_init(&h, "concat");
    pl_hash_str(&h, "audio", conv->hash[si]);
    pl_hash_str(&h, "lyrics", R->data_hash);
    pl_hash_hex(&h, r->hash[si]);
    char *out = pl_fmt("latents/%s.seed%llu.npy", r->id, (unsigned long long)seed);
    char *in = pl_fmt("%s/latents/%s.seed%llu.npy", R->dir, conv->id, (unsigned long long)seed);
    char *path = out ? pl_fmt("%s/%s", R->dir, out) : NULL;
    mc_status st = out && in && path ? MC_STATUS_OK : MC_STATUS_NO_MEMORY;
    const char *outs[1] = {out};
    if (st != MC_STATUS_OK || cached(R, name, r->hash[si], outs, 1)) goto out;
    double t0 = pl_now();
    mc_array a = {0};
    float *lyr = NULL, *X = NULL, *mean = NULL, *sd = NULL;
    uint8_t *has = NULL;
    int L = 0;
    st = mc_npy_read_f32(in, &a);
    if (st == MC_STATUS_OK && (a.ndim != 2 || a.shape[0] != R->n)) st = mc_error_set(MC_STATUS_FORMAT, "%s: not (n, latent)", in);
    if (st == MC_STATUS_OK) st = lyrics_rows(R, &lyr, &has, &L);
    if (st == MC_STATUS_OK) {
        const int Z = (int)a.shape[1], D = Z + L;
        X = mc_alloc((size_t)R->n * (size_t)D, sizeof(float));
        mean = mc_alloc((size_t)(Z > L ? Z : L), sizeof(float));
        sd = mc_alloc((size_t)(Z > L ? Z : L), sizeof(float));
        if (!X || !mean || !sd) st = mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
        if (st == MC_STATUS_OK) {
            float *A = a.data; /* (n, Z) */
            mc_data_zscore_fit(A, R->n, Z, mean, sd);
            mc_data_zscore_apply(A, R->n, Z, mean, sd);
            const float wa = (float)(1.0 / sqrt((double)Z)), wl = (float)(1.0 / sqrt((double)L));
            /* lyrics z-scored over the rows that have lyrics; rows without lyrics sit at the mean (0) */
            int64_t nl = 0;
            for (int64_t i = 0; i < R->n; i++)
                if (has[i]) memmove(lyr + (nl++) * L, lyr + i * L, (size_t)L * sizeof(float));
            if (nl > 0) mc_data_zscore_fit(lyr, nl, L, mean, sd);
            /* expand back in row order (from the end, so rows are not overwritten before being read) */
            for (int64_t i = R->n - 1, j = nl - 1; i >= 0; i--) {
                float *dst = X + i * D;
                for (int q = 0; q < Z; q++) dst[q] = A[i * Z + q] * wa;
                if (has[i]) {
                    for (int q = 0; q < L; q++) dst[Z + q] = (lyr[j * L + q] - mean[q]) / sd[q] * wl;
                    j--;
                } else {
                    for (int q = 0; q < L; q++) dst[Z + q] = 0.0f;
                }
            }
            int64_t shape[2] = {R->n, D};
            st = mc_npy_write(path, MC_DTYPE_F32, 2, shape, X);
        }
    }
    mc_array_free(&a);
    mc_free(lyr);
    mc_free(has);
    mc_free(X);
    mc_free(mean);
    mc_free(sd);
    if (st == MC_STATUS_OK) st = commit(R, name, r->hash[si], t0, NULL, NULL, 0);
out:
    free(out);
    free(in);
    free(path);
    return st;
}

/* ---------------------------------------------------------------- clustering */

static mc_status stage_cluster(run *R, rep *r) {
    const mc_run_config *c = R->cfg;
    char name[96];
    snprintf(name, sizeof name, "cluster.%s", r->id);
    pl_hash h;
    pl_hash_init(&h, "cluster");
    for (int s = 0; s < (r->seeded ? c->seeds : 1); s++) pl_hash_str(&h, "space", r->hash[s]);
    pl_hash_int(&h, "seeds", c->seeds);
    pl_hash_u64(&h, "first_seed", c->first_seed);
    pl_hash_int(&h, "k", R->k);
    pl_hash_int(&h, "algos", r->algos);
    pl_hash_int(&h, "threads", R->threads);
    pl_hash_hex(&h, r->cluster_hash);
    const int na = (r->algos & 1) + (r->algos >> 1 & 1) + (r->algos >> 2 & 1);
    char **outs = calloc((size_t)(na * c->seeds), sizeof *outs);
    if (!outs) return MC_STATUS_NO_MEMORY;
    int no = 0;
    mc_status st = MC_STATUS_OK;
    for (int s = 0; s < c->seeds; s++)
        for (unsigned a = 1; a <= PL_ALGO_DBSCAN; a <<= 1)
            if (r->algos & a) {
                outs[no] = pl_fmt("assign/%s.%s.seed%llu.tsv", r->id, pl_algo_name(a), (unsigned long long)(c->first_seed + (uint64_t)s));
                if (!outs[no++]) st = MC_STATUS_NO_MEMORY;
            }
    if (st == MC_STATUS_OK && !cached(R, name, r->cluster_hash, (const char *const *)outs, no)) {
        double t0 = pl_now();
        mc_array X = {0};
        no = 0;
        for (int s = 0; st == MC_STATUS_OK && s < c->seeds; s++) {
            const uint64_t seed = c->first_seed + (uint64_t)s;
            if (s == 0 || r->seeded) {
                char *lp = r->seeded ? pl_fmt("%s/latents/%s.seed%llu.npy", R->dir, r->id, (unsigned long long)seed)
                                     : pl_fmt("%s/latents/%s.npy", R->dir, r->id);
                mc_array_free(&X);
                st = lp ? mc_npy_read_f32(lp, &X) : MC_STATUS_NO_MEMORY;
                if (st == MC_STATUS_OK && (X.ndim != 2 || X.shape[0] != R->n))
                    st = mc_error_set(MC_STATUS_FORMAT, "%s: not (%lld, d)", lp, (long long)R->n);
                free(lp);
            }
            for (unsigned a = 1; st == MC_STATUS_OK && a <= PL_ALGO_DBSCAN; a <<= 1) {
                if (!(r->algos & a)) continue;
                mc_cluster_config cc;
                mc_cluster_config_default(&cc);
                cc.algo = a == PL_ALGO_KMEANS ? MC_CLUSTER_ALGO_KMEANS
                          : a == PL_ALGO_AGGLO ? MC_CLUSTER_ALGO_AGGLOMERATIVE
                                               : MC_CLUSTER_ALGO_DBSCAN;
                cc.k = R->k;
                cc.seed = seed;
                cc.threads = light_threads(R);
                if (a == PL_ALGO_DBSCAN && cc.min_samples >= R->n) cc.min_samples = (int)(R->n > 2 ? R->n / 2 : 1);
                mc_clustering res;
                memset(&res, 0, sizeof res);
                st = mc_cluster_fit(&cc, X.data, R->n, X.shape[1], &res);
                char *ap = pl_fmt("%s/%s", R->dir, outs[no++]);
                if (st == MC_STATUS_OK) st = ap ? pl_write_assign(ap, res.labels, R->n) : MC_STATUS_NO_MEMORY;
                if (st != MC_STATUS_OK) {
                    char msg[512];
                    snprintf(msg, sizeof msg, "%s", mc_error_message());
                    st = mc_error_set(st, "%s, %s, seed %llu: %s", r->name, pl_algo_name(a), (unsigned long long)seed, msg);
                }
                free(ap);
                mc_clustering_free(&res);
            }
        }
        mc_array_free(&X);
        if (st == MC_STATUS_OK) st = commit(R, name, r->cluster_hash, t0, NULL, NULL, 0);
    }
    for (int i = 0; i < na * c->seeds; i++) free(outs[i]);
    free(outs);
    return st;
}

/* ---------------------------------------------------------------- evaluate */

static mc_status stage_evaluate(run *R, char *hash_out) {
    const mc_run_config *c = R->cfg;
    pl_hash h;
    pl_hash_init(&h, "evaluate");
    pl_hash_str(&h, "data", R->data_hash);
    for (int i = 0; i < R->n_reps; i++)
        if (R->reps[i].evaluated) {
            pl_hash_str(&h, "rep", R->reps[i].name);
            pl_hash_str(&h, "clusters", R->reps[i].cluster_hash);
            pl_hash_str(&h, "leaked", R->reps[i].leaked);
            char tb[64];
            pl_hash_str(&h, "tasks", tasks_text(R->reps[i].tasks, tb, sizeof tb));
        }
    for (int k = 0; k < R->n_cols; k++) pl_hash_str(&h, "column", R->cols[k]);
    pl_hash_int(&h, "threads", R->threads);
    pl_hash_hex(&h, hash_out);
    static const char *const outs[] = {"metrics.csv", "metrics.json"};
    if (cached(R, "evaluate", hash_out, outs, 2)) return MC_STATUS_OK;
    double t0 = pl_now();
    pl_eval_rep er[MAX_REPS];
    char tasks[MAX_REPS][32];
    int ne = 0;
    for (int i = 0; i < R->n_reps; i++) {
        const rep *r = &R->reps[i];
        if (!r->evaluated) continue;
        er[ne] = (pl_eval_rep){r->id, r->name, tasks_text(r->tasks, tasks[ne], sizeof tasks[ne]), r->leaked, r->algos, r->seeded};
        ne++;
    }
    const char *cols[MAX_COLS];
    const char *const *cn[MAX_COLS];
    for (int k = 0; k < R->n_cols; k++) {
        cols[k] = R->cols[k];
        cn[k] = (const char *const *)R->classes[k];
    }
    pl_eval_input in = {R->dir, R->n, R->n_tracks, R->track_of, R->common, R->dc, R->n_cols, cols, R->codes,
                        cn, R->n_classes, c->seeds, c->first_seed, R->k, light_threads(R), ne, er};
    mc_report_table t;
    mc_status st = pl_evaluate(&in, &t);
    if (st != MC_STATUS_OK) return st;
    char *pc = pl_fmt("%s/metrics.csv", R->dir), *pj = pl_fmt("%s/metrics.json", R->dir);
    st = pc && pj ? mc_report_table_write_csv(&t, pc) : MC_STATUS_NO_MEMORY;
    if (st == MC_STATUS_OK) st = mc_report_table_write_json(&t, pj);
    free(pc);
    free(pj);
    if (st == MC_STATUS_OK) {
        /* the tables of the log */
        char *txt = NULL;
        if (mc_report_text_table(&t, "segment", NULL, 0, &txt) == MC_STATUS_OK) {
            mc_log(MC_LOG_LEVEL_DEBUG, "segment level:\n%s", txt);
            free(txt);
        }
    }
    mc_report_table_free(&t);
    if (st == MC_STATUS_OK) st = commit(R, "evaluate", hash_out, t0, NULL, NULL, 0);
    return st;
}

/* ---------------------------------------------------------------- maps */

static mc_status stage_embed(run *R, rep *r) {
    const mc_run_config *c = R->cfg;
    char name[96];
    snprintf(name, sizeof name, "embed.%s", r->id);
    mc_tsne_opts to;
    mc_umap_opts uo;
    mc_tsne_opts_default(&to);
    mc_umap_opts_default(&uo);
    to.seed = uo.seed = c->first_seed;
    to.threads = uo.threads = light_threads(R);
    if (to.perplexity >= (double)(R->n - 1) / 3.0) to.perplexity = fmax(1.0, (double)(R->n - 1) / 3.0);
    if (uo.n_neighbors > R->n - 1) uo.n_neighbors = (int)(R->n - 1);
    if (c->fast) {
        to.n_iter = 250;
        uo.n_epochs = 60;
    }
    pl_hash h;
    pl_hash_init(&h, "embed");
    pl_hash_str(&h, "space", r->hash[0]);
    pl_hash_dbl(&h, "perplexity", to.perplexity);
    pl_hash_int(&h, "tsne_iter", to.n_iter);
    pl_hash_int(&h, "neighbors", uo.n_neighbors);
    pl_hash_int(&h, "umap_epochs", uo.n_epochs);
    pl_hash_u64(&h, "seed", to.seed);
    pl_hash_hex(&h, r->embed_hash);
    char *o1 = pl_fmt("embed/%s.tsne.npy", r->id), *o2 = pl_fmt("embed/%s.umap.npy", r->id);
    mc_status st = o1 && o2 ? MC_STATUS_OK : MC_STATUS_NO_MEMORY;
    const char *outs[2] = {o1, o2};
    if (st == MC_STATUS_OK && !cached(R, name, r->embed_hash, outs, 2)) {
        double t0 = pl_now();
        char *lp = r->seeded ? pl_fmt("%s/latents/%s.seed%llu.npy", R->dir, r->id, (unsigned long long)c->first_seed)
                             : pl_fmt("%s/latents/%s.npy", R->dir, r->id);
        char *p1 = pl_fmt("%s/%s", R->dir, o1), *p2 = pl_fmt("%s/%s", R->dir, o2);
        mc_array X = {0};
        float *Y = mc_alloc((size_t)R->n * 2, sizeof(float));
        st = lp && p1 && p2 && Y ? mc_npy_read_f32(lp, &X) : MC_STATUS_NO_MEMORY;
        if (st == MC_STATUS_OK && (X.ndim != 2 || X.shape[0] != R->n)) st = mc_error_set(MC_STATUS_FORMAT, "%s: not (n, d)", lp);
        int64_t shape[2] = {R->n, 2};
        if (st == MC_STATUS_OK) {
            mc_progress *p = bar(R, "t-SNE", to.n_iter);
            to.progress = p;
            st = mc_embed_tsne(X.data, R->n, (int)X.shape[1], &to, Y, NULL);
            bar_end(p, st == MC_STATUS_OK);
        }
        if (st == MC_STATUS_OK) st = mc_npy_write(p1, MC_DTYPE_F32, 2, shape, Y);
        if (st == MC_STATUS_OK) {
            mc_progress *p = bar(R, "UMAP", 0);
            uo.progress = p;
            st = mc_embed_umap(X.data, R->n, (int)X.shape[1], &uo, Y, NULL);
            bar_end(p, st == MC_STATUS_OK);
        }
        if (st == MC_STATUS_OK) st = mc_npy_write(p2, MC_DTYPE_F32, 2, shape, Y);
        mc_array_free(&X);
        mc_free(Y);
        free(lp);
        free(p1);
        free(p2);
        if (st == MC_STATUS_OK) st = commit(R, name, r->embed_hash, t0, NULL, NULL, 0);
    }
    free(o1);
    free(o2);
    return st;
}

/* ---------------------------------------------------------------- bookkeeping files */

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

static void libraries(char *buf, size_t cap) {
    char ob[128];
    snprintf(ob, sizeof ob, "%s", mc_nn_blas_version());
    char *sp = strchr(ob, ' ');
    if (sp) sp = strchr(sp + 1, ' ');
    if (sp) *sp = '\0'; /* "OpenBLAS 0.3.21" */
    snprintf(buf, cap, "%s; fftw %s; %s; %s; cairo %s", mc_audio_sndfile_version(), mc_dsp_fftw_version(), ob,
             mc_audio_soxr_version(), mc_plot_cairo_version());
}

static mc_status write_tables(run *R, const char *const *inputs, int n_inputs, pl_hash *content) {
    const mc_run_config *c = R->cfg;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
    char v[1024], tb[64];
    fputs("key\tvalue\n", f);
    kv_line(f, "version", mc_version());
    libraries(v, sizeof v);
    kv_line(f, "libraries", v);
    kv_line(f, "tasks", tasks_text(c->tasks, tb, sizeof tb));
    v[0] = '\0';
    for (int i = 0; i < n_inputs; i++) snprintf(v + strlen(v), sizeof v - strlen(v), "%s%s", i ? " " : "", inputs[i]);
    kv_line(f, "inputs", v);
    kv_line(f, "metadata", c->extract.metadata ? c->extract.metadata : "");
    kv_line(f, "main_label", R->main_label);
    v[0] = '\0';
    for (int k = 0; k < R->n_cols; k++) snprintf(v + strlen(v), sizeof v - strlen(v), "%s%s", k ? ";" : "", R->cols[k]);
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
    fclose(f);
    char *p = pl_fmt("%s/summary.tsv", R->dir);
    mc_status st = p && buf ? write_if_changed(p, buf, len) : MC_STATUS_NO_MEMORY;
    if (buf) pl_hash_str(content, "summary", buf);
    free(p);
    free(buf);
    if (st != MC_STATUS_OK) return st;
    buf = NULL;
    f = open_memstream(&buf, &len);
    if (!f) return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
    fputs("id\tname\ttasks\tmodel\tinput\tleaked\tshow\tepochs\tnote\tdescription\n", f);
    for (int i = 0; i < R->n_reps; i++) {
        const rep *r = &R->reps[i];
        fprintf(f, "%s\t", r->id);
        mc_csv_write_field(f, r->name, '\t');
        fprintf(f, "\t%s\t%s\t%s\t", tasks_text(r->tasks, tb, sizeof tb), r->kind == REP_MODEL ? mc_model_kind_name(r->model) : "",
                r->mm_input || r->model == MC_MODEL_KIND_MM_VAE ? "vectors+lyrics" : r->input == MC_MODEL_INPUT_LOGMEL ? "logmel" : "vectors");
        mc_csv_write_field(f, r->leaked, '\t');
        fprintf(f, "\t%d\t%d\t", r->show && r->evaluated ? 1 : 0, r->epochs);
        mc_csv_write_field(f, r->note, '\t');
        fputc('\t', f);
        mc_csv_write_field(f, r->description, '\t');
        fputc('\n', f);
    }
    fclose(f);
    p = pl_fmt("%s/representations.tsv", R->dir);
    st = p && buf ? write_if_changed(p, buf, len) : MC_STATUS_NO_MEMORY;
    if (buf) pl_hash_str(content, "representations", buf);
    free(p);
    free(buf);
    return st;
}

static mc_status write_timings(run *R) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
    fputs("stage\tstatus\tseconds\tseconds_when_computed\n", f);
    for (int i = 0; i < R->S.n; i++)
        fprintf(f, "%s\t%s\t%.2f\t%.2f\n", R->S.t[i].name, R->S.t[i].ran ? "ran" : "cached", R->S.t[i].seconds,
                R->S.t[i].seconds_when_computed);
    fclose(f);
    char *p = pl_fmt("%s/timings.tsv", R->dir);
    mc_status st = p && buf ? mc_file_write_atomic(p, buf, len) : MC_STATUS_NO_MEMORY;
    free(p);
    free(buf);
    return st;
}

static mc_status write_run_json(run *R, const char *const *inputs, int n_inputs, double wall) {
    const mc_run_config *c = R->cfg;
    mc_json *j = NULL;
    mc_status st = mc_json_create(&j);
    if (st != MC_STATUS_OK) return st;
    char tb[64], lib[1024];
    mc_json_begin_object(j);
    mc_json_key(j, "musiclust_version"); mc_json_string(j, mc_version());
    mc_json_key(j, "libraries");
    mc_json_begin_object(j);
    mc_json_key(j, "sndfile"); mc_json_string(j, mc_audio_sndfile_version());
    mc_json_key(j, "fftw"); mc_json_string(j, mc_dsp_fftw_version());
    mc_json_key(j, "openblas"); mc_json_string(j, mc_nn_blas_version());
    mc_json_key(j, "soxr"); mc_json_string(j, mc_audio_soxr_version());
    mc_json_key(j, "cairo"); mc_json_string(j, mc_plot_cairo_version());
    mc_json_end_object(j);
    libraries(lib, sizeof lib);
    mc_json_key(j, "configuration");
    mc_json_begin_object(j);
    mc_json_key(j, "inputs");
    mc_json_begin_array(j);
    for (int i = 0; i < n_inputs; i++) mc_json_string(j, inputs[i]);
    mc_json_end_array(j);
    mc_json_key(j, "metadata"); mc_json_string(j, c->extract.metadata);
    mc_json_key(j, "tasks"); mc_json_string(j, tasks_text(c->tasks, tb, sizeof tb));
    mc_json_key(j, "label"); mc_json_string(j, c->label);
    mc_json_key(j, "text_column"); mc_json_string(j, c->text_column);
    mc_json_key(j, "lyrics_dim"); mc_json_int(j, c->lyrics_dim);
    mc_json_key(j, "seeds"); mc_json_int(j, c->seeds);
    mc_json_key(j, "first_seed"); mc_json_int(j, (int64_t)c->first_seed);
    mc_json_key(j, "k_option"); mc_json_int(j, c->k);
    mc_json_key(j, "k_max"); mc_json_int(j, c->k_max);
    mc_json_key(j, "threads"); mc_json_int(j, R->threads);
    mc_json_key(j, "conv_budget"); mc_json_int(j, c->fast ? 64 : c->conv_budget);
    mc_json_key(j, "conv_min_epochs"); mc_json_int(j, c->conv_min_epochs);
    mc_json_key(j, "conv_max_epochs"); mc_json_int(j, c->fast ? 1 : c->conv_max_epochs);
    mc_json_key(j, "conv_batch"); mc_json_int(j, c->conv_batch);
    mc_json_key(j, "precision"); mc_json_string(j, mc_nn_precision_name(c->precision));
    mc_json_key(j, "mlp_epochs"); mc_json_int(j, c->mlp_epochs);
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
    for (int k = 0; k < R->n_cols; k++) {
        mc_json_key(j, R->cols[k]);
        mc_json_begin_object(j);
        int64_t *cnt = calloc((size_t)R->n_classes[k] + 1, sizeof *cnt);
        for (int64_t i = 0; cnt && i < R->n; i++) cnt[R->codes[k][i] >= 0 ? R->codes[k][i] : R->n_classes[k]]++;
        for (int q = 0; cnt && q < R->n_classes[k]; q++) {
            mc_json_key(j, R->classes[k][q]);
            mc_json_int(j, cnt[q]);
        }
        if (cnt && cnt[R->n_classes[k]]) {
            mc_json_key(j, "(unlabelled)");
            mc_json_int(j, cnt[R->n_classes[k]]);
        }
        free(cnt);
        mc_json_end_object(j);
    }
    mc_json_end_object(j);
    mc_json_key(j, "label_counts_are"); mc_json_string(j, "segments");
    mc_json_key(j, "skipped");
    mc_json_begin_array(j);
    {
        char *p = pl_fmt("%s/features/skipped.tsv", R->dir);
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
        const rep *r = &R->reps[i];
        mc_json_begin_object(j);
        mc_json_key(j, "id"); mc_json_string(j, r->id);
        mc_json_key(j, "name"); mc_json_string(j, r->name);
        mc_json_key(j, "tasks"); mc_json_string(j, tasks_text(r->tasks, tb, sizeof tb));
        mc_json_key(j, "model"); mc_json_string(j, r->kind == REP_MODEL ? mc_model_kind_name(r->model) : NULL);
        mc_json_key(j, "epochs"); mc_json_int(j, r->epochs);
        mc_json_key(j, "evaluated"); mc_json_bool(j, r->evaluated);
        mc_json_key(j, "algorithms");
        mc_json_begin_array(j);
        for (unsigned a = 1; a <= PL_ALGO_DBSCAN; a <<= 1)
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
    char *p = pl_fmt("%s/run.json", R->dir);
    st = p ? mc_json_write_file(j, p) : MC_STATUS_NO_MEMORY;
    free(p);
    mc_json_free(j);
    return st;
}

/* ---------------------------------------------------------------- the run */

static void run_free(run *R) {
    if (R->store_open) mc_store_close(&R->store);
    free(R->track_of);
    mc_free(R->common);
    for (int k = 0; k < R->n_cols; k++) {
        free(R->codes[k]);
        mc_store_free_classes(R->classes[k], R->n_classes[k]);
    }
    for (int i = 0; i < R->n_notes; i++) free(R->notes[i]);
    free(R->S.t);
    free(R->S.results);
    free(R->dir);
}

mc_status mc_pipeline_run(const mc_run_config *cfg, const char *const *inputs, int n_inputs,
                          const char *results_dir, mc_run_summary *summary) {
    if (summary) memset(summary, 0, sizeof *summary);
    if (!cfg || !inputs || n_inputs < 1 || !results_dir) return mc_error_set(MC_STATUS_INVALID_ARG, "run: no input or no results folder");
    if (cfg->seeds < 1 || cfg->seeds > MAX_SEEDS) return mc_error_set(MC_STATUS_INVALID_ARG, "--seeds must be in 1..%d, got %d", MAX_SEEDS, cfg->seeds);
    if (!cfg->tasks || (cfg->tasks & ~(unsigned)MC_PIPELINE_TASK_ALL)) return mc_error_set(MC_STATUS_INVALID_ARG, "--task: nothing to do");
    if (cfg->k < 0 || cfg->k == 1) return mc_error_set(MC_STATUS_INVALID_ARG, "--k must be >= 2, got %d", cfg->k);
    if (cfg->k_max < 2) return mc_error_set(MC_STATUS_INVALID_ARG, "k_max must be >= 2, got %d", cfg->k_max);
    if (cfg->conv_budget < 1 || cfg->conv_max_epochs < 1 || cfg->conv_batch < 1)
        return mc_error_set(MC_STATUS_INVALID_ARG, "conv-vae budget, epochs and batch must be >= 1");
    if (cfg->lyrics_dim < 1) return mc_error_set(MC_STATUS_INVALID_ARG, "lyrics dimension must be >= 1");
    const double t_start = pl_now();
    run R;
    memset(&R, 0, sizeof R);
    R.cfg = cfg;
    R.threads = mc_threads_resolve(cfg->threads);
    R.dir = mc_strdup(results_dir);
    R.S.results = mc_strdup(results_dir);
    pl_hash_init(&R.all, "report");
    mc_status st = R.dir && R.S.results ? MC_STATUS_OK : MC_STATUS_NO_MEMORY;
    static const char *const sub[] = {"stages", "features", "models", "latents", "assign", "contingency", "embed", "recon"};
    for (size_t i = 0; st == MC_STATUS_OK && i < sizeof sub / sizeof *sub; i++) {
        char *p = pl_fmt("%s/%s", results_dir, sub[i]);
        st = p ? mc_mkdirs(p) : MC_STATUS_NO_MEMORY;
        free(p);
    }
    char eval_hash[17] = "";
    if (st == MC_STATUS_OK) st = stage_extract(&R, inputs, n_inputs);
    if (st == MC_STATUS_OK) st = stage_lyrics(&R);
    if (st == MC_STATUS_OK) st = prepare(&R);
    if (st == MC_STATUS_OK) st = choose_k(&R);
    if (st == MC_STATUS_OK) {
        build_reps(&R);
        mc_log(MC_LOG_LEVEL_INFO, "%lld segments of %lld tracks; main label: %s; k = %d (%s); %d seed%s; %d threads",
               (long long)R.n, (long long)R.n_tracks, R.main_label[0] ? R.main_label : "(none)", R.k, R.k_source,
               cfg->seeds, cfg->seeds == 1 ? "" : "s", R.threads);
        if (R.have_lyrics && has_label_column(&R.store, "lyrics_language"))
            add_note(&R, "lyrics_language is detected from the lyrics text itself, so lyrics-based representations "
                         "agree with it partly by construction; the metadata's language column (when present) is the "
                         "independent check.");
        if (!R.main_label[0])
            add_note(&R, "No label column with 2 or more classes: only the internal metrics are available, and the "
                         "conditional models (cvae) are left out.");
    }
    /* representations: spaces and models, every seed */
    for (int i = 0; st == MC_STATUS_OK && i < R.n_reps; i++) {
        rep *r = &R.reps[i];
        if (r->kind == REP_RAW || r->kind == REP_PCA) st = stage_space(&R, r);
        else if (r->kind == REP_MODEL)
            for (int s = 0; st == MC_STATUS_OK && s < r->n_seeds; s++) st = stage_model(&R, r, s);
    }
    for (int i = 0; st == MC_STATUS_OK && i < R.n_reps; i++) {
        rep *r = &R.reps[i];
        if (r->kind != REP_CONCAT) continue;
        const rep *conv = NULL;
        for (int q = 0; q < R.n_reps; q++)
            if (strcmp(R.reps[q].id, "conv-vae") == 0) conv = &R.reps[q];
        for (int s = 0; st == MC_STATUS_OK && conv && s < r->n_seeds; s++) st = stage_concat(&R, r, s, conv);
    }
    /* the trimmed notes of the conv-vae */
    for (int i = 0; st == MC_STATUS_OK && i < R.n_reps; i++) {
        rep *r = &R.reps[i];
        if (r->kind == REP_MODEL && r->input == MC_MODEL_INPUT_LOGMEL && R.conv_limited)
            snprintf(r->note, sizeof r->note, "Training limited by the sample budget: %d epoch%s over %lld of %lld rows per seed.",
                     R.conv_epochs, R.conv_epochs == 1 ? "" : "s", (long long)R.conv_rows, (long long)R.n);
        if (r->kind == REP_CONCAT && R.conv_limited)
            snprintf(r->note, sizeof r->note, "Its audio half is the budget-limited conv-vae.");
    }
    if (st == MC_STATUS_OK && R.conv_limited)
        add_note(&R, "The conv-vae's training was limited by the sample budget (%d epoch%s over %lld rows per seed; "
                     "raise it with --conv-budget): its latent space, and what is built on it, is under-trained.",
                 R.conv_epochs, R.conv_epochs == 1 ? "" : "s", (long long)R.conv_rows);
    for (int i = 0; st == MC_STATUS_OK && i < R.n_reps; i++)
        if (R.reps[i].evaluated) st = stage_cluster(&R, &R.reps[i]);
    if (st == MC_STATUS_OK) st = stage_evaluate(&R, eval_hash);
    pl_hash content = R.all;
    if (st == MC_STATUS_OK) st = write_tables(&R, inputs, n_inputs, &content);
    for (int i = 0; st == MC_STATUS_OK && cfg->maps && i < R.n_reps; i++)
        if (R.reps[i].show && R.reps[i].evaluated) {
            st = stage_embed(&R, &R.reps[i]);
            pl_hash_str(&content, "embed", R.reps[i].embed_hash);
        }
    if (st == MC_STATUS_OK) st = write_timings(&R);
    if (st == MC_STATUS_OK && cfg->report) {
        char hash[17];
        pl_hash_str(&content, "maps", cfg->maps ? "1" : "0");
        pl_hash_hex(&content, hash);
        static const char *const outs[] = {"report.html"};
        if (!cached(&R, "report", hash, outs, 1)) {
            double t0 = pl_now();
            char *p = pl_fmt("%s/report.html", R.dir);
            mc_report_summary rs;
            st = p ? mc_report_html(R.dir, p, &rs) : MC_STATUS_NO_MEMORY;
            free(p);
            if (st == MC_STATUS_OK) st = commit(&R, "report", hash, t0, NULL, NULL, 0);
        }
    }
    const double wall = pl_now() - t_start;
    if (st == MC_STATUS_OK) st = write_timings(&R);
    if (st == MC_STATUS_OK) st = write_run_json(&R, inputs, n_inputs, wall);
    if (summary) {
        for (int i = 0; i < R.S.n; i++) {
            if (R.S.t[i].ran) summary->stages_run++;
            else summary->stages_cached++;
        }
        summary->seconds = wall;
        summary->tracks = R.n_tracks;
        summary->segments = R.n;
        summary->k = R.k;
        snprintf(summary->k_source, sizeof summary->k_source, "%s", R.k_source);
        snprintf(summary->main_label, sizeof summary->main_label, "%s", R.main_label);
        summary->conv_epochs = R.conv_epochs;
        summary->conv_rows = R.conv_rows;
        summary->conv_budget_limited = R.conv_limited;
        {
            char *p = pl_fmt("%s/features/skipped.tsv", R.dir);
            mc_table t;
            if (p && pl_file_exists(p) && mc_table_read(p, '\t', &t) == MC_STATUS_OK) {
                summary->skipped = t.nrows;
                mc_table_free(&t);
            }
            free(p);
        }
        summary->stages = R.S.t;
        summary->n_stages = R.S.n;
        R.S.t = NULL; /* ownership moves to the summary */
    }
    if (st != MC_STATUS_OK) {
        /* keep the message of the failure: the cleanup below must not overwrite it */
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", mc_error_message());
        run_free(&R);
        return mc_error_set(st, "%s", msg[0] ? msg : mc_status_name(st));
    }
    run_free(&R);
    return MC_STATUS_OK;
}
