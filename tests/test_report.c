/* The report module: number formatting, base64, the metrics table (mean ± std, CSV round trip, JSON,
 * leaks, best marks, text table), and the HTML report of a RESULTS folder built here by hand: every
 * <img> is a data: URI that decodes to a PNG, every number equals metrics.csv, the leak warnings are
 * there, the best marks sit on the right cells. Last, headless Chromium opens the page and reports
 * that every image decoded (exit 77 = skipped when Chromium is not installed). */
#include "mc_test.h"

#include <musiclust/report.h>

#include <sys/wait.h>

/* ---------------------------------------------------------------- helpers */

static void write_text(const char *path, const char *s) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
    fputs(s, f);
    fclose(f);
}

static int count_str(const char *s, const char *needle) {
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

/* ---------------------------------------------------------------- units */

static void test_format_and_names(void) {
    char b[64];
    mc_report_format_value(0.123456, b, sizeof b);
    MC_CHECK(strcmp(b, "0.1235") == 0, "0.123456 -> %s", b);
    mc_report_format_value(NAN, b, sizeof b);
    MC_CHECK(strcmp(b, "nan") == 0, "NaN -> %s", b);
    mc_report_format_value(-0.00001, b, sizeof b);
    MC_CHECK(strcmp(b, "0.0000") == 0, "-0.00001 -> %s (no negative zero)", b);
    mc_report_format_value(1523.45678, b, sizeof b);
    MC_CHECK(strcmp(b, "1523.4568") == 0, "CH-sized value -> %s", b);
    MC_CHECK(mc_report_metric_direction("silhouette") == 1 && mc_report_metric_direction("davies_bouldin_common") == -1 &&
                 mc_report_metric_direction("ari_genre") == 1 && mc_report_metric_direction("n_clusters") == 0 &&
                 mc_report_metric_direction("noise_fraction") == 0,
             "metric directions");
    MC_CHECK(mc_report_metric_column("purity_lyrics_language") && !strcmp(mc_report_metric_column("purity_lyrics_language"), "lyrics_language") &&
                 !mc_report_metric_column("silhouette_common"),
             "label column of a metric");
}

static void test_base64(void) {
    /* RFC 4648 section 10 test vectors */
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        char *e = NULL;
        MC_CHECK_OK(mc_report_base64_encode((const unsigned char *)plain[i], strlen(plain[i]), &e));
        MC_CHECK(e && strcmp(e, enc[i]) == 0, "base64('%s') = '%s', want '%s'", plain[i], e ? e : "(null)", enc[i]);
        unsigned char *d = NULL;
        size_t n = 0;
        MC_CHECK_OK(mc_report_base64_decode(enc[i], strlen(enc[i]), &d, &n));
        MC_CHECK(d && n == strlen(plain[i]) && memcmp(d, plain[i], n) == 0, "decode('%s')", enc[i]);
        free(e);
        free(d);
    }
    unsigned char all[256], *d = NULL;
    for (int i = 0; i < 256; i++) all[i] = (unsigned char)(255 - i);
    char *e = NULL;
    size_t n = 0;
    MC_CHECK_OK(mc_report_base64_encode(all, 256, &e));
    MC_CHECK_OK(mc_report_base64_decode(e, strlen(e), &d, &n));
    MC_CHECK(n == 256 && d && memcmp(d, all, 256) == 0, "every byte value round-trips");
    free(e);
    free(d);
    d = NULL;
    MC_CHECK(mc_report_base64_decode("Zm9", 3, &d, &n) == MC_STATUS_FORMAT, "length not a multiple of 4 rejected");
    MC_CHECK(mc_report_base64_decode("Zm!v", 4, &d, &n) == MC_STATUS_FORMAT, "bad character rejected");
    MC_CHECK(mc_report_base64_decode("Zh==", 4, &d, &n) == MC_STATUS_FORMAT, "non-canonical padding bits rejected");
}

/* The table of the hand-made RESULTS folder: 4 rows x 2 levels, 2 seeds, one leaked row whose ARI
 * against genre is the highest (it must not be marked best), a DB where lower wins. */
static const char *const METRICS[] = {"silhouette", "davies_bouldin", "silhouette_common", "ari_genre", "nmi_genre",
                                      "ari_language", "n_clusters"};
enum { NM = 7, NS = 2 };

