#!/usr/bin/env python3
"""live latency while a rotated output is gzipped, against no rotation.

The issue's requirement: rotation and compression never stall the loop;
the live-follow latency p99 while a 64 MiB rotated file is being gzipped
stays within 2x of the p99 without rotation.

Two tailmux configurations, on the same live load as latency.py (its
writers and its measuring loop, imported from it): 4 files, --rate lines/s
in all (default 20,000, ~100 bytes each, one write(2) per line carrying
its send time), for --seconds (default 6, long enough to cover the gzip).
Rounds alternate the two (run_rounds: the order turns each round); medians
over --runs rounds (default 5).  Both use raw output, 2 workers, the
default fsync = interval, and `rotate_interval = none':

  baseline  `rotate_size = 0': no rotation.
  rotating  `rotate_size = 64M', `compress = gzip', `compress_level = 6',
            `keep = 0'.

Before tailmux starts, its output (out/out.log, in a directory of its own)
is pre-filled, in both configurations alike, with --size MiB (default 64)
minus --headroom KiB (default 2048) of filler: whole lines of varied
log-like text (random words, numbers and hex ids; gzip shrinks it about
as much as real logs, unlike a repeated byte), then fsync'd, so that the
sync tailmux makes before a rotation does not pay for the harness's
writes.  The measuring reader starts at the filler's end.  The warm-up
lines fit in the headroom; the first ~1 s of live lines fill it (the
rotation comes well after the start's own transients), and in the
rotating configuration tailmux then rotates out.log (renames it to
out.log.YYYYmmdd-HHMMSS.NNN) and gzips the 64 MiB in a worker thread while
the lines keep coming.

The reader follows the output path across the rename: after each read it
stat()s out.log, and once that names another inode it reads the old file
to its end and goes on in the new one from offset 0 (same code in both
configurations).  It is woken by inotify on the output's directory
(IN_MODIFY, IN_CREATE, IN_MOVED_*), since a watch on the file itself would
stay on the renamed file; --poll: every 1 ms.  Every 5 ms (at most) it
also lists that directory and notes when the rotated name, its .gz.tmp and
its .gz first appear.  Latency per line = (monotonic time after the read
that returned it) - (its send time), as in latency.py.

Reported per configuration: p50, p99, max over all lines and tailmux's CPU
(as latency.py).  For the rotating runs also: when the rotation happened
(when the rotated name was seen, in s after the writers' start time), the
gzip's duration as seen from the directory (rotated name appears -> .gz
appears; .gz.tmp appears -> .gz appears), the bytes from tailmux's
"compressed 1 rotated file (N bytes to M)" line on stderr, and p50/p99/max
of the lines by send time: within 50 ms of the rotation (of when its
rotated name was first seen, 5 ms more before it: the output's hold for
the switch among them), before the gzip (from the start until the
.gz.tmp appeared), while the gzip ran (.gz.tmp -> .gz) and after it.  A rotating run
fails unless exactly one rotation was logged, the reader switched files
once, the .gz appeared before the last line arrived (inside the measured
window), at least 90% of --size was compressed, one .gz and no plain
rotated file is left, and every line arrived whole and once; a baseline
run fails if anything rotated.  Ratios of the medians printed:
p99(rotating) / p99(baseline) over all lines, p99(rotating, lines sent
while the gzip ran) / p99(baseline), and p99(rotating, lines sent within
50 ms of the rotation) / p99(baseline); the target is <= 2x for each.

On a 2-core machine the gzip thread takes a core for seconds while the
writers, the reader and tailmux's loop share the other: the "while the
gzip ran" figures include that contention, not only stalls of the loop.
The machine line's load average tells how busy the machine was.  Not part
of `make check`.
"""

import argparse
import os
import random
import re
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402
import latency as L  # noqa: E402

CONFIGS = ["baseline", "rotating"]
SPANS = {"around_rotation": "within 50 ms of the rotation",
         "before_gzip": "before the gzip (the rotation among them)",
         "during_gzip": "while the gzip ran",
         "after_gzip": "after the gzip"}
AROUND_NS = 50_000_000  # the lines "around the rotation": sent this close
# to when its rotated name was first seen (listed every 5 ms: 5 ms more
# before it)
OUT = "out.log"
ROTATED = re.compile(r"^%s\.\d{8}-\d{6}\.\d{3}(\.gz(\.tmp)?)?$"
                     % re.escape(OUT))
MiB = 1 << 20

_block = None


