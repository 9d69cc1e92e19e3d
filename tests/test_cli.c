/* The command-line program: --help everywhere, exit statuses (0 ok, 1 bad input, 2 usage), one-line
 * errors naming the file, and `musiclust demo` end to end on its synthesized corpus. */
#include "mc_test.h"

#include <musiclust/core.h>

#include <sys/wait.h>

/* Run the CLI with args (a shell fragment), capturing stderr into err (truncated); returns the exit
 * status. */
static int run(const char *args, char *err, size_t cap) { return mc_test_cli("cli", args, err, cap); }

static int count_lines_of(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* The widest line of s in characters (UTF-8 continuation bytes not counted). */
static int widest_line(const char *s, char *which, size_t cap) {
    int best = 0, w = 0;
    const char *start = s;
    for (const char *p = s;; p++) {
        if (*p == '\n' || !*p) {
            if (w > best) {
                best = w;
                snprintf(which, cap, "%.*s", (int)(p - start), start);
            }
            w = 0;
            start = p + 1;
            if (!*p) break;
        } else if (((unsigned char)*p & 0xC0) != 0x80) {
            w++;
        }
    }
    return best;
}

static char *stdout_text(void) { return mc_test_read_file("cli_stdout.txt", NULL); }

/* Issue 14's rough edges: help CMD, -V, -k3, --seed -1, --threads range, help width and examples,
 * train -o into a new folder, a text file named .mp3. */
static void test_rough_edges(const char *dir) {
    char err[8192], args[4096];
    /* help CMD = CMD --help; -V = --version */
    MC_CHECK(run("extract --help", err, sizeof err) == 0, "extract --help");
    char *a = stdout_text();
    MC_CHECK(run("help extract", err, sizeof err) == 0, "musiclust help extract exits 0: %s", err);
    char *b = stdout_text();
    MC_CHECK(a && b && strlen(a) > 100 && strcmp(a, b) == 0, "musiclust help extract prints extract --help");
    free(a);
    free(b);
    MC_CHECK(run("help frobnicate", err, sizeof err) == 2 && strstr(err, "frobnicate"), "help of an unknown command: %s", err);
    MC_CHECK(run("-V", err, sizeof err) == 0, "-V exits 0");
    a = stdout_text();
    MC_CHECK(run("--version", err, sizeof err) == 0, "--version exits 0");
    b = stdout_text();
    MC_CHECK(a && b && !strncmp(a, "musiclust ", 10) && !strcmp(a, b), "-V prints the version: %s", a ? a : "");
    free(a);
    free(b);
    /* every command's help: at most 80 columns, an Examples section that uses the command */
    static const char *const cmds[] = {"extract", "lyrics", "demo", "train", "embed", "cluster", "evaluate", "run",
                                       "report", "generate"};
    int wide = 0, no_examples = 0;
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        snprintf(args, sizeof args, "%s --help", cmds[i]);
        run(args, err, sizeof err);
        char *h = stdout_text(), line[512] = "", want[64];
        int w = h ? widest_line(h, line, sizeof line) : 999;
        snprintf(want, sizeof want, "\n  musiclust %s ", cmds[i]);
        const char *ex = h ? strstr(h, "\nExamples:\n") : NULL;
        if (w > 80) {
            wide++;
            fprintf(stderr, "  %s --help: %d columns: %s\n", cmds[i], w, line);
        }
        if (!ex || !strstr(ex, want)) {
            no_examples++;
            fprintf(stderr, "  %s --help: no Examples section with '%s'\n", cmds[i], want + 1);
        }
        free(h);
    }
    run("--help", err, sizeof err);
    char *h = stdout_text(), line[512] = "";
    const int wmain = h ? widest_line(h, line, sizeof line) : 999;
    MC_CHECK(wmain <= 80 && h && strstr(h, "Examples:"), "musiclust --help: %d columns (%s), with examples", wmain, line);
    free(h);
    MC_CHECK(wide == 0 && no_examples == 0, "help: %d commands wider than 80 columns, %d without examples", wide, no_examples);

    /* -k3 = -k 3 = --k=3 */
    float x[60];
    for (int i = 0; i < 30; i++) {
        x[2 * i] = (float)(i % 3) * 10.0f + 0.01f * (float)i;
        x[2 * i + 1] = (float)((i * 7) % 5) * 0.1f;
    }
    char p[1024];
    snprintf(p, sizeof p, "%s/x.npy", dir);
    int64_t sh[2] = {30, 2};
    MC_CHECK_OK(mc_npy_write(p, MC_DTYPE_F32, 2, sh, x));
    snprintf(args, sizeof args, "cluster -q -k3 '%s' -o '%s/k3a.tsv'", p, dir);
    MC_CHECK(run(args, err, sizeof err) == 0, "cluster -k3: %s", err);
    snprintf(args, sizeof args, "cluster -q -k 3 '%s' -o '%s/k3b.tsv'", p, dir);
    MC_CHECK(run(args, err, sizeof err) == 0, "cluster -k 3: %s", err);
    char pa[1100], pb[1100];
    snprintf(pa, sizeof pa, "%s/k3a.tsv", dir);
    snprintf(pb, sizeof pb, "%s/k3b.tsv", dir);
    MC_CHECK(mc_test_same_file(pa, pb), "-k3 and -k 3 give the same clustering");
    snprintf(pa, sizeof pa, "%s/k3a.json", dir);
    mc_json_value *j = mc_test_json_file(pa);
    const mc_json_value *k = j ? mc_json_member(j, "k") : NULL;
    MC_CHECK(k && k->num == 3, "-k3 asked for 3 clusters (ASSIGN.json k = %g)", k ? k->num : -1);
    mc_json_value_free(j);
    snprintf(args, sizeof args, "cluster -q -x3 '%s' -o '%s/k.tsv'", p, dir);
    MC_CHECK(run(args, err, sizeof err) == 2 && strstr(err, "-x3"), "an unknown attached short option is named: %s", err);
    /* --seed -1: a clear message (runs are deterministic: no random seed) */
    snprintf(args, sizeof args, "cluster --seed -1 '%s' -o '%s/k.tsv'", p, dir);
    MC_CHECK(run(args, err, sizeof err) == 2 && strstr(err, "--seed") && strstr(err, "deterministic") &&
                 count_lines_of(err) <= 2,
             "--seed -1 is refused with a reason: %s", err);
    snprintf(args, sizeof args, "train --seed -1 '%s' -o '%s/m.safetensors'", dir, dir);
    MC_CHECK(run(args, err, sizeof err) == 2 && strstr(err, "deterministic"), "train --seed -1: %s", err);
    /* train's --seed is the parser's whole number like every command's: no letters, no overflow to the largest */
    const char *bad_seeds[] = {"abc", "99999999999999999999"};
    for (int i = 0; i < 2; i++) {
        snprintf(args, sizeof args, "train --seed %s '%s' -o '%s/m.safetensors'", bad_seeds[i], dir, dir);
        MC_CHECK(run(args, err, sizeof err) == 2 && strstr(err, "--seed expects"), "train --seed %s: %s", bad_seeds[i], err);
    }
    /* generate --check: an attached -n1 counts as given (default 50 otherwise), so it is refused before the model */
    snprintf(args, sizeof args, "generate --check --featdir '%s' -n1 '%s/none.safetensors' -o '%s/gen'", dir, dir, dir);
    MC_CHECK(run(args, err, sizeof err) == 2 && strstr(err, "--n >= 2"), "generate --check -n1: %s", err);
    snprintf(args, sizeof args, "run --conv-batch 0 '%s' -o '%s/r'", dir, dir);
    MC_CHECK(run(args, err, sizeof err) == 2 && strstr(err, "--conv-batch must be >= 1"), "run --conv-batch 0: %s", err);
    /* --threads out of 1..1024 */
    const char *bad_threads[] = {"-2", "0", "100000"};
    for (int i = 0; i < 3; i++) {
        snprintf(args, sizeof args, "cluster --threads %s '%s' -o '%s/k.tsv'", bad_threads[i], p, dir);
        MC_CHECK(run(args, err, sizeof err) == 2 && strstr(err, "--threads must be from 1 to 1024"),
                 "--threads %s refused: %s", bad_threads[i], err);
    }
    snprintf(args, sizeof args, "cluster -q --threads 1024 -k 2 '%s' -o '%s/k.tsv'", p, dir);
    MC_CHECK(run(args, err, sizeof err) == 0, "--threads 1024 accepted: %s", err);

    /* a text file named .mp3: one clear line (no libmpg123 notes, no libsndfile "does not exist") */
    snprintf(p, sizeof p, "%s/notes.mp3", dir);
    FILE *f = fopen(p, "w");
    fputs("these are my notes, not a song\n", f);
    fclose(f);
    snprintf(args, sizeof args, "extract '%s' -o '%s/o_mp3'", p, dir);
    MC_CHECK(run(args, err, sizeof err) == 1 && strstr(err, "notes.mp3") && strstr(err, "not an audio file") &&
                 !strstr(err, "does not exist") && !strstr(err, "Illegal") && !strstr(err, "MPEG-Header"),
             "a text file named .mp3: %s", err);
    int skip_lines = 0;
    for (const char *q = err; (q = strstr(q, "notes.mp3")); q++) skip_lines++;
    MC_CHECK(skip_lines == 1 || (skip_lines == 2 && strstr(err, "skipped.tsv")), "named once (plus the summary): %s", err);
}

