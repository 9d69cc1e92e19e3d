/* Tests of the core module: .npy reading and writing (every dtype, ndim 0..3, the streaming writer,
 * hand-built files for the other format versions, byte orders and rejections), CSV/TSV, the JSON
 * writer, the RNG, threads, logging, progress bars and atomic files; last, the shared lyrics
 * metadata table. */
#include <musiclust/core.h>

#include "mc_test.h"

#include <dirent.h>
#include <float.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <signal.h>

static char tmpdir[1024];

/* AddressSanitizer's defaults for this test (ASAN_OPTIONS in the environment still wins): a refused
 * allocation returns NULL, as from glibc, so that test_alloc_messages can see the message. */
__attribute__((used, visibility("default"))) const char *__asan_default_options(void);
__attribute__((used, visibility("default"))) const char *__asan_default_options(void) {
    return "allocator_may_return_null=1";
}

static const char *tpath(const char *name) {
    static char buf[4][2048];
    static int k = 0;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static void write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

/* The last error message names `path` (the contract for every failing call). */
static int msg_names(const char *path) { return strstr(mc_error_message(), path) != NULL; }

/* ------------------------------------------------------------------ .npy */

/* A .npy file from its parts: NEP 1 preamble for `major`, the dict text, padding to 64 bytes (if
 * pad) and '\n', then `ndata` raw bytes. */
static void build_npy(const char *path, int major, const char *dict, int pad, const void *data,
                      size_t ndata) {
    unsigned char buf[4096];
    size_t pre = major == 1 ? 10 : 12;
    size_t dl = strlen(dict);
    size_t total = pre + dl + 1;
    if (pad) total = (total + 63) / 64 * 64;
    size_t hlen = total - pre;
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    for (size_t i = 0; i < pre - 8; i++) buf[8 + i] = (unsigned char)(hlen >> (8 * i));
    memcpy(buf + pre, dict, dl);
    memset(buf + pre + dl, ' ', total - pre - dl - 1);
    buf[total - 1] = '\n';
    memcpy(buf + total, data, ndata);
    write_bytes(path, buf, total + ndata);
}

static void put_be(unsigned char *dst, uint64_t bits, int size) {
    for (int i = 0; i < size; i++) dst[i] = (unsigned char)(bits >> (8 * (size - 1 - i)));
}

static double value_as_double(mc_dtype t, const void *data, size_t i) {
    switch (t) {
    case MC_DTYPE_F32: return ((const float *)data)[i];
    case MC_DTYPE_F64: return ((const double *)data)[i];
    case MC_DTYPE_F16: return mc_f16_to_f32(((const uint16_t *)data)[i]);
    case MC_DTYPE_I32: return ((const int32_t *)data)[i];
    case MC_DTYPE_I64: return (double)((const int64_t *)data)[i];
    }
    return NAN;
}

static void test_npy_roundtrip(void) {
    printf("npy round trip, every dtype x ndim 0..3\n");
    const mc_dtype types[] = {MC_DTYPE_F32, MC_DTYPE_F64, MC_DTYPE_F16, MC_DTYPE_I32, MC_DTYPE_I64};
    const int64_t shapes[4][3] = {{0, 0, 0}, {5, 0, 0}, {3, 4, 0}, {2, 3, 4}};
    for (int ti = 0; ti < 5; ti++) {
        for (int nd = 0; nd <= 3; nd++) {
            mc_dtype t = types[ti];
            int64_t count = 1;
            for (int d = 0; d < nd; d++) count *= shapes[nd][d];
            size_t es = mc_dtype_size(t);
            unsigned char *data = calloc((size_t)count, es); // (count) elements of t
            for (int64_t i = 0; i < count; i++) {
                double v = (double)(i * 3 - 7) / 4.0; /* exact in every float type */
                switch (t) {
                case MC_DTYPE_F32: ((float *)data)[i] = (float)v; break;
                case MC_DTYPE_F64: ((double *)data)[i] = v + 1e-12; break;
                case MC_DTYPE_F16: ((uint16_t *)data)[i] = mc_f32_to_f16((float)v); break;
                case MC_DTYPE_I32: ((int32_t *)data)[i] = (int32_t)(i * 1000 - 5); break;
                case MC_DTYPE_I64: ((int64_t *)data)[i] = (int64_t)i * 4000000000LL - 3; break;
                }
            }
            char name[64];
            snprintf(name, sizeof name, "rt_%s_%d.npy", mc_dtype_name(t), nd);
            const char *path = tpath(name);
            MC_CHECK_OK(mc_npy_write(path, t, nd, shapes[nd], data));
            char tmpname[2100];
            snprintf(tmpname, sizeof tmpname, "%s.tmp.%ld", path, (long)getpid());
            MC_CHECK(!file_exists(tmpname), "%s: no temp left", name);

            /* numpy's layout: version 1.0, preamble a multiple of 64 ending in '\n' */
            size_t flen = 0;
            char *raw = mc_test_read_file(path, &flen);
            MC_CHECK(raw && (unsigned char)raw[6] == 1 && raw[7] == 0, "%s: version 1.0", name);
            size_t hlen = (unsigned char)raw[8] | ((size_t)(unsigned char)raw[9] << 8);
            MC_CHECK((10 + hlen) % 64 == 0, "%s: preamble %zu not aligned", name, 10 + hlen);
            MC_CHECK(raw[10 + hlen - 1] == '\n', "%s: header ends in newline", name);
            MC_CHECK(flen == 10 + hlen + (size_t)count * es, "%s: file size %zu", name, flen);
            free(raw);

            mc_array a;
            MC_CHECK_OK(mc_npy_read(path, &a));
            MC_CHECK(a.dtype == t && a.ndim == nd, "%s: dtype %d ndim %d", name, a.dtype, a.ndim);
            for (int d = 0; d < nd; d++) {
                MC_CHECK(a.shape[d] == shapes[nd][d], "%s: shape[%d] = %lld", name, d,
                         (long long)a.shape[d]);
            }
            MC_CHECK(mc_array_count(&a) == count, "%s: count", name);
            MC_CHECK(a.data && memcmp(a.data, data, (size_t)count * es) == 0, "%s: data equal", name);
            mc_array_free(&a);
            MC_CHECK(a.data == NULL && a.ndim == 0, "array_free zeroes");

            MC_CHECK_OK(mc_npy_read_f32(path, &a));
            MC_CHECK(a.dtype == MC_DTYPE_F32 && a.ndim == nd, "%s: f32 dtype", name);
            int bad = 0;
            for (int64_t i = 0; i < count; i++) {
                float want = (float)value_as_double(t, data, (size_t)i);
                if (((float *)a.data)[i] != want) bad++;
            }
            MC_CHECK(bad == 0, "%s: %d f32 values differ", name, bad);
            mc_array_free(&a);
            free(data);
        }
    }
    /* zero-length arrays */
    int64_t zshape[2] = {0, 3};
    MC_CHECK_OK(mc_npy_write(tpath("zero.npy"), MC_DTYPE_F32, 2, zshape, NULL));
    mc_array a;
    MC_CHECK_OK(mc_npy_read(tpath("zero.npy"), &a));
    MC_CHECK(a.ndim == 2 && a.shape[0] == 0 && a.shape[1] == 3, "zero-row shape");
    mc_array_free(&a);
    mc_array_free(NULL);
    MC_CHECK(mc_npy_write(tpath("bad.npy"), MC_DTYPE_F32, 9, zshape, NULL) ==
                 MC_STATUS_INVALID_ARG, "ndim 9 rejected");
    MC_CHECK(mc_dtype_size(MC_DTYPE_F16) == 2 && strcmp(mc_dtype_name(MC_DTYPE_I64), "int64") == 0,
             "dtype size/name");
}

static void test_npy_writer(void) {
    printf("npy streaming writer\n");
    const char *path = tpath("stream.npy");
    int64_t row_shape[2] = {3, 2};
    mc_npy_writer *w = NULL;
    MC_CHECK_OK(mc_npy_writer_open(path, MC_DTYPE_F32, 2, row_shape, &w));
    char tmp[2100];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    MC_CHECK(file_exists(tmp), "rows go to %s", tmp);
    float chunk[7 * 6]; // (7, 3, 2) row-major
    int64_t next = 0;
    for (int iter = 0; iter < 3000; iter++) {
        int64_t n = iter % 8; /* 0..7 rows per append, zero-row appends included */
        for (int64_t r = 0; r < n; r++)
            for (int k = 0; k < 6; k++) chunk[r * 6 + k] = (float)((next + r) * 6 + k);
        MC_CHECK_OK(mc_npy_writer_append(w, chunk, n));
        next += n;
    }
    MC_CHECK(mc_npy_writer_rows(w) == next, "rows %lld", (long long)mc_npy_writer_rows(w));
    MC_CHECK(!file_exists(path), "nothing at the path before close");
    MC_CHECK_OK(mc_npy_writer_close(w));
    MC_CHECK(file_exists(path) && !file_exists(tmp), "renamed into place");
    mc_array a;
    MC_CHECK_OK(mc_npy_read(path, &a));
    MC_CHECK(a.ndim == 3 && a.shape[0] == next && a.shape[1] == 3 && a.shape[2] == 2,
             "stream shape (%lld, %lld, %lld)", (long long)a.shape[0], (long long)a.shape[1],
             (long long)a.shape[2]);
    int bad = 0;
    for (int64_t i = 0; i < next * 6; i++) bad += ((float *)a.data)[i] != (float)i;
    MC_CHECK(bad == 0, "%d streamed values differ", bad);
    mc_array_free(&a);
    size_t flen = 0;
    char *raw = mc_test_read_file(path, &flen);
    size_t hlen = (unsigned char)raw[8] | ((size_t)(unsigned char)raw[9] << 8);
    MC_CHECK((10 + hlen) % 64 == 0, "stream preamble aligned");
    MC_CHECK(strstr(raw + 10, "'shape': (") != NULL, "stream header has the shape");
    free(raw);

    /* scalar rows (row_ndim 0) -> shape (N,) of int64 */
    MC_CHECK_OK(mc_npy_writer_open(tpath("scalars.npy"), MC_DTYPE_I64, 0, NULL, &w));
    for (int64_t i = 0; i < 1000; i++) {
        int64_t v = -i * 1000000007LL;
        MC_CHECK_OK(mc_npy_writer_append(w, &v, 1));
    }
    MC_CHECK_OK(mc_npy_writer_close(w));
    MC_CHECK_OK(mc_npy_read(tpath("scalars.npy"), &a));
    MC_CHECK(a.ndim == 1 && a.shape[0] == 1000 && a.dtype == MC_DTYPE_I64, "scalar rows shape");
    MC_CHECK(((int64_t *)a.data)[999] == -999 * 1000000007LL, "scalar rows value");
    mc_array_free(&a);

    /* no rows at all */
    int64_t rs1 = 4;
    MC_CHECK_OK(mc_npy_writer_open(tpath("empty_stream.npy"), MC_DTYPE_F16, 1, &rs1, &w));
    MC_CHECK_OK(mc_npy_writer_close(w));
    MC_CHECK_OK(mc_npy_read(tpath("empty_stream.npy"), &a));
    MC_CHECK(a.ndim == 2 && a.shape[0] == 0 && a.shape[1] == 4, "empty stream shape");
    mc_array_free(&a);

    /* abort leaves nothing behind */
    MC_CHECK_OK(mc_npy_writer_open(tpath("aborted.npy"), MC_DTYPE_F32, 1, &rs1, &w));
    float row[4] = {1, 2, 3, 4};
    MC_CHECK_OK(mc_npy_writer_append(w, row, 1));
    mc_npy_writer_abort(w);
    mc_npy_writer_abort(NULL);
    MC_CHECK(!file_exists(tpath("aborted.npy")), "aborted file absent");
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", tpath("aborted.npy"), (long)getpid());
    MC_CHECK(!file_exists(tmp), "aborted temp removed");

    /* open in a missing directory fails with the path in the message */
    MC_CHECK(mc_npy_writer_open(tpath("no/such/dir/x.npy"), MC_DTYPE_F32, 1, &rs1, &w) ==
                 MC_STATUS_IO && w == NULL, "open in missing dir: %s", mc_error_message());
    MC_CHECK(msg_names("x.npy"), "message names the file: %s", mc_error_message());
    MC_CHECK(mc_npy_writer_append(NULL, row, 1) == MC_STATUS_INVALID_ARG, "append NULL writer");
}

static void test_f16(void) {
    printf("float16 conversions\n");
    struct { uint16_t h; float f; } cases[] = {
        {0x0000, 0.0f},          {0x3c00, 1.0f},        {0xc000, -2.0f},
        {0x7bff, 65504.0f},      {0x0400, 0x1p-14f},    {0x0001, 0x1p-24f},
        {0x03ff, 1023 * 0x1p-24f}, {0x8001, -0x1p-24f}, {0x3555, 0x1.554p-2f},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        MC_CHECK(mc_f16_to_f32(cases[i].h) == cases[i].f, "f16 %04x -> %g, want %g", cases[i].h,
                 (double)mc_f16_to_f32(cases[i].h), (double)cases[i].f);
        MC_CHECK(mc_f32_to_f16(cases[i].f) == cases[i].h, "f32 %g -> %04x, want %04x",
                 (double)cases[i].f, mc_f32_to_f16(cases[i].f), cases[i].h);
    }
    MC_CHECK(signbit(mc_f16_to_f32(0x8000)) && mc_f16_to_f32(0x8000) == 0.0f, "-0");
    MC_CHECK(isinf(mc_f16_to_f32(0x7c00)) && mc_f16_to_f32(0x7c00) > 0, "+inf");
    MC_CHECK(isinf(mc_f16_to_f32(0xfc00)) && mc_f16_to_f32(0xfc00) < 0, "-inf");
    MC_CHECK(isnan(mc_f16_to_f32(0x7e00)) && isnan(mc_f16_to_f32(0x7c01)), "nan");
    MC_CHECK(mc_f32_to_f16(INFINITY) == 0x7c00 && mc_f32_to_f16(-INFINITY) == 0xfc00, "inf -> f16");
    uint16_t hn = mc_f32_to_f16(NAN);
    MC_CHECK((hn & 0x7c00) == 0x7c00 && (hn & 0x3ff) != 0, "nan -> f16 %04x", hn);
    /* every non-NaN half survives f16 -> f32 -> f16 */
    int bad = 0;
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) continue;
        if (mc_f32_to_f16(mc_f16_to_f32((uint16_t)h)) != h) bad++;
    }
    MC_CHECK(bad == 0, "%d halves do not round-trip", bad);
    /* round to nearest, ties to even */
    MC_CHECK(mc_f32_to_f16(1.0f + 0x1p-11f) == 0x3c00, "tie rounds down to even");
    MC_CHECK(mc_f32_to_f16(1.0f + 3 * 0x1p-11f) == 0x3c02, "tie rounds up to even");
    MC_CHECK(mc_f32_to_f16(1.0f + 0x1p-11f + 0x1p-20f) == 0x3c01, "above tie rounds up");
    MC_CHECK(mc_f32_to_f16(65519.0f) == 0x7bff, "65519 -> max half");
    MC_CHECK(mc_f32_to_f16(65520.0f) == 0x7c00, "65520 -> inf");
    MC_CHECK(mc_f32_to_f16(1e10f) == 0x7c00, "overflow -> inf");
    MC_CHECK(mc_f32_to_f16(0x1p-25f) == 0x0000, "2^-25 ties to zero");
    MC_CHECK(mc_f32_to_f16(0x1.8p-25f) == 0x0001, "1.5 * 2^-25 -> smallest subnormal");
    MC_CHECK(mc_f32_to_f16(3 * 0x1p-25f) == 0x0002, "subnormal tie to even");
    MC_CHECK(mc_f32_to_f16(1e-10f) == 0x0000 && mc_f32_to_f16(-1e-10f) == 0x8000, "underflow");
    MC_CHECK(mc_f32_to_f16(0x1.ffcp-15f) == 0x0400, "rounds up into the smallest normal");
}

