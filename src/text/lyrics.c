/* The lyrics embedding: language per text, word + char_wb TF-IDF, randomised SVD. */
#include "text_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void mc_text_lyrics_config_default(mc_lyrics_config *c) {
    memset(c, 0, sizeof *c);
    c->dim = 64;
    c->seed = 0;
    c->min_df = 2;
    c->max_df = 1.0;
    c->word_ngram_min = 1;
    c->word_ngram_max = 1;
    c->char_ngram_min = 2;
    c->char_ngram_max = 4;
    c->svd_iter = 5;
    c->svd_oversamples = 10;
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
}

mc_status mc_text_lyrics_config_validate(const mc_lyrics_config *c) {
    if (!c) return mc_error_set(MC_STATUS_INVALID_ARG, "lyrics config is NULL");
    if (c->dim < 1 || c->dim > 4096) return mc_error_set(MC_STATUS_INVALID_ARG, "dim %d: need 1..4096", c->dim);
    if (c->svd_iter < 0 || c->svd_iter > 100)
        return mc_error_set(MC_STATUS_INVALID_ARG, "svd_iter %d: need 0..100", c->svd_iter);
    if (c->svd_oversamples < 0 || c->svd_oversamples > 1000)
        return mc_error_set(MC_STATUS_INVALID_ARG, "svd_oversamples %d: need 0..1000", c->svd_oversamples);
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

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

mc_status mc_text_lyrics_embed(const mc_lyrics_config *c, const char *const *texts, int64_t n,
                               mc_lyrics *out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "lyrics: out is NULL");
    memset(out, 0, sizeof *out);
    mc_status st = mc_text_lyrics_config_validate(c);
    if (st != MC_STATUS_OK) return st;
    if (n < 1 || !texts) return mc_error_set(MC_STATUS_EMPTY, "lyrics: no texts");
    const double t0 = now_s();
    const int nt = c->threads > 0 ? c->threads : mc_threads_available();
    const int dim = c->dim;
    out->n = n;
    out->dim = dim;
    out->vectors = mc_alloc((size_t)n * dim, sizeof *out->vectors);
    out->has_lyrics = mc_alloc((size_t)n, sizeof *out->has_lyrics);
    out->language = mc_alloc((size_t)n, sizeof *out->language);
    out->explained_variance_ratio = mc_alloc((size_t)dim, sizeof *out->explained_variance_ratio);
    const char **docs = malloc((size_t)n * sizeof *docs); // (n_with_lyrics) the texts with words
    int64_t *rows = malloc((size_t)n * sizeof *rows);     // (n_with_lyrics) their row in vectors
    if (!out->vectors || !out->has_lyrics || !out->language || !out->explained_variance_ratio || !docs || !rows)
        st = mc_error_set(MC_STATUS_NO_MEMORY, "lyrics: out of memory for %lld texts x %d dims", (long long)n, dim);

    /* Language and presence of words, per text (in parallel; the identifier is read-only). */
    mc_langid *lid = NULL;
    if (st == MC_STATUS_OK) st = mc_text_langid_create(&lid);
    if (st == MC_STATUS_OK) {
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
                    out->has_lyrics[i] = tb.words > 0;
                    if (tb.words > 0) s = mc_text_langid_detect(lid, t, len, &out->language[i]);
                    else snprintf(out->language[i].language, sizeof out->language[i].language, "unknown");
                }
                if (s != MC_STATUS_OK) {
#pragma omp critical(mc_text_lyrics_err)
                    {
                        if (!failed) snprintf(msg, sizeof msg, "%s", mc_error_message());
                        failed = 1;
                    }
                }
                mc_progress_tick(c->progress, 1);
            }
            mc_textbuf_free(&tb);
        }
        if (failed) st = mc_error_set(MC_STATUS_NO_MEMORY, "lyrics: %s", msg);
    }
    mc_text_langid_free(lid);
    int64_t m = 0;
    if (st == MC_STATUS_OK) {
        for (int64_t i = 0; i < n; i++)
            if (out->has_lyrics[i]) {
                docs[m] = texts[i];
                rows[m++] = i;
            }
        out->n_with_lyrics = m;
        if (m == 0) st = mc_error_set(MC_STATUS_EMPTY, "lyrics: none of the %lld texts has a word", (long long)n);
    }

    /* TF-IDF blocks, fitted on the texts with lyrics (an empty text would only shift the idf). */
    mc_tfidf_config wc, cc;
    tfidf_configs(c, &wc, &cc);
    mc_tfidf *wv = NULL, *cv = NULL;
    mc_csr A = {0}, B = {0}, H = {0};
    if (st == MC_STATUS_OK && (st = mc_text_tfidf_fit(&wc, docs, m, &wv)) != MC_STATUS_OK)
        st = prefix_error(st, "word ");
    if (st == MC_STATUS_OK && (st = mc_text_tfidf_fit(&cc, docs, m, &cv)) != MC_STATUS_OK)
        st = prefix_error(st, "char ");
    if (st == MC_STATUS_OK) st = mc_text_tfidf_transform(wv, docs, m, nt, &A);
    if (st == MC_STATUS_OK) st = mc_text_tfidf_transform(cv, docs, m, nt, &B);
    /* Both blocks have unit rows; 1/sqrt(2) each gives unit rows with equal weight. */
    if (st == MC_STATUS_OK) st = mc_text_csr_hstack(&A, M_SQRT1_2, &B, M_SQRT1_2, &H);
    out->n_word_terms = mc_text_tfidf_n_terms(wv);
    out->n_char_terms = mc_text_tfidf_n_terms(cv);
    mc_text_tfidf_free(wv);
    mc_text_tfidf_free(cv);
    mc_text_csr_free(&A);
    mc_text_csr_free(&B);

    /* SVD to min(dim, texts, terms) components; the rest of the columns stay zero. */
    if (st == MC_STATUS_OK) {
        int64_t rank = dim;
        if (rank > m) rank = m;
        if (rank > H.n_cols) rank = H.n_cols;
        out->rank = (int)rank;
        if (rank < dim)
            mc_log(MC_LOG_LEVEL_WARN, "lyrics: only %lld components can be computed from %lld texts with lyrics "
                   "and %lld terms; columns %lld..%d of the %d are zero", (long long)rank, (long long)m,
                   (long long)H.n_cols, (long long)rank, dim - 1, dim);
        mc_svd_config sc;
        mc_text_svd_config_default(&sc);
        sc.n_components = (int)rank;
        sc.n_oversamples = c->svd_oversamples;
        sc.n_iter = c->svd_iter;
        sc.seed = c->seed;
        sc.threads = nt;
        float *Z = malloc((size_t)m * rank * sizeof *Z); // (m, rank)
        mc_svd svd = {0};
        st = Z ? mc_text_svd_fit(&sc, &H, &svd, Z) : mc_error_set(MC_STATUS_NO_MEMORY, "lyrics: out of memory");
        if (st == MC_STATUS_OK) {
            for (int64_t r = 0; r < m; r++)
                memcpy(out->vectors + rows[r] * dim, Z + r * rank, (size_t)rank * sizeof *Z);
            for (int j = 0; j < rank; j++) out->explained_variance_ratio[j] = svd.explained_variance_ratio[j];
        }
        mc_text_svd_free(&svd);
        free(Z);
    }
    mc_text_csr_free(&H);
    free(docs);
    free(rows);
    if (st != MC_STATUS_OK) {
        mc_text_lyrics_free(out);
        return st;
    }
    out->seconds = now_s() - t0;
    return MC_STATUS_OK;
}
