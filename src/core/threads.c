/* Thread counts: how many cores this process may use, and resolving the user's --threads. */
#define _GNU_SOURCE /* sched_getaffinity and CPU_COUNT are GNU extensions */
#include <musiclust/core.h>

#include <cblas.h>
#include <omp.h>
#include <sched.h>
#include <unistd.h>

int mc_threads_available(void) {
    /* The affinity mask honours taskset, cgroup cpusets and container CPU pinning, which the online
     * processor count does not; fall back to sysconf where it is unavailable. */
#if defined(__linux__) && defined(CPU_COUNT)
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int mc_threads_resolve(int n) {
    if (n <= 0) n = mc_threads_available();
    /* Every OpenMP region that does not name a count then uses the same number, which keeps
     * reductions (and so outputs) identical between runs with the same --threads. */
    omp_set_num_threads(n);
    return n;
}

int mc_threads_blas_serial_begin(void) {
    int prev = openblas_get_num_threads();
    if (prev != 1) openblas_set_num_threads(1);
    return prev;
}

void mc_threads_blas_serial_end(int prev) {
    if (prev >= 1 && prev != openblas_get_num_threads()) openblas_set_num_threads(prev);
}
