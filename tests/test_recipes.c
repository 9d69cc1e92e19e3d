/* recipes (pipeline.h, src/pipeline/recipe.c): every built-in recipe file parses and sets what it
 * says; every kind of mistake is one error naming the file, the key and what was expected, and leaves
 * the configuration unchanged; the CLI's --recipe (errors, precedence of the options); and, on
 * ../shared/data (small subsets), each built-in recipe runs end to end with --fast: linear-vae (13
 * MFCCs, k 5, vae + pca), mfcc-vae (one row per track, latent 16), conv-beta-vae (pca-logmel, conv-ae,
 * conv beta-VAE x k-means, agglomerative: every metric and AMI finite), multimodal-cvae (lyrics;
 * the cvae's label leaked), and easy == --task easy byte for byte. */
#include <musiclust/musiclust.h>

#include "mc_test.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static mc_run_config cfg;
static mc_recipe rec;

/* Parse text as a recipe into a fresh default configuration. */
static mc_status parse(const char *text) {
    mc_run_config_default(&cfg);
    return mc_pipeline_recipe_parse(text, strlen(text), "t.json", &rec, &cfg);
}

/* ---------------------------------------------------------------- the built-in files */

static void test_builtin_files(void) {
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/recipes", MC_SOURCE_DIR);
    DIR *d = opendir(dir);
    MC_CHECK(d != NULL, "recipes/ exists (%s)", dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0) continue;
        char path[8400], stem[256];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        snprintf(stem, sizeof stem, "%.*s", (int)(l - 5), e->d_name);
        mc_run_config_default(&cfg);
        mc_status st = mc_pipeline_recipe_load(path, &rec, &cfg);
        MC_CHECK(st == MC_STATUS_OK, "%s parses: %s", path, mc_error_message());
        MC_CHECK(strcmp(rec.name, stem) == 0, "%s: name '%s' is the file's stem", path, rec.name);
        MC_CHECK(rec.description[0] != '\0', "%s has a description", path);
        MC_CHECK((rec.n_reps > 0) != (rec.tasks != 0) && cfg.recipe == &rec, "%s: representations or tasks", path);
        /* found by name too */
        char found[4096];
        MC_CHECK(mc_pipeline_recipe_find(stem, found, sizeof found) == MC_STATUS_OK, "recipe '%s' found by name", stem);
        n++;
    }
    if (d) closedir(d);
    MC_CHECK(n == 8, "8 built-in recipes (mfcc-vae, linear-vae, conv-beta-vae, multimodal-cvae, easy, medium, hard, all), got %d", n);
    char list[1024];
    mc_pipeline_recipe_list(list, sizeof list);
    MC_CHECK(strstr(list, "conv-beta-vae") && strstr(list, "linear-vae") && strstr(list, "all"), "list: %s", list);

    /* what two of them set */
    mc_run_config_default(&cfg);
    MC_CHECK_OK(mc_pipeline_recipe_load("linear-vae", &rec, &cfg));
    MC_CHECK(cfg.extract.dsp.n_mfcc == 13 && cfg.extract.segment_s == 3 && cfg.k == 5 && rec.n_reps == 2,
             "linear-vae: 13 MFCCs, 3-s segments, k 5, 2 representations");
    const mc_recipe_rep *v = &rec.reps[0], *p = &rec.reps[1];
    MC_CHECK(strcmp(v->kind, "vae") == 0 && v->latent == 4 && v->n_hidden == 1 && v->hidden[0] == 64 && v->epochs == 20 &&
                 v->lr == 0.001 && v->beta == 1 && v->algos == MC_RECIPE_ALGO_KMEANS,
             "linear-vae: vae 26 -> 64 -> 4, 20 epochs, Adam 1e-3, k-means");
    MC_CHECK(strcmp(p->kind, "pca") == 0 && p->components == 4 && p->beta < 0 && p->lr < 0, "linear-vae: pca 4, defaults unset");
    mc_run_config def;
    mc_run_config_default(&def);
    mc_run_config_default(&cfg);
    MC_CHECK_OK(mc_pipeline_recipe_load("easy", &rec, &cfg));
    MC_CHECK(cfg.tasks == MC_PIPELINE_TASK_EASY && rec.n_reps == 0, "easy: the easy task");
    cfg.tasks = def.tasks;
    cfg.recipe = NULL;
    MC_CHECK(memcmp(&cfg, &def, sizeof cfg) == 0, "easy: nothing but the task differs from `run --task easy`");
    mc_run_config_default(&cfg);
    MC_CHECK_OK(mc_pipeline_recipe_load("conv-beta-vae", &rec, &cfg));
    MC_CHECK(rec.n_reps == 3 && strcmp(rec.reps[0].kind, "pca-logmel") == 0 && rec.reps[0].components == 32 &&
                 strcmp(rec.reps[1].kind, "conv-ae") == 0 && strcmp(rec.reps[2].kind, "conv-vae") == 0 &&
                 rec.reps[2].beta == 4 && rec.reps[2].latent == 32 && rec.reps[2].batch == 128 && rec.reps[2].epochs == 35 &&
                 rec.reps[2].algos == (MC_RECIPE_ALGO_KMEANS | MC_RECIPE_ALGO_AGGLOMERATIVE) && cfg.k == 0 && !cfg.k_sweep,
             "conv-beta-vae: pca-logmel 32, conv-ae, conv beta-VAE (beta 4, latent 32, batch 128, 35 epochs), "
             "k-means + agglomerative, k from the label");
}

/* ---------------------------------------------------------------- errors */

static void expect_error(const char *text, const char *want1, const char *want2) {
    mc_run_config before;
    mc_run_config_default(&before);
    mc_status st = parse(text);
    const char *m = mc_error_message();
    MC_CHECK(st == MC_STATUS_FORMAT && strncmp(m, "t.json: ", 8) == 0 && strstr(m, want1) && (!want2 || strstr(m, want2)) &&
                 !strchr(m, '\n'),
             "%s -> one line naming the file, '%s'%s%s: got [%s] %s", text, want1, want2 ? " and " : "", want2 ? want2 : "",
             mc_status_name(st), m);
    MC_CHECK(memcmp(&cfg, &before, sizeof cfg) == 0, "%s: a failed recipe leaves the configuration unchanged", text);
}

