#!/usr/bin/env python3
"""The systemd unit and the sysusers.d file, as built.

  * The unit ($TAILMUX_UNIT, systemd/tailmux.service in the build tree)
    says Type=notify, NotifyAccess=main, RestartPreventExitStatus=78 (a
    bad configuration is not restarted), User=tailmux, and its State- and
    LogsDirectory; it has no ExecStartPre= (a control process exiting 78
    would be restarted all the same: tailmux's own exit 78 is what stops
    the restarts), and its ExecReload= checks the configuration with -t,
    then sends SIGHUP; its commands name the installed binary.
  * "systemd-analyze verify" finds nothing wrong with it, its commands
    pointed at the built binary (verify wants them to exist).
  * "systemd-analyze security --offline=true" rates its exposure at 2.5 or
    less (and --threshold=25 agrees).
  * The drop-in systemd/forward.conf opens only what forwarders need
    (PrivateNetwork=no, AF_INET and AF_INET6, IPAddressAllow= with the
    unit's IPAddressDeny=any kept); with it the unit still verifies and
    stays within the same exposure.
  * systemd-sysusers, run on a scratch root, makes the user tailmux from
    the sysusers.d file, with /var/lib/tailmux as its home.

Skipped, saying why, where systemd-analyze is missing or too old for
--offline (systemd 250).  Exit status: 0 pass, 1 fail, 77 skip.
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tmtest  # noqa: E402

MAX_EXPOSURE = 2.5


def unit_settings(text):
    """{key: [values]} of the [Service] section."""
    out = {}
    section = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]" and "=" in line:
            k, v = line.split("=", 1)
            out.setdefault(k, []).append(v)
    return out


def analyze(t, *args):
    p = subprocess.run(["systemd-analyze"] + list(args),
                       capture_output=True, cwd=t.dir)
    return (p.returncode, p.stdout.decode(errors="replace"),
            p.stderr.decode(errors="replace"))


def test(t):
    unit = os.environ.get("TAILMUX_UNIT")
    if not unit or not os.path.exists(unit):
        raise tmtest.Skip("TAILMUX_UNIT does not name the built unit (%r)"
                          % unit)
    text = tmtest.read(unit).decode()
    sbindir = os.environ.get("TAILMUX_SBINDIR", "/usr/sbin")
    s = unit_settings(text)

    want = {"Type": "notify", "NotifyAccess": "main",
            "RestartPreventExitStatus": "78", "User": "tailmux",
            "StateDirectory": "tailmux", "LogsDirectory": "tailmux"}
    for k, v in sorted(want.items()):
        t.check(s.get(k) == [v], "the unit says %s=%s" % (k, v),
                "it says %r" % s.get(k))
    installed = os.path.join(sbindir, "tailmux")
    t.check("ExecStartPre" not in s and
            s.get("ExecStart", [""])[0].startswith(installed + " -c "),
            "no ExecStartPre, ExecStart runs %s" % installed,
            repr((s.get("ExecStartPre"), s.get("ExecStart"))))
    reload = s.get("ExecReload", [])
    t.check(len(reload) == 2 and reload[0].startswith(installed + " -t -c ")
            and reload[1] == "/bin/kill -HUP $MAINPID",
            "ExecReload checks the configuration with -t, then sends SIGHUP",
            repr(reload))
    left = re.findall(r"@[a-z_]+@", text)
    t.check(left == [], "every @placeholder@ is filled in", repr(left))

    if shutil.which("systemd-analyze") is None:
        raise tmtest.Skip("systemd-analyze is not installed (Debian: "
                          "apt-get install systemd)")
    rc, out, err = analyze(t, "security", "--help")
    if "--offline" not in out:
        raise tmtest.Skip("systemd-analyze security has no --offline here "
                          "(systemd 250 or later is needed)")

    # A copy whose commands run the built binary, for verify.
    copy = t.path("tailmux.service")
    with open(copy, "w") as f:
        f.write(text.replace(installed + " ", tmtest.binary() + " "))
    rc, out, err = analyze(t, "verify", "--man=no", copy)
    t.check(rc == 0 and err.strip() == "",
            "systemd-analyze verify finds nothing wrong",
            "status %d\n%s%s" % (rc, out, err))

    rc, out, err = analyze(t, "security", "--offline=true", copy)
    m = re.search(r"Overall exposure level for tailmux\.service: "
                  r"(\d+\.\d+)", out)
    if m is None:
        tmtest.fail("no exposure level in systemd-analyze security's "
                    "output: status %d\n%s%s" % (rc, out[-2000:], err))
    exposure = float(m.group(1))
    t.check(exposure <= MAX_EXPOSURE,
            "systemd-analyze security --offline=true: exposure %.1f <= %.1f"
            % (exposure, MAX_EXPOSURE),
            "\n".join(line for line in out.splitlines() if "\u2717" in line))
    rc, out, err = analyze(t, "security", "--offline=true",
                           "--threshold=%d" % (MAX_EXPOSURE * 10), copy)
    t.check(rc == 0, "--threshold=%d agrees" % (MAX_EXPOSURE * 10),
            "status %d\n%s" % (rc, err))

    # The drop-in for forwarders: the host's network, IPv4 and IPv6
    # sockets, and only the addresses it allows; the unit as a whole still
    # verifies and stays within MAX_EXPOSURE.
    src = os.environ.get("TAILMUX_SRCDIR",
                         os.path.dirname(os.path.dirname(
                             os.path.abspath(__file__))))
    dropin = tmtest.read(os.path.join(src, "systemd",
                                      "forward.conf")).decode()
    d = unit_settings(dropin)
    t.check(d.get("PrivateNetwork") == ["no"] and
            d.get("RestrictAddressFamilies") ==
            ["AF_UNIX AF_INET AF_INET6"] and "IPAddressDeny" not in d and
            d.get("IPAddressAllow"),
            "the forward.conf drop-in opens TCP to the allowed addresses "
            "only", repr(d))
    fwd = t.path("fwd", "tailmux.service")
    os.makedirs(os.path.dirname(fwd))
    with open(fwd, "w") as f:
        f.write(tmtest.read(copy).decode() + "\n" + dropin)
    rc, out, err = analyze(t, "verify", "--man=no", fwd)
    t.check(rc == 0 and err.strip() == "",
            "with the drop-in, systemd-analyze verify finds nothing wrong",
            "status %d\n%s%s" % (rc, out, err))
    rc, out, err = analyze(t, "security", "--offline=true", fwd)
    m = re.search(r"Overall exposure level for tailmux\.service: "
                  r"(\d+\.\d+)", out)
    t.check(m is not None and float(m.group(1)) <= MAX_EXPOSURE,
            "with the drop-in, exposure %s <= %.1f"
            % (m.group(1) if m else "?", MAX_EXPOSURE), out[-2000:])

    sysusers = os.environ.get("TAILMUX_SYSUSERS")
    if not sysusers or shutil.which("systemd-sysusers") is None:
        raise tmtest.Skip("no sysusers file (TAILMUX_SYSUSERS=%r) or no "
                          "systemd-sysusers" % sysusers)
    root = t.path("root")
    os.makedirs(os.path.join(root, "etc"))
    p = subprocess.run(["systemd-sysusers", "--root=" + root, sysusers],
                       capture_output=True)
    passwd = tmtest.read(os.path.join(root, "etc", "passwd")).decode()
    t.check(p.returncode == 0 and
            re.search(r"(?m)^tailmux:x:\d+:\d+:[^:]*:/var/lib/tailmux:",
                      passwd) is not None,
            "systemd-sysusers makes the user tailmux, at home in "
            "/var/lib/tailmux",
            "status %d, %s\n/etc/passwd:\n%s"
            % (p.returncode, p.stderr.decode(errors="replace"), passwd))


if __name__ == "__main__":
    tmtest.main(test)
