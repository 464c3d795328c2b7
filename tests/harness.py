"""harness.py: what the chapter and attack tests share.

The tests are black-box: they run the real chapter binaries on the real
rootfs and look at what a learner would see (the output of hostname, ps,
ipcs, ls) or ask the probe, a small static program in the rootfs that
answers one question per line ("hostname=web1").

They run inside a lab (tests/lab): fresh UTS, IPC, network and mount
namespaces that stand for "the host". So "the host's hostname" below is
the lab's, and an attack that succeeds changes the lab, never the machine.

A test file defines checks with @check("what a learner should see") and
ends with `harness.main()`. Each check runs for each chapter it applies to;
failed expectations raise Failed with a sentence a learner can act on.
Exit status: 0 all pass, 1 some fail, 77 skipped (ctest SKIP_RETURN_CODE).
"""

import fcntl
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from contextlib import contextmanager, nullcontext
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
BIN = Path(os.environ.get("UNSHARED_BIN", TOP / "build" / "bin"))
ROOTFS = Path(os.environ.get("UNSHARED_ROOTFS", TOP / "build" / "rootfs"))
# The one list of chapters, written by CMake from the chapters/ folders.
CHAPTER_LIST = Path(os.environ.get("UNSHARED_CHAPTER_LIST", BIN.parent / "chapters.txt"))
ALL_CHAPTERS = CHAPTER_LIST.read_text().split() if CHAPTER_LIST.exists() else sorted(
    p.parent.name for p in (TOP / "chapters").glob("[0-9][0-9]-*/main.cpp"))
# UNSHARED_CHAPTERS limits the run to some chapters (exercises/check uses it).
CHAPTERS = [c for c in os.environ.get("UNSHARED_CHAPTERS", " ".join(ALL_CHAPTERS)).split()
            if (BIN / c).exists()]
SKIP = 77


class Failed(Exception):
    """An expectation that did not hold; the message says what was seen."""


def number(chapter):
    return int(chapter[:2])


def chapters_from(first):
    """The chapters that have the mechanism of `first` (chapter N has all of N-1)."""
    return [c for c in CHAPTERS if number(c) >= number(first)]


def may_mount(chapter):
    """Options that give the container's root the power to mount, for the
    checks of a chapter before 09 that mount inside: 09 drops CAP_SYS_ADMIN,
    and 11's Landlock refuses mount(2) whatever the capabilities."""
    options = ["--cap-add", "SYS_ADMIN"] if number(chapter) >= 9 else []
    return options + (["--no-landlock"] if number(chapter) >= 11 else [])


def chapters_before(first):
    return [c for c in CHAPTERS if number(c) < number(first)]


# --- running chapters ---------------------------------------------------------

def run(chapter, *command, options=(), timeout=30, rootfs=None, pass_fds=(), user=None,
        cgroup=()):
    """Runs `chapter [options] --rootfs R -- command`; returns CompletedProcess.
    `pass_fds`: open fds the chapter inherits besides 0-2 (subprocess closes the rest).
    `user`: a user name; the chapter then runs as that user (rootless), not as root.
    `cgroup`: cgroup directories (cgroup_fence) the chapter starts in."""
    argv = [str(BIN / chapter), *options, "--rootfs", str(rootfs or ROOTFS)]
    if command:
        argv += ["--", *command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, pass_fds=pass_fds,
                          preexec_fn=_joining(cgroup, _become(user)), cwd="/" if user else None)


def run_ok(chapter, *command, **kw):
    """Like run, but the command must exit 0."""
    result = run(chapter, *command, **kw)
    if result.returncode != 0:
        raise Failed(f"{chapter} -- {' '.join(command)} exited {result.returncode}: "
                     f"{(result.stderr or result.stdout).strip()}")
    return result


def probe(chapter, *question, **kw):
    """Asks the probe in the container; returns its key=value answers as a dict."""
    out = run_ok(chapter, "/bin/probe", *question, **kw).stdout
    return dict(re.findall(r"(\w+)=(\S*)", out))


def start(chapter, *command, options=(), user=None):
    """Starts a chapter in the background; returns the Popen. `user` as for run()."""
    argv = [str(BIN / chapter), *options, "--rootfs", str(ROOTFS), "--", *command]
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_become(user),
                            cwd="/" if user else None)


