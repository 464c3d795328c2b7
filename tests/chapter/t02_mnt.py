#!/usr/bin/env python3
"""02-mnt: a mount namespace, private propagation, pivot_root, /proc /sys /dev /tmp."""
import os
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import harness as h  # noqa: E402

FROM = h.chapters_from("02-mnt")
MINIMAL_DEV = {"fd", "full", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin",
               "stdout", "tty", "urandom", "zero"}


@h.check("the host's mounts are not in the container's /proc/self/mountinfo", FROM)
def host_mounts_invisible(chapter):
    with tempfile.TemporaryDirectory(prefix="unshared-hostmount.") as d:
        subprocess.run(["mount", "-t", "tmpfs", "host-only-mount", d], check=True)
        try:
            mountinfo = h.run_ok(chapter, "cat", "/proc/self/mountinfo").stdout
        finally:
            subprocess.run(["umount", d], check=True)
    h.expect("host-only-mount" not in mountinfo and d not in mountinfo,
             "a tmpfs mounted on the host shows in the container's mountinfo")


@h.check("a mount made inside does not appear on the host (even with a shared /)", FROM)
def inside_mount_stays_inside(chapter):
    before = h.host_mounts()
    h.run_ok(chapter, "sh", "-c", "mkdir -p /tmp/m && mount -t tmpfs made-inside /tmp/m",
             options=h.may_mount(chapter))
    with open("/proc/self/mountinfo") as f:
        h.expect("made-inside" not in f.read(), "the container's tmpfs appeared on the host")
    h.expect_equal(h.host_mounts(), before, "the host's mount points")


@h.check("`ls /dev` shows only the minimal set of devices", FROM)
def minimal_dev(chapter):
    seen = set(h.run_ok(chapter, "ls", "/dev").stdout.split())
    wanted = MINIMAL_DEV | ({"mqueue"} if h.number(chapter) >= 4 else set())
    h.expect_equal(seen, wanted, "ls /dev")
    h.run_ok(chapter, "sh", "-c", "echo hello > /dev/null && head -c 4 /dev/zero | wc -c")


@h.check("/proc is mounted, /sys is read-only, /tmp is a tmpfs", FROM)
def kernel_filesystems(chapter):
    mounts = {}
    for line in h.run_ok(chapter, "cat", "/proc/self/mountinfo").stdout.splitlines():
        fields = line.split()
        mounts[fields[4]] = (fields[5], line.split(" - ")[1].split()[0])
    h.expect_equal(mounts.get("/proc", ("", ""))[1], "proc", "filesystem on /proc")
    h.expect_equal(mounts.get("/sys", ("", ""))[1], "sysfs", "filesystem on /sys")
    h.expect("ro" in mounts["/sys"][0].split(","), "/sys is not read-only")
    h.expect_equal(mounts.get("/tmp", ("", ""))[1], "tmpfs", "filesystem on /tmp")


@h.check("a rootfs without /proc: bad input, one line naming it, exit status 2, nothing created",
         FROM)
def rootfs_without_proc(chapter):
    with tempfile.TemporaryDirectory() as d:
        for sub in ("bin", "dev", "sys", "tmp"):
            os.makedirs(f"{d}/{sub}")
        open(f"{d}/bin/busybox", "w").close()
        os.symlink("busybox", f"{d}/bin/sh")
        result = h.run(chapter, "true", rootfs=d)
        h.expect_equal(result.returncode, 2, "exit status")
        h.expect_equal(result.stderr.count("\n"), 1, f"lines of error message ({result.stderr!r})")
        h.expect("/proc does not exist" in result.stderr,
                 f"the message does not name the missing /proc: {result.stderr.strip()}")
        h.expect_equal(sorted(os.listdir(d)), ["bin", "dev", "sys", "tmp"],
                       "what the rootfs holds afterwards")


@h.check("the rootfs is left as it was: nothing added, nothing left mounted under it")
def rootfs_untouched(chapter):
    before = h.tree_state(h.ROOTFS)
    # From 02 on /tmp is a tmpfs: writing there must not reach the rootfs.
    # (In 01 the command writes to the rootfs itself, so it only reads.)
    writes = "; touch /tmp/x" if h.number(chapter) >= 2 else ""
    h.run(chapter, "sh", "-c", "ls /dev /proc" + writes)
    h.expect_equal(h.tree_state(h.ROOTFS), before, "the rootfs tree after a run")
    under = [m for m in h.host_mounts() if m.startswith(str(h.ROOTFS))]
    h.expect_equal(under, [], "mounts left under the rootfs")


if __name__ == "__main__":
    h.main()
