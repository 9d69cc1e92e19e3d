/* All text of the figures: Pango lays it out (HarfBuzz shapes it: Bengali and Devanagari conjuncts,
 * vowel signs, Arabic joining, CJK), fontconfig picks a font for each run of a script from the family
 * list PLOT_FONT_FAMILIES, and pangocairo draws the glyphs on the figure's cairo context. Nothing else
 * in src/plot calls Pango or cairo's text API.
 *
 * FONT MAP AND THREADS: Pango objects are not thread-safe, so every render uses the calling thread's
 * own font map (pango_cairo_font_map_get_default() is per thread since Pango 1.32.6) and creates its own
 * PangoContext and PangoLayout, freed when the render ends. The font map caches the loaded fonts and
 * fontsets, so only the first render on a thread pays for loading them; it is freed when the thread
 * exits, or by mc_plot_fonts_release(). fontconfig's configuration (FcInit) is process-wide and
 * thread-safe; it is loaded once, on the first render of the process.
 *
 * DETERMINISM: the context's language is fixed ("en") instead of the process locale, glyph positions
 * are not rounded to whole pixels and metrics are unhinted, so the layout is the same in PNG, SVG and
 * PDF, on every thread and in every locale; what it depends on is the installed fonts and fontconfig's
 * configuration. Lines are aligned on the primary font's (Noto Sans) ascent and descent, not on the
 * fonts a string happens to use, so a Bengali or CJK name sits on the same baseline as a Latin one. */
#include "plot_internal.h"

#include <pango/pangocairo.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Noto Sans first (Latin, Greek, Cyrillic), then the scripts it lacks; fontconfig's own fallbacks
 * follow for anything else. DejaVu Sans stays last as the fallback of the previous releases. */
#define PLOT_FONT_FAMILIES \
    "Noto Sans,Noto Sans Bengali,Noto Sans Devanagari,Noto Sans CJK SC,Noto Sans Arabic,DejaVu Sans"

struct plot_text {
    PangoContext *ctx;
    PangoLayout *layout;
    PangoFontDescription *desc;
    PangoLanguage *lang;
    double size;
    bool bold;
    bool have_metrics;
    double ascent, descent; /* of the primary font at size / bold, px */
};

/* ---------------------------------------------------------------- context */

static void free_text(struct plot_text *t) {
    if (!t) return;
    if (t->layout) g_object_unref(t->layout);
    if (t->ctx) g_object_unref(t->ctx);
    if (t->desc) pango_font_description_free(t->desc);
    mc_free(t);
}

mc_status pt_begin(plot_ctx *c) {
    struct plot_text *t = mc_alloc(1, sizeof *t);
    if (!t) return mc_error_nomem("%s: out of memory for the text layout", c->where);
    PangoFontMap *fm = pango_cairo_font_map_get_default(); /* the calling thread's; not ours to free */
    t->ctx = fm ? pango_font_map_create_context(fm) : NULL;
    t->desc = pango_font_description_new();
    if (!t->ctx || !t->desc) {
        free_text(t);
        return mc_error_set(MC_STATUS_NO_MEMORY, "%s: cannot create a Pango context", c->where);
    }
    pango_font_description_set_family(t->desc, PLOT_FONT_FAMILIES);
    /* Grey antialiasing and unhinted metrics, as the cairo context (render.c): text measures the same
     * in every format and on every machine's display settings. */
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_SLIGHT);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    pango_cairo_context_set_font_options(t->ctx, fo);
    cairo_font_options_destroy(fo);
    pango_context_set_round_glyph_positions(t->ctx, FALSE);
    t->lang = pango_language_from_string("en");
    pango_context_set_language(t->ctx, t->lang);
    t->layout = pango_layout_new(t->ctx);
    if (!t->layout) {
        free_text(t);
        return mc_error_set(MC_STATUS_NO_MEMORY, "%s: cannot create a Pango layout", c->where);
    }
    /* one line, whatever the text holds: a stray U+2029 does not start a paragraph */
    pango_layout_set_single_paragraph_mode(t->layout, TRUE);
    pango_layout_set_width(t->layout, -1);
    t->size = -1;
    c->text = t;
    pt_font(c, c->fs > 0 ? c->fs : 13, false);
    return MC_STATUS_OK;
}

void pt_end(plot_ctx *c) {
    free_text(c->text);
    c->text = NULL;
}

void mc_plot_fonts_release(void) {
    /* NULL: unref this thread's default font map; the next render creates a new one */
    pango_cairo_font_map_set_default(NULL);
}

/* ---------------------------------------------------------------- font */

