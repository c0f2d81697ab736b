#!/usr/bin/env python3
"""Forwarding as syslog over TCP (protocol = syslog-tcp: RFC 5424
messages, RFC 6587 octet counting) to a real rsyslog (imtcp, which finds
the framing by itself), started by the test.

Each receiver is rsyslogd -n as in tests/test_forward.py, with imtcp in
place of imrelp, its main queue "Direct" (a message it read is in its file
before it reads the next) and a template of the parsed fields.  There are
no acknowledgements but TCP's: tailmux's cursor moves over what the peer's
kernel acknowledged, so what that kernel held and rsyslogd had not read
when rsyslogd died is lost; the test counts it rather than asserting it
away.

Scenarios, each with numbered lines (tmtest.seq_line) in one input:

  normal     every line once, in order; rsyslog parses APP-NAME (the
             input's tag), HOSTNAME, the structured data naming the file
             read, and MSG (the line), from json output lines;
  receiver   rsyslog killed with -9 mid-stream, twice, restarted: lost
             and duplicated lines counted; the lost ones, if any, are
             next to a kill (at most one run of them per kill);
  tailmux    tailmux killed with -9 mid-stream, three times, restarted:
             none lost, duplicates counted;
  absent     no receiver at start, one appears: all delivered once, and
             the log says once that it is down and once that it is back;
  stall      a receiver that reads nothing: tailmux's memory stays
             bounded while the output takes every line; when it reads,
             every line arrives.

"lost N duplicated M" is printed per fault.  Skipped (77) when rsyslogd or
its imtcp module is not installed.
"""
import glob
import os
import shutil
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402
import test_forward  # noqa: E402
from test_forward import Writer, seqs, tally, wait_all  # noqa: E402


def rsyslogd():
    """The rsyslogd binary, or a Skip."""
    path = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
    if not os.access(path, os.X_OK):
        raise tmtest.Skip("rsyslogd is not installed (Debian: rsyslog)")
    if not glob.glob("/usr/lib/*/rsyslog/imtcp.so") and \
            not glob.glob("/usr/lib/rsyslog/imtcp.so"):
        raise tmtest.Skip("rsyslog's imtcp module is not installed")
    return path


# Receiver.start() looks rsyslogd up through its module.
test_forward.rsyslogd = rsyslogd

# The fields rsyslog parsed, '|' apart (no numbered line holds one).
FIELDS = "%app-name%|%hostname%|%structured-data%|%msg%"


class Receiver(test_forward.Receiver):
    """An rsyslogd with imtcp on `port', writing what it gets to `out'
    through `template'."""

    def __init__(self, t, name, template="%msg%"):
        super().__init__(t, name, template)
        self.conf = t.write(name + "/rsyslog.conf", """\
global(workDirectory="%(dir)s")
main_queue(queue.type="Direct")
module(load="imtcp")
template(name="raw" type="string" string="%(template)s\\n")
ruleset(name="fwd") {
  action(type="omfile" file="%(out)s" template="raw"
         asyncWriting="off" flushOnTXEnd="on")
}
input(type="imtcp" port="%(port)d" address="127.0.0.1" ruleset="fwd")
""" % {"dir": self.dir, "out": self.out, "port": self.port,
       "template": template})


def config(t, name, port, checkpoint="1s", fmt=None, out_fmt=None,
           out_opts=None):
    path = t.config([("a", t.path("app.log"))], name=name,
                    output=t.path("out", "merged.log"), fmt=out_fmt,
                    checkpoint_interval=checkpoint, out_opts=out_opts)
    with open(path, "a") as f:
        f.write("\n[forward:relay]\nprotocol = syslog-tcp\n"
                "target = 127.0.0.1:%d\nreconnect_min = 50ms\n"
                "reconnect_max = 200ms\n" % port)
        if fmt is not None:
            f.write("format = %s\n" % fmt)
    return path


def clean(t):
    os.unlink(t.path("app.log"))
    shutil.rmtree(t.path("out"))


def normal(t):
    rcv = Receiver(t, "normal", template=FIELDS)
    rcv.start()
    tmtest.append(t.path("app.log"), tmtest.seq_lines("a", 1, 3000))
    d = t.start(config(t, "normal.ini", rcv.port, out_fmt="json"))
    d.wait_log("forward relay: connected to 127.0.0.1:%d" % rcv.port)
    tmtest.wait_for(lambda: len(rcv.lines()) >= 3000,
                    "the receiver to get 3000 lines", daemon=d)
    w = Writer(t.path("app.log"), 3001, 6000)
    w.start()
    w.join()
    tmtest.wait_for(lambda: len(rcv.lines()) >= 6000,
                    "the receiver to get 6000 lines", daemon=d)
    rows = [x.split(b"|", 3) for x in rcv.lines()]
    host = socket.gethostname().encode()
    sd = b'[tailmux@32473 path="%s"]' % t.path("app.log").encode()
    t.check(all(r[0] == b"a" for r in rows), "normal: APP-NAME is the "
            "input's tag", rows[0][0])
    t.check(all(r[1] == host for r in rows), "normal: HOSTNAME is this "
            "host's", rows[0][1])
    t.check(all(r[2] == sd for r in rows), "normal: the structured data "
            "names the file read", rows[0][2])
    got = seqs([r[3] for r in rows])
    t.check(got == list(range(1, 6001)), "normal: every line's MSG exactly "
            "once, in order", "%d lines" % len(got))
    print("# normal: 6000 lines, lost 0 duplicated 0")
    d.stop()
    rcv.stop()
    clean(t)


