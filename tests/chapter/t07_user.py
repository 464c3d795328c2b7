#!/usr/bin/env python3
"""07-user: root inside, nobody outside. Run by root, the container's root is
uid 0 inside and the first id of a range outside (the user `unshared`'s in
/etc/subuid, or --uid-map), and what it writes in a volume belongs to that
uid on the host; --userns host gives the host's ids back. Run by a user who
is not root (rootless), the container's root is that user: as a throwaway
user with a subordinate range, and as `nobody`, who has none. "deny" in
/proc/PID/setgroups keeps a rootless container from dropping a group that
a file denies (CVE-2014-8989). Bad input is one line and exit 2."""
import grp
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import harness as h  # noqa: E402

FROM = h.chapters_from("07-user")
# Rootless runs, from 07 until 08's cgroup: a user who is not root may make
# a cgroup only where one was delegated to it, which 08 does not do (yet).
ROOTLESS = [c for c in FROM if h.number(c) < 8]
ALL_IDS = "0:0:4294967295"  # the initial user namespace's map


def volume_dir(lab, owner):
    """A directory of the lab for -v, owned by `owner` (uid, gid)."""
    os.chmod(lab, 0o755)  # mkdtemp's 0700 would keep the container's root out
    d = lab / "volume"
    d.mkdir()
    os.chown(d, *owner)
    return d


def outside_ids(pid):
    """The real uid and gid of a process, as the host sees them."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.split()
    return int(fields["Uid"][0]), int(fields["Gid"][0])


def seen_from_outside(chapter, user=None, options=()):
    """(uid, gid) on the host of the container's command (a sleep)."""
    runtime = h.start(chapter, "sleep", "30", options=list(options), user=user)
    try:
        sleeper = h.wait_for_descendant(runtime.pid, "sleep")
        return outside_ids(sleeper)
    finally:
        runtime.terminate()
        runtime.communicate(timeout=15)


@contextmanager
def rootless_state(user):
    """A rootless run keeps its journals in /tmp/unshared-UID (no
    XDG_RUNTIME_DIR here): the machine's /tmp, not the lab's. Removed after
    the check if the check made it."""
    d = Path(f"/tmp/unshared-{pwd.getpwnam(user).pw_uid}")
    existed = d.exists()
    try:
        yield d
    finally:
        if not existed:
            shutil.rmtree(d, ignore_errors=True)


@contextmanager
def subid_files(subuid, subgid=None):
    """/etc/subuid and /etc/subgid replaced, in the lab only (a bind mount
    in its own mount namespace), by files holding these lines."""
    with tempfile.TemporaryDirectory(prefix="unshared-subid.") as d:
        mounted = []
        try:
            for name, text in (("subuid", subuid), ("subgid", subgid or subuid)):
                f = Path(d) / name
                f.write_text(text)
                subprocess.run(["mount", "--bind", str(f), f"/etc/{name}"], check=True)
                mounted.append(f"/etc/{name}")
            yield
        finally:
            for path in mounted:
                subprocess.run(["umount", path], check=True)


def expect_one_line(result, status, words, what):
    lines = result.stderr.strip().splitlines()
    h.expect(result.returncode == status and len(lines) == 1 and words in lines[0],
             f"{what}: exit {result.returncode}, stderr {result.stderr.strip()!r}; expected "
             f"exit {status} and one line with {words!r}")


# --- run by root --------------------------------------------------------------------

@h.check("run by root: `id` inside says uid 0 and gid 0", FROM)
def root_inside(chapter):
    out = h.run_ok(chapter, "id").stdout
    h.expect(out.startswith("uid=0(root) gid=0(root)"), f"id inside: {out.strip()!r}")
    ids = h.probe(chapter, "ids")
    h.expect_equal((ids.get("uid"), ids.get("gid")), ("0", "0"), "the probe's uid and gid")


@h.check("run by root: /proc/self/uid_map and gid_map show the range of `unshared`, "
         "or the one given with --uid-map", FROM)
