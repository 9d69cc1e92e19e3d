/* Compiled as src/data/ is compiled (ctest layering_downward_include_builds): data may use core,
 * audio, dsp and text, so this must build (the control for layering_upward_include_fails). */
#include <musiclust/audio.h>
#include <musiclust/core.h>
#include <musiclust/data.h>
#include <musiclust/dsp.h>
#include <musiclust/text.h>

int mc_layering_probe_ok(void) { return mc_data_is_audio_name("a.wav") ? 0 : 1; }
