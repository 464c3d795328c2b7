// 08-cgroup: limits that hold (memory, CPU time, processes).
//
// The storyline of this chapter, top to bottom:
//   1. As in 06: the journal of what we make on the host, the network.
//   2. NEW: the container's cgroup, <parent>/unshared/<name> in every
//      hierarchy, with its limits written before anything runs in it.
//   3. clone(2) the child as in 07. On cgroup v2 it is born inside its
//      cgroup (clone3 CLONE_INTO_CGROUP); on v1 the runtime writes its pid
//      into each hierarchy's cgroup.procs while it waits. Then the maps,
//      the veth pair and the published ports, as in 06-07.
//   4. In the child: root of its user namespace (07), then a new cgroup
//      namespace whose root is its own cgroup, then 02-06; the mount table
//      now has a read-only view of that cgroup on /sys/fs/cgroup.
//   5. After the end: if the OOM killer ended a process, say so. The
//      Ledger kills what is left in the cgroup and removes it.
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
    "08-cgroup",
    "Run a command in its own namespaces, with limits on its memory, CPU time and processes.",
    {mnt::options, volume::options, uts::options, ipc::options, pid::options, host::options,
     net::options, user::options, cgroup::options}};
}

int main(int argc, char** argv) {
    return cli::run(kChapter, argc, argv, [](const spec::Spec& spec) {
        // 1. Chapter 06: the host's side of the network.
        host::replay_dead_runs(spec.host.state_dir);
        host::Ledger host{spec.host.state_dir};
        net::Plan network = net::prepare(host, spec);
        // 2. NEW IN THIS CHAPTER: the cgroup and its limits.
        cgroup::Cgroup cg = cgroup::create(host, spec.cgroup, cgroup::name_for(spec.uts.hostname));
        // 3. Chapter 07's namespaces; NEW: born in the cgroup (v2).
        process::Spawn how{{ns::mount, ns::uts, ns::ipc, ns::pid, ns::net}, cg.fd()};
        if (spec.user.enabled) how.namespaces.add(ns::user);
        process::Container container = process::spawn(how, [&]() -> int {
            user::become_root(spec.user);
            cgroup::enter_namespace();  // 4. NEW: its cgroup is its "/"
            uts::set_hostname(spec.uts.hostname);
            uts::set_domainname(spec.uts.domainname);
            net::configure_inside(network);
            mnt::enter_root(spec.rootfs, network.mounts(spec.mounts));
            console::attach(spec.console);
            if (spec.pid.no_init) process::exec(spec.command);
            return pid::run_init(spec.command);
        });
        cg.attach(container.pid());  // 3. NEW: v1: into cgroup.procs
        user::write_maps(container.pid(), spec.user);
        net::connect(network, container.pid());
        nat::publish(host, network, spec.net.publish);
        container.release();
        return cg.report_oom(container.wait());  // 5. NEW
    });
}
