"""Exercise 10-seccomp: the kernel's filter, built from the default profile."""
from checker import Wrong, check, printed, probe, run

# The container's ids, given as the lesson gives them by hand: the checks
# then need no user `unshared` in /etc/subuid.
MAPS = ["--uid-map", "0:100000:65536", "--gid-map", "0:100000:65536"]


def errnos(*names):
    answer = probe("errno", *names, options=MAPS)
    return {n: answer.get(n, "(no answer)") for n in names}


def expect(seen, wanted, what):
    wrong = [f"{n} got {seen[n]} (expected {w})" for n, w in wanted.items() if seen[n] != w]
    if wrong:
        raise Wrong(f"{what}: " + "; ".join(wrong) + ".")


@check("a call the profile does not allow fails with EPERM: keyctl, add_key, userfaultfd, "
       "unshare(CLONE_NEWUSER)",
       ask="Docker's profile is an allowlist: it names what may run. What does the kernel "
           "answer to every call it does not name, and which call of libseccomp decides it "
           "(seccomp_init(3))?")
def allowlist():
    seen = errnos("keyctl", "add_key", "userfaultfd", "unshare_user")
    expect(seen, {n: "EPERM" for n in seen}, "under the default profile")


@check("the container starts, and a shell runs commands under the filter (fork, exec, ls)",
       ask="Where does the filter get loaded, and by which process: the runtime, or the "
           "container's child, last, after its capabilities are dropped and no_new_privs is "
           "set? And do your argument tests let a plain fork (clone without CLONE_NEW* "
           "flags) through?")
def commands_run():
    result = run("sh", "-c", "ls / >/dev/null && echo ran", options=MAPS)
    if result.returncode != 0 or result.stdout.strip() != "ran":
        raise Wrong(f"`sh -c 'ls / && echo ran'` exited {result.returncode} and printed "
                    f"{printed(result.stdout + result.stderr)}; expected `ran`.")


@check("argument tests hold: clone with CLONE_NEWUSER, personality(ADDR_NO_RANDOMIZE) and "
       "socket(AF_VSOCK) are refused; fork, the personality query and AF_INET are allowed",
       ask="A rule with argument tests allows a call only for some values of its arguments. "
           "Did every test of the profile reach seccomp_rule_add_array(3), as "
           "{index, op, datum_a, datum_b}?")
def argument_tests():
    seen = errnos("clone_newuser", "fork", "personality_addr_no_randomize",
                  "personality_query", "socket_vsock", "socket_inet")
    expect(seen, {"clone_newuser": "EPERM", "fork": "OK", "personality_addr_no_randomize": "EPERM",
                  "personality_query": "OK", "socket_vsock": "EPERM", "socket_inet": "OK"},
           "under the default profile")


@check("32-bit calls are filtered like 64-bit ones: getpid through int 0x80 works, keyctl "
       "through int 0x80 gets EPERM",
       ask="A filter only decides the calls of its own architectures; what does the kernel do "
           "with a call from another one (SCMP_FLTATR_ACT_BADARCH in seccomp_attr_set(3))? "
           "Which architectures does the profile's archMap give x86-64?")
def other_architectures():
    seen = errnos("int80_getpid", "int80_keyctl")
    if "SIGSYS" in seen.values():
        raise Wrong("a 32-bit call (int 0x80) killed the process with SIGSYS: the filter does "
                    f"not cover the x86 architecture ({seen}); expected getpid OK and keyctl "
                    "EPERM.")
    expect(seen, {"int80_getpid": "OK", "int80_keyctl": "EPERM"}, "through int 0x80")
