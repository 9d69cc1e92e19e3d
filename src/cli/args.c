/* A small declarative option parser: --name VALUE, --name=VALUE, -x VALUE, flags, and "--" to end
 * options. Every value is checked completely ("--sr 22k" is an error, not 22). */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const cli_opt help_opt = {"help", 'h', CLI_FLAG, NULL, NULL, "show this help and exit"};

/* Help text fits 80 columns: the usage line, the summary and each option's text are wrapped at word
 * boundaries (widths counted in characters, not bytes). */
#define HELP_WIDTH 80

static int text_width(const char *s, size_t n) {
    int w = 0;
    for (size_t i = 0; i < n; i++) w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

/* Write the words of text (n bytes) from column `col`, wrapping at HELP_WIDTH to lines that start
 * with `indent` spaces; ends with a newline. A word longer than a line gets a line of its own. */
static void wrap(FILE *f, const char *text, size_t n, int col, int indent) {
    size_t i = 0;
    bool first = true;
    while (i < n) {
        while (i < n && text[i] == ' ') i++;
        size_t j = i;
        while (j < n && text[j] != ' ') j++;
        if (j == i) break;
        const int w = text_width(text + i, j - i);
        if (!first && col + 1 + w > HELP_WIDTH) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        } else if (!first) {
            fputc(' ', f);
            col++;
        }
        fwrite(text + i, 1, j - i, f);
        col += w;
        first = false;
        i = j;
    }
    fputc('\n', f);
}

/* The summary: lines that start with a non-space flow together into paragraphs (a blank line or an
 * indented line ends one). A line that starts with spaces is a list item or an example: its text
 * column is after its first run of two spaces (an aligned list: "  ae        the same ..."), else
 * two past its indentation; following lines indented at least that far continue it. Items are
 * wrapped with continuation lines at their text column. */
static void print_summary(FILE *f, const char *s) {
    const size_t len = strlen(s);
    char *buf = mc_calloc(len + 1, 1);
    if (!buf) {
        fputs(s, f);
        return;
    }
    size_t i = 0;
    while (i < len) {
        const char *line = s + i, *e = strchr(line, '\n');
        size_t n = e ? (size_t)(e - line) : strlen(line);
        size_t next = i + n + (e ? 1 : 0);
        if (n == 0) {
            fputc('\n', f);
            i = next;
            continue;
        }
        int lead = 0;
        while ((size_t)lead < n && line[lead] == ' ') lead++;
        size_t head = 0; /* bytes of the item's head kept as is (up to its text column) */
        int indent = 0;
        if (lead > 0) {
            indent = lead + 2;
            for (size_t k = (size_t)lead; k + 1 < n; k++)
                if (line[k] == ' ' && line[k + 1] == ' ') {
                    while (k < n && line[k] == ' ') k++;
                    if (text_width(line, k) <= 40) {
                        head = k;
                        indent = text_width(line, k);
                    }
                    break;
                }
        }
        /* gather the block: the first line's text, then its continuation lines */
        size_t bl = 0;
        memcpy(buf, line + (head ? head : (size_t)lead), n - (head ? head : (size_t)lead));
        bl = n - (head ? head : (size_t)lead);
        while (next < len && s[next] != '\n') {
            const char *l2 = s + next, *e2 = strchr(l2, '\n');
            size_t n2 = e2 ? (size_t)(e2 - l2) : strlen(l2);
            int lead2 = 0;
            while ((size_t)lead2 < n2 && l2[lead2] == ' ') lead2++;
            if (lead == 0 ? lead2 != 0 : lead2 < indent) break;
            buf[bl++] = ' ';
            memcpy(buf + bl, l2 + lead2, n2 - (size_t)lead2);
            bl += n2 - (size_t)lead2;
            next += n2 + (e2 ? 1 : 0);
        }
        buf[bl] = '\0';
        if (lead == 0) {
            wrap(f, buf, bl, 0, 0);
        } else if (head) {
            fwrite(line, 1, head, f);
            wrap(f, buf, bl, indent, indent);
        } else {
            fprintf(f, "%*s", lead, "");
            wrap(f, buf, bl, lead, indent);
        }
        i = next;
    }
    free(buf);
}

