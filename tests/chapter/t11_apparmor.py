#!/usr/bin/env python3
"""11-full's AppArmor profile (common/apparmor.hpp, profiles/apparmor/unshared-default).

On this machine's kernel AppArmor is not enabled: the checks of the option
itself run (unconfined works, a named profile is a clear error, the default
says nothing), and the AppArmor checks skip. Labelled `apparmor`, the file
runs again in the VM lane (tests/vm), whose Debian kernel has AppArmor
enforcing: there it loads the profile with apparmor_parser, checks that
every process of the container is confined, PID 1 included, and that each
deny rule holds on its own, with the mechanism that would otherwise stop
the same attack switched off. It unloads the profile again at the end.
"""
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import harness as h  # noqa: E402

FROM = h.chapters_from("11-full")
PROFILE = "unshared-default"
PROFILE_FILE = h.TOP / "profiles" / "apparmor" / PROFILE
ENFORCED = f"{PROFILE} (enforce)"
ENABLED = Path("/sys/module/apparmor/parameters/enabled")
LOADED = Path("/sys/kernel/security/apparmor/profiles")
UNCONFINED = ["--security-opt", "apparmor=unconfined"]
# What stops the same attacks before AppArmor does, switched off so that
# the profile is seen holding on its own: Landlock refuses mount(2) and
# seccomp's profile filters it; 11 mounts /proc/sys read-only; the user
# namespace makes /proc/sys/kernel/* root's only in name.
MOUNT_ALLOWED = ["--cap-add", "SYS_ADMIN", "--seccomp-profile", "unconfined", "--no-landlock"]
PROC_SYS_WRITABLE = ["--userns", "host", "--no-masked-paths", "--no-landlock"]
# The profile was loaded by this test (and is unloaded at the end), or before it.
state = {"loaded_here": False}


def apparmor_enabled():
    try:
        return ENABLED.read_text().strip() == "Y"
    except OSError:
        return False


def profiles():
    """The names of the loaded profiles ("NAME (MODE)" lines)."""
    return [line.rsplit(" (", 1)[0] for line in LOADED.read_text().splitlines()]


def need_apparmor():
    """Skips where AppArmor cannot be had; fails instead in the VM lane, whose
    guest says it boots with AppArmor (UNSHARED_EXPECT_APPARMOR): there a
    skip would hide a broken lane."""
    missing = h.Failed if os.environ.get("UNSHARED_EXPECT_APPARMOR") else h.Skipped
    if not apparmor_enabled():
        raise missing("AppArmor is not enabled on this kernel; the VM lane runs this")
    if not LOADED.exists():
        raise missing(f"AppArmor is enabled but securityfs is not mounted ({LOADED})")
    if shutil.which("apparmor_parser") is None:
        raise missing("no apparmor_parser (apt-get install apparmor)")


def need_profile():
    need_apparmor()
    if PROFILE not in profiles():
        raise h.Failed(f"the profile {PROFILE} is not loaded (the check that loads it failed?)")


def expect_usage(result, words):
    lines = result.stderr.strip().splitlines()
    h.expect_equal(result.returncode, 2, f"exit status ({result.stderr.strip()!r})")
    h.expect_equal(len(lines), 1, f"lines of the error message ({result.stderr.strip()!r})")
    h.expect(words in lines[0], f"the message {lines[0]!r} does not say {words!r}")


def without_securityfs(chapter, *command):
    """Runs the chapter where the list of profiles cannot be read, as for a
    user who is not root: securityfs unmounted in a mount namespace of its own."""
    argv = [str(h.BIN / chapter), "--net", "none", "--rootfs", str(h.ROOTFS), "--", *command]
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                           'umount /sys/kernel/security && exec "$@"', "sh", *argv],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def labels(chapter, options=()):
    """The labels of the container's PID 1 (the init) and of a program it runs."""
    out = h.run_ok(chapter, "sh", "-c", "cat /proc/1/attr/current; echo; cat /proc/self/attr/current",
                   options=options).stdout
    return [line.strip("\0") for line in out.splitlines() if line.strip("\0")]


