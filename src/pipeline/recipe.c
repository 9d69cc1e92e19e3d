/* Recipes (pipeline.h): a whole experiment as a JSON file, read with libjansson (Debian's
 * libjansson-dev) into mc_recipe and applied to a run configuration. Strict: every key is known and
 * typed, so a typo in a copied recipe is an error naming the file and the key, never a silent default. */
#include "run_internal.h"

#include <jansson.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef MC_RECIPES_DIRS
#define MC_RECIPES_DIRS ""
#endif

/* ---------------------------------------------------------------- errors */

typedef struct rctx {
    const char *origin;
    char key[256]; /* the key path being read: "representations[1].latent" */
} rctx;

static mc_status bad(const rctx *c, const char *expected, const json_t *got) {
    const char *what = !got                ? "nothing"
                       : json_is_object(got) ? "an object"
                       : json_is_array(got)  ? "an array"
                       : json_is_string(got) ? "a string"
                       : json_is_integer(got) ? "an integer"
                       : json_is_real(got)    ? "a number"
                       : json_is_boolean(got) ? "a boolean"
                                              : "null";
    if (json_is_string(got))
        return mc_error_set(MC_STATUS_FORMAT, "%s: key '%s': expected %s, got \"%.60s\"", c->origin, c->key, expected,
                            json_string_value(got));
    if (json_is_number(got))
        return mc_error_set(MC_STATUS_FORMAT, "%s: key '%s': expected %s, got %g", c->origin, c->key, expected,
                            json_number_value(got));
    return mc_error_set(MC_STATUS_FORMAT, "%s: key '%s': expected %s, got %s", c->origin, c->key, expected, what);
}

/* Set c->key to parent + "." + name (or parent + "[i]"). */
static void key_at(rctx *c, const char *parent, const char *name, int index) {
    char tail[64]; /* names longer than 48 bytes are cut in the message */
    if (name) snprintf(tail, sizeof tail, "%s%.48s", parent[0] ? "." : "", name);
    else snprintf(tail, sizeof tail, "[%d]", index);
    const size_t lp = strnlen(parent, 180), lt = strlen(tail); /* lp + lt < sizeof c->key */
    memmove(c->key, parent, lp);
    memcpy(c->key + lp, tail, lt + 1);
}

static mc_status get_int(const rctx *c, const json_t *v, long long lo, long long hi, int *out) {
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        char e[96];
        snprintf(e, sizeof e, "an integer in %lld..%lld", lo, hi);
        return bad(c, e, v);
    }
    *out = (int)json_integer_value(v);
    return MC_STATUS_OK;
}

static mc_status get_num(const rctx *c, const json_t *v, double lo, double hi, double *out) {
    double x = json_is_number(v) ? json_number_value(v) : 0;
    if (!json_is_number(v) || !(x >= lo && x <= hi)) {
        char e[96];
        snprintf(e, sizeof e, "a number in %g..%g", lo, hi);
        return bad(c, e, v);
    }
    *out = x;
    return MC_STATUS_OK;
}

static mc_status get_bool(const rctx *c, const json_t *v, bool *out) {
    if (!json_is_boolean(v)) return bad(c, "true or false", v);
    *out = json_is_true(v);
    return MC_STATUS_OK;
}

static mc_status get_str(const rctx *c, const json_t *v, char *out, size_t cap) {
    if (!json_is_string(v) || json_string_length(v) >= cap || strlen(json_string_value(v)) != json_string_length(v)) {
        char e[96];
        snprintf(e, sizeof e, "a string of at most %zu bytes", cap - 1);
        return bad(c, e, v);
    }
    snprintf(out, cap, "%s", json_string_value(v));
    return MC_STATUS_OK;
}

static mc_status unknown(const rctx *c, const char *allowed) {
    return mc_error_set(MC_STATUS_FORMAT, "%s: unknown key '%s' (known here: %s)", c->origin, c->key, allowed);
}

/* ---------------------------------------------------------------- parts */

static const char *const KINDS[] = {"raw",    "pca",    "pca-logmel", "vae",     "ae",     "conv-ae",
                                    "beta-vae", "cvae", "mm-vae",     "conv-vae", "concat", "lyrics"};

static bool valid_id(const char *s) {
    if (!s[0]) return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_' || *p == '+' || (*p == '.' && p != s)))
            return false;
    return true;
}

