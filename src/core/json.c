/* A small JSON writer (RFC 8259) that builds a pretty-printed document in memory, laid out like
 * Python's json.dumps(indent=2): one member or element per line, "key": value, empty containers as
 * {} and []. The writer tracks nesting, so callers never place commas; any misuse poisons the
 * document (mc_json_text returns NULL) rather than producing invalid JSON. */
#include "core_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct json_frame {
    char type;       /* '{' or '[' */
    int key_pending; /* object: a key was written and its value is due */
    int64_t count;   /* members or elements written so far */
} json_frame;

struct mc_json {
    char *buf; // (cap) bytes, buf[len] == '\0'
    size_t len, cap;
    json_frame *stack; // (stack_cap) open containers, innermost last
    int depth, stack_cap;
    int root_done; /* the single top-level value is complete */
    int error;     /* misuse or out of memory: the document is void */
};

mc_status mc_json_create(mc_json **out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_json_create: NULL output");
    *out = NULL;
    mc_json *j = mc_calloc(1, sizeof *j);
    if (!j) return mc_error_nomem("out of memory creating a JSON document");
    j->cap = 1024;
    j->buf = mc_calloc(1, j->cap);
    if (!j->buf) {
        free(j);
        return mc_error_nomem("out of memory creating a JSON document");
    }
    j->buf[0] = '\0';
    *out = j;
    return MC_STATUS_OK;
}

void mc_json_free(mc_json *j) {
    if (!j) return;
    free(j->buf);
    free(j->stack);
    free(j);
}

static void put(mc_json *j, const char *s, size_t n) {
    if (j->error) return;
    if (j->len + n + 1 > j->cap) {
        size_t nc = j->cap;
        while (j->len + n + 1 > nc) {
            if (nc > SIZE_MAX / 2) {
                j->error = 1;
                return;
            }
            nc *= 2;
        }
        char *nb = mc_realloc(j->buf, nc, 1);
        if (!nb) {
            j->error = 1;
            return;
        }
        j->buf = nb;
        j->cap = nc;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
    j->buf[j->len] = '\0';
}

static void puts_(mc_json *j, const char *s) { put(j, s, strlen(s)); }

static void newline_indent(mc_json *j, int level) {
    put(j, "\n", 1);
    for (int i = 0; i < level; i++) put(j, "  ", 2);
}

/* RFC 8259 section 7: '"' and '\\' are escaped, control characters U+0000..U+001F are written as
 * \u00XX; every other byte (UTF-8 included) passes through unchanged. */
static void put_escaped(mc_json *j, const char *s) {
    put(j, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c != '"' && c != '\\' && c >= 0x20) continue;
        put(j, run, (size_t)(s - run));
        if (c == '"') {
            put(j, "\\\"", 2);
        } else if (c == '\\') {
            put(j, "\\\\", 2);
        } else {
            char e[8];
            snprintf(e, sizeof e, "\\u%04x", c);
            put(j, e, 6);
        }
        run = s + 1;
    }
    put(j, run, (size_t)(s - run));
    put(j, "\"", 1);
}

/* Position the output for a new value; returns 0 (and poisons the document) when no value may
 * go here: a second top-level value, or an object member without its key. */
static int begin_value(mc_json *j) {
    if (!j || j->error) return 0;
    if (j->depth == 0) {
        if (j->root_done) {
            j->error = 1;
            return 0;
        }
        return 1;
    }
    json_frame *f = &j->stack[j->depth - 1];
    if (f->type == '{') {
        if (!f->key_pending) {
            j->error = 1;
            return 0;
        }
        f->key_pending = 0;
        return 1;
    }
    if (f->count > 0) put(j, ",", 1);
    newline_indent(j, j->depth);
    f->count++;
    return 1;
}

/* A scalar or a closed container completed a value; at top level that ends the document. */
static void end_value(mc_json *j) {
    if (j->depth == 0) {
        j->root_done = 1;
        put(j, "\n", 1);
    }
}

static void begin_container(mc_json *j, char type) {
    if (!begin_value(j)) return;
    if (j->depth == j->stack_cap) {
        int nc = j->stack_cap ? j->stack_cap * 2 : 16;
        json_frame *ns = mc_realloc(j->stack, (size_t)nc * sizeof *ns, 1);
        if (!ns) {
            j->error = 1;
            return;
        }
        j->stack = ns;
        j->stack_cap = nc;
    }
    j->stack[j->depth++] = (json_frame){type, 0, 0};
    put(j, type == '{' ? "{" : "[", 1);
}

static void end_container(mc_json *j, char type) {
    if (!j || j->error) return;
    if (j->depth == 0 || j->stack[j->depth - 1].type != type || j->stack[j->depth - 1].key_pending) {
        j->error = 1;
        return;
    }
    json_frame *f = &j->stack[--j->depth];
    if (f->count > 0) newline_indent(j, j->depth);
    put(j, type == '{' ? "}" : "]", 1);
    end_value(j);
}

void mc_json_begin_object(mc_json *j) { begin_container(j, '{'); }
void mc_json_end_object(mc_json *j) { end_container(j, '{'); }
void mc_json_begin_array(mc_json *j) { begin_container(j, '['); }
void mc_json_end_array(mc_json *j) { end_container(j, '['); }

void mc_json_key(mc_json *j, const char *key) {
    if (!j || j->error) return;
    if (j->depth == 0 || !key) {
        j->error = 1;
        return;
    }
    json_frame *f = &j->stack[j->depth - 1];
    if (f->type != '{' || f->key_pending) {
        j->error = 1;
        return;
    }
    if (f->count > 0) put(j, ",", 1);
    newline_indent(j, j->depth);
    put_escaped(j, key);
    put(j, ": ", 2);
    f->key_pending = 1;
    f->count++;
}

void mc_json_string(mc_json *j, const char *s) {
    if (!begin_value(j)) return;
    if (s) put_escaped(j, s);
    else puts_(j, "null");
    end_value(j);
}

void mc_json_number(mc_json *j, double v) {
    if (!begin_value(j)) return;
    if (!isfinite(v)) {
        puts_(j, "null"); /* JSON has no NaN or Infinity */
    } else {
        /* Shortest decimal that reads back to the same double: try 1..17 significant digits
         * (17 always round-trips an IEEE double). */
        char b[40];
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(b, sizeof b, "%.*g", prec, v);
            if (strtod(b, NULL) == v) break;
        }
        puts_(j, b);
    }
    end_value(j);
}

void mc_json_int(mc_json *j, int64_t v) {
    if (!begin_value(j)) return;
    char b[32];
    snprintf(b, sizeof b, "%" PRId64, v);
    puts_(j, b);
    end_value(j);
}

void mc_json_bool(mc_json *j, bool v) {
    if (!begin_value(j)) return;
    puts_(j, v ? "true" : "false");
    end_value(j);
}

void mc_json_null(mc_json *j) {
    if (!begin_value(j)) return;
    puts_(j, "null");
    end_value(j);
}

const char *mc_json_text(const mc_json *j) {
    if (!j || j->error || j->depth != 0 || !j->root_done) return NULL;
    return j->buf;
}

mc_status mc_json_write_file(const mc_json *j, const char *path) {
    const char *text = mc_json_text(j);
    if (!path) return mc_error_set(MC_STATUS_INVALID_ARG, "mc_json_write_file: NULL path");
    if (!text) {
        return mc_error_set(MC_STATUS_INVALID_ARG, "%s: JSON document is incomplete, unbalanced or "
                            "was built out of order", path);
    }
    return mc_file_write_atomic(path, text, j->len);
}
