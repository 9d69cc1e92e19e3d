/* The built-in demo corpus: a small labelled collection synthesized from a seed, so `musiclust demo`
 * needs nothing but the program. Five styles that a listener (and an MFCC) tells apart by pitch
 * content, rhythm, tempo and timbre, with generated lyrics in English and Bengali. */
#include <musiclust/audio.h>
#include <musiclust/pipeline.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

void mc_demo_config_default(mc_demo_config *c) {
    c->seed = 7;
    c->tracks_per_style = 6;
    c->track_seconds = 12.0;
}

static const char *const style_names[] = {"classical", "rock", "electronic", "jazz", "folk"};
enum { STYLE_CLASSICAL, STYLE_ROCK, STYLE_ELECTRONIC, STYLE_JAZZ, STYLE_FOLK, N_STYLES };

const char *const *mc_pipeline_demo_styles(int *n) {
    if (n) *n = N_STYLES;
    return style_names;
}

/* ------------------------------------------------------------------ synthesis primitives */

typedef struct synth {
    float *buf;  /* (n) mono mix */
    int64_t n;
    int sr;
    mc_rng *rng;
} synth;

static double midi_hz(double m) { return 440.0 * pow(2.0, (m - 69.0) / 12.0); }

typedef enum timbre {
    TIMBRE_STRINGS, /* additive, 1/k harmonics, slow attack, vibrato */
    TIMBRE_SAW_DIST,/* band-limited saw through tanh overdrive */
    TIMBRE_SQUARE,  /* odd harmonics, short plucky decay */
    TIMBRE_PIANO,   /* struck, per-partial decay, slight inharmonicity */
    TIMBRE_BASS,    /* sine + 2nd harmonic, plucked decay */
    TIMBRE_PAD      /* soft sine pair, slow attack */
} timbre;

/* Add one note starting at t0 seconds lasting dur seconds. */
static void add_note(synth *s, double t0, double dur, double midi, double amp, timbre tb) {
    double f = midi_hz(midi);
    int64_t i0 = (int64_t)(t0 * s->sr);
    double tail = tb == TIMBRE_PIANO ? 1.2 : tb == TIMBRE_STRINGS || tb == TIMBRE_PAD ? 0.25 : 0.08;
    int64_t len = (int64_t)((dur + tail) * s->sr);
    double phase_vib = mc_rng_uniform(s->rng) * 2 * M_PI;
    int nyq_h = (int)(s->sr / 2 / f);
    for (int64_t k = 0; k < len; k++) {
        int64_t i = i0 + k;
        if (i < 0) continue;
        if (i >= s->n) break;
        double t = (double)k / s->sr;
        double env, v = 0;
        double rel = t > dur ? exp(-(t - dur) / (tail / 4)) : 1.0;
        switch (tb) {
        case TIMBRE_STRINGS: {
            env = fmin(1.0, t / 0.15) * rel;
            double vib = 0.004 * sin(2 * M_PI * 5.5 * t + phase_vib);
            int nh = nyq_h < 10 ? nyq_h : 10;
            for (int h = 1; h <= nh; h++) v += sin(2 * M_PI * h * f * t * (1 + vib)) / h;
            v *= 0.5;
            break;
        }
        case TIMBRE_SAW_DIST: {
            env = fmin(1.0, t / 0.005) * rel;
            int nh = nyq_h < 24 ? nyq_h : 24;
            for (int h = 1; h <= nh; h++) v += sin(2 * M_PI * h * f * t) / h;
            v = tanh(2.5 * v);
            break;
        }
        case TIMBRE_SQUARE: {
            env = fmin(1.0, t / 0.003) * exp(-t / 0.12) * rel;
            int nh = nyq_h < 15 ? nyq_h : 15;
            for (int h = 1; h <= nh; h += 2) v += sin(2 * M_PI * h * f * t) / h;
            break;
        }
        case TIMBRE_PIANO: {
            env = fmin(1.0, t / 0.002) * rel;
            int nh = nyq_h < 8 ? nyq_h : 8;
            for (int h = 1; h <= nh; h++) {
                double fh = h * f * sqrt(1 + 0.0004 * h * h);
                v += sin(2 * M_PI * fh * t) * exp(-t * (1.2 + 0.9 * h)) / pow(h, 1.3);
            }
            break;
        }
        case TIMBRE_BASS:
            env = fmin(1.0, t / 0.004) * exp(-t / 0.35) * rel;
            v = sin(2 * M_PI * f * t) + 0.35 * sin(4 * M_PI * f * t);
            break;
        case TIMBRE_PAD:
        default:
            env = fmin(1.0, t / 0.4) * rel;
            v = 0.5 * (sin(2 * M_PI * f * t) + sin(2 * M_PI * f * 1.003 * t));
            break;
        }
        s->buf[i] += (float)(amp * env * v);
    }
}

