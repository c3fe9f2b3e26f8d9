"""Captures for the detection-fidelity cases (issue 17, docs/anomaly.md): for
each class the default pack used to miss, an attack and a benign look-alike.
  scans from inside    scan_outbound_ports, scan_outbound_sweep (and
                       scan_inbound) / benign_outbound_clients
  DNS tunnels          dns_tunnel_hex, dns_tunnel_base32, dns_tunnel_base64,
                       dns_tunnel_null / benign_dns_cdn
  nDPI URL risks       web_sqli, web_xss, web_traversal, web_sqli_keepalive /
                       benign_web_search
Same address plan as gen_anomaly.py (office 10.1.0.0/16, servers
10.1.100.0/24, internet elsewhere).  Deterministic: seeded randomness, fixed
timestamps."""
import random

from gen_anomaly import T0, _out, _session, _dns_exchange
from pcapgen import eth_tcp4, TCP_SYN, TCP_ACK, TCP_RST

HEX = "0123456789abcdef"
B32_IODINE = "abcdefghijklmnopqrstuvwxyz012345"
B64_DNS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"


def _rand(rng, alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def _labels(data, size=63):
    return ".".join(data[i:i + size] for i in range(0, len(data), size))


def _syn_probe(w, t, scanner, target, sport, dport, answer):
    """One SYN; answer is None (filtered), 'rst' (closed) or 'open' (the
    scanner resets the half-open connection)."""
    w.write(t, eth_tcp4(scanner, target, sport, dport, TCP_SYN, seq=777))
    if answer == "rst":
        w.write(t + 0.03, eth_tcp4(target, scanner, dport, sport, TCP_RST | TCP_ACK, ack=778))
    elif answer == "open":
        w.write(t + 0.03, eth_tcp4(target, scanner, dport, sport, TCP_SYN | TCP_ACK, seq=9, ack=778))
        w.write(t + 0.031, eth_tcp4(scanner, target, sport, dport, TCP_RST, seq=778))


# --- scans in every direction ------------------------------------------------

def scan_outbound_ports(outdir):
    """A compromised office PC (10.1.3.21) SYN-scanning 100 ports of an
    internet host: the outbound rule (priority 1) must name it."""
    with _out(outdir, "scan_outbound_ports") as w:
        t = T0
        for i, port in enumerate(range(1, 101)):
            t += 0.02
            answer = "open" if port in (22, 80) else ("rst" if port % 3 else None)
            _syn_probe(w, t, "10.1.3.21", "198.51.100.7", 60000 + i, port, answer)


def scan_outbound_sweep(outdir):
    """A worm on an office PC (10.1.3.20) trying SMB (445) on 60 random
    internet addresses in 6 s: most silent, some refuse."""
    rng = random.Random(445)
    with _out(outdir, "scan_outbound_sweep") as w:
        t = T0
        for i in range(60):
            t += 0.1
            dst = "%d.%d.%d.%d" % (rng.choice([198, 203, 45, 61]), rng.randrange(256),
                                   rng.randrange(256), rng.randrange(1, 255))
            _syn_probe(w, t, "10.1.3.20", dst, 50000 + i, 445, "rst" if i % 5 == 0 else None)


def scan_inbound(outdir):
    """An internet host SYN-scanning 100 ports of a published server
    (10.1.100.20): the inbound rule, priority 3."""
    with _out(outdir, "scan_inbound") as w:
        t = T0
        for i, port in enumerate(range(1000, 1100)):
            t += 0.02
            _syn_probe(w, t, "203.0.113.66", "10.1.100.20", 40000 + i, port,
                       "open" if port == 1080 else "rst")


def benign_outbound_clients(outdir):
    """The office web proxy (10.1.100.8) at a busy minute: 200 HTTPS
    connections to 120 internet servers, all answered, plus a handful of
    SYNs to dead servers (no answer), and 30 passive-FTP data connections to
    distinct ports of one FTP server (answered)."""
    rng = random.Random(8080)
    servers = ["%d.%d.%d.%d" % (rng.choice([198, 203, 104, 151]), rng.randrange(256),
                                rng.randrange(256), rng.randrange(1, 255)) for _ in range(120)]
    with _out(outdir, "benign_outbound_clients") as w:
        t = T0
        for i in range(200):
            t += 0.25
            _session(w, t, "10.1.100.8", servers[i % len(servers)], 20000 + i, 443,
                     [(b"\x16\x03\x01\x00\x05hello", b"\x16\x03\x03\x00\x05world")])
        for i in range(8):
            _syn_probe(w, T0 + 5 + i * 6, "10.1.100.8", "192.0.2.%d" % (10 + i), 21000 + i, 443, None)
        t = _session(w, T0 + 1, "10.1.100.8", "198.51.100.21", 21500, 21,
                     [(b"USER anonymous\r\n", b"331 Please specify the password.\r\n")])
        for i in range(30):
            _session(w, T0 + 2 + i * 1.5, "10.1.100.8", "198.51.100.21", 21600 + i, 50000 + i * 7,
                     [(None, b"file contents %d\n" % i)])


# --- DNS tunnels of each encoding -------------------------------------------

def _tunnel(outdir, name, client, alphabet, domain, qtypes, seed, per_query, queries=40, gap=1.4):
    """Each tunnel has a client of its own: the captures are also replayed
    one after the other (tests/integration/test_live_veth.sh), and rules
    with per-host thresholds must see each alone."""
    rng = random.Random(seed)
    with _out(outdir, name) as w:
        t = T0
        for i in range(queries):
            data = _rand(rng, alphabet, per_query + rng.randrange(-8, 9))
            qname = "%s.%s" % (_labels(data), domain)
            _dns_exchange(w, t, client, "10.0.0.53", 34000 + i, qname,
                          qtypes[i % len(qtypes)], 0x400 + i)
            t += gap


def dns_tunnel_hex(outdir):
    """dnscat2-style: hex-encoded chunks of about 60 characters in CNAME and
    MX queries under one domain, 40 in 56 s.  Hex cannot exceed 4 bits per
    character, the old entropy test (4.0) never counted these."""
    _tunnel(outdir, "dns_tunnel_hex", "10.1.3.30", HEX, "dc.tunnel-hex.net", [5, 15], 1601, 60)


def dns_tunnel_base32(outdir):
    """iodine-style base32 (a-z 0-5) chunks of about 30 characters, CNAME
    queries, 40 in 56 s."""
    _tunnel(outdir, "dns_tunnel_base32", "10.1.3.32", B32_IODINE, "i.tunnel-b32.org", [5], 1602, 30)


def dns_tunnel_base64(outdir):
    """base64 with DNS-safe symbols (mixed case, digits, - and _), chunks
    of about 45 characters, A queries, 40 in 56 s."""
    _tunnel(outdir, "dns_tunnel_base64", "10.1.3.33", B64_DNS, "x.tunnel-b64.com", [1], 1603, 45)


def dns_tunnel_null(outdir):
    """iodine's downstream in NULL records: 40 NULL polls within a minute,
    each a short base32 ping label (too short to judge as data), for one
    domain.  The TXT/NULL volume rule must catch it."""
    rng = random.Random(1604)
    with _out(outdir, "dns_tunnel_null") as w:
        t = T0
        for i in range(40):
            qname = "p%s.n.tunnel-null.net" % _rand(rng, B32_IODINE, 7)
            _dns_exchange(w, t, "10.1.3.31", "10.0.0.53", 35000 + i, qname, 10, 0x500 + i)
            t += 1.4


def _x20(rng, name):
    """DNS 0x20: a resolver randomises the case of each letter."""
    return "".join(c.upper() if c.isalpha() and rng.random() < 0.5 else c for c in name)


def benign_dns_cdn(outdir):
    """One office client's minute of ordinary but random-looking names: a
    video session's googlevideo hosts, CloudFront and Akamai edge names,
    UUID-labelled device endpoints, DKIM selectors, Office 365 and
    trafficmanager names, a resolver's 0x20 case randomisation, and a mail
    server's SPF/DMARC TXT lookups for 25 different domains."""
    rng = random.Random(1605)
    names = []
    for _ in range(9):
        names.append("r%d---sn-%s.googlevideo.com" % (rng.randrange(1, 9), _rand(rng, "abcdefghijklmnopqrstuvwxyz0123456789", 8)))
    for _ in range(12):
        names.append("d%s.cloudfront.net" % _rand(rng, "abcdefghijklmnopqrstuvwxyz0123456789", 13))
    for _ in range(6):
        names.append("e%d.dscx.akamaiedge.net" % rng.randrange(1000, 99999))
    for _ in range(6):
        u = _rand(rng, HEX, 32)
        names.append("%s-%s-%s-%s-%s.device.iot-vendor.com" % (u[:8], u[8:12], u[12:16], u[16:20], u[20:]))
    for _ in range(4):
        names.append("prod-%s-azsc-%d.atm-%s.trafficmanager.net" % (rng.choice(["wus2", "eus2", "sea"]), rng.randrange(1, 9), _rand(rng, HEX, 12)))
    names += ["s1024-2013q3._domainkey.yahoo.com", "selector1-contoso-com._domainkey.contoso.onmicrosoft.com",
              "outlook-namsouth.office365.com", "login.microsoftonline.com", "www.gov.cn",
              "safebrowsing.googleapis.com", "connectivitycheck.gstatic.com"]
    with _out(outdir, "benign_dns_cdn") as w:
        t = T0
        ident = 0x600
        for i, name in enumerate(names):
            ident += 1
            qname = _x20(rng, name) if i % 3 == 0 else name
            _dns_exchange(w, t, "10.1.3.40", "10.0.0.53", 36000 + i, qname, 1, ident)
            t += 0.8
        for i in range(25):
            ident += 1
            dom = "mail%d.example-%d.org" % (i, rng.randrange(1000))
            _dns_exchange(w, T0 + 2 + i * 2, "10.1.100.25", "10.0.0.53", 37000 + i, dom, 16, ident)
            ident += 1
            _dns_exchange(w, T0 + 2.5 + i * 2, "10.1.100.25", "10.0.0.53", 37500 + i, "_dmarc." + dom, 16, ident)


# --- nDPI URL risks (rules/extranet.rules: ndpi-risk URL rules) -------------

UA = b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"


def _http_get(w, t, client, server, cport, host, target):
    req = b"GET " + target + b" HTTP/1.1\r\nHost: " + host + b"\r\nUser-Agent: " + UA + \
        b"\r\nAccept: */*\r\n\r\n"
    resp = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nok"
    return _session(w, t, client, server, cport, 80, [(req, resp)])


def _web(outdir, name, targets):
    with _out(outdir, name) as w:
        t = T0
        for i, target in enumerate(targets):
            t = _http_get(w, t + 0.5, "203.0.113.77", "10.1.100.80", 45000 + i,
                          b"portal.example.gov.cn", target)


def web_sqli(outdir):
    """SQL injection against a published portal (one request)."""
    _web(outdir, "web_sqli", [b"/news.php?id=1%27%20UNION%20SELECT%20username,password%20FROM%20users--"])


def web_xss(outdir):
    """Reflected XSS probe against the portal's search."""
    _web(outdir, "web_xss", [b"/search?q=%3Cscript%3Ealert(document.cookie)%3C/script%3E"])


def web_traversal(outdir):
    """Path traversal (nikto's /../../etc/passwd)."""
    _web(outdir, "web_traversal", [b"/static/../../../../etc/passwd"])


def web_sqli_keepalive(outdir):
    """One keep-alive connection: an ordinary page first, then the SQL
    injection as the second request, which nDPI never dissects."""
    def req(target):
        return b"GET " + target + b" HTTP/1.1\r\nHost: portal.example.gov.cn\r\nUser-Agent: " + \
            UA + b"\r\nAccept: */*\r\n\r\n"
    resp = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nok"
    with _out(outdir, "web_sqli_keepalive") as w:
        _session(w, T0, "203.0.113.78", "10.1.100.80", 45100, 80,
                 [(req(b"/index.html"), resp), (req(b"/img/logo.png"), resp),
                  (req(b"/news.php?id=1%27%20OR%20%271%27%3D%271"), resp)])


def benign_web_search(outdir):
    """Ordinary requests that carry quotes, SQL words and markup-like
    characters: a search for O'Brien, for "select a plan", a sort order, a
    form with an e-mail address, an encoded path."""
    _web(outdir, "benign_web_search", [
        b"/search?q=O%27Brien&lang=en",
        b"/search?q=select+a+plan+for+union+members",
        b"/list?sort=name&order=desc&page=2",
        b"/contact?email=li.wei%40example.gov.cn&subject=Re%3A+meeting",
        b"/docs/2023/report%20final.pdf",
        b"/api/items?filter=price%3E100&limit=20",
    ])


CASES = [scan_outbound_ports, scan_outbound_sweep, scan_inbound, benign_outbound_clients,
         dns_tunnel_hex, dns_tunnel_base32, dns_tunnel_base64, dns_tunnel_null, benign_dns_cdn,
         web_sqli, web_xss, web_traversal, web_sqli_keepalive, benign_web_search]


def generate(outdir):
    for case in CASES:
        case(outdir)


# --- nDPI risks that depend on what nDPI is fed (tests/regress/test_ndpi_compare.sh)

def risk_dns_fragmented(outdir):
    """A DNS TXT answer of about 2 KB sent as two IPv4 fragments (EDNS0):
    nDPI sets DNS_FRAGMENTED from the header of a fragment, which the
    decoder's reassembly hides; the classifier must restore it."""
    import struct
    from pcapgen import PcapWriter, ether, udp, ipv4_fragments, dns_query, eth_udp4
    import os
    q = dns_query("big.example.org", 16, 0x7777)
    txt = b"".join(bytes([255]) + bytes([0x61 + i % 26]) * 255 for i in range(8))
    answer = b"\xc0\x0c" + struct.pack("!HHIH", 16, 1, 300, len(txt)) + txt
    resp = struct.pack("!HHHHHH", 0x7777, 0x8180, 1, 1, 0, 0) + q[12:] + answer
    with PcapWriter(os.path.join(outdir, "risk_dns_fragmented.pcap")) as w:
        w.write(T0, eth_udp4("10.1.3.7", "10.0.0.53", 33333, 53, q))
        seg = udp("10.0.0.53", "10.1.3.7", 53, 33333, resp)
        for k, frag in enumerate(ipv4_fragments("10.0.0.53", "10.1.3.7", 17, seg, 1480, ident=99)):
            w.write(T0 + 0.01 + k * 0.0001, ether(frag))


CASES.append(risk_dns_fragmented)
