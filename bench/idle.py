#!/usr/bin/env python3
"""idle cost: following 100 files that nobody writes to.

Each tool (tailmux with start = head, rsyslogd with imfile in inotify
mode, GNU `tail -q -F -n +1`) follows --files (100) files that each hold
one line.  Once all those lines are in its output, and 1 s more, the CPU it
uses over --seconds (30) is taken from /proc/PID/stat (utime+stime; the
threads' exact run time from /proc/PID/task/*/schedstat beside it), with
its resident memory (VmRSS, and VmHWM, the peak, from /proc/PID/status) at
the end.  The tools run one after the other (--runs rounds, alternating;
default 1).  Not part of `make check`.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402


def one_run(tool, bins, top, r, args):
    d = os.path.join(top, "idle-%s-%d" % (tool, r))
    os.makedirs(d)
    files = []
    for i in range(1, args.files + 1):
        p = os.path.join(d, "f%03d.log" % i)
        with open(p, "wb") as f:
            f.write(b"file %d: the one line it holds\n" % i)
        files.append(p)
    out = os.path.join(d, "out.log")
    open(out, "wb").close()
    res = {"ok": False}
    proc = C.start_tool(tool, files, out, os.path.join(d, "work"), bins)
    fol = C.Follower(out)
    try:
        if not C.wait_lines(fol, len(files), time.monotonic() + 30, proc):
            res["problem"] = ("%s: %d of %d lines after 30 s%s"
                              % (tool, fol.lines, len(files), "" if
                                 proc.alive() else " (it exited: %s)"
                                 % proc.stderr_tail()))
            return res
        time.sleep(1)
        cpu0 = C.proc_cpu(proc.pid)
        t0 = time.monotonic()
        time.sleep(args.seconds)
        if not proc.alive():
            res["problem"] = "%s exited while idle: %s" % (
                tool, proc.stderr_tail())
            return res
        cpu1 = C.proc_cpu(proc.pid)
        t1 = time.monotonic()
        st = C.proc_status(proc.pid)
        extra = fol.read() - len(files)
        res.update({
            "ok": extra == 0,
            "cpu_s": cpu1[0] - cpu0[0],
            "cpu_exact_s": cpu1[1] - cpu0[1],
            "window_s": t1 - t0,
            "rss_mib": st.get("VmRSS", 0) / 1024,
            "hwm_mib": st.get("VmHWM", 0) / 1024,
            "threads": st.get("Threads"),
        })
        if extra:
            res["problem"] = "%s wrote %d lines while idle" % (tool, extra)
        return res
    finally:
        C.stop_tool(res, tool, proc)
        fol.close()
        if not args.keep:
            shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--no-tail", action="store_true")
    C.add_common_args(ap)
    args = ap.parse_args()

    bins = C.tool_bins(args, want_tail=not args.no_tail)
    m = C.machine()
    print("== idle: %d files, no writes, %g s, %d run(s) each"
          % (args.files, args.seconds, args.runs))
    print(C.machine_line(m))
    print("tailmux: %s" % bins["tailmux"])
    if "rsyslog" in bins:
        print("rsyslog: %s (imfile mode=inotify)"
              % C.rsyslog_version(bins["rsyslog"]))
    tools = ["tailmux"]
    if "rsyslog" in bins:
        tools.append("rsyslog")
    if "tail" in bins:
        tools.append("tail")
    top = tempfile.mkdtemp(prefix="tailmux-idle.", dir=args.dir)
    def show(r, tool, res):
        print("run %d %-8s CPU %.2f s (exact %.4f s) over %.1f s"
              "  VmRSS %.2f MiB (peak %.2f)  threads %s"
              % (r + 1, tool, res["cpu_s"], res["cpu_exact_s"],
                 res["window_s"], res["rss_mib"], res["hwm_mib"],
                 res["threads"]), flush=True)

    try:
        runs, problems, notes = C.run_rounds(
            tools, args.runs, lambda tool, r: one_run(tool, bins, top, r, args),
            "cpu_s", show)
    finally:
        if args.keep:
            print("kept %s" % top)
        else:
            shutil.rmtree(top, ignore_errors=True)

    summary = {}
    for k in tools:
        good = [x for x in runs[k] if "cpu_s" in x]
        if not good:
            summary[k] = None
            continue
        summary[k] = {key: C.median([x[key] for x in good])
                      for key in ("cpu_s", "cpu_exact_s", "window_s",
                                  "rss_mib", "hwm_mib")}
        summary[k]["runs"] = len(good)
    print()
    print("| tool | CPU s in %g s (stat) | CPU s (exact) | VmRSS MiB | "
          "VmHWM MiB |" % args.seconds)
    print("|---|---|---|---|---|")
    for k in tools:
        s = summary[k]
        if s is None:
            print("| %s | failed | | | |" % k)
            continue
        print("| %s | %.2f | %.4f | %.2f | %.2f |"
              % (k, s["cpu_s"], s["cpu_exact_s"], s["rss_mib"],
                 s["hwm_mib"]))
    tm = summary.get("tailmux")
    if tm:
        print()
        print("tailmux: %.2f s CPU (target 0.00), %.2f MiB RSS (target < 4)"
              % (tm["cpu_s"], tm["rss_mib"]))
    for p in notes:
        print("note: %s" % p)
    for p in problems:
        print("PROBLEM: %s" % p)
    C.dump_json(args.json, {
        "bench": "idle", "machine": m,
        "params": {"files": args.files, "seconds": args.seconds,
                   "runs": args.runs},
        "tools": summary, "runs": runs, "problems": problems, "notes": notes,
    })
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
