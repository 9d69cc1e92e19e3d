/* Internal helpers of the data module (not part of the public API). */
#ifndef MC_DATA_INTERNAL_H
#define MC_DATA_INTERNAL_H

#include <musiclust/data.h>

typedef struct mc_path_list {
    char **items; /* (n) owned strings */
    size_t n, cap;
} mc_path_list;

/* Expand inputs into audio files (sorted per input). Folders that cannot be read go to bad as
 * "path\treason" strings; non-audio names in folders are counted in *ignored. */
mc_status mc_data_scan(const char *const *inputs, int n_inputs, mc_path_list *files,
                       mc_path_list *bad, int64_t *ignored);
void mc_path_list_free(mc_path_list *l);

/* File name without folder and last extension. */
void mc_data_file_stem(const char *path, char *out, size_t cap);
/* Name of the folder that holds the file ("" if the path has no folder part). */
void mc_data_parent_name(const char *path, char *out, size_t cap);

#endif
