//! Which network addresses a webhook may be delivered to: only public unicast ones. A partner's
//! URL must never make this service reach its own host, the private network it runs in, or a
//! cloud metadata endpoint, whatever spelling of the address is used (IPv4-mapped, NAT64, 6to4,
//! ...).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `ip` is a public unicast address (one on the Internet, not a special-purpose range).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let special = a == 0 // "this network", 0.0.0.0 included
        || a == 10 // private
        || a == 127 // loopback
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 169 && b == 254) // link-local, cloud metadata
        || (a == 172 && (16..32).contains(&b)) // private
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168) // private
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224; // multicast, reserved, broadcast
    !special
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    let embedded_v4 = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    // IPv4-mapped addresses (::ffff:a.b.c.d) reach the embedded IPv4 address; so do NAT64
    // (64:ff9b::/96) and 6to4 (2002::/16) on networks that route them. Judge them by that
    // address. The deprecated IPv4-compatible form (::a.b.c.d, :: and ::1 included) never is.
    if segments[..5] == [0; 5] && segments[5] == 0xffff {
        return is_public_v4(embedded_v4(segments[6], segments[7]));
    }
    if segments[..6] == [0; 6] {
        return false;
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded_v4(segments[6], segments[7]));
    }
    if segments[0] == 0x2002 {
        return is_public_v4(embedded_v4(segments[1], segments[2]));
    }
    // Global unicast is 2000::/3; inside it, Teredo (2001::/32, which tunnels to arbitrary
    // IPv4 hosts), ORCHID and documentation ranges are not delivery targets. Everything else
    // (loopback, unspecified, unique local fc00::/7, link-local fe80::/10, multicast ff00::/8,
    // the local-use NAT64 prefix 64:ff9b:1::/48, discard 100::/64) lies outside 2000::/3.
    let global_unicast = segments[0] & 0xe000 == 0x2000;
    let teredo = segments[0] == 0x2001 && segments[1] == 0;
    let orchid = segments[0] == 0x2001 && (segments[1] & 0xfff0) == 0x0010;
    let orchid_v2 = segments[0] == 0x2001 && (segments[1] & 0xfff0) == 0x0020;
    let documentation = segments[0] == 0x2001 && segments[1] == 0x0db8
        || (segments[0] == 0x3fff && segments[1] & 0xf000 == 0);
    global_unicast && !teredo && !orchid && !orchid_v2 && !documentation
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        s.parse::<IpAddr>().is_ok_and(is_public)
    }

    #[test]
    fn every_spelling_of_a_non_public_address_is_refused() {
        for address in [
            "0.0.0.0",
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:0.0.0.0",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "::0.0.0.1",
            "::8.8.8.8",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2002:c0a8:101::1",
            "2001::1",
            "2001:db8::1",
            "2001:10::1",
            "3fff::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "100::1",
        ] {
            assert!(!public(address), "{address} must not count as public");
        }
    }

    #[test]
    fn public_addresses_are_accepted() {
        for address in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "192.169.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(public(address), "{address} is public");
        }
    }
}