# --- the option, on every kernel -----------------------------------------------------

@h.check("--security-opt apparmor=unconfined runs the container, on any kernel", FROM)
def unconfined_runs(chapter):
    result = h.run(chapter, "true", options=UNCONFINED)
    h.expect_equal((result.returncode, result.stderr), (0, ""), "exit status and stderr")


@h.check("--security-opt: a profile that cannot be had, or another key, is one line, exit 2",
         FROM)
def bad_choices(chapter):
    if apparmor_enabled():
        expect_usage(h.run(chapter, "true", options=["--security-opt", "apparmor=no-such"]),
                     "no such profile is loaded")
    else:
        expect_usage(h.run(chapter, "true", options=["--security-opt", "apparmor=foo"]),
                     "AppArmor is not enabled on this kernel")
    expect_usage(h.run(chapter, "true", options=["--security-opt", "seccomp=unconfined"]),
                 "--seccomp-profile")
    expect_usage(h.run(chapter, "true", options=["--security-opt", "apparmor=two words"]),
                 "without spaces")


@h.check("without AppArmor, the default says nothing, except under --explain", FROM)
def quiet_without_apparmor(chapter):
    if apparmor_enabled():
        return  # the VM lane: the checks below see the default at work
    result = h.run(chapter, "true")
    h.expect_equal((result.returncode, result.stderr), (0, ""), "exit status and stderr")
    explained = h.run(chapter, "true", options=["--explain"]).stderr
    h.expect("apparmor: not enabled on this kernel" in explained,
             "--explain should say why there is no profile")


# --- the profile, where AppArmor is enabled (the VM lane) ------------------------------

@h.check("AppArmor enabled, profile not loaded: one line says how to load it, and the "
         "container runs", FROM)
def notice_when_not_loaded(chapter):
    need_apparmor()
    if PROFILE in profiles():
        return  # loaded before this test ran (not by it): nothing to see here
    result = h.run(chapter, "true")
    lines = result.stderr.strip().splitlines()
    h.expect_equal(result.returncode, 0, f"exit status ({result.stderr.strip()!r})")
    h.expect(len(lines) == 1 and "is not loaded" in lines[0] and "apparmor_parser -r" in lines[0],
             f"one line saying how to load the profile, saw {lines}")
    # Where the list cannot be read, the kernel's answer to the change says it.
    unlisted = without_securityfs(chapter, "true")
    h.expect_equal((unlisted.returncode, unlisted.stderr.strip()), (0, lines[0]),
                   "exit status and stderr where the list of profiles cannot be read")


@h.check(f"apparmor_parser loads {PROFILE_FILE.relative_to(h.TOP)}", FROM)
def load_profile(chapter):
    need_apparmor()
    if PROFILE in profiles():
        return
    # -K: no cache file is written; -r: load, or replace.
    result = subprocess.run(["apparmor_parser", "-K", "-r", str(PROFILE_FILE)],
                            capture_output=True, text=True, timeout=120)
    h.expect_equal(result.returncode, 0, f"apparmor_parser's exit status ({result.stderr.strip()})")
    state["loaded_here"] = True
    h.expect(PROFILE in profiles(), f"{PROFILE} is not in {LOADED} after loading it")


@h.check(f"every process is confined by default, PID 1 (the init) too: '{ENFORCED}'", FROM)
def confined_by_default(chapter):
    need_profile()
    h.expect_equal(labels(chapter), [ENFORCED, ENFORCED], "labels of PID 1 and of cat")
    result = h.run(chapter, "true", options=["--explain"])
    h.expect(f"changeprofile {PROFILE}" in result.stderr and f"aa-exec -p {PROFILE}" in result.stderr,
             "--explain should show the change of profile and its shell equivalent")
    h.expect_equal(h.run(chapter, "true").stderr, "", "stderr of a confined run")
    unlisted = without_securityfs(chapter, "cat", "/proc/1/attr/current")
    h.expect_equal((unlisted.returncode, unlisted.stdout.strip("\0\n")), (0, ENFORCED),
                   f"where the list of profiles cannot be read ({unlisted.stderr.strip()})")


