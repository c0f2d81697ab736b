#!/usr/bin/env python3
"""Globs: files that start to match are followed, excluded ones never,
files rotated out of the pattern are read to their end and dropped, a file
rotated to a name the pattern still matches is not read twice, and
max_files caps what one input follows.

  * logs/*.log with exclude = skip-*.log and max_files = 4: a.log and
    skip-x.log exist at start; b.log, c.log, skip-y.log appear while
    running.  a, b, c are read whole; the skip-* files never appear.
  * rotation out of the pattern: a.log is renamed to a.log.1 (which *.log
    does not match) after lines written to it; a new a.log is made.  Every
    line of both generations appears once and in order.
  * b.log is removed: it is read to its end and dropped ("no longer
    following").
  * max_files: d.log, e.log and f.log appear while four files are
    followed: a warning names the input and max_files, and the files over
    the cap are not read.
  * a second input with pattern rot/*.log* (which matches rotated names)
    and rotate_wait = 100ms: app.log is renamed to app.log.1 and a new
    app.log made; one numbering runs through both, and no line of app.log.1
    appears twice, neither while running nor after a restart.
  * a pattern with a wildcard in its directory part, apps/*/*.log, with
    rescan_interval = 1h: apps/a and apps/b hold files at start-up (and a
    .txt the pattern does not match); a new file in apps/a is followed at
    once, through apps/a's inotify watch; a new directory apps/c with a
    file is found once tailmux restarts with rescan_interval = 300ms, at
    the next rescan; every line once and in order.
  * files a glob finds that are written through another name: a hard
    link (links/h.log, written as data/h.log) and a symbolic link
    (links/s.log -> data/s.log), with rescan_interval = 1h: lines
    appended through the other name are read at once (their directory's
    watch cannot tell of them: each takes a watch of its own).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402


def test(t):
    out = t.path("out.log")
    os.makedirs(t.path("logs"))
    os.makedirs(t.path("rot"))
    n = {}
    expected = [0]

    def write(fid, count, name):
        first = n.get(fid, 0) + 1
        data = tmtest.seq_lines(fid, first, first + count - 1)
        tmtest.append(t.path(name), data)
        n[fid] = first + count - 1
        expected[0] += len(data)

    def caught_up(what, d):
        tmtest.caught_up(out, expected[0], what, d)

    write("a", 50, "logs/a.log")
    tmtest.append(t.path("logs/skip-x.log"), tmtest.seq_lines("x", 1, 5))
    write("r", 40, "rot/app.log")
    cfg = t.config([("g", "logs/*.log",
                     {"exclude": "skip-*.log", "max_files": 4,
                      "rotate_wait": "100ms"}),
                    ("rot", "rot/*.log*", {"rotate_wait": "100ms"})])
    d = t.start(cfg)
    caught_up("the files there at start-up", d)
    t.ok("a.log and rot/app.log are read at start-up; skip-x.log is not")

    write("b", 30, "logs/b.log")
    write("c", 30, "logs/c.log")
    tmtest.append(t.path("logs/skip-y.log"), tmtest.seq_lines("y", 1, 5))
    caught_up("b.log and c.log appearing", d)
    t.ok("files that start to match are followed at once")

    # a.log rotated out of the pattern, a new a.log made.
    write("a", 20, "logs/a.log")
    os.rename(t.path("logs/a.log"), t.path("logs/a.log.1"))
    write("a", 20, "logs/a.log")
    caught_up("a.log rotated to a.log.1", d)
    t.ok("a.log rotated out of the pattern: both generations read once")

    # b.log removed: read to its end, then dropped.
    write("b", 10, "logs/b.log")
    caught_up("b.log's last lines", d)
    os.unlink(t.path("logs/b.log"))
    d.wait_log("logs/b.log is gone and read to its end")
    t.ok("a removed match is dropped once read to its end")

    # max_files = 4: a, c are followed (b dropped): d.log and e.log fit,
    # f.log does not.
    write("d", 10, "logs/d.log")
    write("e", 10, "logs/e.log")
    caught_up("d.log and e.log", d)
    tmtest.append(t.path("logs/f.log"), tmtest.seq_lines("f", 1, 10))
    d.wait_log("max_files (4)")
    t.check("logs/f.log" in d.stderr() and "[input:g]" in d.stderr(),
            "the max_files warning names the input and the file",
            d.stderr_tail())

    # rot/*.log*: app.log -> app.log.1 stays in the pattern.
    write("r", 30, "rot/app.log")
    os.rename(t.path("rot/app.log"), t.path("rot/app.log.1"))
    write("r", 30, "rot/app.log")
    caught_up("rot/app.log rotated to a name the pattern matches", d)
    d.stop()
    # Restart: app.log.1 (done) and app.log must not be read again.
    write("r", 10, "rot/app.log")
    d = t.start(cfg)
    caught_up("after a restart", d)
    d.stop()

    lines = tmtest.split_lines(tmtest.read(out))
    tmtest.check_seq(lines, {"a": n["a"], "b": n["b"], "c": n["c"],
                             "d": n["d"], "e": n["e"], "r": n["r"]})
    t.ok("every line once and in order; skip-*, f.log never; rotated "
         "files matched again are not read twice")
    wildcard_dirs(t)
    linked_files(t)


def wildcard_dirs(t):
    """A wildcard in the pattern's directory part (see the top)."""
    out = t.path("apps.out")
    n = {}
    expected = [0]

    def write(fid, count, name):
        first = n.get(fid, 0) + 1
        data = tmtest.seq_lines(fid, first, first + count - 1)
        os.makedirs(os.path.dirname(t.path(name)), exist_ok=True)
        tmtest.append(t.path(name), data)
        n[fid] = first + count - 1
        expected[0] += len(data)

    def config(rescan):
        return t.config([("apps", "apps/*/*.log",
                          {"start": "head", "rescan_interval": rescan})],
                        name="apps-%s.ini" % rescan, output="apps.out",
                        state_file="apps.state")

    write("aa", 20, "apps/a/one.log")
    write("bb", 20, "apps/b/one.log")
    tmtest.append(t.path("apps/a/notes.txt"), tmtest.seq_lines("x", 1, 5))
    d = t.start(config("1h"))
    tmtest.caught_up(out, expected[0], "apps/*/*.log at start-up", d)
    write("an", 20, "apps/a/new.log")
    tmtest.caught_up(out, expected[0], "a new file in apps/a", d)
    t.ok("apps/*/*.log: a new file in a matched directory is followed at "
         "once, with no rescan")
    d.stop()
    d = t.start(config("300ms"))
    write("cc", 20, "apps/c/one.log")
    tmtest.caught_up(out, expected[0], "a new directory apps/c", d)
    write("aa", 5, "apps/a/one.log")
    write("cc", 5, "apps/c/one.log")
    tmtest.caught_up(out, expected[0], "more lines", d)
    d.stop()
    lines = tmtest.split_lines(tmtest.read(out))
    tmtest.check_seq(lines, n)
    t.ok("apps/*/*.log: a new directory is found at a rescan; every line "
         "once and in order, notes.txt never")