static void fill_table(mc_report_table *t) {
    MC_CHECK_OK(mc_report_table_init(t, METRICS, NM));
    /* values (NM, NS) per row: rep a, b, c(leaked genre), d with a NaN seed */
    static const double v[4][NM][NS] = {
        {{0.30, 0.32}, {1.20, 1.30}, {0.10, 0.12}, {0.40, 0.42}, {0.50, 0.52}, {0.01, 0.02}, {3, 3}},
        {{0.50, 0.54}, {0.90, 1.00}, {0.20, 0.22}, {0.45, 0.47}, {0.55, 0.57}, {0.30, 0.10}, {3, 3}},
        {{0.70, 0.72}, {0.50, 0.60}, {0.05, 0.07}, {0.90, 0.92}, {0.95, 0.93}, {0.02, 0.00}, {3, 3}},
        {{NAN, 0.10}, {2.00, NAN}, {0.15, 0.15}, {0.10, 0.12}, {0.20, 0.22}, {0.05, 0.05}, {2, 4}},
    };
    const char *names[4] = {"a-vae", "b-conv", "cvae(genre)", "d-dbscan"};
    const char *algo[4] = {"kmeans", "kmeans", "kmeans", "dbscan"};
    const char *leak[4] = {"", "", "genre", ""};
    for (int lv = 0; lv < 2; lv++)
        for (int r = 0; r < 4; r++) {
            double flat[NM * NS];
            for (int m = 0; m < NM; m++)
                for (int s = 0; s < NS; s++) flat[m * NS + s] = v[r][m][s] + (lv ? 0.001 : 0); /* track level differs slightly */
            MC_CHECK_OK(mc_report_table_add(t, r < 2 ? "easy" : "hard", names[r], algo[r], lv ? "track" : "segment",
                                            r == 3 ? 0 : 3, lv ? 10 : 40, leak[r], r == 3 ? "silhouette undefined for seed 0" : "",
                                            NS, flat));
        }
}

