/* Text, ticks, frame, legend and colours shared by every chart (see plot_internal.h). */
#include "plot_internal.h"

#include "colormaps.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- formats */

bool pt_format_ok(const char *fmt) {
    if (!fmt) return false;
    int conv = 0;
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') continue;
        p++;
        if (*p == '%') continue;
        while (*p && strchr("-+ #0", *p)) p++;
        int digits = 0;
        while (*p >= '0' && *p <= '9') { p++; digits++; }
        if (digits > 2) return false;
        if (*p == '.') {
            p++;
            digits = 0;
            while (*p >= '0' && *p <= '9') { p++; digits++; }
            if (digits > 2) return false;
        }
        if (!*p || !strchr("fFeEgG", *p)) return false;
        conv++;
    }
    return conv == 1 && strlen(fmt) < 64;
}

void pt_format(const char *fmt, double v, char *out, size_t cap) {
    /* fmt was checked by pt_format_ok: one double conversion. */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#endif
    snprintf(out, cap, fmt, v);
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
}

void plot_fmt_count(int64_t v, char *out, size_t cap) {
    char digits[32];
    snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v));
    char buf[48];
    size_t n = strlen(digits), o = 0;
    if (v < 0) buf[o++] = '-';
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    snprintf(out, cap, "%s", buf);
}

mc_status plot_check_count(const plot_ctx *c, const char *kind, const char *what, int a, int b, int64_t max) {
    if (a <= 0 || b <= 0)
        return mc_error_set(MC_STATUS_EMPTY, "%s: %s: no %s (%d x %d)", c->where, kind, what, a, b);
    if ((int64_t)a * b > max)
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: %s: %d x %d %s are more than %lld", c->where, kind, a, b, what,
                            (long long)max);
    return MC_STATUS_OK;
}

void plot_note_add(plot_ctx *c, const char *fmt, ...) {
    char part[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(part, sizeof part, fmt, ap);
    va_end(ap);
    size_t len = strlen(c->auto_note);
    snprintf(c->auto_note + len, sizeof c->auto_note - len, "%s%s", len ? "; " : "", part);
}

/* ---------------------------------------------------------------- ticks */

/* The 1-2-5 step nearest above raw (Heckbert's nicenum with rounding). */
static double nice_step(double raw) {
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    double m = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    return m * mag;
}

/* Labels for linear ticks with a common number of decimals, chosen from the step. */
static void label_linear(plot_axis *a, double step) {
    double maxabs = 0;
    for (int i = 0; i < a->n; i++) maxabs = fmax(maxabs, fabs(a->v[i]));
    int e = (int)floor(log10(step) + 1e-9);
    bool sci = maxabs >= 1e6 || (maxabs > 0 && maxabs < 1e-3);
    for (int i = 0; i < a->n; i++) {
        double v = a->v[i];
        if (fabs(v) < step * 1e-9) v = 0; /* no "-0" or "1e-17" at zero */
        if (sci) {
            int digits = (int)floor(log10(maxabs)) - e + 1;
            if (digits < 1) digits = 1;
            if (digits > 6) digits = 6;
            snprintf(a->label[i], sizeof a->label[i], "%.*g", digits, v);
        } else {
            int dec = e < 0 ? -e : 0;
            snprintf(a->label[i], sizeof a->label[i], "%.*f", dec, v);
        }
    }
}

static void ticks_linear(plot_axis *a, double lo, double hi, int target, bool integer) {
    if (target < 1) target = 1;
    double step = nice_step((hi - lo) / target);
    if (integer && step < 1) step = 1;
    double first = ceil(lo / step - 1e-9) * step;
    a->n = 0;
    for (int k = 0; a->n < PLOT_MAX_TICKS; k++) {
        double v = first + k * step; /* multiply, not accumulate: no drift over many ticks */
        if (v > hi + step * 1e-9) break;
        a->v[a->n++] = v;
    }
    label_linear(a, step);
}

static void ticks_log(plot_axis *a, double lo, double hi, int target) {
    int k0 = (int)ceil(log10(lo) - 1e-9), k1 = (int)floor(log10(hi) + 1e-9);
    a->n = 0;
    if (k1 - k0 + 1 >= 2) {
        /* decades, every `every`-th one so there are at most `target` */
        int every = 1;
        while ((k1 - k0) / every + 1 > (target > 2 ? target : 2)) every++;
        for (int k = k0; k <= k1 && a->n < PLOT_MAX_TICKS; k++) {
            if ((k - k0) % every) continue;
            a->v[a->n++] = pow(10.0, k);
        }
    } else {
        /* less than two decades: 1, 2 and 5 times powers of ten inside the range */
        static const double m[3] = {1, 2, 5};
        for (int k = (int)floor(log10(lo)) ; k <= (int)floor(log10(hi)) && a->n < PLOT_MAX_TICKS; k++) {
            for (int j = 0; j < 3 && a->n < PLOT_MAX_TICKS; j++) {
                double v = m[j] * pow(10.0, k);
                if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) a->v[a->n++] = v;
            }
        }
        if (a->n < 2) {
            /* a short range inside one 1-2-5 step: plain linear ticks, placed on the log scale */
            ticks_linear(a, lo, hi, target < 3 ? 3 : target, false);
            return;
        }
    }
    for (int i = 0; i < a->n; i++) snprintf(a->label[i], sizeof a->label[i], "%g", a->v[i]);
}

