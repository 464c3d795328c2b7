#!/usr/bin/env python3
"""01-chroot: the rootfs becomes "/". Checked in every chapter from 01 on."""
import os
import sys
import tempfile
from pathlib import Path
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import harness as h  # noqa: E402


@h.check("`ls /` lists the rootfs, not the host's /")
def ls_shows_rootfs(chapter):
    seen = h.run_ok(chapter, "ls", "-a", "/").stdout.split()
    wanted = sorted(os.listdir(h.ROOTFS) + [".", ".."])
    h.expect_equal(sorted(seen), wanted, "ls -a / inside")


@h.check("a file of the host, outside the rootfs, is not there by its path")
def host_file_hidden(chapter):
    with h.host_secret() as secret:
        answer = h.probe(chapter, "exists", str(secret))
        h.expect_equal(answer.get("exists"), "no", f"{secret} seen from inside")
        answer = h.run(chapter, "cat", str(secret))
        h.expect("host-secret" not in answer.stdout, f"cat {secret} inside printed the secret")


@h.check("the command starts inside its new root: `pwd` prints /, `ls` lists the rootfs")
def starts_inside(chapter):
    # Started from a host directory holding one file: a command left
    # standing there, outside its root, would list that file.
    with tempfile.TemporaryDirectory(prefix="unshared-cwd.") as d:
        Path(d, "host-working-directory").touch()
        here = os.getcwd()
        os.chdir(d)
        try:
            pwd = h.run_ok(chapter, "pwd", "-P").stdout.strip()
            listed = sorted(h.run_ok(chapter, "ls", "-a").stdout.split())
        finally:
            os.chdir(here)
    h.expect_equal(pwd, "/", "pwd -P inside")
    h.expect_equal(listed, sorted(os.listdir(h.ROOTFS) + [".", ".."]), "ls -a inside")


if __name__ == "__main__":
    h.main()
