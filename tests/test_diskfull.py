#!/usr/bin/env python3
"""A full disk under the output costs no line: tailmux keeps what it could
not write, says so once, stops reading (the inputs are the buffer, memory
stays bounded) and goes on when space comes back.

The output lives on a 256 KiB tmpfs mounted for the test (root only; the
test is skipped with the reason otherwise).  2 MiB of lines are written to
the input: the tmpfs fills up, tailmux must log the error naming the output
once, keep running, and stay under 64 MiB resident.  Then the tmpfs is
grown to 16 MiB (mount -o remount): within the retry backoff every line
must be in the output once, whole and in order.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402


def test(t):
    run(t, t.tmpfs("full"))


def run(t, mnt):
    inp = t.path("in.log")
    out = os.path.join(mnt, "out.log")
    data = tmtest.seq_lines("a", 1, 40000)      # about 2 MiB
    cfg = t.config([("a", "in.log")], output=out)
    d = t.start(cfg)
    tmtest.append(inp, data)
    d.wait_log("cannot write %s" % out)
    # It holds on: still running, the error said once, memory bounded.
    tmtest.wait_for(lambda: tmtest.size(out) > 200 * 1024,
                    "the tmpfs to fill up", daemon=d)
    t.check(d.proc.poll() is None, "tailmux keeps running with the disk "
            "full")
    rss = tmtest.rss_kib(d.proc.pid)
    t.check(rss < 64 * 1024, "memory stays bounded while the output is "
            "blocked (%d KiB resident)" % rss)
    r = subprocess.run(["mount", "-o", "remount,size=16m", mnt],
                       capture_output=True)
    if r.returncode != 0:
        tmtest.fail("cannot grow the tmpfs: %s" % r.stderr.decode())
    tmtest.wait_for(lambda: tmtest.size(out) >= len(data),
                    "every line once space came back", daemon=d)
    d.wait_log("writing %s again" % out)
    err = d.stderr()
    t.check(err.count("cannot write %s" % out) == 1,
            "the write error is logged once, naming the output",
            d.stderr_tail())
    d.stop()
    got = tmtest.read(out)
    t.check(got == data, "the output holds every line once, whole and in "
            "order (%d of %d bytes)" % (len(got), len(data)))


if __name__ == "__main__":
    tmtest.main(test)
