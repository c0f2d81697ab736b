#!/usr/bin/env python3
"""A stop that cannot finish: stop_timeout, and a second signal.

The output lives on a 256 KiB tmpfs mounted for the test (root only; the
test is skipped with the reason otherwise), so that it fills up and what
was read cannot all be written.  checkpoint_interval is 1h: only the
save at start-up (naming an empty output) and the one at stop can happen,
so a checkpoint naming written lines proves the save at stop.

  * stop_timeout = 1s, SIGTERM: tailmux exits with status 1 between 1 s
    and a few seconds later, saying that stop_timeout is over and naming
    the output; the checkpoint names exactly the whole lines written (its
    output length equals the input offset, and those bytes are the
    input's first lines).  Once the tmpfs is grown, a restart writes every
    line exactly once.
  * stop_timeout = 1h, SIGTERM and a second SIGTERM: tailmux exits at once
    with status 1, and saved the same kind of checkpoint first.
"""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402

DATA = tmtest.seq_lines("a", 1, 40000)  # about 2 MiB


def checkpoint(path):
    """(output length, input offset) from a state file."""
    out_len = offset = None
    for line in tmtest.read(path).decode(errors="replace").splitlines():
        f = line.split(" ")
        if f[0] == "output":
            out_len = int(f[3])
        elif f[0] == "file":
            offset = int(f[3])
    return out_len, offset


def full(t, name, stop_timeout):
    """Starts tailmux on a full output; returns (daemon, output, state)."""
    mnt = t.tmpfs(name)
    out = os.path.join(mnt, "out.log")
    inp = t.path(name + ".log")
    cfg = t.config([(name, inp)], name=name + ".ini", output=out,
                   checkpoint_interval="1h", stop_timeout=stop_timeout)
    d = t.start(cfg)
    tmtest.append(inp, DATA)
    d.wait_log("cannot write %s" % out)
    tmtest.wait_for(lambda: tmtest.size(out) > 200 * 1024,
                    "the tmpfs to fill up", daemon=d)
    return d, cfg, out, t.path(name + ".state")


def check_checkpoint(t, what, state, out):
    out_len, offset = checkpoint(state)
    data = tmtest.read(out)
    t.check(out_len is not None and out_len > 0 and out_len == offset and
            out_len <= len(data) and DATA[out_len - 1:out_len] == b"\n" and
            data[:out_len] == DATA[:out_len],
            "%s: the checkpoint saved at stop names the %s whole-line bytes "
            "written, in the output and the input alike" % (what, out_len),
            "checkpoint (output length, offset) %r, output %d bytes"
            % ((out_len, offset), len(data)))


def timeout_round(t):
    d, cfg, out, state = full(t, "timeout", "1s")
    start = time.monotonic()
    d.send(signal.SIGTERM)
    rc = d.wait_exit()
    took = time.monotonic() - start
    slack = 10 * float(os.environ.get("TMTEST_TIMEOUT_SCALE", "1"))
    t.check(rc == 1, "stop_timeout: exit status 1", "status %d\n%s"
            % (rc, d.stderr_tail()))
    t.check(1.0 <= took <= 1.0 + slack, "stop_timeout = 1s: exited after "
            "%.2f s" % took)
    t.check("stop_timeout (1000 ms) is over" in d.stderr() and
            "not written to %s" % out in d.stderr(),
            "it says stop_timeout is over, naming the output",
            d.stderr_tail())
    check_checkpoint(t, "stop_timeout", state, out)

    r = subprocess.run(["mount", "-o", "remount,size=16m",
                        os.path.dirname(out)], capture_output=True)
    if r.returncode != 0:
        tmtest.fail("cannot grow the tmpfs: %s" % r.stderr.decode())
    d = t.start(cfg)
    tmtest.caught_up(out, len(DATA), "every line after the restart",
                     daemon=d)
    d.stop()
    t.check(tmtest.read(out) == DATA, "after a restart with space, the "
            "output holds every line exactly once, in order")


def second_signal_round(t):
    d, cfg, out, state = full(t, "again", "1h")
    d.send(signal.SIGTERM)
    d.wait_log("stopping once")
    start = time.monotonic()
    d.send(signal.SIGTERM)
    rc = d.wait_exit()
    took = time.monotonic() - start
    t.check(rc == 1 and "again: exiting now" in d.stderr(),
            "a second SIGTERM: exit status 1, saying so after %.2f s" % took,
            "status %d\n%s" % (rc, d.stderr_tail()))
    check_checkpoint(t, "second SIGTERM", state, out)


def test(t):
    timeout_round(t)
    second_signal_round(t)


if __name__ == "__main__":
    tmtest.main(test)