def filler_block():
    """~1 MiB of whole, varied log-like lines (starting "F "), made once;
    the filler repeats it (further apart than gzip's 32 KiB window, so gzip
    works on it as on text it has not seen)."""
    global _block
    if _block is None:
        rnd = random.Random(1)
        words = ("GET POST PUT connection accepted closed timeout retry "
                 "user session cache miss hit upstream backend request "
                 "response queue worker flushed rotated opened error warn "
                 "info debug client server latency bytes status ok").split()
        lines = []
        size = 0
        while size < MiB:
            ln = ("F 2026-11-25T%02d:%02d:%02d.%06d host%02d app[%d]: %s %s "
                  "%s id=%08x took=%dms status=%d\n"
                  % (rnd.randrange(24), rnd.randrange(60), rnd.randrange(60),
                     rnd.randrange(10 ** 6), rnd.randrange(50),
                     rnd.randrange(1, 65536), rnd.choice(words),
                     rnd.choice(words), rnd.choice(words),
                     rnd.getrandbits(32), rnd.randrange(5000),
                     rnd.choice((200, 200, 200, 204, 301, 404, 500)))
                  ).encode()
            lines.append(ln)
            size += len(ln)
        _block = b"".join(lines)
    return _block


def prefill(path, size):
    """Writes whole filler lines to `path', as many as fit in `size' bytes,
    and fsyncs it; returns the bytes written."""
    block = filler_block()
    done = 0
    with open(path, "wb") as f:
        while size - done >= len(block):
            f.write(block)
            done += len(block)
        rest = block[:size - done]
        rest = rest[:rest.rfind(b"\n") + 1]
        f.write(rest)
        done += len(rest)
        f.flush()
        os.fsync(f.fileno())
    return done


class DirWatch:
    """Notes when rotated names of the output first appear in its
    directory (listing it at most every 5 ms, from tick())."""

    def __init__(self, d):
        self.d = d
        self.next = 0
        self.last = None
        self.first = {}  # "plain", "tmp", "gz" -> monotonic ns

    def tick(self, now):
        self.last = now
        if now < self.next:
            return
        self.next = now + 5_000_000
        for name in os.listdir(self.d):
            m = ROTATED.match(name)
            if m:
                kind = ("tmp" if m.group(2) else "gz" if m.group(1)
                        else "plain")
                self.first.setdefault(kind, now)


def stats(lats):
    lats = sorted(lats)
    return {"p50_ms": C.percentile(lats, 50) / 1e6,
            "p99_ms": C.percentile(lats, 99) / 1e6,
            "max_ms": lats[-1] / 1e6 if lats else float("nan"),
            "lines": len(lats)}


def check_rotation(res, d, outdir, start_at, watch, fol, samples, args):
    """The rotating run's checks and figures; returns a problem or None."""
    names = sorted(n for n in os.listdir(outdir) if ROTATED.match(n))
    res["rotated_files"] = names
    res["reader_switches"] = fol.switches
    try:
        with open(os.path.join(d, "work", "tailmux.stderr"),
                  errors="replace") as f:
            err = f.read()
    except OSError:
        err = ""
    nrot = len(re.findall(r"^(?:tailmux: )?rotated .* to ", err, re.M))
    m = re.search(r"^(?:tailmux: )?compressed (\d+) rotated files? \((\d+) bytes to "
                  r"(\d+)\)", err, re.M)
    if m:
        res["gzip_in_bytes"] = int(m.group(2))
        res["gzip_out_bytes"] = int(m.group(3))
    t = watch.first
    if "plain" in t:
        res["rotated_at_s"] = (t["plain"] - start_at) / 1e9
    if "plain" in t and "gz" in t:
        res["gzip_s"] = (t["gz"] - t["plain"]) / 1e9
        if "tmp" in t:
            res["gzip_tmp_s"] = (t["gz"] - t["tmp"]) / 1e9
        # The lines by send time: before the gzip (the rotation among
        # them), while it ran (.gz.tmp, or the rotated name if the .gz.tmp
        # was never seen, until the .gz), after it.
        g0 = t.get("tmp", t["plain"])
        r0, r1 = t["plain"] - AROUND_NS - 5_000_000, t["plain"] + AROUND_NS
        for key, keep in (("around_rotation", lambda ts: r0 <= ts <= r1),
                          ("before_gzip", lambda ts: ts < g0),
                          ("during_gzip", lambda ts: g0 <= ts <= t["gz"]),
                          ("after_gzip", lambda ts: ts > t["gz"])):
            res[key] = stats([lat for ts, lat in samples if keep(ts)])
    why = []
    if nrot != 1:
        why.append("%d rotations logged (want 1)" % nrot)
    if fol.switches != 1:
        why.append("the reader switched files %d times (want 1)"
                   % fol.switches)
    if "plain" not in t:
        why.append("no rotated file seen during the window")
    elif "gz" not in t:
        why.append("the .gz did not appear before the last line arrived "
                   "(raise --seconds)")
    if res.get("gzip_in_bytes", 0) < 0.9 * args.size * MiB:
        why.append("compressed %s bytes, not ~%d MiB"
                   % (res.get("gzip_in_bytes", "no"), args.size))
    if len(names) != 1 or not names[0].endswith(".gz"):
        why.append("rotated files at the end: %s (want one .gz)"
                   % (" ".join(names) or "none"))
    return "; ".join(why) or None