/* Karplus-Strong plucked string: a noise burst circulating in a delay line with a lowpass. */
static void add_pluck(synth *s, double t0, double dur, double midi, double amp) {
    double f = midi_hz(midi);
    int p = (int)(s->sr / f);
    if (p < 2) p = 2;
    float *line = mc_calloc((size_t)p, sizeof *line); /* (p) delay line */
    if (!line) return;
    for (int k = 0; k < p; k++) line[k] = (float)(2 * mc_rng_uniform(s->rng) - 1);
    int64_t i0 = (int64_t)(t0 * s->sr), len = (int64_t)((dur + 0.3) * s->sr);
    for (int64_t k = 0; k < len; k++) {
        int64_t i = i0 + k;
        if (i >= s->n) break;
        int a = (int)(k % p), b = (int)((k + 1) % p);
        float out = line[a];
        line[a] = 0.497f * (line[a] + line[b]);
        if (i >= 0) s->buf[i] += (float)(amp * out);
    }
    free(line);
}

typedef enum drum { DRUM_KICK, DRUM_SNARE, DRUM_HAT, DRUM_OPEN_HAT, DRUM_RIDE } drum;

static void add_drum(synth *s, double t0, drum d, double amp) {
    int64_t i0 = (int64_t)(t0 * s->sr);
    double len_s = d == DRUM_RIDE ? 0.6 : d == DRUM_OPEN_HAT ? 0.25 : d == DRUM_KICK ? 0.35 : 0.2;
    int64_t len = (int64_t)(len_s * s->sr);
    double prev = 0, phase = 0;
    for (int64_t k = 0; k < len; k++) {
        int64_t i = i0 + k;
        if (i < 0) continue;
        if (i >= s->n) break;
        double t = (double)k / s->sr, v;
        double noise = 2 * mc_rng_uniform(s->rng) - 1;
        double hp = noise - prev; /* first difference: a crude highpass for cymbals */
        prev = noise;
        switch (d) {
        case DRUM_KICK: {
            double f = 45 + 110 * exp(-t / 0.03);
            phase += 2 * M_PI * f / s->sr;
            v = sin(phase) * exp(-t / 0.12);
            break;
        }
        case DRUM_SNARE:
            v = 0.7 * noise * exp(-t / 0.06) + 0.5 * sin(2 * M_PI * 185 * t) * exp(-t / 0.04);
            break;
        case DRUM_HAT: v = 0.6 * hp * exp(-t / 0.02); break;
        case DRUM_OPEN_HAT: v = 0.5 * hp * exp(-t / 0.09); break;
        case DRUM_RIDE:
        default:
            v = 0.3 * hp * exp(-t / 0.3) +
                0.15 * (sin(2 * M_PI * 3150 * t) + sin(2 * M_PI * 4730 * t)) * exp(-t / 0.25);
            break;
        }
        s->buf[i] += (float)(amp * v);
    }
}

/* ------------------------------------------------------------------ the styles */

static const int major[7] = {0, 2, 4, 5, 7, 9, 11};
static const int minor[7] = {0, 2, 3, 5, 7, 8, 10};

