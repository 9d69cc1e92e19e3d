/* Progress bars for long loops. The caller (the CLI) owns the decision of where and whether to
 * draw; the library only ticks. On a terminal one line is redrawn in place with '\r', throttled to
 * 10 redraws per second so that ticking from tight loops costs almost nothing; in a log file or a
 * pipe a plain line is written at every 10% step or every 10 s, so logs stay short and readable. */
#include "core_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROGRESS_BAR_WIDTH 24
#define PROGRESS_TTY_INTERVAL 0.1   /* seconds between terminal redraws */
#define PROGRESS_PLAIN_INTERVAL 10.0 /* seconds between plain lines when under 10% moves */

struct mc_progress {
    pthread_mutex_t lock; /* ticks come from OpenMP workers */
    FILE *stream;
    bool is_tty;
    char *label;
    int64_t total; /* <= 0: unknown, shown as a count and a rate only */
    int64_t done;
    char note[160];
    double t0, last_draw; /* monotonic seconds */
    int last_decile;      /* plain mode: last 10% step printed */
    size_t last_len;      /* terminal mode: length of the line on screen, to blank leftovers */
    int drawn;            /* terminal mode: a line is on screen without its newline */
    int finished;
};

static void format_duration(char *b, size_t cap, double s) {
    if (s < 0 || s != s) s = 0;
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(b, cap, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
    else snprintf(b, cap, "%ld:%02ld", t / 60, t % 60);
}

/* "label [########----------------] 123/456  27%  45.6/s  ETA 0:12  note"; when final the ETA is
 * replaced by the elapsed time ("in 0:42"). */
static size_t format_line(const mc_progress *p, double now, int final, char *b, size_t cap) {
    double elapsed = now - p->t0;
    double rate = elapsed > 0 ? (double)p->done / elapsed : 0.0;
    size_t n = 0;
#define APPEND(...)                                                                                \
    do {                                                                                           \
        if (n < cap) {                                                                             \
            int k_ = snprintf(b + n, cap - n, __VA_ARGS__);                                        \
            if (k_ > 0) n += (size_t)k_;                                                           \
        }                                                                                          \
    } while (0)
    APPEND("%s", p->label);
    if (p->total > 0) {
        double frac = (double)p->done / (double)p->total;
        if (frac > 1) frac = 1;
        if (frac < 0) frac = 0;
        int filled = (int)(frac * PROGRESS_BAR_WIDTH);
        char bar[PROGRESS_BAR_WIDTH + 1];
        for (int i = 0; i < PROGRESS_BAR_WIDTH; i++) bar[i] = i < filled ? '#' : '-';
        bar[PROGRESS_BAR_WIDTH] = '\0';
        APPEND(" [%s] %lld/%lld %3d%%", bar, (long long)p->done, (long long)p->total,
               (int)(frac * 100.0));
    } else {
        APPEND(" %lld", (long long)p->done);
    }
    if (rate >= 100) APPEND("  %.0f/s", rate);
    else APPEND("  %.1f/s", rate);
    char d[32];
    if (final) {
        format_duration(d, sizeof d, elapsed);
        APPEND("  in %s", d);
    } else if (p->total > 0 && rate > 0 && p->done < p->total) {
        format_duration(d, sizeof d, (double)(p->total - p->done) / rate);
        APPEND("  ETA %s", d);
    }
    if (p->note[0]) APPEND("  %s", p->note);
#undef APPEND
    return n < cap ? n : cap - 1;
}

/* Terminal: go back to column 0, draw, and blank whatever a longer previous line left behind. */
static void draw_tty(mc_progress *p, double now, int final) {
    char line[512];
    size_t n = format_line(p, now, final, line, sizeof line);
    fputc('\r', p->stream);
    fputs(line, p->stream);
    for (size_t i = n; i < p->last_len; i++) fputc(' ', p->stream);
    if (final) fputc('\n', p->stream);
    fflush(p->stream);
    p->last_len = n;
    p->drawn = !final;
    p->last_draw = now;
}

static void draw_plain(mc_progress *p, double now, int final) {
    char line[512];
    format_line(p, now, final, line, sizeof line);
    fputs(line, p->stream);
    fputc('\n', p->stream);
    fflush(p->stream);
    p->last_draw = now;
}

mc_status mc_progress_create(FILE *stream, bool is_tty, const char *label, int64_t total,
                             mc_progress **out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_progress_create: NULL output");
    *out = NULL;
    if (!stream) return MC_STATUS_OK; /* no stream: a NULL bar, every call a no-op */
    mc_progress *p = calloc(1, sizeof *p);
    if (!p) return mc_error_set(MC_STATUS_NO_MEMORY, "out of memory creating a progress bar");
    p->label = mc_strdup(label ? label : "");
    if (!p->label) {
        free(p);
        return MC_STATUS_NO_MEMORY;
    }
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p->label);
        free(p);
        return mc_error_set(MC_STATUS_NO_MEMORY, "cannot create a progress bar mutex");
    }
    p->stream = stream;
    p->is_tty = is_tty;
    p->total = total;
    p->t0 = mc_clock_seconds();
    p->last_draw = p->t0;
    *out = p;
    return MC_STATUS_OK;
}

void mc_progress_tick(mc_progress *p, int64_t n) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    if (!p->finished) {
        p->done += n;
        double now = mc_clock_seconds();
        if (p->is_tty) {
            if (now - p->last_draw >= PROGRESS_TTY_INTERVAL) draw_tty(p, now, 0);
        } else {
            int decile = -1;
            if (p->total > 0) {
                /* Steps 10%..90%; the 100% line is mc_progress_finish's, with the elapsed time. */
                int64_t d = p->done >= p->total ? 9 : p->done * 10 / p->total;
                decile = d < 0 ? 0 : (int)d;
            }
            if (decile > p->last_decile || now - p->last_draw >= PROGRESS_PLAIN_INTERVAL) {
                if (decile > p->last_decile) p->last_decile = decile;
                draw_plain(p, now, 0);
            }
        }
    }
    pthread_mutex_unlock(&p->lock);
}

void mc_progress_note(mc_progress *p, const char *note) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    snprintf(p->note, sizeof p->note, "%s", note ? note : "");
    /* A note is shown with the next redraw; control characters would break the one-line layout. */
    for (char *c = p->note; *c; c++) {
        if ((unsigned char)*c < 0x20) *c = ' ';
    }
    pthread_mutex_unlock(&p->lock);
}

void mc_progress_finish(mc_progress *p) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    if (!p->finished) {
        p->finished = 1;
        if (p->total > 0 && p->done < p->total) p->done = p->total;
        double now = mc_clock_seconds();
        if (p->is_tty) draw_tty(p, now, 1);
        else draw_plain(p, now, 1);
    }
    pthread_mutex_unlock(&p->lock);
}

void mc_progress_free(mc_progress *p) {
    if (!p) return;
    /* A bar abandoned mid-line (an error path) gets its newline so later output starts clean. */
    if (p->is_tty && p->drawn && !p->finished) {
        fputc('\n', p->stream);
        fflush(p->stream);
    }
    pthread_mutex_destroy(&p->lock);
    free(p->label);
    free(p);
}

void mc_progress_set_total(mc_progress *p, int64_t total) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->total = total;
    pthread_mutex_unlock(&p->lock);
}