def _joining(cgroup, then):
    """A preexec_fn that moves the child into the cgroup directories `cgroup`
    (its pid into each cgroup.procs), then runs `then`; `then` if none."""
    if not cgroup:
        return then
    files = [str(Path(d) / "cgroup.procs") for d in cgroup]

    def join():
        for file in files:
            fd = os.open(file, os.O_WRONLY)
            try:
                os.write(fd, str(os.getpid()).encode())
            finally:
                os.close(fd)
        if then:
            then()
    return join


def _become(name):
    """A preexec_fn that makes the child `name` (its groups, gid, then uid, as
    login(1) does), or None for "stay root". Computed here, in the parent:
    between fork and exec only the three calls run."""
    if name is None:
        return None
    account = pwd.getpwnam(name)
    groups = os.getgrouplist(name, account.pw_gid)

    def become():
        os.setgroups(groups)
        os.setgid(account.pw_gid)  # real, effective and saved: we are root
        os.setuid(account.pw_uid)
    return become


# --- the lab, seen as "the host" ----------------------------------------------

def host_hostname():
    return os.uname().nodename


def host_mounts():
    """Mount points of the lab (the test's own mount namespace)."""
    with open("/proc/self/mountinfo") as f:
        return sorted(line.split()[4] for line in f)


def processes():
    return {int(p) for p in os.listdir("/proc") if p.isdigit()}


def descendants_of(pid):
    """Every live process whose ancestry leads to `pid`."""
    parents = {}
    for p in processes():
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
            parents[p] = int(stat[stat.rindex(")") + 2:].split()[1])
        except (OSError, ValueError):
            pass
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def wait_for_descendant(pid, name, timeout=10):
    """Waits until a process called `name` runs under `pid`; returns its pid."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in descendants_of(pid):
            try:
                if Path(f"/proc/{p}/comm").read_text().strip() == name:
                    return p
            except OSError:
                pass
        time.sleep(0.02)
    raise Failed(f"no {name} process started under the runtime within {timeout} s; "
                 f"where it waits: {where_waiting(pid)}")


def where_waiting(pid):
    """Each process of the tree, its state and the kernel function it sleeps
    in (/proc/PID/wchan), for a failure message: what a hang waits for."""
    seen = []
    for p in sorted({pid, *descendants_of(pid)}):
        try:
            comm = Path(f"/proc/{p}/comm").read_text().strip()
            stat = Path(f"/proc/{p}/stat").read_text()
            state = stat[stat.rindex(")") + 2:].split()[0]
            wchan = Path(f"/proc/{p}/wchan").read_text().strip() or "-"
            seen.append(f"{p} {comm} {state} {wchan}")
        except (OSError, ValueError):
            pass
    return "; ".join(seen) or "(no process left)"


@contextmanager
def host_secret():
    """A file on "the host", outside the rootfs, that no container should read.
    It lives in a tmpfs of the lab (lab_tmpfs), so nothing is written to the
    machine, and it is outside the rootfs even when the checkout is under /tmp."""
    with lab_tmpfs() as d:
        path = d / "secret"
        path.write_text("host-secret-42\n")
        yield path


@contextmanager
def sentinel():
    """A process on "the host" that containers should neither see nor signal."""
    proc = subprocess.Popen(["sleep", "1000"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


@contextmanager
def host_shm_segment(text="host-shm-secret"):
    """A System V shared memory segment on "the host" holding `text`, as
    `ipcmk -M 4096` makes one; yields its key. Removed afterwards."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    IPC_CREAT, IPC_EXCL, IPC_RMID = 0o1000, 0o2000, 0
    key = 0x5EC00000 + os.getpid() % 0xFFFF
    shmid = libc.shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0o600)
    expect(shmid >= 0, f"shmget(0x{key:x}) on the host failed: errno {ctypes.get_errno()}")
    try:
        address = libc.shmat(shmid, None, 0)
        ctypes.memmove(address, text.encode() + b"\0", len(text) + 1)
        libc.shmdt(ctypes.c_void_p(address))
        yield key
    finally:
        libc.shmctl(shmid, IPC_RMID, None)


_services = {"made": 0}


