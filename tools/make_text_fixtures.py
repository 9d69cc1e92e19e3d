#!/usr/bin/python3
"""Reference values for tests/test_text.c from scikit-learn 1.2 / numpy (run from the repository root):

    /usr/bin/python3 tools/make_text_fixtures.py    ->  tests/fixtures/text_fixture.h

- 30 small ASCII documents (seeded random sentences from two word pools, plus punctuation, digits,
  upper case and apostrophes inside words);
- TfidfVectorizer(analyzer='word', ngram_range=(1, 2), min_df=2, max_df=0.8, sublinear_tf=True) and
  TfidfVectorizer(analyzer='char_wb', ngram_range=(2, 4), min_df=0.1, max_df=1.0, sublinear_tf=True),
  both with a preprocessor that does what musiclust's tokenizer does on ASCII text: lower case,
  apostrophes between letters removed, words = runs of letters (token_pattern r"(?u)[^\\W\\d_]+");
  vocabularies, idf and the matrices (CSR);
- the two blocks scaled by 1/sqrt(2) and concatenated: numpy.linalg.svd singular values,
  TruncatedSVD(n_components=4, algorithm='arpack') fit_transform and explained_variance_ratio_;
- malformed UTF-8 byte strings and Python's bytes.decode('utf-8', 'replace') of them (U+FFFD per
  maximal subpart, as Unicode 14 section 3.9 recommends).
"""
import os
import re

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "text_fixture.h")

POOL_A = ("night light heart fire river stone road home dream rain song city train window morning "
          "summer winter ocean shadow mountain").split()
POOL_B = ("liebe nacht herz feuer fluss stein strasse heimat traum regen lied stadt zug fenster morgen "
          "sommer winter meer schatten berg").split()
GLUE = "the and a of in to we you i don't it's ich und die der wir du nicht".split()


def make_docs():
    rng = np.random.RandomState(7)
    docs = []
    for d in range(30):
        pool = POOL_A if d % 2 == 0 else POOL_B
        words = []
        for _ in range(rng.randint(10, 24)):
            r = rng.rand()
            if r < 0.55:
                w = pool[rng.randint(len(pool))]
            elif r < 0.65:
                other = POOL_B if pool is POOL_A else POOL_A
                w = other[rng.randint(len(other))]
            else:
                w = GLUE[rng.randint(len(GLUE))]
            if rng.rand() < 0.1:
                w = w.capitalize()
            if rng.rand() < 0.05:
                w = w.upper()
            words.append(w)
            if rng.rand() < 0.08:
                words.append(str(rng.randint(100)))
            if rng.rand() < 0.1:
                words[-1] += rng.choice([",", ".", "!", "?", ";", " -"])
        sep = ["\n" if rng.rand() < 0.15 else " " for _ in words]
        docs.append("".join(w + s for w, s in zip(words, sep)).strip())
    return docs


def prep(s):
    s = s.lower()
    s = re.sub(r"(?<=[^\W\d_])'(?=[^\W\d_])", "", s)
    return " ".join(re.findall(r"(?u)[^\W\d_]+", s))


def c_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def arr(name, ctype, values, fmt):
    vals = [fmt % v for v in values]
    lines = []
    for i in range(0, len(vals), 8):
        lines.append("    " + ", ".join(vals[i:i + 8]) + ",")
    return "static const %s %s[%d] = {\n%s\n};\n" % (ctype, name, max(1, len(vals)), "\n".join(lines) or "    0")


def block(f, name, vec, X):
    X = sp.csr_matrix(X)
    X.sort_indices()
    terms = vec.get_feature_names_out()
    f.write("#define TEXT_FX_%s_NTERMS %d\n" % (name.upper(), len(terms)))
    f.write("static const char *const text_fx_%s_terms[%d] = {\n" % (name, len(terms)))
    for i in range(0, len(terms), 6):
        f.write("    " + ", ".join(c_str(t) for t in terms[i:i + 6]) + ",\n")
    f.write("};\n")
    f.write(arr("text_fx_%s_idf" % name, "double", vec.idf_, "%.17g"))
    f.write(arr("text_fx_%s_indptr" % name, "int64_t", X.indptr, "%d"))
    f.write(arr("text_fx_%s_indices" % name, "int32_t", X.indices, "%d"))
    f.write(arr("text_fx_%s_data" % name, "double", X.data, "%.12g"))
    f.write("\n")


