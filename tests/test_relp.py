#!/usr/bin/env python3
"""Forwarding against a RELP server of the test's own, for what a real
rsyslog does not do on demand (tests/test_forward.py has rsyslog).

  error     the server answers 500 to one frame: tailmux logs the answer,
            drops the connection, reconnects and sends again from the
            first frame not acknowledged: nothing lost, the duplicates
            within the window;
  stall     the server opens the session and then reads nothing: tailmux's
            memory stays bounded while the output takes every line, and
            STATUS= says how far the forwarder is behind; when the server
            closes and comes back, every line is delivered;
  cursor    the output rotates every 16 KiB and its rotated files are
            gzipped (keep = 0) while the forwarder keeps up: the file the
            checkpoint on disk names as the forwarder's cursor is, every
            time the state file is looked at (every 2 ms), still there as
            it was (plain) or the output itself, so that a kill -9 at any
            moment finds it; then a kill -9 and a restart, and every line
            arrives.

"lost N duplicated M" is printed per fault.
"""
import os
import re
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402
from test_notify import Listener, env_with  # noqa: E402
from test_forward import Writer, seqs, tally  # noqa: E402

WINDOW = 32


class Server:
    """A RELP server on 127.0.0.1: answers "open", then each "syslog" with
    200, but for the frame `fail_at' (counted over the server's life),
    answered 500, after which it reads nothing more of that connection;
    with `stall', it reads nothing after the open."""

    def __init__(self, port=0, fail_at=None, stall=False):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.fail_at, self.stall = fail_at, stall
        self.got = []        # the syslog messages acknowledged, in order
        self.frames = 0
        self.conns = []
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,),
                             daemon=True).start()

    def _frames(self, c):
        """Yields (txnr, command, data) as they come."""
        buf = b""
        while True:
            m = re.match(rb"(\d+) ([A-Za-z]+) (\d+)[ \n]", buf)
            if m:
                n = int(m.group(3))
                start = m.end() if n > 0 else m.end() - 1
                if len(buf) >= start + n + 1:
                    yield int(m.group(1)), m.group(2), buf[start:start + n]
                    buf = buf[start + n + 1:]
                    continue
            try:
                more = c.recv(65536)
            except OSError:
                return
            if not more:
                return
            buf += more

    def _serve(self, c):
        for txnr, cmd, data in self._frames(c):
            if cmd == b"open":
                body = b"200 OK\nrelp_version=0\ncommands=syslog"
                if self.stall:
                    c.sendall(b"%d rsp %d %s\n" % (txnr, len(body), body))
                    return  # reads nothing more; the socket stays open
            elif cmd == b"syslog":
                with self.lock:
                    self.frames += 1
                    bad = self.frames == self.fail_at
                    if not bad:
                        self.got.append(data)
                body = b"500 error - refused for the test" if bad \
                    else b"200 OK"
            elif cmd == b"close":
                body = b"200 OK"
            else:
                return
            try:
                c.sendall(b"%d rsp %d %s\n" % (txnr, len(body), body))
            except OSError:
                return
            if body.startswith(b"500"):
                return  # takes nothing more on this connection

    def lines(self):
        with self.lock:
            return list(self.got)

    def close(self):
        self.closed = True
        try:
            # Wakes the accept() under way: close() alone would leave
            # the port listening until it returns.
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                c.close()


def config(t, name, port, **opts):
    path = t.config([("a", t.path("app.log"))], name=name,
                    output=t.path("out", "merged.log"),
                    out_opts=opts.pop("out_opts", None))
    with open(path, "a") as f:
        f.write("\n[forward:relay]\nprotocol = relp\ntarget = 127.0.0.1:%d\n"
                "window = %d\nreconnect_min = 50ms\nreconnect_max = 200ms\n"
                % (port, WINDOW))
    return path


def error(t):
    srv = Server(fail_at=500)
    tmtest.append(t.path("app.log"), tmtest.seq_lines("a", 1, 3000))
    d = t.start(config(t, "error.ini", srv.port))
    d.wait_log("answered 500 error - refused for the test")
    tmtest.wait_for(lambda: len(set(seqs(srv.lines()))) >= 3000,
                    "every line at the server", daemon=d)
    tally(t, seqs(srv.lines()), 3000, "a 500 answer", max_dup=WINDOW)
    t.check(d.stderr().count("is back: sending") == 1, "the log says once that "
            "the server is back", d.stderr_tail())
    d.stop()
    srv.close()
    os.unlink(t.path("app.log"))
    os.unlink(t.path("out", "merged.log"))