static void test_table(const char *dir) {
    mc_report_table t;
    fill_table(&t);
    MC_CHECK(t.n_rows == 8, "8 rows, got %d", t.n_rows);
    /* mean and population std of two values: (a+b)/2, |a-b|/2 */
    const mc_report_row *b = &t.rows[1];
    MC_CHECK(fabs(b->mean[0] - 0.52) < 1e-12 && fabs(b->std[0] - 0.02) < 1e-12, "b silhouette 0.52 ± 0.02, got %.17g ± %.17g",
             b->mean[0], b->std[0]);
    const mc_report_row *d = &t.rows[3];
    MC_CHECK(fabs(d->mean[0] - 0.10) < 1e-12 && d->std[0] == 0.0, "a NaN seed is left out of the mean: %.17g ± %.17g", d->mean[0], d->std[0]);
    MC_CHECK(isnan(d->values[0]) && d->values[1] == 0.10, "per-seed values kept (NaN included)");
    MC_CHECK(mc_report_metric_leaked(&t.rows[2], "ari_genre") && !mc_report_metric_leaked(&t.rows[2], "ari_language") &&
                 !mc_report_metric_leaked(&t.rows[2], "silhouette") && !mc_report_metric_leaked(&t.rows[1], "ari_genre"),
             "leaked metrics: genre label metrics of the cvae row only");

    /* best: per level, leaked row excluded, DB lower, no direction never */
    bool best[8 * NM];
    MC_CHECK_OK(mc_report_best(&t, best));
    MC_CHECK(best[1 * NM + 0] && !best[2 * NM + 0], "silhouette best: b (0.52), not the leaked cvae (0.71)");
    MC_CHECK(best[1 * NM + 1] && !best[2 * NM + 1], "DB best (lowest): b 0.95, not the leaked cvae 0.55");
    MC_CHECK(best[1 * NM + 3] && !best[2 * NM + 3], "ARI genre best: b, the leaked 0.91 is excluded");
    MC_CHECK(best[1 * NM + 2] && !best[3 * NM + 2], "silhouette_common best is b (0.21), not d (0.15)");
    MC_CHECK(!best[0 * NM + 6] && !best[1 * NM + 6], "n_clusters has no best");
    MC_CHECK(best[5 * NM + 0] && best[1 * NM + 0], "each level has its own best (rows 1 and 5)");
    int n_best = 0;
    for (int i = 0; i < 8 * NM; i++) n_best += best[i];
    MC_CHECK(n_best == 12, "one best per level and directed metric (2 x 6), got %d", n_best);

    /* CSV round trip: the same digits */
    char p[600];
    snprintf(p, sizeof p, "%s/metrics.csv", dir);
    MC_CHECK_OK(mc_report_table_write_csv(&t, p));
    mc_report_table r;
    MC_CHECK_OK(mc_report_table_read_csv(p, &r));
    MC_CHECK(r.n_rows == t.n_rows && r.n_metrics == t.n_metrics, "read back %d rows x %d metrics", r.n_rows, r.n_metrics);
    int diff = 0;
    for (int i = 0; i < r.n_rows && i < t.n_rows; i++)
        for (int m = 0; m < NM; m++) {
            char a1[64], a2[64];
            mc_report_format_value(t.rows[i].mean[m], a1, sizeof a1);
            mc_report_format_value(r.rows[i].mean[m], a2, sizeof a2);
            diff += strcmp(a1, a2) != 0;
            mc_report_format_value(t.rows[i].std[m], a1, sizeof a1);
            mc_report_format_value(r.rows[i].std[m], a2, sizeof a2);
            diff += strcmp(a1, a2) != 0;
        }
    MC_CHECK(diff == 0, "CSV round trip: %d values print differently", diff);
    MC_CHECK(!strcmp(r.rows[2].leaked, "genre") && !strcmp(r.rows[3].note, "silhouette undefined for seed 0") &&
                 r.rows[3].k == 0 && r.rows[4].rows == 10,
             "leaked, note, k, rows read back");
    mc_report_table_free(&r);
    /* a broken CSV names the file and the line */
    char bad[1024];
    snprintf(bad, sizeof bad, "%s/bad.csv", dir);
    write_text(bad, "task,representation,algorithm,level,k,seeds,rows,leaked,note,silhouette_mean,silhouette_std\n"
                    "easy,vae,kmeans,segment,3,2,40,,,0.1,zz\n");
    MC_CHECK(mc_report_table_read_csv(bad, &r) == MC_STATUS_FORMAT && strstr(mc_error_message(), "line 2"),
             "bad number: %s", mc_error_message());

    /* JSON: leaked flag per metric, full-precision seed values */
    snprintf(p, sizeof p, "%s/metrics.json", dir);
    MC_CHECK_OK(mc_report_table_write_json(&t, p));
    char *js = mc_test_read_file(p, NULL);
    MC_CHECK(js && count_str(js, "\"leaked\": true") == 4,
             "JSON marks 4 leaked metrics (ari/nmi genre of the cvae rows at 2 levels), found %d",
             js ? count_str(js, "\"leaked\": true") : -1);
    MC_CHECK(js && strstr(js, "\"seed_values\"") && strstr(js, "\"leaked\": [\n        \"genre\""), "JSON has seed values and the leaked list");
    free(js);

    /* text table: '*' best, '!' leaked, a legend */
    char *txt = NULL;
    MC_CHECK_OK(mc_report_text_table(&t, "segment", NULL, 0, &txt));
    MC_CHECK(txt && strstr(txt, "0.9100±0.0100!") && strstr(txt, "0.4600±0.0100*") && strstr(txt, "LEAKED: genre") &&
                 strstr(txt, "! leaked"),
             "text table marks:\n%s", txt ? txt : "");
    free(txt);
    mc_report_table_free(&t);
}

/* ---------------------------------------------------------------- a RESULTS folder by hand */

static void write_npy(const char *path, int ndim, const int64_t *shape, const float *data) {
    MC_CHECK_OK(mc_npy_write(path, MC_DTYPE_F32, ndim, shape, data));
}

