"""Captures for the DNS, TLS/TLCP and SSH parsers (docs/dns.md, docs/tls.md,
docs/ssh.md); expected values live in tests/unit/test_proto.c.

  proto_dns_udp.pcap   one client port, every record type of issue 13 (A,
                       AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT, HTTPS, SVCB,
                       NULL) asked and answered, names compressed
  proto_dns_tcp.pcap   the same exchanges over one TCP connection, several
                       length-prefixed messages per segment and messages
                       split across segments
  proto_tls.pcap       a TLS 1.2 and a TLS 1.3 handshake, hellos and the
                       certificate chain split across segments; the TLS 1.3
                       ClientHello is the JA4 specification's example
  proto_tlcp.pcap      a TLCP session per GB/T 38636-2020 (version 0x0101,
                       ECC_SM4_CBC_SM3, signing + encryption certificates,
                       ServerKeyExchange signed with SM2/SM3, ClientKeyExchange
                       holding an SM2-encrypted premaster secret, CCS,
                       encrypted Finished, application data), international
                       TLS to the same server, and a TLCP server with an
                       expired self-signed SM2 certificate
  proto_ssh.pcap       banners, both KEXINITs, NEWKEYS, then ciphertext
  proto_sslv2.pcap     an SSLv2-format ClientHello answered in TLS 1.0, and
                       an SSL 2.0 CLIENT-HELLO / SERVER-HELLO exchange

The SM2 and RSA certificates, the SM2 signature and the SM2 ciphertext are
made by the openssl CLI (OpenSSL 3) the first time and kept in pcaps/certs/,
which is committed: with them present the output is the same bytes on every
run (everything else is seeded)."""
import os
import random
import struct
import subprocess

from pcapgen import PcapWriter, TcpSession, eth_udp4

T0 = 1_830_000_000.0          # 2027-12-28: after the expired certificate's end
HERE = os.path.dirname(os.path.abspath(__file__))
CERTS = os.path.join(HERE, "certs")
DISTID = "distid:1234567812345678"


# ---- DNS ----

class DnsMsg:
    """A DNS message with RFC 1035 name compression."""

    def __init__(self, ident, flags):
        self.ident, self.flags = ident, flags
        self.body = bytearray()
        self.names = {}
        self.counts = [0, 0, 0, 0]

    def name(self, name, base):
        out = bytearray()
        labels = [x for x in name.split(".") if x]
        for i in range(len(labels)):
            suffix = ".".join(labels[i:]).lower()
            if suffix in self.names:
                return bytes(out) + struct.pack("!H", 0xC000 | self.names[suffix])
            pos = base + len(out)
            if pos < 0x3FFF:
                self.names[suffix] = pos
            out += bytes([len(labels[i])]) + labels[i].encode()
        return bytes(out) + b"\0"

    def _off(self):
        return 12 + len(self.body)

    def question(self, name, qtype):
        self.body += self.name(name, self._off()) + struct.pack("!HH", qtype, 1)
        self.counts[0] += 1
        return self

    def record(self, section, name, rtype, ttl, rdata_fn):
        head = self.name(name, self._off())
        start = self._off() + len(head) + 10
        rdata = rdata_fn(start)
        self.body += head + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata
        self.counts[section] += 1
        return self

    def bytes(self):
        return struct.pack("!HHHHHH", self.ident, self.flags, *self.counts) + bytes(self.body)


def _txt(*strings):
    return lambda off: b"".join(bytes([len(s)]) + s for s in strings)


def _svcb(msg, prio, target, params):
    def build(off):
        out = struct.pack("!H", prio) + msg.name(target, off + 2) if target != "." else \
            struct.pack("!H", prio) + b"\0"
        for key, val in params:
            out += struct.pack("!HH", key, len(val)) + val
        return out
    return build


