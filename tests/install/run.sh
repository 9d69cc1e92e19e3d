#!/bin/bash
# ctest install_tree: install the build into a temporary prefix and use it as a user would.
#   tests/install/run.sh BUILD_DIR SOURCE_DIR CC [EXTRA_CFLAGS]
# Checks the installed files (library with SONAME and version, static library, headers, musiclust.pc,
# man pages, bash completion), builds tests/install/example.c with `pkg-config --cflags --libs
# musiclust` and runs it against the installed .so, builds it again statically (pkg-config --static),
# compiles every header as C++ and links a C++ program (extern "C"), renders the man page, and drives
# the completion function. Any failure fails the test; nothing is skipped.
set -u
build=$1
src=$2
cc=$3
extra=${4:-}
fail=0
check() { # description, command...
  local what=$1; shift
  if "$@" > "$tmp/out.txt" 2>&1; then echo "ok   $what"; else
    echo "FAIL $what"; sed 's/^/     /' "$tmp/out.txt"; fail=1; fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
P=$tmp/prefix
version=$(sed -n 's/^project(musiclust VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
major=${version%%.*}

check "cmake --install into $P" cmake --install "$build" --prefix "$P"

# ---- files
check "bin/musiclust" test -x "$P/bin/musiclust"
check "lib/libmusiclust.so.$version" test -f "$P/lib/libmusiclust.so.$version"
check "lib/libmusiclust.so.$major -> .so.$version" test "$(readlink "$P/lib/libmusiclust.so.$major")" = "libmusiclust.so.$version"
check "lib/libmusiclust.so -> .so.$major" test "$(readlink "$P/lib/libmusiclust.so")" = "libmusiclust.so.$major"
check "SONAME libmusiclust.so.$major" sh -c "readelf -d '$P/lib/libmusiclust.so.$version' | grep -q 'Library soname: \[libmusiclust.so.$major\]'"
check "lib/libmusiclust.a" test -f "$P/lib/libmusiclust.a"
check "lib/pkgconfig/musiclust.pc" test -f "$P/lib/pkgconfig/musiclust.pc"
for h in "$src"/include/musiclust/*.h; do
  check "include/musiclust/$(basename "$h") as in the source" cmp "$h" "$P/include/musiclust/$(basename "$h")"
  # Every header but the umbrella (which only includes the others) declares extern "C".
  [ "$(basename "$h")" = musiclust.h ] || check "extern \"C\" in $(basename "$h")" grep -q 'extern "C"' "$h"
done
check "share/bash-completion/completions/musiclust" test -f "$P/share/bash-completion/completions/musiclust"

# ---- the installed program runs from its prefix (RUNPATH $ORIGIN/../lib), not from the build tree
check "installed musiclust --version" sh -c "'$P/bin/musiclust' --version | grep -q 'musiclust $version'"
check "installed musiclust loads the installed library" sh -c "ldd '$P/bin/musiclust' | grep 'libmusiclust.so.$major' | grep -q '$P/bin/../lib/'"

# ---- man pages: one per command, and they render
commands=$("$P/bin/musiclust" --help | awk '/^commands:/ {on = 1; next} on && /^[[:space:]]*$/ {exit} on {print $1}')
check "musiclust --help lists commands" test -n "$commands"
check "share/man/man1/musiclust.1" test -f "$P/share/man/man1/musiclust.1"
for c in $commands; do
  check "share/man/man1/musiclust-$c.1" test -f "$P/share/man/man1/musiclust-$c.1"
done
check "man -l musiclust-extract.1 renders NAME, SYNOPSIS and the options" sh -c \
  "MANWIDTH=100 man -l '$P/share/man/man1/musiclust-extract.1' 2>&1 | tee '$tmp/man.txt' >/dev/null &&
   grep -q '^NAME' '$tmp/man.txt' && grep -q 'musiclust-extract - ' '$tmp/man.txt' &&
   grep -q '^SYNOPSIS' '$tmp/man.txt' && grep -q 'musiclust extract \[options\] INPUT' '$tmp/man.txt' &&
   grep -q -- '--n-mfcc N' '$tmp/man.txt'"
check "MANPATH finds musiclust-extract" sh -c "MANPATH='$P/share/man' man -w musiclust-extract | grep -q '$P/share/man/man1/musiclust-extract.1'"

# ---- bash completion: commands, options, choices
comp() { # words of the command line (the last one is being completed) -> the candidates
  bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _musiclust; echo "${COMPREPLY[*]}"' \
    _ "$P/share/bash-completion/completions/musiclust" "$@"
}
check "completion: musiclust cl -> cluster" test "$(comp musiclust cl)" = "cluster"
check "completion: musiclust extract --n-m -> --n-mels --n-mfcc" test "$(comp musiclust extract --n-m)" = "--n-mels --n-mfcc"
check "completion: musiclust cluster --algo '' -> the algorithms" test "$(comp musiclust cluster --algo '')" = "kmeans agglomerative dbscan gmm"
for c in $commands; do
  check "completion: musiclust $c --he -> --help" test "$(comp musiclust "$c" --he)" = "--help"
done

# ---- a C program built with pkg-config against the installed tree, run against the installed .so
export PKG_CONFIG_PATH=$P/lib/pkgconfig
check "pkg-config --modversion musiclust" test "$(pkg-config --modversion musiclust)" = "$version"
check "pkg-config --cflags points into the prefix" sh -c "pkg-config --cflags musiclust | grep -q -- '^-I$P/include'"
check "build example.c with pkg-config --cflags --libs" sh -c \
  "$cc -std=c11 -Wall -Wextra -Wpedantic -Werror $extra '$src/tests/install/example.c' -o '$tmp/example' \$(pkg-config --cflags --libs musiclust)"
check "example uses the installed libmusiclust.so" sh -c \
  "LD_LIBRARY_PATH='$P/lib' ldd '$tmp/example' | grep 'libmusiclust.so.$major' | grep -q '$P/lib/'"
check "run example against the installed .so" sh -c "LD_LIBRARY_PATH='$P/lib' '$tmp/example' > '$tmp/example.txt'"
cat "$tmp/example.txt"
check "example: ARI 1 on separated blobs" grep -q 'ARI 1.0000' "$tmp/example.txt"
awk '/<!-- example: tests\/install\/example.c/ {m = 1; next} m && /^```c$/ {on = 1; next} on && /^```$/ {exit} on {print}' \
  "$src/README.md" > "$tmp/readme_example.c"
check "README.md shows tests/install/example.c as it is" cmp "$src/tests/install/example.c" "$tmp/readme_example.c"

# ---- static: libmusiclust.a plus what musiclust.pc declares for it: the libraries of Requires.private
# (linked as shared libraries, one level: a fully static link would also need the private closure of
# libsndfile and OpenBLAS, e.g. -lmp3lame and -lgfortran) and Libs.private.
check "musiclust.pc Requires.private" test -n "$(pkg-config --print-requires-private musiclust)"
libs_private=$(sed -n 's/^Libs.private: *//p' "$P/lib/pkgconfig/musiclust.pc")
check "build example.c with libmusiclust.a + Requires.private + Libs.private" sh -c \
  "$cc -std=c11 $extra '$src/tests/install/example.c' -o '$tmp/example_static' \$(pkg-config --cflags musiclust) \
     '$P/lib/libmusiclust.a' \$(pkg-config --libs \$(pkg-config --print-requires-private musiclust)) $libs_private"
check "static example has no libmusiclust.so" sh -c "test -x '$tmp/example_static' && ! ldd '$tmp/example_static' | grep -q libmusiclust"
check "run the static example" sh -c "'$tmp/example_static' | grep -q 'ARI 1.0000'"

# ---- C++: every header (through musiclust.h) compiles as C++ and links (extern "C")
cxx=$(command -v c++ || command -v g++)
check "a C++ compiler" test -n "$cxx"
check "C++ build of cxx_linkage.cpp against the installed tree" sh -c \
  "$cxx -std=c++11 -Wall -Wextra -Werror $extra '$src/tests/install/cxx_linkage.cpp' -o '$tmp/cxx' \$(pkg-config --cflags --libs musiclust)"
check "C++ program runs" sh -c "LD_LIBRARY_PATH='$P/lib' '$tmp/cxx'"

[ $fail -eq 0 ] && echo "install_tree: all checks passed" || echo "install_tree: FAILED"
exit $fail
