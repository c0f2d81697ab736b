#!/usr/bin/env python3
"""live latency: append -> appear in the merged output.

Each run starts one tool following 4 empty files (tailmux with start =
head; rsyslogd with imfile in inotify mode; GNU `tail -q -F -n +1`), waits
until a warm-up line from every file has come through, then starts 4
writer processes (one per file) that together append --rate lines/s
(default 20,000) for --seconds (default 10).  Each line is one write(2) of
~100 bytes carrying time.monotonic_ns() taken just before the write.  The
writers wake every ~1 ms and write the lines then due.

This process reads the output as it grows (woken by inotify on the output
file, or polling every 1 ms where inotify is missing) and takes, for each
line, (monotonic time right after the read that returned it) - (its send
time).  Reported: p50, p99, max over all lines, and the CPU the tool used
from just before the writers started until the last line appeared
(utime+stime from /proc/PID/stat; the threads' exact run time from
/proc/PID/task/*/schedstat beside it).  Rounds alternate the tools; medians
over --runs rounds.  Not part of `make check`.
"""

import argparse
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


def make_line(fid, seq, ts):
    head = b"L %d %d %d " % (fid, seq, ts)
    return head + b"x" * max(1, WIDTH - 1 - len(head)) + b"\n"


def writer_main(path, fid, rate, seconds, start_at):
    """One writer: appends rate*seconds lines to `path', paced from
    start_at (monotonic ns)."""
    total = int(rate * seconds)
    interval = 1e9 / rate
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
    delay = (start_at - time.monotonic_ns()) / 1e9
    if delay > 0:
        time.sleep(delay)
    sent = 0
    mono = time.monotonic_ns
    write = os.write
    while sent < total:
        due = min(total, int((mono() - start_at) / interval) + 1)
        while sent < due:
            write(fd, make_line(fid, sent, mono()))
            sent += 1
        wait = (start_at + sent * interval - mono()) / 1e9
        if wait > 0:
            time.sleep(max(wait, 0.001))
    os.close(fd)
    print(sent)
    return 0


def one_run(tool, bins, top, r, args):
    d = os.path.join(top, "lat-%s-%d" % (tool, r))
    os.makedirs(d)
    files = make_inputs(d, args.files)
    out = os.path.join(d, "out.log")
    open(out, "wb").close()
    res = {"ok": False}
    if tool == "floor":
        # No tool: the writers append to the output itself.  What this
        # measures is the harness's own delay (wake-ups, scheduling).
        files = [out] * len(files)
        proc = C.NoProc()
    else:
        proc = C.start_tool(tool, files, out, os.path.join(d, "work"), bins)
    fol = C.Follower(out)
    waiter = C.inotify_waiter(out) if not args.poll else None
    try:
        measure(res, tool, r, proc, files, fol, waiter, args)
        return res
    finally:
        C.stop_tool(res, tool, proc)
        if waiter is not None:
            waiter.close()
        fol.close()
        if not args.keep:
            shutil.rmtree(d, ignore_errors=True)


def make_inputs(d, n):
    """n empty input files f1.log... in d; their paths."""
    files = [os.path.join(d, "f%d.log" % i) for i in range(1, n + 1)]
    for p in files:
        open(p, "wb").close()
    return files


