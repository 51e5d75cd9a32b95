#!/usr/bin/env bash
# Rebuilds the lists of known nginx directives and uWSGI options from the installed
# programs (Debian 12: nginx 1.22.1, uWSGI 2.0.21 with uwsgi-plugin-python3). Takes about a
# minute: every word of the nginx binary (and each of its suffixes, since the linker merges
# string tails) is tried with `nginx -t`; those it does not call unknown are directives.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
strings -n 2 "$(command -v nginx)" | tr -c 'a-z0-9_\n' '\n' | grep -E '^[a-z0-9_]{2,60}$' |
  awk '{for (i = 1; i < length($0); i++) { s = substr($0, i); if (s ~ /^[a-z]/) print s }}' |
  LC_ALL=C sort -u > "$work/candidates"
while read -r w; do
  printf 'events {}\n%s;\n' "$w" > "$work/t.conf"
  out=$(nginx -t -p "$work/" -c "$work/t.conf" -g "pid $work/t.pid;" 2>&1 || true)
  case "$out" in *"unknown directive"*) ;; *) echo "$w" ;; esac
done < "$work/candidates" | LC_ALL=C sort -u > "$here/nginx-1.22.txt"
uwsgi --plugin python3 --help 2>/dev/null |
  sed -n 's/^ *\(-[a-zA-Z]|\)\{0,1\}--\([a-z0-9-]*\).*/\2/p' | LC_ALL=C sort -u > "$here/uwsgi-2.0.txt"
wc -l "$here/nginx-1.22.txt" "$here/uwsgi-2.0.txt"
