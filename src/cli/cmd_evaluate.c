/* musiclust evaluate: metrics of a clustering (ASSIGN.tsv) of X.npy, without labels (Silhouette,
 * Calinski-Harabasz, Davies-Bouldin) and against the label columns of a feature store's index.tsv
 * (ARI, NMI, purity, contingency tables), per segment and optionally per track. */
#include "cli.h"

#include <musiclust/metrics.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "evaluate"
#define MAX_COLUMNS 64

/* Standard columns of index.tsv; the label columns come after `padded`. */
static const char *const store_columns[] = {"segment", "track", "path", "start_s", "padded"};

static int fail_input(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
static int fail_input(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "musiclust " CMD ": ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return MC_EXIT_INPUT;
}

/* A library failure on input data: the message names the problem; always exit 1 here. */
static int fail_lib(mc_status st) {
    const char *msg = mc_error_message();
    return fail_input("%s", msg && *msg ? msg : mc_status_name(st));
}

/* ---------------------------------------------------------------- results */

typedef struct result {
    const char *level;  /* "segment" / "track" */
    const char *column; /* NULL for internal metrics */
    const char *metric;
    double value;
    int64_t n_used, n_unlabeled, n_noise;
    int n_clusters, n_classes;
    bool leaked; /* a label metric of a column given with --leaked */
    char note[160];
} result;

typedef struct results {
    result *r;
    int n, cap;
    char **files; /* contingency files written */
    const char **file_level, **file_column;
    int nfiles;
} results;

static result *add_result(results *R) {
    if (R->n == R->cap) {
        int cap = R->cap ? 2 * R->cap : 32;
        result *nr = realloc(R->r, (size_t)cap * sizeof *nr);
        if (!nr) return NULL;
        R->r = nr;
        R->cap = cap;
    }
    result *x = &R->r[R->n++];
    memset(x, 0, sizeof *x);
    return x;
}

static void results_free(results *R) {
    free(R->r);
    for (int i = 0; i < R->nfiles; i++) free(R->files[i]);
    free(R->files);
    free(R->file_level);
    free(R->file_column);
    memset(R, 0, sizeof *R);
}

/* ---------------------------------------------------------------- inputs */

static bool parse_i64(const char *s, long long *v) {
    char *end;
    errno = 0;
    while (*s == ' ') s++;
    if (!*s) return false;
    *v = strtoll(s, &end, 10);
    while (*end == ' ') end++;
    return *end == '\0' && errno == 0;
}

/* ASSIGN.tsv: header with a `cluster` column (and optionally `row`), one line per row of X. */
static int read_assign(const char *path, int64_t n, int32_t **out) {
    mc_table t = {0};
    mc_status st = mc_table_read(path, 0, &t);
    if (st != MC_STATUS_OK) return fail_lib(st);
    int cc = mc_table_column(&t, "cluster"), rc = mc_table_column(&t, "row");
    if (cc < 0) {
        mc_table_free(&t);
        return fail_input("%s: no 'cluster' column in the header (expected 'row<TAB>cluster')", path);
    }
    if (t.nrows != n) {
        long long got = (long long)t.nrows;
        mc_table_free(&t);
        return fail_input("%s has %lld rows but X has %lld; they must match row for row", path, got, (long long)n);
    }
    int32_t *c = malloc((size_t)(n ? n : 1) * sizeof *c);
    char *seen = calloc((size_t)(n ? n : 1), 1);
    if (!c || !seen) {
        free(c);
        free(seen);
        mc_table_free(&t);
        return fail_input("out of memory");
    }
    for (int64_t i = 0; i < n; i++) {
        long long row = i, v;
        if (rc >= 0 && (!parse_i64(mc_table_get(&t, i, rc), &row) || row < 0 || row >= n || seen[row])) {
            int r = fail_input("%s line %lld: row '%s' is not a new row number in [0, %lld)", path, (long long)i + 2,
                               mc_table_get(&t, i, rc), (long long)n);
            free(c);
            free(seen);
            mc_table_free(&t);
            return r;
        }
        if (!parse_i64(mc_table_get(&t, i, cc), &v) || v < -1 || v > INT32_MAX) {
            int r = fail_input("%s line %lld: cluster '%s' is not an integer >= -1 (-1 = noise)", path,
                               (long long)i + 2, mc_table_get(&t, i, cc));
            free(c);
            free(seen);
            mc_table_free(&t);
            return r;
        }
        seen[row] = 1;
        c[row] = (int32_t)v;
    }
    free(seen);
    mc_table_free(&t);
    *out = c;
    return -1;
}

static bool is_label_column(const mc_table *t, int col) {
    int padded = mc_table_column(t, "padded");
    if (padded >= 0) return col > padded;
    for (size_t k = 0; k < sizeof store_columns / sizeof *store_columns; k++)
        if (strcmp(t->header[col], store_columns[k]) == 0) return false;
    return true;
}

static void list_label_columns(const mc_table *t, char *buf, size_t cap) {
    buf[0] = '\0';
    size_t len = 0;
    for (int c = 0; c < t->ncols; c++) {
        if (!is_label_column(t, c)) continue;
        int w = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", t->header[c]);
        if (w < 0 || (size_t)w >= cap - len) break;
        len += (size_t)w;
    }
    if (!len) snprintf(buf, cap, "(none)");
}

static int64_t distinct_nonempty(const mc_table *t, int col) {
    const char **v = malloc((size_t)(t->nrows ? t->nrows : 1) * sizeof *v);
    if (!v) return -1;
    int64_t m = 0;
    for (int64_t r = 0; r < t->nrows; r++) {
        const char *s = mc_table_get(t, r, col);
        if (*s) v[m++] = s;
    }
    int32_t *ids = malloc((size_t)(m ? m : 1) * sizeof *ids);
    char **names = NULL;
    int nn = 0;
    mc_status st = ids ? mc_metrics_encode_labels(v, m, ids, &names, &nn) : MC_STATUS_NO_MEMORY;
    free(v);
    free(ids);
    mc_metrics_names_free(names, nn);
    return st == MC_STATUS_OK ? nn : -1;
}

/* File-name-safe copy of a column name. */
static void safe_name(const char *s, char *out, size_t cap) {
    size_t i = 0;
    for (; *s && i + 1 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        out[i++] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                           ch == '_' || ch == '.' || ch >= 0x80
                       ? (char)ch
                       : '_';
    }
    out[i] = '\0';
}

/* ---------------------------------------------------------------- one level */

typedef struct level_in {
    const char *level;
    const float *X;        /* (n, d) */
    int64_t n;
    int d;
    const int32_t *cluster;                /* (n) */
    const char *const *labels[MAX_COLUMNS]; /* per column: (n) strings */
    const char *columns[MAX_COLUMNS];
    int ncols;
    const float *Zc;       /* (n, dc) the common space (--common-space), or NULL */
    int dc;
    const char *const *leaked; /* --leaked columns */
    int nleaked;
} level_in;

static bool is_leaked(const level_in *L, const char *column) {
    for (int i = 0; column && i < L->nleaked; i++)
        if (strcmp(L->leaked[i], column) == 0) return true;
    return false;
}

static int evaluate_level(const level_in *L, const mc_metrics_opts *opts, bool quiet, const char *prefix,
                          results *R) {
    mc_metrics_opts o = *opts;
    mc_internal_scores sc;
    mc_progress *bar = L->n > 20000 ? cli_progress(quiet, L->level[0] == 's' ? "silhouette" : "silhouette (tracks)", 0)
                                    : NULL;
    o.progress = bar;
    mc_status st = mc_metrics_internal(L->X, L->n, L->d, L->cluster, &o, &sc);
    if (st == MC_STATUS_OK) mc_progress_finish(bar);
    mc_progress_free(bar);
    if (st != MC_STATUS_OK) return fail_lib(st);
    const char *names[3] = {"silhouette", "calinski_harabasz", "davies_bouldin"};
    const double vals[3] = {sc.silhouette, sc.calinski_harabasz, sc.davies_bouldin};
    for (int i = 0; i < 3; i++) {
        result *x = add_result(R);
        if (!x) return fail_input("out of memory");
        x->level = L->level;
        x->metric = names[i];
        x->value = vals[i];
        x->n_used = sc.n_used;
        x->n_noise = sc.n_noise;
        x->n_clusters = sc.n_clusters;
        snprintf(x->note, sizeof x->note, "%s", sc.note);
    }
    if (L->Zc) { /* the same clusters scored in the one common space (--common-space) */
        st = mc_metrics_internal(L->Zc, L->n, L->dc, L->cluster, &o, &sc);
        if (st != MC_STATUS_OK) return fail_lib(st);
        const char *cn[3] = {"silhouette_common", "calinski_harabasz_common", "davies_bouldin_common"};
        const double cv[3] = {sc.silhouette, sc.calinski_harabasz, sc.davies_bouldin};
        for (int i = 0; i < 3; i++) {
            result *x = add_result(R);
            if (!x) return fail_input("out of memory");
            x->level = L->level;
            x->metric = cn[i];
            x->value = cv[i];
            x->n_used = sc.n_used;
            x->n_noise = sc.n_noise;
            x->n_clusters = sc.n_clusters;
            snprintf(x->note, sizeof x->note, "%s", sc.note);
        }
    }
    int32_t *cls = malloc((size_t)(L->n ? L->n : 1) * sizeof *cls); // (n)
    if (!cls) return fail_input("out of memory");
    for (int c = 0; c < L->ncols; c++) {
        char **cnames = NULL;
        int nn = 0;
        mc_contingency ct = {0};
        st = mc_metrics_encode_labels(L->labels[c], L->n, cls, &cnames, &nn);
        if (st == MC_STATUS_OK)
            st = mc_metrics_contingency(L->cluster, cls, L->n, nn, (const char *const *)cnames, &ct);
        mc_metrics_names_free(cnames, nn);
        if (st != MC_STATUS_OK) {
            free(cls);
            return fail_lib(st);
        }
        const char *mn[3] = {"ari", "nmi", "purity"};
        const double mv[3] = {mc_metrics_ari(&ct), mc_metrics_nmi(&ct), mc_metrics_purity(&ct)};
        for (int i = 0; i < 3; i++) {
            result *x = add_result(R);
            if (!x) {
                free(cls);
                mc_metrics_contingency_free(&ct);
                return fail_input("out of memory");
            }
            x->level = L->level;
            x->column = L->columns[c];
            x->metric = mn[i];
            x->value = mv[i];
            x->n_used = ct.n_used;
            x->n_unlabeled = ct.n_unlabeled;
            x->n_noise = ct.n_noise;
            x->n_clusters = ct.n_clusters;
            x->n_classes = ct.n_classes;
            x->leaked = is_leaked(L, L->columns[c]);
            if (ct.n_used == 0) snprintf(x->note, sizeof x->note, "undefined: no row has a '%s' label", L->columns[c]);
            else if (x->leaked)
                snprintf(x->note, sizeof x->note, "LEAKED: '%s' was an input or a condition of this representation",
                         L->columns[c]);
        }
        char safe[256];
        safe_name(L->columns[c], safe, sizeof safe);
        size_t len = strlen(prefix) + strlen(safe) + 40;
        char *path = malloc(len);
        char **nf = realloc(R->files, (size_t)(R->nfiles + 1) * sizeof *nf);
        if (nf) R->files = nf;
        const char **nl = realloc(R->file_level, (size_t)(R->nfiles + 1) * sizeof *nl);
        if (nl) R->file_level = nl;
        const char **nc = realloc(R->file_column, (size_t)(R->nfiles + 1) * sizeof *nc);
        if (nc) R->file_column = nc;
        if (!path || !nf || !nl || !nc) {
            free(path);
            free(cls);
            mc_metrics_contingency_free(&ct);
            return fail_input("out of memory");
        }
        snprintf(path, len, "%s.contingency_%s%s.tsv", prefix, safe, L->level[0] == 't' ? ".track" : "");
        st = mc_metrics_contingency_write(&ct, path);
        mc_metrics_contingency_free(&ct);
        R->files[R->nfiles] = path;
        R->file_level[R->nfiles] = L->level;
        R->file_column[R->nfiles] = L->columns[c];
        R->nfiles++;
        if (st != MC_STATUS_OK) {
            free(cls);
            return fail_lib(st);
        }
    }
    free(cls);
    return -1;
}

/* ---------------------------------------------------------------- outputs */

static void fmt_value(double v, char *buf, size_t cap) {
    if (isnan(v)) snprintf(buf, cap, "nan");
    else snprintf(buf, cap, "%.17g", v);
}

static int write_csv(const results *R, const char *path, bool leak_column) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return fail_input("%s: out of memory", path);
    /* the `leaked` column only with --leaked, so that the default layout stays what it was */
    fputs(leak_column ? "level,column,metric,value,n_used,n_unlabeled,n_noise,n_clusters,n_classes,note,leaked\n"
                      : "level,column,metric,value,n_used,n_unlabeled,n_noise,n_clusters,n_classes,note\n",
          f);
    for (int i = 0; i < R->n; i++) {
        const result *x = &R->r[i];
        char v[64];
        fmt_value(x->value, v, sizeof v);
        fprintf(f, "%s,", x->level);
        mc_csv_write_field(f, x->column ? x->column : "", ',');
        fprintf(f, ",%s,%s,%lld,%lld,%lld,%d,", x->metric, v, (long long)x->n_used, (long long)x->n_unlabeled,
                (long long)x->n_noise, x->n_clusters);
        if (x->column) fprintf(f, "%d", x->n_classes);
        fputc(',', f);
        mc_csv_write_field(f, x->note, ',');
        if (leak_column) fputs(x->leaked ? ",1" : ",0", f);
        fputc('\n', f);
    }
    if (fclose(f) != 0 || !buf) {
        free(buf);
        return fail_input("%s: out of memory", path);
    }
    mc_status st = mc_file_write_atomic(path, buf, len);
    free(buf);
    return st == MC_STATUS_OK ? -1 : fail_lib(st);
}

