/* Helpers shared by the files of src/core; not part of the public API. */
#ifndef MUSICLUST_CORE_INTERNAL_H
#define MUSICLUST_CORE_INTERNAL_H

#include <musiclust/core.h>

/* The temporary name a file is written under before it is renamed into place: "<path>.tmp.<pid>".
 * The pid keeps two processes writing the same output from clobbering each other's temp files.
 * Returns a malloc'd string (free with free) or NULL with the message set. */
char *mc_file_tmp_path(const char *path);

/* Finish a file written to `tmp`: flush and close `f` (checking both), then rename `tmp` onto `path`.
 * On any failure the temp file is removed and the message names `path`. `f` is closed in all cases. */
mc_status mc_file_commit(FILE *f, const char *tmp, const char *path);
/* a[0..alen) then b[0..blen) written to path atomically (a temp file renamed into place). */
mc_status mc_file_write_atomic_parts(const char *path, const void *a, size_t alen, const void *b, size_t blen);

/* Write exactly len bytes or set an I/O message naming `path`. */
mc_status mc_file_write_all(FILE *f, const void *data, size_t len, const char *path);

#endif
