#!/usr/bin/env python3
"""Forwarding over RELP to a real rsyslog (imrelp), started by the test.

Each receiver is rsyslogd -n with a configuration of its own: imrelp on a
free 127.0.0.1 port, bound to a ruleset whose one action writes each
message's raw text (%rawmsg%, which for a RELP "syslog" frame is exactly
the frame's data) and a newline to a file.  Its main queue is "Direct", so
that rsyslog writes a message before imrelp acknowledges it: what rsyslog
acknowledged is in its file even after kill -9, and every loss counted here
is tailmux's.

Scenarios, each with numbered lines (tmtest.seq_line) in one input:

  normal     every line once, in order;
  receiver   rsyslog killed with -9 mid-stream, restarted: none lost,
             duplicates counted and at most the window;
  rfc5424    format = rfc5424: each line is the MSG of an RFC 5424 message
             that rsyslog parses, APP-NAME tailmux;
  tailmux    tailmux killed with -9 mid-stream (the output rotating and
             gzipping meanwhile), restarted: none lost,
             duplicates counted (the checkpoint saves the cursor within
             checkpoint_interval, so up to that much is sent again);
  absent     no receiver at start, one appears: all delivered, and the log
             says once that it is down and once that it is back;
  rotation   the output rotates many times while the receiver is away:
             its rotated files wait, plain, then all is delivered in
             order and they are gzipped and pruned;
  reload     a reload changes the target to a second rsyslog: nothing
             lost, the lines after the reload at the second one.

"lost N duplicated M" is printed per fault.  Skipped (77) when rsyslogd or
its imrelp module (Debian: rsyslog-relp) is not installed.
"""
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402

WINDOW = 16


