/* Logging: the library formats a message and hands it to the handler the application installed;
 * with none installed it stays silent (the library never prints by itself). */
#include <musiclust/core.h>

#include <pthread.h>
#include <stdarg.h>

/* The handler and its user pointer change together, so one mutex guards the pair; readers copy both
 * out under the lock and call the handler outside it (a handler may itself be slow or log). */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static mc_log_fn log_fn = NULL;
static void *log_user = NULL;

void mc_log_set_handler(mc_log_fn fn, void *user) {
    pthread_mutex_lock(&log_lock);
    log_fn = fn;
    log_user = user;
    pthread_mutex_unlock(&log_lock);
}

void mc_log(mc_log_level level, const char *fmt, ...) {
    pthread_mutex_lock(&log_lock);
    mc_log_fn fn = log_fn;
    void *user = log_user;
    pthread_mutex_unlock(&log_lock);
    if (!fn || !fmt) return;
    char msg[2048]; /* longer messages are truncated */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fn(level, msg, user);
}
