/* UTF-8 decoding and encoding, Unicode character properties from the generated tables, and the
 * tokenizer (the rules are in include/musiclust/text.h). */
#include "text_internal.h"
#include "unicode_tables.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define COUNT_OF(a) ((int64_t)(sizeof(a) / sizeof((a)[0])))

/* ---------------------------------------------------------------- UTF-8 */

size_t mc_text_utf8_decode(const char *s, size_t len, uint32_t *cp) {
    const unsigned char *u = (const unsigned char *)s;
    if (len == 0) {
        *cp = MC_TEXT_REPLACEMENT;
        return 0;
    }
    unsigned b0 = u[0];
    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    /* Well-formed byte sequences, Unicode 14 table 3-7: the lead byte fixes the length and the
     * allowed range of the second byte (which excludes overlongs, surrogates and > U+10FFFF). */
    int need;
    unsigned lo2 = 0x80, hi2 = 0xBF;
    uint32_t v;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 1;
        v = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 2;
        v = b0 & 0x0F;
        if (b0 == 0xE0) lo2 = 0xA0;
        if (b0 == 0xED) hi2 = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 3;
        v = b0 & 0x07;
        if (b0 == 0xF0) lo2 = 0x90;
        if (b0 == 0xF4) hi2 = 0x8F;
    } else {
        /* 80..BF (continuation without a lead), C0, C1 (always overlong), F5..FF */
        *cp = MC_TEXT_REPLACEMENT;
        return 1;
    }
    size_t i = 1;
    for (int k = 0; k < need; k++, i++) {
        if (i >= len) { /* truncated at the end of the input: the valid prefix is one U+FFFD */
            *cp = MC_TEXT_REPLACEMENT;
            return i;
        }
        unsigned b = u[i];
        unsigned lo = k == 0 ? lo2 : 0x80, hi = k == 0 ? hi2 : 0xBF;
        if (b < lo || b > hi) { /* maximal subpart ends before this byte */
            *cp = MC_TEXT_REPLACEMENT;
            return i;
        }
        v = (v << 6) | (b & 0x3F);
    }
    *cp = v;
    return i;
}

