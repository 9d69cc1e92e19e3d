/* musiclust core: status codes and error messages, allocation, the seeded RNG, threads, logging and
 * progress, and the file formats every other module speaks (.npy, CSV/TSV, JSON).
 *
 * The library never prints to stdout and never exits. Functions that can fail return mc_status; on
 * failure they leave a one-line, human-readable message (naming the file and what was wrong) that the
 * caller reads with mc_error_message() on the same thread. */
#ifndef MUSICLUST_CORE_H
#define MUSICLUST_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- status and errors */

typedef enum mc_status {
    MC_STATUS_OK = 0,
    MC_STATUS_INVALID_ARG,  /* an argument or option value is out of range */
    MC_STATUS_NO_MEMORY,    /* allocation failed or a size overflowed */
    MC_STATUS_IO,           /* open/read/write/rename failed */
    MC_STATUS_FORMAT,       /* file content is malformed */
    MC_STATUS_UNSUPPORTED,  /* well-formed but not something we handle (dtype, Fortran order...) */
    MC_STATUS_NUMERIC,      /* NaN/Inf in data, divergence */
    MC_STATUS_EMPTY         /* nothing to work on (no rows, no audio) */
} mc_status;

/* Short stable name of a status, e.g. "format". */
const char *mc_status_name(mc_status s);

/* Record a printf-style message for the calling thread and return `s` (so `return mc_error_set(...)`).
 * The message should name the file and say what was wrong: "x.npy: header is not a Python dict". */
