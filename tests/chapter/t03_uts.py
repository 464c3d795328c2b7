#!/usr/bin/env python3
"""03-uts: the container's own hostname and domain name."""
import os
import re
import sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import harness as h  # noqa: E402

FROM = h.chapters_from("03-uts")


@h.check("`hostname` inside prints the name given with --hostname", FROM)
def hostname_inside(chapter):
    out = h.run_ok(chapter, "hostname", options=["--hostname", "web1"]).stdout.strip()
    h.expect_equal(out, "web1", "hostname inside")


@h.check("without --hostname the container gets a generated name, not the host's", FROM)
def generated_hostname(chapter):
    out = h.run_ok(chapter, "hostname").stdout.strip()
    h.expect(re.fullmatch(r"unshared-[0-9a-f]{4}", out) is not None,
             f"hostname inside is {out!r}, expected unshared-XXXX")


@h.check("`domainname` inside prints the name given with --domainname", FROM)
def domainname_inside(chapter):
    answer = h.probe(chapter, "domainname", options=["--domainname", "lab.example"])
    h.expect_equal(answer.get("domainname"), "lab.example", "domain name inside")


@h.check("the host keeps its hostname after the container ran `hostname evil`", FROM)
def host_hostname_unchanged(chapter):
    before = h.host_hostname()
    h.run(chapter, "hostname", "evil")
    h.expect_equal(h.host_hostname(), before, "the host's hostname")


@h.check("a hostname over 64 bytes is refused with one line and exit status 2", FROM)
def hostname_too_long(chapter):
    result = h.run(chapter, "true", options=["--hostname", "x" * 65])
    h.expect_equal(result.returncode, 2, "exit status")
    h.expect_equal(len(result.stderr.strip().splitlines()), 1, "lines of error message")
    h.expect("64" in result.stderr, f"message does not say the limit: {result.stderr.strip()}")


@h.check("a 64-byte hostname, the longest the kernel takes, is set in full", FROM)
def longest_hostname(chapter):
    name = "h" + "0123456789abcdef" * 3 + "0123456789abcde"
    out = h.run_ok(chapter, "hostname", options=["--hostname", name]).stdout.strip()
    h.expect_equal(out, name, "hostname inside")


if __name__ == "__main__":
    h.main()
