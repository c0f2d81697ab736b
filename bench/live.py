#!/usr/bin/env python3
"""live: append -> appear in the merged output, side by side, C probe.

One command runs, on the same work, tailmux (start = head, raw output, 2
workers), rsyslogd (imfile in inotify mode, see README.md), GNU
`tail -q -F -n +1` and the floor (no tool: the writers append straight into
the probed file), one after the other in each round, the order turning
from round to round; medians over --runs rounds (default 3).

Work: --work RATExFILES, repeatable; default the three of issue 14:
100x4 (idle-ish), 20000x4 and 200000x16, each for --seconds (default 10).
The writers are bench/writer (one thread per file, one write(2) of 100
bytes per line, each line carrying its send time, CLOCK_MONOTONIC ns, and
its sequence; paced with clock_nanosleep(TIMER_ABSTIME)).  The output is
followed by bench/probe, which stamps each line's arrival right after the
read(2) that returned it; it is woken by inotify on the output file
(--probe inotify, the default: it measured the lower latency) or every
1 ms (--probe poll).  Both are C programs built by `make' (or compiled
here with cc).

Before a run is timed, one warm-up line per input has come through.  The
tool's CPU (utime+stime from /proc/PID/stat; "exact": the threads'
sum_exec_runtime from /proc/PID/task/*/schedstat) and its wake-ups (the
voluntary + nonvoluntary context switches of its threads, from
/proc/PID/task/*/status) are taken from just before the writers start to
the probe's end (the last line in, or the drain deadline).  Reported per
work and tool: p50/p99/max latency, lines lost/duplicated/torn, CPU,
wake-ups per line; then the ratios p50 and p99 / the floor's and CPU /
rsyslog's, against the issue's targets (p50 <= 1.5x floor, p99 <= 1.25x
floor, CPU <= 0.35x rsyslog).  --retry-late MS runs again (up to
--retries times) a run whose writers were late by more than MS at p99:
the machine stalled during it, for whichever tool ran then.  --json FILE
for summary.py.  Not part of
`make check` (tests/test_bench.py runs it once with --smoke).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402

WIDTH = 100
DEFAULT_WORKS = ["100x4", "20000x4", "200000x16"]
KEYS = ("p50_ms", "p99_ms", "p999_ms", "max_ms", "cpu_s", "cpu_exact_s",
        "wakeups", "wakeups_per_line", "cpu_us_per_line", "probe_cpu_s",
        "probe_wakeups", "writer_late_p99_us", "window_s")
TARGETS = {"p50": 1.5, "p99": 1.25, "cpu_rsyslog": 0.35}


def warm_line(fid):
    head = b"L %d -1 %d " % (fid, time.monotonic_ns())
    return head + b"x" * (WIDTH - 1 - len(head)) + b"\n"


def parse_work(s):
    rate, _, files = s.lower().partition("x")
    return {"rate": float(rate), "files": int(files or 4)}


def one_run(tool, work, bins, top, r, args):
    """One timed run; with --retry-late, again (up to --retries times) while
    the writers' own lateness says the machine stalled during it."""
    for attempt in range(args.retries + 1):
        res = one_try(tool, work, bins, top, r, attempt, args)
        late = res.get("writer_late_p99_us", 0) / 1e3
        if not args.retry_late or "p99_ms" not in res or \
                late <= args.retry_late or attempt == args.retries:
            res["retried"] = attempt
            return res
        print("run %d %-8s writers late p99 %.2f ms > %.2f ms: the machine "
              "stalled; running it again" % (r + 1, tool, late,
                                             args.retry_late), flush=True)


def one_try(tool, work, bins, top, r, attempt, args):
    d = os.path.join(top, "live-%dx%d-%s-%d-%d" % (work["rate"], work["files"],
                                                   tool, r, attempt))
    os.makedirs(d)
    files = [os.path.join(d, "f%d.log" % i)
             for i in range(1, work["files"] + 1)]
    for p in files:
        open(p, "wb").close()
    out = os.path.join(d, "out.log")
    open(out, "wb").close()
    res = {"ok": False}
    if tool == "floor":
        files = [out] * len(files)
        proc = C.NoProc()
    else:
        proc = C.start_tool(tool, files, out, os.path.join(d, "work"), bins)
    try:
        measure(res, tool, work, r, proc, files, out, bins, args)
        return res
    finally:
        C.stop_tool(res, tool, proc)
        if not args.keep:
            shutil.rmtree(d, ignore_errors=True)


