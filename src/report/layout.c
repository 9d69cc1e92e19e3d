/* The paths of a RESULTS folder (report.h, THE RESULTS FOLDER): the one place they are spelled. */
#include "report_internal.h"

#include <stdlib.h>

const char *const *mc_report_folders(int *n) {
    static const char *const folders[] = {"stages", "features", "models", "latents",
                                          "assign", "contingency", "embed", "recon"};
    if (n) *n = (int)(sizeof folders / sizeof *folders);
    return folders;
}

/* results/rel, or rel itself (copied) when results is NULL. */
static char *in_results(const char *results, char *rel) {
    if (!rel || !results) return rel;
    char *p = mc_sprintf("%s/%s", results, rel);
    free(rel);
    return p;
}

char *mc_report_path(const char *results, const char *name) {
    return in_results(results, mc_strdup(name ? name : ""));
}

char *mc_report_path_latent(const char *results, const char *id, bool seeded, uint64_t seed) {
    return in_results(results, seeded ? mc_sprintf("latents/%s.seed%llu.npy", id, (unsigned long long)seed)
                                      : mc_sprintf("latents/%s.npy", id));
}

char *mc_report_path_assign(const char *results, const char *id, const char *algo, uint64_t seed) {
    return in_results(results, mc_sprintf("assign/%s.%s.seed%llu.tsv", id, algo, (unsigned long long)seed));
}

char *mc_report_path_contingency(const char *results, const char *id, const char *algo, const char *column) {
    return in_results(results, mc_sprintf("contingency/%s.%s.%s.tsv", id, algo, column));
}

char *mc_report_path_embed(const char *results, const char *id, const char *method) {
    return in_results(results, mc_sprintf("embed/%s.%s.npy", id, method));
}

char *mc_report_path_model(const char *results, const char *id, uint64_t seed) {
    return in_results(results, mc_sprintf("models/%s.seed%llu.safetensors", id, (unsigned long long)seed));
}

char *mc_report_path_loss(const char *results, const char *id, uint64_t seed) {
    return in_results(results, mc_sprintf("models/%s.seed%llu.loss.tsv", id, (unsigned long long)seed));
}

char *mc_report_path_gencheck(const char *results, const char *id, uint64_t seed) {
    return in_results(results, mc_sprintf("models/%s.seed%llu.check.tsv", id, (unsigned long long)seed));
}

char *mc_report_path_recon(const char *results, const char *id, const char *which) {
    return in_results(results, id ? mc_sprintf("recon/%s.%s.npy", id, which) : mc_strdup("recon/examples.tsv"));
}

char *mc_report_path_stage(const char *results, const char *stage) {
    return in_results(results, mc_sprintf("stages/%s.tsv", stage));
}
