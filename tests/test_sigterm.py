#!/usr/bin/env python3
"""SIGTERM (and SIGINT) while writers append at full speed.

Writer threads append numbered lines to their files as fast as they can,
in batches cut into up to three write(2) calls at random bytes (so lines
are often half-written when tailmux reads).  Once the output holds lines of
every file, tailmux gets a stop signal while the writers go on.  It must
exit 0, and the output must hold, for each file, a prefix 1..k of its
lines: whole lines only, no gap, no duplicate, nothing cut.  Three rounds:
SIGTERM with 2 workers, SIGINT with 1 worker, SIGTERM with 4 workers and
two paths per input (their files created only once tailmux runs).
"""
import os
import random
import re
import signal
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402

MAX_LINES = 2000000  # per writer: a bound on disk use, never reached
SEEN_BEFORE_STOP = 3000  # lines of each file in the output before the signal


class Writer(threading.Thread):
    def __init__(self, path, fid, seed):
        super().__init__(daemon=True)
        self.path = path
        self.fid = fid
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.n = 0
        self.error = None

    def run(self):
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                         0o644)
            try:
                while not self.stop.is_set() and self.n < MAX_LINES:
                    k = self.rng.randint(1, 300)
                    data = tmtest.seq_lines(self.fid, self.n + 1, self.n + k)
                    cuts = sorted(self.rng.randrange(len(data))
                                  for _ in range(self.rng.randint(0, 2)))
                    prev = 0
                    for c in cuts + [len(data)]:
                        if c > prev:
                            tmtest.write_all(fd, data[prev:c])
                            prev = c
                    self.n += k
            finally:
                os.close(fd)
        except Exception as e:  # reported by the main thread
            self.error = e


def round_(t, name, sig, workers, paths_per_input, missing_at_start):
    sub = t.path(name)
    os.mkdir(sub)
    fids = ["w%d" % i for i in range(1, 5)]
    inputs = []
    for i in range(0, len(fids), paths_per_input):
        group = fids[i:i + paths_per_input]
        inputs.append(("in%d" % i, [f + ".log" for f in group]))
    cfg = t.config(inputs, name=name + "/tailmux.ini", workers=workers)
    out = os.path.join(sub, "out.log")
    if not missing_at_start:
        for fid in fids:
            tmtest.append(os.path.join(sub, fid + ".log"), b"")
    d = t.start(cfg)

    writers = [Writer(os.path.join(sub, fid + ".log"), fid, "%s-%s" % (name, fid))
               for fid in fids]
    try:
        for w in writers:
            w.start()
        tail = tmtest.OutputTail(out, fids)
        tmtest.wait_for(
            lambda: min(tail.poll().values()) >= SEEN_BEFORE_STOP,
            "%d lines of every file in the output" % SEEN_BEFORE_STOP,
            daemon=d)
        if not all(w.is_alive() for w in writers):
            tmtest.fail("a writer stopped before the signal: %s"
                        % [w.error for w in writers])
        before = {w.fid: w.n for w in writers}
        d.send(sig)
        # The writers go on across the signal: each writes more after it.
        tmtest.wait_for(lambda: all(w.n > before[w.fid] for w in writers),
                        "every writer to write more after the signal")
        rc = d.wait_exit()
    finally:
        for w in writers:
            w.stop.set()
        for w in writers:
            w.join(tmtest.TIMEOUT)
    errors = [w.error for w in writers if w.error is not None]
    if errors:
        tmtest.fail("a writer failed: %r" % errors)
    sname = signal.Signals(sig).name
    t.check(rc == 0, "%s: %s while 4 writers append: exit status 0"
            % (name, sname), "status %d\n%s" % (rc, d.stderr_tail()))
    t.check("stopping" in d.stderr(),
            "%s: tailmux logged that it was stopping" % name)

    written = {w.fid: w.n for w in writers}
    data = tmtest.read(out)
    m = re.search(r"stopped: (\d+) bytes written", d.stderr())
    t.check(m is not None and int(m.group(1)) == len(data),
            "%s: the output holds the %d bytes tailmux says it wrote"
            % (name, len(data)), m.group(0) if m else d.stderr_tail())
    got = tmtest.check_seq(tmtest.split_lines(data), written, prefix=True)
    for fid in fids:
        if got[fid] < tail.counts[fid]:
            tmtest.fail("file %s: the final output holds %d lines, fewer "
                        "than the %d seen before the signal"
                        % (fid, got[fid], tail.counts[fid]))
    t.ok("%s: the output is a prefix of each file, whole lines, no gap, "
         "no duplicate (%s)" % (name, ", ".join(
             "%s %d/%d" % (f, got[f], written[f]) for f in fids)))


def test(t):
    round_(t, "term2", signal.SIGTERM, workers=2, paths_per_input=1,
           missing_at_start=False)
    round_(t, "int1", signal.SIGINT, workers=1, paths_per_input=1,
           missing_at_start=False)
    round_(t, "term4", signal.SIGTERM, workers=4, paths_per_input=2,
           missing_at_start=True)


if __name__ == "__main__":
    tmtest.main(test)
