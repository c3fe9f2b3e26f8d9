/* Every configuration key xiezhi reads, as patterns ('*' stands for one
 * path element: a variable, zone or list-item name).  A key in a file or a
 * --set that matches none is a mistake worth a message: config_check_keys.
 * A stage that reads a new key adds its row here and documents it in
 * etc/xiezhi.yaml. */
#include "config/config.h"

const char *const config_known_keys[] = {
    "sensor.id", "sensor.segment", "sensor.state-file",
    "vars.address-groups.*", "vars.port-groups.*",
    "capture.interfaces", "capture.bpf", "capture.snaplen", "capture.promisc",
    "capture.buffer-size", "capture.immediate", "capture.workers", "capture.fanout",
    "rules.dir", "rules.files", "rules.classification", "datasets.dir",
    "detect.encryption-handling",
    "geoip.country-db", "geoip.asn-db",
    "decoder.max-tunnel-depth", "decoder.defrag.memcap", "decoder.defrag.timeout",
    "decoder.vxlan.enabled", "decoder.vxlan.port", "decoder.geneve.enabled", "decoder.geneve.port",
    "decoder.gtpu.enabled", "decoder.gtpu.port", "decoder.tzsp.enabled", "decoder.tzsp.port",
    "flow.max-flows", "flow.memcap", "flow.timeouts.tcp-new", "flow.timeouts.tcp-established",
    "flow.timeouts.tcp-closed", "flow.timeouts.udp", "flow.timeouts.icmp",
    "flow.timeouts.other", "flow.timeouts.active",
    "anomaly.memcap", "anomaly.max-tracked", "anomaly.event-type",
    "anomaly.zones.*", "anomaly.zone-policy.allow",
    "outputs.eve.enabled", "outputs.eve.filename", "outputs.eve.types",
    "outputs.stdout.enabled", "outputs.stdout.types",
    "outputs.redis.enabled", "outputs.redis.server", "outputs.redis.port",
    "outputs.redis.unix-socket", "outputs.redis.username", "outputs.redis.password-file",
    "outputs.redis.db", "outputs.redis.mode", "outputs.redis.key", "outputs.redis.maxlen",
    "outputs.redis.exactly-once", "outputs.redis.types", "outputs.redis.batch-size",
    "outputs.redis.batch-delay", "outputs.redis.queue-size", "outputs.redis.connect-timeout",
    "outputs.redis.command-timeout", "outputs.redis.reconnect-max-delay",
    "outputs.redis.heartbeat-interval", "outputs.redis.close-timeout",
    "outputs.redis.spool.dir", "outputs.redis.spool.max-size",
    "outputs.redis.topology", "outputs.redis.nodes", "outputs.redis.sentinel.master",
    "outputs.redis.sentinel.username", "outputs.redis.sentinel.password-file",
    "outputs.redis.wait-replicas", "outputs.redis.aggregates.enabled",
    "outputs.redis.aggregates.ttl",
    "stream.midstream", "stream.reassembly.depth", "stream.reassembly.memcap",
    "stream.reassembly.max-held", "stream.reassembly.gap-timeout",
    "outputs.eve.http.extended", "outputs.eve.http.dump-all-headers", "outputs.eve.http.custom",
    "app-layer.protocols.*.enabled",
#define HTP "app-layer.protocols.http.libhtp.default-config."
    HTP "personality", HTP "request-body-limit", HTP "response-body-limit",
    HTP "request-body-minimal-inspect-size", HTP "request-body-inspect-window",
    HTP "response-body-minimal-inspect-size", HTP "response-body-inspect-window",
    HTP "max-tx", HTP "raw-header-limit", HTP "double-decode-path", HTP "double-decode-query",
    HTP "uri-include-all", HTP "response-body-decompress-layer-limit",
    HTP "compression-bomb-limit", HTP "decompression-time-limit", HTP "meta-field-limit",
    HTP "headers-limit", HTP "lzma-enabled", HTP "lzma-memlimit",
#undef HTP
    "app-layer.protocols.dns.enabled", "app-layer.protocols.tls.enabled",
    "app-layer.protocols.ssh.enabled", "app-layer.protocols.tls.cert-cache",
    "app-layer.protocols.http2.enabled", "app-layer.protocols.http2.max-streams",
    "app-layer.protocols.http2.max-table-size", "app-layer.protocols.http2.max-reassembly-size",
    "app-layer.protocols.http2.body-limit", "app-layer.protocols.http2.memcap",
    "outputs.eve.dns.answers", "outputs.eve.dns.grouped",
    "outputs.eve.dns.requests", "outputs.eve.dns.responses", "outputs.eve.dns.formats",
    "outputs.eve.dns.types",
    "stats.interval",
    "logging.dir", "logging.level", "logging.syslog",
    "run-as.user", "run-as.group", "pid-file",
};

const size_t config_known_key_count = sizeof config_known_keys / sizeof config_known_keys[0];