def measure(res, tool, r, proc, files, fol, waiter, args, tick=None,
            samples=None):
    """One measurement on a started `proc' that follows `files' into the
    output `fol' reads (woken by `waiter', or polling every 1 ms if None):
    the warm-up, then args.rate lines/s for args.seconds from the writers,
    read until every line is there (or args.drain after the writers are
    done).  Fills `res' (p50_ms, p99_ms, max_ms, cpu_s, ...; "problem" when
    something was wrong).  tick(now_ns), if given, is called after each
    read in the timed loop.  If `samples' is a list, (send time, latency)
    in ns of every line is appended to it.  Returns the writers' start
    (monotonic ns), or None if the warm-up failed."""
    writers = []
    try:
        # Warm-up: one line per file, through, before anything is timed.
        for i, p in enumerate(files, 1):
            with open(p, "ab") as f:
                f.write(make_line(i, -1, time.monotonic_ns()))
        got = 0
        deadline = time.monotonic() + 15
        while got < len(files) and time.monotonic() < deadline:
            got += len(fol.read(keep=True))
            time.sleep(0.005)
        if got < len(files):
            res["problem"] = ("%s: only %d of %d warm-up lines after 15 s%s"
                              % (tool, got, len(files),
                                 "" if proc.alive() else
                                 " (it exited: %s)" % proc.stderr_tail()))
            return None
        time.sleep(0.2)

        per = args.rate / len(files)
        want = len(files) * int(per * args.seconds)
        cpu0 = C.proc_cpu(proc.pid)
        t0 = time.monotonic()
        start_at = time.monotonic_ns() + 100_000_000
        for i, p in enumerate(files, 1):
            writers.append(subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), "--_writer", p,
                 str(i), str(per), str(args.seconds), str(start_at)],
                stdout=subprocess.PIPE, stdin=subprocess.DEVNULL))
        lats = []
        seen = set()
        dup = 0
        mangled = 0
        mono = time.monotonic_ns
        end_deadline = None
        while True:
            if waiter is not None:
                waiter.wait(0.05)
            else:
                time.sleep(0.001)
            lines = fol.read(keep=True)
            now = mono()
            for ln in lines:
                f = ln.split(b" ", 4)
                if len(f) >= 3 and f[0] == b"L" and f[2] == b"-1":
                    continue  # warm-up
                try:
                    if len(f) < 4 or f[0] != b"L":
                        raise ValueError(ln)
                    key = (int(f[1]), int(f[2]))
                    ts = int(f[3])
                except ValueError:
                    mangled += 1  # not one whole line as written
                    continue
                if key in seen:
                    dup += 1
                    continue
                seen.add(key)
                lats.append(now - ts)
                if samples is not None:
                    samples.append((ts, now - ts))
            if tick is not None:
                tick(now)
            if len(seen) >= want:
                break
            if end_deadline is None:
                if all(w.poll() is not None for w in writers):
                    end_deadline = time.monotonic() + args.drain
            elif time.monotonic() > end_deadline:
                break
            if not proc.alive():
                break
        t1 = time.monotonic()
        cpu1 = C.proc_cpu(proc.pid) if proc.alive() else cpu0
        sent = 0
        for w in writers:
            o, _ = w.communicate()
            sent += int(o.strip() or 0)
        lats.sort()
        res.update({
            "ok": len(seen) == want and dup == 0 and mangled == 0,
            "sent": sent, "received": len(seen), "dup": dup,
            "mangled": mangled,
            "p50_ms": C.percentile(lats, 50) / 1e6,
            "p99_ms": C.percentile(lats, 99) / 1e6,
            "max_ms": lats[-1] / 1e6 if lats else float("nan"),
            "cpu_s": cpu1[0] - cpu0[0],
            "cpu_exact_s": cpu1[1] - cpu0[1],
            "window_s": t1 - t0,
        })
        if not res["ok"]:
            res["problem"] = ("%s run %d: %d of %d lines arrived whole, %d "
                              "duplicates, %d mangled (pieces of lines run "
                              "together)%s"
                              % (tool, r + 1, len(seen), want, dup, mangled,
                                 "" if proc.alive() else
                                                " (it exited: %s)"
                                                % proc.stderr_tail()))
        return start_at
    finally:
        for w in writers:
            if w.poll() is None:
                w.kill()
                w.wait()


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--_writer":
        a = sys.argv[2:]
        return writer_main(a[0], int(a[1]), float(a[2]), float(a[3]),
                           int(a[4]))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--rate", type=float, default=20000,
                    help="lines per second, all writers together")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--drain", type=float, default=10,
                    help="how long to wait for stragglers once the writers "
                         "are done (s)")
    ap.add_argument("--poll", action="store_true",
                    help="poll the output every 1 ms instead of inotify")
    ap.add_argument("--no-tail", action="store_true")
    ap.add_argument("--no-floor", dest="floor", action="store_false",
                    help="leave out the floor run (writers append straight "
                         "to the output; the harness's own latency)")
    C.add_common_args(ap)
    args = ap.parse_args()

    bins = C.tool_bins(args, want_tail=not args.no_tail)
    m = C.machine()
    print("== live latency: %d files, %d lines/s total for %g s, %d runs each"
          % (args.files, args.rate, args.seconds, args.runs))
    print(C.machine_line(m))
    print("tailmux: %s" % bins["tailmux"])
    if "rsyslog" in bins:
        print("rsyslog: %s (imfile mode=inotify, omfile, template %%msg%%\\n)"
              % C.rsyslog_version(bins["rsyslog"]))
    print("reader: %s" % ("poll every 1 ms" if args.poll else
                          "inotify on the output file"))
    tools = ["tailmux"]
    if args.floor:
        tools.append("floor")
    if "rsyslog" in bins:
        tools.append("rsyslog")
    if "tail" in bins:
        tools.append("tail")
    top = tempfile.mkdtemp(prefix="tailmux-latency.", dir=args.dir)
    def show(r, tool, res):
        print("run %d %-8s p50 %.3f ms  p99 %.3f ms  max %.3f ms"
              "  CPU %.2f s (exact %.3f s) over %.1f s  lines %d/%d"
              % (r + 1, tool, res["p50_ms"], res["p99_ms"], res["max_ms"],
                 res["cpu_s"], res["cpu_exact_s"], res["window_s"],
                 res["received"], res["sent"]), flush=True)

    try:
        runs, problems, notes = C.run_rounds(
            tools, args.runs, lambda tool, r: one_run(tool, bins, top, r, args),
            "p99_ms", show)
    finally:
        if args.keep:
            print("kept %s" % top)
        else:
            shutil.rmtree(top, ignore_errors=True)

    summary = C.summarize_latency(runs, tools, "all_lines")
    print()
    C.latency_header("tool", "all lines")
    for k in tools:
        C.latency_row(k, summary[k], "all_lines")
    tm = summary.get("tailmux")
    rs = summary.get("rsyslog")
    if tm:
        print()
        print("tailmux p99 %.3f ms (target <= 2 ms)" % tm["p99_ms"])
        if rs and rs["cpu_exact_s"] > 0:
            print("tailmux CPU / rsyslog CPU = %.2f (target <= 0.5)"
                  % (tm["cpu_exact_s"] / rs["cpu_exact_s"]))
    for p in notes:
        print("note: %s" % p)
    for p in problems:
        print("PROBLEM: %s" % p)
    C.dump_json(args.json, {
        "bench": "latency", "machine": m,
        "params": {"files": args.files, "rate": args.rate,
                   "seconds": args.seconds, "runs": args.runs,
                   "reader": "poll" if args.poll else "inotify"},
        "tools": summary, "runs": runs, "problems": problems, "notes": notes,
    })
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
