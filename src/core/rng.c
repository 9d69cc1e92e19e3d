/* Seeded random numbers: xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom number
 * generators", 2018; reference at https://prng.di.unimi.it/xoshiro256starstar.c) seeded through
 * splitmix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", 2014), as the
 * xoshiro authors recommend. All state lives in mc_rng, so a struct copy is a snapshot. */
#include <musiclust/core.h>

#include <math.h>

/* splitmix64 step: advance the Weyl sequence by the golden-ratio increment and finalise. */
static uint64_t splitmix64_next(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void mc_rng_seed(mc_rng *r, uint64_t seed, uint64_t stream) {
    /* Two splitmix64 sequences, one from the seed and one from the stream, are combined word by word:
     * changing either the seed or the stream changes every word of the 256-bit state, so streams of
     * one seed (and seeds of one stream) start from unrelated states. The stream sequence starts from
     * a different constant so that (seed=a, stream=a) does not cancel to zero. */
    uint64_t xs = seed;
    uint64_t xt = stream ^ 0xD1B54A32D192ED03ull;
    for (int i = 0; i < 4; i++) {
        uint64_t a = splitmix64_next(&xs);
        uint64_t b = splitmix64_next(&xt);
        r->s[i] = a ^ rotl(b, 17 + 8 * i);
    }
    /* xoshiro's only forbidden state is all zeros. */
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0) r->s[0] = 0x9E3779B97F4A7C15ull;
    r->spare_normal = 0.0;
    r->has_spare = 0;
}

uint64_t mc_rng_next(mc_rng *r) {
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double mc_rng_uniform(mc_rng *r) {
    /* The top 53 bits (the best ones of xoshiro256**) times 2^-53: every double k * 2^-53 in [0, 1). */
    return (double)(mc_rng_next(r) >> 11) * 0x1.0p-53;
}

double mc_rng_normal(mc_rng *r) {
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare_normal;
    }
    /* Box-Muller (Box & Muller 1958): u1 in (0, 1] so that log(u1) is finite. */
    double u1 = 1.0 - mc_rng_uniform(r);
    double u2 = mc_rng_uniform(r);
    double rad = sqrt(-2.0 * log(u1));
    double theta = 6.283185307179586476925286766559 * u2;
    r->spare_normal = rad * sin(theta);
    r->has_spare = 1;
    return rad * cos(theta);
}

uint64_t mc_rng_below(mc_rng *r, uint64_t n) {
    if (n <= 1) return 0;
    /* Rejection: 2^64 mod n values at the bottom of the range would make some residues one more
     * likely than others; drawing again when x falls there leaves exactly floor(2^64/n) draws per
     * residue. (-n) % n == 2^64 mod n in unsigned arithmetic. Rejection chance < n / 2^64. */
    uint64_t threshold = (0 - n) % n;
    for (;;) {
        uint64_t x = mc_rng_next(r);
        if (x >= threshold) return x % n;
    }
}

void mc_rng_shuffle(mc_rng *r, int64_t *idx, size_t n) {
    /* Fisher-Yates / Durstenfeld: position i swaps with a uniform position in [0, i]. */
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)mc_rng_below(r, (uint64_t)i);
        int64_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}
