/* The one monotonic clock of the library (durations of stages, training, progress bars). */
#include <musiclust/core.h>

#include <time.h>

double mc_clock_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
