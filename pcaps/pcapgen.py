"""Building blocks for xiezhi's crafted captures (stdlib only).

Every capture in pcaps/ is made by a gen_*.py module through these helpers,
so the files are reproducible byte for byte: timestamps come from the caller,
never from the clock, and nothing is random unless seeded.
"""
import struct

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_NULL = 0
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276
LINKTYPE_PPP = 9
LINKTYPE_C_HDLC = 104

TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10


class _CaptureFile:
    """What both writers share: the open file, closed by close() or at the
    end of a with block."""

    def close(self):
        self.f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class PcapWriter(_CaptureFile):
    """A classic little-endian pcap file (microsecond timestamps)."""

    def __init__(self, path, linktype=LINKTYPE_ETHERNET, snaplen=65535):
        self.f = open(path, "wb")
        self.snaplen = snaplen
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))

    def write(self, ts, frame, wirelen=None, caplen=None):
        """ts: seconds as float or int microseconds (int > 1e12)."""
        usec_total = ts if isinstance(ts, int) and ts > 10**12 else int(round(ts * 1_000_000))
        sec, usec = divmod(usec_total, 1_000_000)
        data = frame if caplen is None else frame[:caplen]
        incl = len(data) if caplen is None else caplen
        orig = len(frame) if wirelen is None else wirelen
        self.f.write(struct.pack("<IIII", sec, usec, incl, orig))
        self.f.write(data)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(addr):
    return bytes(int(x) for x in addr.split("."))


def ip6(addr):
    import ipaddress
    return ipaddress.IPv6Address(addr).packed


def mac(text):
    return bytes(int(x, 16) for x in text.split(":"))


def ether(payload, src="02:00:00:00:00:01", dst="02:00:00:00:00:02", ethertype=0x0800):
    return mac(dst) + mac(src) + struct.pack("!H", ethertype) + payload


def vlan(vid, inner_ethertype, tpid=0x8100):
    """A VLAN tag to splice after the MAC addresses: returns tpid+tci+next type."""
    return struct.pack("!HHH", tpid, vid & 0x0FFF, inner_ethertype)


def ipv4(src, dst, proto, payload, ttl=64, ident=1, flags_frag=0x4000, tos=0, options=b""):
    ihl = 5 + len(options) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", (4 << 4) | ihl, tos, 20 + len(options) + len(payload),
                      ident, flags_frag, ttl, proto, 0, ip4(src), ip4(dst)) + options
    csum = checksum(hdr)
    return hdr[:10] + struct.pack("!H", csum) + hdr[12:] + payload


def ipv6(src, dst, next_header, payload, hop_limit=64):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), next_header, hop_limit,
                       ip6(src), ip6(dst)) + payload


def _pseudo4(src, dst, proto, length):
    return ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, length)


def _pseudo6(src, dst, proto, length):
    return ip6(src) + ip6(dst) + struct.pack("!IxxxB", length, proto)


def tcp(src, dst, sport, dport, flags, payload=b"", seq=1, ack=0, window=65535, v6=False):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, window, 0, 0)
    pseudo = (_pseudo6 if v6 else _pseudo4)(src, dst, 6, len(hdr) + len(payload))
    csum = checksum(pseudo + hdr + payload)
    return hdr[:16] + struct.pack("!H", csum) + hdr[18:] + payload


def udp(src, dst, sport, dport, payload=b"", v6=False):
    length = 8 + len(payload)
    hdr = struct.pack("!HHHH", sport, dport, length, 0)
    pseudo = (_pseudo6 if v6 else _pseudo4)(src, dst, 17, length)
    csum = checksum(pseudo + hdr + payload) or 0xFFFF
    return hdr[:6] + struct.pack("!H", csum) + payload


def icmp(icmp_type, code, payload=b"", ident=1, seq=1):
    hdr = struct.pack("!BBHHH", icmp_type, code, 0, ident, seq)
    csum = checksum(hdr + payload)
    return hdr[:2] + struct.pack("!H", csum) + hdr[4:] + payload


def eth_tcp4(src, dst, sport, dport, flags, payload=b"", seq=1, ack=0, ttl=64):
    return ether(ipv4(src, dst, 6, tcp(src, dst, sport, dport, flags, payload, seq, ack), ttl=ttl))


def eth_udp4(src, dst, sport, dport, payload=b"", ttl=64):
    return ether(ipv4(src, dst, 17, udp(src, dst, sport, dport, payload), ttl=ttl))


