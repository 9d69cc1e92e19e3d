/* Cutting a track into fixed-length windows for per-segment features (extract --segment S).
 *
 * Windows never overlap and start at multiples of seg_len; a trailing part shorter than a window
 * is dropped (it would be mostly padding), except for a track shorter than one window, which keeps
 * one zero-padded window so that no track disappears from the feature store. */
#include "audio_internal.h"

#include <string.h>

int64_t mc_audio_segment_count(int64_t n, int64_t seg_len, bool *is_short) {
    if (is_short) *is_short = false;
    if (n <= 0 || seg_len < 0) return 0;
    if (seg_len == 0) return 1; /* segment 0 = the whole track as one window */
    if (n < seg_len) {
        if (is_short) *is_short = true;
        return 1;
    }
    return n / seg_len;
}

void mc_audio_segment_copy(const float *x, int64_t n, int64_t seg_len, int64_t i, float *out) {
    if (!out || seg_len < 0 || i < 0) return;
    if (seg_len == 0) { /* whole track */
        if (i == 0 && n > 0 && x) memcpy(out, x, (size_t)n * sizeof *out);
        return;
    }
    int64_t start = i * seg_len;
    int64_t avail = n - start; /* samples of x inside window i */
    if (avail < 0 || !x) avail = 0;
    if (avail > seg_len) avail = seg_len;
    if (avail > 0) memcpy(out, x + start, (size_t)avail * sizeof *out);
    if (avail < seg_len) memset(out + avail, 0, (size_t)(seg_len - avail) * sizeof *out);
}
