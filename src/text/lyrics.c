/* The lyrics embedding as a fitted model: word and/or char_wb TF-IDF blocks, randomised truncated SVD,
 * optional removal of the first component and row normalisation; the language of every text; saving
 * and loading the model (safetensors). */
#include "text_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Texts per chunk in transform: the sparse rows of one chunk are all that is held at once, so memory
 * does not grow with the number of texts. A constant: the bytes never depend on it anyway (every row
 * is computed on its own). */
#define CHUNK 256

enum { BLOCK_WORD = 0, BLOCK_CHAR = 1, N_BLOCKS = 2 };
static const char *const BLOCK_NAME[N_BLOCKS] = {"word", "char"};

struct mc_lyrics_model {
    int dim;                          /* output columns */
    int rank;                         /* output columns computed (k - drop) */
    int k;                            /* SVD components kept in the model, the dropped one included */
    int drop;                         /* 1: the first component is left out */
    bool normalize;                   /* unit-norm output rows */
    uint64_t seed;                    /* of the SVD fit (recorded, not used by transform) */
    int svd_iter, svd_oversamples;    /* idem */
    mc_tfidf *block[N_BLOCKS];        /* NULL when the block is not used */
    double weight[N_BLOCKS];          /* scale of each block's unit rows (sqrt of its share) */
    int64_t offset[N_BLOCKS];         /* first column of each block in the concatenation */
    int64_t n_features;               /* columns of the concatenation */
    float *components_t;              // (n_features, k) row-major: V, so that a term's k weights are contiguous
    double *singular_values;          // (k)
    double *explained_variance_ratio; // (k)
};

void mc_text_lyrics_config_default(mc_lyrics_config *c) {
    memset(c, 0, sizeof *c);
    c->dim = 64;
    c->seed = 0;
    /* Chosen on seeded tune/check splits of lyrics-en-de (tools/lyrics_eval.py): character n-grams
     * of the raw chunks (punctuation, digits and [section] marks carry style), min_df as a fraction
     * (a count of 2 keeps ever more rare n-grams as the collection grows), the first component left
     * out and unit rows (k-means on cosine). */
    c->min_df = 0.01;
    c->max_df = 1.0;
    c->word_weight = 0;
    c->word_ngram_min = 1;
    c->word_ngram_max = 1;
    c->char_ngram_min = 2;
    c->char_ngram_max = 4;
    c->char_tokens = MC_TEXT_TOKENS_CHUNKS;
    c->svd_iter = 5;
    c->svd_oversamples = 10;
    c->drop_first = true;
    c->normalize = true;
    c->threads = 0;
    c->progress = NULL;
}

/* Put `prefix` before the current error message (copied first: mc_error_set writes the buffer that
 * mc_error_message returns). */
static mc_status prefix_error(mc_status st, const char *prefix) {
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", mc_error_message());
    return mc_error_set(st, "%s%s", prefix, msg);
}

static void tfidf_configs(const mc_lyrics_config *c, mc_tfidf_config *w, mc_tfidf_config *ch) {
    mc_text_tfidf_config_default(w, MC_TEXT_ANALYZER_WORD);
    w->ngram_min = c->word_ngram_min;
    w->ngram_max = c->word_ngram_max;
    w->min_df = c->min_df;
    w->max_df = c->max_df;
    mc_text_tfidf_config_default(ch, MC_TEXT_ANALYZER_CHAR_WB);
    ch->ngram_min = c->char_ngram_min;
    ch->ngram_max = c->char_ngram_max;
    ch->min_df = c->min_df;
    ch->max_df = c->max_df;
    ch->tokens = c->char_tokens;
}

mc_status mc_text_lyrics_config_validate(const mc_lyrics_config *c) {
    if (!c) return mc_error_set(MC_STATUS_INVALID_ARG, "lyrics config is NULL");
    if (c->dim < 1 || c->dim > 4096) return mc_error_set(MC_STATUS_INVALID_ARG, "dim %d: need 1..4096", c->dim);
    if (c->svd_iter < 0 || c->svd_iter > 100)
        return mc_error_set(MC_STATUS_INVALID_ARG, "svd_iter %d: need 0..100", c->svd_iter);
    if (c->svd_oversamples < 0 || c->svd_oversamples > 1000)
        return mc_error_set(MC_STATUS_INVALID_ARG, "svd_oversamples %d: need 0..1000", c->svd_oversamples);
    if (!(c->word_weight >= 0 && c->word_weight <= 1))
        return mc_error_set(MC_STATUS_INVALID_ARG, "word_weight %g: need 0..1", c->word_weight);
    mc_tfidf_config w, ch;
    tfidf_configs(c, &w, &ch);
    mc_status st = mc_text_tfidf_config_validate(&w);
    if (st != MC_STATUS_OK) return prefix_error(st, "word ");
    st = mc_text_tfidf_config_validate(&ch);
    if (st != MC_STATUS_OK) return prefix_error(st, "char ");
    return MC_STATUS_OK;
}

