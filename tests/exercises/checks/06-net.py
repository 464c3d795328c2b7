"""Exercise 06-net: the veth pair, made in one netlink request."""
import json
import re
import subprocess
import time

import harness as h
from checker import Wrong, check, run, started, words

# A one-line web server in the container: busybox httpd serving one file.
SERVE = "mkdir -p /tmp/www && echo {text} > /tmp/www/index.html && exec httpd -f -p 80 -h /tmp/www"
FETCH = ("for i in $(seq 100); do wget -q -O - http://10.99.0.50/ 2>/dev/null && exit 0; "
         "sleep 0.1; done; exit 1")


def links_in_lab():
    """The lab's links as `ip -j link` gives them: [{"ifname", "master", "operstate", ...}]."""
    out = subprocess.run(["ip", "-j", "link", "show"], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)


def wait_for_host_end(process, seconds=5):
    """The lab's end of the container's veth pair, once there: veth<PID>,
    where PID is the container's first process, a child of the runtime."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        children = h.descendants_of(process.pid)
        for link in links_in_lab():
            if link["ifname"].startswith("veth") and int(link["ifname"][4:] or 0) in children:
                return link
        if process.poll() is not None:
            break
        time.sleep(0.05)
    return None


@check("inside, eth0 has the container's address, is up, and the default route goes through it",
       ask="Which end of the pair goes into the child's network namespace, and how does one "
           "request put it there at birth (IFLA_NET_NS_PID on the peer)? What is that end "
           "called?")
def eth0_inside():
    result = run("sh", "-c", "ip -o -4 addr show dev eth0; ip -o link show dev eth0; ip route")
    if result.returncode != 0:
        why = result.stderr.strip().splitlines()
        raise Wrong("the container could not show its eth0 (exit status "
                    f"{result.returncode}{': ' + why[-1] if why else ''}); expected an eth0 "
                    "with the container's address.")
    out = result.stdout
    if not re.search(r"inet 10\.99\.0\.\d+/24", out):
        raise Wrong(f"eth0 inside has no address of 10.99.0.0/24: {out.strip()!s}")
    if "state UP" not in out and "LOWER_UP" not in out:
        raise Wrong("eth0 inside is not up (no carrier): is the other end of the cable up?")
    if not re.search(r"default via 10\.99\.0\.1 dev eth0", out):
        raise Wrong(f"no default route via 10.99.0.1 on eth0 inside; `ip route` said "
                    f"{words(out.splitlines())}.")


@check("on the host side, the pair's other end is veth<PID>, up, and a port of the bridge",
       ask="The host's end is a cable plugged into nothing until it is enslaved: which "
           "attribute makes it a port of the bridge (IFLA_MASTER), and which flag turns it on "
           "(IFF_UP)?")
def host_end_on_bridge():
    with started("sleep", "3") as process:
        link = wait_for_host_end(process)
        if link is None:
            names = [link["ifname"] for link in links_in_lab()]
            raise Wrong(f"while the container ran, the lab had no link veth<PID> of its first "
                        f"process; it had {words(names)}.")
        name = link["ifname"]
        if link.get("master") != "unshared0":
            raise Wrong(f"{name} is not a port of the bridge unshared0 "
                        f"(master: {link.get('master', 'none')}).")
        if "UP" not in link.get("flags", []):
            raise Wrong(f"{name} is down (flags {words(link.get('flags', []))}): expected it up.")


@check("two containers on the bridge reach each other",
       ask="Two cables plugged into one switch: are both plugged in (a master), and are both "
           "ends of each cable up?")
def neighbours():
    with started("sh", "-c", SERVE.format(text="hello-from-a"),
                 options=["--ip", "10.99.0.50"]) as server:
        # The server's processes must all be there before the client's run
        # starts: the client's run is watched for processes it leaves behind.
        try:
            h.wait_for_descendant(server.pid, "httpd")
        except h.Failed:
            raise Wrong("the first container's httpd did not start: it could not serve") from None
        result = run("sh", "-c", FETCH, timeout=20)
    if result.returncode != 0 or result.stdout.strip() != "hello-from-a":
        raise Wrong("a second container could not fetch http://10.99.0.50/ from the first "
                    f"(exit status {result.returncode}); expected hello-from-a.")
