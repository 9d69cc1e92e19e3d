/* Language identification: the script of the letters first, then, for Latin script, a naive-Bayes
 * classifier over character 1..3-grams within word boundaries (the char_wb n-grams of the tokenizer's
 * output), with profiles built at start-up from the compiled-in corpus (src/text/lang/<code>.txt, prose
 * written for this project plus common-word lists; see tools/make_text_tables.py).
 *
 * Scoring: log P(text | L) = sum over the text's n-grams g of log P_L(g), with P_L(g) the Lidstone
 * estimate (count_L(g) + 0.5) / (N_L,o + 0.5 (V_o + 1)) among the n-grams of the same length o
 * (N_L,o: n-grams of length o in L's corpus, V_o: distinct ones over all corpora). N-grams that occur
 * in no profile carry no evidence and are skipped. Overlapping n-grams are far from independent, so
 * the total log-likelihood overstates the certainty; the confidence reported is instead how much of
 * the text agrees: the text is cut into blocks of about 150 n-grams, each block votes for its own
 * best language, and the confidence is the winner's share of the votes. A song sung half in German
 * and half in English is "unknown" (two languages too close), not a coin toss. */
#include "lang_corpus.h"
#include "text_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LANGS 16
#define MAX_ORDER 3
#define ALPHA 0.5
#define MIN_LETTERS 20     /* fewer letters: "too little text" */
#define MIN_NGRAMS 40      /* fewer n-grams found in the profiles: too little Latin text */
#define BLOCK_NGRAMS 150   /* block length for the votes (about 8 to 10 words) */
#define MIN_MARGIN 0.05    /* nats per n-gram between the best two languages */
#define MIN_CONFIDENCE 0.5 /* the winner must hold a majority of the text ... */
#define MIN_VOTE_RATIO 2.0 /* ... and at least twice the share of any other language */

struct mc_langid {
    int nlang;
    const char *codes[MAX_LANGS];
    mc_strmap grams; /* n-gram -> entry; aux = its length in code points */
    float *logp;     // (grams.count, nlang) log P_L(g)
};

typedef struct build_ctx {
    mc_strmap *map;
    int64_t *counts; /* (count, nlang) or NULL in the first pass */
    int lang, nlang;
    bool failed;
} build_ctx;

static void build_cb(const char *s, size_t len, int n, void *user) {
    build_ctx *b = user;
    if (b->failed) return;
    uint64_t h = mc_strmap_hash(s, len);
    if (!b->counts) {
        int64_t e = mc_strmap_insert(b->map, s, len, h, NULL);
        if (e < 0) b->failed = true;
        else b->map->aux[e] = n;
        return;
    }
    int64_t e = mc_strmap_find(b->map, s, len, h);
    if (e >= 0) b->counts[e * b->nlang + b->lang]++;
}

/* Run fn over the char_wb 1..3-grams of every paragraph of a corpus. */
static mc_status corpus_ngrams(const char *const *text, mc_textbuf *tb, build_ctx *b) {
    for (int p = 0; text[p]; p++) {
        mc_status st = mc_text_tokenize_padded(text[p], strlen(text[p]), tb);
        if (st != MC_STATUS_OK) return st;
        mc_text_ngrams_char_wb(tb->s, tb->len, 1, MAX_ORDER, build_cb, b);
        if (b->failed) return MC_STATUS_NO_MEMORY;
    }
    return MC_STATUS_OK;
}

void mc_text_langid_free(mc_langid *id) {
    if (!id) return;
    mc_strmap_free(&id->grams);
    free(id->logp);
    free(id);
}

mc_status mc_text_langid_create(mc_langid **out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "langid: out is NULL");
    *out = NULL;
    mc_langid *id = mc_calloc(1, sizeof *id);
    if (!id) return mc_error_nomem("out of memory allocating the language identifier");
    const int nl = (int)(sizeof mc_lang_corpora / sizeof mc_lang_corpora[0]);
    id->nlang = nl < MAX_LANGS ? nl : MAX_LANGS;
    for (int L = 0; L < id->nlang; L++) id->codes[L] = mc_lang_corpora[L].code;
    mc_status st = mc_strmap_init(&id->grams, 16384);
    mc_textbuf tb = {0};
    build_ctx b = {&id->grams, NULL, 0, id->nlang, false};
    /* Pass 1: the n-gram inventory over all languages. */
    for (int L = 0; st == MC_STATUS_OK && L < id->nlang; L++) st = corpus_ngrams(mc_lang_corpora[L].text, &tb, &b);
    const int64_t ng = id->grams.count;
    int64_t *counts = NULL;
    if (st == MC_STATUS_OK) {
        counts = mc_calloc((size_t)ng * id->nlang, sizeof *counts); // (ng, nlang)
        id->logp = mc_calloc(1, (size_t)ng * id->nlang * sizeof *id->logp);
        if (!counts || !id->logp) st = mc_error_nomem("out of memory for language profiles");
    }
    /* Pass 2: counts per language. */
    b.counts = counts;
    for (int L = 0; st == MC_STATUS_OK && L < id->nlang; L++) {
        b.lang = L;
        st = corpus_ngrams(mc_lang_corpora[L].text, &tb, &b);
    }
    if (st == MC_STATUS_OK) {
        double total[MAX_LANGS][MAX_ORDER + 1] = {{0}};
        double distinct[MAX_ORDER + 1] = {0};
        for (int64_t e = 0; e < ng; e++) {
            int o = (int)id->grams.aux[e];
            distinct[o] += 1;
            for (int L = 0; L < id->nlang; L++) total[L][o] += (double)counts[e * id->nlang + L];
        }
        for (int64_t e = 0; e < ng; e++) {
            int o = (int)id->grams.aux[e];
            for (int L = 0; L < id->nlang; L++)
                id->logp[e * id->nlang + L] = (float)log(((double)counts[e * id->nlang + L] + ALPHA) /
                                                         (total[L][o] + ALPHA * (distinct[o] + 1)));
        }
    }
    free(counts);
    mc_textbuf_free(&tb);
    if (st != MC_STATUS_OK) {
        mc_text_langid_free(id);
        return st;
    }
    *out = id;
    return MC_STATUS_OK;
}