def dns_exchanges():
    """(query bytes, response bytes) for every record type; ids 0x1001.."""
    ex = []
    zone = "gov.example.cn"

    def qr(ident, name, qtype, answers, rcode=0, authority=None):
        q = DnsMsg(ident, 0x0100).question(name, qtype)
        r = DnsMsg(ident, 0x8180 | rcode).question(name, qtype)
        for a in answers:
            a(r)
        for a in authority or []:
            a(r)
        ex.append((q.bytes(), r.bytes()))

    def ans(name, rtype, ttl, rdata):
        return lambda r: r.record(1, name, rtype, ttl, rdata if callable(rdata) else (lambda off: rdata))

    qr(0x1001, "www." + zone, 1, [ans("www." + zone, 1, 300, bytes([192, 0, 2, 10]))])
    qr(0x1002, "www." + zone, 28, [ans("www." + zone, 28, 300,
                                        bytes.fromhex("20010db8000000000000000000000010"))])
    qr(0x1003, "portal." + zone, 1, [
        lambda r: r.record(1, "portal." + zone, 5, 60, lambda off: r.name("www." + zone, off)),
        ans("www." + zone, 1, 300, bytes([192, 0, 2, 10]))])
    qr(0x1004, zone, 15, [
        lambda r: r.record(1, zone, 15, 3600, lambda off: struct.pack("!H", 10) + r.name("mail." + zone, off + 2)),
        lambda r: r.record(1, zone, 15, 3600, lambda off: struct.pack("!H", 20) + r.name("mx2." + zone, off + 2))])
    qr(0x1005, zone, 2, [
        lambda r: r.record(1, zone, 2, 86400, lambda off: r.name("ns1." + zone, off)),
        lambda r: r.record(1, zone, 2, 86400, lambda off: r.name("ns2." + zone, off))])
    qr(0x1006, "10.2.0.192.in-addr.arpa", 12, [
        lambda r: r.record(1, "10.2.0.192.in-addr.arpa", 12, 600, lambda off: r.name("www." + zone, off))])
    qr(0x1007, zone, 6, [
        lambda r: r.record(1, zone, 6, 3600, lambda off: r.name("ns1." + zone, off) +
                           r.name("hostmaster." + zone, off + len(r.name("ns1." + zone, off))) +
                           struct.pack("!IIIII", 2027122801, 7200, 900, 1209600, 300))])
    qr(0x1008, "_ldap._tcp." + zone, 33, [
        lambda r: r.record(1, "_ldap._tcp." + zone, 33, 600,
                           lambda off: struct.pack("!HHH", 0, 100, 389) + r.name("dc1." + zone, off + 6))])
    qr(0x1009, zone, 16, [ans(zone, 16, 300, _txt(b"v=spf1 ip4:192.0.2.0/24 ", b"-all"))])
    qr(0x100A, zone, 65, [
        lambda r: r.record(1, zone, 65, 300, _svcb(r, 1, ".", [
            (1, b"\x02h2\x02h3"), (3, struct.pack("!H", 443)), (4, bytes([192, 0, 2, 10]))]))])
    qr(0x100B, "_dns.resolver.arpa", 64, [
        lambda r: r.record(1, "_dns.resolver.arpa", 64, 300, _svcb(r, 1, "dns." + zone, [
            (1, b"\x03dot"), (3, struct.pack("!H", 853))]))])
    qr(0x100C, "null." + zone, 10, [ans("null." + zone, 10, 0, b"\x00\x01binary\xff")])
    qr(0x100D, "nosuch." + zone, 1, [], rcode=3, authority=[
        lambda r: r.record(2, zone, 6, 300, lambda off: r.name("ns1." + zone, off) +
                           r.name("hostmaster." + zone, off + len(r.name("ns1." + zone, off))) +
                           struct.pack("!IIIII", 2027122801, 7200, 900, 1209600, 300))])
    return ex


def dns_udp(outdir):
    with PcapWriter(os.path.join(outdir, "proto_dns_udp.pcap")) as w:
        t = T0
        for q, r in dns_exchanges():
            t += 0.01
            w.write(t, eth_udp4("10.1.0.20", "10.0.0.53", 40000, 53, q))
            w.write(t + 0.002, eth_udp4("10.0.0.53", "10.1.0.20", 53, 40000, r))


def dns_tcp(outdir):
    ex = dns_exchanges()
    with PcapWriter(os.path.join(outdir, "proto_dns_tcp.pcap")) as w:
        s = TcpSession(w, T0, "10.1.0.21", "10.0.0.53", 40001, 53).handshake()
        framed = [(struct.pack("!H", len(q)) + q, struct.pack("!H", len(r)) + r) for q, r in ex]
        i = 0
        while i < len(framed):
            if i % 3 == 0 and i + 1 < len(framed):
                # two queries in one segment, their answers in one segment
                s.send(framed[i][0] + framed[i + 1][0])
                s.reply(framed[i][1] + framed[i + 1][1])
                i += 2
            else:
                # a query and its answer each split in two segments, the cut
                # inside the length prefix for one and inside the body for the other
                q, r = framed[i]
                s.send(q[:1])
                s.send(q[1:])
                s.reply(r[:20])
                s.reply(r[20:])
                i += 1
        s.close()


