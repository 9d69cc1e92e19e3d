/* The pipeline: task parsing, the silhouette k sweep (library and `musiclust cluster`), and a small
 * end-to-end `run` on a tiny synthesized corpus (10 tracks of 6 s, 2 seeds, --fast epochs): every
 * stage's outputs, one metrics.csv row per representation x algorithm x level with mean ± std over the
 * seeds (recomputed here from the latents and assignments), the leaked column on the cvae rows, the
 * common-space metrics, resumability (a second run redoes nothing; a deleted output redoes one stage),
 * determinism (a fresh folder gives a byte-identical metrics.csv), report.html numbers equal to
 * metrics.csv, and `musiclust evaluate --leaked --common-space` agreeing with the run. */
#include "mc_test.h"

#include <musiclust/embed.h>
#include <musiclust/metrics.h>
#include <musiclust/pipeline.h>
#include <musiclust/report.h>

#include <sys/stat.h>
#include <sys/wait.h>

static int run_cli(const char *args, char *err, size_t cap) { return mc_test_cli("pipeline", args, err, cap); }

static bool exists(const char *dir, const char *rel) {
    char p[2048];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0;
}

static int64_t mtime_ns(const char *dir, const char *rel) {
    char p[2048];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    struct stat sb;
    if (stat(p, &sb) != 0) return -1;
    return (int64_t)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
}

/* ---------------------------------------------------------------- tasks and k */

static void test_tasks(void) {
    unsigned t = 0;
    MC_CHECK_OK(mc_pipeline_parse_tasks("all", &t));
    MC_CHECK(t == MC_PIPELINE_TASK_ALL, "all = %u", t);
    MC_CHECK_OK(mc_pipeline_parse_tasks("easy,hard", &t));
    MC_CHECK(t == (MC_PIPELINE_TASK_EASY | MC_PIPELINE_TASK_HARD), "easy,hard = %u", t);
    MC_CHECK(mc_pipeline_parse_tasks("medum", &t) == MC_STATUS_INVALID_ARG && strstr(mc_error_message(), "medum"),
             "a typo is named: %s", mc_error_message());
}