static int scale_note(const int *sc, int root, int degree) {
    int oct = degree >= 0 ? degree / 7 : -((-degree + 6) / 7);
    int d = degree - 7 * oct;
    return root + 12 * oct + sc[d];
}

/* Each generator fills s->buf and returns the tempo it used (bpm). */
static double gen_classical(synth *s, int root) {
    mc_rng *r = s->rng;
    double bpm = 60 + 16 * mc_rng_uniform(r), beat = 60.0 / bpm, T = (double)s->n / s->sr;
    static const int prog[4] = {0, 3, 4, 0}; /* I IV V I */
    int deg = 7 + (int)mc_rng_below(r, 3);
    for (int bar = 0; bar * 4 * beat < T; bar++) {
        int ch = prog[bar % 4];
        for (int k = 0; k < 3; k++) /* sustained triad, low strings */
            add_note(s, bar * 4 * beat, 4 * beat, scale_note(major, root - 12, ch + 2 * k), 0.12,
                     TIMBRE_STRINGS);
        /* stepwise melody in half and quarter notes */
        double t = 0;
        while (t < 4) {
            double d = mc_rng_uniform(r) < 0.6 ? 2 : 1;
            deg += (int)mc_rng_below(r, 3) - 1;
            if (deg < 5) deg = 5;
            if (deg > 14) deg = 14;
            add_note(s, (bar * 4 + t) * beat, d * beat * 0.95, scale_note(major, root, deg), 0.22,
                     TIMBRE_STRINGS);
            t += d;
        }
    }
    return bpm;
}

static double gen_rock(synth *s, int root) {
    mc_rng *r = s->rng;
    double bpm = 112 + 28 * mc_rng_uniform(r), beat = 60.0 / bpm, T = (double)s->n / s->sr;
    static const int riffs[3][4] = {{0, 0, 5, 3}, {0, 3, 5, 0}, {0, 7, 5, 3}};
    const int *riff = riffs[mc_rng_below(r, 3)];
    for (int bar = 0; bar * 4 * beat < T; bar++) {
        int base = root - 12 + riff[bar % 4];
        for (int e = 0; e < 8; e++) { /* eighth-note power-chord chugs */
            double t = (bar * 4 + e * 0.5) * beat;
            add_note(s, t, 0.45 * beat, base, 0.18, TIMBRE_SAW_DIST);
            add_note(s, t, 0.45 * beat, base + 7, 0.14, TIMBRE_SAW_DIST);
            add_drum(s, t, DRUM_HAT, 0.25);
        }
        add_drum(s, (bar * 4 + 0) * beat, DRUM_KICK, 0.9);
        add_drum(s, (bar * 4 + 2) * beat, DRUM_KICK, 0.9);
        add_drum(s, (bar * 4 + 2.5) * beat, DRUM_KICK, 0.6);
        add_drum(s, (bar * 4 + 1) * beat, DRUM_SNARE, 0.7);
        add_drum(s, (bar * 4 + 3) * beat, DRUM_SNARE, 0.7);
    }
    return bpm;
}

static double gen_electronic(synth *s, int root) {
    mc_rng *r = s->rng;
    double bpm = 122 + 8 * mc_rng_uniform(r), beat = 60.0 / bpm, T = (double)s->n / s->sr;
    int pattern[16];
    for (int k = 0; k < 16; k++) pattern[k] = (int)mc_rng_below(r, 5);
    for (int bar = 0; bar * 4 * beat < T; bar++) {
        for (int b = 0; b < 4; b++) {
            add_drum(s, (bar * 4 + b) * beat, DRUM_KICK, 1.0);
            add_drum(s, (bar * 4 + b + 0.5) * beat, DRUM_OPEN_HAT, 0.35);
        }
        int shift = (bar % 2) ? 5 : 0;
        for (int k = 0; k < 16; k++) { /* sixteenth-note square arpeggio in minor */
            double t = (bar * 4 + k * 0.25) * beat;
            add_note(s, t, 0.2 * beat, scale_note(minor, root + 12 + shift, pattern[k] * 2 % 7 + (k % 4 == 0 ? 7 : 0)),
                     0.1, TIMBRE_SQUARE);
        }
        add_note(s, bar * 4 * beat, 4 * beat, root - 12 + shift, 0.1, TIMBRE_PAD);
    }
    return bpm;
}

