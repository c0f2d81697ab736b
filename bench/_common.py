"""Shared helpers for the tailmux benchmarks (Python 3 standard library only).

Not part of `make check`.  Every benchmark runs tailmux and its references
(cat, GNU tail, rsyslogd with imfile) in the same measuring process, one
after the other inside each round, and reports medians over the rounds.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- machine

def machine():
    """nproc, CPU model name and kernel, as one dict."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    u = os.uname()
    try:
        with open("/proc/loadavg") as f:
            load = " ".join(f.read().split()[:3])
    except OSError:
        load = "?"
    return {
        "loadavg": load,
        "nproc": os.cpu_count(),
        "nproc_usable": len(os.sched_getaffinity(0)),
        "model": model,
        "kernel": "%s %s %s" % (u.sysname, u.release, u.machine),
    }


def machine_line(m=None):
    m = m or machine()
    return "machine: nproc=%d (usable %d), %s, %s (load average at start: %s)" % (
        m["nproc"], m["nproc_usable"], m["model"], m["kernel"],
        m.get("loadavg", "?"))


# ---------------------------------------------------------------- binaries

def find_tailmux():
    """$TAILMUX; else src/tailmux under the current directory (a build
    dir), ../src/tailmux (cwd = BUILD/bench), ../src/tailmux next to this
    script (in-tree build); else `tailmux` on PATH."""
    env = os.environ.get("TAILMUX")
    if env:
        p = env if os.sep in env else shutil.which(env)
        if p and os.access(p, os.X_OK):
            return os.path.abspath(p)
        sys.exit("bench: TAILMUX=%s is not an executable" % env)
    for p in ("src/tailmux", "../src/tailmux",
              os.path.join(HERE, "..", "src", "tailmux")):
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return os.path.abspath(p)
    p = shutil.which("tailmux")
    if p:
        return p
    sys.exit("bench: no tailmux binary: set TAILMUX=/path/to/build/src/tailmux")


def find_bench_prog(name, tailmux=None):
    """The path of a C helper of the benches (probe, writer), built by
    `make' as bench/NAME: next to this script (in-tree build), in the
    build dir of `tailmux' (BUILD/src/tailmux -> BUILD/bench/NAME), under
    the current directory (bench/NAME, NAME); else compiled from
    bench/NAME.c with $CC (default cc) -O2 into a cache directory."""
    cands = [os.path.join(HERE, name)]
    if tailmux:
        cands.append(os.path.join(os.path.dirname(os.path.dirname(tailmux)),
                                  "bench", name))
    cands += [os.path.join("bench", name), name]
    src = os.path.join(HERE, name + ".c")
    for p in cands:
        if os.path.isfile(p) and os.access(p, os.X_OK):
            if (os.path.exists(src) and
                    os.path.getmtime(p) < os.path.getmtime(src)):
                continue  # stale: built before its source changed
            return os.path.abspath(p)
    cache = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                         "tailmux-bench-%d" % os.getuid())
    os.makedirs(cache, exist_ok=True)
    out = os.path.join(cache, name)
    if (os.path.exists(out) and
            os.path.getmtime(out) >= os.path.getmtime(src)):
        return out
    cc = os.environ.get("CC", "cc")
    argv = [cc, "-O2", "-Wall", "-Wextra", "-pthread", "-o", out, src]
    print("bench: %s" % " ".join(argv), file=sys.stderr)
    if subprocess.run(argv).returncode != 0:
        sys.exit("bench: could not build %s" % src)
    return out


def find_tail():
    p = shutil.which("tail")
    if p is None:
        return None
    try:
        v = subprocess.run([p, "--version"], capture_output=True, text=True)
    except OSError:
        return None
    return p if "GNU coreutils" in v.stdout else None


def ensure_rsyslogd(install=True):
    """Path of rsyslogd, installing the Debian package if it is missing and
    we are root; None (after saying why) if it cannot be had."""
    for p in (shutil.which("rsyslogd"), "/usr/sbin/rsyslogd", "/sbin/rsyslogd"):
        if p and os.access(p, os.X_OK):
            return p
    if not install:
        print("bench: rsyslogd not found and --no-rsyslog-install given; "
              "skipping rsyslog", file=sys.stderr)
        return None
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print("bench: rsyslogd not found and we are not root with apt-get; "
              "skipping rsyslog (apt-get install -y rsyslog to include it)",
              file=sys.stderr)
        return None
    print("bench: installing rsyslog (apt-get install -y rsyslog) ...",
          file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "-q", "rsyslog"]
    r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL)
    if r.returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env,
                       stdout=subprocess.DEVNULL)
        r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL)
    # The package may have started the system's own rsyslogd (on a machine
    # with systemd): ours runs with its own config, pid file and work dir.
    for p in (shutil.which("rsyslogd"), "/usr/sbin/rsyslogd"):
        if p and os.access(p, os.X_OK):
            return p
    print("bench: could not install rsyslog; skipping it", file=sys.stderr)
    return None