# ---- certificates (openssl CLI, kept in pcaps/certs/) ----

def _openssl(*args, data=None):
    subprocess.run(["openssl", *args], check=True, input=data, capture_output=True, cwd=CERTS)


def _sm2_key(name):
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out", name + ".key")


def _make_certs():
    os.makedirs(CERTS, exist_ok=True)
    with open(os.path.join(CERTS, "ext.cnf"), "w") as f:
        f.write("[sign]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                "subjectAltName=DNS:tlcp.gov.example.cn,DNS:www.gov.example.cn\n"
                "[enc]\nbasicConstraints=CA:FALSE\n"
                "keyUsage=critical,keyEncipherment,dataEncipherment,keyAgreement\n"
                "[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
                )
    _sm2_key("ca")
    _openssl("req", "-x509", "-new", "-key", "ca.key", "-sm3", "-sigopt", DISTID,
             "-subj", "/C=CN/O=示例政务CA/CN=Example SM2 Root CA", "-days", "7300",
             "-set_serial", "0x01", "-addext", "basicConstraints=critical,CA:TRUE", "-out", "ca.pem", "-utf8")
    for leaf, cn, serial in (("sign", "tlcp.gov.example.cn", "0x5101"),
                             ("enc", "tlcp.gov.example.cn", "0x5102")):
        _sm2_key(leaf)
        _openssl("req", "-new", "-key", leaf + ".key", "-sm3", "-sigopt", DISTID, "-utf8",
                 "-subj", "/C=CN/ST=北京/O=示例政务服务中心/OU=%s/CN=%s" %
                 ("签名" if leaf == "sign" else "加密", cn), "-out", leaf + ".csr")
        _openssl("x509", "-req", "-in", leaf + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-sm3", "-sigopt", DISTID, "-vfyopt", DISTID, "-days", "3650",
                 "-set_serial", serial, "-extfile", "ext.cnf", "-extensions", leaf,
                 "-out", leaf + ".pem")
    # An expired, self-signed SM2 certificate (valid one day from generation).
    _sm2_key("old")
    _openssl("req", "-x509", "-new", "-key", "old.key", "-sm3", "-sigopt", DISTID, "-utf8",
             "-subj", "/C=CN/O=过期自签/CN=old.gov.example.cn", "-days", "1",
             "-set_serial", "0x0bad", "-out", "old.pem")
    # International TLS: RSA 2048, signed by itself as its own small CA.
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rsa.key",
             "-subj", "/C=CN/O=Example Gov/CN=www.gov.example.cn", "-days", "3650",
             "-set_serial", "0x7001", "-addext", "subjectAltName=DNS:www.gov.example.cn,IP:10.0.0.44",
             "-out", "rsa.pem")
    for n in ("ca", "sign", "enc", "old", "rsa"):
        _openssl("x509", "-in", n + ".pem", "-outform", "DER", "-out", n + ".der")
    # ServerKeyExchange (ECC): SM2/SM3 signature over client_random,
    # server_random and the encryption certificate (GB/T 38636-2020 6.4.5.4).
    with open(os.path.join(CERTS, "enc.der"), "rb") as f:
        enc = f.read()
    tbs = TLCP_CLIENT_RANDOM + TLCP_SERVER_RANDOM + len(enc).to_bytes(3, "big") + enc
    with open(os.path.join(CERTS, "ske.tbs"), "wb") as f:
        f.write(tbs)
    _openssl("dgst", "-sm3", "-sign", "sign.key", "-sigopt", DISTID, "-out", "ske.sig", "ske.tbs")
    # ClientKeyExchange (ECC): the premaster secret (version 0x0101 and 46
    # bytes) SM2-encrypted to the encryption certificate's key.
    _openssl("x509", "-in", "enc.pem", "-pubkey", "-noout", "-out", "enc.pub")
    with open(os.path.join(CERTS, "pms.bin"), "wb") as f:
        f.write(b"\x01\x01" + bytes(random.Random(7).randrange(256) for _ in range(46)))
    _openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", "enc.pub", "-in", "pms.bin", "-out", "pms.enc")
    for n in ("ca.key", "sign.key", "enc.key", "old.key", "rsa.key", "sign.csr", "enc.csr", "ske.tbs",
              "pms.bin", "enc.pub", "ext.cnf"):
        os.remove(os.path.join(CERTS, n))
    for n in ("ca", "sign", "enc", "old", "rsa"):
        os.remove(os.path.join(CERTS, n + ".pem"))