static void test_errors(void) {
    expect_error("{\"tasks\": [\"easy\"],", "line 1", NULL);
    expect_error("[1, 2]", "a recipe is a JSON object", NULL);
    expect_error("{\"tasks\": [\"easy\"], \"seedz\": 3}", "unknown key 'seedz'", "known here:");
    expect_error("{\"tasks\": [\"easy\"], \"seeds\": \"3\"}", "key 'seeds'", "expected an integer in 1..64, got \"3\"");
    expect_error("{\"tasks\": [\"easy\"], \"seeds\": 0}", "key 'seeds'", "got 0");
    expect_error("{\"tasks\": [\"easy\"], \"seeds\": 3, \"seeds\": 4}", "duplicate", NULL);
    expect_error("{\"tasks\": [\"easyy\"]}", "key 'tasks'", "easy, medium, hard or all");
    expect_error("{}", "either \"representations\" or \"tasks\"", NULL);
    expect_error("{\"tasks\": \"easy\", \"representations\": [{\"kind\": \"vae\"}]}", "either", NULL);
    expect_error("{\"representations\": [{\"kind\": \"vae\"}, {\"kind\": \"pca\", \"latent\": \"x\"}]}",
                 "key 'representations[1].latent'", "expected an integer");
    expect_error("{\"representations\": [{\"kind\": \"vea\"}]}", "key 'representations[0].kind'", "conv-ae");
    expect_error("{\"representations\": [{\"id\": \"a b\", \"kind\": \"vae\"}]}", "key 'representations[0].id'", NULL);
    expect_error("{\"representations\": [{\"kind\": \"vae\"}, {\"kind\": \"vae\"}]}", "'vae' is used twice", NULL);
    expect_error("{\"representations\": [{\"kind\": \"concat\", \"from\": \"x\"}]}", "representations[0].from", NULL);
    expect_error("{\"representations\": [{\"kind\": \"concat\"}]}", "\"from\" is for (and required by) kind concat", NULL);
    expect_error("{\"representations\": [{\"kind\": \"vae\", \"hidden\": [64, -1]}]}", "representations[0].hidden[1]", NULL);
    expect_error("{\"representations\": [{\"kind\": \"vae\", \"input\": \"logmel\"}]}", "representations[0].input", NULL);
    expect_error("{\"representations\": [{\"kind\": \"vae\", \"algorithms\": [\"kmeans\", \"spectral\"]}]}",
                 "representations[0].algorithms[1]", "kmeans, agglomerative, dbscan or gmm");
    MC_CHECK(parse("{\"representations\": [{\"kind\": \"pca\"}], \"algorithms\": [\"kmeans\", \"gmm\"]}") == MC_STATUS_OK &&
                 rec.reps[0].algos == (MC_RECIPE_ALGO_KMEANS | MC_RECIPE_ALGO_GMM),
             "gmm is an algorithm of a recipe: %s", mc_error_message());
    expect_error("{\"tasks\": \"easy\", \"features\": {\"n_mfcc\": 200, \"n_mels\": 128}}", "key 'features'", "n_mfcc");
    expect_error("{\"tasks\": \"easy\", \"features\": {\"sr\": 22050.5}}", "key 'features.sr'", NULL);
    expect_error("{\"tasks\": \"easy\", \"k\": \"many\"}", "key 'k'", "\"sweep\"");
    expect_error("{\"tasks\": \"easy\", \"budget\": {\"conv_sample\": 3}}", "unknown key 'budget.conv_sample'", NULL);
    /* a control character in a key (found by fuzz_recipe): the message stays one line */
    expect_error("{\"tasks\": \"easy\", \"features\": {\"segm\\nt\": 0}}", "unknown key 'features.segm?t'", NULL);
    expect_error("{\"tasks\": \"easy\", \"figures\": {\"maps\": 1}}", "key 'figures.maps'", "true or false");
    /* valid odd ones */
    MC_CHECK(parse("{\"tasks\": \"hard\", \"k\": \"sweep\", \"label\": \"style\", \"seeds\": 2, \"first_seed\": 7}") ==
                     MC_STATUS_OK && cfg.k_sweep && strcmp(cfg.label, "style") == 0 && cfg.seeds == 2 &&
                 cfg.first_seed == 7 && cfg.tasks == MC_PIPELINE_TASK_HARD && strcmp(rec.name, "t") == 0,
             "k sweep, label, seeds, first seed; the name from the origin: %s", mc_error_message());
    MC_CHECK(parse("{\"representations\": [{\"kind\": \"conv-vae\"}, {\"id\": \"both\", \"kind\": \"concat\", \"from\": "
                   "\"conv-vae\", \"algorithms\": [\"dbscan\"]}], \"algorithms\": [\"agglomerative\"]}") == MC_STATUS_OK &&
                 strcmp(rec.reps[0].id, "conv-vae") == 0 && rec.reps[0].algos == MC_RECIPE_ALGO_AGGLOMERATIVE &&
                 rec.reps[1].algos == MC_RECIPE_ALGO_DBSCAN,
             "id defaults to the kind; algorithms default to the recipe's: %s", mc_error_message());
    char path[64];
    MC_CHECK(mc_pipeline_recipe_find("no-such-recipe", path, sizeof path) == MC_STATUS_IO &&
                 strstr(mc_error_message(), "linear-vae"),
             "an unknown name lists the built-ins: %s", mc_error_message());
    MC_CHECK(mc_pipeline_recipe_find("dir/none.json", path, sizeof path) == MC_STATUS_IO, "a missing file");
}

/* ---------------------------------------------------------------- the CLI */

static void test_cli_errors(void) {
    const char *dir = mc_test_tmpdir("recipes_cli");
    char args[4096], err[2048], bad[600];
    snprintf(bad, sizeof bad, "%s/bad.json", dir);
    FILE *f = fopen(bad, "w");
    if (f) {
        fputs("{\"representations\": [{\"kind\": \"vae\", \"latent\": 0}]}\n", f);
        fclose(f);
    }
    snprintf(args, sizeof args, "run --recipe '%s' x -o '%s/out'", bad, dir);
    int rc = mc_test_cli("recipes", args, err, sizeof err);
    MC_CHECK(rc == 1 && strstr(err, bad) && strstr(err, "representations[0].latent"), "bad recipe: exit 1 naming file and key: %d %s", rc, err);
    snprintf(args, sizeof args, "run --recipe nonesuch x -o '%s/out'", dir);
    rc = mc_test_cli("recipes", args, err, sizeof err);
    MC_CHECK(rc == 1 && strstr(err, "nonesuch") && strstr(err, "conv-beta-vae"), "unknown recipe: exit 1 listing the built-ins: %d %s", rc, err);
    snprintf(args, sizeof args, "run --recipe linear-vae --task easy x -o '%s/out'", dir);
    rc = mc_test_cli("recipes", args, err, sizeof err);
    MC_CHECK(rc == 2 && strstr(err, "--task"), "--task with a recipe of representations: usage error: %d %s", rc, err);
    snprintf(args, sizeof args, "run --n-mfcc 200 x -o '%s/out'", dir);
    rc = mc_test_cli("recipes", args, err, sizeof err);
    MC_CHECK(rc == 2 && strstr(err, "n_mfcc"), "--n-mfcc above --n-mels: usage error: %d %s", rc, err);
}

/* ---------------------------------------------------------------- end to end on ../shared/data */

/* dir/<genre>/ with the first `per` clips of each genre of gtzan-mini (symbolic links). */
static void gtzan_subset(const char *data, const char *dir, const char *const *genres, int n_genres, int per) {
    for (int g = 0; g < n_genres; g++) {
        static char cmd[32768];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s/%s' && for f in $(ls '%s/gtzan-mini/%s' | head -n %d); do ln -sf "
                 "'%s/gtzan-mini/%s/'$f '%s/%s/'$f; done", dir, genres[g], data, genres[g], per, data, genres[g], dir, genres[g]);
        MC_CHECK(system(cmd) == 0, "subset: %s", cmd);
    }
}

static int64_t npy_dim(const char *path, int axis) {
    mc_array a;
    if (mc_npy_map(path, &a) != MC_STATUS_OK) return -1;
    int64_t v = axis < a.ndim ? a.shape[axis] : -1;
    mc_array_free(&a);
    return v;
}

/* The metrics table of a run (NULL rows on failure). */
static void read_metrics(const char *out, mc_report_table *t) {
    char p[4200];
    snprintf(p, sizeof p, "%s/metrics.csv", out);
    memset(t, 0, sizeof *t);
    MC_CHECK_OK(mc_report_table_read_csv(p, t));
}

static int count_rows(const mc_report_table *t, const char *task, const char *rep, const char *algo) {
    int n = 0;
    for (int i = 0; i < t->n_rows; i++)
        n += strcmp(t->rows[i].task, task) == 0 && (!rep || strcmp(t->rows[i].representation, rep) == 0) &&
             (!algo || strcmp(t->rows[i].algorithm, algo) == 0);
    return n;
}


/* Lines of a message (a one-line error has 1). */
static int count_lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* The rule assign states, recomputed here from the files: each new row of new_lat gets, under the run's
 * clustering run_asg of run_lat, the nearest cluster mean (k-means, agglomerative) or the cluster of the
 * nearest core point within eps, else -1 (DBSCAN); returns the rows of new_asg that break it (-1 when
 * a file cannot be read). */
