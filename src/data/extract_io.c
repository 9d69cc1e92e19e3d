/* Where `musiclust extract` (src/data/extract.c) and the table import (import.c) keep their output
 * until it is committed: the rows of a track in memory or spilled to an unlinked temp file
 * (mc_row_sink), and text files written under a temporary name and renamed into place. */
#include "data_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void mc_data_sink_free(mc_row_sink *k) {
    mc_free(k->mem);
    mc_free(k->stage);
    if (k->spill) fclose(k->spill);
    memset(k, 0, sizeof *k);
}

/* Start a track with rows of row_floats floats. */
void mc_data_sink_reset(mc_row_sink *k, size_t row_floats, size_t budget) {
    if (k->row_floats != row_floats) { /* a new row size: the buffers no longer fit */
        mc_free(k->mem);
        mc_free(k->stage);
        k->mem = k->stage = NULL;
        k->mem_cap = 0;
    }
    k->row_floats = row_floats;
    k->max_rows = budget / (row_floats * sizeof(float));
    if (k->max_rows < 1) k->max_rows = 1;
    k->mem_rows = 0;
    k->spill_rows = 0;
    if (k->spill) {
        fclose(k->spill);
        k->spill = NULL;
    }
}

/* A place for the next row; mc_data_sink_push_done() after filling it. */
mc_status mc_data_sink_row(mc_row_sink *k, const char *dir, float **row) {
    if (k->mem_rows < k->max_rows) {
        if (k->mem_rows == k->mem_cap) {
            size_t c = k->mem_cap ? 2 * k->mem_cap : 16;
            if (c > k->max_rows) c = k->max_rows;
            float *p = mc_alloc(c * k->row_floats, sizeof *p); // (c, row_floats)
            if (!p)
                return mc_error_set(MC_STATUS_NO_MEMORY, "extract: out of memory for %zu feature rows (%zu MB)", c,
                                    (c * k->row_floats * sizeof *p) >> 20);
            if (k->mem_rows) memcpy(p, k->mem, k->mem_rows * k->row_floats * sizeof *p);
            mc_free(k->mem);
            k->mem = p;
            k->mem_cap = c;
        }
        *row = k->mem + k->mem_rows * k->row_floats;
        return MC_STATUS_OK;
    }
    if (!k->stage) {
        k->stage = mc_alloc(k->row_floats, sizeof *k->stage);
        if (!k->stage) return mc_error_set(MC_STATUS_NO_MEMORY, "extract: out of memory for a feature row");
    }
    if (!k->spill) {
        char *tmpl = mc_sprintf("%s/.extract-spill-XXXXXX", dir);
        int fd = tmpl ? mkstemp(tmpl) : -1;
        if (fd >= 0) unlink(tmpl); /* gone when closed, also after a crash */
        k->spill = fd >= 0 ? fdopen(fd, "w+b") : NULL;
        mc_status st = k->spill ? MC_STATUS_OK
                                : mc_error_set(MC_STATUS_IO, "%s: cannot create a temporary file for a long track: %s",
                                               dir, strerror(errno));
        if (!k->spill && fd >= 0) close(fd);
        free(tmpl);
        if (st != MC_STATUS_OK) return st;
    }
    *row = k->stage;
    return MC_STATUS_OK;
}

mc_status mc_data_sink_push_done(mc_row_sink *k, const char *dir) {
    if (k->mem_rows < k->max_rows) {
        k->mem_rows++;
        return MC_STATUS_OK;
    }
    if (fwrite(k->stage, sizeof(float), k->row_floats, k->spill) != k->row_floats)
        return mc_error_set(MC_STATUS_IO, "%s: cannot write a temporary file for a long track: %s", dir,
                            strerror(errno));
    k->spill_rows++;
    return MC_STATUS_OK;
}

/* Hand every row to fn in order, in chunks: the memory rows, then the spilled ones read back through
 * the memory buffer (fn may change the rows it is given). The spilled rows are gone afterwards. */
mc_status mc_data_sink_foreach(mc_row_sink *k, const char *dir, mc_row_sink_fn fn, void *user) {
    mc_status st = k->mem_rows ? fn(user, k->mem, (int64_t)k->mem_rows) : MC_STATUS_OK;
    if (st != MC_STATUS_OK || k->spill_rows == 0) return st;
    if (fflush(k->spill) != 0 || fseek(k->spill, 0, SEEK_SET) != 0)
        return mc_error_set(MC_STATUS_IO, "%s: cannot read back a temporary file: %s", dir, strerror(errno));
    for (int64_t done = 0; done < k->spill_rows && st == MC_STATUS_OK;) {
        size_t chunk = k->mem_cap;
        if ((int64_t)chunk > k->spill_rows - done) chunk = (size_t)(k->spill_rows - done);
        if (fread(k->mem, k->row_floats * sizeof(float), chunk, k->spill) != chunk)
            return mc_error_set(MC_STATUS_IO, "%s: cannot read back a temporary file: %s", dir,
                                ferror(k->spill) ? strerror(errno) : "truncated");
        st = fn(user, k->mem, (int64_t)chunk);
        done += (int64_t)chunk;
    }
    fclose(k->spill);
    k->spill = NULL;
    k->spill_rows = 0;
    return st;
}

/* Rows to an npy writer; with col >= 0, rows[., col] = value first (the track's tempo, known only
 * once the track is decoded, in every segment row). */
typedef struct append_job {
    mc_npy_writer *w;
    int64_t col;
    float value;
    size_t row_floats;
} append_job;

static mc_status append_rows(void *user, float *rows, int64_t count) {
    append_job *a = user;
    if (a->col >= 0)
        for (int64_t r = 0; r < count; r++) rows[(size_t)r * a->row_floats + (size_t)a->col] = a->value;
    return mc_npy_writer_append(a->w, rows, count);
}

/* Append all rows to w (see sink_foreach); col/value as append_job. */
mc_status mc_data_sink_write(mc_row_sink *k, mc_npy_writer *w, const char *dir, int64_t col, float value) {
    append_job a = {w, col, value, k->row_floats};
    return mc_data_sink_foreach(k, dir, append_rows, &a);
}

static char *tmp_name(const char *path) {
    size_t n = strlen(path) + 32;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s.tmp.%ld", path, (long)getpid());
    return p;
}

mc_status mc_data_open_tmp(const char *dir, const char *name, FILE **f, char **tmp) {
    char *final = mc_sprintf("%s/%s", dir, name);
    *tmp = final ? tmp_name(final) : NULL;
    free(final);
    if (!*tmp) return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
    *f = fopen(*tmp, "w");
    if (!*f) return mc_error_set(MC_STATUS_IO, "%s: cannot create: %s", *tmp, strerror(errno));
    return MC_STATUS_OK;
}

mc_status mc_data_close_rename(const char *dir, const char *name, FILE **f, char **tmp, bool keep) {
    mc_status st = MC_STATUS_OK;
    if (*f) {
        if (ferror(*f) || fclose(*f) != 0)
            st = mc_error_set(MC_STATUS_IO, "%s: write failed (disk full?)", *tmp);
        *f = NULL;
    }
    if (*tmp) {
        if (keep && st == MC_STATUS_OK) {
            char *final = mc_sprintf("%s/%s", dir, name);
            if (!final || rename(*tmp, final) != 0)
                st = mc_error_set(MC_STATUS_IO, "%s/%s: cannot rename into place", dir, name);
            free(final);
        } else {
            remove(*tmp);
        }
        free(*tmp);
        *tmp = NULL;
    }
    return st;
}