def _cert(name):
    with open(os.path.join(CERTS, name), "rb") as f:
        return f.read()


# ---- TLS / TLCP messages ----

TLCP_CLIENT_RANDOM = bytes(range(0x20, 0x40))
TLCP_SERVER_RANDOM = bytes(range(0x40, 0x60))


def u8v(b):
    return bytes([len(b)]) + b


def u16v(b):
    return struct.pack("!H", len(b)) + b


def u24v(b):
    return len(b).to_bytes(3, "big") + b


def hs(mtype, body):
    return bytes([mtype]) + u24v(body)


def record(ctype, version, body):
    return struct.pack("!BHH", ctype, version, len(body)) + body


def records(ctype, version, data, size=16384):
    return b"".join(record(ctype, version, data[i:i + size]) for i in range(0, len(data), size))


def ext(etype, body):
    return struct.pack("!HH", etype, len(body)) + body


def u16list(values):
    return b"".join(struct.pack("!H", v) for v in values)


def client_hello(version, random_, ciphers, exts, sid=b""):
    body = struct.pack("!H", version) + random_ + u8v(sid) + u16v(u16list(ciphers)) + u8v(b"\0")
    if exts is not None:
        body += u16v(b"".join(exts))
    return hs(1, body)


def server_hello(version, random_, cipher, exts, sid):
    body = struct.pack("!H", version) + random_ + u8v(sid) + struct.pack("!HB", cipher, 0)
    if exts is not None:
        body += u16v(b"".join(exts))
    return hs(2, body)


def certificate(ders):
    return hs(11, u24v(b"".join(u24v(d) for d in ders)))


def sni(name):
    n = name.encode()
    return ext(0, u16v(b"\0" + u16v(n)))


def alpn(*protos):
    return ext(16, u16v(b"".join(u8v(p.encode()) for p in protos)))


# The JA4 specification's example ClientHello (technical_details/JA4.md):
# these ciphers, extensions and signature algorithms in this order, with
# GREASE values that JA4 ignores.
JA4_CIPHERS = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
               0xc014, 0x009c, 0x009d, 0x002f, 0x0035]
JA4_EXTS = [0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023,
            0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015]
JA4_SIGALGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]


def ja4_example_hello(rng, name):
    bodies = {
        0x0000: u16v(b"\0" + u16v(name.encode())),
        0x0010: u16v(u8v(b"h2") + u8v(b"http/1.1")),
        0x000d: u16v(u16list(JA4_SIGALGS)),
        0x002b: u8v(u16list([0x3a3a, 0x0304, 0x0303])),
        0x000a: u16v(u16list([0x4a4a, 0x001d, 0x0017, 0x0018])),
        0x000b: u8v(b"\0"),
        0x0033: u16v(u16list([0x4a4a, 1]) + b"\0" + struct.pack("!H", 0x001d) + u16v(bytes(32))),
        0x002d: u8v(b"\x01"),
        0x001b: u8v(u16list([2])),
        0x0005: b"\x01\x00\x00\x00\x00",
        0x4469: u16v(u8v(b"h2")),
        0x0015: bytes(20),
        0xff01: b"\0",
    }
    exts = [ext(0x0a0a, b"")] + [ext(e, bodies.get(e, b"")) for e in JA4_EXTS] + [ext(0xfafa, b"\0")]
    return client_hello(0x0303, bytes(rng.randrange(256) for _ in range(32)),
                        [0x2a2a] + JA4_CIPHERS, exts, sid=bytes(rng.randrange(256) for _ in range(32)))


def tls12_hello(rng, name):
    exts = [sni(name), ext(0x000a, u16v(u16list([0x001d, 0x0017]))), ext(0x000b, u8v(b"\0")),
            ext(0x000d, u16v(u16list([0x0401, 0x0804, 0x0403]))), alpn("http/1.1"),
            ext(0xff01, b"\0"), ext(0x0017, b"")]
    return client_hello(0x0303, bytes(rng.randrange(256) for _ in range(32)),
                        [0xc02f, 0xc030, 0x009c, 0x002f, 0x00ff], exts)


