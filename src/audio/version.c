/* Versions of the decoding and resampling libraries (audio.h), so that run records need not include
 * their headers. */
#include <musiclust/audio.h>

#include <sndfile.h>
#include <soxr.h>

const char *mc_audio_sndfile_version(void) { return sf_version_string(); }
const char *mc_audio_soxr_version(void) { return soxr_version(); }