def one_run(cfg, bins, top, r, args):
    d = os.path.join(top, "rot-%s-%d" % (cfg, r))
    outdir = os.path.join(d, "out")
    os.makedirs(outdir)
    files = L.make_inputs(d, args.files)
    out = os.path.join(outdir, OUT)
    fill = prefill(out, args.size * MiB - args.headroom * 1024)
    output = [("rotate_interval", "none")]
    if cfg == "rotating":
        output += [("rotate_size", "%dM" % args.size), ("compress", "gzip"),
                   ("compress_level", str(args.level)), ("keep", "0")]
    else:
        output += [("rotate_size", "0")]
    res = {"ok": False, "filler_bytes": fill}
    proc = C.start_tool("tailmux", files, out, os.path.join(d, "work"), bins,
                        tailmux_output=output)
    fol = C.Follower(out, offset=fill, follow_name=True)
    waiter = None if args.poll else C.inotify_waiter(
        outdir, C.IN_MODIFY | C.IN_CREATE | C.IN_MOVED_FROM | C.IN_MOVED_TO)
    watch = DirWatch(outdir)
    samples = [] if cfg == "rotating" else None
    stopped = False
    try:
        start_at = L.measure(res, cfg, r, proc, files, fol, waiter, args,
                             tick=watch.tick, samples=samples)
        if start_at is not None and cfg == "rotating":
            fol.read()  # the reader's switch, if it has not happened yet
            C.stop_tool(res, "tailmux", proc)  # its stderr complete
            stopped = True
            why = check_rotation(res, d, outdir, start_at, watch, fol,
                                 samples, args)
            if why:
                res["ok"] = False
                res["problem"] = ("%s rotating run %d: %s"
                                  % (res.get("problem", ""), r + 1,
                                     why)).strip()
        elif start_at is not None and (watch.first or fol.switches):
            res["ok"] = False
            res["problem"] = "baseline run %d: the output rotated" % (r + 1)
        return res
    finally:
        if not stopped:
            C.stop_tool(res, "tailmux", proc)
        if waiter is not None:
            waiter.close()
        fol.close()
        if not args.keep:
            shutil.rmtree(d, ignore_errors=True)


def med(good, key, sub=None):
    xs = [(x[sub] if sub else x).get(key) for x in good
          if (sub is None or sub in x)]
    xs = [x for x in xs if x is not None]
    return C.median(xs) if xs else None


