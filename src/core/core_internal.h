/* Helpers shared by the files of src/core; not part of the public API. */
#ifndef MUSICLUST_CORE_INTERNAL_H
#define MUSICLUST_CORE_INTERNAL_H

#include <musiclust/core.h>

/* fopen(tmp, "wb"), or /dev/null while writes are discarded (mc_file_discard_writes). */
FILE *mc_file_fopen_tmp(const char *tmp);
/* remove(tmp) unless writes are discarded (then it was never created); NULL ok. */
void mc_file_remove_tmp(const char *tmp);
/* a[0..alen) then b[0..blen) written to path atomically (mc_file_open_tmp, mc_file_commit). */
mc_status mc_file_write_atomic_parts(const char *path, const void *a, size_t alen, const void *b, size_t blen);

#endif
