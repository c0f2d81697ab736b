#!/usr/bin/env python3
"""No generation skipped: kill -9 while the input rotates faster than the
checkpoint is saved.

Unlike test_crash.py, nothing here waits for a checkpoint before a
rotation: files are created and rotated away again between two saves, and
while tailmux is down, so a restart finds generations of the path that no
checkpoint ever named.  They must be read whole, in order, before the
path's current file; the known ones from where they were left.

Scenarios (each: a writer at about 6,000 lines/s, checkpoint_interval left
at its default of 1 s, kills every 0.3-1.2 s, down 0-1.5 s):
  * rename: the writer renames app.log to app.log.N (N counting up) and
    creates a new one every ~0.3 s;
  * copytruncate: the writer copies app.log to app.log.N and truncates it
    every ~0.3 s (it pauses meanwhile, so no line is lost to the copy and
    truncate window, which is not tailmux's);
  * logrotate-create: Debian's real logrotate, forced every 0.5-1.3 s
    with `create' and numbered names (app.log.1 becomes app.log.2 ...);
    the writer reopens app.log when it sees another file there;
  * logrotate-dateext: the same with `dateext' and a dateformat down to
    the second;
  * logrotate-olddir: the same with `olddir' (tailmux's rotated_dir);
  * logrotate-compress: the same with `compress': generations gzipped
    before tailmux finished them are read from their .gz;
  * logrotate-delaycompress: the same with `delaycompress' too: among
    them the first generation, which the checkpoint saved at start-up
    knew only while it was empty, gzipped while tailmux was down (its
    inode, freed, often taken by a newer file);
  * logrotate-copytruncate: logrotate with `copytruncate' (the writer
    goes on writing to the same file; lines written between logrotate's
    copy and its truncate are in no file, and not tailmux's to deliver).
Each logrotate scenario also runs for 3-4 s without a kill.
Also, deterministically: two and three logrotate runs (create, and
copytruncate) while tailmux is stopped, and three with `dateext' and a
dateformat of its own (given to tailmux as the input's dateformat); and a
copytruncate of a file tailmux knew only while it was empty, followed by
a kill -9 before any line of it was read; and copytruncates at the worst
moments of the start-up listing (an LD_PRELOAD shim): right after it; in
it, between its look at a copy still being written and its look at the
path, by then truncated; and right before it, after tailmux looked at the
path; and a gzip still being written (".gz.tmp") when tailmux starts.
Every line that is in one of the files at the end (gzips decompressed)
must be in the output exactly once and in order: a writer that creates
app.log itself can lose a few lines to logrotate's own window (the file
its `create' finds there is set aside as NAME-%Y%m%d%H.backup, which the
next such file in the same hour replaces), which are in no file and not
tailmux's to deliver; read before their file went, they may be in the
output too, once and in order like every other line.  The random
choices come from a seed, printed, taken from TMTEST_SEED when set.
"""
import gzip
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402
from test_rotation import Writer, tally, wait_complete  # noqa: E402

KILLS = 10
EVERY = 1800           # lines between two rotations of the writer's own
FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC


class ReopeningWriter(threading.Thread):
    """Writes numbered lines of `fid' to `path' at about `rate' lines a
    second, one write each, reopening the path whenever another file is
    there (as a daemon does on a SIGHUP from logrotate's postrotate)."""

    def __init__(self, fid, path, rate=6000):
        super().__init__(daemon=True)
        self.fid = fid
        self.path = path
        self.rate = rate
        self.seq = 0
        self.nbytes = 0
        self.error = None
        self._halt = threading.Event()

    def run(self):
        try:
            fd = os.open(self.path, FLAGS, 0o644)
            t0 = time.monotonic()
            while not self._halt.is_set():
                if self.seq % 16 == 0:
                    try:
                        st = os.stat(self.path)
                        same = st.st_ino == os.fstat(fd).st_ino
                    except FileNotFoundError:
                        same = False
                    if not same:
                        os.close(fd)
                        fd = os.open(self.path, FLAGS, 0o644)
                    ahead = t0 + self.seq / self.rate - time.monotonic()
                    if ahead > 0:
                        time.sleep(ahead)
                line = tmtest.seq_line(self.fid, self.seq + 1)
                tmtest.write_all(fd, line)
                self.seq += 1
                self.nbytes += len(line)
            os.close(fd)
        except BaseException as e:  # reported by finish()
            self.error = e

    def stop(self):
        self._halt.set()

    def finish(self):
        self.join(tmtest.TIMEOUT)
        if self.is_alive() or self.error is not None:
            tmtest.fail("the writer of %s failed: %r" % (self.fid, self.error))