/* train -o into a folder that does not exist yet: created, as extract creates its own. */
static void test_train_mkdir(const char *dir) {
    char err[8192], args[4096], p[1024];
    snprintf(args, sizeof args, "train -q --epochs 1 '%s/demo/features' -o '%s/new/sub/m.safetensors'", dir, dir);
    MC_CHECK(run(args, err, sizeof err) == 0, "train -o new/sub/m.safetensors: %s", err);
    snprintf(p, sizeof p, "%s/new/sub/m.safetensors", dir);
    FILE *f = fopen(p, "rb");
    MC_CHECK(f != NULL, "the model was written into the new folder %s", p);
    if (f) fclose(f);
    /* cluster --labels DIR: one Audacity label file per track of the store (10 demo tracks) */
    snprintf(args, sizeof args, "cluster -q -k 2 --labels '%s/labels' '%s/demo/features' -o '%s/lab.tsv'", dir, dir, dir);
    MC_CHECK(run(args, err, sizeof err) == 0, "cluster --labels: %s", err);
    snprintf(args, sizeof args, "ls '%s/labels' | grep -c '\\.txt$' > '%s/nlab.txt'", dir, dir);
    MC_CHECK(system(args) == 0, "label files listed");
    snprintf(p, sizeof p, "%s/nlab.txt", dir);
    char *nl = mc_test_read_file(p, NULL);
    MC_CHECK(nl && atoi(nl) == 10, "10 label files, got %s", nl ? nl : "none");
    free(nl);
    snprintf(args, sizeof args, "cluster -q -k 2 --labels '%s/l2' '%s/demo/features/mfcc_stats.npy' -o '%s/lab2.tsv'", dir, dir, dir);
    MC_CHECK(run(args, err, sizeof err) == 2 && strstr(err, "--featdir"), "--labels on an X.npy needs --featdir: %s", err);
}

