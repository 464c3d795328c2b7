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
//   4. Capabilities, no_new_privs, --user (09); NEW: Landlock; the seccomp
//      filter last (10); then the init and the command.
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
#include "common/timens.hpp"
#include "common/user.hpp"
#include "common/uts.hpp"
#include "common/volume.hpp"

namespace {
const cli::Chapter kChapter{
    "11-full",
    "Run a command in a container with every mechanism of 01-10, masked paths, an overlay\n"
    "root, resource limits, a time namespace and Landlock.",
    {mnt::options, masked::options, volume::options, uts::options, ipc::options, pid::options,
     host::options, net::options, user::options, overlay::options, caps::options, seccomp::options,
     cgroup::options, rlimits::options, timens::options, landlock::options, apparmor::options}};
}

int main(int argc, char** argv) {
    return cli::run(kChapter, argc, argv, [](const spec::Spec& spec) {
        // 1. Outside: the filter (10), the network (06), the cgroup (08).
        seccomp::Filter filter =
            seccomp::prepare(spec.seccomp, seccomp::capabilities_of(spec.caps.keep));
        host::replay_dead_runs(spec.host.state_dir);
        host::Ledger host{spec.host.state_dir};
        net::Plan network = net::prepare(host, spec);
        cgroup::Cgroup cg = cgroup::create(host, spec.cgroup, cgroup::name_for(spec.uts.hostname));
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
            apparmor::confine(spec.apparmor);  // NEW: every process, PID 1 too
            // 4. Landlock (NEW) and seccomp (10) need no_new_privs or CAP_SYS_ADMIN:
            //    with --allow-new-privileges, both come before the drop.
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
            if (spec.pid.no_init) process::exec(spec.command);
            return pid::run_init(spec.command);
        });
        cg.attach(container.pid());
        rlimits::apply(container.pid(), spec.rlimits);  // 2. NEW: --ulimit
        user::write_maps(container.pid(), spec.user);
        net::connect(network, container.pid());
        nat::publish(host, network, spec.net.publish);
        container.release();
        return cg.report_oom(container.wait());
    });
}