class Logrotate(threading.Thread):
    """Runs Debian's logrotate -f on `conf' every 0.5-1.3 s."""

    def __init__(self, conf, state, rng):
        super().__init__(daemon=True)
        self.conf = conf
        self.state = state
        self.rng = rng
        self.runs = 0
        self.error = None
        self._halt = threading.Event()

    def run(self):
        try:
            while not self._halt.wait(self.rng.uniform(0.5, 1.3)):
                p = subprocess.run(["logrotate", "-f", "-s", self.state,
                                    self.conf], capture_output=True)
                if p.returncode != 0 and b"already exists" not in p.stderr:
                    self.error = p.stderr.decode(errors="replace")
                    return
                self.runs += 1
        except BaseException as e:
            self.error = repr(e)

    def stop(self):
        self._halt.set()
        self.join(tmtest.TIMEOUT)
        if self.error is not None:
            tmtest.fail("logrotate failed: %s" % self.error)


def lines_in_files(dir_, fid):
    """The numbers of the lines of `fid' found in the files under `dir_'
    (gzips decompressed): what tailmux can deliver; and the last lines of
    files that end without a newline, by number (logrotate's copy caught
    the write of that line half done).  A writer that creates the path
    itself while logrotate rotates it can lose lines to logrotate's own
    window (the file its `create' sets aside is not kept); those are in no
    file, and not tailmux's to deliver."""
    seqs = set()
    cut = {}
    for root, _, names in os.walk(dir_):
        for n in names:
            p = os.path.join(root, n)
            opener = gzip.open if n.endswith(".gz") else open
            with opener(p, "rb") as f:
                data = f.read()
            lines = data.split(b"\n")
            tail = lines.pop()  # b"" when the file ends with a newline
            for line in lines:
                parts = line.split(b" ", 2)
                if len(parts) >= 2 and parts[0] == fid.encode():
                    seqs.add(int(parts[1]))
            parts = tail.split(b" ", 2)
            if n == "app.log" or not tail:
                continue
            if len(parts) == 3 and parts[0] == fid.encode():
                seqs.add(int(parts[1]))
                cut[int(parts[1])] = tail
            else:  # cut before its number ends: no line to count
                cut[tail] = tail
    return seqs, cut