MALFORMED = [
    b"a\xf1\x80\x80\xe1\x80\xc2b\x80c\x80\xbfd",   # Unicode 14 table 3-8 example
    b"\xc0\xaf\xe0\x80\xbf\xf0\x81\x82A",           # overlongs
    b"\xed\xa0\x80\xed\xbf\xbfB",                   # surrogates
    b"\xf4\x90\x80\x80\xf5\xff\xfeC",               # > U+10FFFF, F5, FF, FE
    b"\xe2\x82",                                    # truncated at the end
    b"x\xf0\x9f\x98",                               # truncated 4-byte sequence
    b"\xc3\xa9\xe2\x82\xac\xf0\x9f\x8e\xb5\xc3",    # valid é € U+1F3B5 then a cut lead byte
]


def main():
    docs = make_docs()
    wv = TfidfVectorizer(analyzer="word", preprocessor=prep, token_pattern=r"(?u)[^\W\d_]+",
                         ngram_range=(1, 2), min_df=2, max_df=0.8, sublinear_tf=True)
    W = wv.fit_transform(docs)
    cv = TfidfVectorizer(analyzer="char_wb", preprocessor=prep, ngram_range=(2, 4), min_df=0.1,
                         max_df=1.0, sublinear_tf=True)
    C = cv.fit_transform(docs)
    H = sp.hstack([W / np.sqrt(2), C / np.sqrt(2)]).tocsr()
    sv = np.linalg.svd(H.toarray(), compute_uv=False)
    tsvd = TruncatedSVD(n_components=4, algorithm="arpack", random_state=0)
    Z = tsvd.fit_transform(H)

    with open(OUT, "w") as f:
        f.write("/* Generated by tools/make_text_fixtures.py (scikit-learn %s, numpy %s). Do not edit. */\n"
                % (sklearn.__version__, np.__version__))
        f.write("#ifndef TEXT_FIXTURE_H\n#define TEXT_FIXTURE_H\n\n#include <stdint.h>\n\n")
        f.write("#define TEXT_FX_NDOCS %d\n" % len(docs))
        f.write("static const char *const text_fx_docs[%d] = {\n" % len(docs))
        for d in docs:
            f.write("    %s,\n" % c_str(d))
        f.write("};\n\n")
        block(f, "word", wv, W)
        block(f, "char", cv, C)
        f.write("#define TEXT_FX_SVD_K 4\n")
        f.write(arr("text_fx_singular_values", "double", sv, "%.17g"))
        f.write(arr("text_fx_svd_Z", "double", Z.ravel(), "%.17g"))
        f.write(arr("text_fx_svd_evr", "double", tsvd.explained_variance_ratio_, "%.17g"))
        f.write("\n#define TEXT_FX_NMALFORMED %d\n" % len(MALFORMED))
        f.write("typedef struct text_fx_utf8 { const char *bytes; int len; int ncp; uint32_t cp[16]; } text_fx_utf8;\n")
        f.write("static const text_fx_utf8 text_fx_malformed[%d] = {\n" % len(MALFORMED))
        for b in MALFORMED:
            cps = [ord(c) for c in b.decode("utf-8", "replace")]
            esc = "".join("\\x%02x" % x for x in b)
            # split the literal after each escape so a following hex digit is not swallowed
            esc = '" "'.join(esc.split('"'))
            f.write('    {"%s", %d, %d, {%s}},\n' % (esc, len(b), len(cps), ", ".join("0x%X" % c for c in cps)))
        f.write("};\n\n#endif\n")
    print("%s: %d docs, word %d terms, char %d terms, nnz %d + %d, sv %s" %
          (OUT, len(docs), W.shape[1], C.shape[1], W.nnz, C.nnz, sv[:4]))


if __name__ == "__main__":
    main()
