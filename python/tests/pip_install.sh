#!/bin/sh
# ctest python_pip_install: the package installs offline with pip and works from the install.
#   python/tests/pip_install.sh PYTHON SOURCE_DIR LIBRARY_DIR
# A fresh virtual environment that sees the system's numpy (--system-site-packages), then
#   pip install --no-build-isolation --no-index <a copy of python/>
# (no network: setuptools and numpy come from Debian), then the pytest suite against the installed
# package from outside the source tree, the library found through LD_LIBRARY_PATH.
set -eu
python=$1
src=$2
libdir=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$src/python" "$tmp/python"          # pip builds in the tree it is given: not the source's
rm -rf "$tmp/python/build" "$tmp/python"/*.egg-info
"$python" -m venv --system-site-packages "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --no-build-isolation --no-index --no-cache-dir -q "$tmp/python"
cd "$tmp"
unset MUSICLUST_LIB PYTHONPATH
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export MUSICLUST_PYTHON_INSTALLED=1 PYTHONDONTWRITEBYTECODE=1
"$tmp/venv/bin/python" - "$tmp/venv" "$libdir" <<'PY'
import os, sys
import musiclust
venv, libdir = sys.argv[1], sys.argv[2]
assert musiclust.__file__.startswith(venv), f"imported {musiclust.__file__}, not the installed package"
assert os.path.realpath(os.path.dirname(musiclust.library_path) or libdir) == os.path.realpath(libdir) \
    or musiclust.library_path == "libmusiclust.so.0", musiclust.library_path
print("installed package", musiclust.__file__, "library", musiclust.library_path, "version", musiclust.version())
PY
"$tmp/venv/bin/python" -m pytest -q -p no:cacheprovider "$tmp/python/tests"
