/* The lyrics embedding as a fitted model: word and/or char_wb TF-IDF blocks, randomised truncated SVD,
 * optional removal of the first component and row normalisation; the language of every text. Saving
 * and loading the model (safetensors) is in src/text/lyrics_io.c. */
#include "lyrics_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Texts per chunk in transform: the sparse rows of one chunk are all that is held at once, so memory
 * does not grow with the number of texts. A constant: the bytes never depend on it anyway (every row
 * is computed on its own). */
#define CHUNK 256


void mc_text_lyrics_config_default(mc_lyrics_config *c) {
    /* Chosen on seeded tune/check splits of lyrics-en-de (tools/lyrics_eval.py): character n-grams
     * of the raw chunks (punctuation, digits and [section] marks carry style), min_df as a fraction
     * (a count of 2 keeps ever more rare n-grams as the collection grows), the first component left
     * out and unit rows (k-means on cosine). Fields not named are 0: seed, word_weight (characters
     * only), threads (all cores), progress. */
    *c = (mc_lyrics_config){.dim = 64, .min_df = 0.01, .max_df = 1.0, .word_ngram_min = 1, .word_ngram_max = 1,
                            .char_ngram_min = 2, .char_ngram_max = 4, .char_tokens = MC_TEXT_TOKENS_CHUNKS,
                            .svd_iter = 5, .svd_oversamples = 10, .drop_first = true, .normalize = true};
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

mc_status mc_lyrics_model_alloc_svd(mc_lyrics_model *m) {
    m->components_t = mc_alloc((size_t)m->n_features * m->k, sizeof *m->components_t);
    m->singular_values = mc_alloc((size_t)m->k, sizeof *m->singular_values);
    m->explained_variance_ratio = mc_alloc((size_t)m->k, sizeof *m->explained_variance_ratio);
    if (!m->components_t || !m->singular_values || !m->explained_variance_ratio)
        return mc_error_set(MC_STATUS_NO_MEMORY, "lyrics: out of memory for %lld x %d SVD components",
                            (long long)m->n_features, m->k);
    return MC_STATUS_OK;
}

/* Block weights and column offsets from the blocks present and the word share. */
void mc_lyrics_model_set_layout(mc_lyrics_model *m, double word_weight) {
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
        mc_lyrics_model_set_layout(m, c->word_weight);
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
    if (st == MC_STATUS_OK) st = mc_lyrics_model_alloc_svd(m);
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
    const double t0 = mc_clock_seconds();
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
    out->seconds = mc_clock_seconds() - t0;
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
    const double t0 = mc_clock_seconds();
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
    out->seconds = mc_clock_seconds() - t0;
    return MC_STATUS_OK;
}