static mc_status parse_algos(rctx *c, const json_t *v, unsigned *out) {
    const char *parent = c->key;
    char pk[256];
    snprintf(pk, sizeof pk, "%s", parent);
    if (!json_is_array(v) || json_array_size(v) == 0) return bad(c, "a non-empty array of kmeans, agglomerative, dbscan, gmm", v);
    unsigned m = 0;
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *e = json_array_get(v, i);
        key_at(c, pk, NULL, (int)i);
        const char *s = json_is_string(e) ? json_string_value(e) : "";
        if (strcmp(s, "kmeans") == 0) m |= MC_RECIPE_ALGO_KMEANS;
        else if (strcmp(s, "agglomerative") == 0) m |= MC_RECIPE_ALGO_AGGLOMERATIVE;
        else if (strcmp(s, "dbscan") == 0) m |= MC_RECIPE_ALGO_DBSCAN;
        else if (strcmp(s, "gmm") == 0) m |= MC_RECIPE_ALGO_GMM;
        else return bad(c, "kmeans, agglomerative, dbscan or gmm", e);
    }
    *out = m;
    return MC_STATUS_OK;
}

static mc_status parse_rep(rctx *c, const json_t *o, mc_recipe_rep *r) {
    char pk[256];
    snprintf(pk, sizeof pk, "%s", c->key);
    if (!json_is_object(o)) return bad(c, "an object {\"id\", \"kind\", options...}", o);
    memset(r, 0, sizeof *r);
    r->beta = r->lr = -1;
    r->maps = true;
    const char *k;
    json_t *v;
    mc_status st = MC_STATUS_OK;
    json_object_foreach((json_t *)o, k, v) {
        key_at(c, pk, k, 0);
        if (strcmp(k, "id") == 0) {
            st = get_str(c, v, r->id, sizeof r->id);
            if (st == MC_STATUS_OK && !valid_id(r->id)) st = bad(c, "an id of letters, digits and - _ + .", v);
        } else if (strcmp(k, "kind") == 0) {
            st = get_str(c, v, r->kind, sizeof r->kind);
            bool ok = false;
            for (size_t i = 0; i < sizeof KINDS / sizeof *KINDS; i++) ok |= st == MC_STATUS_OK && strcmp(r->kind, KINDS[i]) == 0;
            if (st == MC_STATUS_OK && !ok)
                st = bad(c, "raw, pca, pca-logmel, vae, ae, conv-ae, beta-vae, cvae, mm-vae, conv-vae, concat or lyrics", v);
        } else if (strcmp(k, "from") == 0) st = get_str(c, v, r->from, sizeof r->from);
        else if (strcmp(k, "input") == 0) {
            char in[16];
            st = get_str(c, v, in, sizeof in);
            if (st == MC_STATUS_OK && strcmp(in, "logmel") != 0 && strcmp(in, "vectors") != 0)
                st = bad(c, "vectors or logmel", v);
            r->logmel = st == MC_STATUS_OK && strcmp(in, "logmel") == 0;
            r->input_set = true;
        }
        else if (strcmp(k, "algorithms") == 0) st = parse_algos(c, v, &r->algos);
        else if (strcmp(k, "latent") == 0) st = get_int(c, v, 1, 4096, &r->latent);
        else if (strcmp(k, "epochs") == 0) st = get_int(c, v, 1, 100000, &r->epochs);
        else if (strcmp(k, "batch") == 0) st = get_int(c, v, 1, 1 << 20, &r->batch);
        else if (strcmp(k, "components") == 0) st = get_int(c, v, 1, 4096, &r->components);
        else if (strcmp(k, "beta") == 0) st = get_num(c, v, 0, 1e6, &r->beta);
        else if (strcmp(k, "lr") == 0) st = get_num(c, v, 1e-12, 10, &r->lr);
        else if (strcmp(k, "maps") == 0) st = get_bool(c, v, &r->maps);
        else if (strcmp(k, "fusion") == 0) {
            char f[16];
            st = get_str(c, v, f, sizeof f);
            if (st == MC_STATUS_OK && strcmp(f, "zscore") != 0 && strcmp(f, "block") != 0) st = bad(c, "block or zscore", v);
            r->fusion_zscore = st == MC_STATUS_OK && strcmp(f, "zscore") == 0;
        }
        else if (strcmp(k, "hidden") == 0) {
            if (!json_is_array(v) || json_array_size(v) < 1 || json_array_size(v) > MC_RECIPE_MAX_HIDDEN)
                st = bad(c, "an array of 1..8 layer widths", v);
            for (size_t i = 0; st == MC_STATUS_OK && i < json_array_size(v); i++) {
                char hk[256];
                snprintf(hk, sizeof hk, "%s", c->key);
                key_at(c, hk, NULL, (int)i);
                st = get_int(c, json_array_get(v, i), 1, 65536, &r->hidden[i]);
                snprintf(c->key, sizeof c->key, "%s", hk);
            }
            if (st == MC_STATUS_OK) r->n_hidden = (int)json_array_size(v);
        } else st = unknown(c, "id, kind, from, input, fusion, algorithms, latent, hidden, beta, epochs, batch, lr, components, maps");
        if (st != MC_STATUS_OK) return st;
    }
    snprintf(c->key, sizeof c->key, "%s", pk);
    if (!r->kind[0]) return mc_error_set(MC_STATUS_FORMAT, "%s: key '%s': no \"kind\"", c->origin, pk);
    if (!r->id[0]) snprintf(r->id, sizeof r->id, "%s", r->kind);
    if (r->input_set && strcmp(r->kind, "cvae") != 0 && strcmp(r->kind, "mm-vae") != 0)
        return mc_error_set(MC_STATUS_FORMAT, "%s: key '%s.input': only cvae and mm-vae choose their input (conv-ae, "
                            "conv-vae and pca-logmel read log-mel; the others the MFCC statistics)", c->origin, pk);
    if ((strcmp(r->kind, "concat") == 0) != (r->from[0] != '\0'))
        return mc_error_set(MC_STATUS_FORMAT, "%s: key '%s': \"from\" is for (and required by) kind concat", c->origin, pk);
    return MC_STATUS_OK;
}

