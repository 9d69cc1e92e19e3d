/* Atomic file writes (temp file + rename) and mkdir -p.
 *
 * Every output of the pipeline is written under a temporary name and renamed into place, so a crash
 * or a full disk never leaves a half-written file where a later stage (or a resumed run) would
 * take it for a finished one. rename(2) within one directory is atomic on POSIX file systems. */
#include "core_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <stdatomic.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

char *mc_file_tmp_path(const char *path) {
    if (!path) {
        mc_error_set(MC_STATUS_INVALID_ARG, "no output path given");
        return NULL;
    }
    size_t n = strlen(path) + 32; /* ".tmp." + up to 20 digits of pid + NUL */
    char *tmp = mc_calloc(1, n);
    if (!tmp) {
        mc_error_nomem("%s: out of memory building the temp file name", path);
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

/* The processes of a group other than rank 0 compute what rank 0 writes (pipeline run over ranks):
 * their writes go to /dev/null instead of the temp file, and nothing is renamed or removed. */
static atomic_bool g_discard = false;

bool mc_file_discard_writes(bool on) { return atomic_exchange(&g_discard, on); }

bool mc_file_writes_discarded(void) { return atomic_load(&g_discard); }

FILE *mc_file_fopen_tmp(const char *tmp) { return fopen(atomic_load(&g_discard) ? "/dev/null" : tmp, "wb"); }

void mc_file_remove_tmp(const char *tmp) {
    if (tmp && !atomic_load(&g_discard)) remove(tmp);
}

mc_status mc_file_open_tmp(const char *path, FILE **f, char **tmp) {
    *f = NULL;
    *tmp = mc_file_tmp_path(path);
    if (!*tmp) return MC_STATUS_NO_MEMORY;
    *f = mc_file_fopen_tmp(*tmp);
    if (!*f) {
        mc_status st = mc_error_set(MC_STATUS_IO, "%s: cannot create %s: %s", path, *tmp, strerror(errno));
        free(*tmp);
        *tmp = NULL;
        return st;
    }
    return MC_STATUS_OK;
}

void mc_file_abort(FILE *f, const char *tmp) {
    if (f) fclose(f);
    mc_file_remove_tmp(tmp);
}

mc_status mc_file_commit(FILE *f, const char *tmp, const char *path) {
    /* ferror: an earlier fwrite/fprintf failed (its errno is gone; the flush below usually repeats
     * it). fflush then fsync then fclose: each reports deferred write errors (ENOSPC shows up here,
     * not in fwrite; fsync also makes the bytes durable before the rename publishes them, so a power
     * loss leaves the old file or the new one, never an empty one under the final name). */
    if (atomic_load(&g_discard)) { /* written to /dev/null: nothing to publish */
        fclose(f);
        return MC_STATUS_OK;
    }
    int e = 0;
    const bool had_error = ferror(f) != 0;
    if (fflush(f) != 0) e = errno;
    if (!e && fsync(fileno(f)) != 0 && errno != EINVAL && errno != EROFS) e = errno; /* EINVAL: a pipe or
                                                                                      * a special file */
    if (fclose(f) != 0 && !e) e = errno;
    if (e || had_error) {
        remove(tmp);
        return mc_error_set(MC_STATUS_IO, "%s: write failed: %s", path,
                            e ? strerror(e) : "an earlier write to the temp file failed");
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        remove(tmp);
        return mc_error_set(MC_STATUS_IO, "%s: cannot rename %s into place: %s", path, tmp,
                            strerror(e));
    }
    return MC_STATUS_OK;
}

mc_status mc_file_write_atomic_parts(const char *path, const void *a, size_t alen, const void *b, size_t blen) {
    FILE *f = NULL;
    char *tmp = NULL;
    mc_status st = mc_file_open_tmp(path, &f, &tmp);
    if (st != MC_STATUS_OK) return st;
    st = mc_file_write_all(f, a, alen, path);
    if (st == MC_STATUS_OK && blen > 0) st = mc_file_write_all(f, b, blen, path);
    if (st != MC_STATUS_OK) mc_file_abort(f, tmp);
    else st = mc_file_commit(f, tmp, path);
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
    if (!m->f) return mc_error_nomem("%s: out of memory opening a text buffer", what);
    return MC_STATUS_OK;
}

mc_status mc_memfile_take(mc_memfile *m, const char *what, char **buf, size_t *len) {
    const bool ok = fclose(m->f) == 0 && m->buf;
    m->f = NULL;
    if (!ok) {
        free(m->buf);
        m->buf = NULL;
        return mc_error_nomem("%s: out of memory composing the text", what);
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

/* ---------------------------------------------------------------- output locks */

struct mc_lock {
    char *path;
    int fd;
};

static void host_name(char *buf, size_t cap) {
    if (gethostname(buf, cap) != 0) snprintf(buf, cap, "unknown-host");
    buf[cap - 1] = '\0';
    for (char *p = buf; *p; p++)
        if (*p == ' ' || *p == '\n' || *p == '\t') *p = '_';
}

/* "PID HOST" of a lock file (0 and "" when unreadable or empty). */
static void read_holder(int fd, long *pid, char *host, size_t cap) {
    char buf[512];
    *pid = 0;
    host[0] = '\0';
    ssize_t got = pread(fd, buf, sizeof buf - 1, 0);
    if (got <= 0) return;
    buf[got] = '\0';
    char h[256];
    if (sscanf(buf, "%ld %255s", pid, h) == 2) snprintf(host, cap, "%s", h);
    else *pid = 0;
}

mc_status mc_lock_acquire(const char *lock_path, const char *what, mc_lock **out) {
    *out = NULL;
    if (!lock_path || !what) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_lock_acquire: NULL argument");
    char me[256];
    host_name(me, sizeof me);
    /* A few rounds: a holder may release (unlink) between our open and our flock; then the file we
     * locked is no longer the lock file and we try again with the new one. */
    for (int round = 0; round < 8; round++) {
        int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return mc_error_set(MC_STATUS_IO, "%s: cannot create the lock file of the %s: %s", lock_path, what,
                                strerror(errno));
        long pid = 0;
        char host[256];
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            read_holder(fd, &pid, host, sizeof host);
            close(fd);
            if (e != EWOULDBLOCK)
                return mc_error_set(MC_STATUS_IO, "%s: cannot lock the %s: %s", lock_path, what, strerror(e));
            if (pid > 0)
                return mc_error_set(MC_STATUS_IO, "the %s is in use by another musiclust process (pid %ld on "
                                    "host %s; lock file %s): wait for it to finish or use another output",
                                    what, pid, host, lock_path);
            return mc_error_set(MC_STATUS_IO, "the %s is in use by another musiclust process (lock file %s)",
                                what, lock_path);
        }
        struct stat a, b;
        if (fstat(fd, &a) != 0 || stat(lock_path, &b) != 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
            close(fd); /* released and removed under us: lock the new file */
            continue;
        }
        read_holder(fd, &pid, host, sizeof host);
        if (pid > 0) {
            if (strcmp(host, me) != 0) {
                close(fd);
                return mc_error_set(MC_STATUS_IO, "the %s is locked by pid %ld on host %s (lock file %s); remove "
                                    "that file if no musiclust process on %s writes there", what, pid, host,
                                    lock_path, host);
            }
            /* Same host and the flock was free: the holder is gone (the kernel drops an flock when its
             * process dies, so a live holder would have made flock fail above). */
            mc_log(MC_LOG_LEVEL_WARN, "%s: took over the stale lock of the %s left by pid %ld on %s (%s)",
                   lock_path, what, pid, host, kill((pid_t)pid, 0) == 0 ? "that pid now belongs to another process"
                                                                       : "process gone");
        }
        char line[320];
        int n = snprintf(line, sizeof line, "%ld %s\n", (long)getpid(), me);
        if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)n, 0) != (ssize_t)n) {
            int e = errno;
            close(fd);
            return mc_error_set(MC_STATUS_IO, "%s: cannot write the lock file of the %s: %s", lock_path, what,
                                strerror(e));
        }
        mc_lock *l = mc_calloc(1, sizeof *l);
        char *p = l ? mc_strdup(lock_path) : NULL;
        if (!p) {
            free(l);
            close(fd);
            return MC_STATUS_NO_MEMORY;
        }
        l->path = p;
        l->fd = fd;
        *out = l;
        return MC_STATUS_OK;
    }
    return mc_error_set(MC_STATUS_IO, "%s: the lock file of the %s keeps changing under us", lock_path, what);
}