void pt_font(plot_ctx *c, double size, bool bold) {
    struct plot_text *t = c->text;
    if (size == t->size && bold == t->bold) return;
    t->size = size;
    t->bold = bold;
    t->have_metrics = false;
    /* absolute: size is in device units (px in a PNG, pt in SVG/PDF), whatever Pango's resolution */
    pango_font_description_set_absolute_size(t->desc, size * PANGO_SCALE);
    pango_font_description_set_weight(t->desc, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(t->layout, t->desc);
}

static void need_metrics(struct plot_text *t) {
    if (t->have_metrics) return;
    PangoFontMetrics *m = pango_context_get_metrics(t->ctx, t->desc, t->lang);
    if (m) {
        t->ascent = pango_font_metrics_get_ascent(m) / (double)PANGO_SCALE;
        t->descent = pango_font_metrics_get_descent(m) / (double)PANGO_SCALE;
        pango_font_metrics_unref(m);
    }
    if (!(t->ascent + t->descent > 0)) { /* no font at all: still lay out sensibly */
        t->ascent = 0.9 * t->size;
        t->descent = 0.25 * t->size;
    }
    t->have_metrics = true;
}

double pt_line_h(plot_ctx *c) {
    need_metrics(c->text);
    return c->text->ascent + c->text->descent;
}

/* ---------------------------------------------------------------- cleaning */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF); its code point in *cp. */
static int utf8_len(const unsigned char *s, unsigned *cp_out) {
    unsigned char b = s[0];
    if (b < 0x80) {
        *cp_out = b;
        return 1;
    }
    int n;
    unsigned cp;
    if (b >= 0xC2 && b <= 0xDF) { n = 2; cp = b & 0x1Fu; }
    else if (b >= 0xE0 && b <= 0xEF) { n = 3; cp = b & 0x0Fu; }
    else if (b >= 0xF0 && b <= 0xF4) { n = 4; cp = b & 0x07u; }
    else return 0;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
    if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
    *cp_out = cp;
    return n;
}

void pt_clean(const char *s, char *out, size_t cap) {
    if (cap == 0) return;
    size_t o = 0;
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    while (*u) {
        unsigned cp = 0;
        int n = utf8_len(u, &cp);
        if (n == 0) {
            if (o + 1 >= cap) break;
            out[o++] = '?';
            u++;
            continue;
        }
        if ((size_t)n + o >= cap) break;
        /* C0 and C1 controls, DEL and the line / paragraph separators would break the line or
         * draw as boxes: one space each */
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029) {
            out[o++] = ' ';
        } else {
            memcpy(out + o, u, (size_t)n);
            o += (size_t)n;
        }
        u += n;
    }
    out[o] = '\0';
}

/* ---------------------------------------------------------------- measuring and drawing */

/* The language each script is shaped in. Pango would take a script's language from the
 * environment (PANGO_LANGUAGE, LANGUAGE) whenever the context's language ("en") does not use that
 * script, and the language changes glyphs (OpenType 'locl': Japanese vs Chinese forms of the same Han
 * character, Assamese vs Bengali letters) -- so the same figure would differ between users. A fixed
 * language per script keeps the bytes the same everywhere. Han follows the string: Japanese when it
 * has kana, Korean when it has Hangul, else Simplified Chinese (the CJK font's default). Scripts not
 * listed keep Pango's choice. */
static const char *script_language(PangoScript sc, const char *han) {
    switch ((int)sc) {
    case PANGO_SCRIPT_LATIN: return "en";
    case PANGO_SCRIPT_GREEK: return "el";
    case PANGO_SCRIPT_CYRILLIC: return "ru";
    case PANGO_SCRIPT_ARMENIAN: return "hy";
    case PANGO_SCRIPT_GEORGIAN: return "ka";
    case PANGO_SCRIPT_HEBREW: return "he";
    case PANGO_SCRIPT_ARABIC: return "ar";
    case PANGO_SCRIPT_DEVANAGARI: return "hi";
    case PANGO_SCRIPT_BENGALI: return "bn";
    case PANGO_SCRIPT_GURMUKHI: return "pa";
    case PANGO_SCRIPT_GUJARATI: return "gu";
    case PANGO_SCRIPT_ORIYA: return "or";
    case PANGO_SCRIPT_TAMIL: return "ta";
    case PANGO_SCRIPT_TELUGU: return "te";
    case PANGO_SCRIPT_KANNADA: return "kn";
    case PANGO_SCRIPT_MALAYALAM: return "ml";
    case PANGO_SCRIPT_SINHALA: return "si";
    case PANGO_SCRIPT_THAI: return "th";
    case PANGO_SCRIPT_LAO: return "lo";
    case PANGO_SCRIPT_TIBETAN: return "bo";
    case PANGO_SCRIPT_MYANMAR: return "my";
    case PANGO_SCRIPT_KHMER: return "km";
    case PANGO_SCRIPT_ETHIOPIC: return "am";
    case PANGO_SCRIPT_HIRAGANA:
    case PANGO_SCRIPT_KATAKANA: return "ja";
    case PANGO_SCRIPT_HANGUL: return "ko";
    case PANGO_SCRIPT_BOPOMOFO: return "zh-tw";
    case PANGO_SCRIPT_HAN: return han;
    default: return NULL;
    }
}