def rsyslog_version(rsyslogd):
    try:
        out = subprocess.run([rsyslogd, "-v"], capture_output=True,
                             text=True).stdout
        first = out.splitlines()[0]
        return " ".join(first.replace("compiled with:", "").split())
    except (OSError, IndexError):
        return "rsyslogd"


# ---------------------------------------------------------------- stats

def median(xs):
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return float("nan")
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


LATENCY_KEYS = ("p50_ms", "p99_ms", "max_ms", "cpu_s", "cpu_exact_s",
                "window_s")


def summarize_latency(runs, names, ok_key):
    """{name: medians of LATENCY_KEYS over the runs that measured, with
    "runs" and ok_key (every run's "ok") } or None where none measured."""
    summary = {}
    for k in names:
        good = [x for x in runs[k] if "p99_ms" in x]
        if not good:
            summary[k] = None
            continue
        summary[k] = {key: median([x[key] for x in good])
                      for key in LATENCY_KEYS}
        summary[k]["runs"] = len(good)
        summary[k][ok_key] = all(x["ok"] for x in runs[k])
    return summary


def latency_header(first, ok_title):
    """Prints the header of a latency table (see latency_row)."""
    print("| %s | p50 ms | p99 ms | max ms | CPU s (stat) | CPU s (exact) "
          "| %s |" % (first, ok_title))
    print("|---|---|---|---|---|---|---|")


def latency_row(name, s, ok_key):
    """Prints one row: the medians summarize_latency() made for `name'."""
    if s is None:
        print("| %s | failed | | | | | no |" % name)
        return
    print("| %s | %.3f | %.3f | %.3f | %.2f | %.3f | %s |"
          % (name, s["p50_ms"], s["p99_ms"], s["max_ms"], s["cpu_s"],
             s["cpu_exact_s"], "yes" if s[ok_key] else "NO"))