static void test_npy_handbuilt(void) {
    printf("npy hand-built files\n");
    mc_array a;
    /* version 2.0, 4-byte header length */
    float f4[4] = {1.5f, -2.0f, 3.25f, 1e-3f};
    build_npy(tpath("v2.npy"), 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 1,
              f4, sizeof f4);
    MC_CHECK_OK(mc_npy_read(tpath("v2.npy"), &a));
    MC_CHECK(a.ndim == 2 && a.shape[0] == 2 && a.shape[1] == 2 && a.dtype == MC_DTYPE_F32, "v2 shape");
    MC_CHECK(a.data && memcmp(a.data, f4, sizeof f4) == 0, "v2 data");
    mc_array_free(&a);

    /* version 3.0, other key order, double quotes, no trailing comma, no padding, (5,) */
    int32_t i4[5] = {1, -2, 3, 2147483647, -2147483647 - 1};
    build_npy(tpath("v3.npy"), 3, "{ \"shape\" : (5,) ,\"fortran_order\":False,'descr':'<i4'}", 0, i4,
              sizeof i4);
    MC_CHECK_OK(mc_npy_read(tpath("v3.npy"), &a));
    MC_CHECK(a.ndim == 1 && a.shape[0] == 5 && a.dtype == MC_DTYPE_I32, "v3 shape: %s",
             mc_error_message());
    MC_CHECK(a.data && memcmp(a.data, i4, sizeof i4) == 0, "v3 data");
    mc_array_free(&a);

    /* 0-d, and Python 2 long suffixes */
    double d0 = 42.5;
    build_npy(tpath("scalar.npy"), 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 1,
              &d0, sizeof d0);
    MC_CHECK_OK(mc_npy_read(tpath("scalar.npy"), &a));
    MC_CHECK(a.ndim == 0 && mc_array_count(&a) == 1 && ((double *)a.data)[0] == 42.5, "0-d");
    mc_array_free(&a);
    build_npy(tpath("long.npy"), 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 2L), }",
              1, f4, sizeof f4);
    MC_CHECK_OK(mc_npy_read(tpath("long.npy"), &a));
    MC_CHECK(a.ndim == 2 && a.shape[1] == 2, "2L shape");
    mc_array_free(&a);

    /* big-endian forms of every dtype */
    unsigned char be[64];
    double bd[3] = {1.5, -0.1, 1e300};
    for (int i = 0; i < 3; i++) {
        uint64_t bits;
        memcpy(&bits, &bd[i], 8);
        put_be(be + 8 * i, bits, 8);
    }
    build_npy(tpath("be_f8.npy"), 1, "{'descr': '>f8', 'fortran_order': False, 'shape': (3,), }", 1,
              be, 24);
    MC_CHECK_OK(mc_npy_read(tpath("be_f8.npy"), &a));
    MC_CHECK(a.dtype == MC_DTYPE_F64 && a.data && memcmp(a.data, bd, sizeof bd) == 0, ">f8 swapped");
    mc_array_free(&a);

    float bf[3] = {1.5f, -0.1f, 3e38f};
    for (int i = 0; i < 3; i++) {
        uint32_t bits;
        memcpy(&bits, &bf[i], 4);
        put_be(be + 4 * i, bits, 4);
    }
    build_npy(tpath("be_f4.npy"), 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }", 1,
              be, 12);
    MC_CHECK_OK(mc_npy_read(tpath("be_f4.npy"), &a));
    MC_CHECK(a.dtype == MC_DTYPE_F32 && a.data && memcmp(a.data, bf, sizeof bf) == 0, ">f4 swapped");
    mc_array_free(&a);

    int32_t bi[3] = {1, -2, 0x01020304};
    for (int i = 0; i < 3; i++) put_be(be + 4 * i, (uint32_t)bi[i], 4);
    build_npy(tpath("be_i4.npy"), 1, "{'descr': '>i4', 'fortran_order': False, 'shape': (3,), }", 1,
              be, 12);
    MC_CHECK_OK(mc_npy_read(tpath("be_i4.npy"), &a));
    MC_CHECK(a.dtype == MC_DTYPE_I32 && a.data && memcmp(a.data, bi, sizeof bi) == 0, ">i4 swapped");
    mc_array_free(&a);

    int64_t bl[2] = {-5, 0x0102030405060708LL};
    for (int i = 0; i < 2; i++) put_be(be + 8 * i, (uint64_t)bl[i], 8);
    build_npy(tpath("be_i8.npy"), 1, "{'descr': '>i8', 'fortran_order': False, 'shape': (2,), }", 1,
              be, 16);
    MC_CHECK_OK(mc_npy_read_f32(tpath("be_i8.npy"), &a));
    MC_CHECK(a.dtype == MC_DTYPE_F32 && ((float *)a.data)[0] == -5.0f &&
                 ((float *)a.data)[1] == (float)0x0102030405060708LL, ">i8 -> f32");
    mc_array_free(&a);

    /* float16, big-endian, with subnormals, inf and nan, read as float32 */
    uint16_t hv[8] = {0x3c00, 0xc000, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x7e00, 0x7bff};
    for (int i = 0; i < 8; i++) put_be(be + 2 * i, hv[i], 2);
    build_npy(tpath("be_f2.npy"), 1, "{'descr': '>f2', 'fortran_order': False, 'shape': (2, 4), }", 1,
              be, 16);
    MC_CHECK_OK(mc_npy_read(tpath("be_f2.npy"), &a));
    MC_CHECK(a.dtype == MC_DTYPE_F16 && a.data && memcmp(a.data, hv, sizeof hv) == 0, ">f2 raw");
    mc_array_free(&a);
    MC_CHECK_OK(mc_npy_read_f32(tpath("be_f2.npy"), &a));
    const float *hf = a.data;
    MC_CHECK(a.dtype == MC_DTYPE_F32 && a.shape[0] == 2 && a.shape[1] == 4, ">f2 -> f32 shape");
    MC_CHECK(hf[0] == 1.0f && hf[1] == -2.0f && hf[2] == 0x1p-24f && hf[3] == 1023 * 0x1p-24f,
             ">f2 values %g %g %g %g", (double)hf[0], (double)hf[1], (double)hf[2], (double)hf[3]);
    MC_CHECK(isinf(hf[4]) && hf[4] > 0 && isinf(hf[5]) && hf[5] < 0 && isnan(hf[6]) &&
                 hf[7] == 65504.0f, ">f2 inf/nan/max");
    mc_array_free(&a);

    /* little-endian f16 and narrow integers widened on read */
    uint16_t lh[3] = {0x3c00, 0x8001, 0x7c00};
    build_npy(tpath("le_f2.npy"), 1, "{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", 1,
              lh, sizeof lh);
    MC_CHECK_OK(mc_npy_read_f32(tpath("le_f2.npy"), &a));
    MC_CHECK(((float *)a.data)[1] == -0x1p-24f && isinf(((float *)a.data)[2]), "<f2 -> f32");
    mc_array_free(&a);
    unsigned char u1[4] = {0, 1, 200, 255};
    build_npy(tpath("u1.npy"), 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (4,), }", 1, u1,
              4);
    MC_CHECK_OK(mc_npy_read(tpath("u1.npy"), &a));
    MC_CHECK(a.dtype == MC_DTYPE_I32 && ((int32_t *)a.data)[2] == 200 && ((int32_t *)a.data)[3] == 255,
             "|u1 widened to int32");
    mc_array_free(&a);
    build_npy(tpath("i1.npy"), 1, "{'descr': '|i1', 'fortran_order': False, 'shape': (4,), }", 1, u1,
              4);
    MC_CHECK_OK(mc_npy_read(tpath("i1.npy"), &a));
    MC_CHECK(((int32_t *)a.data)[2] == -56 && ((int32_t *)a.data)[3] == -1, "|i1 sign-extended");
    mc_array_free(&a);
    build_npy(tpath("b1.npy"), 1, "{'descr': '|b1', 'fortran_order': False, 'shape': (4,), }", 1, u1,
              4);
    MC_CHECK_OK(mc_npy_read_f32(tpath("b1.npy"), &a));
    MC_CHECK(((float *)a.data)[0] == 0.0f && ((float *)a.data)[3] == 1.0f, "|b1 -> 0/1");
    mc_array_free(&a);
    int16_t i2[2] = {-300, 300};
    build_npy(tpath("i2.npy"), 1, "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", 1, i2,
              4);
    MC_CHECK_OK(mc_npy_read(tpath("i2.npy"), &a));
    MC_CHECK(a.dtype == MC_DTYPE_I32 && ((int32_t *)a.data)[0] == -300, "<i2 widened");
    mc_array_free(&a);
    uint32_t u4[2] = {4000000000u, 7};
    build_npy(tpath("u4.npy"), 1, "{'descr': '<u4', 'fortran_order': False, 'shape': (2,), }", 1, u4,
              8);
    MC_CHECK_OK(mc_npy_read(tpath("u4.npy"), &a));
    MC_CHECK(a.dtype == MC_DTYPE_I64 && ((int64_t *)a.data)[0] == 4000000000LL, "<u4 -> int64");
    mc_array_free(&a);
}

