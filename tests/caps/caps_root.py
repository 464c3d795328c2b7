#!/usr/bin/env python3
"""caps_root.py: chapter 09's drop, applied for real, seen in /proc/self/status.

caps_apply (tests/caps/caps_apply.cpp) applies the drop as chapter 09's
child does (caps::drop, no_new_privs, switch_user) and execs a program
that prints its /proc/self/status: what the container's command would see,
after its execve(2), which is where a forgotten set takes its revenge.
Each run starts --dirty (every capability inheritable and ambient, extra
groups, a death signal), so a step left out shows.

The expectations are computed from the machine's real bounding set (this
machine's lacks CAP_SYS_RESOURCE): never from "all 41".

    caps_root.py CAPS_APPLY ROOTFS
"""
import os
import shutil
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import harness as h  # noqa: E402

APPLY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else None
ROOTFS = sys.argv[2] if len(sys.argv) > 2 else str(h.ROOTFS)

# capabilities(7) numbers, for the bits the checks name.
CAP = {"chown": 0, "dac_override": 1, "fowner": 3, "fsetid": 4, "kill": 5, "setgid": 6,
       "setuid": 7, "setpcap": 8, "net_bind_service": 10, "net_raw": 13, "sys_chroot": 18,
       "sys_time": 25, "mknod": 27, "audit_write": 29, "setfcap": 31}
DOCKER = ["chown", "dac_override", "fsetid", "fowner", "mknod", "net_raw", "setgid", "setuid",
          "setfcap", "setpcap", "net_bind_service", "sys_chroot", "kill", "audit_write"]


def mask(*names):
    return sum(1 << CAP[n] for n in names)


def real_bounding():
    """The bounding set this test itself runs with: the most any drop can keep."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapBnd:"):
                return int(line.split()[1], 16)
    raise h.Failed("no CapBnd in /proc/self/status")


REAL = real_bounding()
DEFAULT = mask(*DOCKER) & REAL


def apply(*options, program=None, argv=("status",), dirty=True, prefix=(), ok=True):
    """Runs caps_apply with chapter 09's options; returns the status it printed as a dict."""
    command = [*prefix, APPLY, *(["--dirty"] if dirty else []), *options, "--rootfs", ROOTFS,
               "--", program or APPLY, *argv]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    if not ok:
        return result
    h.expect(result.returncode == 0, f"{' '.join(command)} exited {result.returncode}: "
             f"{result.stderr.strip()}")
    return dict(line.split("=", 1) for line in result.stdout.split())


def expect_sets(seen, *, bnd, prm, eff, inh=0, amb=0):
    """Every set as wanted; otherwise one message naming each one that is not."""
    wrong = [f"{key} {seen[key]}, not {wanted:016x}"
             for key, wanted in (("CapPrm", prm), ("CapEff", eff), ("CapBnd", bnd),
                                 ("CapInh", inh), ("CapAmb", amb))
             if int(seen[key], 16) != wanted]
    h.expect(not wrong, "after execve: " + "; ".join(wrong))


@h.check("the default keeps exactly Docker's 14 in CapBnd, CapPrm and CapEff; "
         "CapInh and CapAmb are 0; NoNewPrivs is 1", chapters=["root"])
def default_drop():
    seen = apply()
    expect_sets(seen, bnd=DEFAULT, prm=DEFAULT, eff=DEFAULT)
    h.expect_equal(seen["NoNewPrivs"], "1", "NoNewPrivs")


@h.check("each step of the drop empties its own set on its own", chapters=["root"])
def each_step_alone():
    # --dirty made every permitted capability inheritable and ambient, too.
    full = REAL
    seen = apply("--allow-new-privileges", "--only", "bounding")
    expect_sets(seen, bnd=DEFAULT, prm=full, eff=full, inh=full, amb=full)
    seen = apply("--allow-new-privileges", "--only", "ambient")
    expect_sets(seen, bnd=full, prm=full, eff=full, inh=full, amb=0)
    seen = apply("--allow-new-privileges", "--cap-drop", "ALL", "--only", "sets")
    # Inheritable emptied lowers ambient too; root's execve refills permitted
    # from the untouched bounding set: the trap, seen.
    expect_sets(seen, bnd=full, prm=full, eff=full, inh=0, amb=0)


@h.check("--cap-drop ALL leaves all five sets empty", chapters=["root"])
def drop_all():
    expect_sets(apply("--cap-drop", "ALL"), bnd=0, prm=0, eff=0)


@h.check("--cap-add SYS_TIME adds exactly one bit", chapters=["root"])
def add_one():
    h.expect(REAL & mask("sys_time"), "this machine's bounding set lacks CAP_SYS_TIME")
    seen = apply("--cap-add", "SYS_TIME")
    wanted = DEFAULT | mask("sys_time")
    expect_sets(seen, bnd=wanted, prm=wanted, eff=wanted)
    h.expect_equal(int(seen["CapBnd"], 16) ^ DEFAULT, mask("sys_time"), "the one new bit")


