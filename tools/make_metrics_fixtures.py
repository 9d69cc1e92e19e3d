#!/usr/bin/env python3
"""Write tests/fixtures/metrics_fixture.h: scikit-learn 1.2 reference values for tests/test_metrics.c.

    /usr/bin/python3 tools/make_metrics_fixtures.py > tests/fixtures/metrics_fixture.h

Small deterministic data (numpy default_rng, fixed seeds): blobs, integer grids (distance ties and
duplicate points), non-contiguous cluster ids, singleton clusters, noise labels (-1), unlabelled rows,
and the edge cases (one cluster, all singletons, n = 2, n = 3, all noise, repeated points).

The noise convention of include/musiclust/metrics.h is applied here explicitly:
  - internal metrics (silhouette, Calinski-Harabasz, Davies-Bouldin) on the non-noise rows only;
    undefined (NaN) unless 2 <= clusters <= n_used - 1 (where sklearn raises ValueError);
  - label metrics (ARI, NMI arithmetic, purity) on the labelled rows, every noise row pooled into ONE
    cluster (-1 is passed to sklearn as an ordinary label); NaN when no row is labelled.
X is float32 (as the .npy files musiclust reads); sklearn gets X.astype(float64), the exact values.

The "store" case is a small feature store (segments of tracks with genre/language/tag/source columns)
for the `musiclust evaluate` test, with the track-level values: a track's cluster is the majority vote
of its segments (noise votes like any id, ties go to the smallest id), its X the float64 mean of its
rows rounded to float32, its labels those of its segments.
"""
import numpy as np
from sklearn import metrics
from sklearn.metrics.cluster import contingency_matrix
import sklearn

assert sklearn.__version__.startswith("1.2"), sklearn.__version__
NAN = float("nan")


def internal(X, c):
    keep = c != -1
    Xu = X[keep].astype(np.float64)
    cu = c[keep]
    k = len(np.unique(cu))
    samples = np.full(len(c), NAN)
    if not (2 <= k <= len(cu) - 1):
        return NAN, NAN, NAN, samples
    samples[keep] = metrics.silhouette_samples(Xu, cu)
    return (metrics.silhouette_score(Xu, cu), metrics.calinski_harabasz_score(Xu, cu),
            metrics.davies_bouldin_score(Xu, cu), samples)


def label_scores(c, t):
    lab = t != -1
    pred, true = c[lab], t[lab]  # noise stays -1: one pooled cluster
    if len(true) == 0:
        return NAN, NAN, NAN
    ari = metrics.adjusted_rand_score(true, pred)
    nmi = metrics.normalized_mutual_info_score(true, pred, average_method="arithmetic")
    cm = contingency_matrix(true, pred)
    return ari, nmi, cm.max(axis=0).sum() / cm.sum()


def fmt(v):
    if isinstance(v, (float, np.floating)) and np.isnan(v):
        return "NAN"
    return repr(float(v))


def f32(v):
    return "%.9g" % v  # round-trips float32


def arr(name, ctype, vals, per_line=8, conv=str):
    vals = list(vals)
    out = [f"static const {ctype} {name}[{max(len(vals), 1)}] = {{"]
    if not vals:
        out.append("    0")
    for i in range(0, len(vals), per_line):
        out.append("    " + ", ".join(conv(v) for v in vals[i:i + per_line]) + ",")
    out.append("};")
    return "\n".join(out)


cases = []


def add_case(name, X, c, t, with_samples=True):
    X = np.asarray(X, dtype=np.float32)
    c = np.asarray(c, dtype=np.int32)
    t = np.asarray(t, dtype=np.int32)
    sil, ch, db, samples = internal(X, c)
    ari, nmi, pur = label_scores(c, t)
    cases.append(dict(name=name, X=X, c=c, t=t, sil=sil, ch=ch, db=db, samples=samples if with_samples else None,
                      ari=ari, nmi=nmi, pur=pur, k=len(np.unique(c[c != -1])), n_noise=int((c == -1).sum()),
                      n_unlab=int((t == -1).sum())))


rng = np.random.default_rng(20240401)

