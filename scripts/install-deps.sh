#!/usr/bin/env bash
# Install the Debian packages musiclust needs to build, test and run -- only the missing ones, so it
# is quick and harmless to call before every build (make demo / make test do). Nothing is downloaded
# except Debian packages.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config   # compiler, CMake/CTest
  libsndfile1-dev                    # decode WAV/FLAC/OGG/AU... (and MP3, through libmpg123)
  libmpg123-dev                      # decode MP3 directly, configured as libsndfile does (src/audio/mpeg.c)
  libsoxr-dev                        # resampling, as librosa's soxr_hq
  libfftw3-dev                       # STFT
  libopenblas-dev liblapacke-dev     # GEMM, PCA/SVD
  libdnnl-dev                        # oneDNN: the nn module's convolutions and GEMMs (own CPU dispatch, bf16)
  libcairo2-dev fonts-dejavu-core    # plots (PNG/SVG/PDF) and a fallback font for their text
  libjansson-dev                     # recipes (run --recipe): the JSON reader of src/pipeline/recipe.c
  libpango1.0-dev                    # plot text of any script: Pango layout, HarfBuzz shaping
  fonts-noto-core fonts-noto-cjk     # plot fonts: Latin, Bengali, Devanagari, Arabic..., and CJK
  chromium                           # tests only: renders report.html headless (test_report, browser_report fail without it)
  help2man man-db                    # man pages made from each command's --help; man renders them (ctest install_tree)
  python3-numpy python3-setuptools python3-wheel python3-pip python3-venv  # the Python package (python/), pip install ./python (offline)
  python3-pytest python3-sklearn     # tests only: the Python package's tests (ctest python), checked against scikit-learn
  openmpi-bin libopenmpi-dev         # the dist module: the same binary under mpirun / srun (MPI tests in CI)
  clang libclang-rt-14-dev libomp-dev  # make fuzz only: libFuzzer + ASan/UBSan runtimes, clang's OpenMP
)

missing=()
for p in "${PKGS[@]}"; do
  [[ "$p" == \#* ]] && continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# tests only: node and npm drive chromium over the DevTools protocol (ctest browser_report; npm installs
# chrome-remote-interface into the build tree). A node from elsewhere (e.g. NodeSource) is kept as it is.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
