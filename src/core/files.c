/* Atomic file writes (temp file + rename) and mkdir -p.
 *
 * Every output of the pipeline is written under a temporary name and renamed into place, so a crash
 * or a full disk never leaves a half-written file where a later stage (or a resumed run) would
 * take it for a finished one. rename(2) within one directory is atomic on POSIX file systems. */
#include "core_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

char *mc_file_tmp_path(const char *path) {
    if (!path) {
        mc_error_set(MC_STATUS_INVALID_ARG, "no output path given");
        return NULL;
    }
    size_t n = strlen(path) + 32; /* ".tmp." + up to 20 digits of pid + NUL */
    char *tmp = malloc(n);
    if (!tmp) {
        mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory building the temp file name", path);
        return NULL;
    }
    snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
    return tmp;
}

mc_status mc_file_write_all(FILE *f, const void *data, size_t len, const char *path) {
    if (len == 0) return MC_STATUS_OK;
    errno = 0;
    if (fwrite(data, 1, len, f) != len) {
        return mc_error_set(MC_STATUS_IO, "%s: write failed: %s", path,
                            errno ? strerror(errno) : "short write");
    }
    return MC_STATUS_OK;
}

mc_status mc_file_commit(FILE *f, const char *tmp, const char *path) {
    /* fflush then fclose: both report deferred write errors (ENOSPC shows up here, not in fwrite). */
    int flush_failed = fflush(f) != 0;
    int flush_errno = errno;
    int close_failed = fclose(f) != 0;
    int close_errno = errno;
    if (flush_failed || close_failed) {
        remove(tmp);
        return mc_error_set(MC_STATUS_IO, "%s: write failed: %s", path,
                            strerror(flush_failed ? flush_errno : close_errno));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return mc_error_set(MC_STATUS_IO, "%s: cannot rename %s into place: %s", path, tmp,
                            strerror(e));
    }
    return MC_STATUS_OK;
}

mc_status mc_file_write_atomic_parts(const char *path, const void *a, size_t alen, const void *b, size_t blen) {
    char *tmp = mc_file_tmp_path(path);
    if (!tmp) return MC_STATUS_NO_MEMORY;
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        mc_status st = mc_error_set(MC_STATUS_IO, "%s: cannot create %s: %s", path, tmp, strerror(errno));
        free(tmp);
        return st;
    }
    mc_status st = mc_file_write_all(f, a, alen, path);
    if (st == MC_STATUS_OK && blen > 0) st = mc_file_write_all(f, b, blen, path);
    if (st != MC_STATUS_OK) {
        fclose(f);
        remove(tmp);
    } else {
        st = mc_file_commit(f, tmp, path);
    }
    free(tmp);
    return st;
}

mc_status mc_file_write_atomic(const char *path, const void *data, size_t len) {
    if (!path || (!data && len > 0)) {
        return mc_error_set(MC_STATUS_INVALID_ARG, "mc_file_write_atomic: NULL path or data");
    }
    return mc_file_write_atomic_parts(path, data, len, NULL, 0);
}

/* Create one directory; an existing directory is fine, an existing non-directory is not. */
static mc_status mkdir_one(const char *dir, const char *full) {
    if (mkdir(dir, 0777) == 0) return MC_STATUS_OK;
    int e = errno;
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return MC_STATUS_OK;
        return mc_error_set(MC_STATUS_IO, "%s: cannot create directory: %s exists and is not a "
                            "directory", full, dir);
    }
    return mc_error_set(MC_STATUS_IO, "%s: cannot create directory %s: %s", full, dir,
                        strerror(e));
}

mc_status mc_mkdirs(const char *path) {
    if (!path || !*path) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_mkdirs: empty path");
    char *buf = mc_strdup(path);
    if (!buf) return MC_STATUS_NO_MEMORY;
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '/') buf[--n] = '\0'; /* "a/b/" -> "a/b" */
    mc_status st = MC_STATUS_OK;
    /* Create each prefix ending before a '/', then the whole path (like mkdir -p). The leading '/'
     * of an absolute path is skipped: "/" itself always exists. */
    for (size_t i = 1; i < n && st == MC_STATUS_OK; i++) {
        if (buf[i] != '/' || buf[i - 1] == '/') continue;
        buf[i] = '\0';
        st = mkdir_one(buf, path);
        buf[i] = '/';
    }
    if (st == MC_STATUS_OK) st = mkdir_one(buf, path);
    free(buf);
    return st;
}

/* ---------------------------------------------------------------- text composed in memory */

mc_status mc_memfile_open(mc_memfile *m, const char *what) {
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    if (!m->f) return mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory opening a text buffer", what);
    return MC_STATUS_OK;
}

mc_status mc_memfile_take(mc_memfile *m, const char *what, char **buf, size_t *len) {
    const bool ok = fclose(m->f) == 0 && m->buf;
    m->f = NULL;
    if (!ok) {
        free(m->buf);
        m->buf = NULL;
        return mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory composing the text", what);
    }
    *buf = m->buf;
    *len = m->len;
    m->buf = NULL;
    return MC_STATUS_OK;
}

mc_status mc_memfile_commit(mc_memfile *m, const char *path) {
    char *buf = NULL;
    size_t len = 0;
    mc_status st = mc_memfile_take(m, path ? path : "a text file", &buf, &len);
    if (st == MC_STATUS_OK) st = path ? mc_file_write_atomic(path, buf, len) : MC_STATUS_NO_MEMORY;
    free(buf);
    return st;
}
