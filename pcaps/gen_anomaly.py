"""Captures for the anomaly detectors (rules/anomaly.rules, docs/anomaly.md):
one attack per file, each meant to raise exactly the alerts listed in
tests/regress/anomaly/<name>.expected, and benign look-alikes that must raise
none.  Addresses follow the zones of tests/regress/anomaly/xiezhi.yaml:
office 10.1.0.0/16, servers 10.0.0.0/24 and 10.1.100.0/24, video
10.20.0.0/16, everything else internet.  Deterministic: seeded randomness,
timestamps from fixed starting points."""
import os
import random
import struct

from pcapgen import (PcapWriter, TcpSession, eth_tcp4, eth_udp4, ether, ipv4, icmp, udp,
                     dns_query, eth_tcp4_headers_only, TCP_SYN, TCP_ACK, TCP_RST, TCP_FIN,
                     TCP_PSH)

TCP_URG = 0x20
T0 = 1_700_000_000.0          # 2023-11-14 22:13:20 UTC
HOUR = 3600.0


def _out(outdir, name):
    return PcapWriter(os.path.join(outdir, "anomaly_%s.pcap" % name))


def dns_response(query, rcode=0):
    """The query echoed back as a response with no answers (QR set)."""
    ident, flags = struct.unpack("!HH", query[:4])
    return struct.pack("!HHHHHH", ident, 0x8180 | rcode, 1, 0, 0, 0) + query[12:]


def _b32(rng, n):
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(n))


def _session(w, t, client, server, cport, sport, exchanges, close="fin"):
    """A TCP session: handshake, (client bytes, server bytes) exchanges, close."""
    s = TcpSession(w, t, client, server, cport, sport).handshake()
    for up, down in exchanges:
        if up:
            s.send(up)
        if down:
            s.reply(down)
    if close == "fin":
        return s.close()
    if close == "rst_server":
        s._emit(False, TCP_RST | TCP_ACK)
    else:
        s._emit(True, TCP_RST | TCP_ACK)
    return s.t


# --- attacks ---------------------------------------------------------------

def syn_scan(outdir):
    """nmap -sS of 10.1.0.5 from 10.1.9.9: 100 ports in 2 s; closed ports
    answer RST, open ones SYN-ACK and the scanner resets (half-open)."""
    open_ports = {22, 80, 443}
    with _out(outdir, "syn_scan") as w:
        t = T0
        for i, port in enumerate(range(1, 101)):
            t += 0.02
            sport = 61000 + i
            w.write(t, eth_tcp4("10.1.9.9", "10.1.0.5", sport, port, TCP_SYN, seq=777))
            if port in open_ports:
                w.write(t + 0.0005, eth_tcp4("10.1.0.5", "10.1.9.9", port, sport,
                                             TCP_SYN | TCP_ACK, seq=9000, ack=778))
                w.write(t + 0.001, eth_tcp4("10.1.9.9", "10.1.0.5", sport, port, TCP_RST, seq=778))
            else:
                w.write(t + 0.0005, eth_tcp4("10.1.0.5", "10.1.9.9", port, sport,
                                             TCP_RST | TCP_ACK, seq=0, ack=778))


def stealth_scan(outdir):
    """FIN, NULL and Xmas probes (nmap -sF/-sN/-sX) to 30 ports; closed
    ports answer RST, open ports stay silent."""
    kinds = [TCP_FIN, 0, TCP_FIN | TCP_PSH | TCP_URG]
    with _out(outdir, "stealth_scan") as w:
        t = T0
        for i, port in enumerate(range(1000, 1030)):
            t += 0.05
            sport = 52000 + i
            w.write(t, eth_tcp4("10.1.9.9", "10.1.0.6", sport, port, kinds[i % 3], seq=4242))
            if port % 7:
                w.write(t + 0.001, eth_tcp4("10.1.0.6", "10.1.9.9", port, sport,
                                            TCP_RST | TCP_ACK, seq=0, ack=4243))


def _icmp_unreachable(scanner, target, sport, dport, payload):
    inner = ipv4(scanner, target, 17, udp(scanner, target, sport, dport, payload))
    return ether(ipv4(target, scanner, 1, icmp(3, 3, inner[:28], ident=0, seq=0)))


