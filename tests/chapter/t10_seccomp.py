#!/usr/bin/env python3
"""10-seccomp: a filter on the system calls, in the real chapter binary.

Under the default profile (Docker's policy) the calls a container never
needs fail with Docker's errno, and everything a shell does still works;
with --seccomp-profile unconfined the same calls reach the kernel; a LOG
profile lets them run; Podman's profile loads and runs the rootfs; bad
profiles are one line and exit 2.

The container keeps Docker's 14 capabilities here, so some calls (mount,
clock_settime) would fail without the filter too. Those are asked so that
the kernel, given the call, refuses it for another reason first (a mount
point that does not exist, a clock that cannot be set): the filter answers
before the kernel reads any argument, so EPERM is the filter's and ENOENT
or EINVAL says the call got through. mechanism.seccomp checks the same
policy in forked children, call by call and on its own; this file checks
what the chapter binary does with it.
"""
import json
import os
import platform
import re
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import harness as h  # noqa: E402

FROM = h.chapters_from("10-seccomp")
PODMAN = Path("/usr/share/containers/seccomp.json")

# Each call of `probe errno` (probe/calls_filtered.cpp) and its errno under
# the default profile and unconfined, for a root-started container with
# Docker's 14 capabilities in its own user namespace.
CALLS = {
    # name: (default profile, unconfined)
    "keyctl": ("EPERM", "OK"),
    "add_key": ("EPERM", "OK"),
    "unshare_user": ("EPERM", "OK"),
    "mount_nowhere": ("EPERM", "ENOENT"),
    "clock_settime_monotonic": ("EPERM", "EINVAL"),
    # Docker allows ptrace from kernel 4.8 on: the kernel then runs the filter
    # again after a tracer changes a call. Same user, so the kernel lets it be.
    "ptrace": ("OK", "OK"),
    "kcmp": ("EPERM", "OK"),  # only with CAP_SYS_PTRACE in the profile
    "userfaultfd": ("EPERM", "OK"),
    "io_uring_setup": ("EPERM", "OK"),
    # Unconfined, kernel.perf_event_paranoid decides (OK at 2, EACCES at Debian's 3).
    "perf_event_open": ("EPERM", None),
    "bpf_bad_command": ("EPERM", "EINVAL"),
    "personality_addr_no_randomize": ("EPERM", "OK"),
    "personality_query": ("OK", "OK"),
    "clone_newuser": ("EPERM", "OK"),
    "fork": ("OK", "OK"),
    "clone3": ("ENOSYS", "OK"),
    "socket_vsock": ("EPERM", None),  # unconfined: whatever the kernel says, never EPERM
    "socket_alg": ("EPERM", None),
    "socket_inet": ("OK", "OK"),
}
if platform.machine() == "x86_64":
    # The same policy for 32-bit programs (int 0x80): archMap's SCMP_ARCH_X86.
    CALLS.update({"int80_getpid": ("OK", "OK"), "int80_keyctl": ("EPERM", "OK")})


def errnos(chapter, names, options=()):
    answer = h.probe(chapter, "errno", *names, options=options)
    missing = [n for n in names if n not in answer]
    h.expect(not missing, f"probe errno gave no answer for {missing}: {answer}")
    return {n: answer[n] for n in names}


def expect_errnos(seen, column, what):
    wrong = []
    for name, wanted in ((n, CALLS[n][column]) for n in seen):
        ok = seen[name] != "EPERM" if wanted is None else seen[name] == wanted
        if not ok:
            wrong.append(f"{name}: {seen[name]} (expected "
                         f"{'anything but EPERM' if wanted is None else wanted})")
    h.expect(not wrong, f"{what}: " + "; ".join(wrong))


def expect_usage(result, *words):
    lines = result.stderr.strip().splitlines()
    h.expect_equal(result.returncode, 2, f"exit status ({result.stderr.strip()!r})")
    h.expect_equal(len(lines), 1, f"lines of the error message ({result.stderr.strip()!r})")
    for w in words:
        h.expect(w in lines[0], f"the message {lines[0]!r} does not say {w!r}")


