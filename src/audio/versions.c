/* The libraries behind the audio module, for run.json and the report. */
#include <musiclust/audio.h>

#include <sndfile.h>
#include <soxr.h>

int mc_audio_versions(mc_library_version *out, int cap) {
    const mc_library_version v[2] = {{"sndfile", sf_version_string()}, {"soxr", soxr_version()}};
    for (int i = 0; i < 2 && i < cap; i++) out[i] = v[i];
    return 2;
}
