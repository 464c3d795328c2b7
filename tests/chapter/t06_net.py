#!/usr/bin/env python3
"""06-net: a network of its own. With --net none only lo, up; on the bridge
eth0 with an address, a default route and /etc/hosts; two containers talk;
a published port answers; a container reaches the outside through NAT; bad
input is one line and exit 2; and whatever runs, fails or is killed, the lab
("the host") is left with no bridge, veth, nft table, lease or changed sysctl.

Everything happens in the lab's network namespace (tests/lab), which plays
the host, and in namespaces this file makes (the "outside" below). No packet
goes anywhere else."""
import ctypes
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import harness as h  # noqa: E402

FROM = h.chapters_from("06-net")
STATE = Path("/run/unshared")  # the lab's own /run (tests/lab)
BRIDGE = "unshared0"
GATEWAY = "10.99.0.1"
# The link between the lab and the "outside" namespace: TEST-NET-2 (RFC 5737).
LAB_SIDE, OUTSIDE_SIDE = "198.51.100.1", "198.51.100.2"
WWW = "mkdir -p /tmp/www && echo {text} > /tmp/www/index.html && exec httpd -f -p 80 -h /tmp/www"


# --- the lab, seen from outside the containers ------------------------------------

def ip(*args, check=True):
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check).stdout


links = h.lab_links
nft_tables = h.lab_nft_tables


def forwarding():
    return Path("/proc/sys/net/ipv4/ip_forward").read_text().strip()


def claims():
    """Address leases and port claims left in the state directory."""
    return sorted(str(p.relative_to(STATE)) for pool in ("leases", "ports")
                  for p in (STATE / "net" / pool).glob("*") if not p.name.startswith("."))


def journals():
    return sorted(p.name for p in (STATE / "runs").glob("*.journal"))


def lab_state():
    """What a container may leave on the lab's side, for before/after."""
    veths = sorted(n for n, flags in links().items() if n.startswith("veth"))
    return {"bridge": BRIDGE in links(), "veths": veths, "nft tables": nft_tables(),
            "ip_forward": forwarding(), "claims": claims() if STATE.exists() else [],
            "journals": journals() if STATE.exists() else []}


