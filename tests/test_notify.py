#!/usr/bin/env python3
"""sd_notify: what tailmux tells the service manager, on a socket of ours.

The test binds an AF_UNIX datagram socket, as systemd does, and names it
in NOTIFY_SOCKET; it is in the abstract namespace ("@name"), which
sd_notify(3) takes too, so that no long TMPDIR can push its address past
the 108 bytes a socket address holds.  Each message is taken with the
sender's pid (SO_PASSCRED), which must be tailmux's.

  * READY=1 is the first message, and is sent once the inputs are open:
    with start = end, a line appended right after READY=1 is in the output
    (had the file been opened later, it would have been skipped).
  * STATUS= follows at once ("following 1 file ..."); after lines are
    written, one with their rate, then one with 0 bytes/s and the bytes
    of the held partial line behind, and then none while idle (checked
    against the watchdog's messages as a clock).
  * WATCHDOG=1 arrives again and again when WATCHDOG_USEC is set, without
    WATCHDOG_PID and with WATCHDOG_PID naming tailmux; never when it names
    another process.
  * STOPPING=1 on SIGTERM, and exit status 0.
  * A file the checkpoint named, gone while tailmux was down with lines
    not read: the STATUS= line counts it.
  * Without NOTIFY_SOCKET nothing at all is sent.

Skipped when tailmux was built without libsystemd ("tailmux -V" says
"systemd: no").
"""
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402

WATCHDOG_USEC = 400000  # WATCHDOG=1 every 200 ms


CRED = struct.calcsize("3i")  # struct ucred: pid, uid, gid


class Listener:
    """The notify socket and the messages it got: (pid, text).  A thread
    takes each message as it comes: a datagram socket queues only a few
    (net.unix.max_dgram_qlen), and a sender finding it full fails."""

    def __init__(self, t, name):
        name = "tailmux-test-%d-%s-%s" % (os.getpid(),
                                          os.path.basename(t.dir), name)
        self.path = "@" + name   # for NOTIFY_SOCKET
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + name)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.settimeout(0.05)
        self.msgs = []
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _take(self):
        """Takes one message, with the pid of its sender."""
        data, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(CRED))
        pid = None
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("3i", cdata[:CRED])[0]
        with self.lock:
            self.msgs.append((pid, data.decode(errors="replace")))

    def _run(self):
        while not self.done.is_set():
            try:
                self._take()
            except socket.timeout:
                pass

    def poll(self):
        """Every message so far."""
        with self.lock:
            return list(self.msgs)

    def texts(self):
        return [m for _, m in self.poll()]

    def wait(self, pred, what, daemon):
        """Waits until pred(list of texts) is true; returns its value."""
        return tmtest.wait_for(lambda: pred(self.texts()), what,
                               daemon=daemon)

    def close(self):
        """Stops listening, takes what the socket still holds (all that a
        sender that has exited sent), and returns every message."""
        self.done.set()
        self.thread.join()
        self.sock.setblocking(False)
        try:
            while True:
                self._take()
        except BlockingIOError:
            pass
        self.sock.close()
        return self.poll()


def env_with(**kw):
    env = {k: v for k, v in os.environ.items()
           if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
                        "JOURNAL_STREAM")}
    env.update(kw)
    return env


def status_rate(msg):
    m = re.match(r"STATUS=following \d+ files? into .*; (\d+) bytes/s "
                 r"written; "
                 r"(\d+) bytes behind$", msg)
    return (int(m.group(1)), int(m.group(2))) if m else None


