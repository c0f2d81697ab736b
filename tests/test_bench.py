#!/usr/bin/env python3
"""The benchmarks in bench/ still run: each once, on tiny work.

Every bench script is run with its smallest settings (live.py and
catchup.py with --smoke) against the built tailmux; each must exit 0 and
write results that hold together (every line of tailmux's through, the
figures present and positive), and summary.py must turn them into its
table.  No timing is checked: the numbers of such short runs mean
nothing.  rsyslog is measured only where it is installed (never installed
here).
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402

SRCDIR = os.environ.get("TAILMUX_SRCDIR",
                        os.path.join(os.path.dirname(__file__), ".."))
BENCH = os.path.join(SRCDIR, "bench")


def run_bench(t, script, args, json_out=None):
    argv = [sys.executable, os.path.join(BENCH, script)] + args
    if json_out:
        argv += ["--json", json_out]
    r = subprocess.run(argv, capture_output=True, text=True,
                       timeout=tmtest.TIMEOUT * 4, cwd=t.dir,
                       env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    t.check(r.returncode == 0, "%s %s exits 0" % (script, " ".join(args)),
            "status %d\n%s%s" % (r.returncode, r.stdout[-3000:],
                                 r.stderr[-3000:]))
    if json_out is None:
        return r.stdout
    with open(json_out) as f:
        return json.load(f)


def check_live(t, d):
    w = d["works"][0]
    tools = w["tools"]
    for k in ("floor", "tailmux"):
        s = tools.get(k)
        t.check(s is not None and s["all_lines"] and s["lost"] == 0,
                "live.py: every line through %s, once and whole" % k,
                repr(s))
        t.check(0 < s["p50_ms"] <= s["p99_ms"] <= s["max_ms"],
                "live.py: %s's p50 <= p99 <= max, all positive" % k, repr(s))
    tm = tools["tailmux"]
    t.check(tm["cpu_exact_s"] > 0 and tm["wakeups"] > 0,
            "live.py: tailmux's CPU and wake-ups are counted", repr(tm))
    t.check("p99_floor" in w["ratios"]["tailmux"],
            "live.py: tailmux's ratio to the floor is given",
            repr(w["ratios"]))


def check_catchup(t, d):
    tools = d["tools"]
    for k in ("tailmux", "daemon", "cat"):
        t.check(k in tools and tools[k]["wall_median"] > 0,
                "catchup.py: %s timed" % k, repr(tools.get(k)))
    t.check(not d["problems"], "catchup.py: tailmux's output is whole, "
            "with --once and as a daemon", repr(d["problems"]))
    r = d["ratios"]
    t.check(r["tailmux"]["wall_cat"] > 0 and r["daemon"]["wall_cat"] > 0,
            "catchup.py: --once and the daemon against cat", repr(r))


def test(t):
    if not os.path.isdir(BENCH):
        raise tmtest.Skip("no bench/ in %s" % SRCDIR)
    j = t.path
    tmp = ["--dir", t.dir, "--no-rsyslog-install"]
    done = []

    check_live(t, run_bench(t, "live.py", ["--smoke"] + tmp, j("live.json")))
    done.append(j("live.json"))
    check_catchup(t, run_bench(t, "catchup.py", ["--smoke"] + tmp,
                               j("catchup.json")))
    done.append(j("catchup.json"))

    d = run_bench(t, "latency.py", ["--runs", "1", "--seconds", "0.5",
                                    "--drain", "3", "--no-rsyslog"] + tmp,
                  j("latency.json"))
    t.check(d["tools"]["tailmux"]["all_lines"],
            "latency.py: every line through tailmux", repr(d["tools"]))
    done.append(j("latency.json"))

    # 1 MiB, 16 KiB of it left: one rotation ~80 ms in, then ~400 KB in
    # 2 s, far from a second one, with time to spare for the gzip of 1 MiB
    # to end before the last line even on a busy machine.
    d = run_bench(t, "rotate_latency.py",
                  ["--runs", "1", "--rate", "2000", "--seconds", "2",
                   "--size", "1", "--headroom", "16", "--dir", t.dir],
                  j("rotate_latency.json"))
    t.check(not d["problems"], "rotate_latency.py: one rotation, one .gz, "
            "every line through", repr(d["problems"]))
    done.append(j("rotate_latency.json"))

    d = run_bench(t, "idle.py", ["--seconds", "1", "--files", "5",
                                 "--no-rsyslog"] + tmp, j("idle.json"))
    t.check(d["tools"]["tailmux"] is not None, "idle.py: tailmux measured",
            repr(d["tools"]))
    done.append(j("idle.json"))

    out = run_bench(t, "glob1000.py", ["--files", "20", "--seconds", "1"])
    t.check("all in the output" in out, "glob1000.py: the new lines came "
            "through", out[-2000:])

    r = subprocess.run([sys.executable, os.path.join(BENCH, "summary.py")]
                       + done, capture_output=True, text=True)
    t.check(r.returncode == 0 and "| live " in r.stdout and
            "| catch-up " in r.stdout, "summary.py makes the table",
            r.stdout + r.stderr)


if __name__ == "__main__":
    tmtest.main(test)