double pa_label_w(plot_ctx *c, const plot_axis *a) {
    double w = 0;
    for (int i = 0; i < a->n; i++) w = fmax(w, pt_width(c, a->label[i]));
    return w;
}

double pa_map(const plot_axis *a, double v, double p0, double p1) {
    double t;
    if (a->log) t = (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
    else t = (v - a->lo) / (a->hi - a->lo);
    return p0 + t * (p1 - p0);
}

void pa_fit(plot_ctx *c, plot_axis *a, double lo, double hi, bool log, bool integer, double pixels,
            bool horizontal) {
    a->lo = lo;
    a->hi = hi;
    a->log = log;
    pt_font(c, pf_tick_fs(c), false);
    double lh = pt_line_h(c);
    int target = (int)(pixels / (horizontal ? c->fs * 6.0 : c->fs * 3.2));
    if (target < 2) target = 2;
    if (target > 12) target = 12;
    for (;;) {
        if (log) ticks_log(a, lo, hi, target);
        else ticks_linear(a, lo, hi, target, integer);
        if (target <= 2 || a->n < 2) break;
        /* smallest distance between neighbouring ticks, in pixels */
        double gap = INFINITY;
        for (int i = 1; i < a->n; i++) {
            gap = fmin(gap, fabs(pa_map(a, a->v[i], 0, pixels) - pa_map(a, a->v[i - 1], 0, pixels)));
        }
        double need = horizontal ? pa_label_w(c, a) + c->fs * 1.2 : lh * 1.6;
        if (gap >= need) break;
        target--;
    }
}

/* ---------------------------------------------------------------- frame */

double pf_tick_fs(const plot_ctx *c) { return c->fs * 0.85; }
double pf_ticklen(const plot_ctx *c) { return c->fs * 0.35; }
double pf_label_fs(const plot_ctx *c) { return c->fs; }

double pf_header(plot_ctx *c, const char *title_suffix) {
    cairo_t *cr = c->cr;
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    double y = c->pad;
    char title[PLOT_TEXT_MAX];
    snprintf(title, sizeof title, "%s%s", c->p->title ? c->p->title : "",
             title_suffix ? title_suffix : "");
    double maxw = c->w - 2 * c->pad;
    if (title[0]) {
        /* shrink a long title down to the base size, then ellipsize */
        double size = c->fs * 1.35;
        pt_font(c, size, true);
        double tw = pt_width(c, title);
        if (tw > maxw) {
            size = fmax(c->fs, size * maxw / tw);
            pt_font(c, size, true);
        }
        char fit[PLOT_TEXT_MAX];
        pt_fit(c, title, maxw, fit, sizeof fit);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        pt_draw(c, c->w / 2, y, fit, 0.5, 0, 0);
        y += pt_line_h(c) + c->fs * 0.2;
    }
    if (c->p->subtitle && c->p->subtitle[0]) {
        pt_font(c, c->fs * 0.95, false);
        char fit[PLOT_TEXT_MAX];
        pt_fit(c, c->p->subtitle, maxw, fit, sizeof fit);
        cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
        pt_draw(c, c->w / 2, y, fit, 0.5, 0, 0);
        y += pt_line_h(c);
    }
    return y + c->fs * 0.8;
}

double pf_footnote(plot_ctx *c, bool draw) {
    char note[PLOT_TEXT_MAX];
    const char *user = c->p->note ? c->p->note : "";
    snprintf(note, sizeof note, "%s%s%s", user, user[0] && c->auto_note[0] ? "; " : "",
             c->auto_note);
    if (!note[0]) return 0;
    pt_font(c, c->fs * 0.8, false);
    double lh = pt_line_h(c);
    if (draw) {
        char fit[PLOT_TEXT_MAX];
        pt_fit(c, note, c->w - 2 * c->pad, fit, sizeof fit);
        cairo_set_source_rgb(c->cr, 0.35, 0.35, 0.35);
        pt_draw(c, c->pad, c->h - c->pad, fit, 0, 1, 0);
    }
    return lh + c->fs * 0.5;
}

void pf_axes(plot_ctx *c, plot_rect r, const plot_axis *x, const plot_axis *y, bool grid) {
    cairo_t *cr = c->cr;
    double tl = pf_ticklen(c);
    cairo_save(cr);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    if (grid) {
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_set_line_width(cr, 1.0);
        for (int i = 0; x && i < x->n; i++) {
            double px = pa_map(x, x->v[i], r.x0, r.x1);
            cairo_move_to(cr, px, r.y0);
            cairo_line_to(cr, px, r.y1);
        }
        for (int i = 0; y && i < y->n; i++) {
            double py = pa_map(y, y->v[i], r.y1, r.y0);
            cairo_move_to(cr, r.x0, py);
            cairo_line_to(cr, r.x1, py);
        }
        cairo_stroke(cr);
    }
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    cairo_set_line_width(cr, 1.0);
    cairo_move_to(cr, r.x0, r.y0);
    cairo_line_to(cr, r.x0, r.y1);
    cairo_line_to(cr, r.x1, r.y1);
    for (int i = 0; x && i < x->n; i++) {
        double px = pa_map(x, x->v[i], r.x0, r.x1);
        cairo_move_to(cr, px, r.y1);
        cairo_line_to(cr, px, r.y1 + tl);
    }
    for (int i = 0; y && i < y->n; i++) {
        double py = pa_map(y, y->v[i], r.y1, r.y0);
        cairo_move_to(cr, r.x0, py);
        cairo_line_to(cr, r.x0 - tl, py);
    }
    cairo_stroke(cr);
    pt_font(c, pf_tick_fs(c), false);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    for (int i = 0; x && i < x->n; i++) {
        pt_draw(c, pa_map(x, x->v[i], r.x0, r.x1), r.y1 + tl + c->fs * 0.2, x->label[i], 0.5, 0, 0);
    }
    for (int i = 0; y && i < y->n; i++) {
        pt_draw(c, r.x0 - tl - c->fs * 0.3, pa_map(y, y->v[i], r.y1, r.y0), y->label[i], 1, 0.5, 0);
    }
    cairo_restore(cr);
}

void pf_xlabel(plot_ctx *c, const char *s, plot_rect r, double top_y) {
    if (!s || !s[0]) return;
    pt_font(c, pf_label_fs(c), false);
    char fit[PLOT_TEXT_MAX];
    pt_fit(c, s, c->w - 2 * c->pad, fit, sizeof fit);
    cairo_set_source_rgb(c->cr, 0.1, 0.1, 0.1);
    pt_draw(c, (r.x0 + r.x1) / 2, top_y, fit, 0.5, 0, 0);
}

void pf_ylabel(plot_ctx *c, const char *s, plot_rect r, double left_x) {
    if (!s || !s[0]) return;
    pt_font(c, pf_label_fs(c), false);
    char fit[PLOT_TEXT_MAX];
    pt_fit(c, s, r.y1 - r.y0 + c->fs * 4, fit, sizeof fit);
    cairo_set_source_rgb(c->cr, 0.1, 0.1, 0.1);
    pt_draw(c, left_x, (r.y0 + r.y1) / 2, fit, 0.5, 0.5, M_PI / 2);
}

/* ---------------------------------------------------------------- legend */

void pl_star(cairo_t *cr, double x, double y, double r) {
    /* 10 vertices alternating outer radius r and inner radius r * 0.382 (a regular pentagram's
     * ratio sin(18°) / sin(54°)), the first pointing up */
    for (int i = 0; i < 10; i++) {
        double a = -M_PI / 2 + i * M_PI / 5;
        double rr = (i % 2) ? r * 0.381966 : r;
        if (i == 0) cairo_move_to(cr, x + rr * cos(a), y + rr * sin(a));
        else cairo_line_to(cr, x + rr * cos(a), y + rr * sin(a));
    }
    cairo_close_path(cr);
    cairo_fill(cr);
}

double pl_measure(plot_ctx *c, plot_legend *l, double avail_h, double max_w) {
    l->w = l->h = 0;
    l->cols = l->rows = l->shown = 0;
    if (l->n <= 0) return 0;
    const char *lt = c->p->legend_title;
    pt_font(c, c->fs * 0.9, true);
    l->title_h = (lt && lt[0]) ? pt_line_h(c) * 1.3 : 0;
    double title_w = (lt && lt[0]) ? pt_width(c, lt) : 0;
    pt_font(c, c->fs * 0.9, false);
    l->line_h = pt_line_h(c) * 1.3;
    double sw = c->fs * 1.9; /* swatch column incl. gap */
    double text_max = fmax(c->fs * 4, fmin(c->w * 0.24, max_w - sw));
    double tw = 0;
    for (int i = 0; i < l->n; i++) tw = fmax(tw, fmin(text_max, pt_width(c, l->items[i].text)));
    l->col_w = sw + tw + c->fs * 0.8;
    int fit_rows = (int)floor((avail_h - l->title_h) / l->line_h);
    if (fit_rows < 1) fit_rows = 1;
    int max_cols = (int)floor(max_w / l->col_w);
    if (max_cols < 1) max_cols = 1;
    int cols = (l->n + fit_rows - 1) / fit_rows;
    if (cols <= max_cols) {
        l->cols = cols;
        l->rows = (l->n + cols - 1) / cols;
        l->shown = l->n;
    } else {
        l->cols = max_cols;
        l->rows = fit_rows;
        l->shown = max_cols * fit_rows - 1; /* the last cell says how many are left out */
    }
    l->w = fmax(l->cols * l->col_w, title_w);
    l->h = l->title_h + l->rows * l->line_h;
    return l->w + c->fs * 1.0;
}

void pl_draw(plot_ctx *c, const plot_legend *l, double x, double y) {
    if (l->n <= 0) return;
    cairo_t *cr = c->cr;
    const char *lt = c->p->legend_title;
    if (lt && lt[0]) {
        pt_font(c, c->fs * 0.9, true);
        char fit[PLOT_TEXT_MAX];
        pt_fit(c, lt, l->w, fit, sizeof fit);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        pt_draw(c, x, y, fit, 0, 0, 0);
    }
    pt_font(c, c->fs * 0.9, false);
    double sw = c->fs * 1.9;
    double s = c->fs * 0.45; /* swatch half-size */
    int cells = l->shown < l->n ? l->shown + 1 : l->n;
    for (int i = 0; i < cells; i++) {
        int col = i / l->rows, row = i % l->rows;
        double cx = x + col * l->col_w, cy = y + l->title_h + (row + 0.5) * l->line_h;
        char text[PLOT_TEXT_MAX];
        if (i == l->shown && l->shown < l->n) {
            char cnt[32];
            plot_fmt_count(l->n - l->shown, cnt, sizeof cnt);
            snprintf(text, sizeof text, "\xE2\x80\xA6 %s more", cnt);
        } else {
            const plot_legend_item *it = &l->items[i];
            cairo_set_source_rgb(cr, it->rgb[0], it->rgb[1], it->rgb[2]);
            double mx = cx + sw * 0.4;
            switch (it->swatch) {
            case PLOT_SWATCH_CIRCLE:
                cairo_new_path(cr);
                cairo_arc(cr, mx, cy, s * 0.85, 0, 2 * M_PI);
                cairo_fill(cr);
                break;
            case PLOT_SWATCH_RECT:
                cairo_rectangle(cr, mx - s, cy - s, 2 * s, 2 * s);
                cairo_fill(cr);
                break;
            case PLOT_SWATCH_LINE:
            case PLOT_SWATCH_DASH: {
                cairo_save(cr);
                cairo_set_line_width(cr, c->fs * 0.17);
                if (it->swatch == PLOT_SWATCH_DASH) {
                    double d[2] = {c->fs * 0.45, c->fs * 0.3};
                    cairo_set_dash(cr, d, 2, 0);
                }
                cairo_move_to(cr, cx, cy);
                cairo_line_to(cr, cx + sw * 0.8, cy);
                cairo_stroke(cr);
                cairo_restore(cr);
                break;
            }
            case PLOT_SWATCH_STAR:
                pl_star(cr, mx, cy, s * 1.25);
                break;
            }
            snprintf(text, sizeof text, "%s", it->text);
        }
        char fit[PLOT_TEXT_MAX];
        pt_fit(c, text, l->col_w - sw - c->fs * 0.6, fit, sizeof fit);
        cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
        pt_draw(c, cx + sw, cy, fit, 0, 0.5, 0);
    }
}

void pl_finish(plot_ctx *c, const plot_legend *l, plot_rect area, int64_t drawn, int64_t skipped) {
    pl_draw(c, l, area.x1 + c->fs * 1.0, area.y0);
    pf_footnote(c, true);
    c->stats->n_drawn = drawn;
    c->stats->n_skipped = skipped;
    c->stats->area[0] = area.x0;
    c->stats->area[1] = area.y0;
    c->stats->area[2] = area.x1;
    c->stats->area[3] = area.y1;
}

/* ---------------------------------------------------------------- colours */

/* Okabe & Ito (2008), "Color Universal Design": safe under protanopia, deuteranopia and tritanopia. */
static const unsigned char okabe_ito[8][3] = {
    {0x00, 0x72, 0xB2}, /* blue */
    {0xE6, 0x9F, 0x00}, /* orange */
    {0x00, 0x9E, 0x73}, /* bluish green */
    {0xD5, 0x5E, 0x00}, /* vermillion */
    {0xCC, 0x79, 0xA7}, /* reddish purple */
    {0x56, 0xB4, 0xE9}, /* sky blue */
    {0xF0, 0xE4, 0x42}, /* yellow */
    {0x00, 0x00, 0x00}, /* black */
};

/* HSL -> sRGB (CSS Color 3, section 4.2.4). */
static void hsl_rgb(double h, double s, double l, double rgb[3]) {
    double q = l < 0.5 ? l * (1 + s) : l + s - l * s;
    double p = 2 * l - q;
    for (int i = 0; i < 3; i++) {
        double t = h / 360.0 + (1 - i) / 3.0;
        if (t < 0) t += 1;
        if (t > 1) t -= 1;
        double v;
        if (t < 1.0 / 6) v = p + (q - p) * 6 * t;
        else if (t < 0.5) v = q;
        else if (t < 2.0 / 3) v = p + (q - p) * (2.0 / 3 - t) * 6;
        else v = p;
        rgb[i] = v;
    }
}

void mc_plot_category_color(int k, double rgb[3]) {
    if (k < 0) {
        rgb[0] = rgb[1] = rgb[2] = 0xB0 / 255.0;
        return;
    }
    if (k < 8) {
        for (int i = 0; i < 3; i++) rgb[i] = okabe_ito[k][i] / 255.0;
        return;
    }
    /* Past the palette: hues 137.5° apart (the golden angle, so neighbours never repeat a hue),
     * starting at 15° to stay off the palette's exact hues, lightness alternating 40% / 60% so
     * consecutive ids also differ in lightness for readers who cannot tell the hues apart. */
    int j = k - 8;
    double h = fmod(15.0 + 137.50776405 * j, 360.0);
    double l = (j % 2) ? 0.62 : 0.40;
    hsl_rgb(h, 0.70, l, rgb);
}

void mc_plot_category_hex(int k, char hex[8]) {
    double rgb[3];
    mc_plot_category_color(k, rgb);
    snprintf(hex, 8, "#%02x%02x%02x", (unsigned)lround(rgb[0] * 255), (unsigned)lround(rgb[1] * 255),
             (unsigned)lround(rgb[2] * 255));
}

const unsigned char *pc_cmap_entry(mc_plot_cmap cmap, double t) {
    if (!(t > 0)) t = 0; /* NaN too */
    if (t > 1) t = 1;
    int i = (int)(t * 256);
    if (i > 255) i = 255;
    switch (cmap) {
    case MC_PLOT_CMAP_MAGMA: return mc_cmap_magma[i];
    case MC_PLOT_CMAP_BLUES: return mc_cmap_blues[i];
    case MC_PLOT_CMAP_DEFAULT:
    case MC_PLOT_CMAP_VIRIDIS: break;
    }
    return mc_cmap_viridis[i];
}

void mc_plot_colormap_rgb(mc_plot_cmap cmap, double t, double rgb[3]) {
    const unsigned char *e = pc_cmap_entry(cmap, t);
    for (int i = 0; i < 3; i++) rgb[i] = e[i] / 255.0;
}

double pc_luminance(const double rgb[3]) {
    double lin[3];
    for (int i = 0; i < 3; i++) {
        double v = rgb[i];
        lin[i] = v <= 0.03928 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
    }
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
}

void pc_text_on(const double bg[3], double out[3]) {
    /* whichever of black and white has the larger WCAG contrast ratio (L1 + 0.05) / (L2 + 0.05):
     * they are equal at L = sqrt(1.05 * 0.05) - 0.05 = 0.179 */
    double v = pc_luminance(bg) > 0.179 ? 0.0 : 1.0;
    out[0] = out[1] = out[2] = v;
}

/* ---------------------------------------------------------------- layouts */

void pf_layout_xy(plot_ctx *c, double top, double bottom, double right, plot_axis *xa, double xlo,
                  double xhi, bool xlog, bool xint, plot_axis *ya, double ylo, double yhi, bool ylog,
                  bool yint, plot_rect *area) {
    const mc_plot *p = c->p;
    pt_font(c, pf_label_fs(c), false);
    double label_lh = pt_line_h(c);
    pt_font(c, pf_tick_fs(c), false);
    double tick_lh = pt_line_h(c);
    double tl = pf_ticklen(c);
    double xlabel_h = (p->xlabel && p->xlabel[0]) ? label_lh + c->fs * 0.4 : 0;
    double ylabel_w = (p->ylabel && p->ylabel[0]) ? label_lh + c->fs * 0.5 : 0;
    /* the last x tick label hangs half its width past the area; the legend's gap covers it */
    double r = right > 0 ? right : c->fs * 1.5;
    area->y0 = top;
    area->y1 = bottom - xlabel_h - tick_lh - tl - c->fs * 0.3;
    if (area->y1 < area->y0 + c->fs) area->y1 = area->y0 + c->fs;
    double left = c->pad + ylabel_w + c->fs * 3;
    /* the left margin depends on the y labels, which depend on the height only: two passes settle */
    for (int it = 0; it < 3; it++) {
        area->x0 = left;
        area->x1 = c->w - c->pad - r;
        if (area->x1 < area->x0 + c->fs) area->x1 = area->x0 + c->fs;
        pa_fit(c, ya, ylo, yhi, ylog, yint, area->y1 - area->y0, false);
        pt_font(c, pf_tick_fs(c), false);
        double nl = c->pad + ylabel_w + pa_label_w(c, ya) + tl + c->fs * 0.3;
        if (fabs(nl - left) < 0.5) break;
        left = nl;
    }
    area->x0 = left;
    pa_fit(c, xa, xlo, xhi, xlog, xint, area->x1 - area->x0, true);
}

void pf_frame_xy(plot_ctx *c, plot_rect area, const plot_axis *xa, const plot_axis *ya) {
    pf_axes(c, area, xa, ya, true);
    pt_font(c, pf_tick_fs(c), false);
    double tick_lh = pt_line_h(c);
    double yw = ya ? pa_label_w(c, ya) : 0;
    double tl = pf_ticklen(c);
    pt_font(c, pf_label_fs(c), false);
    double lh = pt_line_h(c);
    pf_xlabel(c, c->p->xlabel, area, area.y1 + tl + c->fs * 0.2 + tick_lh + c->fs * 0.4);
    pf_ylabel(c, c->p->ylabel, area, area.x0 - tl - c->fs * 0.3 - yw - c->fs * 0.5 - lh / 2);
}

double pf_colorbar_gap(const plot_ctx *c) { return c->fs * 1.2; }
double pf_colorbar_w(const plot_ctx *c) { return c->fs * 1.1; }

double pf_colorbar_measure(plot_ctx *c, plot_axis *ticks, double vmin, double vmax, double height,
                           const char *label) {
    pa_fit(c, ticks, vmin, vmax, false, false, height, false);
    pt_font(c, pf_tick_fs(c), false);
    double w = pf_colorbar_gap(c) + pf_colorbar_w(c) + pf_ticklen(c) + c->fs * 0.3 + pa_label_w(c, ticks);
    if (label && label[0]) {
        pt_font(c, pf_label_fs(c), false);
        w += c->fs * 0.5 + pt_line_h(c);
    }
    return w;
}

mc_status pf_image(plot_ctx *c, const uint32_t *px, int w, int h, int x, int y) {
    if (w <= 0 || h <= 0) return MC_STATUS_OK;
    int stride = cairo_format_stride_for_width(CAIRO_FORMAT_RGB24, w);
    unsigned char *data = mc_alloc((size_t)stride, (size_t)h); /* (h, stride) bytes, rows of pixels */
    if (!data) return mc_error_nomem("%s: out of memory for a %d x %d image",
                                   c->where, w, h);
    for (int r = 0; r < h; r++) memcpy(data + (size_t)r * stride, px + (size_t)r * w, (size_t)w * 4);
    cairo_surface_t *img = cairo_image_surface_create_for_data(data, CAIRO_FORMAT_RGB24, w, h, stride);
    mc_status st = MC_STATUS_OK;
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        st = mc_error_set(MC_STATUS_NO_MEMORY, "%s: cannot create a %d x %d image", c->where, w, h);
    } else {
        cairo_save(c->cr);
        cairo_set_source_surface(c->cr, img, x, y);
        cairo_pattern_set_filter(cairo_get_source(c->cr), CAIRO_FILTER_NEAREST);
        cairo_rectangle(c->cr, x, y, w, h);
        cairo_fill(c->cr);
        cairo_restore(c->cr);
    }
    /* the SVG/PDF surface may keep a reference until it is finished: let it own the pixels then */
    cairo_surface_finish(img);
    cairo_surface_destroy(img);
    mc_free(data);
    return st;
}