static int64_t rule_breaks(const char *run_lat, const char *run_asg, const char *new_lat, const char *new_asg, bool dbscan,
                           double eps, int min_samples) {
    mc_array R = {0}, X = {0};
    if (mc_npy_read_f32(run_lat, &R) != MC_STATUS_OK || mc_npy_read_f32(new_lat, &X) != MC_STATUS_OK || R.ndim != 2 ||
        X.ndim != 2 || R.shape[1] != X.shape[1]) {
        mc_array_free(&R);
        mc_array_free(&X);
        return -1;
    }
    const int64_t nr = R.shape[0], n = X.shape[0];
    const int d = (int)R.shape[1];
    const float *r = R.data, *x = X.data;
    int32_t *rc = malloc((size_t)nr * sizeof *rc), *nc = malloc((size_t)n * sizeof *nc);
    int64_t bad = -1;
    if (rc && nc && mc_report_assign_read(run_asg, nr, run_lat, rc) == MC_STATUS_OK &&
        mc_report_assign_read(new_asg, n, new_lat, nc) == MC_STATUS_OK) {
        bad = 0;
        int k = 0;
        for (int64_t i = 0; i < nr; i++) k = rc[i] + 1 > k ? rc[i] + 1 : k;
        double *C = calloc((size_t)(k ? k : 1) * (size_t)d, sizeof *C), *cnt = calloc((size_t)(k ? k : 1), sizeof *cnt);
        for (int64_t i = 0; i < nr; i++)
            if (rc[i] >= 0) {
                cnt[rc[i]]++;
                for (int j = 0; j < d; j++) C[(size_t)rc[i] * d + j] += r[i * d + j];
            }
        for (int64_t i = 0; i < n; i++) {
            int want = -1;
            double best = INFINITY;
            for (int64_t c = 0; c < (dbscan ? nr : k); c++) {
                double d2 = 0;
                if (dbscan) {
                    if (rc[c] < 0) continue;
                    int64_t nb = 0;
                    for (int64_t j = 0; j < nr; j++) {
                        double t2 = 0;
                        for (int q = 0; q < d; q++) t2 += ((double)r[c * d + q] - r[j * d + q]) * ((double)r[c * d + q] - r[j * d + q]);
                        nb += t2 <= eps * eps;
                    }
                    if (nb < min_samples) continue;
                    for (int q = 0; q < d; q++) d2 += ((double)x[i * d + q] - r[c * d + q]) * ((double)x[i * d + q] - r[c * d + q]);
                    if (d2 <= eps * eps && d2 < best) best = d2, want = rc[c];
                } else {
                    for (int q = 0; q < d; q++) {
                        const double t = (double)x[i * d + q] - C[c * d + q] / cnt[c];
                        d2 += t * t;
                    }
                    if (d2 < best) best = d2, want = (int)c;
                }
            }
            bad += nc[i] != want;
        }
        free(C);
        free(cnt);
    }
    free(rc);
    free(nc);
    mc_array_free(&R);
    mc_array_free(&X);
    return bad;
}

/* `musiclust assign` into fitted spaces and with every algorithm: raw, pca (saved transforms) and a vae,
 * each with k-means, agglomerative and DBSCAN, on 2 genres x 4 clips; the run's own audio gives its
 * rows and k-means clusters back byte for byte; a held-out folder follows the stated rules (recomputed
 * here); new rows land on the run's maps; a run without the saved transform says to rerun, and the
 * rerun writes it. */
/* The fixture of the assign tests: 2 genres x 4 gtzan clips in DIR/gtzan, 3 held-out jazz clips in
 * DIR/heldout, RECIPE (JSON text) written to DIR/NAME and run into DIR/run (--fast, 1 seed, 2 threads).
 * Fills audio, hdir, rp and out (each at least 700 bytes); returns the run's exit code (err: its stderr). */
static int assign_fixture(const char *dir, const char *name, const char *recipe, char *audio, char *hdir, char *rp,
                          char *out, char *err, size_t err_cap) {
    static const char *const two[] = {"classical", "metal"}, *const held[] = {"jazz"};
    const char *data = mc_test_shared_data();
    snprintf(audio, 600, "%s/gtzan", dir);
    snprintf(hdir, 600, "%s/heldout", dir);
    gtzan_subset(data, audio, two, 2, 4);
    gtzan_subset(data, hdir, held, 1, 3);
    snprintf(rp, 700, "%s/%s", dir, name);
    FILE *f = fopen(rp, "w");
    if (f) {
        fputs(recipe, f);
        fclose(f);
    }
    snprintf(out, 700, "%s/run", dir);
    char args[8192];
    snprintf(args, sizeof args, "run --recipe '%s' --fast --seeds 1 --threads 2 --quiet '%s' -o '%s'", rp, audio, out);
    return mc_test_cli("recipes", args, err, err_cap);
}

