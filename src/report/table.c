/* The metrics table of a run: rows of mean ± std over seeds, metrics.csv / metrics.json, the "best"
 * marks and a plain-text table. Every printed value goes through mc_report_format_value so that the
 * CSV, the terminal and the HTML show the same digits (report.h, NUMBERS). */
#include "report_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- names and formats */

void mc_report_format_value(double v, char *buf, size_t cap) {
    if (!buf || cap == 0) return;
    if (!isfinite(v)) snprintf(buf, cap, "nan");
    else {
        snprintf(buf, cap, MC_REPORT_VALUE_FORMAT, v);
        if (strcmp(buf, "-0.0000") == 0) snprintf(buf, cap, "0.0000"); /* a rounded tiny negative */
    }
}

static bool starts(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

const char *mc_report_metric_column(const char *metric) {
    if (!metric) return NULL;
    if (starts(metric, "ari_")) return metric + 4;
    if (starts(metric, "nmi_")) return metric + 4;
    if (starts(metric, "ami_")) return metric + 4;
    if (starts(metric, "purity_")) return metric + 7;
    return NULL;
}

bool mc_report_metric_rankable(const char *metric) {
    if (!metric || !mc_report_metric_direction(metric)) return false;
    const size_t n = strlen(metric);
    return starts(metric, "ari_") || starts(metric, "ami_") || (n > 7 && strcmp(metric + n - 7, "_common") == 0);
}

int mc_report_metric_direction(const char *metric) {
    if (!metric) return 0;
    if (mc_report_metric_column(metric)) return 1;
    if (starts(metric, "silhouette") || starts(metric, "calinski_harabasz")) return 1;
    if (starts(metric, "davies_bouldin")) return -1;
    return 0;
}

const char *mc_report_metric_title(const char *metric, char *buf, size_t cap) {
    static const struct { const char *name, *title; } fixed[] = {
        {"silhouette", "Silhouette"},
        {"calinski_harabasz", "Calinski-Harabasz"},
        {"davies_bouldin", "Davies-Bouldin"},
        {"silhouette_common", "Silhouette (common space)"},
        {"calinski_harabasz_common", "Calinski-Harabasz (common space)"},
        {"davies_bouldin_common", "Davies-Bouldin (common space)"},
        {"n_clusters", "clusters found"},
        {"noise_fraction", "noise fraction"},
        {"recon_loss", "reconstruction loss"},
        {"kl", "KL"},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (strcmp(metric, fixed[i].name) == 0) return fixed[i].title;
    const char *col = mc_report_metric_column(metric);
    if (col && buf && cap) {
        const char *m = starts(metric, "ari_")   ? "ARI"
                        : starts(metric, "ami_") ? "AMI"
                        : starts(metric, "nmi_") ? "NMI"
                                                 : "purity";
        snprintf(buf, cap, "%s %s", m, col);
        return buf;
    }
    return metric;
}

/* ---------------------------------------------------------------- the table */

mc_status mc_report_table_init(mc_report_table *t, const char *const *metrics, int n_metrics) {
    if (!t || n_metrics < 0 || (n_metrics > 0 && !metrics))
        return mc_error_set(MC_STATUS_INVALID_ARG, "report table: NULL argument");
    memset(t, 0, sizeof *t);
    t->metrics = mc_calloc((size_t)(n_metrics ? n_metrics : 1), sizeof *t->metrics);
    if (!t->metrics) return mc_error_nomem("report table: out of memory");
    for (int i = 0; i < n_metrics; i++) {
        if (!metrics[i] || !metrics[i][0]) {
            mc_report_table_free(t);
            return mc_error_set(MC_STATUS_INVALID_ARG, "report table: metric %d has no name", i);
        }
        t->metrics[i] = mc_strdup(metrics[i]);
        t->n_metrics = i + 1;
        if (!t->metrics[i]) {
            mc_report_table_free(t);
            return MC_STATUS_NO_MEMORY;
        }
    }
    t->n_metrics = n_metrics;
    return MC_STATUS_OK;
}

static void row_free(mc_report_row *r) {
    void *owned[] = {r->task, r->representation, r->algorithm, r->level, r->leaked, r->note, r->mean, r->std, r->values};
    for (size_t i = 0; i < sizeof owned / sizeof *owned; i++) free(owned[i]);
    memset(r, 0, sizeof *r);
}

void mc_report_table_free(mc_report_table *t) {
    if (!t) return;
    for (int i = 0; i < t->n_rows; i++) row_free(&t->rows[i]);
    free(t->rows);
    if (t->metrics)
        for (int i = 0; i < t->n_metrics; i++) free(t->metrics[i]);
    free(t->metrics);
    for (int i = 0; i < t->n_columns; i++) free(t->columns[i].name);
    free(t->columns);
    for (int i = 0; i < t->n_inputs; i++) {
        free(t->input_keys[i]);
        free(t->input_values[i]);
    }
    free(t->input_keys);
    free(t->input_values);
    memset(t, 0, sizeof *t);
}

mc_status mc_report_table_add_column(mc_report_table *t, const char *name, int classes,
                                     int64_t unlabelled_segments, int64_t unlabelled_tracks) {
    if (!t || !name) return mc_error_set(MC_STATUS_INVALID_ARG, "report table: NULL column");
    mc_report_column *c = mc_realloc(t->columns, (size_t)t->n_columns + 1, sizeof *c);
    if (!c) return MC_STATUS_NO_MEMORY;
    t->columns = c;
    c += t->n_columns;
    c->name = mc_strdup(name);
    if (!c->name) return MC_STATUS_NO_MEMORY;
    c->classes = classes;
    c->unlabelled_segments = unlabelled_segments;
    c->unlabelled_tracks = unlabelled_tracks;
    t->n_columns++;
    return MC_STATUS_OK;
}

mc_status mc_report_table_add_input(mc_report_table *t, const char *key, const char *value) {
    if (!t || !key) return mc_error_set(MC_STATUS_INVALID_ARG, "report table: NULL input");
    char **k = mc_realloc(t->input_keys, (size_t)t->n_inputs + 1, sizeof *k);
    if (!k) return MC_STATUS_NO_MEMORY;
    t->input_keys = k;
    char **v = mc_realloc(t->input_values, (size_t)t->n_inputs + 1, sizeof *v);
    if (!v) return MC_STATUS_NO_MEMORY;
    t->input_values = v;
    k[t->n_inputs] = mc_strdup(key);
    v[t->n_inputs] = value ? mc_strdup(value) : NULL;
    if (!k[t->n_inputs] || (value && !v[t->n_inputs])) {
        free(k[t->n_inputs]);
        free(v[t->n_inputs]);
        return MC_STATUS_NO_MEMORY;
    }
    t->n_inputs++;
    return MC_STATUS_OK;
}

int mc_report_table_metric(const mc_report_table *t, const char *metric) {
    for (int i = 0; t && metric && i < t->n_metrics; i++)
        if (strcmp(t->metrics[i], metric) == 0) return i;
    return -1;
}

/* The value as it reads back from its printed form (so that the table holds what metrics.csv says). */
static double rounded(double v) {
    char buf[64];
    mc_report_format_value(v, buf, sizeof buf);
    return isfinite(v) ? strtod(buf, NULL) : NAN;
}

static mc_report_row *new_row(mc_report_table *t) {
    if (t->n_rows == t->cap_rows) {
        int cap = t->cap_rows ? 2 * t->cap_rows : 16;
        mc_report_row *nr = mc_realloc(t->rows, (size_t)cap, sizeof *nr);
        if (!nr) return NULL;
        t->rows = nr;
        t->cap_rows = cap;
    }
    mc_report_row *r = &t->rows[t->n_rows];
    memset(r, 0, sizeof *r);
    return r;
}

static char *dup_or_empty(const char *s) { return mc_strdup(s ? s : ""); }

mc_status mc_report_table_add(mc_report_table *t, const char *task, const char *representation,
                              const char *algorithm, const char *level, int k, int64_t rows,
                              const char *leaked, const char *note, int seeds, const double *values) {
    if (!t || seeds < 1 || (t->n_metrics > 0 && !values))
        return mc_error_set(MC_STATUS_INVALID_ARG, "report table: bad row (seeds %d)", seeds);
    mc_report_row *r = new_row(t);
    if (!r) return mc_error_nomem("report table: out of memory");
    const int M = t->n_metrics ? t->n_metrics : 1;
    r->task = dup_or_empty(task);
    r->representation = dup_or_empty(representation);
    r->algorithm = dup_or_empty(algorithm);
    r->level = dup_or_empty(level);
    r->leaked = dup_or_empty(leaked);
    r->note = dup_or_empty(note);
    r->mean = mc_calloc((size_t)M, sizeof *r->mean);
    r->std = mc_calloc((size_t)M, sizeof *r->std);
    r->values = mc_calloc((size_t)M * (size_t)seeds, sizeof *r->values);
    if (!r->task || !r->representation || !r->algorithm || !r->level || !r->leaked || !r->note ||
        !r->mean || !r->std || !r->values) {
        row_free(r);
        return mc_error_nomem("report table: out of memory");
    }
    r->k = k;
    r->seeds = seeds;
    r->rows = rows;
    for (int m = 0; m < t->n_metrics; m++) {
        const double *v = values + (size_t)m * (size_t)seeds;
        double s = 0, ss = 0;
        int c = 0;
        for (int i = 0; i < seeds; i++) {
            r->values[(size_t)m * (size_t)seeds + (size_t)i] = v[i];
            if (isfinite(v[i])) {
                s += v[i];
                c++;
            }
        }
        double mean = c ? s / c : NAN;
        for (int i = 0; i < seeds; i++)
            if (isfinite(v[i])) ss += (v[i] - mean) * (v[i] - mean);
        r->mean[m] = rounded(mean);
        r->std[m] = c ? rounded(sqrt(ss / c)) : NAN; /* population std (numpy.std, ddof 0) */
    }
    t->n_rows++;
    return MC_STATUS_OK;
}

bool mc_report_row_leaks(const mc_report_row *r, const char *column) {
    if (!r || !r->leaked || !column || !column[0]) return false;
    size_t n = strlen(column);
    const char *p = r->leaked;
    while (*p) {
        const char *e = strchr(p, ';');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, column, n) == 0) return true;
        if (!e) break;
        p = e + 1;
    }
    return false;
}

