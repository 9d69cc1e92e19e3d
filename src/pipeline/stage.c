/* Stage bookkeeping of `musiclust run`: configuration hashes (FNV-1a, 64 bits), the per-stage records
 * RESULTS/stages/<stage>.tsv that make a run resumable, and small file helpers. */
#include "pipeline_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------- hashes */

/* FNV-1a 64 (Fowler, Noll, Vo): offset basis 14695981039346656037, prime 1099511628211. */
static void feed(pl_hash *h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h->h ^= p[i];
        h->h *= 1099511628211ULL;
    }
}

void pl_hash_init(pl_hash *h, const char *stage_kind) {
    h->h = 14695981039346656037ULL;
    pl_hash_str(h, "stage", stage_kind);
    pl_hash_str(h, "musiclust", mc_version());
}

void pl_hash_str(pl_hash *h, const char *key, const char *value) {
    feed(h, key, strlen(key));
    feed(h, "=", 1);
    if (value) feed(h, value, strlen(value));
    else feed(h, "\x01null", 5);
    feed(h, "\n", 1);
}

void pl_hash_int(pl_hash *h, const char *key, int64_t v) {
    char b[32];
    snprintf(b, sizeof b, "%lld", (long long)v);
    pl_hash_str(h, key, b);
}

void pl_hash_u64(pl_hash *h, const char *key, uint64_t v) {
    char b[32];
    snprintf(b, sizeof b, "%llu", (unsigned long long)v);
    pl_hash_str(h, key, b);
}

void pl_hash_dbl(pl_hash *h, const char *key, double v) {
    char b[40];
    snprintf(b, sizeof b, "%.17g", v);
    pl_hash_str(h, key, b);
}

void pl_hash_hex(const pl_hash *h, char out[17]) { snprintf(out, 17, "%016llx", (unsigned long long)h->h); }

/* The bytes of a file (re-creating identical files, as `musiclust demo` does, changes nothing). */
static mc_status hash_content(pl_hash *h, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return mc_error_set(MC_STATUS_IO, "%s: cannot read: %s", path, strerror(errno));
    unsigned char buf[65536];
    size_t got, total = 0;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        feed(h, buf, got);
        total += got;
    }
    bool err = ferror(f) != 0;
    fclose(f);
    if (err) return mc_error_set(MC_STATUS_IO, "%s: read error", path);
    pl_hash_int(h, "size", (int64_t)total);
    return MC_STATUS_OK;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Every file below dir (sorted by name at each level) with size and mtime. */
static mc_status hash_tree(pl_hash *h, const char *dir, int depth) {
    if (depth > 32) return MC_STATUS_OK;
    DIR *d = opendir(dir);
    if (!d) return mc_error_set(MC_STATUS_IO, "%s: cannot open folder: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    mc_status st = MC_STATUS_OK;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = mc_realloc(names, cap, sizeof *nn);
            if (!nn) {
                st = mc_error_set(MC_STATUS_NO_MEMORY, "out of memory listing %s", dir);
                break;
            }
            names = nn;
        }
        names[n] = mc_strdup(e->d_name);
        if (!names[n]) {
            st = MC_STATUS_NO_MEMORY;
            break;
        }
        n++;
    }
    closedir(d);
    if (st == MC_STATUS_OK) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; st == MC_STATUS_OK && i < n; i++) {
        char *p = mc_sprintf("%s/%s", dir, names[i]);
        struct stat sb;
        if (!p) st = MC_STATUS_NO_MEMORY;
        else if (stat(p, &sb) == 0) {
            if (S_ISDIR(sb.st_mode)) {
                pl_hash_str(h, "folder", names[i]);
                st = hash_tree(h, p, depth + 1);
                pl_hash_str(h, "end", names[i]);
            }
            else if (S_ISREG(sb.st_mode)) {
                pl_hash_str(h, "file", names[i]);
                st = hash_content(h, p);
            }
        }
        free(p);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return st;
}

mc_status pl_hash_paths(pl_hash *h, const char *key, const char *const *paths, int n) {
    for (int i = 0; i < n; i++) {
        struct stat sb;
        pl_hash_str(h, key, paths[i]);
        if (stat(paths[i], &sb) != 0) return mc_error_set(MC_STATUS_IO, "%s: no such file or folder", paths[i]);
        if (S_ISDIR(sb.st_mode)) {
            mc_status st = hash_tree(h, paths[i], 0);
            if (st != MC_STATUS_OK) return st;
        } else {
            mc_status st = hash_content(h, paths[i]);
            if (st != MC_STATUS_OK) return st;
        }
    }
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- records */

static char *record_path(const pl_stages *S, const char *name) { return mc_report_path_stage(S->results, name); }

bool pl_stage_value(const pl_stages *S, const char *name, const char *key, char *buf, size_t cap) {
    char *p = record_path(S, name);
    mc_table t;
    bool found = false;
    if (p && pl_file_exists(p) && mc_table_read(p, '\t', &t) == MC_STATUS_OK) {
        for (int64_t r = 0; r < t.nrows && !found; r++)
            if (t.ncols >= 2 && strcmp(mc_table_get(&t, r, 0), key) == 0) {
                snprintf(buf, cap, "%s", mc_table_get(&t, r, 1));
                found = true;
            }
        mc_table_free(&t);
    }
    mc_error_clear();
    free(p);
    return found;
}

bool pl_stage_fresh(pl_stages *S, const char *name, const char *hash, const char *const *outputs, int n_out,
                    double *seconds) {
    char h[64], sec[64];
    if (!pl_stage_value(S, name, "hash", h, sizeof h) || strcmp(h, hash) != 0) return false;
    for (int i = 0; i < n_out; i++) {
        char *p = mc_report_path(S->results, outputs[i]);
        bool ok = p && pl_file_exists(p);
        free(p);
        if (!ok) return false;
    }
    if (seconds) *seconds = pl_stage_value(S, name, "seconds", sec, sizeof sec) ? strtod(sec, NULL) : 0;
    return true;
}

mc_status pl_stage_commit(pl_stages *S, const char *name, const char *hash, double seconds,
                          const char *const *keys, const char *const *values, int n_extra) {
    mc_memfile m;
    mc_status st = mc_memfile_open(&m, name);
    if (st != MC_STATUS_OK) return st;
    FILE *f = m.f;
    fprintf(f, "key\tvalue\nstage\t%s\nhash\t%s\nseconds\t%.3f\n", name, hash, seconds);
    for (int i = 0; i < n_extra; i++) {
        mc_csv_write_field(f, keys[i], '\t');
        fputc('\t', f);
        mc_csv_write_field(f, values[i], '\t');
        fputc('\n', f);
    }
    char *p = record_path(S, name);
    st = mc_memfile_commit(&m, p);
    free(p);
    return st;
}

void pl_stage_time(pl_stages *S, const char *name, bool ran, double seconds, double when_computed) {
    if (S->n == S->cap) {
        int cap = S->cap ? 2 * S->cap : 32;
        mc_run_stage_time *t = mc_realloc(S->t, (size_t)cap, sizeof *t);
        if (!t) return; /* timings are bookkeeping: losing one is not worth failing the run */
        S->t = t;
        S->cap = cap;
    }
    mc_run_stage_time *x = &S->t[S->n++];
    memset(x, 0, sizeof *x);
    snprintf(x->name, sizeof x->name, "%s", name);
    x->ran = ran;
    x->seconds = seconds;
    x->seconds_when_computed = when_computed;
}

/* ---------------------------------------------------------------- misc */

bool pl_file_exists(const char *path) {
    struct stat sb;
    return path && stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}
