"""Exercise 04-ipc: the IPC namespace's own POSIX message queues at /dev/mqueue."""
import os
import subprocess

from checker import Wrong, check, run_ok, words
import harness as h

DAMAGE_ASK = {
    "ipc": "An mqueue filesystem shows the queues of the IPC namespace of the process that "
           "mounted it: from which namespace does your /dev/mqueue come (mq_overview(7))?",
}


@check("/dev/mqueue inside lists the container's own queues, and none of the host's",
       ask="Which filesystem shows POSIX message queues as files, and which IPC namespace's "
           "queues does it show: the one of the process that mounts it (mq_overview(7))? Does "
           "the mount point exist yet in the container's fresh /dev?")
def own_queues():
    with h.lab_tmpfs() as host_view:
        subprocess.run(["mount", "-t", "mqueue", "host-mqueue", str(host_view)], check=True)
        try:
            fd = os.open(os.path.join(host_view, "host-queue"), os.O_CREAT | os.O_RDWR, 0o600)
            os.close(fd)
            out = run_ok("sh", "-c", "probe mq-create /inside >/dev/null && ls /dev/mqueue").stdout
            os.unlink(os.path.join(host_view, "host-queue"))
        finally:
            subprocess.run(["umount", "--lazy", str(host_view)], capture_output=True)
    seen = out.split()
    if seen != ["inside"]:
        raise Wrong(f"after `probe mq-create /inside`, `ls /dev/mqueue` inside listed "
                    f"{words(seen)}; expected inside alone (the host has a queue, host-queue, "
                    "that must not show).")


@check("/dev/mqueue is mounted nosuid, nodev and noexec",
       ask="A filesystem that holds no programs and no devices should say so: which mount(2) "
           "flags stop set-user-ID bits, device files and execution on it?")
def mount_flags():
    mountinfo = run_ok("cat", "/proc/self/mountinfo").stdout
    options = [line.split()[5] for line in mountinfo.splitlines()
               if line.split()[4] == "/dev/mqueue"]
    if not options:
        raise Wrong("/proc/self/mountinfo inside has no mount on /dev/mqueue; expected the "
                    "mqueue filesystem there.")
    missing = [o for o in ("nosuid", "nodev", "noexec") if o not in options[-1].split(",")]
    if missing:
        raise Wrong(f"/dev/mqueue is mounted {options[-1]}: {' and '.join(missing)} "
                    f"{'is' if len(missing) == 1 else 'are'} missing.")
