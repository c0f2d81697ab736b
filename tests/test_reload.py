#!/usr/bin/env python3
"""SIGHUP reloads the configuration, under load, applying only the change.

Writer threads append numbered lines to every input file all the time
(about 300 lines a second each); the output format is tagged, so each
output line names its input's tag.

  * One run goes through these reloads, each awaited through its
    "reloaded" notice: (1) two inputs added in the main file, one with
    start = head (its file already holds lines: all of them appear) and one
    with start = end (its writer paused: only the lines written after the
    reload appear); (2) an input added by a new drop-in file in conf.d;
    (3) an input's tag changed in its drop-in, its writer paused and its
    lines all merged first: lines up to the reload carry the old tag, all
    later ones the new; (4) an input removed from the main file, and one
    removed by deleting its drop-in; (5) nothing changed.  Then a drop-in
    with a syntax error: the error is logged as FILE:LINE, the daemon says
    it goes on with the configuration it had, and lines keep flowing.
    At the end the unchanged and added inputs have every line exactly once
    and in order; so do the files still covered by an input that changed
    (one of its two paths dropped; an exclude added to a glob input); the
    removed ones, and the files no longer covered, a gap-free prefix
    without repeats that holds at least every line written before their
    reload, and the checkpoint remembers the removed inputs' files as read
    to their end ("done").
  * workers 2 -> 1 -> 3 under load (and state_file changed with the
    second reload, which is saved to at once): no line lost or repeated.
  * The output path changed under load (to a directory that does not
    exist yet): the old output, then the new one, hold every line exactly
    once.  The same with kill -9 right after the reload and a restart.
  * kill -9 right after a reload that adds an input and changes another
    one's tag, then a restart: every line exactly once.
"""
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402

RATE = 300  # lines a second, per file


class Writer(threading.Thread):
    """Appends lines 1, 2, ... of `fid' to `path' at about RATE a second,
    in batches of whole lines, until stop().  pause() returns once no
    write is under way and none starts until resume()."""

    def __init__(self, fid, path):
        super().__init__(daemon=True)
        self.fid = fid
        self.path = path
        self.seq = 0
        self.error = None
        self._halt = threading.Event()
        self._run = threading.Event()
        self._run.set()
        self._lock = threading.Lock()

    def run(self):
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                         0o644)
            t0 = time.monotonic()
            done = 0
            while not self._halt.is_set():
                self._run.wait()
                with self._lock:
                    if self._halt.is_set():
                        break
                    if not self._run.is_set():
                        continue
                    due = int((time.monotonic() - t0) * RATE) - done
                    if due > 0:
                        due = min(due, 200)
                        tmtest.write_all(fd, tmtest.seq_lines(
                            self.fid, self.seq + 1, self.seq + due))
                        self.seq += due
                        done += due
                time.sleep(0.01)
            os.close(fd)
        except Exception as e:  # reported by stop()
            self.error = e

    def pause(self):
        self._run.clear()
        with self._lock:
            return self.seq

    def resume(self):
        self._run.set()

    def stop(self):
        self._halt.set()
        self._run.set()
        self.join(10)
        if self.error is not None:
            tmtest.fail("writer of %s failed: %r" % (self.fid, self.error))
        return self.seq


