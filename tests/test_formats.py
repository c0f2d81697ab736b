#!/usr/bin/env python3
"""The tagged and json output formats.

  * tagged (while following): every output line is
    "YYYY-MM-DDTHH:MM:SS.uuuuuuZ TAG line", the time in UTC and between the
    test's start and end, TAG the input's tag (its name by default, the
    same for both paths of one input), and the line unchanged (CR, NUL and
    invalid UTF-8 included); every line exactly once, in order.
  * json (with --once): every output line is one JSON object that
    json.loads parses, with exactly the members time, tag, path, line in
    that order; path is the input file's absolute path and tag the input's
    tag, both escaped (they hold '"' and '\\'); line is the input line with
    valid UTF-8 as it is, each byte of invalid UTF-8 and each control byte
    as U+00XX, and a CR ending the line left out.
"""
import datetime
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402

TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
TAGGED_RE = re.compile(rb"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) "
                       rb"([^ ]+) (.*)$", re.S)

SPECIAL = [
    b"plain ascii line",
    b"",
    b'quote " backslash \\ slash / braces {}',
    b"tab\there, bell\x07, escape\x1b[0m, del\x7f, formfeed\x0c, bs\x08",
    bytes(range(1, 32)).replace(b"\n", b""),
    b"nul\x00in\x00the middle\x00",
    "valid UTF-8: h\u00e9llo w\u00f6rld \u4e2d\u6587 \U0001F600".encode(),
    b"invalid: \xff\xfe lone \x80 continuation",
    b"overlong \xc0\xaf and \xe0\x80\xaf",
    b"surrogate \xed\xa0\x80 and beyond U+10FFFF \xf4\x90\x80\x80",
    b"truncated \xe2\x82 then ascii, \xf0\x9f\x98 then more",
    b"five byte \xf8\x88\x80\x80\x80",
    b"crlf line\r",
    b"two crs\r\r",
    b"cr\rinside",
    bytes(b for b in range(256) if b != 10),
]


def expect_json_line(raw):
    """What the json "line" member must hold for the input line `raw'."""
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    s = raw.decode("utf-8", "surrogateescape")
    return "".join(chr(ord(c) - 0xDC00) if 0xDC80 <= ord(c) <= 0xDCFF
                   else c for c in s)


