"""Captures for multi-buffer inspection (docs/rules.md, "Multi-buffers");
expected alerts live in tests/regress/test_multibuf.sh.

  multibuf_dns.pcap   one UDP flow: an ordinary exchange (one question, one
                      answer), then a query with two questions (a.example.org,
                      b.test.net) whose response carries three answer names
                      (a.example.org, cdn.example.net, www.example.com);
                      rules must see each name on its own
"""
import os

from gen_proto import DnsMsg, T0
from pcapgen import PcapWriter, eth_udp4


def _a(msg, name, addr):
    return msg.record(1, name, 1, 60, lambda off: bytes(addr))


def exchanges():
    q1 = DnsMsg(0x2001, 0x0100).question("www.example.gov.cn", 1)
    r1 = DnsMsg(0x2001, 0x8180).question("www.example.gov.cn", 1)
    _a(r1, "www.example.gov.cn", [192, 0, 2, 10])
    q2 = DnsMsg(0x2002, 0x0100).question("a.example.org", 1).question("b.test.net", 1)
    r2 = DnsMsg(0x2002, 0x8180).question("a.example.org", 1).question("b.test.net", 1)
    _a(r2, "a.example.org", [192, 0, 2, 1])
    _a(r2, "cdn.example.net", [192, 0, 2, 2])
    _a(r2, "www.example.com", [192, 0, 2, 3])
    return [(q1.bytes(), r1.bytes()), (q2.bytes(), r2.bytes())]


def generate(outdir):
    with PcapWriter(os.path.join(outdir, "multibuf_dns.pcap")) as w:
        t = T0
        for q, r in exchanges():
            t += 0.01
            w.write(t, eth_udp4("10.1.0.30", "10.0.0.53", 41000, 53, q))
            w.write(t + 0.002, eth_udp4("10.0.0.53", "10.1.0.30", 53, 41000, r))


if __name__ == "__main__":
    generate(os.path.dirname(os.path.abspath(__file__)))