def linked_files(t):
    """Files found by a glob, written through another name (see the
    top)."""
    out = t.path("links.out")
    os.makedirs(t.path("links"))
    os.makedirs(t.path("data"))
    n = {}
    expected = [0]

    def write(fid, name):
        n[fid] = n.get(fid, 0) + 1
        data = tmtest.seq_lines(fid, n[fid], n[fid])
        tmtest.append(t.path(name), data)
        expected[0] += len(data)

    write("h", "data/h.log")
    write("s", "data/s.log")
    os.link(t.path("data/h.log"), t.path("links/h.log"))
    os.symlink(t.path("data/s.log"), t.path("links/s.log"))
    d = t.start(t.config([("links", "links/*.log",
                           {"start": "head", "rescan_interval": "1h"})],
                         name="links.ini", output="links.out",
                         state_file="links.state"))
    tmtest.caught_up(out, expected[0], "the linked files at start-up", d)
    for _ in range(3):
        write("h", "data/h.log")
        write("s", "data/s.log")
        tmtest.caught_up(out, expected[0], "lines written through the "
                         "other names", d)
    d.stop()
    lines = tmtest.split_lines(tmtest.read(out))
    tmtest.check_seq(lines, n)
    t.ok("a hard link and a symbolic link a glob finds, written through "
         "their other names: every line once and in order")


if __name__ == "__main__":
    tmtest.main(test)
