#!/usr/bin/env python3
"""The checkpoint file seen from outside: damaged, unreadable, unwritable,
good, and after kill -9.

  * garbage at the state path, a state file cut in the middle, a directory
    at the state path: each is reported on stderr naming the path; tailmux
    keeps running, starts without a checkpoint (it reads its input from the
    start, and its output, removed beforehand, gets every line once); for
    garbage and the cut file the bad file is kept as STATE.bad, unchanged,
    lines go on flowing, and SIGTERM leaves a valid checkpoint; what cannot
    be read is left in place, and the save at SIGTERM fails with status 1.
  * state_file under a path component that is a regular file: the failure
    to save is reported once, not once per save (checkpoint_interval 50ms,
    lines written over a good second), and tailmux keeps running and
    writing its output.
  * a restart with a good checkpoint: 1000 lines, SIGTERM, 1000 more lines
    while it is down, start: the output holds exactly lines 1..2000 once.
  * kill -9 with the output longer than the checkpoint: the restart logs
    "cut" with the exact number of bytes past the checkpoint, and the lines
    come out once.
  * kill -9 before the first checkpoint was ever saved: the restart must
    not repeat the lines already in the output.
  * kill -9 while the start-up checkpoint is being saved (an LD_PRELOAD
    shim, tests/shim/listing_hook.c, holds its rename until the reads had
    time to fill the output's buffer, then kills tailmux): nothing was
    written to the output before that save, and the restart gives every
    line once.

Every part runs even when an earlier one failed; the test fails at the end
naming those that did.
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402

GARBAGE = (b"\x00\xff\xfenot a tailmux state\n" + bytes(range(256)) +
           b"\nend 0 0000000000000000\n")


class Input:
    """One numbered input file of the test, with what it holds."""

    def __init__(self, t, fid):
        self.fid = fid
        self.path = t.path(fid + ".log")
        self.n = 0
        self.nbytes = 0

    def write(self, count):
        data = tmtest.seq_lines(self.fid, self.n + 1, self.n + count)
        tmtest.append(self.path, data)
        self.n += count
        self.nbytes += len(data)


def setup(t, fid, **keys):
    """An input of `fid', a config fid.ini, output fid.out, state
    fid.state; returns (input, config path, output path, state path)."""
    inp = Input(t, fid)
    keys.setdefault("checkpoint_interval", "50ms")
    cfg = t.config([(fid, inp.path)], name=fid + ".ini",
                   output=fid + ".out", **keys)
    state = keys.get("state_file", fid + ".state")
    return inp, cfg, t.path(fid + ".out"), t.path(state)


def caught_up(d, out, inp, what):
    tmtest.wait_for(lambda: tmtest.size(out) >= inp.nbytes,
                    "%d lines of %s in the output (%s)" % (inp.n, inp.fid,
                                                           what), daemon=d)


def check_output(t, out, inp, what):
    data = tmtest.read(out)
    tmtest.check_seq(tmtest.split_lines(data), {inp.fid: inp.n},
                     what="the output (%s)" % what)
    if len(data) != inp.nbytes:
        tmtest.fail("%s: the output holds %d bytes, expected %d"
                    % (what, len(data), inp.nbytes))
    t.ok("%s: the output holds lines 1..%d once, in order" % (what, inp.n))


def valid_state(path):
    text = tmtest.read(path)
    return text.startswith(b"tailmux-state 1\n") and b"\nend " in text


def bad_state(t, fid, make_bad, kept):
    """A state path made bad by make_bad(state) before the start."""
    inp, cfg, out, state = setup(t, fid)
    inp.write(300)
    # A first run leaves a real checkpoint (and output) behind.
    d = t.start(cfg)
    caught_up(d, out, inp, "first run")
    d.stop()
    os.unlink(out)
    bad = make_bad(state)
    d = t.start(cfg)
    err = d.stderr()
    t.check(state in err and "starting without a checkpoint" in err,
            "%s: reported on stderr, naming %s" % (fid, state),
            d.stderr_tail())
    if kept:
        t.check(tmtest.read(state + ".bad") == bad,
                "%s: the bad file is kept, unchanged, as %s.bad"
                % (fid, os.path.basename(state)))
    caught_up(d, out, inp, "%s: read from the start" % fid)
    inp.write(200)
    caught_up(d, out, inp, "%s: new lines" % fid)
    t.check(d.proc.poll() is None, "%s: tailmux keeps running" % fid)
    if kept:
        d.stop()
        check_output(t, out, inp, fid)
        t.check(valid_state(state), "%s: SIGTERM leaves a valid checkpoint"
                % fid)
    else:
        # What cannot be read is left alone, so the last save fails too:
        # that is said, and the exit status tells it.
        d.stop(expect=1)
        check_output(t, out, inp, fid)
        t.check("cannot save the checkpoint" in d.stderr() and
                os.path.isdir(state),
                "%s: left in place; the save at SIGTERM fails, says so "
                "and exits 1" % fid, d.stderr_tail())


def garbage(t):
    def make_bad(state):
        with open(state, "wb") as f:
            f.write(GARBAGE)
        return GARBAGE
    bad_state(t, "garbage", make_bad, kept=True)


def truncated(t):
    def make_bad(state):
        text = tmtest.read(state)
        if not valid_state(state) or len(text) < 40:
            tmtest.fail("the first run left no valid checkpoint: %r"
                        % text[:200])
        os.truncate(state, len(text) // 2)
        return text[:len(text) // 2]
    bad_state(t, "truncated", make_bad, kept=True)


def unreadable(t):
    def make_bad(state):
        os.unlink(state)
        os.mkdir(state)
        return None
    bad_state(t, "unreadable", make_bad, kept=False)


def unwritable(t):
    blocker = t.write("blocker", "a regular file\n")
    inp, cfg, out, state = setup(t, "unwritable",
                                 state_file=os.path.join(blocker, "state"))
    inp.write(100)
    d = t.start(cfg)
    caught_up(d, out, inp, "unwritable: first lines")
    # Lines over more than a second: some twenty saves fail meanwhile.
    end = time.monotonic() + 1.2
    while time.monotonic() < end:
        inp.write(50)
        caught_up(d, out, inp, "unwritable: more lines")
        time.sleep(0.05)                   # paces the writer
    t.check(d.proc.poll() is None, "unwritable: tailmux keeps running")
    err = d.stderr()
    n = err.count("cannot save the checkpoint")
    t.check(n == 1, "unwritable: the failure to save is reported once, "
            "naming the path", "reported %d times:\n%s" % (n, err))
    t.check(os.path.join(blocker, "state") in err,
            "unwritable: the report names %s/state" % blocker, err)
    rc = d.stop(expect=None)
    print("# unwritable: exit status %d after SIGTERM (the last save "
          "fails too)" % rc)
    check_output(t, out, inp, "unwritable")
    t.check(tmtest.read(blocker) == b"a regular file\n",
            "unwritable: the regular file in the way is untouched")


def resume(t):
    inp, cfg, out, state = setup(t, "resume")
    inp.write(1000)
    d = t.start(cfg)
    caught_up(d, out, inp, "resume: first run")
    d.stop()
    t.check(valid_state(state), "resume: SIGTERM saved a checkpoint")
    inp.write(1000)                        # while tailmux is down
    d = t.start(cfg)
    caught_up(d, out, inp, "resume: second run")
    d.stop()
    t.check("written after the last checkpoint" not in d.stderr(),
            "resume: nothing to cut after SIGTERM", d.stderr_tail())
    check_output(t, out, inp, "resume: 2000 lines")


def cut(t):
    inp, cfg, out, state = setup(t, "cut")
    inp.write(500)
    d = t.start(cfg)
    caught_up(d, out, inp, "cut: first run")
    d.stop()
    checkpointed = tmtest.size(out)
    # Second run: no checkpoint for an hour, so whatever it writes is past
    # the checkpoint when it is killed.
    slow = t.config([("cut", inp.path)], name="cut-slow.ini",
                    output="cut.out", state_file="cut.state",
                    checkpoint_interval="1h")
    d = t.start(slow)
    inp.write(700)
    caught_up(d, out, inp, "cut: second run")
    past = tmtest.size(out) - checkpointed
    d.send(signal.SIGKILL)
    d.wait_exit()
    t.check(past > 0, "cut: the output is %d bytes past the checkpoint at "
            "kill -9" % past)
    d = t.start(cfg)
    err = d.stderr()
    t.check("cut %d bytes written after the last checkpoint" % past in err,
            "cut: the restart cuts the output back by exactly %d bytes"
            % past, d.stderr_tail())
    inp.write(100)
    caught_up(d, out, inp, "cut: after the restart")
    d.stop()
    check_output(t, out, inp, "cut: kill -9 then restart")


def first_checkpoint(t):
    inp, cfg, out, state = setup(t, "first", checkpoint_interval="1h")
    inp.write(1000)
    d = t.start(cfg)
    caught_up(d, out, inp, "first: before kill -9")
    d.send(signal.SIGKILL)
    d.wait_exit()
    d = t.start(cfg)
    inp.write(10)                     # read after any re-read of the rest
    caught_up(d, out, inp, "first: after the restart")
    d.stop()
    check_output(t, out, inp, "kill -9 before the first checkpoint")


START_HOOK = r'''#!/bin/sh
# Run before each rename onto the state file, in the first run alone: the
# start-up save.  The output must stay empty while it is under way: give
# the reads up to 0.5 s to (wrongly) write, note its size, kill tailmux.
out="$1"
i=0
while [ ! -s "$out" ] && [ $i -lt 50 ]; do
    sleep 0.01
    i=$((i + 1))
done
stat -c %s "$out" > "$out.at-kill.tmp"
mv "$out.at-kill.tmp" "$out.at-kill"
kill -9 $PPID
'''


def start_save(t):
    inp, cfg, out, state = setup(t, "startsave", checkpoint_interval="1h")
    inp.write(5000)
    hook = t.write("startsave-hook.sh", START_HOOK)
    os.chmod(hook, 0o755)
    env = t.shim("listing_hook")
    env.update(TMHOOK_AT="rename:startsave.state",
               TMHOOK_CMD="%s %s" % (hook, out))
    d = t.start(cfg, env=env, ready=False)
    d.wait_exit()
    at_kill = int(tmtest.read(out + ".at-kill") or b"-1")
    t.check(at_kill == 0, "startsave: nothing written to the output while "
            "the start-up checkpoint was being saved (%d bytes)" % at_kill)
    t.check(not os.path.exists(state), "startsave: killed before the "
            "start-up checkpoint was in place")
    d = t.start(cfg)
    inp.write(10)
    caught_up(d, out, inp, "startsave: after the restart")
    d.stop()
    check_output(t, out, inp, "kill -9 in the start-up save")


def state_entry(path, under, offset):
    """A checkpoint's "file" line for the file at `path', tailed under
    `under', read up to `offset'."""
    st = os.stat(path)
    with open(path, "rb") as f:
        head = f.read(1024)
    return "file %d %d %d %d %016x %s\n" % (st.st_dev, st.st_ino, offset,
                                            len(head), tmtest.fnv1a(head),
                                            under)


