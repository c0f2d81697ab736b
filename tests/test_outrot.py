#!/usr/bin/env python3
"""tailmux rotates its own output: by size under load, by a clock
boundary, with gzip and retention, and across kill -9.

  * size: three writers append 6,000 lines each while tailmux rotates
    out.log at 64 KiB and gzips what it rotates (keep = 0).  Then: every
    rotated name follows the scheme, no rotated file is larger than
    rotate_size + max_line, every .gz decompresses (its CRC checked), no
    .gz.tmp or plain rotated file is left, and the rotated files in name
    order followed by out.log hold every line exactly once, whole and in
    order.  Files of the user's in the directory (out.log.1, a .bak of a
    rotated name, notes.txt) are untouched.
  * retention: restarted with keep = 3, exactly the 3 newest rotated files
    are left, and after further rotations still exactly 3; the user's files
    are still there.
  * time: rotate_interval = 1s (UTC) with a writer going: out.log is rotated
    at least twice, each name holding a different second, and no line is
    lost or repeated.
  * own files: a glob input that matches the output's rotated names does
    not read them back.
  * --once rotates too, and gzips every rotated file before it exits.
  * crash: tailmux is killed with kill -9 eight times at random moments
    while it rotates every 16 KiB and gzips, under load; after the last
    restart no .gz.tmp is left and every line is there exactly once.
  * crash in the rotation: the lines go on into the new file while the
    checkpoint naming it is being saved; an LD_PRELOAD shim (tests/shim/
    listing_hook.c) holds that save's rename of the state file until the
    new out.log holds lines, then kills tailmux with -9.  Restarted, it
    cuts the new file back to 0 and the rotated one to its checkpointed
    length, and every line is there once.
"""
import gzip
import os
import random
import re
import signal
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402

NAME_RE = re.compile(r"^out\.log\.(\d{8}-\d{6})\.(\d{3})(\.gz)?$")
USER_FILES = ["out.log.1", "out.log.20200101-000000.000.bak", "notes.txt"]
MAX_LINE = 4096


def rotated(t):
    """The rotated outputs, in name order: [(name, is_gz)].  A file whose
    .gz is already there (renamed into place whole, the plain file not yet
    removed) counts once, as its .gz."""
    found = set(os.listdir(t.dir))
    names = []
    for n in sorted(found):
        m = NAME_RE.match(n)
        if m and not (m.group(3) is None and n + ".gz" in found):
            names.append((n, m.group(3) is not None))
    return names


def contents(t):
    """The rotated outputs (decompressed) in name order, then out.log, read
    while no rotation or gzip changed the directory (else read again)."""
    while True:
        before = rotated(t)
        data = []
        try:
            for n, gz in before:
                with open(t.path(n), "rb") as f:
                    raw = f.read()
                if gz:
                    try:
                        raw = gzip.decompress(raw)
                    except (OSError, EOFError, zlib.error) as e:
                        tmtest.fail("%s does not decompress: %s" % (n, e))
                data.append(raw)
            data.append(tmtest.read(t.path("out.log")))
        except FileNotFoundError:
            continue  # gzipped or removed meanwhile
        if rotated(t) == before:
            return b"".join(data)


class Writers:
    """Threads appending numbered lines to in-<fid>.log in small bursts."""

    def __init__(self, t, fids, lines, burst=50, pause=0.002):
        self.t = t
        self.counts = {f: 0 for f in fids}
        self.total = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(
            target=self.run, args=(f, lines, burst, pause)) for f in fids]

    def run(self, fid, lines, burst, pause):
        path = self.t.path("in-%s.log" % fid)
        n = 0
        while n < lines:
            k = min(burst, lines - n)
            data = tmtest.seq_lines(fid, n + 1, n + k)
            tmtest.append(path, data)
            n += k
            with self.lock:
                self.counts[fid] = n
                self.total += len(data)
            time.sleep(pause)

    def start(self):
        for th in self.threads:
            th.start()

    def join(self):
        for th in self.threads:
            th.join()


def all_there(t, w, d, what):
    """Waits until the rotated files and out.log hold every line written,
    then checks them: each line once, whole, in order."""
    def enough():
        return len(contents(t)) >= w.total
    tmtest.wait_for(enough, "every line in the outputs (%s)" % what,
                    daemon=d)
    data = contents(t)
    tmtest.check_seq(tmtest.split_lines(data), dict(w.counts), what=what)
    if len(data) != w.total:
        tmtest.fail("the outputs hold %d bytes, expected %d (%s)"
                    % (len(data), w.total, what))


def settled(t):
    """True once every rotated file is gzipped and no gzip is under way."""
    names = os.listdir(t.dir)
    return (all(gz for _, gz in rotated(t)) and
            not any(n.endswith(".gz.tmp") for n in names))