def rsyslogd():
    """The rsyslogd binary, or a Skip."""
    path = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
    if not os.access(path, os.X_OK):
        raise tmtest.Skip("rsyslogd is not installed (Debian: rsyslog, "
                          "rsyslog-relp)")
    if not glob.glob("/usr/lib/*/rsyslog/imrelp.so") and \
            not glob.glob("/usr/lib/rsyslog/imrelp.so"):
        raise tmtest.Skip("rsyslog's imrelp module is not installed "
                          "(Debian: rsyslog-relp)")
    return path


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Receiver:
    """An rsyslogd with imrelp on `port', writing what it gets to
    `out'."""

    def __init__(self, t, name, template="%rawmsg%"):
        self.t = t
        self.name = name
        self.port = free_port()
        self.dir = t.path(name)
        os.makedirs(self.dir)
        self.out = os.path.join(self.dir, "received.log")
        self.conf = t.write(name + "/rsyslog.conf", """\
global(workDirectory="%(dir)s")
main_queue(queue.type="Direct")
module(load="imrelp")
template(name="raw" type="string" string="%(template)s\\n")
ruleset(name="fwd") {
  action(type="omfile" file="%(out)s" template="raw"
         asyncWriting="off" flushOnTXEnd="on")
}
input(type="imrelp" port="%(port)d" address="127.0.0.1" ruleset="fwd")
""" % {"dir": self.dir, "out": self.out, "port": self.port,
       "template": template})
        self.proc = None
        RECEIVERS.append(self)

    def start(self):
        err = open(os.path.join(self.dir, "rsyslogd.stderr"), "ab")
        self.proc = subprocess.Popen(
            [rsyslogd(), "-n", "-f", self.conf, "-i",
             os.path.join(self.dir, "rsyslogd.pid")],
            stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        err.close()
        tmtest.wait_for(lambda: self.proc.poll() is not None or
                        listening(self.port),
                        "rsyslogd to listen on port %d" % self.port)
        if self.proc.poll() is not None:
            tmtest.fail("rsyslogd exited: %s" % tmtest.read(
                os.path.join(self.dir, "rsyslogd.stderr")).decode(
                    errors="replace"))

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def lines(self):
        try:
            data = tmtest.read(self.out)
        except FileNotFoundError:
            return []
        # Only whole lines: the last may be half written right now.
        return data[:data.rfind(b"\n") + 1].split(b"\n")[:-1]


def seqs(lines, fid="a"):
    """The sequence numbers of numbered lines, checking each is whole."""
    out = []
    for line in lines:
        parts = line.split(b" ", 2)
        if len(parts) < 2 or parts[0] != fid.encode():
            tmtest.fail("a line that was never written: %r" % line[:100])
        seq = int(parts[1])
        if line + b"\n" != tmtest.seq_line(fid, seq):
            tmtest.fail("line %d arrived damaged: %r" % (seq, line[:100]))
        out.append(seq)
    return out


def tally(t, got, n, what, max_dup=None):
    """Checks lines 1..n arrived, each at least once, and that apart from
    the lines sent again (a rewind to an earlier line) they came in
    order; prints and returns (lost, duplicated)."""
    seen = set(got)
    lost = len(set(range(1, n + 1)) - seen)
    dup = len(got) - len(seen)
    print("# %s: %d lines, lost %d duplicated %d" % (what, n, lost, dup))
    t.check(lost == 0, "%s: no line lost" % what, "%d lost" % lost)
    t.check(seen <= set(range(1, n + 1)), "%s: no line that was never "
            "written" % what)
    # In order: every line is the one after the highest before it, or a
    # line sent again (at most that highest).
    high = 0
    for s in got:
        if s > high + 1:
            tmtest.fail("%s: line %d arrived after %d: a line skipped"
                        % (what, s, high))
        high = max(high, s)
    t.ok("%s: in order, but for lines sent again" % what)
    if max_dup is not None:
        t.check(dup <= max_dup, "%s: duplicates (%d) within %d"
                % (what, dup, max_dup))
    return lost, dup


class Writer(threading.Thread):
    """Appends lines first..last of file "a" to `path' in batches of
    `batch' every `pause' seconds."""

    def __init__(self, path, first, last, batch=200, pause=0.01):
        super().__init__(daemon=True)
        self.path, self.first, self.last = path, first, last
        self.batch, self.pause = batch, pause
        self.done = 0

    def run(self):
        seq = self.first
        while seq <= self.last:
            end = min(seq + self.batch - 1, self.last)
            tmtest.append(self.path, tmtest.seq_lines("a", seq, end))
            self.done = end
            seq = end + 1
            time.sleep(self.pause)


def config(t, name, target, checkpoint="1s", out_opts=None, fmt="raw",
           **tailmux):
    path = t.config([("a", t.path("app.log"))], name=name,
                    output=t.path("out", "merged.log"),
                    checkpoint_interval=checkpoint, out_opts=out_opts,
                    **tailmux)
    with open(path, "a") as f:
        f.write("\n[forward:relay]\nprotocol = relp\ntarget = 127.0.0.1:%d\n"
                "window = %d\nreconnect_min = 50ms\nreconnect_max = 200ms\n"
                "format = %s\n" % (target, WINDOW, fmt))
    return path


def wait_all(t, rcv, n, daemon=None, what="", others=()):
    def enough():
        got = set(seqs(rcv.lines()))
        for o in others:
            got |= set(seqs(o.lines()))
        return len(got) >= n
    tmtest.wait_for(enough, "%s: the receiver to hold all %d lines"
                    % (what, n), daemon=daemon)


def normal(t):
    rcv = Receiver(t, "normal")
    rcv.start()
    tmtest.append(t.path("app.log"), tmtest.seq_lines("a", 1, 3000))
    d = t.start(config(t, "normal.ini", rcv.port))
    d.wait_log("forward relay: connected to 127.0.0.1:%d" % rcv.port)
    wait_all(t, rcv, 3000, d, "normal")
    w = Writer(t.path("app.log"), 3001, 6000)
    w.start()
    w.join()
    wait_all(t, rcv, 6000, d, "normal")
    got = seqs(rcv.lines())
    t.check(got == list(range(1, 6001)), "normal: every line exactly once, "
            "in order", "%d lines" % len(got))
    print("# normal: 6000 lines, lost 0 duplicated 0")
    d.stop()
    rcv.stop()
    os.unlink(t.path("app.log"))
    shutil.rmtree(t.path("out"))


def rfc5424(t):
    """format = rfc5424: rsyslog parses each frame as RFC 5424; its MSG
    (%msg%) is the line, and its APP-NAME is tailmux."""
    rcv = Receiver(t, "rfc5424", template="%app-name% %msg%")
    rcv.start()
    tmtest.append(t.path("app.log"), tmtest.seq_lines("a", 1, 2000))
    d = t.start(config(t, "rfc5424.ini", rcv.port, fmt="rfc5424"))
    tmtest.wait_for(lambda: len(rcv.lines()) >= 2000,
                    "the receiver to get 2000 lines", daemon=d)
    lines = rcv.lines()
    t.check(all(x.startswith(b"tailmux ") for x in lines),
            "rfc5424: APP-NAME is tailmux", lines[0][:80])
    got = seqs([x[len(b"tailmux "):] for x in lines])
    t.check(got == list(range(1, 2001)), "rfc5424: every line's MSG "
            "exactly once, in order")
    d.stop()
    rcv.stop()
    os.unlink(t.path("app.log"))
    shutil.rmtree(t.path("out"))


def receiver_killed(t):
    rcv = Receiver(t, "receiver")
    rcv.start()
    d = t.start(config(t, "receiver.ini", rcv.port))
    w = Writer(t.path("app.log"), 1, 20000, batch=100, pause=0.005)
    w.start()
    tmtest.wait_for(lambda: len(rcv.lines()) >= 3000,
                    "the receiver to get 3000 lines", daemon=d)
    rcv.kill()
    time.sleep(0.1)  # lines go on into the output meanwhile
    rcv.start()
    tmtest.wait_for(lambda: len(rcv.lines()) >= 8000,
                    "the receiver to get 8000 lines", daemon=d)
    rcv.kill()
    rcv.start()
    w.join()
    wait_all(t, rcv, 20000, d, "receiver killed")
    tally(t, seqs(rcv.lines()), 20000, "receiver killed twice (-9)",
          max_dup=2 * WINDOW)
    t.check(d.stderr().count("is back") >= 1,
            "the log says when the receiver is back")
    d.stop()
    rcv.stop()
    os.unlink(t.path("app.log"))
    shutil.rmtree(t.path("out"))


def tailmux_killed(t):
    rcv = Receiver(t, "tailmux")
    rcv.start()
    # The output rotates meanwhile: cursors in rotated files, found
    # again by identity at restart, and gzip held back till they are
    # read.
    cfg = config(t, "tailmux.ini", rcv.port, checkpoint="50ms",
                 out_opts={"rotate_size": "256K", "compress": "gzip",
                           "keep": 3})
    d = t.start(cfg)
    w = Writer(t.path("app.log"), 1, 20000, batch=100, pause=0.005)
    w.start()
    for k in range(3):
        want = 3000 * (k + 1)
        tmtest.wait_for(lambda: len(rcv.lines()) >= want,
                        "the receiver to get %d lines" % want, daemon=d)
        d.kill()  # frames are in flight: lines stream in
        d = t.start(cfg)
    w.join()
    wait_all(t, rcv, 20000, d, "tailmux killed")
    tally(t, seqs(rcv.lines()), 20000, "tailmux killed 3 times (-9)")
    d.stop()
    rcv.stop()
    os.unlink(t.path("app.log"))
    shutil.rmtree(t.path("out"))


def absent(t):
    rcv = Receiver(t, "absent")
    tmtest.append(t.path("app.log"), tmtest.seq_lines("a", 1, 2000))
    d = t.start(config(t, "absent.ini", rcv.port))
    d.wait_log("forward relay: 127.0.0.1:%d:" % rcv.port)
    tmtest.append(t.path("app.log"), tmtest.seq_lines("a", 2001, 4000))
    # A few failed tries, said once.
    time.sleep(0.5)
    rcv.start()
    wait_all(t, rcv, 4000, d, "absent")
    got = seqs(rcv.lines())
    t.check(got == list(range(1, 4001)), "absent at start: every line "
            "exactly once, in order, once it appears")
    print("# absent at start: 4000 lines, lost 0 duplicated 0")
    err = d.stderr()
    t.check(err.count("forward relay: 127.0.0.1") == 2,
            "the log says once that it is down and once that it is back",
            err)
    d.stop()
    rcv.stop()
    os.unlink(t.path("app.log"))
    shutil.rmtree(t.path("out"))


def reload(t):
    one, two = Receiver(t, "one"), Receiver(t, "two")
    one.start()
    two.start()
    cfg = config(t, "reload.ini", one.port)
    tmtest.append(t.path("app.log"), tmtest.seq_lines("a", 1, 2000))
    d = t.start(cfg)
    wait_all(t, one, 2000, d, "reload, before")
    # workers changes too: the pool is remade while the forwarder reads.
    config(t, "reload.ini", two.port, workers=1)
    d.send(signal.SIGHUP)
    d.wait_log("reload: [forward:relay] changed")
    d.wait_log("reload: 1 worker thread now")
    tmtest.append(t.path("app.log"), tmtest.seq_lines("a", 2001, 4000))
    wait_all(t, two, 4000, d, "reload, after", others=(one,))
    got1, got2 = seqs(one.lines()), seqs(two.lines())
    lost, dup = tally(t, sorted(got1 + got2), 4000, "reload to a new "
                      "target")
    t.check(set(range(2001, 4001)) <= set(got2), "the lines after the "
            "reload went to the new target")
    d.stop()
    one.stop()
    two.stop()


def rotation(t):
    """The output rotates (and would gzip and keep only 2 rotated files)
    while the receiver is away: the rotated files wait, plain, until the
    forwarder has read them; then all is delivered and they are gzipped
    and pruned."""
    rcv = Receiver(t, "rotation")
    opts = {"rotate_size": "64K", "compress": "gzip", "keep": 2}
    d = t.start(config(t, "rotation.ini", rcv.port, out_opts=opts))
    w = Writer(t.path("app.log"), 1, 10000, batch=500, pause=0.01)
    w.start()
    w.join()
    out = t.path("out")
    rotated = tmtest.wait_for(
        lambda: len([n for n in os.listdir(out) if n != "merged.log"]) >= 8
        and os.listdir(out), "the output to rotate 8 times", daemon=d)
    t.check(not [n for n in rotated if n.endswith(".gz")],
            "rotated files the forwarder has not read stay plain, all kept",
            " ".join(sorted(rotated)))
    rcv.start()
    wait_all(t, rcv, 10000, d, "rotation")
    got = seqs(rcv.lines())
    t.check(got == list(range(1, 10001)), "across %d output rotations: "
            "every line exactly once, in order" % (len(rotated) - 1))
    print("# output rotated while away: 10000 lines, lost 0 duplicated 0")
    tmtest.wait_for(lambda: len([n for n in os.listdir(out)
                                 if n.endswith(".gz")]) == 2 and
                    len(os.listdir(out)) == 3,
                    "the rotated files to be gzipped and pruned to 2",
                    daemon=d)
    t.ok("then they are gzipped and pruned (keep = 2)")
    d.stop()
    rcv.stop()
    os.unlink(t.path("app.log"))
    shutil.rmtree(t.path("out"))


RECEIVERS = []


def main(t):
    rsyslogd()
    try:
        normal(t)
        rfc5424(t)
        receiver_killed(t)
        tailmux_killed(t)
        absent(t)
        rotation(t)
        reload(t)
    finally:
        for r in RECEIVERS:
            r.kill()


if __name__ == "__main__":
    tmtest.main(main)