static void expect_reject(const char *name, mc_status want, const char *needle) {
    mc_array a;
    memset(&a, 0x5a, sizeof a);
    mc_error_clear();
    mc_status st = mc_npy_read(tpath(name), &a);
    MC_CHECK(st == want, "%s: status %s, want %s (%s)", name, mc_status_name(st),
             mc_status_name(want), mc_error_message());
    MC_CHECK(msg_names(name), "%s: message names the file: %s", name, mc_error_message());
    MC_CHECK(!needle || strstr(mc_error_message(), needle), "%s: message mentions '%s': %s", name,
             needle, mc_error_message());
    MC_CHECK(a.data == NULL && a.ndim == 0, "%s: output zeroed on failure", name);
    printf("  %-16s -> %s\n", name, mc_error_message());
}

/* Anonymous resident memory of this process (kB), from /proc/self/status; -1 if unknown. */
static void test_npy_map(void) {
    printf("npy map:\n");
    const char *dir = mc_test_tmpdir("npy_map");
    char path[600];
    /* 64 MiB of float32 (4096, 4096): mapped, the same values as read, and a full pass over it does
     * not grow anonymous memory (its pages are page cache) */
    const int64_t shape[2] = {4096, 4096};
    const size_t n = (size_t)shape[0] * (size_t)shape[1];
    float *x = mc_test_xcalloc(n, sizeof(float));
    for (size_t i = 0; i < n; i++) x[i] = (float)(i % 1000003) * 0.5f - 7.0f;
    snprintf(path, sizeof path, "%s/big.npy", dir);
    MC_CHECK_OK(mc_npy_write(path, MC_DTYPE_F32, 2, shape, x));
    free(x);
    mc_array r = {0}, m = {0};
    MC_CHECK_OK(mc_npy_read(path, &r));
    long before = mc_test_status_kb("RssAnon");
    MC_CHECK_OK(mc_npy_map(path, &m));
    MC_CHECK(m.map_base != NULL && m.map_len > n * sizeof(float), "a float32 file is mapped (map_base %p)", m.map_base);
    MC_CHECK(m.dtype == MC_DTYPE_F32 && m.ndim == 2 && m.shape[0] == 4096 && m.shape[1] == 4096, "mapped shape");
    double sum = 0;
    const float *mp = m.data;
    for (size_t i = 0; i < n; i += 1) sum += mp[i];
    long after = mc_test_status_kb("RssAnon");
    MC_CHECK(r.data && m.data && memcmp(r.data, m.data, n * sizeof(float)) == 0, "mapped bytes equal the read ones");
    printf("  64 MiB mapped and summed (%.6g): RssAnon %ld -> %ld kB\n", sum, before, after);
    MC_CHECK(before >= 0 && after - before < 8 * 1024, "RssAnon grew by %ld kB over a full pass of a mapped 64 MiB array",
             after - before);
    /* mc_array_release: the pages of rows 1024..3071 (32 MiB) leave the resident set; a partial range
     * rounds out to whole pages; the values read back unchanged */
    const long f0 = mc_test_status_kb("RssFile");
    mc_array_release(&m, mp + 1024 * 4096 + 3, (size_t)2048 * 4096 * sizeof(float) - 5);
    const long f1 = mc_test_status_kb("RssFile");
    printf("  released rows 1024..3071: RssFile %ld -> %ld kB\n", f0, f1);
    MC_CHECK(f0 >= 0 && f0 - f1 >= 30 * 1024, "RssFile fell by %ld kB, not by the released 32 MiB", f0 - f1);
    MC_CHECK(memcmp(r.data, m.data, n * sizeof(float)) == 0, "a released mapped range reads back the same bytes");
    mc_array_release(&m, mp - 4096, 1); /* outside the mapping: nothing */
    mc_array_release(NULL, mp, 4096);
    mc_array_release(&r, r.data, 64 * 4096); /* an array in memory: never touched */
    MC_CHECK(memcmp(r.data, m.data, n * sizeof(float)) == 0, "mc_array_release changed an array in memory");
    mc_array_free(&m);
    MC_CHECK(m.data == NULL && m.map_base == NULL, "mc_array_free unmaps and zeroes");
    mc_array_free(&r);
    /* what cannot be mapped is read: big-endian float32 and uint8 (widened) */
    const float be_vals[3] = {1.5f, -2.0f, 3.25f};
    unsigned char hdr[128];
    const char *dict = "{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }";
    size_t dl = strlen(dict), total = 80; /* a multiple of 16, as numpy pads */
    memset(hdr, ' ', sizeof hdr);
    memcpy(hdr, "\x93NUMPY\x01\x00", 8);
    hdr[8] = (unsigned char)(total - 10);
    hdr[9] = 0;
    memcpy(hdr + 10, dict, dl);
    hdr[total - 1] = '\n';
    snprintf(path, sizeof path, "%s/be.npy", dir);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(hdr, 1, total, f);
        for (int i = 0; i < 3; i++) {
            uint32_t b;
            memcpy(&b, &be_vals[i], 4);
            unsigned char o[4] = {(unsigned char)(b >> 24), (unsigned char)(b >> 16), (unsigned char)(b >> 8), (unsigned char)b};
            fwrite(o, 1, 4, f);
        }
        fclose(f);
    }
    MC_CHECK_OK(mc_npy_map(path, &m));
    MC_CHECK(m.map_base == NULL && m.data && memcmp(m.data, be_vals, sizeof be_vals) == 0,
             "a big-endian file is read (not mapped) with the right values");
    mc_array_free(&m);
    /* a little-endian float32 file whose data starts at byte 78 (not a multiple of 4; numpy pads to 64
     * but a file need not): read into aligned memory, not mapped (a misaligned float load is undefined
     * behaviour; found by fuzz_store) */
    {
        const char *d4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
        size_t tot = 78;
        memset(hdr, ' ', sizeof hdr);
        memcpy(hdr, "\x93NUMPY\x01\x00", 8);
        hdr[8] = (unsigned char)(tot - 10);
        hdr[9] = 0;
        memcpy(hdr + 10, d4, strlen(d4));
        hdr[tot - 1] = '\n';
        snprintf(path, sizeof path, "%s/odd.npy", dir);
        f = fopen(path, "wb");
        if (f) {
            fwrite(hdr, 1, tot, f);
            fwrite(be_vals, sizeof(float), 3, f); /* host order: little-endian here */
            fclose(f);
        }
        MC_CHECK_OK(mc_npy_map(path, &m));
        MC_CHECK(m.map_base == NULL && m.data && ((uintptr_t)m.data % sizeof(float)) == 0 &&
                     memcmp(m.data, be_vals, sizeof be_vals) == 0,
                 "data at byte 78: read into aligned memory with the right values (mapped: %s)",
                 m.map_base ? "yes" : "no");
        mc_array_free(&m);
    }
    /* errors as mc_npy_read's */
    snprintf(path, sizeof path, "%s/missing.npy", dir);
    MC_CHECK(mc_npy_map(path, &m) == MC_STATUS_IO, "missing file: IO");
}

static void test_npy_reject(void) {
    printf("npy rejections\n");
    float f4[6] = {0};
    build_npy(tpath("fortran.npy"), 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
              1, f4, sizeof f4);
    expect_reject("fortran.npy", MC_STATUS_UNSUPPORTED, "Fortran");
    write_bytes(tpath("magic.npy"), "\x93NUMPX\x01\x00\x10\x00{}              ", 26);
    expect_reject("magic.npy", MC_STATUS_FORMAT, "magic");
    build_npy(tpath("trunc.npy"), 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 1,
              f4, sizeof f4 - 1);
    expect_reject("trunc.npy", MC_STATUS_FORMAT, "truncated");
    build_npy(tpath("garbage.npy"), 1, "hello, world", 1, f4, sizeof f4);
    expect_reject("garbage.npy", MC_STATUS_FORMAT, "header");
    build_npy(tpath("badshape.npy"), 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }",
              1, f4, sizeof f4);
    expect_reject("badshape.npy", MC_STATUS_FORMAT, "shape");
    build_npy(tpath("nokey.npy"), 1, "{'descr': '<f4', 'shape': (6,), }", 1, f4, sizeof f4);
    expect_reject("nokey.npy", MC_STATUS_FORMAT, "fortran_order");
    build_npy(tpath("unclosed.npy"), 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,)", 1,
              f4, sizeof f4);
    expect_reject("unclosed.npy", MC_STATUS_FORMAT, NULL);
    build_npy(tpath("object.npy"), 1, "{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", 1,
              f4, sizeof f4);
    expect_reject("object.npy", MC_STATUS_UNSUPPORTED, "object");
    build_npy(tpath("complex.npy"), 1, "{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }", 1,
              f4, sizeof f4);
    expect_reject("complex.npy", MC_STATUS_UNSUPPORTED, "<c8");
    build_npy(tpath("record.npy"), 1,
              "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,), }", 1, f4, sizeof f4);
    expect_reject("record.npy", MC_STATUS_UNSUPPORTED, "structured");
    build_npy(tpath("v4.npy"), 4, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", 1, f4,
              sizeof f4);
    expect_reject("v4.npy", MC_STATUS_UNSUPPORTED, "version");
    write_bytes(tpath("short.npy"), "\x93NUM", 4);
    expect_reject("short.npy", MC_STATUS_FORMAT, NULL);
    write_bytes(tpath("hlen.npy"), "\x93NUMPY\x01\x00\xff\xff{'descr'", 17);
    expect_reject("hlen.npy", MC_STATUS_FORMAT, "header");
    expect_reject("missing.npy", MC_STATUS_IO, NULL);
}