def parse_time(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def test_tagged(t):
    t0 = time.time()
    out = t.path("tagged.out")
    tags = {"w1": b"web-1", "w2": b"web-1", "db": b"db"}
    cfg = t.config([("web", ["w1.log", "w2.log"], {"tag": "web-1"}),
                    ("db", "db.log"), ("bin", "bin.log", {"tag": "b.i_n"})],
                   name="tagged.ini", output="tagged.out", fmt="tagged")
    for f in ("w1", "w2", "db", "bin"):
        tmtest.append(t.path(f + ".log"), b"")
    d = t.start(cfg)
    written = {"w1": 3000, "w2": 2000, "db": 2500}
    size = 0
    for fid, n in written.items():
        for lo in range(1, n + 1, 1000):
            data = tmtest.seq_lines(fid, lo, min(n, lo + 999))
            tmtest.append(t.path(fid + ".log"), data)
            size += len(data) + min(1000, n - lo + 1) * (29 + len(tags[fid]))
    bdata = b"".join(line + b"\n" for line in SPECIAL)
    tmtest.append(t.path("bin.log"), bdata)
    size += len(bdata) + len(SPECIAL) * (29 + len(b"b.i_n"))
    tmtest.wait_for(lambda: tmtest.size(out) >= size,
                    "%d bytes of tagged output" % size, daemon=d)
    d.stop()
    t1 = time.time()

    data = tmtest.read(out)
    t.check(len(data) == size, "the tagged output has the expected size",
            "%d bytes, expected %d" % (len(data), size))
    payload = []
    special = []
    for i, line in enumerate(tmtest.split_lines(data), 1):
        m = TAGGED_RE.match(line)
        if m is None:
            tmtest.fail("tagged line %d does not match 'TIME TAG line': %r"
                        % (i, line[:120]))
        when = parse_time(m.group(1).decode())
        if not t0 - 1 <= when <= t1 + 1:
            tmtest.fail("tagged line %d: time %s is not between the test's "
                        "start and end" % (i, m.group(1).decode()))
        tag, rest = m.group(2), m.group(3)
        if tag == b"b.i_n":
            special.append(rest)
            continue
        fid = rest.split(b" ", 1)[0].decode(errors="replace")
        if tags.get(fid) != tag:
            tmtest.fail("tagged line %d: tag %r for a line of %s, expected "
                        "%r" % (i, tag, fid, tags.get(fid)))
        payload.append(rest)
    t.ok("every tagged line is 'YYYY-MM-DDTHH:MM:SS.uuuuuuZ TAG line' with "
         "the time of the test in UTC and the input's tag")
    tmtest.check_seq(payload, written, what="the tagged output")
    t.ok("tagged: every line exactly once, whole and in order, tagged "
         "web-1 for both paths of [input:web] and db (the input's name) "
         "for [input:db]")
    t.check(special == SPECIAL, "tagged: lines with CR, NUL, control bytes "
            "and invalid UTF-8 follow the tag unchanged")


def test_json(t):
    t0 = time.time()
    weird = 'we"ird\\na me.log'
    jdata = b"".join(line + b"\n" for line in SPECIAL) + b"last, no newline"
    tmtest.append(t.path("j.log"), jdata)
    tmtest.append(t.path(weird), tmtest.seq_lines("q", 1, 50))
    tmtest.append(t.path("s.log"), tmtest.seq_lines("s", 1, 5000))
    cfg = t.config([("j", "j.log"), ("q", weird, {"tag": 'q"t\\x'}),
                    ("s", "s.log", {"tag": "\u00e9t\u00e9"})],
                   name="json.ini", output="json.out", fmt="json")
    t.once(cfg)
    t1 = time.time()

    data = tmtest.read(t.path("json.out"))
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        tmtest.fail("the json output is not valid UTF-8: %s" % e)
    t.ok("the json output is valid UTF-8")
    got = {"j": [], "q": [], "s": []}
    paths = {"j": t.path("j.log"), "q": t.path(weird), "s": t.path("s.log")}
    tags = {"j": "j", "q": 'q"t\\x', "s": "\u00e9t\u00e9"}
    by_path = {v: k for k, v in paths.items()}
    for i, line in enumerate(tmtest.split_lines(data), 1):
        if not line.startswith(b'{"time":"') or not line.endswith(b'"}'):
            tmtest.fail("json line %d is not {\"time\":...\"} without "
                        "blanks: %r" % (i, line[:120]))
        try:
            pairs = json.loads(line.decode("utf-8"),
                               object_pairs_hook=lambda p: p)
        except ValueError as e:
            tmtest.fail("json line %d does not parse (%s): %r"
                        % (i, e, line[:200]))
        keys = [k for k, _ in pairs]
        if keys != ["time", "tag", "path", "line"]:
            tmtest.fail("json line %d has members %s, expected time, tag, "
                        "path, line" % (i, keys))
        obj = dict(pairs)
        if not all(isinstance(v, str) for v in obj.values()):
            tmtest.fail("json line %d: a member is not a string: %r"
                        % (i, obj))
        if not TIME_RE.match(obj["time"]) or \
                not t0 - 1 <= parse_time(obj["time"]) <= t1 + 1:
            tmtest.fail("json line %d: bad time %r" % (i, obj["time"]))
        fid = by_path.get(obj["path"])
        if fid is None:
            tmtest.fail("json line %d: path %r is none of the inputs %s"
                        % (i, obj["path"], sorted(paths.values())))
        if obj["tag"] != tags[fid]:
            tmtest.fail("json line %d: tag %r, expected %r"
                        % (i, obj["tag"], tags[fid]))
        got[fid].append(obj["line"])
    t.ok("every json line parses, has time, tag, path and line in that "
         "order, a UTC time of the test, the input's absolute path and tag "
         "(with '\"' and '\\' escaped)")

    want = [expect_json_line(b) for b in SPECIAL] + ["last, no newline"]
    for i, (g, w) in enumerate(zip(got["j"], want)):
        if g != w:
            tmtest.fail("json line %d of j.log: %r, expected %r (input %r)"
                        % (i + 1, g, w, (SPECIAL + [b""])[i]))
    t.check(len(got["j"]) == len(want), "json: j.log gives %d lines"
            % len(want), "got %d" % len(got["j"]))
    t.ok("json: valid UTF-8 kept, invalid bytes and control bytes as "
         "U+00XX, quotes and backslashes escaped, a line-ending CR left "
         "out, the last line without newline included")
    tmtest.check_seq([s.encode() for s in got["q"]], {"q": 50},
                     what="the json lines of %s" % weird)
    tmtest.check_seq([s.encode() for s in got["s"]], {"s": 5000},
                     what="the json lines of s.log")
    t.ok("json: the lines of each file exactly once and in order")


def test(t):
    test_tagged(t)
    test_json(t)


if __name__ == "__main__":
    tmtest.main(test)
