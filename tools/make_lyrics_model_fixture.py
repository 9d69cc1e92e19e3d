#!/usr/bin/python3
"""Lyrics models fitted by scikit-learn 1.2, written in musiclust's lyrics-model layout, and what
sklearn's transform gives for new texts (run from the repository root):

    /usr/bin/python3 tools/make_lyrics_model_fixture.py
        -> tests/fixtures/lyrics_model_words.safetensors, tests/fixtures/lyrics_model_chunks.safetensors,
           tests/fixtures/lyrics_model_fixture.h

tests/test_text.c loads the two files with mc_text_lyrics_model_load and checks that
mc_text_lyrics_transform gives sklearn's vectors, so the layout and the transform are checked against an
independent implementation (the C fit is checked against sklearn's TF-IDF and SVD separately).

- "words": TfidfVectorizer(analyzer='word', min_df=2, sublinear_tf=True) and
  TfidfVectorizer(analyzer='char_wb', ngram_range=(2, 4), min_df=2, sublinear_tf=True), both with the
  preprocessor of tools/make_text_fixtures.py (musiclust's word tokenizer on ASCII text); the blocks
  scaled by sqrt(0.3) and sqrt(0.7) and concatenated; TruncatedSVD(5, algorithm='arpack'); the first
  component left out and the rows normalised (Normalizer) -> dim 4.
- "chunks": TfidfVectorizer(analyzer='char_wb', ngram_range=(2, 4), min_df=2, sublinear_tf=True) on
  the raw texts (sklearn's own lower-casing and whitespace split: musiclust's CHUNKS tokens);
  TruncatedSVD(4, algorithm='arpack'); nothing after -> dim 4; plus a zero column: dim 5.
The components are stored as float32 (as musiclust stores them) and the expected vectors are computed
from those float32 values in double.
"""
import json
import os
import struct
import sys

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_text_fixtures import make_docs, prep, arr  # noqa: E402


def c_str(s):
    """A C string literal: control characters escaped, UTF-8 kept as it is."""
    esc = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}
    return '"' + "".join(esc.get(ch, ch) for ch in s) + '"'

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures")

NEW = [
    "The night train and the morning rain, we don't stop",
    "Liebe, Nacht und Regen: wir fahren mit dem Zug in die Stadt!",
    "",                                   # no text
    "1234 -- !!! 5678",                   # no letter: no lyrics, even for the chunks model
    "ŋŋŋ ʒʒʒʒ",                           # letters, but no known n-gram
    "NIGHT night Night, heart HEART; fire...",
    "river\tstone\nroad  home\r\ndream",
]


def write_safetensors(path, tensors, meta):
    """The safetensors layout: u64 header length, JSON header, then the raw little-endian bytes."""
    header = {"__metadata__": meta}
    off = 0
    blobs = []
    for name, a in tensors:
        a = np.ascontiguousarray(a)
        code = {np.dtype("<f4"): "F32", np.dtype("<f8"): "F64", np.dtype("<i8"): "I64"}[a.dtype]
        b = a.tobytes()
        header[name] = {"dtype": code, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, ensure_ascii=False).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def block_meta(name, vec, weight, n_docs, tokens, ngram):
    return {
        name + ".vocabulary": "\n".join(vec.get_feature_names_out()),
        name + ".analyzer": vec.analyzer,
        name + ".ngram_range": "%d,%d" % ngram,
        name + ".weight": repr(float(weight)),
        name + ".n_docs": str(n_docs),
        name + ".min_df": repr(float(vec.min_df)),
        name + ".max_df": repr(float(vec.max_df)),
        name + ".sublinear_tf": "true",
        name + ".smooth_idf": "true",
        name + ".norm": "l2",
        name + ".tokens": tokens,
    }


def block_tensors(name, vec, X):
    df = np.asarray((X > 0).sum(axis=0)).ravel().astype("<i8")
    return [(name + ".idf", vec.idf_.astype("<f8")), (name + ".df", df)]


def svd_tensors(svd):
    return [("svd.components", svd.components_.astype("<f4")),
            ("svd.singular_values", svd.singular_values_.astype("<f8")),
            ("svd.explained_variance_ratio", svd.explained_variance_ratio_.astype("<f8"))]


def common_meta(blocks, dim, drop, normalize):
    return {"format": "musiclust-lyrics-model", "format_version": "1", "blocks": blocks, "dim": str(dim),
            "drop_first": "true" if drop else "false", "normalize": "l2" if normalize else "none",
            "svd.seed": "0", "svd.n_iter": "5", "svd.n_oversamples": "10"}


