/* UTF-8 decoding and encoding, Unicode character properties from the generated tables, and the
 * tokenizer (the rules are in include/musiclust/text.h). */
#include "text_internal.h"
#include "unicode_tables.h"

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
static const mc_word_range *word_range(uint32_t cp) {
    if (cp < 0x41) return NULL;
    int64_t lo = 0, hi = COUNT_OF(mc_word_ranges) - 1;
    while (lo <= hi) {
        int64_t mid = (lo + hi) / 2;
        const mc_word_range *r = &mc_word_ranges[mid];
        if (cp < r->lo) hi = mid - 1;
        else if (cp > r->hi) lo = mid + 1;
        else return r;
    }
    return NULL;
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

uint32_t mc_text_lower(uint32_t cp) {
    if (cp < 0x80) return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    int64_t lo = 0, hi = COUNT_OF(mc_lower_runs) - 1;
    while (lo <= hi) {
        int64_t mid = (lo + hi) / 2;
        const mc_lower_run *r = &mc_lower_runs[mid];
        if (cp < r->first) hi = mid - 1;
        else if (cp > r->last) lo = mid + 1;
        else return (cp - r->first) % r->stride == 0 ? (uint32_t)((int64_t)cp + r->delta) : cp;
    }
    return cp;
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
    int64_t lo = 0, hi = COUNT_OF(mc_compose_pairs) - 1;
    while (lo <= hi) {
        int64_t mid = (lo + hi) / 2;
        const mc_compose_pair *p = &mc_compose_pairs[mid];
        if (base < p->base || (base == p->base && next < p->mark)) hi = mid - 1;
        else if (base > p->base || next > p->mark) lo = mid + 1;
        else return p->composite;
    }
    return 0;
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

mc_status mc_text_tokenize_padded(const char *text, size_t len, mc_textbuf *b) {
    b->len = 0;
    b->words = 0;
    if (!text) len = 0;
    /* Worst case: every input byte a word character whose lowercase needs 3/2 as many bytes
     * (U+023A, 2 bytes -> U+2C65, 3 bytes), plus one space per word and the padding. */
    size_t need = len + len / 2 + len + 4;
    if (need < len) return mc_error_set(MC_STATUS_NO_MEMORY, "text of %zu bytes is too long", len);
    if (b->cap < need) {
        char *s = realloc(b->s, need);
        if (!s) return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory tokenizing %zu bytes of text", len);
        b->s = s;
        b->cap = need;
    }
    char *o = b->s;
    size_t n = 0;
    bool in_word = false, apostrophe = false;
    uint32_t last = 0;   /* last code point of the current word */
    size_t last_at = 0;  /* its byte offset in o */
    size_t i = 0;
    while (i < len) {
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
        if (!in_word) {
            if (r->mark) continue; /* a mark with no letter before it goes with the dropped char */
            o[n++] = ' ';
            in_word = true;
            b->words++;
        } else if (apostrophe) {
            apostrophe = false; /* "don't" -> "dont": the word goes on */
        } else {
            uint32_t c = mc_text_compose(last, cp);
            if (c) { /* replace the previous code point by the composite */
                c = mc_text_lower(c);
                n = last_at;
                last = c;
                n += (size_t)mc_text_utf8_encode(c, o + n);
                continue;
            }
        }
        cp = mc_text_lower(cp);
        last = cp;
        last_at = n;
        n += (size_t)mc_text_utf8_encode(cp, o + n);
    }
    if (b->words > 0) o[n++] = ' ';
    o[n] = '\0';
    b->len = n;
    return MC_STATUS_OK;
}

/* Python's str.isspace() (what str.split() with no argument splits at, and so sklearn's char_wb):
 * the Unicode White_Space characters plus the information separators U+001C..U+001F. */
static bool is_python_space(uint32_t cp) {
    return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

mc_status mc_text_tokenize_chunks_padded(const char *text, size_t len, mc_textbuf *b) {
    b->len = 0;
    b->words = 0;
    if (!text) len = 0;
    /* Worst case: every byte a character whose lowercase needs 3/2 as many bytes, a malformed byte
     * becoming U+FFFD (3 bytes), one space per chunk and the padding. */
    size_t need = 3 * len + len + 4;
    if (need / 4 < len) return mc_error_set(MC_STATUS_NO_MEMORY, "text of %zu bytes is too long", len);
    if (b->cap < need) {
        char *s = realloc(b->s, need);
        if (!s) return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory tokenizing %zu bytes of text", len);
        b->s = s;
        b->cap = need;
    }
    char *o = b->s;
    size_t n = 0;
    bool in_chunk = false;
    uint32_t last = 0;  /* last code point of the current chunk */
    size_t last_at = 0; /* its byte offset in o */
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        i += mc_text_utf8_decode(text + i, len - i, &cp);
        if (is_python_space(cp)) {
            in_chunk = false;
            continue;
        }
        if (!in_chunk) {
            o[n++] = ' ';
            in_chunk = true;
            b->words++;
        } else {
            uint32_t c = mc_text_compose(last, cp);
            if (c) { /* NFC: replace the previous code point by the composite */
                c = mc_text_lower(c);
                n = last_at;
                last = c;
                n += (size_t)mc_text_utf8_encode(c, o + n);
                continue;
            }
        }
        cp = mc_text_lower(cp);
        last = cp;
        last_at = n;
        n += (size_t)mc_text_utf8_encode(cp, o + n);
    }
    if (b->words > 0) o[n++] = ' ';
    o[n] = '\0';
    b->len = n;
    return MC_STATUS_OK;
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
