#!/usr/bin/env python3
"""Rotation under load: a real writer, real rotations, exactly once.

A writer thread appends numbered lines, one os.write(2) each, to an O_APPEND
descriptor, paced to about 6,000 lines a second, and rotates its file every
few thousand lines the way real tools do.  One numbering runs through every
generation of a path (its file-id stays the same), so at the end the output
must hold lines 1..N of it exactly once and in order.  Each scenario runs its
own tailmux, with its own output and checkpoint:

  * rename+create (logrotate "create"): app.log is renamed to app.log.N, a
    new app.log is created, and the writer puts a few more lines into the
    old descriptor before it reopens (as an application does until it gets
    its SIGHUP): those late lines come before the new file's.
  * copytruncate: app.log is copied to app.log.N, then truncated to 0; the
    writer, paused meanwhile (logrotate's copy/truncate window would lose
    lines otherwise, whatever the reader), goes on on the same descriptor.
  * delete+recreate: app.log is unlinked; the writer keeps its descriptor a
    little while and writes a few lines into the deleted file, then creates
    a new app.log.  The late lines must appear, thanks to rotate_wait.
  * symlink swap: the path is a symlink; a new target is created and the
    link is replaced atomically by renaming a temporary symlink over it
    (ln -sfn done right), late lines going to the old target.
  * rotation faster than poll_interval: rename+create every ~50 ms with
    poll_interval = 1s: many rotations inside one poll interval.
  * inode reuse across a restart: tailmux is stopped (SIGTERM), app.log is
    deleted and files are created until one gets the old inode number back;
    that file becomes app.log, holding more bytes than the checkpointed
    offset, and tailmux is started again: it must read the new file from its
    start, not from the old offset.  If the filesystem never hands the inode
    back, that sub-check is skipped with a message and the rest still runs.
  * late burst: rename+create where the application flushes a big buffer
    (20,000 lines) into the old file after tailmux has switched to the new
    one, and only then writes to the new file: the late lines were written
    first, so they must come out first.
  * two rotations while tailmux is stopped (SIGSTOP): the middle file held
    the path only while tailmux could not look; found by its rename, it is
    read whole, between the other two.
  * three numbered rotations while tailmux is stopped: as logrotate
    numbers them (app.log.1 -> app.log.2 ...), so that the names the
    events carry hold other files by the time the loop reads them; the
    files in between are found by listing the directory.
  * a last line without its newline in a rotated file: written with one
    added once rotate_wait is over, in its place.
  * an inotify queue overflow while tailmux is stopped, around three
    numbered rotations: the files in between are found all the same.
  * two copytruncates while tailmux is stopped, and a third copy made:
    the contents that held the path only in between are read whole from
    their copy, in their place; the copy of what the path holds now is
    not read twice.

Every scenario runs even when an earlier one failed; the test fails at the
end naming those that did.

For each scenario the lost / duplicated / out-of-order counts are printed.
"""
import collections
import os
import shutil
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402

RATE = 6000  # lines a second: at least 5,000
FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT


