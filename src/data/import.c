/* musiclust extract --features TABLE: a numeric feature table (e.g. GTZAN's features_30_sec.csv) into
 * the feature store, so a user who already has features clusters them without audio. */
#include "data_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A cell is numeric if strtod consumes all of it (surrounding spaces allowed) and the value is finite. */
static bool parse_number(const char *s, double *v) {
    char *end;
    while (*s == ' ') s++;
    if (!*s) return false;
    errno = 0;
    *v = strtod(s, &end);
    while (*end == ' ') end++;
    return *end == '\0' && errno != ERANGE && isfinite(*v);
}

mc_status mc_data_import_features(const char *table_path, const char *id_column,
                                  const char *label_column, const char *outdir,
                                  mc_extract_summary *summary) {
    mc_extract_summary sum = {0};
    if (summary) *summary = sum;
    mc_table t = {0};
    mc_status st = mc_data_table_read_utf8(table_path, &t); /* labels become valid UTF-8 */
    if (st != MC_STATUS_OK) return st;
    if (t.nrows == 0) {
        mc_table_free(&t);
        return mc_error_set(MC_STATUS_EMPTY, "%s: the table has a header but no rows", table_path);
    }
    int id_col = id_column ? mc_table_column(&t, id_column) : 0;
    int label_col = label_column ? mc_table_column(&t, label_column) : -1;
    if (id_col < 0 || (label_column && label_col < 0)) {
        const char *missing = id_col < 0 ? id_column : label_column;
        mc_table_free(&t);
        return mc_error_set(MC_STATUS_FORMAT, "%s: no column '%s'", table_path, missing);
    }
    /* (ncols) role of each column: 1 numeric feature, 2 text label, 0 neither (id, long text). */
    int *role = calloc((size_t)t.ncols, sizeof *role);
    double *row = malloc((size_t)(t.ncols ? t.ncols : 1) * sizeof *row);
    float *frow = malloc((size_t)(t.ncols ? t.ncols : 1) * sizeof *frow);
    if (!role || !row || !frow) {
        free(role); free(row); free(frow);
        mc_table_free(&t);
        return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
    }
    int nfeat = 0;
    for (int c = 0; c < t.ncols; c++) {
        if (c == id_col) continue;
        if (c == label_col) { role[c] = 2; continue; }
        /* A column is a feature when most of its cells are numbers; the rare bad cell then makes its
         * row skipped rather than turning the whole column into text. */
        int64_t good = 0, longtext = 0;
        for (int64_t r = 0; r < t.nrows; r++) {
            double v;
            const char *s = mc_table_get(&t, r, c);
            good += parse_number(s, &v);
            longtext += strlen(s) > 128 || strpbrk(s, "\t\r\n") != NULL;
        }
        if (good * 2 > t.nrows) { role[c] = 1; nfeat++; }
        else if (!longtext) role[c] = 2;
    }
    if (nfeat == 0) {
        free(role); free(row); free(frow);
        mc_table_free(&t);
        return mc_error_set(MC_STATUS_FORMAT, "%s: no numeric feature columns", table_path);
    }

    FILE *fi = NULL, *ft = NULL, *fs = NULL, *fn = NULL;
    char *ti = NULL, *tt = NULL, *ts = NULL, *tn = NULL;
    mc_npy_writer *w = NULL;
    st = mc_mkdirs(outdir);
    if (st == MC_STATUS_OK) st = mc_data_open_tmp(outdir, "index.tsv", &fi, &ti);
    if (st == MC_STATUS_OK) st = mc_data_open_tmp(outdir, "tracks.tsv", &ft, &tt);
    if (st == MC_STATUS_OK) st = mc_data_open_tmp(outdir, "skipped.tsv", &fs, &ts);
    if (st == MC_STATUS_OK) st = mc_data_open_tmp(outdir, "feature_names.txt", &fn, &tn);
    char *npy = NULL;
    if (st == MC_STATUS_OK) {
        size_t n = strlen(outdir) + 16;
        npy = malloc(n);
        if (!npy) st = mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
        else snprintf(npy, n, "%s/features.npy", outdir);
    }
    if (st == MC_STATUS_OK) {
        int64_t shape[1] = {nfeat};
        st = mc_npy_writer_open(npy, MC_DTYPE_F32, 1, shape, &w);
    }
    if (st == MC_STATUS_OK) {
        fputs("segment\ttrack\tpath\tstart_s\tpadded", fi);
        fputs("track\ttrack_id\tpath\tduration_s\tsample_rate\tchannels\tformat\tsegments", ft);
        for (int c = 0; c < t.ncols; c++) {
            if (role[c] == 1) fprintf(fn, "%s\n", t.header[c]);
            if (role[c] != 2) continue;
            fputc('\t', fi); mc_csv_write_field(fi, t.header[c], '\t');
            fputc('\t', ft); mc_csv_write_field(ft, t.header[c], '\t');
        }
        fputs("\n", fi);
        fputs("\n", ft);
        fputs("path\treason\n", fs);
    }
    int64_t kept = 0;
    for (int64_t r = 0; st == MC_STATUS_OK && r < t.nrows; r++) {
        const char *id = mc_table_get(&t, r, id_col);
        int bad = -1;
        int k = 0;
        for (int c = 0; c < t.ncols; c++) {
            if (role[c] != 1) continue;
            if (!parse_number(mc_table_get(&t, r, c), &row[k])) { bad = c; break; }
            frow[k] = (float)row[k];
            k++;
        }
        if (bad >= 0) {
            char reason[512];
            snprintf(reason, sizeof reason, "row %lld (%s): column '%s' value '%.40s' is not a finite number",
                     (long long)r + 1, id, t.header[bad], mc_table_get(&t, r, bad));
            mc_csv_write_field(fs, table_path, '\t');
            fputc('\t', fs);
            mc_csv_write_field(fs, reason, '\t');
            fputc('\n', fs);
            mc_log(MC_LOG_LEVEL_WARN, "skipped %s: %s", table_path, reason);
            sum.skipped++;
            continue;
        }
        st = mc_npy_writer_append(w, frow, 1);
        if (st != MC_STATUS_OK) break;
        fprintf(fi, "%lld\t%lld\t", (long long)kept, (long long)kept);
        mc_csv_write_field(fi, id, '\t');
        fputs("\t0\t0", fi);
        fprintf(ft, "%lld\t", (long long)kept);
        mc_csv_write_field(ft, id, '\t');
        fputc('\t', ft);
        mc_csv_write_field(ft, id, '\t');
        fputs("\t\t\t\t\t1", ft);
        for (int c = 0; c < t.ncols; c++) {
            if (role[c] != 2) continue;
            fputc('\t', fi); mc_csv_write_field(fi, mc_table_get(&t, r, c), '\t');
            fputc('\t', ft); mc_csv_write_field(ft, mc_table_get(&t, r, c), '\t');
        }
        fputc('\n', fi);
        fputc('\n', ft);
        kept++;
    }
    bool keep = st == MC_STATUS_OK && kept > 0;
    mc_status cs;
    cs = mc_data_close_rename(outdir, "skipped.tsv", &fs, &ts, st == MC_STATUS_OK);
    if (st == MC_STATUS_OK) st = cs;
    cs = mc_data_close_rename(outdir, "index.tsv", &fi, &ti, keep);
    if (st == MC_STATUS_OK && keep) st = cs;
    cs = mc_data_close_rename(outdir, "tracks.tsv", &ft, &tt, keep);
    if (st == MC_STATUS_OK && keep) st = cs;
    cs = mc_data_close_rename(outdir, "feature_names.txt", &fn, &tn, keep);
    if (st == MC_STATUS_OK && keep) st = cs;
    if (keep && st == MC_STATUS_OK) {
        st = mc_npy_writer_close(w);
        w = NULL;
    }
    mc_npy_writer_abort(w);
    if (st == MC_STATUS_OK && kept == 0)
        st = mc_error_set(MC_STATUS_EMPTY, "%s: every row had a missing or non-numeric value", table_path);
    sum.files = 1;
    sum.tracks = kept;
    sum.segments = kept;
    if (summary) *summary = sum;
    free(npy);
    free(role);
    free(row);
    free(frow);
    mc_table_free(&t);
    return st;
}