# 1. Gaussian blobs, 4 clusters, ~10% noise labels, 5 classes with 8% unlabelled rows.
n, d = 300, 8
centres = rng.normal(0, 3, (4, d))
truth = rng.integers(0, 4, n)
X = centres[truth] + rng.normal(0, 1, (n, d))
c = truth.copy()
c[rng.random(n) < 0.10] = -1
t = (truth + (rng.random(n) < 0.2) * rng.integers(0, 5, n)) % 5
t[rng.random(n) < 0.08] = -1
add_case("blobs", X, c, t)

# 2. Integer grid: duplicate points and tied distances; 7 clusters with non-contiguous ids, two of
#    them singletons; 3 classes (purity ties).
n, d = 257, 3
X = rng.integers(0, 4, (n, d)).astype(np.float64)
ids = np.array([0, 3, 4, 10, 11, 40, 41])
c = ids[rng.integers(0, 5, n)]
c[17] = 40
c[200] = 41
t = rng.integers(0, 3, n)
add_case("grid_ties", X, c, t)

# 3. Two clusters (ids 5 and 9) in 16 dimensions, some noise, two classes.
n, d = 150, 16
truth = rng.integers(0, 2, n)
X = rng.normal(0, 1, (n, d)) + truth[:, None] * 1.5
c = np.where(truth == 0, 5, 9).astype(np.int32)
c[rng.random(n) < 0.05] = -1
t = truth.copy()
add_case("two_wide", X, c, t)

# 4. Many small clusters (25 over 120 rows: several singletons) in 2-d, 10 classes.
n, d = 120, 2
X = rng.normal(0, 1, (n, d))
c = rng.integers(0, 25, n)
c[c >= 20] = rng.integers(0, 20, (c >= 20).sum())
c[[3, 50, 99]] = [20, 21, 22]
t = rng.integers(0, 10, n)
add_case("many_small", X, c, t)

# 5. Far from the origin (offset 1000): the expansion's cancellation case.
n, d = 200, 6
truth = rng.integers(0, 3, n)
X = 1000.0 + rng.normal(0, 1, (n, d)) + truth[:, None] * 2.0
c = truth.copy()
t = truth.copy()
t[::7] = (t[::7] + 1) % 3
add_case("far_offset", X, c, t)

# 6. Every cluster one repeated (integer) point: sklearn's CH = 1.0 and DB = 0.0 special cases.
X = np.repeat(np.array([[0, 0], [3, 4], [6, 0]], dtype=np.float64), 5, axis=0)
c = np.repeat([0, 1, 2], 5)
t = np.repeat([0, 1, 1], 5)
add_case("repeated_points", X, c, t)

# 7. Edge cases.
X = rng.normal(0, 1, (10, 3))
add_case("one_cluster", X, np.zeros(10), rng.integers(0, 3, 10))
X = rng.normal(0, 1, (12, 3))
add_case("all_singletons", X, np.arange(12), rng.integers(0, 3, 12))
add_case("n2", [[0.0, 1.0], [2.0, 3.0]], [0, 1], [0, 1])
add_case("n2_same_class", [[0.0, 1.0], [2.0, 3.0]], [0, 1], [4, 4])
add_case("n3", [[0.0, 1.0], [2.0, 3.0], [0.5, 1.5]], [0, 1, 0], [0, 1, 1])
X = rng.normal(0, 1, (20, 2))
add_case("all_noise", X, np.full(20, -1), rng.integers(0, 3, 20))
add_case("unlabelled", X[:8], [0, 0, 1, 1, -1, 2, 2, 2], [-1] * 8)
add_case("one_class_one_cluster", X[:6], [7] * 6, [2] * 6)

# 8. Label metrics only (no X) on larger counts: 3000 rows, 30 clusters x 12 classes, with noise
#    and unlabelled rows.
n = 3000
lc = rng.integers(0, 30, n)
lt = (lc % 12 + (rng.random(n) < 0.4) * rng.integers(0, 12, n)) % 12
lc[rng.random(n) < 0.07] = -1
lt[rng.random(n) < 0.05] = -1
big_ari, big_nmi, big_pur = label_scores(lc.astype(np.int32), lt.astype(np.int32))

