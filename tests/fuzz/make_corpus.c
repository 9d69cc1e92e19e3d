/* Writes the seed corpora of the fuzzers: make_corpus DIR fills DIR/<fuzzer>/ with small valid files
 * made by the library's own writers (and tiny trained models), hand-built edge cases, and the hostile
 * files of issue 15, each under a name that says what it is. The committed tests/fuzz/corpus was made
 * by this program (`build-fuzz/tests/fuzz/fuzz_make_corpus tests/fuzz/corpus`); keep it small.
 *
 * The hostile files (scaled down where the original was large, same shape of input):
 *   npy/stream_claims_2gib.npy          header claims 2 GiB, 16 bytes follow (was read through a pipe)
 *   table/wide_header_short_rows.tsv    600 header columns over 300 two-field rows (was 10,005 x 6,000)
 *   safetensors/zero_len_at_0.*         a zero-length tensor at [0, 0] next to one at [0, 8]
 *   safetensors/many_empty.safetensors  100 empty tensors (was 200,000: the quadratic name check)
 *   model/conv_nmels_int32max.*, conv_frames_int32max.*, ae_dim_hidden_8192.*, ae_batch_rows_2m.*,
 *   model/ae_nan_weight.*, ae_inf_adam.*
 *   store/0_wide_index.tsv, store/1_stream_claims_2gib.npy (first byte picks the store file) */
#include "fuzz_common.h"

#include <musiclust/audio.h>
#include <musiclust/models.h>

#include <math.h>
#include <sys/stat.h>

static char root[1024];

static const char *out_path(const char *fuzzer, const char *name) {
    static char p[2048];
    snprintf(p, sizeof p, "%s/%s", root, fuzzer);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/%s/%s", root, fuzzer, name);
    return p;
}

static void put(const char *fuzzer, const char *name, const void *data, size_t n) {
    const char *p = out_path(fuzzer, name);
    FILE *f = fopen(p, "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
        perror(p);
        exit(1);
    }
}

static void put_str(const char *fuzzer, const char *name, const char *s) { put(fuzzer, name, s, strlen(s)); }

static void ok(mc_status st, const char *what) {
    if (st != MC_STATUS_OK) {
        fprintf(stderr, "make_corpus: %s: %s\n", what, mc_error_message());
        exit(1);
    }
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *b = malloc((size_t)n + 1);
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) exit(1);
    fclose(f);
    b[n] = '\0';
    *len = (size_t)n;
    return b;
}

/* ------------------------------------------------------------------ .npy */

/* NEP 1 preamble for `major` with the dict padded to 64 bytes, then ndata raw bytes. */
static size_t npy_bytes(unsigned char *buf, int major, const char *dict, const void *data, size_t ndata) {
    size_t pre = major == 1 ? 10 : 12, dl = strlen(dict);
    size_t total = (pre + dl + 1 + 63) / 64 * 64, hlen = total - pre;
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    for (size_t i = 0; i < pre - 8; i++) buf[8 + i] = (unsigned char)(hlen >> (8 * i));
    memcpy(buf + pre, dict, dl);
    memset(buf + pre + dl, ' ', total - pre - dl - 1);
    buf[total - 1] = '\n';
    memcpy(buf + total, data, ndata);
    return total + ndata;
}

