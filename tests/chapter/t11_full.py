#!/usr/bin/env python3
"""11-full: masked and read-only paths, an overlay root, rlimits, the time
namespace and Landlock, on top of everything 01-10 do."""
import contextlib
import ctypes
import os
import signal
import subprocess
import random
import resource
import sys
import time
from pathlib import Path
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import harness as h  # noqa: E402

FROM = h.chapters_from("11-full")
# The overlay and Landlock are seen apart: with Landlock on, nothing may
# write into / at all, overlay or not.
NO_LANDLOCK = ["--no-landlock"]
PR_SET_CHILD_SUBREAPER = 36


def expect_usage(result, words):
    lines = result.stderr.strip().splitlines()
    h.expect_equal(result.returncode, 2, f"exit status ({result.stderr.strip()!r})")
    h.expect_equal(len(lines), 1, f"lines of the error message ({result.stderr.strip()!r})")
    h.expect(words in lines[0], f"the message {lines[0]!r} does not say {words!r}")


def sh(chapter, script, options=()):
    return h.run(chapter, "sh", "-c", script, options=options)


# --- masked and read-only paths ----------------------------------------------------

@h.check("masked: /proc/interrupts reads empty, /sys/firmware is an empty directory; "
         "--no-masked-paths shows them again", FROM)
def masked_paths(chapter):
    script = "echo $(wc -c < /proc/interrupts) $(ls -A /sys/firmware | wc -l)"
    masked = h.run_ok(chapter, "sh", "-c", script).stdout.split()
    h.expect_equal(masked, ["0", "0"], "bytes of /proc/interrupts, entries of /sys/firmware")
    shown = h.run_ok(chapter, "sh", "-c", script, options=["--no-masked-paths"]).stdout.split()
    h.expect(shown[0] != "0" and shown[1] != "0",
             f"with --no-masked-paths, /proc/interrupts and /sys/firmware should show the "
             f"kernel's (saw {shown})")


@h.check("read-only: /proc/sys refuses writes, even to root with every capability and no user "
         "namespace; so does /proc/sysrq-trigger where the kernel has one", FROM)
def read_only_paths(chapter):
    every_power = ["--userns", "host", "--cap-add", "ALL", "--seccomp-profile", "unconfined",
                   *NO_LANDLOCK]
    # The domain name is the container's own (its UTS namespace): had the
    # write gone through, it would have changed nothing outside.
    result = sh(chapter, "echo lab > /proc/sys/kernel/domainname", options=every_power)
    h.expect(result.returncode != 0 and "Read-only" in result.stderr,
             f"writing /proc/sys/kernel/domainname: exit {result.returncode}, "
             f"{result.stderr.strip()!r}")
    # The probe opens sysrq-trigger for writing and closes it: it never writes.
    answer = h.probe(chapter, "attack", "sysrq-trigger", options=every_power)
    if answer.get("result") == "unsupported":
        return  # this kernel has no /proc/sysrq-trigger (CONFIG_MAGIC_SYSRQ off)
    h.expect(answer.get("result") == "blocked" and "EROFS" in " ".join(answer.values()),
             f"opening /proc/sysrq-trigger for writing: {answer}")


# --- the root filesystem ---------------------------------------------------------------

@h.check("overlay: the container writes into / and removes files, the rootfs is unchanged", FROM)
def overlay_root(chapter):
    with h.rootfs_copy() as rootfs:
        before = h.tree_state(rootfs)
        out = h.run_ok(chapter, "sh", "-c", "echo hi > /newfile && cat /newfile && rm /bin/ls && "
                       "mkdir /etc/new && echo done",
                       options=["--userns", "host", *NO_LANDLOCK], rootfs=rootfs).stdout
        h.expect("hi" in out and "done" in out, f"the writes inside failed: {out!r}")
        h.expect_equal(h.tree_state(rootfs), before, "the rootfs after the run")


@h.check("--persist DIR keeps what the container wrote in DIR/upper", FROM)
def persist(chapter):
    with h.lab_tmpfs() as scratch:
        layers = os.path.join(scratch, "layers")
        os.mkdir(layers)
        h.run_ok(chapter, "sh", "-c", "echo kept > /kept",
                 options=["--userns", "host", "--persist", layers, *NO_LANDLOCK])
        with open(os.path.join(layers, "upper", "kept")) as f:
            h.expect_equal(f.read().strip(), "kept", "DIR/upper/kept")