@h.check("--security-opt apparmor=unconfined: PID 1 and its programs are 'unconfined'", FROM)
def unconfined_label(chapter):
    need_profile()
    h.expect_equal(labels(chapter, UNCONFINED), ["unconfined", "unconfined"],
                   "labels of PID 1 and of cat")
    named = labels(chapter, ["--security-opt", f"apparmor={PROFILE}"])
    h.expect_equal(named, [ENFORCED, ENFORCED], f"labels with apparmor={PROFILE}")


@h.check("deny mount: with CAP_SYS_ADMIN, no seccomp filter and no Landlock, mount(2) is "
         "EACCES; unconfined it works", FROM)
def mount_denied(chapter):
    need_profile()
    confined = h.probe(chapter, "errno", "mount", options=MOUNT_ALLOWED)
    h.expect_equal(confined.get("mount"), "EACCES", "mount(2) of a tmpfs under the profile")
    free = h.probe(chapter, "errno", "mount", options=[*MOUNT_ALLOWED, *UNCONFINED])
    h.expect_equal(free.get("mount"), "OK", "mount(2) of a tmpfs with apparmor=unconfined "
                   "(the check would prove nothing if it failed anyway)")


@h.check("deny /proc/sys writes: with no user namespace, no masked paths and no Landlock, "
         "writing kernel/domainname is EACCES; unconfined it works", FROM)
def proc_sys_denied(chapter):
    need_profile()
    # The domain name is the container's own (its UTS namespace): the
    # unconfined write changes nothing outside.
    path = "/proc/sys/kernel/domainname"
    confined = h.probe(chapter, "write", path, "lab", options=PROC_SYS_WRITABLE)
    h.expect_equal(confined.get("write"), "EACCES", f"writing {path} under the profile")
    free = h.probe(chapter, "write", path, "lab", options=[*PROC_SYS_WRITABLE, *UNCONFINED])
    h.expect_equal(free.get("write"), "OK", f"writing {path} with apparmor=unconfined")


@h.check("signals from the unconfined runtime still reach the container: SIGTERM ends it "
         "with 143", FROM)
def sigterm_forwarded(chapter):
    need_profile()
    runtime = h.start(chapter, "sleep", "1000")
    try:
        h.wait_for_descendant(runtime.pid, "sleep")
        runtime.send_signal(signal.SIGTERM)
        # 143 = 128 + SIGTERM: init got the forwarded SIGTERM and passed it on
        # to sleep. Refused signals would leave the runtime's SIGKILL (137), or
        # no end at all.
        try:
            status = runtime.wait(timeout=20)
        except subprocess.TimeoutExpired:
            raise h.Failed("the runtime had not ended 20 s after SIGTERM: did the profile "
                           "refuse the signals it forwards (signal (receive) peer=unconfined)?")
        h.expect_equal(status, 143, "exit status of the runtime")
    finally:
        if runtime.poll() is None:
            runtime.kill()
            runtime.wait()


@h.check("the profile is unloaded again if this test loaded it", FROM)
def unload_profile(chapter):
    if not state["loaded_here"]:
        return
    result = subprocess.run(["apparmor_parser", "-K", "-R", str(PROFILE_FILE)],
                            capture_output=True, text=True, timeout=120)
    h.expect_equal(result.returncode, 0, f"apparmor_parser -R ({result.stderr.strip()})")
    h.expect(PROFILE not in profiles(), f"{PROFILE} is still loaded")


h.main()
