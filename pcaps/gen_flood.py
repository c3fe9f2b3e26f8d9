"""flood_udp_spoofed.pcap: a UDP flood from spoofed sources (issue 14, flow
memory): 40,000 one-packet flows, each from another source address and
port, to one DNS server, carrying 16 bytes nDPI cannot classify, so each
flow keeps its nDPI state.  tests/regress/test_flow_memcap.sh shows the
sensor's memory stays under flow.memcap.  Deterministic: a fixed LCG, no
clock."""
import os
import struct

from pcapgen import PcapWriter, ether, ipv4

FLOWS = 40000
T0 = 1_700_141_000.0


def generate(outdir):
    x = 0x14C0FFEE
    with PcapWriter(os.path.join(outdir, "flood_udp_spoofed.pcap")) as w:
        for i in range(FLOWS):
            x = (x * 6364136223846793005 + 1442695040888963407) & (2**64 - 1)
            a = x >> 32
            src = "%d.%d.%d.%d" % (11 + (a >> 24) % 200, (a >> 16) & 255, (a >> 8) & 255, 1 + a % 254)
            sport = 1024 + (x >> 8) % 60000
            payload = struct.pack("!QQ", x, x ^ 0x5A5A5A5A5A5A5A5A)
            # UDP checksum 0 (none), so the script stays fast
            seg = struct.pack("!HHHH", sport, 53, 8 + len(payload), 0) + payload
            w.write(T0 + i * 0.00005, ether(ipv4(src, "10.0.0.53", 17, seg)))