static mc_status parse_tasks(rctx *c, const json_t *v, unsigned *out) {
    char buf[64] = "";
    if (json_is_string(v)) snprintf(buf, sizeof buf, "%s", json_string_value(v));
    else if (json_is_array(v))
        for (size_t i = 0; i < json_array_size(v); i++) {
            const json_t *e = json_array_get(v, i);
            if (!json_is_string(e) || json_string_length(e) > 8) return bad(c, "easy, medium, hard or all", e);
            size_t l = strlen(buf);
            snprintf(buf + l, sizeof buf - l, "%s%s", l ? "," : "", json_string_value(e));
        }
    else return bad(c, "a task name or an array of them (easy, medium, hard, all)", v);
    if (mc_pipeline_parse_tasks(buf, out) != MC_STATUS_OK) {
        mc_error_clear();
        return bad(c, "easy, medium, hard or all", v);
    }
    return MC_STATUS_OK;
}

/* A key of a section of plain values (features, budget, figures): its type, range and destination. */
typedef enum { RK_INT, RK_INT64, RK_NUM, RK_BOOL } rkey_type;
typedef struct rkey {
    const char *name;
    rkey_type type;
    double lo, hi; /* the accepted range (RK_INT, RK_INT64: whole numbers; RK_BOOL: unused) */
    void *dest;    /* int *, int64_t *, double *, bool * */
} rkey;

/* The object o of section `section`, every key one of keys[] (else an error listing them in order). */
static mc_status parse_section(rctx *c, const char *section, const char *expected, const json_t *o, const rkey *keys,
                               int nkeys) {
    if (!json_is_object(o)) return bad(c, expected, o);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        key_at(c, section, k, 0);
        const rkey *e = keys;
        while (e < keys + nkeys && strcmp(k, e->name) != 0) e++;
        mc_status st = MC_STATUS_OK;
        int x = 0;
        if (e == keys + nkeys) {
            char allowed[512] = "";
            for (int i = 0; i < nkeys; i++) {
                const size_t l = strlen(allowed);
                snprintf(allowed + l, sizeof allowed - l, "%s%s", i ? ", " : "", keys[i].name);
            }
            st = unknown(c, allowed);
        } else if (e->type == RK_INT) st = get_int(c, v, (long long)e->lo, (long long)e->hi, e->dest);
        else if (e->type == RK_INT64) {
            st = get_int(c, v, (long long)e->lo, (long long)e->hi, &x);
            if (st == MC_STATUS_OK) *(int64_t *)e->dest = x;
        } else if (e->type == RK_NUM) st = get_num(c, v, e->lo, e->hi, e->dest);
        else st = get_bool(c, v, e->dest);
        if (st != MC_STATUS_OK) return st;
    }
    return MC_STATUS_OK;
}

