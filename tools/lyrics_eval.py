#!/usr/bin/python3
"""Which lyrics embedding generalises: seeded tune/check splits of ../shared/data/lyrics-en-de.

Run from the repository root (needs python3-sklearn, a C compiler, OpenBLAS and LAPACKE):

    /usr/bin/python3 tools/lyrics_eval.py [--splits 5] [--kseeds 5] [--variants a,b] [--c] [--md FILE]

What it does
- Splits the 292 songs of metadata.tsv with numpy.random.RandomState(split_seed).permutation into a
  tune half (146 songs) and a check half (146); choices are made on the tune halves only, and the
  check halves say whether they carry over.
- Every embedding is fitted on the songs of one half alone (the way `musiclust lyrics` is used on a
  new collection), then KMeans(n_init=10, random_state=kseed) with k = 2 is scored against the
  `language` column (ARI) and with k = 5 against `tag` (NMI arithmetic, AMI, ARI).
- "sklearn" is the peer of issue 17: TfidfVectorizer(analyzer='char_wb', ngram_range=(2, 4),
  sublinear_tf=True, min_df=2) on the raw texts + TruncatedSVD(64) + KMeans on its output.
- The other variants see musiclust's tokenizer output (mc_text_normalize, called through ctypes from
  a private build of src/core + src/text), so that sklearn's vectorizer on it is musiclust's TF-IDF
  (tests/test_text.c checks that agreement); with --c the C fit (mc_text_lyrics_fit with the
  library's default configuration) is scored too ("musiclust"), and "musiclust-old" reproduces the
  embedding before issue 17 (words + chars, min_df 2, U * S, no normalisation).
- Prints a table (mean +- std over split seeds, and the mean over splits of the std over k-means
  seeds) and, with --md, writes it as Markdown.
"""
import argparse
import collections
import warnings
import csv
import ctypes
import os
import subprocess
import sys

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import (adjusted_mutual_info_score, adjusted_rand_score,
                             normalized_mutual_info_score)
from sklearn.preprocessing import normalize
import scipy.sparse as sp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
META = os.path.join(ROOT, "..", "shared", "data", "lyrics-en-de", "metadata.tsv")
LIB = os.path.join(ROOT, "build", "tools", "libmctext.so")

csv.field_size_limit(1 << 30)
warnings.filterwarnings("ignore", message=".*token_pattern.*")


def build_lib():
    """A private shared build of src/core + src/text for ctypes (the project builds static only)."""
    srcs = [os.path.join(d, f) for d in ("src/core", "src/text", "src/cluster") for f in sorted(os.listdir(os.path.join(ROOT, d)))
            if f.endswith(".c")]
    newest = max(os.path.getmtime(os.path.join(ROOT, s)) for s in srcs + [
        "include/musiclust/text.h", "include/musiclust/core.h", "include/musiclust/cluster.h", __file__])
    if os.path.exists(LIB) and os.path.getmtime(LIB) >= newest:
        return
    os.makedirs(os.path.dirname(LIB), exist_ok=True)
    flags = subprocess.check_output(["pkg-config", "--cflags", "--libs", "lapacke", "openblas"], text=True).split()
    cmd = ["cc", "-O2", "-std=c11", "-fPIC", "-shared", "-fopenmp", "-Iinclude", "-Isrc/core", "-Isrc",
           "-D_POSIX_C_SOURCE=200809L", "-D_XOPEN_SOURCE=700", "-DMC_VERSION=\"tools\""] + srcs + flags + \
          ["-lm", "-o", LIB]
    subprocess.check_call(cmd, cwd=ROOT)


class LangGuess(ctypes.Structure):
    _fields_ = [("language", ctypes.c_char * 8), ("confidence", ctypes.c_double), ("script", ctypes.c_int),
                ("letters", ctypes.c_int64), ("margin", ctypes.c_double), ("second", ctypes.c_char * 8)]