def lost_runs(got, n):
    """The runs of consecutive lines of 1..n not in `got'."""
    seen, runs, prev = set(got), 0, False
    for s in range(1, n + 1):
        if s not in seen and not prev:
            runs += 1
        prev = s not in seen
    return runs


def receiver_killed(t):
    rcv = Receiver(t, "receiver")
    rcv.start()
    d = t.start(config(t, "receiver.ini", rcv.port))
    w = Writer(t.path("app.log"), 1, 20000, batch=100, pause=0.005)
    w.start()
    tmtest.wait_for(lambda: len(rcv.lines()) >= 3000,
                    "the receiver to get 3000 lines", daemon=d)
    rcv.kill()
    d.wait_log("forward relay: 127.0.0.1:%d:" % rcv.port)
    rcv.start()
    tmtest.wait_for(lambda: len(rcv.lines()) >= 8000,
                    "the receiver to get 8000 lines", daemon=d)
    rcv.kill()
    rcv.start()
    w.join()
    tmtest.wait_for(lambda: 20000 in seqs(rcv.lines()),
                    "the receiver to get line 20000", daemon=d)
    d.stop()  # what was sent is delivered: the rest is lost
    got = seqs(rcv.lines())
    seen = set(got)
    lost = 20000 - len(seen & set(range(1, 20001)))
    dup = len(got) - len(seen)
    print("# receiver killed twice (-9): 20000 lines, lost %d "
          "duplicated %d" % (lost, dup))
    t.check(seen <= set(range(1, 20001)), "receiver killed: no line that "
            "was never written")
    runs = lost_runs(got, 20000)
    t.check(runs <= 2, "receiver killed: lines lost only at the kills "
            "(%d runs of them, 2 kills)" % runs)
    t.check(d.stderr().count("is back") >= 1,
            "the log says when the receiver is back")
    rcv.stop()
    clean(t)


def tailmux_killed(t):
    rcv = Receiver(t, "tailmux")
    rcv.start()
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
        d.kill()
        d = t.start(cfg)
    w.join()
    wait_all(t, rcv, 20000, d, "tailmux killed")
    tally(t, seqs(rcv.lines()), 20000, "tailmux killed 3 times (-9)")
    d.stop()
    rcv.stop()
    clean(t)


def absent(t):
    rcv = Receiver(t, "absent")
    tmtest.append(t.path("app.log"), tmtest.seq_lines("a", 1, 2000))
    d = t.start(config(t, "absent.ini", rcv.port))
    d.wait_log("forward relay: 127.0.0.1:%d:" % rcv.port)
    tmtest.append(t.path("app.log"), tmtest.seq_lines("a", 2001, 4000))
    tmtest.caught_up(t.path("out", "merged.log"),
                     len(tmtest.seq_lines("a", 1, 4000)), "absent",
                     daemon=d)
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
    clean(t)


def stall(t):
    """A server that accepts and reads nothing: the kernel's buffers fill,
    then tailmux's bounded one; the output takes every line meanwhile.
    Then it reads all: every line arrives."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    n = 200000  # ~11 MiB
    d = t.start(config(t, "stall.ini", port, fmt="raw"))
    conn, _ = srv.accept()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    rss0 = tmtest.rss_kib(d.proc.pid)
    w = Writer(t.path("app.log"), 1, n, batch=5000, pause=0.001)
    w.start()
    w.join()
    total = len(tmtest.seq_lines("a", 1, n))
    tmtest.caught_up(t.path("out", "merged.log"), total, "stall", daemon=d)
    rss1 = tmtest.rss_kib(d.proc.pid)
    print("# stall: %d MiB of lines to the output, RSS %d KiB -> %d KiB"
          % (total >> 20, rss0, rss1))
    if tmtest.sanitized(t.bin):
        t.ok("stall: memory not measured: a sanitizer's own memory would "
             "be")
    else:
        t.check(rss1 - rss0 < 8192, "stall: memory bounded (%d KiB more)"
                % (rss1 - rss0))
    # Now it reads: octet-counted frames, the raw lines.
    data = bytearray()
    got = []

    def read_all():
        while len(got) < n:
            b = conn.recv(1 << 20)
            if not b:
                return
            data.extend(b)
            while True:
                sp = data.find(b" ")
                if sp < 0:
                    break
                k = int(data[:sp])
                if len(data) < sp + 1 + k:
                    break
                got.append(bytes(data[sp + 1:sp + 1 + k]))
                del data[:sp + 1 + k]
    r = threading.Thread(target=read_all, daemon=True)
    r.start()
    tmtest.wait_for(lambda: len(got) >= n, "the stalled receiver to "
                    "read all %d lines" % n, daemon=d)
    lost, dup = tally(t, seqs(got), n, "stalled receiver")
    d.stop()
    conn.close()
    srv.close()
    clean(t)


def main(t):
    rsyslogd()
    try:
        normal(t)
        receiver_killed(t)
        tailmux_killed(t)
        absent(t)
        stall(t)
    finally:
        for r in test_forward.RECEIVERS:
            r.kill()


if __name__ == "__main__":
    tmtest.main(main)
