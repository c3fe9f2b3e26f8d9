"""stream_*.pcap: TCP segmentation cases for the reassembly engine
(tests/regress/test_stream.sh holds the expected alerts).  Every flow is
client 10.5.0.1 -> server 10.5.0.2:80 (one source port per case) and
spells out its sequence numbers, so what the stream must deliver is
explicit: a split pattern, the same out of order, one-byte segments,
retransmissions, overlaps with the same and with different data, a
handshake-less flow, gaps that never fill, and a flow past the depth."""
import os

from pcapgen import PcapWriter, eth_tcp4, TCP_SYN, TCP_ACK, TCP_PSH, TCP_FIN

C, S = "10.5.0.1", "10.5.0.2"
CISN, SISN = 1000, 5000
PA = TCP_PSH | TCP_ACK


class Flow:
    """Raw segments of one connection; offsets count from the first data byte."""

    def __init__(self, w, t, cport, cisn=CISN, sisn=SISN):
        self.w, self.t, self.cp = w, t, cport
        self.cisn, self.sisn = cisn, sisn
        self.srv_next = 0       # server bytes sent so far

    def _at(self, dt):
        self.t += dt
        return self.t

    def handshake(self):
        self.w.write(self._at(0.001), eth_tcp4(C, S, self.cp, 80, TCP_SYN, b"", self.cisn, 0))
        self.w.write(self._at(0.001), eth_tcp4(S, C, 80, self.cp, TCP_SYN | TCP_ACK, b"",
                                               self.sisn, self.cisn + 1))
        self.w.write(self._at(0.001), eth_tcp4(C, S, self.cp, 80, TCP_ACK, b"", self.cisn + 1,
                                               self.sisn + 1))
        return self

    def client(self, offset, data, flags=PA, dt=0.001):
        seq = (self.cisn + 1 + offset) & 0xffffffff
        self.w.write(self._at(dt), eth_tcp4(C, S, self.cp, 80, flags, data, seq,
                                            (self.sisn + 1 + self.srv_next) & 0xffffffff))
        return self

    def server_ack(self, client_bytes, dt=0.001):
        self.w.write(self._at(dt), eth_tcp4(S, C, 80, self.cp, TCP_ACK, b"",
                                            (self.sisn + 1 + self.srv_next) & 0xffffffff,
                                            (self.cisn + 1 + client_bytes) & 0xffffffff))
        return self

    def client_fin(self, offset, dt=0.001):
        return self.client(offset, b"", TCP_FIN | TCP_ACK, dt)


def split(w, t):
    """A pattern split over two segments, later seen whole in one packet, and
    a content pair whose relative distance spans the segment boundary."""
    f = Flow(w, t, 40001).handshake()                       # packets 1-3
    f.client(0, b"GET /etc/pa")                             # 4
    f.client(11, b"sswd HTTP/1.0\r\nUSER ")                 # 5: /etc/passwd completes
    f.client(31, b"admin\r\nX-Again: /etc/passwd\r\n")      # 6: USER..admin; /etc/passwd whole
    f.client_fin(61)                                        # 7


def out_of_order(w, t):
    f = Flow(w, t, 40002).handshake()                       # 1-3
    f.client(11, b"sswd HTTP/1.0\r\n\r\n")                  # 4: held
    f.client(0, b"GET /etc/pa")                             # 5: gap closes: alert here
    f.client_fin(28)                                        # 6


def one_byte(w, t):
    text = b"GET /etc/passwd HTTP/1.0\r\n\r\n"
    f = Flow(w, t, 40003).handshake()                       # 1-3
    for i in range(len(text)):                              # 4..31; 'd' of passwd is 18
        f.client(i, text[i:i + 1])
    f.client_fin(len(text))                                 # 32


def retransmission(w, t):
    f = Flow(w, t, 40004).handshake()                       # 1-3
    req = b"GET /etc/passwd HTTP/1.0\r\n\r\n"
    f.client(0, req)                                        # 4: alert
    f.client(0, req)                                        # 5: retransmitted: no second alert
    f.client(0, req, dt=0.2)                                # 6: again
    f.client_fin(len(req))                                  # 7


