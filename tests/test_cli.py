#!/usr/bin/env python3
"""The command line and the configuration check.

  * -t / --check-config on a good configuration prints exactly one OK
    summary line (inputs, paths, the output made absolute against the
    config's directory, its format, the workers) and exits 0, creating
    nothing; missing input files are no error.
  * On a configuration with many errors it prints every one of them, each
    as "FILE:LINE: ...", each once, on stderr, and exits 78; without -t too.
    A configuration file that cannot be read also gives 78.
  * A NUL byte or a control character (but a tab, or the CR of a CRLF) in
    a line is an error naming the line and its column; the lines after it
    keep their numbers and sections; UTF-8 text passes.
  * include: -t counts the included files; an error in one names it and
    its line.
  * An unknown option, a missing option argument or a stray argument print
    the usage on stderr and exit 2.
  * -V / --version print "tailmux VERSION" and "systemd: yes" (or "no", as
    configure found libsystemd); -h / --help print the usage on stdout;
    both exit 0.
  * An output that cannot be created gives exit status 1.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402

GOOD = """\
; a good configuration
[tailmux]
workers = 3
poll_interval = 250ms   ; inline comment
max_line = 64K

[output]
path = out/merged.log
format = json

[input:a]
path = a.log
path = logs/a2.log
tag = app-a

