#!/usr/bin/env python3
"""test_docs.py -- the documentation matches the configuration keys.

Reads the key table (config_key_table in src/config.c) and checks that:

  * every key is documented in man/tailmux.ini.5.in, as a
    ".It Cm KEY = Ar ..." item (".It Va KEY = ..." is accepted too) under the
    ".Ss" heading naming its section ([tailmux], [output], [input:NAME],
    [forward:NAME]);
  * every key appears in etc/tailmux.ini, as a "key = value" or
    ";key = value" line under its section's header;
  * neither file documents a key the code does not know;
  * a literal default in the table (such as "1s") is named in the key's
    man page item;
  * both man pages are clean under "mandoc -T lint -W warning" (skipped,
    saying so, when mandoc is not installed);
  * etc/tailmux.ini passes "tailmux -t" when $TAILMUX names the binary.

The source tree is $TAILMUX_SRCDIR, or the parent of this script's
directory.  Exit status: 0 pass, 1 fail, 77 skip.
"""

import os
import re
import shutil
import subprocess
import sys

SKIP = 77

SECTION_NAMES = {"TAILMUX": "tailmux", "OUTPUT": "output", "INPUT": "input",
                 "FORWARD": "forward"}

# A man page item for a key: ".It Cm workers = Ar number".
MAN_KEY_RE = re.compile(r"^\.It\s+(?:Cm|Va)\s+([A-Za-z0-9_]+)\s+=(?:\s|$)")
# A man page subsection naming a configuration section.
MAN_SS_RE = re.compile(r"^\.Ss\s.*\[(tailmux|output|input|forward)[\]:]")
# A sample line for a key, set or commented out: "path =", ";workers =".
INI_KEY_RE = re.compile(r"^[;#]?([A-Za-z0-9_]+)\s*[=:]")
# A sample section header, possibly commented out.
INI_SECTION_RE = re.compile(
    r"^[;#]?\s*\[(tailmux|output|input|forward)[\]:]")

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def srcdir():
    env = os.environ.get("TAILMUX_SRCDIR")
    if env:
        return env
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def code_keys(config_c):
    """(section, name) -> default string literal or None, in table order."""
    text = read(config_c)
    m = re.search(r"config_key_table\s*\[[^\]]*\]\s*=\s*\{(.*?)\n\};", text,
                  re.S)
    if m is None:
        return None
    keys = {}
    entry = re.compile(
        r"\[\s*(K_\w+)\s*\]\s*=\s*\{\s*CONFIG_SECTION_(\w+)\s*,\s*"
        r"(NULL|\"[^\"]*\")\s*,\s*(NULL|\"[^\"]*\"|\w+)\s*\}")
    for k_id, sect, name, default in entry.findall(m.group(1)):
        if name == "NULL":
            continue  # the end marker
        if sect not in SECTION_NAMES:
            fail("src/config.c: %s: unknown section CONFIG_SECTION_%s"
                 % (k_id, sect))
            continue
        lit = default[1:-1] if default.startswith('"') else None
        keys[(SECTION_NAMES[sect], name[1:-1])] = lit
    return keys


def man_keys(page):
    """(section, name) -> text of the item, for the key items of the page."""
    found = {}
    section = None
    current = None
    for lineno, line in enumerate(read(page).splitlines(), 1):
        if line.startswith(".Sh "):
            section = None
            current = None
            continue
        m = MAN_SS_RE.match(line)
        if m:
            section = m.group(1)
            current = None
            continue
        if line.startswith(".Ss "):
            section = None
            current = None
            continue
        m = MAN_KEY_RE.match(line)
        if m:
            if section is None:
                fail("%s:%d: key item %s is not under a [section] heading"
                     % (page, lineno, m.group(1)))
                current = None
                continue
            current = (section, m.group(1))
            if current in found:
                fail("%s:%d: [%s] %s is documented twice"
                     % (page, lineno, section, m.group(1)))
            found[current] = []
            continue
        if current is not None:
            found[current].append(line)
    return {k: "\n".join(v) for k, v in found.items()}


