/* The BLAS build (nn.h), so that run records need not include OpenBLAS's header. */
#include <musiclust/nn.h>

#include <cblas.h>

const char *mc_nn_blas_version(void) { return openblas_get_config(); }
