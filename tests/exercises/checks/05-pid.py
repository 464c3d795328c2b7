"""Exercise 05-pid: the container's init, PID 1: it runs the command, reaps, forwards."""
import signal
import subprocess
import time

from checker import Wrong, check, probe, run, run_ok, started, words
import harness as h


@check("`ps` inside lists init as PID 1 and the command as PID 2, its child",
       ask="Who should PID 1 be, and who PID 2? Which call makes the command a child of "
           "init, and what does each side do after it (fork(2))?")
def init_and_command():
    answer = probe("pid")
    if (answer.get("pid"), answer.get("ppid")) != ("2", "1"):
        raise Wrong(f"the command inside is PID {answer.get('pid', '?')}, child of PID "
                    f"{answer.get('ppid', '?')}; expected PID 2, child of PID 1 (init).")
    out = run_ok("ps", "-o", "pid,comm").stdout.splitlines()[1:]
    seen = [" ".join(line.split()) for line in out]
    if [s.split()[0] for s in seen] != ["1", "2"]:
        raise Wrong(f"`ps -o pid,comm` inside listed {words(seen)}; expected 1 init and 2 ps.")


@check("the container's exit status is the command's, as a shell shows it (7, or 128+N)",
       ask="waitpid(2) gives init a wait status, not an exit status: which macros read the "
           "exit code, or the signal that killed the command, out of it (wait(2))?")
def exit_status():
    for command, wanted, what in ((["sh", "-c", "exit 7"], 7, "exited 7"),
                                  (["sh", "-c", "kill -KILL $$"], 137, "was killed by SIGKILL")):
        status = run(*command).returncode
        if status != wanted:
            raise Wrong(f"when the command {what}, the container's exit status was {status}; "
                        f"expected {wanted}.")


@check("orphans ending together are all reaped: no zombie is left",
       ask="One SIGCHLD may stand for many children that ended: does your reaper loop until "
           "waitpid(2) says no more child has ended (WNOHANG)?")
def burst_of_orphans():
    answer = probe("orphans", "20")
    zombies = answer.get("zombies", "?")
    if zombies != "0":
        raise Wrong(f"20 orphans ended at once; {zombies} of them were still zombies 2 s later; "
                    "expected none.")


@check("the container ends when its command does, even with a background process left",
       ask="When the command has ended, must init wait for the others? Does a waitpid(2) "
           "without WNOHANG return while some child is still running?")
def ends_with_command():
    try:
        result = run("sh", "-c", "sleep 30 & exit 3", timeout=5)
    except Wrong:
        raise Wrong("the command `sh -c 'sleep 30 & exit 3'` ended at once, but the container "
                    "was still running 5 s later; expected it to end with status 3 at once (the "
                    "background sleep dies with PID 1).") from None
    if result.returncode != 3:
        raise Wrong(f"the command `sh -c 'sleep 30 & exit 3'` exited 3, but the container's "
                    f"exit status was {result.returncode}; expected 3.")


@check("SIGTERM to the runtime reaches the command through init: its trap runs",
       ask="The kernel does not deliver SIGTERM to a PID 1 that has no handler for it, so init "
           "must pass it on, once the set-up is over: what does your init do with a signal "
           "that is not SIGCHLD (kill(2)), and has it told the runtime it is running?")
def sigterm_forwarded():
    # The command traps SIGTERM and exits 42: only a command that got the
    # signal can end that way.
    status, said = terminated("sh", "-c", "trap 'exit 42' TERM; sleep 1000 & wait")
    if status != 42:
        how = {137: " (the runtime's SIGKILL, 2 s later: the command never got the SIGTERM)",
               143: " (the runtime killed the container itself, as during a set-up)"}
        also = f"; the runtime said: {said}" if said else ""
        raise Wrong(f"the command traps SIGTERM to exit 42, but after a SIGTERM to the runtime "
                    f"the container's exit status was {status}{how.get(status, '')}{also}; "
                    "expected 42.")

def terminated(*command, after=0.0):
    """Starts `command`, waits until a sleep runs in it (and `after` seconds
    more), SIGTERMs the runtime; returns the exit status and what the runtime
    said on stderr."""
    with started(*command) as runtime:
        try:
            h.wait_for_descendant(runtime.pid, "sleep")
        except h.Failed:
            raise Wrong(f"`05-pid -- {' '.join(command)}` started no sleep within 10 s") from None
        time.sleep(after)
        if runtime.poll() is not None:
            raise Wrong(f"`05-pid -- {' '.join(command)}` ended by itself, with exit status "
                        f"{runtime.returncode}, before the test sent SIGTERM; expected it to run "
                        "until then.")
        runtime.send_signal(signal.SIGTERM)
        try:
            status = runtime.wait(timeout=10)
        except subprocess.TimeoutExpired:
            raise Wrong("the container was still running 10 s after SIGTERM") from None
        return status, runtime.stderr.read().strip()


@check("after an orphan has ended, SIGTERM still reaches the command (exit status 143)",
       ask="Once the children that ended are reaped, does your init get back to waiting for "
           "signals, or is it stuck in waitpid(2) until the next child ends (WNOHANG)?")
def sigterm_after_orphan():
    status, _ = terminated("sh", "-c", "(sleep 0.2 &); exec sleep 1000", after=0.8)
    if status != 143:
        how = " (the runtime's SIGKILL after 2 s: the command never got the SIGTERM)" \
            if status == 137 else ""
        raise Wrong(f"an orphan (sleep 0.2) ended while the command ran; then after SIGTERM the "
                    f"container's exit status was {status}{how}; expected 143.")
