#!/usr/bin/env python3
"""catch-up: merge files that already hold all their lines.

4 files x 500,000 lines of ~100 bytes are generated once in a temp dir.
Each round then times, one after the other in this process (the order
rotates from round to round), with the output file in the same directory:

  tailmux --once (format = raw, workers = 2)
  tailmux as a daemon (the same config, no --once): timed from its start
      until the output holds every byte of the inputs (its size, taken
      every 1 ms), then stopped; the first byte's time is noted too
  cat f1 f2 f3 f4 > out                      (the reference)
  tail -q -n +1 f1 f2 f3 f4 > out            (GNU tail, second reference)
  cat f1 f2 f3 f4 | cat > out                (the same bytes through user
      space: cat alone copies file to file with copy_file_range(2))
  rsyslogd -n with imfile (inotify mode)     (the peer; it has no --once:
      timed from its start until the output holds every line, then stopped)

Before each timed run the previous output is removed and sync(2) called,
outside the timing.  tailmux's output must hold as many lines as the
inputs (checked every run); in the first round its output, and rsyslog's,
are also checked line by line: each input's lines, in order, and nothing
else.  Prints medians over --runs rounds and the ratios of tailmux (--once
and the daemon) to cat, wall and CPU (utime+stime: of the child from
wait4(2), of the daemon from /proc/PID/stat before it is stopped), and
tailmux/tail.  Not part of `make check` (tests/test_bench.py runs it once
with --smoke).
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402


def generate(dirpath, nfiles, nlines, width):
    """Files f1.log..fN.log of `nlines' lines averaging `width' bytes with
    the newline; each line names its file and sequence number."""
    rnd = random.Random(20240601)
    alphabet = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                "0123456789 =:/.,-_[]")
    pool = "".join(rnd.choice(alphabet) for _ in range(1 << 16)).encode()
    files = []
    total = 0
    for fi in range(1, nfiles + 1):
        path = os.path.join(dirpath, "f%d.log" % fi)
        prefix_len = len("f%d 0000000 " % fi)
        base = width - 1 - prefix_len
        with open(path, "wb") as f:
            chunk = []
            for seq in range(nlines):
                n = base + rnd.randint(-12, 12)
                off = rnd.randrange(0, len(pool) - n)
                chunk.append(b"f%d %07d %s\n" % (fi, seq, pool[off:off + n]))
                if len(chunk) == 10000:
                    f.write(b"".join(chunk))
                    chunk = []
            f.write(b"".join(chunk))
            total += f.tell()
        files.append(path)
    return files, total


def verify_content(out, files):
    """Checks that each input's lines are in the output exactly once and
    nothing else is.  Returns (problem or None, number of places where a
    file's lines are out of order).  Lines of one input sort in their
    input order (same prefix, zero-padded sequence number)."""
    with open(out, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        return "the output ends in a partial line", 0
    groups = {}
    for line in data.split(b"\n")[:-1]:
        groups.setdefault(line.split(b" ", 1)[0], []).append(line)
    del data
    disorder = 0
    for i, p in enumerate(files, 1):
        with open(p, "rb") as f:
            want = f.read()
        got = groups.pop(b"f%d" % i, [])
        s = sorted(got)
        if b"\n".join(s) + b"\n" != want:
            return ("f%d: %d lines in the output, %d in the input, and "
                    "they differ" % (i, len(got), want.count(b"\n"))), 0
        if s != got:
            disorder += sum(1 for a, b in zip(got, got[1:]) if a > b)
    if groups:
        return "lines from nowhere: %r" % list(groups)[:3], 0
    return None, disorder


def run_cmd(argv, out):
    """Runs argv with stdout to `out' (created); (wall s, cpu s, status)."""
    with open(out, "wb") as o:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=o)
        _, status, ru = os.wait4(p.pid, 0)
        t1 = time.perf_counter()
    p.returncode = os.waitstatus_to_exitcode(status)
    return t1 - t0, ru.ru_utime + ru.ru_stime, p.returncode


def run_pipe(argv1, argv2, out):
    """argv1 | argv2 > out: the copy through user space that cat alone
    skips (GNU cat uses copy_file_range(2) from file to file)."""
    with open(out, "wb") as o:
        t0 = time.perf_counter()
        p1 = subprocess.Popen(argv1, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE)
        p2 = subprocess.Popen(argv2, stdin=p1.stdout, stdout=o)
        p1.stdout.close()
        _, s1, ru1 = os.wait4(p1.pid, 0)
        _, s2, ru2 = os.wait4(p2.pid, 0)
        t1 = time.perf_counter()
    p1.returncode = os.waitstatus_to_exitcode(s1)
    p2.returncode = os.waitstatus_to_exitcode(s2)
    cpu = ru1.ru_utime + ru1.ru_stime + ru2.ru_utime + ru2.ru_stime
    return t1 - t0, cpu, p1.returncode or p2.returncode


def run_tailmux(bins, files, out, work):
    conf = os.path.join(work, "tailmux.ini")
    C.tailmux_conf(conf, files, out, work)
    errp = os.path.join(work, "tailmux.stderr")
    with open(errp, "wb") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen([bins["tailmux"], "-c", conf, "--once"],
                             stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        t1 = time.perf_counter()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        with open(errp, errors="replace") as f:
            sys.stderr.write(f.read()[-2000:])
    return t1 - t0, ru.ru_utime + ru.ru_stime, p.returncode


def run_daemon(bins, files, out, work, want_bytes, deadline_s):
    """tailmux without --once on inputs already full: (wall s from its
    start to the output's last byte, CPU s, status, first byte s)."""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    t0 = time.perf_counter()
    proc = C.start_tool("tailmux", files, out, work, bins)
    first = None
    while True:
        try:
            size = os.stat(out).st_size
        except FileNotFoundError:
            size = 0
        now = time.perf_counter()
        if size and first is None:
            first = now - t0
        if size >= want_bytes or now - t0 > deadline_s or not proc.alive():
            break
        time.sleep(0.001)
    cpu = C.proc_cpu(proc.pid)[0] if proc.alive() else None
    status, killed = proc.stop()
    ok = size == want_bytes and status == 0 and not killed
    if not ok:
        sys.stderr.write("tailmux daemon: %d of %d bytes after %.1f s, exit "
                         "status %s\n%s" % (size, want_bytes, now - t0,
                                            status, proc.stderr_tail()))
    return now - t0, cpu, (0 if ok else 1), first


def run_rsyslog(bins, files, out, work, want_lines, deadline_s):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    fol = C.Follower(out)
    t0 = time.perf_counter()
    proc = C.start_tool("rsyslog", files, out, work, bins)
    ok = C.wait_lines(fol, want_lines, time.monotonic() + deadline_s, proc)
    t1 = time.perf_counter()
    cpu = None
    if proc.alive():
        cpu = C.proc_cpu(proc.pid)[0]
    status, killed = proc.stop()
    fol.close()
    if not ok:
        sys.stderr.write("rsyslog: only %d of %d lines after %.0f s\n%s"
                         % (fol.lines, want_lines, deadline_s,
                            proc.stderr_tail()))
    return t1 - t0, cpu, (0 if ok else 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--lines", type=int, default=500000,
                    help="lines per file (default 500000)")
    ap.add_argument("--width", type=int, default=100,
                    help="mean line length in bytes (default 100)")
    ap.add_argument("--no-pipe-ref", dest="pipe_ref", action="store_false",
                    help="leave out the `cat ... | cat > out' reference")
    ap.add_argument("--rsyslog-deadline", type=float, default=180)
    ap.add_argument("--smoke", action="store_true",
                    help="tiny work to see that it runs (2,000 lines per "
                         "file, one round); its numbers are not the "
                         "benchmark's")
    C.add_common_args(ap)
    args = ap.parse_args()
    if args.smoke:
        args.runs = 1
        args.lines = 2000
        args.rsyslog_deadline = 30

    bins = C.tool_bins(args)
    m = C.machine()
    print("== catch-up: %d files x %d lines of ~%d bytes, %d runs each"
          % (args.files, args.lines, args.width, args.runs))
    print(C.machine_line(m))
    print("tailmux: %s" % bins["tailmux"])
    if "rsyslog" in bins:
        print("rsyslog: %s (imfile mode=inotify, omfile, template %%msg%%\\n)"
              % C.rsyslog_version(bins["rsyslog"]))

    top = tempfile.mkdtemp(prefix="tailmux-catchup.", dir=args.dir)
    try:
        data = os.path.join(top, "data")
        os.makedirs(data)
        t = time.perf_counter()
        files, total = generate(data, args.files, args.lines, args.width)
        want = args.files * args.lines
        print("generated %d lines, %.1f MB in %s (%.1f s)"
              % (want, total / 1e6, data, time.perf_counter() - t))
        out = os.path.join(data, "out.log")  # same filesystem as the inputs
        # Warm the page cache the same way for everybody, and make the
        # pages of one output once, untimed: the first 200 MB written after
        # the generation were slower for whichever tool came first.
        for p in files:
            C.count_lines(p)
        run_cmd(["cat"] + files, out)
        os.unlink(out)

        tools = ["tailmux", "daemon", "cat"]
        if args.pipe_ref:
            tools.append("cat-pipe")
        if "tail" in bins:
            tools.append("tail")
        if "rsyslog" in bins:
            tools.append("rsyslog")
        res = {k: {"wall": [], "cpu": [], "first": []} for k in tools}
        problems = []
        notes = []

        for r in range(args.runs):
            order = tools[r % len(tools):] + tools[:r % len(tools)]
            line = []
            for tool in order:
                if os.path.exists(out):
                    os.unlink(out)
                os.sync()
                work = os.path.join(top, "work-%s-%d" % (tool, r))
                os.makedirs(work, exist_ok=True)
                if tool == "tailmux":
                    wall, cpu, st = run_tailmux(bins, files, out, work)
                elif tool == "daemon":
                    wall, cpu, st, first = run_daemon(
                        bins, files, out, work, total, args.rsyslog_deadline)
                    if first is not None:
                        res[tool]["first"].append(first)
                elif tool == "cat":
                    wall, cpu, st = run_cmd(["cat"] + files, out)
                elif tool == "cat-pipe":
                    wall, cpu, st = run_pipe(["cat"] + files, ["cat"], out)
                elif tool == "tail":
                    wall, cpu, st = run_cmd(
                        [bins["tail"], "-q", "-n", "+1"] + files, out)
                else:
                    wall, cpu, st = run_rsyslog(bins, files, out, work, want,
                                                args.rsyslog_deadline)
                n = C.count_lines(out) if os.path.exists(out) else 0
                bad = problems if tool in ("tailmux", "daemon") else notes
                if st != 0:
                    bad.append("%s run %d: exit status %s" % (tool, r + 1, st))
                if n != want:
                    bad.append("%s run %d: %d lines out, %d in"
                               % (tool, r + 1, n, want))
                if (r == 0 and tool in ("tailmux", "daemon", "rsyslog") and
                        n == want):
                    why, disorder = verify_content(out, files)
                    if why:
                        bad.append("%s run 1: content: %s" % (tool, why))
                    elif disorder and tool != "rsyslog":
                        problems.append("%s run 1: an input's lines "
                                        "out of order at %d places"
                                        % (tool, disorder))
                    elif disorder:
                        notes.append("%s run 1: every line once, but an "
                                     "input's lines out of order at %d "
                                     "places" % (tool, disorder))
                    else:
                        notes.append("%s run 1: every input's lines once, "
                                     "in order" % tool)
                res[tool]["wall"].append(wall)
                if cpu is not None:
                    res[tool]["cpu"].append(cpu)
                line.append("%s %.3f s" % (tool, wall))
            print("run %d: %s" % (r + 1, ", ".join(line)))
        if os.path.exists(out):
            os.unlink(out)

        summary = {}
        for k in tools:
            summary[k] = {
                "wall_median": C.median(res[k]["wall"]),
                "wall_min": min(res[k]["wall"]),
                "wall_max": max(res[k]["wall"]),
                "cpu_median": (C.median(res[k]["cpu"]) if res[k]["cpu"]
                               else None),
                "wall_runs": res[k]["wall"],
                "cpu_runs": res[k]["cpu"],
            }
            if res[k]["first"]:
                summary[k]["first_byte_median"] = C.median(res[k]["first"])
        tm = summary["tailmux"]["wall_median"]
        ratio_cat = tm / summary["cat"]["wall_median"]
        cat_cpu = summary["cat"]["cpu_median"]
        ratios = {}
        for k in ("tailmux", "daemon"):
            s = summary[k]
            ratios[k] = {
                "wall_cat": s["wall_median"] / summary["cat"]["wall_median"],
                "cpu_cat": (s["cpu_median"] / cat_cpu
                            if s["cpu_median"] is not None and cat_cpu
                            else None)}
            if "cat-pipe" in summary:
                ratios[k]["wall_cat_pipe"] = (
                    s["wall_median"] / summary["cat-pipe"]["wall_median"])
        ratio_tail = tm / summary["tail"]["wall_median"] if "tail" in summary else None

        print()
        print("| tool | median wall s | min | max | median CPU s | "
              "tailmux/this |")
        print("|---|---|---|---|---|---|")
        for k in tools:
            s = summary[k]
            cpu = "%.3f" % s["cpu_median"] if s["cpu_median"] is not None else "-"
            print("| %s | %.3f | %.3f | %.3f | %s | %.2fx |"
                  % (k, s["wall_median"], s["wall_min"], s["wall_max"], cpu,
                     tm / s["wall_median"]))
        print()
        for k, what in (("tailmux", "tailmux --once"),
                        ("daemon", "tailmux daemon, start to last byte")):
            o = ratios[k]
            print("%s / cat: wall %.2fx, CPU %s (target: wall <= 1.0x)"
                  % (what, o["wall_cat"], "-" if o["cpu_cat"] is None
                     else "%.2fx" % o["cpu_cat"]))
        if "first_byte_median" in summary["daemon"]:
            print("tailmux daemon: first output byte %.1f ms after its "
                  "start (median)"
                  % (summary["daemon"]["first_byte_median"] * 1e3))
        if ratio_tail is not None:
            print("tailmux/tail = %.2fx" % ratio_tail)
        print("line count: %s" % ("OK (%d lines every run)" % want
                                  if not problems else "PROBLEMS"))
        for p in notes:
            print("note: %s" % p)
        for p in problems:
            print("PROBLEM: %s" % p)
        C.dump_json(args.json, {
            "bench": "catchup", "machine": m,
            "params": {"files": args.files, "lines": args.lines,
                       "width": args.width, "runs": args.runs,
                       "bytes": total},
            "tools": summary, "ratio_cat": ratio_cat,
            "ratio_tail": ratio_tail, "ratios": ratios,
            "problems": problems,
            "notes": notes,
        })
        return 1 if problems else 0
    finally:
        if args.keep:
            print("kept %s" % top)
        else:
            shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