class LyricsConfig(ctypes.Structure):  # mc_lyrics_config (include/musiclust/text.h)
    _fields_ = [("dim", ctypes.c_int), ("seed", ctypes.c_uint64), ("min_df", ctypes.c_double),
                ("max_df", ctypes.c_double), ("word_weight", ctypes.c_double), ("word_ngram_min", ctypes.c_int),
                ("word_ngram_max", ctypes.c_int), ("char_ngram_min", ctypes.c_int), ("char_ngram_max", ctypes.c_int),
                ("char_tokens", ctypes.c_int), ("svd_iter", ctypes.c_int), ("svd_oversamples", ctypes.c_int),
                ("drop_first", ctypes.c_bool), ("normalize", ctypes.c_bool), ("threads", ctypes.c_int),
                ("progress", ctypes.c_void_p)]


class Lib:
    def __init__(self):
        build_lib()
        self.L = ctypes.CDLL(LIB)
        self.libc = ctypes.CDLL(None)
        self.libc.free.argtypes = [ctypes.c_void_p]
        self.L.mc_error_message.restype = ctypes.c_char_p

    def check(self, st):
        if st != 0:
            raise RuntimeError(self.L.mc_error_message().decode())

    def normalize(self, text):
        b = text.encode("utf-8")
        out = ctypes.c_void_p()
        n = ctypes.c_size_t()
        self.check(self.L.mc_text_normalize(b, ctypes.c_size_t(len(b)), ctypes.byref(out), ctypes.byref(n), None))
        s = ctypes.string_at(out, n.value).decode("utf-8")
        self.libc.free(out)
        return s

    def languages(self, texts):
        lid = ctypes.c_void_p()
        self.check(self.L.mc_text_langid_create(ctypes.byref(lid)))
        out = []
        for t in texts:
            b = t.encode("utf-8")
            g = LangGuess()
            self.check(self.L.mc_text_langid_detect(lid, b, ctypes.c_size_t(len(b)), ctypes.byref(g)))
            out.append(g.language.decode())
        self.L.mc_text_langid_free(lid)
        return out

    def fit(self, texts, settings=None, extra=None):
        """mc_text_lyrics_fit with the default configuration (members overridden by settings, a dict): the
        training texts transformed, (n, dim) float32, and with extra, the extra texts transformed by the
        same model."""
        cfg = LyricsConfig()
        self.L.mc_text_lyrics_config_default(ctypes.byref(cfg))
        for k, v in (settings or {}).items():
            setattr(cfg, k, v)
        self.check(self.L.mc_text_lyrics_config_validate(ctypes.byref(cfg)))
        arr = (ctypes.c_char_p * len(texts))(*[t.encode("utf-8") for t in texts])
        model = ctypes.c_void_p()
        self.check(self.L.mc_text_lyrics_fit(ctypes.byref(cfg), arr, ctypes.c_int64(len(texts)), ctypes.byref(model)))
        self.L.mc_text_lyrics_model_dim.restype = ctypes.c_int
        d = self.L.mc_text_lyrics_model_dim(model)
        Z = np.zeros((len(texts), d), np.float32)
        has = np.zeros(len(texts), np.uint8)
        self.check(self.L.mc_text_lyrics_transform(model, arr, ctypes.c_int64(len(texts)), ctypes.c_int(0),
                                                   Z.ctypes.data_as(ctypes.c_void_p),
                                                   has.ctypes.data_as(ctypes.c_void_p)))
        E = None
        if extra is not None:
            ea = (ctypes.c_char_p * len(extra))(*[t.encode("utf-8") for t in extra])
            E = np.zeros((len(extra), d), np.float32)
            self.check(self.L.mc_text_lyrics_transform(model, ea, ctypes.c_int64(len(extra)), ctypes.c_int(0),
                                                       E.ctypes.data_as(ctypes.c_void_p), None))
        self.L.mc_text_lyrics_model_free(model)
        return Z if extra is None else (Z, E)


class ClusterConfig(ctypes.Structure):  # the leading members of mc_cluster_config
    _fields_ = [("algo", ctypes.c_int), ("k", ctypes.c_int), ("n_init", ctypes.c_int), ("max_iter", ctypes.c_int),
                ("tol", ctypes.c_double), ("seed", ctypes.c_uint64), ("threads", ctypes.c_int)]


class Clustering(ctypes.Structure):  # the leading members of mc_clustering
    _fields_ = [("algo", ctypes.c_int), ("n", ctypes.c_int64), ("d", ctypes.c_int64), ("k", ctypes.c_int),
                ("labels", ctypes.POINTER(ctypes.c_int32))]