static void build_results(const char *dir) {
    char p[1024];
    const char *sub[] = {"features", "embed", "assign", "contingency", "recon", "models"};
    for (int i = 0; i < 6; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, sub[i]);
        MC_CHECK_OK(mc_mkdirs(p));
    }
    mc_report_table t;
    fill_table(&t);
    snprintf(p, sizeof p, "%s/metrics.csv", dir);
    MC_CHECK_OK(mc_report_table_write_csv(&t, p));
    mc_report_table_free(&t);
    snprintf(p, sizeof p, "%s/summary.tsv", dir);
    write_text(p, "key\tvalue\nmain_label\tgenre\nevaluated_columns\tgenre;language\nk\t3\nk_source\tclasses of genre\n"
                  "seeds\t2 (0..1)\nfirst_seed\t0\nnote\tThe conv-vae was limited by the sample budget.\n");
    snprintf(p, sizeof p, "%s/representations.tsv", dir);
    write_text(p, "id\tname\ttasks\tmodel\tinput\tleaked\tshow\tepochs\tnote\tdescription\n"
                  "a\ta-vae\teasy\tvae\tvectors\t\t1\t5\t\tan MLP VAE\n"
                  "b\tb-conv\teasy\tconv-vae\tlogmel\t\t0\t2\tlimited\ta conv VAE\n"
                  "c\tcvae(genre)\thard\tcvae\tvectors\tgenre\t1\t5\t\tconditioned on genre\n"
                  "d\td-dbscan\thard\t\tvectors\t\t0\t0\t\tDBSCAN baseline\n");
    snprintf(p, sizeof p, "%s/timings.tsv", dir);
    write_text(p, "stage\tstatus\tseconds\tseconds_when_computed\nextract\tran\t1.00\t1.00\n");
    /* 40 segments of 10 tracks, 3 genres, 2 languages */
    const int N = 40;
    FILE *f;
    snprintf(p, sizeof p, "%s/features/index.tsv", dir);
    f = fopen(p, "w");
    fputs("segment\ttrack\tpath\tstart_s\tpadded\tgenre\tlanguage\n", f);
    for (int i = 0; i < N; i++)
        fprintf(f, "%d\t%d\tx/%d.wav\t%d\t0\t%s\t%s\n", i, i / 4, i / 4, 3 * (i % 4), (i / 4) % 3 == 0 ? "jazz" : (i / 4) % 3 == 1 ? "rock" : "folk",
                (i / 4) % 2 ? "en" : "de");
    fclose(f);
    snprintf(p, sizeof p, "%s/features/tracks.tsv", dir);
    f = fopen(p, "w");
    fputs("track\ttrack_id\tpath\tduration_s\tsample_rate\tchannels\tformat\tsegments\tgenre\tlanguage\n", f);
    for (int t = 0; t < 10; t++)
        fprintf(f, "%d\tt%d\tx/%d.wav\t12\t22050\t1\twav\t4\t%s\t%s\n", t, t, t, t % 3 == 0 ? "jazz" : t % 3 == 1 ? "rock" : "folk",
                t % 2 ? "en" : "de");
    fclose(f);
    snprintf(p, sizeof p, "%s/features/skipped.tsv", dir);
    write_text(p, "path\treason\nx/broken.wav\tnot an audio file\n");
    /* maps and assignments of the two shown representations */
    float xy[80], ex[4 * 16 * 32], rec[4 * 16 * 32], v[4 * 8], vr[4 * 8];
    for (int i = 0; i < N; i++) {
        xy[2 * i] = (float)((i / 4) % 3) * 5.0f + 0.1f * (float)(i % 4);
        xy[2 * i + 1] = (float)(i % 7) * 0.5f;
    }
    const char *ids[2] = {"a", "c"};
    for (int r = 0; r < 2; r++) {
        int64_t sh[2] = {N, 2};
        snprintf(p, sizeof p, "%s/embed/%s.tsne.npy", dir, ids[r]);
        write_npy(p, 2, sh, xy);
        snprintf(p, sizeof p, "%s/embed/%s.umap.npy", dir, ids[r]);
        write_npy(p, 2, sh, xy);
        snprintf(p, sizeof p, "%s/assign/%s.kmeans.seed0.tsv", dir, ids[r]);
        f = fopen(p, "w");
        fputs("row\tcluster\n", f);
        for (int i = 0; i < N; i++) fprintf(f, "%d\t%d\n", i, (i / 4) % 3);
        fclose(f);
        snprintf(p, sizeof p, "%s/contingency/%s.kmeans.genre.tsv", dir, ids[r]);
        write_text(p, "cluster\tfolk\tjazz\trock\n0\t0\t16\t0\n1\t0\t0\t12\n2\t12\t0\t0\n");
        snprintf(p, sizeof p, "%s/contingency/%s.kmeans.language.tsv", dir, ids[r]);
        write_text(p, "cluster\tde\ten\n0\t8\t8\n1\t4\t8\n2\t8\t4\n");
        snprintf(p, sizeof p, "%s/models/%s.seed0.loss.tsv", dir, ids[r]);
        write_text(p, "epoch\trecon\tkl\ttotal\n1\t10\t1\t11\n2\t6\t1\t7\n3\t5\t1\t6\n");
    }
    for (int i = 0; i < 4 * 16 * 32; i++) {
        ex[i] = -80.0f + (float)(i % 512) / 8.0f;
        rec[i] = ex[i] * 0.9f;
    }
    /* the reconstructions of b (log-mel) and a (MFCC statistics): found through representations.tsv */
    int64_t s3[3] = {4, 16, 32}, s2[2] = {4, 8};
    snprintf(p, sizeof p, "%s/recon/b.original.npy", dir);
    write_npy(p, 3, s3, ex);
    snprintf(p, sizeof p, "%s/recon/b.recon.npy", dir);
    write_npy(p, 3, s3, rec);
    for (int i = 0; i < 32; i++) {
        v[i] = (float)(i % 8) - 3.0f;
        vr[i] = v[i] * 0.8f;
    }
    snprintf(p, sizeof p, "%s/recon/a.original.npy", dir);
    write_npy(p, 2, s2, v);
    snprintf(p, sizeof p, "%s/recon/a.recon.npy", dir);
    write_npy(p, 2, s2, vr);
    snprintf(p, sizeof p, "%s/recon/examples.tsv", dir);
    write_text(p, "example\trow\ttrack\tlabel\n0\t0\t0\tjazz\n1\t4\t1\trock\n2\t8\t2\tfolk\n3\t12\t3\tjazz\n");
}

