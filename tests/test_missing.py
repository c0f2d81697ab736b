#!/usr/bin/env python3
"""Inputs missing at start-up are picked up when they appear.

  * m1.log does not exist at start: a warning.  It then appears whole (a
    full file renamed into place) and must be read from its start, then
    followed.
  * m2.log (start = end) does not exist at start; it is created and
    written in several writes: start = end applies only to what a file held
    at start-up, so all its lines are read.
  * sub/deeper/d.log: not even its directory exists, so inotify cannot
    watch it and the poll_interval (100ms) stat poll must find it once the
    directories and the file are created; after that it is followed.
A file present from the start is followed meanwhile.  At the end every
line written must be in the output exactly once, whole and in order.
  * gone/g.log is followed, then its directory is removed and made again
    with a new g.log, which must be found and read from its start.
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402


def test(t):
    out = t.path("out.log")
    written = {"p": 0, "m1": 0, "m2": 0, "d": 0}
    paths = {"p": t.path("p.log"), "m1": t.path("m1.log"),
             "m2": t.path("m2.log"), "d": t.path("sub", "deeper", "d.log")}
    expected = 0

    def write(fid, n, path=None):
        nonlocal expected
        data = tmtest.seq_lines(fid, written[fid] + 1, written[fid] + n)
        tmtest.append(path or paths[fid], data)
        written[fid] += n
        expected += len(data)

    def caught_up(what):
        tmtest.caught_up(out, expected, what, d)

    write("p", 100)
    cfg = t.config([("p", "p.log"), ("m1", "m1.log"),
                    ("m2", "m2.log", {"start": "end"}),
                    ("d", "sub/deeper/d.log")],
                   poll_interval="100ms")
    d = t.start(cfg)
    err = d.stderr()
    for fid in ("m1", "m2", "d"):
        t.check(any(paths[fid] in line and "does not exist" in line
                    for line in err.splitlines()),
                "a warning says %s does not exist yet" % paths[fid], err)
    caught_up("the lines of p.log present at start-up")
    t.ok("the present file is read while the others are missing")

    # m1.log appears whole: written elsewhere, renamed into place.
    write("m1", 5000, path=t.path("m1.tmp"))
    os.rename(t.path("m1.tmp"), paths["m1"])
    caught_up("m1.log renamed into place")
    t.ok("m1.log, missing at start, is read from its start when it "
         "appears (renamed into place with 5000 lines)")

    # m2.log (start = end) is created, then written in steps.
    for n in (1, 700, 3000):
        write("m2", n)
    caught_up("m2.log created and written")
    t.ok("m2.log (start = end), missing at start, is read from its start "
         "when created")

    # sub/deeper/d.log: the directories appear, then the file.
    os.makedirs(t.path("sub", "deeper"))
    write("d", 2000, path=t.path("sub", "d.tmp"))
    os.rename(t.path("sub", "d.tmp"), paths["d"])
    caught_up("sub/deeper/d.log created in new directories")
    t.ok("a file whose directory did not exist is found by the poll once "
         "it appears, and read from its start")

    # All of them are followed from now on.
    for fid in ("d", "m1", "m2", "p", "d"):
        write(fid, 1000)
    caught_up("lines appended to every file")
    t.ok("every file that appeared late is followed afterwards")
    t.check("appeared; reading it from its start" in d.stderr(),
            "tailmux logged that the files appeared")

    d.stop()
    t.ok("SIGTERM: exit status 0")
    t.exact(out, expected, written)
    t.ok("every line is in the output exactly once, whole and in order "
         "(%s)" % ", ".join("%s=%d" % kv for kv in sorted(written.items())))

    # --- the directory of a followed file is removed, then made again
    test_dir_recreated(t)


def test_dir_recreated(t):
    """gone/g.log is followed; gone/ is removed with the file, then made
    again with a new g.log: once the directory is back, the file must be
    found (by inotify or by the stat poll) and read from its start."""
    out = t.path("gone.out")
    os.makedirs(t.path("gone"))
    first = tmtest.seq_lines("g", 1, 200)
    tmtest.append(t.path("gone", "g.log"), first)
    cfg = t.config([("g", "gone/g.log")], name="gone.ini",
                   output="gone.out", poll_interval="100ms")
    d = t.start(cfg)
    tmtest.wait_for(lambda: tmtest.size(out) >= len(first),
                    "the lines of gone/g.log", daemon=d)
    shutil.rmtree(t.path("gone"))
    d.wait_log("g.log was removed or renamed; waiting for a new file")
    os.makedirs(t.path("gone"))
    second = tmtest.seq_lines("g", 201, 400)
    tmtest.append(t.path("gone", "g.log"), second)
    tmtest.wait_for(lambda: tmtest.size(out) >= len(first + second),
                    "the lines of gone/g.log written after its directory "
                    "was removed and made again", daemon=d)
    d.stop()
    data = tmtest.read(out)
    t.check(data == first + second, "a file whose directory was removed "
            "and made again is found and read from its start",
            "%d bytes, expected %d" % (len(data), len(first + second)))


if __name__ == "__main__":
    tmtest.main(test)
