"""Captures for the Redis delivery tests: many tiny UDP flows, so one run
makes tens of thousands of flow events (and, with a one-line rule, as many
alerts) without a large file.  Deterministic (no clock, no randomness)."""
import os

from pcapgen import PcapWriter, eth_udp4

FLOWS = 25000
BASE_TS = 1700000000.0


def generate(outdir):
    path = os.path.join(outdir, "redis_25k_udp_flows.pcap")
    with PcapWriter(path) as w:
        for i in range(FLOWS):
            src = "10.50.%d.%d" % (i // 250, i % 250 + 1)
            frame = eth_udp4(src, "10.60.0.1", 20000 + i % 40000, 9999, b"x")
            w.write(BASE_TS + i * 0.001, frame)