@contextmanager
def host_service(text, abstract=False):
    """A service of "the host" that answers every connection with `text`:
    on the lab's 127.0.0.1 (its loopback, brought up), or on an abstract
    unix socket (unix(7): a name in the network namespace, no file). Yields
    the port, or the socket's name without its leading NUL byte."""
    import socket
    import threading
    if abstract:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        _services["made"] += 1  # a name of its own: the last one may linger a moment
        name = f"unshared-lab-{os.getpid()}-{_services['made']}"
        server.bind("\0" + name)
    else:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.bind(("127.0.0.1", 0))
        name = server.getsockname()[1]
    server.listen(8)

    def serve():
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return  # closed: the check is over
            with client:
                client.sendall(text.encode() + b"\n")
    threading.Thread(target=serve, daemon=True).start()
    try:
        yield name
    finally:
        try:
            server.shutdown(socket.SHUT_RDWR)  # wakes the accept() of serve()
        except OSError:
            pass
        server.close()


@contextmanager
def host_interface(name="lab-secret0"):
    """A network interface of "the host" (one end of a veth pair in the lab);
    removed afterwards, with its peer."""
    subprocess.run(["ip", "link", "add", name, "type", "veth", "peer", "name", name + "p"],
                   check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "link", "del", name], check=False)


def host_shm_keys():
    """The keys of the shared memory segments "the host" sees, from ipcs -m."""
    out = subprocess.run(["ipcs", "-m"], capture_output=True, text=True).stdout
    return set(re.findall(r"^(0x[0-9a-f]+)", out, re.M))


# --- users: rootless runs, and the ids chapter 07 maps root's containers to -----

SUBID_FILES = (Path("/etc/subuid"), Path("/etc/subgid"))
_users_made = [0]


def _userdel(name, *flags):
    """userdel, retried while a process of the user is still going away."""
    for _ in range(50):
        done = subprocess.run(["userdel", *flags, name], capture_output=True, text=True)
        if done.returncode == 0:
            return
        if "currently used by process" not in done.stderr:
            raise Failed(f"userdel {name}: {done.stderr.strip()}")
        time.sleep(0.1)
    raise Failed(f"userdel {name}: a process of {name} is still running")


def _restore_subids(saved, name):
    """Puts /etc/subuid and /etc/subgid back as they were, byte for byte.
    userdel removes the user's lines itself; this checks it did, removes any
    line of `name` left over, and fails if anything else changed."""
    for path, before in saved.items():
        now = path.read_bytes()
        if now == before:
            continue
        kept = b"".join(line for line in now.splitlines(keepends=True)
                        if not line.startswith(name.encode() + b":"))
        if kept == before:
            path.write_bytes(kept)
            continue
        raise Failed(f"{path} changed while the test ran, beyond the lines of {name}")


@contextmanager
def throwaway_user(supplementary_group=False):
    """A user made for one check with `useradd -m`, which also gives it a range
    in /etc/subuid and /etc/subgid (login.defs SUB_UID_COUNT). With
    `supplementary_group`, it is also a member of a group made for it (the
    group's name is the user's plus "-g"). Yields the user's name; removes
    the user, its home, its group(s) with userdel -r (and groupdel) on every
    exit path, and leaves /etc/subuid and /etc/subgid as they were."""
    _users_made[0] += 1
    name = f"unshared-t{os.getpid()}-{_users_made[0]}"
    group = name + "-g"
    saved = {path: path.read_bytes() for path in SUBID_FILES}
    made_user = made_group = False
    try:
        extra = []
        if supplementary_group:
            subprocess.run(["groupadd", group], check=True, capture_output=True)
            made_group = True
            extra = ["-G", group]
        subprocess.run(["useradd", "-m", "-s", "/bin/sh", *extra, name], check=True,
                       capture_output=True)
        made_user = True
        yield name
    finally:
        if made_user:
            _userdel(name, "-r")
        if made_group:
            subprocess.run(["groupdel", group], check=True, capture_output=True)
        _restore_subids(saved, name)


# The user whose subordinate ids chapter 07 maps a root-started container to.
# quickstart makes it (`./quickstart user`); the tests must not depend on
# that, so dedicated_user() makes it when it is missing, and the last test
# process that used it removes what the tests made. Test processes may run
# at once (ctest -j): each holds a shared flock(2) on LOCK while it uses the
# user; creating and removing need the exclusive lock, and MARK says the
# tests made it (what to undo). A SIGKILLed test leaves MARK: the next one
# out removes it. LOCK and MARK are machine-wide like the user, in a
# directory of root's that every lab shares: tests/lab gives each lab a /run
# of its own, where a lock would not see another lab's tests, and /tmp or
# /var/tmp would let any user plant a link where root writes MARK.
DEDICATED_USER = "unshared"
_DEDICATED_DIR = Path("/var/lib/unshared-tests")
_DEDICATED_LOCK = _DEDICATED_DIR / "user.lock"
_DEDICATED_MARK = _DEDICATED_DIR / "user.made"


