/* libFuzzer harness: the UTF-8 tokenizer and the lyrics path of src/text on arbitrary bytes: the whole
 * input through mc_text_normalize and the language identifier, then its lines as documents through
 * word and char_wb TF-IDF (fit + transform) and, for a few lines, the whole lyrics embedding (TF-IDF,
 * SVD, language per text). */
#include "fuzz_common.h"

#include <musiclust/text.h>

enum { MAX_DOCS = 64 };

static void check_csr(const mc_csr *m, int64_t n_terms) {
    for (int64_t i = 0; i < m->n_rows; i++)
        for (int64_t k = m->indptr[i]; k < m->indptr[i + 1]; k++)
            if (m->indices[k] < 0 || m->indices[k] >= n_terms) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static mc_langid *id = NULL;
    if (!id) {
        fz_dir(); /* quiet log */
        if (mc_text_langid_create(&id) != MC_STATUS_OK) abort();
    }
    const char *text = (const char *)data;
    char *norm = NULL;
    size_t nlen = 0;
    int64_t words = 0;
    if (mc_text_normalize(text, size, &norm, &nlen, &words) == MC_STATUS_OK) {
        if (strlen(norm) != nlen) abort(); /* no NUL inside, length as stated */
        fz_touch(norm, nlen + 1);
    }
    free(norm);
    mc_lang_guess g;
    (void)mc_text_langid_detect(id, text, size, &g);

    /* Lines as NUL-terminated documents. */
    char *copy = malloc(size + 1);
    if (!copy) abort();
    memcpy(copy, data, size);
    copy[size] = '\0';
    const char *docs[MAX_DOCS];
    int64_t n = 0;
    char *p = copy;
    while (n < MAX_DOCS) {
        docs[n++] = p;
        char *nl = memchr(p, '\n', (size_t)(copy + size - p));
        if (!nl) break;
        *nl = '\0';
        p = nl + 1;
    }
    for (int an = 0; an < 2; an++) {
        mc_tfidf_config c;
        mc_text_tfidf_config_default(&c, an ? MC_TEXT_ANALYZER_CHAR_WB : MC_TEXT_ANALYZER_WORD);
        if (an == 0) c.ngram_max = 2;
        mc_tfidf *t = NULL;
        if (mc_text_tfidf_fit(&c, docs, n, &t) == MC_STATUS_OK) {
            int64_t nt = mc_text_tfidf_n_terms(t);
            for (int64_t j = 0; j < nt; j++) {
                const char *term = mc_text_tfidf_term(t, j);
                if (mc_text_tfidf_lookup(t, term) != j) abort();
            }
            mc_csr m;
            memset(&m, 0, sizeof m);
            if (mc_text_tfidf_transform(t, docs, n, 1, &m) == MC_STATUS_OK) check_csr(&m, nt);
            mc_text_csr_free(&m);
        }
        mc_text_tfidf_free(t);
    }
    /* The embedding builds its own language profiles per call (~15 ms under the sanitizers), so only
     * inputs whose first byte is a multiple of 8 take it: the fuzzer stays fast and still reaches it. */
    if (n >= 2 && n <= 8 && size > 0 && (data[0] & 7) == 0) {
        mc_lyrics_config lc;
        mc_text_lyrics_config_default(&lc);
        lc.dim = 3;
        lc.min_df = 1;
        lc.threads = 1;
        mc_lyrics out;
        memset(&out, 0, sizeof out);
        if (mc_text_lyrics_embed(&lc, docs, n, &out) == MC_STATUS_OK)
            fz_touch(out.vectors, (size_t)(out.n * out.dim) * sizeof(float));
        mc_text_lyrics_free(&out);
    }
    free(copy);
    return 0;
}
