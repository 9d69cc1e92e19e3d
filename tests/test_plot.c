/* plot: every chart to PNG, SVG, PDF and an in-memory PNG (signature, IHDR size, SVG <title>,
 * byte-identical repeats), pixel checks read back with cairo (categories in the right halves, the
 * heatmap's extreme cells, the spectrogram's loud corner, line and bar positions), the palette and
 * colormaps, and bad input (clear status, message, no file, no crash). Text of any script: Latin,
 * Bengali, Devanagari and CJK labels laid out with no missing glyph by their Noto fonts (a missing
 * font fails, never skips), shaped (conjuncts), drawn (ink across the measured width), ellipsized
 * between whole letters; the same bytes from 4 threads at once and from another process with other
 * preferred languages. Category-to-colour maps. Needs no data. */
#include <musiclust/plot.h>

#include "mc_test.h"
#include "plot/plot_internal.h" /* pt_* for the grapheme-cluster check of ellipsized names */

#include <cairo.h>
#include <glib.h> /* Unicode properties for the cut check */
#include <pthread.h>
#include <stdint.h>

static const char *dir;

/* LeakSanitizer hook (sanitizer/lsan_interface.h), read at exit in the ASan build, the same list as
 * tests/lsan.supp (so a plain `ctest` in the ASan build passes too): fontconfig keeps 288 bytes of its
 * configuration unreachable after cairo_debug_reset_static_data() -- once per process, the same after
 * 1 render or 1,000; cairo 1.16's PDF writer loses 768 bytes each time it subsets a CID-keyed CFF font
 * (Noto Sans CJK) inside cairo_surface_finish. Only allocations made inside those library calls are
 * excused; any from the plot module or Pango still fail. */
__attribute__((used, visibility("default"))) const char *__lsan_default_suppressions(void);
__attribute__((used, visibility("default"))) const char *__lsan_default_suppressions(void) {
    return "leak:libfontconfig.so\nleak:cairo_surface_finish\n";
}
/* AddressSanitizer's defaults for this test (ASAN_OPTIONS in the environment still wins): unwind
 * allocation stacks with DWARF, not frame pointers, which stop at the first frame in the stripped
 * libcairo -- so that the cairo_surface_finish suppression can see that frame at all (~3x slower). */
__attribute__((used, visibility("default"))) const char *__asan_default_options(void);
__attribute__((used, visibility("default"))) const char *__asan_default_options(void) {
    return "fast_unwind_on_malloc=0";
}

