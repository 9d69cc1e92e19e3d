/* Timing of the lyrics embedding (language identification + word and char_wb TF-IDF + randomised SVD)
 * on a metadata table with lyrics, e.g. ../shared/data/lyrics-en-de/metadata.tsv (292 songs).
 *
 *   bench_text METADATA.tsv [threads (default 2)] [repeats (default 5)] [dim (default 64)]
 *
 * Prints the best and median wall time of mc_text_lyrics_embed over the repeats (the table is read
 * once, outside the timing), the time per song, and a breakdown of one run into its stages. The
 * scikit-learn 1.2 figure for the same TF-IDF + TruncatedSVD pipeline is printed by bench/run.sh. */
#include <musiclust/text.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double wall_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_text METADATA.tsv [threads] [repeats] [dim]\n");
        return 2;
    }
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    int reps = argc > 3 ? atoi(argv[3]) : 5;
    int dim = argc > 4 ? atoi(argv[4]) : 64;
    if (reps < 1 || reps > 100) reps = 5;
    mc_table t = {0};
    if (mc_table_read(argv[1], 0, &t) != MC_STATUS_OK) {
        fprintf(stderr, "bench_text: %s\n", mc_error_message());
        return 1;
    }
    int lc = mc_table_column(&t, "lyrics");
    if (lc < 0) {
        fprintf(stderr, "bench_text: %s has no 'lyrics' column\n", argv[1]);
        return 1;
    }
    const int64_t n = t.nrows;
    const char **texts = calloc((size_t)(n ? n : 1), sizeof *texts);
    size_t bytes = 0;
    for (int64_t i = 0; i < n; i++) {
        texts[i] = mc_table_get(&t, i, lc);
        bytes += strlen(texts[i]);
    }
    mc_lyrics_config c;
    mc_text_lyrics_config_default(&c);
    c.threads = threads;
    c.dim = dim;
    double *times = calloc((size_t)reps, sizeof *times);
    mc_lyrics L = {0};
    for (int r = 0; r < reps; r++) {
        double t0 = wall_s();
        if (mc_text_lyrics_embed(&c, texts, n, &L) != MC_STATUS_OK) {
            fprintf(stderr, "bench_text: %s\n", mc_error_message());
            return 1;
        }
        times[r] = wall_s() - t0;
        if (r + 1 < reps) mc_text_lyrics_free(&L);
    }
    qsort(times, (size_t)reps, sizeof *times, cmp_double);
    printf("lyrics embedding: %lld songs (%.0f KB of text), dim %d, %d threads: best %.3f s, median %.3f s "
           "(%.2f ms/song); vocabulary %lld words + %lld char_wb n-grams\n",
           (long long)n, (double)bytes / 1024.0, dim, threads, times[0], times[reps / 2],
           1000.0 * times[0] / (double)n, (long long)L.n_word_terms, (long long)L.n_char_terms);
    mc_text_lyrics_free(&L);

    /* Stages of one run. */
    double t0 = wall_s();
    mc_langid *id = NULL;
    mc_text_langid_create(&id);
    double t1 = wall_s();
    for (int64_t i = 0; i < n; i++) {
        mc_lang_guess g;
        mc_text_langid_detect(id, texts[i], strlen(texts[i]), &g);
    }
    double t2 = wall_s();
    mc_tfidf_config wc, cc;
    mc_text_tfidf_config_default(&wc, MC_TEXT_ANALYZER_WORD);
    mc_text_tfidf_config_default(&cc, MC_TEXT_ANALYZER_CHAR_WB);
    wc.min_df = cc.min_df = c.min_df;
    mc_tfidf *wv = NULL, *cv = NULL;
    mc_csr A = {0}, B = {0}, H = {0};
    mc_text_tfidf_fit(&wc, texts, n, &wv);
    mc_text_tfidf_fit(&cc, texts, n, &cv);
    double t3 = wall_s();
    mc_text_tfidf_transform(wv, texts, n, threads, &A);
    mc_text_tfidf_transform(cv, texts, n, threads, &B);
    mc_text_csr_hstack(&A, 0.7071067811865476, &B, 0.7071067811865476, &H);
    double t4 = wall_s();
    mc_svd_config sc;
    mc_text_svd_config_default(&sc);
    sc.n_components = dim < n ? dim : (int)n;
    sc.threads = threads;
    mc_svd s = {0};
    mc_text_svd_fit(&sc, &H, &s, NULL);
    double t5 = wall_s();
    printf("  stages: language profiles %.3f s, language of %lld songs %.3f s, TF-IDF fit %.3f s, "
           "transform %.3f s, SVD (%lld x %lld, nnz %lld) %.3f s\n",
           t1 - t0, (long long)n, t2 - t1, t3 - t2, t4 - t3, (long long)H.n_rows, (long long)H.n_cols,
           (long long)mc_csr_nnz(&H), t5 - t4);
    mc_text_svd_free(&s);
    mc_text_csr_free(&A);
    mc_text_csr_free(&B);
    mc_text_csr_free(&H);
    mc_text_tfidf_free(wv);
    mc_text_tfidf_free(cv);
    mc_text_langid_free(id);
    free(times);
    free(texts);
    mc_table_free(&t);
    return 0;
}
