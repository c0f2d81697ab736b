#!/usr/bin/env python3
"""Files closed for the descriptor budget, then changed while closed.

A hard descriptor limit of 200 and a glob over 1,000 files: tailmux can
hold at most 136 of them open (64 descriptors are kept for the output, the
checkpoint and the event machinery), so it closes those written least
recently and opens them again when they change.  Among the files it has
closed (seen from /proc/PID/fd), while they are closed:

  * some get a line appended;
  * some get a line appended, are renamed to NAME.1 and replaced by a new
    file with the next line (a rotation): the line left in the old file is
    read before the new file's;
  * some are truncated and rewritten with their next line (copytruncate
    with no copy);
  * some are replaced by a new file renamed over them;
  * some get a line appended and are rotated into the input's rotated_dir
    (logrotate's olddir), out of the directory tailmux watches: only the
    lineage rules find the old file, whose line is read first.

Every line arrives exactly once and in order; no descriptor runs out; the
daemon never holds more than the limit; and a restart after one more line
in every file reads exactly those lines.
"""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402

NFILES = 1000
LIMIT = 200
GROUP = 40


def open_logs(pid, logs):
    """The paths under `logs' that process `pid' holds open."""
    paths = set()
    fddir = "/proc/%d/fd" % pid
    for fd in os.listdir(fddir):
        try:
            p = os.readlink(os.path.join(fddir, fd))
        except OSError:
            continue
        if p.startswith(logs + "/"):
            paths.add(p)
    return paths


def test(t):
    limit = ["prlimit", "--nofile=%d:%d" % (LIMIT, LIMIT), "--"]
    logs = t.path("logs")
    os.makedirs(os.path.join(logs, "old"))
    fids = ["b%04d" % i for i in range(NFILES)]
    path = {fid: os.path.join(logs, fid + ".log") for fid in fids}
    written = {}
    expected = [0]

    def add(fid, where=None):
        seq = written.get(fid, 0) + 1
        data = tmtest.seq_lines(fid, seq, seq)
        tmtest.append(where or path[fid], data)
        written[fid] = seq
        expected[0] += len(data)
        return data

    for fid in fids:
        add(fid)
    out = t.path("out.log")
    cfg = t.config([("g", "logs/*.log", {"max_files": 5000,
                                         "start": "head",
                                         "rotated_dir": "old"})],
                   checkpoint_interval="200ms")
    d = t.start(cfg, argv=limit)
    tmtest.caught_up(out, expected[0], "every file's first line", d)
    held = open_logs(d.proc.pid, logs)
    t.check(len(held) < LIMIT, "at most the budget of files is open "
            "(%d of %d)" % (len(held), NFILES))
    d.wait_log("descriptor budget")

    closed = [fid for fid in fids if path[fid] not in held]
    t.check(len(closed) >= 5 * GROUP, "files were closed for the budget "
            "(%d)" % len(closed))
    appended = closed[0:GROUP]
    rotated = closed[GROUP:2 * GROUP]
    truncated = closed[2 * GROUP:3 * GROUP]
    replaced = closed[3 * GROUP:4 * GROUP]
    moved_out = closed[4 * GROUP:5 * GROUP]

    for fid in appended:
        add(fid)
    for fid in rotated:
        add(fid)  # a late line in the old file
        os.rename(path[fid], path[fid] + ".1")
        add(fid)  # the new file's first line
    for fid in truncated:
        seq = written[fid] + 1
        with open(path[fid], "r+b") as f:
            f.truncate(0)
            f.write(tmtest.seq_lines(fid, seq, seq))
        written[fid] = seq
        expected[0] += len(tmtest.seq_lines(fid, seq, seq))
    for fid in replaced:
        tmp = os.path.join(logs, fid + ".tmp")
        add(fid, tmp)
        os.rename(tmp, path[fid])
    for fid in moved_out:
        add(fid)  # a late line in the old file
        os.rename(path[fid], os.path.join(logs, "old", fid + ".log.1"))
        add(fid)  # the new file's first line

    # Each file's lines, old contents and new, all end up in the output.
    def lines_in():
        return len(tmtest.read(out).splitlines())
    tmtest.wait_for(lambda: lines_in() >= sum(written.values()),
                    "the lines written to the closed files", daemon=d)
    d.stop()
    err = d.stderr()
    t.check("Too many open files" not in err and "out of descriptors"
            not in err, "no descriptor ran out", d.stderr_tail())
    data = tmtest.read(out)
    tmtest.check_seq(tmtest.split_lines(data), written)
    t.ok("appended, rotated, truncated and replaced while closed: every "
         "line once, in order")

    # One more line in every file (the rotated ones' new files) while it
    # is down.
    for fid in fids:
        add(fid)
    d = t.start(cfg, argv=limit)
    tmtest.wait_for(lambda: lines_in() >= sum(written.values()),
                    "the lines added while it was down", daemon=d)
    d.stop(signal.SIGTERM)
    tmtest.check_seq(tmtest.split_lines(tmtest.read(out)), written)
    t.ok("after a restart under the same budget, the new lines once")


if __name__ == "__main__":
    tmtest.main(test)
