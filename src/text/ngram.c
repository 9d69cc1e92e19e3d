/* N-gram enumeration over the tokenizer's padded output, and the string hash map used for
 * vocabularies and language profiles. */
#include "text_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- n-grams */

/* Next code point boundary after p (the text is valid UTF-8: we produced it). */
static inline const char *next_cp(const char *p, const char *end) {
    p++;
    while (p < end && ((unsigned char)*p & 0xC0) == 0x80) p++;
    return p;
}

/* Next word [*ws, *we) at or after p in a padded text; false when there is none. */
static inline bool next_word(const char *p, const char *end, const char **ws, const char **we) {
    while (p < end && *p == ' ') p++;
    if (p >= end) return false;
    const char *q = p;
    while (q < end && *q != ' ') q++;
    *ws = p;
    *we = q;
    return true;
}

void mc_text_ngrams_word(const char *s, size_t len, int nmin, int nmax, mc_ngram_fn fn, void *user) {
    const char *end = s + len;
    if (nmax > 16) nmax = 16; /* the configurations are validated to at most 16 */
    for (int n = nmin; n <= nmax; n++) {
        const char *starts[16]; /* ring of the starts of the last n words */
        int64_t count = 0;
        const char *p = s, *ws, *we;
        while (next_word(p, end, &ws, &we)) {
            starts[count % n] = ws;
            count++;
            p = we;
            /* the window's first word, count - n, sits in slot count % n */
            if (count >= n) fn(starts[count % n], (size_t)(we - starts[count % n]), n, user);
        }
    }
}

void mc_text_ngrams_char_wb(const char *s, size_t len, int nmin, int nmax, mc_ngram_fn fn,
                            void *user) {
    const char *end = s + len, *ws, *we, *p = s;
    while (next_word(p, end, &ws, &we)) {
        p = we;
        /* The padded word " w ": the tokenizer put a space before and after every word. */
        const char *w0 = ws - 1, *w1 = we + 1;
        int64_t wlen = 0;
        for (const char *c = w0; c < w1; c = next_cp(c, w1)) wlen++;
        for (int n = nmin; n <= nmax; n++) {
            if (wlen <= n) { /* sklearn: a short word is counted once, whole, and ends the loop */
                fn(w0, (size_t)(w1 - w0), (int)wlen, user);
                break;
            }
            const char *a = w0, *b = w0;
            for (int k = 0; k < n; k++) b = next_cp(b, w1);
            for (;;) {
                fn(a, (size_t)(b - a), n, user);
                if (b >= w1) break;
                a = next_cp(a, w1);
                b = next_cp(b, w1);
            }
        }
    }
}

/* ---------------------------------------------------------------- hash map */

uint64_t mc_strmap_hash(const char *s, size_t len) {
    /* FNV-1a 64, then a murmur3 finaliser so that the low bits used for the slot mix well. */
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

mc_status mc_strmap_init(mc_strmap *m, int64_t expected) {
    memset(m, 0, sizeof *m);
    int64_t cap = 64;
    while (cap < 2 * expected) cap *= 2;
    m->slots = mc_calloc(1, (size_t)cap * sizeof *m->slots);
    if (!m->slots) return mc_error_nomem("out of memory for a vocabulary table");
    for (int64_t i = 0; i < cap; i++) m->slots[i] = -1;
    m->cap = cap;
    return MC_STATUS_OK;
}

void mc_strmap_free(mc_strmap *m) {
    if (!m) return;
    free(m->slots);
    free(m->hash);
    free(m->key_off);
    free(m->key_len);
    free(m->value);
    free(m->aux);
    free(m->arena);
    memset(m, 0, sizeof *m);
}

int64_t mc_strmap_find(const mc_strmap *m, const char *s, size_t len, uint64_t h) {
    int64_t mask = m->cap - 1;
    for (int64_t i = (int64_t)(h & (uint64_t)mask);; i = (i + 1) & mask) {
        int64_t e = m->slots[i];
        if (e < 0) return -1;
        if (m->hash[e] == h && m->key_len[e] == len && memcmp(m->arena + m->key_off[e], s, len) == 0)
            return e;
    }
}

static bool grow_slots(mc_strmap *m) {
    int64_t cap = m->cap * 2;
    int64_t *slots = mc_calloc(1, (size_t)cap * sizeof *slots);
    if (!slots) return false;
    for (int64_t i = 0; i < cap; i++) slots[i] = -1;
    for (int64_t e = 0; e < m->count; e++) {
        int64_t i = (int64_t)(m->hash[e] & (uint64_t)(cap - 1));
        while (slots[i] >= 0) i = (i + 1) & (cap - 1);
        slots[i] = e;
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return true;
}

#define GROW(ptr, n)                                                                           \
    do {                                                                                       \
        void *np_ = mc_realloc((ptr), (size_t)(n) * sizeof *(ptr), 1);                               \
        if (!np_) return false;                                                                \
        (ptr) = np_;                                                                           \
    } while (0)

static bool grow_entries(mc_strmap *m) {
    int64_t n = m->ecap ? 2 * m->ecap : 1024;
    GROW(m->hash, n);
    GROW(m->key_off, n);
    GROW(m->key_len, n);
    GROW(m->value, n);
    GROW(m->aux, n);
    m->ecap = n;
    return true;
}

int64_t mc_strmap_insert(mc_strmap *m, const char *s, size_t len, uint64_t h, bool *inserted) {
    if (inserted) *inserted = false;
    int64_t e = mc_strmap_find(m, s, len, h);
    if (e >= 0) return e;
    if (len > UINT32_MAX) {
        mc_error_set(MC_STATUS_INVALID_ARG, "an n-gram of %zu bytes is too long", len);
        return -1;
    }
    /* Keep the load factor at most 1/2 so that probes stay short. */
    if ((2 * (m->count + 1) > m->cap && !grow_slots(m)) || (m->count == m->ecap && !grow_entries(m))) {
        mc_error_nomem("out of memory growing a vocabulary of %lld terms", (long long)m->count);
        return -1;
    }
    if (m->arena_len + len + 1 > m->arena_cap) {
        size_t cap = m->arena_cap ? m->arena_cap : 65536;
        while (cap < m->arena_len + len + 1) cap *= 2;
        char *a = mc_realloc(m->arena, cap, 1);
        if (!a) {
            mc_error_nomem("out of memory growing a vocabulary of %lld terms", (long long)m->count);
            return -1;
        }
        m->arena = a;
        m->arena_cap = cap;
    }
    int64_t mask = m->cap - 1;
    int64_t i = (int64_t)(h & (uint64_t)mask);
    while (m->slots[i] >= 0) i = (i + 1) & mask;
    e = m->count++;
    memcpy(m->arena + m->arena_len, s, len);
    m->arena[m->arena_len + len] = '\0';
    m->hash[e] = h;
    m->key_off[e] = (int64_t)m->arena_len;
    m->key_len[e] = (uint32_t)len;
    m->value[e] = 0;
    m->aux[e] = -1;
    m->arena_len += len + 1;
    m->slots[i] = e;
    if (inserted) *inserted = true;
    return e;
}
