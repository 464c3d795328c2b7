#!/bin/sh
# busybox-rootfs.sh DIR [PROBE]: builds the default rootfs of the chapters.
#
# A root filesystem is just a directory tree with the programs and files a
# command expects. This one is about 2 MB: one static busybox binary (from
# Debian's busybox-static package) that is also ls, sh, ps, hostname...
# through links, the few files in /etc that tools read, and empty mount
# points for /proc, /sys, /dev and /tmp (and /mnt, for volumes: -v). PROBE,
# if given, is copied to /bin/probe (the tests ask it questions from inside
# the container) and linked as /usr/bin/ipcs, an applet this busybox lacks.
#
# Offline and rootless: it uses the installed /bin/busybox when it is the
# static one, else `apt-get download busybox-static` (Debian's archive only)
# unpacked with dpkg-deb. Rebuilding is idempotent: the directory is made
# anew in a temporary place and swapped in.
set -eu

dir=${1:?usage: busybox-rootfs.sh DIR [PROBE]}
probe=${2:-}
if [ -n "$probe" ]; then probe=$(cd "$(dirname "$probe")" && pwd)/$(basename "$probe"); fi
work=$(mktemp -d)  # scratch space for a downloaded package
trap 'rm -rf "$work"' EXIT

find_static_busybox() {
    for candidate in /bin/busybox /usr/bin/busybox; do
        if [ -x "$candidate" ] && file_is_static "$candidate"; then
            echo "$candidate"
            return 0
        fi
    done
    # Not installed (or the dynamic build): fetch Debian's package, no root needed.
    (cd "$work" && apt-get download busybox-static >/dev/null 2>&1) || {
        echo "busybox-rootfs.sh: no static busybox; install it: apt-get install busybox-static" >&2
        exit 1
    }
    dpkg-deb -x "$work"/busybox-static_*.deb "$work/pkg"
    echo "$work/pkg/bin/busybox"
}

# ldd(1) says "not a dynamic executable" for a static binary: it needs no
# libc from the rootfs, which has none.
file_is_static() {
    LC_ALL=C ldd "$1" 2>&1 | grep -q "not a dynamic executable"
}

busybox=$(find_static_busybox)
new="$dir.new.$$"
rm -rf "$new"
mkdir -p "$new"
cd "$new"
mkdir -p bin sbin usr/bin usr/sbin etc root tmp proc sys dev run var/tmp home mnt
chmod 1777 tmp var/tmp
chmod 700 root
cp "$busybox" bin/busybox
# One link per applet, relative so they resolve inside the rootfs too.
for applet in $(bin/busybox --list-full); do
    case "$applet" in
        bin/busybox) continue ;;
    esac
    up=$(echo "$applet" | sed 's|[^/]*/|../|g; s|[^/]*$||')
    [ -e "$applet" ] || ln -s "${up}bin/busybox" "$applet"
done

cat > etc/passwd <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > etc/group <<'GROUP'
root:x:0:
tty:x:5:
nogroup:x:65534:
GROUP
echo "rootfs" > etc/hostname
printf '127.0.0.1 localhost\n::1 localhost\n' > etc/hosts
# From 06-net on the runtime binds a resolv.conf of its own over this one
# (and its own hosts over the one above): it only mounts over files that exist.
echo "# no nameserver: the rootfs has no network of its own" > etc/resolv.conf
echo "unshared busybox rootfs" > etc/motd
if [ -n "$probe" ]; then
    cp "$probe" bin/probe
    chmod 755 bin/probe
    # Debian's static busybox has no ipcs applet: the probe plays it.
    [ -e usr/bin/ipcs ] || ln -s ../../bin/probe usr/bin/ipcs
fi
touch .unshared-rootfs

cd - >/dev/null
rm -rf "$dir.old"
[ -e "$dir" ] && mv "$dir" "$dir.old"
mv "$new" "$dir"
rm -rf "$dir.old"
echo "rootfs ready: $dir ($(du -sh "$dir" | cut -f1))"
