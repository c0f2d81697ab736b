#!/usr/bin/env python3
"""Rotation of an input while tailmux follows it.

One numbered sequence runs through every generation of r.log, so the
output must hold lines 1..N exactly once and in order whatever the
rotations:
  * rename + create, five times: lines are written to r.log, which is
    renamed and at once replaced by a new r.log that gets more lines, with
    no pause: tailmux must read the old file to its end, then the new one
    from its start.  (Before the next rotation the test waits until the new
    file's lines are out, since a file rotated away twice before tailmux
    reaches it cannot be followed by anyone.)
  * rename, then create only after tailmux has logged that it waits for
    the new file.
  * delete + create: lines still unread in the deleted file are read.
  * truncation (copytruncate): after its lines are out the file is cut to
    nothing and gets fewer new lines, which are read from its start.
A second file, followed meanwhile, must not be disturbed.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402


def test(t):
    out = t.path("out.log")
    log = t.path("r.log")
    written = {"r": 0, "o": 0}
    expected = 0

    def write(fid, n, path=None):
        nonlocal expected
        data = tmtest.seq_lines(fid, written[fid] + 1, written[fid] + n)
        fd = os.open(path or t.path(fid + ".log"),
                     os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            half = len(data) // 2
            tmtest.write_all(fd, data[:half])
            tmtest.write_all(fd, data[half:])
        finally:
            os.close(fd)
        written[fid] += n
        expected += len(data)

    def caught_up(what):
        tmtest.caught_up(out, expected, what, d)
        tmtest.check_seq(tmtest.split_lines(tmtest.read(out)), written,
                         what="the output (%s)" % what)

    write("r", 1000)
    write("o", 100)
    cfg = t.config([("r", "r.log"), ("o", "o.log")], workers=2)
    d = t.start(cfg)

    # --- rename + create, at once
    for rot in range(1, 6):
        write("r", 20000)                        # to the current file
        write("o", 100)
        os.rename(log, "%s.%d" % (log, rot))
        write("r", 5000)                         # creates the new r.log
        caught_up("rotation %d" % rot)
        t.ok("rotation %d (rename + create): the old file read to its end, "
             "then the new one from its start" % rot)

    # --- rename; create only once tailmux waits for it
    write("r", 3000)
    os.rename(log, log + ".6")
    d.wait_log("r.log was removed or renamed; waiting for a new file")
    caught_up("the renamed file read to its end")
    write("o", 50)
    write("r", 3000)
    caught_up("r.log created again after a pause")
    t.ok("rename, then create later: the new file is read from its start")

    # --- delete + create
    write("r", 20000)
    os.unlink(log)
    write("r", 2000)
    caught_up("r.log deleted and created again")
    t.ok("delete + create: the deleted file's unread lines are read, then "
         "the new file")

    # --- truncation
    before = os.stat(log).st_size
    os.truncate(log, 0)
    write("r", 100)
    if os.stat(log).st_size >= before:
        tmtest.fail("test error: the truncated file must stay smaller")
    caught_up("r.log truncated and written again")
    t.ok("truncation: the file is read again from its start")

    d.stop()
    t.ok("SIGTERM: exit status 0")
    t.exact(out, expected, written)
    t.ok("every line of every generation of r.log, and of o.log, is in the "
         "output exactly once and in order (r=%d, o=%d)"
         % (written["r"], written["o"]))


if __name__ == "__main__":
    tmtest.main(test)
