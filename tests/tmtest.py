"""Shared helpers for the tailmux integration tests (Python 3 stdlib only).

Each tests/test_<name>.py runs the real binary (env TAILMUX) on real files
in a fresh temporary directory, and exits 0 on success, 1 on failure and
77 when it has to be skipped (the automake convention).

Rules the tests follow, and that these helpers make easy:

  * Synchronise only on conditions, with a deadline: wait_for(predicate)
    polls every 10 ms and fails with a clear message on timeout.  There is
    no bare sleep "to let things happen" anywhere.
  * Check exactly-once and order with numbered lines: every writer writes
    lines "<file-id> <seq> <padding>\\n" (seq_line), the padding being a
    function of (file-id, seq), and check_seq() asserts that for each file
    the sequence is 1..N with no gap, duplicate or cut line.

Deadlines are generous (TIMEOUT, 30 s by default, scaled by the environment
variable TMTEST_TIMEOUT_SCALE) so that the suite also passes under
AddressSanitizer; the normal run time stays short because every wait ends
as soon as its condition holds.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

TIMEOUT = 30.0 * float(os.environ.get("TMTEST_TIMEOUT_SCALE", "1"))
POLL = 0.01

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_SKIP = 77


class Fail(Exception):
    """A check failed."""


class Skip(Exception):
    """The test cannot run here."""


def fail(msg):
    raise Fail(msg)


# ------------------------------------------------------------------ waiting

def fnv1a(data):
    """tailmux's state_hash(): FNV-1a, 64 bits (fingerprints, and the
    checkpoint's own hash)."""
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def wait_for(pred, what, timeout=None, daemon=None):
    """Polls pred() every 10 ms until it returns a true value, which is
    returned.  Fails after `timeout' seconds (default TIMEOUT) saying what
    was awaited; fails at once if `daemon' exits meanwhile."""
    timeout = TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if daemon is not None and daemon.proc.poll() is not None:
            v = pred()
            if v:
                return v
            fail("tailmux exited with status %s while waiting for %s\n%s"
                 % (daemon.proc.returncode, what, daemon.stderr_tail()))
        if time.monotonic() >= deadline:
            extra = ""
            if daemon is not None:
                extra = "\n" + daemon.stderr_tail()
            fail("timed out after %.0f s waiting for %s%s"
                 % (timeout, what, extra))
        time.sleep(POLL)


# ------------------------------------------------------------ numbered lines