def _dedicated_ready():
    def has_line(path):
        return path.exists() and any(line.startswith(DEDICATED_USER + ":")
                                     for line in path.read_text().splitlines())
    return all(has_line(path) for path in SUBID_FILES)


def _user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _make_dedicated_user():
    existed = _user_exists(DEDICATED_USER)
    done = subprocess.run([str(TOP / "quickstart"), "user"], capture_output=True, text=True)
    expect(done.returncode == 0 and _dedicated_ready(),
           f"quickstart user could not make the user {DEDICATED_USER}: "
           f"{(done.stderr or done.stdout).strip()}")
    _DEDICATED_MARK.write_text("user\n" if not existed else "ranges\n")


def _remove_dedicated_user():
    what = _DEDICATED_MARK.read_text().strip()
    if what == "user":
        _userdel(DEDICATED_USER)
    else:  # the user was there before the tests: take back only its ranges
        for path, option in zip(SUBID_FILES, ("--del-subuids", "--del-subgids")):
            for line in path.read_text().splitlines():
                if line.startswith(DEDICATED_USER + ":"):
                    _, first, count = line.split(":")
                    subprocess.run(["usermod", option, f"{first}-{int(first) + int(count) - 1}",
                                    DEDICATED_USER], check=True, capture_output=True)
    _DEDICATED_MARK.unlink()


