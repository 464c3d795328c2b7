// Misunderstanding: a veth end on the host side joins the bridge by itself (no master given).
netlink::Socket sock = netlink::Socket::route();
netlink::Link veth{rtnl_link_veth_alloc()};
if (!veth) throw std::bad_alloc();
rtnl_link_set_name(veth.get(), host.c_str());
rtnl_link_set_flags(veth.get(), IFF_UP);
rtnl_link* peer = rtnl_link_veth_get_peer(veth.get());
rtnl_link_set_name(peer, inside.c_str());
rtnl_link_set_ns_pid(peer, child);
netlink::check(rtnl_link_add(sock.get(), veth.get(), NLM_F_CREATE | NLM_F_EXCL), sock,
               fmt::format("RTM_NEWLINK veth \"{}\" peer \"{}\" netns {}", host, inside, child));
