"""header_keywords.pcap: packets for the TCP/ICMP header keywords, flowint,
flow.age and the TCP state stream events (tests/regress/test_header_keywords.sh
holds the expected alerts).  Every field a rule looks at is spelled out
here: sequence and acknowledgement numbers, windows, IP ids, TCP options,
ICMP ids and sequence numbers, packet times."""
import os
import struct

from pcapgen import (PcapWriter, checksum, ether, ipv4, icmp, eth_udp4, _pseudo4,
                     TCP_SYN, TCP_ACK, TCP_PSH, TCP_FIN, TCP_RST)

C, S = "10.7.0.1", "10.7.0.2"
PA = TCP_PSH | TCP_ACK
MSS_500 = b"\x02\x04\x01\xf4\x01\x01\x04\x02"      # MSS 500, NOP NOP, SACK permitted
MSS_1460 = b"\x02\x04\x05\xb4"


def tcp_opts(src, dst, sport, dport, flags, payload=b"", seq=1, ack=0, window=65535,
             options=b""):
    """A TCP segment with options (padded to 32 bits) and a right checksum."""
    options += b"\x00" * (-len(options) % 4)
    off = (20 + len(options)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, window, 0, 0)
    hdr += options
    csum = checksum(_pseudo4(src, dst, 6, len(hdr) + len(payload)) + hdr + payload)
    return hdr[:16] + struct.pack("!H", csum) + hdr[18:] + payload


def seg(w, t, src, dst, sport, dport, flags, payload=b"", seq=1, ack=0, window=65535,
        options=b"", ident=1):
    seg_bytes = tcp_opts(src, dst, sport, dport, flags, payload, seq, ack, window, options)
    w.write(t, ether(ipv4(src, dst, 6, seg_bytes, ident=ident)))


def header_fields(w, t):
    """Packets 1-7: a handshake whose SYN carries MSS 500; a RST "from" the
    client, which then goes on sending (the RST was injected): a data
    packet with known seq/ack/window/IP id, and more data that the stream,
    which did not end at the RST, reassembles."""
    cp = 41001
    seg(w, t + 0.001, C, S, cp, 80, TCP_SYN, b"", 1000, 0, 8192, MSS_500)              # 1
    seg(w, t + 0.002, S, C, 80, cp, TCP_SYN | TCP_ACK, b"", 5000, 1001, 64240, MSS_1460)  # 2
    seg(w, t + 0.003, C, S, cp, 80, TCP_ACK, b"", 1001, 5001, 8192)                   # 3
    seg(w, t + 0.004, C, S, cp, 80, TCP_RST | TCP_ACK, b"", 1001, 5001, 0)             # 4
    seg(w, t + 0.005, C, S, cp, 80, PA, b"hello", 1001, 5001, 1234, ident=4242)      # 5
    seg(w, t + 0.006, C, S, cp, 80, PA, b"secret-after-rst", 1006, 5001, 8192)       # 6
    seg(w, t + 0.007, S, C, 80, cp, TCP_ACK, b"", 5001, 1022, 64240)                  # 7


def flowint_counting(w, t):
    """Packets 8-13: three PING packets; the third is the one that counts."""
    cp = 41002
    seg(w, t + 0.010, C, S, cp, 80, TCP_SYN, b"", 100, 0)                             # 8
    seg(w, t + 0.011, S, C, 80, cp, TCP_SYN | TCP_ACK, b"", 900, 101)                 # 9
    seg(w, t + 0.012, C, S, cp, 80, TCP_ACK, b"", 101, 901)                           # 10
    for i in range(3):                                                                # 11-13
        seg(w, t + 0.013 + i * 0.001, C, S, cp, 80, PA, b"PING", 101 + 4 * i, 901)


def icmp_echo(w, t):
    """Packets 14-15: echo request and reply, id 666, sequence 2216."""
    w.write(t + 0.020, ether(ipv4(C, S, 1, icmp(8, 0, b"abcdefgh", 666, 2216))))      # 14
    w.write(t + 0.021, ether(ipv4(S, C, 1, icmp(0, 0, b"abcdefgh", 666, 2216))))      # 15


def no_session_and_synack(w, t):
    """Packets 16-21: a lone RST, a lone FIN/ACK, a SYN/ACK that does not
    acknowledge the SYN, a SYN/ACK from the side that sent the SYN."""
    seg(w, t + 0.030, C, S, 41003, 80, TCP_RST | TCP_ACK, b"", 7, 9)                   # 16
    seg(w, t + 0.031, C, S, 41004, 80, TCP_FIN | TCP_ACK, b"", 7, 9)                   # 17
    seg(w, t + 0.032, C, S, 41005, 80, TCP_SYN, b"", 300, 0)                           # 18
    seg(w, t + 0.033, S, C, 80, 41005, TCP_SYN | TCP_ACK, b"", 700, 12345)            # 19
    seg(w, t + 0.034, C, S, 41006, 80, TCP_SYN, b"", 400, 0)                           # 20
    seg(w, t + 0.035, C, S, 41006, 80, TCP_SYN | TCP_ACK, b"", 400, 0)                 # 21


def old_flow(w, t):
    """Packets 22-24: a UDP flow seen at 0, 10 and 25 seconds."""
    for i, dt in enumerate((0.040, 10.040, 25.040)):
        w.write(t + dt, eth_udp4(C, S, 41007, 5353, b"tick%d" % i))                    # 22-24


def rst_with_data(w, t):
    """Packets 25-29: the server's data, then a RST from the client that
    carries data: on the packet, not in the stream."""
    cp = 41008
    seg(w, t + 30.001, C, S, cp, 8080, TCP_SYN, b"", 1, 0)                             # 25
    seg(w, t + 30.002, S, C, 8080, cp, TCP_SYN | TCP_ACK, b"", 1000, 2)               # 26
    seg(w, t + 30.003, C, S, cp, 8080, TCP_ACK, b"", 2, 1001)                         # 27
    seg(w, t + 30.004, S, C, 8080, cp, PA, b"Please Let Me In!", 1001, 2)            # 28
    seg(w, t + 30.005, C, S, cp, 8080, TCP_RST | TCP_ACK, b"Access Denied", 2, 1018)  # 29


def synack_resends(w, t):
    """Packets 30-34: a SYN/ACK sent again the same (fine), then with another
    ISN, then with another acknowledgement, then the client's ACK."""
    cp = 41009
    seg(w, t + 31.001, C, S, cp, 80, TCP_SYN, b"", 500, 0)                             # 30
    seg(w, t + 31.002, S, C, 80, cp, TCP_SYN | TCP_ACK, b"", 700, 501)                # 31
    seg(w, t + 31.003, S, C, 80, cp, TCP_SYN | TCP_ACK, b"", 700, 501)                # 32
    seg(w, t + 31.004, S, C, 80, cp, TCP_SYN | TCP_ACK, b"", 800, 501)                # 33
    seg(w, t + 31.005, S, C, 80, cp, TCP_SYN | TCP_ACK, b"", 800, 999)                # 34
    seg(w, t + 31.006, C, S, cp, 80, TCP_ACK, b"", 501, 801)                          # 35


def generate(outdir):
    t = 1_700_200_000.0
    with PcapWriter(os.path.join(outdir, "header_keywords.pcap")) as w:
        for case in (header_fields, flowint_counting, icmp_echo, no_session_and_synack,
                     old_flow, rst_with_data, synack_resends):
            case(w, t)
