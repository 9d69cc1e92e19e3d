/* The metadata join of musiclust extract: a CSV/TSV table whose id column names the audio files.
 *
 * A row joins a file when its id, normalised, equals the file's path without the extension of its
 * name, compared on whole path components from the right (see mc_meta_find). Ids are normalised so
 * that what people put in such columns joins: "blues.00000.wav" (an audio extension: dropped, so it
 * joins blues.00000.flac too), "blues/blues.00000" (a folder/name path: joins only the file in a
 * folder of that name), "./x", "C:\\music\\x.mp3" (backslashes read as '/'), surrounding spaces.
 *
 * Every cell that is not valid UTF-8 is read as Windows-1252 (Latin-1 plus the printable 0x80..0x9F
 * of Windows' code page; the five bytes it leaves undefined map to the C1 controls, as Latin-1), so
 * that labels copied into index.tsv, tracks.tsv and any JSON made from them are valid UTF-8. */
#include "data_internal.h"

#include <musiclust/text.h>

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ UTF-8 */

static const uint16_t cp1252_80[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

bool mc_data_utf8_valid(const char *s) {
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = mc_text_utf8_decode(s + i, len - i, &cp);
        /* U+FFFD is also what a malformed sequence decodes to: valid only as its own 3 bytes */
        if (cp == MC_TEXT_REPLACEMENT && !(k == 3 && memcmp(s + i, "\xEF\xBF\xBD", 3) == 0)) return false;
        i += k;
    }
    return true;
}

char *mc_data_utf8_from_cp1252(const char *s) {
    size_t len = strlen(s);
    char *out = mc_calloc(1, 3 * len + 1); /* every byte becomes at most 3 bytes of UTF-8 */
    if (!out) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp = c < 0x80 ? c : c < 0xA0 ? cp1252_80[c - 0x80] : c;
        char e[4];
        int k = mc_text_utf8_encode(cp, e);
        memcpy(out + o, e, (size_t)k);
        o += (size_t)k;
    }
    out[o] = '\0';
    return out;
}

char *mc_data_utf8_dup(const char *s) {
    return mc_data_utf8_valid(s) ? mc_strdup(s) : mc_data_utf8_from_cp1252(s);
}

/* Replace every cell (and header name) of t that is not valid UTF-8 by its Windows-1252 reading.
 * The table's strings all live in its one text buffer (core.h), so when any needs converting the
 * whole table is rewritten into a new buffer: valid strings copied, the others converted.
 * *fixed receives the number of strings changed, (*ex_row, *ex_col) the first cell changed (row -1
 * when only header names were). */
static mc_status table_to_utf8(mc_table *t, int64_t *fixed, int64_t *ex_row, int *ex_col) {
    *fixed = 0;
    *ex_row = -1;
    *ex_col = -1;
    const size_t ncells = t->row_start ? (size_t)t->row_start[t->nrows] : 0;
    /* First pass: count and size. A converted string takes at most 3 bytes per input byte. */
    size_t need = 0;
    for (int c = 0; c < t->ncols; c++) {
        size_t len = strlen(t->header[c]);
        int ok = mc_data_utf8_valid(t->header[c]);
        if (!ok && *fixed == 0) *ex_col = c;
        *fixed += !ok;
        need += (ok ? len : 3 * len) + 1;
    }
    int64_t r = 0;
    for (size_t i = 0; i < ncells; i++) {
        size_t len = strlen(t->cells[i]);
        int ok = mc_data_utf8_valid(t->cells[i]);
        if (!ok && *ex_row < 0) {
            while (r + 1 <= t->nrows && (size_t)t->row_start[r + 1] <= i) r++;
            *ex_row = r;
            *ex_col = (int)(i - (size_t)t->row_start[r]);
        }
        *fixed += !ok;
        need += (ok ? len : 3 * len) + 1;
    }
    if (*fixed == 0) return MC_STATUS_OK;
    char *text = mc_calloc(1, need ? need : 1); /* the new owner of every string */
    if (!text) return mc_error_nomem("out of memory converting a %zu-byte table to UTF-8", need);
    size_t o = 0;
    for (size_t i = 0; i < (size_t)t->ncols + ncells; i++) {
        char **slot = i < (size_t)t->ncols ? &t->header[i] : &t->cells[i - (size_t)t->ncols];
        char *dst = text + o;
        if (mc_data_utf8_valid(*slot)) {
            size_t len = strlen(*slot);
            memcpy(dst, *slot, len + 1);
            o += len + 1;
        } else {
            char *u = mc_data_utf8_from_cp1252(*slot);
            if (!u) {
                free(text);
                return mc_error_nomem("out of memory converting a table cell to UTF-8");
            }
            size_t len = strlen(u);
            memcpy(dst, u, len + 1);
            free(u);
            o += len + 1;
        }
        *slot = dst;
    }
    free(t->text);
    t->text = text;
    return MC_STATUS_OK;
}