def _split(data, *cuts):
    out, last = [], 0
    for c in cuts:
        out.append(data[last:c])
        last = c
    out.append(data[last:])
    return [x for x in out if x]


def _noise(rng, n):
    return bytes(rng.randrange(256) for _ in range(n))


def tls12_session(w, t, rng, client, cport, server="10.0.0.44", name="www.gov.example.cn"):
    """ECDHE-RSA-AES128-GCM-SHA256 with the RSA certificate; hello and
    certificate flight split across segments."""
    s = TcpSession(w, t, client, server, cport, 443).handshake()
    ch = record(22, 0x0301, tls12_hello(rng, name))
    for part in _split(ch, 7, 60):
        s.send(part)
    ske = hs(12, b"\x03\x00\x1d" + u8v(_noise(rng, 32)) + struct.pack("!H", 0x0401) + u16v(_noise(rng, 256)))
    flight = record(22, 0x0303,
                    server_hello(0x0303, _noise(rng, 32), 0xc02f,
                                 [ext(0xff01, b"\0"), ext(0x000b, u8v(b"\0")), ext(0x0017, b""),
                                  alpn("http/1.1")], _noise(rng, 32)) +
                    certificate([_cert("rsa.der")]) + ske + hs(14, b""))
    for part in _split(flight, 3, 100, 700):
        s.reply(part)
    s.send(record(22, 0x0303, hs(16, u8v(_noise(rng, 32)))) + record(20, 0x0303, b"\x01") +
           record(22, 0x0303, _noise(rng, 40)))
    s.reply(record(20, 0x0303, b"\x01") + record(22, 0x0303, _noise(rng, 40)))
    s.send(record(23, 0x0303, _noise(rng, 120)))
    s.reply(record(23, 0x0303, _noise(rng, 600)))
    return s.close()


def tls13_session(w, t, rng, client, cport, server="10.0.0.45", name="ja4.gov.example.cn"):
    s = TcpSession(w, t, client, server, cport, 443).handshake()
    ch = record(22, 0x0301, ja4_example_hello(rng, name))
    for part in _split(ch, 2, 200):
        s.send(part)
    sh = server_hello(0x0303, _noise(rng, 32), 0x1301,
                      [ext(0x002b, struct.pack("!H", 0x0304)),
                       ext(0x0033, struct.pack("!H", 0x001d) + u16v(_noise(rng, 32)))], b"")
    flight = record(22, 0x0303, sh) + record(20, 0x0303, b"\x01") + record(23, 0x0303, _noise(rng, 900)) + \
        record(23, 0x0303, _noise(rng, 80))
    for part in _split(flight, 40, 300):
        s.reply(part)
    s.send(record(20, 0x0303, b"\x01") + record(23, 0x0303, _noise(rng, 53)))
    s.send(record(23, 0x0303, _noise(rng, 200)))
    s.reply(record(23, 0x0303, _noise(rng, 700)))
    return s.close()


def tlcp_session(w, t, rng, client, cport, server="10.0.0.44", certs=("sign.der", "enc.der", "ca.der")):
    """GB/T 38636-2020 ECC_SM4_CBC_SM3 full handshake: ClientHello and
    ServerHello 0x0101, Certificate (signing, encryption, CA),
    ServerKeyExchange (SM2 signature), ServerHelloDone, ClientKeyExchange
    (SM2 ciphertext), ChangeCipherSpec, Finished and application data under
    SM4-CBC (here bytes of the right sizes: IV + blocks)."""
    V = 0x0101
    s = TcpSession(w, t, client, server, cport, 443).handshake()
    ch = record(22, V, client_hello(V, TLCP_CLIENT_RANDOM, [0xe013, 0xe011, 0xe053, 0xe051, 0x00ff], None))
    for part in _split(ch, 30):
        s.send(part)
    ske = hs(12, u16v(_cert("ske.sig")))
    flight = record(22, V, server_hello(V, TLCP_SERVER_RANDOM, 0xe013, None, _noise(rng, 32)) +
                    certificate([_cert(c) for c in certs]) + ske + hs(14, b""))
    for part in _split(flight, 90, 800, 1400):
        s.reply(part)
    cke = hs(16, u16v(_cert("pms.enc")))
    # Finished under SM4-CBC + HMAC-SM3: IV (16) + 12 verify_data + 32 MAC + padding = 80 bytes
    s.send(record(22, V, cke) + record(20, V, b"\x01") + record(22, V, _noise(rng, 80)))
    s.reply(record(20, V, b"\x01") + record(22, V, _noise(rng, 80)))
    s.send(record(23, V, _noise(rng, 16 + 144)))
    s.reply(record(23, V, _noise(rng, 16 + 1024)))
    return s.close()