def mc_kmeans(lib, Z, k, seed):
    """musiclust's k-means (mc_cluster_kmeans, n_init 10 by default) on Z: labels."""
    cfg = ctypes.create_string_buffer(4096)
    lib.L.mc_cluster_config_default(cfg)
    c = ClusterConfig.from_buffer(cfg)
    c.k = k
    c.seed = seed
    c.threads = 2
    out = ctypes.create_string_buffer(4096)
    X = np.ascontiguousarray(Z, dtype=np.float32)
    lib.check(lib.L.mc_cluster_kmeans(cfg, X.ctypes.data_as(ctypes.c_void_p), ctypes.c_int64(X.shape[0]),
                                      ctypes.c_int64(X.shape[1]), out))
    r = Clustering.from_buffer(out)
    labels = np.array(r.labels[:X.shape[0]], dtype=np.int64)
    lib.L.mc_clustering_free(out)
    return labels


def load():
    with open(META, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return rows


# ------------------------------------------------------------------ embeddings (sklearn on musiclust tokens)

def vectorizer(kind, ngram, min_df, max_df=1.0, sublinear=True):
    """kind 'word' / 'char': over musiclust's tokens (the caller passes normalised texts); 'raw': char_wb
    over sklearn's own preprocessing of the raw texts (lower-cased whitespace chunks, punctuation kept)."""
    if kind == "raw":
        return TfidfVectorizer(analyzer="char_wb", ngram_range=ngram, sublinear_tf=sublinear, min_df=min_df,
                               max_df=max_df)
    return TfidfVectorizer(analyzer="word" if kind == "word" else "char_wb", ngram_range=ngram,
                           sublinear_tf=sublinear, min_df=min_df, max_df=max_df, lowercase=False,
                           token_pattern=r"\S+", dtype=np.float64)


class Embedding:
    """One variant. p: dict with keys feats ('char', 'word', 'word+char'), raw (chars of the raw chunks),
    ngram, wngram, min_df, max_df, dim, post ('none', 'l2', 'drop1', 'drop1+l2', 'drop2+l2', 'pca+l2',
    'drop1+whiten+l2'), wchar (share of the char block with words+chars), linear (no sublinear tf),
    peer (the scikit-learn pipeline of issue 17)."""

    def __init__(self, p, seed=0):
        self.p, self.seed = p, seed
        sub = not p.get("linear")
        if p.get("peer"):
            self.blocks = [("raw", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True,
                                                   min_df=2), 1.0)]
            return
        cw = p.get("wchar", 0.5) if "word" in p["feats"] and "char" in p["feats"] else 1.0
        self.blocks = []
        if "word" in p["feats"]:
            self.blocks.append(("word", vectorizer("word", p.get("wngram", (1, 1)), p["min_df"], p.get("max_df", 1.0),
                                                   sub), np.sqrt(1 - cw) if "char" in p["feats"] else 1.0))
        if "char" in p["feats"]:
            kind = "raw" if p.get("raw") else "char"
            self.blocks.append((kind, vectorizer(kind, p.get("ngram", (2, 4)), p["min_df"], p.get("max_df", 1.0),
                                                 sub), np.sqrt(cw)))

    def _features(self, norm_texts, raw_texts, fit):
        mats = []
        for kind, v, w in self.blocks:
            docs = raw_texts if kind == "raw" else norm_texts
            mats.append(w * (v.fit_transform(docs) if fit else v.transform(docs)))
        return mats[0].tocsr() if len(mats) == 1 else sp.hstack(mats).tocsr()

    def _post(self, Z):
        post = self.p.get("post", "none")
        if "whiten" in post:
            Z = Z / self.svd.singular_values_
        Z = Z[:, self.drop:]
        return normalize(Z) if "l2" in post else Z

    def fit(self, norm_texts, raw_texts):
        X = self._features(norm_texts, raw_texts, True)
        post = self.p.get("post", "none")
        self.drop = 2 if post.startswith("drop2") else 1 if post.startswith("drop1") else 0
        self.mean = None
        if post.startswith("pca"):
            X = X.toarray()
            self.mean = X.mean(axis=0)
            X = X - self.mean  # centred: PCA of the TF-IDF rows
        self.svd = TruncatedSVD(self.p.get("dim", 64) + self.drop, algorithm=self.p.get("svd", "randomized"),
                                random_state=self.seed)
        return self._post(self.svd.fit_transform(X))

    def transform(self, norm_texts, raw_texts):
        X = self._features(norm_texts, raw_texts, False)
        if self.mean is not None:
            X = X.toarray() - self.mean
        return self._post(X @ self.svd.components_.T)