mc_status mc_data_table_read_utf8(const char *path, mc_table *t) {
    mc_status st = mc_table_read(path, 0, t);
    if (st != MC_STATUS_OK) return st;
    int64_t fixed = 0, r = -1;
    int c = -1;
    st = table_to_utf8(t, &fixed, &r, &c);
    if (st != MC_STATUS_OK) {
        mc_table_free(t);
        return st;
    }
    if (fixed > 0)
        mc_log(MC_LOG_LEVEL_INFO, "%s: %lld cell(s) were not valid UTF-8 (first: %s%lld, column '%s'); read as "
               "Latin-1/Windows-1252", path, (long long)fixed, r >= 0 ? "row " : "header", (long long)(r >= 0 ? r + 1 : 0),
               c >= 0 ? t->header[c] : "");
    return MC_STATUS_OK;
}

/* ------------------------------------------------------------------ keys */

/* The join key of an id cell: spaces around it dropped, '\\' read as '/', leading "./" and '/'
 * dropped, and the name's extension dropped when it is an audio extension. Empty -> "". malloc'd. */
static char *id_key(const char *id) {
    while (*id == ' ' || *id == '\t') id++;
    size_t n = strlen(id);
    while (n > 0 && (id[n - 1] == ' ' || id[n - 1] == '\t' || id[n - 1] == '\r')) n--;
    char *k = mc_calloc(1, n + 1);
    if (!k) return NULL;
    memcpy(k, id, n);
    k[n] = '\0';
    for (char *p = k; *p; p++)
        if (*p == '\\') *p = '/';
    char *s = k;
    for (;;) {
        if (s[0] == '/') s++;
        else if (s[0] == '.' && s[1] == '/') s += 2;
        else break;
    }
    memmove(k, s, strlen(s) + 1);
    char *base = strrchr(k, '/');
    base = base ? base + 1 : k;
    if (mc_data_is_audio_name(base)) *strrchr(base, '.') = '\0';
    return k;
}

static int cmp_key(const void *a, const void *b) {
    const mc_meta_key *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c) return c;
    return x->row < y->row ? -1 : x->row > y->row;
}

static void free_keys(mc_meta_key *keys, int64_t n) {
    for (int64_t i = 0; keys && i < n; i++) free(keys[i].key);
    free(keys);
}

/* Keys of column col, sorted, the first row of each key kept. *dups receives how many rows repeat a
 * key; dup_key / dup_rows (may be NULL) an example. */
static mc_status build_keys(const mc_table *t, int col, mc_meta_key **out, int64_t *nout, int64_t *dups,
                            char *dup_key, size_t dup_cap, int64_t dup_rows[2]) {
    *out = NULL;
    *nout = 0;
    *dups = 0;
    const int64_t n = t->nrows;
    mc_meta_key *keys = mc_calloc((size_t)(n ? n : 1), sizeof *keys);
    if (!keys) return mc_error_nomem("out of memory indexing metadata");
    int64_t m = 0;
    for (int64_t r = 0; r < n; r++) {
        char *k = id_key(mc_table_get(t, r, col));
        if (!k) {
            free_keys(keys, m);
            return mc_error_nomem("out of memory indexing metadata");
        }
        if (!k[0]) { /* a row without id cannot match a file */
            free(k);
            continue;
        }
        keys[m].key = k;
        keys[m].row = r;
        m++;
    }
    qsort(keys, (size_t)m, sizeof *keys, cmp_key);
    int64_t u = 0;
    for (int64_t i = 0; i < m; i++) {
        if (u > 0 && strcmp(keys[u - 1].key, keys[i].key) == 0) {
            if (*dups == 0 && dup_key) {
                snprintf(dup_key, dup_cap, "%s", keys[i].key);
                dup_rows[0] = keys[u - 1].row;
                dup_rows[1] = keys[i].row;
            }
            (*dups)++;
            free(keys[i].key);
            continue;
        }
        keys[u++] = keys[i];
    }
    *out = keys;
    *nout = u;
    return MC_STATUS_OK;
}

static int64_t key_lookup(const mc_meta_key *keys, int64_t n, const char *k) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int c = strcmp(keys[mid].key, k);
        if (c == 0) return keys[mid].row;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

/* The row for a file path in keys (see mc_meta_find); *exact (may be NULL) is set when the key held
 * a folder part. */
