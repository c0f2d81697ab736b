#!/bin/sh
# Runs tailmux in the foreground on demo/tailmux.ini while demo/generator.sh
# writes to demo/app.log.  Watch the result with: tail -f demo/merged.log
# Ctrl-C stops both.
set -e
here=$(cd "$(dirname "$0")" && pwd)
bin=${TAILMUX:-$here/../src/tailmux}
"$here/generator.sh" "$here/app.log" &
gen=$!
trap 'kill $gen 2>/dev/null' EXIT
echo "tailmux: merging into $here/merged.log (Ctrl-C to stop; tail -f it in another terminal)"
"$bin" -c "$here/tailmux.ini"
