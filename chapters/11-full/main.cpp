// 11-full: a container a security engineer respects.
//
// Every mechanism of 01-10, in the order runc's init uses them, plus the
// last hardening a production runtime applies. Top to bottom:
//   1. Outside, before anything is made: the seccomp filter (10), the
//      network (06) and the cgroup with its limits (08).
//   2. clone(2) the child in the seven namespaces of 02-08, born in its
//      cgroup; while it waits: the maps (07), the veth pair (06), the
//      published ports, and NEW: its resource limits (prlimit(2)).
//   3. In the child, NEW first: the eighth namespace, time, with its clock
//      offsets. Then root of its user namespace, its cgroup namespace, its
//      hostname and network, then NEW: the rootfs as an overlay, so that
//      nothing is written into the user's directory; the mount table, now
//      with masked and read-only paths of /proc and /sys; pivot_root.
//   4. NEW: the AppArmor profile; capabilities, no_new_privs, --user (09);
//      NEW: Landlock; the seccomp filter last (10); then the init and the
//      command.
// NEW: the container has a name, and a state file that says which process it
// is. `11-full ps` lists them; `11-full exec NAME -- CMD` starts one more
// process in a running container, locked down as its first one was.
#include "common/apparmor.hpp"
#include "common/caps.hpp"
#include "common/cgroup.hpp"
#include "common/cli.hpp"
#include "common/console.hpp"
#include "common/host.hpp"
#include "common/ipc.hpp"
#include "common/landlock.hpp"
#include "common/masked.hpp"
#include "common/mnt.hpp"
#include "common/nat.hpp"
#include "common/net.hpp"
#include "common/ns.hpp"
#include "common/overlay.hpp"
#include "common/pid.hpp"
#include "common/process.hpp"
#include "common/rlimits.hpp"
#include "common/seccomp.hpp"
#include "common/state.hpp"
#include "common/timens.hpp"
#include "common/user.hpp"
#include "common/uts.hpp"
#include "common/volume.hpp"

namespace {
const cli::Chapter kChapter{
    "11-full",
    "Run a command in a container with every mechanism of 01-10, masked paths, an overlay\n"
    "root, resource limits, a time namespace, Landlock and AppArmor.\n"
    "Also: 11-full ps (the running containers), 11-full exec NAME -- CMD (one more\n"
    "process in one of them). See 11-full ps --help, 11-full exec --help.",
    {mnt::options, masked::options, volume::options, uts::options, ipc::options, pid::options,
     host::options, net::options, user::options, overlay::options, caps::options, seccomp::options,
     cgroup::options, rlimits::options, timens::options, landlock::options, apparmor::options,
     state::options}};

// 4. The last steps, the same for the container and for exec: NEW: the
// AppArmor profile; capabilities, no_new_privs and --user (09), Landlock
// (NEW) and the seccomp filter (10). AppArmor comes after the mounts (its
// profile denies mount) and before no_new_privs, as runc orders it.
// Landlock and seccomp need no_new_privs or CAP_SYS_ADMIN: with
// --allow-new-privileges, both come before the drop.
void lock_down(const spec::Spec& spec, const seccomp::Filter& filter) {
    apparmor::confine(spec.apparmor);  // every process, PID 1 too
    bool nnp = spec.caps.no_new_privs;
    if (!nnp) {
        landlock::restrict_self(spec.landlock);
        seccomp::load(filter);
    }
    caps::drop(spec.caps);
    if (nnp) caps::set_no_new_privs();
    if (spec.caps.user) caps::switch_user(*spec.caps.user, spec.caps.keep);
    if (nnp) {
        landlock::restrict_self(spec.landlock);  // confined to its tree
        seccomp::load(filter);                   // last
    }
}

int run_container(const spec::Spec& given) {
    spec::Spec spec = given;  // claim() may pick another generated name
    // 1. Outside: the filter (10), the network (06), the cgroup (08), NEW: the name.
    seccomp::Filter filter =
        seccomp::prepare(spec.seccomp, seccomp::capabilities_of(spec.caps.keep));
    host::replay_dead_runs(spec.host.state_dir);
    host::Ledger host{spec.host.state_dir};
    state::Dir state = state::claim(host, spec.host.state_dir, spec.state);
    net::Plan network = net::prepare(host, spec);
    cgroup::Cgroup cg = cgroup::create(host, spec.cgroup, cgroup::name_for(spec.state.name));
    // 2. Chapter 07's namespaces, born in the cgroup (v2).
    process::Spawn how{{ns::mount, ns::uts, ns::ipc, ns::pid, ns::net}, cg.fd()};
    if (spec.user.enabled) how.namespaces.add(ns::user);
    process::Container container = process::spawn(how, [&]() -> int {
        // 3. NEW: the eighth namespace, first: its offsets are written while
        //    /proc/self is still ours to write (before the uid change).
        timens::enter(spec.timens);
        user::become_root(spec.user);
        cgroup::enter_namespace();  // chapters 02-08
        uts::set_hostname(spec.uts.hostname);
        uts::set_domainname(spec.uts.domainname);
        net::configure_inside(network);
        overlay::mount_over(spec.rootfs, spec.overlay);             // NEW: writes go to a layer
        mnt::enter_root(spec.rootfs, network.mounts(spec.mounts));  // NEW: masked paths
        overlay::finish(spec.overlay);
        console::attach(spec.console);
        lock_down(spec, filter);  // 4.
        if (spec.pid.no_init) process::exec(spec.command);
        return pid::run_init(spec.command);
    });
    cg.attach(container.pid());
    rlimits::apply(container.pid(), spec.rlimits);  // 2. NEW: --ulimit
    user::write_maps(container.pid(), spec.user);
    net::connect(network, container.pid());
    nat::publish(host, network, spec.net.publish);
    container.release();
    state.save(spec, container.pid(), cg.paths());  // NEW: from now on, exec may join
    return cg.report_oom(container.wait());
}

// `11-full exec NAME -- CMD`: nsenter and docker exec in one. The new process
// joins the container's cgroup and namespaces, then takes step 4 as the
// container's first process did. It runs CMD as its child: a process that
// joins a PID namespace does not move itself, only its children are born
// in it (pid_namespaces(7)).
int exec_into(const spec::Spec& spec, const state::Running& target) {
    seccomp::Filter filter =
        seccomp::prepare(spec.seccomp, seccomp::capabilities_of(spec.caps.keep));
    cgroup::Cgroup cg = cgroup::open_existing(target.saved.cgroups);
    process::Spawn how{{}, cg.fd()};            // no new namespace: it joins
    how.inherit.push_back(target.pidfd.get());  // the pidfd of the container's PID 1
    process::Container session = process::spawn(how, [&]() -> int {
        ns::join(target.pidfd.get(), target.saved.pid, target.joined);  // setns(2)
        user::become_root(spec.user);
        console::attach(spec.console);
        lock_down(spec, filter);             // 4.
        return pid::run_init(spec.command);  // CMD is its child, in the PID namespace
    });
    cg.attach(session.pid());
    rlimits::apply(session.pid(), spec.rlimits);
    session.release();
    return session.wait();
}
}  // namespace

int main(int argc, char** argv) {
    std::string_view first = argc > 1 ? argv[1] : "";
    if (first == "ps") return cli::run_ps(kChapter, argc - 1, argv + 1);
    if (first == "exec") return cli::run_exec(kChapter, argc - 1, argv + 1, exec_into);
    return cli::run(kChapter, argc, argv, run_container);
}