static double gen_jazz(synth *s, int root) {
    mc_rng *r = s->rng;
    double bpm = 96 + 60 * mc_rng_uniform(r), beat = 60.0 / bpm, T = (double)s->n / s->sr;
    static const int ii_v_i[4][4] = {{2, 5, 0, 3}, {9, 2, 7, 0}, {5, 10, 3, 8}, {0, 9, 2, 7}};
    const int *roots = ii_v_i[mc_rng_below(r, 4)];
    double swing = 0.66; /* the off-beat eighth lands two thirds into the beat */
    for (int bar = 0; bar * 4 * beat < T; bar++) {
        int cr = root + roots[bar % 4];
        for (int b = 0; b < 4; b++) { /* walking bass: chord tones and approach notes */
            static const int walk[4] = {0, 4, 7, 10};
            int n = cr - 24 + walk[(b + (int)mc_rng_below(r, 2)) % 4] + (b == 3 ? -1 : 0);
            add_note(s, (bar * 4 + b) * beat, 0.9 * beat, n, 0.35, TIMBRE_BASS);
            /* ride: ding, ding-da, ding, ding-da */
            add_drum(s, (bar * 4 + b) * beat, DRUM_RIDE, 0.25);
            if (b % 2 == 1) add_drum(s, (bar * 4 + b + swing) * beat, DRUM_RIDE, 0.18);
        }
        /* piano comping: seventh chords on syncopated swung positions */
        double hits[3] = {0 + swing, 2 - (1 - swing), 3 + swing};
        for (int h = 0; h < 3; h++) {
            if (mc_rng_uniform(r) < 0.25) continue;
            static const int seventh[4] = {0, 4, 7, 11};
            for (int k = 0; k < 4; k++)
                add_note(s, (bar * 4 + hits[h]) * beat, 0.4 * beat, cr + seventh[k], 0.08, TIMBRE_PIANO);
        }
    }
    return bpm;
}

static double gen_folk(synth *s, int root) {
    mc_rng *r = s->rng;
    double bpm = 84 + 20 * mc_rng_uniform(r), beat = 60.0 / bpm, T = (double)s->n / s->sr;
    static const int prog[4] = {0, 4, 5, 3}; /* I V vi IV, in 3/4 waltz time */
    for (int bar = 0; bar * 3 * beat < T; bar++) {
        int ch = prog[bar % 4];
        /* fingerpicked arpeggio: bass on 1, chord tones on the eighths */
        add_pluck(s, bar * 3 * beat, 1.5 * beat, scale_note(major, root - 12, ch), 0.5);
        for (int e = 1; e < 6; e++) {
            int deg = ch + 2 * (int)((e + mc_rng_below(r, 2)) % 3);
            add_pluck(s, (bar * 3 + e * 0.5) * beat, 0.6 * beat, scale_note(major, root, deg), 0.3);
        }
    }
    return bpm;
}

/* ------------------------------------------------------------------ lyrics */

static const char *const en_words[N_STYLES][8] = {
    {"morning", "light", "river", "gentle", "heaven", "grace", "evening", "silver"},
    {"fire", "road", "loud", "night", "wild", "engine", "thunder", "break"},
    {"neon", "pulse", "dance", "machine", "electric", "floor", "signal", "lights"},
    {"blue", "smoke", "moon", "velvet", "whisper", "midnight", "sway", "baby"},
    {"home", "field", "mountain", "bread", "song", "old", "valley", "wind"}};
static const char *const en_common[] = {"i", "you", "we", "the", "my", "heart", "love", "and",
                                        "in", "is", "of", "all", "with", "to", "your", "time"};
