"""Exercise 01-chroot: "/" becomes the rootfs, and the command starts inside it."""
import os

from checker import ROOTFS, Wrong, check, host_directory, printed, run_ok, run_started, words


def rootfs_listing():
    return sorted(os.listdir(ROOTFS) + [".", ".."])


@check("`ls -a /` lists the rootfs, not the host's /",
       ask="Which call changes what \"/\" means for a process, and what does it take as its "
           "argument (chroot(2))? Relative to what is a path like \".\" resolved?")
def slash_is_the_rootfs():
    seen = sorted(run_ok("ls", "-a", "/").stdout.split())
    if seen != rootfs_listing():
        raise Wrong(f"`ls -a /` inside listed {words(seen)}; expected the rootfs: "
                    f"{words(rootfs_listing())}.")


@check("the command starts inside its new root: `pwd` prints / and `ls` lists the rootfs",
       ask="chroot(2) changes what \"/\" means, not where the process stands: where is the "
           "working directory when the command starts? (chroot(2), NOTES)")
def starts_inside():
    # The runtime is started from a host directory holding one file: a
    # command left standing there lists that file.
    with host_directory() as cwd:
        pwd = run_started("pwd", "-P", cwd=cwd)
        ls = run_started("ls", "-a", cwd=cwd)
    wrong = []
    if pwd.stdout.strip() != "/":
        said = f" (it said: {printed(pwd.stderr)})" if pwd.stderr.strip() else ""
        wrong.append(f"`pwd -P` inside printed {printed(pwd.stdout)}{said}; expected /.")
    seen = sorted(ls.stdout.split())
    if seen != rootfs_listing():
        wrong.append(f"`ls -a` (no path: the working directory) inside listed {words(seen)}; "
                     f"expected the rootfs: {words(rootfs_listing())}.")
    if wrong:
        raise Wrong(" And ".join(wrong))
