#!/usr/bin/env python3
"""Many files at the descriptor limits systemd gives a service.

For each of --files (default 1,000, 10,000 and 100,000): a directory of
that many files, one line each, and one glob over them (max_files above
the count, start = head).  tailmux runs under `prlimit --nofile=SOFT:HARD'
(--soft, default 1024, what systemd gives a Debian 12 service; the hard
limit is this process's, capped at 524,288, systemd's).  Measured:

  * CPU (utime+stime from /proc/PID/stat) and wall time to READY=1 (a
    NOTIFY_SOCKET of the harness's own) and to every line in the output
    (deadline --deadline s; then the lines that did arrive are reported);
  * resident memory (VmRSS, peak VmHWM) once every line is in;
  * CPU over --seconds (default 20) idle, nothing written, from --settle
    seconds after the start (default 12: after the first rescan, which
    expands the glob once since the files are new);
  * descriptors held (/proc/PID/fd) and inotify watches set (the "inotify
    wd:" lines of the inotify descriptor's /proc/PID/fdinfo);
  * the exit status of SIGTERM and whether a checkpoint was saved.

--tailmux PATH measures another build (main's, say, for the "before"
figures).  Not part of `make check`.
"""
import argparse
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402


def inotify_watches(pid):
    """The inotify watches process `pid' holds (all its instances)."""
    n = 0
    fddir = "/proc/%d/fd" % pid
    for fd in os.listdir(fddir):
        try:
            if os.readlink(os.path.join(fddir, fd)) != "anon_inode:inotify":
                continue
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                n += sum(1 for line in f if line.startswith("inotify wd:"))
        except OSError:
            continue
    return n


def run_one(tailmux, nfiles, soft, hard, seconds, deadline, keep, base,
            settle):
    top = tempfile.mkdtemp(prefix="tailmux-scale-", dir=base)
    logs = os.path.join(top, "logs")
    os.mkdir(logs)
    for i in range(nfiles):
        with open(os.path.join(logs, "f%06d.log" % i), "w") as f:
            f.write("f%06d 1\n" % i)
    past = time.time() - 10
    os.utime(logs, (past, past))
    out = os.path.join(top, "out.log")
    state = os.path.join(top, "state")
    cfg = os.path.join(top, "tailmux.ini")
    with open(cfg, "w") as f:
        f.write("[tailmux]\nworkers = 2\nstate_file = %s\n"
                "[output]\npath = %s\nrotate_interval = none\n"
                "[input:g]\npath = %s/*.log\nmax_files = %d\n"
                "start = head\n" % (state, out, logs, nfiles * 2))
    sock_path = os.path.join(top, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    env = dict(os.environ, NOTIFY_SOCKET=sock_path)
    err = open(os.path.join(top, "err.log"), "w")
    r = {"files": nfiles, "soft": soft}
    t0 = time.monotonic()
    p = subprocess.Popen(["prlimit", "--nofile=%d:%d" % (soft, hard), "--",
                          tailmux, "-c", cfg], stderr=err, env=env)
    try:
        # READY=1 and the lines are awaited together: a build without
        # libsystemd sends no READY=1 (its column then shows "-").
        sock.setblocking(False)
        lines = 0
        while p.poll() is None and time.monotonic() - t0 < deadline:
            try:
                msg = sock.recv(65536).decode(errors="replace")
                if "READY=1" in msg.split("\n") and "ready_wall" not in r:
                    r["ready_wall"] = time.monotonic() - t0
                    r["ready_cpu"] = C.proc_cpu(p.pid)[0]
                continue
            except BlockingIOError:
                pass
            lines = C.count_lines(out) if os.path.exists(out) else 0
            if lines >= nfiles:
                r["all_wall"] = time.monotonic() - t0
                r["all_cpu"] = C.proc_cpu(p.pid)[0]
                break
            time.sleep(0.005)
        r["lines"] = C.count_lines(out) if os.path.exists(out) else 0
        if p.poll() is not None:
            r["exit"] = p.returncode
            return r
        # The first timed checkpoint goes by, and the first rescan
        # (rescan_interval, 10 s): it expands the glob, the directory's
        # times being too new to trust when the files were found.
        time.sleep(max(1.5, settle - (time.monotonic() - t0)))
        c0 = C.proc_cpu(p.pid)[0]
        time.sleep(seconds)
        r["idle_cpu"] = C.proc_cpu(p.pid)[0] - c0
        st = C.proc_status(p.pid)
        r["rss_mib"] = st["VmRSS"] / 1024
        r["hwm_mib"] = st["VmHWM"] / 1024
        r["fds"] = len(os.listdir("/proc/%d/fd" % p.pid))
        r["watches"] = inotify_watches(p.pid)
        p.send_signal(signal.SIGTERM)
        try:
            r["exit"] = p.wait(60)
        except subprocess.TimeoutExpired:
            r["exit"] = "hung"
        r["checkpoint"] = os.path.exists(state)
        return r
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        err.close()
        with open(os.path.join(top, "err.log"), "rb") as f:
            r["log_lines"] = sum(1 for _ in f)
        sock.close()
        if not keep:
            shutil.rmtree(top, ignore_errors=True)
        else:
            print("# kept %s" % top)


def fmt(v, spec):
    return "-" if v is None else spec % v


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, nargs="+",
                    default=[1000, 10000, 100000])
    ap.add_argument("--soft", type=int, default=1024)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--deadline", type=float, default=120.0)
    ap.add_argument("--settle", type=float, default=12.0,
                    help="seconds from the start before the idle window "
                    "opens (default 12: after the first rescan)")
    ap.add_argument("--tailmux", help="the binary (default: as the other "
                    "benchmarks find it)")
    ap.add_argument("--dir", help="where the files go (default: TMPDIR)")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    tailmux = args.tailmux or C.find_tailmux()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    hard = 524288 if hard == resource.RLIM_INFINITY else min(hard, 524288)
    print("== scale: one glob over N files, soft descriptor limit %d, hard "
          "%d, %.0f s idle" % (args.soft, hard, args.seconds))
    print(C.machine_line())
    print("binary: %s" % tailmux)
    print()
    print("| files | lines in | CPU to READY | wall to READY | CPU to all "
          "lines | wall to all lines | RSS (peak) | idle CPU / %.0f s | fds "
          "| inotify watches | SIGTERM | checkpoint | log lines |"
          % args.seconds)
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    status = 0
    for n in args.files:
        r = run_one(tailmux, n, args.soft, hard, args.seconds,
                    args.deadline, args.keep, args.dir, args.settle)
        g = r.get
        print("| %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s "
              "| %s |" % (
                  n, g("lines", 0), fmt(g("ready_cpu"), "%.2f s"),
                  fmt(g("ready_wall"), "%.2f s"), fmt(g("all_cpu"), "%.2f s"),
                  fmt(g("all_wall"), "%.2f s"),
                  "-" if g("rss_mib") is None else "%.1f MiB (%.1f)" % (
                      g("rss_mib"), g("hwm_mib")),
                  fmt(g("idle_cpu"), "%.2f s"), fmt(g("fds"), "%d"),
                  fmt(g("watches"), "%d"), g("exit", "-"),
                  "yes" if g("checkpoint") else "no", g("log_lines", 0)),
              flush=True)
        if g("lines", 0) != n or g("exit") != 0:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