_PAD = (b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" * 4)


def seq_pad(fid, seq):
    """The padding of line `seq' of file `fid': 0 to 100 bytes that depend
    on both, so that a cut or spliced line is noticed."""
    n = (seq * 37 + len(fid) * 11 + sum(fid.encode())) % 101
    start = (seq * 7 + len(fid)) % 62
    return _PAD[start:start + n]


def seq_line(fid, seq):
    """Line `seq' of file `fid', with its newline."""
    return b"%s %d %s\n" % (fid.encode(), seq, seq_pad(fid, seq))


def seq_lines(fid, first, last):
    """Lines first..last (inclusive) of file `fid', as one bytes."""
    return b"".join(seq_line(fid, s) for s in range(first, last + 1))


def split_lines(data, what="the output"):
    """The lines of `data' without their newlines; fails unless `data' is
    empty or ends with a newline (a cut last line)."""
    if not data:
        return []
    if not data.endswith(b"\n"):
        fail("%s does not end with a newline: it ends with %r"
             % (what, data[-80:]))
    return data[:-1].split(b"\n")


def check_seq(lines, expect, prefix=False, what="the output"):
    """Checks numbered lines (payloads without newline, in output order).

    `expect' maps each file-id to its line count N.  For each file the lines
    must be 1..N in order, each exactly once and whole (its padding exact);
    no other line may appear.  With prefix=True each file may stop early:
    its lines are 1..k for some k <= N.  Returns {file-id: count seen}."""
    last = {fid: 0 for fid in expect}
    for i, line in enumerate(lines, 1):
        parts = line.split(b" ", 2)
        if len(parts) != 3:
            fail("%s line %d is not '<file> <seq> <padding>': %r"
                 % (what, i, line[:120]))
        try:
            fid = parts[0].decode()
            seq = int(parts[1])
        except ValueError:
            fail("%s line %d is not '<file> <seq> <padding>': %r"
                 % (what, i, line[:120]))
        if fid not in last:
            fail("%s line %d names unknown file %r: %r"
                 % (what, i, fid, line[:120]))
        if parts[2] != seq_pad(fid, seq):
            fail("%s line %d is not a whole line (cut or spliced): %r"
                 % (what, i, line[:160]))
        want = last[fid] + 1
        if seq != want:
            if seq <= last[fid]:
                fail("%s line %d: file %s line %d again or out of order "
                     "(after line %d)" % (what, i, fid, seq, last[fid]))
            fail("%s line %d: file %s jumps from line %d to %d: lines "
                 "%d..%d are missing" % (what, i, fid, last[fid], seq,
                                         want, seq - 1))
        if expect[fid] is not None and seq > expect[fid]:
            fail("%s line %d: file %s line %d, but only %d were written"
                 % (what, i, fid, seq, expect[fid]))
        last[fid] = seq
    if not prefix:
        for fid, n in sorted(expect.items()):
            if last[fid] != n:
                fail("%s holds lines 1..%d of file %s, expected 1..%d"
                     % (what, last[fid], fid, n))
    return last


def caught_up(out, expected, what, daemon=None):
    """Waits until the output file `out' holds `expected' bytes, and fails
    if it then holds any other number (a line lost, repeated or cut)."""
    wait_for(lambda: size(out) >= expected,
             "the output to reach %d bytes (%s)" % (expected, what),
             daemon=daemon)
    got = size(out)
    if got != expected:
        fail("the output holds %d bytes, expected %d (%s)"
             % (got, expected, what))


class OutputTail:
    """Follows a growing output file and counts its numbered lines per
    file-id as they appear (checking them as check_seq does)."""

    def __init__(self, path, fids):
        self.path = path
        self.offset = 0
        self.rest = b""
        self.counts = {fid: 0 for fid in fids}

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return self.counts
        self.offset += len(data)
        data = self.rest + data
        cut = data.rfind(b"\n") + 1
        self.rest = data[cut:]
        for line in data[:cut - 1].split(b"\n") if cut else []:
            parts = line.split(b" ", 2)
            if len(parts) != 3:
                fail("bad output line %r" % line[:120])
            fid = parts[0].decode(errors="replace")
            if fid not in self.counts:
                fail("output line names unknown file: %r" % line[:120])
            seq = int(parts[1])
            if seq != self.counts[fid] + 1 or parts[2] != seq_pad(fid, seq):
                fail("output line %r out of order, repeated or cut (file "
                     "%s had %d lines so far)" % (line[:120], fid,
                                                  self.counts[fid]))
            self.counts[fid] = seq
        return self.counts


# ------------------------------------------------------------------ files

def append(path, data):
    """Appends `data' to `path' (created if missing) with write(2) calls
    until all of it is written."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        write_all(fd, data)
    finally:
        os.close(fd)


def write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


def size(path):
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return -1


# ------------------------------------------------------------------ tailmux

def binary():
    path = os.environ.get("TAILMUX")
    if not path:
        here = os.path.dirname(os.path.abspath(__file__))
        cand = os.path.join(here, "..", "src", "tailmux")
        if os.access(cand, os.X_OK):
            return os.path.abspath(cand)
        raise Skip("TAILMUX is not set (the path of the tailmux binary)")
    if not os.access(path, os.X_OK):
        raise Skip("TAILMUX=%s is not an executable" % path)
    return path


def rss_kib(pid):
    """The resident set size of process `pid', in KiB (0 if not told)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def sanitized(path):
    """True if the binary is built with ASan or TSan, whose shadow memory
    and quarantine make its RSS no measure of ours."""
    with open(path, "rb") as f:
        data = f.read()
    return b"__asan_init" in data or b"__tsan_init" in data


class Daemon:
    """A running tailmux, its stderr going to a file in the test directory."""

    def __init__(self, test, args, name, env=None):
        self.test = test
        self.args = args
        self.errpath = os.path.join(test.dir, name + ".stderr")
        self.outpath = os.path.join(test.dir, name + ".stdout")
        with open(self.errpath, "wb") as err, open(self.outpath, "wb") as out:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err, cwd="/",
                                         env=env)

    def stderr(self):
        return read(self.errpath).decode(errors="replace")

    def stderr_tail(self, n=25):
        lines = self.stderr().splitlines()
        return "tailmux stderr (last %d of %d lines):\n  %s" % (
            min(n, len(lines)), len(lines), "\n  ".join(lines[-n:]))

    def wait_log(self, text, timeout=None):
        """Waits until tailmux has logged a line containing `text'."""
        return wait_for(lambda: text in self.stderr(),
                        "tailmux to log %r" % text, timeout, daemon=self)

    def wait_ready(self):
        """Waits for the start-up message, logged once every input has been
        opened and every inotify watch set up."""
        self.wait_log("tailmux: following ")

    def send(self, sig):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout=None):
        timeout = TIMEOUT if timeout is None else timeout
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            fail("tailmux did not exit within %.0f s\n%s"
                 % (timeout, self.stderr_tail()))

    def stop(self, sig=signal.SIGTERM, expect=0):
        """Sends `sig', waits for the exit and checks its status."""
        self.send(sig)
        rc = self.wait_exit()
        if expect is not None and rc != expect:
            fail("tailmux exited with status %d after %s, expected %d\n%s"
                 % (rc, signal.Signals(sig).name, expect, self.stderr_tail()))
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass


