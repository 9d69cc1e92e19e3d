/* The library behind the nn module, for run.json and the report. */
#include <musiclust/nn.h>

#include <cblas.h>

int mc_nn_versions(mc_library_version *out, int cap) {
    if (cap >= 1) out[0] = (mc_library_version){"openblas", openblas_get_config()};
    return 1;
}