static void test_assign_spaces(void) {
    const char *dir = mc_test_tmpdir("recipes_assign");
    char audio[600], hdir[600], args[8192], err[4096], out[700], rp[700];
    int rc = assign_fixture(dir, "spaces.json",
                            "{\"representations\": [{\"id\": \"raw\", \"kind\": \"raw\"}, {\"id\": \"pca\", \"kind\": \"pca\", \"components\": 4},"
                            " {\"id\": \"vae\", \"kind\": \"vae\", \"latent\": 4, \"hidden\": [32], \"epochs\": 3}],"
                            " \"algorithms\": [\"kmeans\", \"agglomerative\", \"dbscan\"], \"k\": 3, \"features\": {\"n_mfcc\": 13},"
                            " \"figures\": {\"maps\": true, \"report\": false}}\n",
                            audio, hdir, rp, out, err, sizeof err);
    MC_CHECK(rc == 0, "spaces recipe: %d %s", rc, err);
    static const char *const reps[] = {"raw", "pca", "vae"}, *const algos[] = {"kmeans", "agglomerative", "dbscan"};
    for (int r = 0; r < 3; r++) {
        const bool seeded = r == 2;
        char asg[800], got[900], want[900], rl[900], nl[900], ra[900], na[900];
        /* the run's own audio */
        snprintf(asg, sizeof asg, "%s/own-%s", dir, reps[r]);
        snprintf(args, sizeof args, "assign '%s' '%s' -o '%s' --representation %s --threads 2 --quiet", out, audio, asg, reps[r]);
        rc = mc_test_cli("recipes", args, err, sizeof err);
        snprintf(rl, sizeof rl, "%s/latents/%s%s.npy", out, reps[r], seeded ? ".seed0" : "");
        snprintf(nl, sizeof nl, "%s/latents/%s%s.npy", asg, reps[r], seeded ? ".seed0" : "");
        MC_CHECK(rc == 0 && mc_test_same_file(rl, nl), "assign %s: the run's own audio gets the run's rows: %d %s", reps[r], rc, err);
        snprintf(got, sizeof got, "%s/assign/%s.kmeans.seed0.tsv", asg, reps[r]);
        snprintf(want, sizeof want, "%s/assign/%s.kmeans.seed0.tsv", out, reps[r]);
        MC_CHECK(mc_test_same_file(got, want), "assign %s: the run's k-means clusters byte for byte", reps[r]);
        /* a held-out folder: every algorithm's rule, recomputed */
        snprintf(asg, sizeof asg, "%s/new-%s", dir, reps[r]);
        snprintf(args, sizeof args, "assign '%s' '%s' -o '%s' --representation %s --threads 2 --quiet", out, hdir, asg, reps[r]);
        rc = mc_test_cli("recipes", args, err, sizeof err);
        MC_CHECK(rc == 0, "assign %s of a held-out folder: %d %s", reps[r], rc, err);
        snprintf(nl, sizeof nl, "%s/latents/%s%s.npy", asg, reps[r], seeded ? ".seed0" : "");
        for (int a = 0; a < 3; a++) {
            double eps = 0, ms = 0;
            snprintf(ra, sizeof ra, "%s/assign/%s.%s.seed0.tsv", out, reps[r], algos[a]);
            snprintf(na, sizeof na, "%s/assign/%s.%s.seed0.tsv", asg, reps[r], algos[a]);
            if (a == 2) {
                snprintf(got, sizeof got, "%s/assign/%s.dbscan.seed0.json", out, reps[r]);
                mc_json_value *j = mc_test_json_file(got);
                const mc_json_value *e = mc_json_member(j, "eps"), *m = mc_json_member(j, "min_samples");
                eps = e ? e->num : 0;
                ms = m ? m->num : 0;
                MC_CHECK(eps > 0 && ms >= 1, "the run saves DBSCAN's eps %g and min_samples %g beside its assignment", eps, ms);
                mc_json_value_free(j);
            }
            int64_t bad = rule_breaks(rl, ra, nl, na, a == 2, eps, (int)ms);
            MC_CHECK(bad == 0, "assign %s x %s of held-out rows follows the rule: %lld rows break it", reps[r], algos[a], (long long)bad);
        }
        snprintf(got, sizeof got, "%s/tracks.tsv", asg);
        mc_table tt = {0};
        MC_CHECK(mc_table_read(got, '\t', &tt) == MC_STATUS_OK && tt.nrows == 3 && mc_table_column(&tt, "cluster") >= 0 &&
                     mc_table_column(&tt, "agglomerative") >= 0 && mc_table_column(&tt, "dbscan") >= 0 &&
                     mc_table_column(&tt, "umap_x") >= 0 && mc_table_column(&tt, "tsne_y") >= 0,
                 "assign %s: tracks.tsv with 3 tracks, a column per algorithm and the map positions", reps[r]);
        mc_table_free(&tt);
        /* the maps: a convex combination of the run's positions lies in their box */
        for (int m = 0; m < 2; m++) {
            const char *meth = m ? "tsne" : "umap";
            mc_array Y = {0}, P = {0};
            snprintf(want, sizeof want, "%s/embed/%s.%s.npy", out, reps[r], meth);
            snprintf(got, sizeof got, "%s/embed/%s.%s.npy", asg, reps[r], meth);
            bool ok = mc_npy_read_f32(want, &Y) == MC_STATUS_OK && mc_npy_read_f32(got, &P) == MC_STATUS_OK && P.ndim == 2 &&
                      P.shape[1] == 2 && P.shape[0] == npy_dim(nl, 0);
            float lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
            for (int64_t i = 0; ok && i < Y.shape[0]; i++)
                for (int q = 0; q < 2; q++) lo[q] = fminf(lo[q], ((float *)Y.data)[i * 2 + q]), hi[q] = fmaxf(hi[q], ((float *)Y.data)[i * 2 + q]);
            for (int64_t i = 0; ok && i < P.shape[0]; i++)
                for (int q = 0; q < 2; q++) ok = ((float *)P.data)[i * 2 + q] >= lo[q] - 1e-4f && ((float *)P.data)[i * 2 + q] <= hi[q] + 1e-4f;
            MC_CHECK(ok, "assign %s: held-out rows placed inside the run's %s map", reps[r], meth);
            mc_array_free(&Y);
            mc_array_free(&P);
        }
    }
    /* the run's own rows on its UMAP map: each near where the run put it */
    {
        char got[900], want[900];
        snprintf(want, sizeof want, "%s/embed/vae.umap.npy", out);
        snprintf(got, sizeof got, "%s/own-vae/embed/vae.umap.npy", dir);
        mc_array Y = {0}, P = {0};
        double own = 0, pairs = 0;
        if (mc_npy_read_f32(want, &Y) == MC_STATUS_OK && mc_npy_read_f32(got, &P) == MC_STATUS_OK && P.shape[0] == Y.shape[0]) {
            const float *y = Y.data, *pp = P.data;
            const int64_t n = Y.shape[0];
            for (int64_t i = 0; i < n; i++) {
                own += hypot(pp[i * 2] - y[i * 2], pp[i * 2 + 1] - y[i * 2 + 1]);
                for (int64_t j = 0; j < n; j++) pairs += hypot(y[j * 2] - y[i * 2], y[j * 2 + 1] - y[i * 2 + 1]);
            }
            own /= (double)n;
            pairs /= (double)n * (double)n;
        }
        MC_CHECK(own > 0 && own < 0.5 * pairs, "own rows placed on the UMAP map: mean distance to the run's position %.3f, "
                 "mean distance between rows %.3f", own, pairs);
        mc_array_free(&Y);
        mc_array_free(&P);
    }
    /* a run without the saved transform (as before it was saved): one line saying to rerun; the rerun writes it */
    {
        char tj[900], asg[800];
        snprintf(tj, sizeof tj, "%s/latents/pca.transform.json", out);
        remove(tj);
        snprintf(asg, sizeof asg, "%s/old-pca", dir);
        snprintf(args, sizeof args, "assign '%s' '%s' -o '%s' --representation pca --quiet", out, hdir, asg);
        rc = mc_test_cli("recipes", args, err, sizeof err);
        MC_CHECK(rc == 1 && strstr(err, "rerun") && count_lines(err) == 1, "assign without a saved transform: exit 1, one line "
                 "saying to rerun: %d %s", rc, err);
        snprintf(args, sizeof args, "run --recipe '%s' --fast --seeds 1 --threads 2 --quiet '%s' -o '%s'", rp, audio, out);
        rc = mc_test_cli("recipes", args, err, sizeof err);
        struct stat sb;
        MC_CHECK(rc == 0 && stat(tj, &sb) == 0, "the rerun writes the missing transform: %d %s", rc, err);
        snprintf(args, sizeof args, "assign '%s' '%s' -o '%s' --representation pca --quiet", out, hdir, asg);
        rc = mc_test_cli("recipes", args, err, sizeof err);
        MC_CHECK(rc == 0, "assign after the rerun: %d %s", rc, err);
    }
}

/* The most likely component of each row of X (n, d) under the mixture saved at <tsv minus .tsv>.json/.npy
 * (full covariances), recomputed here naively (a Cholesky by hand, the quadratic form by substitution):
 * the labels in new_asg that differ from it where the best two log-densities are more than 1e-9 apart
 * (-1 when a file cannot be read). */
static int64_t gmm_rule_breaks(const char *run_asg, const char *new_lat, const char *new_asg) {
    char pj[900], pn[900];
    snprintf(pj, sizeof pj, "%.*s.json", (int)strlen(run_asg) - 4, run_asg);
    snprintf(pn, sizeof pn, "%.*s.npy", (int)strlen(run_asg) - 4, run_asg);
    mc_json_value *j = mc_test_json_file(pj);
    const mc_json_value *jk = mc_json_member(j, "k"), *jd = mc_json_member(j, "d"), *jc = mc_json_member(j, "covariance");
    mc_array P = {0}, X = {0};
    int64_t bad = -1;
    const int k = jk ? (int)jk->num : 0, d = jd ? (int)jd->num : 0;
    if (k > 0 && d > 0 && jc && jc->type == MC_JSON_STRING && strcmp(jc->str, "full") == 0 && mc_npy_read(pn, &P) == MC_STATUS_OK &&
        P.dtype == MC_DTYPE_F64 && P.shape[0] == (int64_t)k * (1 + d + d * d) && mc_npy_read_f32(new_lat, &X) == MC_STATUS_OK &&
        X.ndim == 2 && X.shape[1] == d) {
        const int64_t n = X.shape[0];
        const double *w = P.data, *mu = w + k, *cov = mu + k * d;
        int32_t *nc = malloc((size_t)n * sizeof *nc);
        double *L = malloc((size_t)k * d * d * sizeof *L), *lp = malloc((size_t)n * k * sizeof *lp), y[64];
        if (nc && L && lp && d <= 64 && mc_report_assign_read(new_asg, n, new_lat, nc) == MC_STATUS_OK) {
            bad = 0;
            for (int c = 0; c < k; c++) { /* Sigma_c = L L^T */
                double *l = L + (size_t)c * d * d;
                const double *S = cov + (size_t)c * d * d;
                for (int a = 0; a < d; a++)
                    for (int b = 0; b <= a; b++) {
                        double t = S[a * d + b];
                        for (int q = 0; q < b; q++) t -= l[a * d + q] * l[b * d + q];
                        l[a * d + b] = a == b ? sqrt(t) : t / l[b * d + b];
                    }
                for (int64_t i = 0; i < n; i++) {
                    double q2 = 0, ld = 0;
                    for (int a = 0; a < d; a++) { /* L y = x - mu */
                        double t = (double)((const float *)X.data)[i * d + a] - mu[c * d + a];
                        for (int b = 0; b < a; b++) t -= l[a * d + b] * y[b];
                        y[a] = t / l[a * d + a];
                        q2 += y[a] * y[a];
                        ld += log(l[a * d + a]);
                    }
                    lp[i * k + c] = log(w[c]) - ld - 0.5 * q2;
                }
            }
            for (int64_t i = 0; i < n; i++) {
                int b = 0;
                for (int c = 1; c < k; c++) b = lp[i * k + c] > lp[i * k + b] ? c : b;
                double gap = INFINITY;
                for (int c = 0; c < k; c++)
                    if (c != b) gap = fmin(gap, lp[i * k + b] - lp[i * k + c]);
                bad += nc[i] != b && gap > 1e-9;
            }
        }
        free(nc);
        free(L);
        free(lp);
    }
    mc_json_value_free(j);
    mc_array_free(&P);
    mc_array_free(&X);
    return bad;
}

