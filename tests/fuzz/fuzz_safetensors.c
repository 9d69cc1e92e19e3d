/* libFuzzer harness: the safetensors reader (src/core/safetensors.c) and the JSON reader of the model
 * metadata (src/models/mjson.c) on every __metadata__ value. */
#include "fuzz_common.h"

#include "models/models_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fz_write("in.safetensors", data, size);
    mc_safetensors *f = NULL;
    if (mc_safetensors_read(path, &f) == MC_STATUS_OK) {
        int n = mc_safetensors_count(f);
        for (int i = 0; i < n; i++) {
            const mc_tensor_entry *e = mc_safetensors_at(f, i);
            int64_t cnt = 1;
            for (int d = 0; d < e->ndim; d++) cnt *= e->shape[d];
            fz_touch(e->data, (size_t)cnt * mc_dtype_size(e->dtype)); /* inside the file's buffer */
            fz_touch(e->name, strlen(e->name) + 1);
            if (i < 16 && mc_safetensors_find(f, e->name) == NULL) abort(); /* every name is found */
        }
        const char *meta = mc_safetensors_meta(f, "musiclust");
        if (meta) {
            const char *err = NULL;
            mj_value *v = mj_parse(meta, &err);
            if (v) {
                int64_t x;
                (void)mj_int(mj_get(v, "format"), &x);
            }
            mj_free(v);
        }
    }
    mc_safetensors_free(f);
    /* The same bytes as a metadata document on their own (the JSON reader wants a C string). */
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    const char *err = NULL;
    mj_free(mj_parse(text, &err));
    free(text);
    return 0;
}