def overlap_same(w, t):
    f = Flow(w, t, 40005).handshake()                       # 1-3
    f.client(0, b"GET /etc/pas")                            # 4
    f.client(8, b"/passwd HTTP/1.0\r\n\r\n")                # 5: overlaps "/pas" with the same bytes
    f.client_fin(29)                                        # 6


def overlap_different(w, t):
    """Evasion attempt: the first copy of the bytes says something harmless,
    a 'retransmission' says /etc/passwd.  The first-seen bytes stay; the
    overlap is a stream event.  Then the same with held data: a segment
    held out of order wins over an in-order one overlapping it."""
    f = Flow(w, t, 40006).handshake()                       # 1-3
    f.client(0, b"GET /etc/hosts  HTTP/1.0\r\n")            # 4
    f.client(0, b"GET /etc/passwd HTTP/1.0\r\n")            # 5: different data: event, no passwd
    f.client(36, b"shadow\r\n")                             # 6: held (26..35 missing)
    f.client(26, b"X-File: /etc/motd\r\n")                  # 7: in order, overlaps 36..42 with "motd\r\n"
    f.client_fin(45)                                        # 8


def midstream(w, t):
    """No handshake in the capture: picked up at the first data."""
    f = Flow(w, t, 40007, cisn=700000, sisn=900000)
    f.client(0, b"GET /etc/pa")                             # 1
    f.client(11, b"sswd HTTP/1.0\r\n\r\n")                  # 2: alert (midstream on)
    f.client_fin(28)                                        # 3


def gap(w, t):
    """Flow 1: a segment is lost; the server acknowledges past it, so the
    gap is given up at the client's next packet and the data behind it is
    inspected then.  Flow 2: the same, but nothing follows: the flow's end
    flushes the held data (alert without a packet)."""
    f = Flow(w, t, 40008).handshake()                       # 1-3
    f.client(0, b"USER alice\r\n")                          # 4
    # lost: f.client(12, b"PASS s3cret\r\n")  (13 bytes)
    f.client(25, b"RETR confidential.doc\r\n")              # 5: held behind the gap
    f.server_ack(48)                                        # 6: the server had it all
    f.client_fin(48)                                        # 7: gap given up: alert here
    g = Flow(w, f.t + 0.5, 40009).handshake()               # 8-10
    g.client(0, b"USER bob\r\n")                            # 11
    # lost: 10..19
    g.client(20, b"RETR secret-plan.doc\r\n")               # 12: held; nothing follows


def depth(w, t):
    """20 KiB from the client, run with stream.reassembly.depth 8kb: a split
    pattern below the depth alerts, one above it does not (nothing is
    reassembled there), one whole in a packet above it still does (packet
    inspection goes on)."""
    f = Flow(w, t, 40010).handshake()                       # 1-3
    body = bytearray(b"." * 20480)
    body[4096 - 5:4096 + 6] = b"/etc/passwd"                # across the 4096 boundary
    body[12288 - 5:12288 + 9] = b"/etc/shadow.bak"[:14]     # across 12288, past the depth
    body[16384 + 100:16384 + 110] = b"/etc/group"           # inside one packet, past the depth
    for off in range(0, len(body), 1024):                   # 4..23
        f.client(off, bytes(body[off:off + 1024]))
    f.client_fin(len(body))                                 # 24


def generate(outdir):
    cases = [("stream_split", split), ("stream_out_of_order", out_of_order),
             ("stream_one_byte", one_byte), ("stream_retransmission", retransmission),
             ("stream_overlap_same", overlap_same), ("stream_overlap_different", overlap_different),
             ("stream_midstream", midstream), ("stream_gap", gap), ("stream_depth", depth)]
    for name, fn in cases:
        with PcapWriter(os.path.join(outdir, name + ".pcap")) as w:
            fn(w, 1_700_100_000.0)
