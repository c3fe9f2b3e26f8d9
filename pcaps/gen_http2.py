"""HTTP/2 regression captures for the h2c parser (tests/regress/test_http2.sh):
a prior-knowledge session (preface, SETTINGS, a GET, a POST whose padded
HEADERS continue in CONTINUATION and whose padded DATA carries SQL
injection, a stream the server resets, PING, GOAWAY), DNS over HTTP/2
(POST and GET ?dns=, the flow is "doh2"), and an HTTP/1.1 Upgrade: h2c
answered by 101.  HPACK is written by hand: static-table indices, literals
with incremental indexing (reused from the dynamic table later) and
literals without indexing, never Huffman.  Deterministic: fixed times."""
import base64
import os
import struct

from pcapgen import PcapWriter, TcpSession, dns_query

CLIENT, SERVER = "192.168.10.21", "203.0.113.82"
T0 = 1_700_100_000
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9
END_STREAM, ACK, END_HEADERS, PADDED, PRIO = 0x1, 0x1, 0x4, 0x8, 0x20


def frame(ftype, flags, stream, payload=b""):
    return struct.pack("!I", len(payload))[1:] + struct.pack("!BBI", ftype, flags, stream) + payload


def settings(*pairs, ack=False):
    return frame(SETTINGS, ACK if ack else 0, 0, b"".join(struct.pack("!HI", i, v) for i, v in pairs))


# --- HPACK (RFC 7541) without Huffman -----------------------------------------------------

def hp_int(value, prefix_bits, first):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def hp_str(s):
    return hp_int(len(s), 7, 0) + s


def indexed(i):                     # 6.1: a whole field from the tables
    return hp_int(i, 7, 0x80)


def literal(name, value, index=False):
    """6.2.1 (index=True: the field enters the dynamic table) or 6.2.2, new name."""
    return (b"\x40" if index else b"\x00") + hp_str(name) + hp_str(value)


def literal_name_idx(name_index, value):    # 6.2.2 with the name from the static table
    return hp_int(name_index, 4, 0x00) + hp_str(value)


# static table indices (RFC 7541 appendix A)
GET, POST, PATH_ROOT, SCHEME_HTTP, STATUS_200 = 2, 3, 4, 6, 8
AUTHORITY, PATH, STATUS, CONTENT_TYPE, CONTENT_LENGTH = 1, 4, 8, 31, 28


def session(path, cport, sport=80, t=T0):
    w = PcapWriter(path)
    return w, TcpSession(w, t, CLIENT, SERVER, cport, sport).handshake()


def prior_knowledge(out):
    w, s = session(os.path.join(out, "h2c_prior.pcap"), 41001)
    s.send(PREFACE + settings((1, 4096), (2, 0), (5, 32768)) +
           frame(WINDOW_UPDATE, 0, 0, struct.pack("!I", 1 << 20)))
    s.reply(settings((3, 100), (5, 16384)) + settings(ack=True))
    # stream 1: GET, the user agent enters the dynamic table (index 62 afterwards)
    block = (indexed(GET) + indexed(SCHEME_HTTP) + literal_name_idx(PATH, b"/index.html") +
             literal_name_idx(AUTHORITY, b"h2.example.gov.cn") +
             literal(b"user-agent", b"h2-scanner/0.9", index=True) + literal(b"accept", b"*/*"))
    s.send(settings(ack=True) + frame(HEADERS, END_STREAM | END_HEADERS, 1, block))
    s.reply(frame(HEADERS, END_HEADERS, 1, indexed(STATUS_200) +
                  literal_name_idx(CONTENT_TYPE, b"text/html") + literal(b"server", b"nginx")) +
            frame(DATA, END_STREAM, 1, b"<html>welcome</html>"))
    # stream 3: POST in a padded HEADERS with priority, continued in CONTINUATION;
    # the user agent comes back from the dynamic table (62)
    body = b"username=admin&password=x' UNION SELECT password FROM users--"
    block = (indexed(POST) + indexed(SCHEME_HTTP) + literal_name_idx(PATH, b"/login.php") +
             literal_name_idx(AUTHORITY, b"h2.example.gov.cn") + indexed(62) +
             literal_name_idx(CONTENT_TYPE, b"application/x-www-form-urlencoded") +
             literal(b"x-attack", b"1"))
    pad = 5
    head = bytes([pad]) + struct.pack("!IB", 1, 15) + block[:20] + b"\0" * pad
    s.send(frame(HEADERS, PADDED | PRIO, 3, head) + frame(CONTINUATION, END_HEADERS, 3, block[20:]))
    s.send(frame(DATA, PADDED | END_STREAM, 3, bytes([3]) + body + b"\0\0\0"))
    s.reply(frame(HEADERS, END_HEADERS, 3, literal_name_idx(STATUS, b"403") +
                  literal_name_idx(CONTENT_LENGTH, b"6")) + frame(DATA, 0, 3, b"denied") +
            frame(DATA, END_STREAM, 3))
    # stream 5: refused by the server
    s.send(frame(HEADERS, END_STREAM | END_HEADERS, 5, indexed(GET) + indexed(SCHEME_HTTP) +
                 literal_name_idx(PATH, b"/backup.tar.gz") +
                 literal_name_idx(AUTHORITY, b"h2.example.gov.cn")) + frame(PRIORITY, 0, 5, b"\0\0\0\0\x10"))
    s.reply(frame(RST_STREAM, 0, 5, struct.pack("!I", 7)))
    s.send(frame(PING, 0, 0, b"12345678"))
    s.reply(frame(PING, ACK, 0, b"12345678") + frame(GOAWAY, 0, 0, struct.pack("!II", 5, 0)))
    s.close()
    w.close()


