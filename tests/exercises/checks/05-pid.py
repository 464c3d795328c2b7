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
    started = time.monotonic()
    result = run("sh", "-c", "sleep 30 & exit 3", timeout=15)
    took = time.monotonic() - started
    if result.returncode != 3 or took > 10:
        raise Wrong(f"the command `sh -c 'sleep 30 & exit 3'` ended at once, but the container "
                    f"ended {took:.0f} s later with exit status {result.returncode}; expected it "
                    "to end with status 3 at once (the background sleep dies with PID 1).")


@check("SIGTERM to the runtime reaches the command through init (exit status 143)",
       ask="The kernel does not deliver SIGTERM to a PID 1 that has no handler for it, so it "
           "must pass it on: what does your init do with a signal that is not SIGCHLD (kill(2))?")
def sigterm_forwarded():
    with started("sleep", "1000") as runtime:
        try:
            h.wait_for_descendant(runtime.pid, "sleep")
        except h.Failed:
            raise Wrong("`05-pid -- sleep 1000` started no sleep within 10 s") from None
        runtime.send_signal(signal.SIGTERM)
        try:
            status = runtime.wait(timeout=10)
        except subprocess.TimeoutExpired:
            raise Wrong("the container was still running 10 s after SIGTERM") from None
    if status != 143:
        how = " (the runtime's SIGKILL after 2 s: the command never got the SIGTERM)" \
            if status == 137 else ""
        raise Wrong(f"after SIGTERM the container's exit status was {status}{how}; expected 143, "
                    "the command killed by the forwarded SIGTERM.")
