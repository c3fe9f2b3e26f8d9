"""Captures for the Redis delivery tests: many tiny UDP flows, so one run
makes tens of thousands of flow events (and, with a one-line rule, as many
alerts) without a large file.  Deterministic (no clock, no randomness)."""
import os
import struct

from pcapgen import PcapWriter, TcpSession, eth_udp4

FLOWS = 25000
BASE_TS = 1700000000.0


def generate(outdir):
    path = os.path.join(outdir, "redis_25k_udp_flows.pcap")
    with PcapWriter(path) as w:
        for i in range(FLOWS):
            src = "10.50.%d.%d" % (i // 250, i % 250 + 1)
            frame = eth_udp4(src, "10.60.0.1", 20000 + i % 40000, 9999, b"x")
            w.write(BASE_TS + i * 0.001, frame)
    generate_hostile(outdir)


def _dns_raw(labels, ident):
    """A DNS query whose labels are raw bytes (binary, quotes, invalid UTF-8)."""
    q = b"".join(struct.pack("!B", len(p)) + p for p in labels) + b"\0"
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", 1, 1)


def _client_hello(sni):
    """A TLS 1.2 ClientHello carrying sni (raw bytes) in server_name."""
    name = struct.pack("!BH", 0, len(sni)) + sni
    ext = struct.pack("!HHH", 0, len(name) + 2, len(name)) + name
    body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + struct.pack("!H", 4) + b"\x13\x01\x00\x2f"
            + b"\x01\x00" + struct.pack("!H", len(ext)) + ext)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def generate_hostile(outdir):
    """Network strings built to break a JSON writer: control characters,
    quotes, backslashes, NUL, DEL and invalid UTF-8 in DNS names, HTTP Host,
    URL and User-Agent, and a TLS SNI."""
    nasty = b'q"uo\\te\x01\x07\x1b[31m\x7f\xff\xfe\xc3\x28\xe2\x82'
    with PcapWriter(os.path.join(outdir, "redis_hostile_strings.pcap")) as w:
        t = BASE_TS
        w.write(t, eth_udp4("10.1.2.3", "10.0.0.53", 40000, 53,
                            _dns_raw([b"a\x00b", nasty[:20], b"example", b"com"], 0x1111)))
        w.write(t + 0.01, eth_udp4("10.1.2.3", "10.0.0.53", 40001, 53,
                                   _dns_raw([b"\xf0\x9f\x92\xa9ok", b"\xed\xa0\x80", b"gov"], 0x2222)))
        s = TcpSession(w, t + 0.1, "10.1.2.3", "10.0.0.80", 41000, 80).handshake()
        s.send(b"GET /p?x=" + nasty + b" HTTP/1.1\r\nHost: " + nasty + b".example\r\n"
               b"User-Agent: Mozilla\x00\"\\\x08\r\n\r\n")
        s.reply(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        t = s.close()
        s = TcpSession(w, t + 0.1, "10.1.2.3", "10.0.0.43", 41001, 443).handshake()
        s.send(_client_hello(b"evil\"\\\x01\xff" + b"\x1b]0;pwn\x07.example"))
        t = s.close()