static mc_status parse_features(rctx *c, const json_t *o, mc_run_config *cfg) {
    mc_dsp_config *d = &cfg->extract.dsp;
    const rkey keys[] = {
        {"sr", RK_INT, 1000, 384000, &d->sr},
        {"segment", RK_NUM, 0, 3600, &cfg->extract.segment_s},
        {"n_fft", RK_INT, 16, 1 << 16, &d->n_fft},
        {"hop", RK_INT, 1, 1 << 16, &d->hop},
        {"n_mels", RK_INT, 1, 1024, &d->n_mels},
        {"n_mfcc", RK_INT, 1, 1024, &d->n_mfcc},
        {"fmin", RK_NUM, 0, 192000, &d->fmin},
        {"fmax", RK_NUM, 0, 192000, &d->fmax},
        {"logmel_frames", RK_INT, 0, 1 << 20, &cfg->extract.logmel_frames},
    };
    mc_status st = parse_section(c, "features", "an object {\"sr\", \"segment\", \"n_mfcc\", ...}", o, keys,
                                 (int)(sizeof keys / sizeof *keys));
    if (st != MC_STATUS_OK) return st;
    if (mc_dsp_config_validate(d) != MC_STATUS_OK) {
        char m[512];
        snprintf(m, sizeof m, "%s", mc_error_message());
        return mc_error_set(MC_STATUS_FORMAT, "%s: key 'features': %s", c->origin, m);
    }
    return MC_STATUS_OK;
}

static mc_status parse_budget(rctx *c, const json_t *o, mc_run_config *cfg) {
    const rkey keys[] = {
        {"conv_samples", RK_INT64, 1, 2000000000, &cfg->conv_budget},
        {"conv_min_epochs", RK_INT, 1, 100000, &cfg->conv_min_epochs},
        {"conv_max_epochs", RK_INT, 1, 100000, &cfg->conv_max_epochs},
        {"conv_batch", RK_INT, 1, 1 << 20, &cfg->conv_batch},
        {"mlp_epochs", RK_INT, 1, 100000, &cfg->mlp_epochs},
    };
    return parse_section(c, "budget", "an object {\"conv_samples\", \"conv_max_epochs\", ...}", o, keys,
                         (int)(sizeof keys / sizeof *keys));
}

static mc_status parse_figures(rctx *c, const json_t *o, mc_run_config *cfg, mc_recipe *r) {
    const rkey keys[] = {
        {"maps", RK_BOOL, 0, 0, &cfg->maps},
        {"report", RK_BOOL, 0, 0, &cfg->report},
        {"reconstructions", RK_BOOL, 0, 0, &r->recon},
    };
    return parse_section(c, "figures", "an object {\"maps\", \"report\", \"reconstructions\"}", o, keys,
                         (int)(sizeof keys / sizeof *keys));
}