def udp_scan(outdir):
    """nmap -sU of 40 ports: closed ports send ICMP port unreachable, some
    are filtered (no answer), DNS on 53 answers."""
    with _out(outdir, "udp_scan") as w:
        t = T0
        for i, port in enumerate(range(100, 140)):
            t += 0.1
            sport = 45000 + i
            w.write(t, eth_udp4("10.1.9.9", "10.1.0.7", sport, port, b""))
            if port % 5:
                w.write(t + 0.001, _icmp_unreachable("10.1.9.9", "10.1.0.7", sport, port, b""))
        q = dns_query("version.bind", 16, 0x4444)
        w.write(t + 0.2, eth_udp4("10.1.9.9", "10.1.0.7", 45100, 53, q))
        w.write(t + 0.201, eth_udp4("10.1.0.7", "10.1.9.9", 53, 45100, dns_response(q)))


def host_sweep(outdir):
    """SMB sweep of 10.1.0.1-60 on port 445: most hosts silent, some refuse,
    two accept and are reset."""
    with _out(outdir, "host_sweep") as w:
        t = T0
        for host in range(1, 61):
            t += 0.03
            dst = "10.1.0.%d" % host
            sport = 50000 + host
            w.write(t, eth_tcp4("10.1.9.9", dst, sport, 445, TCP_SYN, seq=100))
            if host % 4 == 0:
                w.write(t + 0.001, eth_tcp4(dst, "10.1.9.9", 445, sport, TCP_RST | TCP_ACK, ack=101))
            elif host in (10, 30):
                w.write(t + 0.001, eth_tcp4(dst, "10.1.9.9", 445, sport, TCP_SYN | TCP_ACK,
                                            seq=5, ack=101))
                w.write(t + 0.002, eth_tcp4("10.1.9.9", dst, sport, 445, TCP_RST, seq=101))


def ssh_brute(outdir):
    """Password guessing from the internet against 10.1.100.22:22: 15
    sessions in 90 s, each a version exchange, key exchange, a few auth
    tries, then the server closes."""
    rng = random.Random(22)
    with _out(outdir, "ssh_brute") as w:
        t = T0
        for i in range(15):
            ex = [(b"SSH-2.0-libssh_0.9.6\r\n", b"SSH-2.0-OpenSSH_8.4p1 Debian-5\r\n"),
                  (bytes(rng.randrange(256) for _ in range(1400)),
                   bytes(rng.randrange(256) for _ in range(1100))),
                  (bytes(rng.randrange(256) for _ in range(300)), bytes(rng.randrange(256) for _ in range(500)))]
            for _ in range(3):
                ex.append((bytes(rng.randrange(256) for _ in range(100)), bytes(rng.randrange(256) for _ in range(80))))
            _session(w, t, "203.0.113.50", "10.1.100.22", 40000 + i, 22, ex)
            t += 6.0


def rdp_brute(outdir):
    """RDP guessing from an office host against 10.1.100.40:3389: 12
    sessions of X.224 connect plus a TLS/CredSSP exchange, each ending in a
    reset from the server (logon failure)."""
    rng = random.Random(3389)
    x224 = bytes.fromhex("030000130ee000000000000100080003000000")
    with _out(outdir, "rdp_brute") as w:
        t = T0
        for i in range(12):
            ex = [(x224, bytes.fromhex("030000130ed000001234000201080002000000")),
                  (bytes(rng.randrange(256) for _ in range(600)), bytes(rng.randrange(256) for _ in range(1400))),
                  (bytes(rng.randrange(256) for _ in range(900)), bytes(rng.randrange(256) for _ in range(300)))]
            _session(w, t, "10.1.9.9", "10.1.100.40", 49000 + i, 3389, ex, close="rst_server")
            t += 4.0


def _dns_exchange(w, t, client, server, cport, name, qtype, ident, answer=True):
    q = dns_query(name, qtype, ident)
    w.write(t, eth_udp4(client, server, cport, 53, q))
    if answer:
        w.write(t + 0.002, eth_udp4(server, client, 53, cport, dns_response(q)))


def dns_long_names(outdir):
    """An iodine-like tunnel: 20 A queries with long base32 labels (data
    chunks) under t.exfil-tunnel.net within a minute."""
    rng = random.Random(53)
    with _out(outdir, "dns_long_names") as w:
        t = T0
        for i in range(20):
            name = "%s.%s.t.exfil-tunnel.net" % (_b32(rng, 60), _b32(rng, 50))
            _dns_exchange(w, t, "10.1.3.7", "10.0.0.53", 30000 + i, name, 1, 0x100 + i)
            t += 2.5