typedef struct run_info {
    const char *x_path, *assign_path, *labels_path, *common_path;
    const char *const *leaked;
    int nleaked;
    int64_t n, n_tracks;
    int d;
    bool track_level;
} run_info;

static int write_json(const results *R, const run_info *ri, const char *path) {
    mc_json *j = NULL;
    mc_status st = mc_json_create(&j);
    if (st != MC_STATUS_OK) return fail_lib(st);
    mc_json_begin_object(j);
    mc_json_key(j, "musiclust_version"); mc_json_string(j, mc_version());
    mc_json_key(j, "x"); mc_json_string(j, ri->x_path);
    mc_json_key(j, "assign"); mc_json_string(j, ri->assign_path);
    mc_json_key(j, "labels"); mc_json_string(j, ri->labels_path);
    mc_json_key(j, "common_space"); mc_json_string(j, ri->common_path);
    mc_json_key(j, "leaked_columns");
    mc_json_begin_array(j);
    for (int i = 0; i < ri->nleaked; i++) mc_json_string(j, ri->leaked[i]);
    mc_json_end_array(j);
    mc_json_key(j, "leak_rule");
    mc_json_string(j, "a label metric against a --leaked column measures what the representation was given (an input "
                      "or a condition), not what it found");
    mc_json_key(j, "n_rows"); mc_json_int(j, ri->n);
    mc_json_key(j, "n_features"); mc_json_int(j, ri->d);
    mc_json_key(j, "track_level"); mc_json_bool(j, ri->track_level);
    mc_json_key(j, "n_tracks");
    if (ri->track_level) mc_json_int(j, ri->n_tracks);
    else mc_json_null(j);
    mc_json_key(j, "noise_convention");
    mc_json_string(j, "internal metrics (silhouette, calinski_harabasz, davies_bouldin) on the non-noise rows only; "
                      "label metrics (ari, nmi, purity) pool every noise row (cluster -1) into one cluster");
    mc_json_key(j, "metrics");
    mc_json_begin_array(j);
    for (int i = 0; i < R->n; i++) {
        const result *x = &R->r[i];
        mc_json_begin_object(j);
        mc_json_key(j, "level"); mc_json_string(j, x->level);
        mc_json_key(j, "column"); mc_json_string(j, x->column);
        mc_json_key(j, "metric"); mc_json_string(j, x->metric);
        mc_json_key(j, "value"); mc_json_number(j, x->value);
        mc_json_key(j, "n_used"); mc_json_int(j, x->n_used);
        mc_json_key(j, "n_unlabeled"); mc_json_int(j, x->n_unlabeled);
        mc_json_key(j, "n_noise"); mc_json_int(j, x->n_noise);
        mc_json_key(j, "n_clusters"); mc_json_int(j, x->n_clusters);
        mc_json_key(j, "n_classes");
        if (x->column) mc_json_int(j, x->n_classes);
        else mc_json_null(j);
        mc_json_key(j, "note"); mc_json_string(j, x->note[0] ? x->note : NULL);
        mc_json_key(j, "leaked"); mc_json_bool(j, x->leaked);
        mc_json_end_object(j);
    }
    mc_json_end_array(j);
    mc_json_key(j, "contingency");
    mc_json_begin_array(j);
    for (int i = 0; i < R->nfiles; i++) {
        mc_json_begin_object(j);
        mc_json_key(j, "level"); mc_json_string(j, R->file_level[i]);
        mc_json_key(j, "column"); mc_json_string(j, R->file_column[i]);
        mc_json_key(j, "file"); mc_json_string(j, R->files[i]);
        mc_json_end_object(j);
    }
    mc_json_end_array(j);
    mc_json_end_object(j);
    st = mc_json_write_file(j, path);
    mc_json_free(j);
    return st == MC_STATUS_OK ? -1 : fail_lib(st);
}

