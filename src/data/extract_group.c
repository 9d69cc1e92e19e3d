/* extract over R processes (issue 11): the audio files, as one process lists them, are shared out
 * in contiguous blocks (mc_dist_share), each rank extracts its block into a shard folder
 * (FEATDIR/.shard-R, by mc_data_extract itself), and rank 0 joins the shards in rank order into the
 * store one process would have written, byte for byte:
 *   - index.tsv / tracks.tsv: the shards' rows in order, segment and track numbers shifted by the rows
 *     and tracks of the shards before (the rest of each line is copied as written);
 *   - mfcc_stats.npy, logmel.npy, descriptors.npy, track_descriptors.npy: the shards' rows appended
 *     in order through the same streaming writer (its header depends on dtype, row shape and count
 *     only), the shards read memory-mapped;
 *   - skipped.tsv: the scan's unreadable entries first (as one process writes them), then each
 *     shard's rows; unmatched_metadata.tsv: the metadata rows no shard joined (every shard lists the
 *     rows it did not join, so the rows in all the lists);
 *   - extract.json: a shard's, with the counts of the whole run; descriptor_names.txt: a shard's.
 * Joining a file to its metadata row and featurising it depend on that file alone, which is what makes
 * the shards' rows the rows of one process. The shards are removed when the store is complete. */
#include "data_internal.h"

#include <musiclust/dist.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *shard_dir(const char *outdir, int r) { return mc_sprintf("%s/.shard-%d", outdir, r); }

static bool exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Remove a shard folder (its files only: extract writes no subfolders). */
static void remove_shard(const char *dir) {
    DIR *dp = opendir(dir);
    if (!dp) return;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char *p = mc_sprintf("%s/%s", dir, e->d_name);
        if (p) unlink(p);
        free(p);
    }
    closedir(dp);
    rmdir(dir);
}

/* Append the lines of `path` after its header to f; with shift_cols 1 or 2 the first (two) tab
 * fields are integers increased by add[0] (and add[1]). The header line is copied to f when
 * copy_header. *lines (NULL ok) receives the rows copied. */
