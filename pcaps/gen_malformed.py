"""malformed/*: the hostile-input corpus (issue 8).  Packets: headers
truncated at every layer, lengths larger than the captured length, zero-
length and jumbo frames, bad IHL and TCP data offsets, bad UDP lengths,
fragment overlaps and floods, long IPv6 extension-header chains, VLAN stacks
ten deep, MPLS stacks too deep, tunnels nested too deep.  Capture files: a
bad magic number, a truncated record header and record body, caplen above
snaplen, an empty file.  Every case must end in a counter or one clear
message; the frames that follow each bad one must still be read."""
import os
import struct

from pcapgen import (PcapWriter, LINKTYPE_ETHERNET, ether, ipv4, ipv6, udp, tcp, gre, mpls,
                     pppoe_session, vlan_stack, ipv4_fragments, ipv6_fragments, TCP_SYN, TCP_ACK)

A4, B4 = "10.9.0.1", "10.9.0.2"
A6, B6 = "2001:db8:9::1", "2001:db8:9::2"
T0 = 1_700_100_000.0


def good():
    """A valid frame written after each bad group: proves the reader goes on."""
    return ether(ipv4(A4, B4, 17, udp(A4, B4, 5353, 5353, b"still-here")))


def truncations():
    """A TCP/IPv4 frame, a UDP/IPv6-in-VLAN frame and a GRE frame cut at
    every byte: caplen == wirelen, so the lengths inside are lies."""
    frames = []
    full = [ether(ipv4(A4, B4, 6, tcp(A4, B4, 1000, 80, TCP_SYN | TCP_ACK, b"data"))),
            vlan_stack(ipv6(A6, B6, 17, udp(A6, B6, 1000, 53, b"q", v6=True)), [7], 0x86DD),
            ether(ipv4("192.0.2.1", "192.0.2.2", 47, gre(ipv4(A4, B4, 17, udp(A4, B4, 1, 2, b"g")), key=1))),
            ether(pppoe_session(ipv4(A4, B4, 17, udp(A4, B4, 1, 2))), ethertype=0x8864),
            ether(mpls([16, 17], ipv4(A4, B4, 17, udp(A4, B4, 1, 2))), ethertype=0x8847)]
    for f in full:
        for cut in range(len(f)):
            frames.append((f[:cut], None))
    return frames


def header_lies():
    frames = []
    ip = bytearray(ipv4(A4, B4, 17, udp(A4, B4, 1, 2, b"abc")))
    for ihl in (0, 1, 4, 15):                       # IHL below 5, and beyond the datagram
        bad = bytearray(ip)
        bad[0] = 0x40 | ihl
        frames.append((ether(bytes(bad)), None))
    for total in (0, 19, 1500, 65535):              # total length too small / beyond the capture
        bad = bytearray(ip)
        bad[2:4] = struct.pack("!H", total)
        frames.append((ether(bytes(bad)), None))
    bad = bytearray(ip)
    bad[0] = 0x55                                   # IP version 5
    frames.append((ether(bytes(bad)), None))
    seg = bytearray(tcp(A4, B4, 1, 2, TCP_SYN, b"payload"))
    for doff in (0, 4, 15):                         # TCP data offset below 5 and beyond the segment
        bad = bytearray(seg)
        bad[12] = doff << 4
        frames.append((ether(ipv4(A4, B4, 6, bytes(bad))), None))
    useg = bytearray(udp(A4, B4, 1, 2, b"abcd"))
    for ulen in (0, 7, 200):                        # UDP length below 8 and beyond the datagram
        bad = bytearray(useg)
        bad[4:6] = struct.pack("!H", ulen)
        frames.append((ether(ipv4(A4, B4, 17, bytes(bad))), None))
    six = bytearray(ipv6(A6, B6, 17, udp(A6, B6, 1, 2, b"x", v6=True)))
    six[4:6] = struct.pack("!H", 4000)              # IPv6 payload length beyond the capture
    frames.append((ether(bytes(six), ethertype=0x86DD), None))
    # Transport headers cut short inside a consistent IP datagram.
    for proto, seg in ((6, tcp(A4, B4, 1, 2, TCP_SYN)[:10]), (17, udp(A4, B4, 1, 2)[:4]),
                       (1, b"\x08\x00\x00\x00"), (132, b"\x0b\x84\x0b"), (47, b"\x00")):
        frames.append((ether(ipv4(A4, B4, proto, seg)), None))
    # Snap-length truncation (wire length larger): decoded as far as captured.
    big = ether(ipv4(A4, B4, 17, udp(A4, B4, 1, 2, b"z" * 1400)))
    frames.append((big[:96], len(big)))
    return frames


def sizes():
    return [(b"", None),                            # zero-length frame
            (ether(ipv4(A4, B4, 17, udp(A4, B4, 1, 2, b"J" * 8950))), None),      # jumbo
            (ether(ipv4(A4, B4, 17, udp(A4, B4, 1, 2, b"M" * (65535 - 28)))), None)]  # maximum datagram


