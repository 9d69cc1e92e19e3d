/* Helpers shared by the files of src/core; not part of the public API. */
#ifndef MUSICLUST_CORE_INTERNAL_H
#define MUSICLUST_CORE_INTERNAL_H

#include <musiclust/core.h>

/* a[0..alen) then b[0..blen) written to path atomically (mc_file_open_tmp, mc_file_commit). */
mc_status mc_file_write_atomic_parts(const char *path, const void *a, size_t alen, const void *b, size_t blen);

#endif