mc_status mc_error_set(mc_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* The last message recorded on this thread ("" when none). */
const char *mc_error_message(void);
/* Forget the message of this thread. */
void mc_error_clear(void);

/* ---------------------------------------------------------------- allocation */

/* Out-of-memory messages name the call site. mc_alloc, mc_calloc, mc_realloc, mc_strdup and
 * mc_sprintf are function-like macros that pass the calling function (__func__) and the spelling of
 * their arguments to the _at variants below, so that every failed allocation leaves the one-line
 * message
 *     "out of memory allocating WHAT in FUNC() at FILE:LINE: N x SIZE = BYTES bytes"
 * where WHAT is the buffer when the size argument names it (`sizeof *centres`, `sizeof(*x)`,
 * `sizeof x[0]` -> "centres", "x") and otherwise the two argument expressions ("n_frames x
 * sizeof(float)"); a size product past SIZE_MAX reads "... N x SIZE bytes overflows size_t".
 * mc_strdup says "out of memory copying WHAT in FUNC() at FILE:LINE: BYTES bytes", mc_sprintf
 * "out of memory formatting \"FORMAT\" in FUNC() at FILE:LINE: BYTES bytes" (FILE from the last "src/"
 * or "tests/" of __FILE__ on). A caller may therefore return MC_STATUS_NO_MEMORY at
 * once after any of them failed; where the argument spelling says nothing (`mc_alloc(cap, 1)`), the
 * caller names the buffer with mc_error_nomem. The functions themselves keep their plain names in
 * the library (for bindings, function pointers and code that #undefs the macros): calling them
 * without the macro gives the same message with WHAT "a buffer" and no FUNC or FILE. None of them ever
 * prints or exits; the message is per thread. */

/* Zeroed, 64-byte aligned allocation of n * size bytes; NULL on overflow or failure (message set).
 * Release with mc_free. */
void *mc_alloc(size_t n, size_t size);
void mc_free(void *p);
/* calloc / realloc of n * size bytes for memory released with free(): NULL on overflow or failure,
 * with the message above set. mc_calloc zeroes; n or size 0 allocates one byte (never NULL for
 * success). mc_realloc keeps p valid on failure. */
void *mc_calloc(size_t n, size_t size);
void *mc_realloc(void *p, size_t n, size_t size);
/* After a failed mc_alloc / mc_calloc / mc_realloc / mc_strdup / mc_sprintf on this thread: the
 * message becomes the formatted text (it says what was being allocated, e.g. "out of memory
 * allocating the k-means centres") followed by " (N bytes)", N the size of that failed request (left
 * out when the failure was not one of those allocators); returns MC_STATUS_NO_MEMORY. */
mc_status mc_error_nomem(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* strdup that sets the error message on failure; NULL in -> NULL out. */
char *mc_strdup(const char *s);
/* printf into a malloc'd string (free with free()); NULL with the message set on failure. */
char *mc_sprintf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* The allocators with the call site spelled out: what_n / what_size are the argument expressions as
 * written, func the calling function, file "FILE:LINE" of the call (each may be NULL). Same results
 * and contracts as above; only the failure message differs. Normally reached through the macros. */
void *mc_alloc_at(size_t n, size_t size, const char *what_n, const char *what_size, const char *func,
                  const char *file);
void *mc_calloc_at(size_t n, size_t size, const char *what_n, const char *what_size, const char *func,
                   const char *file);
void *mc_realloc_at(void *p, size_t n, size_t size, const char *what_n, const char *what_size, const char *func,
                    const char *file);
char *mc_strdup_at(const char *s, const char *what, const char *func, const char *file);
char *mc_sprintf_at(const char *func, const char *file, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#define MC_ALLOC_STR_(x) #x
#define MC_ALLOC_STR(x) MC_ALLOC_STR_(x)
#define MC_ALLOC_FILE __FILE__ ":" MC_ALLOC_STR(__LINE__)
#define mc_alloc(n, size) mc_alloc_at((n), (size), #n, #size, __func__, MC_ALLOC_FILE)
#define mc_calloc(n, size) mc_calloc_at((n), (size), #n, #size, __func__, MC_ALLOC_FILE)
#define mc_realloc(p, n, size) mc_realloc_at((p), (n), (size), #n, #size, __func__, MC_ALLOC_FILE)
#define mc_strdup(s) mc_strdup_at((s), #s, __func__, MC_ALLOC_FILE)
#define mc_sprintf(...) mc_sprintf_at(__func__, MC_ALLOC_FILE, __VA_ARGS__)

/* ---------------------------------------------------------------- clock */

/* Seconds on the monotonic clock (CLOCK_MONOTONIC): for durations only, never for dates. */
double mc_clock_seconds(void);

/* ---------------------------------------------------------------- RNG */

/* xoshiro256** seeded through splitmix64 from (seed, stream): independent streams per purpose or per
 * thread, all reproducible from one user seed. The whole state lives in the struct: copying it
 * snapshots the generator (used for checkpoints). */
typedef struct mc_rng {
    uint64_t s[4];
    double spare_normal; /* second Box-Muller variate, valid when has_spare */
    int has_spare;
} mc_rng;

void mc_rng_seed(mc_rng *r, uint64_t seed, uint64_t stream);
uint64_t mc_rng_next(mc_rng *r);
/* Uniform on [0, 1) with 53 random bits. */
double mc_rng_uniform(mc_rng *r);
/* Standard normal (Box-Muller, caching the second variate). */
double mc_rng_normal(mc_rng *r);
/* Uniform integer on [0, n), unbiased; n > 0. */
uint64_t mc_rng_below(mc_rng *r, uint64_t n);
/* Fisher-Yates shuffle of idx[0..n). */
void mc_rng_shuffle(mc_rng *r, int64_t *idx, size_t n);

/* ---------------------------------------------------------------- threads */

/* Number of cores available to this process (>= 1). */
int mc_threads_available(void);
/* Resolve a user's --threads value: n <= 0 means all cores. Also sets the OpenMP default. */
int mc_threads_resolve(int n);

/* OpenBLAS's own thread pool. Every BLAS/LAPACK call of the library runs with OpenBLAS
 * single-threaded: OpenBLAS splits a product by its thread count, and its kernels (Haswell's, for
 * one) round edge tiles differently from full ones, so the last bits would follow the thread count.
 * The library splits parallel work itself, into blocks whose shapes depend only on the problem.
 * mc_threads_blas_serial_begin sets OpenBLAS to one thread and returns the previous count; pass it to
 * mc_threads_blas_serial_end to give a host program (numpy sharing the same OpenBLAS) its setting
 * back. Cheap when nothing changes. */
int mc_threads_blas_serial_begin(void);
void mc_threads_blas_serial_end(int prev);

/* ---------------------------------------------------------------- logging */

typedef enum mc_log_level {
    MC_LOG_LEVEL_DEBUG = 0,
    MC_LOG_LEVEL_INFO,
    MC_LOG_LEVEL_WARN,
    MC_LOG_LEVEL_ERROR
} mc_log_level;

/* The library reports through this handler only; with none installed (the default) it is silent.
 * The handler may be called from several threads at once; the message has no trailing newline. */
typedef void (*mc_log_fn)(mc_log_level level, const char *msg, void *user);
void mc_log_set_handler(mc_log_fn fn, void *user);
void mc_log(mc_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* ---------------------------------------------------------------- progress */

/* A progress bar the caller creates (the CLI decides the stream, whether it is a terminal and
 * --quiet) and the library advances. On a terminal it redraws one line with \r (at most every
 * 100 ms); otherwise it writes a plain line every 10% or 10 s. A NULL stream or a NULL mc_progress*
 * makes every call a no-op. Ticking is thread-safe. */
typedef struct mc_progress mc_progress;
mc_status mc_progress_create(FILE *stream, bool is_tty, const char *label, int64_t total,
                             mc_progress **out);
void mc_progress_tick(mc_progress *p, int64_t n);
/* Set the total once it is known (e.g. after scanning folders); <= 0 = unknown. */
void mc_progress_set_total(mc_progress *p, int64_t total);
/* Replace the short note shown after the counts (e.g. "loss 12.3"); copied. */
void mc_progress_note(mc_progress *p, const char *note);
/* Final line (100%, elapsed time); the bar stays usable for nothing else after this. */
void mc_progress_finish(mc_progress *p);
void mc_progress_free(mc_progress *p);

/* ---------------------------------------------------------------- .npy arrays */

typedef enum mc_dtype {
    MC_DTYPE_F32 = 0, /* '<f4' */
    MC_DTYPE_F64,     /* '<f8' */
    MC_DTYPE_F16,     /* '<f2' */
    MC_DTYPE_I32,     /* '<i4' */
    MC_DTYPE_I64      /* '<i8' */
} mc_dtype;

#define MC_NPY_MAX_DIMS 8

/* An n-dimensional C-order array; data is owned (mc_alloc) and released by mc_array_free. A mapped
 * array (mc_npy_map: map_base non-NULL) points into a read-only memory map of its file instead: its
 * data must not be written, and mc_array_free unmaps it. */
typedef struct mc_array {
    mc_dtype dtype;
    int ndim;
    int64_t shape[MC_NPY_MAX_DIMS];
    void *data;
    void *map_base; /* NULL, or the start of the mapping (the .npy file from byte 0) */
    size_t map_len; /* bytes mapped */
} mc_array;

size_t mc_dtype_size(mc_dtype t);
const char *mc_dtype_name(mc_dtype t); /* "float32", ... */
int64_t mc_array_count(const mc_array *a); /* product of shape (1 for ndim 0) */
void mc_array_free(mc_array *a);            /* frees data and zeroes the struct; NULL ok */
/* A memory-mapped array (mc_npy_map): hand the resident pages of bytes [p, p + bytes) back to the kernel
 * (madvise MADV_DONTNEED on the 2 MiB-aligned windows that the range touches, since a fault maps whole
 * page-cache folios and their neighbours; the pages stay in the page cache, and a
 * later read faults them in again with the same contents), so that one pass over a store larger than
 * memory does not leave all of it in this process's resident set (issue 11: peak RSS must not grow with
 * the store). A hint: nothing happens for an array in memory (map_base NULL), a NULL a, or a range
 * outside the mapping (clipped to it); never fails, never allocates. */
void mc_array_release(const mc_array *a, const void *p, size_t bytes);

/* IEEE half <-> single, round to nearest even. */
float mc_f16_to_f32(uint16_t h);
uint16_t mc_f32_to_f16(float f);

/* Read a .npy file (format versions 1.0, 2.0 and 3.0; little- or big-endian, converted to native)
 * in its stored dtype. Fortran order, object arrays, unknown dtypes and malformed headers are
 * rejected with a message naming the file and the problem. */
mc_status mc_npy_read(const char *path, mc_array *out);
/* Read any supported dtype and convert to float32. */
mc_status mc_npy_read_f32(const char *path, mc_array *out);
/* The array of a .npy file memory-mapped read-only, for arrays larger than memory: pages are read on
 * first touch and belong to the page cache, so a pass over the array does not grow the process's
 * anonymous memory. The same dtype, shape and values as mc_npy_read; mapped when the stored bytes
 * are already the returned array (host byte order, no widening) and the file is regular and
 * non-empty, otherwise read into memory exactly as mc_npy_read (map_base then NULL). The data is
 * read-only either way for the caller's purposes; changing the file while it is mapped changes the
 * array. Free with mc_array_free. */
mc_status mc_npy_map(const char *path, mc_array *out);
/* Write a whole array (version 1.0 header unless it needs 2.0). Written to a temp file and renamed. */
mc_status mc_npy_write(const char *path, mc_dtype dtype, int ndim, const int64_t *shape,
                       const void *data);

/* Streaming writer: rows of shape row_shape (row_ndim dims, may be 0 for scalars) are appended; the
 * header reserves room for any row count and is rewritten with the true count on close, so a corpus
 * never has to be held in memory. The file appears at `path` only when close succeeds. */
typedef struct mc_npy_writer mc_npy_writer;
mc_status mc_npy_writer_open(const char *path, mc_dtype dtype, int row_ndim,
                             const int64_t *row_shape, mc_npy_writer **out);
mc_status mc_npy_writer_append(mc_npy_writer *w, const void *rows, int64_t nrows);
int64_t mc_npy_writer_rows(const mc_npy_writer *w);
/* Fix the header, close, rename into place and free w (also on error). */
mc_status mc_npy_writer_close(mc_npy_writer *w);
/* Discard: remove the temp file and free w. NULL ok. */
void mc_npy_writer_abort(mc_npy_writer *w);

/* ---------------------------------------------------------------- CSV / TSV tables */

/* A whole table in memory: a header row and nrows x ncols cells, each a NUL-terminated UTF-8 string
 * (never NULL; "" for an empty or missing field). Read cells with mc_table_get: a short row stores
 * only the fields it has (no padding), so memory grows with the file, not with nrows x ncols. */
typedef struct mc_table {
    int64_t nrows;
    int ncols;
    char **header;      /* (ncols), pointing into text */
    char **cells;       /* (row_start[nrows]) the stored fields, row after row, pointing into text */
    int64_t *row_start; /* (nrows + 1) index in cells of each row's first field */
    char *text;         /* the file's bytes, unquoted in place: owns every string above */
} mc_table;

/* Read CSV or TSV: first line is the header; RFC 4180 quoting (quoted fields may hold the delimiter,
 * newlines and doubled quotes); UTF-8 BOM skipped; LF or CRLF line ends; blank lines skipped. delim 0
 * picks tab for *.tsv / *.tab or when the header line has a tab, else comma. A row with fewer fields
 * is padded with ""; a row with more fields than the header, or an unterminated quote, is a format
 * error naming the file and line. */
mc_status mc_table_read(const char *path, char delim, mc_table *out);
/* Column index by exact header name, -1 if absent. */
int mc_table_column(const mc_table *t, const char *name);
const char *mc_table_get(const mc_table *t, int64_t row, int col);
void mc_table_free(mc_table *t); /* NULL ok; zeroes the struct */

/* Write one field, quoting it RFC 4180 style only when it contains delim, '"', CR or LF. */
void mc_csv_write_field(FILE *f, const char *s, char delim);

/* ---------------------------------------------------------------- JSON writer */

/* Builds pretty-printed JSON (2-space indent) in memory. Commas and nesting are handled by the
 * writer; misuse (a value where a key is due, unbalanced end) makes mc_json_text() return NULL and
 * the write functions return MC_STATUS_INVALID_ARG. Non-finite numbers are written as null. */
typedef struct mc_json mc_json;
mc_status mc_json_create(mc_json **out);
void mc_json_free(mc_json *j);
void mc_json_begin_object(mc_json *j);
void mc_json_end_object(mc_json *j);
void mc_json_begin_array(mc_json *j);
void mc_json_end_array(mc_json *j);
void mc_json_key(mc_json *j, const char *key); /* inside an object, before each value */
void mc_json_string(mc_json *j, const char *s); /* escaped; NULL writes null */
void mc_json_number(mc_json *j, double v);      /* shortest round-trip form ("%.17g" trimmed) */
void mc_json_int(mc_json *j, int64_t v);
void mc_json_bool(mc_json *j, bool v);
void mc_json_null(mc_json *j);
/* The complete document, or NULL if it is unbalanced or was misused. */
const char *mc_json_text(const mc_json *j);
/* Write the document to path atomically (temp file + rename). */
mc_status mc_json_write_file(const mc_json *j, const char *path);

/* ---------------------------------------------------------------- JSON reader */

/* A parsed RFC 8259 document: objects, arrays, strings (\uXXXX escapes, surrogate pairs included),
 * numbers (their text is kept, so that 64-bit integers survive), true, false, null. Nesting is
 * limited to 32 levels. Used for the metadata of model files and for a feature store's
 * extract.json. */
typedef enum mc_json_type {
    MC_JSON_NULL = 0,
    MC_JSON_BOOL,
    MC_JSON_NUMBER,
    MC_JSON_STRING,
    MC_JSON_ARRAY,
    MC_JSON_OBJECT
} mc_json_type;

typedef struct mc_json_value {
    mc_json_type type;
    double num;                   /* number, or 0/1 for a bool */
    char *str;                    /* string value, or a number's text */
    int n;                        /* array / object size */
    struct mc_json_value **items; /* (n) */
    char **keys;                  /* (n) object keys */
} mc_json_value;

/* Parse a whole NUL-terminated document; NULL with *err (static text) set on failure. Does not set
 * the error message: the caller names the file. Free with mc_json_value_free (NULL ok). */
mc_json_value *mc_json_parse(const char *text, const char **err);
void mc_json_value_free(mc_json_value *v);
/* The member `key` of an object (the first one if repeated), or NULL (also for a non-object). */
const mc_json_value *mc_json_member(const mc_json_value *obj, const char *key);
/* 1 and *out set when v is a number written as an integer that fits int64 (exactly, from its text). */
int mc_json_int_value(const mc_json_value *v, int64_t *out);

/* ---------------------------------------------------------------- safetensors */

/* The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON
 * header {"__metadata__": {str: str}, NAME: {"dtype": "F32", "shape": [...], "data_offsets": [b, e]}},
 * then the tensors' bytes (little-endian, C order). Used for model files, so that
 * `safetensors.numpy.load_file` opens them in Python. */
typedef struct mc_tensor_entry {
    const char *name;
    mc_dtype dtype;
    int ndim;
    int64_t shape[MC_NPY_MAX_DIMS];
    const void *data; /* (prod(shape)) elements of dtype */
} mc_tensor_entry;

/* Write entries (names unique) and string metadata pairs atomically (temp file + rename). */
mc_status mc_safetensors_write(const char *path, const mc_tensor_entry *entries, int n,
                               const char *const *meta_keys, const char *const *meta_values,
                               int n_meta);

/* A whole file read into memory; entries point into it. */
typedef struct mc_safetensors mc_safetensors;
/* Validates the header (JSON syntax, known dtypes, offsets inside the data and matching the shapes)
 * and reports a message naming the file and the problem. */
mc_status mc_safetensors_read(const char *path, mc_safetensors **out);
int mc_safetensors_count(const mc_safetensors *f);
const mc_tensor_entry *mc_safetensors_at(const mc_safetensors *f, int i);
/* The tensor called name, or NULL. */
const mc_tensor_entry *mc_safetensors_find(const mc_safetensors *f, const char *name);
/* A __metadata__ value, or NULL. */
const char *mc_safetensors_meta(const mc_safetensors *f, const char *key);
void mc_safetensors_free(mc_safetensors *f);

/* ---------------------------------------------------------------- files */

/* Write `len` bytes to path through path.tmp.<pid> + rename. */
mc_status mc_file_write_atomic(const char *path, const void *data, size_t len);
/* mkdir -p; ok if it exists. */
mc_status mc_mkdirs(const char *path);

/* The temporary name a file is written under before it is renamed into place: "<path>.tmp.<pid>"
 * (the pid keeps two processes writing one output from clobbering each other's temp files).
 * Returns a malloc'd string (free with free) or NULL with the message set. */
char *mc_file_tmp_path(const char *path);
/* Open mc_file_tmp_path(path) for writing ("wb"): *f and *tmp (free()) on success; on failure both
 * NULL and a message naming the file and the reason. Finish with mc_file_commit or mc_file_abort. */
mc_status mc_file_open_tmp(const char *path, FILE **f, char **tmp);
/* Finish a file written to `tmp`: fflush, fsync and fclose `f` (checking all three: a full disk
 * shows up here), then rename `tmp` onto `path`. On any failure the temp file is removed and the
 * message names `path` and the system's reason (e.g. "No space left on device"). `f` is closed in
 * all cases; tmp is not freed. */
mc_status mc_file_commit(FILE *f, const char *tmp, const char *path);
/* Close f (may be NULL) and remove tmp (may be NULL) after a failure; never touches path. */
void mc_file_abort(FILE *f, const char *tmp);
/* Write exactly len bytes or set an I/O message naming `path` and the system's reason. */
mc_status mc_file_write_all(FILE *f, const void *data, size_t len, const char *path);

/* Discard every write of this process from now on (on = true) or write again (false); returns the
 * previous setting. For the ranks of a process group that compute what rank 0 writes (`run` over
 * mpirun ranks, pipeline.h): while on, the writers above (mc_file_open_tmp / _commit / _abort,
 * mc_file_write_atomic, mc_memfile_commit, the npy, JSON and safetensors writers, mc_audio_write)
 * write to /dev/null and return success without creating, renaming or removing any file (mc_mkdirs
 * still creates folders; locks are not affected). Set it from the main thread only, and never while a
 * file opened by these writers is still open. Off by default. */
bool mc_file_discard_writes(bool on);
bool mc_file_writes_discarded(void);

/* An exclusive lock on an output (a results folder, a feature store, a model file), so that two
 * processes never write one output. The lock file (e.g. RESULTS/.musiclust.lock) holds "PID HOST"
 * of the holder and an flock(2) lock the kernel drops when the holder dies, however it dies.
 * - held by a live process: MC_STATUS_IO at once, the message naming the lock file, pid and host;
 * - left by a dead process on this host (kill -9, power loss): taken over, said in the log (warning);
 * - left on another host (a shared file system) and not locked: refused too, the message says to
 *   remove the file when no process on that host writes there.
 * `what` names the output in messages ("results folder RESULTS"). Release with mc_lock_release
 * (removes the file; NULL is fine). Never blocks. */
typedef struct mc_lock mc_lock;
/* Remove the temp files ("NAME.tmp.PID", mc_file_tmp_path) that writers killed mid-file left in dir
 * and its sub-folders down to `depth` levels. Call only while holding the output's mc_lock (no live
 * writer then has a temp file there). Returns how many were removed; errors are ignored. */
int64_t mc_file_remove_stale_tmp(const char *dir, int depth);
mc_status mc_lock_acquire(const char *lock_path, const char *what, mc_lock **out);
void mc_lock_release(mc_lock *l);

/* A text file composed in memory, then written atomically: mc_memfile_open, fprintf to m->f, then
 * mc_memfile_commit (closes, writes the bytes to path with mc_file_write_atomic, frees) or
 * mc_memfile_take (closes and hands the NUL-terminated bytes over: free()). Both free everything also
 * on failure; an out-of-memory failure names `what`. */
typedef struct mc_memfile {
    FILE *f;
    char *buf;
    size_t len;
} mc_memfile;
mc_status mc_memfile_open(mc_memfile *m, const char *what);
/* path NULL (its allocation failed, message set): the text is discarded, MC_STATUS_NO_MEMORY. */
mc_status mc_memfile_commit(mc_memfile *m, const char *path);
mc_status mc_memfile_take(mc_memfile *m, const char *what, char **buf, size_t *len);

/* Library version string, e.g. "0.1.0". */
const char *mc_version(void);

/* A library a module runs on and its version string (each module's mc_<module>_versions). */
typedef struct mc_library_version {
    const char *library; /* "sndfile", "soxr", "fftw", "openblas", "cairo" */
    const char *version;
} mc_library_version;

#ifdef __cplusplus
}
#endif
#endif