/* Three tight blobs in 2-D: the sweep must choose k = 3, the same through the CLI. */
static void test_choose_k(const char *dir) {
    enum { N = 90 };
    float X[N * 2];
    mc_rng r;
    mc_rng_seed(&r, 5, 0);
    for (int i = 0; i < N; i++) {
        int c = i % 3;
        X[2 * i] = (float)(c * 10 + 0.5 * mc_rng_normal(&r));
        X[2 * i + 1] = (float)((c == 1 ? 8 : 0) + 0.5 * mc_rng_normal(&r));
    }
    mc_cluster_config cc;
    mc_cluster_config_default(&cc);
    cc.threads = 2;
    mc_ksweep sw;
    MC_CHECK_OK(mc_pipeline_choose_k(&cc, X, N, 2, 8, 0, NULL, &sw));
    MC_CHECK(sw.chosen_k == 3 && sw.n_points == 7 && sw.points[0].k == 2 && sw.points[1].silhouette > 0.8,
             "blobs: k = %d of %d points, silhouette(3) = %.3f", sw.chosen_k, sw.n_points,
             sw.n_points > 1 ? sw.points[1].silhouette : NAN);
    MC_CHECK(sw.best.k == 3 && sw.best.labels && sw.silhouette_rows == N, "the kept clustering is k = 3 on every row");
    /* the k-sweep table: written and read back to the bit, nan where a value does not apply */
    char kp[1024];
    snprintf(kp, sizeof kp, "%s/ksweep.tsv", dir);
    MC_CHECK_OK(mc_pipeline_ksweep_write(kp, &sw));
    mc_ksweep back;
    MC_CHECK_OK(mc_pipeline_ksweep_read(kp, &back));
    int same_back = back.n_points == sw.n_points;
    for (int i = 0; same_back && i < sw.n_points; i++)
        same_back = back.points[i].k == sw.points[i].k && back.points[i].silhouette == sw.points[i].silhouette &&
               back.points[i].inertia == sw.points[i].inertia && isnan(back.points[i].bic);
    MC_CHECK(same_back, "k-sweep table round trip (%d points)", back.n_points);
    mc_pipeline_ksweep_free(&back);
    mc_pipeline_ksweep_free(&sw);
    /* agglomerative sweeps one tree, sampled silhouettes are allowed */
    cc.algo = MC_CLUSTER_ALGO_AGGLOMERATIVE;
    MC_CHECK_OK(mc_pipeline_choose_k(&cc, X, N, 2, 6, 30, NULL, &sw));
    MC_CHECK(sw.chosen_k == 3 && sw.silhouette_rows == 30 && sw.best.tree.n == N, "agglomerative sweep: k = %d", sw.chosen_k);
    mc_pipeline_ksweep_free(&sw);
    /* errors */
    float same[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    cc.algo = MC_CLUSTER_ALGO_KMEANS;
    MC_CHECK(mc_pipeline_choose_k(&cc, same, 5, 2, 8, 0, NULL, &sw) == MC_STATUS_INVALID_ARG &&
                 strstr(mc_error_message(), "1 distinct value"),
             "identical rows: %s", mc_error_message());
    cc.algo = MC_CLUSTER_ALGO_DBSCAN;
    MC_CHECK(mc_pipeline_choose_k(&cc, X, N, 2, 8, 0, NULL, &sw) == MC_STATUS_INVALID_ARG, "DBSCAN has no k to choose");
    /* the CLI uses the same sweep */
    char p[1024], args[4096], err[4096];
    snprintf(p, sizeof p, "%s/blobs.npy", dir);
    int64_t shape[2] = {N, 2};
    MC_CHECK_OK(mc_npy_write(p, MC_DTYPE_F32, 2, shape, X));
    snprintf(args, sizeof args, "cluster --threads 2 '%s' -o '%s/blobs.tsv'", p, dir);
    MC_CHECK(run_cli(args, err, sizeof err) == 0, "cluster sweep exits 0: %s", err);
    char *out = mc_test_read_file("pipeline_stdout.txt", NULL);
    MC_CHECK(out && strstr(out, "k=2 silhouette=") && strstr(out, "k=8 silhouette=") && strstr(out, "k = 3 (chosen by silhouette)"),
             "cluster prints the sweep and chooses 3:\n%s", out ? out : "");
    free(out);
    snprintf(p, sizeof p, "%s/blobs.json", dir);
    char *js = mc_test_read_file(p, NULL);
    MC_CHECK(js && strstr(js, "\"chosen_k\": 3"), "ASSIGN.json records chosen_k 3");
    free(js);
}

/* The label columns scored by default (pipeline.h): the named ones with 2..N/2 classes, the main one
 * first; without any named one, every label column with 2..N/2 classes. */
static void test_label_columns(const char *dir) {
    char p[1024];
    snprintf(p, sizeof p, "%s/labels", dir);
    mc_mkdirs(p);
    snprintf(p, sizeof p, "%s/labels/index.tsv", dir);
    FILE *f = fopen(p, "w");
    fputs("segment\ttrack\tpath\tstart_s\tpadded\tmood\tlanguage\tgenre\tid\tstyle\n", f);
    for (int i = 0; i < 8; i++)
        fprintf(f, "%d\t%d\tx/%d.wav\t0\t0\t%s\t%s\t%s\tt%d\tfolk\n", i, i / 2, i / 2, i % 3 ? "calm" : "wild",
                (i / 2) % 2 ? "en" : "de", i < 4 ? "rock" : "jazz", i);
    fclose(f);
    mc_store s;
    MC_CHECK_OK(mc_store_open_index(p, &s));
    const char *cols[8];
    int n = 0;
    mc_pipeline_label_columns(&s, NULL, cols, 8, &n);
    MC_CHECK(n == 2 && !strcmp(cols[0], "genre") && !strcmp(cols[1], "language"),
             "named columns in the rule's order, style (1 class) and mood (not named) out: %d", n);
    mc_pipeline_label_columns(&s, "mood", cols, 8, &n);
    MC_CHECK(n == 3 && !strcmp(cols[0], "mood"), "the main label first: %d %s", n, n ? cols[0] : "");
    mc_score_labels L;
    MC_CHECK_OK(mc_pipeline_score_labels(&s, NULL, 0, true, &L));
    MC_CHECK(L.n_cols == 2 && L.n_tracks == 4 && L.track_of[7] == 3 && L.track_codes[0][0] == L.codes[0][0],
             "labels: %d columns, %lld tracks", L.n_cols, (long long)L.n_tracks);
    mc_pipeline_score_labels_free(&L);
    const char *bad[1] = {"colour"};
    MC_CHECK(mc_pipeline_score_labels(&s, bad, 1, false, &L) == MC_STATUS_FORMAT && strstr(mc_error_message(), "no column 'colour'") &&
                 strstr(mc_error_message(), "mood, language, genre, id, style"),
             "an unknown column names the label columns: %s", mc_error_message());
    const char *mood[1] = {"mood"}; /* two segments of a track disagree */
    MC_CHECK(mc_pipeline_score_labels(&s, mood, 1, true, &L) == MC_STATUS_FORMAT &&
                 strstr(mc_error_message(), "line 3: track '0' has segments with different 'mood' labels"),
             "a track with two labels: %s", mc_error_message());
    mc_store_close(&s);
    /* no named column: every column with 2..N/2 classes (mood 2, id 8 > N/2 out) */
    f = fopen(p, "w");
    fputs("segment\ttrack\tpath\tstart_s\tpadded\tmood\tid\n", f);
    for (int i = 0; i < 8; i++) fprintf(f, "%d\t%d\tx.wav\t0\t0\t%s\tt%d\n", i, i, i % 2 ? "calm" : "wild", i);
    fclose(f);
    MC_CHECK_OK(mc_store_open_index(p, &s));
    mc_pipeline_label_columns(&s, NULL, cols, 8, &n);
    MC_CHECK(n == 1 && !strcmp(cols[0], "mood"), "fallback: every label column with 2..N/2 classes (%d)", n);
    mc_store_close(&s);
}

/* ---------------------------------------------------------------- the end-to-end run */

static const struct {
    const char *rep, *algo;
} EXPECTED[] = {
    {"vae", "kmeans"},
    {"pca", "kmeans"},
    {"conv-vae", "kmeans"},
    {"conv-vae", "agglomerative"},
    {"conv-vae", "dbscan"},
    {"conv-vae+lyrics(concat)", "kmeans"},
    {"conv-vae+lyrics(concat)", "agglomerative"},
    {"conv-vae+lyrics(concat)", "dbscan"},
    {"mm-vae", "kmeans"},
    {"mm-vae", "agglomerative"},
    {"mm-vae", "dbscan"},
    {"beta-vae", "kmeans"},
    {"cvae(genre)", "kmeans"},
    {"cvae(genre)[audio+lyrics]", "kmeans"},
    {"ae", "kmeans"},
    {"raw(z-scored mfcc stats+descriptors)", "kmeans"}, /* the run's feature set (default) */
    {"raw(z-scored mfcc stats)", "kmeans"},             /* the other sets beside it */
    {"raw(z-scored descriptors)", "kmeans"},
};
enum { N_EXPECTED = sizeof EXPECTED / sizeof EXPECTED[0], SEEDS = 2 };

static int find_row(const mc_report_table *t, const char *rep, const char *algo, const char *level) {
    for (int i = 0; i < t->n_rows; i++)
        if (!strcmp(t->rows[i].representation, rep) && !strcmp(t->rows[i].algorithm, algo) && !strcmp(t->rows[i].level, level))
            return i;
    return -1;
}

static int64_t g_map_sample = -1; /* >= 0: the run's --map-sample */

static mc_status run_pipeline(const char *corpus, const char *results, mc_run_summary *sum) {
    mc_run_config cfg;
    mc_run_config_default(&cfg);
    if (g_map_sample >= 0) cfg.map_sample = g_map_sample;
    char meta[1024], audio[1024];
    snprintf(meta, sizeof meta, "%s/metadata.tsv", corpus);
    snprintf(audio, sizeof audio, "%s/audio", corpus);
    cfg.extract.metadata = meta;
    cfg.seeds = SEEDS;
    cfg.threads = 2;
    cfg.fast = true;
    const char *inputs[1] = {audio};
    return mc_pipeline_run(&cfg, inputs, 1, results, sum);
}

/* mean and population std of one metric over the seeds, recomputed from the files, printed as the CSV */
static void recompute(const char *dir, const char *id, const char *algo, const char *metric, bool track,
                      char *mean_s, char *std_s) {
    double v[SEEDS];
    mc_store st;
    char p[2048];
    snprintf(p, sizeof p, "%s/features", dir);
    MC_CHECK_OK(mc_store_open(p, &st));
    const int64_t n = st.n;
    int64_t *tr = malloc((size_t)n * sizeof *tr);
    int32_t *cl = malloc((size_t)n * sizeof *cl), *codes = malloc((size_t)n * sizeof *codes);
    char **classes = NULL;
    int nc = 0;
    MC_CHECK_OK(mc_store_tracks(&st, tr));
    MC_CHECK_OK(mc_store_label_codes(&st, "genre", codes, &classes, &nc));
    int64_t T = 0;
    for (int64_t i = 0; i < n; i++) T = tr[i] + 1 > T ? tr[i] + 1 : T;
    for (int s = 0; s < SEEDS; s++) {
        mc_array lat = {0};
        if (!strcmp(metric, "silhouette_common")) snprintf(p, sizeof p, "%s/latents/raw.npy", dir);
        else snprintf(p, sizeof p, "%s/latents/%s.seed%d.npy", dir, id, s);
        MC_CHECK_OK(mc_npy_read_f32(p, &lat));
        snprintf(p, sizeof p, "%s/assign/%s.%s.seed%d.tsv", dir, id, algo, s);
        mc_table a;
        MC_CHECK_OK(mc_table_read(p, '\t', &a));
        for (int64_t i = 0; i < n && i < a.nrows; i++) cl[i] = atoi(mc_table_get(&a, i, 1));
        mc_table_free(&a);
        const int d = (int)lat.shape[1];
        const float *X = lat.data;
        int64_t rows = n;
        int32_t *c = cl, *lab = codes, tcl[64], tlab[64];
        float *Xt = NULL;
        if (track) {
            Xt = malloc((size_t)T * (size_t)d * sizeof *Xt);
            MC_CHECK_OK(mc_metrics_track_vote(cl, tr, n, T, tcl));
            MC_CHECK_OK(mc_metrics_track_means(X, n, d, tr, T, Xt));
            for (int64_t t = 0; t < T; t++)
                for (int64_t i = 0; i < n; i++)
                    if (tr[i] == t) {
                        tlab[t] = codes[i];
                        break;
                    }
            X = Xt;
            rows = T;
            c = tcl;
            lab = tlab;
        }
        if (!strncmp(metric, "silhouette", 10)) {
            MC_CHECK_OK(mc_metrics_silhouette(X, rows, d, c, NULL, &v[s], NULL, NULL));
        } else {
            mc_contingency ct;
            MC_CHECK_OK(mc_metrics_contingency(c, lab, rows, nc, (const char *const *)classes, &ct));
            v[s] = mc_metrics_ari(&ct);
            mc_metrics_contingency_free(&ct);
        }
        free(Xt);
        mc_array_free(&lat);
    }
    double m = (v[0] + v[1]) / 2, sd = fabs(v[0] - v[1]) / 2; /* population std of two values */
    mc_report_format_value(m, mean_s, 64);
    mc_report_format_value(sd, std_s, 64);
    mc_store_free_classes(classes, nc);
    mc_store_close(&st);
    free(tr);
    free(cl);
    free(codes);
}

/* report.html: every metric cell equals metrics.csv */
static void check_report_numbers(const char *dir, const mc_report_table *t) {
    char p[2048];
    snprintf(p, sizeof p, "%s/report.html", dir);
    char *html = mc_test_read_file(p, NULL);
    MC_CHECK(html != NULL, "report.html readable");
    if (!html) return;
    int cells = 0, wrong = 0, img = 0, bad_img = 0;
    for (const char *q = html; (q = strstr(q, "<td class=\"num")); q += 10) {
        const char *end = strchr(q, '>'), *dr = strstr(q, "data-row=\""), *dm = strstr(q, "data-metric=\"");
        if (!end || !dr || !dm || dr > end || dm > end) continue;
        int row = atoi(dr + 10);
        char metric[128];
        snprintf(metric, sizeof metric, "%.*s", (int)strcspn(dm + 13, "\""), dm + 13);
        int m = mc_report_table_metric(t, metric);
        const char *mean = strstr(q, "<span class=\"mean\">");
        char want[64], got[64];
        if (m < 0 || row < 0 || row >= t->n_rows || !mean) {
            wrong++;
            continue;
        }
        mc_report_format_value(t->rows[row].mean[m], want, sizeof want);
        snprintf(got, sizeof got, "%.*s", (int)strcspn(mean + 19, "<"), mean + 19);
        if (strcmp(want, got)) {
            wrong++;
            fprintf(stderr, "  report row %d %s = %s, metrics.csv %s\n", row, metric, got, want);
        }
        cells++;
    }
    for (const char *q = html; (q = strstr(q, "<img")); q += 4) {
        img++;
        const char *src = strstr(q, "src=\"data:image/png;base64,iVBORw0KGgo"); /* the PNG signature in base64 */
        if (!src || src > strchr(q, '>')) bad_img++;
    }
    MC_CHECK(cells >= 2 * N_EXPECTED * 10 && wrong == 0, "report.html: %d metric cells, %d differ from metrics.csv", cells, wrong);
    MC_CHECK(img >= 20 && bad_img == 0, "report.html: %d images, %d not inline PNG", img, bad_img);
    MC_CHECK(strstr(html, "leakwarn") && strstr(html, "cvae(genre)"), "report.html warns about the leaked cvae rows");
    free(html);
}

static void test_run(const char *dir) {
    char corpus[1024], r1[1024], r2[1024], p[2048];
    snprintf(corpus, sizeof corpus, "%s/corpus", dir);
    snprintf(r1, sizeof r1, "%s/R1", dir);
    snprintf(r2, sizeof r2, "%s/R2", dir);
    mc_demo_config demo;
    mc_demo_config_default(&demo);
    demo.tracks_per_style = 2;
    demo.track_seconds = 6;
    MC_CHECK_OK(mc_pipeline_demo_corpus(corpus, &demo, NULL));

    mc_run_summary s1;
    mc_status st = run_pipeline(corpus, r1, &s1);
    MC_CHECK(st == MC_STATUS_OK, "run: %s", mc_error_message());
    if (st != MC_STATUS_OK) return;
    printf("  first run: %d stages in %.1f s\n", s1.stages_run, s1.seconds);
    MC_CHECK(s1.stages_cached == 0 && s1.stages_run == s1.n_stages && s1.n_stages > 30, "first run: %d ran, %d cached",
             s1.stages_run, s1.stages_cached);
    MC_CHECK(s1.tracks == 10 && s1.segments == 20 && s1.k == 5 && !strcmp(s1.main_label, "genre"),
             "10 tracks, 20 segments, k = 5 from genre: %lld %lld %d %s", (long long)s1.tracks, (long long)s1.segments,
             s1.k, s1.main_label);

    /* every stage's outputs */
    static const char *const files[] = {
        "features/index.tsv", "features/mfcc_stats.npy", "features/logmel.npy", "features/lyrics.npy",
        "features/lyrics_tracks.tsv", "latents/raw.npy", "latents/pca.npy", "latents/conv-vae-lyrics.seed1.npy",
        "recon/conv-vae.original.npy", "recon/conv-vae.recon.npy", "recon/vae.original.npy", "recon/vae.recon.npy",
        "recon/examples.tsv", "contingency/cvae.kmeans.genre.tsv", "contingency/conv-vae.dbscan.lyrics_language.tsv",
        "metrics.csv", "metrics.json", "report.html", "run.json", "summary.tsv", "representations.tsv", "timings.tsv",
        "stages/extract.tsv", "stages/lyrics.tsv", "stages/evaluate.tsv", "stages/report.tsv"};
    int missing = 0;
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        if (!exists(r1, files[i])) {
            missing++;
            fprintf(stderr, "  missing %s\n", files[i]);
        }
    static const char *const models[] = {"vae", "conv-vae", "mm-vae", "beta-vae", "cvae", "cvae-mm", "ae"};
    for (size_t m = 0; m < 7; m++)
        for (int s = 0; s < SEEDS; s++) {
            const char *fmt[] = {"models/%s.seed%d.safetensors", "models/%s.seed%d.loss.tsv", "latents/%s.seed%d.npy",
                                 "stages/model.%s.seed%d.tsv"};
            for (int f = 0; f < 4; f++) {
                snprintf(p, sizeof p, fmt[f], models[m], s);
                if (!exists(r1, p)) {
                    missing++;
                    fprintf(stderr, "  missing %s\n", p);
                }
            }
        }
    static const char *const shown[] = {"vae", "conv-vae", "conv-vae-lyrics", "mm-vae", "beta-vae", "cvae", "cvae-mm", "raw"};
    for (size_t m = 0; m < 8; m++) {
        snprintf(p, sizeof p, "embed/%s.tsne.npy", shown[m]);
        missing += !exists(r1, p);
        snprintf(p, sizeof p, "embed/%s.umap.npy", shown[m]);
        missing += !exists(r1, p);
    }
    MC_CHECK(missing == 0, "%d stage outputs missing", missing);

    /* metrics.csv: every representation x algorithm x level, 2 seeds, leaked only on the cvae rows */
    mc_report_table t;
    snprintf(p, sizeof p, "%s/metrics.csv", r1);
    MC_CHECK_OK(mc_report_table_read_csv(p, &t));
    MC_CHECK(t.n_rows == 2 * N_EXPECTED, "%d rows, want %d", t.n_rows, 2 * N_EXPECTED);
    int bad = 0;
    for (int e = 0; e < N_EXPECTED; e++)
        for (int l = 0; l < 2; l++) {
            int r = find_row(&t, EXPECTED[e].rep, EXPECTED[e].algo, l ? "track" : "segment");
            if (r < 0) {
                bad++;
                fprintf(stderr, "  no row %s / %s / %s\n", EXPECTED[e].rep, EXPECTED[e].algo, l ? "track" : "segment");
                continue;
            }
            const mc_report_row *x = &t.rows[r];
            bool cv = !strncmp(x->representation, "cvae(", 5);
            if (x->seeds != SEEDS || x->rows != (l ? 10 : 20) || strcmp(x->leaked, cv ? "genre" : "") != 0) {
                bad++;
                fprintf(stderr, "  row %s/%s/%s: seeds %d rows %lld leaked '%s'\n", x->representation, x->algorithm, x->level,
                        x->seeds, (long long)x->rows, x->leaked);
            }
        }
    MC_CHECK(bad == 0, "%d rows missing or wrong (seeds, rows, leaked)", bad);
    static const char *const must[] = {"silhouette", "calinski_harabasz", "davies_bouldin", "silhouette_common",
                                       "calinski_harabasz_common", "davies_bouldin_common", "ari_genre", "nmi_genre",
                                       "purity_genre", "ari_language", "nmi_lyrics_language", "n_clusters", "noise_fraction"};
    for (size_t i = 0; i < sizeof must / sizeof *must; i++)
        MC_CHECK(mc_report_table_metric(&t, must[i]) >= 0, "metrics.csv has %s_mean / _std", must[i]);
    /* mean ± std over the 2 seeds, recomputed from the latents and the assignments */
    struct {
        const char *id, *name, *algo, *metric;
        bool track;
    } rc[] = {{"vae", "vae", "kmeans", "silhouette", false},
              {"vae", "vae", "kmeans", "ari_genre", false},
              {"vae", "vae", "kmeans", "silhouette_common", false},
              {"cvae", "cvae(genre)", "kmeans", "ari_genre", true},
              {"conv-vae", "conv-vae", "agglomerative", "silhouette", true}};
    for (size_t i = 0; i < sizeof rc / sizeof *rc; i++) {
        char m[64], s[64], cm[64], cs[64];
        recompute(r1, rc[i].id, rc[i].algo, rc[i].metric, rc[i].track, m, s);
        int r = find_row(&t, rc[i].name, rc[i].algo, rc[i].track ? "track" : "segment");
        int k = mc_report_table_metric(&t, rc[i].metric);
        if (r < 0 || k < 0) continue;
        mc_report_format_value(t.rows[r].mean[k], cm, sizeof cm);
        mc_report_format_value(t.rows[r].std[k], cs, sizeof cs);
        MC_CHECK(!strcmp(m, cm) && !strcmp(s, cs), "%s/%s %s %s: metrics.csv %s ± %s, recomputed %s ± %s", rc[i].name,
                 rc[i].algo, rc[i].track ? "track" : "segment", rc[i].metric, cm, cs, m, s);
    }
    int kr = find_row(&t, "vae", "kmeans", "segment"), kk = mc_report_table_metric(&t, "n_clusters");
    MC_CHECK(kr >= 0 && kk >= 0 && t.rows[kr].mean[kk] == 5.0, "k-means finds k = 5 clusters");
    check_report_numbers(r1, &t);
    char *js = NULL;
    snprintf(p, sizeof p, "%s/run.json", r1);
    js = mc_test_read_file(p, NULL);
    MC_CHECK(js && strstr(js, "\"sndfile\": \"libsndfile") && strstr(js, "\"fftw\": \"fftw-") && strstr(js, "\"openblas\": \"OpenBLAS") &&
                 strstr(js, "\"skipped\": [") && strstr(js, "\"stages\": [") && strstr(js, "\"budget_limited\""),
             "run.json has versions, skipped files, stages and the conv-vae budget");
    free(js);

    /* resumable: a second run redoes nothing and touches no output */
    const char *watch[] = {"metrics.csv", "report.html", "stages/model.conv-vae.seed1.tsv", "latents/vae.seed0.npy",
                           "features/index.tsv", "summary.tsv"};
    int64_t before[6];
    for (int i = 0; i < 6; i++) before[i] = mtime_ns(r1, watch[i]);
    mc_run_summary s2;
    MC_CHECK_OK(run_pipeline(corpus, r1, &s2));
    printf("  second run: %d ran, %d cached in %.1f s\n", s2.stages_run, s2.stages_cached, s2.seconds);
    MC_CHECK(s2.stages_run == 0 && s2.stages_cached == s1.n_stages, "second run: %d ran, %d cached (of %d)", s2.stages_run,
             s2.stages_cached, s1.n_stages);
    for (int i = 0; i < 6; i++) MC_CHECK(mtime_ns(r1, watch[i]) == before[i], "%s untouched by the second run", watch[i]);
    mc_run_summary_free(&s2);
    /* a lost output redoes exactly its stage, with the same bytes */
    snprintf(p, sizeof p, "%s/assign/conv-vae.dbscan.seed1.tsv", r1);
    char *saved = mc_test_read_file(p, NULL);
    remove(p);
    MC_CHECK_OK(run_pipeline(corpus, r1, &s2));
    MC_CHECK(s2.stages_run == 1 && s2.n_stages > 0, "one output deleted: %d stage(s) ran", s2.stages_run);
    for (int i = 0; i < s2.n_stages; i++)
        if (s2.stages[i].ran) MC_CHECK(!strcmp(s2.stages[i].name, "cluster.conv-vae"), "the stage redone is %s", s2.stages[i].name);
    char *again = mc_test_read_file(p, NULL);
    MC_CHECK(saved && again && !strcmp(saved, again), "the redone assignments are identical");
    MC_CHECK(mtime_ns(r1, "metrics.csv") == before[0], "metrics.csv not rewritten (its inputs' configuration is unchanged)");
    free(saved);
    free(again);
    mc_run_summary_free(&s2);

    /* deterministic: a fresh folder, the same seeds and threads, the same metrics.csv bytes */
    MC_CHECK_OK(run_pipeline(corpus, r2, &s2));
    mc_run_summary_free(&s2);
    char p2[2048];
    snprintf(p, sizeof p, "%s/metrics.csv", r1);
    snprintf(p2, sizeof p2, "%s/metrics.csv", r2);
    size_t l1 = 0, l2 = 0;
    char *a = mc_test_read_file(p, &l1), *b = mc_test_read_file(p2, &l2);
    MC_CHECK(a && b && l1 == l2 && memcmp(a, b, l1) == 0, "metrics.csv identical across runs (%zu / %zu bytes)", l1, l2);
    free(a);
    free(b);
    snprintf(p, sizeof p, "%s/latents/conv-vae.seed1.npy", r1);
    snprintf(p2, sizeof p2, "%s/latents/conv-vae.seed1.npy", r2);
    a = mc_test_read_file(p, &l1);
    b = mc_test_read_file(p2, &l2);
    MC_CHECK(a && b && l1 == l2 && memcmp(a, b, l1) == 0, "conv-vae latents identical across runs");
    free(a);
    free(b);

    /* the maps' bound: --map-sample 10 redoes the maps alone (as a sample of 10 rows + placement), keeps
     * one position per row, and says so in run.json's notes */
    g_map_sample = 10;
    MC_CHECK_OK(run_pipeline(corpus, r2, &s2));
    g_map_sample = -1;
    int maps_ran = 0, other_ran = 0;
    for (int i = 0; i < s2.n_stages; i++)
        if (s2.stages[i].ran) {
            if (!strncmp(s2.stages[i].name, "embed.", 6)) maps_ran++;
            else if (strncmp(s2.stages[i].name, "report", 6) && strncmp(s2.stages[i].name, "metrics", 7)) other_ran++;
        }
    MC_CHECK(maps_ran >= 2 && other_ran == 0, "--map-sample 10: %d map stage(s) and %d model/cluster stage(s) redone",
             maps_ran, other_ran);
    mc_run_summary_free(&s2);
    snprintf(p2, sizeof p2, "%s/run.json", r2);
    char *rj = mc_test_read_file(p2, NULL);
    MC_CHECK(rj && strstr(rj, "maps: above 10 rows, t-SNE and UMAP of a seeded sample of 10 rows"),
             "run.json notes the maps' bound");
    free(rj);
    mc_array um = {0};
    snprintf(p2, sizeof p2, "%s/embed/vae.umap.npy", r2);
    MC_CHECK_OK(mc_npy_read_f32(p2, &um));
    bool fin = um.ndim == 2 && um.shape[1] == 2 && um.shape[0] > 10;
    for (int64_t i = 0; fin && i < um.shape[0] * 2; i++) fin = isfinite(((const float *)um.data)[i]);
    MC_CHECK(fin, "bounded UMAP map: (%lld, %lld), finite", (long long)um.shape[0], (long long)(um.ndim > 1 ? um.shape[1] : 0));
    mc_array_free(&um);

    /* musiclust evaluate --leaked --common-space on the first seed of the cvae: the same numbers */
    char args[8192], err[4096];
    snprintf(args, sizeof args,
             "evaluate --quiet --labels '%s/features/index.tsv' --column genre --column language --leaked genre "
             "--common-space '%s/latents/raw.npy' --track-level --threads 1 -o '%s/ev' '%s/latents/cvae.seed0.npy' "
             "'%s/assign/cvae.kmeans.seed0.tsv'",
             r1, r1, dir, r1, r1);
    MC_CHECK(run_cli(args, err, sizeof err) == 0, "evaluate --leaked --common-space exits 0: %s", err);
    /* evaluate writes the run's schema (report.h): one row per level, the leak in `leaked` */
    mc_report_table ev;
    snprintf(p, sizeof p, "%s/ev.csv", dir);
    MC_CHECK_OK(mc_report_table_read_csv(p, &ev));
    int leaked_levels = 0;
    for (int r = 0; r < ev.n_rows; r++) leaked_levels += !strcmp(ev.rows[r].leaked, "genre");
    MC_CHECK(ev.n_rows == 2 && leaked_levels == 2, "the CSV marks `leaked` genre on both levels (%d of %d rows)",
             leaked_levels, ev.n_rows);
    mc_report_table_free(&ev);
    snprintf(p, sizeof p, "%s/ev.json", dir);
    mc_json_value *evj = mc_test_json_file(p);
    snprintf(p, sizeof p, "%s/metrics.json", r1);
    mc_json_value *runj = mc_test_json_file(p);
    int leaked_rows = 0, common_rows = 0, wrong = 0, differ = 0, compared = 0;
    static const char *const levels[2] = {"segment", "track"};
    for (int l = 0; l < 2; l++) {
        const mc_json_value *row = mc_test_metrics_row(evj, levels[l], NULL), *ms = mc_json_member(row, "metrics");
        const mc_json_value *run_row = NULL, *rows = mc_json_member(runj, "rows");
        for (int i = 0; rows && i < rows->n; i++) {
            const mc_json_value *x = rows->items[i];
            if (!strcmp(mc_json_member(x, "representation")->str, "cvae(genre)") &&
                !strcmp(mc_json_member(x, "algorithm")->str, "kmeans") && !strcmp(mc_json_member(x, "level")->str, levels[l]))
                run_row = x;
        }
        for (int m = 0; ms && m < ms->n; m++) {
            const char *metric = ms->keys[m];
            double v = NAN, rv = NAN;
            int leak = 0;
            mc_test_metric_value(row, metric, &v, &leak);
            const bool want = !strcmp(metric, "ari_genre") || !strcmp(metric, "ami_genre") || !strcmp(metric, "nmi_genre") ||
                              !strcmp(metric, "purity_genre");
            wrong += leak != want;
            leaked_rows += want;
            /* the same clustering as the run's first seed: the same value, to the bit */
            if (mc_test_metric_value(run_row, metric, &rv, NULL)) {
                compared++;
                differ += !(v == rv || (isnan(v) && isnan(rv)));
            }
            if (!strcmp(metric, "silhouette_common") && l == 0) {
                common_rows++;
                /* the run's seed-0 value: recomputed as above */
                mc_array z = {0};
                snprintf(p, sizeof p, "%s/latents/raw.npy", r1);
                MC_CHECK_OK(mc_npy_read_f32(p, &z));
                int32_t cl[20];
                mc_table a2;
                snprintf(p, sizeof p, "%s/assign/cvae.kmeans.seed0.tsv", r1);
                MC_CHECK_OK(mc_table_read(p, '\t', &a2));
                for (int i = 0; i < 20; i++) cl[i] = atoi(mc_table_get(&a2, i, 1));
                mc_table_free(&a2);
                double sil = NAN;
                MC_CHECK_OK(mc_metrics_silhouette(z.data, 20, (int)z.shape[1], cl, NULL, &sil, NULL, NULL));
                MC_CHECK(fabs(v - sil) <= 1e-12 * fmax(1.0, fabs(sil)), "evaluate silhouette_common %.17g, library %.17g", v, sil);
                mc_array_free(&z);
            }
        }
    }
    MC_CHECK(wrong == 0 && leaked_rows == 8, "leaked exactly on the genre metrics (%d metrics, %d wrong)", leaked_rows, wrong);
    MC_CHECK(common_rows == 1, "a segment-level silhouette_common");
    MC_CHECK(compared >= 2 * 14 && differ == 0, "evaluate equals the run's first seed: %d values, %d differ", compared, differ);
    const mc_json_value *lc = mc_json_member(mc_test_metrics_row(evj, "segment", NULL), "leaked");
    MC_CHECK(lc && lc->n == 1 && !strcmp(lc->items[0]->str, "genre") &&
                 mc_json_member(mc_json_member(mc_test_metrics_row(evj, "track", NULL), "metrics"), "davies_bouldin_common"),
             "evaluate JSON marks the leak and has the common-space metrics");
    mc_json_value_free(evj);
    mc_json_value_free(runj);
    snprintf(args, sizeof args, "evaluate --quiet --leaked genre '%s/latents/cvae.seed0.npy' '%s/assign/cvae.kmeans.seed0.tsv'", r1, r1);
    MC_CHECK(run_cli(args, err, sizeof err) == 2 && strstr(err, "--labels"), "--leaked without --labels: %s", err);
    snprintf(args, sizeof args,
             "evaluate --quiet --labels '%s/features/index.tsv' --leaked mood '%s/latents/cvae.seed0.npy' '%s/assign/cvae.kmeans.seed0.tsv'",
             r1, r1, r1);
    MC_CHECK(run_cli(args, err, sizeof err) == 1 && strstr(err, "--leaked mood"), "unknown --leaked column: %s", err);
    snprintf(args, sizeof args, "evaluate --quiet --common-space '%s/latents/vae.seed0.npy' '%s/features/logmel.npy' '%s/assign/cvae.kmeans.seed0.tsv'",
             r1, r1, r1);
    MC_CHECK(run_cli(args, err, sizeof err) == 0, "--common-space of another width is fine: %s", err);
    mc_report_table_free(&t);

    /* the CLI: run --help, a bad --task, and run / report on the finished folder (nothing to redo) */
    MC_CHECK(run_cli("run --help", err, sizeof err) == 0, "run --help");
    snprintf(args, sizeof args, "run --task medum '%s/audio' -o '%s/R3'", corpus, dir);
    MC_CHECK(run_cli(args, err, sizeof err) == 2 && strstr(err, "medum"), "bad --task: %s", err);
    snprintf(args, sizeof args, "run --fast --seeds 2 --threads 2 --metadata '%s/metadata.tsv' '%s/audio' -o '%s'", corpus,
             corpus, r1);
    MC_CHECK(run_cli(args, err, sizeof err) == 0, "musiclust run on the finished folder: %s", err);
    char *out = mc_test_read_file("pipeline_stdout.txt", NULL);
    MC_CHECK(out && strstr(out, "0 ran,") && strstr(out, "LEAKED: genre") && strstr(out, "segment level"),
             "run prints the tables with the leak and redoes nothing:\n%s", out ? out : "");
    free(out);
    snprintf(args, sizeof args, "report -o '%s/again.html' '%s'", dir, r1);
    MC_CHECK(run_cli(args, err, sizeof err) == 0, "musiclust report: %s", err);
    snprintf(p, sizeof p, "%s/report.html", r1);
    snprintf(p2, sizeof p2, "%s/again.html", dir);
    a = mc_test_read_file(p, &l1);
    b = mc_test_read_file(p2, &l2);
    MC_CHECK(a && b && l1 > 0 && l2 > 0, "report regenerated from the folder alone (%zu bytes)", l2);
    free(a);
    free(b);
    mc_run_summary_free(&s1);
}

/* The maps' bound (pipeline.h mc_map_config.sample): above `sample` rows, the rows of the documented
 * draw (the first S of a seeded shuffle, stream "map") get exactly the map of those rows alone, every
 * other row exactly its mc_embed_place position on it; 1 vs 2 threads give the same bytes; sample 0
 * or sample >= N maps every row as before. */
static int cmp_i64(const void *a, const void *b) {
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_map_bound(void) {
    const int64_t n = 460, S = 150;
    const int d = 5;
    float *X = mc_test_xcalloc((size_t)n * d, sizeof *X), *Y1 = mc_test_xcalloc((size_t)n * 2, sizeof *Y1);
    float *Y2 = mc_test_xcalloc((size_t)n * 2, sizeof *Y2), *Xs = mc_test_xcalloc((size_t)S * d, sizeof *Xs);
    float *Ys = mc_test_xcalloc((size_t)S * 2, sizeof *Ys), *Yr = mc_test_xcalloc((size_t)n * 2, sizeof *Yr);
    float *Xr = mc_test_xcalloc((size_t)n * d, sizeof *Xr);
    int64_t *idx = mc_test_xcalloc((size_t)n, sizeof *idx);
    mc_rng r;
    mc_rng_seed(&r, 1, 0);
    for (int64_t i = 0; i < n * d; i++) X[i] = (float)(mc_rng_normal(&r) + 4.0 * (double)((i / d) % 3));
    for (int method = 0; method < 2; method++) {
        mc_map_config c;
        mc_map_config_default(&c);
        MC_CHECK(c.sample == MC_MAP_SAMPLE, "map: default sample %lld", (long long)c.sample);
        c.sample = S;
        c.seed = 7;
        c.fast = true;
        c.threads = 1;
        const mc_map_method m = method ? MC_MAP_UMAP : MC_MAP_TSNE;
        MC_CHECK(mc_pipeline_map_rows_mapped(&c, n) == S, "map: %lld rows mapped", (long long)mc_pipeline_map_rows_mapped(&c, n));
        MC_CHECK_OK(mc_pipeline_map_array(&c, m, X, n, d, NULL, Y1));
        c.threads = 2;
        MC_CHECK_OK(mc_pipeline_map_array(&c, m, X, n, d, NULL, Y2));
        MC_CHECK(memcmp(Y1, Y2, (size_t)n * 2 * sizeof *Y1) == 0, "bounded map %d: 1 vs 2 threads differ", method);
        /* the documented draw, then the sample's own map and the placement of the rest */
        for (int64_t i = 0; i < n; i++) idx[i] = i;
        mc_rng dr;
        mc_rng_seed(&dr, 7, 0x6d6170);
        mc_rng_shuffle(&dr, idx, (size_t)n);
        qsort(idx, (size_t)S, sizeof *idx, cmp_i64);
        qsort(idx + S, (size_t)(n - S), sizeof *idx, cmp_i64);
        for (int64_t i = 0; i < n; i++) memcpy((i < S ? Xs + i * d : Xr + (i - S) * d), X + idx[i] * d, (size_t)d * sizeof *X);
        mc_tsne_opts to;
        mc_umap_opts uo;
        mc_pipeline_map_options(&c, S, &to, &uo);
        MC_CHECK_OK(m == MC_MAP_TSNE ? mc_embed_tsne(Xs, S, d, &to, Ys, NULL) : mc_embed_umap(Xs, S, d, &uo, Ys, NULL));
        MC_CHECK_OK(mc_embed_place(Xr, n - S, Xs, S, d, Ys, uo.n_neighbors, 1, Yr));
        int bad = 0;
        for (int64_t i = 0; i < n; i++) {
            const float *want = i < S ? Ys + i * 2 : Yr + (i - S) * 2;
            bad += memcmp(Y1 + idx[i] * 2, want, 2 * sizeof *want) != 0;
        }
        MC_CHECK(bad == 0, "bounded map %d: %d of %lld rows differ from the sample's map + placement", method, bad, (long long)n);
        /* at or below the bound: every row mapped, the plain embedding */
        c.sample = 0;
        MC_CHECK_OK(mc_pipeline_map_array(&c, m, X, n, d, NULL, Y1));
        mc_pipeline_map_options(&c, n, &to, &uo);
        MC_CHECK_OK(m == MC_MAP_TSNE ? mc_embed_tsne(X, n, d, &to, Y2, NULL) : mc_embed_umap(X, n, d, &uo, Y2, NULL));
        MC_CHECK(memcmp(Y1, Y2, (size_t)n * 2 * sizeof *Y1) == 0, "map %d with sample 0 is not the plain map", method);
        c.sample = 2;
        MC_CHECK(mc_pipeline_map_array(&c, m, X, n, d, NULL, Y1) == MC_STATUS_INVALID_ARG, "map: a sample of 2 accepted");
    }
    free(X), free(Y1), free(Y2), free(Xs), free(Ys), free(Yr), free(Xr), free(idx);
}

int main(void) {
    const char *dir = mc_test_tmpdir("pipeline");
    char d[600];
    snprintf(d, sizeof d, "%s", dir);
    test_tasks();
    test_map_bound();
    test_choose_k(d);
    test_label_columns(d);
    test_run(d);
    return mc_test_summary("test_pipeline");
}