# 9. The feature store for the CLI test.
n_tracks, d = 50, 5
seg_counts = rng.integers(1, 7, n_tracks)
track_of = np.repeat(np.arange(n_tracks), seg_counts)
N = len(track_of)
tcentre = rng.normal(0, 2, (n_tracks, d))
Xs = (tcentre[track_of] + rng.normal(0, 0.7, (N, d))).astype(np.float32)
tclu = rng.integers(0, 4, n_tracks)
cs = tclu[track_of].copy()
flip = rng.random(N) < 0.25
cs[flip] = rng.integers(-1, 4, flip.sum())
# explicit ties: a 2-segment track split between noise and cluster 2; a 4-segment track 1/1/2/2
two = np.where(seg_counts == 2)[0][0]
four = np.where(seg_counts == 4)[0][0]
rows_two = np.where(track_of == two)[0]
rows_four = np.where(track_of == four)[0]
cs[rows_two] = [2, -1]
cs[rows_four] = [3, 1, 3, 1]
genres = np.array(["blues", "jazz", "metal", "pop"])
tgenre = genres[(tclu + (rng.random(n_tracks) < 0.3)) % 4]
tgenre[[5, 17, 33]] = ""  # unlabelled tracks
langs = np.array(["bn", "en"])
tlang = langs[rng.integers(0, 2, n_tracks)]
genre = tgenre[track_of]
lang = tlang[track_of]
tag = np.array([f"t{i}" for i in range(N)])  # unique per row: left out by default (> N/2 values)
source = np.array(["demo"] * N)               # one value: left out by default

def codes(s):
    u = np.unique(s[s != ""])
    out = np.full(len(s), -1, dtype=np.int32)
    out[s != ""] = np.searchsorted(u, s[s != ""])
    return out

store = {}
sil, ch, db, _ = internal(Xs, cs)
store["seg"] = dict(sil=sil, ch=ch, db=db, n_noise=int((cs == -1).sum()), k=len(np.unique(cs[cs != -1])))
for col, vals in (("genre", genre), ("language", lang)):
    a, nm, p = label_scores(cs, codes(vals))
    store["seg_" + col] = dict(ari=a, nmi=nm, pur=p, n_used=int((vals != "").sum()), n_unlab=int((vals == "").sum()),
                               n_noise=int(((vals != "") & (cs == -1)).sum()))
# track level
tvote = np.empty(n_tracks, dtype=np.int32)
Xt = np.empty((n_tracks, d), dtype=np.float32)
for tr in range(n_tracks):
    rows = np.where(track_of == tr)[0]
    u, cnt = np.unique(cs[rows], return_counts=True)  # ascending ids: argmax takes the smallest on ties
    tvote[tr] = u[np.argmax(cnt)]
    Xt[tr] = Xs[rows].astype(np.float64).mean(axis=0).astype(np.float32)
assert tvote[two] == -1 and tvote[four] == 1
sil, ch, db, _ = internal(Xt, tvote)
store["trk"] = dict(sil=sil, ch=ch, db=db, n_noise=int((tvote == -1).sum()), k=len(np.unique(tvote[tvote != -1])))
for col, vals in (("genre", tgenre), ("language", tlang)):
    a, nm, p = label_scores(tvote, codes(vals))
    store["trk_" + col] = dict(ari=a, nmi=nm, pur=p, n_used=int((vals != "").sum()), n_unlab=int((vals == "").sum()),
                               n_noise=int(((vals != "") & (tvote == -1)).sum()))

# ---------------------------------------------------------------- emit
print("/* Generated by tools/make_metrics_fixtures.py with scikit-learn %s, numpy %s. Do not edit. */"
      % (sklearn.__version__, np.__version__))
print("#ifndef MC_METRICS_FIXTURE_H\n#define MC_METRICS_FIXTURE_H\n#include <math.h>\n#include <stdint.h>\n")
for i, cs_ in enumerate(cases):
    print(f"/* {cs_['name']} */")
    print(arr(f"case{i}_X", "float", cs_["X"].ravel(), conv=f32))
    print(arr(f"case{i}_cluster", "int32_t", cs_["c"], per_line=20))
    print(arr(f"case{i}_class", "int32_t", cs_["t"], per_line=20))
    if cs_["samples"] is not None:
        print(arr(f"case{i}_samples", "double", cs_["samples"], per_line=4, conv=fmt))