void cli_print_help(const cli_command *cmd, FILE *f) {
    fputs("usage: ", f);
    wrap(f, cmd->usage, strlen(cmd->usage), 7, 11);
    fputc('\n', f);
    print_summary(f, cmd->summary);
    fputs("\noptions:\n", f);
    for (int i = 0; i <= cmd->nopts; i++) {
        const cli_opt *o = i < cmd->nopts ? &cmd->opts[i] : &help_opt;
        char left[64];
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name, o->metavar ? " " : "",
                     o->metavar ? o->metavar : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", o->name, o->metavar ? " " : "",
                     o->metavar ? o->metavar : "");
        const int col = 2 + 28 + 1;
        if ((int)strlen(left) > 28) {
            fprintf(f, "  %s\n%*s", left, col, "");
        } else {
            fprintf(f, "  %-28s ", left);
        }
        wrap(f, o->help, strlen(o->help), col, col);
    }
}

static int set_value(const cli_command *cmd, const cli_opt *o, const char *v) {
    char *end = NULL;
    errno = 0;
    switch (o->kind) {
    case CLI_INT: {
        long x = strtol(v, &end, 10);
        if (!*v || *end || errno || x < INT32_MIN || x > INT32_MAX) goto bad;
        if (strcmp(o->name, "threads") == 0 && (x < 1 || x > CLI_MAX_THREADS))
            return cli_usage(cmd, "--threads must be from 1 to %d, got %ld (leave it out to use every core)",
                             CLI_MAX_THREADS, x);
        *(int *)o->dest = (int)x;
        return 0;
    }
    case CLI_U64: {
        if (*v == '-')
            return cli_usage(cmd, "--%s expects a whole number from 0 to 18446744073709551615, got '%s' (runs are "
                             "deterministic: the same seed gives the same output, so there is no random seed; "
                             "pick any number, e.g. --%s 1)", o->name, v, o->name);
        unsigned long long x = strtoull(v, &end, 10);
        if (!*v || *end || errno) goto bad;
        *(uint64_t *)o->dest = (uint64_t)x;
        return 0;
    }
    case CLI_DOUBLE: {
        double x = strtod(v, &end);
        if (!*v || *end || errno || x != x) goto bad;
        *(double *)o->dest = x;
        return 0;
    }
    case CLI_STRING:
        *(const char **)o->dest = v;
        return 0;
    case CLI_LIST: {
        cli_list *l = o->dest;
        if (l->n == CLI_LIST_MAX) return cli_usage(cmd, "at most %d --%s options", CLI_LIST_MAX, o->name);
        l->v[l->n++] = v;
        return 0;
    }
    case CLI_FLAG:
        break;
    }
bad:
    return cli_usage(cmd, "--%s expects %s, got '%s'", o->name,
                     o->kind == CLI_INT || o->kind == CLI_U64 ? "an integer" : "a number", v);
}

/* The destinations of the options the last cli_parse met (cli_given); a process parses one command line. */
#define MAX_GIVEN 256
static const void *given[MAX_GIVEN];
static int n_given;

bool cli_given(const void *dest) {
    for (int i = 0; i < n_given; i++)
        if (given[i] == dest) return true;
    return false;
}

