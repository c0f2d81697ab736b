#!/bin/sh
# Runs tailmux on demo/tailmux.ini while demo/generator.sh writes to
# demo/app.log.  Watch the result with: tail -f demo/merged.log
# Ctrl-C (SIGINT), SIGTERM or SIGHUP to this script stops both: tailmux
# writes what it has read and saves its checkpoint (demo/state) first.
set -e
here=$(cd "$(dirname "$0")" && pwd)
bin=${TAILMUX:-$here/../src/tailmux}
gen=
tm=

# Stops the generator, and tailmux with SIGTERM (it saves its checkpoint
# before it exits), and waits for both; once.
stop() {
	[ -z "$gen" ] || kill "$gen" 2>/dev/null || :
	[ -z "$tm" ] || kill "$tm" 2>/dev/null || :
	[ -z "$gen" ] || wait "$gen" 2>/dev/null || :
	[ -z "$tm" ] || wait "$tm" 2>/dev/null || :
	gen=
	tm=
}
trap stop EXIT
trap 'stop; exit 129' HUP
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

"$here/generator.sh" "$here/app.log" &
gen=$!
# In a session of its own, so that tailmux gets one SIGTERM from stop()
# rather than the terminal's SIGINT too (a second signal makes it stop
# without writing what it has read).  The script waits for it rather than
# running it in the foreground, so that a signal is handled at once.
setsid "$bin" -c "$here/tailmux.ini" &
tm=$!
echo "tailmux: merging into $here/merged.log (Ctrl-C to stop; tail -f it in another terminal)"
rc=0
wait "$tm" || rc=$?
tm=
exit "$rc"