/* ------------------------------------------------------------------ CSV / TSV */

static void test_table(void) {
    printf("CSV / TSV\n");
    mc_table t;
    const char *p = tpath("quotes.csv");
    const char *csv = "id,text,n\n"
                      "1,\"hello, world\",3\n"
                      "2,\"say \"\"hi\"\"\",4\n"
                      "3,\"line1\nline2\n\nline4\",5\n"
                      "4,,\"\"\n";
    write_bytes(p, csv, strlen(csv));
    MC_CHECK_OK(mc_table_read(p, 0, &t));
    MC_CHECK(t.nrows == 4 && t.ncols == 3, "quotes: %lld x %d", (long long)t.nrows, t.ncols);
    if (t.nrows == 4 && t.ncols == 3) {
        MC_CHECK(strcmp(mc_table_get(&t, 0, 1), "hello, world") == 0, "embedded delimiter");
        MC_CHECK(strcmp(mc_table_get(&t, 1, 1), "say \"hi\"") == 0, "doubled quotes: [%s]",
                 mc_table_get(&t, 1, 1));
        MC_CHECK(strcmp(mc_table_get(&t, 2, 1), "line1\nline2\n\nline4") == 0, "multi-line");
        MC_CHECK(strcmp(mc_table_get(&t, 2, 2), "5") == 0, "after multi-line");
        MC_CHECK(strcmp(mc_table_get(&t, 3, 1), "") == 0 && strcmp(mc_table_get(&t, 3, 2), "") == 0,
                 "empty fields");
    }
    MC_CHECK(mc_table_column(&t, "text") == 1 && mc_table_column(&t, "nope") == -1, "column lookup");
    MC_CHECK(mc_table_get(&t, 4, 0) == NULL && mc_table_get(&t, 0, 3) == NULL &&
                 mc_table_get(&t, -1, 0) == NULL, "out of range -> NULL");
    mc_table_free(&t);
    MC_CHECK(t.cells == NULL && t.nrows == 0, "table_free zeroes");
    mc_table_free(NULL);

    /* BOM, CRLF, blank lines, no final newline, short row padded */
    p = tpath("crlf.csv");
    const char *crlf = "\xEF\xBB\xBFx,y,z\r\n1,2,3\r\n\r\n\r\n4,\"a\r\nb\",6\r\n7\r\n\n8,9,10";
    write_bytes(p, crlf, strlen(crlf));
    MC_CHECK_OK(mc_table_read(p, 0, &t));
    MC_CHECK(t.nrows == 4 && t.ncols == 3, "crlf: %lld x %d", (long long)t.nrows, t.ncols);
    if (t.nrows == 4 && t.ncols == 3) {
        MC_CHECK(strcmp(t.header[0], "x") == 0, "BOM stripped: [%s]", t.header[0]);
        MC_CHECK(strcmp(t.header[2], "z") == 0, "CR stripped from header: [%s]", t.header[2]);
        MC_CHECK(strcmp(mc_table_get(&t, 0, 2), "3") == 0, "CR stripped from cells");
        MC_CHECK(strcmp(mc_table_get(&t, 1, 1), "a\r\nb") == 0, "CRLF kept inside quotes");
        MC_CHECK(strcmp(mc_table_get(&t, 2, 0), "7") == 0 && strcmp(mc_table_get(&t, 2, 1), "") == 0 &&
                     strcmp(mc_table_get(&t, 2, 2), "") == 0, "short row padded");
        MC_CHECK(strcmp(mc_table_get(&t, 3, 2), "10") == 0, "last line without newline");
    }
    mc_table_free(&t);

    /* TSV by extension and by a tab in the header; commas are data there */
    p = tpath("data.tsv");
    const char *tsv = "name\tgenre\n\"Smith, J\"\tjazz,blues\n";
    write_bytes(p, tsv, strlen(tsv));
    MC_CHECK_OK(mc_table_read(p, 0, &t));
    MC_CHECK(t.ncols == 2 && t.nrows == 1 && strcmp(mc_table_get(&t, 0, 1), "jazz,blues") == 0,
             "tsv by extension");
    mc_table_free(&t);
    p = tpath("data.txt");
    write_bytes(p, tsv, strlen(tsv));
    MC_CHECK_OK(mc_table_read(p, 0, &t));
    MC_CHECK(t.ncols == 2 && t.nrows == 1, "tsv by header tab");
    mc_table_free(&t);
    p = tpath("mixed.tsv");
    write_bytes(p, "a\tb,c\n1\t2,3\n", 12);
    MC_CHECK_OK(mc_table_read(p, ',', &t));
    MC_CHECK(t.ncols == 2 && t.nrows == 1 && strcmp(t.header[0], "a\tb") == 0 &&
                 strcmp(mc_table_get(&t, 0, 1), "3") == 0, "explicit delimiter beats the extension");
    mc_table_free(&t);

    /* a literal quote inside an unquoted field, text after a closing quote */
    p = tpath("loose.csv");
    const char *loose = "a,b\n5\" disk,\"x\"y\n";
    write_bytes(p, loose, strlen(loose));
    MC_CHECK_OK(mc_table_read(p, 0, &t));
    MC_CHECK(t.nrows == 1 && strcmp(mc_table_get(&t, 0, 0), "5\" disk") == 0 &&
                 strcmp(mc_table_get(&t, 0, 1), "xy") == 0, "lenient quotes");
    mc_table_free(&t);

    /* errors: too many fields, unterminated quote, empty file, missing file */
    p = tpath("toomany.csv");
    const char *many = "a,b\n1,2\n\"multi\nline\",4,5\n";
    write_bytes(p, many, strlen(many));
    memset(&t, 0x5a, sizeof t);
    MC_CHECK(mc_table_read(p, 0, &t) == MC_STATUS_FORMAT, "too many fields");
    MC_CHECK(msg_names("toomany.csv:3:"), "names file and line: %s", mc_error_message());
    MC_CHECK(t.cells == NULL && t.header == NULL, "output zeroed on failure");
    printf("  %s\n", mc_error_message());
    p = tpath("unterminated.csv");
    const char *unt = "a,b\n1,2\n\n3,\"abc\ndef\n";
    write_bytes(p, unt, strlen(unt));
    MC_CHECK(mc_table_read(p, 0, &t) == MC_STATUS_FORMAT, "unterminated quote");
    MC_CHECK(msg_names("unterminated.csv:4:") && strstr(mc_error_message(), "unterminated"),
             "names file and line: %s", mc_error_message());
    printf("  %s\n", mc_error_message());
    p = tpath("empty.csv");
    write_bytes(p, "\xEF\xBB\xBF\n\n", 5);
    MC_CHECK(mc_table_read(p, 0, &t) == MC_STATUS_EMPTY && msg_names("empty.csv"), "empty file");
    MC_CHECK(mc_table_read(tpath("absent.csv"), 0, &t) == MC_STATUS_IO && msg_names("absent.csv"),
             "missing file");
    p = tpath("headeronly.csv");
    write_bytes(p, "a,b\n", 4);
    MC_CHECK_OK(mc_table_read(p, 0, &t));
    MC_CHECK(t.nrows == 0 && t.ncols == 2, "header only");
    mc_table_free(&t);

    /* mc_csv_write_field quotes only when needed, and its output reads back */
    p = tpath("written.csv");
    FILE *f = fopen(p, "wb");
    const char *vals[4] = {"plain", "with,comma", "with \"quote\"", "two\nlines"};
    for (int i = 0; i < 4; i++) {
        mc_csv_write_field(f, vals[i], ',');
        fputc(i < 3 ? ',' : '\n', f);
    }
    for (int i = 0; i < 4; i++) {
        mc_csv_write_field(f, vals[i], ',');
        fputc(i < 3 ? ',' : '\n', f);
    }
    fclose(f);
    char *txt = mc_test_read_file(p, NULL);
    MC_CHECK(strncmp(txt, "plain,\"with,comma\",\"with \"\"quote\"\"\",\"two\nlines\"\n", 47) == 0,
             "written fields: %s", txt);
    free(txt);
    MC_CHECK_OK(mc_table_read(p, ',', &t));
    MC_CHECK(t.nrows == 1 && t.ncols == 4, "written table shape");
    for (int i = 0; i < 4 && t.nrows == 1; i++) {
        MC_CHECK(strcmp(mc_table_get(&t, 0, i), vals[i]) == 0, "field %d reads back", i);
    }
    mc_table_free(&t);
    mc_csv_write_field(NULL, "x", ',');
}

/* ------------------------------------------------------------------ JSON */

static void test_json(void) {
    printf("JSON writer\n");
    mc_json *j = NULL;
    MC_CHECK_OK(mc_json_create(&j));
    MC_CHECK(mc_json_text(j) == NULL, "empty document is incomplete");
    mc_json_begin_object(j);
    mc_json_key(j, "name");
    mc_json_string(j, "a \"q\" \\ \n\t\x01 \xc3\xa9");
    mc_json_key(j, "x");
    mc_json_number(j, 0.1);
    mc_json_key(j, "big");
    mc_json_number(j, 1e300);
    mc_json_key(j, "nan");
    mc_json_number(j, NAN);
    mc_json_key(j, "inf");
    mc_json_number(j, -INFINITY);
    mc_json_key(j, "third");
    mc_json_number(j, 1.0 / 3.0);
    mc_json_key(j, "i");
    mc_json_int(j, INT64_MIN);
    mc_json_key(j, "list");
    mc_json_begin_array(j);
    mc_json_bool(j, true);
    mc_json_bool(j, false);
    mc_json_null(j);
    mc_json_string(j, NULL);
    mc_json_begin_object(j);
    mc_json_end_object(j);
    mc_json_begin_array(j);
    mc_json_end_array(j);
    mc_json_end_array(j);
    mc_json_end_object(j);
    const char *want = "{\n"
                       "  \"name\": \"a \\\"q\\\" \\\\ \\u000a\\u0009\\u0001 \xc3\xa9\",\n"
                       "  \"x\": 0.1,\n"
                       "  \"big\": 1e+300,\n"
                       "  \"nan\": null,\n"
                       "  \"inf\": null,\n"
                       "  \"third\": 0.3333333333333333,\n"
                       "  \"i\": -9223372036854775808,\n"
                       "  \"list\": [\n"
                       "    true,\n"
                       "    false,\n"
                       "    null,\n"
                       "    null,\n"
                       "    {},\n"
                       "    []\n"
                       "  ]\n"
                       "}\n";
    const char *got = mc_json_text(j);
    MC_CHECK(got && strcmp(got, want) == 0, "document:\n%s\nwant:\n%s", got ? got : "(null)", want);
    MC_CHECK(strtod("0.3333333333333333", NULL) == 1.0 / 3.0, "shortest form of 1/3 round-trips");
    const char *jp = tpath("doc.json");
    MC_CHECK_OK(mc_json_write_file(j, jp));
    char *back = mc_test_read_file(jp, NULL);
    MC_CHECK(back && got && strcmp(back, got) == 0, "file content");
    free(back);
    mc_json_free(j);
    mc_json_free(NULL);

    /* misuse: each makes the text NULL and write_file fail */
    for (int m = 0; m < 7; m++) {
        MC_CHECK_OK(mc_json_create(&j));
        switch (m) {
        case 0: mc_json_begin_object(j); mc_json_int(j, 1); mc_json_end_object(j); break; /* no key */
        case 1: mc_json_begin_array(j); mc_json_key(j, "k"); mc_json_int(j, 1); mc_json_end_array(j); break;
        case 2: mc_json_begin_object(j); mc_json_end_array(j); break; /* mismatched end */
        case 3: mc_json_begin_array(j); mc_json_int(j, 1); break;     /* unbalanced */
        case 4: mc_json_int(j, 1); mc_json_int(j, 2); break;          /* two roots */
        case 5: mc_json_end_object(j); break;                          /* end at top */
        case 6: mc_json_begin_object(j); mc_json_key(j, "a"); mc_json_key(j, "b"); mc_json_int(j, 1);
                mc_json_end_object(j); break;                          /* two keys */
        }
        MC_CHECK(mc_json_text(j) == NULL, "misuse %d gives NULL text", m);
        MC_CHECK(mc_json_write_file(j, tpath("bad.json")) == MC_STATUS_INVALID_ARG &&
                     msg_names("bad.json"), "misuse %d: write_file refuses: %s", m,
                 mc_error_message());
        mc_json_free(j);
    }
    MC_CHECK(!file_exists(tpath("bad.json")), "no file for a misused document");
    /* a bare scalar is a complete document */
    MC_CHECK_OK(mc_json_create(&j));
    mc_json_number(j, -0.5);
    MC_CHECK(mc_json_text(j) && strcmp(mc_json_text(j), "-0.5\n") == 0, "scalar root");
    mc_json_free(j);
    mc_json_key(NULL, "x");
    mc_json_int(NULL, 1);
}