def tls(outdir):
    rng = random.Random(1301)
    with PcapWriter(os.path.join(outdir, "proto_tls.pcap")) as w:
        t = tls12_session(w, T0, rng, "10.1.0.30", 50012)
        tls13_session(w, t + 1, rng, "10.1.0.30", 50013)


def tlcp(outdir):
    rng = random.Random(38636)
    with PcapWriter(os.path.join(outdir, "proto_tlcp.pcap")) as w:
        t = tlcp_session(w, T0, rng, "10.1.0.40", 51001)
        t = tls12_session(w, t + 1, rng, "10.1.0.40", 51002)
        tlcp_session(w, t + 1, rng, "10.1.0.41", 51003, server="10.0.0.46", certs=("old.der",))


# ---- SSLv2-format ClientHello (RFC 5246 appendix E.2) ----

def sslv2_record(body):
    """A record with SSL 2.0's 2-byte header: high bit set, 15-bit length."""
    return struct.pack("!H", 0x8000 | len(body)) + body


def sslv2_client_hello(version, specs, challenge, sid=b""):
    """CLIENT-HELLO (type 1): version, the three lengths, 3-byte cipher
    specs (0x00XXXX = TLS suite XXXX), session id, challenge."""
    cs = b"".join(struct.pack("!I", v)[1:] for v in specs)
    return sslv2_record(b"\x01" + struct.pack("!HHHH", version, len(cs), len(sid), len(challenge)) +
                        cs + sid + challenge)


def sslv2_server_hello(version, cert, specs, conn_id):
    cs = b"".join(struct.pack("!I", v)[1:] for v in specs)
    return sslv2_record(b"\x04\x00\x01" + struct.pack("!HHHH", version, len(cert), len(cs), len(conn_id)) +
                        cert + cs + conn_id)


SSLV2_SPECS = [0x010080, 0x00002f, 0x000035, 0x00000a, 0x0000ff]     # RC4_128_WITH_MD5 (SSL 2.0 only), TLS suites


def sslv2(outdir):
    """proto_sslv2.pcap: a client that opens with an SSLv2-format
    ClientHello offering TLS 1.0 (as old clients did for compatibility), the
    server answering in TLS 1.0 (ServerHello, certificate, done; key exchange,
    ChangeCipherSpec, encrypted Finished both ways, application data); and a
    client and server speaking SSL 2.0 itself (CLIENT-HELLO 0x0002,
    SERVER-HELLO, then CLIENT-MASTER-KEY and encrypted records)."""
    rng = random.Random(2)
    with PcapWriter(os.path.join(outdir, "proto_sslv2.pcap")) as w:
        s = TcpSession(w, T0, "10.1.0.70", "10.0.0.47", 53001, 443).handshake()
        hello = sslv2_client_hello(0x0301, SSLV2_SPECS, _noise(rng, 32))
        for part in _split(hello, 4):
            s.send(part)
        flight = record(22, 0x0301, server_hello(0x0301, _noise(rng, 32), 0x002f, None, _noise(rng, 32)) +
                        certificate([_cert("rsa.der")]) + hs(14, b""))
        s.reply(flight)
        s.send(record(22, 0x0301, hs(16, u16v(_noise(rng, 256)))) + record(20, 0x0301, b"\x01") +
               record(22, 0x0301, _noise(rng, 48)))
        s.reply(record(20, 0x0301, b"\x01") + record(22, 0x0301, _noise(rng, 48)))
        s.send(record(23, 0x0301, _noise(rng, 96)))
        s.reply(record(23, 0x0301, _noise(rng, 400)))
        t = s.close()
        s = TcpSession(w, t + 1, "10.1.0.70", "10.0.0.47", 53002, 443).handshake()
        s.send(sslv2_client_hello(0x0002, [0x010080, 0x020080, 0x030080, 0x060040, 0x0700c0], _noise(rng, 16)))
        s.reply(sslv2_server_hello(0x0002, _cert("rsa.der"), [0x010080, 0x0700c0], _noise(rng, 16)))
        s.send(sslv2_record(b"\x02" + struct.pack("!I", 0x010080)[1:] + struct.pack("!HHH", 0, 128, 0) + _noise(rng, 128)))
        s.reply(sslv2_record(_noise(rng, 40)))
        s.send(sslv2_record(_noise(rng, 40)))
        s.close()


