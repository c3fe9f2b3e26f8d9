"""A capture whose TLS sides announce different versions, for ssl_version's
per-direction reading (tests/regress/test_ssl_version_sides.sh):

  tls_sides.pcap   10.1.0.50:52001 -> 10.0.0.47:443: a TLS 1.2 ClientHello
                   (legacy_version 0x0303, no supported_versions) answered by
                   a TLS 1.0 ServerHello (0x0301), then ServerHelloDone,
                   ClientKeyExchange, CCS and Finished both ways, and
                   application data; 52002: a TLS 1.3 ClientHello
                   (supported_versions GREASE, 1.3, 1.2) answered in TLS 1.2
                   (no supported_versions in the ServerHello)

Seeded: the same bytes on every run."""
import os
import random

from gen_proto import T0, _noise, client_hello, ext, hs, record, server_hello, u16list, u16v, u8v
from pcapgen import PcapWriter, TcpSession


def session(w, t, rng, cport, client_version, client_exts, server_version):
    s = TcpSession(w, t, "10.1.0.50", "10.0.0.47", cport, 443).handshake()
    s.send(record(22, 0x0301, client_hello(client_version, _noise(rng, 32),
                                           [0xc02f, 0x002f, 0x00ff], client_exts)))
    s.reply(record(22, server_version,
                   server_hello(server_version, _noise(rng, 32), 0x002f, [], _noise(rng, 32)) +
                   hs(14, b"")))
    s.send(record(22, server_version, hs(16, u16v(_noise(rng, 128)))) +
           record(20, server_version, b"\x01") + record(22, server_version, _noise(rng, 40)))
    s.reply(record(20, server_version, b"\x01") + record(22, server_version, _noise(rng, 40)))
    s.send(record(23, server_version, _noise(rng, 100)))
    s.reply(record(23, server_version, _noise(rng, 300)))
    return s.close()


def generate(outdir):
    rng = random.Random(5246)
    tls13_offer = [ext(0x002b, u8v(u16list([0x2a2a, 0x0304, 0x0303])))]
    with PcapWriter(os.path.join(outdir, "tls_sides.pcap")) as w:
        t = session(w, T0, rng, 52001, 0x0303, [], 0x0301)
        session(w, t + 1, rng, 52002, 0x0303, tls13_offer, 0x0303)


if __name__ == "__main__":
    generate(os.path.dirname(os.path.abspath(__file__)))