def percentile(sorted_xs, p):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_xs:
        return float("nan")
    k = max(0, min(len(sorted_xs) - 1,
                   int(-(-p * len(sorted_xs) // 100)) - 1))
    return sorted_xs[k]


# ---------------------------------------------------------------- /proc

def proc_cpu(pid):
    if pid is None:
        return 0.0, 0.0
    return _proc_cpu(pid)


def _proc_cpu(pid):
    """(utime+stime in seconds from /proc/PID/stat, the sum of the
    threads' sum_exec_runtime in seconds from /proc/PID/task/*/schedstat).
    The first is what `ps` shows (tick resolution); the second is
    nanosecond-exact but misses threads that have already exited."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime is field 14, stime 15.
    ticks = int(fields[11]) + int(fields[12])
    run_ns = 0
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                    run_ns += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    except OSError:
        pass
    return ticks / CLK_TCK, run_ns / 1e9


def proc_wakeups(pid):
    """The context switches (voluntary + nonvoluntary) of the threads of
    `pid' now alive, from /proc/PID/task/*/status: how often the tool was
    woken (or put off the CPU).  0 for no process."""
    if pid is None:
        return 0
    n = 0
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return 0
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches",
                                        "nonvoluntary_ctxt_switches")):
                        n += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
    return n


def proc_status(pid):
    """VmRSS, VmHWM in KiB and Threads from /proc/PID/status."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "Threads"):
                out[k] = int(v.split()[0])
    return out


# ---------------------------------------------------------------- files

def count_lines(path, chunk=8 << 20):
    n = 0
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk)
            if not b:
                return n
            n += b.count(b"\n")


class Follower:
    """Reads what is appended to a file, incrementally; counts lines and
    hands back complete lines.  Reading starts at `offset' of the first
    file opened.  With follow_name, the path is followed across a rename:
    once `path' names another file (another inode), the old file is read to
    its end and reading goes on in the new one from its start
    (`switches' counts that)."""

    def __init__(self, path, offset=0, follow_name=False):
        self.path = path
        self.fd = None
        self.ino = None
        self.offset = offset
        self.follow_name = follow_name
        self.switches = 0
        self.lines = 0
        self.bytes = 0
        self.partial = b""

    def _open(self):
        if self.fd is None:
            try:
                self.fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                return False
            self.ino = os.fstat(self.fd).st_ino
            if self.offset:
                os.lseek(self.fd, self.offset, os.SEEK_SET)
                self.offset = 0
        return True

    def _drain(self, got, keep):
        while True:
            b = os.read(self.fd, 4 << 20)
            if not b:
                return
            self.bytes += len(b)
            if keep:
                got.append(b)
            else:
                self.lines += b.count(b"\n")

    def _replaced(self):
        try:
            return os.stat(self.path).st_ino != self.ino
        except FileNotFoundError:
            return False  # between the rename and the new file: stay

    def read(self, keep=False):
        """Reads everything new; returns the new complete lines (a list of
        bytes) if keep, else their number."""
        if not self._open():
            return [] if keep else 0
        got = []
        self._drain(got, keep)
        while self.follow_name and self._replaced():
            # What was written to the old file after the read above and
            # before the rename, then the new file from its start.
            self._drain(got, keep)
            os.close(self.fd)
            self.fd = None
            self.switches += 1
            if not self._open():
                break
            self._drain(got, keep)
        if not keep:
            return self.lines
        if not got:
            return []
        data = self.partial + b"".join(got)
        parts = data.split(b"\n")
        self.partial = parts.pop()
        self.lines += len(parts)
        return parts

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


IN_MODIFY = 0x2
IN_MOVED_FROM = 0x40
IN_MOVED_TO = 0x80
IN_CREATE = 0x100


def inotify_waiter(path, mask=IN_MODIFY):
    """An object whose wait(timeout) returns when `path' was modified (via
    inotify through ctypes; `mask' says which events: on a directory,
    IN_MODIFY also reports writes to the files in it), or None if inotify
    cannot be had."""
    try:
        import ctypes
        import select
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.inotify_init1(os.O_CLOEXEC | os.O_NONBLOCK)
        if fd < 0:
            return None
        if libc.inotify_add_watch(fd, path.encode(), mask) < 0:
            os.close(fd)
            return None
    except (OSError, AttributeError):
        return None

    class W:
        def wait(self, timeout):
            r, _, _ = select.select([fd], [], [], timeout)
            if r:
                try:
                    while os.read(fd, 65536):
                        pass
                except BlockingIOError:
                    pass

        def close(self):
            os.close(fd)

    return W()


# ---------------------------------------------------------------- tools

class Proc:
    """A started tool: its Popen, and how to stop it."""

    def __init__(self, name, popen, stderr_path):
        self.name = name
        self.p = popen
        self.pid = popen.pid
        self.stderr_path = stderr_path

    def alive(self):
        return self.p.poll() is None

    def stop(self, timeout=30):
        """SIGTERM, then wait; SIGKILL after `timeout'. Returns the exit
        status (negative for a signal) and whether it had to be killed."""
        killed = False
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
                killed = True
        return self.p.returncode, killed

    def stderr_tail(self, n=5):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


class NoProc:
    """Stands for no tool at all (the harness's floor)."""
    pid = None
    name = "floor"

    def alive(self):
        return True

    def stop(self, timeout=0):
        return 0, False

    def stderr_tail(self, n=5):
        return ""


def tailmux_conf(path, files, out, workdir, start="head", workers=2,
                 output=()):
    """`output': more (key, value) pairs for the [output] section."""
    with open(path, "w") as f:
        f.write("[tailmux]\nworkers = %d\nstate_file = %s\n"
                "[output]\npath = %s\nformat = raw\n"
                % (workers, os.path.join(workdir, "tailmux.state"), out))
        for k, v in output:
            f.write("%s = %s\n" % (k, v))
        for i, p in enumerate(files):
            f.write("[input:in%d]\npath = %s\nstart = %s\n" % (i, p, start))


RSYSLOG_TEMPLATE = 'template(name="raw" type="string" string="%msg%\\n")'


def rsyslog_conf(path, files, out, workdir):
    """Only our own config: no imuxsock/imklog, imfile in inotify mode, each
    input bound to its own ruleset so rsyslogd's internal messages cannot
    reach the output."""
    with open(path, "w") as f:
        f.write('global(workDirectory="%s")\n' % workdir)
        f.write('module(load="imfile" mode="inotify")\n')
        f.write(RSYSLOG_TEMPLATE + "\n")
        for i, p in enumerate(files):
            f.write('input(type="imfile" File="%s" Tag="t%d" '
                    'ruleset="bench")\n' % (p, i))
        f.write('ruleset(name="bench") {\n'
                '  action(type="omfile" file="%s" template="raw")\n}\n' % out)
        # rsyslogd's own messages, kept apart for debugging.
        f.write('action(type="omfile" file="%s")\n'
                % os.path.join(workdir, "rsyslogd-internal.log"))


def start_tool(kind, files, out, workdir, bins, once=False, start="head",
               tailmux_output=()):
    """Starts `kind' (tailmux, rsyslog, tail) following `files' into `out'.
    `workdir' is a fresh directory for its config and state;
    `tailmux_output' goes to tailmux's [output] section (tailmux_conf)."""
    os.makedirs(workdir, exist_ok=True)
    errp = os.path.join(workdir, kind + ".stderr")
    err = open(errp, "wb")
    try:
        if kind == "tailmux":
            conf = os.path.join(workdir, "tailmux.ini")
            tailmux_conf(conf, files, out, workdir, start=start,
                         output=tailmux_output)
            argv = [bins["tailmux"], "-c", conf] + (["--once"] if once else [])
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                 stdout=err, stderr=err)
        elif kind == "rsyslog":
            conf = os.path.join(workdir, "rsyslog.conf")
            rsyslog_conf(conf, files, out, workdir)
            argv = [bins["rsyslog"], "-n", "-f", conf, "-i",
                    os.path.join(workdir, "rsyslogd.pid")]
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                 stdout=err, stderr=err)
        elif kind == "tail":
            with open(out, "ab") as o:
                argv = [bins["tail"], "-q", "-F", "-n", "+1"] + list(files)
                p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=o, stderr=err)
        else:
            raise ValueError(kind)
    finally:
        err.close()
    return Proc(kind, p, errp)


def tool_bins(args, want_rsyslog=True, want_tail=True):
    bins = {"tailmux": find_tailmux()}
    if want_tail:
        t = find_tail()
        if t:
            bins["tail"] = t
        else:
            print("bench: GNU tail not found; skipping it", file=sys.stderr)
    if want_rsyslog and not getattr(args, "no_rsyslog", False):
        r = ensure_rsyslogd(install=not getattr(args, "no_rsyslog_install",
                                                False))
        if r:
            bins["rsyslog"] = r
    return bins


def stop_tool(res, tool, proc):
    """Stops the tool; a tailmux that does not exit 0 on SIGTERM makes the
    run fail."""
    status, killed = proc.stop()
    if tool == "tailmux" and (status != 0 or killed):
        res["ok"] = False
        res["problem"] = (res.get("problem", "") +
                          " tailmux: exit status %s%s after SIGTERM"
                          % (status, " (killed after 30 s)"
                             if killed else "")).strip()


def wait_lines(follower, want, deadline, proc=None, poll=0.002):
    """Waits until `follower' has seen `want' lines; False at the deadline
    (time.monotonic()) or if `proc' exits first."""
    while True:
        if follower.read() >= want:
            return True
        if time.monotonic() > deadline:
            return False
        if proc is not None and not proc.alive():
            return follower.read() >= want
        time.sleep(poll)


def run_rounds(tools, nruns, run_one, done_key, show, mine=("tailmux",)):
    """Runs every tool once per round, each round starting one tool later,
    so that each measurement sits next to its references.  run_one(tool,
    r) returns a result dict, with `done_key' in it when the run worked and
    a "problem" when something was wrong; show(r, tool, res) prints a
    worked run.  Returns ({tool: [results]}, the problems of the tools in
    `mine' (tailmux's), the references' notes)."""
    runs = {k: [] for k in tools}
    problems, notes = [], []
    for r in range(nruns):
        order = tools[r % len(tools):] + tools[:r % len(tools)]
        for tool in order:
            res = run_one(tool, r)
            runs[tool].append(res)
            if res.get("problem"):
                (problems if tool in mine else
                 notes).append(res["problem"])
            if done_key in res:
                show(r, tool, res)
            else:
                print("run %d %-8s FAILED: %s"
                      % (r + 1, tool, res.get("problem")), flush=True)
    return runs, problems, notes


def dump_json(path, obj):
    if path:
        with open(path, "w") as f:
            json.dump(obj, f, indent=1)


def add_common_args(ap):
    ap.add_argument("--json", metavar="FILE",
                    help="also write the results as JSON to FILE")
    ap.add_argument("--dir", metavar="DIR", default=None,
                    help="where to make the temp dir (default $TMPDIR or "
                         "/tmp)")
    ap.add_argument("--no-rsyslog", action="store_true",
                    help="leave rsyslog out")
    ap.add_argument("--no-rsyslog-install", action="store_true",
                    help="do not apt-get install rsyslog if it is missing")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temp dir (its path is printed)")
