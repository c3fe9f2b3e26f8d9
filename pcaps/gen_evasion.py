"""evasion_decoder.pcap: frames that hid their payload from every rule
through the decoder (issue 14).  Each carries a marker "EVADE-<case>" that
tests/regress/evasion/evasion.rules looks for; the alerts expected (and the
addresses and ports they must name) are in tests/regress/evasion/.

- a tunnel whose inner layer does not decode (IP-in-IP with a bad inner
  IHL, GRE with the routing bit, GRE carrying a bad IPv4 version, VXLAN
  carrying a TCP header with a bad data offset, GTP-U carrying a bad IPv4
  header): the outer datagram must be the packet;
- UDP sent FROM a tunnel port (6081, 4789, 2152) whose payload happens to
  pass a loose tunnel check: it must stay the sender's UDP;
- Geneve and GTP-U headers with reserved bits set or a lying length: no
  tunnel;
- TCP behind nine IPv6 destination-options headers (hosts accept it), and
  UDP behind seventy (beyond the decoder's bound of 64: kept, with the
  decode event ipv6_exthdr_too_many)."""
import os
import struct

from pcapgen import PcapWriter, ether, ipv4, ipv6, udp, tcp, gre, TCP_ACK, TCP_PSH

A, B = "10.14.0.1", "10.14.0.2"           # the hosts talking
O, P = "192.0.2.14", "192.0.2.41"        # tunnel endpoints
A6, B6 = "2001:db8:14::1", "2001:db8:14::2"
T0 = 1_700_140_000.0


def marker(case):
    return b"EVADE-" + case.encode()


def bad_inner_ipv4(case):
    """Bytes that start like IPv4 (version 4) with IHL 3, then the marker."""
    return bytes([0x43]) + bytes(19) + marker(case)


def frames():
    out = []
    # Tunnels whose inner layer is malformed.
    out.append(ether(ipv4(O, P, 4, bad_inner_ipv4("ipip"))))
    out.append(ether(ipv4(O, P, 47, struct.pack("!HH", 0x4000, 0x0800) + bytes(4) + marker("gre-routing"))))
    inner = bytearray(ipv4(A, B, 17, udp(A, B, 1000, 2000, marker("gre-badver"))))
    inner[0] = 0x55
    out.append(ether(ipv4(O, P, 47, gre(bytes(inner)))))
    seg = bytearray(tcp(A, B, 1234, 80, TCP_ACK | TCP_PSH, marker("vxlan-tcp")))
    seg[12] = 2 << 4                                  # data offset 8 bytes: below the minimum
    vxlan = struct.pack("!II", 0x08000000, 42 << 8) + ether(ipv4(A, B, 6, bytes(seg)))
    out.append(ether(ipv4(O, P, 17, udp(O, P, 40001, 4789, vxlan))))
    gtp_payload = bad_inner_ipv4("gtpu-badip")
    gtpu = struct.pack("!BBHI", 0x30, 0xFF, len(gtp_payload), 0x1234) + gtp_payload
    out.append(ether(ipv4(O, P, 17, udp(O, P, 2152, 2152, gtpu))))
    # Sent from a tunnel port: the sender's own UDP, never decapsulated.
    geneve_like = struct.pack("!BBHI", 0, 0, 0x0800, 0) + marker("from-6081")
    out.append(ether(ipv4(A, B, 17, udp(A, B, 6081, 53, geneve_like))))
    vx_inner = ether(ipv4("172.16.9.9", "172.16.9.10", 17, udp("172.16.9.9", "172.16.9.10", 7, 7,
                                                                 marker("from-4789"))))
    out.append(ether(ipv4(A, B, 17, udp(A, B, 4789, 40002, struct.pack("!II", 0x08000000, 7 << 8) + vx_inner))))
    gtp_inner = ipv4("172.16.9.9", "172.16.9.10", 17, udp("172.16.9.9", "172.16.9.10", 7, 7, marker("from-2152")))
    out.append(ether(ipv4(A, B, 17, udp(A, B, 2152, 40003,
                                        struct.pack("!BBHI", 0x30, 0xFF, len(gtp_inner), 1) + gtp_inner))))
    # Reserved bits and lengths: no tunnel, the outer UDP carries the marker.
    geneve_rsvd = struct.pack("!BBHI", 0, 0x01, 0x0800, 7 << 8) + \
        ipv4("172.16.9.9", "172.16.9.10", 17, udp("172.16.9.9", "172.16.9.10", 7, 7, marker("geneve-rsvd")))
    out.append(ether(ipv4(O, P, 17, udp(O, P, 40004, 6081, geneve_rsvd))))
    inner_ok = ipv4("172.16.9.9", "172.16.9.10", 17, udp("172.16.9.9", "172.16.9.10", 7, 7, marker("gtpu-len")))
    gtp_lie = struct.pack("!BBHI", 0x30, 0xFF, len(inner_ok) + 40, 1) + inner_ok
    out.append(ether(ipv4(O, P, 17, udp(O, P, 40005, 2152, gtp_lie))))
    # IPv6 extension-header chains.
    chain9 = b"".join(struct.pack("!BB6x", 60 if i < 8 else 6, 0) for i in range(9))
    out.append(ether(ipv6(A6, B6, 60, chain9 + tcp(A6, B6, 40006, 80, TCP_ACK | TCP_PSH, marker("ipv6-ext9"), v6=True)),
                     ethertype=0x86DD))
    chain70 = b"".join(struct.pack("!BB6x", 60 if i < 69 else 17, 0) for i in range(70))
    out.append(ether(ipv6(A6, B6, 60, chain70 + udp(A6, B6, 40007, 53, marker("ipv6-ext70"), v6=True)),
                     ethertype=0x86DD))
    return out


def generate(outdir):
    with PcapWriter(os.path.join(outdir, "evasion_decoder.pcap")) as w:
        for i, frame in enumerate(frames()):
            w.write(T0 + i * 0.01, frame)
