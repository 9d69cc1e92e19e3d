#!/bin/sh
# Make the bash completion of musiclust from the program's own --help, at build time:
#   doc/gen-bash-completion.sh MUSICLUST OUTFILE
# Completes the commands, each command's options, and the values of options whose help lists the
# choices ("kmeans | agglomerative | dbscan | gmm", "vae, ae, ... or mm-vae"); anything else falls
# back to file names. Fails if a command has no --help.
set -eu
bin=$1
out=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bin" --help > "$tmp/main.txt"
commands=$(awk '/^commands:/ {on = 1; next} on && /^[[:space:]]*$/ {exit} on {print $1}' "$tmp/main.txt")
[ -n "$commands" ] || { echo "gen-bash-completion: no commands in '$bin --help'" >&2; exit 1; }
top=$(grep -E '^[[:space:]]+--[a-z]' "$tmp/main.txt" | awk '{print $1}' | tr '\n' ' ')

{
  echo '# bash completion for musiclust -- generated from `musiclust --help` by doc/gen-bash-completion.sh'
  echo '_musiclust() {'
  echo '    local cur prev cmd opts="" argopts=""'
  echo '    cur=${COMP_WORDS[COMP_CWORD]}'
  echo '    prev=${COMP_WORDS[COMP_CWORD-1]}'
  echo '    if [ "$COMP_CWORD" -eq 1 ]; then'
  echo "        COMPREPLY=(\$(compgen -W \"$(echo $commands) $top\" -- \"\$cur\"))"
  echo '        return 0'
  echo '    fi'
  echo '    cmd=${COMP_WORDS[1]}'
  echo '    case "$cmd" in'
} > "$tmp/out"

: > "$tmp/values"
for cmd in $commands; do
  "$bin" "$cmd" --help > "$tmp/h" 2>/dev/null || { echo "gen-bash-completion: 'musiclust $cmd --help' failed" >&2; exit 1; }
  # Option lines: "  -o, --output FILE   text" or "      --flag   text" (two or more spaces before the text).
  awk -v cmd="$cmd" -v vals="$tmp/values" '
    /^[[:space:]]+-/ {
      line = $0
      sub(/^[[:space:]]+/, "", line)
      split(line, parts, /   +|  +/)
      spec = parts[1]; desc = substr(line, length(spec) + 1); sub(/^[[:space:]]+/, "", desc)
      n = split(spec, w, /[ ,]+/)
      names = ""; takes = 0
      for (i = 1; i <= n; i++) {
        if (w[i] ~ /^--?[A-Za-z0-9]/) names = names " " w[i]; else if (w[i] != "") takes = 1
      }
      opts = opts names
      if (takes) {
        argopts = argopts names
        choices = ""
        d = desc; sub(/^[a-z-]+( [a-z-]+)?: /, "", d)
        if (match(d, /^[a-z0-9][a-z0-9-]*( \| [a-z0-9][a-z0-9-]*)+/)) {
          choices = substr(d, RSTART, RLENGTH); gsub(/ \| /, " ", choices)
        } else if (match(d, /^([a-z0-9][a-z0-9-]*, )+[a-z0-9][a-z0-9-]* or [a-z0-9][a-z0-9-]*/)) {
          choices = substr(d, RSTART, RLENGTH); gsub(/, | or /, " ", choices)
        }
        if (choices != "") {
          m = split(names, nm, " ")
          for (j = 1; j <= m; j++) print cmd " " nm[j] "\t" choices >> vals
        }
      }
    }
    END {
      sub(/^ /, "", opts); sub(/^ /, "", argopts)
      printf "        %s) opts=\"%s\"; argopts=\"%s\" ;;\n", cmd, opts, argopts
    }' "$tmp/h" >> "$tmp/out"
done

{
  echo '        *) return 0 ;;'
  echo '    esac'
  echo '    case "$cmd $prev" in'
  while IFS="$(printf '\t')" read -r key choices; do
    echo "        \"$key\") COMPREPLY=(\$(compgen -W \"$choices\" -- \"\$cur\")); return 0 ;;"
  done < "$tmp/values"
  echo '    esac'
  echo '    # The value of an option that takes one: file names (complete -o default).'
  echo '    case " $argopts " in *" $prev "*) COMPREPLY=(); return 0 ;; esac'
  echo '    if [[ "$cur" == -* ]]; then'
  echo '        COMPREPLY=($(compgen -W "$opts" -- "$cur"))'
  echo '    else'
  echo '        COMPREPLY=()'
  echo '    fi'
  echo '    return 0'
  echo '}'
  echo 'complete -o default -F _musiclust musiclust'
} >> "$tmp/out"
mv "$tmp/out" "$out"