static char *path_in(const char *name) {
    static char buf[8][512];
    static int k = 0;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static bool file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* PNG signature and the IHDR's width and height (PNG spec, 5.2 and 11.2.2). */
static bool png_size(const unsigned char *d, size_t len, int *w, int *h) {
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (len < 24 || memcmp(d, sig, 8) != 0 || memcmp(d + 12, "IHDR", 4) != 0) return false;
    *w = (int)((uint32_t)d[16] << 24 | (uint32_t)d[17] << 16 | (uint32_t)d[18] << 8 | d[19]);
    *h = (int)((uint32_t)d[20] << 24 | (uint32_t)d[21] << 16 | (uint32_t)d[22] << 8 | d[23]);
    return true;
}

/* ---------------------------------------------------------------- reading pixels back */

typedef struct image {
    cairo_surface_t *s;
    int w, h, stride;
    const unsigned char *data;
} image;

static bool image_load(const char *path, image *im) {
    im->s = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(im->s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(im->s);
        im->s = NULL;
        return false;
    }
    cairo_surface_flush(im->s);
    im->w = cairo_image_surface_get_width(im->s);
    im->h = cairo_image_surface_get_height(im->s);
    im->stride = cairo_image_surface_get_stride(im->s);
    im->data = cairo_image_surface_get_data(im->s);
    return true;
}

static void image_free(image *im) {
    if (im->s) cairo_surface_destroy(im->s);
    im->s = NULL;
}

static uint32_t pixel(const image *im, int x, int y) {
    uint32_t v;
    memcpy(&v, im->data + (size_t)y * im->stride + (size_t)x * 4, 4);
    return v & 0xFFFFFFu;
}

static uint32_t rgb_u32(const double rgb[3]) {
    return (uint32_t)lround(rgb[0] * 255) << 16 | (uint32_t)lround(rgb[1] * 255) << 8 |
           (uint32_t)lround(rgb[2] * 255);
}

static uint32_t category_u32(int k) {
    double rgb[3];
    mc_plot_category_color(k, rgb);
    return rgb_u32(rgb);
}

static uint32_t cmap_u32(mc_plot_cmap c, double t) {
    double rgb[3];
    mc_plot_colormap_rgb(c, t, rgb);
    return rgb_u32(rgb);
}

/* Pixels equal to colour in [x0, x1) x [y0, y1). */
static long count_color(const image *im, double x0, double y0, double x1, double y1, uint32_t color) {
    long n = 0;
    for (int y = (int)ceil(y0); y < (int)y1 && y < im->h; y++) {
        for (int x = (int)ceil(x0); x < (int)x1 && x < im->w; x++) n += pixel(im, x, y) == color;
    }
    return n;
}

static double luminance_u32(uint32_t v) {
    return 0.2126 * ((v >> 16) & 255) + 0.7152 * ((v >> 8) & 255) + 0.0722 * (v & 255);
}

/* ---------------------------------------------------------------- rendering every format */

/* Render p as name.png/.svg/.pdf and into memory; check what every format must hold. Returns the
 * PNG's path. */
static const char *render_all(const mc_plot *p, const char *name, mc_plot_stats *stats) {
    char base[256];
    snprintf(base, sizeof base, "%s/%s", dir, name);
    static char png[300];
    char svg[300], pdf[300];
    snprintf(png, sizeof png, "%s.png", base);
    snprintf(svg, sizeof svg, "%s.svg", base);
    snprintf(pdf, sizeof pdf, "%s.pdf", base);
    MC_CHECK_OK(mc_plot_render(p, png, stats));
    MC_CHECK_OK(mc_plot_render(p, svg, NULL));
    MC_CHECK_OK(mc_plot_render(p, pdf, NULL));
    int want_w = p->width ? p->width : 800, want_h = p->height ? p->height : 600;

    size_t n_png = 0, n_svg = 0, n_pdf = 0;
    unsigned char *d_png = (unsigned char *)mc_test_read_file(png, &n_png), *d_svg = (unsigned char *)mc_test_read_file(svg, &n_svg), *d_pdf = (unsigned char *)mc_test_read_file(pdf, &n_pdf);
    MC_CHECK(d_png && d_svg && d_pdf, "%s: all three files exist", name);
    int w = 0, h = 0;
    MC_CHECK(d_png && png_size(d_png, n_png, &w, &h) && w == want_w && h == want_h,
             "%s.png: PNG signature and IHDR %d x %d (want %d x %d)", name, w, h, want_w, want_h);
    if (d_svg) {
        char title[600];
        snprintf(title, sizeof title, "<title>%s</title>", p->title ? p->title : "");
        MC_CHECK(strncmp((char *)d_svg, "<?xml", 5) == 0 && strstr((char *)d_svg, "<svg") &&
                     strstr((char *)d_svg, "</svg>") && (!p->title || strstr((char *)d_svg, title)),
                 "%s.svg: XML with <svg>...</svg> and %s", name, title);
        char wattr[64];
        snprintf(wattr, sizeof wattr, "viewBox=\"0 0 %d %d\"", want_w, want_h);
        MC_CHECK(strstr((char *)d_svg, wattr) != NULL, "%s.svg: %s", name, wattr);
        /* every renumbered reference "#name123" points at a defined id="name123" */
        int bad = 0, refs = 0;
        for (const char *q = (char *)d_svg; (q = strstr(q, "href=\"#")) != NULL; q += 7) {
            char id[64];
            if (sscanf(q + 7, "%63[^\"]", id) != 1) continue;
            char def[80];
            snprintf(def, sizeof def, "id=\"%s\"", id);
            refs++;
            if (!strstr((char *)d_svg, def)) bad++;
        }
        MC_CHECK(bad == 0, "%s.svg: %d of %d references have no definition", name, bad, refs);
    }
    MC_CHECK(d_pdf && n_pdf > 8 && memcmp(d_pdf, "%PDF-", 5) == 0, "%s.pdf: %%PDF- header", name);

    /* in memory: the same bytes as the file; renders repeat byte for byte */
    unsigned char *mem = NULL;
    size_t n_mem = 0;
    MC_CHECK_OK(mc_plot_render_png_buffer(p, &mem, &n_mem, NULL));
    MC_CHECK(mem && d_png && n_mem == n_png && memcmp(mem, d_png, n_png) == 0,
             "%s: in-memory PNG (%zu bytes) equals the file (%zu bytes)", name, n_mem, n_png);
    mc_free(mem);
    const mc_plot_format fmts[2] = {MC_PLOT_FORMAT_SVG, MC_PLOT_FORMAT_PDF};
    const unsigned char *files[2] = {d_svg, d_pdf};
    const size_t lens[2] = {n_svg, n_pdf};
    for (int i = 0; i < 2; i++) {
        MC_CHECK_OK(mc_plot_render_buffer(p, fmts[i], &mem, &n_mem, NULL));
        MC_CHECK(mem && files[i] && n_mem == lens[i] && memcmp(mem, files[i], lens[i]) == 0,
                 "%s: a second %s render is byte-identical (%zu vs %zu bytes)", name,
                 i ? "PDF" : "SVG", n_mem, lens[i]);
        mc_free(mem);
    }
    free(d_png);
    free(d_svg);
    free(d_pdf);
    return png;
}

/* ---------------------------------------------------------------- scatter */

static void test_scatter(void) {
    /* category 0 far left, category 1 far right, noise in the middle, 3 NaN rows */
    enum { N = 203 };
    float xy[2 * N];
    int32_t cat[N];
    uint32_t s = 7;
    for (int i = 0; i < N; i++) {
        s = s * 1664525u + 1013904223u;
        float j = (float)((s >> 8) % 1000) / 1000.0f - 0.5f;
        int k = i % 3 == 2 ? -1 : i % 3;
        cat[i] = k;
        xy[2 * i] = (k == 0 ? -10.0f : k == 1 ? 10.0f : 0.0f) + j;
        xy[2 * i + 1] = j * 2;
    }
    xy[0] = NAN;
    xy[2 * 10 + 1] = INFINITY;
    xy[2 * 20] = -INFINITY;
    const char *names[] = {"left", "right"};
    mc_plot p;
    mc_plot_init(&p, MC_PLOT_KIND_SCATTER);
    p.title = "Two far-apart categories";
    p.xlabel = "x";
    p.ylabel = "y";
    p.legend_title = "category";
    p.width = 640;
    p.height = 480;
    p.scatter.xy = xy;
    p.scatter.n = N;
    p.scatter.category = cat;
    p.scatter.category_names = names;
    p.scatter.n_category_names = 2;
    p.scatter.alpha = 1; /* opaque: marker interiors are exactly the palette colours */
    p.scatter.radius = 4;
    mc_plot_stats st;
    const char *png = render_all(&p, "scatter", &st);
    MC_CHECK(st.n_skipped == 3 && st.n_drawn == N - 3, "NaN/Inf rows skipped and counted: %lld drawn, %lld skipped",
             (long long)st.n_drawn, (long long)st.n_skipped);
    double *a = st.area;
    MC_CHECK(a[0] > 0 && a[2] > a[0] + 100 && a[1] > 0 && a[3] > a[1] + 100 && a[2] < 640 && a[3] < 480,
             "plot area %.0f %.0f %.0f %.0f inside the figure", a[0], a[1], a[2], a[3]);
    image im;
    MC_CHECK(image_load(png, &im), "read back %s", png);
    if (im.s) {
        double mx = (a[0] + a[2]) / 2;
        uint32_t c0 = category_u32(0), c1 = category_u32(1), cn = category_u32(-1);
        long l0 = count_color(&im, a[0], a[1], mx, a[3], c0), l1 = count_color(&im, a[0], a[1], mx, a[3], c1);
        long r0 = count_color(&im, mx, a[1], a[2], a[3], c0), r1 = count_color(&im, mx, a[1], a[2], a[3], c1);
        printf("  scatter pixels: colour 0 left %ld right %ld; colour 1 left %ld right %ld\n", l0, r0, l1, r1);
        MC_CHECK(l0 > 200 && r0 == 0, "category 0 (#%06x) only in the left half: %ld / %ld", (unsigned)c0, l0, r0);
        MC_CHECK(r1 > 200 && l1 == 0, "category 1 (#%06x) only in the right half: %ld / %ld", (unsigned)c1, l1, r1);
        /* noise sits in the middle third, in grey */
        double third = (a[2] - a[0]) / 3;
        long nm = count_color(&im, a[0] + third, a[1], a[2] - third, a[3], cn);
        long no = count_color(&im, a[0], a[1], a[0] + third, a[3], cn);
        MC_CHECK(nm > 50 && no == 0, "noise grey in the middle third: %ld inside, %ld in the left third", nm, no);
        /* the legend (right of the area) shows both colours */
        MC_CHECK(count_color(&im, a[2], a[1], im.w, a[3], c0) > 10 && count_color(&im, a[2], a[1], im.w, a[3], c1) > 10,
                 "legend swatches of both categories right of the plot area");
        image_free(&im);
    }

    /* one point; identical points; per-point radius; no categories */
    float one[2] = {3.0f, -2.0f};
    mc_plot_init(&p, MC_PLOT_KIND_SCATTER);
    p.title = "One point";
    p.scatter.xy = one;
    p.scatter.n = 1;
    MC_CHECK_OK(mc_plot_render(&p, path_in("one.png"), &st));
    MC_CHECK(st.n_drawn == 1, "one point drawn (%lld)", (long long)st.n_drawn);
    float same[20];
    float rad[10];
    for (int i = 0; i < 10; i++) { same[2 * i] = 1.0f; same[2 * i + 1] = 1.0f; rad[i] = (float)i; }
    p.scatter.xy = same;
    p.scatter.n = 10;
    p.scatter.marker_radius = rad;
    p.title = "Ten identical points";
    MC_CHECK_OK(mc_plot_render(&p, path_in("same.svg"), &st));
    MC_CHECK(st.n_drawn == 10 && st.n_skipped == 0, "identical points drawn (%lld)", (long long)st.n_drawn);

    /* 100,000 points, 40 categories (legend overflows into "... more"); no timing here (bench) */
    enum { BIG = 100000 };
    float *bxy = malloc(sizeof(float) * 2 * BIG);
    int32_t *bc = malloc(sizeof(int32_t) * BIG);
    if (!bxy || !bc) { fprintf(stderr, "out of memory\n"); exit(1); }
    for (int i = 0; i < BIG; i++) {
        s = s * 1664525u + 1013904223u;
        bc[i] = (int32_t)(i % 40) - (i % 97 == 0);
        bxy[2 * i] = (float)(bc[i] % 8) + (float)((s >> 8) & 1023) / 1024.0f;
        bxy[2 * i + 1] = (float)(bc[i] / 8) + (float)((s >> 18) & 1023) / 1024.0f;
    }
    mc_plot_init(&p, MC_PLOT_KIND_SCATTER);
    p.title = "100,000 points in 40 categories";
    p.scatter.xy = bxy;
    p.scatter.n = BIG;
    p.scatter.category = bc;
    unsigned char *buf = NULL;
    size_t len = 0;
    MC_CHECK_OK(mc_plot_render_png_buffer(&p, &buf, &len, &st));
    int w, h;
    MC_CHECK(buf && png_size(buf, len, &w, &h) && w == 800 && h == 600 && st.n_drawn == BIG,
             "100,000-point PNG in memory (%zu bytes, %lld drawn)", len, (long long)st.n_drawn);
    mc_free(buf);
    free(bxy);
    free(bc);
}

/* ---------------------------------------------------------------- heatmap */

static void test_heatmap(void) {
    /* 3 x 4 counts; the largest (50) at row 1, column 2; zeros elsewhere than a few cells */
    int64_t counts[12] = {3, 0, 1, 2, 4, 5, 50, 0, 0, 7, 2, 9};
    const char *rows[] = {"cluster 0", "cluster 1", "noise \xff bad utf-8"};
    const char *cols[] = {"blues", "a genre with a very very long name indeed", "jazz", "rock"};
    mc_plot p;
    mc_plot_init(&p, MC_PLOT_KIND_HEATMAP);
    p.title = "Clusters vs genres";
    p.xlabel = "genre";
    p.ylabel = "cluster";
    p.heatmap.counts = counts;
    p.heatmap.rows = 3;
    p.heatmap.cols = 4;
    p.heatmap.row_names = rows;
    p.heatmap.col_names = cols;
    mc_plot_stats st;
    const char *png = render_all(&p, "heatmap", &st);
    MC_CHECK(st.n_drawn == 12 && st.n_skipped == 0, "12 cells drawn (%lld)", (long long)st.n_drawn);
    image im;
    MC_CHECK(image_load(png, &im), "read back %s", png);
    if (im.s) {
        double *a = st.area, cw = (a[2] - a[0]) / 4, ch = (a[3] - a[1]) / 3;
        /* sample a cell near its top-left corner, away from the number in its middle and the borders */
        uint32_t px[12];
        for (int r = 0; r < 3; r++)
            for (int k = 0; k < 4; k++) px[r * 4 + k] = pixel(&im, (int)(a[0] + k * cw + 4), (int)(a[1] + r * ch + 4));
        uint32_t top = cmap_u32(MC_PLOT_CMAP_BLUES, 1.0), zero = cmap_u32(MC_PLOT_CMAP_BLUES, 0.0);
        MC_CHECK(px[6] == top, "the largest cell has the top Blues colour: #%06x vs #%06x", (unsigned)px[6], (unsigned)top);
        MC_CHECK(px[1] == zero, "a zero cell has the bottom Blues colour: #%06x vs #%06x", (unsigned)px[1], (unsigned)zero);
        int darkest = 0;
        for (int i = 1; i < 12; i++) if (luminance_u32(px[i]) < luminance_u32(px[darkest])) darkest = i;
        MC_CHECK(darkest == 6, "the largest count is the darkest cell (darkest is %d)", darkest);
        /* the number in the dark cell is drawn in white for contrast: near-white pixels in its middle
         * (antialiased glyphs are rarely pure white), and none in the pale zero cell next to it */
        long white = 0, dark = 0;
        for (int y = (int)(a[1] + ch * 1.3); y < (int)(a[1] + ch * 1.7); y++) {
            for (int x = (int)(a[0] + cw * 2.25); x < (int)(a[0] + cw * 2.75); x++) white += luminance_u32(pixel(&im, x, y)) > 200;
            for (int x = (int)(a[0] + cw * 3.25); x < (int)(a[0] + cw * 3.75); x++) dark += luminance_u32(pixel(&im, x, y)) < 100;
        }
        MC_CHECK(white > 10, "white text on the darkest cell (%ld near-white pixels)", white);
        MC_CHECK(dark > 10, "black text on a pale cell (%ld dark pixels)", dark);
        image_free(&im);
    }
    /* viridis: the largest is the brightest; row-normalised; doubles with a NaN cell */
    double vals[6] = {0.5, 2.5, NAN, 1.0, 0.0, 4.0};
    mc_plot_init(&p, MC_PLOT_KIND_HEATMAP);
    p.title = "Shares";
    p.heatmap.values = vals;
    p.heatmap.rows = 2;
    p.heatmap.cols = 3;
    p.heatmap.cmap = MC_PLOT_CMAP_VIRIDIS;
    p.heatmap.row_normalize = true;
    png = render_all(&p, "heatmap_viridis", &st);
    MC_CHECK(st.n_drawn == 5 && st.n_skipped == 1, "NaN cell counted (%lld drawn, %lld skipped)",
             (long long)st.n_drawn, (long long)st.n_skipped);
    MC_CHECK(image_load(png, &im), "read back %s", png);
    if (im.s) {
        double *a = st.area, cw = (a[2] - a[0]) / 3, ch = (a[3] - a[1]) / 2;
        /* row shares: row 0 = 1/6, 5/6, NaN; row 1 = 0.2, 0, 0.8 */
        uint32_t big = pixel(&im, (int)(a[0] + cw + 4), (int)(a[1] + 4));
        uint32_t low = pixel(&im, (int)(a[0] + cw + 4), (int)(a[1] + ch + 4));
        uint32_t nan = pixel(&im, (int)(a[0] + 2 * cw + 4), (int)(a[1] + 4));
        MC_CHECK(big == cmap_u32(MC_PLOT_CMAP_VIRIDIS, 5.0 / 6), "share 5/6 in viridis: #%06x", (unsigned)big);
        MC_CHECK(low == cmap_u32(MC_PLOT_CMAP_VIRIDIS, 0.0), "share 0 in viridis: #%06x", (unsigned)low);
        MC_CHECK(luminance_u32(big) > luminance_u32(low), "higher share is brighter in viridis");
        MC_CHECK(nan == 0xD9D9D9, "NaN cell grey: #%06x", (unsigned)nan);
        image_free(&im);
    }
    /* 40 x 40: numbers left out, names shrunk; must still render */
    int64_t many[1600];
    for (int i = 0; i < 1600; i++) many[i] = i % 41;
    mc_plot_init(&p, MC_PLOT_KIND_HEATMAP);
    p.title = "40 x 40";
    p.heatmap.counts = many;
    p.heatmap.rows = 40;
    p.heatmap.cols = 40;
    MC_CHECK_OK(mc_plot_render(&p, path_in("heatmap_40.png"), &st));
}

/* ---------------------------------------------------------------- spectrogram */

static void test_spectrogram(void) {
    /* (64, 100): -60 dB everywhere but a 0 dB block in the top-right corner (high bands, late frames) */
    enum { M = 64, F = 100 };
    static float a[M * F], b[M * F];
    for (int m = 0; m < M; m++) {
        for (int f = 0; f < F; f++) {
            a[m * F + f] = (m >= 48 && f >= 70) ? 0.0f : -60.0f;
            b[m * F + f] = -30.0f;
        }
    }
    b[5] = NAN;
    mc_plot_panel panels[2] = {{a, M, F, "original"}, {b, M, F, "reconstructed"}};
    mc_plot p;
    mc_plot_init(&p, MC_PLOT_KIND_SPECTROGRAM);
    p.title = "Log-mel: original vs reconstructed";
    p.width = 900;
    p.height = 420;
    p.spectrogram.panels = panels;
    p.spectrogram.n_panels = 2;
    mc_plot_stats st;
    const char *png = render_all(&p, "spectrogram", &st);
    MC_CHECK(st.n_drawn == 2 * M * F - 1 && st.n_skipped == 1, "one NaN counted (%lld, %lld)",
             (long long)st.n_drawn, (long long)st.n_skipped);
    image im;
    MC_CHECK(image_load(png, &im), "read back %s", png);
    if (im.s) {
        double *r = st.area, pw = r[2] - r[0], ph = r[3] - r[1];
        uint32_t hot = pixel(&im, (int)(r[0] + pw * 0.9), (int)(r[1] + ph * 0.1));
        uint32_t cold = pixel(&im, (int)(r[0] + pw * 0.2), (int)(r[1] + ph * 0.8));
        uint32_t top = cmap_u32(MC_PLOT_CMAP_MAGMA, 1.0), bottom = cmap_u32(MC_PLOT_CMAP_MAGMA, 0.0);
        MC_CHECK(hot == top, "loud top-right region = top of magma: #%06x vs #%06x", (unsigned)hot, (unsigned)top);
        MC_CHECK(cold == bottom, "quiet bottom-left = bottom of magma: #%06x vs #%06x", (unsigned)cold, (unsigned)bottom);
        /* the loud block is in the upper right only: low bands late in time are quiet */
        uint32_t low_late = pixel(&im, (int)(r[0] + pw * 0.9), (int)(r[1] + ph * 0.9));
        MC_CHECK(low_late == bottom, "low bands are drawn at the bottom (librosa orientation): #%06x", (unsigned)low_late);
        /* the second panel (shared scale -60..0) is mid-scale: -30 dB -> t = 0.5 */
        uint32_t mid = cmap_u32(MC_PLOT_CMAP_MAGMA, 0.5);
        long n_mid = count_color(&im, r[2] + 1, r[1], im.w, r[3], mid);
        MC_CHECK(n_mid > pw * ph * 0.9, "second panel on the shared scale: %ld mid-scale pixels", n_mid);
        image_free(&im);
    }
    /* seconds on x, fixed range, viridis, one panel larger than its pixels (shrunk by averaging) */
    static float big[128 * 1300];
    for (int i = 0; i < 128 * 1300; i++) big[i] = (float)(i % 1300) / 1300.0f * -80.0f;
    mc_plot_panel one = {big, 128, 1300, "30 s"};
    mc_plot_init(&p, MC_PLOT_KIND_SPECTROGRAM);
    p.title = "Long";
    p.spectrogram.panels = &one;
    p.spectrogram.n_panels = 1;
    p.spectrogram.frame_seconds = 512.0 / 22050;
    p.spectrogram.fixed_range = true;
    p.spectrogram.vmin = -80;
    p.spectrogram.vmax = 0;
    p.spectrogram.cmap = MC_PLOT_CMAP_VIRIDIS;
    MC_CHECK_OK(mc_plot_render(&p, path_in("spectrogram_long.png"), &st));
}

/* ---------------------------------------------------------------- line */

static void test_line(void) {
    enum { E = 30 };
    double hi[E], lo[E], x[E];
    for (int i = 0; i < E; i++) {
        x[i] = i + 1;
        hi[i] = 100 - i * 0.1;
        lo[i] = 10 + i * 0.1;
    }
    hi[10] = NAN;
    lo[3] = INFINITY;
    mc_plot_series s[2] = {{x, hi, E, "train recon", 0, false}, {NULL, lo, E, "val recon", 0, true}};
    mc_plot p;
    mc_plot_init(&p, MC_PLOT_KIND_LINE);
    p.title = "Losses";
    p.xlabel = "epoch";
    p.ylabel = "loss";
    p.line.series = s;
    p.line.n_series = 2;
    mc_plot_stats st;
    const char *png = render_all(&p, "line", &st);
    MC_CHECK(st.n_drawn == 2 * E - 2 && st.n_skipped == 2, "gaps counted (%lld drawn, %lld skipped)",
             (long long)st.n_drawn, (long long)st.n_skipped);
    image im;
    MC_CHECK(image_load(png, &im), "read back %s", png);
    if (im.s) {
        double *a = st.area, my = (a[1] + a[3]) / 2;
        uint32_t c0 = category_u32(0), c1 = category_u32(1);
        long up0 = count_color(&im, a[0], a[1], a[2], my, c0), dn0 = count_color(&im, a[0], my, a[2], a[3], c0);
        long up1 = count_color(&im, a[0], a[1], a[2], my, c1), dn1 = count_color(&im, a[0], my, a[2], a[3], c1);
        MC_CHECK(up0 > 100 && dn0 == 0, "high series in the upper half: %ld up, %ld down", up0, dn0);
        MC_CHECK(dn1 > 50 && up1 == 0, "low series in the lower half: %ld up, %ld down", up1, dn1);
        image_free(&im);
    }
    /* log y: <= 0 values are gaps */
    double y[5] = {1, 10, 0, 100, -5};
    mc_plot_series one = {NULL, y, 5, "kl", 3, false};
    mc_plot_init(&p, MC_PLOT_KIND_LINE);
    p.title = "Log";
    p.line.series = &one;
    p.line.n_series = 1;
    p.line.log_y = true;
    render_all(&p, "line_log", &st);
    MC_CHECK(st.n_drawn == 3 && st.n_skipped == 2, "log axis skips <= 0 (%lld drawn, %lld skipped)",
             (long long)st.n_drawn, (long long)st.n_skipped);
    /* the SVG <title> is escaped XML */
    p.title = "KL & recon <per row>";
    unsigned char *svg = NULL;
    size_t n = 0;
    MC_CHECK_OK(mc_plot_render_buffer(&p, MC_PLOT_FORMAT_SVG, &svg, &n, NULL));
    char *text = malloc(n + 1);
    if (!text) exit(1);
    if (svg) memcpy(text, svg, n);
    text[svg ? n : 0] = 0;
    MC_CHECK(strstr(text, "<title>KL &amp; recon &lt;per row&gt;</title>") != NULL, "escaped SVG title");
    free(text);
    mc_free(svg);
}

/* ---------------------------------------------------------------- bar */

static void test_bar(void) {
    /* 3 methods x 2 metrics; method 1's silhouette is negative; one value missing */
    double v[6] = {0.5, 0.9, -0.4, 0.7, 0.2, NAN};
    double e[6] = {0.05, 0.02, 0.1, NAN, 0, 0.1};
    const char *groups[] = {"k-means", "DBSCAN", "GMM"};
    const char *series[] = {"silhouette", "Davies-Bouldin"};
    bool lower[2] = {false, true};
    mc_plot p;
    mc_plot_init(&p, MC_PLOT_KIND_BAR);
    p.title = "Scores by method";
    p.ylabel = "score";
    p.note = "error bars: \xc2\xb1 1 std over 3 seeds";
    p.bar.values = v;
    p.bar.errors = e;
    p.bar.n_groups = 3;
    p.bar.n_series = 2;
    p.bar.group_names = groups;
    p.bar.series_names = series;
    p.bar.lower_is_better = lower;
    mc_plot_stats st;
    const char *png = render_all(&p, "bar", &st);
    MC_CHECK(st.n_drawn == 5 && st.n_skipped == 1, "missing bar counted (%lld, %lld)", (long long)st.n_drawn,
             (long long)st.n_skipped);
    image im;
    MC_CHECK(image_load(png, &im), "read back %s", png);
    if (im.s) {
        double *a = st.area, slot = (a[2] - a[0]) / 3;
        uint32_t c0 = category_u32(0);
        /* the zero line: the darkest row inside the area; silhouette bars go up in group 0, down in 1 */
        /* the zero line is the darkest row of a column in the gap left of the first bar (grid lines
         * are light grey) */
        int zy = -1, gx = (int)(a[0] + slot * 0.05);
        double dmin = 1e9;
        for (int y = (int)a[1] + 1; y < (int)a[3] - 1; y++) {
            double l = luminance_u32(pixel(&im, gx, y));
            if (l < dmin) { dmin = l; zy = y; }
        }
        if (dmin > 128) zy = -1;
        MC_CHECK(zy > a[1] && zy < a[3], "a zero line inside the area (y = %d)", zy);
        if (zy > 0) {
            long g0_up = count_color(&im, a[0], a[1], a[0] + slot, zy - 1, c0);
            long g0_dn = count_color(&im, a[0], zy + 2, a[0] + slot, a[3], c0);
            long g1_up = count_color(&im, a[0] + slot, a[1], a[0] + 2 * slot, zy - 1, c0);
            long g1_dn = count_color(&im, a[0] + slot, zy + 2, a[0] + 2 * slot, a[3], c0);
            MC_CHECK(g0_up > 200 && g0_dn == 0, "positive bar above zero: %ld up, %ld down", g0_up, g0_dn);
            MC_CHECK(g1_dn > 200 && g1_up == 0, "negative bar below zero: %ld up, %ld down", g1_up, g1_dn);
        }
        image_free(&im);
    }
    /* one metric, hidden values, a format */
    double one[4] = {0.31, 0.12, 0.45, 0.2};
    mc_plot_init(&p, MC_PLOT_KIND_BAR);
    p.title = "NMI";
    p.bar.values = one;
    p.bar.n_groups = 4;
    p.bar.n_series = 1;
    p.bar.value_format = "%.2f";
    render_all(&p, "bar_one", &st);
}

/* ---------------------------------------------------------------- colours and formats */

static void test_colours(void) {
    char hex[8];
    mc_plot_category_hex(0, hex);
    MC_CHECK(strcmp(hex, "#0072b2") == 0, "category 0 is Okabe-Ito blue: %s", hex);
    mc_plot_category_hex(1, hex);
    MC_CHECK(strcmp(hex, "#e69f00") == 0, "category 1 is Okabe-Ito orange: %s", hex);
    mc_plot_category_hex(-1, hex);
    MC_CHECK(strcmp(hex, "#b0b0b0") == 0, "noise is grey: %s", hex);
    /* 40 categories: all distinct and none the noise grey; deterministic */
    char seen[41][8];
    int dup = 0;
    for (int k = 0; k < 40; k++) {
        mc_plot_category_hex(k, seen[k]);
        if (strcmp(seen[k], "#b0b0b0") == 0) dup++;
        for (int j = 0; j < k; j++) dup += strcmp(seen[j], seen[k]) == 0;
    }
    mc_plot_category_hex(37, hex);
    MC_CHECK(dup == 0 && strcmp(hex, seen[37]) == 0, "40 distinct, repeatable category colours (%d clashes)", dup);
    /* matplotlib's endpoints */
    MC_CHECK(cmap_u32(MC_PLOT_CMAP_VIRIDIS, 0) == 0x440154 && cmap_u32(MC_PLOT_CMAP_VIRIDIS, 1) == 0xFDE725,
             "viridis endpoints #%06x #%06x", (unsigned)cmap_u32(MC_PLOT_CMAP_VIRIDIS, 0),
             (unsigned)cmap_u32(MC_PLOT_CMAP_VIRIDIS, 1));
    MC_CHECK(cmap_u32(MC_PLOT_CMAP_MAGMA, 0) == 0x000004 && cmap_u32(MC_PLOT_CMAP_MAGMA, 1) == 0xFCFDBF,
             "magma endpoints #%06x #%06x", (unsigned)cmap_u32(MC_PLOT_CMAP_MAGMA, 0),
             (unsigned)cmap_u32(MC_PLOT_CMAP_MAGMA, 1));
    MC_CHECK(cmap_u32(MC_PLOT_CMAP_VIRIDIS, NAN) == 0x440154 && cmap_u32(MC_PLOT_CMAP_VIRIDIS, 7) == 0xFDE725,
             "colormap clamps and maps NaN to 0");
    /* magma rises in brightness monotonically (perceptual ordering) */
    /* magma and viridis rise in brightness (Rec. 709 luma of the 8-bit entries; magma is uniform in
     * CAM02-UCS lightness, so luma may dip by rounding, never by more than 1 of 255) */
    double worst = 0;
    for (int i = 1; i < 256; i++) {
        for (int m = 0; m < 2; m++) {
            mc_plot_cmap c = m ? MC_PLOT_CMAP_VIRIDIS : MC_PLOT_CMAP_MAGMA;
            double d = luminance_u32(cmap_u32(c, (i - 1) / 256.0)) - luminance_u32(cmap_u32(c, i / 256.0));
            if (d > worst) worst = d;
        }
    }
    MC_CHECK(worst < 1.0, "colormap luma never falls by 1/255 or more (largest fall %.3f)", worst);

    mc_plot_format f;
    MC_CHECK(mc_plot_format_from_path("a/b.PNG", &f) == MC_STATUS_OK && f == MC_PLOT_FORMAT_PNG, ".PNG");
    MC_CHECK(mc_plot_format_from_path("b.svg", &f) == MC_STATUS_OK && f == MC_PLOT_FORMAT_SVG, ".svg");
    MC_CHECK(mc_plot_format_from_path("b.pdf", &f) == MC_STATUS_OK && f == MC_PLOT_FORMAT_PDF, ".pdf");
    MC_CHECK(mc_plot_format_from_path("b.png/x", &f) == MC_STATUS_INVALID_ARG, "extension of a folder");
}

/* ---------------------------------------------------------------- bad input */

/* Expect status `want` and a message containing `word`; for files, no file left behind. */
static void expect(const mc_plot *p, const char *name, mc_status want, const char *word) {
    char *path = path_in(name);
    mc_error_clear();
    mc_plot_stats st = {.n_drawn = 99};
    mc_status s = mc_plot_render(p, path, &st);
    const char *msg = mc_error_message();
    MC_CHECK(s == want && strstr(msg, word) != NULL && st.n_drawn == 0,
             "%s: status %d (want %d), message \"%s\" (want \"%s\")", name, (int)s, (int)want, msg, word);
    MC_CHECK(!file_exists(path), "%s: no file written", name);
    unsigned char *buf = (unsigned char *)"x";
    size_t len = 5;
    mc_status s2 = mc_plot_render_png_buffer(p, &buf, &len, NULL);
    MC_CHECK(s2 == (want == MC_STATUS_IO ? MC_STATUS_OK : want) && (s2 != MC_STATUS_OK ? buf == NULL && len == 0 : buf != NULL),
             "%s: buffer status %d", name, (int)s2);
    if (s2 == MC_STATUS_OK) mc_free(buf);
}

static void test_bad_input(void) {
    mc_plot p;
    float xy[4] = {NAN, 1, 2, INFINITY};
    int32_t bad_cat[2] = {0, -2};

    mc_plot_init(&p, MC_PLOT_KIND_SCATTER);
    p.scatter.xy = xy;
    p.scatter.n = 0;
    expect(&p, "s_empty.png", MC_STATUS_EMPTY, "no points");
    p.scatter.n = 2;
    expect(&p, "s_nan.png", MC_STATUS_EMPTY, "NaN/Inf");
    float ok[4] = {0, 1, 2, 3};
    p.scatter.xy = ok;
    p.scatter.category = bad_cat;
    expect(&p, "s_cat.png", MC_STATUS_INVALID_ARG, "category[1] = -2");
    p.scatter.category = NULL;
    p.scatter.xy = NULL;
    expect(&p, "s_null.png", MC_STATUS_INVALID_ARG, "xy is NULL");
    p.scatter.xy = ok;
    p.width = 10;
    expect(&p, "s_size.png", MC_STATUS_INVALID_ARG, "outside 64..8192");
    p.width = 0;
    p.font_size = NAN;
    expect(&p, "s_font.png", MC_STATUS_INVALID_ARG, "font_size");
    p.font_size = 0;
    p.kind = (mc_plot_kind)42;
    expect(&p, "s_kind.png", MC_STATUS_INVALID_ARG, "kind 42");
    p.kind = MC_PLOT_KIND_SCATTER;

    /* bad extension, unwritable path: clear status, nothing written */
    mc_error_clear();
    MC_CHECK(mc_plot_render(&p, path_in("x.gif"), NULL) == MC_STATUS_INVALID_ARG &&
                 strstr(mc_error_message(), ".png, .svg or .pdf"),
             "bad extension: \"%s\"", mc_error_message());
    MC_CHECK(!file_exists(path_in("x.gif")), "no x.gif");
    MC_CHECK(mc_plot_render(&p, path_in("noext"), NULL) == MC_STATUS_INVALID_ARG, "no extension");
    expect(&p, "no/such/dir/x.png", MC_STATUS_IO, "no/such/dir/x.png");
    MC_CHECK(mc_plot_render(NULL, path_in("n.png"), NULL) == MC_STATUS_INVALID_ARG, "NULL spec");
    MC_CHECK(mc_plot_render(&p, NULL, NULL) == MC_STATUS_INVALID_ARG, "NULL path");
    MC_CHECK(mc_plot_render_buffer(&p, MC_PLOT_FORMAT_PNG, NULL, NULL, NULL) == MC_STATUS_INVALID_ARG, "NULL buffer");
    unsigned char *b = NULL;
    size_t n = 0;
    MC_CHECK(mc_plot_render_buffer(&p, (mc_plot_format)9, &b, &n, NULL) == MC_STATUS_INVALID_ARG && !b,
             "bad format enum");

    /* heatmap */
    double vals[4] = {NAN, NAN, NAN, NAN};
    int64_t cnt[4] = {1, 2, 3, 4};
    mc_plot_init(&p, MC_PLOT_KIND_HEATMAP);
    p.heatmap.values = vals;
    p.heatmap.rows = 0;
    p.heatmap.cols = 2;
    expect(&p, "h_zero.png", MC_STATUS_EMPTY, "0 x 2");
    p.heatmap.rows = 2;
    expect(&p, "h_nan.svg", MC_STATUS_NUMERIC, "finite");
    p.heatmap.counts = cnt;
    expect(&p, "h_both.png", MC_STATUS_INVALID_ARG, "exactly one");
    p.heatmap.values = NULL;
    p.heatmap.value_format = "%s";
    expect(&p, "h_fmt.png", MC_STATUS_INVALID_ARG, "value_format");
    p.heatmap.value_format = "%.1f%% %d";
    expect(&p, "h_fmt2.png", MC_STATUS_INVALID_ARG, "value_format");
    p.heatmap.value_format = "%5.1f%%";
    MC_CHECK_OK(mc_plot_render(&p, path_in("h_fmt_ok.png"), NULL));
    double neg[4] = {1, -1, 2, 3};
    p.heatmap.counts = NULL;
    p.heatmap.values = neg;
    p.heatmap.value_format = NULL;
    p.heatmap.row_normalize = true;
    expect(&p, "h_neg.png", MC_STATUS_INVALID_ARG, "row_normalize");

    /* spectrogram */
    float nanpix[6] = {NAN, NAN, NAN, NAN, NAN, NAN};
    mc_plot_panel pn = {nanpix, 2, 3, "x"};
    mc_plot_init(&p, MC_PLOT_KIND_SPECTROGRAM);
    expect(&p, "sp_none.png", MC_STATUS_EMPTY, "no panels");
    p.spectrogram.panels = &pn;
    p.spectrogram.n_panels = 1;
    expect(&p, "sp_nan.pdf", MC_STATUS_NUMERIC, "no finite value");
    pn.rows = 0;
    expect(&p, "sp_zero.png", MC_STATUS_EMPTY, "panel 0 is 0 x 3");
    float fine[6] = {1, 2, 3, 4, 5, 6};
    mc_plot_panel pf = {fine, 2, 3, NULL};
    p.spectrogram.panels = &pf;
    p.spectrogram.fixed_range = true;
    p.spectrogram.vmin = 0;
    p.spectrogram.vmax = 0;
    expect(&p, "sp_range.png", MC_STATUS_INVALID_ARG, "vmax > vmin");

    /* line */
    double ynan[3] = {NAN, NAN, NAN};
    mc_plot_series s = {NULL, ynan, 3, "a", 0, false};
    mc_plot_init(&p, MC_PLOT_KIND_LINE);
    expect(&p, "l_none.png", MC_STATUS_EMPTY, "no series");
    p.line.series = &s;
    p.line.n_series = 1;
    expect(&p, "l_nan.png", MC_STATUS_NUMERIC, "finite");
    s.n = 0;
    expect(&p, "l_empty.png", MC_STATUS_EMPTY, "empty");
    s.n = 3;
    s.y = NULL;
    expect(&p, "l_null.png", MC_STATUS_INVALID_ARG, "y NULL");

    /* bar */
    mc_plot_init(&p, MC_PLOT_KIND_BAR);
    expect(&p, "b_none.png", MC_STATUS_EMPTY, "no bars");
    p.bar.n_groups = 2;
    p.bar.n_series = 2;
    expect(&p, "b_null.png", MC_STATUS_INVALID_ARG, "values is NULL");
    p.bar.values = vals;
    expect(&p, "b_nan.png", MC_STATUS_NUMERIC, "finite");
}


/* ---------------------------------------------------------------- any script */

/* Labels this tool's users have: a German-accented Latin name, Rabindra Sangeet in Bengali,
 * Hindustani music in Devanagari, and Chinese, Japanese kana and Korean Hangul (one CJK font). */
typedef struct script_label {
    const char *script, *text, *family;
} script_label;

static const script_label script_labels[] = {
    {"Latin", "Rock & Roll \xe2\x80\x94 M\xc3\xbcller, Bj\xc3\xb6rk", "Noto Sans"},
    {"Bengali", "রবীন্দ্রসংগীত", "Noto Sans Bengali"},
    {"Devanagari", "हिन्दुस्तानी संगीत", "Noto Sans Devanagari"},
    {"CJK", "流行音乐 ポップ 케이팝", "Noto Sans CJK"},
};
enum { N_SCRIPTS = (int)(sizeof script_labels / sizeof script_labels[0]) };

/* Dark pixels (luma < 160) in rows [y0, y1) and their horizontal extent. */
static long ink(const image *im, int y0, int y1, int *xmin, int *xmax) {
    long n = 0;
    *xmin = im->w;
    *xmax = -1;
    for (int y = y0 < 0 ? 0 : y0; y < y1 && y < im->h; y++) {
        for (int x = 0; x < im->w; x++) {
            if (luminance_u32(pixel(im, x, y)) < 160) {
                n++;
                if (x < *xmin) *xmin = x;
                if (x > *xmax) *xmax = x;
            }
        }
    }
    return n;
}

/* A figure with every script in every kind of text: title, subtitle, rotated y label, legend, row
 * names, rotated and ellipsized column names. */
static const char *scripts_rows[] = {"রবীন্দ্রসংগীত", "हिन्दुस्तानी संगीत", "流行音乐", "Rock"};
static const char *scripts_cols[] = {"ব্যান্ড সংগীত আধুনিক বাংলা গান এবং লোকগীতি", "ग़ज़ल", "演歌", "케이팝", "Jazz"};
static int64_t scripts_counts[4 * 5] = {9, 1, 0, 0, 2, 1, 8, 0, 1, 0, 0, 0, 7, 3, 1, 2, 0, 1, 1, 9};

static void scripts_figure(mc_plot *p) {
    mc_plot_init(p, MC_PLOT_KIND_HEATMAP);
    p->title = "ক্লাস্টার বনাম ধারা — 聚类与流派";
    p->subtitle = "क्लस्टर और शैली";
    p->xlabel = "ধারা (genre)";
    p->ylabel = "クラスター";
    p->width = 640;
    p->height = 480;
    p->heatmap.counts = scripts_counts;
    p->heatmap.rows = 4;
    p->heatmap.cols = 5;
    p->heatmap.row_names = scripts_rows;
    p->heatmap.col_names = scripts_cols;
}

static void test_scripts(void) {
    /* 1. every label is laid out with no missing glyph, by the Noto font of its script */
    for (int i = 0; i < N_SCRIPTS; i++) {
        const script_label *l = &script_labels[i];
        for (int bold = 0; bold < 2; bold++) {
            mc_plot_text_info info;
            MC_CHECK_OK(mc_plot_text_measure(l->text, 13, bold, &info));
            printf("  %-10s %s: %d chars, %d glyphs, %d missing, %.1f px, fonts \"%s\"\n", l->script,
                   bold ? "bold   " : "regular", info.n_chars, info.n_glyphs, info.n_missing, info.width,
                   info.families);
            MC_CHECK(info.n_missing == 0, "%s (%s): %d glyphs missing (drawn as boxes); fonts \"%s\"",
                     l->script, bold ? "bold" : "regular", info.n_missing, info.families);
            MC_CHECK(info.n_chars > 0 && info.n_glyphs > 0 && info.width > 13,
                     "%s: laid out (%d chars, %d glyphs, %.1f px)", l->script, info.n_chars, info.n_glyphs,
                     info.width);
            MC_CHECK(strstr(info.families, l->family) != NULL,
                     "%s is drawn with %s (installed by scripts/install-deps.sh): fonts used \"%s\"",
                     l->script, l->family, info.families);
        }
    }
    /* shaping happened: a conjunct is one glyph from three code points (consonant, virama,
     * consonant), where an unshaped string would have three */
    const char *conj[2] = {"क्ष", "ক্ষ"};
    for (int i = 0; i < 2; i++) {
        mc_plot_text_info info;
        MC_CHECK_OK(mc_plot_text_measure(conj[i], 13, false, &info));
        MC_CHECK(info.n_chars == 3 && info.n_glyphs < 3 && info.n_missing == 0,
                 "%s conjunct KSSA shaped: %d chars -> %d glyphs", i ? "Bengali" : "Devanagari",
                 info.n_chars, info.n_glyphs);
    }
    /* the check can fail: a private-use code point no font has is counted as missing */
    mc_plot_text_info none;
    MC_CHECK_OK(mc_plot_text_measure("a \xf4\x8f\xbf\xbd b", 13, false, &none));
    MC_CHECK(none.n_missing == 1, "U+10FFFD counted as missing: %d", none.n_missing);
    MC_CHECK(mc_plot_text_measure(NULL, 13, false, &none) == MC_STATUS_INVALID_ARG &&
                 mc_plot_text_measure("x", 500, false, &none) == MC_STATUS_INVALID_ARG &&
                 mc_plot_text_measure("x", 13, false, NULL) == MC_STATUS_INVALID_ARG,
             "text measure: NULL text, font size 500, NULL output are INVALID_ARG");

    /* 2. pixels: each label as a figure's title draws ink across its measured width, where a blank
     * title of the same layout draws none */
    float xy[6] = {0, 0, 1, 1, 2, 0.5f};
    mc_plot p;
    mc_plot_init(&p, MC_PLOT_KIND_SCATTER);
    p.width = 640;
    p.height = 360;
    p.font_size = 16;
    p.scatter.xy = xy;
    p.scatter.n = 3;
    for (int i = -1; i < N_SCRIPTS; i++) {
        p.title = i < 0 ? "   " : script_labels[i].text;
        char name[64];
        snprintf(name, sizeof name, "script_title_%d.png", i + 1);
        mc_plot_stats st;
        MC_CHECK_OK(mc_plot_render(&p, path_in(name), &st));
        image im;
        MC_CHECK(image_load(path_in(name), &im), "read back %s", name);
        if (!im.s) continue;
        /* the band above the plot area, clear of the top y tick label (centred on area.y0) */
        int xmin, xmax;
        long n = ink(&im, 0, (int)(st.area[1] - p.font_size), &xmin, &xmax);
        if (i < 0) {
            MC_CHECK(n == 0, "a blank title draws no ink in the title band (%ld dark pixels)", n);
        } else {
            mc_plot_text_info info;
            MC_CHECK_OK(mc_plot_text_measure(p.title, p.font_size * 1.35, true, &info));
            double span = xmax - xmin + 1;
            printf("  %-10s title: %ld dark pixels over %.0f px (laid out %.1f px)\n", script_labels[i].script,
                   n, span, info.width);
            MC_CHECK(n > 150, "%s title drawn: %ld dark pixels", script_labels[i].script, n);
            MC_CHECK(span > 0.7 * info.width && span < info.width + 4 &&
                         fabs((xmin + xmax) / 2.0 - p.width / 2.0) < 4,
                     "%s title's ink spans %.0f px centred at %.1f (laid out %.1f px, centre %d)",
                     script_labels[i].script, span, (xmin + xmax) / 2.0, info.width, p.width / 2);
        }
        image_free(&im);
    }

    /* 3. every kind of text in every script, in every format, byte-identical repeats */
    scripts_figure(&p);
    mc_plot_stats st;
    render_all(&p, "scripts", &st);
    MC_CHECK(st.n_drawn == 20, "scripts heatmap: 20 cells (%lld)", (long long)st.n_drawn);

    /* 4. ellipsized names are cut between whole letters: never before a combining mark, never right
     * after a virama (which would split a conjunct) */
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 64, 64);
    cairo_t *cr = cairo_create(surf);
    plot_ctx c = {.cr = cr, .w = 64, .h = 64, .fs = 13, .where = "test"};
    MC_CHECK_OK(pt_begin(&c));
    const char *longs[3] = {scripts_cols[0], "हिन्दुस्तानी शास्त्रीय संगीत और ग़ज़ल", "Müller Björk Ärzte"};
    int cuts = 0, bad = 0;
    for (int i = 0; c.text && i < 3; i++) {
        double full = pt_width(&c, longs[i]);
        for (int pct = 10; pct < 100; pct += 5) {
            double f = pct / 100.0;
            char out[PLOT_TEXT_MAX];
            pt_fit(&c, longs[i], full * f, out, sizeof out);
            size_t len = strlen(out);
            const size_t el = 3; /* "…" */
            bool ends = len >= el && memcmp(out + len - el, "\xE2\x80\xA6", el) == 0;
            size_t keep = ends ? len - el : len;
            bool prefix = strncmp(out, longs[i], keep) == 0;
            gunichar next = g_utf8_get_char(longs[i] + keep);
            gunichar last = keep ? g_utf8_get_char(g_utf8_find_prev_char(out, out + keep)) : 0;
            bool whole = !g_unichar_ismark(next) && g_unichar_combining_class(last) != 9;
            bool fits = pt_width(&c, out) <= full * f || keep == 0;
            cuts++;
            if (!(ends && prefix && whole && fits)) {
                bad++;
                printf("  bad cut of \"%s\" at %.0f%%: \"%s\"\n", longs[i], f * 100, out);
            }
        }
    }
    pt_end(&c);
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    MC_CHECK(cuts == 54 && bad == 0, "%d of %d ellipsized names cut inside a letter, unfitting or not a prefix",
             bad, cuts);
}