class Tagged:
    """Follows tagged output files (in order) and keeps, for each file-id,
    the (seq, tag) of its lines as they appear, checking that each line is
    whole and that each file's lines follow one another without gap or
    repeat from the first one seen."""

    def __init__(self, paths):
        self.paths = list(paths)
        self.offsets = [0] * len(self.paths)
        self.rest = [b""] * len(self.paths)
        self.lines = {}

    def poll(self):
        for i, path in enumerate(self.paths):
            try:
                with open(path, "rb") as f:
                    f.seek(self.offsets[i])
                    data = f.read()
            except FileNotFoundError:
                continue
            self.offsets[i] += len(data)
            data = self.rest[i] + data
            cut = data.rfind(b"\n") + 1
            self.rest[i] = data[cut:]
            for line in data[:cut - 1].split(b"\n") if cut else []:
                self.add(line, path)
        return self

    def add(self, line, path):
        parts = line.split(b" ", 4)
        if len(parts) != 5:
            tmtest.fail("%s: not 'TIME TAG FILE SEQ PAD': %r"
                        % (path, line[:120]))
        tag, fid, seq, pad = (parts[1].decode(), parts[2].decode(),
                              int(parts[3]), parts[4])
        if pad != tmtest.seq_pad(fid, seq):
            tmtest.fail("%s: a cut or spliced line: %r" % (path, line[:160]))
        seen = self.lines.setdefault(fid, [])
        if seen and seq != seen[-1][0] + 1:
            tmtest.fail("%s: file %s line %d follows line %d (%s)"
                        % (path, fid, seq, seen[-1][0],
                           "repeated or out of order" if seq <= seen[-1][0]
                           else "lines missing"))
        seen.append((seq, tag))

    def count(self, fid):
        seen = self.lines.get(fid)
        return seen[-1][0] if seen else 0

    def first(self, fid):
        seen = self.lines.get(fid)
        return seen[0][0] if seen else None

    def tags(self, fid):
        return [tag for _, tag in self.lines.get(fid, [])]


def wait_lines(d, tail, fid, n, what):
    """Waits until file `fid' has lines up to `n' in the output."""
    tmtest.wait_for(lambda: tail.poll().count(fid) >= n,
                    "line %d of %s in the output (%s)" % (n, fid, what),
                    daemon=d)


def reload(d, what, count=None):
    """SIGHUP, then waits for the next "reloaded" notice."""
    before = d.stderr().count("reloaded ")
    d.send(signal.SIGHUP)
    tmtest.wait_for(lambda: d.stderr().count("reloaded ") > before,
                    "the reload (%s)" % what, daemon=d)
    if count is not None:
        last = [line for line in d.stderr().splitlines()
                if "reloaded " in line][-1]
        if count not in last:
            tmtest.fail("the reload (%s) says %r, expected %r"
                        % (what, last, count))


def stop_all(writers):
    return {w.fid: w.stop() for w in writers}


def main_file(t, sub, inputs, workers=2, output="out.log", state="state"):
    """The main configuration of run `sub': tagged output, conf.d/*.ini
    included; `inputs' is a list of (name, file, extra lines)."""
    text = ("[tailmux]\nworkers = %d\nstate_file = %s\n"
            "include = conf.d/*.ini\ncheckpoint_interval = 100ms\n\n"
            "[output]\npath = %s\nformat = tagged\n"
            % (workers, state, output))
    for name, path, extra in inputs:
        text += "\n[input:%s]\npath = %s\n%s" % (name, path, extra)
    return t.write(os.path.join(sub, "main.ini"), text)


def drop_in(t, sub, name, path, extra=""):
    return t.write(os.path.join(sub, "conf.d", name + ".ini"),
                   "[input:%s]\npath = ../%s\n%s" % (name, path, extra))


def check_whole(t, tail, fid, n, first=1, what=""):
    seen = tail.lines.get(fid, [])
    t.check(seen and seen[0][0] == first and seen[-1][0] == n,
            "%s: lines %d..%d, each once and in order%s"
            % (fid, first, n, what),
            "got %s" % ("lines %d..%d" % (seen[0][0], seen[-1][0])
                        if seen else "none"))