/* Every <img src="data:image/png;base64,..."> decodes to a PNG; returns the number of images. */
static int check_images(const char *html) {
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    int n = 0, bad = 0;
    for (const char *p = html; (p = strstr(p, "<img")); p += 4) {
        n++;
        const char *src = strstr(p, "src=\"");
        const char *end = strchr(p, '>');
        if (!src || !end || src > end || strncmp(src + 5, "data:image/png;base64,", 22) != 0) {
            bad++;
            continue;
        }
        const char *b = src + 5 + 22, *q = strchr(b, '"');
        unsigned char *d = NULL;
        size_t len = 0;
        if (!q || mc_report_base64_decode(b, (size_t)(q - b), &d, &len) != MC_STATUS_OK || len < 8 || memcmp(d, sig, 8) != 0)
            bad++;
        free(d);
    }
    MC_CHECK(n > 0 && bad == 0, "%d of %d <img> are not a base64 PNG data: URI", bad, n);
    return n;
}

/* Every metric cell (data-row, data-metric) shows the CSV's numbers; returns the cells checked. */
static int check_numbers(const char *html, const mc_report_table *t, int *best_cells, int *best_wrong, int *leak_cells) {
    int cells = 0, wrong = 0;
    *best_cells = *best_wrong = *leak_cells = 0;
    bool *best = malloc((size_t)t->n_rows * (size_t)t->n_metrics * sizeof *best);
    mc_report_best(t, best);
    for (const char *p = html; (p = strstr(p, "<td class=\"num")); p += 10) {
        const char *tag_end = strchr(p, '>');
        const char *dr = strstr(p, "data-row=\""), *dm = strstr(p, "data-metric=\"");
        if (!tag_end || !dr || !dm || dr > tag_end || dm > tag_end) continue; /* a timings cell */
        int row = atoi(dr + 10);
        char metric[128];
        const char *me = strchr(dm + 13, '"');
        snprintf(metric, sizeof metric, "%.*s", (int)(me - dm - 13), dm + 13);
        int m = mc_report_table_metric(t, metric);
        const char *cell_end = strstr(p, "</td>");
        const char *mean = strstr(p, "<span class=\"mean\">"), *sd = strstr(p, "<span class=\"std\">");
        if (row < 0 || row >= t->n_rows || m < 0 || !mean || mean > cell_end) {
            wrong++;
            continue;
        }
        char want[64], got[64];
        mc_report_format_value(t->rows[row].mean[m], want, sizeof want);
        snprintf(got, sizeof got, "%.*s", (int)strcspn(mean + 19, "<"), mean + 19);
        if (strcmp(want, got) != 0) {
            wrong++;
            fprintf(stderr, "  row %d %s: report %s, metrics.csv %s\n", row, metric, got, want);
        }
        if (sd && sd < cell_end) {
            mc_report_format_value(t->rows[row].std[m], want, sizeof want);
            snprintf(got, sizeof got, "%.*s", (int)strcspn(sd + 18, "<"), sd + 18);
            if (strcmp(want, got) != 0) {
                wrong++;
                fprintf(stderr, "  row %d %s std: report %s, metrics.csv %s\n", row, metric, got, want);
            }
        }
        bool marked = strstr(p, "data-best=\"1\"") && strstr(p, "data-best=\"1\"") < tag_end;
        bool should = best[(size_t)row * (size_t)t->n_metrics + (size_t)m];
        if (marked) (*best_cells)++;
        if (marked != should) (*best_wrong)++;
        if (marked && t->rows[row].leaked[0]) (*best_wrong)++; /* never on a leaked row */
        bool leak_class = strstr(p, "leakcell") && strstr(p, "leakcell") < tag_end;
        if (leak_class) (*leak_cells)++;
        if (leak_class != mc_report_metric_leaked(&t->rows[row], metric)) wrong++;
        cells++;
    }
    free(best);
    MC_CHECK(wrong == 0, "%d report cells differ from metrics.csv (or misflag a leak)", wrong);
    return cells;
}