void mc_text_lyrics_free(mc_lyrics *l) {
    if (!l) return;
    mc_free(l->vectors);
    mc_free(l->has_lyrics);
    mc_free(l->language);
    mc_free(l->explained_variance_ratio);
    memset(l, 0, sizeof *l);
}

void mc_text_lyrics_model_free(mc_lyrics_model *m) {
    if (!m) return;
    for (int b = 0; b < N_BLOCKS; b++) mc_text_tfidf_free(m->block[b]);
    mc_free(m->components_t);
    mc_free(m->singular_values);
    mc_free(m->explained_variance_ratio);
    free(m);
}

int mc_text_lyrics_model_dim(const mc_lyrics_model *m) { return m ? m->dim : 0; }
int mc_text_lyrics_model_rank(const mc_lyrics_model *m) { return m ? m->rank : 0; }

int64_t mc_text_lyrics_model_terms(const mc_lyrics_model *m, mc_text_analyzer block) {
    if (!m) return 0;
    return mc_text_tfidf_n_terms(m->block[block == MC_TEXT_ANALYZER_WORD ? BLOCK_WORD : BLOCK_CHAR]);
}

const mc_tfidf *mc_text_lyrics_model_block(const mc_lyrics_model *m, mc_text_analyzer block) {
    return m ? m->block[block == MC_TEXT_ANALYZER_WORD ? BLOCK_WORD : BLOCK_CHAR] : NULL;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---------------------------------------------------------------- features and projection */

/* The concatenated TF-IDF rows H (n, n_features) of texts under the model's vocabularies: each block
 * by mc_text_tfidf_transform (unit rows), scaled by its weight and stored as float32 in block order.
 * Every row depends only on its own text. */
static mc_status features(const mc_lyrics_model *m, const char *const *texts, int64_t n, int threads, mc_csr *H) {
    memset(H, 0, sizeof *H);
    mc_csr part[N_BLOCKS];
    memset(part, 0, sizeof part);
    mc_status st = MC_STATUS_OK;
    int64_t nnz = 0;
    for (int b = 0; b < N_BLOCKS && st == MC_STATUS_OK; b++)
        if (m->block[b]) {
            st = mc_text_tfidf_transform(m->block[b], texts, n, threads, &part[b]);
            if (st == MC_STATUS_OK) nnz += mc_csr_nnz(&part[b]);
        }
    if (st == MC_STATUS_OK) {
        H->n_rows = n;
        H->n_cols = m->n_features;
        H->indptr = mc_alloc((size_t)n + 1, sizeof *H->indptr);
        H->indices = mc_alloc((size_t)(nnz > 0 ? nnz : 1), sizeof *H->indices);
        H->data = mc_alloc((size_t)(nnz > 0 ? nnz : 1), sizeof *H->data);
        if (!H->indptr || !H->indices || !H->data)
            st = mc_error_set(MC_STATUS_NO_MEMORY, "lyrics: out of memory for %lld TF-IDF values", (long long)nnz);
    }
    if (st == MC_STATUS_OK) {
        int64_t k = 0;
        for (int64_t i = 0; i < n; i++) {
            /* A text without a letter has no lyrics, whatever chunks of digits or punctuation it
             * has: an empty row (the fit leaves such texts out). */
            const bool words = texts[i] && mc_text_has_word(texts[i], strlen(texts[i]));
            for (int b = 0; b < N_BLOCKS && words; b++) {
                if (!m->block[b]) continue;
                const mc_csr *P = &part[b];
                for (int64_t p = P->indptr[i]; p < P->indptr[i + 1]; p++, k++) {
                    H->indices[k] = (int32_t)(P->indices[p] + m->offset[b]);
                    H->data[k] = (float)(m->weight[b] * P->data[p]);
                }
            }
            H->indptr[i + 1] = k;
        }
    }
    for (int b = 0; b < N_BLOCKS; b++) mc_text_csr_free(&part[b]);
    if (st != MC_STATUS_OK) mc_text_csr_free(H);
    return st;
}

/* Z (H.n_rows, dim) from the TF-IDF rows: z = h V (double sums over the row's terms in column order),
 * the first component left out when drop, columns past rank zero, unit norm when normalize (a zero
 * row stays zero). has (may be NULL): 1 when the row has a term. */
static void project(const mc_lyrics_model *m, const mc_csr *H, int threads, float *Z, uint8_t *has) {
    const int k = m->k, dim = m->dim, drop = m->drop;
    int nt = threads > 0 ? threads : mc_threads_available();
#pragma omp parallel num_threads(nt)
    {
        double z[4097]; /* (k) k <= dim + 1 <= 4097 */
#pragma omp for schedule(static)
        for (int64_t i = 0; i < H->n_rows; i++) {
            for (int j = 0; j < k; j++) z[j] = 0.0;
            for (int64_t p = H->indptr[i]; p < H->indptr[i + 1]; p++) {
                const double x = H->data[p];
                const float *v = m->components_t + (int64_t)H->indices[p] * k;
                for (int j = 0; j < k; j++) z[j] += x * v[j];
            }
            double scale = 1.0;
            if (m->normalize) {
                double sq = 0;
                for (int j = drop; j < k; j++) sq += z[j] * z[j];
                scale = sq > 0 ? 1.0 / sqrt(sq) : 1.0;
            }
            float *out = Z + i * dim;
            for (int j = 0; j < dim; j++) out[j] = j + drop < k ? (float)(z[j + drop] * scale) : 0.0f;
            if (has) has[i] = H->indptr[i + 1] > H->indptr[i];
        }
    }
}

mc_status mc_text_lyrics_transform(const mc_lyrics_model *m, const char *const *texts, int64_t n,
                                   int threads, float *Z, uint8_t *has_lyrics) {
    if (!m || (n > 0 && (!texts || !Z)) || n < 0)
        return mc_error_set(MC_STATUS_INVALID_ARG, "lyrics transform: NULL model, texts or output");
    for (int64_t c0 = 0; c0 < n; c0 += CHUNK) {
        int64_t cn = n - c0 < CHUNK ? n - c0 : CHUNK;
        mc_csr H;
        mc_status st = features(m, texts + c0, cn, threads, &H);
        if (st != MC_STATUS_OK) return st;
        project(m, &H, threads, Z + c0 * m->dim, has_lyrics ? has_lyrics + c0 : NULL);
        mc_text_csr_free(&H);
    }
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- fit */

static mc_status model_alloc_svd(mc_lyrics_model *m) {
    m->components_t = mc_alloc((size_t)m->n_features * m->k, sizeof *m->components_t);
    m->singular_values = mc_alloc((size_t)m->k, sizeof *m->singular_values);
    m->explained_variance_ratio = mc_alloc((size_t)m->k, sizeof *m->explained_variance_ratio);
    if (!m->components_t || !m->singular_values || !m->explained_variance_ratio)
        return mc_error_set(MC_STATUS_NO_MEMORY, "lyrics: out of memory for %lld x %d SVD components",
                            (long long)m->n_features, m->k);
    return MC_STATUS_OK;
}

/* Block weights and column offsets from the blocks present and the word share. */
static void set_layout(mc_lyrics_model *m, double word_weight) {
    int64_t off = 0;
    for (int b = 0; b < N_BLOCKS; b++) {
        m->offset[b] = off;
        off += mc_text_tfidf_n_terms(m->block[b]);
    }
    m->n_features = off;
    if (m->block[BLOCK_WORD] && m->block[BLOCK_CHAR]) {
        m->weight[BLOCK_WORD] = sqrt(word_weight);
        m->weight[BLOCK_CHAR] = sqrt(1.0 - word_weight);
    } else {
        m->weight[BLOCK_WORD] = m->block[BLOCK_WORD] ? 1.0 : 0.0;
        m->weight[BLOCK_CHAR] = m->block[BLOCK_CHAR] ? 1.0 : 0.0;
    }
}

/* The model fitted on docs (m texts that all have a word); H receives their TF-IDF rows. */
static mc_status fit_docs(const mc_lyrics_config *c, const char *const *docs, int64_t nd, int nt,
                          mc_lyrics_model **out, mc_csr *H) {
    *out = NULL;
    memset(H, 0, sizeof *H);
    mc_lyrics_model *m = calloc(1, sizeof *m);
    if (!m) return mc_error_set(MC_STATUS_NO_MEMORY, "lyrics: out of memory");
    m->dim = c->dim;
    m->drop = c->drop_first ? 1 : 0;
    m->normalize = c->normalize;
    m->seed = c->seed;
    m->svd_iter = c->svd_iter;
    m->svd_oversamples = c->svd_oversamples;
    mc_tfidf_config cfg[N_BLOCKS];
    tfidf_configs(c, &cfg[BLOCK_WORD], &cfg[BLOCK_CHAR]);
    const bool use[N_BLOCKS] = {c->word_weight > 0, c->word_weight < 1};
    mc_status st = MC_STATUS_OK;
    for (int b = 0; b < N_BLOCKS && st == MC_STATUS_OK; b++)
        if (use[b] && (st = mc_text_tfidf_fit(&cfg[b], docs, nd, &m->block[b])) != MC_STATUS_OK)
            st = prefix_error(st, b == BLOCK_WORD ? "word " : "char ");
    if (st == MC_STATUS_OK) {
        set_layout(m, c->word_weight);
        if (m->n_features > INT32_MAX)
            st = mc_error_set(MC_STATUS_INVALID_ARG, "lyrics: %lld terms is too many", (long long)m->n_features);
    }
    if (st == MC_STATUS_OK) st = features(m, docs, nd, nt, H);

    /* SVD to min(dim + drop, texts, terms) components; the output columns past rank stay zero. */
    if (st == MC_STATUS_OK) {
        int64_t k = (int64_t)c->dim + m->drop;
        if (k > nd) k = nd;
        if (k > m->n_features) k = m->n_features;
        if (k <= m->drop) { /* one text or one term: the only component is kept */
            mc_log(MC_LOG_LEVEL_WARN, "lyrics: %lld text(s) with lyrics and %lld term(s) give one component; it is "
                   "kept (drop_first needs two)", (long long)nd, (long long)m->n_features);
            m->drop = 0;
        }
        m->k = (int)k;
        m->rank = (int)k - m->drop;
        if (st == MC_STATUS_OK && m->rank < c->dim)
            mc_log(MC_LOG_LEVEL_WARN, "lyrics: only %d components can be computed from %lld texts with lyrics "
                   "and %lld terms; columns %d..%d of the %d are zero", m->rank, (long long)nd,
                   (long long)m->n_features, m->rank, c->dim - 1, c->dim);
    }
    if (st == MC_STATUS_OK) st = model_alloc_svd(m);
    if (st == MC_STATUS_OK) {
        mc_svd_config sc;
        mc_text_svd_config_default(&sc);
        sc.n_components = m->k;
        sc.n_oversamples = c->svd_oversamples;
        sc.n_iter = c->svd_iter;
        sc.seed = c->seed;
        sc.threads = nt;
        mc_svd svd = {0};
        st = mc_text_svd_fit(&sc, H, &svd, NULL);
        if (st == MC_STATUS_OK) {
            const int k = m->k;
            for (int j = 0; j < k; j++) {
                const double *row = svd.components + (int64_t)j * m->n_features;
                for (int64_t col = 0; col < m->n_features; col++) m->components_t[col * k + j] = (float)row[col];
                m->singular_values[j] = svd.singular_values[j];
                m->explained_variance_ratio[j] = svd.explained_variance_ratio[j];
            }
        }
        mc_text_svd_free(&svd);
    }
    if (st != MC_STATUS_OK) {
        mc_text_csr_free(H);
        mc_text_lyrics_model_free(m);
        return st;
    }
    *out = m;
    return MC_STATUS_OK;
}

/* Which texts have a word (tokenizer), and their language when out_lang is given. */
static mc_status scan_texts(const char *const *texts, int64_t n, int nt, mc_progress *progress, uint8_t *words,
                            mc_lang_guess *out_lang) {
    mc_langid *lid = NULL;
    mc_status st = out_lang ? mc_text_langid_create(&lid) : MC_STATUS_OK;
    if (st != MC_STATUS_OK) return st;
    int failed = 0;
    char msg[256] = "";
#pragma omp parallel num_threads(nt)
    {
        mc_textbuf tb = {0};
#pragma omp for schedule(dynamic, 4)
        for (int64_t i = 0; i < n; i++) {
            const char *t = texts[i] ? texts[i] : "";
            size_t len = strlen(t);
            mc_status s = mc_text_tokenize_padded(t, len, &tb);
            if (s == MC_STATUS_OK) {
                words[i] = tb.words > 0;
                if (out_lang) {
                    if (tb.words > 0) s = mc_text_langid_detect(lid, t, len, &out_lang[i]);
                    else {
                        memset(&out_lang[i], 0, sizeof out_lang[i]);
                        snprintf(out_lang[i].language, sizeof out_lang[i].language, "unknown");
                    }
                }
            }
            if (s != MC_STATUS_OK) {
#pragma omp critical(mc_text_lyrics_err)
                {
                    if (!failed) snprintf(msg, sizeof msg, "%s", mc_error_message());
                    failed = 1;
                }
            }
            mc_progress_tick(progress, 1);
        }
        mc_textbuf_free(&tb);
    }
    mc_text_langid_free(lid);
    if (failed) return mc_error_set(MC_STATUS_NO_MEMORY, "lyrics: %s", msg);
    return MC_STATUS_OK;
}

/* The texts with a word, in order: docs (nd) and their rows. */
static int64_t gather_docs(const char *const *texts, int64_t n, const uint8_t *words, const char **docs,
                           int64_t *rows) {
    int64_t nd = 0;
    for (int64_t i = 0; i < n; i++)
        if (words[i]) {
            docs[nd] = texts[i];
            if (rows) rows[nd] = i;
            nd++;
        }
    return nd;
}

mc_status mc_text_lyrics_fit(const mc_lyrics_config *c, const char *const *texts, int64_t n,
                             mc_lyrics_model **out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "lyrics fit: out is NULL");
    *out = NULL;
    mc_status st = mc_text_lyrics_config_validate(c);
    if (st != MC_STATUS_OK) return st;
    if (n < 1 || !texts) return mc_error_set(MC_STATUS_EMPTY, "lyrics: no texts");
    const int nt = c->threads > 0 ? c->threads : mc_threads_available();
    uint8_t *words = malloc((size_t)n * sizeof *words); // (n)
    const char **docs = malloc((size_t)n * sizeof *docs); // (nd)
    if (!words || !docs) st = mc_error_set(MC_STATUS_NO_MEMORY, "lyrics: out of memory for %lld texts", (long long)n);
    if (st == MC_STATUS_OK) st = scan_texts(texts, n, nt, NULL, words, NULL);
    int64_t nd = 0;
    if (st == MC_STATUS_OK && (nd = gather_docs(texts, n, words, docs, NULL)) == 0)
        st = mc_error_set(MC_STATUS_EMPTY, "lyrics: none of the %lld texts has a word", (long long)n);
    mc_csr H = {0};
    if (st == MC_STATUS_OK) st = fit_docs(c, docs, nd, nt, out, &H);
    mc_text_csr_free(&H);
    free(words);
    free(docs);
    return st;
}

/* Statistics of a model into an mc_lyrics whose vectors, has_lyrics and language are filled. */
static void fill_stats(const mc_lyrics_model *m, mc_lyrics *out) {
    out->rank = m->rank;
    out->n_word_terms = mc_text_tfidf_n_terms(m->block[BLOCK_WORD]);
    out->n_char_terms = mc_text_tfidf_n_terms(m->block[BLOCK_CHAR]);
    for (int j = 0; j < m->dim; j++)
        out->explained_variance_ratio[j] = j < m->rank ? m->explained_variance_ratio[j + m->drop] : 0.0;
    out->n_with_lyrics = 0;
    for (int64_t i = 0; i < out->n; i++) out->n_with_lyrics += out->has_lyrics[i];
}

static mc_status alloc_out(mc_lyrics *out, int64_t n, int dim) {
    out->n = n;
    out->dim = dim;
    out->vectors = mc_alloc((size_t)n * dim, sizeof *out->vectors);
    out->has_lyrics = mc_alloc((size_t)n, sizeof *out->has_lyrics);
    out->language = mc_alloc((size_t)n, sizeof *out->language);
    out->explained_variance_ratio = mc_alloc((size_t)dim, sizeof *out->explained_variance_ratio);
    if (!out->vectors || !out->has_lyrics || !out->language || !out->explained_variance_ratio) {
        mc_text_lyrics_free(out);
        return mc_error_set(MC_STATUS_NO_MEMORY, "lyrics: out of memory for %lld texts x %d dims", (long long)n, dim);
    }
    return MC_STATUS_OK;
}

mc_status mc_text_lyrics_embed_model(const mc_lyrics_config *c, const char *const *texts, int64_t n,
                                     mc_lyrics *out, mc_lyrics_model **model) {
    if (model) *model = NULL;
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "lyrics: out is NULL");
    memset(out, 0, sizeof *out);
    mc_status st = mc_text_lyrics_config_validate(c);
    if (st != MC_STATUS_OK) return st;
    if (n < 1 || !texts) return mc_error_set(MC_STATUS_EMPTY, "lyrics: no texts");
    const double t0 = now_s();
    const int nt = c->threads > 0 ? c->threads : mc_threads_available();
    if ((st = alloc_out(out, n, c->dim)) != MC_STATUS_OK) return st;
    uint8_t *words = malloc((size_t)n * sizeof *words);   // (n)
    const char **docs = malloc((size_t)n * sizeof *docs); // (nd) the texts with words
    int64_t *rows = malloc((size_t)n * sizeof *rows);     // (nd) their row in vectors
    if (!words || !docs || !rows)
        st = mc_error_set(MC_STATUS_NO_MEMORY, "lyrics: out of memory for %lld texts", (long long)n);
    if (st == MC_STATUS_OK) st = scan_texts(texts, n, nt, c->progress, words, out->language);
    int64_t nd = 0;
    if (st == MC_STATUS_OK && (nd = gather_docs(texts, n, words, docs, rows)) == 0)
        st = mc_error_set(MC_STATUS_EMPTY, "lyrics: none of the %lld texts has a word", (long long)n);
    mc_lyrics_model *m = NULL;
    mc_csr H = {0};
    if (st == MC_STATUS_OK) st = fit_docs(c, docs, nd, nt, &m, &H);
    if (st == MC_STATUS_OK) {
        /* The fitted rows through the same projection as transform: identical bytes, without
         * computing the TF-IDF twice. Texts without words: zero rows (what transform gives them). */
        float *Z = malloc((size_t)nd * c->dim * sizeof *Z); // (nd, dim)
        uint8_t *has = malloc((size_t)nd * sizeof *has);    // (nd)
        if (!Z || !has) st = mc_error_set(MC_STATUS_NO_MEMORY, "lyrics: out of memory");
        else {
            project(m, &H, nt, Z, has);
            for (int64_t r = 0; r < nd; r++) {
                memcpy(out->vectors + rows[r] * c->dim, Z + r * c->dim, (size_t)c->dim * sizeof *Z);
                out->has_lyrics[rows[r]] = has[r];
            }
            fill_stats(m, out);
        }
        free(Z);
        free(has);
    }
    mc_text_csr_free(&H);
    free(words);
    free(docs);
    free(rows);
    if (st != MC_STATUS_OK) {
        mc_text_lyrics_model_free(m);
        mc_text_lyrics_free(out);
        return st;
    }
    if (model) *model = m;
    else mc_text_lyrics_model_free(m);
    out->seconds = now_s() - t0;
    return MC_STATUS_OK;
}

