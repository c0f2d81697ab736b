#!/usr/bin/env python3
"""SIGUSR1 reopens the output, for sites that rotate it with logrotate's
create + postrotate: every line ends up once, in order, in the renamed
output or the new one, also when tailmux is killed with kill -9 right
after the reopen and restarted.

  * 2000 lines are written and merged; out.log is renamed to out.log.1;
    1000 more lines are written (they go to out.log.1, still open); then
    SIGUSR1: tailmux says it reopened the output, and the next 1000 lines
    go to a new out.log.
  * out.log is renamed to out.log.2 and SIGUSR1 sent again, 500 lines are
    written, and tailmux is killed with kill -9 as soon as it has said so;
    500 more lines are written while it is down; restarted, it must bring
    all of them, and the three files hold every line once, in order.
  * a SIGUSR1 with nothing renamed opens the same file again: nothing is
    lost or repeated.
  * the output's directory is removed (rm -r) while tailmux runs: it says
    so, creates the directory and the file again, and the lines written
    from then on are all in the new file, once.
"""
import os
import shutil
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402


def test(t):
    inp = t.path("in.log")
    out = t.path("out.log")
    n = [0]
    total = [0]

    def write(count):
        data = tmtest.seq_lines("a", n[0] + 1, n[0] + count)
        tmtest.append(inp, data)
        n[0] += count
        total[0] += len(data)

    def outputs():
        return [p for p in (out + ".1", out + ".2", out) if os.path.exists(p)]

    def merged():
        return b"".join(tmtest.read(p) for p in outputs())

    def caught_up(what, d):
        tmtest.wait_for(lambda: sum(tmtest.size(p) for p in outputs())
                        >= total[0], "all %d lines in the outputs (%s)"
                        % (n[0], what), daemon=d)

    write(2000)
    cfg = t.config([("a", "in.log")])
    d = t.start(cfg)
    caught_up("start", d)
    os.rename(out, out + ".1")
    write(1000)
    caught_up("written to the renamed output", d)
    t.check(not os.path.exists(out) and
            tmtest.size(out + ".1") == total[0],
            "before SIGUSR1 the renamed output is still written to")
    d.send(signal.SIGUSR1)
    d.wait_log("SIGUSR1: reopened")
    write(1000)
    caught_up("after the reopen", d)
    t.check(tmtest.size(out) > 0 and
            tmtest.size(out) + tmtest.size(out + ".1") == total[0],
            "after SIGUSR1 new lines go to a new %s" % os.path.basename(out))

    os.rename(out, out + ".2")
    d.send(signal.SIGUSR1)
    tmtest.wait_for(lambda: d.stderr().count("SIGUSR1: reopened") == 2,
                    "the second reopen", daemon=d)
    write(500)
    d.kill()
    write(500)
    d = t.start(cfg)
    caught_up("after kill -9 and a restart", d)
    d.send(signal.SIGUSR1)
    tmtest.wait_for(lambda: d.stderr().count("SIGUSR1: reopened") == 1,
                    "a reopen of the same file", daemon=d)
    write(100)
    caught_up("after reopening the same file", d)
    d.stop()
    lines = tmtest.split_lines(merged())
    tmtest.check_seq(lines, {"a": n[0]})
    t.ok("out.log.1, out.log.2 and out.log hold lines 1..%d once, in order"
         % n[0])
    test_deleted(t)


def test_deleted(t):
    sub = t.path("sub")
    os.makedirs(sub)
    inp = t.path("del.log")
    out = os.path.join(sub, "out.log")
    cfg = t.config([("d", "del.log")], name="del.ini", output="sub/out.log")
    first = tmtest.seq_lines("d", 1, 1000)
    tmtest.append(inp, first)
    d = t.start(cfg)
    tmtest.caught_up(out, len(first), "before the removal", d)
    shutil.rmtree(sub)
    d.wait_log("was deleted")
    tmtest.wait_for(lambda: os.path.exists(out), "a new %s" % out, daemon=d)
    more = tmtest.seq_lines("d", 1001, 2000)
    tmtest.append(inp, more)
    tmtest.caught_up(out, len(more), "after the removal", d)
    d.stop()
    lines = tmtest.split_lines(tmtest.read(out))
    t.check(lines[0].startswith(b"d 1001 ") and len(lines) == 1000,
            "the new output holds lines 1001..2000",
            "first line %r, %d lines" % (lines[:1], len(lines)))
    t.ok("a removed output directory is created again, and no later line "
         "is lost")


if __name__ == "__main__":
    tmtest.main(test)
