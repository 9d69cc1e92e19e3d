/* Shared pieces of the command-line program: option parsing, logging to stderr, progress bars.
 * Exit statuses: 0 success, 1 bad input (one line naming the file and the problem), 2 usage error. */
#ifndef MC_CLI_H
#define MC_CLI_H

#include <musiclust/core.h>
#include <musiclust/dist.h>
#include <musiclust/pipeline.h>

#include <stdbool.h>

enum { MC_EXIT_OK = 0, MC_EXIT_INPUT = 1, MC_EXIT_USAGE = 2 };

/* --threads N accepts 1..CLI_MAX_THREADS (every command; leaving it out means every core). */
#define CLI_MAX_THREADS 1024

typedef enum cli_opt_kind { CLI_FLAG, CLI_INT, CLI_DOUBLE, CLI_STRING, CLI_U64, CLI_LIST } cli_opt_kind;

/* The values of a repeatable option (CLI_LIST), in the order given. */
#define CLI_LIST_MAX 64
typedef struct cli_list {
    const char *v[CLI_LIST_MAX];
    int n;
} cli_list;

typedef struct cli_opt {
    const char *name;     /* long name without dashes, e.g. "sr" */
    char short_name;      /* e.g. 'o', or 0 */
    cli_opt_kind kind;
    void *dest;           /* bool*, int*, double*, const char**, uint64_t*, cli_list* */
    const char *metavar;  /* "N", "FILE"... */
    const char *help;     /* one line; say the default */
} cli_opt;

typedef struct cli_command {
    const char *name;
    const char *usage;    /* "musiclust extract [options] INPUT... -o FEATDIR" */
    const char *summary;  /* one paragraph shown under the usage */
    const cli_opt *opts;
    int nopts;
    int min_pos, max_pos; /* positional argument counts (max -1 = unlimited) */
} cli_command;

/* Parse argv (after the subcommand name): --name VALUE, --name=VALUE, -x VALUE, -xVALUE (a short
 * option with its value attached, e.g. -k3), flags, "--". Returns -1 to go on, or an exit status (0 after --help,
 * 2 on a usage error, already reported). Positionals are returned in pos (pointers into argv). */
int cli_parse(const cli_command *cmd, int argc, char **argv, const char ***pos, int *npos);
/* After cli_parse (or cli_start): whether the option that writes to dest was on the command line, in any
 * of its forms (--name V, --name=V, -xV, -x V). For a default that depends on another option. */
bool cli_given(const void *dest);
/* The help: usage, summary and options wrapped to 80 columns (summary lines that start with spaces
 * are kept as lines: lists and the "Examples:" of each command). */
void cli_print_help(const cli_command *cmd, FILE *f);

/* cli_parse, then logging set up with the parsed --quiet (quiet NULL: not quiet). Returns -1 to go on,
 * else the exit status (the positionals freed). pos NULL: the command takes no positionals. */
int cli_start(const cli_command *cmd, int argc, char **argv, const bool *quiet, const char ***pos, int *npos);

/* The process group of this run (dist.h): NULL alone, else the mpirun / srun group (main.c). Ranks
 * other than 0 print nothing on stdout, only errors on stderr, and show no progress bar. */
mc_dist *cli_dist(void);
int cli_rank(void);

/* Set up logging: warnings and errors always go to stderr; info only without --quiet. */
void cli_init_logging(bool quiet);
/* A progress bar on stderr (redrawn on a terminal, plain lines otherwise); NULL when quiet. */
mc_progress *cli_progress(bool quiet, const char *label, int64_t total);
/* The one error idiom of the commands, each a line on stderr starting "musiclust CMD: ":
 *   cli_usage  a usage error: the message and the usage line; returns MC_EXIT_USAGE (2)
 *   cli_input  bad input: the message (naming the file and the problem); returns MC_EXIT_INPUT (1)
 *   cli_fail   a library failure: its message; 2 for MC_STATUS_INVALID_ARG (the options), else 1 */
int cli_usage(const cli_command *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
int cli_input(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
int cli_fail(const char *cmd, mc_status st);

int cmd_extract(int argc, char **argv);
int cmd_lyrics(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_embed(int argc, char **argv);
int cmd_cluster(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_assign(int argc, char **argv);

/* After a run: the metrics tables (leaks marked) and the per-stage times (cmd_run.c). */
void cli_print_run(const char *results, const mc_run_summary *sum);

#endif
