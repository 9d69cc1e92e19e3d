/* musiclust extract: audio files -> feature store (see data.h for the files written).
 *
 * Files are processed in parallel (OpenMP, dynamic schedule, one file per task) and their results are
 * written in file order inside an `ordered` region, so the store is byte-identical for any thread
 * count, and at most one track's features per thread are held in memory at a time. */
#include "data_internal.h"

#include <musiclust/audio.h>

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void mc_extract_config_default(mc_extract_config *c) {
    memset(c, 0, sizeof *c);
    mc_dsp_config_default(&c->dsp);
    c->segment_s = 3.0;
    c->logmel_frames = 0;
    c->threads = 0;
    c->metadata = NULL;
    c->id_column = "track_id";
    c->folder_label = "genre";
    c->keep_unmatched = false;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ------------------------------------------------------------------ metadata join */

typedef struct meta_key {
    const char *id;
    int64_t row;
} meta_key;

typedef struct meta_index {
    mc_table table;
    int id_col;
    meta_key *keys;  /* (nkeys) sorted by id, first occurrence of each id */
    int64_t nkeys;
    int *label_cols; /* (nlabels) metadata columns that become label columns */
    int nlabels;
    bool *used;      /* (table.nrows) a file matched this row */
} meta_index;

static int cmp_key(const void *a, const void *b) {
    const meta_key *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    if (c) return c;
    return x->row < y->row ? -1 : x->row > y->row;
}

static void meta_free(meta_index *m) {
    mc_table_free(&m->table);
    free(m->keys);
    free(m->label_cols);
    free(m->used);
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

static mc_status meta_load(const char *path, const char *id_column, meta_index *m) {
    memset(m, 0, sizeof *m);
    mc_status st = mc_table_read(path, 0, &m->table);
    if (st != MC_STATUS_OK) return st;
    m->id_col = mc_table_column(&m->table, id_column);
    if (m->id_col < 0) {
        char cols[512] = "";
        for (int c = 0; c < m->table.ncols && strlen(cols) < 400; c++) {
            strncat(cols, c ? ", " : "", sizeof cols - strlen(cols) - 1);
            strncat(cols, m->table.header[c], sizeof cols - strlen(cols) - 1);
        }
        meta_free(m);
        return mc_error_set(MC_STATUS_FORMAT, "%s: no column '%s' to join on (columns: %s); "
                            "use --id-column", path, id_column, cols);
    }
    int64_t n = m->table.nrows;
    m->keys = malloc((size_t)(n ? n : 1) * sizeof *m->keys);
    m->label_cols = malloc((size_t)m->table.ncols * sizeof *m->label_cols);
    m->used = calloc((size_t)(n ? n : 1), sizeof *m->used);
    if (!m->keys || !m->label_cols || !m->used) {
        meta_free(m);
        return mc_error_set(MC_STATUS_NO_MEMORY, "%s: out of memory indexing metadata", path);
    }
    for (int64_t r = 0; r < n; r++) {
        m->keys[r].id = mc_table_get(&m->table, r, m->id_col);
        m->keys[r].row = r;
    }
    qsort(m->keys, (size_t)n, sizeof *m->keys, cmp_key);
    /* Keep the first row of each id (rows sorted by id then row number). */
    int64_t k = 0;
    for (int64_t r = 0; r < n; r++) {
        if (m->keys[r].id[0] == '\0') continue; /* a row without id cannot match a file */
        if (k > 0 && strcmp(m->keys[k - 1].id, m->keys[r].id) == 0) {
            mc_log(MC_LOG_LEVEL_WARN, "%s: %s '%s' appears more than once; using the first row",
                   path, id_column, m->keys[r].id);
            continue;
        }
        m->keys[k++] = m->keys[r];
    }
    m->nkeys = k;
    for (int c = 0; c < m->table.ncols; c++)
        if (c != m->id_col && is_label_column(&m->table, c)) m->label_cols[m->nlabels++] = c;
    return MC_STATUS_OK;
}

static int64_t meta_find(const meta_index *m, const char *id) {
    meta_key key = {id, -1};
    /* bsearch with row -1 never equals; search by id only. */
    int64_t lo = 0, hi = m->nkeys;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->keys[mid].id, key.id);
        if (c == 0) return m->keys[mid].row;
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    return -1;
}

/* ------------------------------------------------------------------ per-thread work */

typedef struct worker {
    mc_audio_loader *loader;
    mc_dsp_workspace *ws;
    int64_t ws_cap;  /* samples the workspace accepts */
    float *seg;      /* (seg_len) one window */
    float *mel;      /* (n_mels, frames) mel power, then dB in place */
    float *mfcc;     /* (n_mfcc, frames) */
    float *stats;    /* (nseg, 2*n_mfcc) the current track's rows */
    float *logmel;   /* (nseg, n_mels, out_frames) the current track's rows */
    size_t seg_cap, mel_cap, mfcc_cap, stats_cap, logmel_cap; /* in floats */
} worker;

typedef struct track_result {
    mc_status status;
    char reason[1024];
    mc_audio_info info;
    int64_t n;       /* samples at the target rate */
    int64_t nseg;
    bool padded;
} track_result;

static void worker_free(worker *w) {
    mc_audio_loader_free(w->loader);
    mc_dsp_workspace_free(w->ws);
    mc_free(w->seg);
    mc_free(w->mel);
    mc_free(w->mfcc);
    mc_free(w->stats);
    mc_free(w->logmel);
    memset(w, 0, sizeof *w);
}

/* Grow *buf to at least n floats (contents not kept). */
static mc_status grow(float **buf, size_t *cap, size_t n) {
    if (n <= *cap) return MC_STATUS_OK;
    size_t c = n + n / 4;
    float *p = mc_alloc(c, sizeof *p);
    if (!p) return MC_STATUS_NO_MEMORY;
    mc_free(*buf);
    *buf = p;
    *cap = c;
    return MC_STATUS_OK;
}

/* Strip a leading "path: " from a library message so skipped.tsv's reason column is just the reason. */
static void set_reason(track_result *r, const char *path, const char *msg) {
    size_t lp = strlen(path);
    if (strncmp(msg, path, lp) == 0 && msg[lp] == ':') {
        msg += lp + 1;
        while (*msg == ' ') msg++;
    }
    snprintf(r->reason, sizeof r->reason, "%s", msg);
    for (char *p = r->reason; *p; p++)
        if (*p == '\t' || *p == '\n' || *p == '\r') *p = ' ';
}

static void process_file(const mc_extract_config *cfg, const mc_dsp_plan *plan, worker *w,
                         const char *path, int out_frames, track_result *r) {
    const mc_dsp_config *d = &cfg->dsp;
    const float *x = NULL;
    int64_t n = 0;
    memset(r, 0, sizeof *r);
    mc_status st = mc_audio_loader_load(w->loader, path, &x, &n, &r->info);
    if (st != MC_STATUS_OK) {
        r->status = st;
        set_reason(r, path, mc_error_message());
        return;
    }
    int64_t seg_len = cfg->segment_s > 0 ? (int64_t)llround(cfg->segment_s * d->sr) : n;
    bool padded = false;
    int64_t nseg = mc_audio_segment_count(n, seg_len, &padded);
    if (nseg <= 0) {
        r->status = MC_STATUS_EMPTY;
        set_reason(r, path, "no samples after decoding");
        return;
    }
    int64_t frames = mc_dsp_frame_count(d, seg_len);
    size_t nm = (size_t)d->n_mels, nc = (size_t)d->n_mfcc;
    if (seg_len > w->ws_cap) {
        mc_dsp_workspace_free(w->ws);
        w->ws = NULL;
        w->ws_cap = 0;
        st = mc_dsp_workspace_create(plan, seg_len, &w->ws);
        if (st == MC_STATUS_OK) w->ws_cap = seg_len;
    }
    if (st == MC_STATUS_OK) st = grow(&w->seg, &w->seg_cap, (size_t)seg_len);
    if (st == MC_STATUS_OK) st = grow(&w->mel, &w->mel_cap, nm * (size_t)frames);
    if (st == MC_STATUS_OK) st = grow(&w->mfcc, &w->mfcc_cap, nc * (size_t)frames);
    if (st == MC_STATUS_OK) st = grow(&w->stats, &w->stats_cap, (size_t)nseg * 2 * nc);
    if (st == MC_STATUS_OK && out_frames > 0)
        st = grow(&w->logmel, &w->logmel_cap, (size_t)nseg * nm * (size_t)out_frames);
    if (st != MC_STATUS_OK) {
        r->status = st;
        set_reason(r, path, mc_error_message());
        return;
    }
    for (int64_t s = 0; s < nseg; s++) {
        /* Each window is featurised on its own, centred and zero-padded as librosa does when a
         * tool calls it per 3-s segment. */
        mc_audio_segment_copy(x, n, seg_len, s, w->seg);
        st = mc_dsp_mel_power(plan, w->ws, w->seg, seg_len, w->mel);
        if (st != MC_STATUS_OK) break;
        mc_dsp_power_to_db(w->mel, (int64_t)nm * frames, d->ref, d->amin, d->top_db, w->mel);
        mc_dsp_mfcc(plan, w->mel, frames, w->mfcc);
        float *row = w->stats + (size_t)s * 2 * nc; /* (2*n_mfcc) */
        mc_dsp_mfcc_stats(w->mfcc, d->n_mfcc, frames, row);
        for (size_t k = 0; k < 2 * nc; k++) {
            if (!isfinite(row[k])) {
                st = mc_error_set(MC_STATUS_NUMERIC, "%s: non-finite MFCC statistics in segment %lld",
                                  path, (long long)s);
                break;
            }
        }
        if (st != MC_STATUS_OK) break;
        if (out_frames > 0) {
            /* (n_mels, out_frames): crop, or pad with the segment's floor (its minimum dB), which
             * is what silence looks like after power_to_db's top_db clamp. */
            float *dst = w->logmel + (size_t)s * nm * (size_t)out_frames;
            float floor_db = w->mel[0];
            for (size_t k = 1; k < nm * (size_t)frames; k++)
                if (w->mel[k] < floor_db) floor_db = w->mel[k];
            int64_t keep = frames < out_frames ? frames : out_frames;
            for (size_t m = 0; m < nm; m++) {
                memcpy(dst + m * (size_t)out_frames, w->mel + m * (size_t)frames,
                       (size_t)keep * sizeof(float));
                for (int64_t t = keep; t < out_frames; t++) dst[m * (size_t)out_frames + (size_t)t] = floor_db;
            }
        }
    }
    if (st != MC_STATUS_OK) {
        r->status = st;
        set_reason(r, path, mc_error_message());
        return;
    }
    r->status = MC_STATUS_OK;
    r->n = n;
    r->nseg = nseg;
    r->padded = padded;
}

/* ------------------------------------------------------------------ output */

typedef struct store_out {
    char *dir;
    FILE *index, *tracks, *skipped;
    char *index_tmp, *tracks_tmp, *skipped_tmp;
    mc_npy_writer *stats, *logmel;
    mc_status io; /* first write error */
} store_out;

static char *path_join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static char *tmp_name(const char *path) {
    size_t n = strlen(path) + 32;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s.tmp.%ld", path, (long)getpid());
    return p;
}

static mc_status open_tmp(const char *dir, const char *name, FILE **f, char **tmp) {
    char *final = path_join(dir, name);
    *tmp = final ? tmp_name(final) : NULL;
    free(final);
    if (!*tmp) return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
    *f = fopen(*tmp, "w");
    if (!*f) return mc_error_set(MC_STATUS_IO, "%s: cannot create: %s", *tmp, strerror(errno));
    return MC_STATUS_OK;
}

static mc_status close_rename(const char *dir, const char *name, FILE **f, char **tmp, bool keep) {
    mc_status st = MC_STATUS_OK;
    if (*f) {
        if (ferror(*f) || fclose(*f) != 0)
            st = mc_error_set(MC_STATUS_IO, "%s: write failed (disk full?)", *tmp);
        *f = NULL;
    }
    if (*tmp) {
        if (keep && st == MC_STATUS_OK) {
            char *final = path_join(dir, name);
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

static void write_skip(store_out *o, const char *path, const char *reason) {
    mc_csv_write_field(o->skipped, path, '\t');
    fputc('\t', o->skipped);
    mc_csv_write_field(o->skipped, reason, '\t');
    fputc('\n', o->skipped);
    mc_log(MC_LOG_LEVEL_WARN, "skipped %s: %s", path, reason);
}

/* ------------------------------------------------------------------ the run */

mc_status mc_data_extract(const mc_extract_config *cfg, const char *const *inputs, int n_inputs,
                          const char *outdir, mc_progress *progress, mc_extract_summary *summary) {
    double t0 = now_s();
    mc_extract_summary sum = {0};
    if (summary) *summary = sum;
    if (!cfg || !inputs || n_inputs <= 0 || !outdir)
        return mc_error_set(MC_STATUS_INVALID_ARG, "extract: no input files or folders given");
    mc_status st = mc_dsp_config_validate(&cfg->dsp);
    if (st != MC_STATUS_OK) return st;
    if (!(cfg->segment_s >= 0) || cfg->segment_s > 3600)
        return mc_error_set(MC_STATUS_INVALID_ARG, "--segment must be between 0 and 3600 seconds");
    if (cfg->segment_s > 0 && llround(cfg->segment_s * cfg->dsp.sr) < cfg->dsp.n_fft / 2 + 1)
        return mc_error_set(MC_STATUS_INVALID_ARG,
                            "--segment %.3g s is shorter than half an FFT window (%d samples)",
                            cfg->segment_s, cfg->dsp.n_fft / 2 + 1);
    if (cfg->logmel_frames < 0)
        return mc_error_set(MC_STATUS_INVALID_ARG, "--frames must be >= 0");

    meta_index meta = {0};
    bool have_meta = cfg->metadata && cfg->metadata[0];
    if (have_meta) {
        st = meta_load(cfg->metadata, cfg->id_column ? cfg->id_column : "track_id", &meta);
        if (st != MC_STATUS_OK) return st;
    }
    /* The folder name becomes a label column unless the metadata already has a column of that name. */
    bool folder_col = cfg->folder_label && cfg->folder_label[0] &&
                      !(have_meta && mc_table_column(&meta.table, cfg->folder_label) >= 0);

    mc_path_list files = {0}, bad = {0};
    st = mc_data_scan(inputs, n_inputs, &files, &bad, &sum.ignored);
    if (st != MC_STATUS_OK) {
        meta_free(&meta);
        return st;
    }
    sum.files = (int64_t)files.n;
    mc_progress_set_total(progress, sum.files);

    st = mc_mkdirs(outdir);
    if (st != MC_STATUS_OK) {
        meta_free(&meta);
        mc_path_list_free(&files);
        mc_path_list_free(&bad);
        return st;
    }

    const mc_dsp_config *d = &cfg->dsp;
    int64_t seg_len = cfg->segment_s > 0 ? (int64_t)llround(cfg->segment_s * d->sr) : 0;
    int out_frames = cfg->segment_s > 0 ? (int)mc_dsp_frame_count(d, seg_len) : cfg->logmel_frames;

    store_out o = {0};
    o.dir = (char *)outdir;
    mc_dsp_plan *plan = NULL;
    int nt = mc_threads_resolve(cfg->threads);
    worker *workers = calloc((size_t)nt, sizeof *workers);
    char (*stems)[256] = calloc(files.n ? files.n : 1, sizeof *stems);
    int64_t *meta_row = calloc(files.n ? files.n : 1, sizeof *meta_row);
    if (!workers || !stems || !meta_row) st = mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
    if (st == MC_STATUS_OK) st = mc_dsp_plan_create(d, &plan);
    for (int t = 0; st == MC_STATUS_OK && t < nt; t++)
        st = mc_audio_loader_create(d->sr, &workers[t].loader);
    if (st == MC_STATUS_OK) st = open_tmp(outdir, "index.tsv", &o.index, &o.index_tmp);
    if (st == MC_STATUS_OK) st = open_tmp(outdir, "tracks.tsv", &o.tracks, &o.tracks_tmp);
    if (st == MC_STATUS_OK) st = open_tmp(outdir, "skipped.tsv", &o.skipped, &o.skipped_tmp);
    char *stats_path = path_join(outdir, "mfcc_stats.npy");
    char *logmel_path = path_join(outdir, "logmel.npy");
    if (st == MC_STATUS_OK) {
        int64_t row_shape[1] = {2 * (int64_t)d->n_mfcc};
        st = mc_npy_writer_open(stats_path, MC_DTYPE_F32, 1, row_shape, &o.stats);
    }
    if (st == MC_STATUS_OK && out_frames > 0) {
        int64_t row_shape[2] = {d->n_mels, out_frames};
        st = mc_npy_writer_open(logmel_path, MC_DTYPE_F32, 2, row_shape, &o.logmel);
    }

    if (st == MC_STATUS_OK) {
        /* Headers. Label columns: the folder name, then the metadata's short columns. */
        fputs("segment\ttrack\tpath\tstart_s\tpadded", o.index);
        fputs("track\ttrack_id\tpath\tduration_s\tsample_rate\tchannels\tformat\tsegments", o.tracks);
        FILE *hs[2] = {o.index, o.tracks};
        for (int h = 0; h < 2; h++) {
            if (folder_col) { fputc('\t', hs[h]); mc_csv_write_field(hs[h], cfg->folder_label, '\t'); }
            for (int k = 0; k < meta.nlabels; k++) {
                fputc('\t', hs[h]);
                mc_csv_write_field(hs[h], meta.table.header[meta.label_cols[k]], '\t');
            }
            fputc('\n', hs[h]);
        }
        fputs("path\treason\n", o.skipped);
        for (size_t i = 0; i < bad.n; i++) {
            char *tab = strchr(bad.items[i], '\t');
            if (tab) *tab = '\0';
            write_skip(&o, bad.items[i], tab ? tab + 1 : "cannot read");
        }
        for (size_t i = 0; i < files.n; i++) {
            mc_data_file_stem(files.items[i], stems[i], sizeof stems[i]);
            meta_row[i] = have_meta ? meta_find(&meta, stems[i]) : -1;
            if (meta_row[i] >= 0) meta.used[meta_row[i]] = true;
        }
    }

    int64_t seg_counter = 0, track_counter = 0;
    atomic_int fatal = st != MC_STATUS_OK;
    mc_status fatal_status = st;
    char fatal_msg[1024] = "";

    if (!fatal && files.n > 0) {
        int64_t nfiles = (int64_t)files.n;
#pragma omp parallel for ordered schedule(dynamic, 1) num_threads(nt)
        for (int64_t i = 0; i < nfiles; i++) {
            worker *w = &workers[omp_get_thread_num()];
            track_result r;
            bool unmatched = have_meta && meta_row[i] < 0 && !cfg->keep_unmatched;
            if (!fatal && !unmatched) {
                process_file(cfg, plan, w, files.items[i], out_frames, &r);
            } else {
                memset(&r, 0, sizeof r);
                r.status = MC_STATUS_INVALID_ARG;
                snprintf(r.reason, sizeof r.reason, "no row in %s with %s = '%s'",
                         cfg->metadata ? cfg->metadata : "", cfg->id_column, stems[i]);
            }
#pragma omp ordered
            {
                if (!fatal) {
                    const char *path = files.items[i];
                    if (r.status != MC_STATUS_OK) {
                        write_skip(&o, path, r.reason);
                        sum.skipped++;
                    } else {
                        mc_status ws = mc_npy_writer_append(o.stats, w->stats, r.nseg);
                        if (ws == MC_STATUS_OK && o.logmel)
                            ws = mc_npy_writer_append(o.logmel, w->logmel, r.nseg);
                        if (ws != MC_STATUS_OK) {
                            fatal = 1;
                            fatal_status = ws;
                            snprintf(fatal_msg, sizeof fatal_msg, "%s", mc_error_message());
                        } else {
                            char folder[256];
                            mc_data_parent_name(path, folder, sizeof folder);
                            int64_t mrow = meta_row[i];
                            /* Label cells of this track, shared by its rows in both tables. */
                            for (int64_t s = 0; s < r.nseg; s++) {
                                double start = seg_len > 0 ? (double)(s * seg_len) / d->sr : 0.0;
                                fprintf(o.index, "%lld\t%lld\t", (long long)(seg_counter + s),
                                        (long long)track_counter);
                                mc_csv_write_field(o.index, path, '\t');
                                fprintf(o.index, "\t%.6g\t%d", start, r.padded ? 1 : 0);
                                if (folder_col) { fputc('\t', o.index); mc_csv_write_field(o.index, folder, '\t'); }
                                for (int k = 0; k < meta.nlabels; k++) {
                                    fputc('\t', o.index);
                                    mc_csv_write_field(o.index, mrow >= 0 ? mc_table_get(&meta.table, mrow, meta.label_cols[k]) : "", '\t');
                                }
                                fputc('\n', o.index);
                            }
                            fprintf(o.tracks, "%lld\t", (long long)track_counter);
                            mc_csv_write_field(o.tracks, stems[i], '\t');
                            fputc('\t', o.tracks);
                            mc_csv_write_field(o.tracks, path, '\t');
                            fprintf(o.tracks, "\t%.6f\t%d\t%d\t%s\t%lld",
                                    (double)r.n / d->sr, r.info.sample_rate, r.info.channels,
                                    r.info.format, (long long)r.nseg);
                            if (folder_col) { fputc('\t', o.tracks); mc_csv_write_field(o.tracks, folder, '\t'); }
                            for (int k = 0; k < meta.nlabels; k++) {
                                fputc('\t', o.tracks);
                                mc_csv_write_field(o.tracks, mrow >= 0 ? mc_table_get(&meta.table, mrow, meta.label_cols[k]) : "", '\t');
                            }
                            fputc('\n', o.tracks);
                            if (r.padded) {
                                sum.padded++;
                                mc_log(MC_LOG_LEVEL_INFO, "%s: shorter than one %.3g-s window; zero-padded",
                                       path, cfg->segment_s);
                            }
                            seg_counter += r.nseg;
                            track_counter++;
                        }
                    }
                }
                mc_progress_tick(progress, 1);
            }
        }
    }
    if (fatal && st == MC_STATUS_OK) {
        st = fatal_status;
        mc_error_set(st, "%s", fatal_msg);
    }

    /* Metadata rows that no file matched. */
    if (st == MC_STATUS_OK && have_meta) {
        for (int64_t r = 0; r < meta.table.nrows; r++) {
            if (meta.used[r]) continue;
            char reason[600];
            snprintf(reason, sizeof reason, "metadata row %lld (%s = '%s') has no audio file",
                     (long long)r + 1, cfg->id_column, mc_table_get(&meta.table, r, meta.id_col));
            write_skip(&o, cfg->metadata, reason);
            sum.skipped++;
        }
    }
    sum.skipped += (int64_t)bad.n;
    sum.tracks = track_counter;
    sum.segments = seg_counter;

    bool keep = st == MC_STATUS_OK && track_counter > 0;
    mc_status cs;
    /* skipped.tsv is kept even when nothing was extracted: it says why. */
    cs = close_rename(outdir, "skipped.tsv", &o.skipped, &o.skipped_tmp, st == MC_STATUS_OK);
    if (st == MC_STATUS_OK) st = cs;
    cs = close_rename(outdir, "index.tsv", &o.index, &o.index_tmp, keep);
    if (st == MC_STATUS_OK && keep) st = cs;
    cs = close_rename(outdir, "tracks.tsv", &o.tracks, &o.tracks_tmp, keep);
    if (st == MC_STATUS_OK && keep) st = cs;
    if (keep && st == MC_STATUS_OK) {
        st = mc_npy_writer_close(o.stats);
        o.stats = NULL;
        if (o.logmel) {
            cs = mc_npy_writer_close(o.logmel);
            o.logmel = NULL;
            if (st == MC_STATUS_OK) st = cs;
        }
    }
    mc_npy_writer_abort(o.stats);
    mc_npy_writer_abort(o.logmel);

    sum.seconds = now_s() - t0;
    if (keep && st == MC_STATUS_OK) {
        mc_json *j = NULL;
        st = mc_json_create(&j);
        if (st == MC_STATUS_OK) {
            mc_json_begin_object(j);
            mc_json_key(j, "musiclust_version"); mc_json_string(j, mc_version());
            mc_json_key(j, "sr"); mc_json_int(j, d->sr);
            mc_json_key(j, "segment_s"); mc_json_number(j, cfg->segment_s);
            mc_json_key(j, "n_fft"); mc_json_int(j, d->n_fft);
            mc_json_key(j, "hop_length"); mc_json_int(j, d->hop);
            mc_json_key(j, "n_mels"); mc_json_int(j, d->n_mels);
            mc_json_key(j, "fmin"); mc_json_number(j, d->fmin);
            mc_json_key(j, "fmax"); mc_json_number(j, d->fmax > 0 ? d->fmax : d->sr / 2.0);
            mc_json_key(j, "n_mfcc"); mc_json_int(j, d->n_mfcc);
            mc_json_key(j, "top_db"); mc_json_number(j, d->top_db);
            mc_json_key(j, "logmel_frames"); mc_json_int(j, out_frames);
            mc_json_key(j, "metadata"); mc_json_string(j, have_meta ? cfg->metadata : NULL);
            mc_json_key(j, "files"); mc_json_int(j, sum.files);
            mc_json_key(j, "tracks"); mc_json_int(j, sum.tracks);
            mc_json_key(j, "segments"); mc_json_int(j, sum.segments);
            mc_json_key(j, "padded_tracks"); mc_json_int(j, sum.padded);
            mc_json_key(j, "skipped"); mc_json_int(j, sum.skipped);
            mc_json_end_object(j);
            char *jp = path_join(outdir, "extract.json");
            st = jp ? mc_json_write_file(j, jp) : mc_error_set(MC_STATUS_NO_MEMORY, "out of memory");
            free(jp);
            mc_json_free(j);
        }
    }
    if (st == MC_STATUS_OK && track_counter == 0)
        st = mc_error_set(MC_STATUS_EMPTY, "no track could be extracted from %lld file(s); see %s/skipped.tsv",
                          (long long)sum.files, outdir);

    for (int t = 0; workers && t < nt; t++) worker_free(&workers[t]);
    free(workers);
    free(stems);
    free(meta_row);
    free(stats_path);
    free(logmel_path);
    mc_dsp_plan_free(plan);
    meta_free(&meta);
    mc_path_list_free(&files);
    mc_path_list_free(&bad);
    if (summary) *summary = sum;
    return st;
}