def has_letter(t):
    return any(c.isalpha() for c in t)


def main():
    docs = make_docs()
    n = len(docs)
    new = docs[:3] + NEW

    # ---- words + chars, drop the first component, normalise
    ww = 0.3
    wv = TfidfVectorizer(analyzer="word", preprocessor=prep, token_pattern=r"(?u)[^\W\d_]+", min_df=2,
                         sublinear_tf=True)
    W = wv.fit_transform(docs)
    cv = TfidfVectorizer(analyzer="char_wb", preprocessor=prep, ngram_range=(2, 4), min_df=2, sublinear_tf=True)
    C = cv.fit_transform(docs)
    H = sp.hstack([np.sqrt(ww) * W, np.sqrt(1 - ww) * C]).tocsr()
    svd = TruncatedSVD(5, algorithm="arpack", random_state=0).fit(H)
    meta = common_meta("word,char", 4, True, True)
    meta.update(block_meta("word", wv, np.sqrt(ww), n, "words", (1, 1)))
    meta.update(block_meta("char", cv, np.sqrt(1 - ww), n, "words", (2, 4)))
    write_safetensors(os.path.join(FIX, "lyrics_model_words.safetensors"),
                      block_tensors("word", wv, W) + block_tensors("char", cv, C) + svd_tensors(svd), meta)
    Hn = sp.hstack([np.sqrt(ww) * wv.transform(new), np.sqrt(1 - ww) * cv.transform(new)]).tocsr()
    Zw = Hn @ svd.components_.astype(np.float32).astype(np.float64).T
    Zw = Zw[:, 1:]
    norms = np.linalg.norm(Zw, axis=1, keepdims=True)
    Zw = np.where(norms > 0, Zw / np.where(norms > 0, norms, 1), 0.0)
    has_w = np.array([1 if Hn[i].nnz > 0 and has_letter(t) else 0 for i, t in enumerate(new)])
    Zw[has_w == 0] = 0

    # ---- chunks: char_wb on the raw texts, no post-processing, one zero column
    kv = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True)
    K = kv.fit_transform(docs)
    svd2 = TruncatedSVD(4, algorithm="arpack", random_state=0).fit(K)
    meta = common_meta("char", 5, False, False)
    meta.update(block_meta("char", kv, 1.0, n, "chunks", (2, 4)))
    write_safetensors(os.path.join(FIX, "lyrics_model_chunks.safetensors"),
                      block_tensors("char", kv, K) + svd_tensors(svd2), meta)
    Kn = kv.transform(new)
    Zc = np.zeros((len(new), 5))
    Zc[:, :4] = Kn @ svd2.components_.astype(np.float32).astype(np.float64).T
    has_c = np.array([1 if Kn[i].nnz > 0 and has_letter(t) else 0 for i, t in enumerate(new)])
    Zc[has_c == 0] = 0

    out = os.path.join(FIX, "lyrics_model_fixture.h")
    with open(out, "w") as f:
        f.write("/* Generated by tools/make_lyrics_model_fixture.py (scikit-learn %s, numpy %s). Do not edit. */\n"
                % (sklearn.__version__, np.__version__))
        f.write("#ifndef LYRICS_MODEL_FIXTURE_H\n#define LYRICS_MODEL_FIXTURE_H\n\n#include <stdint.h>\n\n")
        f.write("#define LYR_FX_NNEW %d\n" % len(new))
        f.write("static const char *const lyr_fx_new[%d] = {\n" % len(new))
        for d in new:
            f.write("    %s,\n" % c_str(d))
        f.write("};\n\n")
        f.write("#define LYR_FX_WORDS_DIM 4\n#define LYR_FX_WORDS_TERMS %d\n" % H.shape[1])
        f.write(arr("lyr_fx_words_Z", "double", Zw.ravel(), "%.17g"))
        f.write(arr("lyr_fx_words_has", "uint8_t", has_w, "%d"))
        f.write("#define LYR_FX_CHUNKS_DIM 5\n#define LYR_FX_CHUNKS_TERMS %d\n" % K.shape[1])
        f.write(arr("lyr_fx_chunks_Z", "double", Zc.ravel(), "%.17g"))
        f.write(arr("lyr_fx_chunks_has", "uint8_t", has_c, "%d"))
        f.write("\n#endif\n")
    print("%s: words model %d + %d terms, chunks model %d terms; has %s / %s" %
          (out, W.shape[1], C.shape[1], K.shape[1], has_w, has_c))


if __name__ == "__main__":
    main()