def crash_loop(t, rng, scenario, kills=KILLS):
    """One scenario (see the top) with `kills' kill -9 at random moments;
    with none, the same for 3-4 s while tailmux runs on."""
    name = scenario if kills else scenario + "-live"
    dir_ = t.path(name)
    os.makedirs(dir_)
    path = os.path.join(dir_, "app.log")
    out = t.path("%s.out" % name)
    open(path, "wb").close()
    opts = {"rotate_wait": "300ms"}
    if scenario == "logrotate-olddir":
        os.makedirs(os.path.join(dir_, "old"))
        opts["rotated_dir"] = "old"
    cfg = t.config([(name, path, opts)],
                   name="%s.ini" % name, output="%s.out" % name)
    rot = None
    if scenario in ("rename", "copytruncate"):
        w = Writer(name, path, scenario, EVERY)
    else:
        w = ReopeningWriter(name, path)
        extra = {"logrotate-dateext":
                 "dateext\n    dateformat -%Y%m%d%H%M%S\n",
                 "logrotate-compress": "compress\n",
                 "logrotate-olddir": "olddir %s/old\n" % dir_,
                 "logrotate-delaycompress": "compress\n    delaycompress\n",
                 }.get(scenario, "")
        scheme = ("copytruncate" if scenario == "logrotate-copytruncate"
                  else "create")
        conf = t.write("%s.logrotate" % name,
                       "%s {\n    %s\n    rotate 1000\n    missingok\n"
                       "    %s}\n" % (path, scheme, extra))
        rot = Logrotate(conf, t.path("%s.lrstate" % name), rng)
    d = t.start(cfg)
    w.start()
    if rot is not None:
        rot.start()
    down = unseen = 0
    if not kills:
        time.sleep(rng.uniform(3.0, 4.0))  # the run, not a wait
    for i in range(kills):
        time.sleep(rng.uniform(0.3, 1.2))
        if w.error is not None:
            break
        d.proc.kill()
        rc = d.proc.wait(tmtest.TIMEOUT)
        if rc != -9:
            tmtest.fail("tailmux exited with status %s before kill %d\n%s"
                        % (rc, i + 1, d.stderr_tail()))
        time.sleep(rng.uniform(0.0, 1.5))
        d = t.start(cfg)
        err = d.stderr()
        down += "while tailmux was down" in err
        unseen += err.count("rotated away before tailmux saw it")
    if rot is not None:
        rot.stop()
    w.stop()
    w.finish()
    present, cut = lines_in_files(dir_, name)
    gone = w.seq - len(present)
    # At least: a line cut short in its file may come out as it is there.
    want = sum(len(cut[s]) + 1 if s in cut else len(tmtest.seq_line(name, s))
               for s in present)
    complete = wait_complete(d, out, want, "%s: every line" % name)
    d.stop()
    lines = tmtest.split_lines(tmtest.read(out), "the output (%s)" % name)
    lines = [line for line in lines if line not in cut]  # numberless cuts
    _, dup, disorder = tally(lines, name, w.seq)
    got = [int(line.split(b" ", 2)[1]) for line in lines]
    missing = sorted(present - set(got))
    lost = len(missing)
    nfiles = sum(len(fs) for _, _, fs in os.walk(dir_))
    print("# %s: %d lines in %d files, %d kills; %d restarts found the "
          "path rotated while down, %d generations never seen read whole"
          % (name, w.seq, nfiles, kills, down, unseen))
    if gone:
        print("# %s: %d lines written are in no file (logrotate's window); "
              "%d of them were read before logrotate dropped their file"
              % (name, gone, len(set(got) - present)))
    print("%s: lost %d duplicated %d (out of order %d)"
          % (name, lost, dup, disorder), flush=True)
    # logrotate's copytruncate window (between its copy and its truncate)
    # loses a few lines of each rotation, more on a loaded machine.
    if gone > w.seq // (20 if scenario == "logrotate-copytruncate"
                        else 100):
        tmtest.fail("%s: %d of %d lines are in no file: the scenario lost "
                    "them itself" % (name, gone, w.seq))
    # Every line of the files once and in order; a line in no file may be
    # there too (read before logrotate dropped its file), once, in order;
    # a rotated file's last line without a newline comes with one added.
    for i, (seq, line) in enumerate(zip(got, lines)):
        if line + b"\n" != tmtest.seq_line(name, seq) and \
                line != cut.get(seq):
            tmtest.fail("%s: output line %d is not whole: %r"
                        % (name, i + 1, line[:80]))
        if i > 0 and seq <= got[i - 1]:
            tmtest.fail("%s: output line %d is line %d after line %d "
                        "(repeated or out of order)"
                        % (name, i + 1, seq, got[i - 1]))
        if seq > w.seq:
            tmtest.fail("%s: output line %d is line %d, never written"
                        % (name, i + 1, seq))
    if missing:
        tmtest.fail("%s: %d lines of the files are not in the output, "
                    "the first %d" % (name, lost, missing[0]))
    if not complete:
        tmtest.fail("%s: the output did not reach %d bytes" % (name, want))
    t.ok("%s: %d lines, %d files, %d kill -9: every line once and in order"
         % (name, w.seq, nfiles, kills))
    return unseen


