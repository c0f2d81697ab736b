#!/bin/sh
# Runs the tailmux benchmarks (catch-up, live latency side by side with the
# C probe, live latency while a rotated output is gzipped, idle, a 1,000-file
# glob, and 1,000 to 100,000 files at systemd's descriptor limits) and
# prints one markdown summary table with the machine line.  Not part of
# `make check` (tests/test_bench.py runs each bench once on tiny work).
#
#   TAILMUX=/path/to/build/src/tailmux bench/run-all.sh [--quick]
#
# --quick: a smoke run (smaller files, 1 round, short latency and idle
# runs); its numbers are not the benchmark's.  Takes about 12 minutes
# without it on a 2-core machine.
set -u
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-python3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tailmux-bench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

if [ "${1:-}" = "--quick" ]; then
	c_args="--runs 1 --lines 50000"
	l_args="--runs 1 --seconds 2"
	r_args="--runs 1"
	i_args="--seconds 3"
	g_args="--seconds 3"
	s_args="--files 1000 10000 --seconds 3 --settle 0"
else
	c_args=""
	l_args=""
	r_args=""
	i_args=""
	g_args=""
	s_args=""
fi

status=0
# shellcheck disable=SC2086
"$py" "$here/catchup.py" $c_args --json "$tmp/catchup.json" || status=1
echo
# shellcheck disable=SC2086
"$py" "$here/live.py" $l_args --json "$tmp/live.json" || status=1
echo
# shellcheck disable=SC2086
"$py" "$here/rotate_latency.py" $r_args --json "$tmp/rotate_latency.json" ||
	status=1
echo
# shellcheck disable=SC2086
"$py" "$here/idle.py" $i_args --json "$tmp/idle.json" || status=1
echo
# shellcheck disable=SC2086
"$py" "$here/glob1000.py" $g_args || status=1
echo
# shellcheck disable=SC2086
"$py" "$here/scale.py" $s_args || status=1
echo
echo "== summary"
"$py" "$here/summary.py" "$tmp"/*.json
exit $status