/* ---------------------------------------------------------------- threads */

enum { N_THREADS = 4 };

typedef struct render_job {
    const mc_plot *p;
    unsigned char *png, *svg;
    size_t n_png, n_svg;
    mc_status st;
} render_job;

static void *render_thread(void *arg) {
    render_job *j = arg;
    /* twice: the first render loads this thread's fonts, the second reuses them */
    for (int rep = 0; rep < 2; rep++) {
        mc_free(j->png);
        mc_free(j->svg);
        j->png = j->svg = NULL;
        j->st = mc_plot_render_buffer(j->p, MC_PLOT_FORMAT_PNG, &j->png, &j->n_png, NULL);
        if (j->st == MC_STATUS_OK) j->st = mc_plot_render_buffer(j->p, MC_PLOT_FORMAT_SVG, &j->svg, &j->n_svg, NULL);
        if (j->st != MC_STATUS_OK) break;
    }
    return NULL; /* the thread's font map is freed as it exits */
}

/* Renders on several threads at once (each with its own font map) give the main thread's bytes. */
static void test_threads(void) {
    mc_plot p;
    scripts_figure(&p);
    unsigned char *png = NULL, *svg = NULL;
    size_t n_png = 0, n_svg = 0;
    MC_CHECK_OK(mc_plot_render_buffer(&p, MC_PLOT_FORMAT_PNG, &png, &n_png, NULL));
    MC_CHECK_OK(mc_plot_render_buffer(&p, MC_PLOT_FORMAT_SVG, &svg, &n_svg, NULL));
    render_job jobs[N_THREADS];
    pthread_t th[N_THREADS];
    bool started[N_THREADS];
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < N_THREADS; i++) {
        jobs[i].p = &p;
        started[i] = pthread_create(&th[i], NULL, render_thread, &jobs[i]) == 0;
        MC_CHECK(started[i], "thread %d started", i);
    }
    for (int i = 0; i < N_THREADS; i++) {
        if (!started[i]) continue;
        pthread_join(th[i], NULL);
        render_job *j = &jobs[i];
        MC_CHECK(j->st == MC_STATUS_OK, "thread %d rendered (%s)", i, j->st ? mc_error_message() : "ok");
        MC_CHECK(j->png && png && j->n_png == n_png && memcmp(j->png, png, n_png) == 0,
                 "thread %d: PNG byte-identical to the main thread's (%zu vs %zu bytes)", i, j->n_png, n_png);
        MC_CHECK(j->svg && svg && j->n_svg == n_svg && memcmp(j->svg, svg, n_svg) == 0,
                 "thread %d: SVG byte-identical to the main thread's (%zu vs %zu bytes)", i, j->n_svg, n_svg);
        mc_free(j->png);
        mc_free(j->svg);
    }
    mc_free(png);
    mc_free(svg);
}

