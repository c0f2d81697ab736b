#!/usr/bin/env python3
"""The installed unit under a real systemd, as a sysadmin runs it.

Boots Debian 12 (systemd as PID 1) in a container with systemd-nspawn,
installs tailmux into it with "make install DESTDIR=" from a build made
with --prefix=/usr --sysconfdir=/etc --localstatedir=/var, and checks:

  * systemd-sysusers makes the user tailmux; "systemctl enable --now
    tailmux" starts it; lines written to an input are in the output.
  * A drop-in in /etc/tailmux/conf.d adding an input, then "systemctl
    reload": that input's lines are in the output.
  * A broken drop-in, then "systemctl reload": the reload fails, its
    error (FILE:LINE) is in the journal, tailmux keeps running (same
    MainPID) with its configuration (the broken drop-in's input is not
    read, the others still are).
  * "systemctl stop": exit status 0, and the checkpoint names the whole
    output and every input's end.  Lines written while it is stopped and
    around a "systemctl restart" are in the output exactly once.
  * WatchdogSec=2s in a drop-in: tailmux stays up (same MainPID, no
    restart) for 5 watchdog periods and its pings keep coming.
  * "systemd-analyze security tailmux.service": exposure at most 2.5.
  * A bad main configuration and "systemctl restart": the start fails
    once (one status=78/CONFIG in the journal), ExecMainStatus=78,
    "systemctl status" shows the main process's status=78,
    the error (FILE:LINE) is in the journal, and it is not restarted
    (NRestarts=0, still failed 5 s later).  As a control, the same with
    an ExecStartPre= check (the unit as it was) is restarted
    (NRestarts > 0), which shows that this check can fail.

Needs root, systemd-nspawn (systemd-container), debootstrap, nsenter and
unshare (util-linux) and cgroup v2 (alone or beside v1).  The base root
(debootstrap --variant=minbase bookworm with systemd and tailmux's
run-time libraries) is cached as a tarball in $TAILMUX_CI_CACHE
(/var/cache/tailmux-ci by default), keyed by its package list, so that
only the first run downloads it.  Environment: TAILMUX_DIST, the
tarball of "make dist" to build from; TAILMUX_CI_MIRROR, the Debian
mirror (http://deb.debian.org/debian).

Exit status: 0 pass, 1 fail, 77 skip (saying why: something on this
machine keeps the container from booting).
"""
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
import tmtest  # noqa: E402
from tmtest import Fail, Skip, fail  # noqa: E402

SUITE = "bookworm"
PACKAGES = ["systemd", "systemd-sysv", "dbus", "procps", "libevent-2.1-7",
            "libevent-pthreads-2.1-7", "libinih1", "zlib1g", "libsystemd0"]
MIRROR = os.environ.get("TAILMUX_CI_MIRROR", "http://deb.debian.org/debian")
CACHE = os.environ.get("TAILMUX_CI_CACHE", "/var/cache/tailmux-ci")
MAX_EXPOSURE = 2.5
BOOT_TIMEOUT = 120.0
TIMEOUT = 60.0
PATH = "/usr/sbin:/usr/bin:/sbin:/bin"

UNIT = "tailmux.service"
INI = "/etc/tailmux/tailmux.ini"
OUT = "/var/log/tailmux/merged.log"
STATE = "/var/lib/tailmux/state"
MAIN_INI = """\
[tailmux]
include = conf.d/*.ini

[output]
path = %s
rotate_interval = none

[input:a]
path = /var/log/app/a.log
""" % OUT


def log(msg):
    print("# " + msg, flush=True)


def run(argv, timeout=600, what=None, env=None):
    """Runs argv; returns (status, stdout + stderr as str)."""
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        fail("%s did not finish within %.0f s" % (what or argv[0], timeout))
    return p.returncode, p.stdout.decode(errors="replace")