/* ------------------------------------------------------------------ RNG */

static void test_rng(void) {
    printf("RNG\n");
    mc_rng a, b, c, d;
    mc_rng_seed(&a, 42, 0);
    mc_rng_seed(&b, 42, 0);
    mc_rng_seed(&c, 42, 1);
    mc_rng_seed(&d, 43, 0);
    int same = 1, diff_stream = 0, diff_seed = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = mc_rng_next(&a), y = mc_rng_next(&b), z = mc_rng_next(&c), w = mc_rng_next(&d);
        same &= x == y;
        diff_stream += x != z;
        diff_seed += x != w;
    }
    MC_CHECK(same, "same seed and stream, same sequence");
    MC_CHECK(diff_stream == 100 && diff_seed == 100, "streams and seeds differ (%d, %d of 100)",
             diff_stream, diff_seed);
    /* seed == stream must not collapse, and (s, t) differs from (t, s) */
    mc_rng_seed(&a, 7, 7);
    mc_rng_seed(&b, 7, 8);
    mc_rng_seed(&c, 8, 7);
    MC_CHECK(mc_rng_next(&a) != 0 && mc_rng_next(&b) != mc_rng_next(&c), "seed/stream asymmetry");

    /* snapshot by copying, including the cached normal */
    mc_rng_seed(&a, 1, 2);
    (void)mc_rng_normal(&a);
    b = a;
    MC_CHECK(mc_rng_normal(&a) == mc_rng_normal(&b) && mc_rng_next(&a) == mc_rng_next(&b),
             "copied state continues identically");

    const int n = 1000000;
    double sum = 0, sum2 = 0, lo = 1, hi = 0;
    mc_rng_seed(&a, 2024, 3);
    for (int i = 0; i < n; i++) {
        double u = mc_rng_uniform(&a);
        sum += u;
        sum2 += u * u;
        if (u < lo) lo = u;
        if (u > hi) hi = u;
    }
    double mean = sum / n, var = sum2 / n - mean * mean;
    printf("  uniform mean %.5f var %.5f range [%.2g, %.8f]\n", mean, var, lo, hi);
    MC_CHECK(lo >= 0 && hi < 1, "uniform in [0, 1)");
    MC_CHECK(fabs(mean - 0.5) < 0.003, "uniform mean %g", mean); /* sd of mean 0.00029 */
    MC_CHECK(fabs(var - 1.0 / 12) < 0.002, "uniform variance %g", var);

    sum = sum2 = 0;
    double sum3 = 0;
    int beyond3 = 0;
    for (int i = 0; i < n; i++) {
        double z = mc_rng_normal(&a);
        sum += z;
        sum2 += z * z;
        sum3 += z * z * z;
        beyond3 += fabs(z) > 3;
    }
    mean = sum / n;
    var = sum2 / n - mean * mean;
    printf("  normal mean %.5f var %.5f skew %.5f P(|z|>3) %.5f\n", mean, var, sum3 / n,
           (double)beyond3 / n);
    MC_CHECK(fabs(mean) < 0.01, "normal mean %g", mean); /* sd of mean 0.001 */
    MC_CHECK(fabs(var - 1) < 0.01, "normal variance %g", var);
    MC_CHECK(fabs(sum3 / n) < 0.02, "normal skew %g", sum3 / n);
    MC_CHECK(fabs((double)beyond3 / n - 0.0027) < 0.0006, "normal tails %g", (double)beyond3 / n);

    uint64_t ns[] = {1, 2, 3, 7, 1000000007ull, (1ull << 63) + 1, UINT64_MAX};
    int in_range = 1;
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        for (int i = 0; i < 10000; i++) in_range &= mc_rng_below(&a, ns[k]) < ns[k];
    }
    MC_CHECK(in_range, "below(n) < n");
    int counts[3] = {0, 0, 0};
    for (int i = 0; i < 300000; i++) counts[mc_rng_below(&a, 3)]++;
    for (int i = 0; i < 3; i++) {
        MC_CHECK(abs(counts[i] - 100000) < 1500, "below(3) count[%d] = %d", i, counts[i]);
    }
    /* for n = 2^63 + 1 half of all draws are rejected; a biased x % n would put ~2/3 under n/2 */
    int low_half = 0;
    for (int i = 0; i < 20000; i++) low_half += mc_rng_below(&a, (1ull << 63) + 1) < (1ull << 62);
    MC_CHECK(abs(low_half - 10000) < 500, "below(2^63+1) unbiased: %d of 20000 low", low_half);

    int64_t idx[1000];
    for (int i = 0; i < 1000; i++) idx[i] = i;
    mc_rng_shuffle(&a, idx, 1000);
    int seen[1000] = {0}, moved = 0, perm = 1;
    for (int i = 0; i < 1000; i++) {
        if (idx[i] < 0 || idx[i] >= 1000 || seen[idx[i]]++) perm = 0;
        moved += idx[i] != i;
    }
    MC_CHECK(perm && moved > 900, "shuffle is a permutation that moves things (%d moved)", moved);
    mc_rng_shuffle(&a, idx, 0);
    mc_rng_shuffle(&a, idx, 1);
}

/* ------------------------------------------------------------------ threads, log */

static int log_calls = 0;
static char log_last[256];
static mc_log_level log_level_seen;
static pthread_mutex_t log_test_lock = PTHREAD_MUTEX_INITIALIZER;
/* The handler may run on several threads at once (the contract), so it guards its own state. */
static void capture_log(mc_log_level level, const char *msg, void *user) {
    pthread_mutex_lock(&log_test_lock);
    log_calls += *(int *)user;
    log_level_seen = level;
    snprintf(log_last, sizeof log_last, "%s", msg);
    pthread_mutex_unlock(&log_test_lock);
}

static void test_threads_log(void) {
    printf("threads and logging\n");
    int avail = mc_threads_available();
    printf("  %d cores available\n", avail);
    MC_CHECK(avail >= 1, "available %d", avail);
    MC_CHECK(mc_threads_resolve(0) == avail && mc_threads_resolve(-3) == avail, "n <= 0 -> all");
    MC_CHECK(mc_threads_resolve(3) == 3 && omp_get_max_threads() == 3, "resolve sets OpenMP");
    mc_threads_resolve(0);

    mc_log(MC_LOG_LEVEL_INFO, "nobody listens %d", 1); /* silent without a handler */
    int one = 1;
    mc_log_set_handler(capture_log, &one);
    mc_log(MC_LOG_LEVEL_WARN, "file %s has %d rows", "x.tsv", 12);
    MC_CHECK(log_calls == 1 && log_level_seen == MC_LOG_LEVEL_WARN &&
                 strcmp(log_last, "file x.tsv has 12 rows") == 0, "log message: %s", log_last);
#pragma omp parallel for num_threads(4)
    for (int i = 0; i < 100; i++) mc_log(MC_LOG_LEVEL_DEBUG, "worker %d", i);
    MC_CHECK(log_calls == 101, "logged from threads: %d", log_calls);
    mc_log_set_handler(NULL, NULL);
    mc_log(MC_LOG_LEVEL_ERROR, "gone");
    MC_CHECK(log_calls == 101, "handler removed");
}

/* ------------------------------------------------------------------ progress */

