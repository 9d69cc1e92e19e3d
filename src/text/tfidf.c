/* TF-IDF over word or char_wb n-grams as sklearn.feature_extraction.text.TfidfVectorizer (1.2):
 * CountVectorizer._count_vocab + _limit_features (min_df / max_df), sorted vocabulary, then
 * TfidfTransformer (sublinear_tf, smooth_idf, norm='l2'). Also the CSR helpers. */
#include "text_internal.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

struct mc_tfidf {
    mc_tfidf_config cfg;
    int64_t n_docs;
    mc_strmap vocab; /* entry id == column: terms were inserted in sorted order; value = df */
    double *idf;     // (n_terms)
};

/* ---------------------------------------------------------------- CSR */

void mc_text_csr_free(mc_csr *m) {
    if (!m) return;
    mc_free(m->indptr);
    mc_free(m->indices);
    mc_free(m->data);
    memset(m, 0, sizeof *m);
}

static mc_status csr_alloc(mc_csr *m, int64_t rows, int64_t cols, int64_t nnz) {
    memset(m, 0, sizeof *m);
    m->n_rows = rows;
    m->n_cols = cols;
    m->indptr = mc_alloc((size_t)rows + 1, sizeof *m->indptr);
    m->indices = mc_alloc((size_t)(nnz > 0 ? nnz : 1), sizeof *m->indices);
    m->data = mc_alloc((size_t)(nnz > 0 ? nnz : 1), sizeof *m->data);
    if (!m->indptr || !m->indices || !m->data) {
        mc_text_csr_free(m);
        return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory for a %lld x %lld sparse matrix with %lld values",
                            (long long)rows, (long long)cols, (long long)nnz);
    }
    return MC_STATUS_OK;
}

mc_status mc_text_csr_hstack(const mc_csr *a, double wa, const mc_csr *b, double wb, mc_csr *out) {
    memset(out, 0, sizeof *out);
    if (a->n_rows != b->n_rows)
        return mc_error_set(MC_STATUS_INVALID_ARG, "hstack: %lld rows and %lld rows", (long long)a->n_rows,
                            (long long)b->n_rows);
    if (a->n_cols + b->n_cols > INT32_MAX)
        return mc_error_set(MC_STATUS_INVALID_ARG, "hstack: %lld columns is too many",
                            (long long)(a->n_cols + b->n_cols));
    mc_status st = csr_alloc(out, a->n_rows, a->n_cols + b->n_cols, mc_csr_nnz(a) + mc_csr_nnz(b));
    if (st != MC_STATUS_OK) return st;
    int64_t k = 0;
    for (int64_t i = 0; i < a->n_rows; i++) {
        for (int64_t p = a->indptr[i]; p < a->indptr[i + 1]; p++, k++) {
            out->indices[k] = a->indices[p];
            out->data[k] = (float)(wa * a->data[p]);
        }
        for (int64_t p = b->indptr[i]; p < b->indptr[i + 1]; p++, k++) {
            out->indices[k] = (int32_t)(b->indices[p] + a->n_cols);
            out->data[k] = (float)(wb * b->data[p]);
        }
        out->indptr[i + 1] = k;
    }
    return MC_STATUS_OK;
}

