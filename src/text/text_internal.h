/* Internal pieces of the text module shared by its files: the tokenizer into a reusable buffer, the
 * n-gram enumerators, and a string -> id hash map with its own key arena. */
#ifndef MC_TEXT_INTERNAL_H
#define MC_TEXT_INTERNAL_H

#include <musiclust/text.h>

#include <stdint.h>

/* ---------------------------------------------------------------- tokenizer */

/* A growable output buffer for the tokenizer, reused across documents (one per thread). */
typedef struct mc_textbuf {
    char *s;
    size_t len, cap;
    int64_t words;
} mc_textbuf;

/* Tokenize text[0..len) into b as " w1 w2 ... wk " (a space before and after every word, so that
 * every word n-gram and every char_wb n-gram is a substring) or "" without words. */
mc_status mc_text_tokenize_padded(const char *text, size_t len, mc_textbuf *b);
void mc_textbuf_free(mc_textbuf *b);
/* The whitespace tokenizer (MC_TEXT_TOKENS_CHUNKS): the chunks of text[0..len) between runs of
 * Python whitespace (str.split()), lower-cased (mc_text_lower) with adjacent base + mark pairs
 * composed, into b as " c1 c2 ... ck " (b->words = k) or "". Malformed UTF-8 becomes U+FFFD, which
 * is kept as a character. */
mc_status mc_text_tokenize_chunks_padded(const char *text, size_t len, mc_textbuf *b);
/* True when text[0..len) has a letter (what makes a word for mc_text_tokenize_padded: a mark alone
 * never starts one). */
bool mc_text_has_word(const char *text, size_t len);

/* ---------------------------------------------------------------- n-grams */

/* Called with each n-gram (a substring of the padded text, not NUL-terminated) and its length in
 * code points. */
typedef void (*mc_ngram_fn)(const char *s, size_t len, int n, void *user);

/* Word n-grams of the padded text s[0..len) for n in [nmin, nmax], in sklearn's order
 * (_word_ngrams: all unigrams, then all bigrams...). */
void mc_text_ngrams_word(const char *s, size_t len, int nmin, int nmax, mc_ngram_fn fn, void *user);
/* Character n-grams inside each word padded by one space (sklearn _char_wb_ngrams, including its
 * rule that a padded word no longer than n is emitted once, whole, and ends that word). */
void mc_text_ngrams_char_wb(const char *s, size_t len, int nmin, int nmax, mc_ngram_fn fn,
                            void *user);

/* ---------------------------------------------------------------- hash map */

/* Open addressing (linear probing) over entry ids; entries are numbered 0.. in insertion order and
 * keep their id when the table grows. Each entry has two int64 values for the caller. */
typedef struct mc_strmap {
    int64_t *slots;    // (cap) entry id or -1; cap a power of two
    int64_t cap;
    int64_t count;     /* entries */
    int64_t ecap;      /* allocated entries */
    uint64_t *hash;    // (ecap)
    int64_t *key_off;  // (ecap) into arena
    uint32_t *key_len; // (ecap)
    int64_t *value;    // (ecap) caller's
    int64_t *aux;      // (ecap) caller's
    char *arena;       /* keys, each followed by a NUL */
    size_t arena_len, arena_cap;
} mc_strmap;

uint64_t mc_strmap_hash(const char *s, size_t len);
mc_status mc_strmap_init(mc_strmap *m, int64_t expected);
void mc_strmap_free(mc_strmap *m);
/* Entry id of the key, or -1. */
int64_t mc_strmap_find(const mc_strmap *m, const char *s, size_t len, uint64_t h);
/* Entry id of the key, inserting it (value 0, aux -1) when absent; -1 on allocation failure. */
int64_t mc_strmap_insert(mc_strmap *m, const char *s, size_t len, uint64_t h, bool *inserted);
static inline const char *mc_strmap_key(const mc_strmap *m, int64_t e) { return m->arena + m->key_off[e]; }

/* ---------------------------------------------------------------- saved vectorizers */

/* The configuration a vectorizer was fitted or rebuilt with. */
const mc_tfidf_config *mc_text_tfidf_config_of(const mc_tfidf *m);
/* A fitted vectorizer rebuilt from its parts (a saved lyrics model): terms[j][0..lens[j]) in strictly
 * increasing bytewise order (column j), their document frequencies (1..n_docs) and idf weights
 * (finite, > 0). MC_STATUS_FORMAT names the first term that breaks a rule. */
mc_status mc_text_tfidf_from_vocab(const mc_tfidf_config *c, int64_t n_docs, const char *const *terms,
                                   const size_t *lens, int64_t n_terms, const int64_t *df, const double *idf,
                                   mc_tfidf **out);

#endif