const char *const *mc_text_langid_profiles(const mc_langid *id, int *n) {
    if (n) *n = id ? id->nlang : 0;
    return id ? id->codes : NULL;
}

/* ---------------------------------------------------------------- detection */

typedef struct score_ctx {
    const mc_langid *id;
    double total[MAX_LANGS]; /* log-likelihood of the whole text */
    double block[MAX_LANGS]; /* of the current block */
    int64_t block_n, matched;
    double votes[MAX_LANGS]; /* n-grams of the blocks won by each language */
} score_ctx;

static int argmax(const double *v, int n) {
    int b = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[b]) b = i;
    return b;
}

static void close_block(score_ctx *c) {
    if (c->block_n == 0) return;
    c->votes[argmax(c->block, c->id->nlang)] += (double)c->block_n;
    memset(c->block, 0, sizeof c->block);
    c->block_n = 0;
}

static void score_cb(const char *s, size_t len, int n, void *user) {
    (void)n;
    score_ctx *c = user;
    const mc_langid *id = c->id;
    int64_t e = mc_strmap_find(&id->grams, s, len, mc_strmap_hash(s, len));
    if (e < 0) return;
    const float *lp = id->logp + e * id->nlang;
    for (int L = 0; L < id->nlang; L++) {
        c->total[L] += lp[L];
        c->block[L] += lp[L];
    }
    c->matched++;
    if (++c->block_n >= BLOCK_NGRAMS) close_block(c);
}

static void set_code(char dst[8], const char *code) { snprintf(dst, 8, "%s", code); }

