/* Scatter plot of (n, 2) points coloured by category (mc_plot_scatter in plot.h). */
#include "plot_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SCATTER_MAX_CATEGORY 1000000

/* Shown range of one coordinate: the data's, widened 5% each side; a single value gets +-0.5 (or
 * +-5% of its size) so a lone or repeated point sits in the middle. */
static void data_range(double lo, double hi, double *a, double *b) {
    double span = hi - lo;
    if (!(span > 1e-12 * fmax(fabs(lo), fabs(hi)))) {
        double half = lo == 0 ? 0.5 : fmax(0.05 * fabs(lo), 1e-6);
        *a = lo - half;
        *b = hi + half;
        return;
    }
    *a = lo - 0.05 * span;
    *b = hi + 0.05 * span;
}

/* Colour of category id k (-1 = noise): its palette index from category_color when given. */
static void category_rgb(const mc_plot_scatter *s, int k, double rgb[3]) {
    int idx = k;
    if (k >= 0 && s->category_color && k < s->n_category_colors) idx = s->category_color[k];
    mc_plot_category_color(idx, rgb);
}

mc_status plot_scatter(plot_ctx *c) {
    const mc_plot_scatter *s = &c->p->scatter;
    const char *W = c->where;
    if (s->n <= 0) return mc_error_set(MC_STATUS_EMPTY, "%s: scatter: no points (n = %lld)", W, (long long)s->n);
    if (!s->xy) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: scatter: xy is NULL", W);
    if (s->n_category_names < 0 || (s->n_category_names > 0 && !s->category_names)) {
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: scatter: %d category names but the array is NULL",
                            W, s->n_category_names);
    }
    if (s->n_category_colors < 0 || (s->n_category_colors > 0 && !s->category_color)) {
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: scatter: %d category colours but the array is NULL",
                            W, s->n_category_colors);
    }
    for (int k = 0; k < s->n_category_colors; k++) {
        if (s->category_color[k] < -1 || s->category_color[k] >= SCATTER_MAX_CATEGORY) {
            return mc_error_set(MC_STATUS_INVALID_ARG,
                                "%s: scatter: category_color[%d] = %d; palette indices are 0..%d, or -1 "
                                "for the noise grey", W, k, (int)s->category_color[k],
                                SCATTER_MAX_CATEGORY - 1);
        }
    }
    if (!(s->alpha <= 1) || isnan(s->radius) || !(s->radius < 1000)) {
        return mc_error_set(MC_STATUS_INVALID_ARG,
                            "%s: scatter: alpha %g must be <= 1 and radius %g below 1000 px", W,
                            (double)s->alpha, (double)s->radius);
    }
    const int64_t n = s->n;
    /* categories, bounds and counts in one pass */
    int max_cat = -1;
    for (int64_t i = 0; s->category && i < n; i++) {
        int32_t k = s->category[i];
        if (k < -1 || k >= SCATTER_MAX_CATEGORY) {
            return mc_error_set(MC_STATUS_INVALID_ARG,
                                "%s: scatter: category[%lld] = %d; ids are 0..%d, or -1 for noise", W,
                                (long long)i, (int)k, SCATTER_MAX_CATEGORY - 1);
        }
        if (k > max_cat) max_cat = k;
    }
    if (!s->category) max_cat = 0;
    int n_slots = max_cat + 2; /* slot 0 = noise, slot k + 1 = category k */
    int64_t *count = mc_alloc((size_t)n_slots + 1, sizeof *count); /* (n_slots + 1) then offsets */
    int64_t *order = mc_alloc((size_t)n, sizeof *order);            /* (n) point ids by slot */
    plot_legend leg = {0};
    mc_status st = MC_STATUS_OK;
    if (!count || !order) { st = MC_STATUS_NO_MEMORY; goto done; }
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    int64_t skipped = 0;
    for (int64_t i = 0; i < n; i++) {
        double x = s->xy[2 * i], y = s->xy[2 * i + 1];
        if (!isfinite(x) || !isfinite(y)) { skipped++; continue; }
        xlo = fmin(xlo, x); xhi = fmax(xhi, x);
        ylo = fmin(ylo, y); yhi = fmax(yhi, y);
        count[(s->category ? s->category[i] : 0) + 1]++;
    }
    int64_t drawn = n - skipped;
    if (drawn == 0) {
        st = mc_error_set(MC_STATUS_EMPTY, "%s: scatter: all %lld points have NaN/Inf coordinates", W,
                          (long long)n);
        goto done;
    }
    /* counting sort of the finite points by slot, stable: drawing order is input order per slot */
    {
        int64_t *start = mc_alloc((size_t)n_slots + 1, sizeof *start); /* (n_slots + 1) */
        if (!start) { st = MC_STATUS_NO_MEMORY; goto done; }
        for (int k = 0; k < n_slots; k++) start[k + 1] = start[k] + count[k];
        for (int64_t i = 0; i < n; i++) {
            double x = s->xy[2 * i], y = s->xy[2 * i + 1];
            if (!isfinite(x) || !isfinite(y)) continue;
            order[start[(s->category ? s->category[i] : 0) + 1]++] = i;
        }
        mc_free(start);
    }
    if (skipped) {
        char a[32];
        plot_fmt_count(skipped, a, sizeof a);
        plot_note_add(c, "%s point%s with NaN/Inf coordinates not shown", a, skipped == 1 ? "" : "s");
    }

    /* legend: categories present, ascending, then noise */
    int n_present = 0;
    for (int k = 0; k < n_slots; k++) n_present += count[k] > 0;
    leg.items = mc_alloc((size_t)n_present, sizeof *leg.items);
    if (!leg.items) { st = MC_STATUS_NO_MEMORY; goto done; }
    for (int slot = 1; slot <= n_slots; slot++) {
        int k = slot % n_slots; /* 1..n_slots-1, then 0 (noise) */
        if (count[k] == 0) continue;
        plot_legend_item *it = &leg.items[leg.n++];
        int cat = k - 1;
        char name[120]; /* + " (count)" fits the item's 160 bytes */
        if (cat < 0) snprintf(name, sizeof name, "%s", s->noise_name ? s->noise_name : "noise");
        else if (cat < s->n_category_names && s->category_names[cat])
            snprintf(name, sizeof name, "%s", s->category_names[cat]);
        else
            snprintf(name, sizeof name, "%s%d", s->category_prefix ? s->category_prefix : "cluster ", cat);
        if (s->hide_counts) {
            snprintf(it->text, sizeof it->text, "%s", name);
        } else {
            char cnt[32];
            plot_fmt_count(count[k], cnt, sizeof cnt);
            snprintf(it->text, sizeof it->text, "%s (%s)", name, cnt);
        }
        it->swatch = PLOT_SWATCH_CIRCLE;
        category_rgb(s, cat, it->rgb);
    }

    /* layout */
    double top = pf_header(c, NULL);
    double bottom = c->h - c->pad - pf_footnote(c, false);
    double right = pl_measure(c, &leg, bottom - top, c->w * 0.4);
    double ax0, ax1, ay0, ay1;
    data_range(xlo, xhi, &ax0, &ax1);
    data_range(ylo, yhi, &ay0, &ay1);
    plot_axis xa, ya;
    plot_rect area;
    pf_layout_xy(c, top, bottom, right, &xa, ax0, ax1, false, false, &ya, ay0, ay1, false, false, &area);
    pf_frame_xy(c, area, &xa, &ya);

    /* marker size and opacity from n (at 800 x 600; scaled with the font) */
    double scale = c->fs / 13.0;
    double lg = log10((double)drawn);
    double r_auto = s->radius > 0 ? s->radius
                                  : scale * fmin(4.5, fmax(1.4, 4.5 - (lg - log10(500.0)) * 3.1 / 2.0));
    double alpha = s->alpha > 0 ? s->alpha : fmin(0.9, fmax(0.5, 0.9 - 0.2 * (lg - 3.0)));

    cairo_t *cr = c->cr;
    cairo_save(cr);
    cairo_rectangle(cr, area.x0, area.y0, area.x1 - area.x0, area.y1 - area.y0);
    cairo_clip(cr);
    int64_t pos = 0;
    for (int k = 0; k < n_slots; k++) {
        if (count[k] == 0) continue;
        double rgb[3];
        category_rgb(s, k - 1, rgb);
        cairo_set_source_rgba(cr, rgb[0], rgb[1], rgb[2], alpha);
        double rk = k == 0 ? r_auto * 0.6 : r_auto; /* noise smaller, underneath */
        cairo_new_path(cr);
        for (int64_t j = pos; j < pos + count[k]; j++) {
            int64_t i = order[j];
            double r = rk;
            if (s->marker_radius) {
                float m = s->marker_radius[i];
                if (isfinite(m) && m > 0) r = m;
            }
            double px = pa_map(&xa, s->xy[2 * i], area.x0, area.x1);
            double py = pa_map(&ya, s->xy[2 * i + 1], area.y1, area.y0);
            if (r < 1.5) {
                /* a square of the same area looks the same at this size and fills faster */
                double h = r * 0.886227; /* sqrt(pi) / 2 */
                cairo_rectangle(cr, px - h, py - h, 2 * h, 2 * h);
            } else {
                cairo_move_to(cr, px + r, py);
                cairo_arc(cr, px, py, r, 0, 2 * M_PI);
                cairo_close_path(cr);
            }
            /* One fill per marker, as matplotlib composites each marker: overlaps darken, so dense
             * regions read as dense. It is also ~4x faster than one path of 100,000 overlapping
             * sub-paths, which cairo's tessellator handles badly. */
            cairo_fill(cr);
        }
        pos += count[k];
    }
    cairo_restore(cr);

    pl_finish(c, &leg, area, drawn, skipped);
done:
    mc_free(leg.items);
    mc_free(order);
    mc_free(count);
    return st;
}
