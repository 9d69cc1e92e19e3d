/* Surfaces, formats and output: every figure is drawn into memory (an image surface for PNG, a
 * stream surface for SVG and PDF), made deterministic, and only then written (atomically) or handed
 * back as a buffer. */
#include "plot_internal.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PLOT_DEFAULT_W 800
#define PLOT_DEFAULT_H 600
#define PLOT_MIN_SIZE 64
#define PLOT_MAX_SIZE 8192

/* ---------------------------------------------------------------- a growing byte buffer */

typedef struct membuf {
    unsigned char *data; /* (cap) malloc'd */
    size_t len, cap;
    bool failed;
} membuf;

static bool membuf_append(membuf *b, const void *src, size_t n) {
    if (b->failed) return false;
    if (n > SIZE_MAX - b->len) { b->failed = true; return false; }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + n) {
            if (cap > SIZE_MAX / 2) { b->failed = true; return false; }
            cap *= 2;
        }
        unsigned char *d = mc_realloc(b->data, cap, 1);
        if (!d) { b->failed = true; return false; }
        b->data = d;
        b->cap = cap;
    }
    if (n) memcpy(b->data + b->len, src, n);
    b->len += n;
    return true;
}

static cairo_status_t membuf_write(void *closure, const unsigned char *data, unsigned int length) {
    return membuf_append(closure, data, length) ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

/* ---------------------------------------------------------------- SVG post-processing */

/* cairo 1.16's SVG writer names <g id="surfaceN"> and <image id="imageN"> after surface ids drawn from
 * a process-wide counter, so the second render of the same figure differs from the first. Every id
 * that is letters then digits ("surface17", "image21", "clip3") is renumbered per prefix in order of
 * its definition, and every reference to it ("#image21" in href and url()) follows. Glyph ids
 * ("glyph0-1") are already per document and are left as they are. */
typedef struct svg_id {
    size_t prefix_off, prefix_len; /* prefix in the source text */
    unsigned long old_num, new_num;
} svg_id;

/* At s: letters then digits then one of `ends`; returns the length up to the digits' end, 0 if not. */
static size_t parse_id(const char *s, const char *end, size_t *plen, unsigned long *num,
                       const char *ends) {
    const char *p = s;
    while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) p++;
    if (p == s) return 0;
    *plen = (size_t)(p - s);
    const char *d = p;
    unsigned long v = 0;
    while (p < end && *p >= '0' && *p <= '9' && p - d < 9) v = v * 10 + (unsigned long)(*p++ - '0');
    if (p == d || p >= end || !strchr(ends, *p)) return 0;
    *num = v;
    return (size_t)(p - s);
}

static const svg_id *find_id(const svg_id *ids, size_t n, const char *text, const char *prefix,
                             size_t plen, unsigned long num) {
    for (size_t i = 0; i < n; i++) {
        if (ids[i].old_num == num && ids[i].prefix_len == plen &&
            memcmp(text + ids[i].prefix_off, prefix, plen) == 0) {
            return &ids[i];
        }
    }
    return NULL;
}

static void xml_escape_append(membuf *o, const char *s) {
    char clean[PLOT_TEXT_MAX];
    pt_clean(s, clean, sizeof clean);
    for (const char *p = clean; *p; p++) {
        switch (*p) {
        case '&': membuf_append(o, "&amp;", 5); break;
        case '<': membuf_append(o, "&lt;", 4); break;
        case '>': membuf_append(o, "&gt;", 4); break;
        case '"': membuf_append(o, "&quot;", 6); break;
        default: membuf_append(o, p, 1);
        }
    }
}

