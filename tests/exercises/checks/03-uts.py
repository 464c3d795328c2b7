"""Exercise 03-uts: the container's hostname, in its own UTS namespace."""
import os

from checker import Wrong, check, printed, run, run_ok

# 64 bytes, HOST_NAME_MAX: the longest name sethostname(2) takes.
LONGEST = "h" + "0123456789abcdef" * 3 + "0123456789abcde"


@check("`hostname` inside prints the name given with --hostname",
       ask="Which call names the container, and what are its two arguments (sethostname(2))? "
           "What name does a new UTS namespace start with (uts_namespaces(7))?")
def named_as_asked():
    out = run_ok("hostname", options=["--hostname", "web1"]).stdout.strip()
    if out == os.uname().nodename:
        raise Wrong(f"`hostname` inside printed {out}, the host's own name (a new UTS namespace "
                    "starts with a copy of its parent's); expected web1.")
    if out != "web1":
        raise Wrong(f"`hostname` inside printed {printed(out)}; expected web1.")


@check("a 64-byte hostname, the longest the kernel takes, is set in full",
       ask="How many bytes does sethostname(2) want for a name: with or without a terminating "
           "NUL? What does it answer for more than HOST_NAME_MAX (sethostname(2), ERRORS)?")
def longest_name():
    result = run("hostname", options=["--hostname", LONGEST])
    if result.returncode != 0:
        said = printed(result.stderr or result.stdout)
        raise Wrong(f"with a 64-byte --hostname the container did not start (exit status "
                    f"{result.returncode}): {said}")
    out = result.stdout.strip()
    if out != LONGEST:
        raise Wrong(f"`hostname` inside printed {len(out)} bytes ({printed(out)}); expected all "
                    f"64 of {LONGEST}.")