bool mc_report_metric_leaked(const mc_report_row *r, const char *metric) {
    const char *col = mc_report_metric_column(metric);
    return col && mc_report_row_leaks(r, col);
}

/* ---------------------------------------------------------------- metrics.csv */

static const char *const csv_fixed[] = {"task", "representation", "algorithm", "level", "k",
                                        "seeds", "rows", "leaked", "note"};
enum { N_FIXED = 9 };

mc_status mc_report_table_write_csv(const mc_report_table *t, const char *path) {
    if (!t || !path) return mc_error_set(MC_STATUS_INVALID_ARG, "metrics.csv: NULL argument");
    mc_memfile mf;
    mc_status st = mc_memfile_open(&mf, path);
    if (st != MC_STATUS_OK) return st;
    FILE *f = mf.f;
    for (int i = 0; i < N_FIXED; i++) fprintf(f, "%s%s", i ? "," : "", csv_fixed[i]);
    for (int m = 0; m < t->n_metrics; m++) {
        char name[512];
        snprintf(name, sizeof name, "%s_mean", t->metrics[m]);
        fputc(',', f);
        mc_csv_write_field(f, name, ',');
        snprintf(name, sizeof name, "%s_std", t->metrics[m]);
        fputc(',', f);
        mc_csv_write_field(f, name, ',');
    }
    fputc('\n', f);
    for (int i = 0; i < t->n_rows; i++) {
        const mc_report_row *r = &t->rows[i];
        mc_csv_write_field(f, r->task, ',');
        fputc(',', f);
        mc_csv_write_field(f, r->representation, ',');
        fputc(',', f);
        mc_csv_write_field(f, r->algorithm, ',');
        fputc(',', f);
        mc_csv_write_field(f, r->level, ',');
        fprintf(f, ",%d,%d,%lld,", r->k, r->seeds, (long long)r->rows);
        mc_csv_write_field(f, r->leaked, ',');
        fputc(',', f);
        mc_csv_write_field(f, r->note, ',');
        for (int m = 0; m < t->n_metrics; m++) {
            char a[64], b[64];
            mc_report_format_value(r->mean[m], a, sizeof a);
            mc_report_format_value(r->std[m], b, sizeof b);
            fprintf(f, ",%s,%s", a, b);
        }
        fputc('\n', f);
    }
    return mc_memfile_commit(&mf, path);
}