@h.check("--read-only: / refuses writes, /tmp takes them", FROM)
def read_only_root(chapter):
    result = sh(chapter, "echo x > /y; echo t > /tmp/t && cat /tmp/t",
                options=["--read-only", *NO_LANDLOCK])
    h.expect("Read-only file system" in result.stderr, f"writing /y: {result.stderr.strip()!r}")
    h.expect_equal(result.stdout.strip(), "t", "what /tmp/t held")


# --- limits, clocks, Landlock -----------------------------------------------------------

@h.check("rlimits: RLIMIT_NOFILE is 1024 by default, --ulimit nofile=512:768 sets both", FROM)
def rlimits(chapter):
    h.expect_equal(h.run_ok(chapter, "sh", "-c", "ulimit -n; ulimit -Hn").stdout.split(),
                   ["1024", "1024"], "soft and hard RLIMIT_NOFILE")
    out = h.run_ok(chapter, "sh", "-c", "ulimit -n; ulimit -Hn",
                   options=["--ulimit", "nofile=512:768"]).stdout.split()
    h.expect_equal(out, ["512", "768"], "soft and hard RLIMIT_NOFILE with --ulimit")


@h.check("--time-offset boottime=86400: the container's uptime is a day more than the host's, "
         "in a time namespace of its own", FROM)
def time_namespace(chapter):
    with open("/proc/uptime") as f:
        host = float(f.read().split()[0])
    out = h.run_ok(chapter, "sh", "-c", "cat /proc/uptime; readlink /proc/self/ns/time",
                   options=["--time-offset", "boottime=86400"]).stdout.split()
    inside = float(out[0])
    h.expect(86400 <= inside - host < 86400 + 60,
             f"uptime inside {inside} s, on the host {host} s: expected a day more")
    h.expect(out[2] != os.readlink("/proc/self/ns/time"),
             f"the container's time namespace {out[2]} is the host's")


@h.check("Landlock: writes outside /tmp, /dev, /proc and volumes are refused; --no-landlock "
         "lets the overlay take them", FROM)
def landlock(chapter):
    options = ["--userns", "host"]
    denied = sh(chapter, "echo x > /root-file", options=options)
    h.expect(denied.returncode != 0 and "Permission denied" in denied.stderr,
             f"writing /root-file under Landlock: {denied.stderr.strip()!r}")
    h.run_ok(chapter, "sh", "-c", "echo x > /tmp/ok", options=options)
    h.run_ok(chapter, "sh", "-c", "echo x > /root-file", options=[*options, *NO_LANDLOCK])


@h.check("bad input: one line, exit 2", FROM)
def bad_input(chapter):
    for options, words in ((["--ulimit", "files=10"], "no limit is called"),
                           (["--ulimit", "nofile=20:10"], "soft limit is above"),
                           (["--ulimit", "nofile=ten"], "not a number"),
                           (["--time-offset", "realtime=5"], "monotonic=SECONDS"),
                           (["--persist", "relative/dir"], "absolute path"),
                           (["--persist", "/nonexistent-dir"], "no such directory"),
                           (["--read-only", "--persist", "/tmp"], "no layer to keep")):
        expect_usage(h.run(chapter, "true", options=options), words)


@h.check("--ulimit above the runtime's own hard limit: exit 2 without CAP_SYS_RESOURCE, set "
         "with it", FROM)
def ulimit_above_own(chapter):
    with open("/proc/self/status") as f:
        eff = int(next(line for line in f if line.startswith("CapEff")).split()[1], 16)
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    options = ["--ulimit", f"nofile={hard + 1}"]
    if eff & (1 << 24):  # CAP_SYS_RESOURCE: the kernel lets it raise the limit
        out = h.run_ok(chapter, "sh", "-c", "ulimit -Hn", options=options).stdout.strip()
        h.expect_equal(out, str(hard + 1), "the hard RLIMIT_NOFILE inside")
    else:
        expect_usage(h.run(chapter, "true", options=options), "CAP_SYS_RESOURCE")