static int count_char(const char *s, char c) {
    int n = 0;
    for (; *s; s++) n += *s == c;
    return n;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_progress(void) {
    printf("progress\n");
    mc_progress *p = NULL;
    /* plain mode: one line per 10% step, then the final line */
    const char *path = tpath("progress_plain.txt");
    FILE *f = fopen(path, "w");
    MC_CHECK_OK(mc_progress_create(f, false, "extract", 200, &p));
    for (int i = 0; i < 200; i++) {
        mc_progress_tick(p, 1);
        if (i == 100) mc_progress_note(p, "loss 12.3");
    }
    mc_progress_finish(p);
    mc_progress_tick(p, 5); /* ignored after finish */
    mc_progress_finish(p);
    mc_progress_free(p);
    fclose(f);
    char *txt = mc_test_read_file(path, NULL);
    printf("%s", txt);
    MC_CHECK(count_char(txt, '\n') == 10 && count_char(txt, '\r') == 0, "plain: 9 steps + final");
    MC_CHECK(strstr(txt, "extract [") && strstr(txt, "20/200") && strstr(txt, "loss 12.3"),
             "plain content");
    const char *last = strstr(txt, "200/200 100%");
    MC_CHECK(last && strstr(last, " in 0:0"), "final line has 100%% and elapsed time");
    free(txt);

    /* terminal mode: redraws with '\r', throttled, final newline */
    path = tpath("progress_tty.txt");
    f = fopen(path, "w");
    MC_CHECK_OK(mc_progress_create(f, true, "train", 1000, &p));
    for (int i = 0; i < 500; i++) mc_progress_tick(p, 1); /* well under 100 ms: no redraw yet */
    long pos_fast = ftell(f);
    sleep_ms(120);
    mc_progress_note(p, "epoch 3");
    mc_progress_tick(p, 1);
    long pos_after = ftell(f);
    mc_progress_finish(p);
    mc_progress_free(p);
    fclose(f);
    txt = mc_test_read_file(path, NULL);
    MC_CHECK(pos_fast == 0, "no redraw within 100 ms (%ld bytes)", pos_fast);
    MC_CHECK(pos_after > 0, "redraw after 100 ms");
    MC_CHECK(txt[0] == '\r' && count_char(txt, '\r') == 2 && count_char(txt, '\n') == 1 &&
                 txt[strlen(txt) - 1] == '\n', "tty: two redraws and one newline");
    MC_CHECK(strstr(txt, "501/1000") && strstr(txt, "ETA") && strstr(txt, "epoch 3") &&
                 strstr(txt, "1000/1000 100%"), "tty content: %s", txt);
    free(txt);

    /* ticking from many threads; unknown total */
    path = tpath("progress_threads.txt");
    f = fopen(path, "w");
    MC_CHECK_OK(mc_progress_create(f, false, "frames", 0, &p));
#pragma omp parallel for num_threads(4)
    for (int i = 0; i < 20000; i++) mc_progress_tick(p, 1);
    mc_progress_finish(p);
    mc_progress_free(p);
    fclose(f);
    txt = mc_test_read_file(path, NULL);
    MC_CHECK(strstr(txt, "frames 20000") != NULL, "threaded count: %s", txt);
    free(txt);

    /* NULL stream / NULL bar: everything is a no-op */
    p = (mc_progress *)&p;
    MC_CHECK_OK(mc_progress_create(NULL, true, "x", 10, &p));
    MC_CHECK(p == NULL, "NULL stream gives a NULL bar");
    mc_progress_tick(NULL, 1);
    mc_progress_note(NULL, "x");
    mc_progress_finish(NULL);
    mc_progress_free(NULL);
}

/* ------------------------------------------------------------------ files */

static void test_files(void) {
    printf("files\n");
    char deep[2048];
    snprintf(deep, sizeof deep, "%s/a/b//c/", tmpdir);
    MC_CHECK_OK(mc_mkdirs(deep));
    MC_CHECK_OK(mc_mkdirs(deep)); /* exists: fine */
    struct stat st;
    MC_CHECK(stat(tpath("a/b/c"), &st) == 0 && S_ISDIR(st.st_mode), "mkdirs created a/b/c");
    const char *fp = tpath("a/b/c/hello.txt");
    MC_CHECK_OK(mc_file_write_atomic(fp, "hello\n", 6));
    size_t n;
    char *txt = mc_test_read_file(fp, &n);
    MC_CHECK(txt && n == 6 && strcmp(txt, "hello\n") == 0, "atomic write content");
    free(txt);
    MC_CHECK_OK(mc_file_write_atomic(fp, "bye", 3)); /* replaces */
    txt = mc_test_read_file(fp, &n);
    MC_CHECK(txt && n == 3 && memcmp(txt, "bye", 3) == 0, "atomic replace");
    free(txt);
    char tmp[2100];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", fp, (long)getpid());
    MC_CHECK(!file_exists(tmp), "no temp left behind");
    char under_file[2100];
    snprintf(under_file, sizeof under_file, "%s/sub", fp);
    MC_CHECK(mc_mkdirs(under_file) == MC_STATUS_IO && msg_names("hello.txt"),
             "mkdirs through a file fails: %s", mc_error_message());
    MC_CHECK(mc_file_write_atomic(tpath("nodir/x.bin"), "x", 1) == MC_STATUS_IO &&
                 msg_names("nodir/x.bin"), "write into a missing dir: %s", mc_error_message());
    MC_CHECK(mc_mkdirs("") == MC_STATUS_INVALID_ARG, "empty path");
}

/* ------------------------------------------------------------------ shared metadata */

static int test_metadata(void) {
    printf("lyrics metadata table\n");
    const char *path = MC_SHARED_DIR "/data/lyrics-en-de/metadata.tsv";
    if (!file_exists(path)) return 0;
    mc_table t;
    MC_CHECK_OK(mc_table_read(path, 0, &t));
    printf("  %lld rows x %d columns\n", (long long)t.nrows, t.ncols);
    MC_CHECK(t.nrows == 292 && t.ncols == 28, "metadata shape %lld x %d", (long long)t.nrows, t.ncols);
    int lyr = mc_table_column(&t, "lyrics");
    MC_CHECK(mc_table_column(&t, "track_id") == 0 && mc_table_column(&t, "language") >= 0 &&
                 mc_table_column(&t, "tag") >= 0 && lyr >= 0, "metadata header columns");
    MC_CHECK(strcmp(t.header[t.ncols - 1], "language") == 0, "CR stripped from the last header");
    int multiline = 0, quotes = 0, bad_lang = 0;
    int lang = mc_table_column(&t, "language");
    for (int64_t r = 0; r < t.nrows && lyr >= 0 && lang >= 0; r++) {
        const char *s = mc_table_get(&t, r, lyr);
        multiline += count_char(s, '\n') >= 3;
        quotes += strchr(s, '"') != NULL;
        const char *l = mc_table_get(&t, r, lang);
        bad_lang += strlen(l) != 2;
    }
    printf("  %d lyrics span several lines, %d contain a quote\n", multiline, quotes);
    MC_CHECK(multiline > 200, "multi-line lyrics cells: %d", multiline);
    MC_CHECK(bad_lang == 0, "%d rows with a malformed language cell", bad_lang);
    if (t.nrows > 0 && lyr >= 0) {
        MC_CHECK(strncmp(mc_table_get(&t, 0, lyr), "My bag of tricks is far from empty\nDon't", 40) == 0,
                 "first lyrics cell");
    }
    mc_table_free(&t);
    return 1;
}

/* safetensors: round trip of every dtype with metadata, the exact bytes of a tiny file (so Python's
 * safetensors reads what we write), and rejection of damaged files. */
static void test_safetensors(void) {
    printf("safetensors\n");
    const char *dir = mc_test_tmpdir("core_st");
    char path[1024];
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    float w[6] = {1, -2, 3.5f, 0, 1e-30f, -7};         /* (2, 3) */
    double b[2] = {0.25, -1e300};                      /* (2) */
    int64_t step[1] = {123456789012345LL};             /* (1) */
    int32_t ids[4] = {1, 2, 3, -4};                    /* (2, 2) */
    uint16_t h[3] = {0x3C00, 0xC000, 0x7BFF};          /* (3) f16: 1, -2, 65504 */
    mc_tensor_entry e[5] = {
        {"enc.fc0.weight", MC_DTYPE_F32, 2, {2, 3}, w},
        {"enc.fc0.bias", MC_DTYPE_F64, 1, {2}, b},
        {"adam.step", MC_DTYPE_I64, 1, {1}, step},
        {"ids", MC_DTYPE_I32, 2, {2, 2}, ids},
        {"half", MC_DTYPE_F16, 1, {3}, h},
    };
    const char *keys[2] = {"arch", "note"};
    const char *vals[2] = {"{\"model\": \"vae\", \"latent\": 4}", "quote \" tab \t ünïcode"};
    MC_CHECK_OK(mc_safetensors_write(path, e, 5, keys, vals, 2));
    mc_safetensors *f = NULL;
    MC_CHECK_OK(mc_safetensors_read(path, &f));
    MC_CHECK(mc_safetensors_count(f) == 5, "5 tensors, got %d", mc_safetensors_count(f));
    const mc_tensor_entry *x = mc_safetensors_find(f, "enc.fc0.weight");
    MC_CHECK(x && x->dtype == MC_DTYPE_F32 && x->ndim == 2 && x->shape[0] == 2 && x->shape[1] == 3 &&
             memcmp(x->data, w, sizeof w) == 0, "f32 tensor round trip");
    x = mc_safetensors_find(f, "enc.fc0.bias");
    MC_CHECK(x && x->dtype == MC_DTYPE_F64 && memcmp(x->data, b, sizeof b) == 0, "f64 round trip");
    x = mc_safetensors_find(f, "adam.step");
    MC_CHECK(x && x->dtype == MC_DTYPE_I64 && memcmp(x->data, step, sizeof step) == 0, "i64 round trip");
    x = mc_safetensors_find(f, "ids");
    MC_CHECK(x && x->dtype == MC_DTYPE_I32 && memcmp(x->data, ids, sizeof ids) == 0, "i32 round trip");
    x = mc_safetensors_find(f, "half");
    MC_CHECK(x && x->dtype == MC_DTYPE_F16 && memcmp(x->data, h, sizeof h) == 0, "f16 round trip");
    MC_CHECK(mc_safetensors_find(f, "nope") == NULL, "absent name gives NULL");
    const char *m = mc_safetensors_meta(f, "note");
    MC_CHECK(m && strcmp(m, vals[1]) == 0, "metadata with escapes round trip: '%s'", m ? m : "(null)");
    m = mc_safetensors_meta(f, "arch");
    MC_CHECK(m && strcmp(m, vals[0]) == 0, "JSON-in-metadata round trip");
    /* every tensor 8-byte aligned inside the file (header padded) */
    bool aligned = true;
    for (int i = 0; i < mc_safetensors_count(f); i++)
        aligned &= ((uintptr_t)mc_safetensors_at(f, i)->data % 8) == 0;
    MC_CHECK(aligned, "tensor data 8-byte aligned");
    mc_safetensors_free(f);

    /* Exact layout of a one-tensor file: u64 header length, JSON, data (the format's definition). */
    snprintf(path, sizeof path, "%s/one.safetensors", dir);
    float one[2] = {1.0f, 2.0f};
    mc_tensor_entry e1 = {"x", MC_DTYPE_F32, 1, {2}, one};
    MC_CHECK_OK(mc_safetensors_write(path, &e1, 1, NULL, NULL, 0));
    FILE *fp = fopen(path, "rb");
    unsigned char raw[512] = {0};
    size_t n = fp ? fread(raw, 1, sizeof raw, fp) : 0;
    if (fp) fclose(fp);
    uint64_t hl = 0;
    for (int k = 0; k < 8; k++) hl |= (uint64_t)raw[k] << (8 * k);
    MC_CHECK(hl % 8 == 0 && 8 + hl + 8 == n, "header length %llu, file %zu bytes", (unsigned long long)hl, n);
    char hdr[512] = {0};
    if (hl < sizeof hdr) memcpy(hdr, raw + 8, (size_t)hl);
    MC_CHECK(strstr(hdr, "\"dtype\": \"F32\"") && strstr(hdr, "\"shape\": [") &&
             strstr(hdr, "\"data_offsets\": ["), "header keys: %s", hdr);
    MC_CHECK(n >= 8 && memcmp(raw + n - 8, one, 8) == 0, "data at the end, little-endian");

    /* Damaged files. */
    static const char *const bad[] = {
        "",                                                           /* too short */
        "\x10\x00\x00\x00\x00\x00\x00\x00{\"x\":",                     /* header longer than file */
        "\x08\x00\x00\x00\x00\x00\x00\x00{\"x\": 1}",                  /* not a tensor object (header cut) */
        "\x30\x00\x00\x00\x00\x00\x00\x00{\"x\":{\"dtype\":\"Q9\",\"shape\":[1],\"data_offsets\":[0,4]}}",
        "\x38\x00\x00\x00\x00\x00\x00\x00{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}    \x00\x00\x80\x3f",
    };
    static const size_t bad_len[] = {0, 14, 17, 56, 8 + 56 + 4};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(path, sizeof path, "%s/bad%zu.safetensors", dir, i);
        fp = fopen(path, "wb");
        if (bad_len[i]) fwrite(bad[i], 1, bad_len[i], fp);
        fclose(fp);
        mc_safetensors *g = NULL;
        mc_status st = mc_safetensors_read(path, &g);
        MC_CHECK(st == MC_STATUS_FORMAT && g == NULL && strstr(mc_error_message(), path),
                 "damaged file %zu rejected naming it: status %d, '%s'", i, (int)st, mc_error_message());
        mc_safetensors_free(g);
    }
    /* Duplicate names are refused on write. */
    mc_tensor_entry dup[2] = {e1, e1};
    MC_CHECK(mc_safetensors_write(path, dup, 2, NULL, NULL, 0) == MC_STATUS_INVALID_ARG, "duplicate names refused");
    mc_safetensors_free(NULL);
}