def wait_until(condition, what, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise h.Failed(f"after {timeout} s: {what}")
        time.sleep(0.05)


def settle(before, timeout=10):
    """Waits until the lab is as `before` again: the kernel removes a veth
    pair after the container's namespace is gone, a little after it exits."""
    deadline = time.monotonic() + timeout
    while lab_state() != before and time.monotonic() < deadline:
        time.sleep(0.05)
    return lab_state()


def http_get(address, port, timeout=10):
    """GET / from the lab, retried until the server answers; returns the body."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((address, port), timeout=2) as s:
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                reply = b""
                while chunk := s.recv(4096):
                    reply += chunk
            return reply.decode(errors="replace").split("\r\n\r\n", 1)[-1]
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextmanager
def container(chapter, *command, options=()):
    """A container running in the background; stopped (SIGTERM) at the end."""
    runtime = h.start(chapter, *command, options=options)
    try:
        yield runtime
    finally:
        if runtime.poll() is None:
            runtime.terminate()
        runtime.wait(timeout=15)


class Outside:
    """The outside namespace: `argv(...)` is a command run in it, `run` runs one."""

    def __init__(self, pid):
        self.pid = pid

    def argv(self, *command):
        return ["nsenter", "-t", str(self.pid), "-n", *command]

    def run(self, *command, **kw):
        return subprocess.run(self.argv(*command), capture_output=True, text=True, **kw)


@contextmanager
def outside():
    """An "outside" network namespace: a `sleep` in a new one, linked to the
    lab by a veth pair of its own (lab 198.51.100.1, outside .2). Yields an
    Outside. The lab's loopback goes up too."""
    ip("link", "set", "lo", "up")
    holder = subprocess.Popen(["unshare", "--net", "sleep", "1000"])
    try:
        wait_until(lambda: os.readlink(f"/proc/{holder.pid}/ns/net")
                   != os.readlink("/proc/self/ns/net"), "the outside namespace")
        ip("link", "add", "lab-out", "type", "veth", "peer", "name", "out0",
           "netns", str(holder.pid))
        ip("addr", "add", f"{LAB_SIDE}/24", "dev", "lab-out")
        ip("link", "set", "lab-out", "up")

        place = Outside(holder.pid)
        place.run("ip", "addr", "add", f"{OUTSIDE_SIDE}/24", "dev", "out0", check=True)
        place.run("ip", "link", "set", "out0", "up", check=True)
        place.run("ip", "link", "set", "lo", "up", check=True)
        yield place
    finally:
        holder.kill()
        holder.wait()
        ip("link", "del", "lab-out", check=False)  # gone with the namespace, or now


# --- what a learner sees inside ----------------------------------------------------

@h.check("--net none: `ip link` lists only lo, and it is UP, in a namespace of its own", FROM)
def only_loopback(chapter):
    with h.host_interface():  # something of the lab's that must not show inside
        out = h.run_ok(chapter, "sh", "-c", "readlink /proc/self/ns/net; ip -o link",
                       options=["--net", "none"]).stdout
    netns, _, links = out.partition("\n")
    h.expect(netns != os.readlink("/proc/self/ns/net"),
             f"the container is in the lab's network namespace ({netns})")
    names = re.findall(r"^\d+: ([^:@]+)", links, re.M)
    h.expect_equal(names, ["lo"], "interfaces inside")
    h.expect(re.search(r"<[^>]*\bUP\b", links), f"lo is not up: {links.strip()}")


def inside_view(chapter, options=()):
    script = "ip -o link; echo ---; ip -4 -o addr; echo ---; ip route; echo ---; cat /etc/hosts"
    out = h.run_ok(chapter, "sh", "-c", script, options=["--hostname", "web1", *options]).stdout
    return out.split("---\n")


@h.check("bridge mode: lo and eth0, eth0 in 10.99.0.0/24, the default route via "
         "10.99.0.1, /etc/hosts maps the hostname", FROM)
def bridge_view(chapter):
    link, addrs, routes, hosts = inside_view(chapter)
    h.expect_equal(re.findall(r"^\d+: ([^:@]+)", link, re.M), ["lo", "eth0"], "interfaces inside")
    address = re.search(r"eth0\s+inet (10\.99\.0\.\d+)/24", addrs)
    h.expect(address, f"eth0 has no address in 10.99.0.0/24: {addrs.strip()}")
    h.expect(re.search(rf"^default via {GATEWAY} dev eth0", routes, re.M),
             f"no default route via {GATEWAY}: {routes.strip()}")
    h.expect(re.search(rf"^{re.escape(address.group(1))}\s+web1$", hosts, re.M),
             f"/etc/hosts does not map web1 to {address.group(1)}: {hosts.strip()}")


@h.check("--ip and --subnet are honoured", FROM)
def chosen_address(chapter):
    _, addrs, routes, _ = inside_view(chapter, ["--subnet", "10.97.3.0/24", "--ip", "10.97.3.77"])
    h.expect("inet 10.97.3.77/24" in addrs, f"eth0: {addrs.strip()}")
    h.expect("default via 10.97.3.1" in routes, f"routes: {routes.strip()}")


@contextmanager
def lab_resolv_conf(text):
    """The lab's /etc/resolv.conf replaced (a bind mount, in the lab only)."""
    with h.lab_tmpfs() as d:
        fake = d / "resolv.conf"
        fake.write_text(text)
        subprocess.run(["mount", "--bind", str(fake), "/etc/resolv.conf"], check=True)
        try:
            yield
        finally:
            subprocess.run(["umount", "/etc/resolv.conf"], check=True)


@h.check("/etc/resolv.conf: the host's nameservers but its loopback ones; the rootfs's own "
         "files are not written", FROM)
def resolv_conf(chapter):
    files = [h.ROOTFS / "etc" / "hosts", h.ROOTFS / "etc" / "resolv.conf"]
    before = [f.read_bytes() for f in files]
    with lab_resolv_conf("nameserver 127.0.0.53\nnameserver 198.51.100.53\n"
                         "search lab.example\n"):
        out = h.run_ok(chapter, "cat", "/etc/resolv.conf").stdout
    servers = re.findall(r"^nameserver (\S+)", out, re.M)
    h.expect_equal(servers, ["198.51.100.53"], "nameservers inside")
    h.expect("search lab.example" in out, f"the search line is missing: {out.strip()}")
    h.expect_equal([f.read_bytes() for f in files], before, "the rootfs's hosts and resolv.conf")


# --- talking ---------------------------------------------------------------------------

@h.check("two containers at once: one serves, the other reaches it over the bridge", FROM)
def two_containers(chapter):
    with container(chapter, "sh", "-c", WWW.format(text="hello-from-a"),
                   options=["--ip", "10.99.0.50"]):
        fetch = ("for i in $(seq 100); do wget -q -O - http://10.99.0.50/ 2>/dev/null && exit 0; "
                 "sleep 0.1; done; exit 1")
        out = h.run_ok(chapter, "sh", "-c", fetch).stdout
    h.expect_equal(out.strip(), "hello-from-a", "what the second container fetched")


@h.check("-p 8080:80: the lab's own address answers on 8080, from the lab itself and from "
         "outside", FROM)
def published_port(chapter):
    with outside() as there, container(chapter, "sh", "-c", WWW.format(text="published"),
                                       options=["-p", "8080:80"]):
        body = http_get(LAB_SIDE, 8080)  # from the lab: nat output
        h.expect_equal(body.strip(), "published", f"GET http://{LAB_SIDE}:8080/ from the lab")
        fetched = there.run("busybox", "wget", "-q", "-O", "-", f"http://{LAB_SIDE}:8080/",
                            timeout=20)  # from outside: nat prerouting
        h.expect_equal(fetched.stdout.strip(), "published",
                       f"GET http://{LAB_SIDE}:8080/ from outside ({fetched.stderr.strip()})")


@h.check("egress: a container reaches a server outside, which sees the lab's address "
         "(masquerade), not the container's", FROM)
def egress_masqueraded(chapter):
    server = ("import socket\n"
              "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
              f"s.bind(('{OUTSIDE_SIDE}', 9000)); s.listen(); print('ready', flush=True)\n"
              "c, peer = s.accept(); c.sendall((peer[0] + '\\n').encode()); c.close()\n")
    with outside() as there:
        listener = subprocess.Popen(there.argv(sys.executable, "-c", server),
                                    stdout=subprocess.PIPE, text=True)
        try:
            h.expect_equal(listener.stdout.readline().strip(), "ready", "the outside server")
            out = h.run_ok(chapter, "nc", OUTSIDE_SIDE, "9000", timeout=30).stdout
        finally:
            listener.kill()
            listener.wait()
    h.expect_equal(out.strip(), LAB_SIDE, "the peer address the outside server saw")


# --- sharing: what containers hold together ------------------------------------------

@h.check("the bridge and the NAT table stay while a container uses them and go with the "
         "last one; ip_forward comes back", FROM)
def last_one_turns_off_the_light(chapter):
    before = lab_state()
    with container(chapter, "sleep", "1000") as first:
        h.wait_for_descendant(first.pid, "sleep")
        h.run_ok(chapter, "true")
        h.expect(BRIDGE in links(), "the bridge went while a container still used it")
        h.expect("table ip unshared" in nft_tables(), "the NAT table went too early")
        h.expect_equal(forwarding(), "1", "ip_forward while containers run")
    h.expect_equal(settle(before), before, "the lab after the last container")


@h.check("a port another container publishes: exit 2, one line", FROM)
def port_taken(chapter):
    with container(chapter, "sh", "-c", WWW.format(text="first"), options=["-p", "8080:80"]):
        http_get(GATEWAY, 8080)  # the bridge's address is the lab's own too
        expect_usage(h.run(chapter, "true", options=["-p", "8080:81"]), "already published")


@h.check("--ip of a running container: exit 2, one line", FROM)
def address_taken(chapter):
    with container(chapter, "sleep", "1000", options=["--ip", "10.99.0.60"]) as first:
        h.wait_for_descendant(first.pid, "sleep")
        expect_usage(h.run(chapter, "true", options=["--ip", "10.99.0.60"]), "another container")


@h.check("an exhausted subnet (a /30 has room for one container): exit 2, one line", FROM)
def subnet_exhausted(chapter):
    small = ["--subnet", "10.98.0.0/30"]
    with container(chapter, "sleep", "1000", options=small) as first:
        h.wait_for_descendant(first.pid, "sleep")
        expect_usage(h.run(chapter, "true", options=small), "no free address")


@h.check("a --subnet that overlaps an address the host has: exit 2, one line, nothing made",
         FROM)
def subnet_overlaps_host(chapter):
    with outside():  # the lab now has 198.51.100.1/24
        before = lab_state()
        expect_usage(h.run(chapter, "true", options=["--subnet", "198.51.100.0/25"]), "overlaps")
        h.expect_equal(lab_state(), before, "the lab after the refused run")


# --- bad input -----------------------------------------------------------------------------

def expect_usage(result, words):
    lines = result.stderr.strip().splitlines()
    h.expect(result.returncode == 2 and len(lines) == 1 and words in lines[0],
             f"exit {result.returncode}, message {result.stderr.strip()!r}: expected exit 2 "
             f"and one line saying {words!r}")


BAD = [
    (["-p", "99999:80"], "host port"),
    (["-p", "abc"], "one port only"),
    (["-p", "80"], "one port only"),
    (["-p", "8080:0"], "container port"),
    (["-p", "8080:80/sctp"], "protocol"),
    (["-p", "8080:80", "-p", "8080:81"], "twice"),
    (["--subnet", "10.0.0.0/33"], "/33"),
    (["--subnet", "10.99.0.5/24"], "host bits"),
    (["--subnet", "10.99.0.0/31"], "no address"),
    (["--ip", "10.100.0.2"], "outside"),
    (["--ip", "10.99.0.1"], "gateway"),
    (["--ip", "10.99.0.255"], "broadcast"),
    (["--ip", "ten"], "not an IPv4"),
    (["--net", "host"], "bridge or none"),
    (["--net", "none", "-p", "8080:80"], "--net bridge"),
]


@h.check("bad network options: one line each, exit 2, nothing made", FROM)
def bad_input(chapter):
    before = lab_state()
    for options, words in BAD:
        result = h.run(chapter, "true", options=options)
        try:
            expect_usage(result, words)
        except h.Failed as e:
            raise h.Failed(f"{' '.join(options)}: {e}")
    h.expect_equal(lab_state(), before, "the lab after bad input")


# --- leaks ---------------------------------------------------------------------------------

RUNS = 50
PR_SET_CHILD_SUBREAPER = 36


def netns_of_descendants():
    lab = os.readlink("/proc/self/ns/net")
    found = set()
    for p in h.descendants_of(os.getpid()):
        try:
            ns = os.readlink(f"/proc/{p}/ns/net")
        except OSError:
            continue
        if ns != lab:
            found.add(ns)
    return found


def killed_run(chapter, rng, options=()):
    """A runtime SIGKILLed at a random moment of its set-up, or while it runs.
    Returns whether it left something behind for the next run to undo."""
    runtime = h.start(chapter, "sleep", "1000", options=options)
    time.sleep(rng.uniform(0, 0.15))
    runtime.kill()
    runtime.wait()
    return bool(journals())


def leak_round(chapter, i, rng):
    kinds = [
        lambda: h.run(chapter, "true"),
        lambda: h.run(chapter, "sh", "-c", "exit 3", options=["-p", "8081:80"]),
        lambda: h.run(chapter, "/no/such/command"),
        lambda: h.run(chapter, "true", options=["--net", "none"]),
        lambda: killed_run(chapter, rng),
        lambda: killed_run(chapter, rng, ["-p", "8082:80"]),
    ]
    if i % 10 == 3:  # failed runs that got as far as the allocation
        with container(chapter, "sleep", "1000", options=["--ip", "10.99.0.9"]) as holder:
            h.wait_for_descendant(holder.pid, "sleep")
            h.expect_equal(h.run(chapter, "true", options=["--ip", "10.99.0.9"]).returncode, 2,
                           "exit status of a run asking for a taken --ip")
        return False
    if i % 10 == 7:
        small = ["--subnet", "10.98.0.0/30"]
        with container(chapter, "sleep", "1000", options=small) as holder:
            h.wait_for_descendant(holder.pid, "sleep")
            h.expect_equal(h.run(chapter, "true", options=small).returncode, 2,
                           "exit status of a run on an exhausted subnet")
        return False
    return kinds[i % len(kinds)]() is True


@h.check(f"{RUNS} runs that succeed, fail or are SIGKILLed, then one clean run: no bridge, "
         "veth, nft table, lease, netns or sysctl change is left", FROM)
def no_leaks(chapter):
    libc = ctypes.CDLL(None, use_errno=True)
    before = lab_state()
    mounts = h.host_mounts()
    rng = random.Random(int(os.environ.get("UNSHARED_SEED", "6")))
    h.expect(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0, "prctl(PR_SET_CHILD_SUBREAPER)")
    left_behind = 0
    try:
        for i in range(RUNS):
            left_behind += leak_round(chapter, i, rng)
            while True:  # reap the orphans of killed runtimes (we are their subreaper)
                try:
                    if os.waitpid(-1, os.WNOHANG)[0] == 0:
                        break
                except ChildProcessError:
                    break
        # Else the kills all came too early or too late, and this proves nothing.
        h.expect(left_behind > 0, "no SIGKILLed run left anything for the next one to undo")
        h.run_ok(chapter, "true")  # replays what the killed runs left, then leaves nothing
        wait_until(lambda: not netns_of_descendants(), "network namespaces of containers remain")
        h.expect_equal(settle(before), before, "the lab after the runs")
        h.expect_equal(h.host_mounts(), mounts, "the lab's mount points")
    finally:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


@h.check("--cleanup undoes what a SIGKILLed runtime left: bridge, NAT table, lease, port, "
         "ip_forward", FROM)
def cleanup_after_sigkill(chapter):
    before = lab_state()
    runtime = h.start(chapter, "sleep", "1000", options=["-p", "8083:80"])
    h.wait_for_descendant(runtime.pid, "sleep")
    runtime.kill()
    runtime.wait()
    left = lab_state()
    h.expect(left["bridge"] and left["claims"] and left["journals"] and left["nft tables"],
             f"a SIGKILLed run left nothing to clean up? {left}")
    result = h.run(chapter, options=["--cleanup"])
    h.expect_equal(result.returncode, 0, f"exit status of --cleanup ({result.stderr.strip()})")
    h.expect("undone: bridge unshared0" in result.stdout, f"--cleanup said {result.stdout!r}")
    h.expect_equal(settle(before), before, "the lab after --cleanup")


if __name__ == "__main__":
    h.main()