def embed(norm_texts, raw_texts, p, seed=0):
    return Embedding(p, seed).fit(norm_texts, raw_texts)


def mixtures(idx, raw, lang, rng, share=0.65, count=20):
    """Synthetic two-language songs from the songs idx: `share` of the lines from a song of one language
    (the label), the rest from a song of the other, in alternating blocks of 4 lines (verses and a
    foreign chorus). count of each majority language."""
    out, labels = [], []
    for major in ("de", "en"):
        a_pool = [i for i in idx if lang[i] == major]
        b_pool = [i for i in idx if lang[i] != major]
        for _ in range(count):
            a = [l for l in raw[rng.choice(a_pool)].split("\n") if l.strip()]
            b = [l for l in raw[rng.choice(b_pool)].split("\n") if l.strip()]
            n_a = len(a)
            n_b = min(len(b), max(1, int(round(n_a * (1 - share) / share))))
            lines, ia, ib = [], 0, 0
            while ia < n_a or ib < n_b:
                lines += a[ia:ia + 4]
                ia += 4
                take = max(1, int(round(4 * (1 - share) / share)))
                lines += b[ib:min(ib + take, n_b)]
                ib += take
            out.append("\n".join(lines))
            labels.append(major)
    return out, np.array(labels)


def scores(Z, lang, tag, kseed, lib=None, M=None, mlang=None):
    """k = 2 vs language, k = 5 vs tag: sklearn's KMeans(n_init=10), or musiclust's k-means with lib;
    with M (mixtures in the same space), the share of them nearest to the centre of the cluster whose
    majority language is theirs."""
    if lib is not None:
        a2, a5 = mc_kmeans(lib, Z, 2, kseed), mc_kmeans(lib, Z, 5, kseed)
    else:
        a2 = KMeans(2, n_init=10, random_state=kseed).fit_predict(Z)
        a5 = KMeans(5, n_init=10, random_state=kseed).fit_predict(Z)
    mix = np.nan
    if M is not None:
        cent = np.stack([Z[a2 == c].mean(axis=0) for c in (0, 1)])
        name = [collections.Counter(lang[a2 == c]).most_common(1)[0][0] for c in (0, 1)]
        near = ((M[:, None, :] - cent[None]) ** 2).sum(axis=2).argmin(axis=1)
        mix = np.mean(np.array([name[c] for c in near]) == mlang)
    return (adjusted_rand_score(lang, a2), normalized_mutual_info_score(tag, a5),
            adjusted_mutual_info_score(tag, a5), adjusted_rand_score(tag, a5), mix)