# ---- SSH ----

CLIENT_KEX = [
    b"curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group14-sha256,ext-info-c",
    b"ssh-ed25519,rsa-sha2-512,rsa-sha2-256",
    b"chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com",
    b"chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com",
    b"umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-256",
    b"umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-256",
    b"none,zlib@openssh.com", b"none,zlib@openssh.com", b"", b"",
]
SERVER_KEX = [
    b"curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group16-sha512",
    b"rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519",
    b"aes256-gcm@openssh.com,aes128-ctr", b"chacha20-poly1305@openssh.com,aes256-ctr",
    b"hmac-sha2-512-etm@openssh.com,hmac-sha2-256", b"hmac-sha2-256-etm@openssh.com,hmac-sha1",
    b"none", b"none,zlib@openssh.com", b"", b"",
]


def sshstr(b):
    return struct.pack("!I", len(b)) + b


def ssh_packet(payload, rng):
    pad = 8 - (5 + len(payload)) % 8
    if pad < 4:
        pad += 8
    return struct.pack("!IB", 1 + len(payload) + pad, pad) + payload + _noise(rng, pad)


def kexinit(lists, rng):
    return b"\x14" + _noise(rng, 16) + b"".join(struct.pack("!I", len(x)) + x for x in lists) + b"\0" + bytes(4)