static int64_t lookup_path(const mc_meta_key *keys, int64_t n, const char *path, bool *with_folder) {
    if (with_folder) *with_folder = false;
    if (n == 0) return -1;
    /* the keys are UTF-8 (cells read as Windows-1252 when they are not): so is the path compared */
    char *u = mc_data_utf8_dup(path);
    if (!u) return -1;
    size_t len = strlen(u);
    char buf[4096];
    if (len >= sizeof buf) {
        free(u);
        return -1;
    }
    memcpy(buf, u, len + 1);
    free(u);
    for (char *p = buf; *p; p++)
        if (*p == '\\') *p = '/';
    char *base = strrchr(buf, '/');
    base = base ? base + 1 : buf;
    char *dot = strrchr(base, '.');
    if (dot && dot != base) *dot = '\0';
    /* the longest suffix on a component boundary first: a folder/name key is more specific */
    const char *s = buf;
    while (*s == '/') s++;
    for (;;) {
        int64_t r = key_lookup(keys, n, s);
        if (r >= 0) {
            if (with_folder) *with_folder = s != base;
            return r;
        }
        const char *slash = strchr(s, '/');
        if (!slash) return -1;
        s = slash + 1;
    }
}

/* ------------------------------------------------------------------ the index */

void mc_meta_free(mc_meta *m) {
    if (!m) return;
    mc_table_free(&m->table);
    free_keys(m->keys, m->nkeys);
    free(m->label_cols);
    memset(m, 0, sizeof *m);
}

/* A column is a label when every cell is short single-line text: lyrics and free-text notes stay out
 * of index.tsv (they belong to `musiclust lyrics`). */
static bool is_label_column(const mc_table *t, int col) {
    for (int64_t r = 0; r < t->nrows; r++) {
        const char *s = mc_table_get(t, r, col);
        size_t n = strlen(s);
        if (n > 128 || strpbrk(s, "\t\r\n")) return false;
    }
    return true;
}

mc_status mc_meta_load(const char *path, const char *id_column, mc_meta *m) {
    memset(m, 0, sizeof *m);
    mc_status st = mc_data_table_read_utf8(path, &m->table);
    if (st != MC_STATUS_OK) return st;
    m->id_col = mc_table_column(&m->table, id_column);
    if (m->id_col < 0) {
        char cols[512] = "";
        for (int c = 0; c < m->table.ncols && strlen(cols) < 400; c++) {
            strncat(cols, c ? ", " : "", sizeof cols - strlen(cols) - 1);
            strncat(cols, m->table.header[c], sizeof cols - strlen(cols) - 1);
        }
        mc_meta_free(m);
        return mc_error_set(MC_STATUS_FORMAT, "%s: no column '%s' to join on (columns: %s); "
                            "use --id-column", path, id_column, cols);
    }
    m->label_cols = mc_calloc(1, (size_t)(m->table.ncols ? m->table.ncols : 1) * sizeof *m->label_cols);
    if (!m->label_cols) {
        mc_meta_free(m);
        return mc_error_nomem("%s: out of memory indexing metadata", path);
    }
    char dup[256] = "";
    int64_t dup_rows[2] = {0, 0}, dups = 0;
    st = build_keys(&m->table, m->id_col, &m->keys, &m->nkeys, &dups, dup, sizeof dup, dup_rows);
    if (st != MC_STATUS_OK) {
        mc_meta_free(m);
        return st;
    }
    if (dups > 0)
        mc_log(MC_LOG_LEVEL_WARN, "%s: %lld row(s) repeat a %s already seen (e.g. '%s' on rows %lld and %lld); "
               "the first row of each is used", path, (long long)dups, id_column, dup,
               (long long)dup_rows[0] + 1, (long long)dup_rows[1] + 1);
    for (int64_t i = 0; i < m->nkeys; i++) m->path_keys += strchr(m->keys[i].key, '/') != NULL;
    for (int c = 0; c < m->table.ncols; c++)
        if (c != m->id_col && is_label_column(&m->table, c)) m->label_cols[m->nlabels++] = c;
    return MC_STATUS_OK;
}

int64_t mc_meta_find(const mc_meta *m, const char *path, bool *with_folder) {
    return lookup_path(m->keys, m->nkeys, path, with_folder);
}