VARIANTS = {
    "raw": dict(raw=True, feats="char", min_df=2, dim=64, post="none"),
    "raw-l2": dict(raw=True, feats="char", min_df=2, dim=64, post="l2"),
    "raw-drop1-l2": dict(raw=True, feats="char", min_df=2, dim=64, post="drop1+l2"),
    "raw-drop1": dict(raw=True, feats="char", min_df=2, dim=64, post="drop1"),
    "raw-l2-d32": dict(raw=True, feats="char", min_df=2, dim=32, post="l2"),
    "raw-l2-d128": dict(raw=True, feats="char", min_df=2, dim=128, post="l2"),
    "raw-l2-df.01": dict(raw=True, feats="char", min_df=0.01, dim=64, post="l2"),
    "raw-l2-df.02": dict(raw=True, feats="char", min_df=0.02, dim=64, post="l2"),
    "raw-wc-l2": dict(raw=True, feats="word+char", min_df=2, dim=64, post="l2"),
    "raw-drop1-l2-d32": dict(raw=True, feats="char", min_df=2, dim=32, post="drop1+l2"),
    "raw-drop1-l2-d48": dict(raw=True, feats="char", min_df=2, dim=48, post="drop1+l2"),
    "raw-drop1-l2-d100": dict(raw=True, feats="char", min_df=2, dim=100, post="drop1+l2"),
    "raw-drop1-l2-df.02": dict(raw=True, feats="char", min_df=0.02, dim=64, post="drop1+l2"),
    "raw-drop1-l2-df.005": dict(raw=True, feats="char", min_df=0.005, dim=64, post="drop1+l2"),
    "raw-drop1-l2-max.5": dict(raw=True, feats="char", min_df=2, max_df=0.5, dim=64, post="drop1+l2"),
    "raw15-drop1-l2": dict(raw=True, feats="char", ngram=(1, 5), min_df=2, dim=64, post="drop1+l2"),
    "raw25-drop1-l2": dict(raw=True, feats="char", ngram=(2, 5), min_df=2, dim=64, post="drop1+l2"),
    "raw35-drop1-l2": dict(raw=True, feats="char", ngram=(3, 5), min_df=2, dim=64, post="drop1+l2"),
    "raw-wc.2-drop1-l2": dict(raw=True, feats="word+char", wchar=0.8, min_df=2, dim=64, post="drop1+l2"),
    "raw-drop1-l2-df.01": dict(raw=True, feats="char", min_df=0.01, dim=64, post="drop1+l2"),
    "raw-drop1-df.01": dict(raw=True, feats="char", min_df=0.01, dim=64, post="drop1"),
    "char-drop1-l2-df.01": dict(feats="char", min_df=0.01, dim=64, post="drop1+l2"),
    "raw-pca-l2-df.01": dict(raw=True, feats="char", min_df=0.01, dim=64, post="pca+l2"),
    "raw-drop2-l2-df.01": dict(raw=True, feats="char", min_df=0.01, dim=64, post="drop2+l2"),
    "raw-drop1-whiten-l2-df.01": dict(raw=True, feats="char", min_df=0.01, dim=64, post="drop1+whiten+l2"),
    "raw-drop1-l2-d48-df.01": dict(raw=True, feats="char", min_df=0.01, dim=48, post="drop1+l2"),
    "raw14-drop1-l2-df.01": dict(raw=True, feats="char", ngram=(1, 4), min_df=0.01, dim=64, post="drop1+l2"),
    "raw-drop1-l2-df.01-exact": dict(raw=True, feats="char", min_df=0.01, dim=64, post="drop1+l2", svd="arpack"),
    "raw15-l2": dict(raw=True, feats="char", ngram=(1, 5), min_df=2, dim=64, post="l2"),
    # the peer of issue 17, on the raw texts
    "sklearn": dict(peer=True),
    # before issue 17: words + chars (equal weight), min_df 2, U*S
    "old": dict(feats="word+char", min_df=2, dim=64, post="none"),
    "char": dict(feats="char", min_df=2, dim=64, post="none"),
    "char-l2": dict(feats="char", min_df=2, dim=64, post="l2"),
    "char-drop1-l2": dict(feats="char", min_df=2, dim=64, post="drop1+l2"),
    "char-drop1": dict(feats="char", min_df=2, dim=64, post="drop1"),
    "wc-l2": dict(feats="word+char", min_df=2, dim=64, post="l2"),
    "wc-drop1-l2": dict(feats="word+char", min_df=2, dim=64, post="drop1+l2"),
    "char-l2-d32": dict(feats="char", min_df=2, dim=32, post="l2"),
    "char-l2-d100": dict(feats="char", min_df=2, dim=100, post="l2"),
    "char-l2-d16": dict(feats="char", min_df=2, dim=16, post="l2"),
    "char-l2-df.01": dict(feats="char", min_df=0.01, dim=64, post="l2"),
    "char-l2-df.02": dict(feats="char", min_df=0.02, dim=64, post="l2"),
    "char-l2-df.05": dict(feats="char", min_df=0.05, dim=64, post="l2"),
    "char-l2-max.5": dict(feats="char", min_df=2, max_df=0.5, dim=64, post="l2"),
    "char15-l2": dict(feats="char", ngram=(1, 5), min_df=2, dim=64, post="l2"),
    "char25-l2": dict(feats="char", ngram=(2, 5), min_df=2, dim=64, post="l2"),
    "char35-l2": dict(feats="char", ngram=(3, 5), min_df=2, dim=64, post="l2"),
    "char13-l2": dict(feats="char", ngram=(1, 3), min_df=2, dim=64, post="l2"),
    "word-l2": dict(feats="word", min_df=2, dim=64, post="l2"),
    "word12-l2": dict(feats="word", wngram=(1, 2), min_df=2, dim=64, post="l2"),
}


