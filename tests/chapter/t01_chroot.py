#!/usr/bin/env python3
"""01-chroot: the rootfs becomes "/". Checked in every chapter from 01 on."""
import os
import sys
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


if __name__ == "__main__":
    h.main()