mc_status mc_text_langid_detect(const mc_langid *id, const char *text, size_t len,
                                mc_lang_guess *out) {
    if (!out) return mc_error_set(MC_STATUS_INVALID_ARG, "langid: out is NULL");
    memset(out, 0, sizeof *out);
    set_code(out->language, "unknown");
    if (!id) return mc_error_set(MC_STATUS_INVALID_ARG, "langid: no identifier");
    if (!text) len = 0;

    /* Letters per script, and the letters that tell languages of one script apart. */
    int64_t count[MC_SCRIPT_COUNT] = {0};
    int64_t persian = 0, urdu = 0, ukrainian = 0, serbian = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += mc_text_utf8_decode(text + i, len - i, &cp);
        mc_script sc = mc_text_script(cp);
        if (sc == MC_SCRIPT_NONE || sc == MC_SCRIPT_INHERITED) continue;
        count[sc]++;
        uint32_t lc = mc_text_lower(cp);
        if (sc == MC_SCRIPT_ARABIC) {
            persian += lc == 0x067E || lc == 0x0686 || lc == 0x0698 || lc == 0x06AF || lc == 0x06CC || lc == 0x06A9;
            urdu += lc == 0x0679 || lc == 0x0688 || lc == 0x0691 || lc == 0x06BA || lc == 0x06BE || lc == 0x06C1 ||
                    lc == 0x06D2;
        } else if (sc == MC_SCRIPT_CYRILLIC) {
            ukrainian += lc == 0x0456 || lc == 0x0457 || lc == 0x0454 || lc == 0x0491;
            serbian += lc == 0x0452 || lc == 0x045B || lc == 0x045F || lc == 0x0459 || lc == 0x045A || lc == 0x0458;
        }
    }
    int64_t total = 0;
    for (int s = 0; s < MC_SCRIPT_COUNT; s++) total += count[s];
    /* Han and kana count as one group: Japanese mixes them. */
    int64_t cjk = count[MC_SCRIPT_HAN] + count[MC_SCRIPT_HIRAGANA] + count[MC_SCRIPT_KATAKANA];
    int dom = MC_SCRIPT_NONE;
    int64_t dom_n = 0;
    for (int s = MC_SCRIPT_OTHER; s < MC_SCRIPT_COUNT; s++) {
        int64_t v = (s == MC_SCRIPT_HAN || s == MC_SCRIPT_HIRAGANA || s == MC_SCRIPT_KATAKANA) ? cjk : count[s];
        if (v > dom_n) {
            dom_n = v;
            dom = s;
        }
    }
    out->letters = total;
    out->script = (mc_script)dom;
    if (total < MIN_LETTERS) return MC_STATUS_OK; /* too little text */
    double share = (double)dom_n / (double)total;

    if (dom != MC_SCRIPT_LATIN) {
        const char *code = NULL;
        switch ((mc_script)dom) {
        case MC_SCRIPT_BENGALI: code = "bn"; break;
        case MC_SCRIPT_DEVANAGARI: code = "hi"; break;
        case MC_SCRIPT_GURMUKHI: code = "pa"; break;
        case MC_SCRIPT_GUJARATI: code = "gu"; break;
        case MC_SCRIPT_ORIYA: code = "or"; break;
        case MC_SCRIPT_TAMIL: code = "ta"; break;
        case MC_SCRIPT_TELUGU: code = "te"; break;
        case MC_SCRIPT_KANNADA: code = "kn"; break;
        case MC_SCRIPT_MALAYALAM: code = "ml"; break;
        case MC_SCRIPT_SINHALA: code = "si"; break;
        case MC_SCRIPT_THAI: code = "th"; break;
        case MC_SCRIPT_LAO: code = "lo"; break;
        case MC_SCRIPT_TIBETAN: code = "bo"; break;
        case MC_SCRIPT_MYANMAR: code = "my"; break;
        case MC_SCRIPT_GEORGIAN: code = "ka"; break;
        case MC_SCRIPT_ARMENIAN: code = "hy"; break;
        case MC_SCRIPT_HEBREW: code = "he"; break;
        case MC_SCRIPT_GREEK: code = "el"; break;
        case MC_SCRIPT_ETHIOPIC: code = "am"; break;
        case MC_SCRIPT_KHMER: code = "km"; break;
        case MC_SCRIPT_HANGUL: code = "ko"; break;
        case MC_SCRIPT_HAN:
        case MC_SCRIPT_HIRAGANA:
        case MC_SCRIPT_KATAKANA:
            code = (double)(count[MC_SCRIPT_HIRAGANA] + count[MC_SCRIPT_KATAKANA]) >= 0.1 * (double)cjk ? "ja" : "zh";
            break;
        case MC_SCRIPT_ARABIC: {
            double a = (double)count[MC_SCRIPT_ARABIC];
            code = (double)urdu >= 0.01 * a ? "ur" : (double)persian >= 0.01 * a ? "fa" : "ar";
            break;
        }
        case MC_SCRIPT_CYRILLIC: {
            double a = (double)count[MC_SCRIPT_CYRILLIC];
            code = (double)ukrainian >= 0.01 * a ? "uk" : (double)serbian >= 0.01 * a ? "sr" : "ru";
            break;
        }
        default: code = NULL; break; /* letters of a script we do not name */
        }
        if (code && share >= MIN_CONFIDENCE) {
            set_code(out->language, code);
            out->confidence = share;
        }
        return MC_STATUS_OK;
    }

    /* Latin script: naive Bayes over the profiles. */
    mc_textbuf tb = {0};
    mc_status st = mc_text_tokenize_padded(text, len, &tb);
    if (st != MC_STATUS_OK) {
        mc_textbuf_free(&tb);
        return st;
    }
    score_ctx c;
    memset(&c, 0, sizeof c);
    c.id = id;
    mc_text_ngrams_char_wb(tb.s, tb.len, 1, MAX_ORDER, score_cb, &c);
    close_block(&c);
    mc_textbuf_free(&tb);
    if (c.matched < MIN_NGRAMS || id->nlang < 2) return MC_STATUS_OK;
    int best = argmax(c.total, id->nlang);
    double keep = c.total[best];
    c.total[best] = -INFINITY;
    int second = argmax(c.total, id->nlang);
    c.total[best] = keep;
    out->margin = (c.total[best] - c.total[second]) / (double)c.matched;
    set_code(out->second, id->codes[second]);
    double conf = c.votes[best] / (double)c.matched * share;
    double rival = 0; /* the largest share of the votes won by another language */
    for (int L = 0; L < id->nlang; L++)
        if (L != best && c.votes[L] > rival) rival = c.votes[L];
    out->confidence = conf;
    if (out->margin >= MIN_MARGIN && conf >= MIN_CONFIDENCE && c.votes[best] >= MIN_VOTE_RATIO * rival)
        set_code(out->language, id->codes[best]);
    return MC_STATUS_OK;
}