def stall(t):
    srv = Server(stall=True)
    systemd = "systemd: yes" in t.run("-V")[1]
    lst = Listener(t, "stall") if systemd else None
    env = env_with(NOTIFY_SOCKET=lst.path) if systemd else None
    cfg = config(t, "stall.ini", srv.port,
                 out_opts={"max_pending": "1M"})
    d = t.start(cfg, env=env)
    d.wait_log("forward relay: connected")
    # 100,000 lines of 400 bytes: 40 MB, far more than the window.
    n, size = 100000, 400
    pad = b"x" * size
    with open(t.path("app.log"), "ab") as f:
        for s in range(1, n + 1):
            f.write(b"a %d %s\n" % (s, pad[:size - 4 - len(str(s))]))
    total = n * size
    peak = [0]

    def output_done():
        peak[0] = max(peak[0], tmtest.rss_kib(d.proc.pid))
        return tmtest.size(t.path("out", "merged.log")) >= total
    tmtest.wait_for(output_done, "the output to take all %d lines while "
                    "the receiver stalls" % n, daemon=d)
    peak[0] = max(peak[0], tmtest.rss_kib(d.proc.pid))
    print("# stalled receiver: peak RSS %d KiB for %d MB of lines"
          % (peak[0], total >> 20))
    if tmtest.sanitized(t.bin):
        t.ok("memory not measured: a sanitizer's own memory would be")
    else:
        t.check(peak[0] < 32 * 1024, "memory stays bounded while the "
                "receiver stalls (peak RSS %d KiB < 32 MiB, 38 MiB of "
                "lines)" % peak[0])
    if lst is not None:
        st = lst.wait(lambda ms: [m for m in ms if re.search(
            r"; forward relay: [1-9]\d* bytes behind$", m)],
            "a STATUS= line with the forwarder behind", d)
        t.ok("STATUS= says how far the forwarder is behind: %s" % st[-1])
    # The server goes away and comes back, reading: all arrives.
    srv.close()
    srv2 = Server(port=srv.port)
    tmtest.wait_for(lambda: len(srv2.lines()) >= n,
                    "every line at the server once it reads", daemon=d)
    got = srv2.lines()
    whole = [int(x.split(b" ")[1]) for x in got]
    t.check(whole == list(range(1, n + 1)), "after the stall: every line "
            "once, in order")
    print("# stalled receiver, then back: %d lines, lost 0 duplicated 0" % n)
    if lst is not None:
        lst.wait(lambda ms: [m for m in ms if m.endswith(
            "; forward relay: 0 bytes behind")],
            "a STATUS= line with the forwarder caught up", d)
        t.ok("STATUS= says when it has caught up")
    d.stop()
    srv2.close()
    if lst is not None:
        lst.close()


def state_cursor(path):
    """The (dev, ino) of the forwarder's cursor file in the checkpoint
    at `path', or None."""
    try:
        with open(path) as f:
            for line in f:
                w = line.split()
                if w and w[0] == "forward":
                    return int(w[1]), int(w[2])
    except OSError:
        pass
    return None


def plain_files(d):
    """The (dev, ino) of the plain (not gzipped) files in directory d, by
    the inodes the listing gives (a stat by name after it could meet the
    output renamed by a rotation meanwhile, and the next one there)."""
    dev = os.stat(d).st_dev
    with os.scandir(d) as it:
        return {(dev, e.inode()) for e in it
                if not e.name.endswith(".gz") and not e.name.endswith(".tmp")}


def cursor(t):
    srv = Server()
    outdir = t.path("out")
    state = t.path("cursor.state")
    # A fresh input and output: the scenarios before leave theirs.
    if os.path.exists(t.path("app.log")):
        os.unlink(t.path("app.log"))
    for e in os.listdir(outdir):
        os.unlink(os.path.join(outdir, e))
    cfg = config(t, "cursor.ini", srv.port, out_opts={
        "rotate_size": "16K", "compress": "gzip", "keep": 0})
    with open(cfg) as f:
        text = f.read()
    with open(cfg, "w") as f:
        f.write(text.replace("[tailmux]\n", "[tailmux]\ncheckpoint_interval "
                             "= 100ms\n", 1))
    n = 20000
    d = t.start(cfg)
    w = Writer(t.path("app.log"), 1, n, batch=100, pause=0.005)
    w.start()
    looks = gone = 0
    seen = set()
    while w.is_alive():
        cur = state_cursor(state)
        if cur is not None:
            looks += 1
            inos = plain_files(outdir)
            seen.add(cur)
            # Looked at again: the checkpoint may have moved on meanwhile.
            if cur not in inos and state_cursor(state) == cur:
                gone += 1
        time.sleep(0.002)  # a sampling period, not a wait
    print("# cursor: %d looks at the checkpoint, %d cursor files, %d "
          "times its file was gone" % (looks, len(seen), gone))
    t.check(len(seen) > 5, "cursor: the cursor went through the rotated "
            "files (%d of them)" % len(seen))
    t.check(gone == 0, "cursor: the checkpoint on disk never named a "
            "cursor file already gzipped or removed (%d times)" % gone)
    d.kill()
    d = t.start(cfg)
    tmtest.wait_for(lambda: len(set(seqs(srv.lines()))) >= n,
                    "every line at the server after the kill -9", daemon=d)
    t.check("is gone" not in d.stderr(), "cursor: the restart found the "
            "cursor's file", d.stderr_tail())
    tally(t, seqs(srv.lines()), n, "kill -9 with the output rotating")
    d.stop()
    srv.close()


def main(t):
    error(t)
    stall(t)
    cursor(t)


tmtest.main(main)