/* Another process, with other preferred languages in its environment (Pango would take a script's
 * language from them: Japanese glyph forms for Han, Assamese for Bengali), draws the same bytes. */
static void test_other_process(void) {
    mc_plot p;
    scripts_figure(&p);
    /* system() runs a shell, whose /proc/self/exe is the shell: resolve ours first */
    char cmd[1400], self[600];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    MC_CHECK(n > 0, "/proc/self/exe resolves");
    if (n <= 0) return;
    self[n] = 0;
    snprintf(cmd, sizeof cmd, "PANGO_LANGUAGE=ja:ko LANGUAGE=as:mr:ja LC_ALL=C.UTF-8 '%s' --render-scripts '%s'",
             self, dir);
    int rc = system(cmd);
    MC_CHECK(rc == 0, "child render (%s) exited %d", cmd, rc);
    const mc_plot_format fmts[2] = {MC_PLOT_FORMAT_PNG, MC_PLOT_FORMAT_SVG};
    const char *names[2] = {"child_scripts.png", "child_scripts.svg"};
    for (int i = 0; i < 2; i++) {
        unsigned char *mine = NULL;
        size_t n_mine = 0, n_child = 0;
        MC_CHECK_OK(mc_plot_render_buffer(&p, fmts[i], &mine, &n_mine, NULL));
        unsigned char *child = (unsigned char *)mc_test_read_file(path_in(names[i]), &n_child);
        MC_CHECK(child && mine && n_child == n_mine && memcmp(child, mine, n_mine) == 0,
                 "%s from a process with PANGO_LANGUAGE=ja:ko LANGUAGE=as:mr:ja: byte-identical (%zu vs %zu bytes)",
                 names[i], n_child, n_mine);
        free(child);
        mc_free(mine);
    }
}

