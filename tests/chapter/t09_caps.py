#!/usr/bin/env python3
"""09-caps: root without its powers: Docker's 14 capabilities, no_new_privs, --user.

What the container's command sees in /proc/self/status, what its root can
and cannot do, and what --user and --allow-new-privileges change.

Two facts shape the checks. The expected sets come from the bounding set
the runtime itself has: this machine's lacks CAP_SYS_RESOURCE, so "all"
is never assumed to be 41. And a user namespace (07 on, the default) hides
some effects of the drop: entering one resets the bounding set to all 41,
empties inheritable and ambient, and makes mknod and the clock fail anyway.
So the checks of powers run with `--userns host` too, where only the
capabilities stand between the container's root and the machine.
"""
import os
import shutil
import subprocess
import sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import harness as h  # noqa: E402

FROM = h.chapters_from("09-caps")
HOST = ["--userns", "host"]  # no user namespace: the capabilities on their own

# capabilities(7), in the kernel's order (<linux/capability.h>), for names and bits.
NAMES = ["chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid",
         "setuid", "setpcap", "linux_immutable", "net_bind_service", "net_broadcast",
         "net_admin", "net_raw", "ipc_lock", "ipc_owner", "sys_module", "sys_rawio",
         "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
         "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write",
         "audit_control", "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
         "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore"]
DOCKER = ["chown", "dac_override", "fsetid", "fowner", "mknod", "net_raw", "setgid", "setuid",
          "setfcap", "setpcap", "net_bind_service", "sys_chroot", "kill", "audit_write"]


def mask(*names):
    return sum(1 << NAMES.index(n) for n in names)


def status_mask(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1], 16)
    raise h.Failed(f"no {field} in /proc/self/status")


# The most any container of ours can keep without a user namespace: the
# bounding set this test (and the runtime it starts) has.
REAL = status_mask("CapBnd")
# In a user namespace of its own, the container's bounding set starts full.
ALL = mask(*NAMES)
DEFAULT = mask(*DOCKER) & REAL


def names_of(bits):
    return ",".join(n for i, n in enumerate(NAMES) if bits >> i & 1) or "none"


def caps(chapter, options=(), runner=None):
    """The probe's five sets and NoNewPrivs: {'cap_bnd': int, ..., 'no_new_privs': '1'}."""
    if runner is None:
        answer = h.probe(chapter, "caps", options=options)
    else:
        answer = dict(kv.split("=", 1) for kv in runner(chapter, "/bin/probe", "caps",
                                                         options=options).stdout.split())
    return {k: (v if k == "no_new_privs" else int(v, 16)) for k, v in answer.items()}


def expect_sets(seen, what, *, bnd, prm, eff, inh=0, amb=0):
    """Each of the five sets as wanted, or one message naming every set that is not."""
    def differ(seen, wanted):
        extra, missing = seen & ~wanted, wanted & ~seen
        return ", ".join(([f"extra {names_of(extra)}"] if extra else []) +
                         ([f"missing {names_of(missing)}"] if missing else []))
    wrong = [f"Cap{key[4:].capitalize()} {seen[key]:016x}, not {wanted:016x} "
             f"({differ(seen[key], wanted)})"
             for key, wanted in (("cap_bnd", bnd), ("cap_prm", prm), ("cap_eff", eff),
                                 ("cap_inh", inh), ("cap_amb", amb))
             if seen[key] != wanted]
    h.expect(not wrong, f"{what}: " + "; ".join(wrong))


def dirty(chapter, *command, options=()):
    """Runs the chapter from a runtime whose every capability is also inheritable
    and ambient (setpriv(1)): what a runtime started by a careless parent, or
    with file capabilities, hands down. Clearing them is then the runtime's job."""
    missing = "".join(f",-{n}" for i, n in enumerate(NAMES) if not REAL >> i & 1)
    setpriv = ["setpriv", f"--inh-caps=+all{missing}", f"--ambient-caps=+all{missing}", "--"]
    argv = [*setpriv, str(h.BIN / chapter), *options, "--rootfs", str(h.ROOTFS), "--", *command]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30,
                            stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise h.Failed(f"{' '.join(argv)} exited {result.returncode}: {result.stderr.strip()}")
    return result


# --- the five sets -------------------------------------------------------------

@h.check("/proc/self/status: Docker's 14 in CapBnd, CapPrm, CapEff; CapInh, CapAmb 0; "
         "NoNewPrivs 1", FROM)