static void npy_seeds(void) {
    float f[12];
    for (int i = 0; i < 12; i++) f[i] = (float)i * 0.5f - 2.0f;
    double d[3] = {1.5, -1e300, 0};
    int64_t i64[2] = {-1, 1LL << 40};
    uint16_t h[3] = {0x3C00, 0xC000, 0x7BFF};
    int64_t s2[2] = {3, 4}, s1[1] = {3}, s0[1] = {0}, se[2] = {0, 5};
    ok(mc_npy_write(out_path("npy", "f32_3x4.npy"), MC_DTYPE_F32, 2, s2, f), "npy");
    ok(mc_npy_write(out_path("npy", "f64_3.npy"), MC_DTYPE_F64, 1, s1, d), "npy");
    ok(mc_npy_write(out_path("npy", "f16_3.npy"), MC_DTYPE_F16, 1, s1, h), "npy");
    ok(mc_npy_write(out_path("npy", "i64_2.npy"), MC_DTYPE_I64, 1, (int64_t[]){2}, i64), "npy");
    ok(mc_npy_write(out_path("npy", "i32_scalar.npy"), MC_DTYPE_I32, 0, s0, (int32_t[]){7}), "npy");
    ok(mc_npy_write(out_path("npy", "f32_empty_0x5.npy"), MC_DTYPE_F32, 2, se, f), "npy");
    unsigned char buf[512];
    unsigned char b8[6] = {0, 1, 255, 128, 7, 2};
    size_t n = npy_bytes(buf, 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }", b8, 6);
    put("npy", "u8_2x3.npy", buf, n);
    n = npy_bytes(buf, 1, "{'descr': '|b1', 'fortran_order': False, 'shape': (6,), }", b8, 6);
    put("npy", "bool_6.npy", buf, n);
    n = npy_bytes(buf, 2, "{'descr': '>i2', 'fortran_order': False, 'shape': (3L,), }", b8, 6);
    put("npy", "v2_be_i16.npy", buf, n);
    n = npy_bytes(buf, 3, "{\"shape\": (1, 1), \"fortran_order\": False, \"descr\": \"<u4\"}", b8, 4);
    put("npy", "v3_u32.npy", buf, n);
    n = npy_bytes(buf, 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", b8, 4);
    put("npy", "be_f4.npy", buf, n);
    /* hostile: 2 GiB claimed, 16 bytes present (read through a pipe this zero-filled 2.1 GB first) */
    n = npy_bytes(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (536870912,), }", b8, 6);
    put("npy", "stream_claims_2gib.npy", buf, n + 10);
}

/* ------------------------------------------------------------------ CSV / TSV */

/* 600 header columns over 300 rows of two fields: every short row was padded to the header's width
 * (the 71 KB original with 10,005 columns and 6,000 rows took 2.36 GB). */
static char *wide_table(size_t *len, const char *first_cols) {
    size_t cap = 1 << 16;
    char *s = malloc(cap);
    size_t n = (size_t)snprintf(s, cap, "%s", first_cols);
    for (int c = 0; c < 600; c++) n += (size_t)snprintf(s + n, cap - n, "\tc%d", c);
    s[n++] = '\n';
    for (int r = 0; r < 300; r++) n += (size_t)snprintf(s + n, cap - n, "%d\t%d\n", r, r / 2);
    *len = n;
    return s;
}

static void table_seeds(void) {
    put_str("table", "simple.tsv", "id\tgenre\tlyrics\n1\tjazz\tla la\n2\tpop\t\n3\t\"metal\"\t\"a\tb\"\n");
    put_str("table", "quoted.csv", "\xEF\xBB\xBFtrack_id,title,lyrics\r\n"
                                   "a,\"Hello, \"\"world\"\"\",\"line one\r\nline two\"\r\n"
                                   "\r\n"
                                   "b,x\"y,\"unterminated? no\"tail\r\n");
    put_str("table", "short_rows.csv", "a,b,c,d\n1\n1,2\n,,,\n");
    put_str("table", "lone_cr.csv", "a,b\r1,2\r3,4");
    put_str("table", "unterminated.csv", "a,b\n1,\"open\n");
    put_str("table", "too_many_fields.tsv", "a\tb\n1\t2\t3\n");
    size_t n;
    char *w = wide_table(&n, "id");
    put("table", "wide_header_short_rows.tsv", w, n);
    free(w);
}

/* ------------------------------------------------------------------ safetensors */

/* A file from a header text and data bytes (header padded with spaces to 8 bytes). */
static void put_st(const char *fuzzer, const char *name, const char *header, const void *data, size_t ndata) {
    size_t hl = strlen(header), padded = (hl + 7) / 8 * 8;
    unsigned char *b = malloc(8 + padded + ndata);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    memcpy(b + 8, header, hl);
    memset(b + 8 + hl, ' ', padded - hl);
    if (ndata) memcpy(b + 8 + padded, data, ndata);
    put(fuzzer, name, b, 8 + padded + ndata);
    free(b);
}

static void safetensors_seeds(void) {
    float w[6] = {1, -2, 3.5f, 0, 1e-30f, -7};
    double b[2] = {0.25, -1e300};
    int64_t step[1] = {123456789012345LL};
    int32_t ids[4] = {1, 2, 3, -4};
    uint16_t h[3] = {0x3C00, 0xC000, 0x7BFF};
    mc_tensor_entry e[5] = {
        {"enc.fc0.weight", MC_DTYPE_F32, 2, {2, 3}, w},  {"enc.fc0.bias", MC_DTYPE_F64, 1, {2}, b},
        {"adam.step", MC_DTYPE_I64, 1, {1}, step},       {"ids", MC_DTYPE_I32, 2, {2, 2}, ids},
        {"half", MC_DTYPE_F16, 1, {3}, h},
    };
    const char *keys[2] = {"arch", "note"};
    const char *vals[2] = {"{\"model\": \"vae\", \"latent\": 4, \"list\": [1, 2.5e3, -0, true, null]}",
                           "quote \" tab \t \\u00fc \xC3\xBC \xF0\x9F\x8E\xB5"};
    ok(mc_safetensors_write(out_path("safetensors", "five_dtypes.safetensors"), e, 5, keys, vals, 2), "st");
    ok(mc_safetensors_write(out_path("safetensors", "empty.safetensors"), NULL, 0, NULL, NULL, 0), "st");
    float z[2] = {1, 2};
    /* hostile: a zero-length tensor at [0, 0] beside one at [0, 8] (valid; was "tensors overlap") */
    put_st("safetensors", "zero_len_at_0.safetensors",
           "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
           "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", z, 8);
    put_st("safetensors", "overlap.safetensors",
           "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
           "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", z, 8);
    put_st("safetensors", "escapes_unknown_keys.safetensors",
           "{\"__metadata__\":{\"k\\u00e9\":\"\\ud83c\\udfb5\\n\"},"
           "\"t\\\"x\":{\"extra\":[{\"x\":[1,{}]}],\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}}", z, 8);
    /* hostile: many empty tensors (200,000 took 45 s through the quadratic duplicate check); then the
     * same with the last name repeating the first */
    for (int dup = 0; dup < 2; dup++) {
        size_t cap = 1 << 16, n = 0;
        char *hdr = malloc(cap);
        n += (size_t)snprintf(hdr + n, cap - n, "{");
        for (int i = 0; i < 100; i++)
            n += (size_t)snprintf(hdr + n, cap - n, "%s\"t%d\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}",
                                  i ? "," : "", dup && i == 99 ? 0 : i);
        snprintf(hdr + n, cap - n, "}");
        put_st("safetensors", dup ? "many_empty_dup.safetensors" : "many_empty.safetensors", hdr, NULL, 0);
        free(hdr);
    }
}

/* ------------------------------------------------------------------ models */

/* A copy of a safetensors file with text `from` replaced by `to` in its "musiclust" metadata, and
 * optionally value v at index idx of tensor `tensor`. */
static void derive(const char *src, const char *dst, const char *from, const char *to, const char *tensor,
                   int64_t idx, float v) {
    mc_safetensors *f = NULL;
    ok(mc_safetensors_read(src, &f), src);
    int n = mc_safetensors_count(f);
    mc_tensor_entry *e = calloc((size_t)n, sizeof *e);
    float *copy = NULL;
    for (int i = 0; i < n; i++) {
        e[i] = *mc_safetensors_at(f, i);
        if (tensor && strcmp(e[i].name, tensor) == 0) {
            int64_t cnt = 1;
            for (int d = 0; d < e[i].ndim; d++) cnt *= e[i].shape[d];
            copy = malloc((size_t)cnt * sizeof *copy);
            memcpy(copy, e[i].data, (size_t)cnt * sizeof *copy);
            copy[idx] = v;
            e[i].data = copy;
        }
    }
    const char *meta = mc_safetensors_meta(f, "musiclust");
    char *m = malloc(strlen(meta) + 256);
    const char *at = from ? strstr(meta, from) : NULL;
    if (from && !at) {
        fprintf(stderr, "make_corpus: '%s' not in the metadata of %s\n", from, src);
        exit(1);
    }
    if (at)
        sprintf(m, "%.*s%s%s", (int)(at - meta), meta, to, at + strlen(from));
    else
        strcpy(m, meta);
    const char *k[1] = {"musiclust"}, *vv[1] = {m};
    ok(mc_safetensors_write(dst, e, n, k, vv, 1), dst);
    free(m);
    free(copy);
    free(e);
    mc_safetensors_free(f);
}

/* Train `epochs` on n tiny rows and save into the model corpus. */
static void model_seed(const char *name, const mc_model_config *c, int conv, int mm) {
    enum { N = 12, F = 5, M = 8, T = 8, L = 3 };
    static float x[N * M * T], lyr[N * L];
    static const char *const classes[2] = {"a", "b"};
    int32_t codes[N];
    uint8_t has[N];
    for (int i = 0; i < N * M * T; i++) x[i] = (float)sin(0.7 * i) * (1 + i % 3);
    for (int i = 0; i < N * L; i++) lyr[i] = (float)cos(1.3 * i);
    for (int i = 0; i < N; i++) {
        codes[i] = i % 2;
        has[i] = i % 3 != 0;
    }
    mc_model_data d;
    memset(&d, 0, sizeof d);
    d.n = N;
    d.ndim = conv ? 3 : 2;
    d.shape[0] = N;
    d.shape[1] = conv ? M : F;
    d.shape[2] = conv ? T : 0;
    d.x = x;
    if (c->condition) {
        d.codes = codes;
        d.n_classes = 2;
        d.classes = classes;
    }
    if (mm) {
        d.lyr_dim = L;
        d.lyrics = lyr;
        d.has_lyrics = has;
    }
    mc_model *m = NULL;
    ok(mc_model_create(c, &d, &m), name);
    mc_train_options o = {1, NULL, NULL, 0, false};
    ok(mc_model_train(m, &d, &o, NULL, NULL), name);
    ok(mc_model_save(m, out_path("model", name)), name);
    mc_model_free(m);
}

static void model_seeds(void) {
    mc_model_config c;
    static const mc_model_kind mlp_kinds[3] = {MC_MODEL_KIND_VAE, MC_MODEL_KIND_AE, MC_MODEL_KIND_CVAE};
    for (int k = 0; k < 3; k++) { /* beta-vae is the vae's file with another beta */
        mc_model_config_default(mlp_kinds[k], &c);
        c.hidden[0] = 4;
        c.latent = 2;
        c.epochs = 1;
        c.batch = 4;
        if (mlp_kinds[k] == MC_MODEL_KIND_CVAE) c.condition = "genre";
        char name[64];
        snprintf(name, sizeof name, "%s.safetensors", mc_model_kind_name(mlp_kinds[k]));
        model_seed(name, &c, 0, 0);
    }
    mc_model_config_default(MC_MODEL_KIND_CONV_VAE, &c);
    c.n_conv = 2;
    c.channels[0] = 2;
    c.channels[1] = 2;
    c.latent = 2;
    c.epochs = 1;
    c.batch = 4;
    c.val_fraction = 0.25;
    c.patience = 3;
    model_seed("conv-vae.safetensors", &c, 1, 0);
    for (int fu = 0; fu < 2; fu++) {
        mc_model_config_default(MC_MODEL_KIND_MM_VAE, &c);
        c.fusion = fu ? MC_MODEL_FUSION_POE : MC_MODEL_FUSION_CONCAT;
        c.hidden[0] = 4;
        c.lyr_hidden[0] = 3;
        c.fuse[0] = 4;
        c.latent = 2;
        c.epochs = 1;
        c.batch = 4;
        if (fu) c.condition = "genre";
        model_seed(fu ? "mm-vae-poe-cond.safetensors" : "mm-vae-concat.safetensors", &c, 0, 1);
    }
    mc_model_config_default(MC_MODEL_KIND_MM_VAE, &c);
    c.input = MC_MODEL_INPUT_LOGMEL;
    c.n_conv = 2;
    c.channels[0] = 2;
    c.channels[1] = 2;
    c.lyr_hidden[0] = 3;
    c.fuse[0] = 4;
    c.latent = 2;
    c.epochs = 1;
    c.batch = 4;
    model_seed("mm-vae-conv.safetensors", &c, 1, 1);

    /* hostile, derived from the valid ones */
    char vae[2048], conv[2048];
    snprintf(vae, sizeof vae, "%s", out_path("model", "ae.safetensors")); /* the smallest MLP file */
    snprintf(conv, sizeof conv, "%s", out_path("model", "conv-vae.safetensors"));
    derive(conv, out_path("model", "conv_nmels_int32max.safetensors"), "\"n_mels\": 8", "\"n_mels\": 2147483647",
           NULL, 0, 0);
    derive(conv, out_path("model", "conv_frames_int32max.safetensors"), "\"frames\": 8", "\"frames\": 2147483647",
           NULL, 0, 0);
    char tmp[2048];
    snprintf(tmp, sizeof tmp, "%s", out_path("model", "tmp.safetensors"));
    derive(vae, tmp, "\"input_dim\": 5", "\"input_dim\": 8192", NULL, 0, 0);
    derive(tmp, out_path("model", "ae_dim_hidden_8192.safetensors"), "\"hidden\": [\n    4\n  ]",
           "\"hidden\": [8192]", NULL, 0, 0);
    remove(tmp);
    derive(vae, tmp, "\"batch\": 4", "\"batch\": 2000000", NULL, 0, 0);
    derive(tmp, out_path("model", "ae_batch_rows_2m.safetensors"), "\"n_rows\": 12", "\"n_rows\": 2000000", NULL, 0,
           0);
    remove(tmp);
    derive(vae, out_path("model", "ae_nan_weight.safetensors"), NULL, NULL, "enc.fc0.weight", 3, NAN);
    derive(vae, out_path("model", "ae_inf_adam.safetensors"), NULL, NULL, "adam.enc.mu.bias.v", 0, INFINITY);
}

/* ------------------------------------------------------------------ store */

static void store_seeds(const char *corpus_root) {
    /* first byte: 0 index.tsv, 1 mfcc_stats.npy, 2 logmel.npy, 3 extract.json, 4 features.npy */
    char p[2048];
    size_t n;
    char *b;
    /* the selector byte 0 is a NUL: written by hand */
    static const char idx[] = "segment\ttrack\tpath\tstart_s\tpadded\tgenre\tlang\n0\t0\ta.wav\t0\t0\tjazz\ten\n"
                              "1\t0\ta.wav\t3\t0\tjazz\t\n2\t1\tb.wav\t0\t1\t\tde\n3\t-1\tb.wav\t3\t0\tpop\n";
    b = malloc(sizeof idx);
    b[0] = 0;
    memcpy(b + 1, idx, sizeof idx - 1);
    put("store", "0_index.tsv", b, sizeof idx);
    free(b);
    char *w = wide_table(&n, "segment\ttrack\tpath\tstart_s\tpadded");
    b = malloc(n + 1);
    b[0] = 0;
    memcpy(b + 1, w, n);
    put("store", "0_wide_index.tsv", b, n + 1);
    free(w);
    free(b);
    static const struct { int sel; const char *src, *dst; } npys[] = {
        {1, "npy/f32_3x4.npy", "1_mfcc_f32_3x4.npy"},       {1, "npy/f64_3.npy", "1_mfcc_f64.npy"},
        {1, "npy/stream_claims_2gib.npy", "1_stream_claims_2gib.npy"},
        {4, "npy/f32_3x4.npy", "4_features_3x4.npy"},
    };
    for (size_t i = 0; i < sizeof npys / sizeof npys[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", corpus_root, npys[i].src);
        char *d = slurp(p, &n);
        b = malloc(n + 1);
        b[0] = (char)npys[i].sel;
        memcpy(b + 1, d, n);
        put("store", npys[i].dst, b, n + 1);
        free(b);
        free(d);
    }
    /* logmel (4, 8, 5) with a NaN, and (4, 2) of the wrong rank */
    float mel[4 * 8 * 5];
    for (int i = 0; i < 160; i++) mel[i] = (float)(i % 9) - 60.0f;
    mel[77] = NAN;
    int64_t ms[3] = {4, 8, 5};
    const char *tp = fz_path("logmel.npy");
    ok(mc_npy_write(tp, MC_DTYPE_F32, 3, ms, mel), "logmel");
    char *d = slurp(tp, &n);
    b = malloc(n + 1);
    b[0] = 2;
    memcpy(b + 1, d, n);
    put("store", "2_logmel_nan.npy", b, n + 1);
    free(b);
    free(d);
    put_str("store", "3_extract.json", "\x03{\"sr\": 22050, \"n_fft\": 2048, \"hop_length\": 512, \"n_mels\": 128, "
                                       "\"fmin\": 0.0, \"fmax\": 11025.5, \"note\": [\"\\u00e9\", {\"x\": null}]}");
    put_str("store", "3_extract_bad.json", "\x03{\"sr\": 1e400, \"n_fft\": -1, \"hop_length\": \"512\"}");
}

/* ------------------------------------------------------------------ text */

static void text_seeds(void) {
    put_str("text", "en_de.txt", "Don't stop believin', hold on to that feelin'\nIch geh' nach Hause, weil's "
                                 "regnet\nL'amour est un oiseau rebelle\n");
    put_str("text", "scripts.txt", "\xE0\xA6\x86\xE0\xA6\xAE\xE0\xA6\xBE\xE0\xA6\xB0 \xE0\xA6\xB8\xE0\xA7\x8B"
                                   "\xE0\xA6\xA8\xE0\xA6\xBE\xE0\xA6\xB0\n"             /* Bengali */
                                   "\xE3\x81\x82\xE3\x82\x8A\xE3\x81\x8C\xE3\x81\xA8\xE3\x81\x86\n" /* kana */
                                   "\xEC\x82\xAC\xEB\x9E\x91\xED\x95\xB4\n"             /* Hangul */
                                   "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82\n" /* Cyrillic */
                                   "\xCE\xA3\xCE\xBF\xCF\x86\xCE\xAF\xCE\xB1 \xCF\x82\n"); /* Greek, final sigma */
    put_str("text", "nfd_marks.txt", "Cafe\xCC\x81 e\xCC\x81te\xCC\x81 \xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8 "
                                     "1\xEF\xB8\x8F\xE2\x83\xA3 soft\xC2\xADhyphen zero\xE2\x80\x8Bwidth\n"
                                     "\xC4\xB0stanbul STRA\xE1\xBA\x9E" "E\n");
    put_str("text", "invalid_utf8.txt", "ok \xC0\xAF \xE0\x80\xAF \xED\xA0\x80 \xF4\x90\x80\x80 \xF0\x9F\x8E "
                                        "\x80\x80 \xFF\xFE end\n\xE2\x82\n");
    put("text", "nul_inside.txt", "word\0hidden\nnext line", 21);
    /* a few lyrics as lines (the harness's SVD needs two documents with words) */
    put_str("text", "lyrics_three.txt", "la la love you\nLiebe dich so sehr\nje t'aime, la vie en rose\n");
    put_str("text", "lyrics_two_scripts.txt", "\xE0\xA6\x86\xE0\xA6\xAE\xE0\xA6\xBE\xE0\xA6\xB0 song song\n"
                                             "\xE3\x81\x82\xE3\x82\x8A love song");
}

/* ------------------------------------------------------------------ audio */

static void audio_seeds(void) {
    enum { SR = 8000, N = 160 };
    float x[N * 2];
    for (int i = 0; i < N; i++) {
        x[2 * i] = (float)sin(2 * M_PI * 440.0 * i / SR) * 0.5f;
        x[2 * i + 1] = (float)cos(2 * M_PI * 300.0 * i / SR) * 0.25f;
    }
    static const struct { mc_audio_format f; int ch; const char *name; } fm[] = {
        {MC_AUDIO_FORMAT_WAV_PCM16, 1, "mono16.wav"},    {MC_AUDIO_FORMAT_WAV_PCM24, 2, "stereo24.wav"},
        {MC_AUDIO_FORMAT_WAV_FLOAT, 1, "float.wav"},     {MC_AUDIO_FORMAT_WAV_U8, 2, "u8.wav"},
        {MC_AUDIO_FORMAT_FLAC_PCM16, 1, "mono.flac"},    {MC_AUDIO_FORMAT_AU_PCM16, 2, "stereo.au"},
        {MC_AUDIO_FORMAT_AIFF_PCM16, 1, "mono.aiff"},    {MC_AUDIO_FORMAT_MP3, 1, "mono.mp3"},
        {MC_AUDIO_FORMAT_OGG_VORBIS, 1, "mono.ogg"},
    };
    for (size_t i = 0; i < sizeof fm / sizeof fm[0]; i++) {
        const char *tp = fz_path(fm[i].name);
        float mono[N];
        for (int k = 0; k < N; k++) mono[k] = x[2 * k];
        mc_status st = mc_audio_write(tp, fm[i].ch == 2 ? x : mono, N, fm[i].ch, SR, fm[i].f);
        if (st != MC_STATUS_OK) {
            fprintf(stderr, "make_corpus: %s not written: %s\n", fm[i].name, mc_error_message());
            continue;
        }
        size_t n;
        char *d = slurp(tp, &n);
        put("audio", fm[i].name, d, n);
        free(d);
    }
    /* a WAV whose header claims far more frames than it holds, and one with a NaN sample */
    size_t n;
    ok(mc_audio_write(fz_path("t.wav"), x, N, 1, SR, MC_AUDIO_FORMAT_WAV_FLOAT), "wav");
    char *d = slurp(fz_path("t.wav"), &n);
    char *dl = NULL;
    for (size_t i = 0; i + 8 <= n; i++)
        if (memcmp(d + i, "data", 4) == 0) dl = d + i + 4;
    if (dl) {
        float nan = NAN;
        memcpy(dl + 4 + 40, &nan, 4);
        put("audio", "float_nan.wav", d, n);
        memcpy(dl, "\xF0\xFF\xFF\x7F", 4);
        put("audio", "claims_2gib.wav", d, n);
    }
    free(d);
}

int main(int argc, char **argv) {
    /* --audio-only: the audio seeds alone. They are not committed (no audio in the repository):
     * tests/fuzz/run.sh writes them into the fuzz build folder before each run. */
    int audio_only = argc == 3 && strcmp(argv[1], "--audio-only") == 0;
    if (argc != 2 && !audio_only) {
        fprintf(stderr, "usage: %s [--audio-only] CORPUS_DIR\n", argv[0]);
        return 2;
    }
    snprintf(root, sizeof root, "%s", argv[argc - 1]);
    mkdir(root, 0755);
    if (audio_only) {
        audio_seeds();
        return 0;
    }
    fz_dir();
    npy_seeds();
    table_seeds();
    safetensors_seeds();
    model_seeds();
    store_seeds(root);
    text_seeds();
    return 0;
}
