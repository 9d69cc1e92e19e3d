/* Shared machinery of the plot module: the drawing context, text (cleaning, measuring, ellipsizing,
 * rotated drawing), nice axis ticks, the frame (title, footnote, axes) and the legend. Each chart
 * (scatter.c, heatmap.c, spectrogram.c, line.c, bar.c) validates its spec, lays out its margins from
 * measured text and draws through these helpers; render.c owns surfaces, formats and output. */
#ifndef MC_PLOT_INTERNAL_H
#define MC_PLOT_INTERNAL_H

#include <musiclust/plot.h>

#include <cairo.h>

#define PLOT_MAX_TICKS 64
#define PLOT_TEXT_MAX 512 /* bytes of one drawn string, cleaned, with the NUL */

struct plot_text; /* text.c: the render's Pango context, layout and current font */

typedef struct plot_ctx {
    cairo_t *cr;
    struct plot_text *text; /* set by pt_begin */
    double w, h;            /* figure size in px (PNG) or pt */
    double fs;              /* base font size */
    double pad;             /* outer margin */
    const mc_plot *p;
    const char *where;      /* output path or "(memory)", for messages */
    mc_plot_stats *stats;   /* never NULL inside the module */
    char auto_note[256];    /* footnote a chart adds (skipped values) */
} plot_ctx;

typedef struct plot_rect {
    double x0, y0, x1, y1;
} plot_rect;

/* ---------------------------------------------------------------- text (text.c) */

/* Every string of a figure is laid out by Pango (HarfBuzz shaping, fontconfig fallback across the
 * Noto families for each script) and drawn by pangocairo through these functions; nothing else in
 * the module touches Pango or cairo's text API. */

/* Create the render's text state on the calling thread's font map (c->where names it in errors);
 * selects the regular font at c->fs. pt_end frees it (NULL allowed). */
mc_status pt_begin(plot_ctx *c);
void pt_end(plot_ctx *c);
/* Select the font stack at `size` px (absolute), bold or regular. */
void pt_font(plot_ctx *c, double size, bool bold);
/* Copy s (NULL = "") as valid UTF-8: invalid bytes -> '?', C0/C1 control characters, DEL and
 * U+2028/U+2029 -> ' ', cut at a code point boundary to fit cap bytes. Pango refuses invalid UTF-8
 * (with a warning on stderr) and would break the line at the separators. */
void pt_clean(const char *s, char *out, size_t cap);
/* Logical width of s in the current font (s cleaned first). */
double pt_width(plot_ctx *c, const char *s);
/* Ascent + descent of the current font's primary face (Noto Sans): the height of one line. */
double pt_line_h(plot_ctx *c);
/* s shortened with "…" to fit maxw in the current font, cut between grapheme clusters. */
void pt_fit(plot_ctx *c, const char *s, double maxw, char *out, size_t cap);
/* Draw s with its anchor at (x, y), rotated by angle radians (counter-clockwise on screen). ha: 0 the
 * anchor is at the start of the text, 0.5 its middle, 1 its end; va: 0 the anchor is at the top of
 * the line (ascent), 0.5 the middle, 1 the bottom (descent). */
void pt_draw(plot_ctx *c, double x, double y, const char *s, double ha, double va, double angle);
/* A category name under the x axis, centred at x with its top at y: level and fitted to width w
 * (angle 0), or turned by angle and fitted to cap (its end at the tick; upright when angle is pi/2). */
void pt_draw_tick_name(plot_ctx *c, const char *name, double x, double y, double angle, double w, double cap);
/* printf-format one double with a user format checked by pt_format_ok. */
void pt_format(const char *fmt, double v, char *out, size_t cap);
/* True if fmt holds exactly one conversion of a double (%[flags][width][.prec]{f,F,e,E,g,G}) and
 * otherwise only text and "%%". */
bool pt_format_ok(const char *fmt);

/* ---------------------------------------------------------------- axes */

typedef struct plot_axis {
    double lo, hi;  /* the shown range (log axes: lo, hi > 0, values not logged) */
    bool log;
    int n;          /* ticks */
    double v[PLOT_MAX_TICKS];
    char label[PLOT_MAX_TICKS][32];
} plot_axis;

/* Ticks for [lo, hi] (hi > lo) on an axis `pixels` long, as dense as the labels allow without
 * touching: 1-2-5 steps (Heckbert, "Nice numbers for graph labels", Graphics Gems 1990); integer
 * forces whole-number steps; log gives decades (or 1-2-5 within a decade when the range is short).
 * Uses the current font to measure the labels. */
void pa_fit(plot_ctx *c, plot_axis *a, double lo, double hi, bool log, bool integer, double pixels,
            bool horizontal);
/* Position of v along [p0, p1] (p0 at lo). */
double pa_map(const plot_axis *a, double v, double p0, double p1);
/* Widest tick label in the current font. */
double pa_label_w(plot_ctx *c, const plot_axis *a);

/* ---------------------------------------------------------------- frame */

/* White background, then the title and subtitle; returns the y where the content may begin. */
double pf_header(plot_ctx *c, const char *title_suffix);
/* Height the footnote takes at the bottom (0 when there is none); draws it when draw. */
double pf_footnote(plot_ctx *c, bool draw);
/* Grid lines, the left and bottom axis lines, tick marks and tick labels of a numeric x and y axis
 * around r; either axis may be NULL (no ticks on that side). */