static mc_status svg_finish(membuf *in, const char *title, const char *where) {
    const char *text = (const char *)in->data, *end = text + in->len;
    /* collect definitions */
    svg_id *ids = NULL;
    size_t n_ids = 0, cap_ids = 0;
    for (const char *p = text; p + 4 < end; p++) {
        if (memcmp(p, "id=\"", 4) != 0 || (p > text && p[-1] != ' ')) continue;
        size_t plen;
        unsigned long num;
        size_t len = parse_id(p + 4, end, &plen, &num, "\"");
        if (!len) continue;
        if (find_id(ids, n_ids, text, p + 4, plen, num)) continue;
        if (n_ids == cap_ids) {
            size_t cap = cap_ids ? 2 * cap_ids : 16;
            svg_id *t = mc_realloc(ids, cap * sizeof *t, 1);
            if (!t) {
                free(ids);
                return mc_error_nomem("%s: out of memory renumbering SVG ids",
                                    where);
            }
            ids = t;
            cap_ids = cap;
        }
        unsigned long next = 1;
        for (size_t i = 0; i < n_ids; i++) {
            if (ids[i].prefix_len == plen && memcmp(text + ids[i].prefix_off, p + 4, plen) == 0) next++;
        }
        ids[n_ids++] = (svg_id){(size_t)(p + 4 - text), plen, num, next};
    }
    /* the title goes right after the root element's start tag */
    const char *svg_open = NULL;
    for (const char *p = text; p + 4 <= end && !svg_open; p++) {
        if (memcmp(p, "<svg", 4) == 0) svg_open = p;
    }
    const char *title_at = NULL;
    for (const char *p = svg_open; p && title && title[0] && p < end && !title_at; p++) {
        if (*p == '>') title_at = p;
    }
    membuf out = {0};
    for (const char *p = text; p < end;) {
        if (p == title_at) {
            membuf_append(&out, ">\n<title>", 9);
            xml_escape_append(&out, title ? title : "");
            membuf_append(&out, "</title>", 8);
            p++;
            continue;
        }
        size_t skip = 0;
        if (end - p > 4 && memcmp(p, "id=\"", 4) == 0) skip = 4;
        else if (*p == '#') skip = 1;
        if (skip) {
            size_t plen;
            unsigned long num;
            size_t len = parse_id(p + skip, end, &plen, &num, skip == 4 ? "\"" : "\")");
            const svg_id *id = len ? find_id(ids, n_ids, text, p + skip, plen, num) : NULL;
            if (id) {
                char digits[32];
                int nd = snprintf(digits, sizeof digits, "%lu", id->new_num);
                membuf_append(&out, p, skip + plen);
                membuf_append(&out, digits, (size_t)nd);
                p += skip + len;
                continue;
            }
        }
        membuf_append(&out, p, 1);
        p++;
    }
    free(ids);
    if (out.failed) {
        free(out.data);
        return mc_error_nomem("%s: out of memory writing the SVG", where);
    }
    free(in->data);
    *in = out;
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- rendering */

void mc_plot_init(mc_plot *p, mc_plot_kind kind) {
    if (!p) return;
    memset(p, 0, sizeof *p);
    p->kind = kind;
}

mc_status mc_plot_format_from_path(const char *path, mc_plot_format *out) {
    if (!path || !out) return mc_error_set(MC_STATUS_INVALID_ARG, "plot: NULL path or output");
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash)) {
        if (strcasecmp(dot, ".png") == 0) { *out = MC_PLOT_FORMAT_PNG; return MC_STATUS_OK; }
        if (strcasecmp(dot, ".svg") == 0) { *out = MC_PLOT_FORMAT_SVG; return MC_STATUS_OK; }
        if (strcasecmp(dot, ".pdf") == 0) { *out = MC_PLOT_FORMAT_PDF; return MC_STATUS_OK; }
    }
    return mc_error_set(MC_STATUS_INVALID_ARG,
                        "%s: unknown plot format; the file name must end in .png, .svg or .pdf", path);
}

static mc_status draw_kind(plot_ctx *c) {
    switch (c->p->kind) {
    case MC_PLOT_KIND_SCATTER: return plot_scatter(c);
    case MC_PLOT_KIND_HEATMAP: return plot_heatmap(c);
    case MC_PLOT_KIND_SPECTROGRAM: return plot_spectrogram(c);
    case MC_PLOT_KIND_LINE: return plot_line(c);
    case MC_PLOT_KIND_BAR: return plot_bar(c);
    case MC_PLOT_KIND_NONE: break;
    }
    return mc_error_set(MC_STATUS_INVALID_ARG, "%s: plot kind %d is not one of mc_plot_kind", c->where,
                        (int)c->p->kind);
}