def main_round(t):
    """READY, STATUS, WATCHDOG without WATCHDOG_PID, STOPPING."""
    lst = Listener(t, "notify")
    inp = t.path("in.log")
    tmtest.append(inp, b"old line, before tailmux starts\n")
    cfg = t.config([("a", "in.log", {"start": "end"})], output="out.log")
    out = t.path("out.log")
    d = t.start(cfg, ready=False,
                env=env_with(NOTIFY_SOCKET=lst.path,
                             WATCHDOG_USEC=str(WATCHDOG_USEC)))
    lst.wait(lambda ms: "READY=1" in ms, "READY=1", d)
    tmtest.append(inp, tmtest.seq_line("a", 1))
    first = lst.texts()[0]
    t.check(first == "READY=1", "READY=1 is the first message",
            repr(lst.texts()[:3]))
    pids = {p for p, _ in lst.poll()}
    t.check(pids == {d.proc.pid}, "every message comes from tailmux's pid "
            "(%d)" % d.proc.pid, repr(pids))
    tmtest.caught_up(out, len(tmtest.seq_line("a", 1)),
                     "the line appended right after READY=1", daemon=d)
    t.check(tmtest.read(out) == tmtest.seq_line("a", 1),
            "a line appended right after READY=1 is in the output (the "
            "input was open, at its end, when READY=1 was sent)")

    st = lst.wait(lambda ms: [m for m in ms if m.startswith("STATUS=")],
                  "a STATUS= line", d)
    t.check(status_rate(st[0]) is not None and
            st[0].startswith("STATUS=following 1 file into %s;" % out),
            "STATUS= names the files followed and the output", st[0])

    # Lines, then a partial line that stays held: a STATUS= with a rate,
    # then one at 0 bytes/s with the partial line's bytes behind.
    data = tmtest.seq_lines("a", 2, 3001)
    tmtest.append(inp, data)
    tmtest.append(inp, b"partial")
    tmtest.caught_up(out, len(tmtest.seq_lines("a", 1, 3001)),
                     "3000 more lines", daemon=d)
    busy = lst.wait(
        lambda ms: [m for m in ms if (status_rate(m) or (0,))[0] > 0],
        "a STATUS= line with a rate above 0 bytes/s", d)
    t.ok("STATUS= shows the rate while lines flow: %s" % busy[0])
    idle = lst.wait(
        lambda ms: [i for i, m in enumerate(ms)
                    if i > ms.index(busy[0]) and status_rate(m) == (0, 7)],
        "a STATUS= line with 0 bytes/s and 7 bytes behind", d)
    t.ok("then one with 0 bytes/s and the held partial line's 7 bytes "
         "behind")

    # Idle: no STATUS= any more.  The watchdog is the clock: 40 of its
    # messages take 8 s, more than the 5 s between STATUS= lines.
    def later(ms):
        return ms[idle[0] + 1:]
    lst.wait(lambda ms: later(ms).count("WATCHDOG=1") >= 40,
             "40 WATCHDOG=1 after the idle STATUS=", d)
    extra = [m for m in later(lst.texts()) if m != "WATCHDOG=1"]
    t.check(extra == [], "idle: nothing but WATCHDOG=1 for 8 s (no STATUS= "
            "timer)", repr(extra))
    t.check(all(p == d.proc.pid for p, m in lst.poll() if m == "WATCHDOG=1"),
            "WATCHDOG=1 comes from tailmux's pid")

    d.send(signal.SIGTERM)
    lst.wait(lambda ms: "STOPPING=1" in ms, "STOPPING=1 after SIGTERM", d)
    rc = d.wait_exit()
    t.check(rc == 0, "SIGTERM: STOPPING=1 sent, exit status 0",
            "status %d\n%s" % (rc, d.stderr_tail()))
    msgs = [m for _, m in lst.close()]
    after = msgs[msgs.index("STOPPING=1") + 1:]
    t.check("READY=1" not in after, "nothing says READY=1 after STOPPING=1",
            repr(after))


def watchdog_pid_round(t):
    """WATCHDOG_PID naming tailmux: WATCHDOG=1; naming another: none."""
    lst = Listener(t, "wd")
    cfg = t.config([("b", "b.log")], name="wd.ini", output="wd.log")
    env = env_with(NOTIFY_SOCKET=lst.path, WATCHDOG_USEC=str(WATCHDOG_USEC))
    # sh's $$ is the pid that exec gives to tailmux.
    sh = ["/bin/sh", "-c", 'WATCHDOG_PID=$$; export WATCHDOG_PID; '
          'exec "$0" "$@"']
    d = t.start(cfg, ready=False, env=env, argv=sh)
    lst.wait(lambda ms: ms.count("WATCHDOG=1") >= 3, "3 WATCHDOG=1", d)
    t.check(all(p == d.proc.pid for p, _ in lst.poll()),
            "WATCHDOG_PID=<tailmux's pid>: WATCHDOG=1 from tailmux")
    d.stop()
    lst.close()

    # Another process's watchdog: tailmux must not answer for it.  Lines
    # flowing make a STATUS= with a rate, 5 s after they started: long
    # enough for 25 watchdog messages.
    lst = Listener(t, "other")
    cfg = t.config([("c", "c.log")], name="other.ini", output="other.log")
    env["NOTIFY_SOCKET"] = lst.path
    env["WATCHDOG_PID"] = str(os.getpid())
    d = t.start(cfg, ready=False, env=env)
    lst.wait(lambda ms: "READY=1" in ms, "READY=1", d)
    start = time.monotonic()
    tmtest.append(t.path("c.log"), tmtest.seq_lines("c", 1, 100))
    lst.wait(lambda ms: [m for m in ms if (status_rate(m) or (0,))[0] > 0],
             "a STATUS= line with a rate", d)
    waited = time.monotonic() - start
    d.stop()
    msgs = [m for _, m in lst.close()]
    t.check(waited > 1 and "WATCHDOG=1" not in msgs,
            "WATCHDOG_PID=<another pid>: no WATCHDOG=1 in %.1f s" % waited,
            repr(msgs))