[input:b.2]
path = {abs}
start = end
"""

# The lines of a bad configuration, each with what the error reported at
# that line must name: None for no error, "" for an error naming nothing
# in particular.
BAD = [
    ("[tailmux]", None),
    ("workers = 0", "workers"),
    ("poll_interval = 5x", "poll_interval"),
    ("max_line = 8", "max_line"),
    ("bogus = 1", "bogus"),
    ("", None),
    ("[output]", None),
    ("format = xml", "format"),
    ("[input:a]", None),
    ("path = a.log", None),
    ("start = middle", "start"),
    ("tag = has space", "tag"),
    ("[input:b]", "path"),            # no path in [input:b]
    ("tag = b", None),
    ("[nonsense]", "nonsense"),
    ("key = in an unknown section", None),  # said by the header's error
    ("[input:a]", "input:a"),         # the same section twice
    ("just some words", ""),          # not "key = value"
    ("[input:c]", None),
    ("path = a.log", "a.log"),        # already tailed by [input:a]
]


def test(t):
    # --- -t on a good configuration
    abs_b = t.path("elsewhere", "b.log")
    cfg = t.write("good.ini", GOOD.format(abs=abs_b))
    for opt in ("-t", "--check-config"):
        rc, out, err = t.run(opt, "-c", cfg, check_rc=0)
        want = ("%s: OK: 2 inputs (3 paths) -> %s (json), 3 workers\n"
                % (cfg, t.path("out", "merged.log")))
        t.check(out == want, "%s on a good config prints one OK line" % opt,
                "got %r, expected %r" % (out, want))
        t.check(err == "", "%s on a good config prints nothing on stderr"
                % opt, repr(err))
    t.check(not os.path.exists(t.path("out")),
            "-t creates neither the output nor its directory")
    one = t.config([("x", "x.log")], name="one.ini", output="o.log",
                   workers=1)
    rc, out, err = t.run("-t", "-c", one, check_rc=0)
    t.check(out == "%s: OK: 1 input (1 path) -> %s (raw), 1 worker\n"
            % (one, t.path("o.log")),
            "-t summary in the singular, raw by default", repr(out))

    # --- a configuration full of errors
    lines = [line for line, _ in BAD]
    bad = t.write("bad.ini", "\n".join(lines) + "\n")
    want = {i: what for i, (_, what) in enumerate(BAD, 1)
            if what is not None}
    for args in (("-t", "-c", bad), ("-c", bad), ("--once", "-c", bad)):
        rc, out, err = t.run(*args)
        t.check(rc == 78, "%s on a bad config exits 78" % " ".join(args[:-1]),
                "status %d\n%s" % (rc, err))
        t.check(out == "", "nothing on stdout", repr(out))
        got = {}
        for line in err.splitlines():
            m = re.match(r"^%s:(\d+): (.+)$" % re.escape(bad), line)
            if m is None:
                tmtest.fail("an error line is not FILE:LINE: ...: %r" % line)
            n = int(m.group(1))
            if n in got:
                tmtest.fail("line %d reported twice:\n%s\n%s"
                            % (n, got[n], line))
            got[n] = m.group(2)
        missing = sorted(set(want) - set(got))
        extra = sorted(set(got) - set(want))
        if missing or extra:
            tmtest.fail("errors expected at lines %s; missing at %s, "
                        "unexpected at %s:\n%s" % (sorted(want), missing,
                                                   extra, err))
        for n, what in want.items():
            if what not in got[n]:
                tmtest.fail("the error at line %d does not name %r: %r"
                            % (n, what, got[n]))
        t.ok("every error is printed once as FILE:LINE: ..., at lines %s"
             % sorted(got))

    # --- a NUL byte or a control character: an error at its line, which
    # neither swallows the next line nor shifts the line numbers after it
    nul = t.write("nul.ini", b"[input:a]\npath = /var/log/a.log\n"
                  b"tag = x\0\n[input:b]\npath = /var/log/b.log\n"
                  b"tag = y\x1b[0m\nbogus = 1\n")
    rc, out, err = t.run("-t", "-c", nul)
    want = ("%s:3: line holds a NUL byte at column 8; a configuration file "
            "is text\n"
            "%s:6: line holds control character 0x1b at column 8; a "
            "configuration file is text\n"
            "%s:7: [input:b] bogus: unknown key\n" % (nul, nul, nul))
    t.check(rc == 78 and out == "" and err == want,
            "-t names the line and column of a NUL byte and of a control "
            "character", "status %d, stdout %r, stderr %r, expected %r"
            % (rc, out, err, want))
    utf8 = t.write("utf8.ini", "; caf\u00e9 \u65e5\u672c\n[input:cafe]\n"
                   "path = /var/log/caf\u00e9.log\ntag = \u00e9t\u00e9\n")
    rc, out, err = t.run("-t", "-c", utf8)
    t.check(rc == 0 and out.startswith("%s: OK: 1 input (1 path)" % utf8),
            "-t accepts UTF-8 text", "status %d, %r %r" % (rc, out, err))

    # --- drop-in files: counted in the summary, their errors named
    inc = t.write("inc/main.ini", "[tailmux]\ninclude = conf.d/*.ini\n"
                  "[output]\npath = o.log\n[input:m]\npath = m.log\n")
    rc, out, err = t.run("-t", "-c", inc, check_rc=0)
    t.check(out.startswith("%s: OK: 1 input (1 path) -> " % inc),
            "-t with an include matching nothing: OK", repr(out))
    t.write("inc/conf.d/b.ini", "[input:b]\npath = b.log\n")
    t.write("inc/conf.d/a.ini", "[input:a]\npath = a.log\npath = a2.log\n")
    rc, out, err = t.run("-t", "-c", inc, check_rc=0)
    t.check(out.startswith("%s: OK: 3 inputs (4 paths, 2 included files) "
                           "-> " % inc),
            "-t counts the included files", repr(out))
    bad_inc = t.write("inc/conf.d/c.ini", "[input:c]\npath = c.log\n"
                      "start = never\n")
    rc, out, err = t.run("-t", "-c", inc)
    t.check(rc == 78 and err.startswith("%s:3: [input:c] start: "
                                        % bad_inc),
            "an error in an included file names that file and line",
            "status %d, %r" % (rc, err))

    rc, out, err = t.run("-t", "-c", t.path("no-such.ini"))
    t.check(rc == 78 and "no-such.ini" in err,
            "a config file that does not exist: exit 78, named on stderr",
            "status %d, %r" % (rc, err))
    empty = t.write("empty.ini", "")
    rc, out, err = t.run("-t", "-c", empty)
    t.check(rc == 78 and err.startswith(empty + ":"),
            "an empty config (no input) is an error: exit 78",
            "status %d, %r" % (rc, err))

    # --- usage errors
    for args in (("--bogus",), ("-x",), ("-c", cfg, "stray"), ("-c",),
                 ("--once=1", "-c", cfg)):
        rc, out, err = t.run(*args)
        t.check(rc == 2 and "usage:" in err and out == "",
                "tailmux %s: exit 2, usage on stderr" % " ".join(args),
                "status %d, stdout %r, stderr %r" % (rc, out, err))

    # --- version and help
    version = None
    srcdir = os.environ.get("TAILMUX_SRCDIR")
    if srcdir and os.path.exists(os.path.join(srcdir, "configure.ac")):
        with open(os.path.join(srcdir, "configure.ac")) as f:
            m = re.search(r"AC_INIT\(\[tailmux\],\s*\[([^\]]+)\]", f.read())
            version = m.group(1) if m else None
    # The second line says whether it was built with libsystemd, as
    # configure found (TAILMUX_SYSTEMD, from the Makefile).
    built = os.environ.get("TAILMUX_SYSTEMD")
    for opt in ("-V", "--version"):
        rc, out, err = t.run(opt, check_rc=0)
        first, _, rest = out.partition("\n")
        if version is not None:
            t.check(first == "tailmux %s" % version,
                    "%s prints 'tailmux %s'" % (opt, version), repr(out))
        else:
            t.check(re.match(r"^tailmux \d+\.\d+\S*$", first),
                    "%s prints 'tailmux VERSION'" % opt, repr(out))
        t.check(re.match(r"^systemd: (yes|no)\n$", rest) and
                (built is None or rest == "systemd: %s\n" % built),
                "%s then prints 'systemd: %s'" % (opt, built or "yes|no"),
                repr(out))
    for opt in ("-h", "--help"):
        rc, out, err = t.run(opt, check_rc=0)
        t.check(out.startswith("usage: tailmux") and err == "" and
                all(o in out for o in ("-c", "--check-config", "--once",
                                       "--version", "--help")),
                "%s prints the usage on stdout" % opt, repr(out))

    # --- an output that cannot be created: status 1
    t.write("blocker", "a regular file, not a directory\n")
    cfg = t.config([("x", "x.log")], name="noout.ini",
                   output="blocker/out.log")
    for args in (("--once", "-c", cfg), ("-c", cfg)):
        rc, out, err = t.run(*args)
        t.check(rc == 1 and "blocker" in err,
                "tailmux %s with an output that cannot be created: exit 1, "
                "the error on stderr" % " ".join(args[:-1]),
                "status %d, %r" % (rc, err))


if __name__ == "__main__":
    tmtest.main(test)
