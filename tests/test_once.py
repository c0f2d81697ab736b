#!/usr/bin/env python3
"""tailmux --once: merge what the inputs hold now, then exit.

8 files of 20000 numbered lines (two of them under one input with two
paths) are merged by `tailmux --once`; the output must hold every line
exactly once, whole, in each file's order, and nothing else: a start = end
input contributes nothing, a missing input is only a warning, and the last
line of a file that lacks its newline is written with one added.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402

NFILES = 8
NLINES = 20000


def test(t):
    fids = ["f%d" % i for i in range(1, NFILES + 1)]
    total = 0
    for fid in fids:
        data = tmtest.seq_lines(fid, 1, NLINES)
        if fid == fids[-1]:
            data = data[:-1]  # the last line lacks its newline
        tmtest.append(t.path(fid + ".log"), data)
        total += len(data)
    # Already there, but start = end: nothing of it may be merged.
    tmtest.append(t.path("old.log"), tmtest.seq_lines("old", 1, 1000))

    inputs = [(fid, fid + ".log") for fid in fids[:-2]]
    inputs.append(("pair", [fids[-2] + ".log", fids[-1] + ".log"]))
    inputs.append(("old", "old.log", {"start": "end"}))
    inputs.append(("gone", "gone.log"))
    cfg = t.config(inputs, output="merged/out.log")
    out = t.path("merged", "out.log")

    err = t.once(cfg)
    t.ok("tailmux --once exited 0 on %d files of %d lines, one missing"
         % (NFILES + 1, NLINES))

    t.check(any("gone.log" in line and "does not exist" in line
                for line in err.splitlines()),
            "a missing input is reported as a warning naming it", err)

    data = tmtest.read(out)
    t.check(len(data) == total + 1,
            "output size is the inputs' sizes plus the one added newline",
            "%d bytes, expected %d" % (len(data), total + 1))
    lines = tmtest.split_lines(data)
    tmtest.check_seq(lines, {fid: NLINES for fid in fids})
    t.ok("every line of %d files is in the output exactly once, whole, in "
         "its file's order; nothing of the start = end input" % NFILES)
    last = tmtest.seq_line(fids[-1], NLINES)
    t.check(last in data,
            "the last line, which lacked its newline, is written with one",
            repr(last))
    # A second run with every input missing or at its end merges nothing
    # and still succeeds.
    cfg2 = t.config([("gone", "gone.log"),
                     ("old", "old.log", {"start": "end"})],
                    name="empty.ini", output="empty.log")
    t.once(cfg2)
    t.check(tmtest.size(t.path("empty.log")) == 0,
            "--once with only missing and start = end inputs writes "
            "nothing and exits 0")


if __name__ == "__main__":
    tmtest.main(test)
