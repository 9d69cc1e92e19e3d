"""The README's Python example (python/examples/example.py) runs and says what the README shows."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(os.path.dirname(HERE), "examples", "example.py")


def test_readme_example_runs():
    env = dict(os.environ)
    if not env.get("MUSICLUST_PYTHON_INSTALLED"):
        env["PYTHONPATH"] = os.path.dirname(HERE) + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, EXAMPLE], check=True, capture_output=True, text=True, env=env).stdout
    assert "vae + k-means: ARI 1.000, NMI 1.000" in out, out
    assert "UMAP trustworthiness" in out
    assert "error (invalid_arg): k-means: k = 1000 is larger than the number of points (300)" in out, out


def test_readme_shows_this_example():
    src = os.environ.get("MUSICLUST_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
    readme = open(os.path.join(src, "README.md"), encoding="utf-8").read()
    marker = "<!-- example: python/examples/example.py"
    assert marker in readme, "README.md lost the Python example"
    block = readme.split(marker, 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    assert block == open(EXAMPLE, encoding="utf-8").read(), "README.md's Python example differs from examples/example.py"
