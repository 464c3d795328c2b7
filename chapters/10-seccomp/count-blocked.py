#!/usr/bin/env python3
"""How many system calls does a Docker-format profile block on this machine?

    chapters/10-seccomp/count-blocked.py [PROFILE] [--caps CAP,...] [--list]

PROFILE defaults to profiles/default.json; --caps to Docker's 14. The rules
are kept or dropped as Docker's engine (and common/seccomp_profile.cpp)
decides them: includes need every cap listed, the native architecture, a
kernel at least minKernel; excludes drop a rule if any cap listed is held,
on an architecture listed, on a kernel at least minKernel. Then every
number libseccomp knows for the native architecture (seccomp_syscall_
resolve_num_arch(3), here through ctypes) is one of:
  allowed     a rule without argument tests allows it
  argument    allowed only for some argument values (clone, socket, ...)
  blocked     no rule allows it: the default action (or an ERRNO rule) answers
A teaching tool, not a test: it reads the JSON itself and counts names.
"""
import ctypes
import json
import os
import platform
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCKER_CAPS = ("CAP_CHOWN CAP_DAC_OVERRIDE CAP_FSETID CAP_FOWNER CAP_MKNOD CAP_NET_RAW "
               "CAP_SETGID CAP_SETUID CAP_SETFCAP CAP_SETPCAP CAP_NET_BIND_SERVICE "
               "CAP_SYS_CHROOT CAP_KILL CAP_AUDIT_WRITE").split()
NATIVE = {"x86_64": "amd64", "aarch64": "arm64", "s390x": "s390x", "riscv64": "riscv64"}


def kernel():
    major, minor = platform.release().split(".")[:2]
    return int(major), int("".join(c for c in minor if c.isdigit()))


def version(text):
    major, minor = text.split(".")[:2]
    return int(major), int(minor)


def applies(rule, caps, arch, running):
    inc, exc = rule.get("includes") or {}, rule.get("excludes") or {}
    if any(c not in caps for c in inc.get("caps") or []):
        return False
    if inc.get("arches") and arch not in inc["arches"]:
        return False
    if inc.get("minKernel") and running < version(inc["minKernel"]):
        return False
    if any(c in caps for c in exc.get("caps") or []):
        return False
    if exc.get("arches") and arch in exc["arches"]:
        return False
    if exc.get("minKernel") and running >= version(exc["minKernel"]):
        return False
    return True


def native_syscalls():
    """{number: name} of every system call libseccomp knows for this machine."""
    lib = ctypes.CDLL("libseccomp.so.2")
    lib.seccomp_syscall_resolve_num_arch.restype = ctypes.c_void_p
    lib.seccomp_arch_native.restype = ctypes.c_uint32
    native = lib.seccomp_arch_native()
    names = {}
    for number in range(1024):
        pointer = lib.seccomp_syscall_resolve_num_arch(ctypes.c_uint32(native), number)
        if pointer:
            names[number] = ctypes.string_at(pointer).decode()
            ctypes.CDLL(None).free(ctypes.c_void_p(pointer))
    return names


def main():
    args = sys.argv[1:]
    show = "--list" in args
    caps = DOCKER_CAPS
    if "--caps" in args:
        caps = [c if c.startswith("CAP_") else "CAP_" + c
                for c in args[args.index("--caps") + 1].upper().split(",") if c]
        del args[args.index("--caps"):args.index("--caps") + 2]
    files = [a for a in args if not a.startswith("--")]
    path = files[0] if files else os.path.join(TOP, "profiles", "default.json")
    profile = json.load(open(path))
    arch, running = NATIVE.get(platform.machine(), platform.machine()), kernel()
    allowed, argument = set(), set()
    for rule in profile.get("syscalls") or []:
        if rule.get("action") != "SCMP_ACT_ALLOW" or not applies(rule, caps, arch, running):
            continue
        (argument if rule.get("args") else allowed).update(rule.get("names") or [])
    calls = native_syscalls().values()
    verdict = {name: "allowed" if name in allowed else "argument" if name in argument
               else "blocked" for name in calls}
    counts = {v: sum(1 for x in verdict.values() if x == v)
              for v in ("allowed", "argument", "blocked")}
    shown = os.path.relpath(path) if not os.path.relpath(path).startswith("..") else path
    print(f"{shown}: {len(verdict)} system calls on {platform.machine()} (libseccomp's table), "
          f"{len(caps)} capabilities, kernel {running[0]}.{running[1]}: "
          f"{counts['allowed']} allowed, {counts['argument']} allowed for some arguments, "
          f"{counts['blocked']} blocked")
    if show:
        for kind in ("argument", "blocked"):
            print(f"{kind}: " + " ".join(sorted(n for n, v in verdict.items() if v == kind)))


if __name__ == "__main__":
    main()
