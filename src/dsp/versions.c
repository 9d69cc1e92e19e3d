/* The library behind the dsp module, for run.json and the report. */
#include <musiclust/dsp.h>

#include <fftw3.h>

int mc_dsp_versions(mc_library_version *out, int cap) {
    if (cap >= 1) out[0] = (mc_library_version){"fftw", fftwf_version};
    return 1;
}