def while_stopped(t, scheme, rotations, dateformat=None):
    """tailmux stopped cleanly, then `rotations' logrotate runs (lines
    written before each) while it is down, `scheme' "create" or
    "copytruncate", with `dateext' and `dateformat' when one is given (and
    given to tailmux too, as it is none of those it knows anyway): at the
    next start every line is read, in order."""
    name = "stopped-%s-%d%s" % (scheme, rotations,
                                "-dateformat" if dateformat else "")
    dir_ = t.path(name)
    os.makedirs(dir_)
    path = os.path.join(dir_, "app.log")
    out = t.path("%s.out" % name)
    opts = {"rotate_wait": "300ms"}
    rules = "    %s\n    rotate 100\n" % scheme
    if dateformat:
        opts["dateformat"] = dateformat
        rules += "    dateext\n    dateformat %s\n" % dateformat
    cfg = t.config([(name, path, opts)],
                   name="%s.ini" % name, output="%s.out" % name)
    conf = t.write("%s.logrotate" % name, "%s {\n%s}\n" % (path, rules))
    state = t.path("%s.lrstate" % name)
    seq = 0

    def write(n):
        nonlocal seq
        tmtest.append(path, tmtest.seq_lines(name, seq + 1, seq + n))
        seq += n

    write(50)
    d = t.start(cfg)
    write(50)
    tmtest.caught_up(out, tmtest.size(path), "%s: the first lines" % name,
                     daemon=d)
    write(30)  # written, perhaps not read, when the stop comes
    d.stop()
    last = time.time()
    for _ in range(rotations):
        if dateformat:
            # One dated name a second: wait for the clock to tick past the
            # second of the last run, with a margin for time(2), which
            # logrotate reads, lagging by up to a clock tick.
            tmtest.wait_for(lambda: time.time() - 0.05 >= int(last) + 1,
                            "the next second")
        subprocess.run(["logrotate", "-f", "-s", state, conf], check=True)
        last = time.time()
        write(40)
    d = t.start(cfg)
    want = len(tmtest.seq_lines(name, 1, seq))
    tmtest.caught_up(out, want, "%s: every line" % name, daemon=d)
    d.stop()
    lines = tmtest.split_lines(tmtest.read(out), "the output (%s)" % name)
    tmtest.check_seq(lines, {name: seq}, what="the output (%s)" % name)
    t.ok("%s: %d lines over %d rotations while stopped: each once, in "
         "order" % (name, seq, rotations))


def empty_copytruncate_kill(t):
    """copytruncate of a file tailmux knew only while it was empty, then a
    kill -9 before tailmux read a line of it (it is stopped meanwhile):
    at the restart its lines are found in the copy, and read before what
    the file got after the truncation."""
    name = "empty-copytruncate"
    dir_ = t.path(name)
    os.makedirs(dir_)
    path = os.path.join(dir_, "app.log")
    out = t.path("%s.out" % name)
    open(path, "wb").close()
    cfg = t.config([(name, path, {"rotate_wait": "300ms"})],
                   name="%s.ini" % name, output="%s.out" % name)
    d = t.start(cfg)
    d.send(signal.SIGSTOP)
    tmtest.append(path, tmtest.seq_lines(name, 1, 50))
    shutil.copyfile(path, path + ".1")
    os.truncate(path, 0)
    tmtest.append(path, tmtest.seq_lines(name, 51, 70))
    d.kill()
    d = t.start(cfg)
    want = len(tmtest.seq_lines(name, 1, 70))
    tmtest.caught_up(out, want, "%s: every line" % name, daemon=d)
    d.stop()
    lines = tmtest.split_lines(tmtest.read(out), "the output (%s)" % name)
    tmtest.check_seq(lines, {name: 70}, what="the output (%s)" % name)
    t.ok("%s: the lines of a file copied and truncated before its first "
         "read, then a kill -9: each once, in order" % name)