int cli_parse(const cli_command *cmd, int argc, char **argv, const char ***pos, int *npos) {
    n_given = 0;
    *pos = mc_calloc((size_t)argc + 1, sizeof **pos);
    *npos = 0;
    if (!*pos) return cli_input(cmd->name, "out of memory parsing the arguments");
    bool only_pos = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == '\0') {
            (*pos)[(*npos)++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = true;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            cli_print_help(cmd, stdout);
            return MC_EXIT_OK;
        }
        const cli_opt *o = NULL;
        const char *inline_val = NULL;
        if (a[1] == '-') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            for (int k = 0; k < cmd->nopts; k++)
                if (strlen(cmd->opts[k].name) == len && strncmp(cmd->opts[k].name, name, len) == 0)
                    o = &cmd->opts[k];
            if (eq) inline_val = eq + 1;
        } else {
            for (int k = 0; k < cmd->nopts; k++)
                if (cmd->opts[k].short_name == a[1]) o = &cmd->opts[k];
            /* -k3, -ofile: a short option with its value attached (not for flags) */
            if (o && a[2] != '\0') {
                if (o->kind == CLI_FLAG) o = NULL;
                else inline_val = a + 2;
            }
        }
        if (!o) return cli_usage(cmd, "unknown option '%s' (see musiclust %s --help)", a, cmd->name);
        if (n_given < MAX_GIVEN && !cli_given(o->dest)) given[n_given++] = o->dest;
        if (o->kind == CLI_FLAG) {
            if (inline_val) return cli_usage(cmd, "--%s takes no value", o->name);
            *(bool *)o->dest = true;
            continue;
        }
        const char *v = inline_val;
        if (!v) {
            if (i + 1 >= argc) return cli_usage(cmd, "--%s needs a value (%s)", o->name, o->metavar ? o->metavar : "VALUE");
            v = argv[++i];
        }
        int rc = set_value(cmd, o, v);
        if (rc) return rc;
    }
    if (*npos < cmd->min_pos || (cmd->max_pos >= 0 && *npos > cmd->max_pos))
        return cli_usage(cmd, "%s", *npos < cmd->min_pos ? "missing arguments" : "too many arguments");
    return -1;
}

int cli_start(const cli_command *cmd, int argc, char **argv, const bool *quiet, const char ***pos, int *npos) {
    const char **p = NULL;
    int n = 0;
    int rc = cli_parse(cmd, argc, argv, &p, &n);
    if (rc >= 0 || !pos) {
        free(p);
        p = NULL;
    }
    if (pos) {
        *pos = p;
        *npos = n;
    }
    if (rc < 0) cli_init_logging(quiet && *quiet);
    return rc;
}

static bool log_quiet = false;

static void log_to_stderr(mc_log_level level, const char *msg, void *user) {
    (void)user;
    if (level < MC_LOG_LEVEL_WARN && log_quiet) return;
    if (level < MC_LOG_LEVEL_ERROR && cli_rank() > 0) return; /* rank 0 speaks for the group */
    if (level == MC_LOG_LEVEL_DEBUG && !getenv("MUSICLUST_DEBUG")) return;
    const char *tag = level >= MC_LOG_LEVEL_ERROR ? "error: " : level == MC_LOG_LEVEL_WARN ? "warning: " : "";
    /* One fprintf per line so lines from several threads do not interleave. */
    fprintf(stderr, "musiclust: %s%s\n", tag, msg);
}

void cli_init_logging(bool quiet) {
    log_quiet = quiet;
    mc_log_set_handler(log_to_stderr, NULL);
}

mc_progress *cli_progress(bool quiet, const char *label, int64_t total) {
    if (quiet || cli_rank() > 0) return NULL;
    mc_progress *p = NULL;
    if (mc_progress_create(stderr, isatty(fileno(stderr)) != 0, label, total, &p) != MC_STATUS_OK)
        return NULL; /* no bar is better than no run */
    return p;
}

/* "musiclust CMD: message" (and the usage line) on stderr, in one write so that lines do not interleave. */
static void report(const char *cmd, const char *usage, const char *fmt, va_list ap) {
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (usage) fprintf(stderr, "musiclust %s: %s\nusage: %s\n", cmd, msg, usage);
    else fprintf(stderr, "musiclust %s: %s\n", cmd, msg);
}

int cli_usage(const cli_command *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    report(cmd->name, cmd->usage, fmt, ap);
    va_end(ap);
    return MC_EXIT_USAGE;
}

int cli_input(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    report(cmd, NULL, fmt, ap);
    va_end(ap);
    return MC_EXIT_INPUT;
}

int cli_fail(const char *cmd, mc_status st) {
    const char *msg = mc_error_message();
    fprintf(stderr, "musiclust %s: %s\n", cmd, msg && *msg ? msg : mc_status_name(st));
    return st == MC_STATUS_INVALID_ARG ? MC_EXIT_USAGE : MC_EXIT_INPUT;
}