def maps_inside(chapter):
    first, _ = h.subordinate_range(h.DEDICATED_USER)
    wanted = f"0:{first}:65536"
    maps = h.probe(chapter, "maps")
    h.expect_equal((maps.get("uid_map"), maps.get("gid_map")), (wanted, wanted), "the maps")
    given = ["--uid-map", "0:300000:1000", "--uid-map", "1000:400000:10",
             "--gid-map", "0:310000:2000"]
    maps = h.probe(chapter, "maps", options=given)
    h.expect_equal((maps.get("uid_map"), maps.get("gid_map")),
                   ("0:300000:1000;1000:400000:10", "0:310000:2000"), "the maps given by hand")


@h.check("run by root: the container's process is the mapped uid on the host, not 0", FROM)
def root_seen_from_outside(chapter):
    first, _ = h.subordinate_range(h.DEDICATED_USER)
    h.expect_equal(seen_from_outside(chapter), (first, first), "the host's view of its ids")


@h.check("run by root: a file the container makes in a volume belongs to the mapped uid "
         "on the host, not to 0", FROM)
def root_volume_owner(chapter):
    first, _ = h.subordinate_range(h.DEDICATED_USER)
    with h.lab_tmpfs() as lab:
        d = volume_dir(lab, (first, first))
        answer = h.probe(chapter, "write", "/mnt/made-inside", "x", options=["-v", f"{d}:/mnt"])
        h.expect_equal(answer.get("write"), "OK", "writing in the volume")
        h.expect_equal(h.host_owner(d / "made-inside"), (first, first),
                       "the owner of the file on the host")


@h.check("--userns host: root is root again, with the host's map", FROM)
def userns_host(chapter):
    ids = h.probe(chapter, "ids", options=["--userns", "host"])
    h.expect_equal((ids.get("uid"), ids.get("gid")), ("0", "0"), "the ids")
    maps = h.probe(chapter, "maps", options=["--userns", "host"])
    h.expect_equal(maps.get("uid_map"), ALL_IDS, "the uid map")
    h.expect_equal(seen_from_outside(chapter, options=["--userns", "host"]), (0, 0),
                   "the host's view of its ids")


@h.check("bad maps and --userns: one line, exit status 2", FROM)
def bad_maps(chapter):
    cases = [
        (["--uid-map", "0:100000"], "not three numbers"),
        (["--uid-map", "0:100000:x"], "must be a number"),
        (["--uid-map", "0:100000:0"], "COUNT is 0"),
        (["--uid-map", "0:100000:65536", "--uid-map", "1000:300000:10"],
         "overlap inside the container"),
        (["--uid-map", "0:100000:10", "--uid-map", "10:100005:10"], "overlap outside"),
        (["--uid-map", "1:100000:10"], "nothing maps 0"),
        (["--uid-map", "0:4294967290:10"], "goes past 4294967294"),
        (["--userns", "host", "--uid-map", "0:100000:10"], "need a user namespace"),
        (["--userns", "none"], "--userns"),
        (["-v", "relative/dir:/mnt"], "absolute path"),
        (["-v", "/no/such/dir:/mnt"], "does not exist on the host"),
    ]
    for options, words in cases:
        expect_one_line(h.run(chapter, "true", options=options), 2, words, " ".join(options))


@h.check("run by root, /etc/subuid without a good range for `unshared`: one line with a "
         "hint, exit status 2", FROM)
def bad_subordinate_ranges(chapter):
    cases = [
        ("", "has no entry for the user unshared", "quickstart user"),
        ("unshared:100000:1000\n", "a container needs 65536", "--uid-map"),
        ("unshared:100000:65536\nsomeone:120000:10\n", "overlaps the range of someone",
         "a range of its own"),
    ]
    for text, words, hint in cases:
        with subid_files(text):
            result = h.run(chapter, "true")
        expect_one_line(result, 2, words, f"/etc/subuid {text!r}")
        h.expect(hint in result.stderr, f"no hint {hint!r} in {result.stderr.strip()!r}")