/* Bengali (Bangla script): words for song, love, sky, river, night, moon, light, dream... */
static const char *const bn_words[N_STYLES][8] = {
    {"আকাশ", "নদী", "আলো", "ভোর", "শান্তি", "সুর", "সন্ধ্যা", "ফুল"},
    {"আগুন", "পথ", "ঝড়", "রাত", "বাজ", "শহর", "চিৎকার", "ভাঙা"},
    {"নাচ", "আলোর", "ছন্দ", "যন্ত্র", "রাতভর", "তাল", "ঝলক", "দোলা"},
    {"চাঁদ", "নীল", "মধ্যরাত", "ধোঁয়া", "ফিসফিস", "মন", "স্বপ্ন", "ছায়া"},
    {"মাটি", "গ্রাম", "পাহাড়", "হাওয়া", "সোনার", "ঘর", "মাঠ", "গান"}};
static const char *const bn_common[] = {"আমি", "তুমি", "আমার", "তোমার", "ভালোবাসা", "হৃদয়",
                                        "এই", "আর", "যে", "কেন", "সব", "দিন", "বৃষ্টি", "এসো",
                                        "থাকো", "জীবন"};

/* Append generated lyrics (a few lines of 4-7 words, line breaks included) to buf. */
static void make_lyrics(mc_rng *r, int style, bool bengali, char *buf, size_t cap) {
    size_t len = 0;
    buf[0] = '\0';
    int lines = 4 + (int)mc_rng_below(r, 4);
    for (int l = 0; l < lines; l++) {
        int words = 4 + (int)mc_rng_below(r, 4);
        for (int w = 0; w < words; w++) {
            const char *word = mc_rng_uniform(r) < 0.5
                                   ? (bengali ? bn_words : en_words)[style][mc_rng_below(r, 8)]
                                   : (bengali ? bn_common : en_common)[mc_rng_below(r, 16)];
            int k = snprintf(buf + len, cap - len, "%s%s", w ? " " : "", word);
            if (k < 0 || (size_t)k >= cap - len) return;
            len += (size_t)k;
        }
        int k = snprintf(buf + len, cap - len, "%s", l + 1 < lines ? "\n" : "");
        if (k < 0 || (size_t)k >= cap - len) return;
        len += (size_t)k;
    }
}

/* ------------------------------------------------------------------ the corpus */