static void test_html(const char *dir) {
    build_results(dir);
    char p[1024];
    snprintf(p, sizeof p, "%s/report.html", dir);
    mc_report_summary sum;
    MC_CHECK_OK(mc_report_html(dir, NULL, &sum));
    size_t len = 0;
    char *html = mc_test_read_file(p, &len);
    MC_CHECK(html != NULL && (int64_t)len == sum.bytes, "report.html written (%zu bytes)", len);
    if (!html) return;
    /* images: 2 shown reps x (t-SNE, UMAP) x (cluster, label) + 2 x 2 heatmaps + 4 log-mel + 4 MFCC + 1 loss
     * + one bar chart per directed metric with a finite value (6) */
    int imgs = check_images(html);
    MC_CHECK(imgs == sum.images && imgs == 8 + 4 + 4 + 4 + 1 + 6 && sum.figures_missing == 0,
             "%d images (summary %d, missing %d), want 27", imgs, sum.images, sum.figures_missing);
    /* self-contained: no external resource */
    MC_CHECK(!strstr(html, "http://") && !strstr(html, "https://") && !strstr(html, "<link") &&
                 !strstr(html, "<script src") && !strstr(html, "url("),
             "no external URL, stylesheet or script");
    /* the numbers */
    mc_report_table t;
    snprintf(p, sizeof p, "%s/metrics.csv", dir);
    MC_CHECK_OK(mc_report_table_read_csv(p, &t));
    int best_cells = 0, best_wrong = 0, leak_cells = 0;
    int cells = check_numbers(html, &t, &best_cells, &best_wrong, &leak_cells);
    /* summary tables (4 internal-like + ari/nmi/purity genre minus purity absent + ari language) and the full tables */
    MC_CHECK(cells >= 8 * NM, "%d metric cells checked (the full tables alone have %d)", cells, 8 * NM);
    MC_CHECK(best_wrong == 0 && best_cells > 0, "best marks: %d cells, %d misplaced", best_cells, best_wrong);
    MC_CHECK(leak_cells > 0, "leaked cells flagged (%d)", leak_cells);
    /* leak warnings */
    MC_CHECK(strstr(html, "class=\"leakbox\"") && strstr(html, "<li class=\"leakwarn\"><b>cvae(genre)</b>") &&
                 strstr(html, "leaked column(s) <b>genre</b>"),
             "the leak warning names the row and the column");
    MC_CHECK(count_str(html, "<tr class=\"leaked\"") >= 4, "leaked rows flagged in the tables (%d)", count_str(html, "<tr class=\"leaked\""));
    /* dataset and notes */
    MC_CHECK(strstr(html, "<b>10</b> tracks") && strstr(html, "<b>40</b> segments") && strstr(html, "x/broken.wav") &&
                 strstr(html, "not an audio file") && strstr(html, "folk 3, jazz 4, rock 3"),
             "dataset: tracks, segments, skipped file with reason, class counts");
    MC_CHECK(strstr(html, "limited by the sample budget"), "the run's notes are shown");
    MC_CHECK(strstr(html, "data-images-loaded") && strstr(html, "naturalWidth"), "the image check script is inline");
    free(html);
    mc_report_table_free(&t);

    /* a missing input leaves a note, never an error */
    snprintf(p, sizeof p, "%s/embed/a.umap.npy", dir);
    remove(p);
    MC_CHECK_OK(mc_report_html(dir, NULL, &sum));
    MC_CHECK(sum.figures_missing == 1 && sum.images == 27 - 2, "one map missing: %d missing, %d images", sum.figures_missing, sum.images);
    /* no metrics.csv: an error naming it */
    char empty[1024];
    snprintf(empty, sizeof empty, "%s/empty", dir);
    mc_mkdirs(empty);
    MC_CHECK(mc_report_html(empty, NULL, &sum) == MC_STATUS_IO && strstr(mc_error_message(), "metrics.csv"),
             "no metrics.csv: %s", mc_error_message());
}

