#!/usr/bin/env python3
"""Ten thousand files at systemd's default descriptor limits.

One glob over 10,000 files, one line each, start = head, with the soft
descriptor limit a service gets from systemd (1024) and a hard limit of up
to 20,000 (what this machine allows; systemd gives 524,288):

  * tailmux raises its soft limit and reads every line exactly once, its
    peak resident memory under 32 MiB (not under sanitizers);
  * idle, it spends (next to) no CPU, though the safety-net rescan runs
    every 2 s: it does not walk the files when their directory did not
    change, and nothing polls;
  * SIGTERM exits 0 with a checkpoint that names every file;
  * after a line more in each file while it is down, a restart reads
    exactly those lines;
  * the files take no inotify watch of their own (their directory's watch
    tells of their writes): tailmux holds a few watches, not 10,000, and
    a line more in each file while it runs is read exactly once.

Fails with the soft limit left at 1024 (about 1,000 lines arrive, the
checkpoint cannot be saved, a core spins), and with a rescan that looks at
every file (idle CPU).
"""
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402

NFILES = 10000
IDLE_WINDOW = 5.0  # seconds; the 20 s, shortened
IDLE_MAX = 0.005   # seconds of CPU allowed in the window (0.1% of a core)
PEAK_MAX_MIB = 32  # peak resident memory with every file read (12.7 MiB
                   # measured; 51 MiB when each line kept a 4 KiB buffer)
IDLE_MAX_SANITIZED = 0.05  # the same under AddressSanitizer (ten times
                           # slower at the little it does): spins only


def sanitized(path):
    """True if the binary at `path' is built with AddressSanitizer."""
    with open(path, "rb") as f:
        return b"__asan_init" in f.read()


def cpu_seconds(pid):
    """The CPU time of process `pid' so far, in seconds: the sum of its
    threads' run times (/proc/PID/task/*/schedstat, to the nanosecond);
    where the kernel has no schedstat, user + system time from
    /proc/PID/stat (to the clock tick)."""
    total, seen = 0, False
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
                seen = True
        except (OSError, ValueError, IndexError):
            pass
    if seen:
        return total / 1e9
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid):
    """The peak resident memory of process `pid' (VmHWM), in MiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def inotify_watches(pid):
    """The inotify watches process `pid' holds (the "inotify wd:" lines of
    its inotify descriptors' /proc/PID/fdinfo)."""
    n = 0
    fddir = "/proc/%d/fd" % pid
    for fd in os.listdir(fddir):
        try:
            if os.readlink(os.path.join(fddir, fd)) != "anon_inode:inotify":
                continue
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                n += sum(1 for line in f if line.startswith("inotify wd:"))
        except OSError:
            pass
    return n


def test(t):
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < NFILES + 200:
        raise tmtest.Skip("the hard descriptor limit (%d) is below %d"
                          % (hard, NFILES + 200))
    limit = ["prlimit", "--nofile=1024:%d" % min(
        hard if hard != resource.RLIM_INFINITY else 524288, 524288), "--"]
    logs = t.path("logs")
    os.makedirs(logs)
    fids = ["f%05d" % i for i in range(NFILES)]
    written = {}
    expected = 0
    for fid in fids:
        data = tmtest.seq_lines(fid, 1, 1)
        with open(os.path.join(logs, fid + ".log"), "wb") as f:
            f.write(data)
        written[fid] = 1
        expected += len(data)
    # Old enough that the rescan may trust the directory's time stamps.
    past = time.time() - 10
    os.utime(logs, (past, past))

    out = t.path("out.log")
    cfg = t.config([("g", "logs/*.log", {"max_files": 20000,
                                         "start": "head",
                                         "rescan_interval": "2s"})],
                   checkpoint_interval="1s", log_level="info")
    started = time.monotonic()
    d = t.start(cfg, argv=limit)
    tmtest.caught_up(out, expected, "every file's line", d)
    t.exact(out, expected, written)
    # Memory in proportion to the files: their lines, read at once and
    # waiting for one write, are not kept in a read buffer each.
    if not sanitized(t.bin):
        peak = peak_rss_mib(d.proc.pid)
        t.check(peak <= PEAK_MAX_MIB, "%d files, one line each, read at "
                "once: peak resident memory %.1f MiB (at most %d)"
                % (NFILES, peak, PEAK_MAX_MIB), "%.1f MiB" % peak)

    # Idle: nothing changes, so nothing should be spent.  The rescan runs
    # every 2 s: the first ones after start expand the glob (the
    # directory's change time was too new to trust), the two or more in
    # the window must cost nothing.  The window opens once no checkpoint
    # was saved for 1.5 s (checkpoint_interval is 1 s).
    state = t.path("tailmux.state")

    def settled():
        return (time.monotonic() - started > 5.0 and os.path.exists(state)
                and time.time() - os.stat(state).st_mtime > 1.5)
    tmtest.wait_for(settled, "the checkpoint to settle", daemon=d)
    before = cpu_seconds(d.proc.pid)
    deadline = time.monotonic() + IDLE_WINDOW
    while time.monotonic() < deadline:
        if d.proc.poll() is not None:
            tmtest.fail("tailmux exited while idle\n" + d.stderr_tail())
        time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
    spent = cpu_seconds(d.proc.pid) - before
    most = IDLE_MAX_SANITIZED if sanitized(t.bin) else IDLE_MAX
    t.check(spent <= most, "idle for %.0f s with %d files it spends "
            "%.4f s of CPU (at most %.3f)" % (IDLE_WINDOW, NFILES, spent,
                                              most),
            "%.4f s" % spent)

    d.stop()
    t.check("Too many open files" not in d.stderr(),
            "no descriptor ran out", d.stderr_tail())
    saved = tmtest.read(state).decode(errors="replace")
    named = sum(1 for fid in fids if "/%s.log" % fid in saved)
    t.check(named == NFILES, "SIGTERM exits 0 with a checkpoint naming "
            "every file", "%d of %d named" % (named, NFILES))

    # A line more in every file while it is down: read exactly once.
    for fid in fids:
        data = tmtest.seq_lines(fid, 2, 2)
        tmtest.append(os.path.join(logs, fid + ".log"), data)
        written[fid] = 2
        expected += len(data)
    d = t.start(cfg, argv=limit)
    tmtest.caught_up(out, expected, "the lines added while it was down", d)
    t.exact(out, expected, written)
    t.ok("a restart after more lines in every file reads them exactly once")

    # Watched through their directory, not one by one.
    watches = inotify_watches(d.proc.pid)
    t.check(watches <= 4, "%d files take %d inotify watches (at most 4)"
            % (NFILES, watches), "%d watches" % watches)
    for fid in fids:
        data = tmtest.seq_lines(fid, 3, 3)
        tmtest.append(os.path.join(logs, fid + ".log"), data)
        written[fid] = 3
        expected += len(data)
    tmtest.caught_up(out, expected, "a line more in every file", d)
    d.stop()
    t.exact(out, expected, written)


if __name__ == "__main__":
    tmtest.main(test)