def default_sets(chapter):
    for options in ([], HOST):
        seen = caps(chapter, options)
        expect_sets(seen, f"{chapter} {' '.join(options)}".strip(),
                    bnd=DEFAULT, prm=DEFAULT, eff=DEFAULT)
        h.expect_equal(seen["no_new_privs"], "1", "NoNewPrivs")


@h.check("a runtime with every capability inheritable and ambient still hands the command "
         "none of them (--userns host, where no user namespace clears them)", FROM)
def dirty_runtime(chapter):
    seen = caps(chapter, HOST, runner=dirty)
    expect_sets(seen, "from a runtime with CapInh and CapAmb full",
                bnd=DEFAULT, prm=DEFAULT, eff=DEFAULT)


@h.check("with --allow-new-privileges, root's execve(2) still gets only Docker's 14: the "
         "bounding set holds on its own", FROM)
def bounding_holds_alone(chapter):
    # Without no_new_privs, an execve(2) by root refills permitted from the
    # bounding set (capabilities(7)): the trap of clearing only permitted.
    for options in ([], HOST):
        seen = caps(chapter, ["--allow-new-privileges", *options])
        expect_sets(seen, f"--allow-new-privileges {' '.join(options)}".strip(),
                    bnd=DEFAULT, prm=DEFAULT, eff=DEFAULT)
        h.expect_equal(errno_of(chapter, "mount", ["--allow-new-privileges", *options]),
                       "EPERM", f"mount(2) with --allow-new-privileges {' '.join(options)}")


@h.check("--cap-drop ALL: all five sets are 0", FROM)
def drop_all(chapter):
    for options in ([], HOST):
        expect_sets(caps(chapter, ["--cap-drop", "ALL", *options]),
                    f"--cap-drop ALL {' '.join(options)}".strip(), bnd=0, prm=0, eff=0)


@h.check("--cap-add SYS_TIME adds exactly one bit, CAP_SYS_TIME (25)", FROM)
def add_one(chapter):
    h.expect(REAL & mask("sys_time"), "this machine's bounding set lacks CAP_SYS_TIME")
    for options in ([], HOST):
        seen = caps(chapter, ["--cap-add", "SYS_TIME", *options])
        wanted = DEFAULT | mask("sys_time")
        expect_sets(seen, f"--cap-add SYS_TIME {' '.join(options)}".strip(),
                    bnd=wanted, prm=wanted, eff=wanted)
        h.expect_equal(seen["cap_bnd"] ^ DEFAULT, mask("sys_time"), "the one new bit")


@h.check("--cap-add ALL: all 41 in a user namespace, the machine's real bounding set "
         "without one", FROM)
def add_all(chapter):
    # Entering a user namespace gives the child a full bounding set there.
    expect_sets(caps(chapter, ["--cap-add", "ALL"]), "--cap-add ALL", bnd=ALL, prm=ALL, eff=ALL)
    expect_sets(caps(chapter, ["--cap-add", "ALL", *HOST]), "--cap-add ALL --userns host",
                bnd=REAL, prm=REAL, eff=REAL)
    if REAL != ALL:  # this machine: no CAP_SYS_RESOURCE to hand on
        lacking = NAMES[(ALL & ~REAL).bit_length() - 1]
        result = h.run(chapter, "true", options=["--cap-add", lacking, *HOST])
        h.expect(result.returncode != 0 and "does not have it" in result.stderr,
                 f"--cap-add {lacking} --userns host: exit {result.returncode}, "
                 f"{result.stderr.strip()!r}; expected a refusal (the runtime lacks it)")


# --- what root inside can and cannot do ----------------------------------------------

def caps_alone(chapter):
    """Options that leave capabilities as the only thing in the way: 11-full's
    Landlock also refuses mount(2) and device nodes, whatever the capabilities."""
    return ["--no-landlock"] if h.number(chapter) >= 11 else []


def errno_of(chapter, call, options=()):
    # The probe says "errno.mount=EPERM"; harness.probe keys it by "mount".
    return h.probe(chapter, "errno", call, options=options).get(call)


