#!/bin/sh
# Appends a line to demo/app.log every half second, like a small application.
# Usage: demo/generator.sh [FILE]
# SIGTERM, SIGINT or SIGHUP stops it at once, its sleep too.
file=${1:-$(dirname "$0")/app.log}
n=0
nap=
trap '[ -z "$nap" ] || kill "$nap" 2>/dev/null; exit 0' HUP INT TERM
while :; do
	n=$((n + 1))
	printf 'app[%d]: request %d served in %d ms\n' "$$" "$n" "$((n * 7 % 50 + 1))" >>"$file"
	sleep 0.5 &
	nap=$!
	wait "$nap" || :
	nap=
done
