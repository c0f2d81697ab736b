#!/usr/bin/env python3
"""One glob following 1,000 files: resident memory and idle CPU.

tailmux follows `DIR/*.log' over --files files (default 1000), each with a
line in it.  Once every line is in the output, the files are left alone
for --seconds (default 30) and the CPU tailmux used in that time (utime +
stime, and the threads' exact run time) and its resident memory are
printed; then one more line is written to every file, and the time until
all of them are in the output is printed too.  Targets: under 32 MiB
resident, under 1% of a core idle.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    print("== glob: one pattern, %d files, %.0f s idle" % (args.files,
                                                          args.seconds))
    print(C.machine_line())
    tailmux = C.find_tailmux()
    top = tempfile.mkdtemp(prefix="tailmux-glob-")
    logs = os.path.join(top, "logs")
    os.mkdir(logs)
    for i in range(args.files):
        with open(os.path.join(logs, "f%04d.log" % i), "w") as f:
            f.write("f%04d 1\n" % i)
    out = os.path.join(top, "out.log")
    cfg = os.path.join(top, "tailmux.ini")
    with open(cfg, "w") as f:
        f.write("[tailmux]\nworkers = 2\nstate_file = %s/state\n"
                "[output]\npath = %s\n[input:g]\npath = %s/*.log\n"
                "max_files = %d\n" % (top, out, logs, args.files))
    err = open(os.path.join(top, "err.log"), "w")
    p = subprocess.Popen([tailmux, "-c", cfg], stderr=err)
    try:
        deadline = time.monotonic() + 60
        while (C.count_lines(out) if os.path.exists(out) else 0) < args.files:
            if time.monotonic() > deadline or p.poll() is not None:
                sys.exit("glob: tailmux did not merge the %d files" %
                         args.files)
            time.sleep(0.05)
        time.sleep(1.5)  # let the first timed checkpoint go by
        t0, x0 = C.proc_cpu(p.pid)
        time.sleep(args.seconds)
        t1, x1 = C.proc_cpu(p.pid)
        st = C.proc_status(p.pid)
        start = time.monotonic()
        for i in range(args.files):
            with open(os.path.join(logs, "f%04d.log" % i), "a") as f:
                f.write("f%04d 2\n" % i)
        while C.count_lines(out) < 2 * args.files:
            if time.monotonic() - start > 60:
                sys.exit("glob: the second lines did not all arrive")
            time.sleep(0.002)
        took = time.monotonic() - start
        cpu = x1 - x0
        print("idle CPU %.2f s (exact %.4f s) over %.0f s = %.3f%% of a core"
              % (t1 - t0, cpu, args.seconds, 100 * cpu / args.seconds))
        print("VmRSS %.1f MiB (peak %.1f MiB), %d threads"
              % (st["VmRSS"] / 1024, st["VmHWM"] / 1024, st["Threads"]))
        print("one new line in each of the %d files: all in the output "
              "after %.0f ms" % (args.files, took * 1000))
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait()
        if not args.keep:
            shutil.rmtree(top)


if __name__ == "__main__":
    main()
