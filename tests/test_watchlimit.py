#!/usr/bin/env python3
"""The inotify watch limit reached (fs.inotify.max_user_watches).

An LD_PRELOAD shim (tests/inotify_enospc.c, compiled here) makes
inotify_add_watch() fail with ENOSPC, with 50 files under one glob, twice:

  * for files only, as when directories took the last watches: the files
    at their paths need none (their directory's watch tells of their
    writes), and files rotated away fall back to the stat poll;
  * for directories too: every file falls back to the stat poll.

Each time the limit is said once, naming the sysctl to raise, not once a
file; lines appended while running, a rotation (rename and a new file)
and a file created later are all read, exactly once.

Skipped (77) only where the shim cannot be built (no C compiler) or cannot
be preloaded into this build of tailmux (AddressSanitizer refusing it).
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402

NFILES = 50


def build_shim(t):
    """Compiles the shim into the test directory; returns its path."""
    src = os.path.join(os.environ.get("TAILMUX_SRCDIR") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), ".."),
        "tests", "inotify_enospc.c")
    cc = os.environ.get("CC_FOR_TESTS") or shutil.which("cc") or \
        shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        raise tmtest.Skip("no C compiler to build the LD_PRELOAD shim")
    so = t.path("inotify_enospc.so")
    r = subprocess.run([cc, "-shared", "-fPIC", "-O1", "-o", so, src,
                        "-ldl"], capture_output=True)
    if r.returncode != 0:
        raise tmtest.Skip("cannot build the LD_PRELOAD shim: %s"
                          % r.stderr.decode(errors="replace").strip())
    return so


def preload_env(t, so):
    """The environment that preloads the shim.  A tailmux built with
    AddressSanitizer wants its runtime first in the list of libraries;
    the shim uses nothing ASan intercepts, so the check is turned off."""
    env = dict(os.environ)
    env["LD_PRELOAD"] = so
    asan = env.get("ASAN_OPTIONS", "")
    env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + \
        "verify_asan_link_order=0"
    r = subprocess.run([t.bin, "--version"], env=env, capture_output=True)
    if r.returncode != 0:
        raise tmtest.Skip("the shim cannot be preloaded into %s: %s"
                          % (t.bin, r.stderr.decode(errors="replace")
                             .strip()[:300]))
    return env


def test(t):
    env = preload_env(t, build_shim(t))
    limited(t, env, "files")
    env = dict(env, TMSHIM_ENOSPC="all")
    limited(t, env, "all")


def limited(t, env, what):
    """One run with inotify_add_watch() failing for `what' ("files", or
    "all": directories too)."""
    logs = t.path("logs-" + what)
    os.makedirs(logs)
    fids = ["w%02d" % i for i in range(NFILES)]
    path = {fid: os.path.join(logs, fid + ".log") for fid in fids}
    written = {}
    expected = [0]

    def add(fid, where=None):
        seq = written.get(fid, 0) + 1
        data = tmtest.seq_lines(fid, seq, seq)
        tmtest.append(where or path[fid], data)
        written[fid] = seq
        expected[0] += len(data)

    for fid in fids:
        add(fid)
    out = t.path("out-%s.log" % what)
    cfg = t.config([("g", "logs-%s/*.log" % what, {"start": "head"})],
                   poll_interval="100ms", name="%s.ini" % what,
                   output="out-%s.log" % what)
    d = t.start(cfg, env=env)
    tmtest.caught_up(out, expected[0], "every file's first line", d)

    for fid in fids:
        add(fid)
    tmtest.caught_up(out, expected[0], "lines appended to polled files", d)
    for fid in fids[:10]:
        add(fid)
        os.rename(path[fid], path[fid] + ".1")
        add(fid)
    tmtest.caught_up(out, expected[0], "rotated polled files", d)
    late = "w%02d" % NFILES
    path[late] = os.path.join(logs, late + ".log")
    add(late)
    tmtest.caught_up(out, expected[0], "a file created later", d)
    d.stop()
    t.exact(out, expected[0], written)

    err = d.stderr()
    said = err.count("fs.inotify.max_user_watches")
    t.check(said == 1, "%s: the watch limit is said once, with the sysctl "
            "to raise" % what, "said %d times\n%s" % (said, d.stderr_tail()))


if __name__ == "__main__":
    tmtest.main(test)