static void print_table(const results *R) {
    printf("%-8s %-12s %-24s %12s %8s %12s %8s\n", "level", "column", "metric", "value", "n_used", "n_unlabeled",
           "n_noise");
    for (int i = 0; i < R->n; i++) {
        const result *x = &R->r[i];
        char v[32], unl[24];
        if (isnan(x->value)) snprintf(v, sizeof v, "n/a");
        else snprintf(v, sizeof v, "%.6g%s", x->value, x->leaked ? "!" : "");
        if (x->column) snprintf(unl, sizeof unl, "%lld", (long long)x->n_unlabeled);
        else snprintf(unl, sizeof unl, "-");
        printf("%-8s %-12s %-24s %12s %8lld %12s %8lld%s%s\n", x->level, x->column ? x->column : "-", x->metric, v,
               (long long)x->n_used, unl, (long long)x->n_noise, x->note[0] ? "  " : "", x->note);
    }
}

/* ---------------------------------------------------------------- track grouping */

typedef struct track_key {
    const char *name;
    int64_t row;
} track_key;

static int cmp_track(const void *a, const void *b) {
    const track_key *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c) return c;
    return (x->row > y->row) - (x->row < y->row);
}

static int cmp_first_row(const void *a, const void *b) {
    const int64_t *x = a, *y = b; /* pairs (first row, group) */
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* track_of_row (n) <- index of the row's track, tracks numbered by first appearance. */
static int group_tracks(const mc_table *t, const char *path, int64_t *track_of_row, int64_t *n_tracks,
                        int64_t **first_row) {
    int tc = mc_table_column(t, "track");
    if (tc < 0) return fail_input("%s: no 'track' column, needed by --track-level", path);
    const int64_t n = t->nrows;
    track_key *k = malloc((size_t)(n ? n : 1) * sizeof *k);
    int64_t *groups = malloc((size_t)(n ? n : 1) * 2 * sizeof *groups); // (n, 2): first row, group
    int64_t *group_of = malloc((size_t)(n ? n : 1) * sizeof *group_of);
    if (!k || !groups || !group_of) {
        free(k);
        free(groups);
        free(group_of);
        return fail_input("out of memory");
    }
    for (int64_t r = 0; r < n; r++) {
        k[r].name = mc_table_get(t, r, tc);
        k[r].row = r;
    }
    qsort(k, (size_t)n, sizeof *k, cmp_track);
    int64_t ng = 0;
    for (int64_t i = 0; i < n; i++) {
        if (i == 0 || strcmp(k[i].name, k[i - 1].name) != 0) {
            groups[2 * ng] = k[i].row; /* smallest row of the group: rows ascend within a name */
            groups[2 * ng + 1] = ng;
            ng++;
        }
        group_of[k[i].row] = ng - 1;
    }
    qsort(groups, (size_t)ng, 2 * sizeof *groups, cmp_first_row);
    int64_t *rank = malloc((size_t)(ng ? ng : 1) * sizeof *rank);
    int64_t *first = malloc((size_t)(ng ? ng : 1) * sizeof *first);
    if (!rank || !first) {
        free(k);
        free(groups);
        free(group_of);
        free(rank);
        free(first);
        return fail_input("out of memory");
    }
    for (int64_t g = 0; g < ng; g++) {
        rank[groups[2 * g + 1]] = g;
        first[g] = groups[2 * g];
    }
    for (int64_t r = 0; r < n; r++) track_of_row[r] = rank[group_of[r]];
    *n_tracks = ng;
    *first_row = first;
    free(k);
    free(groups);
    free(group_of);
    free(rank);
    return -1;
}

/* ---------------------------------------------------------------- the command */

/* Collect every --NAME VALUE / --NAME=VALUE of a repeatable option (the option parser keeps only the
 * last value of an option) and pass the other arguments on. */
static int take_columns(int argc, char **argv, const cli_command *cmd, char **rest, int *nrest,
                        const char *name, const char **cols, int *ncols) {
    *nrest = 0;
    *ncols = 0;
    bool only_pos = false;
    char flag[32], flag_eq[40];
    snprintf(flag, sizeof flag, "--%s", name);
    snprintf(flag_eq, sizeof flag_eq, "--%s=", name);
    const size_t eq_len = strlen(flag_eq);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        if (!only_pos && strcmp(a, "--") == 0) only_pos = true;
        if (!only_pos && strcmp(a, flag) == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "musiclust " CMD ": %s needs a value (NAME)\n", flag);
                return MC_EXIT_USAGE;
            }
            val = argv[++i];
        } else if (!only_pos && strncmp(a, flag_eq, eq_len) == 0) {
            val = a + eq_len;
        }
        if (val) {
            if (*ncols == MAX_COLUMNS) {
                fprintf(stderr, "musiclust " CMD ": at most %d %s options\n", MAX_COLUMNS, flag);
                return MC_EXIT_USAGE;
            }
            cols[(*ncols)++] = val;
            continue;
        }
        rest[(*nrest)++] = argv[i];
        /* An option that takes a value keeps its value with it (so "-o --column" stays intact). */
        if (!only_pos && a[0] == '-' && a[1] && !strchr(a, '=') && i + 1 < argc) {
            for (int o = 0; o < cmd->nopts; o++) {
                const cli_opt *op = &cmd->opts[o];
                bool match = (a[1] == '-' && strcmp(a + 2, op->name) == 0) || (a[1] == op->short_name && !a[2]);
                if (match && op->kind != CLI_FLAG) {
                    rest[(*nrest)++] = argv[++i];
                    break;
                }
            }
        }
    }
    return -1;
}

