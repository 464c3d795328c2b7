"""Exercise 02-mnt: a mount namespace of its own, and pivot_root into the rootfs."""
import os
import subprocess

from checker import ROOTFS, Wrong, check, probe, run_ok, words
import harness as h

DAMAGE_ASK = {
    # A run that changed the lab's mounts changed the host's: propagation.
    "mounts": "Mount and unmount events travel between peers of a shared mount: before your "
              "first mount or unmount, did you cut every mount of the copied table off from "
              "the host's, the mounts under / included (mount_namespaces(7), \"Shared "
              "subtrees\")?",
    "rootfs": "Does your code make a directory in the rootfs, the user's directory, and leave "
              "it there? Which pivot_root(2) call needs no put_old directory at all (NOTES)?",
}


@check("the container starts in the rootfs: `ls -a /` lists it",
       ask="pivot_root(2) answers EINVAL unless its conditions hold: what must new_root be, and "
           "what propagation may it and its parent have (pivot_root(2), ERRORS)? Does "
           "umount2(2) unmount a busy mount without a flag?")
def starts_in_rootfs():
    seen = sorted(run_ok("ls", "-a", "/").stdout.split())
    wanted = sorted(os.listdir(ROOTFS) + [".", ".."])
    if seen != wanted:
        raise Wrong(f"`ls -a /` inside listed {words(seen)}; expected the rootfs: {words(wanted)}.")


@check("the chroot escape of chapter 01 ends in the rootfs: a host file stays out of reach",
       ask="chroot(2) only moves where \"/\" starts; the host's tree is still mounted above "
           "it. Which call changes the root *mount* of the namespace, and what must happen to "
           "the old root after it (pivot_root(2), umount2(2))?")
def escape_blocked():
    with h.host_secret() as secret:
        answer = probe("attack", "chroot-escape", str(secret))
    if answer.get("result") == "success":
        raise Wrong(f"the chroot escape (probe attack chroot-escape) climbed out and read "
                    f"{secret}, a file of the host outside the rootfs; expected it to end in the "
                    "rootfs and find nothing.")


@check("the container's mount table holds none of the host's mounts",
       ask="After pivot_root(\".\", \".\") the old root is stacked on the new one, still "
           "mounted: what takes it, and every mount under it, away (umount2(2), MNT_DETACH)?")
def host_mounts_gone():
    with h.lab_tmpfs() as d:
        subprocess.run(["mount", "-t", "tmpfs", "host-only-mount", str(d)], check=True)
        try:
            mountinfo = run_ok("cat", "/proc/self/mountinfo").stdout
        finally:
            subprocess.run(["umount", "--lazy", str(d)], capture_output=True)
    seen = [line.split()[4] for line in mountinfo.splitlines() if "host-only-mount" in line]
    if seen:
        raise Wrong(f"a tmpfs the test mounted on the host, on {d}, is in the container's "
                    f"/proc/self/mountinfo (as {words(seen)}), with "
                    f"{len(mountinfo.splitlines())} mounts in all; expected only the container's "
                    "own mounts.")

