/* EVE JSON events.  Field names and their order follow Suricata's EVE so
 * that existing tooling reads xiezhi's output unchanged; xiezhi's own objects
 * (ndpi, geoip, behavior, sensor, event_id) sit beside Suricata's, never
 * inside them. */
#include "event/eve.h"

#include "applayer/applayer.h"

#include <netinet/in.h>
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void eve_writer_init(struct eve_writer *w, const char *sensor_id, const char *segment,
                     bool offline, const struct classifier *classifier,
                     const struct geoip *geoip, const struct eve_sink *sink)
{
    memset(w, 0, sizeof *w);
    w->sensor_id = sensor_id;
    w->segment = segment;
    w->offline = offline;
    w->classifier = classifier;
    w->geoip = geoip;
    w->sink = *sink;
    if (!w->sink.wanted)
        w->sink.wanted = EVENT_TYPE_ALL;
    w->date_second = UINT64_MAX;
    json_init(&w->json);
}

void eve_writer_set_wanted(struct eve_writer *w, unsigned wanted)
{
    w->sink.wanted = wanted ? wanted : EVENT_TYPE_ALL;
}

bool eve_wants(const struct eve_writer *w, enum event_type type)
{
    return (w->sink.wanted & EVENT_TYPE_MASK(type)) != 0;
}

void eve_writer_free(struct eve_writer *w)
{
    json_free(&w->json);
}

static void format_date(uint64_t second, char date[24])
{
    time_t sec = (time_t)second;
    struct tm tm;
    gmtime_r(&sec, &tm);
    strftime(date, 24, "%Y-%m-%dT%H:%M:%S", &tm);
}

void eve_format_timestamp(uint64_t ts_usec, char *buf, size_t len)
{
    char date[24];
    format_date(ts_usec / 1000000, date);
    snprintf(buf, len, "%s.%06u+0000", date, (unsigned)(ts_usec % 1000000));
}

/* Events come in bursts within one second: the date part is formatted once
 * per second, the microseconds every time. */
static void writer_timestamp(struct eve_writer *w, uint64_t ts_usec, char buf[40])
{
    uint64_t second = ts_usec / 1000000;
    if (second != w->date_second) {
        format_date(second, w->date_text);
        w->date_second = second;
    }
    unsigned usec = (unsigned)(ts_usec % 1000000);
    memcpy(buf, w->date_text, 19);
    buf[19] = '.';
    for (int i = 25; i >= 20; i--) {
        buf[i] = (char)('0' + usec % 10);
        usec /= 10;
    }
    memcpy(buf + 26, "+0000", 6);
}

static const struct {
    uint8_t number;
    const char *name;
} proto_names[] = {
    { IPPROTO_ICMP, "ICMP" }, { IPPROTO_IGMP, "IGMP" }, { IPPROTO_TCP, "TCP" },
    { IPPROTO_UDP, "UDP" }, { IPPROTO_GRE, "GRE" }, { IPPROTO_ESP, "ESP" }, { IPPROTO_AH, "AH" },
    { IPPROTO_ICMPV6, "IPv6-ICMP" }, { 89, "OSPF" },      /* no IPPROTO_ name in glibc */
    { IPPROTO_PIM, "PIM" }, { 112, "VRRP" },              /* likewise */
    { IPPROTO_SCTP, "SCTP" },
};

const char *eve_proto_name(uint8_t proto, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof proto_names / sizeof proto_names[0]; i++)
        if (proto_names[i].number == proto)
            return proto_names[i].name;
    snprintf(buf, len, "%u", proto);
    return buf;
}

static void write_addr(struct json_writer *j, const char *key, const struct ip_addr *a)
{
    char text[INET6_ADDRSTRLEN];
    if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->bytes, text, sizeof text))
        text[0] = '\0';
    json_string(j, key, text);
}

static bool proto_has_ports(uint8_t proto)
{
    return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
}

/* The five-tuple, oriented as the event says: packets keep their own
 * direction, flow events go client -> server. */
static void write_tuple(struct eve_writer *w, const struct flow *flow, bool reversed)
{
    const struct ip_addr *src = reversed ? &flow->server : &flow->client;
    const struct ip_addr *dst = reversed ? &flow->client : &flow->server;
    uint16_t sport = reversed ? flow->server_port : flow->client_port;
    uint16_t dport = reversed ? flow->client_port : flow->server_port;
    char num[8];
    if (flow->vlan_id) {
        json_array_begin(&w->json, "vlan");
        json_uint(&w->json, NULL, flow->vlan_id);
        if (flow->vlan_inner)
            json_uint(&w->json, NULL, flow->vlan_inner);
        json_array_end(&w->json);
    }
    write_addr(&w->json, "src_ip", src);
    if (proto_has_ports(flow->proto))
        json_uint(&w->json, "src_port", sport);
    write_addr(&w->json, "dest_ip", dst);
    if (proto_has_ports(flow->proto))
        json_uint(&w->json, "dest_port", dport);
    json_string(&w->json, "proto", eve_proto_name(flow->proto, num, sizeof num));
    if (flow->proto == IPPROTO_ICMP || flow->proto == IPPROTO_ICMPV6) {
        /* ICMP flows carry type and code in the port fields of the key. */
        json_uint(&w->json, "icmp_type", reversed ? flow->server_port : flow->client_port);
        json_uint(&w->json, "icmp_code", reversed ? flow->client_port : flow->server_port);
    }
}

