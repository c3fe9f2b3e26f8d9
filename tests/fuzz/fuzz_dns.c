/* Fuzz target: the DNS parser, over UDP datagrams and TCP chunks (format in
 * proto_chunks.h), and the whole input as one message.  Properties: no
 * crash or leak; every EVE "dns" object written parses as JSON; counters
 * agree (each message parsed is a query or a response; each tx is one
 * query or one unsolicited response); pending queries stay bounded.
 * fuzz-needs: dns_parse_tcp dns_parse_udp dns_eve_write */
#include <stdint.h>
#include <string.h>

#include "applayer/dns/dns.h"
#include "applayer/dns/dns_eve.h"
#include "fuzz_util.h"
#include "json_check.h"
#include "proto_chunks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

FUZZ_INITIALIZE_QUIET

#define CHECK FUZZ_CHECK

static void on_message(void *ctx, const struct dns_tx *tx, enum flow_direction dir)
{
    (void)dir;
    struct json_writer *w = ctx;
    struct dns_eve_options opt = DNS_EVE_DEFAULTS;
    json_reset(w);
    json_object_begin(w, NULL);
    CHECK(dns_eve_write(w, tx, tx->response != NULL, &opt), "nothing written");
    json_object_end(w);
    CHECK(json_ok(w), "writer failed");
    size_t bad;
    CHECK(json_check_object(w->buf, w->len, &bad), "bad JSON at %zu: %s", bad, w->buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dns_message m;
    memset(&m, 0, sizeof m);
    int rc = dns_message_parse(&m, data, size);
    CHECK(rc >= 0 && rc <= DNS_MALFORMED_KINDS + 1, "rc %d", rc);
    CHECK(m.nqueries <= DNS_MAX_QUERIES && m.nrecords <= DNS_MAX_RECORDS, "lists past their caps");
    for (unsigned i = 0; i < m.nqueries; i++)
        CHECK(strlen(m.queries[i].rrname) <= DNS_NAME_MAX, "name too long");
    dns_message_clear(&m);

    struct json_writer w;
    json_init(&w);
    struct dns_sink sink = { on_message, &w };
    struct dns_state st;
    dns_state_init(&st, &sink);
    struct chunk c;
    while (chunk_next(&data, &size, &c)) {
        if (c.udp)
            dns_parse_udp(&st, c.dir, c.data, c.len);
        else
            dns_parse_tcp(&st, c.dir, c.data, c.len, c.flags);
        CHECK(st.npending <= DNS_MAX_PENDING, "pending %u", st.npending);
    }
    dns_state_free(&st);
    const struct dns_counters *k = &st.counters;
    CHECK(k->messages == k->queries + k->responses, "messages %lu != %lu + %lu",
          (unsigned long)k->messages, (unsigned long)k->queries, (unsigned long)k->responses);
    CHECK(k->txs == k->queries + k->unsolicited, "txs");
    json_free(&w);
    return 0;
}