static bool parse_num(const char *s, double *v) {
    if (strcmp(s, "nan") == 0) {
        *v = NAN;
        return true;
    }
    char *end = NULL;
    errno = 0;
    *v = strtod(s, &end);
    return *s && !*end && errno == 0 && isfinite(*v);
}

static bool parse_int(const char *s, long long *v) {
    char *end = NULL;
    errno = 0;
    *v = strtoll(s, &end, 10);
    return *s && !*end && errno == 0;
}

mc_status mc_report_table_read_csv(const char *path, mc_report_table *out) {
    if (!path || !out) return mc_error_set(MC_STATUS_INVALID_ARG, "metrics.csv: NULL argument");
    memset(out, 0, sizeof *out);
    mc_table tb;
    mc_status st = mc_table_read(path, ',', &tb);
    if (st != MC_STATUS_OK) return st;
    if (tb.ncols < N_FIXED || (tb.ncols - N_FIXED) % 2 != 0) {
        mc_table_free(&tb);
        return mc_error_set(MC_STATUS_FORMAT, "%s: expected %d fixed columns then <metric>_mean,<metric>_std pairs, got %d columns",
                            path, N_FIXED, tb.ncols);
    }
    for (int i = 0; i < N_FIXED; i++)
        if (strcmp(tb.header[i], csv_fixed[i]) != 0) {
            mc_table_free(&tb);
            return mc_error_set(MC_STATUS_FORMAT, "%s: column %d is '%s', expected '%s'", path, i + 1, tb.header[i],
                                csv_fixed[i]);
        }
    const int M = (tb.ncols - N_FIXED) / 2;
    char **names = mc_calloc((size_t)(M ? M : 1), sizeof *names);
    if (!names) {
        mc_table_free(&tb);
        return mc_error_nomem("%s: out of memory", path);
    }
    st = MC_STATUS_OK;
    for (int m = 0; m < M && st == MC_STATUS_OK; m++) {
        const char *a = tb.header[N_FIXED + 2 * m], *b = tb.header[N_FIXED + 2 * m + 1];
        size_t la = strlen(a), lb = strlen(b);
        if (la < 6 || strcmp(a + la - 5, "_mean") != 0 || lb < 5 || strcmp(b + lb - 4, "_std") != 0 ||
            la - 5 != lb - 4 || strncmp(a, b, la - 5) != 0) {
            st = mc_error_set(MC_STATUS_FORMAT, "%s: columns '%s', '%s' are not a <metric>_mean, <metric>_std pair", path, a, b);
            break;
        }
        names[m] = mc_calloc(la - 4, 1);
        if (!names[m]) st = mc_error_nomem("%s: out of memory", path);
        else {
            memcpy(names[m], a, la - 5);
            names[m][la - 5] = '\0';
        }
    }
    if (st == MC_STATUS_OK) st = mc_report_table_init(out, (const char *const *)names, M);
    for (int m = 0; m < M; m++) free(names[m]);
    free(names);
    for (int64_t i = 0; st == MC_STATUS_OK && i < tb.nrows; i++) {
        long long k, seeds, rows;
        if (!parse_int(mc_table_get(&tb, i, 4), &k) || !parse_int(mc_table_get(&tb, i, 5), &seeds) || seeds < 1 ||
            !parse_int(mc_table_get(&tb, i, 6), &rows)) {
            st = mc_error_set(MC_STATUS_FORMAT, "%s line %lld: k, seeds or rows is not an integer", path, (long long)i + 2);
            break;
        }
        mc_report_row *r = new_row(out);
        if (!r) {
            st = mc_error_nomem("%s: out of memory", path);
            break;
        }
        r->task = mc_strdup(mc_table_get(&tb, i, 0));
        r->representation = mc_strdup(mc_table_get(&tb, i, 1));
        r->algorithm = mc_strdup(mc_table_get(&tb, i, 2));
        r->level = mc_strdup(mc_table_get(&tb, i, 3));
        r->leaked = mc_strdup(mc_table_get(&tb, i, 7));
        r->note = mc_strdup(mc_table_get(&tb, i, 8));
        r->k = (int)k;
        r->seeds = (int)seeds;
        r->rows = rows;
        r->mean = mc_calloc((size_t)M, sizeof *r->mean);
        r->std = mc_calloc((size_t)M, sizeof *r->std);
        out->n_rows++;
        if (!r->task || !r->representation || !r->algorithm || !r->level || !r->leaked || !r->note || !r->mean ||
            !r->std) {
            st = mc_error_nomem("%s: out of memory", path);
            break;
        }
        for (int m = 0; m < M; m++) {
            const char *a = mc_table_get(&tb, i, N_FIXED + 2 * m), *b = mc_table_get(&tb, i, N_FIXED + 2 * m + 1);
            if (!parse_num(a, &r->mean[m]) || !parse_num(b, &r->std[m])) {
                st = mc_error_set(MC_STATUS_FORMAT, "%s line %lld: '%s' / '%s' of %s is not a number or nan", path,
                                  (long long)i + 2, a, b, out->metrics[m]);
                break;
            }
        }
    }
    mc_table_free(&tb);
    if (st != MC_STATUS_OK) mc_report_table_free(out);
    return st;
}

