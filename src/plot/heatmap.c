/* Heatmap of a (rows, cols) matrix with names, values in the cells and a colour bar
 * (mc_plot_heatmap in plot.h). */
#include "plot_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define HEATMAP_MAX_CELLS 1000000
#define HEATMAP_MIN_TEXT 7.0 /* px: smaller cell text is left out */

static double cell(const mc_plot_heatmap *m, int64_t i) {
    double v = m->values ? m->values[i] : (double)m->counts[i];
    return isfinite(v) ? v : NAN;
}

static const char *name_of(const char *const *names, int i, char *buf, size_t cap) {
    if (names && names[i]) return names[i];
    snprintf(buf, cap, "%d", i);
    return buf;
}

mc_status plot_heatmap(plot_ctx *c) {
    const mc_plot_heatmap *m = &c->p->heatmap;
    const char *W = c->where;
    const int R = m->rows, C = m->cols;
    mc_status st = plot_check_count(c, "heatmap", "cells", R, C, HEATMAP_MAX_CELLS);
    if (st != MC_STATUS_OK) return st;
    if (!m->values == !m->counts) {
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: heatmap: give exactly one of values and counts", W);
    }
    if (m->value_format && !pt_format_ok(m->value_format)) {
        return mc_error_set(MC_STATUS_INVALID_ARG,
                            "%s: heatmap: value_format \"%s\" must hold exactly one %%f, %%e or %%g", W,
                            m->value_format);
    }
    const int64_t n = (int64_t)R * C;
    double vmin = INFINITY, vmax = -INFINITY;
    int64_t drawn = 0;
    bool integers = true;
    for (int64_t i = 0; i < n; i++) {
        double v = cell(m, i);
        if (isnan(v)) continue;
        drawn++;
        vmin = fmin(vmin, v);
        vmax = fmax(vmax, v);
        if (v != floor(v) || fabs(v) > 1e15) integers = false;
    }
    if (drawn == 0) {
        return mc_error_set(MC_STATUS_NUMERIC, "%s: heatmap: none of the %lld cells is finite", W,
                            (long long)n);
    }
    if (m->row_normalize && vmin < 0) {
        return mc_error_set(MC_STATUS_INVALID_ARG,
                            "%s: heatmap: row_normalize needs values >= 0 (smallest is %g)", W, vmin);
    }
    int64_t skipped = n - drawn;
    if (skipped) {
        plot_note_add(c, "%lld cell%s without a finite value (grey)", (long long)skipped,
                      skipped == 1 ? "" : "s");
    }
    /* colour scale: counts from 0; row shares 0..1 */
    double lo = fmin(0.0, vmin), hi = vmax;
    if (m->row_normalize) { lo = 0; hi = 1; }
    if (!(hi > lo)) hi = lo + 1;
    double *share = mc_alloc((size_t)n, sizeof *share); /* (R, C) colour fraction 0..1, NaN = none */
    if (!share) return MC_STATUS_NO_MEMORY;
    for (int r = 0; r < R; r++) {
        double tot = 0;
        for (int k = 0; k < C; k++) {
            double v = cell(m, (int64_t)r * C + k);
            if (!isnan(v)) tot += v;
        }
        for (int k = 0; k < C; k++) {
            double v = cell(m, (int64_t)r * C + k);
            double t;
            if (isnan(v)) t = NAN;
            else if (m->row_normalize) t = tot > 0 ? v / tot : 0;
            else t = (v - lo) / (hi - lo);
            share[(int64_t)r * C + k] = t;
        }
    }
    const char *fmt = m->value_format ? m->value_format : integers ? "%.0f" : "%.3g";
    const char *cb_label = m->colorbar_label ? m->colorbar_label : m->row_normalize ? "share of row" : "count";
    mc_plot_cmap cmap = m->cmap == MC_PLOT_CMAP_DEFAULT ? MC_PLOT_CMAP_BLUES : m->cmap;

    /* ---- layout */
    const mc_plot *p = c->p;
    double top = pf_header(c, m->row_normalize ? " (row-normalised)" : NULL);
    double bottom = c->h - c->pad - pf_footnote(c, false);
    pt_font(c, pf_label_fs(c), false);
    double label_lh = pt_line_h(c);
    double xlabel_h = (p->xlabel && p->xlabel[0]) ? label_lh + c->fs * 0.4 : 0;
    double ylabel_w = (p->ylabel && p->ylabel[0]) ? label_lh + c->fs * 0.5 : 0;
    double name_fs = c->fs * 0.9;
    pt_font(c, name_fs, false);
    double name_lh = pt_line_h(c);
    double rcap = c->w * 0.3, ccap = fmin(c->h * 0.3, c->fs * 14);
    double rw = 0, cw = 0;
    char nb[32];
    for (int r = 0; r < R; r++) rw = fmax(rw, fmin(rcap, pt_width(c, name_of(m->row_names, r, nb, sizeof nb))));
    for (int k = 0; k < C; k++) cw = fmax(cw, fmin(ccap, pt_width(c, name_of(m->col_names, k, nb, sizeof nb))));
    double gap = c->fs * 0.4;
    plot_axis cb;
    plot_rect g;
    double angle = 0, col_h = name_lh, cell_w = 1, cell_h = 1;
    double cb_w = pf_colorbar_measure(c, &cb, lo, hi, bottom - top, cb_label);
    for (int it = 0; it < 3; it++) {
        g.x0 = c->pad + ylabel_w + rw + gap;
        g.x1 = fmax(g.x0 + C, c->w - c->pad - cb_w);
        cell_w = (g.x1 - g.x0) / C;
        if (cw + c->fs * 0.4 <= cell_w) { angle = 0; col_h = name_lh; }
        else if (cell_w >= name_lh * 1.4 && C <= 30) { angle = M_PI / 4; col_h = (cw + name_lh) * 0.7071; }
        else { angle = M_PI / 2; col_h = cw; }
        if (angle == M_PI / 4) {
            /* the first column's slanted name reaches left of its cell */
            double need = c->pad + (cw + name_lh) * 0.7071 - cell_w * 0.5;
            if (need > g.x0) {
                g.x0 = need;
                cell_w = (g.x1 - g.x0) / C;
            }
        }
        g.y0 = top;
        g.y1 = fmax(g.y0 + R, bottom - xlabel_h - col_h - gap);
        cell_h = (g.y1 - g.y0) / R;
        /* not much taller than wide: a short matrix keeps its cells near square */
        double hmax = cell_w * 1.2 + c->fs * 1.5;
        if (cell_h > hmax) {
            cell_h = hmax;
            g.y1 = g.y0 + cell_h * R;
        }
        double nw = pf_colorbar_measure(c, &cb, lo, hi, g.y1 - g.y0, cb_label);
        if (fabs(nw - cb_w) < 0.5) break;
        cb_w = nw;
    }

    /* ---- cells */
    cairo_t *cr = c->cr;
    for (int r = 0; r < R; r++) {
        for (int k = 0; k < C; k++) {
            double t = share[(int64_t)r * C + k];
            if (isnan(t)) cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
            else {
                const unsigned char *e = pc_cmap_entry(cmap, t);
                cairo_set_source_rgb(cr, e[0] / 255.0, e[1] / 255.0, e[2] / 255.0);
            }
            cairo_rectangle(cr, g.x0 + k * cell_w, g.y0 + r * cell_h, cell_w, cell_h);
            cairo_fill(cr);
        }
    }
    cairo_set_source_rgb(cr, 0.8, 0.8, 0.8);
    cairo_set_line_width(cr, 1.0);
    for (int r = 0; r <= R; r++) {
        cairo_move_to(cr, g.x0, g.y0 + r * cell_h);
        cairo_line_to(cr, g.x1, g.y0 + r * cell_h);
    }
    for (int k = 0; k <= C; k++) {
        cairo_move_to(cr, g.x0 + k * cell_w, g.y0);
        cairo_line_to(cr, g.x0 + k * cell_w, g.y1);
    }
    cairo_stroke(cr);

    /* ---- values in the cells: one size for all, as large as the widest fits */
    if (!m->hide_values) {
        double ts = fmin(c->fs * 0.9, cell_h * 0.45);
        pt_font(c, ts, false);
        double widest = 0;
        char t[80];
        for (int64_t i = 0; i < n; i++) {
            double v = cell(m, i);
            if (isnan(v)) continue;
            pt_format(fmt, v, t, sizeof t);
            widest = fmax(widest, pt_width(c, t));
        }
        if (widest > cell_w * 0.88) ts *= cell_w * 0.88 / widest;
        if (ts >= HEATMAP_MIN_TEXT) { /* else left out, as plot.h says */
            pt_font(c, ts, false);
            double lh = pt_line_h(c);
            bool two = m->row_normalize && cell_h >= lh * 2.4;
            for (int r = 0; r < R; r++) {
                for (int k = 0; k < C; k++) {
                    int64_t i = (int64_t)r * C + k;
                    double v = cell(m, i), tt = share[i];
                    double bg[3] = {0.85, 0.85, 0.85}, fg[3];
                    if (!isnan(tt)) {
                        const unsigned char *e = pc_cmap_entry(cmap, tt);
                        for (int q = 0; q < 3; q++) bg[q] = e[q] / 255.0;
                    }
                    pc_text_on(bg, fg);
                    cairo_set_source_rgb(cr, fg[0], fg[1], fg[2]);
                    double cx = g.x0 + (k + 0.5) * cell_w, cy = g.y0 + (r + 0.5) * cell_h;
                    if (isnan(v)) snprintf(t, sizeof t, "\xE2\x80\x93");
                    else pt_format(fmt, v, t, sizeof t);
                    if (two && !isnan(v)) {
                        pt_draw(c, cx, cy, t, 0.5, 1, 0);
                        char pc[32];
                        snprintf(pc, sizeof pc, "%.0f%%", 100 * tt);
                        pt_font(c, ts * 0.85, false);
                        pt_draw(c, cx, cy, pc, 0.5, 0, 0);
                        pt_font(c, ts, false);
                    } else {
                        pt_draw(c, cx, cy, t, 0.5, 0.5, 0);
                    }
                }
            }
        }
    }

    /* ---- names: rows left of the grid, columns below; shrunk when the cells are small */
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    char fit[PLOT_TEXT_MAX];
    double rfs = fmin(name_fs, fmax(5.0, cell_h * 0.85));
    pt_font(c, rfs, false);
    for (int r = 0; r < R; r++) {
        pt_fit(c, name_of(m->row_names, r, nb, sizeof nb), rcap, fit, sizeof fit);
        pt_draw(c, g.x0 - gap, g.y0 + (r + 0.5) * cell_h, fit, 1, 0.5, 0);
    }
    double cfs = angle == M_PI / 2 ? fmin(name_fs, fmax(5.0, cell_w * 0.85)) : name_fs;
    pt_font(c, cfs, false);
    for (int k = 0; k < C; k++) {
        const char *nm = name_of(m->col_names, k, nb, sizeof nb);
        pt_draw_tick_name(c, nm, g.x0 + (k + 0.5) * cell_w, g.y1 + gap * 0.6, angle, cell_w * 0.98, ccap);
    }
    pf_xlabel(c, p->xlabel, g, g.y1 + gap + col_h + c->fs * 0.2);
    pf_ylabel(c, p->ylabel, g, g.x0 - gap - rw - c->fs * 0.5 - label_lh / 2);

    /* ---- colour bar */
    plot_rect bar = {g.x1 + pf_colorbar_gap(c), g.y0, g.x1 + pf_colorbar_gap(c) + pf_colorbar_w(c), g.y1};
    pf_colorbar(c, bar, cmap, &cb, cb_label);
    pf_footnote(c, true);
    c->stats->n_drawn = drawn;
    c->stats->n_skipped = skipped;
    c->stats->area[0] = g.x0;
    c->stats->area[1] = g.y0;
    c->stats->area[2] = g.x1;
    c->stats->area[3] = g.y1;
    mc_free(share);
    return MC_STATUS_OK;
}