int main(void) {
    char err[8192];
    const char *dir = mc_test_tmpdir("cli");
    char args[4096];

    MC_CHECK(run("--help", err, sizeof err) == 0, "musiclust --help exits 0");
    test_rough_edges(dir);
    MC_CHECK(run("--version", err, sizeof err) == 0, "--version exits 0");
    MC_CHECK(run("", err, sizeof err) == 2, "no command is a usage error");
    MC_CHECK(run("frobnicate", err, sizeof err) == 2 && strstr(err, "unknown command"), "unknown command: %s", err);
    MC_CHECK(run("extract --help", err, sizeof err) == 0, "extract --help exits 0");
    MC_CHECK(run("demo --help", err, sizeof err) == 0, "demo --help exits 0");
    MC_CHECK(run("extract --bogus x -o y", err, sizeof err) == 2 && strstr(err, "--bogus"),
             "unknown option names it: %s", err);
    MC_CHECK(run("extract --sr 22k in -o y", err, sizeof err) == 2 && strstr(err, "22k"),
             "bad number names the value: %s", err);
    MC_CHECK(run("extract somewhere", err, sizeof err) == 2 && strstr(err, "-o"), "missing -o: %s", err);
    MC_CHECK(run("extract -o y", err, sizeof err) == 2, "no inputs is a usage error");
    snprintf(args, sizeof args, "extract --n-mels 0 x -o '%s/o'", dir);
    MC_CHECK(run(args, err, sizeof err) == 2 && strstr(err, "n_mels") != NULL, "--n-mels 0 rejected naming the option: %s", err);
    snprintf(args, sizeof args, "train --model conv-vae --precision fp16 x -o '%s/m.safetensors'", dir);
    MC_CHECK(run(args, err, sizeof err) == 2 && strstr(err, "--precision") && strstr(err, "fp16"),
             "train --precision fp16 rejected naming the option and value: %s", err);
    snprintf(args, sizeof args, "run --precision half x -o '%s/r'", dir);
    MC_CHECK(run(args, err, sizeof err) == 2 && strstr(err, "--precision") && strstr(err, "half"),
             "run --precision half rejected naming the option and value: %s", err);

    /* Bad input only: exit 1, one line per bad file on stderr, naming it. */
    char bad[1024];
    snprintf(bad, sizeof bad, "%s/bad.wav", dir);
    FILE *f = fopen(bad, "w");
    fputs("not audio", f);
    fclose(f);
    snprintf(args, sizeof args, "extract --quiet '%s' '%s/missing.flac' -o '%s/o1'", bad, dir, dir);
    MC_CHECK(run(args, err, sizeof err) == 1, "all-bad input exits 1: %s", err);
    MC_CHECK(strstr(err, "bad.wav") && strstr(err, "missing.flac"), "stderr names both files: %s", err);
    /* two skipped lines + the final error line */
    MC_CHECK(count_lines_of(err) == 3, "one line per bad file plus the summary, got:\n%s", err);

    /* demo: synthesizes, runs the pipeline, exits 0; quick settings (--fast: test-sized epochs) keep the test short */
    snprintf(args, sizeof args, "demo --tracks 2 --seconds 4 --fast -o '%s/demo'", dir);
    MC_CHECK(run(args, err, sizeof err) == 0, "demo exits 0: %s", err);
    char p[2048];
    snprintf(p, sizeof p, "%s/demo/features/mfcc_stats.npy", dir);
    mc_array a = {0};
    MC_CHECK_OK(mc_npy_read(p, &a));
    /* 5 styles x 2 tracks x (4 s -> one 3-s window) */
    MC_CHECK(a.ndim == 2 && a.shape[0] == 10 && a.shape[1] == 40, "demo features (%lld, %lld), want (10, 40)",
             (long long)a.shape[0], (long long)a.shape[1]);
    mc_array_free(&a);
    snprintf(p, sizeof p, "%s/demo/corpus/metadata.tsv", dir);
    mc_table t = {0};
    MC_CHECK_OK(mc_table_read(p, 0, &t));
    MC_CHECK(t.nrows == 10 && mc_table_column(&t, "lyrics") >= 0 && mc_table_column(&t, "language") >= 0,
             "demo metadata: %lld rows with lyrics and language", (long long)t.nrows);
    int bengali = 0;
    for (int64_t r = 0; r < t.nrows; r++)
        bengali += strcmp(mc_table_get(&t, r, mc_table_column(&t, "language")), "bn") == 0;
    MC_CHECK(bengali > 0 && bengali < t.nrows, "both languages present (%d bn)", bengali);
    mc_table_free(&t);
    /* Same seed, same corpus: the demo is reproducible byte for byte. */
    snprintf(args, sizeof args, "demo --quiet --tracks 2 --seconds 4 --fast --threads 1 -o '%s/demo2'", dir);
    MC_CHECK(run(args, err, sizeof err) == 0, "second demo exits 0: %s", err);
    snprintf(args, sizeof args, "cmp -s '%s/demo/features/logmel.npy' '%s/demo2/features/logmel.npy'", dir, dir);
    MC_CHECK(system(args) == 0, "demo features identical across runs and thread counts");
    test_train_mkdir(dir);
    return mc_test_summary("test_cli");
}
