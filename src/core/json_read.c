/* The JSON reader of core.h: RFC 8259 values (objects, arrays, strings with \uXXXX escapes and
 * surrogate pairs, numbers with their text kept so that 64-bit integers survive, true, false, null),
 * nesting limited to 32 levels. It reads model metadata (models) and extract.json (data). */
#include <musiclust/core.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef struct json_parser {
    const char *s, *end;
    int depth;
    const char *err;
} json_parser;

void mc_json_value_free(mc_json_value *v) {
    if (!v) return;
    for (int i = 0; i < v->n; i++) {
        mc_json_value_free(v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    free(v);
}

static void ws(json_parser *p) {
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')) p->s++;
}

static mc_json_value *fail(json_parser *p, const char *what, mc_json_value *v) {
    if (!p->err) p->err = what;
    mc_json_value_free(v);
    return NULL;
}

static int hex4(const char *s, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

static size_t put_utf8(char *o, unsigned cp) {
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A string starting at the opening quote; returns a malloc'd UTF-8 copy. */
static char *parse_string(json_parser *p) {
    p->s++; /* '"' */
    const char *start = p->s;
    size_t cap = 1;
    while (p->s < p->end && *p->s != '"') {
        if (*p->s == '\\') p->s++;
        p->s++;
        cap += 4;
    }
    if (p->s >= p->end) { p->err = "unterminated string"; return NULL; }
    char *o = malloc(cap);
    if (!o) { p->err = "out of memory"; return NULL; }
    size_t n = 0;
    for (const char *c = start; c < p->s;) {
        if ((unsigned char)*c < 0x20) { free(o); p->err = "control character in a string"; return NULL; }
        if (*c != '\\') { o[n++] = *c++; continue; }
        c++;
        switch (*c) {
        case '"': o[n++] = '"'; c++; break;
        case '\\': o[n++] = '\\'; c++; break;
        case '/': o[n++] = '/'; c++; break;
        case 'b': o[n++] = '\b'; c++; break;
        case 'f': o[n++] = '\f'; c++; break;
        case 'n': o[n++] = '\n'; c++; break;
        case 'r': o[n++] = '\r'; c++; break;
        case 't': o[n++] = '\t'; c++; break;
        case 'u': {
            unsigned cp = 0, lo = 0;
            if (p->s - c < 5 || !hex4(c + 1, &cp)) { free(o); p->err = "bad \\u escape"; return NULL; }
            c += 5;
            if (cp >= 0xD800 && cp < 0xDC00 && p->s - c >= 6 && c[0] == '\\' && c[1] == 'u' &&
                hex4(c + 2, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                c += 6;
            }
            n += put_utf8(o + n, cp);
            break;
        }
        default: free(o); p->err = "bad escape"; return NULL;
        }
    }
    o[n] = '\0';
    p->s++; /* closing quote */
    return o;
}

static mc_json_value *new_value(json_parser *p, mc_json_type t) {
    mc_json_value *v = calloc(1, sizeof *v);
    if (!v) p->err = "out of memory";
    else v->type = t;
    return v;
}

/* Append to an array or object. The arrays grow to the next power of two when n reaches one (n is
 * their only record of size), so a document of a million values costs ~20 reallocations, not a
 * million growing copies. */
static int push(mc_json_value *v, mc_json_value *item, char *key) {
    if ((v->n & (v->n - 1)) == 0) { /* n is 0 or a power of two: the arrays are full */
        if (v->n >= INT_MAX / 2) return 0;
        size_t cap = v->n ? 2 * (size_t)v->n : 1;
        mc_json_value **items = realloc(v->items, cap * sizeof *items);
        if (!items) return 0;
        v->items = items;
        if (v->type == MC_JSON_OBJECT) {
            char **keys = realloc(v->keys, cap * sizeof *keys);
            if (!keys) return 0;
            v->keys = keys;
        }
    }
    if (v->type == MC_JSON_OBJECT) v->keys[v->n] = key;
    v->items[v->n++] = item;
    return 1;
}

static mc_json_value *parse_value(json_parser *p) {
    ws(p);
    if (p->s >= p->end) return fail(p, "unexpected end", NULL);
    if (++p->depth > 32) return fail(p, "nested too deep", NULL);
    mc_json_value *v = NULL;
    char c = *p->s;
    if (c == '{' || c == '[') {
        v = new_value(p, c == '{' ? MC_JSON_OBJECT : MC_JSON_ARRAY);
        if (!v) return NULL;
        char close = c == '{' ? '}' : ']';
        p->s++;
        ws(p);
        if (p->s < p->end && *p->s == close) {
            p->s++;
        } else {
            for (;;) {
                char *key = NULL;
                if (v->type == MC_JSON_OBJECT) {
                    ws(p);
                    if (p->s >= p->end || *p->s != '"') return fail(p, "expected a key", v);
                    key = parse_string(p);
                    if (!key) return fail(p, "bad key", v);
                    ws(p);
                    if (p->s >= p->end || *p->s != ':') { free(key); return fail(p, "expected ':'", v); }
                    p->s++;
                }
                mc_json_value *item = parse_value(p);
                if (!item) { free(key); return fail(p, "bad value", v); }
                if (!push(v, item, key)) { free(key); mc_json_value_free(item); return fail(p, "out of memory", v); }
                ws(p);
                if (p->s < p->end && *p->s == ',') { p->s++; continue; }
                if (p->s < p->end && *p->s == close) { p->s++; break; }
                return fail(p, "expected ',' or a closing bracket", v);
            }
        }
    } else if (c == '"') {
        v = new_value(p, MC_JSON_STRING);
        if (!v) return NULL;
        v->str = parse_string(p);
        if (!v->str) return fail(p, "bad string", v);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        const char *start = p->s;
        while (p->s < p->end && strchr("+-0123456789.eE", *p->s)) p->s++;
        v = new_value(p, MC_JSON_NUMBER);
        if (!v) return NULL;
        v->str = malloc((size_t)(p->s - start) + 1);
        if (!v->str) return fail(p, "out of memory", v);
        memcpy(v->str, start, (size_t)(p->s - start));
        v->str[p->s - start] = '\0';
        char *e = NULL;
        v->num = strtod(v->str, &e);
        if (*e) return fail(p, "bad number", v);
    } else if (p->end - p->s >= 4 && memcmp(p->s, "true", 4) == 0) {
        v = new_value(p, MC_JSON_BOOL);
        if (v) v->num = 1;
        p->s += 4;
    } else if (p->end - p->s >= 5 && memcmp(p->s, "false", 5) == 0) {
        v = new_value(p, MC_JSON_BOOL);
        p->s += 5;
    } else if (p->end - p->s >= 4 && memcmp(p->s, "null", 4) == 0) {
        v = new_value(p, MC_JSON_NULL);
        p->s += 4;
    } else {
        return fail(p, "unexpected character", NULL);
    }
    p->depth--;
    return v;
}

mc_json_value *mc_json_parse(const char *text, const char **err) {
    json_parser p = {text, text + strlen(text), 0, NULL};
    mc_json_value *v = parse_value(&p);
    if (v) {
        ws(&p);
        if (p.s != p.end) v = fail(&p, "trailing characters", v);
    }
    if (err) *err = p.err ? p.err : "";
    return v;
}

const mc_json_value *mc_json_member(const mc_json_value *obj, const char *key) {
    if (!obj || obj->type != MC_JSON_OBJECT) return NULL;
    for (int i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0) return obj->items[i];
    return NULL;
}

int mc_json_int_value(const mc_json_value *v, int64_t *out) {
    if (!v || v->type != MC_JSON_NUMBER) return 0;
    char *e = NULL;
    errno = 0;
    long long x = strtoll(v->str, &e, 10);
    if (*e || errno) return 0;
    *out = x;
    return 1;
}