void mc_lock_release(mc_lock *l) {
    if (!l) return;
    /* unlink while still holding the flock: a process that opened the old file sees, after its own
     * flock, that the path no longer names that file and starts over. */
    unlink(l->path);
    close(l->fd);
    free(l->path);
    free(l);
}

/* ---------------------------------------------------------------- temp files of dead writers */

/* "<name>.tmp.<digits>": the name mc_file_tmp_path gives. */
static bool is_tmp_name(const char *name) {
    const char *t = strstr(name, ".tmp.");
    if (!t) return false;
    for (;;) { /* the last ".tmp." */
        const char *n = strstr(t + 1, ".tmp.");
        if (!n) break;
        t = n;
    }
    const char *d = t + 5;
    if (!*d) return false;
    for (; *d; d++)
        if (!isdigit((unsigned char)*d)) return false;
    return t != name;
}

int64_t mc_file_remove_stale_tmp(const char *dir, int depth) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int64_t removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char *p = mc_sprintf("%s/%s", dir, e->d_name);
        if (!p) break;
        struct stat sb;
        if (lstat(p, &sb) == 0) {
            if (S_ISDIR(sb.st_mode) && depth > 0) removed += mc_file_remove_stale_tmp(p, depth - 1);
            else if (S_ISREG(sb.st_mode) && is_tmp_name(e->d_name) && remove(p) == 0) removed++;
        }
        free(p);
    }
    closedir(d);
    return removed;
}
