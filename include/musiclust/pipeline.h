/* musiclust pipeline: the experiments and the runner behind `musiclust run` and `musiclust demo`. */
#ifndef MUSICLUST_PIPELINE_H
#define MUSICLUST_PIPELINE_H

#include <musiclust/core.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mc_demo_config {
    uint64_t seed;          /* every note, tempo and word comes from this seed */
    int tracks_per_style;   /* 6 */
    double track_seconds;   /* 12 */
} mc_demo_config;

void mc_demo_config_default(mc_demo_config *c);

/* Names of the synthesized styles, in order; *n receives the count. */
const char *const *mc_pipeline_demo_styles(int *n);

/* Synthesize the built-in labelled corpus into dir:
 *   dir/audio/<style>/<track_id>.wav   (some 22,050 Hz mono, some 44,100 Hz stereo, 16-bit PCM)
 *   dir/metadata.tsv                   track_id, genre, language, tempo_bpm, key, lyrics
 * Styles differ in note patterns (scales, chords, melody), rhythm and tempo, and timbre (additive
 * strings, distorted saw power chords, square-wave arpeggios over a four-on-the-floor kick, swung
 * walking bass and piano, plucked Karplus-Strong strings). Lyrics are generated in English and in
 * Bengali script. Deterministic for a seed. */
mc_status mc_pipeline_demo_corpus(const char *dir, const mc_demo_config *cfg, mc_progress *progress);

#ifdef __cplusplus
}
#endif
#endif
