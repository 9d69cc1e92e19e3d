"""Shared fixtures: the package under test (from this source tree unless PYTHONPATH says otherwise), a
small synthesized store, and seeded blobs."""
import os
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PYROOT = os.path.dirname(HERE)
if PYROOT not in sys.path and not os.environ.get("MUSICLUST_PYTHON_INSTALLED"):
    sys.path.insert(0, PYROOT)

import musiclust as mc  # noqa: E402


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The built-in corpus, 2 tracks per style of 6 s, extracted with 3 s segments (20 rows)."""
    root = tmp_path_factory.mktemp("demo")
    corpus = root / "corpus"
    mc.demo_corpus(corpus, tracks_per_style=2, seconds=6, seed=7)
    store = root / "F"
    summary = mc.extract([corpus / "audio"], store, metadata=corpus / "metadata.tsv", threads=2)
    return {"corpus": corpus, "store": store, "summary": summary}


@pytest.fixture(scope="session")
def blobs():
    """Four separated Gaussian blobs in 5-D (400 rows, float32) and their true blob."""
    rng = np.random.default_rng(1)
    centres = rng.normal(0, 6, size=(4, 5))
    y = np.repeat(np.arange(4), 100)
    X = (centres[y] + rng.normal(0, 1, size=(400, 5))).astype(np.float32)
    return X, y


def rel_diff(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))) if a.size else 0.0