@h.check("as root inside, `mount -t tmpfs x /mnt` fails with EPERM (no CAP_SYS_ADMIN)", FROM)
def mount_fails(chapter):
    for options in ([], HOST):
        where = f"{chapter} {' '.join(options)}".strip()
        result = h.run(chapter, "mount", "-t", "tmpfs", "x", "/mnt", options=options)
        h.expect(result.returncode != 0 and "permission denied" in result.stderr.lower(),
                 f"{where}: mount -t tmpfs exited {result.returncode}: {result.stderr.strip()!r}")
        h.expect_equal(errno_of(chapter, "mount", options), "EPERM", f"{where}: mount(2)")
    # The control: with CAP_SYS_ADMIN kept, the very same mount works.
    h.expect_equal(errno_of(chapter, "mount", ["--cap-add", "SYS_ADMIN", *caps_alone(chapter)]),
                   "OK",
                   "mount(2) with --cap-add SYS_ADMIN")


@h.check("as root inside, `hostname evil` fails with EPERM; the hostname set before the "
         "drop is there", FROM)
def hostname_fails(chapter):
    for options in ([], HOST):
        where = f"{chapter} {' '.join(options)}".strip()
        result = h.run(chapter, "sh", "-c", "hostname evil; echo status=$?; hostname",
                       options=["--hostname", "web1", *options])
        h.expect("status=1" in result.stdout and "not permitted" in result.stderr,
                 f"{where}: hostname evil: {result.stdout.strip()!r} {result.stderr.strip()!r}")
        h.expect_equal(result.stdout.split()[-1], "web1", f"{where}: the hostname afterwards")
        h.expect_equal(errno_of(chapter, "sethostname", options), "EPERM",
                       f"{where}: sethostname(2)")
    h.expect_equal(errno_of(chapter, "sethostname", ["--cap-add", "SYS_ADMIN"]), "OK",
                   "sethostname(2) with --cap-add SYS_ADMIN")


@h.check("as root inside, chown of a file in /tmp works (CAP_CHOWN is kept), and fails "
         "with --cap-drop CHOWN", FROM)
def chown_works(chapter):
    script = "touch /tmp/f && chown 1000:1000 /tmp/f && stat -c %u:%g /tmp/f"
    for options in ([], HOST):
        out = h.run_ok(chapter, "sh", "-c", script, options=options).stdout.strip()
        h.expect_equal(out, "1000:1000", f"owner after chown {' '.join(options)}")
    h.expect_equal(errno_of(chapter, "chown", ["--cap-drop", "CHOWN"]), "EPERM",
                   "fchown(2) with --cap-drop CHOWN")


@h.check("mknod of a block device: refused in the user namespace; without one, Docker's 14 "
         "keep CAP_MKNOD (Docker leaves devices to its device cgroup), --cap-drop MKNOD "
         "refuses it", FROM)
def mknod_block(chapter):
    script = "mknod /tmp/disk b 7 0 && echo made"
    def attempt(*options):
        return h.run(chapter, "sh", "-c", script, options=[*options, *caps_alone(chapter)])
    refused = attempt()
    h.expect(refused.returncode != 0 and "not permitted" in refused.stderr,
             f"mknod in a user namespace: {refused.stdout.strip()!r} {refused.stderr.strip()!r}")
    h.expect_equal(attempt(*HOST).stdout.strip(), "made", "mknod --userns host")
    dropped = attempt(*HOST, "--cap-drop", "MKNOD")
    h.expect(dropped.returncode != 0 and "not permitted" in dropped.stderr,
             f"mknod --userns host --cap-drop MKNOD: {dropped.stdout.strip()!r} "
             f"{dropped.stderr.strip()!r}")


@h.check("without a user namespace, setting the clock to the time it has fails with EPERM "
         "(no CAP_SYS_TIME)", FROM)
def clock_fails(chapter):
    h.expect_equal(errno_of(chapter, "clock_settime", HOST), "EPERM", "clock_settime(2)")


# --- --user -----------------------------------------------------------------------------

@h.check("--user 1000:1000: uid and gid 1000, no supplementary groups, no capability but "
         "the bounding set", FROM)
def user_1000(chapter):
    for options in ([], HOST):
        where = f"--user 1000:1000 {' '.join(options)}".strip()
        ids = h.probe(chapter, "ids", options=["--user", "1000:1000", *options])
        h.expect_equal(ids, {"uid": "1000", "gid": "1000", "euid": "1000", "egid": "1000",
                             "groups": "none"}, where)
        # capabilities(7): leaving uid 0 empties permitted, effective and ambient.
        expect_sets(caps(chapter, ["--user", "1000:1000", *options]), where,
                    bnd=DEFAULT, prm=0, eff=0)