@h.check("--cap-add ALL keeps the machine's real bounding set, not all 41", chapters=["root"])
def add_all():
    seen = apply("--cap-add", "ALL")
    expect_sets(seen, bnd=REAL, prm=REAL, eff=REAL)


@h.check("--cap-add of a capability the runtime lacks fails with a reason", chapters=["root"])
def add_missing():
    # The runtime runs with CAP_SYS_TIME out of its bounding set (setpriv).
    result = apply("--cap-add", "SYS_TIME", ok=False,
                   prefix=["setpriv", "--bounding-set", "-sys_time", "--"])
    h.expect(result.returncode != 0, "it ran without the capability it was told to keep")
    h.expect("the runtime itself does not have it" in result.stderr, result.stderr.strip())


@h.check("--allow-new-privileges leaves NoNewPrivs 0, and root's execve still gets "
         "only Docker's 14", chapters=["root"])
def allow_new_privileges():
    # Without no_new_privs, root's execve refills permitted from the bounding
    # set (with it, the kernel caps permitted at what it was): the bounding
    # set must hold on its own.
    seen = apply("--allow-new-privileges")
    h.expect_equal(seen["NoNewPrivs"], "0", "NoNewPrivs")
    expect_sets(seen, bnd=DEFAULT, prm=DEFAULT, eff=DEFAULT)


@h.check("--user 1000: its ids, no groups, no capabilities left but the bounding set, "
         "the death signal re-armed", chapters=["root"])
def switch_user():
    seen = apply("--user", "1000")
    h.expect_equal(seen["Uid"], "1000,1000,1000,1000", "Uid (real, effective, saved, fs)")
    h.expect_equal(seen["Gid"], "1000,1000,1000,1000", "Gid")
    h.expect_equal(seen["Groups"], "none", "supplementary groups")
    # capabilities(7): leaving uid 0 empties permitted, effective and ambient.
    expect_sets(seen, bnd=DEFAULT, prm=0, eff=0)
    h.expect_equal(seen["PdeathSig"], "9", "the death signal (SIGKILL) after the uid change")


@h.check("--cap-drop ALL --user 1000 still switches (CAP_SETUID/SETGID kept until then)",
         chapters=["root"])
def switch_without_caps():
    seen = apply("--cap-drop", "ALL", "--user", "1000:1000")
    h.expect_equal(seen["Uid"], "1000,1000,1000,1000", "Uid")
    expect_sets(seen, bnd=0, prm=0, eff=0)


@h.check("--cap-drop ALL --user 0:0: what was kept for the switch is dropped after it, "
         "even in a process that does not exec (an init)", chapters=["root"])
def switch_to_root():
    seen = apply("--cap-drop", "ALL", "--user", "0:0")
    h.expect_equal(seen["Uid"], "0,0,0,0", "Uid")
    expect_sets(seen, bnd=0, prm=0, eff=0)
    # After an execve the empty bounding set hides a leftover; without one it shows.
    expect_sets(apply("--cap-drop", "ALL", "--user", "0:0", "--no-exec"), bnd=0, prm=0, eff=0)


def setuid_copy(directory):
    """A setuid-root copy of caps_apply, which prints the status it gets."""
    copy = os.path.join(directory, "suid-status")
    shutil.copy(APPLY, copy)
    os.chown(copy, 0, 0)
    os.chmod(copy, 0o4755)
    return copy


@h.check("a setuid-root program cannot give user 1000 root back under no_new_privs, "
         "and can with --allow-new-privileges", chapters=["root"])
def setuid_root():
    with tempfile.TemporaryDirectory(prefix="caps-root.") as d:
        os.chmod(d, 0o755)
        copy = setuid_copy(d)
        blocked = apply("--user", "1000", program=copy)
        h.expect_equal(blocked["Uid"], "1000,1000,1000,1000", "Uid under no_new_privs")
        expect_sets(blocked, bnd=DEFAULT, prm=0, eff=0)
        regained = apply("--user", "1000", "--allow-new-privileges", program=copy)
        h.expect_equal(regained["Uid"].split(",")[1], "0",
                       "the effective uid without no_new_privs (is the filesystem nosuid?)")
        # Root again, with what the bounding set left: Docker's 14.
        expect_sets(regained, bnd=DEFAULT, prm=DEFAULT, eff=DEFAULT)


@h.check("bad input is one line and exit 2", chapters=["root"])
def bad_input():
    for options in (["--cap-add", "SYS_ADMN"], ["--user", "0:abc"], ["--user", "nosuchuser"]):
        result = apply(*options, ok=False, dirty=False)
        h.expect_equal(result.returncode, 2, f"exit status of {' '.join(options)}")
        h.expect(len(result.stderr.strip().splitlines()) == 1,
                 f"{' '.join(options)}: {result.stderr!r}")


if __name__ == "__main__":
    if APPLY is None or not os.access(APPLY, os.X_OK):
        print("usage: caps_root.py CAPS_APPLY ROOTFS")
        sys.exit(2)
    h.main()
