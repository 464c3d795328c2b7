// Unit tests of 06-net's pure helpers: addresses and subnets, -p specs, the
// nft text. No root, no namespace: nothing here talks to the kernel.
#include <doctest/doctest.h>

#include <string>

#include "common/error.hpp"
#include "common/ipv4.hpp"
#include "common/nat.hpp"
#include "common/net.hpp"

TEST_CASE("parse_address takes dotted quads only") {
    REQUIRE(ipv4::parse_address("10.99.0.7"));
    CHECK(ipv4::parse_address("10.99.0.7")->value == 0x0a630007);
    CHECK(ipv4::parse_address("10.99.0.7")->str() == "10.99.0.7");
    CHECK(ipv4::parse_address("255.255.255.255")->value == 0xffffffff);
    for (const char* bad : {"", "10.99.0", "10.99.0.7.1", "10.99.0.256", "10.099.0.1", "a.b.c.d",
                            "10.99.0.-1", "10..0.1", " 10.99.0.1", "10.99.0.1 "})
        CHECK_MESSAGE(!ipv4::parse_address(bad), bad);
}

TEST_CASE("parse_subnet: network, prefix, and the reasons it refuses") {
    ipv4::ParsedSubnet ok = ipv4::parse_subnet("10.99.0.0/24");
    REQUIRE(ok.subnet);
    CHECK(ok.subnet->gateway().str() == "10.99.0.1");
    CHECK(ok.subnet->first_host().str() == "10.99.0.2");
    CHECK(ok.subnet->last_host().str() == "10.99.0.254");
    CHECK(ok.subnet->host_count() == 253);
    CHECK(ipv4::parse_subnet("10.98.0.0/30").subnet->host_count() == 1);
    CHECK(ipv4::parse_subnet("10.0.0.0/33").problem.find("/33 does not exist") !=
          std::string::npos);
    CHECK(ipv4::parse_subnet("10.0.0.0/31").problem.find("no address") != std::string::npos);
    CHECK(ipv4::parse_subnet("10.99.0.5/24").problem.find("did you mean 10.99.0.0/24?") !=
          std::string::npos);
    CHECK(!ipv4::parse_subnet("10.99.0.0").subnet);
    CHECK(!ipv4::parse_subnet("10.99.0.0/x").subnet);
}

TEST_CASE("subnets: contains and overlaps") {
    ipv4::Subnet s = *ipv4::parse_subnet("10.99.0.0/24").subnet;
    CHECK(s.contains(*ipv4::parse_address("10.99.0.200")));
    CHECK_FALSE(s.contains(*ipv4::parse_address("10.99.1.1")));
    CHECK(s.overlaps(*ipv4::parse_subnet("10.0.0.0/8").subnet));
    CHECK_FALSE(s.overlaps(*ipv4::parse_subnet("10.88.0.0/16").subnet));   // Podman's
    CHECK_FALSE(s.overlaps(*ipv4::parse_subnet("172.16.0.0/12").subnet));  // Docker's
    CHECK(net::default_subnet() == s);
}

TEST_CASE("parse_publish: HOSTPORT:PORT[/tcp|/udp], and one line for each mistake") {
    CHECK(net::parse_publish("8080:80") == net::Publish{8080, 80, net::Protocol::tcp});
    CHECK(net::parse_publish("53:5353/udp") == net::Publish{53, 5353, net::Protocol::udp});
    CHECK(net::parse_publish("8080:80/tcp").str() == "8080:80/tcp");
    CHECK_THROWS_WITH_AS(net::parse_publish("99999:80"), doctest::Contains("host port"),
                         error::UsageError);
    CHECK_THROWS_WITH_AS(net::parse_publish("80"), doctest::Contains("one port only"),
                         error::UsageError);
    CHECK_THROWS_WITH_AS(net::parse_publish("abc"), doctest::Contains("one port only"),
                         error::UsageError);
    CHECK_THROWS_WITH_AS(net::parse_publish("8080:0"), doctest::Contains("container port"),
                         error::UsageError);
    CHECK_THROWS_WITH_AS(net::parse_publish("8080:80/sctp"), doctest::Contains("sctp"),
                         error::UsageError);
    CHECK_THROWS_AS(net::parse_publish(":80"), error::UsageError);
    CHECK_THROWS_AS(net::parse_publish("+80:80"), error::UsageError);
}

TEST_CASE("the nft text: the project's own table, masquerade for the subnet, one map") {
    std::string rules = nat::table_rules(net::default_subnet(), net::kBridge);
    CHECK(rules.rfind("table ip unshared {", 0) == 0);
    CHECK(rules.find("ip saddr 10.99.0.0/24 oifname != \"unshared0\" masquerade") !=
          std::string::npos);
    CHECK(rules.find("type nat hook prerouting") != std::string::npos);
    CHECK(rules.find("type nat hook output") != std::string::npos);
    CHECK(nat::publish_rule({8080, 80}, *ipv4::parse_address("10.99.0.2")) ==
          "add element ip unshared published { tcp . 8080 : 10.99.0.2 . 80 }\n");
    CHECK(nat::unpublish_rule("udp", 53) == "delete element ip unshared published { udp . 53 }\n");
}