def dns_subdomains(outdir):
    """A slower encoder: 150 distinct short hex subdomains of
    cdn-sync.example.org in 50 s (each under the long-name bounds)."""
    rng = random.Random(54)
    with _out(outdir, "dns_subdomains") as w:
        t = T0
        for i in range(150):
            name = "%012x.cdn-sync.example.org" % rng.getrandbits(48)
            _dns_exchange(w, t, "10.1.3.8", "10.0.0.53", 31000 + i, name, 1, 0x200 + i)
            t += 0.33


def dns_txt(outdir):
    """A DNS command channel: 40 TXT polls in 40 s for a handful of names
    under c2.example.net (few subdomains, short names)."""
    with _out(outdir, "dns_txt") as w:
        t = T0
        for i in range(40):
            name = "q%d.c2.example.net" % (i % 6)
            _dns_exchange(w, t, "10.1.3.9", "10.0.0.53", 32000 + i, name, 16, 0x300 + i)
            t += 1.0


def beacon(outdir):
    """An implant calling 198.51.100.23:443 every 60 s (jitter within
    +-1.5 s) for 12 minutes: a small request, a small answer, close."""
    rng = random.Random(60)
    with _out(outdir, "beacon") as w:
        t = T0
        for i in range(12):
            start = t + i * 60.0 + rng.uniform(-1.5, 1.5)
            _session(w, start, "10.1.3.7", "198.51.100.23", 55000 + i, 443,
                     [(b"\x17\x03\x03\x00\x40" + bytes(64), b"\x17\x03\x03\x00\x20" + bytes(32))])


