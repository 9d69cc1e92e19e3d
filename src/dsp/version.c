/* Version of FFTW (dsp.h), so that run records need not include its header. The STFT uses FFTW's
 * double-precision interface, so this is fftw_version (not fftwf_version). */
#include <musiclust/dsp.h>

#include <fftw3.h>

const char *mc_dsp_fftw_version(void) { return fftw_version; }