mc_status mc_text_lyrics_embed(const mc_lyrics_config *c, const char *const *texts, int64_t n,
                               mc_lyrics *out) {
    return mc_text_lyrics_embed_model(c, texts, n, out, NULL);
}

mc_status mc_text_lyrics_apply(const mc_lyrics_model *m, const char *const *texts, int64_t n, int threads,
                               mc_progress *progress, mc_lyrics *out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "lyrics apply: out is NULL");
    memset(out, 0, sizeof *out);
    if (!m || n < 1 || !texts) return mc_error_set(MC_STATUS_INVALID_ARG, "lyrics apply: no model or no texts");
    const double t0 = now_s();
    const int nt = threads > 0 ? threads : mc_threads_available();
    mc_status st = alloc_out(out, n, m->dim);
    if (st != MC_STATUS_OK) return st;
    uint8_t *words = malloc((size_t)n * sizeof *words); // (n)
    if (!words) st = mc_error_set(MC_STATUS_NO_MEMORY, "lyrics: out of memory for %lld texts", (long long)n);
    if (st == MC_STATUS_OK) st = scan_texts(texts, n, nt, progress, words, out->language);
    if (st == MC_STATUS_OK) st = mc_text_lyrics_transform(m, texts, n, nt, out->vectors, out->has_lyrics);
    free(words);
    if (st != MC_STATUS_OK) {
        mc_text_lyrics_free(out);
        return st;
    }
    fill_stats(m, out);
    out->seconds = now_s() - t0;
    return MC_STATUS_OK;
}

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
        set_layout(m, 0.0);
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
        L.st = model_alloc_svd(m);
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