def dns_query(name, qtype=1, ident=0x1234):
    """A DNS query message for name (qtype 1=A, 16=TXT, 10=NULL)."""
    q = b"".join(struct.pack("!B", len(p)) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", qtype, 1)


class TcpSession:
    """A TCP conversation with correct sequence numbers: handshake, data, close."""

    def __init__(self, w, t, client, server, cport, sport, mk=eth_tcp4):
        self.w, self.t = w, t
        self.c, self.s, self.cp, self.sp = client, server, cport, sport
        self.cseq, self.sseq = 1000, 5000
        self.mk = mk

    def _emit(self, from_client, flags, payload=b"", dt=0.001):
        self.t += dt
        if from_client:
            frame = self.mk(self.c, self.s, self.cp, self.sp, flags, payload, self.cseq, self.sseq)
            self.cseq += len(payload) + (1 if flags & (TCP_SYN | TCP_FIN) else 0)
        else:
            frame = self.mk(self.s, self.c, self.sp, self.cp, flags, payload, self.sseq, self.cseq)
            self.sseq += len(payload) + (1 if flags & (TCP_SYN | TCP_FIN) else 0)
        self.w.write(self.t, frame)

    def handshake(self):
        self._emit(True, TCP_SYN)
        self._emit(False, TCP_SYN | TCP_ACK)
        self._emit(True, TCP_ACK)
        return self

    def send(self, data, dt=0.001):
        self._emit(True, TCP_PSH | TCP_ACK, data, dt)
        return self

    def reply(self, data, dt=0.001):
        self._emit(False, TCP_PSH | TCP_ACK, data, dt)
        return self

    def close(self):
        self._emit(True, TCP_FIN | TCP_ACK)
        self._emit(False, TCP_FIN | TCP_ACK)
        self._emit(True, TCP_ACK)
        return self.t


# ---- Added for the decode and malformed-input captures (gen_decode.py,
# ---- gen_malformed.py).  Existing helpers above are unchanged.

LINKTYPE_LOOP = 108
LINKTYPE_PPP_HDLC = 50
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229


class PcapngWriter(_CaptureFile):
    """A minimal little-endian pcapng file: one section, one interface,
    Enhanced Packet Blocks with microsecond timestamps."""

    def __init__(self, path, linktype=LINKTYPE_ETHERNET, snaplen=65535):
        self.f = open(path, "wb")
        shb_body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
        self._block(0x0A0D0D0A, shb_body)
        self._block(0x00000001, struct.pack("<HHI", linktype, 0, snaplen))

    def _block(self, btype, body):
        pad = (-len(body)) % 4
        total = 12 + len(body) + pad
        self.f.write(struct.pack("<II", btype, total) + body + b"\0" * pad + struct.pack("<I", total))

    def write(self, ts, frame, wirelen=None):
        usec_total = ts if isinstance(ts, int) and ts > 10**12 else int(round(ts * 1_000_000))
        orig = len(frame) if wirelen is None else wirelen
        body = struct.pack("<IIIII", 0, usec_total >> 32, usec_total & 0xFFFFFFFF, len(frame), orig)
        body += frame + b"\0" * ((-len(frame)) % 4)
        self._block(0x00000006, body)


def vlan_stack(payload, vids, ethertype=0x0800, tpids=None, src="02:00:00:00:00:01", dst="02:00:00:00:00:02"):
    """Ethernet with a stack of VLAN tags (outermost first) around payload."""
    tpids = tpids or [0x8100] * len(vids)
    out = mac(dst) + mac(src)
    for tpid, vid in zip(tpids, vids):
        out += struct.pack("!HH", tpid, vid & 0x0FFF)
    return out + struct.pack("!H", ethertype) + payload


def mpls(labels, payload):
    """An MPLS label stack (list of labels, outermost first) before payload."""
    out = b""
    for i, label in enumerate(labels):
        bos = 1 if i == len(labels) - 1 else 0
        out += struct.pack("!I", (label << 12) | (bos << 8) | 64)
    return out + payload


def pppoe_session(payload, ppp_proto=0x0021, session=0x1234):
    body = struct.pack("!H", ppp_proto) + payload
    return struct.pack("!BBHH", 0x11, 0, session, len(body)) + body


def gre(payload, proto=0x0800, key=None, seq=None, csum=False):
    flags = (0x8000 if csum else 0) | (0x2000 if key is not None else 0) | (0x1000 if seq is not None else 0)
    out = struct.pack("!HH", flags, proto)
    if csum:
        out += struct.pack("!HH", 0, 0)
    if key is not None:
        out += struct.pack("!I", key)
    if seq is not None:
        out += struct.pack("!I", seq)
    return out + payload


def sctp(sport, dport, payload=b"", vtag=0x01020304):
    return struct.pack("!HHII", sport, dport, vtag, 0) + payload


def ipv4_fragments(src, dst, proto, payload, frag_size, ident=7, ttl=64):
    """payload (the transport segment) cut into IPv4 fragments of frag_size
    bytes (a multiple of 8); returns the list of IP datagrams in order."""
    out = []
    for off in range(0, len(payload), frag_size):
        chunk = payload[off:off + frag_size]
        more = 0x2000 if off + frag_size < len(payload) else 0
        out.append(ipv4(src, dst, proto, chunk, ttl=ttl, ident=ident, flags_frag=more | (off // 8)))
    return out


def ipv6_fragments(src, dst, next_header, payload, frag_size, ident=0x1234567):
    """IPv6 fragments (each with a fragment header) of the transport segment."""
    out = []
    for off in range(0, len(payload), frag_size):
        chunk = payload[off:off + frag_size]
        more = 1 if off + frag_size < len(payload) else 0
        fh = struct.pack("!BBHI", next_header, 0, off | more, ident)
        out.append(ipv6(src, dst, 44, fh + chunk))
    return out


# ---- Added for the anomaly captures (gen_anomaly.py).

def eth_tcp4_headers_only(src, dst, sport, dport, flags, payload_len, seq=1, ack=0, ttl=64):
    """A TCP/IPv4 frame as a header-only capture sees it (snap length cut
    after the TCP header): returns (captured bytes, wire length).  The
    payload is taken to be zeros, so the checksums are exact without it.
    Lets a capture describe bulk transfers (e.g. TSO-sized segments of up to
    65495 bytes) without storing their bytes."""
    tcp_len = 20 + payload_len
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    csum = checksum(_pseudo4(src, dst, 6, tcp_len) + hdr)
    tcp_hdr = hdr[:16] + struct.pack("!H", csum) + hdr[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + tcp_len, 1, 0x4000, ttl, 6, 0,
                     ip4(src), ip4(dst))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    frame = ether(ip + tcp_hdr)
    return frame, len(frame) + payload_len