def profile_file(directory, text):
    path = Path(directory) / "profile.json"
    path.write_text(text if isinstance(text, str) else json.dumps(text, indent=2))
    return path


# --- the default profile -------------------------------------------------------------

@h.check("the story: `date -s` fails with EPERM, and /proc/self/status says Seccomp: 2", FROM)
def date_refused(chapter):
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    result = h.run(chapter, "sh", "-c", f"grep Seccomp: /proc/self/status; date -s '{now}'")
    # busybox's date says so, and still exits 0.
    h.expect("can't set date: Operation not permitted" in result.stderr,
             f"date -s said {result.stderr.strip()!r}, not EPERM")
    h.expect(re.search(r"^Seccomp:\s+2$", result.stdout, re.M),
             f"/proc/self/status: {result.stdout.strip()!r}, not filter mode 2")
    # And that EPERM is the filter's: the kernel would say EINVAL for this clock.
    expect_errnos(errnos(chapter, ["clock_settime_monotonic"]), 0, "clock_settime")


@h.check("the default profile: keyring, namespaces, mount, kcmp, userfaultfd, io_uring, perf, "
         "bpf, personality, clone with CLONE_NEW*, AF_VSOCK and AF_ALG get EPERM; clone3 "
         "ENOSYS; fork, ptrace of a sibling, AF_INET work; 32-bit calls alike", FROM)
def default_profile(chapter):
    expect_errnos(errnos(chapter, list(CALLS)), 0, "under the default profile")


@h.check("--seccomp-profile unconfined: the same calls reach the kernel", FROM)
def unconfined(chapter):
    seen = errnos(chapter, list(CALLS), options=["--seccomp-profile", "unconfined"])
    expect_errnos(seen, 1, "unconfined")
    status = h.run_ok(chapter, "grep", "Seccomp:", "/proc/self/status",
                      options=["--seccomp-profile", "unconfined"]).stdout
    h.expect(re.search(r"Seccomp:\s+0", status), f"unconfined: {status.strip()!r}")


@h.check("busybox under the filter: sh, ls, ps, cat, id, and wget from a server in the "
         "container", FROM)
def ordinary_commands(chapter):
    script = ("set -e; ls / >/dev/null; ps >/dev/null; cat /etc/passwd >/dev/null; id -u; "
              "mkdir -p /tmp/www; echo served-under-seccomp > /tmp/www/index.html; "
              "httpd -p 127.0.0.1:8000 -h /tmp/www; "
              "for i in $(seq 50); do wget -q -O - http://127.0.0.1:8000/ && exit 0; "
              "sleep 0.1; done; exit 1")
    out = h.run_ok(chapter, "sh", "-c", script).stdout.split()
    h.expect_equal(out, ["0", "served-under-seccomp"], "what the commands printed")


# --- other profiles ------------------------------------------------------------------

@h.check("a profile whose defaultAction is SCMP_ACT_LOG: the calls run (and are logged); its "
         "one ERRNO rule still applies", FROM)
