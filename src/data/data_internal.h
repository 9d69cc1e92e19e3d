/* Internal helpers of the data module (not part of the public API). */
#ifndef MC_DATA_INTERNAL_H
#define MC_DATA_INTERNAL_H

#include <musiclust/data.h>

#include <stdio.h>

typedef struct mc_path_list {
    char **items; /* (n) owned strings */
    size_t n, cap;
} mc_path_list;

/* Expand inputs into audio files (sorted per input). Folders that cannot be read go to bad as
 * "path\treason" strings; non-audio names in folders are counted in *ignored. */
mc_status mc_data_scan(const char *const *inputs, int n_inputs, mc_path_list *files,
                       mc_path_list *bad, int64_t *ignored);
void mc_path_list_free(mc_path_list *l);

/* The absolute form of path: relative paths are joined to the current folder, then ".", ".." and
 * repeated '/' are resolved lexically (symbolic links are kept, not resolved, so that a folder reached
 * through a link keeps the link's name as its label). malloc'd; NULL when out of memory or the
 * current folder cannot be read. */
char *mc_data_abs_path(const char *path);

/* File name without folder and last extension. */
void mc_data_file_stem(const char *path, char *out, size_t cap);
/* Name of the folder that holds the file ("" if the path has no folder part). */
void mc_data_parent_name(const char *path, char *out, size_t cap);

/* ------------------------------------------------------------------ text encoding (meta.c) */

/* True if s is valid UTF-8 (a U+FFFD written as its own three bytes counts as valid). */
bool mc_data_utf8_valid(const char *s);
/* s read as Windows-1252 (0x80..0x9F as Windows' code page, the five bytes it leaves undefined as
 * the C1 controls, 0xA0..0xFF as Latin-1) and written as UTF-8. malloc'd; NULL when out of memory. */
char *mc_data_utf8_from_cp1252(const char *s);
/* A malloc'd copy of s that is valid UTF-8: s itself when it is, else its Windows-1252 reading. */
char *mc_data_utf8_dup(const char *s);
/* mc_table_read (delimiter guessed) with every cell and header name that is not valid UTF-8 replaced
 * by its Windows-1252 reading; says so once (INFO) with the count and the first such cell. */
mc_status mc_data_table_read_utf8(const char *path, mc_table *t);

/* ------------------------------------------------------------------ the metadata join (meta.c) */

typedef struct mc_meta_key {
    char *key;   /* the normalised id (see meta.c) */
    int64_t row; /* its first row */
} mc_meta_key;

typedef struct mc_meta {
    mc_table table;     /* the table as read, every cell valid UTF-8 */
    int id_col;
    mc_meta_key *keys;  /* (nkeys) sorted by key, the first row of each id */
    int64_t nkeys;
    int64_t path_keys;  /* keys with a folder part ("blues/blues.00000") */
    int *label_cols;    /* (nlabels) columns that become label columns: short single-line text */
    int nlabels;
} mc_meta;

/* Read path, index the id column (an unknown column is MC_STATUS_FORMAT listing the columns; rows
 * repeating an id: one WARN line, the first row kept). */
mc_status mc_meta_load(const char *path, const char *id_column, mc_meta *m);
void mc_meta_free(mc_meta *m);
/* The row joined to the audio file at path, -1 if none: the path without its name's extension is
 * compared with the normalised ids on whole components from the right, the longest match first, so
 * "blues/blues.00000" joins .../blues/blues.00000.flac only and "blues.00000" joins it in any folder.
 * *with_folder (may be NULL) is set when the matching id had a folder part. */
int64_t mc_meta_find(const mc_meta *m, const char *path, bool *with_folder);
/* The other column that joins the most of paths (n_paths), -1 if none joins any; *matches its count. */
int mc_meta_suggest_column(const mc_meta *m, const char *const *paths, size_t n_paths, int64_t *matches);
/* Up to three non-empty values of column col, quoted, for messages: "'a', 'b', 'c'". */
void mc_meta_examples(const mc_meta *m, int col, char *out, size_t cap);
/* The last n components of a path ("rock/x1.flac" for n = 2), for messages. */
const char *mc_data_last_components(const char *path, int n);
/* Append ", 'x'" to a message of examples in buf (cap bytes); at most 3 are kept (*count counts all). */
void mc_data_add_example(char *buf, size_t cap, int *count, const char *x);
/* extract's join: meta_row[i] (files->n) is the row of every file (-1: none), and the messages about
 * it (issue 14): rows joined to more than one file (the same name in several folders) are logged as a
 * warning; when no file joins, hint (hint_cap bytes) says which values the id column holds, what the
 * files are called and which other column would join. metadata names the table in messages. Returns
 * the files joined. Never fails (an allocation failure only drops the duplicate-row warning). */
int64_t mc_meta_join_files(const mc_meta *m, const char *metadata, const char *id_column, const mc_path_list *files,
                           int64_t *meta_row, char *hint, size_t hint_cap);

/* ------------------------------------------------------------------ extract's output (extract_io.c) */

/* The rows of one track (one row per segment), kept until the track's turn to be written (files are
 * committed in file order). Up to a budget (32 MB shared by the threads, at least 4 MB each) they stay
 * in memory; the rest goes to an unlinked temp file in the output folder, so memory does not grow
 * with a track's length (an hour of 3-s segments is 80 MB of log-mel rows). */
#define MC_EXTRACT_ROW_BUDGET ((size_t)32 << 20) /* bytes of rows in memory, shared by the threads */
#define MC_EXTRACT_ROW_BUDGET_MIN ((size_t)4 << 20) /* ... but at least this much per thread */

typedef struct mc_row_sink {
    size_t row_floats;  /* floats per row */
    size_t max_rows;    /* rows kept in memory at most */
    float *mem;         // (mem_cap, row_floats) the first rows of the track
    size_t mem_cap, mem_rows;
    float *stage;       // (row_floats) a row on its way to the spill file
    FILE *spill;        /* rows after the first max_rows, or NULL */
    int64_t spill_rows;
} mc_row_sink;

void mc_data_sink_free(mc_row_sink *k);
/* Start a track with rows of row_floats floats, at most budget bytes of them in memory. */
void mc_data_sink_reset(mc_row_sink *k, size_t row_floats, size_t budget);
/* A place for the next row (in memory or the staging row); mc_data_sink_push_done after filling it.
 * dir: where the spill file is created (and named in messages). */
mc_status mc_data_sink_row(mc_row_sink *k, const char *dir, float **row);
mc_status mc_data_sink_push_done(mc_row_sink *k, const char *dir);
/* Hand every row to fn in order, in chunks: the memory rows, then the spilled ones read back through
 * the memory buffer (fn may change the rows it is given). The spilled rows are gone afterwards. */
typedef mc_status (*mc_row_sink_fn)(void *user, float *rows, int64_t count);
mc_status mc_data_sink_foreach(mc_row_sink *k, const char *dir, mc_row_sink_fn fn, void *user);
/* Append all rows to w; with col >= 0, rows[., col] = value first (the track's tempo, known only once
 * the track is decoded, in every segment row). */
mc_status mc_data_sink_write(mc_row_sink *k, mc_npy_writer *w, const char *dir, int64_t col, float value);
/* dir/name written as dir/name.tmp.<pid> (*f, *tmp malloc'd); mc_data_close_rename closes it and renames
 * it into place when keep (else removes it), and frees *tmp. */
mc_status mc_data_open_tmp(const char *dir, const char *name, FILE **f, char **tmp);
mc_status mc_data_close_rename(const char *dir, const char *name, FILE **f, char **tmp, bool keep);

#endif
