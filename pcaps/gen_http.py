"""HTTP regression captures for the LibHTP parser (tests/regress/test_http.sh):
keep-alive with the attack in the second request, percent- and
double-encoded URIs, a gzip + chunked response carrying a web shell, a POST
with SQL injection, pipelined requests, a request split over many segments,
a CONNECT tunnel with HTTP inside, HTTP (1.0 and 1.1) on a
non-standard port, and a large body inspected in windows.  Deterministic:
fixed times, gzip with mtime 0."""
import gzip
import io
import os

from pcapgen import PcapWriter, TcpSession

CLIENT, SERVER = "192.168.10.20", "203.0.113.80"
T0 = 1_700_000_000


def gz(data):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as f:
        f.write(data)
    return buf.getvalue()


def chunked(data, size):
    out = b""
    for i in range(0, len(data), size):
        part = data[i:i + size]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\n\r\n"


def response(status, body, ctype=b"text/html", extra=b""):
    return (b"HTTP/1.1 " + status + b"\r\nServer: nginx/1.18.0\r\nContent-Type: " + ctype +
            b"\r\nContent-Length: %d\r\n" % len(body) + extra + b"\r\n" + body)


def get(path, host=b"www.example.gov.cn", ua=b"Mozilla/5.0 (X11; Linux x86_64)", extra=b""):
    return (b"GET " + path + b" HTTP/1.1\r\nHost: " + host + b"\r\nUser-Agent: " + ua +
            b"\r\nAccept: */*\r\n" + extra + b"\r\n")


def session(path, cport, sport=80, t=T0):
    w = PcapWriter(path)
    return w, TcpSession(w, t, CLIENT, SERVER, cport, sport).handshake()


def keepalive(out):
    w, s = session(os.path.join(out, "http_keepalive.pcap"), 40001)
    s.send(get(b"/index.html"))
    s.reply(response(b"200 OK", b"<html>welcome</html>"))
    s.send(get(b"/cgi-bin/status.cgi?cmd=cat%20/etc/passwd", extra=b"Cookie: sid=42\r\n"))
    s.reply(response(b"404 Not Found", b"not here"))
    s.close()
    w.close()


def encoded_uri(out):
    w, s = session(os.path.join(out, "http_encoded_uri.pcap"), 40002)
    s.send(get(b"/%73hell.php?c=%77hoami"))
    s.reply(response(b"200 OK", b"ok"))
    s.send(get(b"/files/%252e%252e/%252e%252e/etc/passwd"))
    s.reply(response(b"400 Bad Request", b"no"))
    s.close()
    w.close()