static void write_header(struct eve_writer *w, uint64_t ts_usec, const struct flow *flow)
{
    char ts[40];
    writer_timestamp(w, ts_usec, ts);
    json_string(&w->json, "timestamp", ts);
    if (flow)
        json_uint(&w->json, "flow_id", flow->flow_id);
}

static void write_meta_field(struct json_writer *j, const struct flow *flow, const char *key,
                             enum flow_meta_field field)
{
    uint32_t len;
    const char *value = flow_meta_get(flow->meta, field, &len);
    if (value)
        json_string_len(j, key, value, len);
}

static const struct {
    const char *key;
    enum flow_meta_field field;
} ndpi_meta_fields[] = {
    { "hostname", META_HOSTNAME },
    { "dns_query", META_DNS_QUERY },
    { "ja3", META_JA3_CLIENT },
    { "ja3s", META_JA3_SERVER },
    { "tls_version", META_TLS_VERSION },
    { "alpn", META_TLS_ALPN },
    { "cert_subject", META_TLS_CERT_SUBJECT },
    { "cert_issuer", META_TLS_CERT_ISSUER },
    { "http_url", META_HTTP_URL },
    { "http_user_agent", META_HTTP_USER_AGENT },
    { "http_method", META_HTTP_METHOD },
    { "ssh_client", META_SSH_CLIENT },
    { "ssh_server", META_SSH_SERVER },
};

static void write_ndpi(struct eve_writer *w, const struct flow *flow)
{
    struct json_writer *j = &w->json;
    char name[64];
    json_object_begin(j, "ndpi");
    json_string(j, "protocol", classify_protocol_name(w->classifier, &flow->app, name, sizeof name));
    json_string(j, "category", classify_category_name(w->classifier, &flow->app));
    json_string(j, "confidence", classify_confidence_name(&flow->app));
    if (flow->app.risk) {
        const char *risks[64];
        size_t n = classify_risk_names(flow->app.risk, risks, 64);
        json_array_begin(j, "risks");
        for (size_t i = 0; i < n; i++)
            json_string(j, NULL, risks[i]);
        json_array_end(j);
    }
    for (size_t i = 0; i < sizeof ndpi_meta_fields / sizeof ndpi_meta_fields[0]; i++)
        write_meta_field(j, flow, ndpi_meta_fields[i].key, ndpi_meta_fields[i].field);
    if (flow->app.http_response_code)
        json_uint(j, "http_response_code", flow->app.http_response_code);
    json_object_end(j);
}

static void write_geo_side(struct eve_writer *w, const char *key, const struct ip_addr *addr)
{
    struct geo_info info;
    if (!geoip_lookup(w->geoip, addr, &info))
        return;
    json_object_begin(&w->json, key);
    if (info.country[0])
        json_string(&w->json, "country", info.country);
    if (info.asn)
        json_uint(&w->json, "asn", info.asn);
    if (info.org[0])
        json_string(&w->json, "org", info.org);
    json_object_end(&w->json);
}

static void write_geoip(struct eve_writer *w, const struct flow *flow, bool reversed)
{
    if (!w->geoip)
        return;
    struct geo_info probe;
    const struct ip_addr *src = reversed ? &flow->server : &flow->client;
    const struct ip_addr *dst = reversed ? &flow->client : &flow->server;
    if (!geoip_lookup(w->geoip, src, &probe) && !geoip_lookup(w->geoip, dst, &probe))
        return;
    json_object_begin(&w->json, "geoip");
    write_geo_side(w, "src", src);
    write_geo_side(w, "dest", dst);
    json_object_end(&w->json);
}

static void write_flow_counters(struct eve_writer *w, const struct flow *flow)
{
    struct json_writer *j = &w->json;
    char ts[40];
    json_uint(j, "pkts_toserver", flow->pkts[FLOW_TOSERVER]);
    json_uint(j, "pkts_toclient", flow->pkts[FLOW_TOCLIENT]);
    json_uint(j, "bytes_toserver", flow->bytes[FLOW_TOSERVER]);
    json_uint(j, "bytes_toclient", flow->bytes[FLOW_TOCLIENT]);
    writer_timestamp(w, flow->start_usec, ts);
    json_string(j, "start", ts);
}