class Hooked:
    """One scenario of the listing shim: app.log in a directory of its
    own, tailmux's config for it (rotate_wait = 300ms), the environment
    that preloads the shim, and the numbered lines made so far."""

    def __init__(self, t, name):
        self.t = t
        self.name = name
        self.dir = t.path(name)
        os.makedirs(self.dir)
        self.path = os.path.join(self.dir, "app.log")
        self.out = t.path("%s.out" % name)
        self.cfg = t.config([(name, self.path, {"rotate_wait": "300ms"})],
                            name="%s.ini" % name, output="%s.out" % name)
        self.env = t.shim("listing_hook")
        self.seq = 0

    def lines(self, n):
        """The next n numbered lines."""
        self.seq += n
        return tmtest.seq_lines(self.name, self.seq - n + 1, self.seq)

    def first_run(self):
        """Starts tailmux on 50 lines and waits until it has them; returns
        the daemon."""
        tmtest.append(self.path, self.lines(50))
        d = self.t.start(self.cfg)
        tmtest.caught_up(self.out, tmtest.size(self.path),
                         "%s: the first lines" % self.name, daemon=d)
        return d

    def hooked_start(self, at, cmd):
        """Starts tailmux with the shim running `cmd' `at' (TMHOOK_AT;
        None: after the listing); returns the daemon."""
        self.env["TMHOOK_DIR"] = self.dir
        if at is not None:
            self.env["TMHOOK_AT"] = at
        self.env["TMHOOK_CMD"] = cmd
        return self.t.start(self.cfg, env=self.env)

    def finish(self, d):
        """Waits until the output holds every line made, stops tailmux;
        returns how many bytes that is."""
        want = len(tmtest.seq_lines(self.name, 1, self.seq))
        tmtest.caught_up(self.out, want, "%s: every line" % self.name,
                         daemon=d)
        d.stop()
        return want

    def check_output(self):
        lines_ = tmtest.split_lines(tmtest.read(self.out),
                                    "the output (%s)" % self.name)
        tmtest.check_seq(lines_, {self.name: self.seq},
                         what="the output (%s)" % self.name)


def copytruncate_at_listing(t):
    """A copytruncate while tailmux is down, so that its start lists the
    directory; then another one at the worst moment, right after that
    listing and before tailmux looks at the file at the path (an
    LD_PRELOAD shim runs it as the listing's directory is closed): the
    contents the listing saw at the path are only in their copy by the time
    they are read.  Every line once, in order."""
    h = Hooked(t, "listing-copytruncate")
    path = h.path
    d = h.first_run()
    tmtest.append(path, h.lines(30))  # perhaps not read before the stop
    d.stop()
    shutil.copyfile(path, path + ".1")
    os.truncate(path, 0)
    tmtest.append(path, h.lines(40))
    third = t.write("%s.third" % h.name, h.lines(40).decode())
    h.finish(h.hooked_start(None, "cp %s %s.2 && : > %s && cat %s >> %s" % (
        path, path, path, third, path)))
    t.check(os.path.exists(path + ".2"), "%s: the shim made the second "
            "copytruncate" % h.name)
    h.check_output()
    t.ok("%s: a copytruncate between the start-up listing and the first "
         "read: every line once, in order" % h.name)


def copy_listed_first(dir_, base):
    """Creates `base' and a file with a rotated name of it in the empty
    directory `dir_', in whichever order makes a listing (readdir(3),
    which tailmux's follows) come to that file before `base'; returns its
    name, or None when no order of the two does."""
    names = ["%s.%d" % (base, i) for i in range(1, 10)]
    for copies_first in (True, False):
        order = names + [base] if copies_first else [base] + names
        for name in order:
            open(os.path.join(dir_, name), "wb").close()
        listed = os.listdir(dir_)
        before = [n for n in listed[:listed.index(base)] if n in names]
        for name in order:
            if not before or name not in (base, before[0]):
                os.unlink(os.path.join(dir_, name))
        if before:
            return before[0]
    return None