@h.check("--user with a name from the rootfs's /etc/passwd, and --cap-drop ALL --user 1000 "
         "(the switch needs CAP_SETUID, kept until it is done)", FROM)
def user_by_name(chapter):
    ids = h.probe(chapter, "ids", options=["--user", "nobody"])
    h.expect_equal((ids.get("uid"), ids.get("groups")), ("65534", "none"), "--user nobody")
    ids = h.probe(chapter, "ids", options=["--cap-drop", "ALL", "--user", "1000:1000"])
    h.expect_equal((ids.get("uid"), ids.get("gid")), ("1000", "1000"),
                   "--cap-drop ALL --user 1000:1000")


def setuid_probe(rootfs, owner):
    """A setuid-root copy of the probe in the rootfs copy: /bin/probe-suid. Its
    owner is the container's root as the host sees it (a setuid bit of a file
    whose owner the user namespace does not map is ignored)."""
    copy = rootfs / "bin" / "probe-suid"
    shutil.copy(os.path.realpath(rootfs / "bin" / "probe"), copy)
    os.chown(copy, owner, owner)
    os.chmod(copy, 0o4755)
    return "/bin/probe-suid"


def ids_of(chapter, program, options, rootfs):
    """`PROGRAM ids` (a probe) run in the chapter: its uid=... euid=... answers."""
    out = h.run_ok(chapter, program, "ids", options=options, rootfs=rootfs).stdout
    return dict(kv.split("=", 1) for kv in out.split())


@h.check("a setuid-root program gives a user root back only with --allow-new-privileges "
         "(NoNewPrivs 0)", FROM)
def setuid_root(chapter):
    for options in ([], HOST):
        owner = 0 if options else h.container_root_uid(chapter)
        with h.rootfs_copy() as rootfs:
            suid = setuid_probe(rootfs, owner)
            where = f"{' '.join(options)}".strip() or "default"
            user = ["--user", "1000:1000", *options]
            kept = ids_of(chapter, suid, user, rootfs)
            h.expect_equal(kept.get("euid"), "1000", f"{where}: euid of the setuid-root program")
            again = ids_of(chapter, suid, [*user, "--allow-new-privileges"], rootfs)
            h.expect_equal(again.get("euid"), "0", f"{where}, --allow-new-privileges: euid "
                           "of the setuid-root program (is the rootfs mounted nosuid?)")
            nnp = caps(chapter, ["--allow-new-privileges", *options])["no_new_privs"]
            h.expect_equal(nnp, "0", f"{where}: NoNewPrivs with --allow-new-privileges")


# --- bad input and --explain ------------------------------------------------------------

def expect_usage_error(result, words, what):
    lines = result.stderr.strip().splitlines()
    h.expect_equal(result.returncode, 2, f"exit status of {what}")
    h.expect_equal(len(lines), 1, f"lines of the message for {what} ({result.stderr.strip()!r})")
    for word in words:
        h.expect(word in lines[0], f"{what}: the message {lines[0]!r} does not say {word!r}")


@h.check("bad input is one line and exit 2: an unknown capability (with close matches), "
         "an unknown user name, --user 0:abc", FROM)
def bad_input(chapter):
    expect_usage_error(h.run(chapter, "true", options=["--cap-add", "SYS_ADMN"]),
                       ["SYS_ADMN", "did you mean", "SYS_ADMIN"], "--cap-add SYS_ADMN")
    expect_usage_error(h.run(chapter, "true", options=["--cap-drop", "chwon"]),
                       ["chwon", "CHOWN"], "--cap-drop chwon")
    expect_usage_error(h.run(chapter, "true", options=["--user", "nosuchuser"]),
                       ["nosuchuser", "/etc/passwd"], "--user nosuchuser")
    expect_usage_error(h.run(chapter, "true", options=["--user", "0:abc"]),
                       ["abc", "/etc/group"], "--user 0:abc")


@h.check("--explain shows the drop with its shell equivalents (setpriv, capsh)", FROM)
def explained(chapter):
    err = h.run_ok(chapter, "true", options=["--explain"]).stderr
    for words in ("setpriv --bounding-set -all,+chown", "PR_CAPBSET_DROP", "capsh --drop=",
                  "PR_CAP_AMBIENT_CLEAR_ALL", "PR_SET_NO_NEW_PRIVS"):
        h.expect(words in err, f"--explain does not show {words!r}")


if __name__ == "__main__":
    h.main()
