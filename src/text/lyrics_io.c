/* Saving and loading a fitted lyrics model (include/musiclust/text.h, mc_text_lyrics_model_save and
 * mc_text_lyrics_model_load): safetensors tensors and string metadata, every field checked on load. */
#include "lyrics_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- save and load */

#define FORMAT_NAME "musiclust-lyrics-model"
#define FORMAT_VERSION "1"
#define MAX_META 40

typedef struct meta_list {
    const char *key[MAX_META];
    char *value[MAX_META];
    int n;
    bool failed;
} meta_list;

static void meta_add(meta_list *l, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void meta_add(meta_list *l, const char *key, const char *fmt, ...) {
    if (l->n == MAX_META) {
        l->failed = true;
        return;
    }
    char buf[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *v = malloc(strlen(buf) + 1);
    if (!v) {
        l->failed = true;
        return;
    }
    strcpy(v, buf);
    l->key[l->n] = key;
    l->value[l->n++] = v;
}

/* The terms of a vectorizer in column order joined by '\n' (malloc'd). */
static char *join_terms(const mc_tfidf *t) {
    int64_t nt = mc_text_tfidf_n_terms(t);
    size_t len = 0;
    for (int64_t j = 0; j < nt; j++) len += strlen(mc_text_tfidf_term(t, j)) + 1;
    char *s = malloc(len ? len : 1), *p = s;
    if (!s) return NULL;
    for (int64_t j = 0; j < nt; j++) {
        size_t l = strlen(mc_text_tfidf_term(t, j));
        memcpy(p, mc_text_tfidf_term(t, j), l);
        p += l;
        *p++ = j + 1 < nt ? '\n' : '\0';
    }
    if (nt == 0) s[0] = '\0';
    return s;
}

static const char *bool_str(bool b) { return b ? "true" : "false"; }

mc_status mc_text_lyrics_model_save(const mc_lyrics_model *m, const char *path) {
    if (!m || !path) return mc_error_set(MC_STATUS_INVALID_ARG, "lyrics model save: NULL argument");
    meta_list ml;
    memset(&ml, 0, sizeof ml);
    char *vocab[N_BLOCKS] = {NULL, NULL};
    int64_t *df[N_BLOCKS] = {NULL, NULL};
    double *idf[N_BLOCKS] = {NULL, NULL};
    float *comp = NULL; // (k, n_features) sklearn's components_
    mc_status st = MC_STATUS_OK;
    mc_tensor_entry e[2 * N_BLOCKS + 3];
    int ne = 0;
    meta_add(&ml, "format", "%s", FORMAT_NAME);
    meta_add(&ml, "format_version", "%s", FORMAT_VERSION);
    meta_add(&ml, "blocks", "%s", m->block[BLOCK_WORD] && m->block[BLOCK_CHAR] ? "word,char"
                                  : m->block[BLOCK_WORD] ? "word" : "char");
    meta_add(&ml, "dim", "%d", m->dim);
    meta_add(&ml, "drop_first", "%s", bool_str(m->drop));
    meta_add(&ml, "normalize", "%s", m->normalize ? "l2" : "none");
    meta_add(&ml, "svd.seed", "%llu", (unsigned long long)m->seed);
    meta_add(&ml, "svd.n_iter", "%d", m->svd_iter);
    meta_add(&ml, "svd.n_oversamples", "%d", m->svd_oversamples);
    static const char *const keys[N_BLOCKS][11] = {
        {"word.vocabulary", "word.analyzer", "word.ngram_range", "word.weight", "word.n_docs", "word.min_df",
         "word.max_df", "word.sublinear_tf", "word.smooth_idf", "word.norm", "word.tokens"},
        {"char.vocabulary", "char.analyzer", "char.ngram_range", "char.weight", "char.n_docs", "char.min_df",
         "char.max_df", "char.sublinear_tf", "char.smooth_idf", "char.norm", "char.tokens"}};
    static const char *const tnames[N_BLOCKS][2] = {{"word.idf", "word.df"}, {"char.idf", "char.df"}};
    for (int b = 0; b < N_BLOCKS && st == MC_STATUS_OK; b++) {
        const mc_tfidf *t = m->block[b];
        if (!t) continue;
        const mc_tfidf_config *tc = mc_text_tfidf_config_of(t);
        int64_t nt = mc_text_tfidf_n_terms(t);
        vocab[b] = join_terms(t);
        df[b] = malloc((size_t)nt * sizeof *df[b]);
        idf[b] = malloc((size_t)nt * sizeof *idf[b]);
        if (!vocab[b] || !df[b] || !idf[b]) {
            st = mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory", path);
            break;
        }
        for (int64_t j = 0; j < nt; j++) {
            df[b][j] = mc_text_tfidf_df(t, j);
            idf[b][j] = mc_text_tfidf_idf(t, j);
        }
        if (ml.n + 11 > MAX_META) {
            ml.failed = true;
            break;
        }
        ml.key[ml.n] = keys[b][0];
        ml.value[ml.n++] = vocab[b];
        vocab[b] = NULL; /* owned by ml now */
        meta_add(&ml, keys[b][1], "%s", tc->analyzer == MC_TEXT_ANALYZER_WORD ? "word" : "char_wb");
        meta_add(&ml, keys[b][2], "%d,%d", tc->ngram_min, tc->ngram_max);
        meta_add(&ml, keys[b][3], "%.17g", m->weight[b]);
        meta_add(&ml, keys[b][4], "%lld", (long long)mc_text_tfidf_n_docs(t));
        meta_add(&ml, keys[b][5], "%.17g", tc->min_df);
        meta_add(&ml, keys[b][6], "%.17g", tc->max_df);
        meta_add(&ml, keys[b][7], "%s", bool_str(tc->sublinear_tf));
        meta_add(&ml, keys[b][8], "%s", bool_str(tc->smooth_idf));
        meta_add(&ml, keys[b][9], "%s", tc->l2_norm ? "l2" : "none");
        meta_add(&ml, keys[b][10], "%s", tc->tokens == MC_TEXT_TOKENS_CHUNKS ? "chunks" : "words");
        e[ne++] = (mc_tensor_entry){tnames[b][0], MC_DTYPE_F64, 1, {nt}, idf[b]};
        e[ne++] = (mc_tensor_entry){tnames[b][1], MC_DTYPE_I64, 1, {nt}, df[b]};
    }
    if (st == MC_STATUS_OK && ml.failed) st = mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory", path);
    if (st == MC_STATUS_OK) {
        comp = malloc((size_t)m->k * m->n_features * sizeof *comp);
        if (!comp) st = mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory", path);
    }
    if (st == MC_STATUS_OK) {
        for (int j = 0; j < m->k; j++)
            for (int64_t col = 0; col < m->n_features; col++)
                comp[(int64_t)j * m->n_features + col] = m->components_t[col * m->k + j];
        /* float32 last: every tensor then starts aligned for its type */
        e[ne++] = (mc_tensor_entry){"svd.singular_values", MC_DTYPE_F64, 1, {m->k}, m->singular_values};
        e[ne++] = (mc_tensor_entry){"svd.explained_variance_ratio", MC_DTYPE_F64, 1, {m->k},
                                    m->explained_variance_ratio};
        e[ne++] = (mc_tensor_entry){"svd.components", MC_DTYPE_F32, 2, {m->k, m->n_features}, comp};
        st = mc_safetensors_write(path, e, ne, ml.key, (const char *const *)ml.value, ml.n);
    }
    for (int i = 0; i < ml.n; i++) free(ml.value[i]);
    for (int b = 0; b < N_BLOCKS; b++) {
        free(vocab[b]);
        free(df[b]);
        free(idf[b]);
    }
    free(comp);
    return st;
}

/* ---- loading */

typedef struct loader {
    const mc_safetensors *f;
    const char *path;
    mc_status st;
} loader;

static mc_status lfail(loader *L, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static mc_status lfail(loader *L, const char *fmt, ...) {
    if (L->st != MC_STATUS_OK) return L->st;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    L->st = mc_error_set(MC_STATUS_FORMAT, "%s: %s", L->path, msg);
    return L->st;
}

static const char *meta(loader *L, const char *key) {
    const char *v = mc_safetensors_meta(L->f, key);
    if (!v) lfail(L, "metadata '%s' is missing", key);
    return v;
}

static int64_t meta_int(loader *L, const char *key, int64_t lo, int64_t hi) {
    const char *v = meta(L, key);
    if (!v) return lo;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) {
        lfail(L, "metadata '%s' is '%s': need a whole number in %lld..%lld", key, v, (long long)lo, (long long)hi);
        return lo;
    }
    return x;
}

static double meta_double(loader *L, const char *key) {
    const char *v = meta(L, key);
    if (!v) return 0;
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !isfinite(x)) {
        lfail(L, "metadata '%s' is '%s': need a finite number", key, v);
        return 0;
    }
    return x;
}

static bool meta_choice(loader *L, const char *key, const char *yes, const char *no) {
    const char *v = meta(L, key);
    if (!v) return false;
    if (strcmp(v, yes) == 0) return true;
    if (strcmp(v, no) != 0) lfail(L, "metadata '%s' is '%s': need '%s' or '%s'", key, v, yes, no);
    return false;
}

static const mc_tensor_entry *tensor(loader *L, const char *name, mc_dtype dt, int ndim, int64_t d0, int64_t d1) {
    const mc_tensor_entry *e = mc_safetensors_find(L->f, name);
    if (!e) {
        lfail(L, "tensor '%s' is missing", name);
        return NULL;
    }
    if (e->dtype != dt || e->ndim != ndim || (d0 >= 0 && e->shape[0] != d0) ||
        (ndim > 1 && d1 >= 0 && e->shape[1] != d1)) {
        char got[64], want[64];
        if (e->ndim == 1) snprintf(got, sizeof got, "(%lld)", (long long)e->shape[0]);
        else if (e->ndim == 2) snprintf(got, sizeof got, "(%lld, %lld)", (long long)e->shape[0], (long long)e->shape[1]);
        else snprintf(got, sizeof got, "%d dimensions", e->ndim);
        if (ndim == 1) snprintf(want, sizeof want, "(%lld)", (long long)d0);
        else if (d0 < 0) snprintf(want, sizeof want, "(k, %lld)", (long long)d1);
        else snprintf(want, sizeof want, "(%lld, %lld)", (long long)d0, (long long)d1);
        lfail(L, "tensor '%s' is %s %s: expected %s %s", name, mc_dtype_name(e->dtype), got, mc_dtype_name(dt), want);
        return NULL;
    }
    return e;
}

/* "<block>.<suffix>" in buf (each use is over before the next one writes buf). */
static const char *bkey(char buf[48], int b, const char *suffix) {
    snprintf(buf, 48, "%s.%s", BLOCK_NAME[b], suffix);
    return buf;
}

/* One TF-IDF block from the file. */
static mc_tfidf *load_block(loader *L, int b) {
    char kb[48];
    mc_tfidf_config c;
    const char *an = meta(L, bkey(kb, b, "analyzer"));
    if (!an) return NULL;
    const char *want = b == BLOCK_WORD ? "word" : "char_wb";
    if (strcmp(an, want) != 0) {
        lfail(L, "metadata '%s' is '%s': expected '%s'", bkey(kb, b, "analyzer"), an, want);
        return NULL;
    }
    mc_text_tfidf_config_default(&c, b == BLOCK_WORD ? MC_TEXT_ANALYZER_WORD : MC_TEXT_ANALYZER_CHAR_WB);
    const char *ng = meta(L, bkey(kb, b, "ngram_range"));
    if (ng && sscanf(ng, "%d,%d", &c.ngram_min, &c.ngram_max) != 2) lfail(L, "ngram_range '%s' is not 'min,max'", ng);
    c.min_df = meta_double(L, bkey(kb, b, "min_df"));
    c.max_df = meta_double(L, bkey(kb, b, "max_df"));
    c.sublinear_tf = meta_choice(L, bkey(kb, b, "sublinear_tf"), "true", "false");
    c.smooth_idf = meta_choice(L, bkey(kb, b, "smooth_idf"), "true", "false");
    c.l2_norm = meta_choice(L, bkey(kb, b, "norm"), "l2", "none");
    c.tokens = meta_choice(L, bkey(kb, b, "tokens"), "chunks", "words") ? MC_TEXT_TOKENS_CHUNKS : MC_TEXT_TOKENS_WORDS;
    int64_t n_docs = meta_int(L, bkey(kb, b, "n_docs"), 1, INT64_MAX);
    const char *vocab = meta(L, bkey(kb, b, "vocabulary"));
    if (L->st != MC_STATUS_OK) return NULL;
    if (mc_text_tfidf_config_validate(&c) != MC_STATUS_OK) {
        lfail(L, "block '%s': %s", BLOCK_NAME[b], mc_error_message());
        return NULL;
    }
    int64_t nt = vocab[0] ? 1 : 0;
    for (const char *p = vocab; *p; p++) nt += *p == '\n';
    const mc_tensor_entry *ti = tensor(L, bkey(kb, b, "idf"), MC_DTYPE_F64, 1, nt, -1);
    const mc_tensor_entry *td = tensor(L, bkey(kb, b, "df"), MC_DTYPE_I64, 1, nt, -1);
    if (!ti || !td) return NULL;
    const char **terms = malloc((size_t)(nt ? nt : 1) * sizeof *terms); // (nt) into vocab
    size_t *lens = malloc((size_t)(nt ? nt : 1) * sizeof *lens);       // (nt)
    int64_t *df = malloc((size_t)(nt ? nt : 1) * sizeof *df);          // (nt) aligned copies: tensors
    double *idf = malloc((size_t)(nt ? nt : 1) * sizeof *idf);         // (nt) in a file may be unaligned
    mc_tfidf *t = NULL;
    if (df && idf && nt > 0) {
        memcpy(df, td->data, (size_t)nt * sizeof *df);
        memcpy(idf, ti->data, (size_t)nt * sizeof *idf);
    }
    if (!terms || !lens || !df || !idf) {
        L->st = mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory", L->path);
    } else {
        const char *p = vocab;
        for (int64_t j = 0; j < nt; j++) {
            const char *q = strchr(p, '\n');
            if (!q) q = p + strlen(p);
            terms[j] = p;
            lens[j] = (size_t)(q - p);
            p = *q ? q + 1 : q;
        }
        mc_status st = mc_text_tfidf_from_vocab(&c, n_docs, terms, lens, nt, df, idf, &t);
        if (st == MC_STATUS_NO_MEMORY) L->st = st;
        else if (st != MC_STATUS_OK) lfail(L, "block '%s': %s", BLOCK_NAME[b], mc_error_message());
    }
    free(terms);
    free(lens);
    free(df);
    free(idf);
    return t;
}

mc_status mc_text_lyrics_model_load(const char *path, mc_lyrics_model **out) {
    if (!out || !path) return mc_error_set(MC_STATUS_INVALID_ARG, "lyrics model load: NULL argument");
    *out = NULL;
    mc_safetensors *f = NULL;
    mc_status st = mc_safetensors_read(path, &f);
    if (st != MC_STATUS_OK) return st;
    loader L = {f, path, MC_STATUS_OK};
    mc_lyrics_model *m = calloc(1, sizeof *m);
    if (!m) L.st = mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
    const char *fmt = L.st == MC_STATUS_OK ? meta(&L, "format") : NULL;
    if (fmt && strcmp(fmt, FORMAT_NAME) != 0) lfail(&L, "format is '%s', not a lyrics model (%s)", fmt, FORMAT_NAME);
    const char *ver = L.st == MC_STATUS_OK ? meta(&L, "format_version") : NULL;
    if (ver && strcmp(ver, FORMAT_VERSION) != 0)
        lfail(&L, "format_version '%s' is not supported (this build reads %s)", ver, FORMAT_VERSION);
    const char *blocks = L.st == MC_STATUS_OK ? meta(&L, "blocks") : NULL;
    bool use[N_BLOCKS] = {false, false};
    if (blocks) {
        use[BLOCK_WORD] = strcmp(blocks, "word,char") == 0 || strcmp(blocks, "word") == 0;
        use[BLOCK_CHAR] = strcmp(blocks, "word,char") == 0 || strcmp(blocks, "char") == 0;
        if (!use[BLOCK_WORD] && !use[BLOCK_CHAR]) lfail(&L, "blocks '%s': need word,char, word or char", blocks);
    }
    if (L.st == MC_STATUS_OK) {
        m->dim = (int)meta_int(&L, "dim", 1, 4096);
        m->drop = meta_choice(&L, "drop_first", "true", "false") ? 1 : 0;
        m->normalize = meta_choice(&L, "normalize", "l2", "none");
        const char *sd = meta(&L, "svd.seed");
        char *end = NULL;
        if (sd) {
            errno = 0;
            m->seed = strtoull(sd, &end, 10);
            if (errno || end == sd || *end || sd[0] == '-') lfail(&L, "metadata 'svd.seed' is '%s'", sd);
        }
        m->svd_iter = (int)meta_int(&L, "svd.n_iter", 0, 100);
        m->svd_oversamples = (int)meta_int(&L, "svd.n_oversamples", 0, 1000);
    }
    double wsq = 0;
    char kb[48];
    for (int b = 0; b < N_BLOCKS && L.st == MC_STATUS_OK; b++) {
        if (!use[b]) continue;
        m->block[b] = load_block(&L, b);
        if (L.st != MC_STATUS_OK) break;
        m->weight[b] = meta_double(&L, bkey(kb, b, "weight"));
        if (L.st == MC_STATUS_OK && !(m->weight[b] > 0 && m->weight[b] <= 1))
            lfail(&L, "metadata '%s' is %g: need 0 < weight <= 1", bkey(kb, b, "weight"), m->weight[b]);
        wsq += m->weight[b] * m->weight[b];
    }
    if (L.st == MC_STATUS_OK && fabs(wsq - 1.0) > 1e-12)
        lfail(&L, "the block weights' squares sum to %.17g, not 1", wsq);
    if (L.st == MC_STATUS_OK) {
        double w[N_BLOCKS] = {m->weight[0], m->weight[1]};
        mc_lyrics_model_set_layout(m, 0.0);
        m->weight[0] = w[0]; /* the stored weights are used as they are: exact round trip */
        m->weight[1] = w[1];
        if (m->n_features > INT32_MAX) lfail(&L, "%lld terms is too many", (long long)m->n_features);
    }
    const mc_tensor_entry *tc = NULL, *ts = NULL, *tr = NULL;
    if (L.st == MC_STATUS_OK) {
        tc = tensor(&L, "svd.components", MC_DTYPE_F32, 2, -1, m->n_features);
        if (tc) {
            m->k = (int)(tc->shape[0] <= 4097 ? tc->shape[0] : 0);
            if (m->k <= m->drop || m->k > m->dim + m->drop)
                lfail(&L, "svd.components has %lld rows: need %d..%d for dim %d%s", (long long)tc->shape[0],
                      m->drop + 1, m->dim + m->drop, m->dim, m->drop ? " and drop_first" : "");
        }
    }
    if (L.st == MC_STATUS_OK) {
        ts = tensor(&L, "svd.singular_values", MC_DTYPE_F64, 1, m->k, -1);
        tr = tensor(&L, "svd.explained_variance_ratio", MC_DTYPE_F64, 1, m->k, -1);
    }
    if (L.st == MC_STATUS_OK) {
        m->rank = m->k - m->drop;
        L.st = mc_lyrics_model_alloc_svd(m);
    }
    if (L.st == MC_STATUS_OK) {
        /* Tensors in a safetensors file need not be aligned for their type: copy element by element. */
        const unsigned char *c = tc->data;
        for (int j = 0; j < m->k && L.st == MC_STATUS_OK; j++) {
            for (int64_t col = 0; col < m->n_features; col++) {
                float v;
                memcpy(&v, c + ((int64_t)j * m->n_features + col) * (int64_t)sizeof v, sizeof v);
                if (!isfinite(v)) {
                    lfail(&L, "svd.components[%d, %lld] is not finite", j, (long long)col);
                    break;
                }
                m->components_t[col * m->k + j] = v;
            }
            memcpy(&m->singular_values[j], (const unsigned char *)ts->data + (size_t)j * sizeof(double), sizeof(double));
            memcpy(&m->explained_variance_ratio[j], (const unsigned char *)tr->data + (size_t)j * sizeof(double),
                   sizeof(double));
            if (!isfinite(m->singular_values[j]) || !isfinite(m->explained_variance_ratio[j]))
                lfail(&L, "svd.singular_values or explained_variance_ratio [%d] is not finite", j);
        }
    }
    mc_safetensors_free(f);
    if (L.st != MC_STATUS_OK) {
        mc_text_lyrics_model_free(m);
        return L.st;
    }
    *out = m;
    return MC_STATUS_OK;
}