def dns_answer(query):
    """The answer to a dns_query(): A 192.0.2.7."""
    ident = query[:2]
    return (ident + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0) + query[12:] +
            b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes([192, 0, 2, 7]))


def doh(out):
    w, s = session(os.path.join(out, "h2c_doh.pcap"), 41002)
    s.send(PREFACE + settings((2, 0)))
    s.reply(settings((3, 100)) + settings(ack=True))
    q = dns_query("c2.badexample.cn", ident=0x0001)
    s.send(settings(ack=True) +
           frame(HEADERS, END_HEADERS, 1, indexed(POST) + indexed(SCHEME_HTTP) +
                 literal_name_idx(PATH, b"/dns-query") +
                 literal_name_idx(AUTHORITY, b"doh.example.net") +
                 literal_name_idx(CONTENT_TYPE, b"application/dns-message") +
                 literal_name_idx(CONTENT_LENGTH, str(len(q)).encode())) +
           frame(DATA, END_STREAM, 1, q))
    a = dns_answer(q)
    s.reply(frame(HEADERS, END_HEADERS, 1, indexed(STATUS_200) +
                  literal_name_idx(CONTENT_TYPE, b"application/dns-message")) +
            frame(DATA, END_STREAM, 1, a))
    q2 = dns_query("www.example.org", ident=0)
    path = b"/dns-query?dns=" + base64.urlsafe_b64encode(q2).rstrip(b"=")
    s.send(frame(HEADERS, END_STREAM | END_HEADERS, 3, indexed(GET) + indexed(SCHEME_HTTP) +
                 literal_name_idx(PATH, path) + literal_name_idx(AUTHORITY, b"doh.example.net") +
                 literal(b"accept", b"application/dns-message")))
    s.reply(frame(HEADERS, END_HEADERS, 3, indexed(STATUS_200) +
                  literal_name_idx(CONTENT_TYPE, b"application/dns-message")) +
            frame(DATA, END_STREAM, 3, dns_answer(q2)))
    s.close()
    w.close()


def upgrade(out):
    w, s = session(os.path.join(out, "h2c_upgrade.pcap"), 41003)
    h2settings = base64.urlsafe_b64encode(struct.pack("!HI", 3, 100)).rstrip(b"=")
    s.send(b"GET /status HTTP/1.1\r\nHost: legacy.example.gov.cn\r\nUser-Agent: curl/7.88.1\r\n"
           b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: " + h2settings +
           b"\r\n\r\n")
    # the answer to the upgraded request comes on stream 1, in HTTP/2
    s.reply(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n" +
            settings((3, 100)) +
            frame(HEADERS, END_HEADERS, 1, indexed(STATUS_200) +
                  literal_name_idx(CONTENT_TYPE, b"text/plain")) +
            frame(DATA, END_STREAM, 1, b"uid=0(root) gid=0(root)\n"))
    s.send(PREFACE + settings((2, 0)) + settings(ack=True) +
           frame(HEADERS, END_STREAM | END_HEADERS, 3, indexed(GET) + indexed(SCHEME_HTTP) +
                 literal_name_idx(PATH, b"/admin/config.php?cmd=id") +
                 literal_name_idx(AUTHORITY, b"legacy.example.gov.cn")))
    s.reply(settings(ack=True) +
            frame(HEADERS, END_STREAM | END_HEADERS, 3, literal_name_idx(STATUS, b"404")))
    s.close()
    w.close()


def generate(out):
    for make in (prior_knowledge, doh, upgrade):
        make(out)


if __name__ == "__main__":
    generate(os.path.dirname(os.path.abspath(__file__)))