/* Draw p into out (as the file's bytes). */
static mc_status render(const mc_plot *p, mc_plot_format format, const char *where, membuf *out,
                        mc_plot_stats *stats) {
    if (!p) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: plot spec is NULL", where);
    int w = p->width ? p->width : PLOT_DEFAULT_W, h = p->height ? p->height : PLOT_DEFAULT_H;
    if (w < PLOT_MIN_SIZE || w > PLOT_MAX_SIZE || h < PLOT_MIN_SIZE || h > PLOT_MAX_SIZE) {
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: plot size %d x %d is outside %d..%d", where, w,
                            h, PLOT_MIN_SIZE, PLOT_MAX_SIZE);
    }
    double fs = p->font_size;
    if (fs == 0 || (fs < 0 && !isnan(fs))) {
        fs = 13.0 * sqrt((double)w * h / (PLOT_DEFAULT_W * PLOT_DEFAULT_H));
        fs = fs < 9 ? 9 : fs > 40 ? 40 : fs;
    } else if (!(fs >= 4 && fs <= 200)) {
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: font_size %g is outside 4..200", where, fs);
    }
    if (p->kind < MC_PLOT_KIND_SCATTER || p->kind > MC_PLOT_KIND_BAR) {
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: plot kind %d is not one of mc_plot_kind",
                            where, (int)p->kind);
    }

    cairo_surface_t *surf = NULL;
    switch (format) {
    case MC_PLOT_FORMAT_PNG:
        /* RGB24: the figure is opaque, so the PNG has no alpha channel (smaller, same look) */
        surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
        break;
    case MC_PLOT_FORMAT_SVG:
        surf = cairo_svg_surface_create_for_stream(membuf_write, out, w, h);
        break;
    case MC_PLOT_FORMAT_PDF:
        surf = cairo_pdf_surface_create_for_stream(membuf_write, out, w, h);
        if (cairo_surface_status(surf) == CAIRO_STATUS_SUCCESS) {
            /* a fixed date instead of "now": the same figure gives the same bytes */
            cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATE_DATE, "2000-01-01T00:00:00Z");
            if (p->title) {
                char t[PLOT_TEXT_MAX];
                pt_clean(p->title, t, sizeof t);
                cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, t);
            }
        }
        break;
    default:
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: plot format %d is not one of mc_plot_format",
                            where, (int)format);
    }
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
        mc_status st = mc_error_set(MC_STATUS_NO_MEMORY, "%s: cannot create a %d x %d surface: %s",
                                    where, w, h, cairo_status_to_string(cairo_surface_status(surf)));
        cairo_surface_destroy(surf);
        return st;
    }
    cairo_t *cr = cairo_create(surf);
    /* Grey antialiasing and unhinted metrics: text measures the same in every format, so PNG and
     * SVG have the same layout, and nothing depends on a display's subpixel order. */
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_SLIGHT);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_set_font_options(cr, fo);
    cairo_font_options_destroy(fo);

    mc_plot_stats local = {0};
    plot_ctx c = {.cr = cr, .w = w, .h = h, .fs = fs, .pad = fs * 0.9, .p = p, .where = where,
                  .stats = &local};
    mc_status st = pt_begin(&c);
    if (st == MC_STATUS_OK) st = draw_kind(&c);
    pt_end(&c);
    if (st == MC_STATUS_OK && cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        st = mc_error_set(MC_STATUS_NO_MEMORY, "%s: drawing failed: %s", where,
                          cairo_status_to_string(cairo_status(cr)));
    }
    cairo_destroy(cr);
    if (st == MC_STATUS_OK) {
        if (format == MC_PLOT_FORMAT_PNG) {
            cairo_surface_flush(surf);
            cairo_status_t cs = cairo_surface_write_to_png_stream(surf, membuf_write, out);
            if (cs != CAIRO_STATUS_SUCCESS) {
                st = mc_error_set(MC_STATUS_NO_MEMORY, "%s: PNG encoding failed: %s", where,
                                  cairo_status_to_string(cs));
            }
        } else {
            cairo_surface_finish(surf); /* SVG and PDF write their document here */
            cairo_status_t cs = cairo_surface_status(surf);
            if (cs != CAIRO_STATUS_SUCCESS || out->failed) {
                st = mc_error_set(MC_STATUS_NO_MEMORY, "%s: writing the %s failed: %s", where,
                                  format == MC_PLOT_FORMAT_SVG ? "SVG" : "PDF",
                                  out->failed ? "out of memory" : cairo_status_to_string(cs));
            }
        }
    }
    cairo_surface_destroy(surf);
    if (st == MC_STATUS_OK && format == MC_PLOT_FORMAT_SVG) st = svg_finish(out, p->title, where);
    if (st == MC_STATUS_OK && stats) *stats = local;
    return st;
}

mc_status mc_plot_render_buffer(const mc_plot *p, mc_plot_format format, unsigned char **buf,
                                size_t *len, mc_plot_stats *stats) {
    if (stats) memset(stats, 0, sizeof *stats);
    if (!buf || !len) return mc_error_set(MC_STATUS_INVALID_ARG, "(memory): NULL buf or len");
    *buf = NULL;
    *len = 0;
    membuf mb = {0};
    mc_status st = render(p, format, "(memory)", &mb, stats);
    if (st == MC_STATUS_OK) {
        unsigned char *d = mc_alloc(mb.len, 1);
        if (!d) {
            st = mc_error_nomem("(memory): out of memory for the %zu-byte encoded image", mb.len);
        } else {
            memcpy(d, mb.data, mb.len);
            *buf = d;
            *len = mb.len;
        }
    }
    free(mb.data);
    return st;
}

mc_status mc_plot_render_png_buffer(const mc_plot *p, unsigned char **buf, size_t *len,
                                    mc_plot_stats *stats) {
    return mc_plot_render_buffer(p, MC_PLOT_FORMAT_PNG, buf, len, stats);
}

mc_status mc_plot_render(const mc_plot *p, const char *path, mc_plot_stats *stats) {
    if (stats) memset(stats, 0, sizeof *stats);
    mc_plot_format format;
    mc_status st = mc_plot_format_from_path(path, &format);
    if (st != MC_STATUS_OK) return st;
    membuf mb = {0};
    st = render(p, format, path, &mb, stats);
    if (st == MC_STATUS_OK) st = mc_file_write_atomic(path, mb.data, mb.len);
    if (st != MC_STATUS_OK && stats) memset(stats, 0, sizeof *stats);
    free(mb.data);
    return st;
}
