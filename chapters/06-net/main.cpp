// 06-net: a network of its own.
//
// The storyline of this chapter, top to bottom:
//   1. The runtime now makes things outside the container (a bridge, NAT
//      rules, an address lease), so it journals each one before making it
//      (host::Ledger), and undoes what a run killed with SIGKILL left.
//   2. The host side: the bridge unshared0 and its NAT, shared by every
//      container; an address for this one; its /etc/hosts and resolv.conf.
//   3. clone(2) the child in a new network namespace too. While it waits:
//      its veth pair, made in one netlink request with eth0 already inside
//      the child's namespace; then the ports it publishes (DNAT).
//   4. In the child: lo up, eth0's address, eth0 up, the default route,
//      then chapters 02-05 (its /etc/hosts bound over the rootfs's).
//   At the end the kernel removes the veth pair with the namespace; the
//   Ledger, declared first, is destroyed last: it undoes the rest.
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
#include "common/uts.hpp"
#include "common/volume.hpp"

namespace {
const cli::Chapter kChapter{
    "06-net",
    "Run a command in its own mount, UTS, IPC, PID and network namespaces, on a bridge.",
    {mnt::options, volume::options, uts::options, ipc::options, pid::options, host::options,
     net::options}};
}

int main(int argc, char** argv) {
    return cli::run(kChapter, argc, argv, [](const spec::Spec& spec) {
        // 1. NEW IN THIS CHAPTER: the journal of what we make on the host.
        host::replay_dead_runs(spec.host.state_dir);
        host::Ledger host{spec.host.state_dir};
        // 2. NEW: bridge + NAT (shared), this container's address and files.
        net::Plan network = net::prepare(host, spec);
        // 3. NEW: ns::net. The child is born with only a loopback, down.
        process::Spawn how{{ns::mount, ns::uts, ns::ipc, ns::pid, ns::net}};
        process::Container container = process::spawn(how, [&]() -> int {
            uts::set_hostname(spec.uts.hostname);
            uts::set_domainname(spec.uts.domainname);
            net::configure_inside(network);  // 4. NEW: lo, eth0, default route
            mnt::enter_root(spec.rootfs, network.mounts(spec.mounts));
            console::attach(spec.console);
            if (spec.pid.no_init) process::exec(spec.command);
            return pid::run_init(spec.command);
        });
        net::connect(network, container.pid());         // 3. the veth pair
        nat::publish(host, network, spec.net.publish);  //    -p: DNAT
        container.release();
        return container.wait();
    });
}
