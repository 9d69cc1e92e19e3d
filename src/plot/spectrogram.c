/* Spectrogram panels side by side with one colour scale (mc_plot_spectrogram in plot.h). */
#include "plot_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SPEC_MAX_PANELS 16
#define SPEC_MAX_CELLS ((int64_t)1 << 28)

/* Resample a (rows, cols) panel to a (ph, pw) picture, top row = highest band: each output pixel
 * takes the mean of the finite cells it covers when shrinking, the cell under its centre when
 * enlarging; grey where there is no finite cell. */
static void resample(const mc_plot_panel *pn, int pw, int ph, double vmin, double vmax,
                     mc_plot_cmap cmap, uint32_t *px /* (ph, pw) */) {
    const uint32_t grey = 0xD0D0D0u;
    for (int y = 0; y < ph; y++) {
        /* picture rows from the top are data rows from the last */
        int r0, r1;
        if (pn->rows >= ph) {
            r0 = (int)((int64_t)y * pn->rows / ph);
            r1 = (int)((int64_t)(y + 1) * pn->rows / ph);
            if (r1 <= r0) r1 = r0 + 1;
        } else {
            r0 = (int)floor((y + 0.5) * pn->rows / ph);
            r1 = r0 + 1;
        }
        for (int x = 0; x < pw; x++) {
            int c0, c1;
            if (pn->cols >= pw) {
                c0 = (int)((int64_t)x * pn->cols / pw);
                c1 = (int)((int64_t)(x + 1) * pn->cols / pw);
                if (c1 <= c0) c1 = c0 + 1;
            } else {
                c0 = (int)floor((x + 0.5) * pn->cols / pw);
                c1 = c0 + 1;
            }
            double sum = 0;
            int cnt = 0;
            for (int r = r0; r < r1; r++) {
                const float *row = pn->data + (int64_t)(pn->rows - 1 - r) * pn->cols;
                for (int k = c0; k < c1; k++) {
                    if (isfinite(row[k])) { sum += row[k]; cnt++; }
                }
            }
            uint32_t v = grey;
            if (cnt) {
                const unsigned char *e = pc_cmap_entry(cmap, (sum / cnt - vmin) / (vmax - vmin));
                v = ((uint32_t)e[0] << 16) | ((uint32_t)e[1] << 8) | e[2];
            }
            px[(int64_t)y * pw + x] = v;
        }
    }
}