mc_status mc_text_csr_transpose(const mc_csr *a, mc_csr *out) {
    memset(out, 0, sizeof *out);
    if (a->n_rows > INT32_MAX)
        return mc_error_set(MC_STATUS_INVALID_ARG, "transpose: %lld rows is too many", (long long)a->n_rows);
    int64_t nnz = mc_csr_nnz(a);
    mc_status st = csr_alloc(out, a->n_cols, a->n_rows, nnz);
    if (st != MC_STATUS_OK) return st;
    /* Counting sort by column; rows come out increasing because rows are visited in order. */
    for (int64_t p = 0; p < nnz; p++) out->indptr[a->indices[p] + 1]++;
    for (int64_t j = 0; j < a->n_cols; j++) out->indptr[j + 1] += out->indptr[j];
    int64_t *next = malloc((size_t)(a->n_cols > 0 ? a->n_cols : 1) * sizeof *next); // (n_cols)
    if (!next) {
        mc_text_csr_free(out);
        return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory transposing a sparse matrix");
    }
    memcpy(next, out->indptr, (size_t)a->n_cols * sizeof *next);
    for (int64_t i = 0; i < a->n_rows; i++)
        for (int64_t p = a->indptr[i]; p < a->indptr[i + 1]; p++) {
            int64_t q = next[a->indices[p]]++;
            out->indices[q] = (int32_t)i;
            out->data[q] = a->data[p];
        }
    free(next);
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- configuration */

void mc_text_tfidf_config_default(mc_tfidf_config *c, mc_text_analyzer analyzer) {
    memset(c, 0, sizeof *c);
    c->analyzer = analyzer;
    c->ngram_min = analyzer == MC_TEXT_ANALYZER_WORD ? 1 : 2;
    c->ngram_max = analyzer == MC_TEXT_ANALYZER_WORD ? 1 : 4;
    c->min_df = 1;
    c->max_df = 1.0;
    c->sublinear_tf = true;
    c->smooth_idf = true;
    c->l2_norm = true;
}

mc_status mc_text_tfidf_config_validate(const mc_tfidf_config *c) {
    if (!c) return mc_error_set(MC_STATUS_INVALID_ARG, "tfidf config is NULL");
    if (c->analyzer != MC_TEXT_ANALYZER_WORD && c->analyzer != MC_TEXT_ANALYZER_CHAR_WB)
        return mc_error_set(MC_STATUS_INVALID_ARG, "analyzer %d is not word or char_wb", (int)c->analyzer);
    if (c->tokens != MC_TEXT_TOKENS_WORDS && c->tokens != MC_TEXT_TOKENS_CHUNKS)
        return mc_error_set(MC_STATUS_INVALID_ARG, "tokens %d is not words or chunks", (int)c->tokens);
    if (c->ngram_min < 1 || c->ngram_max < c->ngram_min || c->ngram_max > 16)
        return mc_error_set(MC_STATUS_INVALID_ARG, "ngram range %d..%d: need 1 <= min <= max <= 16",
                            c->ngram_min, c->ngram_max);
    if (!(c->min_df >= 0) || !isfinite(c->min_df) || (c->min_df >= 1 && c->min_df != floor(c->min_df)))
        return mc_error_set(MC_STATUS_INVALID_ARG, "min_df %g: need a fraction in [0, 1) or a whole "
                            "document count >= 1", c->min_df);
    if (!(c->max_df >= 0) || !isfinite(c->max_df) || (c->max_df > 1 && c->max_df != floor(c->max_df)))
        return mc_error_set(MC_STATUS_INVALID_ARG, "max_df %g: need a fraction in [0, 1] or a whole "
                            "document count > 1", c->max_df);
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- fit */

typedef struct fit_ctx {
    mc_strmap *map;
    int64_t doc;
    bool failed;
} fit_ctx;

static void count_df(const char *s, size_t len, int n, void *user) {
    (void)n;
    fit_ctx *c = user;
    if (c->failed) return;
    int64_t e = mc_strmap_insert(c->map, s, len, mc_strmap_hash(s, len), NULL);
    if (e < 0) {
        c->failed = true;
        return;
    }
    if (c->map->aux[e] != c->doc) { /* first occurrence in this document */
        c->map->value[e]++;
        c->map->aux[e] = c->doc;
    }
}

static mc_status tokenize(const mc_tfidf_config *c, const char *doc, mc_textbuf *tb) {
    return c->tokens == MC_TEXT_TOKENS_CHUNKS ? mc_text_tokenize_chunks_padded(doc, strlen(doc), tb)
                                              : mc_text_tokenize_padded(doc, strlen(doc), tb);
}

static void enumerate(const mc_tfidf_config *c, const mc_textbuf *b, mc_ngram_fn fn, void *user) {
    if (c->analyzer == MC_TEXT_ANALYZER_WORD)
        mc_text_ngrams_word(b->s, b->len, c->ngram_min, c->ngram_max, fn, user);
    else
        mc_text_ngrams_char_wb(b->s, b->len, c->ngram_min, c->ngram_max, fn, user);
}

typedef struct term_ref {
    const char *key;
    int64_t e;
} term_ref;

static int cmp_term(const void *a, const void *b) {
    /* strcmp on UTF-8 orders by code point, as Python's sorted() on str (sklearn's vocabulary). */
    return strcmp(((const term_ref *)a)->key, ((const term_ref *)b)->key);
}

void mc_text_tfidf_free(mc_tfidf *m) {
    if (!m) return;
    mc_strmap_free(&m->vocab);
    free(m->idf);
    free(m);
}

mc_status mc_text_tfidf_fit(const mc_tfidf_config *c, const char *const *docs, int64_t n,
                            mc_tfidf **out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "tfidf fit: out is NULL");
    *out = NULL;
    mc_status st = mc_text_tfidf_config_validate(c);
    if (st != MC_STATUS_OK) return st;
    if (n < 1 || !docs) return mc_error_set(MC_STATUS_EMPTY, "tfidf fit: no documents");

    mc_strmap all;
    st = mc_strmap_init(&all, 4096);
    if (st != MC_STATUS_OK) return st;
    mc_textbuf tb = {0};
    fit_ctx ctx = {&all, 0, false};
    for (int64_t d = 0; d < n && st == MC_STATUS_OK; d++) {
        const char *doc = docs[d] ? docs[d] : "";
        st = tokenize(c, doc, &tb);
        if (st != MC_STATUS_OK) break;
        ctx.doc = d;
        enumerate(c, &tb, count_df, &ctx);
        if (ctx.failed) st = MC_STATUS_NO_MEMORY; /* message set by the map */
    }
    mc_textbuf_free(&tb);
    if (st == MC_STATUS_OK && all.count == 0)
        st = mc_error_set(MC_STATUS_EMPTY, "tfidf fit: empty vocabulary: none of the %lld documents has a word",
                          (long long)n);
    /* sklearn _limit_features: an int is a document count, a float a fraction of n. */
    double max_count = c->max_df <= 1 ? c->max_df * (double)n : c->max_df;
    double min_count = c->min_df < 1 ? c->min_df * (double)n : c->min_df;
    if (st == MC_STATUS_OK && max_count < min_count)
        st = mc_error_set(MC_STATUS_INVALID_ARG, "max_df %g allows at most %g of the %lld documents, fewer than "
                          "min_df %g requires (%g); lower min_df", c->max_df, max_count, (long long)n, c->min_df,
                          min_count);
    term_ref *keep = NULL;
    int64_t nk = 0;
    if (st == MC_STATUS_OK) {
        keep = malloc((size_t)all.count * sizeof *keep);
        if (!keep) st = mc_error_set(MC_STATUS_NO_MEMORY, "out of memory sorting %lld terms", (long long)all.count);
    }
    if (st == MC_STATUS_OK) {
        for (int64_t e = 0; e < all.count; e++) {
            double df = (double)all.value[e];
            if (df >= min_count && df <= max_count) keep[nk++] = (term_ref){mc_strmap_key(&all, e), e};
        }
        if (nk == 0)
            st = mc_error_set(MC_STATUS_EMPTY, "tfidf fit: after pruning (min_df %g, max_df %g) no terms remain "
                              "of %lld; try a lower min_df or a higher max_df", c->min_df, c->max_df,
                              (long long)all.count);
    }
    mc_tfidf *m = NULL;
    if (st == MC_STATUS_OK) {
        qsort(keep, (size_t)nk, sizeof *keep, cmp_term);
        m = calloc(1, sizeof *m);
        if (!m) st = mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
    }
    if (st == MC_STATUS_OK) {
        m->cfg = *c;
        m->n_docs = n;
        m->idf = malloc((size_t)nk * sizeof *m->idf);
        st = m->idf ? mc_strmap_init(&m->vocab, nk) : mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
    }
    for (int64_t j = 0; st == MC_STATUS_OK && j < nk; j++) {
        int64_t e0 = keep[j].e;
        size_t len = all.key_len[e0];
        int64_t e = mc_strmap_insert(&m->vocab, keep[j].key, len, all.hash[e0], NULL);
        if (e < 0) { st = MC_STATUS_NO_MEMORY; break; }
        int64_t df = all.value[e0];
        m->vocab.value[e] = df;
        /* TfidfTransformer.fit: idf = ln((1 + n) / (1 + df)) + 1 with smooth_idf, else ln(n / df) + 1 */
        m->idf[j] = c->smooth_idf ? log((double)(1 + n) / (double)(1 + df)) + 1.0
                                  : log((double)n / (double)df) + 1.0;
    }
    free(keep);
    mc_strmap_free(&all);
    if (st != MC_STATUS_OK) {
        mc_text_tfidf_free(m);
        return st;
    }
    *out = m;
    return MC_STATUS_OK;
}

int64_t mc_text_tfidf_n_terms(const mc_tfidf *m) { return m ? m->vocab.count : 0; }
int64_t mc_text_tfidf_n_docs(const mc_tfidf *m) { return m ? m->n_docs : 0; }

const char *mc_text_tfidf_term(const mc_tfidf *m, int64_t j) {
    return m && j >= 0 && j < m->vocab.count ? mc_strmap_key(&m->vocab, j) : NULL;
}

int64_t mc_text_tfidf_df(const mc_tfidf *m, int64_t j) {
    return m && j >= 0 && j < m->vocab.count ? m->vocab.value[j] : 0;
}

double mc_text_tfidf_idf(const mc_tfidf *m, int64_t j) {
    return m && j >= 0 && j < m->vocab.count ? m->idf[j] : 0.0;
}

int64_t mc_text_tfidf_lookup(const mc_tfidf *m, const char *term) {
    if (!m || !term) return -1;
    size_t len = strlen(term);
    return mc_strmap_find(&m->vocab, term, len, mc_strmap_hash(term, len));
}

/* ---------------------------------------------------------------- transform */

typedef struct row_ctx {
    const mc_strmap *vocab;
    int32_t *ids; /* (cap) columns of the n-grams found, in text order */
    int64_t n, cap;
    bool failed;
} row_ctx;

static void collect_ids(const char *s, size_t len, int n, void *user) {
    (void)n;
    row_ctx *r = user;
    int64_t e = mc_strmap_find(r->vocab, s, len, mc_strmap_hash(s, len));
    if (e < 0 || r->failed) return;
    if (r->n == r->cap) {
        int64_t cap = r->cap ? 2 * r->cap : 4096;
        int32_t *p = realloc(r->ids, (size_t)cap * sizeof *p);
        if (!p) {
            r->failed = true;
            return;
        }
        r->ids = p;
        r->cap = cap;
    }
    r->ids[r->n++] = (int32_t)e;
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

typedef struct sparse_row {
    int64_t nnz;
    int32_t *cols; // (nnz) increasing
    float *vals;   // (nnz)
} sparse_row;

mc_status mc_text_tfidf_transform(const mc_tfidf *m, const char *const *docs, int64_t n,
                                  int threads, mc_csr *out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "tfidf transform: out is NULL");
    memset(out, 0, sizeof *out);
    if (!m) return mc_error_set(MC_STATUS_INVALID_ARG, "tfidf transform: model is NULL");
    if (n < 0 || (n > 0 && !docs)) return mc_error_set(MC_STATUS_INVALID_ARG, "tfidf transform: no documents");
    sparse_row *rows = calloc((size_t)(n > 0 ? n : 1), sizeof *rows); // (n)
    if (!rows) return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory for %lld rows", (long long)n);
    int nt = threads > 0 ? threads : mc_threads_available();
    int failed = 0;
    char msg[256] = "";
#pragma omp parallel num_threads(nt)
    {
        mc_textbuf tb = {0};
        row_ctx rc = {&m->vocab, NULL, 0, 0, false};
#pragma omp for schedule(dynamic, 8)
        for (int64_t d = 0; d < n; d++) {
            int bad;
#pragma omp atomic read
            bad = failed;
            if (bad) continue;
            const char *doc = docs[d] ? docs[d] : "";
            mc_status st = tokenize(&m->cfg, doc, &tb);
            rc.n = 0;
            rc.failed = false;
            if (st == MC_STATUS_OK) enumerate(&m->cfg, &tb, collect_ids, &rc);
            sparse_row *r = &rows[d];
            if (st == MC_STATUS_OK && !rc.failed && rc.n > 0) {
                qsort(rc.ids, (size_t)rc.n, sizeof *rc.ids, cmp_i32);
                int64_t distinct = 1;
                for (int64_t k = 1; k < rc.n; k++) distinct += rc.ids[k] != rc.ids[k - 1];
                r->cols = malloc((size_t)distinct * sizeof *r->cols);
                r->vals = malloc((size_t)distinct * sizeof *r->vals);
                double *v = malloc((size_t)distinct * sizeof *v);
                if (!r->cols || !r->vals || !v) {
                    rc.failed = true;
                } else {
                    double sq = 0;
                    int64_t k = 0;
                    for (int64_t a = 0; a < rc.n;) {
                        int64_t b = a;
                        while (b < rc.n && rc.ids[b] == rc.ids[a]) b++;
                        double tf = (double)(b - a);
                        if (m->cfg.sublinear_tf) tf = 1.0 + log(tf); /* TfidfTransformer: log(X) + 1 */
                        double x = tf * m->idf[rc.ids[a]];
                        r->cols[k] = rc.ids[a];
                        v[k++] = x;
                        sq += x * x;
                        a = b;
                    }
                    /* sklearn.preprocessing.normalize(norm='l2'): divide by the Euclidean norm */
                    double inv = m->cfg.l2_norm && sq > 0 ? 1.0 / sqrt(sq) : 1.0;
                    for (int64_t j = 0; j < distinct; j++) r->vals[j] = (float)(v[j] * inv);
                    r->nnz = distinct;
                }
                free(v);
            }
            if (st != MC_STATUS_OK || rc.failed) {
#pragma omp critical(mc_text_tfidf_err)
                {
                    if (!failed) {
                        failed = 1;
                        snprintf(msg, sizeof msg, "%s", st != MC_STATUS_OK ? mc_error_message()
                                 : "out of memory computing TF-IDF rows");
                    }
                }
            }
        }
        free(rc.ids);
        mc_textbuf_free(&tb);
    }
    mc_status st = MC_STATUS_OK;
    if (failed) st = mc_error_set(MC_STATUS_NO_MEMORY, "%s", msg);
    int64_t nnz = 0;
    for (int64_t d = 0; d < n; d++) nnz += rows[d].nnz;
    if (st == MC_STATUS_OK) st = csr_alloc(out, n, m->vocab.count, nnz);
    if (st == MC_STATUS_OK) {
        int64_t k = 0;
        for (int64_t d = 0; d < n; d++) {
            if (rows[d].nnz > 0) {
                memcpy(out->indices + k, rows[d].cols, (size_t)rows[d].nnz * sizeof *out->indices);
                memcpy(out->data + k, rows[d].vals, (size_t)rows[d].nnz * sizeof *out->data);
                k += rows[d].nnz;
            }
            out->indptr[d + 1] = k;
        }
    }
    for (int64_t d = 0; d < n; d++) {
        free(rows[d].cols);
        free(rows[d].vals);
    }
    free(rows);
    return st;
}

/* ---------------------------------------------------------------- a saved vocabulary */

const mc_tfidf_config *mc_text_tfidf_config_of(const mc_tfidf *m) { return m ? &m->cfg : NULL; }

mc_status mc_text_tfidf_from_vocab(const mc_tfidf_config *c, int64_t n_docs, const char *const *terms,
                                   const size_t *lens, int64_t n_terms, const int64_t *df, const double *idf,
                                   mc_tfidf **out) {
    *out = NULL;
    mc_status st = mc_text_tfidf_config_validate(c);
    if (st != MC_STATUS_OK) return st;
    if (n_docs < 1 || n_terms < 1 || n_terms > INT32_MAX)
        return mc_error_set(MC_STATUS_FORMAT, "vocabulary of %lld terms fitted on %lld documents: need at least one "
                            "of each", (long long)n_terms, (long long)n_docs);
    for (int64_t j = 0; j < n_terms; j++) {
        if (lens[j] == 0 || memchr(terms[j], '\0', lens[j]))
            return mc_error_set(MC_STATUS_FORMAT, "term %lld is empty or holds a NUL byte", (long long)j);
        /* strictly increasing bytewise, as fit writes them: the column of a term is its rank */
        if (j > 0) {
            size_t a = lens[j - 1], b = lens[j];
            int cmp = memcmp(terms[j - 1], terms[j], a < b ? a : b);
            if (cmp > 0 || (cmp == 0 && a >= b))
                return mc_error_set(MC_STATUS_FORMAT, "terms %lld and %lld are not in increasing order (or repeat)",
                                    (long long)j - 1, (long long)j);
        }
        if (df[j] < 1 || df[j] > n_docs || !isfinite(idf[j]) || !(idf[j] > 0))
            return mc_error_set(MC_STATUS_FORMAT, "term %lld: document frequency %lld of %lld documents, idf %g",
                                (long long)j, (long long)df[j], (long long)n_docs, idf[j]);
    }
    mc_tfidf *m = calloc(1, sizeof *m);
    if (!m) return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
    m->cfg = *c;
    m->n_docs = n_docs;
    m->idf = malloc((size_t)n_terms * sizeof *m->idf);
    st = m->idf ? mc_strmap_init(&m->vocab, n_terms) : mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
    for (int64_t j = 0; st == MC_STATUS_OK && j < n_terms; j++) {
        int64_t e = mc_strmap_insert(&m->vocab, terms[j], lens[j], mc_strmap_hash(terms[j], lens[j]), NULL);
        if (e < 0) {
            st = MC_STATUS_NO_MEMORY; /* message set by the map */
            break;
        }
        m->vocab.value[e] = df[j];
        m->idf[j] = idf[j];
    }
    if (st != MC_STATUS_OK) {
        mc_text_tfidf_free(m);
        return st;
    }
    *out = m;
    return MC_STATUS_OK;
}