def copytruncate_mid_listing(t):
    """A copytruncate under way while tailmux starts: its listing comes to
    the copy while it is still being written (empty), then, the copy done
    and the path truncated (an LD_PRELOAD shim does both right before the
    listing opens the path), to the path.  The lines past the checkpoint's
    offset are in the copy alone; read from it, every line once, in
    order."""
    h = Hooked(t, "midlisting-copytruncate")
    path = h.path
    copy = copy_listed_first(h.dir, "app.log")
    if copy is None:
        tmtest.fail("%s: no name of a copy comes before app.log in a "
                    "listing of %s" % (h.name, h.dir))
    copy = os.path.join(h.dir, copy)
    h.first_run().stop()
    tmtest.append(path, h.lines(40))   # only in the copy, once it is made
    # The directory changes while tailmux is down, so that its start
    # lists it.
    open(os.path.join(h.dir, "other"), "wb").close()
    os.unlink(os.path.join(h.dir, "other"))
    third = t.write("%s.third" % h.name, h.lines(30).decode())
    h.finish(h.hooked_start("openat:app.log",
                            "cat %s > %s && : > %s && cat %s >> %s"
                            % (path, copy, path, third, path)))
    t.check(tmtest.size(copy) > 0, "%s: the shim made the copytruncate"
            % h.name)
    h.check_output()
    t.ok("%s: a copytruncate under way as tailmux lists the directory at "
         "its start (%s listed before app.log, empty): every line once, in "
         "order" % (h.name, os.path.basename(copy)))


def copytruncate_around_listing(t):
    """A copytruncate (more lines written first) as tailmux's start-up
    listing begins (the shim runs it as the directory is opened), after
    tailmux looked at the path: the contents the path held then, never
    seen before, are in the copy, whole, and the path holds others.  Read
    once each, in order."""
    h = Hooked(t, "aroundlisting-copytruncate")
    path = h.path
    h.first_run().stop()
    shutil.copyfile(path, path + ".1")  # read whole before the stop
    os.truncate(path, 0)
    tmtest.append(path, h.lines(40))   # never seen: no checkpoint names it
    more = t.write("%s.more" % h.name, h.lines(20).decode())
    third = t.write("%s.third" % h.name, h.lines(30).decode())
    d = h.hooked_start("opendir", "cat %s >> %s && cp %s %s.2 && : > %s && "
                       "cat %s >> %s" % (more, path, path, path, path, third,
                                         path))
    # Lines appended now come out after any read of the copy's.
    tmtest.append(path, h.lines(5))
    want = h.finish(d)
    t.check(os.path.exists(path + ".2"), "%s: the shim made the "
            "copytruncate" % h.name)
    h.check_output()
    if tmtest.size(h.out) != want:
        tmtest.fail("%s: the output holds %d bytes, expected %d"
                    % (h.name, tmtest.size(h.out), want))
    t.ok("%s: a copytruncate between tailmux's look at the path and its "
         "listing: every line once, in order" % h.name)