/* Lay out already-clean text, each script run tagged with its fixed language; its logical width in
 * px. */
static double set_text(struct plot_text *t, const char *clean, int len) {
    pango_layout_set_text(t->layout, clean, len);
    PangoAttrList *attrs = pango_attr_list_new();
    int n = len < 0 ? (int)strlen(clean) : len;
    const char *han = "zh-cn";
    PangoScriptIter *it = pango_script_iter_new(clean, n);
    bool kana = false, hangul = false;
    do {
        const char *a, *b;
        PangoScript sc;
        pango_script_iter_get_range(it, &a, &b, &sc);
        kana = kana || sc == PANGO_SCRIPT_HIRAGANA || sc == PANGO_SCRIPT_KATAKANA;
        hangul = hangul || sc == PANGO_SCRIPT_HANGUL;
    } while (pango_script_iter_next(it));
    pango_script_iter_free(it);
    if (kana) han = "ja";
    else if (hangul) han = "ko";
    it = pango_script_iter_new(clean, n);
    do {
        const char *a, *b;
        PangoScript sc;
        pango_script_iter_get_range(it, &a, &b, &sc);
        const char *lang = script_language(sc, han);
        if (lang && b > a) {
            PangoAttribute *at = pango_attr_language_new(pango_language_from_string(lang));
            at->start_index = (guint)(a - clean);
            at->end_index = (guint)(b - clean);
            pango_attr_list_insert(attrs, at); /* the list owns it */
        }
    } while (pango_script_iter_next(it));
    pango_script_iter_free(it);
    pango_layout_set_attributes(t->layout, attrs);
    pango_attr_list_unref(attrs);
    PangoRectangle logical;
    pango_layout_get_extents(t->layout, NULL, &logical);
    return logical.width / (double)PANGO_SCALE;
}

double pt_width(plot_ctx *c, const char *s) {
    char buf[PLOT_TEXT_MAX];
    pt_clean(s, buf, sizeof buf);
    return set_text(c->text, buf, -1);
}

void pt_fit(plot_ctx *c, const char *s, double maxw, char *out, size_t cap) {
    if (cap == 0) return;
    struct plot_text *t = c->text;
    char buf[PLOT_TEXT_MAX];
    pt_clean(s, buf, sizeof buf);
    if (set_text(t, buf, -1) <= maxw) {
        snprintf(out, cap, "%s", buf);
        return;
    }
    /* Cut only between grapheme clusters (Pango's cursor positions, UAX #29): cutting inside one
     * would leave a lone Bengali vowel sign or virama, drawn on a dotted circle. Nor right after a
     * virama (combining class 9), which would split a conjunct: "ন্দ" is one written letter, and
     * "ন্…" shows a halant that is not in the name (Unicode 15.1 makes this rule GB9c). */
    static const char ell[] = "\xE2\x80\xA6";
    int n_attrs = 0;
    const PangoLogAttr *attrs = pango_layout_get_log_attrs_readonly(t->layout, &n_attrs);
    int n_chars = n_attrs - 1; /* attrs has one entry per character plus the end */
    int *cut = mc_alloc((size_t)(n_attrs > 0 ? n_attrs : 1), sizeof *cut); /* (n) byte offsets */
    if (!cut) {
        snprintf(out, cap, "%s", ell);
        return;
    }
    int n_cut = 0;
    const char *p = buf;
    gunichar prev = 0;
    for (int i = 0; i < n_chars; i++) {
        if (i > 0 && attrs[i].is_cursor_position && g_unichar_combining_class(prev) != 9) {
            cut[n_cut++] = (int)(p - buf);
        }
        prev = g_utf8_get_char(p);
        p = g_utf8_next_char(p);
    }
    /* the longest prefix (spaces before the "…" dropped: "abc…", not "abc …") that fits with the
     * ellipsis: binary search over the cut points, as the width grows with the prefix */
    char tmp[PLOT_TEXT_MAX + sizeof ell];
    int lo = 0, hi = n_cut; /* prefix cut[k - 1] fits for k <= lo; none of them for k > hi */
    int best_len = 0;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        int keep = cut[mid - 1];
        while (keep > 0 && buf[keep - 1] == ' ') keep--;
        memcpy(tmp, buf, (size_t)keep);
        memcpy(tmp + keep, ell, sizeof ell);
        if (set_text(t, tmp, -1) <= maxw) {
            lo = mid;
            best_len = keep;
        } else {
            hi = mid - 1;
        }
    }
    mc_free(cut);
    if ((size_t)best_len + sizeof ell <= cap) {
        memcpy(out, buf, (size_t)best_len);
        memcpy(out + best_len, ell, sizeof ell);
    } else {
        snprintf(out, cap, "%s", sizeof ell <= cap ? ell : "");
    }
}

