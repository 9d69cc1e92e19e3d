/* libFuzzer harness: the feature-store reader (src/data/store.c) and the store's extract.json
 * (mc_model_audio_config_from_store). The first input byte picks which file of an otherwise valid
 * store the rest of the input replaces: index.tsv, mfcc_stats.npy, logmel.npy, extract.json or
 * features.npy (a store imported from a table has no mfcc_stats.npy). */
#include "fuzz_common.h"

#include <musiclust/data.h>
#include <musiclust/models.h>

#include <sys/stat.h>

enum { N_ROWS = 4, N_FILES = 5 };
static const char *const targets[N_FILES] = {"index.tsv", "mfcc_stats.npy", "logmel.npy", "extract.json",
                                             "features.npy"};

/* A valid store in dir k (k = the target file it is fuzzed through). */
static void make_store(int k, char *dir, size_t cap) {
    snprintf(dir, cap, "%s", fz_path(targets[k]));
    dir[strlen(dir) - strlen(targets[k])] = '\0';
    strncat(dir, k == 0 ? "s0" : k == 1 ? "s1" : k == 2 ? "s2" : k == 3 ? "s3" : "s4", cap - strlen(dir) - 1);
    if (mc_mkdirs(dir) != MC_STATUS_OK) abort();
    char p[1200];
    snprintf(p, sizeof p, "%s/index.tsv", dir);
    FILE *f = fopen(p, "w");
    if (!f) abort();
    fputs("segment\ttrack\tpath\tstart_s\tpadded\tgenre\tlang\n", f);
    for (int i = 0; i < N_ROWS; i++) fprintf(f, "%d\t%d\ta/%d.wav\t0\t0\t%s\t%s\n", i, i / 2, i, i % 2 ? "jazz" : "pop", i == 3 ? "" : "en");
    fclose(f);
    float v[N_ROWS * 6], mel[N_ROWS * 8 * 5];
    for (int i = 0; i < N_ROWS * 6; i++) v[i] = (float)i * 0.5f;
    for (int i = 0; i < N_ROWS * 40; i++) mel[i] = (float)(i % 17) - 40.0f;
    int64_t vs[2] = {N_ROWS, 6}, ms[3] = {N_ROWS, 8, 5};
    snprintf(p, sizeof p, "%s/%s", dir, k == 4 ? "features.npy" : "mfcc_stats.npy");
    if (mc_npy_write(p, MC_DTYPE_F32, 2, vs, v) != MC_STATUS_OK) abort();
    snprintf(p, sizeof p, "%s/logmel.npy", dir);
    if (mc_npy_write(p, MC_DTYPE_F32, 3, ms, mel) != MC_STATUS_OK) abort();
    snprintf(p, sizeof p, "%s/extract.json", dir);
    static const char js[] = "{\"sr\": 22050, \"n_fft\": 2048, \"hop_length\": 512, \"n_mels\": 8, "
                             "\"fmin\": 0, \"fmax\": 11025, \"segments\": 4}\n";
    if (mc_file_write_atomic(p, js, sizeof js - 1) != MC_STATUS_OK) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char dirs[N_FILES][1024];
    if (!dirs[0][0])
        for (int k = 0; k < N_FILES; k++) make_store(k, dirs[k], sizeof dirs[k]);
    if (size < 1) return 0;
    const int k = data[0] % N_FILES;
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dirs[k], targets[k]);
    FILE *f = fopen(p, "wb");
    if (!f || (size > 1 && fwrite(data + 1, 1, size - 1, f) != size - 1) || fclose(f) != 0) abort();

    mc_store s;
    if (mc_store_open(dirs[k], &s) == MC_STATUS_OK) {
        int nl = 0;
        const char *const *labels = mc_store_label_columns(&s, &nl);
        int32_t *codes = malloc((size_t)(s.n ? s.n : 1) * sizeof *codes);     // (n)
        int64_t *tracks = malloc((size_t)(s.n ? s.n : 1) * sizeof *tracks);   // (n)
        if (!codes || !tracks) abort();
        for (int c = 0; c < nl && c < 8; c++) {
            char **classes = NULL;
            int n_classes = 0;
            if (mc_store_label_codes(&s, labels[c], codes, &classes, &n_classes) == MC_STATUS_OK)
                for (int64_t r = 0; r < s.n; r++)
                    if (codes[r] < -1 || codes[r] >= n_classes) abort();
            mc_store_free_classes(classes, n_classes);
        }
        (void)mc_store_tracks(&s, tracks);
        free(codes);
        free(tracks);
        mc_array mel;
        if (mc_store_load_logmel(&s, &mel) == MC_STATUS_OK)
            fz_touch(mel.data, (size_t)mc_array_count(&mel) * sizeof(float));
        mc_array_free(&mel);
        mc_store_close(&s);
    }
    /* What train / embed read: the vectors or the log-mel with a condition column's codes. */
    mc_model_data d;
    if (mc_model_data_load(dirs[k], MC_MODEL_INPUT_VECTORS, "genre", &d) == MC_STATUS_OK)
        fz_touch(d.x, (size_t)(d.n * d.shape[1]) * sizeof(float));
    mc_model_data_free(&d);
    if (mc_model_data_load(dirs[k], MC_MODEL_INPUT_LOGMEL, NULL, &d) == MC_STATUS_OK)
        fz_touch(d.x, (size_t)(d.n * d.shape[1] * d.shape[2]) * sizeof(float));
    mc_model_data_free(&d);
    mc_model_audio_config ac;
    mc_model_audio_config_default(&ac);
    (void)mc_model_audio_config_from_store(dirs[k], &ac);
    return 0;
}
