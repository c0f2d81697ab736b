#!/usr/bin/env python3
"""Line handling in raw format, with max_line = 1K.

  * Lines longer than max_line are split into pieces of max_line bytes,
    each followed by a newline; a line of exactly max_line bytes, or
    shorter, is kept whole; an empty line stays an empty line.  Also when
    the long line arrives in several writes (a first piece is written as
    soon as max_line bytes are there), and with --once for a last line
    without newline longer than max_line.
  * Binary data (every byte value but newline, NUL bytes, invalid UTF-8)
    and CRLF line ends pass through raw unchanged, byte for byte, both
    while following and with --once.
"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402

MAX = 1024


def pieces(line):
    """What raw output a line (without newline) becomes."""
    if not line:
        return b"\n"
    return b"".join(line[i:i + MAX] + b"\n" for i in range(0, len(line), MAX))


def binary_lines(rng, n):
    """n lines of random bytes (no newline), up to MAX bytes each, with NUL
    runs, CRLF ends, invalid UTF-8 and every byte value."""
    every = bytes(b for b in range(256) if b != 10)
    lines = [every, b"\x00", b"\x00" * 900, b"", b"crlf\r", b"\r", b"a\rb\r",
             b"\xff\xfe\xfd invalid \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80",
             "valid utf-8: h\u00e9llo w\u00f6rld \U0001F600".encode()]
    alphabet = every
    while len(lines) < n:
        k = rng.choice((0, 1, 2, 50, 200, 1000, MAX - 1, MAX))
        line = bytes(rng.choice(alphabet) for _ in range(k))
        if rng.random() < 0.3:
            line += b"\r"
        lines.append(line[:MAX])
    return lines


def test(t):
    rng = random.Random(77)

    # --- long lines while following
    out = t.path("long.out")
    cfg = t.config([("long", "long.log")], name="long.ini",
                   output="long.out", max_line="1K")
    tmtest.append(t.path("long.log"), b"")
    d = t.start(cfg)
    lines = [b"short", b"", b"a" * (MAX - 1), b"b" * MAX, b"c" * (MAX + 1),
             b"d" * (2 * MAX), b"e" * 3000, b"x", b"f" * 5000,
             bytes(rng.randrange(97, 123) for _ in range(10 * MAX + 17)),
             b"end of the long lines"]
    data = b"".join(line + b"\n" for line in lines)
    expect = b"".join(pieces(line) for line in lines)
    tmtest.append(t.path("long.log"), data)
    tmtest.wait_for(lambda: tmtest.size(out) >= len(expect),
                    "the long lines in the output", daemon=d)
    got = tmtest.read(out)
    t.check(got == expect, "lines over max_line are split into max_line "
            "pieces, each with a newline; shorter lines, a line of exactly "
            "max_line and an empty line are kept whole",
            "first difference at byte %d" % first_diff(got, expect))

    # A long line arriving in three writes: 600 bytes (held: shorter than
    # max_line), 1500 more (a first max_line piece is due), then the rest.
    g = bytes(rng.randrange(97, 123) for _ in range(600 + 1500 + 700))
    tmtest.append(t.path("long.log"), g[:600])
    tmtest.append(t.path("long.log"), g[600:2100])
    want = expect + g[:MAX] + b"\n" + g[MAX:2 * MAX] + b"\n"
    tmtest.wait_for(lambda: tmtest.size(out) >= len(want),
                    "the first two max_line pieces of a line still "
                    "being written", daemon=d)
    t.check(tmtest.read(out) == want, "a line still being written is "
            "written in max_line pieces as they become whole; its short "
            "rest is held")
    tmtest.append(t.path("long.log"), g[2100:] + b"\n")
    want += g[2 * MAX:] + b"\n"
    tmtest.wait_for(lambda: tmtest.size(out) >= len(want),
                    "the rest of the long line", daemon=d)
    d.stop()
    got = tmtest.read(out)
    t.check(got == want, "the rest of that line is written once its "
            "newline arrives, and nothing else",
            "first difference at byte %d" % first_diff(got, want))
    t.check("split" in d.stderr(), "a warning tells of the split lines")

    # --- binary data and CRLF while following
    blines = binary_lines(rng, 3000)
    bdata = b"".join(line + b"\n" for line in blines)
    out = t.path("bin.out")
    cfg = t.config([("bin", "bin.log")], name="bin.ini", output="bin.out",
                   max_line="1K")
    tmtest.append(t.path("bin.log"), bdata[:len(bdata) // 3])
    d = t.start(cfg)
    tmtest.append(t.path("bin.log"), bdata[len(bdata) // 3:])
    tmtest.wait_for(lambda: tmtest.size(out) >= len(bdata),
                    "all the binary lines in the output", daemon=d)
    d.stop()
    got = tmtest.read(out)
    t.check(got == bdata, "binary data, NUL bytes, invalid UTF-8 and CRLF "
            "pass through raw unchanged (%d bytes, %d lines)"
            % (len(bdata), len(blines)),
            "first difference at byte %d of %d (got %d bytes)"
            % (first_diff(got, bdata), len(bdata), len(got)))

    # --- the same with --once, the last line lacking its newline
    tmtest.append(t.path("bin2.log"), bdata + b"no newline\x00\r")
    long_last = bytes(rng.randrange(97, 123) for _ in range(2500))
    tmtest.append(t.path("long2.log"), b"first\r\n" + long_last)
    cfg = t.config([("bin2", "bin2.log")], name="bin2.ini",
                   output="bin2.out", max_line="1K")
    t.once(cfg)
    got = tmtest.read(t.path("bin2.out"))
    want = bdata + b"no newline\x00\r\n"
    t.check(got == want, "--once: binary data passes unchanged and the "
            "last line gets its newline",
            "first difference at byte %d" % first_diff(got, want))
    cfg = t.config([("long2", "long2.log")], name="long2.ini",
                   output="long2.out", max_line="1K")
    t.once(cfg)
    got = tmtest.read(t.path("long2.out"))
    want = b"first\r\n" + pieces(long_last)
    t.check(got == want, "--once: a last line without newline longer than "
            "max_line is split into pieces, the last one given a newline",
            "got %r..." % got[:40])


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


if __name__ == "__main__":
    tmtest.main(test)