/* Headless Chromium: the page renders and every image decoded (naturalWidth > 0). A page with one
 * corrupt image must report one image short, so the check can fail. */
static int chromium_loaded(const char *html_path, int *ok, int *total) {
    char cmd[2048], abs[1024];
    if (!realpath(html_path, abs)) return -1;
    snprintf(cmd, sizeof cmd,
             "d=$(mktemp -d) && timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
             "--disable-background-networking --disable-component-update --disable-sync --user-data-dir=\"$d\" "
             "--virtual-time-budget=5000 --dump-dom 'file://%s' > report_dom.html 2>/dev/null; rc=$?; rm -rf \"$d\"; exit $rc",
             abs);
    int rc = system(cmd);
    if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 0) return -1;
    char *dom = mc_test_read_file("report_dom.html", NULL);
    const char *a = dom ? strstr(dom, "data-images-loaded=\"") : NULL;
    int r = a && sscanf(a + 20, "%d/%d", ok, total) == 2 ? 0 : -1;
    free(dom);
    return r;
}

static bool have_chromium(void) { return system("command -v chromium >/dev/null 2>&1") == 0; }

static void test_chromium(const char *dir) {
    char p[1024];
    snprintf(p, sizeof p, "%s/report.html", dir);
    char *html = mc_test_read_file(p, NULL);
    const int n_img = html ? count_str(html, "<img") : 0;
    int ok = -1, total = -1;
    MC_CHECK(chromium_loaded(p, &ok, &total) == 0, "chromium --dump-dom of %s", p);
    printf("  chromium: %d of %d images loaded (the file has %d)\n", ok, total, n_img);
    MC_CHECK(ok == total && total == n_img && n_img > 0, "every image rendered: %d/%d, file has %d", ok, total, n_img);
    /* negative control: corrupt the first image's PNG bytes (still valid base64) */
    if (html) {
        char *b = strstr(html, "base64,");
        if (b) memcpy(b + 7, "AAAAAAAAAAAA", 12); /* the PNG signature becomes zeros */
        char bad[1024];
        snprintf(bad, sizeof bad, "%s/report_broken.html", dir);
        write_text(bad, html);
        ok = total = -1;
        MC_CHECK(chromium_loaded(bad, &ok, &total) == 0, "chromium on the broken page");
        MC_CHECK(total == n_img && ok == n_img - 1, "a corrupt image is detected: %d/%d", ok, total);
    }
    free(html);
}

/* ---------------------------------------------------------------- ASSIGN.tsv and the layout */

