// 10-seccomp: a filter on the system calls themselves.
//
// The storyline of this chapter, top to bottom:
//   1. NEW: read the seccomp profile (Docker's JSON format), resolve it for
//      the capabilities the container keeps and this kernel, and build the
//      BPF filter with libseccomp, before anything else: a bad profile
//      costs nothing.
//   2-4. As in 09: the host's side (network, cgroup), the child in its
//        namespaces, the maps, the veth pair; in the child, 02-08.
//   5. As in 09: capabilities dropped, no_new_privs, --user.
//   6. NEW, last: load the filter. From here on, every system call of the
//      command and of everything it starts is checked against it:
//      `date -s` gets EPERM, unshare(2) too, clone3(2) ENOSYS.
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
#include "common/seccomp.hpp"
#include "common/user.hpp"
#include "common/uts.hpp"
#include "common/volume.hpp"

namespace {
const cli::Chapter kChapter{
    "10-seccomp",
    "Run a command in its own namespaces and cgroup, without most of root's powers, behind a\n"
    "system call filter.",
    {mnt::options, volume::options, uts::options, ipc::options, pid::options, host::options,
     net::options, user::options, caps::options, seccomp::options, cgroup::options}};
}

int main(int argc, char** argv) {
    return cli::run(kChapter, argc, argv, [](const spec::Spec& spec) {
        // 1. NEW IN THIS CHAPTER: the filter, built before anything is made.
        seccomp::Filter filter =
            seccomp::prepare(spec.seccomp, seccomp::capabilities_of(spec.caps.keep));
        // 2. Chapters 06 and 08: the network and the cgroup.
        host::replay_dead_runs(spec.host.state_dir);
        host::Ledger host{spec.host.state_dir};
        net::Plan network = net::prepare(host, spec);
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
            // 6. NEW: the filter, last. seccomp(2) takes one only from a process
            //    with no_new_privs or CAP_SYS_ADMIN: with --allow-new-privileges,
            //    it is loaded before the capabilities go (as runc does).
            bool nnp = spec.caps.no_new_privs;
            if (!nnp) seccomp::load(filter);
            caps::drop(spec.caps);  // 5. chapter 09
            if (nnp) caps::set_no_new_privs();
            if (spec.caps.user) caps::switch_user(*spec.caps.user, spec.caps.keep);
            if (nnp) seccomp::load(filter);
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
