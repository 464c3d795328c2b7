// 09-caps: root without its powers.
//
// The storyline of this chapter, top to bottom:
//   1-3. As in 08: the host's side (network, cgroup), the child in its
//        namespaces, the maps, the veth pair.
//   4. In the child, as in 08: root of its namespaces, its cgroup, its
//      root filesystem. Everything that needed root's powers is done.
//   5. NEW: drop the capabilities the command does not need, from every
//      set (bounding, ambient, inheritable, permitted, effective): Docker's
//      14 stay. Then no_new_privs, so that no execve(2) gives them back,
//      not even a setuid-root program's; then --user, if given.
#include "common/caps.hpp"
#include "common/cgroup.hpp"
#include "common/cli.hpp"
#include "common/console.hpp"
#include "common/host.hpp"
#include "common/ipc.hpp"
#include "common/mnt.hpp"
#include "common/nat.hpp"
#include "common/net.hpp"
#include "common/ns.hpp"
#include "common/pid.hpp"
#include "common/process.hpp"
#include "common/user.hpp"
#include "common/uts.hpp"
#include "common/volume.hpp"

namespace {
const cli::Chapter kChapter{
    "09-caps",
    "Run a command in its own namespaces and cgroup, as a root without most of its powers.",
    {mnt::options, volume::options, uts::options, ipc::options, pid::options, host::options,
     net::options, user::options, caps::options, cgroup::options}};
}

int main(int argc, char** argv) {
    return cli::run(kChapter, argc, argv, [](const spec::Spec& spec) {
        // 1. Chapter 06: the host's side of the network.
        host::replay_dead_runs(spec.host.state_dir);
        host::Ledger host{spec.host.state_dir};
        net::Plan network = net::prepare(host, spec);
        // 2. Chapter 08: the cgroup and its limits.
        cgroup::Cgroup cg = cgroup::create(host, spec.cgroup, cgroup::name_for(spec.uts.hostname));
        // 3. Chapter 07's namespaces, born in the cgroup (v2).
        process::Spawn how{{ns::mount, ns::uts, ns::ipc, ns::pid, ns::net}, cg.fd()};
        if (spec.user.enabled) how.namespaces.add(ns::user);
        process::Container container = process::spawn(how, [&]() -> int {
            user::become_root(spec.user);
            cgroup::enter_namespace();  // 4. chapters 02-08
            uts::set_hostname(spec.uts.hostname);
            uts::set_domainname(spec.uts.domainname);
            net::configure_inside(network);
            mnt::enter_root(spec.rootfs, network.mounts(spec.mounts));
            console::attach(spec.console);
            caps::drop(spec.caps);  // 5. NEW: Docker's 14, in every set
            if (spec.caps.no_new_privs) caps::set_no_new_privs();
            if (spec.caps.user) caps::switch_user(*spec.caps.user, spec.caps.keep);
            if (spec.pid.no_init) process::exec(spec.command);
            return pid::run_init(spec.command);
        });
        cg.attach(container.pid());
        user::write_maps(container.pid(), spec.user);
        net::connect(network, container.pid());
        nat::publish(host, network, spec.net.publish);
        container.release();
        return cg.report_oom(container.wait());
    });
}