# --- names, state, ps and exec ----------------------------------------------------------

STATE = Path("/run/unshared")  # the lab's own /run (tests/lab)
OWN_ENTRIES = {"lock", "runs", "kept", "net", "seccomp"}  # the state directory's, not containers'


def state_of(name):
    """The container's state file as a dict of first values (common/state.hpp)."""
    fields = {}
    for line in (STATE / name / "state").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition(" ")
            fields.setdefault(key, value)
    return fields


@contextlib.contextmanager
def named(chapter, name, options=()):
    """A container called `name` running `sleep 1000`, until the block ends."""
    runtime = h.start(chapter, "sleep", "1000", options=["--name", name, "--net", "none",
                                                         *options])
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and runtime.poll() is None:
            with contextlib.suppress(OSError):
                if state_of(name).get("status") == "running":
                    break
            time.sleep(0.05)
        else:
            runtime.kill()
            raise h.Failed(f"{chapter} --name {name}: no running state within 20 s "
                           f"({runtime.communicate()[1].strip()!r})")
        yield runtime
    finally:
        if runtime.poll() is None:
            runtime.terminate()
        runtime.communicate(timeout=30)


def exec_in(chapter, name, *command, options=(), timeout=30):
    argv = [str(h.BIN / chapter), "exec", *options, name, "--", *command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def exec_ok(chapter, name, *command, **kw):
    result = exec_in(chapter, name, *command, **kw)
    if result.returncode != 0:
        raise h.Failed(f"{chapter} exec {name} -- {' '.join(command)} exited "
                       f"{result.returncode}: {(result.stderr or result.stdout).strip()}")
    return result.stdout


def answers(text):
    return dict(line.split("=", 1) for line in text.split() if "=" in line)


@h.check("exec joins the running container: its hostname, PID namespace, uid map, cgroup, "
         "capabilities, no_new_privs, seccomp filter and --ulimit", FROM)
def exec_joins(chapter):
    options = ["--hostname", "web1", "--ulimit", "nofile=512:768", "--cap-drop", "NET_RAW"]
    with named(chapter, "web1", options):
        init = int(state_of("web1")["pid"])
        out = exec_ok(chapter, "web1", "sh", "-c",
                      "echo host=$(hostname); echo init=$(cat /proc/1/comm);"
                      "echo nofile=$(ulimit -n); echo map=$(cat /proc/self/uid_map | tr -s ' ' _);"
                      "echo pids=$(grep pids /proc/self/cgroup | cut -d: -f3);"
                      "/bin/probe caps; /bin/probe seccomp")
        seen = answers(out)
        host_map = Path(f"/proc/{init}/uid_map").read_text().split()
        h.expect_equal(seen.get("host"), "web1", "hostname in exec")
        h.expect_equal(seen.get("init"), "init", "PID 1 as exec sees it (/proc/1/comm)")
        h.expect_equal(seen.get("nofile"), "512", "RLIMIT_NOFILE in exec")
        h.expect_equal(seen.get("map", "").strip("_").split("_"), host_map, "uid map in exec")
        h.expect_equal(seen.get("pids"), "/", "exec's pids cgroup, in the container's cgroup ns")
        h.expect_equal(seen.get("cap_eff"), "00000000a80405fb",
                       "effective capabilities in exec (Docker's 14 without NET_RAW)")
        h.expect_equal(seen.get("cap_bnd"), "00000000a80405fb", "bounding set in exec")
        h.expect_equal(seen.get("no_new_privs"), "1", "no_new_privs in exec")
        h.expect(seen.get("mode") == "2" or seen.get("seccomp") == "2",
                 f"seccomp mode in exec: {out.strip()!r}")
        quiet = exec_in(chapter, "web1", "true")
        h.expect_equal(quiet.stderr, "", "what exec says on stderr for a command that succeeds")
        pids = exec_ok(chapter, "web1", "ps", "-o", "pid,comm").split()
        h.expect("sleep" in pids and "ps" in pids and len(pids) <= 8,
                 f"exec's ps shows the container's processes only: {pids}")


@h.check("exec: the container's Landlock rules and user apply; the command's exit status "
         "is exec's", FROM)
def exec_confined(chapter):
    with named(chapter, "locked", ["--userns", "host", "--user", "1000:1000"]):
        denied = exec_in(chapter, "locked", "sh", "-c", "echo x > /root-file")
        h.expect(denied.returncode != 0 and "denied" in denied.stderr,
                 f"exec writing /root-file under Landlock: {denied.stderr.strip()!r}")
        h.expect_equal(exec_ok(chapter, "locked", "id", "-u").strip(), "1000", "uid in exec")
        h.expect_equal(exec_ok(chapter, "locked", "sh", "-c", "echo $X $container",
                               options=["-e", "X=7"]).strip(), "7 unshared",
                       "exec's environment: the container's, plus -e")
        h.expect_equal(exec_in(chapter, "locked", "sh", "-c", "exit 7").returncode, 7,
                       "exec's exit status")
    with named(chapter, "free", ["--userns", "host", *NO_LANDLOCK]):
        exec_ok(chapter, "free", "sh", "-c", "echo x > /root-file")


@h.check("exec SIGKILLed: its command does not stay in the container", FROM)
def exec_killed(chapter):
    with named(chapter, "killed"):
        session = subprocess.Popen([str(h.BIN / chapter), "exec", "killed", "--", "sleep", "1000"],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        command = h.wait_for_descendant(session.pid, "sleep")
        session.kill()
        session.wait()
        deadline = time.monotonic() + 10
        while Path(f"/proc/{command}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        h.expect(not Path(f"/proc/{command}").exists(),
                 f"exec's command (pid {command}) still runs 10 s after exec was SIGKILLed")


@h.check("ps lists the running containers by name with PID 1 and command; exec into one "
         "that ended, or a name nobody has: one line, exit 2", FROM)
def ps_and_ended(chapter):
    with named(chapter, "listed") as runtime:
        out = subprocess.run([str(h.BIN / chapter), "ps"], capture_output=True, text=True,
                             timeout=30).stdout
        row = next((line.split() for line in out.splitlines()[1:]
                    if line.split()[:1] == ["listed"]), None)
        h.expect(row is not None, f"ps lists no container 'listed': {out!r}")
        h.expect_equal(row[1:3], [state_of("listed")["pid"], "running"], "ps: PID and STATUS")
        h.expect_equal(row[-2:], ["sleep", "1000"], "ps: COMMAND")
        # SIGKILL: no cleanup ran, the state stays, its PID 1 died with the runtime.
        init = int(state_of("listed")["pid"])
        runtime.kill()
        runtime.wait()
        deadline = time.monotonic() + 10
        while Path(f"/proc/{init}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        expect_usage(exec_in(chapter, "listed", "true"), "is not running")
    expect_usage(exec_in(chapter, "nobody-has-this", "true"), "no container called")
    h.run_ok(chapter, "true", options=["--net", "none"])  # replays the killed run
    h.expect(not (STATE / "listed").exists(), "the killed run's state, after the next run")


@h.check("--name: a name in use is refused, naming its PID 1; bad names are refused", FROM)
def name_in_use(chapter):
    with named(chapter, "taken"):
        pid = state_of("taken")["pid"]
        expect_usage(h.run(chapter, "true", options=["--name", "taken", "--net", "none"]),
                     f"in use by a running container (pid {pid})")
    for name, words in (("../x", "a name is letters"), ("runs", "state directory uses"),
                        ("x" * 64, "longer than 63")):
        expect_usage(h.run(chapter, "true", options=["--name", name]), words)


# --- the host as it was -----------------------------------------------------------------

LEAK_RUNS = int(os.environ.get("UNSHARED_LEAK_RUNS", "1000"))


def cgroups_left():
    """Cgroups under the test run's parent (UNSHARED_CGROUP_PARENT, harness)."""
    left = []
    for parent in filter(None, os.environ.get("UNSHARED_CGROUP_PARENT", "").split(":")):
        for root, dirs, _ in os.walk(parent):
            left += [os.path.join(root, d) for d in dirs]
    return sorted(left)


def host_side():
    """What a container may leave outside: links, nft tables, cgroups, claims
    and journals in the state directory."""
    veths = sorted(n for n in h.lab_links() if n.startswith("veth") or n == "unshared0")
    state = sorted(str(p.relative_to(STATE)) for p in STATE.glob("**/*")
                   if p.is_dir() and p.parent.name in ("leases", "ports", "runs")) \
        if STATE.exists() else []
    journals = sorted(p.name for p in (STATE / "runs").glob("*")) if STATE.exists() else []
    containers = sorted(p.name for p in STATE.iterdir() if p.name not in OWN_ENTRIES) \
        if STATE.exists() else []
    return {"links": veths, "nft tables": h.lab_nft_tables(), "cgroups": cgroups_left(),
            "claims": state, "journals": journals, "state dirs": containers}


def killed(chapter, rng, options):
    runtime = h.start(chapter, "sleep", "1000", options=options)
    time.sleep(rng.uniform(0, 0.2))
    runtime.kill()
    runtime.wait()


def exec_sessions(chapter, i, rng):
    """A named container with exec sessions: one that ends, one SIGKILLed
    midway; then the container is stopped or SIGKILLed."""
    name = f"leak{i}"
    runtime = h.start(chapter, "sleep", "1000", options=["--name", name, "--net", "none"])
    deadline = time.monotonic() + 20
    while runtime.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if state_of(name).get("status") == "running":
                break
        time.sleep(0.02)
    exec_in(chapter, name, "sh", "-c", "echo x > /tmp/x")
    session = subprocess.Popen([str(h.BIN / chapter), "exec", name, "--", "sleep", "1000"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(0, 0.1))
    session.kill()
    session.wait()
    runtime.send_signal(signal.SIGKILL if i % 2 else signal.SIGTERM)
    runtime.communicate()


def leak_round(chapter, i, rng):
    none = ["--net", "none"]
    kinds = [
        lambda: h.run(chapter, "true", options=none),
        lambda: h.run(chapter, "sh", "-c", "echo x > /tmp/x; exit 3", options=none),
        lambda: h.run(chapter, "/no/such/command", options=none),
        lambda: h.run(chapter, "true", options=["--ulimit", "nofile=ten"]),  # refused at once
        lambda: killed(chapter, rng, none),
        lambda: killed(chapter, rng, ["--memory", "64M", *none]),
        lambda: h.run(chapter, "true", options=["--pids-limit", "32", "--read-only", *none]),
    ]
    if i % 10 == 5:  # now and then a named container with exec sessions
        return exec_sessions(chapter, i, rng)
    if i % 25 == 0:  # now and then on the bridge, killed or not
        return (killed(chapter, rng, []) if i % 50 == 0 else h.run(chapter, "true"))
    return kinds[i % len(kinds)]()


@h.check(f"{LEAK_RUNS} runs that succeed, fail, are refused or SIGKILLed, with exec sessions, "
         "then one clean run: no mount, process, cgroup, veth, nft table, lease, journal or "
         "state dir is left", FROM)
def no_leaks(chapter):
    libc = ctypes.CDLL(None, use_errno=True)
    before, mounts = host_side(), h.host_mounts()
    rng = random.Random(int(os.environ.get("UNSHARED_SEED", "11")))
    # The orphans of killed runtimes come to us, and are reaped.
    h.expect(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0, "prctl(PR_SET_CHILD_SUBREAPER)")
    try:
        for i in range(LEAK_RUNS):
            leak_round(chapter, i, rng)
            h.reap_orphans()
        h.run_ok(chapter, "true", options=["--net", "none"])  # undoes what killed runs left
        deadline = time.monotonic() + 10
        while host_side() != before and time.monotonic() < deadline:
            time.sleep(0.1)  # the kernel removes a dead namespace's veth a little later
        h.expect_equal(host_side(), before, "what is left outside after the runs")
        h.expect_equal(h.host_mounts(), mounts, "the lab's mount points")
        deadline = time.monotonic() + 10  # a process killed a moment ago may still be exiting
        while h.descendants_of(os.getpid()) and time.monotonic() < deadline:
            h.reap_orphans()
            time.sleep(0.1)
        left = {p: Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                for p in h.descendants_of(os.getpid()) if Path(f"/proc/{p}").exists()}
        h.expect_equal(left, {}, "processes left under the test")
    finally:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


if __name__ == "__main__":
    h.main()