mc_status plot_spectrogram(plot_ctx *c) {
    const mc_plot_spectrogram *S = &c->p->spectrogram;
    const char *W = c->where;
    const int N = S->n_panels;
    if (N <= 0) return mc_error_set(MC_STATUS_EMPTY, "%s: spectrogram: no panels (n_panels = %d)", W, N);
    if (N > SPEC_MAX_PANELS) {
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: spectrogram: %d panels; at most %d", W, N,
                            SPEC_MAX_PANELS);
    }
    if (!S->panels) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: spectrogram: panels is NULL", W);
    double dmin = INFINITY, dmax = -INFINITY;
    int64_t drawn = 0, skipped = 0;
    for (int k = 0; k < N; k++) {
        const mc_plot_panel *pn = &S->panels[k];
        if (pn->rows <= 0 || pn->cols <= 0) {
            return mc_error_set(MC_STATUS_EMPTY, "%s: spectrogram: panel %d is %d x %d", W, k, pn->rows,
                                pn->cols);
        }
        if ((int64_t)pn->rows * pn->cols > SPEC_MAX_CELLS) {
            return mc_error_set(MC_STATUS_INVALID_ARG, "%s: spectrogram: panel %d is too large (%d x %d)",
                                W, k, pn->rows, pn->cols);
        }
        if (!pn->data) return mc_error_set(MC_STATUS_INVALID_ARG, "%s: spectrogram: panel %d data is NULL", W, k);
        for (int64_t i = 0; i < (int64_t)pn->rows * pn->cols; i++) {
            float v = pn->data[i];
            if (!isfinite(v)) { skipped++; continue; }
            drawn++;
            dmin = fmin(dmin, v);
            dmax = fmax(dmax, v);
        }
    }
    if (drawn == 0) {
        return mc_error_set(MC_STATUS_NUMERIC, "%s: spectrogram: no finite value in %d panel%s", W, N,
                            N == 1 ? "" : "s");
    }
    double vmin, vmax;
    if (S->fixed_range) {
        if (!isfinite(S->vmin) || !isfinite(S->vmax) || !(S->vmax > S->vmin)) {
            return mc_error_set(MC_STATUS_INVALID_ARG,
                                "%s: spectrogram: fixed range vmin %g .. vmax %g must be finite with vmax > vmin",
                                W, S->vmin, S->vmax);
        }
        vmin = S->vmin;
        vmax = S->vmax;
    } else {
        /* as librosa.power_to_db's top_db: the scale spans top_db below the loudest value */
        double top_db = S->top_db > 0 && isfinite(S->top_db) ? S->top_db : 80.0;
        vmax = dmax;
        vmin = fmax(dmin, vmax - top_db);
        if (!(vmax > vmin)) vmin = vmax - 1;
    }
    if (skipped) {
        plot_note_add(c, "%lld value%s NaN/Inf (grey)", (long long)skipped, skipped == 1 ? "" : "s");
    }
    mc_plot_cmap cmap = S->cmap == MC_PLOT_CMAP_DEFAULT ? MC_PLOT_CMAP_MAGMA : S->cmap;
    const char *cb_label = S->colorbar_label ? S->colorbar_label : "dB";
    const mc_plot *p = c->p;
    const char *xlabel = p->xlabel ? p->xlabel : S->frame_seconds > 0 ? "time (s)" : "frame";
    const char *ylabel = p->ylabel ? p->ylabel : "mel band";
    double xs = S->frame_seconds > 0 && isfinite(S->frame_seconds) ? S->frame_seconds : 1.0;

    /* ---- layout */
    double top = pf_header(c, NULL);
    double bottom = c->h - c->pad - pf_footnote(c, false);
    bool titles = false;
    for (int k = 0; k < N; k++) titles |= S->panels[k].title && S->panels[k].title[0];
    pt_font(c, c->fs * 0.95, true);
    double title_h = titles ? pt_line_h(c) + c->fs * 0.4 : 0;
    pt_font(c, pf_label_fs(c), false);
    double label_lh = pt_line_h(c);
    double xlabel_h = xlabel[0] ? label_lh + c->fs * 0.4 : 0;
    double ylabel_w = ylabel[0] ? label_lh + c->fs * 0.5 : 0;
    pt_font(c, pf_tick_fs(c), false);
    double tick_lh = pt_line_h(c), tl = pf_ticklen(c);
    plot_rect a0; /* first panel */
    a0.y0 = top + title_h;
    a0.y1 = fmax(a0.y0 + 8, bottom - xlabel_h - tick_lh - tl - c->fs * 0.3);
    plot_axis ya[SPEC_MAX_PANELS], xa[SPEC_MAX_PANELS], cb;
    double ph = floor(a0.y1 - a0.y0);
    a0.y0 = round(a0.y0);
    a0.y1 = a0.y0 + ph;
    /* y ticks per panel; a panel with the same band count as the one before it shows no labels */
    double yw[SPEC_MAX_PANELS];
    for (int k = 0; k < N; k++) {
        pa_fit(c, &ya[k], 0, S->panels[k].rows, false, true, ph, false);
        pt_font(c, pf_tick_fs(c), false);
        yw[k] = (k > 0 && S->panels[k].rows == S->panels[k - 1].rows) ? 0 : pa_label_w(c, &ya[k]);
    }
    double cb_w = pf_colorbar_measure(c, &cb, vmin, vmax, ph, cb_label);
    double left = c->pad + ylabel_w + yw[0] + tl + c->fs * 0.3;
    /* panels apart far enough that one's last x label ("130") and the next one's first ("0"),
     * both centred on the panel edges, do not run together */
    double pgap = c->fs * 1.2;
    pt_font(c, pf_tick_fs(c), false);
    for (int k = 1; k < N; k++) {
        char last[32];
        snprintf(last, sizeof last, "%g", S->panels[k - 1].cols * xs);
        pgap = fmax(pgap, (pt_width(c, last) + pt_width(c, "0")) / 2 + c->fs * 0.8);
    }
    double inner = 0;
    for (int k = 1; k < N; k++) inner += pgap + (yw[k] > 0 ? yw[k] + tl + c->fs * 0.3 : 0);
    double pw = floor((c->w - c->pad - cb_w - left - inner) / N);
    if (pw < 4) pw = 4;
    uint32_t *img = mc_alloc((size_t)pw * (size_t)ph, sizeof *img); /* (ph, pw) one panel's pixels */
    if (!img) return MC_STATUS_NO_MEMORY;

    /* ---- panels */
    cairo_t *cr = c->cr;
    double x = round(left);
    plot_rect r = a0;
    mc_status st = MC_STATUS_OK;
    for (int k = 0; k < N && st == MC_STATUS_OK; k++) {
        const mc_plot_panel *pn = &S->panels[k];
        if (k > 0) x += pgap + (yw[k] > 0 ? yw[k] + tl + c->fs * 0.3 : 0);
        x = round(x);
        r.x0 = x;
        r.x1 = x + pw;
        if (k == 0) a0 = r;
        resample(pn, (int)pw, (int)ph, vmin, vmax, cmap, img);
        st = pf_image(c, img, (int)pw, (int)ph, (int)r.x0, (int)r.y0);
        pa_fit(c, &xa[k], 0, pn->cols * xs, false, !(S->frame_seconds > 0), pw, true);
        plot_axis yk = ya[k];
        if (yw[k] == 0) for (int i = 0; i < yk.n; i++) yk.label[i][0] = '\0';
        pf_axes(c, r, &xa[k], &yk, false);
        if (pn->title && pn->title[0]) {
            pt_font(c, c->fs * 0.95, true);
            char fit[PLOT_TEXT_MAX];
            pt_fit(c, pn->title, pw + pgap * 0.8, fit, sizeof fit);
            cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
            pt_draw(c, (r.x0 + r.x1) / 2, r.y0 - c->fs * 0.3, fit, 0.5, 1, 0);
        }
        x = r.x1;
    }
    mc_free(img);
    if (st != MC_STATUS_OK) return st;
    /* one x title under all panels, one y title left of the first */
    plot_rect all = {a0.x0, a0.y0, r.x1, a0.y1};
    pf_xlabel(c, xlabel, all, all.y1 + tl + c->fs * 0.2 + tick_lh + c->fs * 0.4);
    pf_ylabel(c, ylabel, a0, a0.x0 - tl - c->fs * 0.3 - yw[0] - c->fs * 0.5 - label_lh / 2);
    plot_rect bar = {r.x1 + pf_colorbar_gap(c), a0.y0, r.x1 + pf_colorbar_gap(c) + pf_colorbar_w(c), a0.y1};
    pf_colorbar(c, bar, cmap, &cb, cb_label);
    pf_footnote(c, true);
    c->stats->n_drawn = drawn;
    c->stats->n_skipped = skipped;
    c->stats->area[0] = a0.x0;
    c->stats->area[1] = a0.y0;
    c->stats->area[2] = a0.x1;
    c->stats->area[3] = a0.y1;
    return MC_STATUS_OK;
}
