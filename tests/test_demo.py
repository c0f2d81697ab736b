#!/usr/bin/env python3
"""demo/run.sh stops what it started.

In a copy of demo/, demo/run.sh is run with $TAILMUX, and once the
generator writes and tailmux follows its files the script gets SIGTERM,
then (in a fresh copy each) SIGINT and SIGHUP, as from kill(1) or
timeout(1) rather than from a terminal.  Each time:

  * the script exits, with status 128 + the signal's number;
  * no process of its session is left (the generator, its sleep), nor the
    tailmux it started (in a session of its own);
  * tailmux stopped cleanly: it logged "stopped:" and saved its
    checkpoint (demo/state).
"""
import os
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402


def srcdir():
    return os.environ.get("TAILMUX_SRCDIR") or os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))


def processes():
    """{pid: (session id, command line)} of the processes running now."""
    procs = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                stat = f.read().decode(errors="replace")
            with open("/proc/%s/cmdline" % name, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # gone meanwhile
        # The fields after the command name, which is in parentheses.
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] == "Z":
            continue
        procs[int(name)] = (int(fields[3]), cmd.strip())
    return procs


def left(sid, demo):
    """The processes of session `sid', or running a file of `demo'."""
    return {pid: cmd for pid, (s, cmd) in processes().items()
            if s == sid or demo + "/" in cmd}


def run_and_stop(t, sig):
    demo = t.path("demo-%s" % sig.name)
    os.makedirs(demo)
    for name in ("run.sh", "generator.sh", "tailmux.ini"):
        shutil.copy2(os.path.join(srcdir(), "demo", name), demo)
    env = dict(os.environ, TAILMUX=t.bin)
    log = os.path.join(demo, "run.out")
    with open(log, "wb") as out:
        script = subprocess.Popen(["sh", os.path.join(demo, "run.sh")],
                                  stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT, env=env, cwd="/",
                                  start_new_session=True)
    try:
        def text():
            return tmtest.read(log).decode(errors="replace")

        tmtest.wait_for(lambda: "tailmux: following " in text(),
                        "tailmux to follow its files (%s)" % log)
        tmtest.wait_for(lambda: os.path.exists(os.path.join(demo, "app.log"))
                        and os.path.getsize(os.path.join(demo, "app.log")),
                        "the generator to write demo/app.log")
        running = left(script.pid, demo)
        t.check(any("generator.sh" in c for c in running.values()) and
                any("tailmux.ini" in c for c in running.values()),
                "%s: the generator and tailmux run" % sig.name,
                repr(running))
        script.send_signal(sig)
        try:
            rc = script.wait(tmtest.TIMEOUT)
        except subprocess.TimeoutExpired:
            tmtest.fail("demo/run.sh did not exit within %.0f s of %s"
                        % (tmtest.TIMEOUT, sig.name))
        # The script waits for both; a short deadline for the kernel to
        # reap what it did not wait for (the generator's sleep).
        try:
            tmtest.wait_for(lambda: not left(script.pid, demo),
                            "the demo's processes to be gone", timeout=5)
        except tmtest.Fail:
            tmtest.fail("%s: left running after demo/run.sh exited: %r"
                        % (sig.name, left(script.pid, demo)))
        t.ok("%s: no generator, sleep or tailmux is left" % sig.name)
        t.check(rc == 128 + sig, "%s: demo/run.sh exits %d" %
                (sig.name, 128 + sig), "it exited %d\n%s" % (rc, text()))
        t.check("tailmux: stopped:" in text(),
                "%s: tailmux stopped cleanly" % sig.name, text())
        t.check(os.path.getsize(os.path.join(demo, "state")) > 0,
                "%s: tailmux saved its checkpoint" % sig.name)
    finally:
        for pid in left(script.pid, demo):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if script.poll() is None:
            script.kill()
            script.wait()


def signals_trappable():
    """The signals a shell started from here can trap: not those ignored
    on entry (a shell cannot trap a signal ignored when it started)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("SigIgn:"):
                ignored = int(line.split()[1], 16)
    return [s for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
            if not ignored & (1 << (s - 1))]


def main(t):
    if shutil.which("setsid") is None:
        raise tmtest.Skip("no setsid(1), which demo/run.sh uses")
    sigs = signals_trappable()
    if signal.SIGTERM not in sigs:
        raise tmtest.Skip("SIGTERM is ignored here")
    for sig in sigs:
        run_and_stop(t, sig)


if __name__ == "__main__":
    tmtest.main(main)