def gzip_being_written(t):
    """A generation tailmux was reading renamed while it was down, and
    being compressed when it starts: only its gzip, half written under a
    ".gz.tmp" name, is there (the compressor removed the file it read).
    tailmux waits for it rather than read it half or skip it; completed
    and renamed to ".gz" after tailmux said it waits, it is read from
    where the checkpoint left it, before the file at the path."""
    name = "gz-being-written"
    dir_ = t.path(name)
    os.makedirs(dir_)
    path = os.path.join(dir_, "app.log")
    out = t.path("%s.out" % name)
    cfg = t.config([(name, path, {"rotate_wait": "300ms"})],
                   name="%s.ini" % name, output="%s.out" % name)
    tmtest.append(path, tmtest.seq_lines(name, 1, 50))
    d = t.start(cfg)
    tmtest.caught_up(out, tmtest.size(path), "%s: the first lines" % name,
                     daemon=d)
    d.stop()
    tmtest.append(path, tmtest.seq_lines(name, 51, 90))  # never read
    zipped = gzip.compress(tmtest.read(path))
    os.unlink(path)
    tmp = path + ".1.gz.tmp"
    with open(tmp, "wb") as f:
        f.write(zipped[:len(zipped) // 2])
    tmtest.append(path, tmtest.seq_lines(name, 91, 120))
    d = t.start(cfg, ready=False)
    d.wait_log("is a gzip still being written")
    with open(tmp, "ab") as f:
        f.write(zipped[len(zipped) // 2:])
    os.rename(tmp, path + ".1.gz")
    d.wait_ready()
    want = len(tmtest.seq_lines(name, 1, 120))
    tmtest.caught_up(out, want, "%s: every line" % name, daemon=d)
    d.stop()
    lines = tmtest.split_lines(tmtest.read(out), "the output (%s)" % name)
    tmtest.check_seq(lines, {name: 120}, what="the output (%s)" % name)
    t.ok("%s: a gzip still being written at start-up is waited for, then "
         "read from the checkpoint's offset before the file at the path: "
         "every line once, in order" % name)


def rename_before_listing(t):
    """A rotation (rename + create) while tailmux is down, so that its
    start lists the directory; then another one at the worst moment, after
    tailmux opened the file at the path and before it lists the directory
    (an LD_PRELOAD shim runs it as the listing begins): the file it opened
    is listed under its rotated name.  It is the current file, read once,
    and the file at the path now is read after it, once."""
    name = "listing-rename"
    dir_ = t.path(name)
    os.makedirs(dir_)
    path = os.path.join(dir_, "app.log")
    out = t.path("%s.out" % name)
    cfg = t.config([(name, path, {"rotate_wait": "300ms"})],
                   name="%s.ini" % name, output="%s.out" % name)
    env = t.shim("listing_hook")
    seq = 0

    def lines(n):
        nonlocal seq
        seq += n
        return tmtest.seq_lines(name, seq - n + 1, seq)

    tmtest.append(path, lines(50))
    d = t.start(cfg)
    tmtest.caught_up(out, tmtest.size(path), "%s: the first lines" % name,
                     daemon=d)
    tmtest.append(path, lines(30))  # perhaps not read before the stop
    d.stop()
    os.rename(path, path + ".1")
    tmtest.append(path, lines(40))
    third = t.write("%s.third" % name, lines(40).decode())
    env["TMHOOK_DIR"] = dir_
    env["TMHOOK_AT"] = "opendir"
    env["TMHOOK_CMD"] = "mv %s %s.2 && cat %s >> %s" % (path, path, third,
                                                         path)
    d = t.start(cfg, env=env)
    want = len(tmtest.seq_lines(name, 1, seq))
    tmtest.caught_up(out, want, "%s: every line" % name, daemon=d)
    d.stop()
    t.check(os.path.exists(path + ".2"), "%s: the shim made the second "
            "rotation" % name)
    lines_ = tmtest.split_lines(tmtest.read(out), "the output (%s)" % name)
    tmtest.check_seq(lines_, {name: seq}, what="the output (%s)" % name)
    t.ok("%s: a rotation between the start-up open and the listing: every "
         "line once, in order" % name)


def copytruncate_window(t):
    """copytruncate's window: lines written between its copy and its
    truncation are read at the path and are in no copy, so the copy holds
    fewer bytes than were read.  It is the truncated contents' copy all
    the same, with nothing left to read: the checkpoint names it as read
    to its end (so that no later plan takes it for contents never seen),
    and after a kill -9 and a restart every line is out once."""
    name = "window-copytruncate"
    dir_ = t.path(name)
    os.makedirs(dir_)
    path = os.path.join(dir_, "app.log")
    out = t.path("%s.out" % name)
    state = t.path("%s.state" % name)
    cfg = t.config([(name, path, {"rotate_wait": "300ms"})],
                   name="%s.ini" % name, output="%s.out" % name,
                   checkpoint_interval="100ms")
    tmtest.append(path, tmtest.seq_lines(name, 1, 50))
    d = t.start(cfg)
    tmtest.caught_up(out, tmtest.size(path), "%s: the first lines" % name,
                     daemon=d)
    shutil.copyfile(path, path + ".1")
    tmtest.append(path, tmtest.seq_lines(name, 51, 60))  # the window
    tmtest.caught_up(out, tmtest.size(path), "%s: the window" % name,
                     daemon=d)
    os.truncate(path, 0)
    ino = os.stat(path + ".1").st_ino
    d.wait_log("holds nothing past offset")

    def named_done():
        try:
            with open(state) as f:
                return any(line.startswith("done ") and
                           line.split()[2] == str(ino) for line in f)
        except OSError:
            return False
    tmtest.wait_for(named_done, "the checkpoint to name the copy as read "
                    "to its end", daemon=d)
    d.kill()
    tmtest.append(path, tmtest.seq_lines(name, 61, 80))
    d = t.start(cfg)
    want = len(tmtest.seq_lines(name, 1, 80))
    tmtest.caught_up(out, want, "%s: every line" % name, daemon=d)
    d.stop()
    lines = tmtest.split_lines(tmtest.read(out), "the output (%s)" % name)
    tmtest.check_seq(lines, {name: 80}, what="the output (%s)" % name)
    t.ok("%s: a copy shorter than what was read is known as read to its "
         "end; every line once, in order" % name)


def test(t):
    seed = int(os.environ.get("TMTEST_SEED") or time.time_ns() % 2**32)
    print("# seed %d (replay with TMTEST_SEED=%d)" % (seed, seed), flush=True)
    rng = random.Random(seed)
    names = ["rename", "copytruncate"]
    if shutil.which("logrotate"):
        names += ["logrotate-create", "logrotate-copytruncate",
                  "logrotate-dateext", "logrotate-olddir",
                  "logrotate-compress", "logrotate-delaycompress"]
    else:
        print("# logrotate is not installed: its scenarios are skipped")
    only = os.environ.get("TMTEST_ONLY")  # to replay one scenario
    if only:
        names = [n for n in only.split(",")]
    failed = []
    unseen = 0
    if shutil.which("logrotate") and not only:
        for scheme in ("create", "copytruncate"):
            for n in (2, 3):
                while_stopped(t, scheme, n)
        while_stopped(t, "create", 3, dateformat=".%Y-%m-%d.%H%M%S")
        empty_copytruncate_kill(t)
        gzip_being_written(t)
        copytruncate_at_listing(t)
        copytruncate_mid_listing(t)
        copytruncate_around_listing(t)
        rename_before_listing(t)
        copytruncate_window(t)
    runs = [(name, KILLS) for name in names]
    if not only:  # logrotate's schemes while tailmux runs on, too
        runs = [(name, 0) for name in names
                if name.startswith("logrotate-")] + runs
    for name, kills in runs:
        try:
            unseen += crash_loop(t, rng, name, kills)
        except tmtest.Fail as e:
            print("# FAILED: %s (%d kills): %s" % (name, kills, e),
                  flush=True)
            failed.append(name if kills else name + "-live")
        for d in t.daemons:
            d.kill()
    if failed:
        tmtest.fail("the crash loop failed for %s (seed %d)"
                    % (", ".join(failed), seed))
    # The loops must have made the case this test is about.
    t.check(unseen > 0, "some restart found generations never seen",
            "no restart did: the scenario did not test what it should")


if __name__ == "__main__":
    tmtest.main(test)
