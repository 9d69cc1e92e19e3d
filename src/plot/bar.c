/* Grouped bar chart with value labels, error bars and a star on each series' best bar
 * (mc_plot_bar in plot.h). */
#include "plot_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The default value label: 3 significant digits ("%.3g"), but whole numbers instead of
 * "1.23e+03" from 1,000 up to 10^7. */
static void value_text(const mc_plot_bar *b, double v, char *out, size_t cap) {
    if (b->value_format) {
        pt_format(b->value_format, v, out, cap);
        return;
    }
    double a = fabs(v);
    if (a >= 1000 && a < 1e7) snprintf(out, cap, "%.0f", v);
    else snprintf(out, cap, "%.3g", v);
}

static double err_at(const mc_plot_bar *b, int64_t i) {
    if (!b->errors) return 0;
    double e = b->errors[i];
    return (isfinite(e) && e > 0) ? e : 0;
}

mc_status plot_bar(plot_ctx *c) {
    const mc_plot_bar *b = &c->p->bar;
    const char *W = c->where;
    const int G = b->n_groups, S = b->n_series;
    mc_status st = plot_check_count(c, "bar", "bars", G, S, 100000); /* groups x series */
    if (st != MC_STATUS_OK) return st;
    if (!b->values) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: bar: values is NULL", W);
    if (b->value_format && !pt_format_ok(b->value_format)) {
        return mc_error_set(MC_STATUS_INVALID_ARG,
                            "%s: bar: value_format \"%s\" must hold exactly one %%f, %%e or %%g", W,
                            b->value_format);
    }
    double lo = 0, hi = 0;
    int64_t drawn = 0, skipped = 0;
    for (int64_t i = 0; i < (int64_t)G * S; i++) {
        double v = b->values[i];
        if (!isfinite(v)) { skipped++; continue; }
        drawn++;
        double e = err_at(b, i);
        lo = fmin(lo, v - e);
        hi = fmax(hi, v + e);
    }
    if (drawn == 0) {
        return mc_error_set(MC_STATUS_NUMERIC, "%s: bar: none of the %lld values is finite", W,
                            (long long)G * S);
    }
    if (hi - lo <= 0) hi = 1; /* all zero */
    if (skipped) {
        plot_note_add(c, "%lld value%s missing (n/a)", (long long)skipped, skipped == 1 ? "" : "s");
    }

    /* the best bar of each series */
    bool stars = !b->no_best_marker && G >= 2;
    int *best = mc_alloc((size_t)S, sizeof *best); /* (S) group of each series' best bar, -1 none */
    if (!best) return MC_STATUS_NO_MEMORY;
    bool any_star = false, any_lower = false;
    for (int s = 0; s < S; s++) {
        best[s] = -1;
        bool lower = b->lower_is_better && b->lower_is_better[s];
        any_lower |= lower;
        for (int g = 0; g < G; g++) {
            double v = b->values[(int64_t)g * S + s];
            if (!isfinite(v)) continue;
            double cur = best[s] >= 0 ? b->values[(int64_t)best[s] * S + s] : 0;
            if (best[s] < 0 || (lower ? v < cur : v > cur)) best[s] = g; /* ties: the first */
        }
        any_star |= stars && best[s] >= 0;
    }
    stars = any_star;

    /* legend: the series (when more than one), then the star */
    plot_legend leg = {0};
    leg.items = mc_alloc((size_t)S + 1, sizeof *leg.items);
    if (!leg.items) {
        mc_free(best);
        return MC_STATUS_NO_MEMORY;
    }
    if (S > 1) {
        for (int s = 0; s < S; s++) {
            plot_legend_item *it = &leg.items[leg.n++];
            const char *nm = b->series_names ? b->series_names[s] : NULL;
            bool lower = b->lower_is_better && b->lower_is_better[s];
            char name[128];
            if (nm) snprintf(name, sizeof name, "%s", nm);
            else snprintf(name, sizeof name, "series %d", s + 1);
            snprintf(it->text, sizeof it->text, "%s%s", name, lower ? " (lower is better)" : "");
            it->swatch = PLOT_SWATCH_RECT;
            mc_plot_category_color(s, it->rgb);
        }
    }
    if (stars) {
        plot_legend_item *it = &leg.items[leg.n++];
        if (S > 1) snprintf(it->text, sizeof it->text, "best of each");
        else snprintf(it->text, sizeof it->text, "%s", any_lower ? "best (lowest)" : "best");
        it->swatch = PLOT_SWATCH_STAR;
        it->rgb[0] = it->rgb[1] = it->rgb[2] = 0.1;
    }

    /* layout */
    const mc_plot *p = c->p;
    double top = pf_header(c, NULL);
    double bottom = c->h - c->pad - pf_footnote(c, false);
    double right = pl_measure(c, &leg, bottom - top, c->w * 0.4);
    if (right <= 0) right = c->fs * 1.0;
    pt_font(c, pf_label_fs(c), false);
    double label_lh = pt_line_h(c);
    double xlabel_h = (p->xlabel && p->xlabel[0]) ? label_lh + c->fs * 0.4 : 0;
    double ylabel_w = (p->ylabel && p->ylabel[0]) ? label_lh + c->fs * 0.5 : 0;
    pt_font(c, pf_tick_fs(c), false);
    double tick_lh = pt_line_h(c);
    double gname_w = 0, gcap = fmin(c->fs * 14, c->h * 0.3);
    for (int g = 0; g < G; g++) {
        char nm[32];
        snprintf(nm, sizeof nm, "%d", g + 1);
        gname_w = fmax(gname_w, pt_width(c, b->group_names && b->group_names[g] ? b->group_names[g] : nm));
    }
    double vfs = c->fs * 0.8; /* value labels */
    pt_font(c, vfs, false);
    double val_lh = pt_line_h(c), val_w = 0;
    for (int64_t i = 0; i < (int64_t)G * S && !b->hide_values; i++) {
        char t[64];
        if (isfinite(b->values[i])) value_text(b, b->values[i], t, sizeof t);
        else snprintf(t, sizeof t, "n/a");
        val_w = fmax(val_w, pt_width(c, t));
    }
    double tl = pf_ticklen(c), star_r = c->fs * 0.5, gap = c->fs * 0.25;
    plot_axis ya;
    plot_rect area;
    double left = c->pad + ylabel_w + c->fs * 3, angle = 0, gname_h = tick_lh, slot = 1, bar_w = 1;
    double ylo = lo, yhi = hi;
    bool vert_values = false;
    for (int it = 0; it < 3; it++) {
        area.x0 = left;
        area.x1 = fmax(area.x0 + c->fs, c->w - c->pad - right);
        slot = (area.x1 - area.x0) / G;
        bar_w = slot * 0.8 / S;
        /* group names: level, 45 degrees, or upright when even a slanted line does not fit */
        double nw = fmin(gname_w, gcap);
        if (gname_w <= slot * 0.92) { angle = 0; gname_h = tick_lh; }
        else if (slot >= tick_lh * 1.4) { angle = M_PI / 4; gname_h = (nw + tick_lh) * sin(M_PI / 4); }
        else { angle = M_PI / 2; gname_h = nw; }
        area.y0 = top;
        area.y1 = fmax(area.y0 + c->fs, bottom - xlabel_h - gname_h - tl - c->fs * 0.3);
        double ph = area.y1 - area.y0;
        /* room for value labels and stars beyond the bar ends, in pixels, turned into data units */
        vert_values = !b->hide_values && val_w > bar_w * 1.1 + slot * 0.1;
        double lab = b->hide_values ? 0 : (vert_values ? val_w : val_lh) + gap;
        double extra = lab + (stars ? 2 * star_r + gap : 0) + gap;
        double m_top = hi > 0 ? extra : gap, m_bot = lo < 0 ? extra : 0;
        double frac = (m_top + m_bot) / ph;
        if (frac > 0.6) frac = 0.6;
        double R = (hi - lo) / (1 - frac);
        yhi = hi + (m_top / (m_top + m_bot)) * frac * R;
        ylo = lo - (m_bot / (m_top + m_bot)) * frac * R;
        pa_fit(c, &ya, ylo, yhi, false, false, ph, false);
        pt_font(c, pf_tick_fs(c), false);
        double nl = c->pad + ylabel_w + pa_label_w(c, &ya) + tl + c->fs * 0.3;
        /* a slanted first name reaches left of its slot: keep it inside the figure */
        if (angle == M_PI / 4) nl = fmax(nl, c->pad + (nw + tick_lh) * 0.7071 - slot * 0.5);
        if (fabs(nl - left) < 0.5 && it > 0) break;
        left = nl;
    }

    cairo_t *cr = c->cr;
    pf_axes(c, area, NULL, &ya, true);
    double zy = pa_map(&ya, 0.0, area.y1, area.y0);
    if (ylo < 0) {
        cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
        cairo_set_line_width(cr, 1.2);
        cairo_move_to(cr, area.x0, zy);
        cairo_line_to(cr, area.x1, zy);
        cairo_stroke(cr);
    }
    for (int g = 0; g < G; g++) {
        for (int s = 0; s < S; s++) {
            int64_t i = (int64_t)g * S + s;
            double v = b->values[i], e = err_at(b, i);
            double bx = area.x0 + slot * g + slot * 0.1 + s * bar_w, cx = bx + bar_w / 2;
            pt_font(c, vfs, false);
            if (!isfinite(v)) {
                cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
                pt_draw(c, cx, zy - gap, "n/a", vert_values ? 0 : 0.5, vert_values ? 0.5 : 1,
                        vert_values ? M_PI / 2 : 0);
                continue;
            }
            double vy = pa_map(&ya, v, area.y1, area.y0);
            double rgb[3];
            mc_plot_category_color(S > 1 ? s : 0, rgb);
            cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
            cairo_rectangle(cr, bx + bar_w * 0.04, fmin(vy, zy), bar_w * 0.92, fabs(vy - zy));
            cairo_fill(cr);
            double end = vy; /* outer end of bar + error bar, in pixels */
            if (e > 0) {
                double ey0 = pa_map(&ya, v - e, area.y1, area.y0), ey1 = pa_map(&ya, v + e, area.y1, area.y0);
                double cap = fmin(bar_w * 0.25, c->fs * 0.5);
                cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
                cairo_set_line_width(cr, fmax(1.0, c->fs * 0.1));
                cairo_move_to(cr, cx, ey0);
                cairo_line_to(cr, cx, ey1);
                cairo_move_to(cr, cx - cap, ey0);
                cairo_line_to(cr, cx + cap, ey0);
                cairo_move_to(cr, cx - cap, ey1);
                cairo_line_to(cr, cx + cap, ey1);
                cairo_stroke(cr);
                end = v >= 0 ? ey1 : ey0;
            }
            double dir = v >= 0 ? -1 : 1; /* up for positive bars, down for negative ones */
            double at = end + dir * gap;
            if (!b->hide_values) {
                char t[64];
                value_text(b, v, t, sizeof t);
                cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
                if (vert_values) {
                    pt_draw(c, cx, at, t, v >= 0 ? 0 : 1, 0.5, M_PI / 2);
                    at += dir * (pt_width(c, t) + gap);
                } else {
                    pt_draw(c, cx, at, t, 0.5, v >= 0 ? 1 : 0, 0);
                    at += dir * (val_lh + gap);
                }
            }
            if (stars && best[s] == g) {
                cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
                pl_star(cr, cx, at + dir * star_r, star_r);
            }
        }
    }
    /* group names under the axis */
    pt_font(c, pf_tick_fs(c), false);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    for (int g = 0; g < G; g++) {
        char nm[32];
        snprintf(nm, sizeof nm, "%d", g + 1);
        const char *name = b->group_names && b->group_names[g] ? b->group_names[g] : nm;
        pt_draw_tick_name(c, name, area.x0 + slot * (g + 0.5), area.y1 + tl + c->fs * 0.2, angle, slot * 0.98, gcap);
    }
    pf_xlabel(c, p->xlabel, area, area.y1 + tl + c->fs * 0.2 + gname_h + c->fs * 0.4);
    pt_font(c, pf_tick_fs(c), false);
    double yw = pa_label_w(c, &ya);
    pf_ylabel(c, p->ylabel, area, area.x0 - tl - c->fs * 0.3 - yw - c->fs * 0.5 - label_lh / 2);
    pl_finish(c, &leg, area, drawn, skipped);
    mc_free(leg.items);
    mc_free(best);
    return MC_STATUS_OK;
}