# --- rootless -------------------------------------------------------------------------

def rootless_runs(chapter, user, wanted_map):
    """The checks of a rootless run as `user`: id 0 inside, the maps, the
    caller's ids outside, the caller's files in a volume, --net none said."""
    account = pwd.getpwnam(user)
    caller = (account.pw_uid, account.pw_gid)
    with rootless_state(user):
        result = h.run_ok(chapter, "id", user=user)
        h.expect(result.stdout.startswith("uid=0(root) gid=0(root)"),
                 f"id inside, as {user}: {result.stdout.strip()!r}")
        notice = result.stderr.strip().splitlines()
        h.expect(len(notice) == 1 and "--net none" in notice[0],
                 f"as {user}: expected one line saying --net none, saw {result.stderr!r}")
        maps = h.probe(chapter, "maps", user=user)
        h.expect_equal(maps.get("uid_map"), wanted_map(account.pw_uid), f"uid_map, as {user}")
        h.expect_equal(seen_from_outside(chapter, user=user), caller,
                       f"the host's view of the ids of a container {user} runs")
        with h.lab_tmpfs() as lab:
            d = volume_dir(lab, caller)
            answer = h.probe(chapter, "write", "/mnt/made-inside", "x", user=user,
                             options=["-v", f"{d}:/mnt"])
            h.expect_equal(answer.get("write"), "OK", f"writing in the volume, as {user}")
            h.expect_equal(h.host_owner(d / "made-inside"), caller,
                           f"the owner on the host of a file a container of {user} made")


@h.check("rootless, as a throwaway user with a subordinate range: root inside is the "
         "caller outside, 1-65535 its range", ROOTLESS)
def rootless_throwaway_user(chapter):
    with h.throwaway_user() as user:
        first, _ = h.subordinate_range(user)
        rootless_runs(chapter, user, lambda uid: f"0:{uid}:1;1:{first}:65535")


@h.check("rootless, as nobody (no subordinate range): root inside is nobody outside, "
         "and no other id is mapped", ROOTLESS)
def rootless_nobody(chapter):
    rootless_runs(chapter, "nobody", lambda uid: f"0:{uid}:1")


@h.check("rootless: the bridge, published ports, --userns host and other users' ids are "
         "refused in one line, exit status 2", ROOTLESS)
def rootless_refusals(chapter):
    cases = [
        (["--net", "bridge"], "cannot make a bridge"),
        (["-p", "8080:80"], "cannot make a bridge"),
        (["--userns", "host"], "only root may create"),
        (["--uid-map", "0:100000:65536"], "neither yours"),
    ]
    with rootless_state("nobody"):
        for options, words in cases:
            expect_one_line(h.run(chapter, "true", options=options, user="nobody"), 2, words,
                            "as nobody, " + " ".join(options))


@h.check("rootless: \"deny\" in setgroups keeps the container from dropping a group "
         "that a file shuts out (CVE-2014-8989)", ROOTLESS)
def setgroups_deny(chapter):
    with h.throwaway_user(supplementary_group=True) as user, rootless_state(user), \
            h.lab_tmpfs() as lab:
        account = pwd.getpwnam(user)
        group = grp.getgrnam(user + "-g").gr_gid
        d = volume_dir(lab, (0, 0))
        secret = d / "not-for-the-group"
        secret.write_text("others may read this, the group may not\n")
        os.chown(secret, 0, group)
        os.chmod(secret, 0o604)  # rw----r--
        # Only its own ids, written by itself: the kernel then requires "deny".
        own = ["--uid-map", f"0:{account.pw_uid}:1", "--gid-map", f"0:{account.pw_gid}:1"]
        answer = h.probe(chapter, "setgroups-read", f"/mnt/{secret.name}", user=user,
                         options=[*own, "-v", f"{d}:/mnt:ro"])
        h.expect_equal((answer.get("setgroups"), answer.get("read")), ("EPERM", "EACCES"),
                       "dropping the group, then reading the file it shuts out")


h.main()
