#!/bin/sh
# Make a man page per command from the program's own --help (help2man), at build time:
#   doc/gen-man.sh MUSICLUST VERSION OUTDIR
# writes OUTDIR/musiclust.1 and OUTDIR/musiclust-COMMAND.1 for every command `musiclust --help`
# lists. Fails (and names the command) if a command has no --help, or it exits non-zero, or prints
# no "usage:" line. The help texts are used as printed; the only rewriting is "usage:"/"options:"/
# "commands:" -> "Usage:"/"Options:"/"Commands:", the spelling help2man turns into SYNOPSIS and sections.
set -eu
bin=$1
version=$2
out=$3
command -v help2man >/dev/null 2>&1 || { echo "gen-man: help2man not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

# "  name   description" lines after "commands:" up to the first blank line.
"$bin" --help > "$tmp/main.txt"
awk '/^commands:/ {on = 1; next} on && /^[[:space:]]*$/ {exit} on {name = $1; $1 = ""; sub(/^ +/, ""); print name "\t" $0}' \
  "$tmp/main.txt" > "$tmp/commands.tsv"
[ -s "$tmp/commands.tsv" ] || { echo "gen-man: no commands in '$bin --help'" >&2; exit 1; }

wrapper() { # name, then the words that print the help
  w="$tmp/bin/$1"; shift
  mkdir -p "$tmp/bin"
  {
    echo '#!/bin/sh'
    echo "\"$bin\" $* | sed -e 's/^usage:/Usage:/' -e 's/^options:\$/Options:/' -e 's/^commands:\$/Commands:/'"
  } > "$w"
  chmod +x "$w"
}

see_also=""
while IFS="$(printf '\t')" read -r cmd desc; do
  if ! "$bin" "$cmd" --help > "$tmp/$cmd.txt" 2> "$tmp/$cmd.err"; then
    echo "gen-man: 'musiclust $cmd --help' failed:" >&2; cat "$tmp/$cmd.err" >&2; exit 1
  fi
  grep -q '^usage: musiclust '"$cmd" "$tmp/$cmd.txt" || {
    echo "gen-man: 'musiclust $cmd --help' prints no 'usage: musiclust $cmd' line" >&2; exit 1; }
  wrapper "musiclust-$cmd" "$cmd" --help
  printf '[SEE ALSO]\n.BR musiclust (1)\n' > "$tmp/$cmd.inc"
  help2man --no-info --no-discard-stderr --version-string="$version" --name="$desc" \
    --section=1 --include="$tmp/$cmd.inc" --output="$out/musiclust-$cmd.1" "$tmp/bin/musiclust-$cmd"
  see_also="$see_also${see_also:+,
}.BR musiclust-$cmd (1)"
done < "$tmp/commands.tsv"

wrapper musiclust --help
printf '[SEE ALSO]\n%s\n' "$see_also" > "$tmp/main.inc"
help2man --no-info --version-string="$version" \
  --name="cluster music without labels: features, variational autoencoders, clustering, metrics" \
  --section=1 --include="$tmp/main.inc" --output="$out/musiclust.1" "$tmp/bin/musiclust"