def test_reloads(t):
    sub = "main"
    os.makedirs(t.path(sub, "conf.d"))
    fids = ["u1", "u2", "t", "r1", "r2", "m", "me", "d", "pa", "pb", "ga",
            "gb"]
    os.makedirs(t.path(sub, "g"))
    writers = {f: Writer(f, t.path(sub, "g" if f[0] == "g" else "",
                                   f + ".log")) for f in fids}
    base = [("u1", "u1.log", ""), ("r1", "r1.log", "")]
    cfg = main_file(t, sub, base)
    drop_in(t, sub, "u2", "u2.log")
    drop_in(t, sub, "t", "t.log", "tag = old\n")
    r2_ini = drop_in(t, sub, "r2", "r2.log")
    drop_in(t, sub, "p", "pa.log", "path = ../pb.log\n")
    drop_in(t, sub, "g", "g/*.log")
    for w in writers.values():
        w.start()
    out = t.path(sub, "out.log")
    tail = Tagged([out])
    d = t.start(cfg)
    for fid in ("u1", "u2", "t", "r1", "r2", "pa", "pb", "ga", "gb"):
        wait_lines(d, tail, fid, 50, "start-up")

    # (1) two inputs added in the main file: start = head and start = end
    # (its writer paused, so that its end is known).
    me_before = writers["me"].pause()
    cfg = main_file(t, sub, base + [("m", "m.log", ""),
                                    ("me", "me.log", "start = end\n")])
    reload(d, "inputs added to the main file",
           "2 inputs added, 0 removed, 0 changed, 7 unchanged")
    writers["me"].resume()
    wait_lines(d, tail, "m", writers["m"].seq, "an added input")
    wait_lines(d, tail, "me", me_before + 20, "an added start = end input")
    t.check(tail.first("me") == me_before + 1,
            "start = end: an input added by a reload begins at the end of "
            "its file as it was then", "first line %r, file held %d"
            % (tail.first("me"), me_before))

    # (2) an input added by a new drop-in.
    drop_in(t, sub, "d", "d.log")
    reload(d, "a drop-in added", "1 input added, 0 removed, 0 changed")
    wait_lines(d, tail, "d", writers["d"].seq, "an added drop-in")
    t.ok("an input in a new drop-in file is followed from its start")

    # (3) a tag changed in a drop-in, with t's lines all merged first.
    t_before = writers["t"].pause()
    wait_lines(d, tail, "t", t_before, "t before its tag changes")
    # Let a read of t that came up empty meanwhile come back too: u1's
    # lines, read by later jobs of the same pool, show the loop went on.
    wait_lines(d, tail, "u1", tail.count("u1") + 30, "other reads go on")
    drop_in(t, sub, "t", "t.log", "tag = new\n")
    reload(d, "a tag changed", "0 inputs added, 0 removed, 1 changed")
    writers["t"].resume()
    wait_lines(d, tail, "t", t_before + 50, "t after its tag changed")

    # (4) an input removed from the main file, one by deleting its drop-in.
    r1_before = writers["r1"].seq
    cfg = main_file(t, sub, [("u1", "u1.log", ""), ("m", "m.log", ""),
                             ("me", "me.log", "start = end\n")])
    reload(d, "an input removed from the main file",
           "0 inputs added, 1 removed, 0 changed")
    r2_before = writers["r2"].seq
    os.unlink(r2_ini)
    reload(d, "a drop-in deleted", "0 inputs added, 1 removed, 0 changed")

    # (4') a path dropped from an input, a glob's match now excluded.
    pb_before = writers["pb"].seq
    drop_in(t, sub, "p", "pa.log")
    gb_before = writers["gb"].seq
    drop_in(t, sub, "g", "g/*.log", "exclude = gb.log\n")
    reload(d, "a path dropped, an exclude added",
           "0 inputs added, 0 removed, 2 changed")

    # (5) nothing changed.
    reload(d, "nothing changed",
           "0 inputs added, 0 removed, 0 changed, 8 unchanged")

    # A drop-in with a syntax error: logged, and nothing changes.
    bad = t.write(os.path.join(sub, "conf.d", "zz-bad.ini"),
                  "[input:bad]\npath = ../bad.log\n[oops\n")
    u1_now = tail.poll().count("u1")
    d.send(signal.SIGHUP)
    d.wait_log("going on with the configuration loaded before")
    t.check("%s:3: section header lacks its closing ']'" % bad in d.stderr(),
            "an invalid reload logs the error as FILE:LINE", d.stderr_tail())
    wait_lines(d, tail, "u1", u1_now + 100, "after the invalid reload")
    t.ok("after an invalid reload, lines keep flowing")
    os.unlink(bad)

    n = stop_all(writers.values())
    for fid in ("u1", "u2", "t", "m", "me", "d", "pa", "ga"):
        wait_lines(d, tail, fid, n[fid], "the end")
    d.stop()
    tail.poll()
    t.check(not any(tail.rest), "the output ends with a whole line")

    for fid in ("u1", "u2"):
        check_whole(t, tail, fid, n[fid], what=" (unchanged through every "
                    "reload)")
    for fid in ("m", "d", "t"):
        check_whole(t, tail, fid, n[fid])
    for fid in ("pa", "ga"):
        check_whole(t, tail, fid, n[fid], what=" (its input changed)")
    check_whole(t, tail, "me", n["me"], first=me_before + 1)
    tags = tail.tags("t")
    t.check(tags[:t_before] == ["old"] * t_before and
            tags[t_before:] == ["new"] * (len(tags) - t_before),
            "the changed tag is on the lines read after the reload only "
            "(lines 1..%d old, %d..%d new)" % (t_before, t_before + 1,
                                              n["t"]))
    for fid, before in (("r1", r1_before), ("r2", r2_before),
                        ("pb", pb_before), ("gb", gb_before)):
        seen = tail.lines.get(fid, [])
        t.check(seen and seen[0][0] == 1 and seen[-1][0] >= before,
                "%s (removed): lines 1..%d once and in order, at least the "
                "%d written before the reload" % (fid, seen[-1][0], before),
                repr(seen[:1] + seen[-1:]))
    state = tmtest.read(t.path(sub, "state")).decode()
    for fid in ("r1", "r2"):
        path = t.path(sub, fid + ".log") if fid == "r1" else \
            os.path.join(t.path(sub, "conf.d"), "..", fid + ".log")
        # done DEV INO OFFSET FPLEN FPHASH PATH [SEEN]
        t.check(any(line.split(" ")[0] == "done" and
                    line.split(" ")[6] == path
                    for line in state.splitlines()),
                "the checkpoint remembers %s as read to its end" % fid,
                state)