int mc_meta_suggest_column(const mc_meta *m, const char *const *paths, size_t n_paths, int64_t *matches) {
    int best = -1;
    int64_t best_n = 0;
    for (int c = 0; c < m->table.ncols; c++) {
        if (c == m->id_col) continue;
        mc_meta_key *keys = NULL;
        int64_t nk = 0, dups = 0;
        if (build_keys(&m->table, c, &keys, &nk, &dups, NULL, 0, NULL) != MC_STATUS_OK) {
            mc_error_clear();
            return -1;
        }
        int64_t hit = 0;
        for (size_t i = 0; i < n_paths; i++) hit += lookup_path(keys, nk, paths[i], NULL) >= 0;
        free_keys(keys, nk);
        if (hit > best_n) {
            best_n = hit;
            best = c;
        }
    }
    if (matches) *matches = best_n;
    return best;
}

void mc_meta_examples(const mc_meta *m, int col, char *out, size_t cap) {
    out[0] = '\0';
    int shown = 0;
    for (int64_t r = 0; r < m->table.nrows && shown < 3; r++) {
        const char *v = mc_table_get(&m->table, r, col);
        if (!v[0]) continue;
        size_t used = strlen(out);
        snprintf(out + used, cap - used, "%s'%.60s'", shown ? ", " : "", v);
        shown++;
    }
    if (!shown) snprintf(out, cap, "(all empty)");
}

/* ------------------------------------------------------------------ joining audio files to rows */

const char *mc_data_last_components(const char *path, int n) {
    const char *p = path + strlen(path);
    while (p > path) {
        if (p[-1] == '/' && --n == 0) break;
        p--;
    }
    return p;
}

void mc_data_add_example(char *buf, size_t cap, int *count, const char *x) {
    if ((*count)++ >= 3) return;
    size_t used = strlen(buf);
    snprintf(buf + used, cap - used, "%s'%.80s'", used ? ", " : "", x);
}

/* The join of extract (data_internal.h). */
int64_t mc_meta_join_files(const mc_meta *meta, const char *metadata, const char *id_column, const mc_path_list *files,
                           int64_t *meta_row, char *hint, size_t hint_cap) {
    hint[0] = '\0';
    const int64_t nrows = meta->table.nrows;
    int64_t *first_file = mc_calloc(1, (size_t)(nrows ? nrows : 1) * sizeof *first_file); // (nrows) first file of a row
    int64_t joined = 0, shared_rows = 0, shared_files = 0;
    char example[1200] = "";
    if (first_file)
        for (int64_t r = 0; r < nrows; r++) first_file[r] = -1;
    for (size_t i = 0; i < files->n; i++) {
        meta_row[i] = mc_meta_find(meta, files->items[i], NULL);
        if (meta_row[i] < 0) continue;
        joined++;
        if (!first_file) continue;
        int64_t f0 = first_file[meta_row[i]];
        if (f0 < 0) {
            first_file[meta_row[i]] = (int64_t)i;
        } else if (f0 != -2) {
            /* a second file for this row: count the row once */
            if (shared_rows == 0)
                snprintf(example, sizeof example, "'%.100s' joins %.400s and %.400s",
                         mc_table_get(&meta->table, meta_row[i], meta->id_col), files->items[f0], files->items[i]);
            shared_rows++;
            shared_files += 2;
            first_file[meta_row[i]] = -2;
        } else {
            shared_files++;
        }
    }
    free(first_file);
    if (shared_rows > 0)
        mc_log(MC_LOG_LEVEL_WARN, "%s: %lld metadata row(s) joined more than one file (%lld files: the same name in "
               "different folders), e.g. %s; each of those files gets the row's labels. To tell them apart, give "
               "the %s column folder/name values (e.g. 'blues/blues.00000')", metadata, (long long)shared_rows,
               (long long)shared_files, example, id_column);
    if (joined == 0 && files->n > 0) {
        char vals[400], names[400] = "";
        int nn = 0;
        mc_meta_examples(meta, meta->id_col, vals, sizeof vals);
        for (size_t i = 0; i < files->n && nn < 3; i++) mc_data_add_example(names, sizeof names, &nn, mc_data_last_components(files->items[i], 1));
        int64_t m = 0;
        int alt = mc_meta_suggest_column(meta, (const char *const *)files->items, files->n, &m);
        char alt_msg[300] = "";
        if (alt >= 0)
            snprintf(alt_msg, sizeof alt_msg, "; column '%.100s' joins %lld of them: --id-column %.100s",
                     meta->table.header[alt], (long long)m, meta->table.header[alt]);
        snprintf(hint, hint_cap, "no audio file joins a row of %s: its column '%s' holds values like %s, the files are "
                 "named like %s (a file joins the row whose value is its name without extension, or a "
                 "folder/name path to it; an audio extension in the value is ignored)%s",
                 metadata, id_column, vals, names, alt_msg);
    }
    return joined;
}