def ini_keys(sample):
    found = set()
    section = None
    for lineno, line in enumerate(read(sample).splitlines(), 1):
        m = INI_SECTION_RE.match(line)
        if m:
            section = m.group(1)
            continue
        m = INI_KEY_RE.match(line)
        if m:
            if section is None:
                fail("%s:%d: %s is not under a [section]"
                     % (sample, lineno, m.group(1)))
                continue
            found.add((section, m.group(1)))
    return found


def check_mandoc(pages):
    mandoc = shutil.which("mandoc")
    if mandoc is None:
        print("SKIP: mandoc is not installed; man pages not linted")
        return
    for page in pages:
        r = subprocess.run([mandoc, "-T", "lint", "-W", "warning", page],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        # Messages about the local manual database are not about the page.
        out = [l for l in r.stdout.splitlines()
               if l.strip() and "mandoc.db" not in l]
        if out or r.returncode not in (0,):
            fail("mandoc -T lint -W warning %s (status %d):\n  %s"
                 % (page, r.returncode, "\n  ".join(out)))
        else:
            print("ok: mandoc lint %s" % os.path.basename(page))


def check_sample_with_binary(sample):
    binary = os.environ.get("TAILMUX")
    if not binary or not os.access(binary, os.X_OK):
        print("SKIP: $TAILMUX is not set; %s not checked with tailmux -t"
              % os.path.basename(sample))
        return
    r = subprocess.run([binary, "-t", "-c", sample], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True)
    if r.returncode != 0:
        fail("tailmux -t -c %s exited %d:\n  %s"
             % (sample, r.returncode, r.stdout.strip().replace("\n", "\n  ")))
    else:
        print("ok: tailmux -t accepts %s" % os.path.basename(sample))


def main():
    top = srcdir()
    config_c = os.path.join(top, "src", "config.c")
    page5 = os.path.join(top, "man", "tailmux.ini.5.in")
    page8 = os.path.join(top, "man", "tailmux.8.in")
    sample = os.path.join(top, "etc", "tailmux.ini")

    if not os.path.isfile(config_c):
        print("SKIP: no %s (set TAILMUX_SRCDIR)" % config_c)
        return SKIP
    for path in (page5, page8, sample):
        if not os.path.isfile(path):
            fail("%s is missing" % path)
    if failures:
        return 1

    keys = code_keys(config_c)
    if not keys:
        fail("cannot find the config_key_table entries in %s" % config_c)
        return 1
    print("%d keys in src/config.c" % len(keys))

    documented = man_keys(page5)
    in_sample = ini_keys(sample)
    name5 = "man/tailmux.ini.5.in"
    name_ini = "etc/tailmux.ini"

    for (section, name), default in keys.items():
        label = "[%s] %s" % ("input:NAME" if section == "input" else
                             "forward:NAME" if section == "forward" else
                             section,
                             name)
        if (section, name) not in documented:
            fail("%s is not documented in %s (expected \".It Cm %s = ...\" "
                 "under the [%s] heading)" % (label, name5, name, section))
        elif default is not None and not re.search(
                r"(^|[\s'\"])%s($|[\s'\".,;)])" % re.escape(default),
                documented[(section, name)], re.M):
            fail("%s: its default %s is not named in %s"
                 % (label, default, name5))
        if (section, name) not in in_sample:
            fail("%s is not in %s (expected \"%s =\" or \";%s =\" under "
                 "[%s])" % (label, name_ini, name, name, section))

    for section, name in sorted(documented):
        if (section, name) not in keys:
            fail("%s documents [%s] %s, which src/config.c does not know"
                 % (name5, section, name))
    for section, name in sorted(in_sample):
        if (section, name) not in keys:
            fail("%s sets [%s] %s, which src/config.c does not know"
                 % (name_ini, section, name))

    check_mandoc([page8, page5])
    check_sample_with_binary(sample)

    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok: %d keys documented in %s and %s"
          % (len(keys), name5, name_ini))
    return 0


if __name__ == "__main__":
    sys.exit(main())