static void test_assign_and_layout(const char *dir) {
    char p[1024];
    snprintf(p, sizeof p, "%s/a.tsv", dir);
    const int32_t cl[5] = {0, 2, -1, 1, 2};
    MC_CHECK_OK(mc_report_assign_write(p, cl, 5));
    char *text = mc_test_read_file(p, NULL);
    MC_CHECK(text && !strcmp(text, "row\tcluster\n0\t0\n1\t2\n2\t-1\n3\t1\n4\t2\n"), "ASSIGN.tsv bytes: %s", text ? text : "");
    free(text);
    int32_t back[5] = {9, 9, 9, 9, 9};
    MC_CHECK_OK(mc_report_assign_read(p, 5, "X", back));
    MC_CHECK(!memcmp(back, cl, sizeof cl), "ASSIGN.tsv reads back");
    /* lines in any order with a row column; errors name the file and the line */
    write_text(p, "cluster\trow\n4\t1\n3\t0\n");
    MC_CHECK_OK(mc_report_assign_read(p, 2, "X", back));
    MC_CHECK(back[0] == 3 && back[1] == 4, "rows placed by the row column: %d %d", back[0], back[1]);
    MC_CHECK(mc_report_assign_read(p, 3, "X", back) == MC_STATUS_FORMAT && strstr(mc_error_message(), "has 2 rows but X has 3"),
             "row count: %s", mc_error_message());
    write_text(p, "row\tcluster\n0\t1\n0\t2\n");
    MC_CHECK(mc_report_assign_read(p, 2, "X", back) == MC_STATUS_FORMAT && strstr(mc_error_message(), "line 3: row '0'"),
             "repeated row: %s", mc_error_message());
    write_text(p, "row\tcluster\n0\t-2\n");
    MC_CHECK(mc_report_assign_read(p, 1, "X", back) == MC_STATUS_FORMAT && strstr(mc_error_message(), "line 2: cluster '-2'"),
             "cluster below -1: %s", mc_error_message());
    write_text(p, "row\tlabel\n0\t1\n");
    MC_CHECK(mc_report_assign_read(p, 1, "X", back) == MC_STATUS_FORMAT && strstr(mc_error_message(), "no 'cluster' column"),
             "no cluster column: %s", mc_error_message());
    /* every path of a results folder, relative (stage records) and inside the folder */
    struct {
        char *got;
        const char *want;
    } paths[] = {
        {mc_report_path_latent(NULL, "vae", true, 2), "latents/vae.seed2.npy"},
        {mc_report_path_latent("R", "raw", false, 2), "R/latents/raw.npy"},
        {mc_report_path_assign("R", "vae", "kmeans", 0), "R/assign/vae.kmeans.seed0.tsv"},
        {mc_report_path_contingency(NULL, "cvae", "dbscan", "genre"), "contingency/cvae.dbscan.genre.tsv"},
        {mc_report_path_embed("R", "vae", "umap"), "R/embed/vae.umap.npy"},
        {mc_report_path_model("R", "ae", 1), "R/models/ae.seed1.safetensors"},
        {mc_report_path_loss(NULL, "ae", 1), "models/ae.seed1.loss.tsv"},
        {mc_report_path_recon("R", "vae", "original"), "R/recon/vae.original.npy"},
        {mc_report_path_recon("R", NULL, NULL), "R/recon/examples.tsv"},
        {mc_report_path_stage("R", "model.vae.seed0"), "R/stages/model.vae.seed0.tsv"},
        {mc_report_path("R", MC_REPORT_METRICS_CSV), "R/metrics.csv"},
    };
    int wrong = 0;
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        if (!paths[i].got || strcmp(paths[i].got, paths[i].want)) {
            wrong++;
            fprintf(stderr, "  path %s, want %s\n", paths[i].got ? paths[i].got : "(null)", paths[i].want);
        }
        free(paths[i].got);
    }
    MC_CHECK(wrong == 0, "results-folder paths: %d wrong", wrong);
    int nf = 0;
    const char *const *folders = mc_report_folders(&nf);
    MC_CHECK(nf == 8 && !strcmp(folders[0], "stages") && !strcmp(folders[7], "recon"), "%d folders", nf);
}

int main(void) {
    const char *dir = mc_test_tmpdir("report");
    test_format_and_names();
    test_base64();
    test_table(dir);
    test_assign_and_layout(dir);
    char results[600];
    snprintf(results, sizeof results, "%.500s/results", dir);
    mc_mkdirs(results);
    test_html(results);
    int rc = mc_test_summary("test_report (self-contained part)");
    if (rc) return rc;
    /* chromium is one of the packages scripts/install-deps.sh installs (make test runs it), so its
     * absence is a broken setup: a failure, not a skip. */
    MC_CHECK(have_chromium(), "chromium is not installed (scripts/install-deps.sh installs it); the page could not be rendered");
    if (!have_chromium()) return mc_test_summary("test_report");
    test_chromium(results);
    return mc_test_summary("test_report");
}
