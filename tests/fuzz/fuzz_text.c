/* libFuzzer harness: the UTF-8 tokenizer and the lyrics path of src/text on arbitrary bytes: the whole
 * input through mc_text_normalize and the language identifier; then its lines as documents through
 * word and char_wb TF-IDF (fit + transform), the two blocks side by side (mc_text_csr_hstack) and the
 * randomised SVD of that, i.e. the steps of mc_text_lyrics_embed. The embedding itself is not called:
 * it rebuilds the language profiles on every call (~50 ms under the sanitizers, 100 times the rest),
 * which left the fuzzer doing little else. */
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
    mc_csr blocks[2];
    memset(blocks, 0, sizeof blocks);
    int ok = 1;
    for (int an = 0; an < 2; an++) {
        mc_tfidf_config c;
        mc_text_tfidf_config_default(&c, an ? MC_TEXT_ANALYZER_CHAR_WB : MC_TEXT_ANALYZER_WORD);
        if (an == 0) c.ngram_max = 2;
        mc_tfidf *t = NULL;
        ok = ok && mc_text_tfidf_fit(&c, docs, n, &t) == MC_STATUS_OK;
        if (t) {
            int64_t nt = mc_text_tfidf_n_terms(t);
            for (int64_t j = 0; j < nt; j++) {
                const char *term = mc_text_tfidf_term(t, j);
                if (mc_text_tfidf_lookup(t, term) != j) abort();
            }
            if (mc_text_tfidf_transform(t, docs, n, 1, &blocks[an]) == MC_STATUS_OK) check_csr(&blocks[an], nt);
            else ok = 0;
        }
        mc_text_tfidf_free(t);
    }
    mc_csr both;
    memset(&both, 0, sizeof both);
    if (ok && mc_text_csr_hstack(&blocks[0], 0.7071, &blocks[1], 0.7071, &both) == MC_STATUS_OK &&
        both.n_rows >= 2 && both.n_cols >= 2) {
        mc_svd_config sc;
        mc_text_svd_config_default(&sc);
        sc.n_iter = 2;
        sc.threads = 1;
        mc_svd sv;
        memset(&sv, 0, sizeof sv);
        float z[MAX_DOCS * 2]; // (n, 2)
        if (mc_text_svd_fit(&sc, &both, &sv, z) == MC_STATUS_OK) fz_touch(z, (size_t)both.n_rows * 2 * sizeof(float));
        mc_text_svd_free(&sv);
    }
    mc_text_csr_free(&both);
    mc_text_csr_free(&blocks[0]);
    mc_text_csr_free(&blocks[1]);
    free(copy);
    return 0;
}