def _bulk(w, t, client, server, cport, sport, nbytes, seg=64000, rate=50e6):
    """A TCP upload of nbytes from client at about rate bytes/s, recorded as
    a header-only capture with TSO-sized segments (captured on the sending
    host): the wire lengths carry the volume, the file stays small."""
    s = TcpSession(w, t, client, server, cport, sport).handshake()
    t, seq, sent = s.t, s.cseq, 0
    while sent < nbytes:
        chunk = min(seg, nbytes - sent)
        t += chunk / rate
        frame, wirelen = eth_tcp4_headers_only(client, server, cport, sport, TCP_PSH | TCP_ACK,
                                               chunk, seq, s.sseq)
        w.write(t, frame, wirelen=wirelen)
        seq += chunk
        sent += chunk
        if (sent // seg) % 16 == 0:
            w.write(t + 0.0001, eth_tcp4(server, client, sport, cport, TCP_ACK, seq=s.sseq, ack=seq))
    s.t, s.cseq = t + 0.001, seq
    s.reply(b"OK\n")
    return s.close()


def large_upload(outdir):
    """An office workstation with 8 hours of ordinary uploads (a few MB an
    hour: mail, web forms), then 300 MB within the hour to an unknown
    external host: above the pack's 100 MB and far above its own baseline."""
    rng = random.Random(80)
    with _out(outdir, "large_upload") as w:
        base = (int(T0 // HOUR) + 1) * HOUR
        for hour in range(8):
            for k in range(3):
                _bulk(w, base + hour * HOUR + 60 + k * 600, "10.1.3.7", "198.51.100.80",
                      41000 + hour * 10 + k, 443, 1_000_000 + rng.randrange(500_000))
        _bulk(w, base + 8 * HOUR + 120, "10.1.3.7", "203.0.113.99", 42000, 443, 300_000_000)


def zone_violation(outdir):
    """A video-surveillance camera (10.20.0.15) reaching an office PC's SMB
    port: the video plane may only talk to the servers (its recorder at
    10.1.100.5 is allowed and must stay silent)."""
    with _out(outdir, "zone_violation") as w:
        t = _session(w, T0, "10.20.0.15", "10.1.100.5", 40100, 554,
                     [(b"OPTIONS rtsp://10.1.100.5/ RTSP/1.0\r\nCSeq: 1\r\n\r\n",
                       b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n")])
        _session(w, t + 1, "10.20.0.15", "10.1.2.30", 40101, 445,
                 [(bytes(72), bytes(200))], close="rst_server")


# --- benign look-alikes ----------------------------------------------------

COMMON = ["www.baidu.com", "www.qq.com", "mail.gov.cn", "portal.gov.example", "www.163.com",
          "update.microsoft.com", "ocsp.digicert.com", "time.windows.com", "www.gov.cn",
          "api.weixin.qq.com", "dns.msftncsi.com", "login.microsoftonline.com",
          "r3---sn-ni57rn7k.googlevideo.com", "e12345.dscb.akamaiedge.net", "intranet.corp.example"]


def benign_resolver(outdir):
    """A busy but normal resolver (10.0.0.53) for five minutes: 40 office
    clients asking for common names (A, AAAA, some MX/TXT for mail checks,
    PTR), and the resolver's own queries to authoritative servers, including
    many CDN hostnames under one domain and an occasional timeout."""
    rng = random.Random(1053)
    auth = ["198.51.100.%d" % i for i in range(1, 31)]
    with _out(outdir, "benign_resolver") as w:
        t = T0
        ident = 1
        for step in range(3000):
            t += 0.1
            client = "10.1.%d.%d" % (rng.randrange(1, 5), rng.randrange(2, 12))
            r = rng.random()
            if r < 0.7:
                name, qtype = rng.choice(COMMON), rng.choice([1, 1, 1, 28])
            elif r < 0.8:
                name, qtype = "e%d.a.akamaiedge.net" % rng.randrange(1000, 1040), 1
            elif r < 0.85:
                name, qtype = rng.choice(["gov.cn", "example.org", "163.com", "qq.com"]), 16
            elif r < 0.9:
                name, qtype = "_dmarc." + rng.choice(["gov.cn", "example.org", "163.com"]), 16
            elif r < 0.95:
                name, qtype = "%d.%d.1.10.in-addr.arpa" % (rng.randrange(2, 250), rng.randrange(1, 5)), 12
            else:
                name, qtype = rng.choice(["gov.cn", "163.com", "example.org"]), 15
            ident += 1
            _dns_exchange(w, t, client, "10.0.0.53", 20000 + ident % 40000, name, qtype, ident)
            if step % 4 == 0:   # cache miss: the resolver asks an authoritative server
                ident += 1
                _dns_exchange(w, t + 0.003, "10.0.0.53", rng.choice(auth), 33000 + ident % 20000,
                              name, qtype, ident, answer=rng.random() > 0.02)


def benign_backup(outdir):
    """A nightly off-site backup: 10.1.100.50 sends about 150 MB each night
    at 02:00 to 203.0.113.80:22 for 9 nights, always the same size give or
    take a few percent: above the pack's 100 MB threshold every night, but
    the host is silent while its baseline learns (6 nights) and afterwards
    the baseline knows this volume."""
    rng = random.Random(7)
    with _out(outdir, "benign_backup") as w:
        base = (int(T0 // 86400) + 1) * 86400 + 2 * HOUR
        for night in range(9):
            size = 150_000_000 + rng.randrange(-4_500_000, 4_500_000)
            _bulk(w, base + night * 86400 + rng.uniform(0, 30), "10.1.100.50", "203.0.113.80",
                  47000 + night, 22, size)


def benign_poller(outdir):
    """A monitoring server (10.1.100.10) polling 24 office hosts every 60 s
    for 12 minutes: an HTTP health check and an SNMP get each, all answered;
    servers -> office is an allowed zone pair."""
    with _out(outdir, "benign_poller") as w:
        for rnd in range(12):
            t = T0 + rnd * 60.0
            for h in range(24):
                host = "10.1.2.%d" % (10 + h)
                t += 0.05
                _session(w, t, "10.1.100.10", host, 30000 + rnd * 100 + h, 80,
                         [(b"GET /health HTTP/1.1\r\nHost: %s\r\n\r\n" % host.encode(),
                           b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")])
                snmp = bytes.fromhex("302602010104067075626c6963a019020400000001020100020100300b300906052b06010201050500")
                w.write(t + 0.02, eth_udp4("10.1.100.10", host, 40000 + h, 161, snmp))
                reply = snmp.replace(b"\xa0\x19", b"\xa2\x19", 1)   # GetResponse
                w.write(t + 0.021, eth_udp4(host, "10.1.100.10", 161, 40000 + h, reply))


CASES = [syn_scan, stealth_scan, udp_scan, host_sweep, ssh_brute, rdp_brute, dns_long_names,
         dns_subdomains, dns_txt, beacon, large_upload, zone_violation, benign_resolver,
         benign_backup, benign_poller]


def generate(outdir):
    for case in CASES:
        case(outdir)