def log_profile(chapter):
    profile = {"defaultAction": "SCMP_ACT_LOG",
               "syscalls": [{"names": ["add_key"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
    with tempfile.TemporaryDirectory() as d, kernel_log() as records:
        path = profile_file(d, profile)
        seen = errnos(chapter, ["keyctl", "userfaultfd", "add_key"],
                      options=["--seccomp-profile", str(path)])
        h.expect_equal(seen, {"keyctl": "OK", "userfaultfd": "OK", "add_key": "EPERM"},
                       "under a LOG profile with add_key refused")
        # The record: with no audit daemon, the kernel prints AUDIT_SECCOMP
        # (type=1326) lines, code 0x7ffc0000 (SECCOMP_RET_LOG). They are
        # rate-limited machine-wide, so a missing one is said, not failed.
        wanted = re.compile(r"type=1326 .*exe=\"" + re.escape(str(h.BIN / chapter))
                            + r"\".* code=0x7ffc0000")
        if records is not None and not records(wanted, 3):
            print(f"         note: no AUDIT_SECCOMP record of {chapter} seen (rate-limited?)")


@contextmanager
def kernel_log():
    """Yields a function seen(pattern, seconds): whether a line the kernel
    logged since the block began matches, waiting up to `seconds` for it; or
    None where /dev/kmsg cannot be read."""
    try:
        kmsg = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        yield None
        return
    os.lseek(kmsg, 0, os.SEEK_END)
    lines = []

    def seen(pattern, seconds):
        deadline = time.monotonic() + seconds
        while True:
            while True:
                try:
                    lines.append(os.read(kmsg, 8192).decode(errors="replace"))
                except BlockingIOError:
                    break
                except BrokenPipeError:  # overwritten while we read: go on
                    continue
            if any(pattern.search(line) for line in lines):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
    try:
        yield seen
    finally:
        os.close(kmsg)


@h.check("Podman's profile (Debian's golang-github-containers-common) loads; the rootfs's "
         "commands run; what it does not list is ENOSYS, what it blocks EPERM", FROM)
def podman_profile(chapter):
    h.expect(PODMAN.exists(),
             f"{PODMAN} is missing: apt-get install golang-github-containers-common")
    options = ["--seccomp-profile", str(PODMAN)]
    out = h.run_ok(chapter, "sh", "-c", "ls / >/dev/null && ps >/dev/null && id -u && "
                   "grep Seccomp: /proc/self/status", options=options).stdout
    h.expect(re.search(r"^0\nSeccomp:\s+2$", out.strip(), re.M), f"under Podman's: {out!r}")
    # Podman's default answer is ENOSYS; it blocks userfaultfd with EPERM; it allows keyctl.
    wanted = {"io_uring_setup": "ENOSYS", "userfaultfd": "EPERM", "keyctl": "OK", "fork": "OK"}
    h.expect_equal(errnos(chapter, list(wanted), options=options), wanted,
                   "under Podman's profile")


# --- bad input -------------------------------------------------------------------------

@h.check("--seccomp-profile of a missing file: exit 2, one line naming it", FROM)
def missing_profile(chapter):
    expect_usage(h.run(chapter, "true", options=["--seccomp-profile", "/no/such/profile.json"]),
                 "/no/such/profile.json")


@h.check("a malformed profile: exit 2, one line with the file, line and column", FROM)
def malformed_profile(chapter):
    with tempfile.TemporaryDirectory() as d:
        path = profile_file(d, '{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  "syscalls": [,]\n}\n')
        expect_usage(h.run(chapter, "true", options=["--seccomp-profile", str(path)]),
                     f"{path}:3:")


BAD_PROFILES = {
    "an unknown action": ({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["getpid"], "action": "SCMP_ACT_PERHAPS"}]}, "SCMP_ACT_PERHAPS"),
    "an unknown operator": ({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["personality"], "action": "SCMP_ACT_ERRNO",
         "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_ROUGHLY"}]}]}, "SCMP_CMP_ROUGHLY"),
    "an argument index over 5": ({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["personality"], "action": "SCMP_ACT_ERRNO",
         "args": [{"index": 6, "value": 8, "op": "SCMP_CMP_EQ"}]}]}, "index"),
}


@h.check("a profile with an unknown action, an unknown operator or an argument index over 5: "
         "exit 2, one line naming it", FROM)
def bad_values(chapter):
    with tempfile.TemporaryDirectory() as d:
        for what, (profile, word) in BAD_PROFILES.items():
            path = profile_file(d, profile)
            result = h.run(chapter, "true", options=["--seccomp-profile", str(path)])
            try:
                expect_usage(result, word)
            except h.Failed as e:
                raise h.Failed(f"{what}: {e}")


if __name__ == "__main__":
    h.main()