def test_size(t):
    for n in USER_FILES:
        t.write(n, "the user's own file\n")
    fids = ["a", "b", "c"]
    inputs = [(f, "in-%s.log" % f) for f in fids]
    opts = {"rotate_size": "64K", "compress": "gzip", "keep": 0,
            "fsync": "rotate"}
    cfg = t.config(inputs, out_opts=opts, max_line=MAX_LINE)
    d = t.start(cfg)
    w = Writers(t, fids, 6000)
    w.start()
    w.join()
    all_there(t, w, d, "size rotation under load")
    tmtest.wait_for(lambda: settled(t), "every rotated file gzipped",
                    daemon=d)
    names = rotated(t)
    t.check(len(names) >= 10, "out.log was rotated (%d times)" % len(names))
    for n, _ in names:
        size = len(gzip.decompress(tmtest.read(t.path(n))))
        if size > 64 * 1024 + MAX_LINE:
            tmtest.fail("%s holds %d bytes, more than rotate_size + "
                        "max_line" % (n, size))
    t.ok("%d rotated files, each at most rotate_size + max_line, every "
         ".gz whole, every line once" % len(names))
    for n in USER_FILES:
        t.check(tmtest.read(t.path(n)) == b"the user's own file\n",
                "%s is untouched" % n)
    d.stop()

    # Retention: keep = 3, at start and after more rotations.
    opts["keep"] = 3
    cfg = t.config(inputs, out_opts=opts, max_line=MAX_LINE)
    d = t.start(cfg)
    tmtest.wait_for(lambda: len(rotated(t)) == 3,
                    "keep = 3 applied at start", daemon=d)
    newest = names[-3:]
    t.check(rotated(t) == newest, "the 3 newest rotated files are kept",
            "kept %r, newest were %r" % (rotated(t), newest))
    before = rotated(t)[-1][0]
    more = {f: 0 for f in fids}
    for f in fids:
        tmtest.append(t.path("in-%s.log" % f),
                      tmtest.seq_lines(f, 6001, 7000))
        more[f] = 1000
    tmtest.wait_for(lambda: rotated(t) and rotated(t)[-1][0] > before and
                    settled(t), "more rotations", daemon=d)
    tmtest.wait_for(lambda: len(rotated(t)) == 3,
                    "keep = 3 after more rotations", daemon=d)
    for n in USER_FILES:
        t.check(os.path.exists(t.path(n)), "%s survives retention" % n)
    d.stop()
    t.ok("retention keeps exactly 3, newest first, and nothing else goes")


def test_time(t):
    cfg = t.config([("t", "in-t.log")], out_opts={
        "rotate_interval": "1s", "rotate_utc": "yes"},
        name="time.ini", output="time/out.log")
    sub = t.path("time")
    os.makedirs(sub, exist_ok=True)
    d = t.start(cfg)
    w = Writers(t, ["t"], 3000, burst=10, pause=0.01)  # 3 s or more
    w.start()
    tmtest.wait_for(
        lambda: len([n for n in os.listdir(sub) if n.startswith("out.log.")])
        >= 2, "two rotations by the clock", daemon=d)
    w.join()
    sub_t = type("T", (), {"dir": sub, "path": lambda self, n:
                           os.path.join(sub, n)})()
    all_there(sub_t, w, d, "time rotation")
    stamps = [NAME_RE.match(n).group(1) for n, _ in rotated(sub_t)]
    t.check(len(set(stamps)) == len(stamps),
            "each clock rotation has its own second", repr(stamps))
    d.stop()
    t.ok("rotate_interval = 1s rotated %d times, every line once"
         % len(stamps))


def test_glob_own(t):
    """A glob that matches the output's rotated names (and so would read
    back what tailmux wrote) never follows them."""
    sub = t.path("g")
    os.makedirs(sub)
    sub_t = type("T", (), {"dir": sub, "path": lambda self, n:
                           os.path.join(sub, n)})()
    data = tmtest.seq_lines("g", 1, 2000)
    tmtest.append(os.path.join(sub, "in.log.1"), data)
    cfg = t.config([("g", "g/*.log.*")], name="glob.ini",
                   output="g/out.log", out_opts={"rotate_size": "4K",
                                                 "compress": "gzip",
                                                 "keep": 0})
    d = t.start(cfg)
    w = type("W", (), {"total": len(data), "counts": {"g": 2000}})()
    all_there(sub_t, w, d, "a glob over the output's rotated names")
    tmtest.wait_for(lambda: settled(sub_t), "every rotated file gzipped",
                    daemon=d)
    n = len(rotated(sub_t))
    d.stop()
    data = contents(sub_t)
    t.check(len(data) == w.total and n > 10,
            "%d rotated files, none read back: every line once" % n)


