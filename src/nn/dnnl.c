/* The oneDNN (Debian libdnnl 2.6) context of this module: one CPU engine and stream for the process,
 * and the rule that keeps every oneDNN call single-threaded so results do not depend on the team.
 *
 * Why single-threaded calls. oneDNN's OpenMP runtime splits a primitive's work over
 * omp_get_max_threads() threads, and some of its kernels (backward weights, GEMM with a split k) sum
 * partial results per thread: the bytes would depend on the thread count. We call every primitive on
 * one fixed block of work from inside our own parallel loops (oneDNN runs nested calls on the calling
 * thread) and create every primitive with a team of one, so that each primitive is configured for and
 * run by exactly one thread. Pure data movement (weight reorders) is the same on any team. */
#include "nn_internal.h"

#include <omp.h>
#include <pthread.h>

static dnnl_engine_t g_engine;
static dnnl_stream_t g_stream;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void dnnl_init_once(void) {
    dnnl_engine_t e = NULL;
    dnnl_stream_t s = NULL;
    if (dnnl_engine_create(&e, dnnl_cpu, 0) != dnnl_success) return;
    if (dnnl_stream_create(&s, e, dnnl_stream_default_flags) != dnnl_success) {
        dnnl_engine_destroy(e);
        return;
    }
    g_engine = e;
    g_stream = s;
}

dnnl_engine_t nn_dnnl_engine(void) {
    pthread_once(&g_once, dnnl_init_once);
    return g_engine;
}

dnnl_stream_t nn_dnnl_stream(void) {
    pthread_once(&g_once, dnnl_init_once);
    return g_stream;
}

int nn_dnnl_serial_begin(void) {
    /* Inside an active parallel region oneDNN already runs on the calling thread. Outside one (or in
     * a team of one) it would start omp_get_max_threads() threads: set this task's team to one. */
    if (omp_in_parallel()) return 0;
    int t = omp_get_max_threads();
    if (t != 1) omp_set_num_threads(1);
    return t;
}

void nn_dnnl_serial_end(int saved) {
    if (saved > 1) omp_set_num_threads(saved);
}

bool nn_dnnl_exec(dnnl_primitive_t p, int nargs, const dnnl_exec_arg_t *args) {
    int saved = nn_dnnl_serial_begin();
    dnnl_status_t s = dnnl_primitive_execute(p, nn_dnnl_stream(), nargs, args);
    nn_dnnl_serial_end(saved);
    return s == dnnl_success;
}

bool nn_dnnl_exec_team(dnnl_primitive_t p, int nargs, const dnnl_exec_arg_t *args) {
    return dnnl_primitive_execute(p, nn_dnnl_stream(), nargs, args) == dnnl_success;
}

dnnl_status_t nn_dnnl_primitive(dnnl_primitive_t *p, const_dnnl_primitive_desc_t pd) {
    int saved = nn_dnnl_serial_begin();
    dnnl_status_t s = dnnl_primitive_create(p, pd);
    nn_dnnl_serial_end(saved);
    return s;
}

const char *nn_dnnl_impl(const_dnnl_primitive_desc_t pd) {
    const char *impl = NULL;
    if (!pd || dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) != dnnl_success || !impl)
        return "";
    return impl;
}