mc_status mc_pipeline_demo_corpus(const char *dir, const mc_demo_config *cfg, mc_progress *progress) {
    mc_demo_config def;
    mc_demo_config_default(&def);
    if (!cfg) cfg = &def;
    if (cfg->tracks_per_style < 1 || cfg->tracks_per_style > 1000)
        return mc_error_set(MC_STATUS_INVALID_ARG, "demo: tracks per style must be 1..1000");
    if (!(cfg->track_seconds >= 1 && cfg->track_seconds <= 600))
        return mc_error_set(MC_STATUS_INVALID_ARG, "demo: track length must be 1..600 s");
    char path[4096];
    snprintf(path, sizeof path, "%s/audio", dir);
    mc_status st = mc_mkdirs(path);
    if (st != MC_STATUS_OK) return st;
    char meta_tmp[4096];
    snprintf(meta_tmp, sizeof meta_tmp, "%s/metadata.tsv.tmp", dir);
    FILE *meta = fopen(meta_tmp, "w");
    if (!meta) return mc_error_set(MC_STATUS_IO, "%s: cannot create: %s", meta_tmp, strerror(errno));
    fputs("track_id\tgenre\tlanguage\ttempo_bpm\tkey\tlyrics\n", meta);

    int max_sr = 44100;
    int64_t max_n = (int64_t)(cfg->track_seconds * max_sr) + 1;
    float *mono = mc_alloc((size_t)max_n, sizeof *mono);        /* (n) */
    float *stereo = mc_alloc((size_t)max_n * 2, sizeof *stereo); /* (n, 2) interleaved */
    char *lyrics = mc_calloc(8192, 1);
    if (!mono || !stereo || !lyrics) st = mc_error_set(MC_STATUS_NO_MEMORY, "demo: out of memory");
    static const char *const key_names[12] = {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};

    for (int style = 0; st == MC_STATUS_OK && style < N_STYLES; style++) {
        snprintf(path, sizeof path, "%s/audio/%s", dir, style_names[style]);
        st = mc_mkdirs(path);
        for (int k = 0; st == MC_STATUS_OK && k < cfg->tracks_per_style; k++) {
            /* One RNG stream per track: a track does not change when others are added. */
            mc_rng r;
            mc_rng_seed(&r, cfg->seed, (uint64_t)(style * 1000 + k));
            /* Alternate formats so the demo exercises resampling and downmixing too. */
            bool hi = (k % 2) == 1;
            int sr = hi ? 44100 : 22050;
            synth s = {mono, (int64_t)(cfg->track_seconds * sr), sr, &r};
            memset(mono, 0, (size_t)s.n * sizeof *mono);
            int root = 45 + (int)mc_rng_below(&r, 12);
            double bpm = 0;
            switch (style) {
            case STYLE_CLASSICAL: bpm = gen_classical(&s, root + 12); break;
            case STYLE_ROCK: bpm = gen_rock(&s, root); break;
            case STYLE_ELECTRONIC: bpm = gen_electronic(&s, root); break;
            case STYLE_JAZZ: bpm = gen_jazz(&s, root + 12); break;
            default: bpm = gen_folk(&s, root + 12); break;
            }
            /* Normalise to a -2 dBFS peak and add a faint noise floor (real recordings are never
             * digitally silent). */
            float peak = 1e-9f;
            for (int64_t i = 0; i < s.n; i++) peak = fmaxf(peak, fabsf(mono[i]));
            float g = 0.79f / peak;
            for (int64_t i = 0; i < s.n; i++)
                mono[i] = mono[i] * g + (float)(1e-4 * (2 * mc_rng_uniform(&r) - 1));
            char id[64];
            snprintf(id, sizeof id, "%s%02d", style_names[style], k + 1);
            snprintf(path, sizeof path, "%s/audio/%s/%s.wav", dir, style_names[style], id);
            if (hi) {
                /* A little stereo width: the right channel slightly delayed and quieter. */
                for (int64_t i = 0; i < s.n; i++) {
                    stereo[2 * i] = mono[i];
                    stereo[2 * i + 1] = 0.85f * (i >= 40 ? mono[i - 40] : 0.0f);
                }
                st = mc_audio_write(path, stereo, s.n, 2, sr, MC_AUDIO_FORMAT_WAV_PCM16);
            } else {
                st = mc_audio_write(path, mono, s.n, 1, sr, MC_AUDIO_FORMAT_WAV_PCM16);
            }
            bool bengali = (k % 3) == 2 || (style % 2 == 1 && k % 3 == 1);
            make_lyrics(&r, style, bengali, lyrics, 8192);
            fprintf(meta, "%s\t%s\t%s\t%.1f\t%s\t", id, style_names[style], bengali ? "bn" : "en",
                    bpm, key_names[root % 12]);
            mc_csv_write_field(meta, lyrics, '\t');
            fputc('\n', meta);
            mc_progress_tick(progress, 1);
        }
    }
    mc_free(mono);
    mc_free(stereo);
    free(lyrics);
    bool werr = ferror(meta) != 0;
    if (fclose(meta) != 0) werr = true;
    char final[4096];
    snprintf(final, sizeof final, "%s/metadata.tsv", dir);
    if (st == MC_STATUS_OK && werr) st = mc_error_set(MC_STATUS_IO, "%s: write failed", meta_tmp);
    if (st == MC_STATUS_OK && rename(meta_tmp, final) != 0)
        st = mc_error_set(MC_STATUS_IO, "%s: cannot rename into place: %s", final, strerror(errno));
    if (st != MC_STATUS_OK) remove(meta_tmp);
    return st;
}
