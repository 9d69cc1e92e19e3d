/* libFuzzer harness: audio decoding through the library's loader (include/musiclust/audio.h): probe,
 * decode + downmix + resample to 22050 Hz (librosa.load's path), then segmentation of the result.
 * libsndfile itself is not instrumented; the loader's buffers, size hints and checks are. */
#include "fuzz_common.h"

#include <musiclust/audio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static mc_audio_loader *ld = NULL;
    if (!ld && mc_audio_loader_create(22050, &ld) != MC_STATUS_OK) abort();
    const char *path = fz_write("in.wav", data, size);
    mc_audio_info info;
    (void)mc_audio_probe(path, &info);
    const float *x = NULL;
    int64_t n = 0;
    if (mc_audio_loader_load(ld, path, &x, &n, &info) == MC_STATUS_OK) {
        fz_touch(x, (size_t)n * sizeof(float));
        bool is_short = false;
        const int64_t seg = 2048;
        int64_t k = mc_audio_segment_count(n, seg, &is_short);
        float buf[2048];
        if (k > 0) {
            mc_audio_segment_copy(x, n, seg, 0, buf);
            mc_audio_segment_copy(x, n, seg, k - 1, buf);
        }
    }
    return 0;
}