static void write_trailer(struct eve_writer *w, uint64_t seq)
{
    json_object_begin(&w->json, "sensor");
    json_string(&w->json, "id", w->sensor_id);
    if (w->segment && w->segment[0])
        json_string(&w->json, "segment", w->segment);
    json_object_end(&w->json);
    char id[160];
    snprintf(id, sizeof id, "%s:%" PRIu64, w->sensor_id, seq);
    json_string(&w->json, "event_id", id);
}

static void deliver(struct eve_writer *w, enum event_type type, uint64_t seq)
{
    json_object_end(&w->json);
    if (!json_ok(&w->json))
        return;
    struct event_record record = { .type = type, .seq = seq, .json = w->json.buf, .len = w->json.len };
    w->written[type]++;
    w->sink.deliver(w->sink.ctx, &record);
}

/* The event is formatted; only now is it numbered: next_seq may take the
 * sensor's event lock (which deliver releases), so formatting runs outside
 * it and the lock covers only the number, the short trailer and the hand
 * over, which keeps the outputs in sequence order. */
static void finish(struct eve_writer *w, enum event_type type)
{
    uint64_t seq = w->sink.next_seq(w->sink.ctx);
    write_trailer(w, seq);
    deliver(w, type, seq);
}

static const char *behavior_name(const struct eve_writer *w)
{
    return w->legacy_anomaly_names ? EVENT_BEHAVIOR_LEGACY_NAME : event_type_name(EVENT_ANOMALY);
}

/* A behavioural detection's details, named as its event_type. */
static void write_anomaly(struct eve_writer *w, const struct anomaly_info *anomaly)
{
    struct json_writer *j = &w->json;
    json_object_begin(j, behavior_name(w));
    json_string(j, "kind", anomaly->kind);
    json_uint(j, "window", anomaly->window_usec / 1000000);
    json_uint(j, "count", anomaly->count);
    if (anomaly->score != 0)
        json_double(j, "score", anomaly->score);
    json_array_begin(j, "evidence");
    for (size_t i = 0; i < anomaly->nevidence; i++)
        json_string(j, NULL, anomaly->evidence[i]);
    json_array_end(j);
    json_object_end(j);
}

static bool packet_is_reversed(const struct flow *flow, const struct packet *pkt)
{
    if (!pkt)
        return false;
    return memcmp(&pkt->src, &flow->client, sizeof pkt->src) != 0 ||
           pkt->src_port != flow->client_port;
}

/* The flow's app_proto: xiezhi's parser when one has the flow, else nDPI's. */
static const char *app_proto_of(const struct eve_writer *w, const struct flow *flow)
{
    const char *name = applayer_flow_proto_name(flow);
    return name ? name : classify_app_proto(w->classifier, &flow->app);
}

static enum event_type tx_event_type(const struct applayer_parser *p)
{
    switch (p->proto) {
    case APPLAYER_DNS: return EVENT_DNS;
    case APPLAYER_TLS: return EVENT_TLS;
    case APPLAYER_SSH: return EVENT_SSH;
    default: return EVENT_HTTP;
    }
}

static void write_tx_object(struct eve_writer *w, const struct eve_tx *tx)
{
    json_object_begin(&w->json, tx->parser->eve_object ? tx->parser->eve_object : tx->parser->name);
    tx->parser->eve_write(tx->settings, tx->state, tx->tx, &w->json);
    json_object_end(&w->json);
    if (tx->parser->eve_write_beside)
        tx->parser->eve_write_beside(tx->settings, tx->state, tx->tx, &w->json);
}

static void write_alert(struct eve_writer *w, const struct flow *flow, const struct packet *pkt,
                        const struct rule_info *rule, const struct anomaly_info *anomaly,
                        const struct eve_tx *tx);

void eve_write_alert(struct eve_writer *w, const struct flow *flow, const struct packet *pkt,
                     const struct rule_info *rule, const struct anomaly_info *anomaly)
{
    write_alert(w, flow, pkt, rule, anomaly, NULL);
}

void eve_write_alert_tx(struct eve_writer *w, const struct flow *flow, const struct packet *pkt,
                        const struct rule_info *rule, const struct eve_tx *tx)
{
    write_alert(w, flow, pkt, rule, NULL, tx);
}

void eve_write_tx(struct eve_writer *w, const struct flow *flow, uint64_t ts_usec,
                  uint64_t pcap_cnt, const struct eve_tx *tx)
{
    enum event_type type = tx_event_type(tx->parser);
    if (!eve_wants(w, type) || !tx->parser->eve_write)
        return;
    uint64_t seq = w->sink.next_seq(w->sink.ctx);
    struct json_writer *j = &w->json;
    json_reset(j);
    json_object_begin(j, NULL);
    write_header(w, ts_usec, flow);
    if (w->offline && pcap_cnt)
        json_uint(j, "pcap_cnt", pcap_cnt);
    json_string(j, "event_type", event_type_name(type));
    write_tuple(w, flow, false);
    json_uint(j, "tx_id", tx->tx_id);
    json_string(j, "app_proto", app_proto_of(w, flow));
    write_tx_object(w, tx);
    write_geoip(w, flow, false);
    write_trailer(w, seq);
    deliver(w, type, seq);
}

