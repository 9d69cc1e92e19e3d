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

int main(void) {
    char err[8192];
    const char *dir = mc_test_tmpdir("cli");
    char args[4096];

    MC_CHECK(run("--help", err, sizeof err) == 0, "musiclust --help exits 0");
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
    return mc_test_summary("test_cli");
}