/* ------------------------------------------------------------------ hostile inputs (issue 15) */

/* Resident memory (VmRSS) and its peak since peak_reset (VmHWM) in MiB; -1 when /proc is missing. */
static double proc_status_mib(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    double kb = -1;
    size_t n = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0 && line[n] == ':') {
            kb = atof(line + n + 1);
            break;
        }
    fclose(f);
    return kb < 0 ? -1 : kb / 1024.0;
}

static void peak_reset(void) { /* Linux >= 4.0: "5" resets VmHWM to the current RSS */
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* A 71 KB TSV of 10,005 header columns over 6,000 two-field rows took 2.36 GB: every short row was
 * padded out to the header's width, one malloc'd "" per missing cell. */
static void test_hostile_table(void) {
    printf("hostile table: wide header over short rows\n");
    const int NC = 10005, NR = 6000;
    size_t cap = (size_t)NC * 8 + (size_t)NR * 16, n = 0;
    char *text = malloc(cap);
    n += (size_t)snprintf(text + n, cap - n, "segment");
    for (int c = 1; c < NC; c++) n += (size_t)snprintf(text + n, cap - n, "\tc%d", c);
    text[n++] = '\n';
    for (int r = 0; r < NR; r++) n += (size_t)snprintf(text + n, cap - n, "%d\tv%d\n", r, r % 7);
    write_bytes(tpath("wide.tsv"), text, n);
    free(text);
    printf("  file: %zu bytes\n", n);
    double before = proc_status_mib("VmRSS");
    peak_reset();
    mc_table t;
    MC_CHECK_OK(mc_table_read(tpath("wide.tsv"), 0, &t));
    double held = proc_status_mib("VmRSS") - before, peak = proc_status_mib("VmHWM") - before;
    printf("  %lld rows x %d columns: RSS +%.1f MiB while held, peak +%.1f MiB (was 2.36 GB)\n",
           (long long)t.nrows, t.ncols, held, peak);
    MC_CHECK(before < 0 || peak < 32, "reading a %zu-byte table took %.1f MiB", n, peak);
    MC_CHECK(t.nrows == NR && t.ncols == NC, "shape %lld x %d", (long long)t.nrows, t.ncols);
    MC_CHECK(t.row_start && t.row_start[t.nrows] == 2 * (int64_t)NR, "only the %d fields present are stored, "
             "not %lld", 2 * NR, t.row_start ? (long long)t.row_start[t.nrows] : -1LL);
    const char *a = mc_table_get(&t, 5999, 0), *b = mc_table_get(&t, 5999, 1), *z = mc_table_get(&t, 5999, NC - 1);
    MC_CHECK(a && strcmp(a, "5999") == 0 && b && strcmp(b, "v0") == 0, "stored fields read back");
    MC_CHECK(z && z[0] == '\0' && mc_table_get(&t, 17, 2)[0] == '\0', "fields past a short row read as \"\"");
    MC_CHECK(mc_table_get(&t, NR, 0) == NULL && mc_table_get(&t, 0, NC) == NULL, "out of range is NULL");
    MC_CHECK(mc_table_column(&t, "c10004") == NC - 1 && strcmp(t.header[NC - 1], "c10004") == 0, "header");
    mc_table_free(&t);
    /* the same through a store-shaped CSV with quotes: short rows keep their own (unquoted) fields */
    static const char short_csv[] = "a,b,c\n\"x,1\"\n,\"y\"\"\"\n";
    write_bytes(tpath("short.csv"), short_csv, sizeof short_csv - 1);
    MC_CHECK_OK(mc_table_read(tpath("short.csv"), 0, &t));
    MC_CHECK(t.nrows == 2 && strcmp(mc_table_get(&t, 0, 0), "x,1") == 0 && mc_table_get(&t, 0, 2)[0] == '\0' &&
             mc_table_get(&t, 1, 0)[0] == '\0' && strcmp(mc_table_get(&t, 1, 1), "y\"") == 0 &&
             mc_table_get(&t, 1, 2)[0] == '\0', "short quoted rows");
    mc_table_free(&t);
}

typedef struct fifo_feed {
    const char *path;
    const unsigned char *data;
    size_t n;
} fifo_feed;

static void *fifo_writer(void *arg) {
    const fifo_feed *fd = arg;
    FILE *f = fopen(fd->path, "wb"); /* blocks until the reader opens */
    if (!f) return NULL;
    fwrite(fd->data, 1, fd->n, f); /* a reader that gave up makes this fail (EPIPE): fine */
    fclose(f);
    return NULL;
}

/* Read path (a FIFO) with mc_npy_read while a thread writes `data` into it. */
static mc_status read_fifo(const char *path, const unsigned char *data, size_t n, mc_array *out) {
    fifo_feed fd = {path, data, n};
    pthread_t t;
    if (pthread_create(&t, NULL, fifo_writer, &fd) != 0) return MC_STATUS_IO;
    mc_status st = mc_npy_read(path, out);
    pthread_join(t, NULL);
    return st;
}

/* A .npy read from a pipe skipped the file-size guards: a 128-byte header claiming 2 GiB made
 * `cluster /dev/stdin` zero-fill 2.1 GB before saying "data truncated". */
static void test_hostile_npy_stream(void) {
    printf("hostile .npy through a pipe\n");
    signal(SIGPIPE, SIG_IGN);
    char fifo[2048]; /* a copy: tpath's buffers rotate */
    snprintf(fifo, sizeof fifo, "%s", tpath("stream.fifo"));
    remove(fifo);
    if (mkfifo(fifo, 0600) != 0) {
        MC_CHECK(0, "cannot make a FIFO at %s", fifo);
        return;
    }
    unsigned char buf[4096];
    memset(buf, 0x11, sizeof buf);
    build_npy(tpath("claim.npy"), 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (536870912,), }", 1, buf,
              100);
    size_t n = 0;
    char *claim = mc_test_read_file(tpath("claim.npy"), &n);
    MC_CHECK(n == 128 + 100, "the hostile file: 128-byte preamble + 100 bytes, got %zu", n);
    double before = proc_status_mib("VmRSS");
    peak_reset();
    mc_array a;
    mc_status st = read_fifo(fifo, (const unsigned char *)claim, n, &a);
    double peak = proc_status_mib("VmHWM") - before;
    printf("  2 GiB claimed, 100 bytes sent: status %d, peak RSS +%.1f MiB (was 2.1 GB), '%s'\n", (int)st, peak,
           mc_error_message());
    MC_CHECK(st == MC_STATUS_FORMAT && strstr(mc_error_message(), "truncated") && msg_names(fifo),
             "a short stream is 'data truncated' naming it: %d '%s'", (int)st, mc_error_message());
    MC_CHECK(before < 0 || peak < 16, "the short stream took %.1f MiB", peak);
    mc_array_free(&a);
    free(claim);

    /* a valid array larger than one chunk (3 MiB + 12 bytes) arrives intact, in float64 */
    const int64_t cnt = (3 << 20) / 8 + 1, shape[2] = {cnt, 1};
    double *v = malloc((size_t)cnt * sizeof *v);
    for (int64_t i = 0; i < cnt; i++) v[i] = (double)i * 0.5 - 7;
    MC_CHECK_OK(mc_npy_write(tpath("big.npy"), MC_DTYPE_F64, 2, shape, v));
    char *big = mc_test_read_file(tpath("big.npy"), &n);
    MC_CHECK_OK(read_fifo(fifo, (const unsigned char *)big, n, &a));
    MC_CHECK(a.dtype == MC_DTYPE_F64 && a.ndim == 2 && a.shape[0] == cnt && a.data &&
             memcmp(a.data, v, (size_t)cnt * sizeof *v) == 0, "a 3 MiB array read through a pipe is intact");
    mc_array_free(&a);
    /* the same stream one byte short */
    st = read_fifo(fifo, (const unsigned char *)big, n - 1, &a);
    MC_CHECK(st == MC_STATUS_FORMAT && strstr(mc_error_message(), "truncated"), "one byte short: %d '%s'", (int)st,
             mc_error_message());
    mc_array_free(&a);
    free(big);
    free(v);
    remove(fifo);
}

/* A safetensors file from its header text (padded to 8 bytes) and data bytes. */
static void build_st(const char *path, const char *header, const void *data, size_t ndata) {
    size_t hl = strlen(header), padded = (hl + 7) / 8 * 8;
    unsigned char *b = malloc(8 + padded + ndata);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    memcpy(b + 8, header, hl);
    memset(b + 8 + hl, ' ', padded - hl);
    if (ndata) memcpy(b + 8 + padded, data, ndata);
    write_bytes(path, b, 8 + padded + ndata);
    free(b);
}

/* A header of n empty tensors t0..t{n-1}; with dup, the last one is named t0 again. */
static char *empty_tensors_header(int n, int dup) {
    size_t cap = (size_t)n * 64 + 16, len = 0;
    char *h = malloc(cap);
    len += (size_t)snprintf(h + len, cap - len, "{");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(h + len, cap - len, "%s\"t%d\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}",
                                i ? "," : "", dup && i == n - 1 ? 0 : i);
    snprintf(h + len, cap - len, "}");
    return h;
}

static double time_read_st(const char *path, int *count, mc_status *st) {
    mc_safetensors *f = NULL;
    double t0 = now_s();
    *st = mc_safetensors_read(path, &f);
    double t = now_s() - t0;
    *count = mc_safetensors_count(f);
    mc_safetensors_free(f);
    return t;
}

static void test_hostile_safetensors(void) {
    printf("hostile safetensors\n");
    const char *p = tpath("h.safetensors");
    float z[3] = {1, 2, 3};
    mc_safetensors *f = NULL;
    /* a zero-length tensor at [0, 0] beside one starting at 0, in either order: allowed by the format
     * (it occupies no bytes), was refused as "tensors overlap" */
    static const char *const zero_len[3] = {
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}",
        "{\"e\":{\"dtype\":\"F32\",\"shape\":[0, 4],\"data_offsets\":[0,0]},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"e\":{\"dtype\":\"I64\",\"shape\":[0],\"data_offsets\":[4,4]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
    };
    for (int i = 0; i < 3; i++) {
        build_st(p, zero_len[i], z, 12);
        mc_status st = mc_safetensors_read(p, &f);
        const mc_tensor_entry *e = mc_safetensors_find(f, "e"), *a = mc_safetensors_find(f, "a");
        MC_CHECK(st == MC_STATUS_OK && e && e->ndim >= 1 && e->shape[0] == 0 && a && memcmp(a->data, z, 8) == 0,
                 "zero-length tensor case %d accepted: %d '%s'", i, (int)st, st ? mc_error_message() : "");
        mc_safetensors_free(f);
        f = NULL;
    }
    /* real overlaps are still refused, also behind a long earlier tensor */
    static const char *const overlap[2] = {
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
        "\"c\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
    };
    for (int i = 0; i < 2; i++) {
        build_st(p, overlap[i], z, 12);
        mc_status st = mc_safetensors_read(p, &f);
        MC_CHECK(st == MC_STATUS_FORMAT && !f && strstr(mc_error_message(), "overlap") && msg_names(p),
                 "overlap case %d refused: %d '%s'", i, (int)st, mc_error_message());
        mc_safetensors_free(f);
        f = NULL;
    }
    /* 200,000 empty tensors (a 13.7 MB file) took 45 s through the pairwise name check (and the header
     * limit allows ~40 min): now O(n log n). Checked as a ratio to 25,000 of them read in the same run
     * (n log n: ~9x; the quadratic check: ~60x), not as a time. */
    const char *small = tpath("e25k.safetensors"), *large = tpath("e200k.safetensors");
    char *h = empty_tensors_header(25000, 0);
    build_st(small, h, NULL, 0);
    free(h);
    h = empty_tensors_header(200000, 0);
    build_st(large, h, NULL, 0);
    free(h);
    int n_small = 0, n_large = 0;
    mc_status st1, st2;
    double ts = 1e9, tl = 1e9;
    for (int rep = 0; rep < 3; rep++) { /* best of three, against a busy machine */
        double a = time_read_st(small, &n_small, &st1), b = time_read_st(large, &n_large, &st2);
        if (a < ts) ts = a;
        if (b < tl) tl = b;
    }
    printf("  25,000 empty tensors %.3f s, 200,000 %.3f s: ratio %.1f (n log n ~9, quadratic ~60)\n", ts, tl, tl / ts);
    MC_CHECK(st1 == MC_STATUS_OK && st2 == MC_STATUS_OK && n_small == 25000 && n_large == 200000,
             "all empty tensors read: %d, %d", n_small, n_large);
    MC_CHECK(tl / ts < 30, "reading 8x the tensors took %.1fx the time: the name check is not O(n log n)", tl / ts);
    /* a duplicate at the two ends of the long header is still found, naming the tensor */
    h = empty_tensors_header(200000, 1);
    build_st(large, h, NULL, 0);
    free(h);
    mc_status st = mc_safetensors_read(large, &f);
    MC_CHECK(st == MC_STATUS_FORMAT && !f && strstr(mc_error_message(), "'t0' appears twice") && msg_names(large),
             "duplicate name among 200,000: %d '%s'", (int)st, mc_error_message());
    mc_safetensors_free(f);
    remove(small);
    remove(large);
}