void pt_draw(plot_ctx *c, double x, double y, const char *s, double ha, double va, double angle) {
    struct plot_text *t = c->text;
    char buf[PLOT_TEXT_MAX];
    pt_clean(s, buf, sizeof buf);
    if (!buf[0]) return;
    need_metrics(t);
    set_text(t, buf, -1);
    PangoRectangle logical;
    pango_layout_get_extents(t->layout, NULL, &logical);
    double baseline = pango_layout_get_baseline(t->layout) / (double)PANGO_SCALE;
    /* In text space the line spans -ascent .. +descent of the primary font around the baseline; the
     * layout is drawn with its top-left corner at the current point. */
    double dx = -ha * logical.width / (double)PANGO_SCALE - logical.x / (double)PANGO_SCALE;
    double dy = t->ascent - va * (t->ascent + t->descent) - baseline;
    cairo_t *cr = c->cr;
    cairo_save(cr);
    cairo_translate(cr, x, y);
    if (angle != 0) cairo_rotate(cr, -angle);
    cairo_move_to(cr, dx, dy);
    /* The layout keeps the unrotated metrics it was measured with; cairo draws the glyphs through
     * the rotated matrix. */
    pango_cairo_show_layout(cr, t->layout);
    cairo_new_path(cr);
    cairo_restore(cr);
}

/* ---------------------------------------------------------------- public: measuring a string */

mc_status mc_plot_text_measure(const char *text, double font_size, bool bold, mc_plot_text_info *out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "plot: text measure: NULL output");
    memset(out, 0, sizeof *out);
    if (!text) return mc_error_set(MC_STATUS_INVALID_ARG, "plot: text measure: NULL text");
    if (font_size <= 0 && !isnan(font_size)) font_size = 13;
    if (!(font_size >= 4 && font_size <= 200)) {
        return mc_error_set(MC_STATUS_INVALID_ARG, "plot: text measure: font_size %g is outside 4..200",
                            font_size);
    }
    plot_ctx c = {.fs = font_size, .where = "plot: text measure"};
    mc_status st = pt_begin(&c);
    if (st != MC_STATUS_OK) return st;
    pt_font(&c, font_size, bold);
    char buf[PLOT_TEXT_MAX];
    pt_clean(text, buf, sizeof buf);
    struct plot_text *t = c.text;
    out->width = set_text(t, buf, -1);
    out->n_chars = (int)g_utf8_strlen(buf, -1);
    out->n_missing = pango_layout_get_unknown_glyphs_count(t->layout);
    /* glyphs and fonts run by run (one line: single-paragraph mode, no wrapping) */
    PangoLayoutLine *line = pango_layout_get_line_readonly(t->layout, 0);
    size_t fl = 0;
    for (GSList *r = line ? line->runs : NULL; r; r = r->next) {
        PangoGlyphItem *run = r->data;
        out->n_glyphs += run->glyphs->num_glyphs;
        PangoFontDescription *fd = pango_font_describe(run->item->analysis.font);
        const char *fam = fd ? pango_font_description_get_family(fd) : NULL;
        if (fam && fam[0]) {
            /* list each family once, in order of first use */
            bool seen = false;
            size_t flen = strlen(fam);
            for (const char *q = out->families; *q && !seen;) {
                const char *e = strstr(q, ", ");
                size_t l = e ? (size_t)(e - q) : strlen(q);
                seen = l == flen && memcmp(q, fam, l) == 0;
                q = e ? e + 2 : q + l;
            }
            if (!seen && fl + flen + 3 < sizeof out->families) {
                fl += (size_t)snprintf(out->families + fl, sizeof out->families - fl, "%s%s",
                                       fl ? ", " : "", fam);
            }
        }
        if (fd) pango_font_description_free(fd);
    }
    pt_end(&c);
    return MC_STATUS_OK;
}

void pt_draw_tick_name(plot_ctx *c, const char *name, double x, double y, double angle, double w, double cap) {
    char fit[PLOT_TEXT_MAX];
    if (angle == 0) {
        pt_fit(c, name, w, fit, sizeof fit);
        pt_draw(c, x, y, fit, 0.5, 0, 0);
    } else {
        pt_fit(c, name, cap, fit, sizeof fit);
        pt_draw(c, x, y, fit, 1, angle == M_PI / 2 ? 0.5 : 0, angle);
    }
}
