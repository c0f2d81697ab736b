#!/usr/bin/env python3
"""A running tailmux follows its inputs.

  * Lines written to several files while tailmux runs (in rounds of random
    size, each round cut into two write(2) calls at a random byte, so that
    tailmux often finds half a line) all reach the output exactly once,
    whole and in each file's order; lines already in a file at start-up
    are read too, except for a start = end input.
  * A burst of 100,000 lines written with one write(2) is merged whole.
  * A partial line is not written while it lacks its newline, even when
    more of it arrives; once completed it appears once and whole.
"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402

BURST = 100000


def test(t):
    rng = random.Random(4242)
    out = t.path("out.log")
    fids = ["a", "b", "c", "pre", "e"]
    written = {fid: 0 for fid in fids}
    expected = 0  # bytes the output must reach

    def write(fid, n, split=True):
        """Appends the next n lines of fid, in two writes if split."""
        nonlocal expected
        data = tmtest.seq_lines(fid, written[fid] + 1, written[fid] + n)
        fd = os.open(t.path(fid + ".log"),
                     os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            cut = rng.randrange(1, len(data)) if split and len(data) > 1 \
                else len(data)
            tmtest.write_all(fd, data[:cut])
            if cut < len(data):
                tmtest.write_all(fd, data[cut:])
        finally:
            os.close(fd)
        written[fid] += n
        expected += len(data)

    def caught_up(what):
        tmtest.caught_up(out, expected, what, d)

    tmtest.append(t.path("a.log"), b"")                  # empty at start
    write("pre", 500)                                     # has lines already
    tmtest.append(t.path("e.log"), tmtest.seq_lines("old", 1, 300))
    # b.log and c.log do not exist yet at start-up.
    cfg = t.config([("a", "a.log"), ("b", "b.log"), ("c", "c.log"),
                    ("pre", "pre.log"), ("e", "e.log", {"start": "end"})])
    d = t.start(cfg)

    # --- lines written while running
    for r in range(1, 21):
        for fid in fids:
            write(fid, rng.randint(1, 1500))
        if r % 5 == 0:
            caught_up("after round %d" % r)
    t.ok("20 rounds of writes to 5 files while running reached the output "
         "(%d bytes)" % expected)

    # --- a burst of 100,000 lines in one write(2)
    before = written["a"]
    write("a", BURST, split=False)
    caught_up("after a burst of %d lines" % BURST)
    t.ok("a burst of %d lines (lines %d..%d of a.log) reached the output"
         % (BURST, before + 1, written["a"]))

    # --- a partial line, completed in three writes
    # Ten whole lines and the start of the next one, in one write.
    seq = written["b"] + 1
    data = tmtest.seq_lines("b", seq, seq + 9)
    line = tmtest.seq_line("b", seq + 10)
    p1, p2 = len(line) // 3, 2 * len(line) // 3
    tmtest.append(t.path("b.log"), data + line[:p1])
    written["b"] += 10
    expected += len(data)
    caught_up("the ten whole lines before a partial line")
    write("c", 1)  # something else for tailmux to do meanwhile
    caught_up("a line of c.log written after the partial line")
    t.ok("the start of a line without its newline is not written")
    tmtest.append(t.path("b.log"), line[p1:p2])
    write("c", 1)
    caught_up("a line of c.log written after more of the partial line")
    t.ok("more of the line, still without its newline, is not written")
    tmtest.append(t.path("b.log"), line[p2:])
    written["b"] += 1
    expected += len(line)
    caught_up("the partial line, once completed")
    t.check(tmtest.read(out).endswith(line),
            "the completed line is written whole, once", repr(line))

    d.stop()
    t.ok("SIGTERM: tailmux exited 0")
    t.exact(out, expected, written)
    t.ok("every line of %s is in the output exactly once, whole and in "
         "order (%s lines); none of what e.log held before start-up"
         % (", ".join(fids), ", ".join("%s=%d" % kv for kv in
                                      sorted(written.items()))))


if __name__ == "__main__":
    tmtest.main(test)