def deep_stacks():
    inner = ipv4(A4, B4, 17, udp(A4, B4, 1, 2, b"deep"))
    frames = [(vlan_stack(inner, list(range(1, 11))), None),         # VLAN stack ten deep
              (ether(mpls(list(range(100, 120)), inner), ethertype=0x8847), None)]   # 20 labels
    nested = inner                                                   # GRE in GRE, 6 deep
    for _ in range(6):
        nested = ipv4("192.0.2.1", "192.0.2.2", 47, gre(nested))
    frames.append((ether(nested), None))
    chain = b""                            # 70 destination-options headers: beyond the bound of 64
    for i in range(70):
        chain += struct.pack("!BB6x", 60 if i < 69 else 17, 0)
    frames.append((ether(ipv6(A6, B6, 60, chain + udp(A6, B6, 1, 2, b"e", v6=True)), ethertype=0x86DD), None))
    return frames


def fragments():
    frames = []
    seg = udp(A4, B4, 7, 9, b"F" * 100)
    f = ipv4_fragments(A4, B4, 17, seg, 48, ident=0x100)
    frames += [(ether(f[0]), None), (ether(f[0]), None), (ether(f[1]), None), (ether(f[2]), None)]
    # Overlap with different bytes: a second fragment at offset 8 rewriting data.
    ov = ipv4(A4, B4, 17, b"X" * 48, ident=0x101, flags_frag=0x2000 | 1)
    g = ipv4_fragments(A4, B4, 17, seg, 48, ident=0x101)
    frames += [(ether(g[0]), None), (ether(ov), None), (ether(g[1]), None), (ether(g[2]), None)]
    # Beyond 65535 bytes.
    frames.append((ether(ipv4(A4, B4, 17, b"L" * 64, ident=0x102, flags_frag=8189)), None))
    # A flood: 300 first fragments that never complete.
    for i in range(300):
        frames.append((ether(ipv4(A4, B4, 17, b"f" * 64, ident=0x1000 + i, flags_frag=0x2000)), None))
    # IPv6 fragments, one missing.
    s6 = udp(A6, B6, 7, 9, b"6" * 100, v6=True)
    h = ipv6_fragments(A6, B6, 17, s6, 48, ident=0x55)
    frames += [(ether(h[0], ethertype=0x86DD), None), (ether(h[2], ethertype=0x86DD), None)]
    return frames


def write_packets(path):
    t = T0
    with PcapWriter(path) as w:
        for group in (truncations, header_lies, sizes, deep_stacks, fragments):
            for frame, wirelen in group():
                t += 0.001
                w.write(t, frame, wirelen=wirelen)
            t += 0.001
            w.write(t, good())


def write_files(outdir):
    good_rec = lambda w, t: w.write(t, good())
    # Bad magic number.
    with open(os.path.join(outdir, "bad_magic.pcap"), "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xDEADBEEF, 2, 4, 0, 0, 65535, 1) + b"\0" * 32)
    # Empty file.
    open(os.path.join(outdir, "empty.pcap"), "wb").close()
    # Truncated record body: three packets, the third cut in its data.
    path = os.path.join(outdir, "truncated_record.pcap")
    with PcapWriter(path) as w:
        for i in range(3):
            good_rec(w, T0 + i)
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(size - 10)
    # Truncated record header: two packets, then 7 bytes of a record header.
    path = os.path.join(outdir, "truncated_header.pcap")
    with PcapWriter(path) as w:
        for i in range(2):
            good_rec(w, T0 + i)
        w.f.write(b"\1" * 7)
    # caplen above snaplen (snaplen 64, a record claiming 200 bytes), and
    # caplen above the largest snaplen libpcap accepts.
    with PcapWriter(os.path.join(outdir, "caplen_over_snaplen.pcap"), snaplen=64) as w:
        good_rec(w, T0)
        frame = good() + b"p" * 150
        w.write(T0 + 1, frame)
        good_rec(w, T0 + 2)
    with PcapWriter(os.path.join(outdir, "caplen_huge.pcap")) as w:
        good_rec(w, T0)
        w.f.write(struct.pack("<IIII", int(T0) + 1, 0, 0x7FFFFFF0, 0x7FFFFFF0) + b"\0" * 64)


def write_unsupported(outdir):
    """802.11 frames (link type 105): counted and skipped, one warning."""
    with PcapWriter(os.path.join(outdir, "unsupported_linktype.pcap"), linktype=105) as w:
        for i in range(3):
            w.write(T0 + i, struct.pack("<HH6s6s6sH", 0x0008, 0, b"\xff" * 6, b"\x02" * 6, b"\x02" * 6, 0)
                    + b"\xaa\xaa\x03\0\0\0\x08\0" + ipv4(A4, B4, 17, udp(A4, B4, 1, 2)))


def generate(outdir):
    sub = os.path.join(outdir, "malformed")
    os.makedirs(sub, exist_ok=True)
    write_packets(os.path.join(sub, "packets.pcap"))
    write_files(sub)
    write_unsupported(sub)
