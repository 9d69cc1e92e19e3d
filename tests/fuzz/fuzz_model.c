/* libFuzzer harness: the model loader (src/models/io.c: safetensors + the "musiclust" metadata read by
 * src/models/mjson.c, checked against the architecture before anything is allocated). A file that
 * loads is then used: three rows of the input shape it declares are encoded (and decoded back). */
#include "fuzz_common.h"

#include <musiclust/models.h>

#include "models/models_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fz_write("in.safetensors", data, size);
    mc_model *m = NULL;
    if (mc_model_load(path, &m) != MC_STATUS_OK) return 0;
    int nd = 0;
    int64_t sh[3] = {0, 0, 0};
    mc_model_input_shape(m, &nd, sh);
    const int64_t per = nd == 1 ? sh[0] : sh[0] * sh[1];
    const int Z = mc_model_latent_dim(m);
    enum { N = 3 };
    if (per > 0 && per <= 1 << 16 && m->lyr_dim <= 1 << 16) {
        float *x = calloc((size_t)(N * per), sizeof(float));                            // (N, per)
        float *lyr = calloc((size_t)(N * (m->lyr_dim ? m->lyr_dim : 1)), sizeof(float)); // (N, lyr_dim)
        float *mu = calloc((size_t)N * (size_t)Z, sizeof(float));                        // (N, Z)
        float *rec = calloc((size_t)(N * per), sizeof(float));                          // (N, per)
        if (!x || !lyr || !mu || !rec) abort();
        for (int64_t i = 0; i < N * per; i++) x[i] = (float)((i * 7919) % 23) - 11.0f;
        for (int64_t i = 0; i < N * m->lyr_dim; i++) lyr[i] = (float)(i % 5) * 0.25f;
        static const char *const classes[2] = {"a", "b"};
        const int32_t codes[N] = {0, 1, -1};
        const uint8_t has[N] = {1, 0, 1};
        mc_model_data d;
        memset(&d, 0, sizeof d);
        d.n = N;
        d.ndim = nd + 1;
        d.shape[0] = N;
        d.shape[1] = sh[0];
        d.shape[2] = sh[1];
        d.x = x;
        int n_cls = 0;
        mc_model_classes(m, &n_cls);
        if (n_cls > 0) {
            d.codes = codes;
            d.n_classes = 2;
            d.classes = classes;
        }
        if (m->lyr_dim > 0) {
            d.lyr_dim = m->lyr_dim;
            d.lyrics = lyr;
            d.has_lyrics = has;
        }
        int64_t unknown = 0;
        (void)mc_model_encode(m, &d, 1, mu, rec, &unknown);
        free(x);
        free(lyr);
        free(mu);
        free(rec);
    }
    mc_model_free(m);
    return 0;
}
