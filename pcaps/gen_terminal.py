"""terminal_c1.pcap: network strings carrying C1 control characters
(U+0080-U+009F as UTF-8, e.g. C2 9B, the 8-bit CSI that terminals treat
like ESC [) next to printable non-ASCII text, in a DNS query name, an HTTP
Host, URL and User-Agent, and a TLS SNI (issue 14, terminal safety).  The
sensor's JSON must escape them; the analyst's consumer must print none."""
import os
import struct

from pcapgen import PcapWriter, TcpSession, eth_udp4
from gen_redis import _dns_raw, _client_hello

BASE_TS = 1700140500.0
C1 = b"\xc2\x9b" + b"31m" + b"\xc2\x85" + b"\xc2\x90" + b"caf\xc3\xa9" + b"\xc2\x9d0;t\xc2\x9c"


def generate(outdir):
    with PcapWriter(os.path.join(outdir, "terminal_c1.pcap")) as w:
        t = BASE_TS
        w.write(t, eth_udp4("10.1.4.3", "10.0.0.53", 40100, 53, _dns_raw([b"x" + C1, b"example", b"com"], 0x3131)))
        s = TcpSession(w, t + 0.1, "10.1.4.3", "10.0.0.80", 41100, 80).handshake()
        s.send(b"GET /c1?" + C1 + b" HTTP/1.1\r\nHost: h" + C1 + b".example\r\nUser-Agent: ua" + C1 + b"\r\n\r\n")
        s.reply(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        t = s.close()
        s = TcpSession(w, t + 0.1, "10.1.4.3", "10.0.0.43", 41101, 443).handshake()
        s.send(_client_hello(b"sni" + C1 + b".example"))
        s.close()