/* The checks across keys: unique ids, concat sources, algorithms defaulted. */
static mc_status check_reps(const char *origin, mc_recipe *r, unsigned algos) {
    for (int i = 0; i < r->n_reps; i++) {
        mc_recipe_rep *p = &r->reps[i];
        if (!p->algos) p->algos = algos;
        for (int j = 0; j < i; j++)
            if (strcmp(r->reps[j].id, p->id) == 0)
                return mc_error_set(MC_STATUS_FORMAT, "%s: key 'representations[%d].id': '%s' is used twice", origin, i, p->id);
        if (p->from[0]) {
            int j = 0;
            while (j < r->n_reps && (j == i || strcmp(r->reps[j].id, p->from) != 0)) j++;
            if (j == r->n_reps || strcmp(r->reps[j].kind, "concat") == 0)
                return mc_error_set(MC_STATUS_FORMAT, "%s: key 'representations[%d].from': '%s' is not another "
                                    "representation of the recipe (nor a concat)", origin, i, p->from);
        }
    }
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- the reader */

static mc_status parse_root(rctx *c, const json_t *root, mc_recipe *r, mc_run_config *cfg) {
    if (!json_is_object(root)) return mc_error_set(MC_STATUS_FORMAT, "%s: a recipe is a JSON object", c->origin);
    const char *k;
    json_t *v;
    mc_status st = MC_STATUS_OK;
    unsigned algos = MC_RECIPE_ALGO_KMEANS;
    bool have_reps = false;
    json_object_foreach((json_t *)root, k, v) {
        key_at(c, "", k, 0);
        if (strcmp(k, "recipe") == 0) st = get_str(c, v, r->name, sizeof r->name);
        else if (strcmp(k, "description") == 0) st = get_str(c, v, r->description, sizeof r->description);
        else if (strcmp(k, "features") == 0) st = parse_features(c, v, cfg);
        else if (strcmp(k, "tasks") == 0) st = parse_tasks(c, v, &r->tasks);
        else if (strcmp(k, "algorithms") == 0) st = parse_algos(c, v, &algos);
        else if (strcmp(k, "label") == 0) st = get_str(c, v, r->label, sizeof r->label);
        else if (strcmp(k, "seeds") == 0) st = get_int(c, v, 1, PL_MAX_SEEDS, &cfg->seeds);
        else if (strcmp(k, "first_seed") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 0) st = bad(c, "an integer >= 0", v);
            else cfg->first_seed = (uint64_t)json_integer_value(v);
        } else if (strcmp(k, "k_max") == 0) st = get_int(c, v, 2, 1000, &cfg->k_max);
        else if (strcmp(k, "k") == 0) {
            if (json_is_string(v) && strcmp(json_string_value(v), "label") == 0) cfg->k = 0, cfg->k_sweep = false;
            else if (json_is_string(v) && strcmp(json_string_value(v), "sweep") == 0) cfg->k = 0, cfg->k_sweep = true;
            else if (json_is_integer(v)) st = get_int(c, v, 2, 100000, &cfg->k);
            else st = bad(c, "an integer >= 2, \"label\" (the main label's classes) or \"sweep\" (by silhouette)", v);
        } else if (strcmp(k, "budget") == 0) st = parse_budget(c, v, cfg);
        else if (strcmp(k, "figures") == 0) st = parse_figures(c, v, cfg, r);
        else if (strcmp(k, "representations") == 0) {
            have_reps = true;
            if (!json_is_array(v) || json_array_size(v) < 1 || json_array_size(v) > MC_RECIPE_MAX_REPS)
                st = bad(c, "an array of 1..16 representations", v);
            for (size_t i = 0; st == MC_STATUS_OK && i < json_array_size(v); i++) {
                key_at(c, "representations", NULL, (int)i);
                st = parse_rep(c, json_array_get(v, i), &r->reps[i]);
                r->n_reps = (int)i + 1;
            }
        } else
            st = unknown(c, "recipe, description, features, tasks, representations, algorithms, k, k_max, label, seeds, "
                            "first_seed, budget, figures");
        if (st != MC_STATUS_OK) return st;
    }
    if (have_reps == (r->tasks != 0))
        return mc_error_set(MC_STATUS_FORMAT, "%s: give either \"representations\" or \"tasks\" (one of them)", c->origin);
    return check_reps(c->origin, r, algos);
}

/* The message stays one line whatever the recipe holds: keys and values are quoted in it, and a JSON
 * string may hold any control character ("\n" in a key); each becomes '?'. */