class Test:
    """One test: its temporary directory, its daemons and its checks."""

    def __init__(self, name):
        self.name = name
        self.bin = binary()
        self.dir = os.path.realpath(tempfile.mkdtemp(prefix="tailmux-%s-"
                                                     % name))
        self.daemons = []
        self.mounts = []
        self.nruns = 0
        self.checks = 0

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def ok(self, msg):
        self.checks += 1
        print("ok %d - %s" % (self.checks, msg), flush=True)

    def check(self, cond, msg, detail=""):
        if not cond:
            fail(msg + (": " + detail if detail else ""))
        self.ok(msg)

    def write(self, name, text):
        """Writes a file (a config, say) in the test directory."""
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w" if isinstance(text, str) else "wb") as f:
            f.write(text)
        return path

    def config(self, inputs, name="tailmux.ini", output="out.log",
               fmt=None, out_opts=None, **tailmux):
        """Writes an INI file.  `inputs' is a list of (name, paths, opts)
        where paths is a path or a list of them and opts a dict of keys
        (tag, start); `out_opts' holds more [output] keys (rotate_interval
        is none unless given, so that no test depends on the date);
        `tailmux' holds [tailmux] keys.  Returns its path."""
        text = "[tailmux]\n"
        tailmux.setdefault("workers", 2)
        # Each run keeps its checkpoint beside its configuration.
        tailmux.setdefault("state_file", os.path.splitext(name)[0] + ".state")
        for k, v in tailmux.items():
            text += "%s = %s\n" % (k, v)
        text += "\n[output]\npath = %s\n" % output
        if fmt is not None:
            text += "format = %s\n" % fmt
        out_opts = dict(out_opts or {})
        out_opts.setdefault("rotate_interval", "none")
        for k, v in out_opts.items():
            text += "%s = %s\n" % (k, v)
        for iname, paths, *rest in inputs:
            opts = rest[0] if rest else {}
            text += "\n[input:%s]\n" % iname
            for p in [paths] if isinstance(paths, str) else paths:
                text += "path = %s\n" % p
            for k, v in opts.items():
                text += "%s = %s\n" % (k, v)
        return self.write(name, text)

    def run(self, *args, timeout=None, check_rc=None):
        """Runs tailmux to completion; returns (status, stdout, stderr) as
        str.  With check_rc, fails unless the status is that."""
        timeout = TIMEOUT if timeout is None else timeout
        argv = [self.bin] + [str(a) for a in args]
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=timeout, cwd="/")
        except subprocess.TimeoutExpired:
            fail("%s did not exit within %.0f s" % (" ".join(argv), timeout))
        out = p.stdout.decode(errors="replace")
        err = p.stderr.decode(errors="replace")
        if check_rc is not None and p.returncode != check_rc:
            fail("%s exited with status %d, expected %d\nstdout:\n%s\n"
                 "stderr:\n%s" % (" ".join(argv[1:]), p.returncode, check_rc,
                                  out, err))
        return p.returncode, out, err

    def once(self, cfg, timeout=None):
        """tailmux --once -c cfg, which must exit 0; returns its stderr."""
        return self.run("--once", "-c", cfg, timeout=timeout, check_rc=0)[2]

    def start(self, cfg, *args, ready=True, env=None, argv=None):
        """Starts tailmux -c cfg in the background (cwd /, so that relative
        paths can only resolve against the config's directory) and waits
        until it follows its inputs.  `env' replaces the environment;
        `argv' is put before the binary (a wrapper that execs it)."""
        self.nruns += 1
        d = Daemon(self, list(argv or []) + [self.bin, "-c", cfg] + list(args),
                   "tailmux%d" % self.nruns, env=env)
        self.daemons.append(d)
        if ready:
            d.wait_ready()
        return d

    def exact(self, out, expected, written):
        """Checks that `out' holds exactly `expected' bytes and in them
        the numbered lines 1..written[fid] of each file, once, whole and
        in order (check_seq)."""
        data = read(out)
        self.check(len(data) == expected, "the output holds exactly the "
                   "lines written (%d bytes)" % expected,
                   "it holds %d" % len(data))
        check_seq(split_lines(data), written)

    def tmpfs(self, name, size="256k"):
        """Mounts a tmpfs of `size' at a new directory `name' in the test
        directory (unmounted at cleanup) and returns its path; skips the
        test where that cannot be done (not root, no mount)."""
        if os.geteuid() != 0:
            raise Skip("mounting a small tmpfs needs root")
        mnt = self.path(name)
        os.makedirs(mnt)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size,
                            "tmpfs", mnt], capture_output=True)
        if r.returncode != 0:
            raise Skip("cannot mount a tmpfs here: %s"
                       % r.stderr.decode(errors="replace").strip())
        self.mounts.append(mnt)
        return mnt

    def shim(self, name):
        """Builds tests/shim/NAME.c into an LD_PRELOAD library in the test
        dir and returns the environment that preloads it (ASan, when the
        binary has it, is told not to mind coming second).  Skips the test
        when no C compiler can build it."""
        src = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "shim", name + ".c")
        lib = self.path(name + ".so")
        cc = os.environ.get("CC_FOR_SHIM", "cc")
        r = subprocess.run([cc, "-shared", "-fPIC", "-O1", "-o", lib, src,
                            "-ldl"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        if r.returncode != 0:
            raise Skip("cannot build the %s shim: %s"
                       % (name, r.stdout.decode(errors="replace")[-300:]))
        env = dict(os.environ, LD_PRELOAD=lib)
        env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") +
                               ":verify_asan_link_order=0").lstrip(":")
        return env

    def cleanup(self):
        for d in self.daemons:
            d.kill()
        for mnt in self.mounts:
            subprocess.run(["umount", "-l", mnt], capture_output=True)
        if os.environ.get("TMTEST_KEEP"):
            print("# kept %s" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def _alarm(signum, frame):
    raise Fail("the test as a whole took more than %.0f s" % (TIMEOUT * 8))


def cpu_seconds(pid):
    """The CPU time (user + system, all threads) process `pid' has used."""
    with open("/proc/%d/stat" % pid, "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(fn):
    """Runs fn(test) and exits 0, 1 or 77."""
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    name = name[5:] if name.startswith("test_") else name
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(int(TIMEOUT * 8))
    t = None
    try:
        t = Test(name)
        fn(t)
    except Skip as e:
        print("SKIP: %s: %s" % (name, e))
        rc = EXIT_SKIP
    except Fail as e:
        print("FAIL: %s: %s" % (name, e))
        if t is not None:
            for d in t.daemons:
                print("# %s\n# %s" % (" ".join(d.args),
                                      d.stderr_tail().replace("\n", "\n# ")))
        rc = EXIT_FAIL
    except Exception:
        traceback.print_exc()
        print("FAIL: %s: unexpected error" % name)
        rc = EXIT_FAIL
    else:
        print("PASS: %s (%d checks)" % (name, t.checks))
        rc = EXIT_PASS
    finally:
        signal.alarm(0)
        if t is not None:
            t.cleanup()
    sys.stdout.flush()
    sys.exit(rc)
