#!/usr/bin/env python3
"""Prints one markdown table from the JSON files that catchup.py, live.py,
latency.py, rotate_latency.py and idle.py wrote (--json).  Usage:
summary.py FILE.json..."""

import json
import os
import sys
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402


def f(x, fmt):
    return "-" if x is None else fmt % x


def print_live(lv):
    """The live rows: one block per work size, ratios against the floor
    and rsyslog measured in the same run."""
    pr = lv["params"]
    tg = pr["targets"]
    for w in lv["works"]:
        t = w["tools"]
        rt = w["ratios"]

        def g(k, key):
            return t[k][key] if t.get(k) else None

        def ratio(key):
            return rt.get("tailmux", {}).get(key)

        def met(key):
            v = ratio(key)
            if v is None:
                return ""
            limit = tg[key.replace("_floor", "")]
            return ("yes (%.2fx)" if v <= limit else "NO (%.2fx)") % v
        name = ("live %d lines/s over %d files, %gs, %d runs, probe %s"
                % (w["rate"], w["files"], w["seconds"], pr["runs"],
                   pr["probe"]))
        rows = (("p50_ms", "p50 ms", "%.3f", "<= %.2fx floor" % tg["p50"],
                 met("p50_floor")),
                ("p99_ms", "p99 ms", "%.3f", "<= %.2fx floor" % tg["p99"],
                 met("p99_floor")),
                ("max_ms", "max ms", "%.3f", "", ""),
                ("cpu_exact_s", "CPU s (schedstat)", "%.3f",
                 "<= %.2fx rsyslog" % tg["cpu_rsyslog"], met("cpu_rsyslog")),
                ("wakeups_per_line", "wake-ups per line", "%.2f", "", ""))
        for key, label, fmt, target, m in rows:
            print("| %s | %s | %s | %s | - | %s | %s | %s |"
                  % (name, label, f(g("tailmux", key), fmt),
                     f(g("rsyslog", key), fmt), f(g("tail", key), fmt),
                     target, m))
            name = ""
        if t.get("floor"):
            print("| | floor (writers append to the probed file) p50 / p99 "
                  "/ max ms | %.3f / %.3f / %.3f | | | | | |"
                  % (g("floor", "p50_ms"), g("floor", "p99_ms"),
                     g("floor", "max_ms")))

        def ldt(k):
            v = t.get(k)
            return "-" if not v else "%d/%d/%d" % (v["lost"], v["dup"],
                                                   v["torn"])
        print("| | lines lost/duplicated/torn, all runs | %s | %s | - | %s "
              "| 0/0/0 | %s |" % (ldt("tailmux"), ldt("rsyslog"), ldt("tail"),
                                  "" if not t.get("tailmux") else
                                  ("yes" if ldt("tailmux") == "0/0/0"
                                   else "NO")))