void pf_axes(plot_ctx *c, plot_rect r, const plot_axis *x, const plot_axis *y, bool grid);
/* Axis titles: xlabel centred under r at baseline y; ylabel rotated, centred on r at x. */
void pf_xlabel(plot_ctx *c, const char *s, plot_rect r, double top_y);
void pf_ylabel(plot_ctx *c, const char *s, plot_rect r, double left_x);
/* Lay out a chart with numeric x and y axes inside top..bottom (the content's limits: under the
 * title, above the footnote) and from the left edge to w - right (right: the legend's room), with
 * room for the tick labels and axis titles; fits the ticks of both axes. */
void pf_layout_xy(plot_ctx *c, double top, double bottom, double right, plot_axis *xa, double xlo,
                  double xhi, bool xlog, bool xint, plot_axis *ya, double ylo, double yhi, bool ylog,
                  bool yint, plot_rect *area);
/* pf_axes plus the axis titles (p->xlabel, p->ylabel) placed beside the tick labels. */
void pf_frame_xy(plot_ctx *c, plot_rect area, const plot_axis *xa, const plot_axis *ya);
/* A vertical colour bar: pf_colorbar_measure fits ticks for vmin..vmax on `height` and returns the
 * width it needs right of the content (gap, bar, ticks, label); pf_colorbar draws it in bar. */
double pf_colorbar_measure(plot_ctx *c, plot_axis *ticks, double vmin, double vmax, double height,
                           const char *label);
void pf_colorbar(plot_ctx *c, plot_rect bar, mc_plot_cmap cmap, const plot_axis *ticks,
                 const char *label);
double pf_colorbar_gap(const plot_ctx *c);
double pf_colorbar_w(const plot_ctx *c);
/* Paint a (w, h) image of 0xXXRRGGBB pixels 1:1 at integer (x, y), never smoothed. */
mc_status pf_image(plot_ctx *c, const uint32_t *px, int w, int h, int x, int y);
/* Tick label font size, tick length, gaps. */
double pf_tick_fs(const plot_ctx *c);
double pf_ticklen(const plot_ctx *c);
double pf_label_fs(const plot_ctx *c);

/* ---------------------------------------------------------------- legend */

typedef enum plot_swatch {
    PLOT_SWATCH_CIRCLE = 0,
    PLOT_SWATCH_LINE,
    PLOT_SWATCH_DASH,
    PLOT_SWATCH_RECT,
    PLOT_SWATCH_STAR
} plot_swatch;

typedef struct plot_legend_item {
    char text[160];
    plot_swatch swatch;
    double rgb[3];
} plot_legend_item;

typedef struct plot_legend {
    plot_legend_item *items; /* (n) */
    int n;
    /* set by pl_measure */
    int cols, rows, shown;   /* shown < n: the last cell says "… N more" */
    double col_w, line_h, title_h, w, h;
} plot_legend;

/* Lay the legend out for at most avail_h of height and max_w of width; returns its width (0 when
 * n == 0), the space to reserve on the right including a gap. */
double pl_measure(plot_ctx *c, plot_legend *l, double avail_h, double max_w);
void pl_draw(plot_ctx *c, const plot_legend *l, double x, double y);
/* The end of a chart with a legend (bar, line, scatter): the legend right of the plot area, the
 * footnote, and the drawn / skipped counts and the plot area in c->stats. */
void pl_finish(plot_ctx *c, const plot_legend *l, plot_rect area, int64_t drawn, int64_t skipped);
/* A five-pointed star of outer radius r centred at (x, y), filled with the current source. */
void pl_star(cairo_t *cr, double x, double y, double r);

/* ---------------------------------------------------------------- colours */

/* WCAG 2.0 relative luminance of an sRGB colour. */
double pc_luminance(const double rgb[3]);
/* Black or white text on a background, whichever contrasts more (WCAG: luminance > 0.179 -> black). */
void pc_text_on(const double bg[3], double out[3]);
/* Colormap lookup as bytes (entry min(int(t * 256), 255)). */
const unsigned char *pc_cmap_entry(mc_plot_cmap cmap, double t);

/* ---------------------------------------------------------------- charts */

mc_status plot_scatter(plot_ctx *c);
mc_status plot_heatmap(plot_ctx *c);
mc_status plot_spectrogram(plot_ctx *c);
mc_status plot_line(plot_ctx *c);
mc_status plot_bar(plot_ctx *c);
/* The size check of a chart of a x b items (kind "bar", what "bars"): none is MC_STATUS_EMPTY
 * "WHERE: bar: no bars (a x b)", more than max MC_STATUS_INVALID_ARG "... a x b bars are more than max". */
mc_status plot_check_count(const plot_ctx *c, const char *kind, const char *what, int a, int b, int64_t max);

/* Append to the chart's automatic footnote ("; " between parts). */
void plot_note_add(plot_ctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Integer with thousands separators ("100,000"). */
void plot_fmt_count(int64_t v, char *out, size_t cap);

#endif
