#!/usr/bin/env python3
"""04-ipc: System V IPC and POSIX message queues of the container's own."""
import os
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import harness as h  # noqa: E402

FROM = h.chapters_from("04-ipc")
BEFORE = h.chapters_before("04-ipc")


def ipcs_inside(chapter):
    return h.run_ok(chapter, "ipcs", "-m").stdout


@h.check("before 04, a host shm segment is listed by `ipcs` inside", BEFORE)
def host_segment_visible_before(chapter):
    with h.host_shm_segment() as key:
        h.expect(f"0x{key:08x}" in ipcs_inside(chapter), "the host's segment is not listed")


@h.check("a host shm segment is invisible to `ipcs` inside", FROM)
def host_segment_invisible(chapter):
    with h.host_shm_segment() as key:
        h.expect(f"0x{key:08x}" in h.host_shm_keys(), "the test's segment is missing on the host")
        h.expect(f"0x{key:08x}" not in ipcs_inside(chapter), "the host's segment is listed inside")


@h.check("a shm segment made inside does not appear on the host", FROM)
def inside_segment_stays_inside(chapter):
    before = h.host_shm_keys()
    h.run_ok(chapter, "/bin/probe", "shm-create", "0x1badcafe")
    after = h.host_shm_keys()
    leaked = after - before
    for key in leaked:  # keep the lab clean even when the check fails
        subprocess.run(["ipcrm", "-M", key], capture_output=True)
    h.expect_equal(leaked, set(), "segments that appeared on the host")


@h.check("/dev/mqueue holds the container's POSIX queues, not the host's", FROM)
def own_mqueue(chapter):
    with tempfile.TemporaryDirectory(prefix="unshared-mqueue.") as host_view:
        subprocess.run(["mount", "-t", "mqueue", "mqueue", host_view], check=True)
        try:
            out = h.run_ok(chapter, "sh", "-c", "probe mq-create /inside && ls /dev/mqueue").stdout
            host_queues = os.listdir(host_view)
        finally:
            subprocess.run(["umount", host_view], check=True)
    h.expect("inside" in out.split(), f"/dev/mqueue inside does not list the new queue: {out!r}")
    h.expect_equal(host_queues, [], "queues seen on the host")


if __name__ == "__main__":
    h.main()