static mc_status one_line(mc_status st) {
    char m[1024];
    snprintf(m, sizeof m, "%s", mc_error_message());
    bool changed = false;
    for (char *p = m; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?', changed = true;
    return changed ? mc_error_set(st, "%s", m) : st;
}

mc_status mc_pipeline_recipe_parse(const char *text, size_t len, const char *origin, mc_recipe *out,
                                   struct mc_run_config *cfg) {
    if (!text || !out || !cfg) return mc_error_set(MC_STATUS_INVALID_ARG, "recipe: NULL argument");
    if (!origin) origin = "recipe";
    memset(out, 0, sizeof *out);
    out->recon = true;
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return one_line(mc_error_set(MC_STATUS_FORMAT, "%s: line %d, column %d: %s", origin, jerr.line, jerr.column,
                                     jerr.text));
    rctx c = {origin, ""};
    mc_run_config saved = *cfg;
    mc_status st = parse_root(&c, root, out, cfg);
    json_decref(root);
    if (st != MC_STATUS_OK) {
        *cfg = saved; /* a failed recipe changes nothing */
        memset(out, 0, sizeof *out);
        return one_line(st);
    }
    if (!out->name[0]) {
        const char *b = strrchr(origin, '/');
        snprintf(out->name, sizeof out->name, "%s", b ? b + 1 : origin);
        char *dot = strrchr(out->name, '.');
        if (dot && strcmp(dot, ".json") == 0) *dot = '\0';
    }
    if (out->tasks) cfg->tasks = out->tasks;
    if (out->label[0]) cfg->label = out->label;
    cfg->recipe = out;
    return MC_STATUS_OK;
}

/* ---------------------------------------------------------------- files */

static bool is_file(const char *p) {
    struct stat s;
    return stat(p, &s) == 0 && S_ISREG(s.st_mode);
}

/* The folders searched for built-in recipes, ':'-separated into buf (as PATH). */
static void recipe_dirs(char *buf, size_t cap) {
    const char *env = getenv("MUSICLUST_RECIPES");
    snprintf(buf, cap, "%s%s%s", env && *env ? env : "", env && *env ? ":" : "", MC_RECIPES_DIRS);
}

mc_status mc_pipeline_recipe_find(const char *name, char *path, size_t cap) {
    if (!name || !name[0] || !path || cap == 0) return mc_error_set(MC_STATUS_INVALID_ARG, "recipe: no name");
    const size_t n = strlen(name);
    if (is_file(name) || strchr(name, '/') || (n > 5 && strcmp(name + n - 5, ".json") == 0)) {
        if (!is_file(name)) return mc_error_set(MC_STATUS_IO, "%s: no such recipe file", name);
        snprintf(path, cap, "%s", name);
        return MC_STATUS_OK;
    }
    char dirs[8192];
    recipe_dirs(dirs, sizeof dirs);
    for (char *p = dirs; p && *p;) {
        char *e = strchr(p, ':');
        if (e) *e = '\0';
        if (*p) {
            snprintf(path, cap, "%s/%s.json", p, name);
            if (is_file(path)) return MC_STATUS_OK;
        }
        p = e ? e + 1 : NULL;
    }
    char list[1024];
    mc_pipeline_recipe_list(list, sizeof list);
    recipe_dirs(dirs, sizeof dirs);
    path[0] = '\0';
    return mc_error_set(MC_STATUS_IO, "recipe '%s': not a file, and not a built-in recipe (%s; searched %s)", name,
                        list[0] ? list : "none found", dirs[0] ? dirs : "no folder");
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void mc_pipeline_recipe_list(char *buf, size_t cap) {
    if (!buf || !cap) return;
    buf[0] = '\0';
    char dirs[8192], *names[128];
    int n = 0;
    recipe_dirs(dirs, sizeof dirs);
    for (char *p = dirs; p && *p;) {
        char *e = strchr(p, ':');
        if (e) *e = '\0';
        DIR *d = *p ? opendir(p) : NULL;
        struct dirent *de;
        while (d && (de = readdir(d)) && n < 128) {
            size_t l = strlen(de->d_name);
            if (l <= 5 || de->d_name[0] == '.' || strcmp(de->d_name + l - 5, ".json") != 0) continue;
            bool dup = false;
            for (int i = 0; i < n; i++) dup |= strncmp(names[i], de->d_name, l - 5) == 0 && names[i][l - 5] == '\0';
            if (!dup && (names[n] = mc_strdup(de->d_name))) names[n++][l - 5] = '\0';
        }
        if (d) closedir(d);
        p = e ? e + 1 : NULL;
    }
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        size_t l = strlen(buf);
        snprintf(buf + l, cap - l, "%s%s", i ? ", " : "", names[i]);
        free(names[i]);
    }
}

mc_status mc_pipeline_recipe_load(const char *name_or_file, mc_recipe *out, struct mc_run_config *cfg) {
    if (!out || !cfg) return mc_error_set(MC_STATUS_INVALID_ARG, "recipe: NULL argument");
    char path[4096];
    mc_status st = mc_pipeline_recipe_find(name_or_file, path, sizeof path);
    if (st != MC_STATUS_OK) return st;
    FILE *f = fopen(path, "rb");
    if (!f) return mc_error_set(MC_STATUS_IO, "%s: cannot read: %s", path, strerror(errno));
    enum { MAX = 1 << 20 };
    char *buf = mc_calloc(MAX + 1, 1); // (MAX + 1) bytes: the recipe text, one byte to spot a longer file
    size_t n = buf ? fread(buf, 1, MAX + 1, f) : 0;
    bool err = ferror(f) != 0;
    fclose(f);
    if (!buf) return mc_error_nomem("%s: out of memory for the recipe text", path);
    if (err) st = mc_error_set(MC_STATUS_IO, "%s: read error", path);
    else if (n > MAX) st = mc_error_set(MC_STATUS_FORMAT, "%s: larger than 1 MiB: not a recipe", path);
    else st = mc_pipeline_recipe_parse(buf, n, path, out, cfg);
    free(buf);
    if (st == MC_STATUS_OK) snprintf(out->path, sizeof out->path, "%s", path);
    return st;
}
