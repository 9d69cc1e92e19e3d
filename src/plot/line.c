/* Line chart of named series with gaps and an optional log10 y axis (mc_plot_line in plot.h). */
#include "plot_internal.h"

#include <math.h>
#include <stdio.h>

#define LINE_MARKER_MAX 60 /* markers at every point of a series this short */

static double sx(const mc_plot_series *s, int64_t i) { return s->x ? s->x[i] : (double)(i + 1); }

/* A point is drawn when x and y are finite (and y > 0 on a log axis). */
static bool ok(const mc_plot_series *s, int64_t i, bool log_y) {
    double x = sx(s, i), y = s->y[i];
    return isfinite(x) && isfinite(y) && (!log_y || y > 0);
}

static void series_color(const mc_plot_series *s, int idx, double rgb[3]) {
    mc_plot_category_color(s->color > 0 ? s->color - 1 : idx, rgb);
}

mc_status plot_line(plot_ctx *c) {
    const mc_plot_line *L = &c->p->line;
    const char *W = c->where;
    if (L->n_series <= 0) return mc_error_set(MC_STATUS_EMPTY, "%s: line: no series (n_series = %d)", W, L->n_series);
    if (!L->series) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: line: series is NULL", W);
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    int64_t drawn = 0, skipped = 0, total = 0;
    bool xint = true;
    for (int k = 0; k < L->n_series; k++) {
        const mc_plot_series *s = &L->series[k];
        if (s->n < 0 || (s->n > 0 && !s->y)) {
            return mc_error_set(MC_STATUS_INVALID_ARG, "%s: line: series %d has n = %lld and y %s", W, k,
                                (long long)s->n, s->y ? "set" : "NULL");
        }
        if (s->color < 0) {
            return mc_error_set(MC_STATUS_INVALID_ARG, "%s: line: series %d color %d is negative", W, k,
                                s->color);
        }
        total += s->n;
        for (int64_t i = 0; i < s->n; i++) {
            if (!ok(s, i, L->log_y)) { skipped++; continue; }
            double x = sx(s, i), y = s->y[i];
            drawn++;
            xlo = fmin(xlo, x); xhi = fmax(xhi, x);
            ylo = fmin(ylo, y); yhi = fmax(yhi, y);
            if (x != floor(x)) xint = false;
        }
    }
    if (total == 0) return mc_error_set(MC_STATUS_EMPTY, "%s: line: every series is empty", W);
    if (drawn == 0) {
        return mc_error_set(MC_STATUS_NUMERIC, "%s: line: none of the %lld points is finite%s", W,
                            (long long)total, L->log_y ? " and positive (log y axis)" : "");
    }
    if (skipped) {
        char a[32];
        plot_fmt_count(skipped, a, sizeof a);
        plot_note_add(c, "%s point%s %s not shown (gaps)", a, skipped == 1 ? "" : "s",
                      L->log_y ? "with NaN/Inf or <= 0 values" : "with NaN/Inf values");
    }

    /* ranges: x as the data (a lone x gets +-1 / +-5%), y widened 5% (a log axis 5% of its decades) */
    if (xhi - xlo <= 1e-12 * fmax(fabs(xlo), fabs(xhi))) {
        double h = xint ? 1 : fmax(0.05 * fabs(xlo), 0.5);
        xlo -= h;
        xhi += h;
    } else if (!xint) {
        double m = 0.02 * (xhi - xlo);
        xlo -= m;
        xhi += m;
    }
    if (L->log_y) {
        double a = log10(ylo), b = log10(yhi);
        if (b - a < 1e-9) { a -= 0.5; b += 0.5; }
        double m = 0.05 * (b - a);
        ylo = pow(10, a - m);
        yhi = pow(10, b + m);
    } else {
        double span = yhi - ylo;
        if (!(span > 1e-12 * fmax(fabs(ylo), fabs(yhi)))) {
            double h = ylo == 0 ? 0.5 : fmax(0.05 * fabs(ylo), 1e-6);
            ylo -= h;
            yhi += h;
        } else {
            ylo -= 0.05 * span;
            yhi += 0.05 * span;
        }
    }

    plot_legend leg = {0};
    leg.items = mc_alloc((size_t)L->n_series, sizeof *leg.items);
    if (!leg.items) return MC_STATUS_NO_MEMORY;
    for (int k = 0; k < L->n_series; k++) {
        const mc_plot_series *s = &L->series[k];
        plot_legend_item *it = &leg.items[leg.n++];
        if (s->name) snprintf(it->text, sizeof it->text, "%s", s->name);
        else snprintf(it->text, sizeof it->text, "series %d", k + 1);
        it->swatch = s->dashed ? PLOT_SWATCH_DASH : PLOT_SWATCH_LINE;
        series_color(s, k, it->rgb);
    }

    double top = pf_header(c, NULL);
    double bottom = c->h - c->pad - pf_footnote(c, false);
    double right = pl_measure(c, &leg, bottom - top, c->w * 0.4);
    plot_axis xa, ya;
    plot_rect area;
    pf_layout_xy(c, top, bottom, right, &xa, xlo, xhi, false, xint, &ya, ylo, yhi, L->log_y, false,
                 &area);
    pf_frame_xy(c, area, &xa, &ya);

    cairo_t *cr = c->cr;
    cairo_save(cr);
    cairo_rectangle(cr, area.x0 - c->fs, area.y0, area.x1 - area.x0 + 2 * c->fs, area.y1 - area.y0);
    cairo_clip(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    double lw = c->fs * 0.16;
    for (int k = 0; k < L->n_series; k++) {
        const mc_plot_series *s = &L->series[k];
        double rgb[3];
        series_color(s, k, rgb);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        cairo_set_line_width(cr, lw);
        if (s->dashed) {
            double d[2] = {c->fs * 0.5, c->fs * 0.35};
            cairo_set_dash(cr, d, 2, 0);
        } else {
            cairo_set_dash(cr, NULL, 0, 0);
        }
        /* the line: a new sub-path after every gap */
        bool pen = false;
        for (int64_t i = 0; i < s->n; i++) {
            if (!ok(s, i, L->log_y)) { pen = false; continue; }
            double px = pa_map(&xa, sx(s, i), area.x0, area.x1);
            double py = pa_map(&ya, s->y[i], area.y1, area.y0);
            if (pen) cairo_line_to(cr, px, py);
            else cairo_move_to(cr, px, py);
            pen = true;
        }
        cairo_stroke(cr);
        /* markers: every point of a short series, and isolated points (no line shows them) */
        cairo_new_path(cr);
        double r = c->fs * 0.27;
        for (int64_t i = 0; i < s->n; i++) {
            if (!ok(s, i, L->log_y)) continue;
            bool isolated = (i == 0 || !ok(s, i - 1, L->log_y)) && (i + 1 >= s->n || !ok(s, i + 1, L->log_y));
            if (s->n > LINE_MARKER_MAX && !isolated) continue;
            double px = pa_map(&xa, sx(s, i), area.x0, area.x1);
            double py = pa_map(&ya, s->y[i], area.y1, area.y0);
            cairo_move_to(cr, px + r, py);
            cairo_arc(cr, px, py, r, 0, 2 * M_PI);
            cairo_close_path(cr);
        }
        cairo_fill(cr);
    }
    cairo_restore(cr);

    pl_finish(c, &leg, area, drawn, skipped);
    mc_free(leg.items);
    return MC_STATUS_OK;
}
