#!/bin/sh
# ctest layering_no_unused_link: no shared library given here has a direct dependency it does not use
# (ldd -u), i.e. no module's closure links a library none of its code calls, and neither does
# libmusiclust.so.
# Libraries a declared package's own pkg-config --libs brings in and that we cannot leave out:
#   libharfbuzz  pango's .pc lists it (Pango shapes with it; plot calls Pango, not HarfBuzz).
TRANSITIVE='/libharfbuzz\.so'
status=0
for lib in "$@"; do
  out=$(ldd -u -r "$lib" 2>&1 | grep -v '^Unused direct dependencies:' | grep -Ev "$TRANSITIVE" | sed '/^[[:space:]]*$/d')
  if [ -n "$out" ]; then
    echo "FAIL $(basename "$lib") links libraries it does not use:"
    echo "$out"
    status=1
  else
    echo "ok   $(basename "$lib")"
  fi
done
exit $status