def test_workers(t):
    sub = "workers"
    os.makedirs(t.path(sub, "conf.d"))
    ins = [("w%d" % i, "w%d.log" % i, "") for i in range(1, 4)]
    writers = [Writer(name, t.path(sub, path)) for name, path, _ in ins]
    cfg = main_file(t, sub, ins, workers=2)
    for w in writers:
        w.start()
    tail = Tagged([t.path(sub, "out.log")])
    d = t.start(cfg)
    for count in (1, 3):
        mark = {w.fid: w.seq for w in writers}
        # With 3 workers, the checkpoint moves to another file too.
        main_file(t, sub, ins, workers=count,
                  state="state" if count == 1 else "state2")
        reload(d, "workers = %d" % count, "0 inputs added, 0 removed, "
               "0 changed, 3 unchanged")
        d.wait_log("reload: %d worker thread%s now" % (count,
                                                      "" if count == 1
                                                      else "s"))
        for w in writers:
            wait_lines(d, tail, w.fid, mark[w.fid] + 50,
                       "with %d workers" % count)
    tmtest.wait_for(lambda: os.path.exists(t.path(sub, "state2")),
                    "the checkpoint saved to its new state_file", daemon=d)
    n = stop_all(writers)
    for w in writers:
        wait_lines(d, tail, w.fid, n[w.fid], "the end")
    d.stop()
    for w in writers:
        check_whole(t, tail, w.fid, n[w.fid], what=" across workers 2, 1, 3")
    state = tmtest.read(t.path(sub, "state2")).decode()
    named = {line.split(" ")[6] for line in state.splitlines()
             if line.startswith("file ")}
    t.check(all(t.path(sub, w.fid + ".log") in named for w in writers),
            "the new state_file holds the last checkpoint", state)