/* Issue 15 item 6: a failed allocation leaves one line naming the call site (function and buffer)
 * and the size. The requests are SIZE_MAX / 2 bytes: refused at once by malloc (and by ASan, made
 * to return NULL for this test by __asan_default_options above). */
static void test_alloc_messages(void) {
    char want[256];
    const size_t half = SIZE_MAX / 2;
    double *centres = mc_alloc(half / sizeof *centres, sizeof *centres);
    const char *msg = mc_error_message();
    snprintf(want, sizeof want, "%zu x %zu = %zu bytes", half / sizeof(double), sizeof(double),
             half / sizeof(double) * sizeof(double));
    MC_CHECK(centres == NULL, "mc_alloc of SIZE_MAX/2 bytes succeeded");
    MC_CHECK(strstr(msg, "out of memory allocating centres in test_alloc_messages() at tests/test_core.c:") == msg &&
                 strstr(msg, want),
             "message '%s' (want the buffer, the function and '%s')", msg, want);
    free(centres);

    float *rows = mc_calloc(half, 1);
    const int line = __LINE__ - 1;
    msg = mc_error_message();
    snprintf(want, sizeof want,
             "allocating half x 1 in test_alloc_messages() at tests/test_core.c:%d: %zu x 1 = %zu bytes", line, half,
             half);
    MC_CHECK(rows == NULL && strstr(msg, want) != NULL, "mc_calloc: message '%s' (want '%s')", msg, want);
    free(rows);

    int32_t *codes = mc_calloc(4, sizeof(*codes)); // (4)
    MC_CHECK(codes != NULL, "mc_calloc(4, 4) failed: %s", mc_error_message());
    int32_t *grown = codes ? mc_realloc(codes, half / sizeof codes[0], sizeof codes[0]) : NULL;
    msg = mc_error_message();
    snprintf(want, sizeof want, "codes in test_alloc_messages() at tests/test_core.c:%d: %zu x 4 = %zu bytes",
             __LINE__ - 3, half / 4, half / 4 * 4);
    MC_CHECK(grown == NULL && strstr(msg, want) != NULL, "mc_realloc: message '%s' (want '%s')", msg, want);
    if (codes) codes[3] = 7; // still ours after the failed realloc
    free(grown ? grown : codes);

    void *big = mc_alloc(SIZE_MAX / 4, 8);
    msg = mc_error_message();
    snprintf(want, sizeof want,
             "SIZE_MAX / 4 x 8 in test_alloc_messages() at tests/test_core.c:%d: %zu x 8 bytes overflows size_t",
             __LINE__ - 4, SIZE_MAX / 4);
    MC_CHECK(big == NULL && strstr(msg, want) != NULL, "overflow: message '%s' (want '%s')", msg, want);
    mc_free(big);

    /* the caller's own words, with the size of the failed request appended */
    float *x = mc_alloc(half, 1);
    mc_status st = x ? MC_STATUS_OK : mc_error_nomem("out of memory allocating the test rows");
    msg = mc_error_message();
    snprintf(want, sizeof want, "out of memory allocating the test rows (%zu bytes)", half);
    MC_CHECK(st == MC_STATUS_NO_MEMORY && strcmp(msg, want) == 0, "mc_error_nomem: '%s' (want '%s')", msg, want);
    mc_free(x);

    /* the exported functions under their plain names (bindings, function pointers) */
    void *(*plain)(size_t, size_t) = mc_calloc;
    void *p = plain(half, 1);
    msg = mc_error_message();
    snprintf(want, sizeof want, "out of memory allocating a buffer: %zu x 1 = %zu bytes", half, half);
    MC_CHECK(p == NULL && strcmp(msg, want) == 0, "plain mc_calloc: '%s' (want '%s')", msg, want);
    free(p);

    /* the argument spellings the buffer name is read from */
    struct { float *data; } t = {0};
    t.data = mc_alloc(half, sizeof(*t.data));
    MC_CHECK(!t.data && strstr(mc_error_message(), "allocating t.data in ") != NULL, "sizeof(*t.data): '%s'",
             mc_error_message());
    mc_free(t.data);
    float **cols = NULL;
    cols = mc_calloc(half / 8, sizeof cols[0]);
    MC_CHECK(!cols && strstr(mc_error_message(), "allocating cols in ") != NULL, "sizeof cols[0]: '%s'",
             mc_error_message());
    free(cols);
    struct { double *idf; } model = {0}, *mp = &model;
    mp->idf = mc_calloc(1, (half / 8) * sizeof *mp->idf);
    MC_CHECK(!mp->idf && strstr(mc_error_message(), "allocating mp->idf in ") != NULL,
             "sizeof inside an expression: '%s'", mc_error_message());
    free(mp->idf);
    char *text = mc_realloc(NULL, half, sizeof(char));
    snprintf(want, sizeof want, "allocating half x sizeof(char) in test_alloc_messages() at tests/test_core.c:%d: ",
             __LINE__ - 2);
    MC_CHECK(!text && strstr(mc_error_message(), want) != NULL, "sizeof(type): '%s' (want '%s')",
             mc_error_message(), want);
    free(text);
    MC_CHECK(strchr(mc_error_message(), '\n') == NULL, "the message is one line: '%s'", mc_error_message());

    /* successes are untouched: zeroed, usable, no message change */
    mc_error_clear();
    char *s = mc_sprintf("%s-%d", "ok", 15);
    char *d = mc_strdup(s);
    MC_CHECK(s && d && strcmp(d, "ok-15") == 0 && mc_error_message()[0] == '\0', "mc_sprintf/mc_strdup: '%s'",
             d ? d : "(null)");
    free(s);
    free(d);
}

/* mc_file_discard_writes: the ranks that compute what rank 0 writes (run over ranks) write nothing,
 * leave no temp file, remove nothing, and report success; switched off, the writers write again. */
static void count_entries(const char *dir, int *n) {
    DIR *d = opendir(dir);
    *n = 0;
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) (*n)++;
    closedir(d);
}

static void test_discard_writes(void) {
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/discard", tmpdir);
    MC_CHECK_OK(mc_mkdirs(dir));
    char p_raw[1300], p_npy[1300], p_stream[1300], p_mem[1300], p_keep[1300];
    snprintf(p_raw, sizeof p_raw, "%s/raw.bin", dir);
    snprintf(p_npy, sizeof p_npy, "%s/a.npy", dir);
    snprintf(p_stream, sizeof p_stream, "%s/s.npy", dir);
    snprintf(p_mem, sizeof p_mem, "%s/m.txt", dir);
    snprintf(p_keep, sizeof p_keep, "%s/keep.tmp.1", dir);
    MC_CHECK_OK(mc_file_write_atomic(p_keep, "k", 1)); /* a temp-named file that discarding must not remove */
    MC_CHECK(!mc_file_writes_discarded(), "discarding is on by default");
    MC_CHECK(mc_file_discard_writes(true) == false, "previous setting not returned");
    MC_CHECK(mc_file_writes_discarded(), "discarding did not switch on");
    const float v[6] = {1, 2, 3, 4, 5, 6};
    const int64_t shape[2] = {2, 3};
    MC_CHECK_OK(mc_file_write_atomic(p_raw, "abc", 3));
    MC_CHECK_OK(mc_npy_write(p_npy, MC_DTYPE_F32, 2, shape, v));
    mc_npy_writer *w = NULL;
    const int64_t row[1] = {3};
    MC_CHECK_OK(mc_npy_writer_open(p_stream, MC_DTYPE_F32, 1, row, &w));
    MC_CHECK_OK(mc_npy_writer_append(w, v, 2));
    MC_CHECK_OK(mc_npy_writer_close(w));
    mc_npy_writer *w2 = NULL;
    MC_CHECK_OK(mc_npy_writer_open(p_stream, MC_DTYPE_F32, 1, row, &w2));
    mc_npy_writer_abort(w2);
    mc_memfile m;
    MC_CHECK_OK(mc_memfile_open(&m, "a text"));
    fprintf(m.f, "hello\n");
    MC_CHECK_OK(mc_memfile_commit(&m, p_mem));
    FILE *f = NULL;
    char *tmp = NULL;
    MC_CHECK_OK(mc_file_open_tmp(p_keep, &f, &tmp));
    mc_file_abort(f, p_keep); /* the abort of a discarded write removes nothing, even given a real file */
    free(tmp);
    int n = 0;
    count_entries(dir, &n);
    MC_CHECK(n == 1, "discarded writes left %d entries in %s (want only keep.tmp.1)", n - 1, dir);
    MC_CHECK(file_exists(p_keep), "discarding removed %s", p_keep);
    MC_CHECK(mc_file_discard_writes(false) == true, "previous setting not returned");
    MC_CHECK_OK(mc_npy_write(p_npy, MC_DTYPE_F32, 2, shape, v));
    MC_CHECK_OK(mc_file_write_atomic(p_raw, "abc", 3));
    count_entries(dir, &n);
    MC_CHECK(n == 3 && file_exists(p_npy) && file_exists(p_raw), "writes after discarding: %d entries", n);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "%s", mc_test_tmpdir("core"));
    test_npy_roundtrip();
    test_npy_writer();
    test_f16();
    test_npy_handbuilt();
    test_npy_reject();
    test_npy_map();
    test_table();
    test_json();
    test_rng();
    test_threads_log();
    test_progress();
    test_files();
    test_discard_writes();
    test_safetensors();
    test_hostile_table();
    test_hostile_npy_stream();
    test_hostile_safetensors();
    test_alloc_messages();
    int have_shared = test_metadata();
    int rc = mc_test_summary("test_core");
    if (!have_shared) mc_test_skip("../shared/data/lyrics-en-de/metadata.tsv not found; the metadata check did not run");
    return rc;
}
