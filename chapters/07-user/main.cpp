// 07-user: root inside, nobody outside.
//
// The storyline of this chapter, top to bottom:
//   1. As in 06: the journal of what we make on the host, the bridge, NAT,
//      an address and the container's /etc/hosts and resolv.conf.
//   2. clone(2) the child in a new user namespace too. Created in the same
//      call, every other namespace of the container is owned by it: the
//      container's root has its capabilities there, and only there.
//   3. While the child waits: setgroups "deny" where needed, gid_map, then
//      uid_map (container 0-65535 are host 100000-165535, say); the veth
//      pair and published ports as in 06.
//   4. In the child, first of all: become uid and gid 0 of the namespace;
//      then chapters 02-06.
//   Run by a user who is not root, it is a rootless container: root inside
//   is that user outside, and nothing more.
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
    "07-user",
    "Run a command as root of its own user namespace, an unprivileged uid on the host.",
    {mnt::options, volume::options, uts::options, ipc::options, pid::options, host::options,
     net::options, user::options}};
}

int main(int argc, char** argv) {
    return cli::run(kChapter, argc, argv, [](const spec::Spec& spec) {
        // 1. Chapter 06: the host's side of the network.
        host::replay_dead_runs(spec.host.state_dir);
        host::Ledger host{spec.host.state_dir};
        net::Plan network = net::prepare(host, spec);
        // 2. NEW IN THIS CHAPTER: ns::user, the owner of all the others.
        process::Spawn how{{ns::mount, ns::uts, ns::ipc, ns::pid, ns::net}};
        if (spec.user.enabled) how.namespaces.add(ns::user);
        process::Container container = process::spawn(how, [&]() -> int {
            user::become_root(spec.user);  // 4. NEW: uid 0, gid 0 inside
            uts::set_hostname(spec.uts.hostname);
            uts::set_domainname(spec.uts.domainname);
            net::configure_inside(network);
            mnt::enter_root(spec.rootfs, network.mounts(spec.mounts));
            console::attach(spec.console);
            if (spec.pid.no_init) process::exec(spec.command);
            return pid::run_init(spec.command);
        });
        user::write_maps(container.pid(), spec.user);  // 3. NEW: the maps
        net::connect(network, container.pid());
        nat::publish(host, network, spec.net.publish);
        container.release();
        return container.wait();
    });
}