@contextmanager
def dedicated_user():
    """The user `unshared` with its /etc/subuid and /etc/subgid ranges, for as
    long as the block runs (made if missing; see above)."""
    _DEDICATED_DIR.mkdir(mode=0o700, exist_ok=True)
    with open(_DEDICATED_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not _dedicated_ready():
                _make_dedicated_user()
            fcntl.flock(lock, fcntl.LOCK_SH)
            yield DEDICATED_USER
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pass  # another test process still uses it: the last one out cleans up
            else:
                if _DEDICATED_MARK.exists():
                    _remove_dedicated_user()
                fcntl.flock(lock, fcntl.LOCK_UN)


def subordinate_range(name, path=Path("/etc/subuid")):
    """(first, count) of the first range of `name` in /etc/subuid (or `path`)."""
    for line in path.read_text().splitlines():
        fields = line.split(":")
        if len(fields) == 3 and fields[0] == name:
            return int(fields[1]), int(fields[2])
    raise Failed(f"{path} has no range for {name}")


def container_root_uid(chapter):
    """The host uid the container's root is, run by root: 0 before chapter 07,
    then the first id of the range of the user `unshared`."""
    return 0 if number(chapter) < 7 else subordinate_range(DEDICATED_USER)[0]


def host_owner(path):
    """The (uid, gid) that own `path`, as the host sees them."""
    st = os.stat(path)
    return st.st_uid, st.st_gid


# --- expectations ----------------------------------------------------------------

def expect(condition, message):
    if not condition:
        raise Failed(message)


def expect_equal(seen, wanted, what):
    if seen == wanted:
        return
    if isinstance(seen, (list, set)) and isinstance(wanted, (list, set)):
        extra, missing = set(seen) - set(wanted), set(wanted) - set(seen)
        raise Failed(f"{what}: unexpected {sorted(extra)[:5]}, missing {sorted(missing)[:5]}")
    raise Failed(f"{what}: expected {wanted!r}, saw {seen!r}")


# --- the runner ----------------------------------------------------------------------

_CHECKS = []


def check(description, chapters=None):
    """Registers a check. `chapters`: a list, or None for every chapter."""
    def register(fn):
        _CHECKS.append((description, fn, chapters))
        return fn
    return register


def _colour(code, text):
    if sys.stdout.isatty() or os.environ.get("UNSHARED_COLOUR"):
        return f"\033[{code}m{text}\033[0m"
    return text


def main():
    if os.geteuid() != 0:
        print("SKIP: these tests need root (they create namespaces and mounts)")
        sys.exit(SKIP)
    if not CHAPTERS:
        print(f"SKIP: no chapter binary in {BIN}")
        sys.exit(SKIP)
    # Root's containers in 07 and later take their ids from the user `unshared`.
    later = any(number(c) >= 7 for c in CHAPTERS)
    with cgroup_parent(), (dedicated_user() if later else nullcontext()):
        passed, failures, skipped = _run_checks()
    total = passed + len(failures)
    if failures:
        print(f"\n{passed} of {total} checks pass: {failures[0][0]}")
    if skipped:
        print(f"{passed} passed, {len(failures)} failed, {len(skipped)} skipped: "
              f"{skipped[0][0]}: {skipped[0][1]}")
    else:
        print(f"{passed} passed, {len(failures)} failed")
    sys.exit(1 if failures else SKIP if skipped else 0)


def _run_checks():
    passed, failures, skipped = 0, [], []
    for description, fn, chapters in _CHECKS:
        for chapter in (CHAPTERS if chapters is None else chapters):
            name = f"{chapter}: {description}"
            try:
                fn(chapter) if fn.__code__.co_argcount else fn()
                passed += 1
                print(_colour("32", "  ok   ") + name)
            except Failed as e:
                failures.append((name, str(e)))
                print(_colour("31", "  FAIL ") + f"{name}\n         {e}")
            except Skipped as e:  # cannot run here: said, and the run ends as skipped
                skipped.append((name, str(e)))
                print(_colour("33", "  skip ") + f"{name}\n         {e}")
            except Exception as e:  # a bug in the test or a hang: still a failure
                failures.append((name, repr(e)))
                print(_colour("31", "  FAIL ") + f"{name}\n         {e!r}")
                traceback.print_exc(limit=2)
            if chapters is not None and fn.__code__.co_argcount == 0:
                break
    return passed, failures, skipped


# --- for the attacks: skips, scratch space, rootfs copies, file handles --------


class Skipped(Exception):
    """A check that cannot run here; the message says why. A run with a
    skipped check and no failure exits 77 (ctest: skipped), never 0."""


# Where lab_tmpfs() may mount its tmpfs: directories every Linux system has.
# The mount is in the lab's own mount namespace and lasts one check, so it
# hides a directory from the lab only, and only meanwhile; an empty one is
# taken first (it hides nothing), never one holding what the tests run.
_TMPFS_CANDIDATES = [Path("/media"), Path("/srv"), Path("/mnt"), Path("/opt")]
_lab_tmpfs = {"path": None, "users": 0}


def _tmpfs_mount_point():
    needed = [TOP, BIN, ROOTFS, Path.cwd(), Path(sys.executable)]
    needed = [p.resolve() for p in needed]

    def holds_needed(d):
        return any(p == d or d in p.parents for p in needed)
    usable = [d for d in _TMPFS_CANDIDATES
              if d.is_dir() and not d.is_symlink() and not holds_needed(d.resolve())]
    expect(usable, "no directory to mount the lab's tmpfs on: "
           + ", ".join(map(str, _TMPFS_CANDIDATES)) + " are missing or hold the checkout")
    return next((d for d in usable if not any(d.iterdir())), usable[0])


def in_lab():
    """True in a mount namespace of our own (tests/lab made it): some ancestor
    we may look at is in another one. (PID 1's may not be readable.)"""
    ours, pid = os.readlink("/proc/self/ns/mnt"), os.getppid()
    while pid > 1:
        try:
            if os.readlink(f"/proc/{pid}/ns/mnt") != ours:
                return True
            stat = Path(f"/proc/{pid}/stat").read_text()
            pid = int(stat[stat.rindex(")") + 2:].split()[1])
        except (OSError, ValueError):
            break
    return False


@contextmanager
def lab_tmpfs():
    """A fresh directory in a tmpfs mounted in the lab only: scratch space of
    "the host" that writes nothing to the machine and vanishes with the lab.
    Checks that use it at the same time share one mount; the last one out
    unmounts it."""
    expect(in_lab(), "refusing to mount a tmpfs in the machine's own mount namespace: "
           "run the tests through tests/lab")
    if _lab_tmpfs["users"] == 0:
        point = _tmpfs_mount_point()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755,size=64m",
                        "unshared-lab-tmpfs", str(point)], check=True)
        _lab_tmpfs["path"] = point
    _lab_tmpfs["users"] += 1
    scratch = Path(tempfile.mkdtemp(prefix="unshared.", dir=_lab_tmpfs["path"]))
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        _lab_tmpfs["users"] -= 1
        if _lab_tmpfs["users"] == 0:
            # Lazy: a container still holding a file there must not make this fail.
            subprocess.run(["umount", "--lazy", str(_lab_tmpfs["path"])], check=True)


