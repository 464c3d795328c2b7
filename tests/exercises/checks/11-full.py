"""Exercise 11-full: the masked and read-only paths, as rows of the mount table."""
import os

from checker import Wrong, check, printed, probe, run_ok, words

# The paths of each list that this kernel has (the others are skipped, as the rows say).
MASKED_FILES = ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/interrupts"]
MASKED_DIRECTORY = "/sys/firmware"  # /proc/acpi is empty on many kernels: it shows nothing
HOST = ["--userns", "host"]


def mounts_inside():
    """The container's mount table: mount point -> (options, type), the last mount wins."""
    table = {}
    for line in run_ok("cat", "/proc/self/mountinfo").stdout.splitlines():
        left, right = line.split(" - ", 1)
        fields, more = left.split(), right.split()
        table[fields[4]] = (fields[5].split(","), more[0])
    return table


@check("the masked files this kernel has (/proc/keys, /proc/interrupts, ...) are /dev/null "
       "inside: character device 1:3, nothing to read",
       ask="Which filesystems can be mounted over a single file, and which only over a "
           "directory (mount(2), MS_BIND)? Which host file reads as empty and takes every "
           "write to nowhere?")
def masked_files():
    present = [f for f in MASKED_FILES if os.path.exists(f)]
    script = "; ".join(f"echo {f} $(stat -c %t:%T {f}) $(wc -c < {f})" for f in present)
    seen = [line for line in run_ok("sh", "-c", script).stdout.split("\n") if line]
    if len(seen) != len(present):
        raise Wrong(f"inside, the look at {words(present)} printed {words(seen)}; expected a "
                    "line for each.")
    for line in seen:
        path, device, size = (line.split() + ["?", "?"])[:3]
        if device != "1:3" or size != "0":
            raise Wrong(f"inside, {path} is device {device} and reads {size} bytes; expected "
                        "the device of /dev/null (1:3), reading 0 bytes.")


@check("/sys/firmware inside is an empty tmpfs, mounted read-only",
       ask="What hides a whole directory, and what keeps the container from filling the "
           "hiding place with files of its own (the flags of the row, mount(2))?")
def masked_directory():
    listed = run_ok("ls", "-A", MASKED_DIRECTORY).stdout.split()
    if listed:
        raise Wrong(f"inside, {MASKED_DIRECTORY} shows {words(listed)}; expected it empty.")
    options, kind = mounts_inside().get(MASKED_DIRECTORY, ([], None))
    if kind != "tmpfs" or "ro" not in options:
        raise Wrong(f"inside, {MASKED_DIRECTORY} is "
                    + (f"a {kind} mount with options {','.join(options)}" if kind
                       else "no mount point of its own")
                    + "; expected a tmpfs mounted ro.")


@check("/proc/sys inside is the kernel's (kernel/ostype reads Linux), on a read-only mount",
       ask="/proc/sys holds the container's own sysctls as well as the machine's: should it "
           "be hidden, or shown and never written? Does your row make it read-only?")
def proc_sys_read_only():
    ostype = run_ok("sh", "-c", "cat /proc/sys/kernel/ostype 2>&1; true").stdout
    if ostype.strip() != "Linux":
        raise Wrong(f"inside, /proc/sys/kernel/ostype said {printed(ostype)}; expected Linux, "
                    "the kernel's own sysctl.")
    options, kind = mounts_inside().get("/proc/sys", ([], None))
    if "ro" not in options:
        raise Wrong("inside, /proc/sys is "
                    + (f"a {kind} mount with options {','.join(options)}" if kind
                       else "no mount point of its own (part of /proc, writable)")
                    + "; expected a read-only bind mount of itself.")


@check("with --userns host (the container's root is the host's), "
       "/proc/sys/kernel/core_pattern does not open for writing: EROFS",
       ask="Root owns /proc/sys/kernel/core_pattern and needs no capability to write it: what "
           "then stops a write, whoever the writer is (mount_setattr(2), MS_RDONLY)?")
def core_pattern_refused():
    answer = probe("attack", "core-pattern", options=HOST)  # opened and closed, never written
    if answer.get("open") != "EROFS":
        raise Wrong(f"with --userns host, opening /proc/sys/kernel/core_pattern for writing "
                    f"gave {answer.get('open', 'no answer')} (it was closed unwritten); expected "
                    "EROFS, a read-only mount.")