# The C library (mc_text_lyrics_fit) with its defaults, and with members of mc_lyrics_config changed.
C_VARIANTS = {
    "musiclust": {},
    "musiclust-old": dict(word_weight=0.5, char_tokens=0, min_df=2, drop_first=False, normalize=False),
    "musiclust-iter10": dict(svd_iter=10),
    "musiclust-over64": dict(svd_oversamples=64),
    "musiclust-d48": dict(dim=48),
}


def fmt(vals):
    """vals (splits, kseeds): 'mean +- std over splits (std over k-means seeds)'."""
    per_split = vals.mean(axis=1)
    return "%.3f ± %.3f (±%.3f)" % (vals.mean(), per_split.std(), vals.std(axis=1).mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--splits", type=int, default=5)
    ap.add_argument("--kseeds", type=int, default=5)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--c", action="store_true", help="also score the C fit (mc_text_lyrics_fit defaults)")
    ap.add_argument("--full", action="store_true", help="also score every variant on all 292 songs")
    ap.add_argument("--kmeans", choices=["sklearn", "musiclust"], default="sklearn",
                    help="k-means: sklearn KMeans(n_init=10) or mc_cluster_kmeans (defaults)")
    ap.add_argument("--tune-only", action="store_true", help="score the tune halves only (choosing)")
    ap.add_argument("--md", help="write the table as Markdown")
    args = ap.parse_args()

    rows = load()
    lib = Lib()
    raw = [r["lyrics"] for r in rows]
    norm = [lib.normalize(t) for t in raw]
    lang = np.array([r["language"] for r in rows])
    tag = np.array([r["tag"] for r in rows])
    guess = lib.languages(raw)
    agree = np.mean(np.array(guess) == lang)
    print("language identification: %.2f%% agreement with the language column (%d songs)" % (100 * agree, len(rows)))

    names = [v for v in args.variants.split(",") if v]
    if args.c:
        names += ["musiclust"]
    parts = ["tune"] + ([] if args.tune_only else ["check"]) + (["all"] if args.full else [])
    res = {}  # (variant, part) -> (splits, kseeds, 4)
    for name in names:
        for part in parts:
            ns = 1 if part == "all" else args.splits
            R = np.zeros((ns, args.kseeds, 5))
            for s in range(ns):
                idx = np.arange(len(rows))
                if part != "all":
                    perm = np.random.RandomState(s).permutation(len(rows))
                    half = len(rows) // 2
                    idx = np.sort(perm[:half] if part == "tune" else perm[half:])
                mix, mlang = mixtures(idx, raw, lang, np.random.RandomState(1000 + s))
                if name.startswith("musiclust"):
                    Z, M = lib.fit([raw[i] for i in idx], C_VARIANTS[name], extra=mix)
                else:
                    e = Embedding(VARIANTS[name])
                    Z = e.fit([norm[i] for i in idx], [raw[i] for i in idx])
                    M = e.transform([lib.normalize(t) for t in mix], mix)
                for k in range(args.kseeds):
                    R[s, k] = scores(Z, lang[idx], tag[idx], k, lib if args.kmeans == "musiclust" else None, M, mlang)
            res[(name, part)] = R
            print("%-16s %-5s lang ARI %s  tag NMI %s  AMI %s  ARI %s  mixed %s" % (
                name, part, fmt(R[..., 0]), fmt(R[..., 1]), fmt(R[..., 2]), fmt(R[..., 3]), fmt(R[..., 4])),
                flush=True)
    if args.md:
        with open(args.md, "w") as f:
            f.write("language identification: %.2f%% agreement (%d songs)\n\n" % (100 * agree, len(rows)))
            f.write("| variant | part | language ARI (k=2) | tag NMI (k=5) | tag AMI | tag ARI | mixed songs to "
                    "majority |\n|---|---|---|---|---|---|---|\n")
            for name in names:
                for part in parts:
                    R = res[(name, part)]
                    f.write("| %s | %s | %s | %s | %s | %s | %s |\n" % (
                        name, part, fmt(R[..., 0]), fmt(R[..., 1]), fmt(R[..., 2]), fmt(R[..., 3]), fmt(R[..., 4])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