/* The child's side of test_other_process. */
static int render_scripts_child(const char *out_dir) {
    mc_plot p;
    scripts_figure(&p);
    char path[600];
    snprintf(path, sizeof path, "%s/child_scripts.png", out_dir);
    if (mc_plot_render(&p, path, NULL) != MC_STATUS_OK) return 1;
    snprintf(path, sizeof path, "%s/child_scripts.svg", out_dir);
    if (mc_plot_render(&p, path, NULL) != MC_STATUS_OK) return 1;
    mc_plot_fonts_release();
    cairo_debug_reset_static_data();
    return 0;
}

/* ---------------------------------------------------------------- colour per category */

static void test_category_colors(void) {
    /* category 0 left, 1 right; mapped to palette 5 and 2 (e.g. the colours of the classes the two
     * clusters hold), then both to 2 */
    enum { N = 60 };
    float xy[2 * N];
    int32_t cat[N];
    for (int i = 0; i < N; i++) {
        cat[i] = i % 2;
        xy[2 * i] = cat[i] ? 10.0f + (float)(i % 7) * 0.1f : -10.0f - (float)(i % 5) * 0.1f;
        xy[2 * i + 1] = (float)(i % 11);
    }
    int32_t map[2] = {5, 2};
    mc_plot p;
    mc_plot_init(&p, MC_PLOT_KIND_SCATTER);
    p.title = "Mapped colours";
    p.scatter.xy = xy;
    p.scatter.n = N;
    p.scatter.category = cat;
    p.scatter.alpha = 1;
    p.scatter.radius = 4;
    p.scatter.category_color = map;
    p.scatter.n_category_colors = 2;
    for (int v = 0; v < 2; v++) {
        if (v == 1) map[0] = 2;
        char name[32];
        snprintf(name, sizeof name, "mapped_%d.png", v);
        mc_plot_stats st;
        MC_CHECK_OK(mc_plot_render(&p, path_in(name), &st));
        image im;
        MC_CHECK(image_load(path_in(name), &im), "read back %s", name);
        if (!im.s) continue;
        double *a = st.area, mx = (a[0] + a[2]) / 2;
        long left[6], right[6];
        for (int k = 0; k < 6; k++) {
            left[k] = count_color(&im, a[0], a[1], mx, a[3], category_u32(k));
            right[k] = count_color(&im, mx, a[1], a[2], a[3], category_u32(k));
        }
        long legend_k = count_color(&im, a[2], a[1], im.w, a[3], category_u32(map[0]));
        MC_CHECK(left[map[0]] > 200 && right[2] > 200 && left[0] == 0 && right[1] == 0 && legend_k > 10,
                 "map {%d, 2}: left in palette %d (%ld px), right in palette 2 (%ld px), none in the default "
                 "colours (%ld, %ld), legend swatch %ld px",
                 map[0], map[0], left[map[0]], right[2], left[0], right[1], legend_k);
        image_free(&im);
    }
    /* ids past the map keep their own colour; bad maps are refused */
    p.scatter.n_category_colors = 1;
    mc_plot_stats st;
    MC_CHECK_OK(mc_plot_render(&p, path_in("mapped_short.png"), &st));
    image im;
    if (image_load(path_in("mapped_short.png"), &im)) {
        double *a = st.area, mx = (a[0] + a[2]) / 2;
        long r1 = count_color(&im, mx, a[1], a[2], a[3], category_u32(1));
        MC_CHECK(r1 > 200, "an id past the map keeps palette colour k (%ld px)", r1);
        image_free(&im);
    }
    int32_t bad[2] = {0, -3};
    p.scatter.category_color = bad;
    p.scatter.n_category_colors = 2;
    expect(&p, "mapped_bad.png", MC_STATUS_INVALID_ARG, "category_color[1] = -3");
    p.scatter.category_color = NULL;
    expect(&p, "mapped_null.png", MC_STATUS_INVALID_ARG, "2 category colours");
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--render-scripts") == 0) return render_scripts_child(argv[2]);
    dir = mc_test_tmpdir("plot");
    test_colours();
    test_scatter();
    test_heatmap();
    test_spectrogram();
    test_line();
    test_bar();
    test_bad_input();
    test_scripts();
    test_threads();
    test_other_process();
    test_category_colors();
    /* drop this thread's Pango font map (it holds cairo scaled fonts), then cairo's font and surface
     * caches, so that LeakSanitizer sees only what is left */
    mc_plot_fonts_release();
    cairo_debug_reset_static_data();
    return mc_test_summary("test_plot");
}
