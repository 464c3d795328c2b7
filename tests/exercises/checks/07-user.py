"""Exercise 07-user: the maps of the container's user namespace, and setgroups."""
import os
import pwd
import subprocess

from checker import Wrong, check, printed, probe, run

# Run by root, by hand: no dependence on an /etc/subuid entry for `unshared`.
ROOT_MAPS = ["--uid-map", "0:100000:65536", "--gid-map", "0:100000:65536"]
# Two lines: a map is one write(2), whatever its length.
TWO_LINES = ["--uid-map", "0:100000:1000", "--uid-map", "1000:300000:64536",
             "--gid-map", "0:100000:65536"]


def started(result, what):
    if result.returncode != 0:
        raise Wrong(f"{what}: the container did not start (exit status {result.returncode}): "
                    f"{printed(result.stderr.strip() or result.stdout.strip())}")


@check("run by root: `id` inside says uid 0, gid 0, and the maps are the ones given",
       ask="Which two files of the child's /proc hold its maps, and what does one line of "
           "them say (user_namespaces(7))? What is a process before its maps are written?")
def root_maps():
    result = run("/bin/probe", "maps", options=ROOT_MAPS)
    started(result, "with --uid-map 0:100000:65536")
    if "uid_map=0:100000:65536 gid_map=0:100000:65536" not in result.stdout:
        raise Wrong(f"the maps inside were {printed(result.stdout.strip())}; expected "
                    "uid_map=0:100000:65536 gid_map=0:100000:65536.")
    ids = probe("ids", options=ROOT_MAPS)
    if (ids.get("uid"), ids.get("gid")) != ("0", "0"):
        raise Wrong(f"inside, uid={ids.get('uid')} gid={ids.get('gid')}; expected 0 and 0.")


@check("a map of two lines arrives whole: both lines, in the one write the kernel takes",
       ask="How many times may /proc/PID/uid_map be written (user_namespaces(7))? What does "
           "map_text give you for a map of two ranges?")
def two_line_map():
    result = run("/bin/probe", "maps", options=TWO_LINES)
    started(result, "with a uid map of two lines")
    wanted = "uid_map=0:100000:1000;1000:300000:64536"
    if wanted not in result.stdout:
        raise Wrong(f"the maps inside were {printed(result.stdout.strip())}; expected {wanted}.")


@check("run by root: setgroups stays allowed, and the host's groups are dropped: the "
       "container has no supplementary group",
       ask="Who must write \"deny\" to /proc/PID/setgroups, and who need not? Once it says "
           "deny, can become_root() still drop the groups the runtime had on the host?")
def root_drops_groups():
    result = run("sh", "-c", "cat /proc/self/setgroups; /bin/probe ids", options=ROOT_MAPS)
    started(result, "with --uid-map 0:100000:65536")
    said = result.stdout.split()
    if not said or said[0] != "allow":
        seen = printed(said[0] if said else "")
        raise Wrong(f"run by root, /proc/self/setgroups inside said {seen}; "
                    "expected allow: with deny, the container could never drop the host groups "
                    "a runtime started with (setgroups(2) fails with EPERM).")
    if "groups=none" not in said:
        raise Wrong(f"inside, the probe said {printed(' '.join(said[1:]))}; expected groups=none.")


@check("rootless, as nobody: root inside is nobody outside, and setgroups says deny",
       ask="What may a user who is not root write into a child's gid_map, and what must it "
           "write first (user_namespaces(7), the setgroups file, Linux 3.19)?")
def rootless_self():
    uid = pwd.getpwnam("nobody").pw_uid
    state = f"/tmp/unshared-{uid}"  # a rootless run's journals (no XDG_RUNTIME_DIR here)
    made = not os.path.exists(state)
    try:
        result = run("sh", "-c", "id -u; cat /proc/self/uid_map /proc/self/setgroups",
                     user="nobody")
    finally:
        if made:
            subprocess.run(["rm", "-rf", state])
    started(result, "run by nobody")
    said = result.stdout.split()
    if said != ["0", "0", str(uid), "1", "deny"]:
        raise Wrong(f"run by nobody, the container said {printed(result.stdout.strip())}; "
                    f"expected uid 0, the map 0 {uid} 1, and deny.")