static mc_status append_rows(FILE *f, const char *path, bool copy_header, int shift_cols, const int64_t add[2],
                             int64_t *lines) {
    FILE *in = fopen(path, "r");
    if (!in) return mc_error_set(MC_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int64_t k = 0;
    bool header = true;
    mc_status st = MC_STATUS_OK;
    while ((len = getline(&line, &cap, in)) >= 0) {
        if (header) {
            header = false;
            if (copy_header) fputs(line, f);
            continue;
        }
        const char *rest = line;
        for (int c = 0; c < shift_cols; c++) {
            char *end = NULL;
            long long v = strtoll(rest, &end, 10);
            if (end == rest || *end != '\t') {
                st = mc_error_set(MC_STATUS_FORMAT, "%s: row %lld: expected a number in column %d", path, (long long)k + 1,
                                  c + 1);
                break;
            }
            fprintf(f, "%lld\t", v + (long long)add[c]);
            rest = end + 1;
        }
        if (st) break;
        fputs(rest, f);
        k++;
    }
    if (!st && ferror(in)) st = mc_error_set(MC_STATUS_IO, "%s: read failed", path);
    free(line);
    fclose(in);
    if (lines) *lines = k;
    return st;
}

/* Write `path` (through a temporary name and a rename, as extract does). */
static mc_status open_out(const char *outdir, const char *name, FILE **f, char **tmp) {
    *tmp = mc_sprintf("%s/.%s.tmp", outdir, name);
    if (!*tmp) return MC_STATUS_NO_MEMORY;
    *f = fopen(*tmp, "w");
    if (!*f) return mc_error_set(MC_STATUS_IO, "%s: cannot create: %s", *tmp, strerror(errno));
    return MC_STATUS_OK;
}

static mc_status close_out(const char *outdir, const char *name, FILE *f, char *tmp, mc_status st) {
    if (f && (ferror(f) | fclose(f)) && !st) st = mc_error_set(MC_STATUS_IO, "%s/%s: write failed", outdir, name);
    char *dst = mc_sprintf("%s/%s", outdir, name);
    if (!st && (!dst || rename(tmp, dst) != 0))
        st = mc_error_set(MC_STATUS_IO, "%s/%s: cannot rename into place: %s", outdir, name, strerror(errno));
    if (st && tmp) unlink(tmp);
    free(dst);
    free(tmp);
    return st;
}

/* name.npy of every shard with tracks, rows appended in order into outdir/name.npy. */
static mc_status join_npy(const char *outdir, char *const *shards, const bool *has, int R, const char *name) {
    int first = -1;
    for (int r = 0; r < R && first < 0; r++) {
        char *p = has[r] ? mc_sprintf("%s/%s", shards[r], name) : NULL;
        if (p && exists(p)) first = r;
        free(p);
    }
    if (first < 0) return MC_STATUS_OK; /* the store has no such array */
    mc_npy_writer *w = NULL;
    mc_status st = MC_STATUS_OK;
    for (int r = first; r < R && !st; r++) {
        if (!has[r]) continue;
        char *p = mc_sprintf("%s/%s", shards[r], name);
        mc_array a;
        memset(&a, 0, sizeof a);
        st = p ? mc_npy_map(p, &a) : MC_STATUS_NO_MEMORY;
        if (!st && !w) {
            char *dst = mc_sprintf("%s/%s", outdir, name);
            st = dst ? mc_npy_writer_open(dst, a.dtype, a.ndim - 1, a.shape + 1, &w) : MC_STATUS_NO_MEMORY;
            free(dst);
        }
        /* in blocks of rows, each block's mapped pages leaving the resident set once written (issue 11:
         * the joined store may be larger than memory) */
        const int64_t row_bytes = a.shape[0] > 0 ? (int64_t)(mc_array_count(&a) / a.shape[0] * (int64_t)mc_dtype_size(a.dtype)) : 0;
        const int64_t block = row_bytes > 0 && row_bytes < (32 << 20) ? (32 << 20) / row_bytes : 1;
        for (int64_t r0 = 0; !st && r0 < a.shape[0]; r0 += block) {
            const int64_t m = a.shape[0] - r0 < block ? a.shape[0] - r0 : block;
            const unsigned char *src = (const unsigned char *)a.data + r0 * row_bytes;
            st = mc_npy_writer_append(w, src, m);
            mc_array_release(&a, src, (size_t)(m * row_bytes));
        }
        mc_array_free(&a);
        free(p);
    }
    if (!st) st = mc_npy_writer_close(w);
    else mc_npy_writer_abort(w);
    return st;
}

/* Rewrite `"key": N,` lines of a shard's extract.json with the whole run's counts. */
static mc_status join_json(const char *outdir, const char *shard, const mc_extract_summary *sum) {
    static const char *const keys[6] = {"\"files\": ", "\"tracks\": ", "\"segments\": ", "\"padded_tracks\": ",
                                        "\"skipped\": ", "\"unmatched_metadata_rows\": "};
    const int64_t vals[6] = {sum->files, sum->tracks, sum->segments, sum->padded, sum->skipped, sum->unmatched_metadata};
    char *src = mc_sprintf("%s/extract.json", shard);
    FILE *in = src ? fopen(src, "r") : NULL;
    FILE *f = NULL;
    char *tmp = NULL;
    mc_status st = in ? open_out(outdir, "extract.json", &f, &tmp)
                      : mc_error_set(MC_STATUS_IO, "%s: cannot open: %s", src ? src : "extract.json", strerror(errno));
    int found = 0;
    char *line = NULL;
    size_t cap = 0;
    while (!st && getline(&line, &cap, in) >= 0) {
        const char *s = line;
        while (*s == ' ') s++;
        int k = -1;
        for (int i = 0; i < 6 && k < 0; i++)
            if (strncmp(s, keys[i], strlen(keys[i])) == 0) k = i;
        if (k < 0) {
            fputs(line, f);
            continue;
        }
        const char *after = s + strlen(keys[k]);
        while (*after == '-' || (*after >= '0' && *after <= '9')) after++;
        fprintf(f, "%.*s%s%" PRId64 "%s", (int)(s - line), line, keys[k], vals[k], after);
        found |= 1 << k;
    }
    if (!st && found != 63) st = mc_error_set(MC_STATUS_FORMAT, "%s: the counts were not found", src);
    free(line);
    if (in) fclose(in);
    free(src);
    return f || tmp ? close_out(outdir, "extract.json", f, tmp, st) : st;
}

/* unmatched_metadata.tsv: the header, then the rows listed by every shard that ran (in order). */
static mc_status join_unmatched(const char *outdir, char *const *shards, const bool *ran, int R) {
    int first = -1;
    for (int r = 0; r < R && first < 0; r++) {
        char *p = ran[r] ? mc_sprintf("%s/unmatched_metadata.tsv", shards[r]) : NULL;
        if (p && exists(p)) first = r;
        free(p);
    }
    if (first < 0) return MC_STATUS_OK;
    /* rows of the first list, counted in how many lists they appear */
    char **rows = NULL;
    int *count = NULL;
    int64_t n = 0, cap = 0;
    char *header = NULL;
    mc_status st = MC_STATUS_OK;
    int lists = 0;
    for (int r = first; r < R && !st; r++) {
        if (!ran[r]) continue;
        char *p = mc_sprintf("%s/unmatched_metadata.tsv", shards[r]);
        FILE *in = p ? fopen(p, "r") : NULL;
        if (!in) {
            st = mc_error_set(MC_STATUS_IO, "%s: cannot open: %s", p ? p : "unmatched_metadata.tsv", strerror(errno));
            free(p);
            break;
        }
        lists++;
        char *line = NULL;
        size_t lc = 0;
        int64_t at = 0; /* both lists are in row order: a merge walk */
        bool head = true;
        while (!st && getline(&line, &lc, in) >= 0) {
            if (head) {
                head = false;
                if (r == first && !(header = mc_strdup(line))) st = MC_STATUS_NO_MEMORY;
                continue;
            }
            if (r == first) {
                if (n == cap) {
                    cap = cap ? 2 * cap : 256;
                    char **nr = realloc(rows, (size_t)cap * sizeof *rows);
                    int *nc = realloc(count, (size_t)cap * sizeof *count);
                    if (nr) rows = nr;
                    if (nc) count = nc;
                    if (!nr || !nc) { st = MC_STATUS_NO_MEMORY; break; }
                }
                if (!(rows[n] = mc_strdup(line))) { st = MC_STATUS_NO_MEMORY; break; }
                count[n++] = 1;
                continue;
            }
            long long row = strtoll(line, NULL, 10);
            while (at < n && strtoll(rows[at], NULL, 10) < row) at++;
            if (at < n && strcmp(rows[at], line) == 0) count[at]++;
        }
        free(line);
        fclose(in);
        free(p);
    }
    FILE *f = NULL;
    char *tmp = NULL;
    if (!st) st = open_out(outdir, "unmatched_metadata.tsv", &f, &tmp);
    if (!st) {
        fputs(header, f);
        for (int64_t i = 0; i < n; i++)
            if (count[i] == lists) fputs(rows[i], f);
    }
    if (f || tmp) st = close_out(outdir, "unmatched_metadata.tsv", f, tmp, st);
    for (int64_t i = 0; i < n; i++) free(rows[i]);
    free(rows);
    free(count);
    free(header);
    return st;
}

static int64_t count_rows(const char *path) {
    FILE *in = fopen(path, "r");
    if (!in) return 0;
    int64_t k = -1; /* the header */
    int c, prev = '\n';
    while ((c = fgetc(in)) != EOF) {
        if (c == '\n') k++;
        prev = c;
    }
    if (prev != '\n') k++;
    fclose(in);
    return k > 0 ? k : 0;
}

/* Rank 0: the shards into the store. sum has the run's counts but skipped / unmatched, set here. */
static mc_status join_shards(const mc_extract_config *cfg, const char *outdir, char *const *shards, const bool *ran,
                             const bool *has, int R, const mc_path_list *bad, mc_extract_summary *sum) {
    mc_status st = MC_STATUS_OK;
    int first = -1;
    for (int r = 0; r < R && first < 0; r++)
        if (has[r]) first = r;
    /* skipped.tsv: the scan's entries, then every shard's rows */
    FILE *f = NULL;
    char *tmp = NULL;
    st = open_out(outdir, "skipped.tsv", &f, &tmp);
    if (!st) {
        fputs("path\treason\n", f);
        for (size_t i = 0; i < bad->n; i++) {
            char *item = mc_strdup(bad->items[i]);
            if (!item) { st = MC_STATUS_NO_MEMORY; break; }
            char *tab = strchr(item, '\t');
            if (tab) *tab = '\0';
            mc_csv_write_field(f, item, '\t');
            fputc('\t', f);
            mc_csv_write_field(f, tab ? tab + 1 : "cannot read", '\t');
            fputc('\n', f);
            free(item);
        }
        sum->skipped = (int64_t)bad->n;
        for (int r = 0; r < R && !st; r++) {
            if (!ran[r]) continue;
            char *p = mc_sprintf("%s/skipped.tsv", shards[r]);
            int64_t k = 0;
            st = p ? append_rows(f, p, false, 0, (const int64_t[2]){0, 0}, &k) : MC_STATUS_NO_MEMORY;
            sum->skipped += k;
            free(p);
        }
    }
    if (f || tmp) st = close_out(outdir, "skipped.tsv", f, tmp, st);
    if (!st && cfg->metadata && cfg->metadata[0]) {
        st = join_unmatched(outdir, shards, ran, R);
        if (!st) {
            char *p = mc_sprintf("%s/unmatched_metadata.tsv", outdir);
            sum->unmatched_metadata = p ? count_rows(p) : 0;
            free(p);
        }
    }
    if (st || first < 0) return st;
    /* index.tsv and tracks.tsv, renumbered */
    static const char *const tables[2] = {"index.tsv", "tracks.tsv"};
    for (int t = 0; t < 2 && !st; t++) {
        f = NULL;
        tmp = NULL;
        st = open_out(outdir, tables[t], &f, &tmp);
        int64_t seg = 0, trk = 0;
        for (int r = 0; r < R && !st; r++) {
            if (!has[r]) continue;
            char *p = mc_sprintf("%s/%s", shards[r], tables[t]);
            const int64_t add[2] = {t == 0 ? seg : trk, trk};
            int64_t k = 0;
            st = p ? append_rows(f, p, r == first, t == 0 ? 2 : 1, add, &k) : MC_STATUS_NO_MEMORY;
            free(p);
            if (st) break;
            /* the shard's own counts: its segments (index rows) and tracks (tracks rows) */
            char *pi = mc_sprintf("%s/index.tsv", shards[r]), *pt = mc_sprintf("%s/tracks.tsv", shards[r]);
            seg += pi ? count_rows(pi) : 0;
            trk += pt ? count_rows(pt) : 0;
            free(pi);
            free(pt);
        }
        if (f || tmp) st = close_out(outdir, tables[t], f, tmp, st);
    }
    static const char *const arrays[4] = {"mfcc_stats.npy", "logmel.npy", "descriptors.npy", "track_descriptors.npy"};
    for (int k = 0; k < 4 && !st; k++) st = join_npy(outdir, shards, has, R, arrays[k]);
    if (!st) {
        char *src = mc_sprintf("%s/descriptor_names.txt", shards[first]);
        char *dst = mc_sprintf("%s/descriptor_names.txt", outdir);
        if (!src || !dst) st = MC_STATUS_NO_MEMORY;
        else if (exists(src) && rename(src, dst) != 0)
            st = mc_error_set(MC_STATUS_IO, "%s: cannot rename into place: %s", dst, strerror(errno));
        free(src);
        free(dst);
    }
    if (!st) st = join_json(outdir, shards[first], sum);
    return st;
}

mc_status mc_data_extract_group(mc_dist *dist, const mc_extract_config *cfg, const char *const *inputs, int n_inputs,
                                const char *outdir, mc_progress *progress, mc_extract_summary *summary) {
    const int R = mc_dist_size(dist), me = mc_dist_rank(dist);
    if (R <= 1) return mc_data_extract(cfg, inputs, n_inputs, outdir, progress, summary);
    mc_extract_summary sum = {0};
    if (summary) *summary = sum;
    if (!cfg || !inputs || n_inputs <= 0 || !outdir)
        return mc_error_set(MC_STATUS_INVALID_ARG, "extract: no input files or folders given");
    const double t0 = mc_clock_seconds();
    /* the files as one process lists them (the same on every rank) */
    mc_path_list files = {0}, bad = {0};
    int64_t ignored = 0;
    mc_status st = mc_data_scan(inputs, n_inputs, &files, &bad, &ignored);
    if (!st) st = mc_mkdirs(outdir);
    st = mc_dist_check(dist, st);
    if (st) {
        mc_path_list_free(&files);
        mc_path_list_free(&bad);
        return st;
    }
    if (files.n == 0) {
        /* nothing to share: rank 0 alone gives one process's answer (the store of the scan's skips, or
         * its error), the others wait for its verdict */
        mc_path_list_free(&files);
        mc_path_list_free(&bad);
        st = me == 0 ? mc_data_extract(cfg, inputs, n_inputs, outdir, progress, &sum) : MC_STATUS_OK;
        st = mc_dist_check(dist, st);
        if (summary) *summary = sum;
        return st;
    }
    int64_t f0, fc;
    mc_dist_share((int64_t)files.n, me, R, &f0, &fc);
    char **shards = calloc((size_t)R, sizeof *shards);
    bool *ran = calloc((size_t)R, sizeof *ran), *has = calloc((size_t)R, sizeof *has);
    int64_t *counts = calloc((size_t)R * 4, sizeof *counts); // (R, 4): ran, tracks, segments, padded
    if (!shards || !ran || !has || !counts) st = mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
    for (int r = 0; r < R && !st; r++)
        if (!(shards[r] = shard_dir(outdir, r))) st = MC_STATUS_NO_MEMORY;
    mc_extract_summary mine = {0};
    if (!st && fc > 0) {
        remove_shard(shards[me]); /* a shard left by an interrupted run */
        st = mc_data_extract(cfg, (const char *const *)(files.items + f0), (int)fc, shards[me], progress, &mine);
        /* a shard where every file was skipped is no failure of the run: its skipped.tsv says why */
        if (st == MC_STATUS_EMPTY) {
            char *p = mc_sprintf("%s/skipped.tsv", shards[me]);
            if (p && exists(p)) {
                mc_error_clear();
                st = MC_STATUS_OK;
            }
            free(p);
        }
        if (!st) {
            counts[me * 4] = 1;
            counts[me * 4 + 1] = mine.tracks;
            counts[me * 4 + 2] = mine.segments;
            counts[me * 4 + 3] = mine.padded;
        }
    }
    st = mc_dist_check(dist, st);
    if (!st) st = mc_dist_sum_i64(dist, counts, (int64_t)R * 4);
    if (!st) {
        sum.files = (int64_t)files.n;
        sum.ignored = ignored;
        for (int r = 0; r < R; r++) {
            ran[r] = counts[r * 4] != 0;
            has[r] = counts[r * 4 + 1] > 0;
            sum.tracks += counts[r * 4 + 1];
            sum.segments += counts[r * 4 + 2];
            sum.padded += counts[r * 4 + 3];
        }
        if (me == 0) st = join_shards(cfg, outdir, shards, ran, has, R, &bad, &sum);
        if (!st && me == 0 && sum.tracks == 0)
            st = mc_error_set(MC_STATUS_EMPTY, "no track could be extracted from %lld file(s); see %s/skipped.tsv",
                              (long long)sum.files, outdir);
        st = mc_dist_check(dist, st);
    }
    /* the counts that only rank 0 knows (skipped, unmatched) to every rank */
    if (!st) {
        int64_t v[2] = {sum.skipped, sum.unmatched_metadata};
        st = mc_dist_bcast(dist, v, sizeof v, 0);
        sum.skipped = v[0];
        sum.unmatched_metadata = v[1];
    }
    /* every rank removes its own shard once rank 0 has read them all (or the run failed) */
    mc_status bs = mc_dist_barrier(dist);
    if (!st) st = bs;
    if (shards && shards[me]) remove_shard(shards[me]);
    sum.seconds = mc_clock_seconds() - t0;
    if (summary) *summary = sum;
    for (int r = 0; shards && r < R; r++) free(shards[r]);
    free(shards);
    free(ran);
    free(has);
    free(counts);
    mc_path_list_free(&files);
    mc_path_list_free(&bad);
    return st;
}