/* A recipe with algorithms ["kmeans", "gmm"] (pca, k 3, 2 genres x 4 clips): metrics rows for GMM as for
 * k-means, the fitted mixture saved beside its assignment, the run's own audio gets the run's GMM
 * assignment byte for byte, held-out rows get the most likely component (recomputed here), and
 * tracks.tsv has a gmm column. */
static void test_assign_gmm(void) {
    const char *dir = mc_test_tmpdir("recipes_assign_gmm");
    char audio[600], hdir[600], args[8192], err[4096], out[700], rp[700], asg[800], got[900], want[900], nl[900];
    int rc = assign_fixture(dir, "gmm.json",
                            "{\"representations\": [{\"id\": \"pca\", \"kind\": \"pca\", \"components\": 4}],"
                            " \"algorithms\": [\"kmeans\", \"gmm\"], \"k\": 3, \"features\": {\"n_mfcc\": 13},"
                            " \"figures\": {\"maps\": false, \"report\": false}}\n",
                            audio, hdir, rp, out, err, sizeof err);
    MC_CHECK(rc == 0, "gmm recipe: %d %s", rc, err);
    mc_report_table t;
    read_metrics(out, &t);
    int nk = 0, ng = 0;
    for (int i = 0; i < t.n_rows; i++) {
        nk += strcmp(t.rows[i].representation, "pca") == 0 && strcmp(t.rows[i].algorithm, "kmeans") == 0;
        ng += strcmp(t.rows[i].representation, "pca") == 0 && strcmp(t.rows[i].algorithm, "gmm") == 0;
    }
    MC_CHECK(ng > 0 && ng == nk, "metrics.csv: GMM rows as k-means' (%d vs %d)", ng, nk);
    mc_report_table_free(&t);
    snprintf(want, sizeof want, "%s/assign/pca.gmm.seed0.tsv", out);
    snprintf(got, sizeof got, "%s/assign/pca.gmm.seed0.npy", out);
    MC_CHECK(npy_dim(got, 0) == 3 * (1 + 4 + 16), "the run saves the fitted mixture (weights, means, full covariances): %lld",
             (long long)npy_dim(got, 0));
    /* the run's own audio */
    snprintf(asg, sizeof asg, "%s/own", dir);
    snprintf(args, sizeof args, "assign '%s' '%s' -o '%s' --representation pca --threads 2 --quiet", out, audio, asg);
    rc = mc_test_cli("recipes", args, err, sizeof err);
    snprintf(got, sizeof got, "%s/assign/pca.gmm.seed0.tsv", asg);
    MC_CHECK(rc == 0 && mc_test_same_file(got, want), "assign: the run's own audio gets the run's GMM clusters byte for byte: %d %s",
             rc, err);
    /* held-out rows: the most likely component */
    snprintf(asg, sizeof asg, "%s/new", dir);
    snprintf(args, sizeof args, "assign '%s' '%s' -o '%s' --representation pca --threads 2 --quiet", out, hdir, asg);
    rc = mc_test_cli("recipes", args, err, sizeof err);
    MC_CHECK(rc == 0, "assign of a held-out folder: %d %s", rc, err);
    snprintf(nl, sizeof nl, "%s/latents/pca.npy", asg);
    snprintf(got, sizeof got, "%s/assign/pca.gmm.seed0.tsv", asg);
    int64_t bad = gmm_rule_breaks(want, nl, got);
    MC_CHECK(bad == 0, "assign gmm of held-out rows: the most likely component; %lld rows break it", (long long)bad);
    snprintf(got, sizeof got, "%s/tracks.tsv", asg);
    mc_table tt = {0};
    MC_CHECK(mc_table_read(got, '\t', &tt) == MC_STATUS_OK && tt.nrows == 3 && mc_table_column(&tt, "gmm") >= 0,
             "assign: tracks.tsv with 3 tracks and a gmm column");
    mc_table_free(&tt);
}

