/* Thread counts: how many cores this process may use, and resolving the user's --threads. */
#define _GNU_SOURCE /* sched_getaffinity and CPU_COUNT are GNU extensions */
#include <musiclust/core.h>

#include <cblas.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <strings.h>
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

/* OpenBLAS (0.3.21 in Debian 12) falls back to an old generic kernel on CPUs it does not know --
 * here a recent AVX-512 Xeon gets "Prescott", whose sgemm is ~6x slower than SkylakeX's. The
 * kernel is chosen when the library loads, from OPENBLAS_CORETYPE, so the library cannot change it;
 * it says so once (INFO) with the remedy. Results are the same either way (issue 9). */
static void blas_kernel_note(void) {
    static atomic_flag said = ATOMIC_FLAG_INIT;
    if (atomic_flag_test_and_set(&said)) return;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    const char *core = openblas_get_corename();
    static const char *const generic[] = {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom",
                                          "Katmai", "Coppermine", "Northwood", "Banias"};
    bool is_generic = false;
    for (size_t i = 0; core && i < sizeof generic / sizeof generic[0]; i++)
        if (strcasecmp(core, generic[i]) == 0) is_generic = true;
    __builtin_cpu_init();
    if (!is_generic || !__builtin_cpu_supports("avx2") || getenv("OPENBLAS_CORETYPE")) return;
    const char *better = __builtin_cpu_supports("avx512f") ? "SkylakeX" : "Haswell";
    mc_log(MC_LOG_LEVEL_INFO,
           "OpenBLAS did not recognise this CPU and uses its generic %s kernel (several times slower); "
           "OPENBLAS_CORETYPE=%s before the command selects the fast one (results do not change)",
           core, better);
#endif
}

int mc_threads_blas_serial_begin(void) {
    blas_kernel_note();
    int prev = openblas_get_num_threads();
    if (prev != 1) openblas_set_num_threads(1);
    return prev;
}

void mc_threads_blas_serial_end(int prev) {
    if (prev >= 1 && prev != openblas_get_num_threads()) openblas_set_num_threads(prev);
}