/* ---------------------------------------------------------------- metrics.json */

/* One "key": value member of the object being written. */
static void kv_string(mc_json *j, const char *key, const char *v) {
    mc_json_key(j, key);
    mc_json_string(j, v);
}
static void kv_int(mc_json *j, const char *key, int64_t v) {
    mc_json_key(j, key);
    mc_json_int(j, v);
}
static void kv_number(mc_json *j, const char *key, double v) {
    mc_json_key(j, key);
    mc_json_number(j, v);
}
static void kv_bool(mc_json *j, const char *key, bool v) {
    mc_json_key(j, key);
    mc_json_bool(j, v);
}

mc_status mc_report_table_write_json(const mc_report_table *t, const char *path) {
    if (!t || !path) return mc_error_set(MC_STATUS_INVALID_ARG, "metrics.json: NULL argument");
    mc_json *j = NULL;
    mc_status st = mc_json_create(&j);
    if (st != MC_STATUS_OK) return st;
    mc_json_begin_object(j);
    kv_string(j, "musiclust_version", mc_version());
    kv_string(j, "value_format",
              "mean and std are rounded as metrics.csv prints them (" MC_REPORT_VALUE_FORMAT
              "); seed_values are the full-precision values of each seed");
    kv_string(j, "std", "population standard deviation over the seeds where the metric is defined (numpy.std, ddof 0)");
    kv_string(j, "noise_convention",
              "DBSCAN noise: left out of the internal metrics, pooled into one cluster for the label metrics");
    kv_string(j, "leak_rule",
              "a label metric is leaked when its column was an input or a condition of the representation; "
              "rows with a leaked column are never marked best");
    mc_json_key(j, "label_columns");
    mc_json_begin_array(j);
    for (int i = 0; i < t->n_columns; i++) {
        const mc_report_column *c = &t->columns[i];
        mc_json_begin_object(j);
        kv_string(j, "column", c->name);
        kv_int(j, "classes", c->classes);
        mc_json_key(j, "unlabelled_rows");
        mc_json_begin_object(j);
        mc_json_key(j, "segment");
        if (c->unlabelled_segments >= 0) mc_json_int(j, c->unlabelled_segments);
        else mc_json_null(j);
        mc_json_key(j, "track");
        if (c->unlabelled_tracks >= 0) mc_json_int(j, c->unlabelled_tracks);
        else mc_json_null(j);
        mc_json_end_object(j);
        mc_json_end_object(j);
    }
    mc_json_end_array(j);
    if (t->n_inputs > 0) {
        mc_json_key(j, "inputs");
        mc_json_begin_object(j);
        for (int i = 0; i < t->n_inputs; i++) kv_string(j, t->input_keys[i], t->input_values[i]);
        mc_json_end_object(j);
    }
    mc_json_key(j, "rows");
    mc_json_begin_array(j);
    for (int i = 0; i < t->n_rows; i++) {
        const mc_report_row *r = &t->rows[i];
        mc_json_begin_object(j);
        kv_string(j, "task", r->task);
        kv_string(j, "representation", r->representation);
        kv_string(j, "algorithm", r->algorithm);
        kv_string(j, "level", r->level);
        kv_int(j, "k", r->k);
        kv_int(j, "seeds", r->seeds);
        kv_int(j, "rows", r->rows);
        mc_json_key(j, "leaked");
        mc_json_begin_array(j);
        {
            const char *p = r->leaked;
            while (p && *p) {
                const char *e = strchr(p, ';');
                size_t len = e ? (size_t)(e - p) : strlen(p);
                char col[256];
                snprintf(col, sizeof col, "%.*s", (int)(len < 255 ? len : 255), p);
                if (col[0]) mc_json_string(j, col);
                p = e ? e + 1 : p + len;
            }
        }
        mc_json_end_array(j);
        kv_string(j, "note", r->note);
        mc_json_key(j, "metrics");
        mc_json_begin_object(j);
        for (int m = 0; m < t->n_metrics; m++) {
            mc_json_key(j, t->metrics[m]);
            mc_json_begin_object(j);
            kv_number(j, "mean", r->mean[m]);
            kv_number(j, "std", r->std[m]);
            kv_bool(j, "leaked", mc_report_metric_leaked(r, t->metrics[m]));
            if (r->values) {
                mc_json_key(j, "seed_values");
                mc_json_begin_array(j);
                for (int s = 0; s < r->seeds; s++) mc_json_number(j, r->values[(size_t)m * (size_t)r->seeds + (size_t)s]);
                mc_json_end_array(j);
            }
            mc_json_end_object(j);
        }
        mc_json_end_object(j);
        mc_json_end_object(j);
    }
    mc_json_end_array(j);
    mc_json_end_object(j);
    st = mc_json_write_file(j, path);
    mc_json_free(j);
    return st;
}