def move_output(t, sub, fids):
    """Two writers into a running tailmux whose reload then moves the
    output from out.log to new/out2.log.  Returns (d, cfg, writers, old
    output, new output, tail of both)."""
    os.makedirs(t.path(sub, "conf.d"))
    ins = [(f, f + ".log", "") for f in fids]
    writers = [Writer(name, t.path(sub, path)) for name, path, _ in ins]
    cfg = main_file(t, sub, ins)
    for w in writers:
        w.start()
    old, new = t.path(sub, "out.log"), t.path(sub, "new", "out2.log")
    tail = Tagged([old, new])
    d = t.start(cfg)
    for w in writers:
        wait_lines(d, tail, w.fid, 100, "before the move")
    main_file(t, sub, ins, output="new/out2.log")
    reload(d, "the output moved")
    return d, cfg, writers, old, new, tail


def test_output_move(t):
    d, cfg, writers, old, new, tail = move_output(t, "move", ("o1", "o2"))
    # After the reload's notice if a checkpoint save was under way then.
    d.wait_log("reload: the output is now %s" % new)
    t.ok("the reload says where the output is now")
    for w in writers:
        wait_lines(d, tail, w.fid, w.seq + 50, "after the move")
    t.check(tmtest.size(new) > 0, "new lines go to the new output path")
    n = stop_all(writers)
    for w in writers:
        wait_lines(d, tail, w.fid, n[w.fid], "the end")
    d.stop()
    tail = Tagged([old, new]).poll()
    for w in writers:
        check_whole(t, tail, w.fid, n[w.fid], what=" in %s, then %s"
                    % (os.path.basename(old), os.path.basename(new)))


def whole(paths, writers, n):
    """True once `paths', parsed afresh, hold every line of each writer."""
    tail = Tagged(paths).poll()
    return all(tail.count(w.fid) >= n[w.fid] for w in writers)


def test_kill_after_move(t):
    d, cfg, writers, old, new, tail = move_output(t, "killmove",
                                                  ("p1", "p2"))
    d.kill()
    d = t.start(cfg)
    mark = {w.fid: w.seq for w in writers}
    tmtest.wait_for(lambda: whole([old, new], writers, mark),
                    "the lines written so far after kill -9 and a restart",
                    daemon=d)
    n = stop_all(writers)
    tmtest.wait_for(lambda: whole([old, new], writers, n),
                    "every line in the two outputs", daemon=d)
    d.stop()
    tail = Tagged([old, new]).poll()
    t.check(tmtest.size(new) > 0, "after the restart, lines go to the new "
            "output path")
    for w in writers:
        check_whole(t, tail, w.fid, n[w.fid], what=" in %s, then %s, "
                    "across kill -9 right after the move"
                    % (os.path.basename(old), os.path.basename(new)))


def test_kill_after_reload(t):
    sub = "kill"
    os.makedirs(t.path(sub, "conf.d"))
    writers = [Writer(f, t.path(sub, f + ".log")) for f in ("k1", "k2", "k3")]
    cfg = main_file(t, sub, [("k1", "k1.log", "")])
    drop_in(t, sub, "k3", "k3.log")
    for w in writers:
        w.start()
    out = t.path(sub, "out.log")
    tail = Tagged([out])
    d = t.start(cfg)
    wait_lines(d, tail, "k1", 100, "start-up")
    drop_in(t, sub, "k2", "k2.log")
    drop_in(t, sub, "k3", "k3.log", "tag = k3-new\n")
    reload(d, "an input added and one changed",
           "1 input added, 0 removed, 1 changed, 1 unchanged")
    d.kill()
    d = t.start(cfg)
    n = stop_all(writers)
    tmtest.wait_for(lambda: whole([out], writers, n),
                    "every line after kill -9 and a restart", daemon=d)
    d.stop()
    tail = Tagged([out]).poll()
    for w in writers:
        check_whole(t, tail, w.fid, n[w.fid],
                    what=" across kill -9 right after a reload")


def test(t):
    test_reloads(t)
    test_workers(t)
    test_output_move(t)
    test_kill_after_move(t)
    test_kill_after_reload(t)


if __name__ == "__main__":
    tmtest.main(test)