def reload_round(t):
    """SIGHUP: RELOADING=1 with MONOTONIC_USEC (this host's CLOCK_MONOTONIC,
    between the signal and its answer), then READY=1; the same around a
    reload of a file with an error, which changes nothing."""
    lst = Listener(t, "hup")
    cfg = t.config([("h", "h.log")], name="hup.ini", output="hup.log")
    d = t.start(cfg, ready=False, env=env_with(NOTIFY_SOCKET=lst.path))
    lst.wait(lambda ms: "READY=1" in ms, "READY=1", d)
    for round_, broken in (("a good reload", False),
                           ("a reload of a broken file", True)):
        if broken:
            with open(cfg, "a") as f:
                f.write("[input:bad\n")
        n = len(lst.texts())
        before = time.monotonic_ns() // 1000
        d.send(signal.SIGHUP)
        got = lst.wait(lambda ms: "READY=1" in ms[n:] and ms[n:],
                       "RELOADING=1 then READY=1 (%s)" % round_, d)
        after = time.monotonic_ns() // 1000
        # A STATUS= line comes on its own timer and may cross the signal.
        got = [m for m in got if not m.startswith("STATUS=")]
        first = got[0].split("\n")
        t.check(first[0] == "RELOADING=1" and
                first[1].startswith("MONOTONIC_USEC=") and
                before <= int(first[1].split("=")[1]) <= after,
                "%s: RELOADING=1 with MONOTONIC_USEC first" % round_,
                repr(got))
        t.check(got.index("READY=1") > 0,
                "%s: READY=1 after it" % round_, repr(got))
    d.stop()
    lst.close()


def lost_round(t):
    """A file the checkpoint named, deleted while tailmux was down with
    lines it never read: logged as gone, and counted on the STATUS= line
    (which says nothing of it when nothing was lost, as in main_round)."""
    lst = Listener(t, "lost")
    path = t.path("lost.log")
    cfg = t.config([("l", "lost.log")], name="lost.ini", output="lost.out")
    tmtest.append(path, tmtest.seq_lines("l", 1, 10))
    d = t.start(cfg)
    tmtest.caught_up(t.path("lost.out"), len(tmtest.seq_lines("l", 1, 10)),
                     "10 lines", daemon=d)
    d.stop()
    tmtest.append(path, tmtest.seq_lines("l", 11, 20))
    os.rename(path, path + ".1")
    tmtest.append(path, tmtest.seq_lines("l", 21, 30))
    os.unlink(path + ".1")
    d = t.start(cfg, ready=False, env=env_with(NOTIFY_SOCKET=lst.path))
    got = lst.wait(lambda ms: [m for m in ms if "lost" in m],
                   "a STATUS= line counting the file lost", d)
    t.check(got[0].startswith("STATUS=following 1 file into ") and
            got[0].endswith("; 1 rotated file lost (see the log)"),
            "the STATUS= line counts the file lost", repr(got))
    d.wait_log("is gone")
    d.stop()
    lst.close()


def silent_round(t):
    """No NOTIFY_SOCKET: not one message, even with WATCHDOG_USEC set."""
    lst = Listener(t, "silent")
    cfg = t.config([("s", "s.log")], name="silent.ini", output="silent.log")
    d = t.start(cfg, env=env_with(WATCHDOG_USEC=str(WATCHDOG_USEC)))
    tmtest.append(t.path("s.log"), tmtest.seq_lines("s", 1, 10))
    tmtest.caught_up(t.path("silent.log"), len(tmtest.seq_lines("s", 1, 10)),
                     "10 lines", daemon=d)
    d.stop()
    msgs = lst.close()
    t.check(msgs == [], "without NOTIFY_SOCKET nothing is sent, even with "
            "WATCHDOG_USEC set", repr(msgs))


def test(t):
    out = subprocess.run([t.bin, "-V"], capture_output=True).stdout.decode()
    if "systemd: yes" not in out:
        raise tmtest.Skip("tailmux was built without libsystemd (tailmux "
                          "-V: %r)" % out)
    main_round(t)
    watchdog_pid_round(t)
    reload_round(t)
    lost_round(t)
    silent_round(t)


if __name__ == "__main__":
    tmtest.main(test)