/* ---------------------------------------------------------------- best */

mc_status mc_report_best(const mc_report_table *t, bool *best) {
    if (!t || (!best && t->n_rows && t->n_metrics)) return mc_error_set(MC_STATUS_INVALID_ARG, "report best: NULL argument");
    const size_t M = (size_t)t->n_metrics;
    memset(best, 0, (size_t)t->n_rows * M * sizeof *best);
    for (size_t m = 0; m < M; m++) {
        int dir = mc_report_metric_direction(t->metrics[m]);
        if (!dir || !mc_report_metric_rankable(t->metrics[m])) continue;
        for (int i = 0; i < t->n_rows; i++) {
            const mc_report_row *r = &t->rows[i];
            if (r->leaked[0] || !isfinite(r->mean[m])) continue;
            /* is any clean row of the same level strictly better? */
            bool beaten = false;
            for (int o = 0; o < t->n_rows && !beaten; o++) {
                const mc_report_row *q = &t->rows[o];
                if (o == i || q->leaked[0] || !isfinite(q->mean[m]) || strcmp(q->level, r->level) != 0) continue;
                if (dir > 0 ? q->mean[m] > r->mean[m] : q->mean[m] < r->mean[m]) beaten = true;
            }
            best[(size_t)i * M + m] = !beaten;
        }
    }
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- text table */

static const char *const default_text_metrics[] = {"silhouette", "silhouette_common", "davies_bouldin_common"};

mc_status mc_report_text_table(const mc_report_table *t, const char *level, const char *const *metrics,
                               int n_metrics, char **out) {
    if (!t || !level || !out) return mc_error_set(MC_STATUS_INVALID_ARG, "text table: NULL argument");
    *out = NULL;
    /* default: a few internal metrics, then the label metrics (below) */
    const char *sel[64];
    int ns = 0;
    if (metrics) {
        for (int i = 0; i < n_metrics && ns < 64; i++)
            if (mc_report_table_metric(t, metrics[i]) >= 0) sel[ns++] = metrics[i];
    } else {
        for (size_t i = 0; i < sizeof default_text_metrics / sizeof *default_text_metrics; i++)
            if (mc_report_table_metric(t, default_text_metrics[i]) >= 0) sel[ns++] = default_text_metrics[i];
        /* ARI, AMI and NMI of the first label column (the main one), ARI and AMI of the others */
        bool first = true;
        for (int m = 0; m < t->n_metrics && ns < 62; m++) {
            if (starts(t->metrics[m], "ari_")) {
                const char *col = t->metrics[m] + 4;
                sel[ns++] = t->metrics[m];
                for (int o = 0; o < t->n_metrics; o++) {
                    const char *mo = t->metrics[o];
                    if (strcmp(mc_report_metric_column(mo) ? mc_report_metric_column(mo) : "", col) != 0) continue;
                    if (starts(mo, "ami_") || (first && starts(mo, "nmi_"))) sel[ns++] = mo;
                }
                first = false;
            }
        }
    }
    bool *best = mc_calloc((size_t)(t->n_rows ? t->n_rows : 1) * (size_t)(t->n_metrics ? t->n_metrics : 1), sizeof *best);
    if (!best) return mc_error_nomem("text table: out of memory");
    mc_status st = mc_report_best(t, best);
    if (st != MC_STATUS_OK) {
        free(best);
        return st;
    }
    mc_memfile mf;
    if ((st = mc_memfile_open(&mf, "text table")) != MC_STATUS_OK) {
        free(best);
        return st;
    }
    FILE *f = mf.f;
    int wrep = 14;
    for (int i = 0; i < t->n_rows; i++) {
        int w = (int)strlen(t->rows[i].representation);
        if (strcmp(t->rows[i].level, level) == 0 && w > wrep) wrep = w;
    }
    fprintf(f, "%-*s %-13s", wrep, "representation", "algorithm");
    for (int s = 0; s < ns; s++) {
        char head[64], tb[128];
        const char *title = mc_report_metric_title(sel[s], tb, sizeof tb);
        /* short headers: the metric name itself is unambiguous */
        snprintf(head, sizeof head, "%s", strlen(title) <= 22 ? title : sel[s]);
        fprintf(f, " %22.22s", head);
    }
    fputc('\n', f);
    bool any_leak = false;
    for (int i = 0; i < t->n_rows; i++) {
        const mc_report_row *r = &t->rows[i];
        if (strcmp(r->level, level) != 0) continue;
        fprintf(f, "%-*s %-13s", wrep, r->representation, r->algorithm);
        for (int s = 0; s < ns; s++) {
            int m = mc_report_table_metric(t, sel[s]);
            char a[64], b[64], cell[160];
            mc_report_format_value(r->mean[m], a, sizeof a);
            mc_report_format_value(r->std[m], b, sizeof b);
            bool leak = mc_report_metric_leaked(r, sel[s]);
            any_leak |= leak;
            snprintf(cell, sizeof cell, "%s±%s%s", a, b, leak ? "!" : best[(size_t)i * (size_t)t->n_metrics + (size_t)m] ? "*" : " ");
            fprintf(f, " %22s", cell);
        }
        if (r->leaked[0]) fprintf(f, "  LEAKED: %s", r->leaked);
        fputc('\n', f);
    }
    fprintf(f, "* best of the %s rows without a leaked column (ARI, AMI and common-space metrics only: the others "
               "are not comparable across spaces or not chance-adjusted)", level);
    if (any_leak) fprintf(f, "; ! leaked: the label column was an input or a condition of that representation");
    fputc('\n', f);
    free(best);
    size_t len = 0;
    return mc_memfile_take(&mf, "text table", out, &len);
}
