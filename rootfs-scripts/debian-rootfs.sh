#!/bin/sh
# debian-rootfs.sh DIR [SUITE] [PROBE]: a real distribution as the rootfs.
#
# The busybox rootfs is small and fast; this one is what a container image
# usually holds: a minimal Debian (debootstrap --variant=minbase, about
# 150 MB, a few minutes), with apt, bash and coreutils. Use it with any
# chapter: sudo build/bin/05-pid --rootfs DIR -- bash
#
# Needs root (debootstrap creates device nodes and files owned by other
# users) and Debian's package archive. SUITE defaults to bookworm.
set -eu
dir=${1:?usage: debian-rootfs.sh DIR [SUITE] [PROBE]}
suite=${2:-bookworm}
probe=${3:-}
if [ "$(id -u)" != 0 ]; then
    echo "debian-rootfs.sh: debootstrap needs root: sudo $0 $*" >&2
    exit 2
fi
command -v debootstrap >/dev/null || { echo "debian-rootfs.sh: apt-get install debootstrap" >&2; exit 2; }
if [ -e "$dir/etc/debian_version" ]; then
    echo "rootfs already there: $dir (remove it to build it again)"
else
    debootstrap --variant=minbase "$suite" "$dir"
fi
echo "debian-$suite" > "$dir/etc/hostname"
if [ -n "$probe" ]; then
    install -m 755 "$probe" "$dir/usr/local/bin/probe"
fi
echo "rootfs ready: $dir ($(du -sh "$dir" | cut -f1))"