print("""
typedef struct mc_metrics_case {
    const char *name;
    int n, d;
    const float *X;          /* (n, d) */
    const int32_t *cluster;  /* (n), -1 = noise */
    const int32_t *cls;      /* (n), -1 = unlabelled */
    const double *samples;   /* (n) silhouette_samples, NaN for noise rows; NULL = not stored */
    double sil, ch, db;      /* NaN = undefined */
    double ari, nmi, purity; /* NaN = no labelled row */
    int k;                   /* distinct non-noise clusters */
    int n_noise, n_unlabeled;
} mc_metrics_case;
""")
print("static const mc_metrics_case metrics_cases[] = {")
for i, c_ in enumerate(cases):
    nn, dd = c_["X"].shape
    smp = f"case{i}_samples" if c_["samples"] is not None else "NULL"
    print(f'    {{"{c_["name"]}", {nn}, {dd}, case{i}_X, case{i}_cluster, case{i}_class, {smp}, '
          f'{fmt(c_["sil"])}, {fmt(c_["ch"])}, {fmt(c_["db"])}, {fmt(c_["ari"])}, {fmt(c_["nmi"])}, {fmt(c_["pur"])}, '
          f'{c_["k"]}, {c_["n_noise"]}, {c_["n_unlab"]}}},')
print("};")
print(f"#define METRICS_N_CASES {len(cases)}\n")

print("/* label metrics only: 3000 rows, 30 clusters x 12 classes, noise and unlabelled rows */")
print(f"#define BIG_N {len(lc)}")
print(arr("big_cluster", "int32_t", lc, per_line=25))
print(arr("big_class", "int32_t", lt, per_line=25))
print(f"static const double big_ari = {fmt(big_ari)}, big_nmi = {fmt(big_nmi)}, big_purity = {fmt(big_pur)};\n")

print("/* the feature store of the CLI test: N segments of STORE_TRACKS tracks */")
print(f"#define STORE_N {N}\n#define STORE_D {Xs.shape[1]}\n#define STORE_TRACKS {n_tracks}")
print(arr("store_X", "float", Xs.ravel(), conv=f32))
print(arr("store_cluster", "int32_t", cs, per_line=20))
print(arr("store_track", "int32_t", track_of, per_line=20))
print(arr("store_genre", "char *const", genre, per_line=10, conv=lambda s: f'"{s}"'))
print(arr("store_language", "char *const", lang, per_line=10, conv=lambda s: f'"{s}"'))
print(arr("store_tag", "char *const", tag, per_line=10, conv=lambda s: f'"{s}"'))
print(arr("store_source", "char *const", source, per_line=10, conv=lambda s: f'"{s}"'))
print("/* expected: level (0 segment, 1 track); internal metrics and per-column label metrics */")
print("typedef struct store_internal { double sil, ch, db; int n_noise, k; } store_internal;")
print("typedef struct store_label { const char *column; double ari, nmi, purity; int n_used, n_unlabeled, n_noise; } store_label;")
for lvl, key in ((0, "seg"), (1, "trk")):
    s = store[key]
    print(f"static const store_internal store_internal_{key} = {{{fmt(s['sil'])}, {fmt(s['ch'])}, {fmt(s['db'])}, {s['n_noise']}, {s['k']}}};")
    print(f"static const store_label store_labels_{key}[2] = {{")
    for col in ("genre", "language"):
        s = store[key + "_" + col]
        print(f'    {{"{col}", {fmt(s["ari"])}, {fmt(s["nmi"])}, {fmt(s["pur"])}, {s["n_used"]}, {s["n_unlab"]}, {s["n_noise"]}}},')
    print("};")
print(f"static const int store_track_vote[{n_tracks}] = {{" + ", ".join(str(v) for v in tvote) + "};")
print("\n#endif")