def oldest_first(t):
    """Two rotated files with unread lines at a restart, as a checkpoint
    saved just after the second rotation names them: the older one (the
    rest of a long file) is read before the newer, then the file now at
    the path, whatever order the checkpoint lists them in."""
    inp, cfg, out, state = setup(t, "oldest")
    inp.write(100)
    old = inp.path + ".1"
    os.rename(inp.path, old)
    skip = inp.nbytes
    inp.write(19900)                     # its rest, unread: ~1.3 MB
    newer = inp.path + ".2"
    inp.write(100)
    os.rename(inp.path, newer)
    inp.write(100)                       # the file at the path now
    data = tmtest.read(old)[:skip]
    tmtest.append(out, data)
    ost = os.stat(out)
    text = ("tailmux-state 1\noutput %d %d %d %s\n"
            % (ost.st_dev, ost.st_ino, len(data), out) +
            state_entry(newer, inp.path, 0) +
            state_entry(old, inp.path, skip))
    text += "end 2 %016x\n" % tmtest.fnv1a(text.encode())
    with open(state, "w") as f:
        f.write(text)
    d = t.start(cfg)
    caught_up(d, out, inp, "oldest first")
    d.stop()
    check_output(t, out, inp, "two rotated files at a restart, oldest first")


def settled(t):
    """checkpoint_interval = 1h: a rotated file read to its end and closed
    is in the checkpoint (a "done" line with its inode) soon all the same,
    and a kill -9 then does not read it again."""
    inp, cfg, out, state = setup(t, "settled", checkpoint_interval="1h")
    inp.write(500)
    d = t.start(cfg)
    caught_up(d, out, inp, "settled: the first file")
    old = inp.path + ".1"
    os.rename(inp.path, old)
    ino = os.stat(old).st_ino
    inp.write(10)                     # a new file at the path
    caught_up(d, out, inp, "settled: the new file")

    def done_saved():
        try:
            with open(state) as f:
                return any(line.split(" ")[:3] == ["done", str(os.stat(
                    old).st_dev), str(ino)] for line in f)
        except FileNotFoundError:
            return False
    t0 = time.monotonic()
    tmtest.wait_for(done_saved, "a checkpoint naming %s as read to its end"
                    % old, daemon=d)
    t.ok("settled: the rotated file closed is in the checkpoint after "
         "%.2f s, with checkpoint_interval = 1h" % (time.monotonic() - t0))
    d.send(signal.SIGKILL)
    d.wait_exit()
    d = t.start(cfg)
    inp.write(10)
    caught_up(d, out, inp, "settled: after kill -9")
    d.stop()
    check_output(t, out, inp, "settled: kill -9 after the rotated file "
                 "was closed")


def test(t):
    failed = []
    for name, fn in (("garbage", garbage), ("truncated", truncated),
                     ("unreadable", unreadable), ("unwritable", unwritable),
                     ("resume", resume), ("cut", cut),
                     ("kill -9 before the first checkpoint",
                      first_checkpoint),
                     ("kill -9 in the start-up save", start_save),
                     ("two rotated files at a restart", oldest_first),
                     ("a rotated file closed, saved soon", settled)):
        try:
            fn(t)
        except tmtest.Fail as e:
            print("# FAILED: %s: %s" % (name, e), flush=True)
            failed.append(name)
        for d in t.daemons:
            d.kill()
    if failed:
        tmtest.fail("%d parts failed: %s" % (len(failed), ", ".join(failed)))


if __name__ == "__main__":
    tmtest.main(test)