def gzip_chunked(out):
    w, s = session(os.path.join(out, "http_gzip_chunked.pcap"), 40003)
    s.send(get(b"/uploads/img.php", extra=b"Accept-Encoding: gzip\r\n"))
    page = (b"<html><body><pre>" + b"x" * 300 +
            b"<?php @eval(base64_decode($_POST['z0'])); ?> c99shell v.1.0" +
            b"</pre></body></html>")
    body = chunked(gz(page), 64)
    head = (b"HTTP/1.1 200 OK\r\nServer: Apache\r\nContent-Type: text/html\r\n"
            b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n")
    s.reply(head)
    for i in range(0, len(body), 100):
        s.reply(body[i:i + 100])
    s.close()
    w.close()


def post_sqli(out):
    w, s = session(os.path.join(out, "http_post_sqli.pcap"), 40004)
    body = b"username=admin%27+OR+%271%27%3D%271&password=x' UNION SELECT password FROM users--"
    s.send(b"POST /login.php HTTP/1.1\r\nHost: oa.example.gov.cn\r\nUser-Agent: sqlmap/1.5\r\n"
           b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n"
           % len(body))
    s.send(body)
    s.reply(response(b"302 Found", b"", extra=b"Location: /home.php\r\nSet-Cookie: s=1\r\n"))
    s.close()
    w.close()


def pipelined(out):
    w, s = session(os.path.join(out, "http_pipelined.pcap"), 40005)
    s.send(get(b"/a.css") + get(b"/b.js") + get(b"/wp-login.php?action=../../wp-config"))
    s.reply(response(b"200 OK", b"a{}", b"text/css") +
            response(b"200 OK", b"var b;", b"application/javascript") +
            response(b"403 Forbidden", b"denied"))
    s.close()
    w.close()


def split_request(out):
    w, s = session(os.path.join(out, "http_split.pcap"), 40006)
    req = get(b"/phpmyadmin/scripts/setup.php", ua=b"ZmEu")
    for i in range(0, len(req), 3):
        s.send(req[i:i + 3])
    s.reply(response(b"404 Not Found", b"nope"))
    s.close()
    w.close()


def connect_tunnel(out):
    w, s = session(os.path.join(out, "http_connect.pcap"), 40007, sport=3128)
    s.send(b"CONNECT intranet.example.gov.cn:80 HTTP/1.1\r\nHost: intranet.example.gov.cn:80\r\n"
           b"Proxy-Authorization: Basic dXNlcjpwYXNz\r\n\r\n")
    s.reply(b"HTTP/1.1 200 Connection established\r\n\r\n")
    s.send(get(b"/admin/backup.sql", host=b"intranet.example.gov.cn"))
    s.reply(response(b"200 OK", b"-- MySQL dump\nINSERT INTO users VALUES (1);",
                     b"application/octet-stream"))
    s.close()
    w.close()


def odd_port(out):
    path = os.path.join(out, "http_port_8081.pcap")
    w = PcapWriter(path)
    s = TcpSession(w, T0, CLIENT, SERVER, 40008, 8081).handshake()
    s.send(get(b"/manager/html", ua=b"Mozilla/5.0 (compatible; Nmap Scripting Engine)"))
    s.reply(response(b"401 Unauthorized", b"auth", extra=b"WWW-Authenticate: Basic realm=\"x\"\r\n"))
    s.close()
    # HTTP/1.0: no Host, body until the server closes
    s = TcpSession(w, T0 + 5, CLIENT, SERVER, 40009, 8081).handshake()
    s.send(b"GET /shell?cmd=id HTTP/1.0\r\nUser-Agent: curl/7.1\r\n\r\n")
    s.reply(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuid=0(root) gid=0(root)\n")
    s.close()
    # HTTP/1.1 without the Host header it requires
    s = TcpSession(w, T0 + 10, CLIENT, SERVER, 40010, 8081).handshake()
    s.send(b"GET /robots.txt HTTP/1.1\r\nUser-Agent: masscan/1.3\r\n\r\n")
    s.reply(response(b"200 OK", b"User-agent: *", b"text/plain"))
    s.close()
    w.close()


def large_body(out):
    """A 100,000-byte response in 1,000-byte segments: detection looks at the
    body at 41,000 bytes (the 40 KiB minimal inspect size), then at each
    16 KiB window and at its end.  One rule's fast pattern lies in the first
    look's bytes but the rule completes only with bytes of a later one; another
    pattern straddles the first look's end (the prefilter scans only new
    bytes at later looks, and must neither forget nor cut either)."""
    w, s = session(os.path.join(out, "http_large_body.pcap"), 40011)
    s.send(get(b"/download/firmware.bin"))
    body = bytearray(b"".join(b"%07d\n" % i for i in range(12500)))
    for at, mark in ((500, b"EARLY-FASTPATTERN-MARK1"), (80000, b"LATE-MARK"),
                     (40990, b"STRADDLE-FASTPATTERN-X")):
        body[at:at + len(mark)] = mark
    s.reply(b"HTTP/1.1 200 OK\r\nServer: nginx/1.18.0\r\nContent-Type: application/octet-stream"
            b"\r\nContent-Length: %d\r\n\r\n" % len(body))
    for i in range(0, len(body), 1000):
        s.reply(bytes(body[i:i + 1000]))
    s.close()
    w.close()


def generate(out):
    for make in (keepalive, encoded_uri, gzip_chunked, post_sqli, pipelined, split_request,
                 connect_tunnel, odd_port, large_body):
        make(out)


if __name__ == "__main__":
    generate(os.path.dirname(os.path.abspath(__file__)))