def warm_up(res, tool, proc, files, out):
    """One line per input, through the tool, before anything is timed."""
    fol = C.Follower(out)
    try:
        for i, p in enumerate(files, 1):
            with open(p, "ab") as f:
                f.write(warm_line(i))
        deadline = time.monotonic() + 15
        while fol.read() < len(files) and time.monotonic() < deadline:
            if not proc.alive():
                break
            time.sleep(0.005)
        if fol.lines < len(files):
            res["problem"] = ("%s: only %d of %d warm-up lines after 15 s%s"
                              % (tool, fol.lines, len(files),
                                 "" if proc.alive() else
                                 " (it exited: %s)" % proc.stderr_tail()))
            return False
        return True
    finally:
        fol.close()


def measure(res, tool, work, r, proc, files, out, bins, args):
    if not warm_up(res, tool, proc, files, out):
        return
    time.sleep(0.2)
    nfiles = len(files)
    per = int(work["rate"] * args.seconds / nfiles)
    start_at = time.monotonic_ns() + 100_000_000
    until = start_at + int((args.seconds + args.drain) * 1e9)
    probe = subprocess.Popen(
        [bins["probe"], "-m", args.probe, "-f", str(nfiles), "-n", str(per),
         "-w", str(WIDTH), "-u", str(until), out],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    writer = None
    try:
        if probe.stdout.readline().strip() != "ready":
            res["problem"] = "%s: the probe did not start" % tool
            return
        cpu0 = C.proc_cpu(proc.pid)
        sw0 = C.proc_wakeups(proc.pid)
        writer = subprocess.Popen(
            [bins["writer"], "-r", "%g" % work["rate"], "-s",
             "%g" % args.seconds, "-w", str(WIDTH), "-t", str(start_at)]
            + files, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            text=True)
        pout = probe.stdout.read()
        probe.wait()
        alive = proc.alive()
        cpu1 = C.proc_cpu(proc.pid) if alive else cpu0
        sw1 = C.proc_wakeups(proc.pid) if alive else sw0
        wout, _ = writer.communicate()
    finally:
        for p in (probe, writer):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
    p = json.loads(pout)
    sent, late = 0, []
    for line in wout.splitlines():
        f = line.split()
        if len(f) >= 10 and f[0] == "writer":
            sent += int(f[3])
            late.append(int(f[7]))
    got = p["received"]
    wake = sw1 - sw0
    cpu_exact = cpu1[1] - cpu0[1]
    ms = 1e6
    res.update({
        "ok": (got == p["expected"] == sent and p["dup"] == 0 and
               p["torn"] == 0 and p["stray"] == 0 and writer.returncode == 0),
        "expected": p["expected"], "sent": sent, "received": got,
        "lost": p["lost"], "dup": p["dup"], "torn": p["torn"],
        "stray": p["stray"],
        "p50_ms": p["p50_ns"] / ms, "p99_ms": p["p99_ns"] / ms,
        "p999_ms": p["p999_ns"] / ms, "max_ms": p["max_ns"] / ms,
        "cpu_s": cpu1[0] - cpu0[0], "cpu_exact_s": cpu_exact,
        "wakeups": wake,
        "wakeups_per_line": wake / got if got else float("nan"),
        "cpu_us_per_line": cpu_exact * 1e6 / got if got else float("nan"),
        "probe_cpu_s": p["cpu_s"],
        "probe_wakeups": p["wakeups"],
        "writer_late_p99_us": max(late) if late else float("nan"),
        "window_s": ((p["last_arrival_ns"] - start_at) / 1e9
                     if p["last_arrival_ns"] else float("nan")),
    })
    if not res["ok"]:
        res["problem"] = ("%s %dx%d run %d: %d of %d lines arrived whole "
                          "(%d sent), %d lost, %d duplicates, %d torn, %d "
                          "stray%s" % (tool, work["rate"], work["files"],
                                       r + 1, got, p["expected"], sent,
                                       p["lost"], p["dup"], p["torn"],
                                       p["stray"], "" if alive else
                                       " (it exited: %s)"
                                       % proc.stderr_tail()))


def summarize(runs, tools):
    out = {}
    for k in tools:
        good = [x for x in runs[k] if "p99_ms" in x]
        if not good:
            out[k] = None
            continue
        out[k] = {key: C.median([x[key] for x in good]) for key in KEYS}
        out[k]["runs"] = len(good)
        out[k]["all_lines"] = all(x["ok"] for x in runs[k])
        out[k]["lost"] = sum(x["lost"] for x in good)
        out[k]["torn"] = sum(x["torn"] for x in good)
        out[k]["dup"] = sum(x["dup"] for x in good)
    return out


def ratios(s):
    """Each tool's p50 and p99 over the floor's, CPU over rsyslog's."""
    fl, rs = s.get("floor"), s.get("rsyslog")
    out = {}
    for k, v in s.items():
        if v is None or k == "floor":
            continue
        o = {}
        if fl and fl["p50_ms"] > 0:
            o["p50_floor"] = v["p50_ms"] / fl["p50_ms"]
            o["p99_floor"] = v["p99_ms"] / fl["p99_ms"]
        if rs and rs["cpu_exact_s"] > 0:
            o["cpu_rsyslog"] = v["cpu_exact_s"] / rs["cpu_exact_s"]
        out[k] = o
    return out


def print_table(work, s, rt, tools):
    print()
    print("%d lines/s over %d files, %g s:" % (work["rate"], work["files"],
                                               work["seconds"]))
    print("| tool | p50 ms | p99 ms | max ms | lost/dup/torn | CPU s (stat) "
          "| CPU s (exact) | wake-ups/line | p50 / floor | p99 / floor "
          "| CPU / rsyslog |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")

    def x(v):
        return "-" if v is None else "%.2fx" % v
    for k in tools:
        v = s[k]
        if v is None:
            print("| %s | failed | | | | | | | | | |" % k)
            continue
        o = rt.get(k, {})
        cpu = ("-", "-", "-") if k == "floor" else (
            "%.2f" % v["cpu_s"], "%.3f" % v["cpu_exact_s"],
            "%.2f" % v["wakeups_per_line"])
        print("| %s | %.3f | %.3f | %.3f | %d/%d/%d | %s | %s | %s | %s | %s "
              "| %s |" % (k, v["p50_ms"], v["p99_ms"], v["max_ms"], v["lost"],
                          v["dup"], v["torn"], cpu[0], cpu[1], cpu[2],
                          x(o.get("p50_floor")), x(o.get("p99_floor")),
                          x(o.get("cpu_rsyslog"))))
    o = rt.get("tailmux", {})
    if o:
        print("tailmux targets: p50 <= %.2fx floor: %s; p99 <= %.2fx floor: "
              "%s; CPU <= %.2fx rsyslog: %s"
              % (TARGETS["p50"], met(o.get("p50_floor"), TARGETS["p50"]),
                 TARGETS["p99"], met(o.get("p99_floor"), TARGETS["p99"]),
                 TARGETS["cpu_rsyslog"],
                 met(o.get("cpu_rsyslog"), TARGETS["cpu_rsyslog"])))


def met(v, limit):
    if v is None:
        return "-"
    return "yes (%.2fx)" % v if v <= limit else "NO (%.2fx)" % v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", action="append", metavar="RATExFILES",
                    help="lines/s in all x files (repeatable; default %s)"
                    % " ".join(DEFAULT_WORKS))
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--drain", type=float, default=5,
                    help="how long the probe waits for missing lines after "
                         "the writers' end (s)")
    ap.add_argument("--probe", choices=("inotify", "poll"),
                    default="inotify",
                    help="how the probe is woken (default inotify)")
    ap.add_argument("--tools", default="floor,tailmux,rsyslog,tail",
                    help="comma-separated, of floor,tailmux,rsyslog,tail")
    ap.add_argument("--smoke", action="store_true",
                    help="tiny work to see that it runs (2000x2 for 0.5 s, "
                         "one round); its numbers are not the benchmark's")
    ap.add_argument("--retry-late", type=float, default=0, metavar="MS",
                    help="run again a run whose writers were late by more "
                         "than MS at p99 (the machine stalled: the figures "
                         "of such a run are the machine's, not the tool's); "
                         "default 0: never")
    ap.add_argument("--retries", type=int, default=2,
                    help="at most this many times a run (--retry-late)")
    C.add_common_args(ap)
    args = ap.parse_args()
    if args.smoke:
        args.runs = 1
        args.seconds = 0.5
        args.drain = 3
        if not args.work:
            args.work = ["2000x2"]
    works = [parse_work(w) for w in (args.work or DEFAULT_WORKS)]
    for w in works:
        w["seconds"] = args.seconds
    want = args.tools.split(",")

    bins = C.tool_bins(args, want_rsyslog="rsyslog" in want,
                       want_tail="tail" in want)
    bins["probe"] = C.find_bench_prog("probe", bins["tailmux"])
    bins["writer"] = C.find_bench_prog("writer", bins["tailmux"])
    tools = [t for t in ("floor", "tailmux", "rsyslog", "tail")
             if t in want and (t == "floor" or t in bins)]
    m = C.machine()
    print("== live: %s for %g s, %d runs each"
          % (", ".join("%d lines/s over %d files" % (w["rate"], w["files"])
                       for w in works), args.seconds, args.runs))
    print(C.machine_line(m))
    print("tailmux: %s" % bins["tailmux"])
    if "rsyslog" in bins:
        print("rsyslog: %s (imfile mode=inotify, omfile, template %%msg%%\\n)"
              % C.rsyslog_version(bins["rsyslog"]))
    print("probe: %s (%s); writers: %s" % (
        bins["probe"], "inotify on the output file" if args.probe ==
        "inotify" else "polls every 1 ms", bins["writer"]))

    top = tempfile.mkdtemp(prefix="tailmux-live.", dir=args.dir)
    results = []
    problems, notes = [], []

    def show(r, tool, res):
        print("run %d %-8s p50 %.3f ms  p99 %.3f ms  max %.3f ms  CPU %.2f s "
              "(exact %.3f)  wake-ups/line %.2f  lines %d/%d  (probe CPU "
              "%.2f s, writers late p99 %.2f ms)"
              % (r + 1, tool, res["p50_ms"], res["p99_ms"], res["max_ms"],
                 res["cpu_s"], res["cpu_exact_s"], res["wakeups_per_line"],
                 res["received"], res["expected"], res["probe_cpu_s"],
                 res["writer_late_p99_us"] / 1e3), flush=True)
    try:
        for w in works:
            print("-- %d lines/s over %d files" % (w["rate"], w["files"]))
            runs, pr, no = C.run_rounds(
                tools, args.runs,
                lambda tool, r: one_run(tool, w, bins, top, r, args),
                "p99_ms", show)
            problems += pr
            notes += no
            s = summarize(runs, tools)
            results.append({"rate": w["rate"], "files": w["files"],
                            "seconds": w["seconds"], "tools": s,
                            "ratios": ratios(s), "runs": runs})
    finally:
        if args.keep:
            print("kept %s" % top)
        else:
            shutil.rmtree(top, ignore_errors=True)

    for w in results:
        print_table(w, w["tools"], w["ratios"], tools)
    print()
    for p in notes:
        print("note: %s" % p)
    for p in problems:
        print("PROBLEM: %s" % p)
    C.dump_json(args.json, {
        "bench": "live", "machine": m,
        "params": {"runs": args.runs, "seconds": args.seconds,
                   "drain": args.drain, "probe": args.probe,
                   "width": WIDTH, "targets": TARGETS},
        "works": results, "problems": problems, "notes": notes,
    })
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