def main(paths):
    data = {}
    for p in paths:
        try:
            with open(p) as fh:
                d = json.load(fh)
            data[d["bench"]] = d
        except (OSError, ValueError, KeyError) as e:
            print("summary: %s: %s" % (p, e), file=sys.stderr)
    m = next((d["machine"] for d in data.values()), C.machine())
    print("%s, %s" % (time.strftime("%Y-%m-%d"), C.machine_line(m)))
    print()
    print("| benchmark | metric | tailmux | rsyslog imfile | cat | GNU tail "
          "| target | met |")
    print("|---|---|---|---|---|---|---|---|")
    problems = []
    notes = []
    c = data.get("catchup")
    if c:
        t = c["tools"]
        pr = c["params"]

        def w(k):
            return t[k]["wall_median"] if k in t else None
        print("| catch-up %dx%d lines, %d runs | median wall s | %s | %s | "
              "%s | %s | | |" % (pr["files"], pr["lines"], pr["runs"],
                                 f(w("tailmux"), "%.3f"), f(w("rsyslog"),
                                                            "%.3f"),
                                 f(w("cat"), "%.3f"), f(w("tail"), "%.3f")))
        rc = c["ratio_cat"]
        print("| | tailmux / this | 1.00x | %s | %s | %s | <= 1.0x cat "
              "| %s |"
              % (f(w("tailmux") / w("rsyslog") if w("rsyslog") else None,
                   "%.2fx"), f(rc, "%.2fx"), f(c.get("ratio_tail"), "%.2fx"),
                 "yes" if rc <= 1.0 else "NO"))
        ro = c.get("ratios", {})
        if "daemon" in t:
            d = t["daemon"]
            rd = ro.get("daemon", {}).get("wall_cat")
            print("| | daemon (no --once), start to last byte: median wall "
                  "s; / cat | %.3f; %s | | | | <= 1.0x cat | %s |"
                  % (d["wall_median"], f(rd, "%.2fx"),
                     "" if rd is None else ("yes" if rd <= 1.0 else "NO")))
            if d.get("first_byte_median") is not None:
                print("| | daemon: first output byte, ms after start | %.1f "
                      "| | | | | |" % (d["first_byte_median"] * 1e3))
        if ro:
            print("| | CPU / cat's: --once; daemon | %s; %s | | | | | |"
                  % (f(ro.get("tailmux", {}).get("cpu_cat"), "%.2fx"),
                     f(ro.get("daemon", {}).get("cpu_cat"), "%.2fx")))
        if "cat-pipe" in t:
            print("| | `cat \\| cat` (user-space copy) median s | | | %.3f "
                  "(tailmux/this %.2fx) | | | |"
                  % (w("cat-pipe"), w("tailmux") / w("cat-pipe")))
        problems += c.get("problems", [])
        notes += c.get("notes", [])
    lv = data.get("live")
    if lv:
        print_live(lv)
        problems += lv.get("problems", [])
        notes += lv.get("notes", [])
    la = data.get("latency")
    if la:
        t = la["tools"]
        pr = la["params"]

        def g(k, key):
            return t[k][key] if t.get(k) else None
        name = "latency %d lines/s, %gs, %d runs" % (pr["rate"], pr["seconds"],
                                                     pr["runs"])
        for key, label, target in (("p50_ms", "p50 ms", ""),
                                   ("p99_ms", "p99 ms", "<= 2 ms"),
                                   ("max_ms", "max ms", "")):
            met = ""
            if target and g("tailmux", key) is not None:
                met = "yes" if g("tailmux", key) <= 2 else "NO"
            print("| %s | %s | %s | %s | - | %s | %s | %s |"
                  % (name, label, f(g("tailmux", key), "%.3f"),
                     f(g("rsyslog", key), "%.3f"), f(g("tail", key), "%.3f"),
                     target, met))
            name = ""
        if t.get("floor"):
            print("| | harness floor (no tool) p50 / p99 / max ms | %.3f / "
                  "%.3f / %.3f | | | | | |"
                  % (g("floor", "p50_ms"), g("floor", "p99_ms"),
                     g("floor", "max_ms")))
        tm, rs = g("tailmux", "cpu_exact_s"), g("rsyslog", "cpu_exact_s")
        met = ""
        if tm is not None and rs:
            met = "yes" if tm <= rs / 2 else "NO (%.2fx rsyslog)" % (tm / rs)
        print("| | CPU s over the run | %s | %s | - | %s | <= 1/2 rsyslog "
              "| %s |" % (f(tm, "%.2f"), f(rs, "%.2f"),
                          f(g("tail", "cpu_exact_s"), "%.2f"), met))
        problems += la.get("problems", [])
        notes += la.get("notes", [])
    rl = data.get("rotate_latency")
    if rl:
        t = rl["tools"]
        pr = rl["params"]

        def trio(s):
            if not s or s.get("p99_ms") is None:
                return "-"
            return "%.3f / %.3f / %.3f" % (s["p50_ms"], s["p99_ms"],
                                           s["max_ms"])
        a, b = t.get("baseline"), t.get("rotating")
        print("| latency while a %d MiB rotated output is gzipped, %d "
              "lines/s, %gs, %d runs | p50 / p99 / max ms, no rotation "
              "| %s | - | - | - | | |"
              % (pr["size_mib"], pr["rate"], pr["seconds"], pr["runs"],
                 trio(a)))
        print("| | same, rotate_size = %dM, gzip -%d (all lines) | %s | - | "
              "- | - | | |" % (pr["size_mib"], pr["compress_level"], trio(b)))
        if b:
            print("| | same, lines sent while the gzip ran (%s s) | %s | - | "
                  "- | - | | |" % (f(b.get("gzip_tmp_s"), "%.2f"),
                                   trio(b.get("during_gzip"))))
        r1, r2 = rl.get("ratio_p99"), rl.get("ratio_p99_gzip")
        met = ""
        if r1 is not None and r2 is not None:
            met = "yes" if max(r1, r2) <= 2 else "NO"
        print("| | p99 rotating / no rotation: all lines; during the gzip | "
              "%s; %s | - | - | - | <= 2x | %s |"
              % (f(r1, "%.2fx"), f(r2, "%.2fx"), met))
        problems += rl.get("problems", [])
        notes += rl.get("notes", [])
    i = data.get("idle")
    if i:
        t = i["tools"]
        pr = i["params"]

        def h(k, key):
            return t[k][key] if t.get(k) else None
        tm = h("tailmux", "cpu_s")
        print("| idle %d files, %gs | CPU s (utime+stime) | %s | %s | - | "
              "%s | 0.00 | %s |"
              % (pr["files"], pr["seconds"], f(tm, "%.2f"),
                 f(h("rsyslog", "cpu_s"), "%.2f"), f(h("tail", "cpu_s"),
                                                      "%.2f"),
                 "" if tm is None else ("yes" if round(tm, 2) == 0 else "NO")))
        rss = h("tailmux", "rss_mib")
        print("| | VmRSS MiB | %s | %s | - | %s | < 4 | %s |"
              % (f(rss, "%.2f"), f(h("rsyslog", "rss_mib"), "%.2f"),
                 f(h("tail", "rss_mib"), "%.2f"),
                 "" if rss is None else ("yes" if rss < 4 else "NO")))
        problems += i.get("problems", [])
        notes += i.get("notes", [])
    if notes or problems:
        print()
    for p in notes:
        print("- note: %s" % p)
    for p in problems:
        print("- PROBLEM (tailmux): %s" % p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