def _unmount_under(tree):
    """Unmounts (lazily, deepest first) whatever the lab has mounted under `tree`."""
    prefix = str(tree) + "/"
    for point in sorted((m for m in host_mounts() if m.startswith(prefix)), reverse=True):
        subprocess.run(["umount", "--lazy", point], check=False)


@contextmanager
def rootfs_copy():
    """A throwaway copy of the rootfs (`cp -a`), for the attacks that write
    into the rootfs, so that no test depends on a rootfs another one wrote
    into. Yields its path. It sits in a scratch directory made for it next to
    ROOTFS: the same filesystem, and that directory (the copy's parent) can
    hold host files that must share the rootfs's filesystem. Both are removed
    afterwards, mounts left under them first, and `rm --one-file-system`
    never crosses into a filesystem still mounted there."""
    scratch = Path(tempfile.mkdtemp(prefix="rootfs-copy.", dir=ROOTFS.parent))
    # mkdtemp makes it 0700: a container whose root is not the host's root
    # (chapter 07: uid 100000) could not reach the copy inside it.
    os.chmod(scratch, 0o755)
    try:
        copy = scratch / "rootfs"
        subprocess.run(["cp", "-a", str(ROOTFS), str(copy)], check=True)
        yield copy
    finally:
        _unmount_under(scratch)
        subprocess.run(["rm", "-rf", "--one-file-system", str(scratch)], check=True)


def _name_to_handle(path):
    """name_to_handle_at(2) through ctypes: (errno, handle type, handle bytes)."""
    import ctypes

    class FileHandle(ctypes.Structure):  # struct file_handle, MAX_HANDLE_SZ bytes
        _fields_ = [("handle_bytes", ctypes.c_uint), ("handle_type", ctypes.c_int),
                    ("f_handle", ctypes.c_ubyte * 128)]
    libc = ctypes.CDLL(None, use_errno=True)
    handle, mount_id = FileHandle(handle_bytes=128), ctypes.c_int()
    AT_FDCWD = -100
    if libc.name_to_handle_at(AT_FDCWD, os.fsencode(str(path)), ctypes.byref(handle),
                              ctypes.byref(mount_id), 0) != 0:
        return ctypes.get_errno(), 0, b""
    return 0, handle.handle_type, bytes(handle.f_handle[:handle.handle_bytes])


def file_handle(path):
    """The file handle of `path`, as name_to_handle_at(2) gives it: (handle
    type, handle bytes in hex), what open_by_handle_at(2) takes."""
    err, kind, handle = _name_to_handle(path)
    expect(err == 0, f"name_to_handle_at({path}) on the host: {os.strerror(err)}")
    return kind, handle.hex()


def no_file_handles(path):
    """Why the filesystem holding `path` gives no file handles (overlayfs
    without nfs_export, some FUSE filesystems: EOPNOTSUPP), or None if it does."""
    err = _name_to_handle(path)[0]
    if err == 0:
        return None
    return f"name_to_handle_at({path}): {os.strerror(err)}: its filesystem gives no file handles"


def tree_state(tree):
    """Every path under `tree` with its type, size and mtime: compare two to
    see whether anything under `tree` was added, removed or changed."""
    entries = []
    for root, dirs, files in os.walk(tree):
        for name in dirs + files:
            st = os.lstat(os.path.join(root, name))
            entries.append((os.path.join(root, name), st.st_mode, st.st_size, st.st_mtime_ns))
    return sorted(entries)


# --- what a container may leave on "the host" (the lab) ---------------------------------

def lab_links():
    """The lab's network links: {name: flags}."""
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    found = {}
    for line in out.splitlines():
        m = re.match(r"\d+: ([^:@]+)[^<]*<([^>]*)>", line)
        if m:
            found[m.group(1)] = m.group(2).split(",")
    return found


def lab_nft_tables():
    """The lab's nftables tables, "table ip unshared" and the like."""
    out = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout
    return sorted(out.split("\n")[:-1])


# --- a cgroup of the test run's own -----------------------------------------

# The controllers the cgroup chapter uses: the three it limits, and cpuacct,
# where v1 counts CPU time when it is not mounted with cpu. On a cgroup v1
# machine each has a hierarchy (or shares one); on v2 they all live in the
# unified one, which has no cpuacct (its cpu.stat counts).
CGROUP_CONTROLLERS = ("memory", "cpu", "cpuacct", "pids")


