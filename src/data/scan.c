/* Finding audio files: explicit files are always tried; folders are walked recursively for names with
 * an audio extension. The list is sorted bytewise within each input so that every run (and every
 * thread count) sees the same order. Every path is made absolute (mc_data_abs_path) before the walk,
 * so that the store's paths stay valid when the store is moved (issue 14). */
#include "data_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

bool mc_data_is_audio_name(const char *name) {
    /* Containers libsndfile 1.2 decodes. */
    static const char *const exts[] = {"wav", "wave", "flac", "mp3", "ogg", "oga", "opus", "au",
                                       "snd", "aif", "aiff", "aifc", "caf", "w64", "rf64"};
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name) return false;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (strcasecmp(dot + 1, exts[i]) == 0) return true;
    return false;
}

static mc_status list_push(mc_path_list *l, const char *path) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **p = realloc(l->items, cap * sizeof *p);
        if (!p) return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory listing files");
        l->items = p;
        l->cap = cap;
    }
    char *d = mc_strdup(path);
    if (!d) return MC_STATUS_NO_MEMORY;
    l->items[l->n++] = d;
    return MC_STATUS_OK;
}

void mc_path_list_free(mc_path_list *l) {
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Walk dir; audio names go to out, other regular files are counted in *ignored, unreadable folders
 * go to bad (path + reason). */
static mc_status walk(const char *dir, mc_path_list *out, mc_path_list *bad, int64_t *ignored,
                      int depth) {
    if (depth > 64) { /* a symlink loop: reported, not followed */
        char msg[4200];
        snprintf(msg, sizeof msg, "%s\tfolders nested over 64 deep (a symlink loop?)", dir);
        return list_push(bad, msg);
    }
    DIR *d = opendir(dir);
    if (!d) {
        char msg[4200];
        snprintf(msg, sizeof msg, "%s\tcannot open folder: %s", dir, strerror(errno));
        return list_push(bad, msg);
    }
    mc_path_list sub = {0};
    mc_status st = MC_STATUS_OK;
    struct dirent *e;
    while (st == MC_STATUS_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue; /* ".", "..", hidden files such as ._AppleDouble */
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(len);
        if (!p) { st = mc_error_set(MC_STATUS_NO_MEMORY, "out of memory listing %s", dir); break; }
        snprintf(p, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name);
        struct stat sb;
        if (stat(p, &sb) != 0) {
            /* A dangling link or a race: a file we cannot even stat is reported. */
            char msg[4200];
            snprintf(msg, sizeof msg, "%s\tcannot read: %s", p, strerror(errno));
            st = list_push(bad, msg);
        } else if (S_ISDIR(sb.st_mode)) {
            st = list_push(&sub, p);
        } else if (mc_data_is_audio_name(e->d_name)) {
            st = list_push(out, p);
        } else {
            (*ignored)++;
        }
        free(p);
    }
    closedir(d);
    /* Sub-folders in sorted order too. */
    if (sub.n > 1) qsort(sub.items, sub.n, sizeof *sub.items, cmp_str);
    for (size_t i = 0; st == MC_STATUS_OK && i < sub.n; i++)
        st = walk(sub.items[i], out, bad, ignored, depth + 1);
    mc_path_list_free(&sub);
    return st;
}

char *mc_data_abs_path(const char *path) {
    if (!path) return NULL;
    char *cwd = NULL;
    if (path[0] != '/') {
        size_t cap = 256;
        for (;;) {
            char *b = realloc(cwd, cap);
            if (!b) { free(cwd); return NULL; }
            cwd = b;
            if (getcwd(cwd, cap)) break;
            if (errno != ERANGE || cap > (1u << 20)) { free(cwd); return NULL; }
            cap *= 2;
        }
    }
    size_t n = (cwd ? strlen(cwd) + 1 : 0) + strlen(path) + 2;
    char *joined = malloc(n), *out = malloc(n);
    if (!joined || !out) {
        free(cwd); free(joined); free(out);
        return NULL;
    }
    snprintf(joined, n, "%s%s%s", cwd ? cwd : "", cwd ? "/" : "", path);
    free(cwd);
    /* Lexical normalisation, component by component: "" and "." dropped, ".." removes the previous
     * component (never above the root). out is "/" followed by the kept components. */
    size_t o = 0;
    const char *s = joined;
    while (*s) {
        while (*s == '/') s++;
        const char *e = s;
        while (*e && *e != '/') e++;
        size_t len = (size_t)(e - s);
        if (len == 0 || (len == 1 && s[0] == '.')) {
            /* nothing */
        } else if (len == 2 && s[0] == '.' && s[1] == '.') {
            while (o > 0 && out[o - 1] != '/') o--;
            if (o > 0) o--; /* the '/' before it */
        } else {
            out[o++] = '/';
            memcpy(out + o, s, len);
            o += len;
        }
        s = e;
    }
    if (o == 0) out[o++] = '/';
    out[o] = '\0';
    free(joined);
    return out;
}

mc_status mc_data_scan(const char *const *inputs, int n_inputs, mc_path_list *files,
                       mc_path_list *bad, int64_t *ignored) {
    memset(files, 0, sizeof *files);
    memset(bad, 0, sizeof *bad);
    *ignored = 0;
    for (int i = 0; i < n_inputs; i++) {
        struct stat sb;
        mc_status st;
        char *abs = mc_data_abs_path(inputs[i]);
        if (!abs) {
            mc_path_list_free(files);
            mc_path_list_free(bad);
            return mc_error_set(MC_STATUS_IO, "%s: cannot make the path absolute (current folder unreadable?)",
                                inputs[i]);
        }
        if (stat(abs, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            size_t first = files->n;
            st = walk(abs, files, bad, ignored, 0);
            /* Sort all files under this input as full paths: folder order then name order. */
            if (st == MC_STATUS_OK && files->n - first > 1)
                qsort(files->items + first, files->n - first, sizeof *files->items, cmp_str);
        } else {
            /* Explicit files are always tried, whatever their name; a missing one fails at decode
             * with the reason from the audio module. */
            st = list_push(files, abs);
        }
        free(abs);
        if (st != MC_STATUS_OK) {
            mc_path_list_free(files);
            mc_path_list_free(bad);
            return st;
        }
    }
    return MC_STATUS_OK;
}

void mc_data_file_stem(const char *path, char *out, size_t cap) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    if (n >= cap) n = cap - 1;
    memcpy(out, base, n);
    out[n] = '\0';
}

void mc_data_parent_name(const char *path, char *out, size_t cap) {
    /* Basename of the folder holding the file ("blues" for gtzan/blues/blues.00000.flac). */
    const char *end = strrchr(path, '/');
    if (!end) { /* relative file in the current folder: its name is not in the path */
        snprintf(out, cap, "%s", "");
        return;
    }
    const char *start = end;
    while (start > path && start[-1] != '/') start--;
    size_t n = (size_t)(end - start);
    if (n >= cap) n = cap - 1;
    memcpy(out, start, n);
    out[n] = '\0';
}