static void test_runs(void) {
    const char *data = mc_test_shared_data();
    const char *dir = mc_test_tmpdir("recipes_runs");
    static const char *const two[] = {"classical", "metal"};
    char audio[600], args[8192], err[4096], out[700], p[900];
    snprintf(audio, sizeof audio, "%s/gtzan", dir);
    gtzan_subset(data, audio, two, 2, 4);
    const char *common = "--fast --seeds 1 --threads 2 --quiet";
    mc_report_table t;

    /* (b) linear-vae: 13 MFCCs -> 26 columns, k 5, vae + pca with k-means, AMI beside ARI / NMI */
    snprintf(out, sizeof out, "%s/lin", dir);
    snprintf(args, sizeof args, "run --recipe linear-vae %s --no-report '%s' -o '%s'", common, audio, out);
    int rc = mc_test_cli("recipes", args, err, sizeof err);
    MC_CHECK(rc == 0, "linear-vae: %d %s", rc, err);
    snprintf(p, sizeof p, "%s/features/mfcc_stats.npy", out);
    MC_CHECK(npy_dim(p, 1) == 26, "linear-vae: 13 MFCC means + variances = 26 columns, got %lld", (long long)npy_dim(p, 1));
    snprintf(p, sizeof p, "%s/latents/vae.seed0.npy", out);
    MC_CHECK(npy_dim(p, 1) == 4, "linear-vae: vae latent 4");
    snprintf(p, sizeof p, "%s/latents/pca.npy", out);
    MC_CHECK(npy_dim(p, 1) == 4, "linear-vae: pca 4 components");
    read_metrics(out, &t);
    MC_CHECK(count_rows(&t, "linear-vae", "vae", "kmeans") == 2 && count_rows(&t, "linear-vae", "pca", "kmeans") == 2 &&
                 t.n_rows == 4 && t.rows[0].k == 5 && mc_report_table_metric(&t, "ami_genre") >= 0,
             "linear-vae: vae and pca x k-means at both levels, k 5, ami_genre (%d rows)", t.n_rows);
    {
        const int mr = mc_report_table_metric(&t, "recon_loss"), mk = mc_report_table_metric(&t, "kl");
        bool ok = mr >= 0 && mk >= 0;
        for (int i = 0; ok && i < t.n_rows; i++) {
            const bool vae = strcmp(t.rows[i].representation, "vae") == 0;
            ok = vae ? isfinite(t.rows[i].mean[mr]) && t.rows[i].mean[mr] > 0 && isfinite(t.rows[i].mean[mk])
                     : isnan(t.rows[i].mean[mr]) && isnan(t.rows[i].mean[mk]);
        }
        MC_CHECK(ok, "metrics.csv: recon_loss and kl of the vae (NaN for pca)");
    }
    mc_report_table_free(&t);

    /* `musiclust map` of the run's latent gives the run's maps byte for byte, and draws a scatter */
    for (int m = 0; m < 2; m++) {
        const char *meth = m ? "tsne" : "umap";
        char y[800], png[800], want[800];
        snprintf(y, sizeof y, "%s/map.%s.npy", dir, meth);
        snprintf(png, sizeof png, "%s/map.%s.png", dir, meth);
        snprintf(want, sizeof want, "%s/embed/vae.%s.npy", out, meth);
        snprintf(args, sizeof args, "map '%s/latents/vae.seed0.npy' -o '%s' --method %s --fast --threads 2 --quiet "
                 "--labels '%s/features' --column genre --plot '%s'", out, y, meth, out, png);
        rc = mc_test_cli("recipes", args, err, sizeof err);
        struct stat sp;
        MC_CHECK(rc == 0 && mc_test_same_file(y, want) && stat(png, &sp) == 0 && sp.st_size > 1000,
                 "map --method %s equals the run's embed/vae.%s.npy and draws %s: %d %s", meth, meth, png, rc, err);
    }
    snprintf(args, sizeof args, "map '%s/latents/vae.seed0.npy' -o '%s/m.npy' --method pca", out, dir);
    MC_CHECK(mc_test_cli("recipes", args, err, sizeof err) == 2 && strstr(err, "tsne or umap"), "map: a bad method is a usage error: %s", err);
    snprintf(args, sizeof args, "map '%s/latents/vae.seed0.npy' -o '%s/m.npy' --labels '%s/features/tracks.tsv' --column genre "
             "--plot '%s/m.png'", out, dir, out, dir);
    MC_CHECK(mc_test_cli("recipes", args, err, sizeof err) == 1 && strstr(err, "row for row"),
             "map: labels that do not match the rows: exit 1: %s", err);
    snprintf(args, sizeof args, "map '%s/features/index.tsv' -o '%s/m.npy'", out, dir);
    MC_CHECK(mc_test_cli("recipes", args, err, sizeof err) == 1 && strstr(err, "index.tsv"), "map: not an array: exit 1: %s", err);

    /* `musiclust assign`: the run's own audio gets the run's latents and clusters back; a held-out
     * genre folder goes in end to end; a fitted space cannot assign */
    {
        char asg[800], got[900], want[900];
        snprintf(asg, sizeof asg, "%s/assign-same", dir);
        snprintf(args, sizeof args, "assign '%s' '%s' -o '%s' --threads 2 --quiet", out, audio, asg);
        rc = mc_test_cli("recipes", args, err, sizeof err);
        MC_CHECK(rc == 0, "assign of the run's own audio: %d %s", rc, err);
        snprintf(got, sizeof got, "%s/assign/vae.kmeans.seed0.tsv", asg);
        snprintf(want, sizeof want, "%s/assign/vae.kmeans.seed0.tsv", out);
        MC_CHECK(mc_test_same_file(got, want), "assign reproduces the run's k-means clusters (%s vs %s)", got, want);
        snprintf(got, sizeof got, "%s/latents/vae.seed0.npy", asg);
        snprintf(want, sizeof want, "%s/latents/vae.seed0.npy", out);
        MC_CHECK(mc_test_same_file(got, want), "assign encodes the run's audio to the run's latents");
        static const char *const held[] = {"jazz"};
        char hdir[700];
        snprintf(hdir, sizeof hdir, "%s/heldout", dir);
        gtzan_subset(data, hdir, held, 1, 3);
        snprintf(asg, sizeof asg, "%s/assign-new", dir);
        snprintf(args, sizeof args, "assign '%s' '%s' -o '%s' --threads 2 --quiet", out, hdir, asg);
        rc = mc_test_cli("recipes", args, err, sizeof err);
        snprintf(got, sizeof got, "%s/tracks.tsv", asg);
        mc_table tt = {0};
        MC_CHECK(rc == 0 && mc_table_read(got, '\t', &tt) == MC_STATUS_OK && tt.nrows == 3 &&
                     mc_table_column(&tt, "cluster") >= 0 && mc_table_column(&tt, "cluster_mostly") >= 0,
                 "assign of a held-out genre folder: 3 tracks in tracks.tsv: %d %s", rc, err);
        for (int64_t r = 0; r < tt.nrows; r++) {
            int c = atoi(mc_table_get(&tt, r, mc_table_column(&tt, "cluster")));
            MC_CHECK(c >= 0 && c < 5, "held-out track %lld in one of the run's 5 clusters: %d", (long long)r, c);
        }
        mc_table_free(&tt);
        /* a fitted space through its saved transform: the same pca rows and clusters */
        snprintf(asg, sizeof asg, "%s/assign-pca", dir);
        snprintf(args, sizeof args, "assign '%s' '%s' -o '%s' --representation pca --threads 2 --quiet", out, audio, asg);
        rc = mc_test_cli("recipes", args, err, sizeof err);
        snprintf(got, sizeof got, "%s/latents/pca.npy", asg);
        snprintf(want, sizeof want, "%s/latents/pca.npy", out);
        MC_CHECK(rc == 0 && mc_test_same_file(got, want), "assign --representation pca: the run's pca rows: %d %s", rc, err);
        /* run.json lists what ran: the recipe's rows, not the default tasks */
        snprintf(p, sizeof p, "%s/run.json", out);
        mc_json_value *rj = mc_test_json_file(p);
        const mc_json_value *tk = mc_json_member(mc_json_member(rj, "configuration"), "tasks");
        MC_CHECK(tk && tk->str && strcmp(tk->str, "linear-vae") == 0, "run.json: tasks of a recipe run are the recipe's (%s)",
                 tk && tk->str ? tk->str : "none");
        mc_json_value_free(rj);
    }

    /* (a) mfcc-vae: one vector per track, latent 16 */
    snprintf(out, sizeof out, "%s/mfcc", dir);
    snprintf(args, sizeof args, "run --recipe mfcc-vae %s --no-report --no-maps '%s' -o '%s'", common, audio, out);
    rc = mc_test_cli("recipes", args, err, sizeof err);
    MC_CHECK(rc == 0, "mfcc-vae: %d %s", rc, err);
    snprintf(p, sizeof p, "%s/latents/vae.seed0.npy", out);
    MC_CHECK(npy_dim(p, 0) == 8 && npy_dim(p, 1) == 16, "mfcc-vae: 8 tracks x latent 16, got %lld x %lld",
             (long long)npy_dim(p, 0), (long long)npy_dim(p, 1));

    /* (c) conv-beta-vae: three representations x two algorithms, every metric and AMI finite */
    snprintf(out, sizeof out, "%s/conv", dir);
    snprintf(args, sizeof args, "run --recipe conv-beta-vae %s '%s' -o '%s'", common, audio, out);
    rc = mc_test_cli("recipes", args, err, sizeof err);
    MC_CHECK(rc == 0, "conv-beta-vae: %d %s", rc, err);
    read_metrics(out, &t);
    static const char *const reps[] = {"pca-logmel", "conv-ae", "conv-beta-vae"};
    static const char *const mets[] = {"silhouette", "calinski_harabasz", "davies_bouldin", "ari_genre", "ami_genre",
                                       "nmi_genre", "purity_genre"};
    for (int r = 0; r < 3; r++) {
        snprintf(p, sizeof p, "%s/latents/%s%s.npy", out, reps[r], r ? ".seed0" : "");
        MC_CHECK(npy_dim(p, 1) == 32, "conv-beta-vae: %s has 32 dimensions, got %lld", reps[r], (long long)npy_dim(p, 1));
        for (int a = 0; a < 2; a++) {
            const char *algo = a ? "agglomerative" : "kmeans";
            MC_CHECK(count_rows(&t, "conv-beta-vae", reps[r], algo) == 2, "conv-beta-vae: %s x %s at both levels", reps[r], algo);
            for (int i = 0; i < t.n_rows; i++) {
                const mc_report_row *row = &t.rows[i];
                if (strcmp(row->representation, reps[r]) != 0 || strcmp(row->algorithm, algo) != 0) continue;
                for (size_t m = 0; m < sizeof mets / sizeof *mets; m++) {
                    int mi = mc_report_table_metric(&t, mets[m]);
                    MC_CHECK(mi >= 0 && isfinite(row->mean[mi]), "conv-beta-vae: %s %s %s %s is finite", reps[r], algo,
                             row->level, mets[m]);
                }
            }
        }
    }
    mc_report_table_free(&t);
    {
        char asg[800], got[900], want[900];
        snprintf(asg, sizeof asg, "%s/assign-conv", dir);
        snprintf(args, sizeof args, "assign '%s' '%s' -o '%s' --representation conv-ae --threads 2 --quiet", out, audio, asg);
        rc = mc_test_cli("recipes", args, err, sizeof err);
        snprintf(got, sizeof got, "%s/assign/conv-ae.kmeans.seed0.tsv", asg);
        snprintf(want, sizeof want, "%s/assign/conv-ae.kmeans.seed0.tsv", out);
        MC_CHECK(rc == 0 && mc_test_same_file(got, want), "assign with the conv autoencoder (log-mel) reproduces its clusters: %d %s", rc, err);
        /* the PCA of the flattened log-mel through its saved transform: the run's scores and both clusterings */
        snprintf(asg, sizeof asg, "%s/assign-pca-logmel", dir);
        snprintf(args, sizeof args, "assign '%s' '%s' -o '%s' --representation pca-logmel --threads 2 --quiet", out, audio, asg);
        rc = mc_test_cli("recipes", args, err, sizeof err);
        snprintf(got, sizeof got, "%s/latents/pca-logmel.npy", asg);
        snprintf(want, sizeof want, "%s/latents/pca-logmel.npy", out);
        bool same = rc == 0 && mc_test_same_file(got, want);
        snprintf(got, sizeof got, "%s/assign/pca-logmel.kmeans.seed0.tsv", asg);
        snprintf(want, sizeof want, "%s/assign/pca-logmel.kmeans.seed0.tsv", out);
        MC_CHECK(same && mc_test_same_file(got, want), "assign pca-logmel: the run's scores and k-means clusters: %d %s", rc, err);
    }
    snprintf(p, sizeof p, "%s/recon/conv-ae.recon.npy", out);
    MC_CHECK(npy_dim(p, 1) == 128, "conv-beta-vae: the conv autoencoder's reconstructions (128 mel bands)");
    snprintf(p, sizeof p, "%s/report.html", out);
    struct stat sb;
    MC_CHECK(stat(p, &sb) == 0 && sb.st_size > 1000, "conv-beta-vae: report.html");

    /* (e) the easy recipe gives what --task easy gives, byte for byte */
    char out2[700];
    snprintf(out, sizeof out, "%s/easy-recipe", dir);
    snprintf(out2, sizeof out2, "%s/easy-task", dir);
    snprintf(args, sizeof args, "run --recipe easy %s --no-report --no-maps '%s' -o '%s'", common, audio, out);
    rc = mc_test_cli("recipes", args, err, sizeof err);
    MC_CHECK(rc == 0, "easy recipe: %d %s", rc, err);
    snprintf(args, sizeof args, "run --task easy %s --no-report --no-maps '%s' -o '%s'", common, audio, out2);
    rc = mc_test_cli("recipes", args, err, sizeof err);
    MC_CHECK(rc == 0, "--task easy: %d %s", rc, err);
    char a[800], b[800];
    snprintf(a, sizeof a, "%s/metrics.csv", out);
    snprintf(b, sizeof b, "%s/metrics.csv", out2);
    MC_CHECK(mc_test_same_file(a, b), "recipe easy and --task easy: the same metrics.csv");

    /* (d) multimodal-cvae on a few songs with lyrics: vae, mm-vae, the conv cvae (its label leaked) */
    static char lyr[600], cmd[32768];
    snprintf(lyr, sizeof lyr, "%s/lyrics", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && for f in $(ls '%s/lyrics-en-de/audio' | head -n 16); do ln -sf "
             "'%s/lyrics-en-de/audio/'$f '%s/'$f; done", lyr, data, data, lyr);
    MC_CHECK(system(cmd) == 0, "lyrics subset");
    snprintf(out, sizeof out, "%s/mm", dir);
    snprintf(args, sizeof args, "run --recipe multimodal-cvae %s --no-report --no-maps --label language --metadata "
             "'%s/lyrics-en-de/metadata.tsv' '%s' -o '%s'", common, data, lyr, out);
    rc = mc_test_cli("recipes", args, err, sizeof err);
    MC_CHECK(rc == 0, "multimodal-cvae: %d %s", rc, err);
    read_metrics(out, &t);
    bool leaked = false;
    for (int i = 0; i < t.n_rows; i++)
        if (strcmp(t.rows[i].representation, "cvae") == 0) leaked = strcmp(t.rows[i].leaked, "language") == 0;
    MC_CHECK(count_rows(&t, "multimodal-cvae", "vae", NULL) == 2 && count_rows(&t, "multimodal-cvae", "mm-vae", NULL) == 2 &&
                 count_rows(&t, "multimodal-cvae", "cvae", NULL) == 2 && leaked,
             "multimodal-cvae: vae, mm-vae and the cvae (leaked language) at both levels");
    mc_report_table_free(&t);
    snprintf(p, sizeof p, "%s/models/cvae.seed0.safetensors", out);
    MC_CHECK(stat(p, &sb) == 0, "multimodal-cvae: the cvae model file for `musiclust generate`");
    /* the log-mel cvae's generation check (issue 17, item 5): one row per language, then "all"; the report
     * shows it */
    snprintf(p, sizeof p, "%s/models/cvae.seed0.check.tsv", out);
    mc_table gt;
    MC_CHECK(mc_table_read(p, '\t', &gt) == MC_STATUS_OK, "multimodal-cvae: %s: %s", p, mc_error_message());
    {
        const int ka = mc_table_column(&gt, "knn_accuracy"), kf = mc_table_column(&gt, "fd_real_generated"),
                  ko = mc_table_column(&gt, "fd_real_other_mean");
        bool ok = gt.nrows == 3 && ka >= 0 && kf >= 0 && ko >= 0 && strcmp(mc_table_get(&gt, 2, 0), "all") == 0;
        double worst = 0;
        for (int64_t i = 0; ok && i < gt.nrows; i++) {
            const double acc = strtod(mc_table_get(&gt, i, ka), NULL), fd = strtod(mc_table_get(&gt, i, kf), NULL),
                         fo = strtod(mc_table_get(&gt, i, ko), NULL);
            ok = acc >= 0 && acc <= 1 && isfinite(fd) && fd >= 0 && isfinite(fo) && fo > 0;
            worst = ok ? worst : fd;
        }
        MC_CHECK(ok, "multimodal-cvae: check.tsv has en, de, all with accuracies in [0, 1] and finite distances (%lld rows, "
                 "bad value %g)", (long long)gt.nrows, worst);
        mc_table_free(&gt);
    }
    snprintf(p, sizeof p, "%s/check_report.html", out);
    mc_report_summary rs;
    MC_CHECK(mc_report_html(out, p, &rs) == MC_STATUS_OK, "multimodal-cvae: report: %s", mc_error_message());
    size_t hl = 0;
    char *html = mc_test_read_file(p, &hl);
    MC_CHECK(html && strstr(html, "Generation check") && strstr(html, "class=\"gencheck\""),
             "multimodal-cvae: the report has the generation check table");
    free(html);
    /* assign with the lyrics model (mm-vae) and the label (the conv cvae): the run's own songs back */
    for (int r = 0; r < 2; r++) {
        const char *id = r ? "cvae" : "mm-vae";
        char asg[800], got[900], want[900];
        snprintf(asg, sizeof asg, "%s/assign-mm-%d", dir, r);
        snprintf(args, sizeof args, "assign '%s' '%s' -o '%s' --representation %s --metadata '%s/lyrics-en-de/metadata.tsv' "
                 "--threads 2 --quiet", out, lyr, asg, id, data);
        rc = mc_test_cli("recipes", args, err, sizeof err);
        snprintf(got, sizeof got, "%s/latents/%s.seed0.npy", asg, id);
        snprintf(want, sizeof want, "%s/latents/%s.seed0.npy", out, id);
        bool same = rc == 0 && mc_test_same_file(got, want);
        snprintf(got, sizeof got, "%s/assign/%s.kmeans.seed0.tsv", asg, id);
        snprintf(want, sizeof want, "%s/assign/%s.kmeans.seed0.tsv", out, id);
        MC_CHECK(same && mc_test_same_file(got, want), "assign %s of the run's own songs: its latents and clusters: %d %s", id, rc, err);
    }
    {
        char asg[800];
        snprintf(asg, sizeof asg, "%s/assign-mm-nometa", dir);
        snprintf(args, sizeof args, "assign '%s' '%s' -o '%s' --representation mm-vae --quiet", out, lyr, asg);
        rc = mc_test_cli("recipes", args, err, sizeof err);
        MC_CHECK(rc == 2 && strstr(err, "--metadata") && count_lines(err) == 1, "assign mm-vae without lyrics: exit 2 saying "
                 "to give --metadata: %d %s", rc, err);
    }

    /* audio + lyrics by concatenation: each block centred with total variance 1 (block weighting),
     * the lyrics block keeping the SVD's ordering; the lyrics alone; the old z-score weighting */
    char rp[800];
    snprintf(rp, sizeof rp, "%s/fusion.json", dir);
    FILE *f = fopen(rp, "w");
    if (f) {
        fputs("{\"representations\": [{\"id\": \"vae\", \"kind\": \"vae\", \"latent\": 6},"
              " {\"id\": \"lyr\", \"kind\": \"lyrics\"}, {\"id\": \"both\", \"kind\": \"concat\", \"from\": \"vae\"},"
              " {\"id\": \"both-z\", \"kind\": \"concat\", \"from\": \"vae\", \"fusion\": \"zscore\"}], \"k\": \"label\","
              " \"figures\": {\"maps\": false, \"report\": false}}\n", f);
        fclose(f);
    }
    snprintf(out, sizeof out, "%s/fusion", dir);
    snprintf(args, sizeof args, "run --recipe '%s' %s --label language --metadata "
             "'%s/lyrics-en-de/metadata.tsv' '%s' -o '%s'", rp, common, data, lyr, out);
    rc = mc_test_cli("recipes", args, err, sizeof err);
    MC_CHECK(rc == 0, "fusion recipe: %d %s", rc, err);
    snprintf(p, sizeof p, "%s/embed/both.umap.npy", out);
    char rh[900];
    snprintf(rh, sizeof rh, "%s/report.html", out);
    MC_CHECK(stat(p, &sb) != 0 && stat(rh, &sb) != 0, "the recipe's figures (no maps, no report) stand without --no-maps / --no-report");
    mc_array B = {0}, Lz = {0};
    snprintf(p, sizeof p, "%s/latents/both.seed0.npy", out);
    char pz[900];
    snprintf(pz, sizeof pz, "%s/latents/both-z.seed0.npy", out);
    if (mc_npy_read_f32(p, &B) == MC_STATUS_OK && mc_npy_read_f32(pz, &Lz) == MC_STATUS_OK && B.ndim == 2 &&
        B.shape[1] == 6 + 64 && Lz.shape[1] == 70) {
        const float *x = B.data, *z = Lz.data;
        const int64_t n = B.shape[0];
        double va = 0, vl = 0, first = 0, last = 0, zf = 0, zl = 0;
        int64_t nl = 0; /* rows with lyrics (the others sit at 0) */
        for (int64_t i = 0; i < n; i++) {
            double r = 0;
            for (int q = 0; q < 6; q++) va += (double)x[i * 70 + q] * x[i * 70 + q];
            for (int q = 6; q < 70; q++) r += (double)x[i * 70 + q] * x[i * 70 + q];
            vl += r;
            nl += r > 0;
            first += (double)x[i * 70 + 6] * x[i * 70 + 6];
            last += (double)x[i * 70 + 6 + 13] * x[i * 70 + 6 + 13];
            zf += (double)z[i * 70 + 6] * z[i * 70 + 6];
            zl += (double)z[i * 70 + 6 + 13] * z[i * 70 + 6 + 13];
        }
        va /= (double)n;
        vl /= (double)(nl ? nl : 1);
        MC_CHECK(fabs(va - 1) < 1e-3 && fabs(vl - 1) < 1e-3, "block weighting: total variance audio %.6f, lyrics %.6f (1 each)", va, vl);
        MC_CHECK(first > 2 * last && fabs(zf - zl) < 1e-3 * n, "block weighting keeps the SVD's ordering (component 1 %.3f > "
                 "component 14 %.3f); the z-score one flattens it (%.3f vs %.3f)", first / n, last / n, zf / n, zl / n);
    } else {
        MC_CHECK(0, "fusion latents %s, %s: (n, 70) arrays", p, pz);
    }
    mc_array_free(&B);
    mc_array_free(&Lz);
    read_metrics(out, &t);
    MC_CHECK(count_rows(&t, "fusion", "lyr", "kmeans") == 2 && count_rows(&t, "fusion", "both", "kmeans") == 2,
             "fusion: the lyrics alone and the concatenation are scored");
    mc_report_table_free(&t);
    /* assign into the fused spaces: with the songs' lyrics (the run's lyrics model), the run's rows
     * byte for byte; without them, the lyrics block at its mean (0), said in a note */
    static const char *const fused[] = {"lyr", "both", "both-z"};
    for (int r = 0; r < 3; r++) {
        char asg[800], got[900], want[900];
        snprintf(asg, sizeof asg, "%s/assign-%s", dir, fused[r]);
        snprintf(args, sizeof args, "assign '%s' '%s' -o '%s' --representation %s --metadata '%s/lyrics-en-de/metadata.tsv' "
                 "--threads 2 --quiet", out, lyr, asg, fused[r], data);
        rc = mc_test_cli("recipes", args, err, sizeof err);
        snprintf(got, sizeof got, "%s/latents/%s.seed0.npy", asg, fused[r]);
        snprintf(want, sizeof want, "%s/latents/%s.seed0.npy", out, fused[r]);
        bool same = rc == 0 && mc_test_same_file(got, want);
        snprintf(got, sizeof got, "%s/assign/%s.kmeans.seed0.tsv", asg, fused[r]);
        snprintf(want, sizeof want, "%s/assign/%s.kmeans.seed0.tsv", out, fused[r]);
        MC_CHECK(same && mc_test_same_file(got, want), "assign %s (fused) of the run's own songs: its rows and clusters: %d %s",
                 fused[r], rc, err);
    }
    {
        char asg[800], got[900];
        snprintf(asg, sizeof asg, "%s/assign-both-nolyrics", dir);
        snprintf(args, sizeof args, "assign '%s' '%s' -o '%s' --representation both --threads 2", out, lyr, asg);
        rc = mc_test_cli("recipes", args, err, sizeof err);
        char *so = mc_test_read_file("recipes_stdout.txt", NULL);
        snprintf(got, sizeof got, "%s/latents/both.seed0.npy", asg);
        mc_array N = {0};
        bool zero = rc == 0 && mc_npy_read_f32(got, &N) == MC_STATUS_OK && N.ndim == 2 && N.shape[1] == 70;
        for (int64_t i = 0; zero && i < N.shape[0]; i++)
            for (int q = 6; q < 70; q++) zero = zero && ((const float *)N.data)[i * 70 + q] == 0.0f;
        MC_CHECK(zero && so && strstr(so, "none of the new tracks has lyrics"), "assign both without lyrics: the lyrics block "
                 "at 0 and a note saying so: %d %s", rc, so ? so : err);
        mc_array_free(&N);
        free(so);
    }
}

int main(void) {
    test_builtin_files();
    test_errors();
    test_cli_errors();
    test_assign_spaces();
    test_assign_gmm();
    test_runs();
    return mc_test_summary("test_recipes");
}
