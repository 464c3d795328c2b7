#!/usr/bin/env python3
"""Volumes (-v HOSTDIR:CONTAINERDIR[:ro]), from chapter 02 on: a host
directory bound into the container, read-only when asked (all of it), its
target resolved inside the rootfs, bad input refused in one line.

(Not t02_*.py: exercises/check runs the one t02 file of the 02-mnt exercise.)"""
import os
import shutil
import subprocess
import sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import harness as h  # noqa: E402

FROM = h.chapters_from("02-mnt")


def shared_dir(lab, chapter, name="shared"):
    """A host directory the container's root may write in: owned by the uid
    that root is on the host (0, or the mapped uid from chapter 07)."""
    os.chmod(lab, 0o755)  # mkdtemp's 0700 would keep a mapped root (07) out
    d = lab / name
    d.mkdir()
    uid = h.container_root_uid(chapter)
    os.chown(d, uid, uid)
    (d / "from-host").write_text("written on the host\n")
    return d


@h.check("-v: a host directory shows inside, and what the container writes shows on the host",
         FROM)
def read_write_volume(chapter):
    with h.lab_tmpfs() as lab:
        d = shared_dir(lab, chapter)
        answer = h.probe(chapter, "read", "/mnt/from-host", options=["-v", f"{d}:/mnt"])
        h.expect_equal(answer.get("read"), "OK", "reading the host's file in the volume")
        answer = h.probe(chapter, "write", "/mnt/from-inside", "hello",
                         options=["-v", f"{d}:/mnt"])
        h.expect_equal(answer.get("write"), "OK", "writing in the volume")
        h.expect_equal((d / "from-inside").read_text(), "hello\n", "the file on the host")


@h.check("-v ...:ro is read-only: writing fails with EROFS, in the mounts under it too", FROM)
def read_only_volume(chapter):
    with h.lab_tmpfs() as lab:
        d = shared_dir(lab, chapter)
        (d / "sub").mkdir()
        os.chown(d / "sub", *h.host_owner(d))
        subprocess.run(["mount", "-t", "tmpfs", "volume-submount", str(d / "sub")], check=True)
        try:
            os.chown(d / "sub", *h.host_owner(d))
            options = ["-v", f"{d}:/mnt:ro"]
            for path in ("/mnt/new", "/mnt/from-host", "/mnt/sub/new"):
                answer = h.probe(chapter, "write", path, "x", options=options)
                h.expect_equal(answer.get("write"), "EROFS", f"writing {path}")
        finally:
            subprocess.run(["umount", str(d / "sub")], check=True)
        h.expect_equal(sorted(os.listdir(d)), ["from-host", "sub"], "the host directory")
        h.expect_equal((d / "from-host").read_text(), "written on the host\n", "the host's file")


@h.check("-v onto a symlink: followed inside the rootfs, refused when it leads out of it", FROM)
def volume_through_symlinks(chapter):
    with h.rootfs_copy() as rootfs, h.lab_tmpfs() as lab:
        d = shared_dir(lab, chapter)
        outside = rootfs.parent / "outside"  # next to the rootfs, on the host
        outside.mkdir()
        os.symlink("/mnt", rootfs / "data")  # absolute: the rootfs's /mnt, not the host's
        os.symlink("../../outside", rootfs / "mnt" / "out")  # climbs out of the rootfs
        answer = h.probe(chapter, "read", "/mnt/from-host", rootfs=rootfs,
                         options=["-v", f"{d}:/data"])
        h.expect_equal(answer.get("read"), "OK", "the volume through /data -> /mnt")
        mounts_before = h.host_mounts()
        result = h.run(chapter, "true", rootfs=rootfs, options=["-v", f"{d}:/mnt/out"])
        h.expect_equal(result.returncode, 2, "exit status of -v onto a link leading out")
        h.expect_equal(result.stderr.count("\n"), 1, f"lines of the message ({result.stderr!r})")
        h.expect("leads out of the rootfs" in result.stderr,
                 f"the message does not say the link leads out: {result.stderr.strip()}")
        h.expect_equal(os.listdir(outside), [], "the directory the link points to")
        h.expect_equal(h.host_mounts(), mounts_before, "the host's mount points")


@h.check("-v bad input: one line, exit status 2, nothing created in the rootfs", FROM)
def volume_bad_input(chapter):
    with h.lab_tmpfs() as lab:
        d = shared_dir(lab, chapter)
        cases = [
            ("relative/dir:/mnt", "absolute path"),
            (f"{lab}/missing:/mnt", "does not exist on the host"),
            (f"{d}/from-host:/mnt", "not a directory"),
            (f"{d}:/no-such-dir", "does not exist in the rootfs"),
            (f"{d}:/proc", "the runtime mounts its own"),
            (f"{d}:/mnt:rx", "unknown mode"),
            (f"{d}", "expected HOSTDIR:CONTAINERDIR"),
        ]
        before = sorted(os.listdir(h.ROOTFS))
        for volume, words in cases:
            result = h.run(chapter, "true", options=["-v", volume])
            h.expect_equal(result.returncode, 2, f"exit status of -v {volume}")
            lines = result.stderr.strip().splitlines()
            h.expect(len(lines) == 1 and words in lines[0],
                     f"-v {volume}: expected one line saying {words!r}, saw {result.stderr!r}")
        h.expect_equal(sorted(os.listdir(h.ROOTFS)), before, "the rootfs's top directory")


@h.check("a volume is gone with the container: nothing left mounted on the host", FROM)
def volume_leaves_nothing(chapter):
    with h.lab_tmpfs() as lab:
        d = shared_dir(lab, chapter)
        before = h.host_mounts()
        h.run_ok(chapter, "true", options=["-v", f"{d}:/mnt:ro"])
        h.expect_equal(h.host_mounts(), before, "the host's mount points")
        shutil.rmtree(d)  # no mount holds it


if __name__ == "__main__":
    h.main()
