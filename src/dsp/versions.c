/* The library behind the dsp module, for run.json and the report. The STFT uses FFTW's
 * double-precision interface, so this is fftw_version (not fftwf_version). */
#include <musiclust/dsp.h>

#include <fftw3.h>

int mc_dsp_versions(mc_library_version *out, int cap) {
    if (cap >= 1) out[0] = (mc_library_version){"fftw", fftw_version};
    return 1;
}