def must(argv, timeout=600, what=None, cwd=None):
    """Runs argv, which must exit 0; returns its output."""
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, cwd=cwd,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        fail("%s did not finish within %.0f s" % (what or argv[0], timeout))
    out = p.stdout.decode(errors="replace")
    if p.returncode != 0:
        fail("%s exited with status %d:\n%s"
             % (what or " ".join(argv), p.returncode, out[-3000:]))
    return out


# ------------------------------------------------------------ preconditions

def cgroup_roots():
    """(cgroup v2 directory, name=systemd v1 directory or None) where the
    container's cgroups go; skips without cgroup v2."""
    mounts = {}
    with open("/proc/self/mounts") as f:
        for line in f:
            dev, mnt, fstype, opts = line.split()[:4]
            mounts[mnt] = (fstype, opts)
    v2 = None
    for mnt in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
        if mounts.get(mnt, ("",))[0] == "cgroup2":
            v2 = mnt
            break
    if v2 is None:
        raise Skip("no cgroup v2 hierarchy at /sys/fs/cgroup or "
                   "/sys/fs/cgroup/unified: systemd-nspawn cannot give the "
                   "container the unified hierarchy it is booted with")
    v1 = None
    fstype, opts = mounts.get("/sys/fs/cgroup/systemd", ("", ""))
    if fstype == "cgroup" and "name=systemd" in opts.split(","):
        v1 = "/sys/fs/cgroup/systemd"
    return v2, v1


def preconditions():
    if os.geteuid() != 0:
        raise Skip("booting a container needs root")
    missing = [t for t in ("systemd-nspawn", "debootstrap", "nsenter",
                           "unshare", "tar")
               if shutil.which(t, path=os.environ.get("PATH", "") + ":" +
                               PATH) is None]
    if missing:
        raise Skip("%s not installed (Debian: apt-get install "
                   "systemd-container debootstrap util-linux)"
                   % ", ".join(missing))
    dist = os.environ.get("TAILMUX_DIST")
    if not dist or not os.path.exists(dist):
        raise Skip("TAILMUX_DIST does not name a tarball of make dist (%r); "
                   "run this with make check-systemd" % dist)
    return dist


# -------------------------------------------------------------- build, root

def build(work, dist):
    """Builds the dist tarball for /usr and installs it into root."""
    src = os.path.join(work, "src")
    os.makedirs(src)
    with tarfile.open(dist) as tf:
        tf.extractall(src)
    top = os.path.join(src, os.listdir(src)[0])
    must(["./configure", "-q", "--prefix=/usr", "--sysconfdir=/etc",
          "--localstatedir=/var"], cwd=top, what="configure")
    must(["make", "-j%d" % os.cpu_count()], cwd=top, what="make")
    return top


def base_root(work):
    """The cached base root's tarball, made with debootstrap if missing."""
    key = hashlib.sha256(" ".join([SUITE, "minbase", MIRROR] +
                                  sorted(PACKAGES)).encode()).hexdigest()
    tarball = os.path.join(CACHE, "base-%s-%s.tar" % (SUITE, key[:16]))
    if os.path.exists(tarball):
        log("base root from the cache: %s" % tarball)
        return tarball
    log("no cached base root (%s): debootstrap" % tarball)
    root = os.path.join(work, "base")
    rc, out = run(["debootstrap", "--variant=minbase",
                   "--include=" + ",".join(PACKAGES), SUITE, root, MIRROR],
                  timeout=1200, what="debootstrap")
    if rc != 0:
        raise Skip("debootstrap %s from %s failed (status %d), so there is "
                   "nothing to boot:\n%s" % (SUITE, MIRROR, rc, out[-2000:]))
    os.makedirs(CACHE, exist_ok=True)
    tmp = tarball + ".tmp%d" % os.getpid()
    try:
        must(["tar", "-C", root, "--numeric-owner", "-cf", tmp, "."],
             what="tar of the base root")
        os.rename(tmp, tarball)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    shutil.rmtree(root, ignore_errors=True)
    return tarball


