/* libFuzzer harness: the recipe reader (src/pipeline/recipe.c, libjansson underneath): the bytes as a
 * recipe from memory (mc_pipeline_recipe_parse) and from a file (mc_pipeline_recipe_load). Whatever
 * the bytes: a status; on failure the configuration is unchanged and the message is one line; on
 * success every string of the recipe is terminated and every count is in range. */
#include "fuzz_common.h"

#include <musiclust/pipeline.h>

static void check(const mc_recipe *r, const mc_run_config *cfg) {
    fz_touch(r->name, strlen(r->name) + 1);
    fz_touch(r->description, strlen(r->description) + 1);
    fz_touch(r->label, strlen(r->label) + 1);
    if (r->n_reps < 0 || r->n_reps > MC_RECIPE_MAX_REPS || (r->n_reps > 0) == (r->tasks != 0)) abort();
    for (int i = 0; i < r->n_reps; i++) {
        const mc_recipe_rep *p = &r->reps[i];
        fz_touch(p->id, strlen(p->id) + 1);
        fz_touch(p->kind, strlen(p->kind) + 1);
        fz_touch(p->from, strlen(p->from) + 1);
        if (!p->id[0] || !p->kind[0] || !p->algos || p->n_hidden < 0 || p->n_hidden > MC_RECIPE_MAX_HIDDEN) abort();
    }
    if (cfg->recipe != r || cfg->seeds < 1 || cfg->seeds > 64) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static mc_recipe rec;
    mc_run_config cfg, before;
    mc_run_config_default(&cfg);
    before = cfg;
    if (mc_pipeline_recipe_parse((const char *)data, size, "fuzz.json", &rec, &cfg) == MC_STATUS_OK) check(&rec, &cfg);
    else if (memcmp(&cfg, &before, sizeof cfg) != 0 || strchr(mc_error_message(), '\n')) abort();
    mc_run_config_default(&cfg);
    if (mc_pipeline_recipe_load(fz_write("in.json", data, size), &rec, &cfg) == MC_STATUS_OK) check(&rec, &cfg);
    return 0;
}