void pf_colorbar(plot_ctx *c, plot_rect bar, mc_plot_cmap cmap, const plot_axis *ticks,
                 const char *label) {
    int x = (int)lround(bar.x0), y = (int)lround(bar.y0);
    int w = (int)lround(bar.x1 - bar.x0), h = (int)lround(bar.y1 - bar.y0);
    if (w < 1 || h < 1) return;
    uint32_t *px = mc_alloc((size_t)w * (size_t)h, sizeof *px); /* (h, w) top row = vmax */
    if (!px) return;
    for (int r = 0; r < h; r++) {
        const unsigned char *e = pc_cmap_entry(cmap, 1.0 - (r + 0.5) / h);
        uint32_t v = ((uint32_t)e[0] << 16) | ((uint32_t)e[1] << 8) | e[2];
        for (int k = 0; k < w; k++) px[(size_t)r * w + k] = v;
    }
    pf_image(c, px, w, h, x, y);
    mc_free(px);
    cairo_t *cr = c->cr;
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    cairo_set_line_width(cr, 1.0);
    cairo_rectangle(cr, x + 0.5, y + 0.5, w - 1, h - 1);
    double tl = pf_ticklen(c);
    for (int i = 0; i < ticks->n; i++) {
        double py = pa_map(ticks, ticks->v[i], y + h, y);
        cairo_move_to(cr, x + w, py);
        cairo_line_to(cr, x + w + tl, py);
    }
    cairo_stroke(cr);
    pt_font(c, pf_tick_fs(c), false);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    for (int i = 0; i < ticks->n; i++) {
        pt_draw(c, x + w + tl + c->fs * 0.3, pa_map(ticks, ticks->v[i], y + h, y), ticks->label[i], 0,
                0.5, 0);
    }
    double lw = pa_label_w(c, ticks);
    cairo_restore(cr);
    if (label && label[0]) {
        pt_font(c, pf_label_fs(c), false);
        double lh = pt_line_h(c);
        char fit[PLOT_TEXT_MAX];
        pt_fit(c, label, h + c->fs * 4, fit, sizeof fit);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        pt_draw(c, x + w + tl + c->fs * 0.3 + lw + c->fs * 0.5 + lh / 2, y + h / 2.0, fit, 0.5, 0.5,
                M_PI / 2);
    }
}
