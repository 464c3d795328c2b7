"""Exercise 09-caps: the drop of root's capabilities, in every set, in an order that works."""
import subprocess

import checker
from checker import Wrong, check, guard, lab_state, probe, run

# capabilities(7): Docker's 14 (0xa80425fb), CAP_SETGID and CAP_SETUID.
DOCKER = 0xA80425FB
SETGID_SETUID = 1 << 6 | 1 << 7
HOST = ["--userns", "host"]


def real_bounding():
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith("CapBnd:")).split()[1], 16)


def sets(answer):
    return {k: int(v, 16) for k, v in answer.items() if k.startswith("cap_")}


def caps(options=()):
    return sets(probe("caps", options=options))


def wrong_sets(seen, wanted, where):
    """A sentence for each set that is not as wanted, or None."""
    names = {"cap_bnd": "CapBnd", "cap_prm": "CapPrm", "cap_eff": "CapEff",
             "cap_inh": "CapInh", "cap_amb": "CapAmb"}
    bad = [f"{names[k]} {seen[k]:016x} (expected {wanted[k]:016x})" for k in names
           if seen[k] != wanted[k]]
    return f"{where}, the command's /proc/self/status showed {', '.join(bad)}." if bad else None


def docker(prm=DOCKER, inh=0, amb=0):
    return {"cap_bnd": DOCKER, "cap_prm": prm, "cap_eff": prm, "cap_inh": inh, "cap_amb": amb}


@check("/proc/self/status inside: Docker's 14 in CapBnd, CapPrm and CapEff; CapInh and "
       "CapAmb 0",
       ask="Which set limits what root's next execve(2) can put back into permitted? Did "
           "your drop reach it (prctl(2), PR_CAPBSET_DROP)?")
def five_sets():
    said = wrong_sets(caps(), docker(), "In the default container")
    if said:
        raise Wrong(said)


@check("a runtime started with every capability inheritable and ambient hands none of "
       "them to the command (--userns host)",
       ask="Which two sets carry capabilities through an execve(2) besides the bounding set, "
           "and which of your calls empties each (capabilities(7), capset(2), prctl(2))?")
def careless_parent():
    real = real_bounding()
    names = subprocess.run(["capsh", f"--decode={real:x}"], capture_output=True,
                           text=True).stdout.strip().split("=", 1)[1]
    caps_list = ",".join("+" + n.removeprefix("cap_") for n in names.split(","))
    argv = ["setpriv", f"--inh-caps=-all,{caps_list}", f"--ambient-caps=-all,{caps_list}",
            "--", str(checker.BIN / checker.CHAPTER), *HOST, "--rootfs", str(checker.ROOTFS),
            "--", "/bin/probe", "caps"]
    before = lab_state()
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=10,
                                stdin=subprocess.DEVNULL)
    finally:
        guard(before, "the chapter under setpriv --inh-caps=+all --ambient-caps=+all")
    if result.returncode != 0:
        raise Wrong(f"started from a runtime whose capabilities were all inheritable and "
                    f"ambient, the container failed (exit status {result.returncode}): "
                    f"{result.stderr.strip().splitlines()[:1]}")
    seen = sets(dict(kv.split("=", 1) for kv in result.stdout.split()))
    said = wrong_sets(seen, docker(), "Started from a runtime with CapInh and CapAmb full")
    if said:
        raise Wrong(said)


@check("with --allow-new-privileges, root's execve(2) still gets only the 14",
       ask="Without no_new_privs, what does root's execve(2) put into permitted "
           "(capabilities(7): root counts as having all file capabilities)?")
def without_no_new_privs():
    said = wrong_sets(caps(["--allow-new-privileges"]), docker(),
                      "With --allow-new-privileges")
    if said:
        raise Wrong(said)


@check("--cap-drop ALL: the container starts, and all five sets are 0",
       ask="PR_CAPBSET_DROP needs CAP_SETPCAP in effective (prctl(2)). Is it still there "
           "when your code drops the bounding set, with --cap-drop ALL?")
def drop_all():
    result = run("/bin/probe", "caps", options=["--cap-drop", "ALL"])
    if result.returncode != 0:
        raise Wrong(f"with --cap-drop ALL the container did not start (exit status "
                    f"{result.returncode}): {result.stderr.strip()}")
    seen = sets(dict(kv.split("=", 1) for kv in result.stdout.split()))
    said = wrong_sets(seen, {k: 0 for k in seen}, "With --cap-drop ALL")
    if said:
        raise Wrong(said)


@check("--cap-drop ALL --user 1000:1000: the command runs as uid 1000, with every set 0",
       ask="switch_user() calls setgroups(2), setresgid(2) and setresuid(2) after your "
           "drop: which capabilities do they need, and in which sets must they be then? "
           "Which set must never hold them?")
def user_without_caps():
    options = ["--cap-drop", "ALL", "--user", "1000:1000"]
    result = run("/bin/probe", "ids", options=options)
    if result.returncode != 0:
        raise Wrong(f"with {' '.join(options)} the container did not start (exit status "
                    f"{result.returncode}): {result.stderr.strip()}")
    if "uid=1000 " not in result.stdout:
        raise Wrong(f"with {' '.join(options)} the command ran as {result.stdout.strip()}; "
                    "expected uid=1000.")
    seen = caps(options)
    said = wrong_sets(seen, {k: 0 for k in seen}, f"With {' '.join(options)}")
    if said:
        raise Wrong(said)