int cmd_evaluate(int argc, char **argv) {
    const char *labels_path = NULL, *prefix_opt = NULL, *column_dummy = NULL, *leaked_dummy = NULL, *common_path = NULL;
    bool track_level = false, quiet = false;
    int threads = 0, block = 256;
    const cli_opt opts[] = {
        {"labels", 0, CLI_STRING, &labels_path, "INDEX", "the feature store's index.tsv (FEATDIR/index.tsv) with the label columns"},
        {"column", 0, CLI_STRING, &column_dummy, "NAME", "label column to compare with; repeat for several (default: every label column with 2..N/2 distinct values)"},
        {"leaked", 0, CLI_STRING, &leaked_dummy, "COLUMN", "a label column that was an input or a condition of X (e.g. the cvae's --condition): its scores are marked leaked; repeatable"},
        {"common-space", 0, CLI_STRING, &common_path, "Z.npy", "also score the clusters in this space (N rows, e.g. the z-scored mfcc_stats): *_common metrics"},
        {"track-level", 0, CLI_FLAG, &track_level, NULL, "also evaluate per track (majority vote of its segments; X = mean of its rows)"},
        {"output", 'o', CLI_STRING, &prefix_opt, "PREFIX", "write PREFIX.csv, PREFIX.json, PREFIX.contingency_<column>.tsv (default: ASSIGN without .tsv + .metrics)"},
        {"threads", 0, CLI_INT, &threads, "N", "worker threads for the silhouette (default: all cores); output is identical for any N"},
        {"block", 0, CLI_INT, &block, "ROWS", "silhouette tile edge (default 256)"},
        {"quiet", 'q', CLI_FLAG, &quiet, NULL, "no table on stdout and no progress (files are still written)"},
    };
    const cli_command cmd = {
        CMD, "musiclust evaluate [options] [--labels FEATDIR/index.tsv [--column NAME]...] X.npy ASSIGN.tsv",
        "Score a clustering. X.npy is (N, D) (e.g. a latent space from `musiclust embed`; more dimensions are\n"
        "flattened); ASSIGN.tsv has the header 'row<TAB>cluster' and one line per row of X (cluster -1 =\n"
        "noise), as `musiclust cluster` writes it. Without labels: Silhouette (exact), Calinski-Harabasz and\n"
        "Davies-Bouldin, on the non-noise rows. With --labels: ARI, NMI (arithmetic mean) and purity against\n"
        "each label column, with noise rows pooled into one cluster and unlabelled (empty) rows left out and\n"
        "counted; the contingency table of each column is written too. Definitions: scikit-learn 1.2.\n"
        "Undefined values (one cluster, every row its own cluster, no labelled row) are reported as n/a\n"
        "(nan in the CSV, null in the JSON) with the reason. --leaked COLUMN marks the label metrics of a\n"
        "column the representation was given (a `leaked` column in the CSV, \"leaked\": true in the JSON, '!'\n"
        "in the table); --common-space Z.npy adds silhouette_common, calinski_harabasz_common and\n"
        "davies_bouldin_common: the same clusters scored in one space shared by every method compared.",
        opts, (int)(sizeof opts / sizeof opts[0]), 2, 2};

    char **rest = malloc((size_t)(argc + 1) * sizeof *rest), **rest0 = malloc((size_t)(argc + 1) * sizeof *rest0);
    const char *columns[MAX_COLUMNS], *leaked[MAX_COLUMNS];
    int nrest = 0, nrest0 = 0, ncolumns = 0, nleaked = 0;
    if (!rest || !rest0) {
        free(rest);
        free(rest0);
        return fail_input("out of memory");
    }
    int rc = take_columns(argc, argv, &cmd, rest0, &nrest0, "column", columns, &ncolumns);
    if (rc < 0) rc = take_columns(nrest0, rest0, &cmd, rest, &nrest, "leaked", leaked, &nleaked);
    free(rest0);
    if (rc >= 0) {
        free(rest);
        return rc;
    }
    const char **pos = NULL;
    int npos = 0;
    rc = cli_parse(&cmd, nrest, rest, &pos, &npos);
    if (rc >= 0) {
        free(rest);
        free(pos);
        return rc;
    }
    cli_init_logging(quiet);
    if ((ncolumns > 0 || nleaked > 0 || track_level) && !labels_path) {
        fprintf(stderr, "musiclust " CMD ": %s needs --labels FEATDIR/index.tsv\nusage: %s\n",
                ncolumns > 0 ? "--column" : nleaked > 0 ? "--leaked" : "--track-level", cmd.usage);
        free(rest);
        free(pos);
        return MC_EXIT_USAGE;
    }
    if (block < 1 || block > 4096) {
        fprintf(stderr, "musiclust " CMD ": --block must be in 1..4096, got %d\n", block);
        free(rest);
        free(pos);
        return MC_EXIT_USAGE;
    }
    run_info ri = {pos[0], pos[1], labels_path, common_path, leaked, nleaked, 0, 0, 0, track_level};
    const char *x_path = pos[0], *assign_path = pos[1];

    char *prefix = NULL;
    if (prefix_opt) {
        prefix = mc_strdup(prefix_opt);
    } else {
        size_t len = strlen(assign_path);
        prefix = malloc(len + 16);
        if (prefix) {
            memcpy(prefix, assign_path, len + 1);
            if (len > 4 && strcmp(prefix + len - 4, ".tsv") == 0) prefix[len - 4] = '\0';
            strcat(prefix, ".metrics");
        }
    }

    mc_array xa = {0}, za = {0};
    float *Zt = NULL; /* (n_tracks, dc) track means of the common space */
    int dc = 0;
    int32_t *cluster = NULL, *tcluster = NULL;
    mc_table idx = {0};
    int64_t *track_of = NULL, *first_row = NULL;
    float *Xt = NULL;
    const char **cells = NULL;  /* (ncolumns, n) segment labels */
    const char **tcells = NULL; /* (ncolumns, n_tracks) track labels */
    results R = {0};
    int status = MC_EXIT_OK;
    mc_status st;
    if (!prefix) { status = fail_input("out of memory"); goto done; }

    /* X */
    st = mc_npy_read_f32(x_path, &xa);
    if (st != MC_STATUS_OK) { status = fail_lib(st); goto done; }
    if (xa.ndim < 1 || xa.shape[0] < 1) { status = fail_input("%s: no rows", x_path); goto done; }
    const int64_t n = xa.shape[0];
    int64_t dd = 1;
    for (int i = 1; i < xa.ndim; i++) dd *= xa.shape[i];
    if (dd < 1 || dd > INT32_MAX) { status = fail_input("%s: %lld features per row", x_path, (long long)dd); goto done; }
    const int d = (int)dd;
    const float *X = xa.data;
    ri.n = n;
    ri.d = d;
    for (int64_t i = 0; i < n; i++)
        for (int f = 0; f < d; f++)
            if (!isfinite(X[i * d + f])) {
                status = fail_input("%s: row %lld has a %s value (column %d); metrics need finite values", x_path,
                                    (long long)i, isnan(X[i * d + f]) ? "NaN" : "infinite", f);
                goto done;
            }

    /* the common space: the same rows, any width */
    if (common_path) {
        st = mc_npy_read_f32(common_path, &za);
        if (st != MC_STATUS_OK) { status = fail_lib(st); goto done; }
        int64_t zd = 1;
        for (int i = 1; i < za.ndim; i++) zd *= za.shape[i];
        if (za.ndim < 2 || za.shape[0] != n || zd < 1 || zd > INT32_MAX) {
            status = fail_input("%s: expected (%lld, D) rows matching %s, got %d dimension%s with %lld rows", common_path,
                                (long long)n, x_path, za.ndim, za.ndim == 1 ? "" : "s", za.ndim ? (long long)za.shape[0] : 0LL);
            goto done;
        }
        dc = (int)zd;
        const float *Z = za.data;
        for (int64_t i = 0; i < n * zd; i++)
            if (!isfinite(Z[i])) {
                status = fail_input("%s: row %lld has a %s value (column %lld); metrics need finite values", common_path,
                                    (long long)(i / zd), isnan(Z[i]) ? "NaN" : "infinite", (long long)(i % zd));
                goto done;
            }
    }

    /* ASSIGN.tsv */
    rc = read_assign(assign_path, n, &cluster);
    if (rc >= 0) { status = rc; goto done; }

    /* index.tsv and the columns */
    if (labels_path) {
        st = mc_table_read(labels_path, 0, &idx);
        if (st != MC_STATUS_OK) { status = fail_lib(st); goto done; }
        if (idx.nrows != n) {
            status = fail_input("%s has %lld rows but %s has %lld; they must match row for row", labels_path,
                                (long long)idx.nrows, x_path, (long long)n);
            goto done;
        }
        char avail[1024];
        list_label_columns(&idx, avail, sizeof avail);
        for (int c = 0; c < ncolumns; c++)
            if (mc_table_column(&idx, columns[c]) < 0) {
                status = fail_input("%s: no column '%s'; label columns: %s", labels_path, columns[c], avail);
                goto done;
            }
        for (int c = 0; c < nleaked; c++)
            if (mc_table_column(&idx, leaked[c]) < 0) {
                status = fail_input("%s: --leaked %s: no such column; label columns: %s", labels_path, leaked[c], avail);
                goto done;
            }
        if (ncolumns == 0) {
            for (int c = 0; c < idx.ncols && ncolumns < MAX_COLUMNS; c++) {
                if (!is_label_column(&idx, c)) continue;
                int64_t nd = distinct_nonempty(&idx, c);
                if (nd < 0) { status = fail_input("out of memory"); goto done; }
                if (nd >= 2 && 2 * nd <= n) columns[ncolumns++] = idx.header[c];
                else mc_log(MC_LOG_LEVEL_INFO, "column '%s' left out: %lld distinct values (default needs 2..N/2 = %lld)",
                            idx.header[c], (long long)nd, (long long)(n / 2));
            }
            if (ncolumns == 0)
                mc_log(MC_LOG_LEVEL_WARN, "%s: no label column with 2..N/2 distinct values (label columns: %s); "
                       "only the internal metrics are computed", labels_path, avail);
        }
        for (int l = 0; l < nleaked; l++) {
            bool evaluated = false;
            for (int c = 0; c < ncolumns; c++) evaluated |= strcmp(columns[c], leaked[l]) == 0;
            if (!evaluated)
                mc_log(MC_LOG_LEVEL_WARN, "--leaked %s: the column is not evaluated (add --column %s), nothing to mark",
                       leaked[l], leaked[l]);
        }
        cells = malloc((size_t)(ncolumns ? ncolumns : 1) * (size_t)n * sizeof *cells);
        if (!cells) { status = fail_input("out of memory"); goto done; }
        for (int c = 0; c < ncolumns; c++) {
            int col = mc_table_column(&idx, columns[c]);
            for (int64_t r = 0; r < n; r++) cells[(int64_t)c * n + r] = mc_table_get(&idx, r, col);
        }
    }

    mc_metrics_opts mo;
    mc_metrics_opts_default(&mo);
    mo.threads = threads;
    mo.block = block;

    level_in L = {"segment", X, n, d, cluster, {0}, {0}, ncolumns, za.data, dc, leaked, nleaked};
    for (int c = 0; c < ncolumns; c++) {
        L.labels[c] = cells + (int64_t)c * n;
        L.columns[c] = columns[c];
    }
    rc = evaluate_level(&L, &mo, quiet, prefix, &R);
    if (rc >= 0) { status = rc; goto done; }

    if (track_level) {
        int64_t nt = 0;
        track_of = malloc((size_t)n * sizeof *track_of);
        if (!track_of) { status = fail_input("out of memory"); goto done; }
        rc = group_tracks(&idx, labels_path, track_of, &nt, &first_row);
        if (rc >= 0) { status = rc; goto done; }
        ri.n_tracks = nt;
        tcluster = malloc((size_t)nt * sizeof *tcluster);
        Xt = malloc((size_t)nt * (size_t)d * sizeof *Xt);
        tcells = malloc((size_t)(ncolumns ? ncolumns : 1) * (size_t)nt * sizeof *tcells);
        if (!tcluster || !Xt || !tcells) { status = fail_input("out of memory"); goto done; }
        st = mc_metrics_track_vote(cluster, track_of, n, nt, tcluster);
        if (st == MC_STATUS_OK) st = mc_metrics_track_means(X, n, d, track_of, nt, Xt);
        if (st != MC_STATUS_OK) { status = fail_lib(st); goto done; }
        /* A track's label is its segments' label; they must agree. */
        int tc = mc_table_column(&idx, "track");
        for (int c = 0; c < ncolumns; c++) {
            const char **seg = cells + (int64_t)c * n, **trk = tcells + (int64_t)c * nt;
            for (int64_t t = 0; t < nt; t++) trk[t] = seg[first_row[t]];
            for (int64_t r = 0; r < n; r++)
                if (strcmp(seg[r], trk[track_of[r]]) != 0) {
                    status = fail_input("%s line %lld: track '%s' has segments with different '%s' labels ('%s' and '%s')",
                                        labels_path, (long long)r + 2, mc_table_get(&idx, r, tc), columns[c],
                                        trk[track_of[r]], seg[r]);
                    goto done;
                }
        }
        if (common_path) {
            Zt = malloc((size_t)nt * (size_t)dc * sizeof *Zt);
            if (!Zt) { status = fail_input("out of memory"); goto done; }
            st = mc_metrics_track_means(za.data, n, dc, track_of, nt, Zt);
            if (st != MC_STATUS_OK) { status = fail_lib(st); goto done; }
        }
        level_in T = {"track", Xt, nt, d, tcluster, {0}, {0}, ncolumns, Zt, dc, leaked, nleaked};
        for (int c = 0; c < ncolumns; c++) {
            T.labels[c] = tcells + (int64_t)c * nt;
            T.columns[c] = columns[c];
        }
        rc = evaluate_level(&T, &mo, quiet, prefix, &R);
        if (rc >= 0) { status = rc; goto done; }
    }

    size_t plen = strlen(prefix) + 8;
    char *csv = malloc(plen), *json = malloc(plen);
    if (!csv || !json) {
        free(csv);
        free(json);
        status = fail_input("out of memory");
        goto done;
    }
    snprintf(csv, plen, "%s.csv", prefix);
    snprintf(json, plen, "%s.json", prefix);
    rc = write_csv(&R, csv, nleaked > 0);
    if (rc < 0) rc = write_json(&R, &ri, json);
    if (rc >= 0) status = rc;
    else if (!quiet) {
        print_table(&R);
        printf("wrote %s, %s", csv, json);
        for (int i = 0; i < R.nfiles; i++) printf(", %s", R.files[i]);
        printf("\n");
    }
    free(csv);
    free(json);

done:
    mc_array_free(&xa);
    mc_array_free(&za);
    free(Zt);
    free(cluster);
    free(tcluster);
    mc_table_free(&idx);
    free(track_of);
    free(first_row);
    free(Xt);
    free(cells);
    free(tcells);
    results_free(&R);
    free(prefix);
    free(rest);
    free(pos);
    return status;
}