int mc_text_utf8_encode(uint32_t cp, char out[4]) {
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = MC_TEXT_REPLACEMENT;
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---------------------------------------------------------------- properties */

static const char *const script_names[MC_SCRIPT_COUNT] = {
    "none", "inherited", "other", "latin", "greek", "cyrillic", "armenian", "hebrew", "arabic",
    "devanagari", "bengali", "gurmukhi", "gujarati", "oriya", "tamil", "telugu", "kannada",
    "malayalam", "sinhala", "thai", "lao", "tibetan", "myanmar", "georgian", "hangul", "ethiopic",
    "khmer", "hiragana", "katakana", "han"};

const char *mc_text_script_name(mc_script s) {
    return (int)s >= 0 && s < MC_SCRIPT_COUNT ? script_names[s] : "none";
}

/* Range of the word-character table holding cp, or NULL. */
static int cmp_word_range(const void *key, const void *elem) {
    const uint32_t cp = *(const uint32_t *)key;
    const mc_word_range *r = elem;
    return cp < r->lo ? -1 : cp > r->hi ? 1 : 0;
}

static const mc_word_range *word_range(uint32_t cp) {
    if (cp < 0x41) return NULL;
    return bsearch(&cp, mc_word_ranges, COUNT_OF(mc_word_ranges), sizeof mc_word_ranges[0], cmp_word_range);
}

mc_script mc_text_script(uint32_t cp) {
    const mc_word_range *r = word_range(cp);
    return r ? (mc_script)r->script : MC_SCRIPT_NONE;
}

bool mc_text_is_word_char(uint32_t cp) { return word_range(cp) != NULL; }

bool mc_text_is_mark(uint32_t cp) {
    const mc_word_range *r = word_range(cp);
    return r && r->mark;
}

static int cmp_lower_run(const void *key, const void *elem) {
    const uint32_t cp = *(const uint32_t *)key;
    const mc_lower_run *r = elem;
    return cp < r->first ? -1 : cp > r->last ? 1 : 0;
}

uint32_t mc_text_lower(uint32_t cp) {
    if (cp < 0x80) return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    const mc_lower_run *r =
        bsearch(&cp, mc_lower_runs, COUNT_OF(mc_lower_runs), sizeof mc_lower_runs[0], cmp_lower_run);
    return r && (cp - r->first) % r->stride == 0 ? (uint32_t)((int64_t)cp + r->delta) : cp;
}

/* The pairs are sorted by (base, mark). */
static int cmp_compose_pair(const void *key, const void *elem) {
    const uint32_t *k = key;
    const mc_compose_pair *p = elem;
    if (k[0] != p->base) return k[0] < p->base ? -1 : 1;
    return k[1] < p->mark ? -1 : k[1] > p->mark ? 1 : 0;
}

uint32_t mc_text_compose(uint32_t base, uint32_t next) {
    /* Hangul syllables are composed arithmetically (Unicode 14 section 3.12). */
    enum { SBASE = 0xAC00, LBASE = 0x1100, VBASE = 0x1161, TBASE = 0x11A7, LCOUNT = 19, VCOUNT = 21,
           TCOUNT = 28, NCOUNT = VCOUNT * TCOUNT, SCOUNT = LCOUNT * NCOUNT };
    if (base >= LBASE && base < LBASE + LCOUNT && next >= VBASE && next < VBASE + VCOUNT)
        return SBASE + ((base - LBASE) * VCOUNT + (next - VBASE)) * TCOUNT;
    if (base >= SBASE && base < SBASE + SCOUNT && (base - SBASE) % TCOUNT == 0 && next > TBASE &&
        next < TBASE + TCOUNT)
        return base + (next - TBASE);
    const uint32_t key[2] = {base, next};
    const mc_compose_pair *p =
        bsearch(key, mc_compose_pairs, COUNT_OF(mc_compose_pairs), sizeof mc_compose_pairs[0], cmp_compose_pair);
    return p ? p->composite : 0;
}

/* Removed without splitting a word: soft hyphen, combining grapheme joiner, Mongolian free variation
 * selectors, zero-width non-joiner / joiner, word joiner, variation selectors, BOM. */
static bool is_ignorable(uint32_t cp) {
    return cp == 0x00AD || cp == 0x034F || (cp >= 0x180B && cp <= 0x180F) || cp == 0x200C ||
           cp == 0x200D || cp == 0x2060 || (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF ||
           (cp >= 0xE0100 && cp <= 0xE01EF);
}

/* Apostrophe and the characters typed for it: ' ` ´ ʼ ‘ ’. */
static bool is_apostrophe(uint32_t cp) {
    return cp == 0x27 || cp == 0x60 || cp == 0xB4 || cp == 0x2BC || cp == 0x2018 || cp == 0x2019;
}

/* ---------------------------------------------------------------- tokenizer */

void mc_textbuf_free(mc_textbuf *b) {
    if (!b) return;
    free(b->s);
    memset(b, 0, sizeof *b);
}

/* b->s holds at least need bytes (grown, never shrunk); false when out of memory. */
static bool textbuf_reserve(mc_textbuf *b, size_t need) {
    if (b->cap >= need) return true;
    char *s = mc_realloc(b->s, need, 1);
    if (!s) return false;
    b->s = s;
    b->cap = need;
    return true;
}

/* A tokenizer's output being written into b->s: n bytes so far; last is the last code point of the current
 * token and last_at its byte offset (where a composite with the next code point would start). */
typedef struct tok_out {
    mc_textbuf *b;
    size_t n;
    uint32_t last;
    size_t last_at;
} tok_out;

/* Start the tokens of a text of len bytes: b emptied, with room for the caller's worst case of
 * len * halves / 2 + 4 bytes; an error naming len when that overflows or memory runs out. */
static mc_status tokens_begin(tok_out *t, mc_textbuf *b, size_t len, size_t halves) {
    b->len = 0;
    b->words = 0;
    *t = (tok_out){b, 0, 0, 0};
    if (len > (SIZE_MAX - 4) / halves) return mc_error_set(MC_STATUS_NO_MEMORY, "text of %zu bytes is too long", len);
    if (!textbuf_reserve(b, len * halves / 2 + 4))
        return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory tokenizing %zu bytes of text", len);
    return MC_STATUS_OK;
}

/* Append cp lower-cased to the output - or, when compose is set and cp composes with the previous code
 * point (NFC, mc_text_compose), replace that one by the lower-cased composite. */
static void put_lower(tok_out *t, uint32_t cp, bool compose) {
    const uint32_t c = compose ? mc_text_compose(t->last, cp) : 0;
    if (c) {
        t->n = t->last_at; /* the composite starts where the previous code point did */
        cp = c;
    } else {
        t->last_at = t->n;
    }
    cp = mc_text_lower(cp);
    t->last = cp;
    t->n += (size_t)mc_text_utf8_encode(cp, t->b->s + t->n);
}

/* A space that starts the next token. */
static void put_space(tok_out *t) {
    t->b->s[t->n++] = ' ';
    t->b->words++;
}

/* The closing space of the padding (when there is a token) and the terminator. */
static mc_status finish_tokens(tok_out *t) {
    if (t->b->words > 0) t->b->s[t->n++] = ' ';
    t->b->s[t->n] = '\0';
    t->b->len = t->n;
    return MC_STATUS_OK;
}

mc_status mc_text_tokenize_padded(const char *text, size_t len, mc_textbuf *b) {
    if (!text) len = 0;
    /* Worst case: every input byte a word character whose lowercase needs 3/2 as many bytes
     * (U+023A, 2 bytes -> U+2C65, 3 bytes), plus one space per word and the padding: 5/2 len + 4. */
    tok_out t;
    mc_status st = tokens_begin(&t, b, len, 5);
    if (st != MC_STATUS_OK) return st;
    bool in_word = false, apostrophe = false;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += mc_text_utf8_decode(text + i, len - i, &cp);
        if (is_ignorable(cp)) continue;
        if (is_apostrophe(cp)) {
            if (in_word && !apostrophe) apostrophe = true;
            else in_word = apostrophe = false;
            continue;
        }
        const mc_word_range *r = word_range(cp);
        if (!r) { /* separator */
            in_word = apostrophe = false;
            continue;
        }
        bool compose = false; /* cp may compose with the previous code point (NFC) */
        if (!in_word) {
            if (r->mark) continue; /* a mark with no letter before it goes with the dropped char */
            put_space(&t);
            in_word = true;
        } else if (apostrophe) {
            apostrophe = false; /* "don't" -> "dont": the word goes on */
        } else {
            compose = true;
        }
        put_lower(&t, cp, compose);
    }
    return finish_tokens(&t);
}

/* Python's str.isspace() (what str.split() with no argument splits at, and so sklearn's char_wb):
 * the Unicode White_Space characters plus the information separators U+001C..U+001F. */
static bool is_python_space(uint32_t cp) {
    return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

mc_status mc_text_tokenize_chunks_padded(const char *text, size_t len, mc_textbuf *b) {
    if (!text) len = 0;
    /* Worst case: every byte a character whose lowercase needs 3/2 as many bytes, a malformed byte
     * becoming U+FFFD (3 bytes), one space per chunk and the padding: 4 len + 4. */
    tok_out t;
    mc_status st = tokens_begin(&t, b, len, 8);
    if (st != MC_STATUS_OK) return st;
    bool in_chunk = false;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += mc_text_utf8_decode(text + i, len - i, &cp);
        if (is_python_space(cp)) {
            in_chunk = false;
            continue;
        }
        const bool compose = in_chunk; /* NFC: cp may compose with the chunk's previous code point */
        if (!in_chunk) {
            put_space(&t);
            in_chunk = true;
        }
        put_lower(&t, cp, compose);
    }
    return finish_tokens(&t);
}

bool mc_text_has_word(const char *text, size_t len) {
    if (!text) return false;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += mc_text_utf8_decode(text + i, len - i, &cp);
        if (mc_text_is_word_char(cp) && !mc_text_is_mark(cp)) return true;
    }
    return false;
}

mc_status mc_text_normalize(const char *text, size_t len, char **out, size_t *out_len,
                            int64_t *n_words) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_text_normalize: out is NULL");
    *out = NULL;
    mc_textbuf b = {0};
    mc_status st = mc_text_tokenize_padded(text, len, &b);
    if (st != MC_STATUS_OK) {
        mc_textbuf_free(&b);
        return st;
    }
    /* Drop the padding: " a b " -> "a b". */
    size_t m = b.len >= 2 ? b.len - 2 : 0;
    if (m > 0) memmove(b.s, b.s + 1, m);
    b.s[m] = '\0';
    *out = b.s;
    if (out_len) *out_len = m;
    if (n_words) *n_words = b.words;
    return MC_STATUS_OK;
}
