"""decode_*.pcap: one small capture per link type and per encapsulation the
decoder reads (VLAN, QinQ, MPLS, PPPoE, GRE, IP-in-IP, 6in4, 4in6, IPv6
extension headers, IPv4/IPv6 fragments, SCTP, VXLAN, Geneve, GTP-U; Ethernet, raw IP, BSD
loopback, Linux cooked v1/v2, PPP, Cisco HDLC), plus one pcapng.  Each
carries a UDP datagram 10.0.0.1:1111 -> 10.0.0.2:2222 (or its IPv6 twin
2001:db8::1 -> 2001:db8::2) with payload b"xiezhi-decode", so a test can
check that the innermost flow comes out the same everywhere."""
import os
import struct

from pcapgen import (PcapWriter, PcapngWriter, LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_NULL,
                     LINKTYPE_LOOP, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_PPP,
                     LINKTYPE_C_HDLC, ether, ipv4, ipv6, udp, tcp, sctp, gre, mpls, pppoe_session,
                     vlan_stack, ipv4_fragments, ipv6_fragments, TCP_SYN)

A4, B4 = "10.0.0.1", "10.0.0.2"
A6, B6 = "2001:db8::1", "2001:db8::2"
PAYLOAD = b"xiezhi-decode"
T0 = 1_700_000_000.0


def udp4():
    return ipv4(A4, B4, 17, udp(A4, B4, 1111, 2222, PAYLOAD))


def udp6():
    return ipv6(A6, B6, 17, udp(A6, B6, 1111, 2222, PAYLOAD, v6=True))


def write(outdir, name, frames, linktype=LINKTYPE_ETHERNET):
    with PcapWriter(os.path.join(outdir, name), linktype) as w:
        for i, f in enumerate(frames):
            w.write(T0 + i * 0.001, f)


def generate(outdir):
    # Link types: the same IPv4 and IPv6 datagrams behind each link header.
    write(outdir, "decode_eth.pcap", [ether(udp4()), ether(udp6(), ethertype=0x86DD)])
    write(outdir, "decode_raw.pcap", [udp4(), udp6()], LINKTYPE_RAW)
    write(outdir, "decode_null.pcap", [struct.pack("<I", 2) + udp4(), struct.pack("<I", 30) + udp6(),
                                       struct.pack(">I", 24) + udp6()], LINKTYPE_NULL)
    write(outdir, "decode_loop.pcap", [struct.pack(">I", 2) + udp4(), struct.pack(">I", 28) + udp6()],
          LINKTYPE_LOOP)
    sll = lambda proto: struct.pack("!HHH8sH", 0, 1, 6, b"\x02\0\0\0\0\x01\0\0", proto)
    write(outdir, "decode_sll.pcap", [sll(0x0800) + udp4(), sll(0x86DD) + udp6()], LINKTYPE_LINUX_SLL)
    sll2 = lambda proto: struct.pack("!HHIHBB8s", proto, 0, 2, 1, 0, 6, b"\x02\0\0\0\0\x01\0\0")
    write(outdir, "decode_sll2.pcap", [sll2(0x0800) + udp4(), sll2(0x86DD) + udp6()], LINKTYPE_LINUX_SLL2)
    write(outdir, "decode_ppp.pcap", [b"\xff\x03\x00\x21" + udp4(), b"\x00\x57" + udp6(), b"\x21" + udp4()],
          LINKTYPE_PPP)
    write(outdir, "decode_hdlc.pcap", [b"\x0f\x00\x08\x00" + udp4(), b"\x0f\x00\x86\xdd" + udp6()],
          LINKTYPE_C_HDLC)

    # Layer 2.5: VLAN, QinQ, MPLS, PPPoE.
    write(outdir, "decode_vlan.pcap", [vlan_stack(udp4(), [100]), vlan_stack(udp6(), [101], 0x86DD)])
    write(outdir, "decode_qinq.pcap", [vlan_stack(udp4(), [200, 300], tpids=[0x88A8, 0x8100]),
                                       vlan_stack(udp4(), [201, 301], tpids=[0x9100, 0x8100])])
    write(outdir, "decode_mpls.pcap", [ether(mpls([1000, 2000], udp4()), ethertype=0x8847),
                                       ether(mpls([3000], udp6()), ethertype=0x8847)])
    write(outdir, "decode_pppoe.pcap", [ether(pppoe_session(udp4()), ethertype=0x8864),
                                        ether(pppoe_session(udp6(), 0x0057), ethertype=0x8864)])

    # Tunnels: the inner flow is the flow.
    outer = lambda proto, inner: ether(ipv4("192.0.2.1", "192.0.2.2", proto, inner))
    outer6 = lambda nh, inner: ether(ipv6("2001:db8:ffff::1", "2001:db8:ffff::2", nh, inner), ethertype=0x86DD)
    write(outdir, "decode_ipip.pcap", [outer(4, udp4())])
    write(outdir, "decode_6in4.pcap", [outer(41, udp6())])
    write(outdir, "decode_4in6.pcap", [outer6(4, udp4()), outer6(41, udp6())])
    write(outdir, "decode_gre.pcap", [outer(47, gre(udp4())),
                                      outer(47, gre(udp6(), 0x86DD, key=42, seq=7, csum=True)),
                                      outer(47, gre(ether(udp4()), 0x6558, key=5))])

    # UDP tunnels: VXLAN (4789), Geneve (6081), GTP-U G-PDU (2152).
    udpo = lambda dport, inner: outer(17, udp("192.0.2.1", "192.0.2.2", 40000, dport, inner))
    write(outdir, "decode_udp_tunnels.pcap",
          [udpo(4789, struct.pack("!II", 0x08000000, 42 << 8) + ether(udp4())),
           udpo(6081, struct.pack("!BBHI", 0, 0, 0x6558, 7 << 8) + ether(udp6(), ethertype=0x86DD)),
           udpo(2152, struct.pack("!BBHI", 0x30, 0xFF, len(udp4()), 0x1234) + udp4())])

    # IPv6 extension headers: hop-by-hop, routing, destination options.
    ext = struct.pack("!BB6x", 43, 0) + struct.pack("!BBBB4x", 60, 0, 0, 0) + struct.pack("!BB6x", 17, 0)
    write(outdir, "decode_ipv6_ext.pcap",
          [ether(ipv6(A6, B6, 0, ext + udp(A6, B6, 1111, 2222, PAYLOAD, v6=True)), ethertype=0x86DD)])

    # Fragments: IPv4 out of order, IPv6 in order; a 600-byte UDP payload.
    big = PAYLOAD + bytes(range(256)) * 2 + b"x" * 75
    seg4 = udp(A4, B4, 1111, 2222, big)
    frags4 = ipv4_fragments(A4, B4, 17, seg4, 256)
    write(outdir, "decode_frag4.pcap", [ether(f) for f in (frags4[2], frags4[0], frags4[1])])
    seg6 = udp(A6, B6, 1111, 2222, big, v6=True)
    write(outdir, "decode_frag6.pcap", [ether(f, ethertype=0x86DD) for f in ipv6_fragments(A6, B6, 17, seg6, 256)])

    # SCTP and a TCP SYN.
    write(outdir, "decode_transports.pcap", [ether(ipv4(A4, B4, 132, sctp(3868, 3868, PAYLOAD))),
                                             ether(ipv4(A4, B4, 6, tcp(A4, B4, 1111, 80, TCP_SYN, seq=77)))])

    with PcapngWriter(os.path.join(outdir, "decode_pcapng.pcapng")) as w:
        w.write(T0, ether(udp4()))
        w.write(T0 + 0.5, ether(udp6(), ethertype=0x86DD))