def make_root(work, tarball, top):
    root = os.path.join(work, "root")
    os.makedirs(root)
    must(["tar", "-C", root, "--numeric-owner", "-xf", tarball],
         what="tar -x of the base root")
    must(["make", "install", "DESTDIR=" + root], cwd=top, what="make install")
    # nspawn names the container; a machine ID of its own keeps it from
    # being a first boot (systemd-firstboot would fail without a tty).
    p = os.path.join(root, "etc/hostname")
    if os.path.exists(p):
        os.unlink(p)
    with open(os.path.join(root, "etc/machine-id"), "w") as f:
        f.write(os.urandom(16).hex() + "\n")
    return root


# ---------------------------------------------------------------- container

class Container:
    """systemd-nspawn -b on a root, in its own cgroup and mount namespace;
    commands run in it with nsenter into its PID 1."""

    def __init__(self, root, work):
        self.root = root
        self.work = work
        self.proc = None
        self.pid1 = None
        self.cgroups = []
        self.name = "tailmux-ci-%d" % os.getpid()

    def boot(self):
        v2, v1 = cgroup_roots()
        for parent in [v2] + ([v1] if v1 else []):
            cg = os.path.join(parent, self.name)
            try:
                os.mkdir(cg)
            except OSError as e:
                raise Skip("cannot make the container's cgroup %s: %s"
                           % (cg, e))
            self.cgroups.append(cg)
        # The shell moves itself into the cgroups, then becomes nspawn
        # (exec all the way: self.proc.pid is nspawn's), in a mount
        # namespace of its own where /run/systemd/nspawn is a private
        # tmpfs: nothing it mounts outlives it.
        moves = "".join("echo $$ > '%s/cgroup.procs' && " % cg
                        for cg in self.cgroups)
        script = (moves + "exec unshare -m --propagation private sh -c '"
                  "mkdir -p /run/systemd/nspawn && "
                  "mount -t tmpfs -o mode=0755 tmpfs /run/systemd/nspawn && "
                  "exec systemd-nspawn -q -b -D \"$0\" --register=no "
                  "--keep-unit --private-network --console=pipe "
                  "--machine=\"$1\"' '%s' '%s'" % (self.root, self.name))
        env = dict(os.environ, SYSTEMD_NSPAWN_UNIFIED_HIERARCHY="1",
                   PATH=os.environ.get("PATH", "") + ":" + PATH)
        self.console = open(os.path.join(self.work, "console.log"), "wb")
        self.proc = subprocess.Popen(["sh", "-c", script],
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.console,
                                     stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + BOOT_TIMEOUT
        self.pid1 = self._wait(self._child, "the container's PID 1",
                               deadline)
        state = self._wait(self._booted, "systemctl is-system-running to "
                           "say running or degraded", deadline)
        if state == "degraded":
            log("booted degraded: " + self.sh("systemctl --failed "
                                              "--no-legend")[1].strip())
        return state

    def _console(self):
        with open(os.path.join(self.work, "console.log"), "rb") as f:
            return f.read()[-3000:].decode(errors="replace")

    def _wait(self, pred, what, deadline):
        while True:
            v = pred()
            if v:
                return v
            if self.proc.poll() is not None:
                raise Skip("systemd-nspawn exited with status %d before %s; "
                           "it said:\n%s" % (self.proc.returncode, what,
                                             self._console()))
            if time.monotonic() >= deadline:
                fail("timed out after %.0f s waiting for %s; the console "
                     "said:\n%s" % (BOOT_TIMEOUT, what, self._console()))
            time.sleep(0.1)

    def _child(self):
        try:
            with open("/proc/%d/task/%d/children"
                      % (self.proc.pid, self.proc.pid)) as f:
                kids = f.read().split()
        except OSError:
            return None
        for k in kids:
            try:
                with open("/proc/%s/comm" % k) as f:
                    comm = f.read().strip()
            except OSError:
                continue
            if comm == "systemd":
                return int(k)
        return None

    def _booted(self):
        rc, out = self.sh("systemctl is-system-running", timeout=30)
        out = out.strip()
        if out in ("running", "degraded"):
            return out
        if out in ("maintenance", "stopping", "offline"):
            fail("the container's systemd is %s:\n%s"
                 % (out, self.sh("systemctl --failed --no-legend")[1]))
        return None

    def sh(self, cmd, timeout=TIMEOUT):
        """Runs cmd with /bin/sh in the container; (status, output)."""
        return run(["nsenter", "-t", str(self.pid1), "-m", "-u", "-i", "-n",
                    "-p", "-r", "-w", "env", "-i", "PATH=" + PATH,
                    "LANG=C.UTF-8", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0",
                    "/bin/sh", "-c", cmd], timeout=timeout, what=cmd)

    def must(self, cmd, timeout=TIMEOUT):
        rc, out = self.sh(cmd, timeout)
        if rc != 0:
            fail("in the container, %s exited with status %d:\n%s"
                 % (cmd, rc, out[-3000:]))
        return out

    def path(self, p):
        return os.path.join(self.root, p.lstrip("/"))

    def write(self, p, text, mode=0o644):
        path = self.path(p)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)

    def stop(self):
        """Powers the container off (SIGTERM to nspawn), kills it if that
        takes too long, and removes its cgroups."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                log("the container did not power off in 60 s: killed")
                if self.pid1 is not None:
                    try:
                        os.kill(self.pid1, signal.SIGKILL)
                    except OSError:
                        pass
                self.proc.kill()
                self.proc.wait()
        for cg in reversed(self.cgroups):
            self._rmcg(cg)
        self.cgroups = []

    def _rmcg(self, cg):
        """Removes cg and the cgroups under it, deepest first, once the
        processes in them are gone."""
        deadline = time.monotonic() + 30
        while os.path.isdir(cg):
            for d, subdirs, files in os.walk(cg, topdown=False):
                try:
                    os.rmdir(d)
                except OSError:
                    pass
            if not os.path.isdir(cg):
                break
            if time.monotonic() >= deadline:
                log("could not remove the cgroup %s" % cg)
                break
            time.sleep(0.1)


# ------------------------------------------------------------------- checks

class Checks:
    def __init__(self, c):
        self.c = c
        self.n = 0
        self.written = {}

    def ok(self, msg):
        self.n += 1
        print("ok %d - %s" % (self.n, msg), flush=True)

    def check(self, cond, msg, detail=""):
        if not cond:
            fail(msg + (": " + detail if detail else ""))
        self.ok(msg)

    def show(self, *props):
        out = self.c.must("systemctl show -p %s %s" % (",".join(props), UNIT))
        d = dict(line.split("=", 1) for line in out.splitlines()
                 if "=" in line)
        return d

    def wait(self, pred, what, timeout=TIMEOUT):
        return tmtest.wait_for(pred, what, timeout=timeout)

    def journal(self):
        return self.c.must("journalctl -q -o cat --no-pager -u " + UNIT)

    def write_lines(self, fid, n):
        """Appends lines to /var/log/app/FID.log, numbered on from the
        last ones written there."""
        first = self.written.get(fid, 0) + 1
        tmtest.append(self.c.path("/var/log/app/%s.log" % fid),
                      tmtest.seq_lines(fid, first, first + n - 1))
        self.written[fid] = first + n - 1

    def out_lines(self):
        try:
            data = tmtest.read(self.c.path(OUT))
        except FileNotFoundError:
            return []
        return data[:data.rfind(b"\n") + 1].split(b"\n")[:-1]

    def count(self, fid):
        pre = fid.encode() + b" "
        return sum(1 for line in self.out_lines() if line.startswith(pre))

    def wait_lines(self, fid):
        n = self.written[fid]
        self.wait(lambda: self.count(fid) >= n,
                  "lines 1..%d of %s.log in the output" % (n, fid))

    def exact(self, what):
        """The output holds every line written, once, whole and in
        order, and nothing else."""
        for fid in self.written:
            self.wait_lines(fid)
        data = tmtest.read(self.c.path(OUT))
        tmtest.check_seq(tmtest.split_lines(data), self.written,
                         what="the output " + what)
        self.ok("the output %s holds every line written once, in order "
                "(%s)" % (what, ", ".join("%s: %d" % kv for kv in
                                          sorted(self.written.items()))))

    def active(self):
        return self.show("ActiveState")["ActiveState"] == "active"


def test_start(k):
    c = k.c
    c.must("systemd-sysusers")
    out = c.must("getent passwd tailmux")
    k.check(re.search(r"^tailmux:x:\d+:\d+:[^:]*:/var/lib/tailmux:", out),
            "systemd-sysusers makes the user tailmux", out)
    os.makedirs(c.path("/var/log/app"), exist_ok=True)
    os.chmod(c.path("/var/log/app"), 0o755)
    c.write(INI, MAIN_INI)
    c.must("mkdir -p /etc/tailmux/conf.d")
    k.write_lines("a", 100)
    c.must("systemctl daemon-reload")
    c.must("systemctl enable --now " + UNIT)
    s = k.show("ActiveState", "SubState", "StatusText")
    k.check(s["ActiveState"] == "active" and s["SubState"] == "running",
            "systemctl enable --now: the unit is active (running)", repr(s))
    k.write_lines("a", 100)
    k.exact("after the start")


def test_reload(k):
    c = k.c
    pid = k.show("MainPID")["MainPID"]
    k.write_lines("b", 50)
    c.write("/etc/tailmux/conf.d/b.ini", "[input:b]\npath = "
            "/var/log/app/b.log\n")
    rc, out = c.sh("systemctl reload " + UNIT)
    k.check(rc == 0, "systemctl reload with a drop-in adding [input:b] "
            "succeeds", "status %d: %s" % (rc, out))
    k.write_lines("b", 50)
    k.write_lines("a", 10)
    k.exact("after the reload")
    k.check(k.show("MainPID")["MainPID"] == pid and k.active(),
            "the reload kept MainPID %s" % pid)
    k.check("reload: [input:b] added" in k.journal(),
            "the journal says [input:b] was added")

    # Broken: a valid input, then a line with an unknown key.
    k.write_lines("c", 20)
    c.write("/etc/tailmux/conf.d/c.ini", "[input:c]\npath = "
            "/var/log/app/c.log\nbogus_key = 1\n")
    rc, out = c.sh("systemctl reload " + UNIT)
    k.check(rc != 0, "systemctl reload with a broken drop-in fails",
            "status %d: %s" % (rc, out))
    j = k.journal()
    k.check("/etc/tailmux/conf.d/c.ini:3:" in j,
            "the journal has the error at /etc/tailmux/conf.d/c.ini:3",
            j[-2000:])
    k.check(k.active() and k.show("MainPID")["MainPID"] == pid,
            "tailmux keeps running (MainPID %s)" % pid)
    del k.written["c"]
    k.write_lines("a", 10)
    k.write_lines("b", 10)
    k.exact("after the failed reload")
    k.check(k.count("c") == 0, "the broken drop-in's input is not read")
    os.unlink(c.path("/etc/tailmux/conf.d/c.ini"))


def test_stop_restart(k):
    c = k.c
    c.must("systemctl stop " + UNIT)
    s = k.show("ActiveState", "Result", "ExecMainCode", "ExecMainStatus")
    k.check(s["ActiveState"] == "inactive" and s["Result"] == "success" and
            s["ExecMainStatus"] == "0",
            "systemctl stop: inactive, exit status 0", repr(s))
    text = tmtest.read(c.path(STATE)).decode(errors="replace")
    m = re.search(r"(?m)^output \d+ \d+ (\d+) (.*)$", text)
    k.check(m is not None and m.group(2) == OUT and
            int(m.group(1)) == tmtest.size(c.path(OUT)),
            "the checkpoint names the whole output (%d bytes)"
            % tmtest.size(c.path(OUT)), text)
    ends = dict((p, int(off)) for off, p in re.findall(
        r"(?m)^file \d+ \d+ (\d+) \d+ [0-9a-f]+ (\S+)", text))
    for fid in sorted(k.written):
        p = "/var/log/app/%s.log" % fid
        k.check(ends.get(p) == tmtest.size(c.path(p)),
                "the checkpoint has %s read to its end" % p, repr(ends))

    k.write_lines("a", 500)
    k.write_lines("b", 300)
    c.must("systemctl start " + UNIT)
    k.write_lines("a", 10)
    k.exact("after a stop, lines written meanwhile and a start")

    k.write_lines("a", 200)
    c.must("systemctl restart " + UNIT)
    k.write_lines("b", 200)
    k.exact("after lines written around a systemctl restart")


def test_watchdog(k):
    c = k.c
    c.write("/etc/systemd/system/tailmux.service.d/watchdog.conf",
            "[Service]\nWatchdogSec=2s\n")
    c.must("systemctl daemon-reload")
    c.must("systemctl restart " + UNIT)
    s = k.show("WatchdogUSec", "MainPID", "NRestarts")
    k.check(s["WatchdogUSec"] == "2s", "WatchdogSec=2s from a drop-in",
            repr(s))
    pings = set()
    t_end = time.monotonic() + 10.5
    while time.monotonic() < t_end:
        now = k.show("ActiveState", "MainPID", "NRestarts",
                      "WatchdogTimestampMonotonic")
        if (now["ActiveState"] != "active" or now["MainPID"] != s["MainPID"]
                or now["NRestarts"] != s["NRestarts"]):
            fail("with WatchdogSec=2s, tailmux did not stay up: %r, "
                 "was %r\n%s" % (now, s, k.journal()[-2000:]))
        pings.add(now["WatchdogTimestampMonotonic"])
        time.sleep(0.2)
    k.check(len(pings) >= 5, "with WatchdogSec=2s, tailmux stays up for "
            "5 periods (MainPID %s) and pings the watchdog (%d pings seen)"
            % (s["MainPID"], len(pings)))
    k.write_lines("a", 10)
    k.exact("with the watchdog on")
    os.unlink(c.path("/etc/systemd/system/tailmux.service.d/watchdog.conf"))
    c.must("systemctl daemon-reload")


def test_security(k):
    rc, out = k.c.sh("systemd-analyze security --no-pager " + UNIT)
    m = re.search(r"Overall exposure level for tailmux\.service: "
                  r"(\d+\.\d+)", out)
    k.check(m is not None and float(m.group(1)) <= MAX_EXPOSURE,
            "systemd-analyze security: exposure %s <= %.1f"
            % (m.group(1) if m else "?", MAX_EXPOSURE),
            "\n".join(line for line in out.splitlines()
                      if "\u2717" in line or "exposure" in line))


def bad_start(k, what):
    """Starts the unit on the bad configuration in place; returns its
    properties once it failed, after watching it for 5 s."""
    c = k.c
    c.must("systemctl reset-failed %s || true" % UNIT)
    cursor = re.search(r"cursor: (\S+)", c.must(
        "journalctl -q -n 0 --show-cursor")).group(1)
    rc, out = c.sh("systemctl restart " + UNIT)
    k.check(rc != 0, "%s: systemctl restart fails" % what,
            "status %d" % rc)
    props = ("ActiveState", "SubState", "Result", "ExecMainStatus",
             "NRestarts")
    k.wait(lambda: k.show("ActiveState")["ActiveState"] in ("failed",
                                                            "inactive"),
           "the unit to fail")
    # Not restarted: RestartSec= is 100 ms, so a restart would show in
    # NRestarts or ActiveState within this window.
    seen = []
    t_end = time.monotonic() + 5
    while time.monotonic() < t_end:
        s = k.show(*props)
        seen.append((s["ActiveState"], s["NRestarts"]))
        time.sleep(0.1)
    j = c.must("journalctl -q -o cat --no-pager -u %s --after-cursor='%s'"
               % (UNIT, cursor))
    return s, seen, j


def test_bad_config(k):
    c = k.c
    good = tmtest.read(c.path(INI)).decode()
    bad = good.replace("[input:a]\n", "[input:a]\nstart = sometimes\n")
    c.write(INI, bad)
    line = bad.splitlines().index("start = sometimes") + 1

    # The control: the unit as it was, with an ExecStartPre= check.
    dropin = "/etc/systemd/system/tailmux.service.d/startpre.conf"
    c.write(dropin, "[Service]\nExecStartPre=/usr/sbin/tailmux -t -c %s\n"
            % INI)
    c.must("systemctl daemon-reload")
    s, seen, j = bad_start(k, "control, with ExecStartPre=tailmux -t")
    k.check(int(s["NRestarts"]) > 0, "control: with ExecStartPre= the bad "
            "configuration is restarted (NRestarts=%s)" % s["NRestarts"],
            repr(s))
    os.unlink(c.path(dropin))
    c.must("systemctl daemon-reload")

    s, seen, j = bad_start(k, "bad configuration")
    k.check(len(re.findall(r"status=78/CONFIG", j)) == 1,
            "bad configuration: one failure with status 78 in the journal",
            j[-2000:])
    k.check(s["ExecMainStatus"] == "78" and s["Result"] == "exit-code",
            "bad configuration: ExecMainStatus=78, Result=exit-code",
            repr(s))
    k.check(all(a == "failed" and n == "0" for a, n in seen),
            "bad configuration: not restarted (NRestarts=0, failed "
            "throughout 5 s)", repr(sorted(set(seen))))
    rc, out = c.sh("systemctl status --no-pager -n 0 " + UNIT)
    # systemctl names no BSD exit status (78/CONFIG is the journal's).
    k.check(re.search(r"(?m)^ *Active: failed \(Result: exit-code\)", out)
            and re.search(r"(?m)^ *Main PID: \d+ \(code=exited, "
                          r"status=78\b", out),
            "systemctl status: failed, Main PID exited with status=78", out)
    k.check("%s:%d:" % (INI, line) in j,
            "the journal has the error at %s:%d" % (INI, line), j[-2000:])

    c.write(INI, good)
    c.must("systemctl reset-failed " + UNIT)
    c.must("systemctl start " + UNIT)
    k.write_lines("a", 10)
    k.exact("after the configuration is fixed")


def test(work):
    dist = preconditions()
    cgroup_roots()
    t0 = time.monotonic()
    top = build(work, dist)
    tarball = base_root(work)
    root = make_root(work, tarball, top)
    log("built and installed in %.0f s" % (time.monotonic() - t0))
    c = Container(root, work)
    try:
        t1 = time.monotonic()
        state = c.boot()
        log("booted (%s) in %.1f s" % (state, time.monotonic() - t1))
        k = Checks(c)
        test_start(k)
        test_reload(k)
        test_stop_restart(k)
        test_watchdog(k)
        test_security(k)
        test_bad_config(k)
        return k.n
    finally:
        c.stop()


def main():
    work = tempfile.mkdtemp(prefix="tailmux-systemd-", dir="/var/tmp")
    # A stop signal ends the test through its clean-up.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda s, f: fail("stopped by signal %d" % s))
    t0 = time.monotonic()
    try:
        n = test(work)
    except Skip as e:
        print("SKIP: systemd: %s" % e)
        rc = tmtest.EXIT_SKIP
    except Fail as e:
        print("FAIL: systemd: %s" % e)
        rc = tmtest.EXIT_FAIL
    except Exception:
        import traceback
        traceback.print_exc()
        print("FAIL: systemd: unexpected error")
        rc = tmtest.EXIT_FAIL
    else:
        print("PASS: systemd (%d checks, %.0f s)" % (n, time.monotonic() -
                                                     t0))
        rc = tmtest.EXIT_PASS
    finally:
        if os.environ.get("TMTEST_KEEP"):
            print("# kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    sys.stdout.flush()
    sys.exit(rc)


if __name__ == "__main__":
    main()
