/* libFuzzer harness: the CSV/TSV reader (src/core/table.c), as .tsv (tab) and as .csv (delimiter
 * picked from the header line). */
#include "fuzz_common.h"

static void read_table(const char *path) {
    mc_table t;
    if (mc_table_read(path, 0, &t) == MC_STATUS_OK) {
        for (int c = 0; c < t.ncols; c++) fz_touch(t.header[c], strlen(t.header[c]) + 1);
        if (t.ncols > 0) (void)mc_table_column(&t, t.header[t.ncols - 1]);
        /* every row: the first columns and the last one (a short row reads "" past its fields) */
        for (int64_t r = 0; r < t.nrows; r++) {
            for (int c = 0; c < t.ncols && c < 32; c++) {
                const char *v = mc_table_get(&t, r, c);
                if (!v) abort();
                fz_touch(v, strlen(v) + 1);
            }
            const char *last = mc_table_get(&t, r, t.ncols - 1);
            if (!last) abort();
            fz_touch(last, strlen(last) + 1);
        }
        if (mc_table_get(&t, t.nrows, 0) || mc_table_get(&t, 0, t.ncols)) abort(); /* out of range: NULL */
    }
    mc_table_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    read_table(fz_write("in.tsv", data, size));
    read_table(fz_write("in.csv", data, size));
    return 0;
}
