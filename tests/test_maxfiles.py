#!/usr/bin/env python3
"""max_files across a restart: the files a glob's input followed before it
are the ones it follows after it, whatever order the directory lists the
matches in (newest first on a tmpfs, by hash on ext4).

  * logs/*.log with max_files = 4: k1.log..k4.log appear while running and
    are followed; x01.log..x12.log appear after them and are left out (one
    warning).
  * tailmux is stopped, lines are added to every file, and it is started
    again: it follows the four files of its checkpoint and reads their new
    lines once; the files left out stay left out, so none of their lines
    appear.  Following the first four matches listed instead would read
    files left out and lose the new lines of the files it no longer
    follows (or read them twice once a rescan picks them up again).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402

KEPT = ["k%d" % i for i in range(1, 5)]
LEFT = ["x%02d" % i for i in range(1, 13)]


def test(t):
    out = t.path("out.log")
    os.makedirs(t.path("logs"))
    n = {}
    expected = [0]

    def write(fid, count):
        first = n.get(fid, 0) + 1
        data = tmtest.seq_lines(fid, first, first + count - 1)
        tmtest.append(t.path("logs/%s.log" % fid), data)
        n[fid] = first + count - 1
        expected[0] += len(data)

    cfg = t.config([("g", "logs/*.log", {"max_files": 4})])
    d = t.start(cfg)
    for fid in KEPT:
        write(fid, 10)
    tmtest.caught_up(out, expected[0], "k1.log..k4.log appearing", d)
    for fid in LEFT:
        tmtest.append(t.path("logs/%s.log" % fid),
                      tmtest.seq_lines(fid, 1, 5))
    d.wait_log("max_files (4)")
    t.ok("the four files that appeared first are followed, the rest not")
    d.stop()

    # More lines in each file left out than in each followed one: reading
    # one in place of a followed file overshoots the output's size.
    for fid in KEPT:
        write(fid, 5)
    for fid in LEFT:
        tmtest.append(t.path("logs/%s.log" % fid),
                      tmtest.seq_lines(fid, 6, 20))
    d = t.start(cfg)
    tmtest.caught_up(out, expected[0], "after a restart", d)
    d.stop()

    lines = tmtest.split_lines(tmtest.read(out))
    tmtest.check_seq(lines, {fid: n[fid] for fid in KEPT})
    t.ok("after a restart the checkpoint's files are followed again and "
         "read once; the files left out are still left out")


if __name__ == "__main__":
    tmtest.main(test)