def _cgroup_dirs(name):
    """Where a cgroup called `name` goes under this process's own cgroup, one
    directory per v1 controller mounted here, or one in the v2 hierarchy if
    it has the controllers: never elsewhere in the machine's tree."""
    dirs = []
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for c in controllers.split(","):
            if c in CGROUP_CONTROLLERS and Path(f"/sys/fs/cgroup/{c}").is_dir():
                dirs.append(Path(f"/sys/fs/cgroup/{c}{path}") / name)
        unified = Path("/sys/fs/cgroup/unified")
        unified = unified if unified.is_dir() else Path("/sys/fs/cgroup")
        if controllers == "" and (unified / "cgroup.controllers").exists():
            available = (unified / path.lstrip("/") / "cgroup.controllers").read_text().split()
            if any(c in available for c in CGROUP_CONTROLLERS):
                dirs.append(unified / path.lstrip("/") / name)
    return dirs


def reap_orphans():
    """Reaps the ended children nobody waits for: orphans that came to a
    subreaper (the exercise checker, t11's leak test) stay zombies until then."""
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return


def _remove_cgroup(d, reap=False):
    """Kills what is left in cgroup `d` and its children, then removes them.
    `reap`: at the end of a run, also reap our orphans (see reap_orphans)."""
    if not d.is_dir():
        return
    for child in sorted((p for p in d.rglob("*") if p.is_dir()), reverse=True):
        _remove_cgroup(child, reap)
    deadline = time.monotonic() + 30  # a loaded machine takes its time to end them
    while True:
        try:
            pids = (d / "cgroup.procs").read_text().split()
        except FileNotFoundError:  # removed meanwhile (a runtime removing its own)
            return
        for p in pids:
            try:
                os.kill(int(p), signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            d.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as e:  # EBUSY until the killed processes are gone
            if reap:
                reap_orphans()  # a zombie still pins a v1 cpu or pids cgroup
            if time.monotonic() > deadline:
                print(f"harness: cannot remove the test cgroup {d}: {e}", file=sys.stderr)
                return
            time.sleep(0.02)


@contextmanager
def cgroup_fence(pids=256, memory=512 << 20):
    """A cgroup of the test's own under the run's parent (cgroup_parent), at
    most `pids` processes and `memory` bytes: what the chapters before 08,
    which limit nothing, run in (run(cgroup=...)) when an attack uses all it
    can get (a fork bomb, a memory hog), so that the worst it does is reach
    the fence. Yields its directories (one per v1 hierarchy, or the one of
    v2); removed afterwards with whatever is left in it."""
    value = os.environ.get("UNSHARED_CGROUP_PARENT", "")
    if not value:
        raise Skipped("no cgroup of the test run's own (UNSHARED_CGROUP_PARENT) to fence it in")
    _fences[0] += 1
    made = []
    try:
        for parent in map(Path, value.split(":")):
            if (parent / "cgroup.subtree_control").exists():  # v2: pass the controllers down
                offered = (parent / "cgroup.controllers").read_text().split()
                for c in ("pids", "memory"):
                    if c in offered:
                        (parent / "cgroup.subtree_control").write_text(f"+{c}")
            fence = parent / f"fence-{_fences[0]}"
            fence.mkdir()
            made.append(fence)
            for file, limit in (("pids.max", pids), ("memory.max", memory),
                                ("memory.limit_in_bytes", memory)):
                if (fence / file).exists():
                    (fence / file).write_text(str(limit))
        yield made
    finally:
        for d in made:
            _remove_cgroup(d)


_fences = [0]


@contextmanager
def cgroup_parent():
    """A parent cgroup of this test run's own (unshared-test-PID under our
    cgroup, in every hierarchy that has memory, cpu or pids), exported as
    UNSHARED_CGROUP_PARENT (':'-separated) for the chapters that make cgroups,
    and removed afterwards with whatever a test left in it: two runs never
    share one, and a leak is the run's own. Where cgroups cannot be made
    (read-only, not root), it yields [] and sets nothing."""
    made = []
    for d in _cgroup_dirs(f"unshared-test-{os.getpid()}"):
        try:
            d.mkdir()
            made.append(d)
        except OSError:
            pass
    if made:
        os.environ["UNSHARED_CGROUP_PARENT"] = ":".join(map(str, made))
    try:
        yield made
    finally:
        os.environ.pop("UNSHARED_CGROUP_PARENT", None)
        for d in made:
            _remove_cgroup(d, reap=True)
