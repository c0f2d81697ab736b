#!/usr/bin/env python3
"""The crash loop: kill -9 at random moments while the input rotates.

A writer thread appends numbered lines to app.log at about 6,000 lines a
second and rotates it every ~3,000 lines, once with rename+create and once
with copytruncate.  Meanwhile tailmux (checkpoint_interval = 50ms,
rotate_wait = 300ms) is killed with SIGKILL 20 times, each at a random
moment, and started again after a random pause of 0-0.4 s during which the
writer goes on and may rotate.  At the end tailmux gets every line (waited
for with a deadline), is stopped with SIGTERM, and the output must hold
every line exactly once and in order.  "lost N duplicated M" is printed per
scheme.

Here each rotation waits (the writer going on meanwhile) until the last
saved checkpoint knows the file's current generation: its inode for
rename+create, its inode with a fingerprint of the current contents for
copytruncate.  So every restart resumes generations the checkpoint names,
from their offsets.  Generations no checkpoint named (rotated faster than
the checkpoint, or while tailmux is down) are test_lineage.py's.

The random choices come from a seed, printed, taken from TMTEST_SEED when
set, so that a failure can be replayed.
"""
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402
from test_rotation import Writer, tally, wait_complete  # noqa: E402

KILLS = 20
EVERY = 3000


def checkpoint_files(state_path):
    """The file entries of the saved checkpoint: [(dev, ino, offset,
    fp_len, fp_hash)].  The state file is replaced by rename(2), so it is
    always whole; an unparsable one yields nothing."""
    try:
        with open(state_path, "rb") as f:
            text = f.read()
    except FileNotFoundError:
        return []
    entries = []
    for line in text.split(b"\n"):
        parts = line.split(b" ")
        if parts[0] == b"file" and len(parts) >= 7:
            try:
                entries.append((int(parts[1]), int(parts[2]), int(parts[3]),
                                int(parts[4]), int(parts[5], 16)))
            except ValueError:
                pass
    return entries


class Gate:
    """Lets the writer rotate only when the saved checkpoint knows the
    current generation of its file (see the module's comment)."""

    def __init__(self, state_path, scheme):
        self.state_path = state_path
        self.scheme = scheme
        self.last = 0.0
        self.waiting = False
        self.deferred = 0   # rotations that had to wait for a checkpoint

    def __call__(self, w):
        now = time.monotonic()
        if now - self.last < 0.01:     # look at most every 10 ms
            return False
        self.last = now
        st = os.fstat(w.fd)
        for dev, ino, offset, fp_len, fp_hash in checkpoint_files(
                self.state_path):
            if dev != st.st_dev or ino != st.st_ino:
                continue
            if self.scheme == "rename":
                return self.allow()
            # copytruncate: the inode is always the same; the entry must
            # carry the fingerprint of the current contents.
            if fp_len > 0:
                with open(w.path, "rb") as f:
                    head = f.read(fp_len)
                if len(head) == fp_len and tmtest.fnv1a(head) == fp_hash:
                    return self.allow()
        self.waiting = True
        return False

    def allow(self):
        if self.waiting:
            self.deferred += 1
        self.waiting = False
        return True


def crash_loop(t, rng, scheme):
    dir_ = t.path(scheme)
    os.makedirs(dir_)
    path = os.path.join(dir_, "app.log")
    out = t.path("%s.out" % scheme)
    open(path, "wb").close()
    cfg = t.config([(scheme, path, {"rotate_wait": "300ms"})],
                   name="%s.ini" % scheme, output="%s.out" % scheme,
                   checkpoint_interval="50ms")
    gate = Gate(t.path("%s.state" % scheme), scheme)
    w = Writer(scheme, path, scheme, EVERY, may_rotate=gate)
    d = t.start(cfg)
    w.start()
    cut = down = 0
    for i in range(KILLS):
        time.sleep(rng.uniform(0.0, 0.5))    # a random moment
        if w.error is not None:
            break
        d.proc.kill()                         # SIGKILL
        rc = d.proc.wait(tmtest.TIMEOUT)
        if rc != -9:
            tmtest.fail("tailmux exited with status %s before kill %d\n%s"
                        % (rc, i + 1, d.stderr_tail()))
        time.sleep(rng.uniform(0.0, 0.4))    # down; the writer goes on
        d = t.start(cfg)
        err = d.stderr()
        if "cut " in err:
            cut += 1
        if "while tailmux was down" in err:
            down += 1
    w.stop()
    w.finish()
    complete = wait_complete(d, out, w.nbytes, "%s: every line" % scheme)
    d.stop()
    lines = tmtest.split_lines(tmtest.read(out), "the output (%s)" % scheme)
    lost, dup, disorder = tally(lines, scheme, w.seq)
    print("# %s: %d lines, %d rotations (%d deferred a moment for the "
          "checkpoint), %d kills; %d restarts cut the output, %d found "
          "the file rotated while down; writer at %.0f lines/s"
          % (scheme, w.seq, w.rotations, gate.deferred, KILLS, cut, down,
             w.rate_seen()))
    print("%s: lost %d duplicated %d (out of order %d)"
          % (scheme, lost, dup, disorder), flush=True)
    tmtest.check_seq(lines, {scheme: w.seq},
                     what="the output (%s)" % scheme)
    if not complete or tmtest.size(out) != w.nbytes:
        tmtest.fail("%s: the output holds %d bytes, expected %d"
                    % (scheme, tmtest.size(out), w.nbytes))
    t.ok("%s: %d lines, %d rotations, %d kill -9: every line once and in "
         "order" % (scheme, w.seq, w.rotations, KILLS))


def test(t):
    seed = int(os.environ.get("TMTEST_SEED") or time.time_ns() % 2**32)
    print("# seed %d (replay with TMTEST_SEED=%d)" % (seed, seed), flush=True)
    rng = random.Random(seed)
    failed = []
    for scheme in ("rename", "copytruncate"):
        try:
            crash_loop(t, rng, scheme)
        except tmtest.Fail as e:
            print("# FAILED: %s: %s" % (scheme, e), flush=True)
            failed.append(scheme)
        for d in t.daemons:
            d.kill()
    if failed:
        tmtest.fail("the crash loop failed for %s (seed %d)"
                    % (", ".join(failed), seed))


if __name__ == "__main__":
    tmtest.main(test)