def test_once(t):
    """--once rotates as it goes and leaves every rotated file gzipped."""
    sub = t.path("once")
    os.makedirs(sub)
    sub_t = type("T", (), {"dir": sub, "path": lambda self, n:
                           os.path.join(sub, n)})()
    data = tmtest.seq_lines("o", 1, 3000)
    tmtest.append(t.path("in-o.log"), data)
    cfg = t.config([("o", "in-o.log")], name="once.ini",
                   output="once/out.log", out_opts={"rotate_size": "4K",
                                                    "compress": "gzip",
                                                    "keep": 0})
    t.once(cfg)
    names = rotated(sub_t)
    t.check(len(names) > 20 and all(gz for _, gz in names) and
            not [n for n in os.listdir(sub) if n.endswith(".tmp")],
            "--once: %d rotations, every rotated file gzipped at exit"
            % len(names), repr(names[:5]))
    tmtest.check_seq(tmtest.split_lines(contents(sub_t)), {"o": 3000},
                     what="--once with rotation")
    t.ok("--once: every line once across the rotated files and out.log")


def test_crash(t):
    seed = int(os.environ.get("TMTEST_SEED", random.randrange(1 << 30)))
    print("# seed %d" % seed)
    rnd = random.Random(seed)
    sub = t.path("crash")
    os.makedirs(sub, exist_ok=True)
    cfg = t.config([("a", "in-x.log"), ("b", "in-y.log")], out_opts={
        "rotate_size": "16K", "compress": "gzip", "keep": 0,
        "compress_level": 9, "fsync": "always"}, name="crash.ini", output="crash/out.log",
        checkpoint_interval="50ms")
    sub_t = type("T", (), {"dir": sub, "path": lambda self, n:
                           os.path.join(sub, n)})()
    w = Writers(t, ["x", "y"], 8000, burst=40, pause=0.004)
    w.start()
    d = t.start(cfg)
    for _ in range(8):
        time.sleep(rnd.uniform(0.05, 0.4))  # a random moment, not a wait
        d.kill()
        d = t.start(cfg)
    w.join()
    all_there(sub_t, w, d, "after 8 kill -9 while rotating and gzipping")
    tmtest.wait_for(lambda: settled(sub_t), "every rotated file gzipped",
                    daemon=d)
    d.stop()
    t.ok("8 kill -9 during rotation and gzip: every line once, %d rotated "
         "files, no .gz.tmp left" % len(rotated(sub_t)))


HOOK = r'''#!/bin/sh
# Run before each rename onto the state file: once out.log has been
# rotated (the save naming the new file), wait until the new file holds
# lines, note its size, and kill tailmux.  A timed save passes.
dir="$1"
for f in "$dir"/out.log.2*; do [ -e "$f" ] || exit 0; done
i=0
while [ ! -s "$dir/out.log" ] && [ $i -lt 500 ]; do
    sleep 0.01
    i=$((i + 1))
done
stat -c %s "$dir/out.log" > "$dir/at-kill.tmp"
mv "$dir/at-kill.tmp" "$dir/at-kill"
kill -9 $PPID
'''


def test_crash_in_rotation(t):
    sub = t.path("mid")
    os.makedirs(sub, exist_ok=True)
    hook = t.write("mid-hook.sh", HOOK)
    os.chmod(hook, 0o755)
    cfg = t.config([("a", "in-m.log")], out_opts={"rotate_size": "64K"},
                   name="mid.ini", output="mid/out.log",
                   checkpoint_interval="50ms", state_file="mid/state")
    sub_t = type("T", (), {"dir": sub, "path": lambda self, n:
                           os.path.join(sub, n)})()
    env = t.shim("listing_hook")
    env.update(TMHOOK_AT="rename:state", TMHOOK_CMD="%s %s" % (hook, sub))
    w = Writers(t, ["m"], 4000, burst=20, pause=0.004)
    w.start()
    d = t.start(cfg, env=env)
    tmtest.wait_for(lambda: os.path.exists(os.path.join(sub, "at-kill")),
                    "the hook to kill tailmux in the rotation's save",
                    timeout=60)
    d.wait_exit()
    at_kill = int(tmtest.read(os.path.join(sub, "at-kill")) or b"0")
    t.check(at_kill > 0, "the new out.log held lines while the save naming "
            "it was under way (%d bytes)" % at_kill)
    d = t.start(cfg)
    w.join()
    all_there(sub_t, w, d, "after kill -9 in the rotation's save")
    d.stop()
    t.check("before a checkpoint named it" in d.stderr(),
            "the restart cut the new file back",
            d.stderr_tail())
    t.ok("kill -9 in the rotation's save with %d bytes in the new file: "
         "every line once" % at_kill)


def test(t):
    test_size(t)
    test_time(t)
    test_glob_own(t)
    test_once(t)
    test_crash(t)
    test_crash_in_rotation(t)


if __name__ == "__main__":
    tmtest.main(test)
