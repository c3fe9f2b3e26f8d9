"""demo.pcap: a few minutes of an extranet segment for `make demo`: ordinary
DNS and HTTP, plus things the default rules flag (clear-text HTTP basic
credentials, a host sweep, a DNS query for a suspicious domain)."""
import base64
import os

from pcapgen import PcapWriter, TcpSession, eth_udp4, eth_tcp4, dns_query, TCP_SYN


def generate(outdir):
    with PcapWriter(os.path.join(outdir, "demo.pcap")) as w:
        t = 1_700_000_000.0
        w.write(t, eth_udp4("10.1.2.3", "10.0.0.53", 40000, 53, dns_query("portal.gov.example")))
        s = TcpSession(w, t + 0.1, "10.1.2.3", "10.0.0.80", 41000, 80).handshake()
        cred = base64.b64encode(b"admin:admin123").decode()
        s.send(("GET /admin/ HTTP/1.1\r\nHost: portal.gov.example\r\nUser-Agent: curl/7.88\r\n"
                "Authorization: Basic %s\r\n\r\n" % cred).encode())
        s.reply(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        t = s.close()
        for i in range(1, 40):
            w.write(t + i * 0.01, eth_tcp4("10.9.9.9", "10.1.0.%d" % i, 50000 + i, 445, TCP_SYN))
        w.write(t + 1, eth_udp4("10.1.2.3", "10.0.0.53", 40001, 53, dns_query("xmr.pool.minergate.com")))