static void write_alert(struct eve_writer *w, const struct flow *flow, const struct packet *pkt,
                        const struct rule_info *rule, const struct anomaly_info *anomaly,
                        const struct eve_tx *tx)
{
    enum event_type type = anomaly ? EVENT_ANOMALY : EVENT_ALERT;
    if (!eve_wants(w, type))
        return;
    bool reversed = packet_is_reversed(flow, pkt);
    struct json_writer *j = &w->json;
    json_reset(j);
    json_object_begin(j, NULL);
    write_header(w, pkt ? pkt->ts_usec : flow->last_usec, flow);
    if (w->offline && pkt)
        json_uint(j, "pcap_cnt", pkt->pcap_cnt);
    json_string(j, "event_type", anomaly ? behavior_name(w) : event_type_name(type));
    write_tuple(w, flow, reversed);
    if (tx)
        json_uint(j, "tx_id", tx->tx_id);
    json_string(j, "app_proto", app_proto_of(w, flow));
    json_object_begin(j, "alert");
    json_string(j, "action", rule->action_name ? rule->action_name : "allowed");
    json_uint(j, "gid", rule->gid);
    json_uint(j, "signature_id", rule->sid);
    json_uint(j, "rev", rule->rev);
    json_string(j, "signature", rule->msg);
    json_string(j, "category", rule->category ? rule->category : "");
    json_int(j, "severity", rule->severity);
    if (rule->metadata_json)
        json_raw(j, "metadata", rule->metadata_json);
    json_object_end(j);
    json_object_begin(j, "flow");
    write_flow_counters(w, flow);
    json_object_end(j);
    if (anomaly)
        write_anomaly(w, anomaly);
    if (tx && tx->parser->eve_write)
        write_tx_object(w, tx);
    write_ndpi(w, flow);
    write_geoip(w, flow, reversed);
    finish(w, type);
}

void eve_write_flow(struct eve_writer *w, const struct flow *flow)
{
    if (!eve_wants(w, EVENT_FLOW))
        return;
    struct json_writer *j = &w->json;
    char ts[40];
    json_reset(j);
    json_object_begin(j, NULL);
    write_header(w, flow->last_usec, flow);
    json_string(j, "event_type", "flow");
    write_tuple(w, flow, false);
    json_string(j, "app_proto", app_proto_of(w, flow));
    json_object_begin(j, "flow");
    write_flow_counters(w, flow);
    writer_timestamp(w, flow->last_usec, ts);
    json_string(j, "end", ts);
    json_uint(j, "age", (flow->last_usec - flow->start_usec) / 1000000);
    json_string(j, "state", flow_state_name(flow));
    json_string(j, "reason", flow_end_reason_name((enum flow_end_reason)flow->end_reason));
    json_object_end(j);
    if (flow->proto == IPPROTO_TCP) {
        json_object_begin(j, "tcp");
        char flags[3];
        snprintf(flags, sizeof flags, "%02x",
                 flow->tcp_flags_seen[FLOW_TOSERVER] | flow->tcp_flags_seen[FLOW_TOCLIENT]);
        json_string(j, "tcp_flags", flags);
        snprintf(flags, sizeof flags, "%02x", flow->tcp_flags_seen[FLOW_TOSERVER]);
        json_string(j, "tcp_flags_ts", flags);
        snprintf(flags, sizeof flags, "%02x", flow->tcp_flags_seen[FLOW_TOCLIENT]);
        json_string(j, "tcp_flags_tc", flags);
        json_object_end(j);
    }
    write_ndpi(w, flow);
    write_geoip(w, flow, false);
    finish(w, EVENT_FLOW);
}

struct json_writer *eve_stats_begin(struct eve_writer *w, uint64_t ts_usec, uint64_t uptime_sec)
{
    json_reset(&w->json);
    json_object_begin(&w->json, NULL);
    write_header(w, ts_usec, NULL);
    json_string(&w->json, "event_type", "stats");
    json_object_begin(&w->json, "stats");
    json_uint(&w->json, "uptime", uptime_sec);
    return &w->json;
}

void eve_stats_own(struct eve_writer *w)
{
    json_object_end(&w->json);
    json_object_begin(&w->json, "xiezhi_stats");
}

void eve_stats_end(struct eve_writer *w)
{
    json_object_end(&w->json);
    finish(w, EVENT_STATS);
}