def ssh(outdir):
    rng = random.Random(22)
    with PcapWriter(os.path.join(outdir, "proto_ssh.pcap")) as w:
        s = TcpSession(w, T0, "10.1.0.50", "10.0.0.22", 52022, 22).handshake()
        s.reply(b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n")
        s.send(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
        ck = ssh_packet(kexinit(CLIENT_KEX, rng), rng)
        s.send(ck[:100])
        s.send(ck[100:])
        s.reply(ssh_packet(kexinit(SERVER_KEX, rng), rng))
        s.send(ssh_packet(b"\x1e" + struct.pack("!I", 32) + _noise(rng, 32), rng))
        host_key = sshstr(b"ssh-ed25519") + sshstr(_noise(rng, 32))
        signature = sshstr(b"ssh-ed25519") + sshstr(_noise(rng, 64))
        reply = b"\x1f" + sshstr(host_key) + sshstr(_noise(rng, 32)) + sshstr(signature)
        s.reply(ssh_packet(reply, rng) + ssh_packet(b"\x15", rng))
        s.send(ssh_packet(b"\x15", rng) + _noise(rng, 64))
        s.reply(_noise(rng, 96))
        s.close()


def malformed(outdir):
    """Hostile DNS, TLS and SSH, one flow each kind: every one must end in
    a parser counter or app-layer event, never a crash; good traffic after
    the bad still parses."""
    rng = random.Random(666)
    with PcapWriter(os.path.join(outdir, "proto_malformed.pcap")) as w:
        t = T0
        loop = struct.pack("!HHHHHH", 0x2001, 0x8180, 1, 1, 0, 0) + b"\xc0\x0c" + struct.pack("!HH", 1, 1) + \
            b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes(4)
        bad = [
            struct.pack("!HHHHHH", 0x2000, 0x0100, 1, 0, 0, 0) + b"\x03www\x07example\x03com\x00\x00\x01\x00\x01",
            loop,                                                   # a name pointing at itself
            b"\x20\x02\x01",                                         # 3-byte message
            struct.pack("!HHHHHH", 0x2003, 0x8180, 1, 1, 0, 0) + b"\x00\x00\x01\x00\x01" +
            b"\x00" + struct.pack("!HHIH", 1, 1, 60, 200) + bytes(4),  # rdata length past the end
            struct.pack("!HHHHHH", 0x2004, 0x0100, 0xffff, 0, 0, 0) + b"\x3fabc",  # label past the end
        ]
        for m in bad + [bad[0]]:
            t += 0.01
            w.write(t, eth_udp4("10.1.0.60", "10.0.0.53", 41000, 53, m))
        # DNS over TCP: a zero length prefix ends the direction
        s = TcpSession(w, t + 1, "10.1.0.60", "10.0.0.53", 41001, 53).handshake()
        s.send(b"\x00\x00" + bad[0])
        t = s.close()
        # TLS: a good ClientHello, then a certificate that is not DER, then a
        # handshake message claiming 16 MB
        s = TcpSession(w, t + 1, "10.1.0.60", "10.0.0.44", 41002, 443).handshake()
        s.send(record(22, 0x0301, tls12_hello(rng, "bad.gov.example.cn")))
        s.reply(record(22, 0x0303, server_hello(0x0303, _noise(rng, 32), 0xc02f, [], _noise(rng, 32)) +
                       certificate([b"\x30\x82\x01\x00" + _noise(rng, 40)])))
        s.reply(record(22, 0x0303, b"\x0c\xff\xff\xff" + _noise(rng, 30)))
        t = s.close()
        # TLS: a record of an unknown version right away (not TLS at all after the probe)
        s = TcpSession(w, t + 1, "10.1.0.60", "10.0.0.44", 41003, 443).handshake()
        s.send(b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00" + b"\x16\x09\x09\x00\x01\x00")
        t = s.close()
        # SSH: a banner line of 300 bytes; a packet of 4 GB after a good banner
        s = TcpSession(w, t + 1, "10.1.0.60", "10.0.0.22", 41004, 22).handshake()
        s.reply(b"SSH-2.0-" + b"A" * 300 + b"\r\n")
        s.send(b"SSH-2.0-OpenSSH_9.2p1\r\n" + b"\xff\xff\xff\xff\x04" + bytes(20))
        t = s.close()
        # The flows below came later (for the parser counters of the stats
        # event); appended so that the ones above keep their bytes.
        t = _malformed_more(w, t, rng, bad[0])


def _malformed_more(w, t, rng, query):
    def lp(m):
        return struct.pack("!H", len(m)) + m
    answer = struct.pack("!HHHHHH", 0x2000, 0x8180, 1, 1, 0, 0) + query[12:] + \
        b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([10, 0, 0, 80])
    # DNS over TCP: a query, then a zero length prefix (the client's side stops)
    s = TcpSession(w, t + 1, "10.1.0.60", "10.0.0.53", 41005, 53).handshake()
    s.send(lp(query) + b"\x00\x00" + lp(query))
    s.reply(lp(answer))
    t = s.close()
    # DNS over TCP: a query, 40 bytes the sensor never sees (the server
    # acknowledges them: a gap), another query
    s = TcpSession(w, t + 1, "10.1.0.60", "10.0.0.53", 41006, 53).handshake()
    s.send(lp(query))
    s.cseq += 40
    s.send(lp(query))
    s.reply(lp(answer))
    t = s.close()
    # TLS: a good ClientHello, then a record of version 9.9 in the same segment
    s = TcpSession(w, t + 1, "10.1.0.60", "10.0.0.44", 41007, 443).handshake()
    s.send(record(22, 0x0301, tls12_hello(rng, "bad2.gov.example.cn")) + b"\x16\x09\x09\x00\x01\x00")
    t = s.close()
    # TLS: a good ClientHello, 100 bytes lost, then more
    s = TcpSession(w, t + 1, "10.1.0.60", "10.0.0.44", 41008, 443).handshake()
    s.send(record(22, 0x0301, tls12_hello(rng, "gap.gov.example.cn")))
    s.cseq += 100
    s.send(_noise(rng, 50))
    s.reply(b"")
    t = s.close()
    # SSH: good banners, then a KEXINIT whose first name-list runs past its packet
    s = TcpSession(w, t + 1, "10.1.0.60", "10.0.0.22", 41009, 22).handshake()
    s.reply(b"SSH-2.0-OpenSSH_9.2p1\r\n")
    s.send(b"SSH-2.0-OpenSSH_9.2p1\r\n" + ssh_packet(b"\x14" + _noise(rng, 16) + struct.pack("!I", 5000) + b"abc", rng))
    t = s.close()
    # HTTP: a chunked request whose chunk length is not hex
    s = TcpSession(w, t + 1, "10.1.0.60", "10.0.0.80", 41010, 80).handshake()
    s.send(b"POST /upload HTTP/1.1\r\nHost: www.gov.example.cn\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n")
    s.reply(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    return s.close()


def generate(outdir):
    if not os.path.exists(os.path.join(CERTS, "pms.enc")):
        _make_certs()
    dns_udp(outdir)
    dns_tcp(outdir)
    tls(outdir)
    tlcp(outdir)
    ssh(outdir)
    malformed(outdir)
    sslv2(outdir)


if __name__ == "__main__":
    generate(HERE)