class Writer(threading.Thread):
    """Writes lines 1..total (or until stop()) of `fid' to `path', one
    os.write each, paced to `rate' lines a second, and calls rotate() every
    `every' lines (not after the last).  The scheme is one of "rename",
    "copytruncate", "delete", "symlink".  `late' lines go to the old
    descriptor after a rotation.  `may_rotate', if given, is called before
    each rotation and must return True to let it happen now (it may wait)."""

    def __init__(self, fid, path, scheme, every, total=None, rate=RATE,
                 late=0, may_rotate=None, targets=None):
        super().__init__(daemon=True)
        self.fid = fid
        self.path = path
        self.scheme = scheme
        self.every = every
        self.total = total
        self.rate = rate
        self.late = late
        self.may_rotate = may_rotate
        self.targets = targets  # symlink: the directory of the targets
        self.seq = 0            # lines written so far
        self.nbytes = 0
        self.gen = 0
        self.rotations = 0
        self.error = None
        self.elapsed = 0.0
        self.fd = -1
        self._halt = threading.Event()
        self._lock = threading.Lock()  # held while a rotation runs
        self.t0 = 0.0

    # -- lines
    def emit(self, fd):
        line = tmtest.seq_line(self.fid, self.seq + 1)
        tmtest.write_all(fd, line)
        self.seq += 1
        self.nbytes += len(line)

    def pace(self):
        ahead = self.t0 + self.seq / self.rate - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)

    # -- rotations
    def new_name(self):
        self.gen += 1
        return "%s.%d" % (self.path, self.gen)

    def rotate(self):
        getattr(self, "rot_" + self.scheme)()
        self.rotations += 1

    def rot_rename(self):
        os.rename(self.path, self.new_name())
        new = os.open(self.path, FLAGS | os.O_EXCL, 0o644)
        for _ in range(self.late):
            self.emit(self.fd)           # not reopened yet
        os.close(self.fd)
        self.fd = new

    def rot_copytruncate(self):
        with open(self.path, "rb") as src, open(self.new_name(), "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.truncate(self.path, 0)

    def rot_delete(self):
        os.unlink(self.path)
        for _ in range(self.late):       # "a little while" on the old fd
            self.emit(self.fd)
            time.sleep(0.002)
        os.close(self.fd)
        self.fd = os.open(self.path, FLAGS | os.O_EXCL, 0o644)

    def rot_symlink(self):
        self.gen += 1
        target = os.path.join(self.targets, "app-%d.log" % self.gen)
        new = os.open(target, FLAGS | os.O_EXCL, 0o644)
        tmp = self.path + ".tmp"
        os.symlink(target, tmp)
        os.rename(tmp, self.path)        # atomic swap of the link
        for _ in range(self.late):
            self.emit(self.fd)
        os.close(self.fd)
        self.fd = new

    # -- the thread
    def run(self):
        try:
            self.fd = os.open(self.path, FLAGS, 0o644)
            self.t0 = time.monotonic()
            base = 0
            while not self._halt.is_set() and (self.total is None
                                               or self.seq < self.total):
                self.emit(self.fd)
                if (self.every and self.seq - base >= self.every
                        and (self.total is None or self.seq < self.total)):
                    if self.may_rotate is None or self.may_rotate(self):
                        with self._lock:
                            self.rotate()
                        base = self.seq
                if self.seq % 16 == 0:
                    self.pace()
            self.elapsed = time.monotonic() - self.t0
            os.close(self.fd)
        except BaseException as e:  # reported by finish()
            self.error = e

    def stop(self):
        self._halt.set()

    def finish(self, timeout=None):
        """Waits (with a deadline) for the writer to be done."""
        self.join(tmtest.TIMEOUT if timeout is None else timeout)
        if self.is_alive():
            tmtest.fail("the writer of %s did not finish" % self.fid)
        if self.error is not None:
            tmtest.fail("the writer of %s failed: %r" % (self.fid, self.error))
        return self

    def rate_seen(self):
        return self.seq / self.elapsed if self.elapsed > 0 else 0.0


def tally(lines, fid, total):
    """(lost, duplicated, out_of_order) for lines 1..total of `fid'."""
    counts = collections.Counter()
    disorder = 0
    top = 0
    for line in lines:
        parts = line.split(b" ", 2)
        if len(parts) < 2 or parts[0] != fid.encode():
            continue
        try:
            seq = int(parts[1])
        except ValueError:
            continue
        if seq < top and counts[seq] == 0:
            disorder += 1
        top = max(top, seq)
        counts[seq] += 1
    lost = sum(1 for s in range(1, total + 1) if counts[s] == 0)
    dup = sum(c - 1 for c in counts.values() if c > 1)
    return lost, dup, disorder


def wait_complete(d, out, nbytes, what, timeout=None):
    """Waits until the output holds `nbytes' bytes (or more).  Returns
    False on timeout instead of failing, so that the counts get printed."""
    try:
        tmtest.wait_for(lambda: tmtest.size(out) >= nbytes,
                        "the output to reach %d bytes (%s)" % (nbytes, what),
                        timeout=timeout, daemon=d)
        return True
    except tmtest.Fail as e:
        if d.proc.poll() is not None:
            raise
        print("# %s" % e)
        return False


def verify(t, d, out, w, what, stop=True):
    """Waits for every line of writer `w', stops tailmux, prints the counts
    and checks every line exactly once, in order."""
    complete = wait_complete(d, out, w.nbytes, what)
    if stop:
        d.stop()
    lines = tmtest.split_lines(tmtest.read(out), "the output (%s)" % what)
    lost, dup, disorder = tally(lines, w.fid, w.seq)
    rate = ", writer at %.0f lines/s" % w.rate_seen() if w.elapsed else ""
    print("# %s: %d lines, %d rotations%s: lost %d duplicated %d "
          "out-of-order %d" % (what, w.seq, w.rotations, rate, lost, dup,
                               disorder), flush=True)
    tmtest.check_seq(lines, {w.fid: w.seq}, what="the output (%s)" % what)
    if not complete or tmtest.size(out) != w.nbytes:
        tmtest.fail("%s: the output holds %d bytes, expected %d"
                    % (what, tmtest.size(out), w.nbytes))
    t.ok("%s: all %d lines through %d rotations, each once and in order"
         % (what, w.seq, w.rotations))


def scenario(t, name, scheme, every, total, late=0, link=False, glob=False,
             **keys):
    """One tailmux on one rotating file; with `glob', named by a glob that
    matches it alone (its writes then come through its directory's
    inotify watch: it has no watch of its own)."""
    d_ = t.path(name)
    os.makedirs(d_)
    path = os.path.join(d_, "app.log")
    targets = None
    if link:
        targets = os.path.join(d_, "gens")
        os.makedirs(targets)
        first = os.path.join(targets, "app-0.log")
        open(first, "wb").close()
        os.symlink(first, path)
    else:
        open(path, "wb").close()
    keys.setdefault("checkpoint_interval", "100ms")
    cfg = t.config([(name, os.path.join(d_, "app.lo[g]") if glob else path,
                     {"rotate_wait": keys.pop("rotate_wait", "3s")})],
                   name="%s.ini" % name, output="%s.out" % name, **keys)
    d = t.start(cfg)
    w = Writer(name, path, scheme, every, total=total, late=late,
               targets=targets)
    w.start()
    w.finish()
    if w.rate_seen() < 5000:
        print("# warning: the writer managed only %.0f lines/s"
              % w.rate_seen())
    verify(t, d, t.path("%s.out" % name), w, name)
    return d


def inode_reuse(t):
    """tailmux stopped; app.log deleted; a new file on the same inode
    number; tailmux started: the new file is read from its start."""
    name = "reuse"
    dir_ = t.path(name)
    os.makedirs(dir_)
    path = os.path.join(dir_, "app.log")
    out = t.path("reuse.out")
    open(path, "wb").close()
    cfg = t.config([(name, path)], name="reuse.ini", output="reuse.out",
                   checkpoint_interval="100ms")
    d = t.start(cfg)
    w = Writer(name, path, "rename", 2000, total=5000)
    w.start()
    w.finish()
    complete = wait_complete(d, out, w.nbytes, "before the restart")
    d.stop()
    if not complete:
        tmtest.fail("the output did not get every line before the restart")
    old = os.stat(path)
    t.ok("first run: %d lines, the last file holds %d bytes at inode %d"
         % (w.seq, old.st_size, old.st_ino))

    # Delete it and create files until one has the old inode number.
    os.unlink(path)
    reused = False
    tries = []
    for i in range(64):
        cand = os.path.join(dir_, "candidate-%d" % i)
        fd = os.open(cand, FLAGS | os.O_EXCL, 0o644)
        st = os.fstat(fd)
        os.close(fd)
        if st.st_ino == old.st_ino and st.st_dev == old.st_dev:
            os.rename(cand, path)
            reused = True
            break
        tries.append(cand)
    for cand in tries:       # the misses, kept until now so as not to get
        os.unlink(cand)      # the same wrong inode back every time
    if not reused:
        print("# skipping the inode-reuse check: the filesystem did not "
              "hand inode %d back in 64 creations" % old.st_ino)
        open(path, "wb").close()
    # The new file, one numbering with the old: more bytes than the old
    # offset, so that reading from that offset would lose lines silently.
    fd = os.open(path, FLAGS, 0o644)
    first_new = w.seq + 1
    while os.fstat(fd).st_size <= old.st_size + 4096:
        w.emit(fd)
    os.close(fd)
    cur = os.stat(path)
    d = t.start(cfg)
    complete = wait_complete(d, out, w.nbytes, "after the restart")
    if reused:
        t.check("holds new contents on the checkpointed inode" in d.stderr(),
                "inode %d reused: tailmux tells the new file from the old "
                "by its fingerprint" % cur.st_ino, d.stderr_tail())
    d.stop()
    lines = tmtest.split_lines(tmtest.read(out))
    lost, dup, disorder = tally(lines, name, w.seq)
    print("# inode reuse (%s): lines %d..%d in the new file: lost %d "
          "duplicated %d out-of-order %d"
          % ("inode %d reused" % cur.st_ino if reused else "not reused",
             first_new, w.seq, lost, dup, disorder), flush=True)
    tmtest.check_seq(lines, {name: w.seq}, what="the output (inode reuse)")
    if not complete or tmtest.size(out) != w.nbytes:
        tmtest.fail("inode reuse: the output holds %d bytes, expected %d"
                    % (tmtest.size(out), w.nbytes))
    t.ok("%s: the new file is read from its start, every line once"
         % ("inode reused across the restart" if reused
            else "new file after the restart (inode not reused)"))


def started_on_100(t, name):
    """tailmux following NAME/app.log, which holds 100 lines, all of them
    written out.  Returns (daemon, writer, the writer's open fd, the path,
    the output)."""
    dir_ = t.path(name)
    os.makedirs(dir_)
    path = os.path.join(dir_, "app.log")
    out = t.path("%s.out" % name)
    cfg = t.config([(name, path)], name="%s.ini" % name,
                   output="%s.out" % name)
    w = Writer(name, path, "rename", 0)
    fd = os.open(path, FLAGS, 0o644)
    for _ in range(100):
        w.emit(fd)
    d = t.start(cfg)
    tmtest.wait_for(lambda: tmtest.size(out) >= w.nbytes,
                    "the first 100 lines", daemon=d)
    return d, w, fd, path, out


def late_burst(t):
    """rename+create where the application, before it reopens, flushes a
    large buffer into the old file and then writes to the new one: every
    late line was written before the new file's first line, so it must come
    out before it (deterministic: tailmux has switched to the new file
    before the burst)."""
    d, w, fd, path, out = started_on_100(t, "burst")
    os.rename(path, path + ".1")
    new = os.open(path, FLAGS | os.O_EXCL, 0o644)
    # Switched: at once ("was rotated"), or via "removed or renamed" when
    # the rename was seen before the new file was there.
    tmtest.wait_for(lambda: "was rotated" in d.stderr() or
                    "app.log appeared" in d.stderr(),
                    "tailmux to switch to the new app.log", daemon=d)
    data = tmtest.seq_lines(w.fid, w.seq + 1, w.seq + 20000)
    tmtest.write_all(fd, data)          # the late burst, one write
    w.seq += 20000
    w.nbytes += len(data)
    os.close(fd)
    for _ in range(10):                  # then the reopened file
        w.emit(new)
    os.close(new)
    w.rotations = 1
    verify(t, d, out, w, "late burst before reopening")


def stopped_loop(t):
    """Two rename+create rotations while tailmux is stopped (SIGSTOP), as
    a loop far behind its inotify queue would see them: the middle file
    was at the path only between the two, and tailmux never saw it there.
    Its lines must still come out, after the first file's and before the
    last one's."""
    d, w, fd, path, out = started_on_100(t, "stopped")
    d.send(signal.SIGSTOP)
    try:
        for gen in (1, 2):
            os.rename(path, "%s.%d" % (path, gen))
            new = os.open(path, FLAGS | os.O_EXCL, 0o644)
            for _ in range(3):           # late lines, to the old file
                w.emit(fd)
            os.close(fd)
            fd = new
            for _ in range(500):
                w.emit(fd)
        os.close(fd)
    finally:
        d.send(signal.SIGCONT)
    w.rotations = 2
    verify(t, d, out, w, "two rotations while tailmux was stopped",
           stop=False)
    t.check("only briefly" in d.stderr(),
            "the middle file is named in the log", d.stderr_tail())
    d.stop()


def stopped_numbered(t):
    """Three logrotate-style numbered rotations while tailmux is stopped
    (SIGSTOP): each renames app.log.N to app.log.N+1, oldest first, then
    app.log to app.log.1, and creates app.log.  When the loop reads the
    events, the names they carry hold other files: the two files that were
    at the path only between rotations are found by listing the directory
    when the path is seen to have moved on, and read whole, in order,
    between the first file's lines and the last one's."""
    d, w, fd, path, out = started_on_100(t, "numbered")
    d.send(signal.SIGSTOP)
    try:
        for gen in (1, 2, 3):
            for n in range(gen - 1, 0, -1):
                os.rename("%s.%d" % (path, n), "%s.%d" % (path, n + 1))
            os.rename(path, path + ".1")
            new = os.open(path, FLAGS | os.O_EXCL, 0o644)
            for _ in range(3):           # late lines, to the old file
                w.emit(fd)
            os.close(fd)
            fd = new
            for _ in range(500):
                w.emit(fd)
        os.close(fd)
    finally:
        d.send(signal.SIGCONT)
    w.rotations = 3
    verify(t, d, out, w, "three numbered rotations while tailmux was "
           "stopped", stop=False)
    t.check(d.stderr().count("only briefly") >= 1,
            "the files found by listing are named in the log",
            d.stderr_tail())


def queue_overflow(t):
    """The kernel's inotify queue overflows while tailmux is stopped
    (SIGSTOP): more files are created and removed beside app.log than
    max_queued_events holds, around three numbered rotations, so that the
    events that would tell of the rotations are lost.  Told only that
    events were lost, tailmux looks at every path again, finds app.log
    moved on, lists its directory and reads the files in between."""
    try:
        with open("/proc/sys/fs/inotify/max_queued_events") as f:
            limit = int(f.read())
    except (OSError, ValueError):
        limit = 16384
    d, w, fd, path, out = started_on_100(t, "overflow")
    dir_ = os.path.dirname(path)
    d.send(signal.SIGSTOP)
    try:
        for gen in (1, 2, 3):
            for n in range(gen - 1, 0, -1):
                os.rename("%s.%d" % (path, n), "%s.%d" % (path, n + 1))
            os.rename(path, path + ".1")
            new = os.open(path, FLAGS | os.O_EXCL, 0o644)
            os.close(fd)
            fd = new
            for _ in range(300):
                w.emit(fd)
            for i in range(limit // 3 + 100):  # two events each
                junk = os.path.join(dir_, "junk%d" % i)
                os.close(os.open(junk, os.O_WRONLY | os.O_CREAT, 0o644))
                os.unlink(junk)
        os.close(fd)
    finally:
        d.send(signal.SIGCONT)
    w.rotations = 3
    verify(t, d, out, w, "an inotify queue overflow", stop=False)
    t.check("inotify queue overflowed" in d.stderr(),
            "the overflow is logged", d.stderr_tail())


def stopped_copytruncate(t):
    """Two copytruncates while tailmux is stopped (SIGSTOP), then a third
    copy of what the file holds, its truncation yet to come: when the loop
    looks, the path holds the third contents, the first contents' rest is
    in app.log.1, and the second contents were at the path only while the
    loop could not look, their copy app.log.2 the only trace of them.  They
    must come out whole between the other two, and app.log.3 (a copy of
    what the path holds now) must not be read as contents of its own."""
    d, w, fd, path, out = started_on_100(t, "copies")
    d.send(signal.SIGSTOP)
    try:
        for gen in (1, 2, 3):
            for _ in range(50):     # lines the loop has not read yet
                w.emit(fd)
            with open(path, "rb") as src, \
                    open("%s.%d" % (path, gen), "wb") as dst:
                shutil.copyfileobj(src, dst)
            if gen == 3:
                break
            os.truncate(path, 0)
            for _ in range(500):
                w.emit(fd)
        os.close(fd)
    finally:
        d.send(signal.SIGCONT)
    w.rotations = 2
    verify(t, d, out, w, "two copytruncates while tailmux was stopped",
           stop=False)
    t.check("only briefly" in d.stderr(),
            "the middle contents are named in the log", d.stderr_tail())
    d.stop()


def partial_last_line(t):
    """A rotated file whose last line never gets its newline (the writer
    reopened without finishing it, or a copy caught a write half done):
    once rotate_wait is over, the line is written with a newline added,
    after the file's other lines and before the new file's."""
    name = "partial"
    dir_ = t.path(name)
    os.makedirs(dir_)
    path = os.path.join(dir_, "app.log")
    out = t.path("%s.out" % name)
    cfg = t.config([(name, path, {"rotate_wait": "1500ms"})],
                   name="%s.ini" % name, output="%s.out" % name)
    first = tmtest.seq_lines(name, 1, 5)
    tmtest.append(path, first)
    d = t.start(cfg)
    tmtest.caught_up(out, len(first), "the first lines", daemon=d)
    cpu = tmtest.cpu_seconds(d.proc.pid)
    tmtest.append(path, b"no newline ever")
    os.rename(path, path + ".1")
    last = tmtest.seq_lines(name, 6, 10)
    tmtest.append(path, last)
    want = first + b"no newline ever\n" + last
    tmtest.caught_up(out, len(want), "the rotated file's last line",
                     daemon=d)
    cpu = tmtest.cpu_seconds(d.proc.pid) - cpu
    d.stop()
    # Waiting out rotate_wait costs nothing: the rest of the file is not
    # read again and again meanwhile (a spin would take the whole 1.5 s).
    t.check(cpu < 0.5, "no spin while the line waits for rotate_wait "
            "(%.2f s of CPU)" % cpu)
    got = tmtest.read(out)
    t.check(got == want, "a rotated file's last line without a newline is "
            "written with one, in its place", repr(got[-200:]))


def test(t):
    failed = []

    def run(what, fn, *args, **kw):
        try:
            fn(t, *args, **kw)
        except tmtest.Fail as e:
            print("# FAILED: %s: %s" % (what, e), flush=True)
            failed.append(what)
        for d in t.daemons:
            d.kill()

    run("rename+create", scenario, "rename", "rename", 2500, 12000, late=5)
    run("copytruncate", scenario, "copytruncate", "copytruncate", 2500,
        12000)
    run("delete+recreate", scenario, "delete", "delete", 2500, 12000,
        late=10)
    for scheme in ("rename", "copytruncate", "delete"):
        run("%s, by a glob" % scheme, scenario, "glob-" + scheme, scheme,
            2500, 12000, late=5, glob=True)
    run("symlink swap", scenario, "symlink", "symlink", 2500, 12000, late=5,
        link=True)
    # ~300 lines at 6,000/s: a rotation every ~50 ms, 20 per poll_interval.
    run("rotation faster than poll_interval", scenario, "fast", "rename",
        300, 15000, late=3, poll_interval="1s", rotate_wait="5s")
    run("inode reuse across a restart", inode_reuse)
    run("late burst before reopening", late_burst)
    run("two rotations while tailmux was stopped", stopped_loop)
    run("three numbered rotations while tailmux was stopped",
        stopped_numbered)
    run("a last line without its newline", partial_last_line)
    run("an inotify queue overflow", queue_overflow)
    run("two copytruncates while tailmux was stopped", stopped_copytruncate)
    if failed:
        tmtest.fail("%d of 15 scenarios failed: %s"
                    % (len(failed), ", ".join(failed)))


if __name__ == "__main__":
    tmtest.main(test)