def fmt(x, f="%.3f"):
    return "-" if x is None else f % x


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--rate", type=float, default=20000,
                    help="lines per second, all writers together")
    ap.add_argument("--seconds", type=float, default=6)
    ap.add_argument("--drain", type=float, default=10,
                    help="how long to wait for stragglers once the writers "
                         "are done (s)")
    ap.add_argument("--size", type=int, default=64,
                    help="rotate_size and the filler, in MiB")
    ap.add_argument("--headroom", type=int, default=2048,
                    help="KiB left free under rotate_size by the filler")
    ap.add_argument("--level", type=int, default=6, help="compress_level")
    ap.add_argument("--poll", action="store_true",
                    help="poll the output every 1 ms instead of inotify")
    C.add_common_args(ap)
    args = ap.parse_args()

    bins = C.tool_bins(args, want_rsyslog=False, want_tail=False)
    m = C.machine()
    print("== latency while a %d MiB rotated output is gzipped: %d files, "
          "%d lines/s total for %g s, %d runs each"
          % (args.size, args.files, args.rate, args.seconds, args.runs))
    print(C.machine_line(m))
    print("tailmux: %s" % bins["tailmux"])
    print("baseline: rotate_size = 0; rotating: rotate_size = %dM, "
          "compress = gzip, compress_level = %d, keep = 0; both "
          "rotate_interval = none, fsync = interval (default), output "
          "pre-filled with %d MiB - %d KiB"
          % (args.size, args.level, args.size, args.headroom))
    print("reader: %s" % ("poll every 1 ms" if args.poll else
                          "inotify on the output's directory"))
    top = tempfile.mkdtemp(prefix="tailmux-rotlat.", dir=args.dir)

    def show(r, cfg, res):
        extra = ""
        if cfg == "rotating":
            extra = ("\n      rotated at %s s, gzip %s s (.gz.tmp -> .gz "
                     "%s s), %s -> %s bytes"
                     % (fmt(res.get("rotated_at_s")), fmt(res.get("gzip_s")),
                        fmt(res.get("gzip_tmp_s")),
                        res.get("gzip_in_bytes", "?"),
                        res.get("gzip_out_bytes", "?")))
            for span in SPANS:
                g = res.get(span, {})
                extra += ("\n      %s (%d lines): p50 %s  p99 %s  max %s ms"
                          % (span.replace("_", " "), g.get("lines", 0),
                             fmt(g.get("p50_ms")), fmt(g.get("p99_ms")),
                             fmt(g.get("max_ms"))))
        print("run %d %-8s p50 %.3f ms  p99 %.3f ms  max %.3f ms"
              "  CPU %.2f s (exact %.3f s) over %.1f s  lines %d/%d%s"
              % (r + 1, cfg, res["p50_ms"], res["p99_ms"], res["max_ms"],
                 res["cpu_s"], res["cpu_exact_s"], res["window_s"],
                 res["received"], res["sent"], extra), flush=True)

    try:
        runs, problems, notes = C.run_rounds(
            CONFIGS, args.runs,
            lambda cfg, r: one_run(cfg, bins, top, r, args),
            "p99_ms", show, mine=CONFIGS)
    finally:
        if args.keep:
            print("kept %s" % top)
        else:
            shutil.rmtree(top, ignore_errors=True)

    summary = C.summarize_latency(runs, CONFIGS, "all_ok")
    for k in CONFIGS:
        good = [x for x in runs[k] if "p99_ms" in x]
        if summary[k] is not None and k == "rotating":
            for key in ("rotated_at_s", "gzip_s", "gzip_tmp_s",
                        "gzip_in_bytes", "gzip_out_bytes"):
                summary[k][key] = med(good, key)
            for span in SPANS:
                summary[k][span] = {
                    key: med(good, key, span)
                    for key in ("p50_ms", "p99_ms", "max_ms", "lines")}
    a, b = summary["baseline"], summary["rotating"]
    ratio = ratio_gz = ratio_rot = None
    if a and b and a["p99_ms"] > 0:
        ratio = b["p99_ms"] / a["p99_ms"]
        if b["during_gzip"]["p99_ms"] is not None:
            ratio_gz = b["during_gzip"]["p99_ms"] / a["p99_ms"]
        if b["around_rotation"]["p99_ms"] is not None:
            ratio_rot = b["around_rotation"]["p99_ms"] / a["p99_ms"]

    print()
    C.latency_header("tailmux config", "all ok")
    for k in CONFIGS:
        s = summary[k]
        C.latency_row(k, s, "all_ok")
        if s is not None and k == "rotating":
            for span in SPANS:
                g = s[span]
                print("| rotating, the %s lines sent %s | %s | %s | %s "
                      "| | | |" % (fmt(g["lines"], "%d"), SPANS[span],
                                   fmt(g["p50_ms"]), fmt(g["p99_ms"]),
                                   fmt(g["max_ms"])))
    if b:
        print()
        print("rotation %s s after the writers started; gzip of %s bytes "
              "(to %s) took %s s from the rotated name to the .gz (median)"
              % (fmt(b["rotated_at_s"], "%.2f"),
                 fmt(b["gzip_in_bytes"], "%d"),
                 fmt(b["gzip_out_bytes"], "%d"), fmt(b["gzip_s"], "%.2f")))
    if ratio is not None:
        print("p99 rotating / p99 baseline = %.2fx (target <= 2x): %s"
              % (ratio, "met" if ratio <= 2 else "NOT met"))
    if ratio_gz is not None:
        print("p99 of the lines sent during the gzip / p99 baseline = %.2fx"
              " (target <= 2x): %s"
              % (ratio_gz, "met" if ratio_gz <= 2 else "NOT met"))
    if ratio_rot is not None:
        print("p99 of the lines sent within 50 ms of the rotation / p99 "
              "baseline = %.2fx (target <= 2x): %s"
              % (ratio_rot, "met" if ratio_rot <= 2 else "NOT met"))
    for p in notes:
        print("note: %s" % p)
    for p in problems:
        print("PROBLEM: %s" % p)
    C.dump_json(args.json, {
        "bench": "rotate_latency", "machine": m,
        "params": {"files": args.files, "rate": args.rate,
                   "seconds": args.seconds, "runs": args.runs,
                   "size_mib": args.size, "headroom_kib": args.headroom,
                   "compress_level": args.level,
                   "reader": "poll" if args.poll else "inotify"},
        "tools": summary, "ratio_p99": ratio, "ratio_p99_gzip": ratio_gz,
        "ratio_p99_rotation": ratio_rot,
        "runs": runs, "problems": problems, "notes": notes,
    })
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
