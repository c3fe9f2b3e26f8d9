/* The EVE "http" object of a transaction, with Suricata's field names and
 * order: hostname, http_port, url, http_user_agent, xff, http_content_type,
 * then (outputs.eve.http.extended) http_refer, http_method, protocol,
 * status, redirect, length, and the header arrays
 * (outputs.eve.http.dump-all-headers; outputs.eve.http.custom adds named
 * headers to them when they are not dumped whole). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "applayer/http/http_int.h"

static void field(struct json_writer *j, const char *key, const bstr *s)
{
    if (s && bstr_len(s))
        json_string_len(j, key, (const char *)bstr_ptr(s), bstr_len(s));
}

static bool custom_wanted(const struct http_settings *set, const bstr *name)
{
    for (size_t i = 0; i < set->ncustom; i++)
        if (strlen(set->custom[i]) == bstr_len(name) &&
            strncasecmp(set->custom[i], (const char *)bstr_ptr(name), bstr_len(name)) == 0)
            return true;
    return false;
}

static void header_array(struct json_writer *j, const struct http_settings *set,
                         const char *key, const htp_table_t *t, bool all)
{
    size_t n = t ? htp_table_size(t) : 0;
    bool open = false;
    for (size_t i = 0; i < n; i++) {
        htp_header_t *h = htp_table_get_index(t, i, NULL);
        if (!h || !h->name || !h->value || (!all && !custom_wanted(set, h->name)))
            continue;
        if (!open) {
            json_array_begin(j, key);
            open = true;
        }
        json_object_begin(j, NULL);
        field(j, "name", h->name);
        json_string_len(j, "value", (const char *)bstr_ptr(h->value), bstr_len(h->value));
        json_object_end(j);
    }
    if (open)
        json_array_end(j);
}

void http_eve_write(const void *settings, void *state, const struct applayer_tx *base,
                    struct json_writer *j)
{
    (void)state;
    const struct http_settings *set = settings;
    const struct http_tx *tx = (const struct http_tx *)base;
    const htp_tx_t *htp = tx->htp;
    if (!htp)
        return;
    field(j, "hostname", htp->request_hostname);
    if (htp->request_port_number > 0)
        json_int(j, "http_port", htp->request_port_number);
    const uint8_t *uri;
    uint32_t urilen;
    if (http_tx_uri((struct http_tx *)tx, &uri, &urilen))
        json_string_len(j, "url", (const char *)uri, urilen);
    else
        field(j, "url", htp->request_uri);
    field(j, "http_user_agent", http_header_value(htp, FLOW_TOSERVER, "User-Agent"));
    field(j, "xff", http_header_value(htp, FLOW_TOSERVER, "X-Forwarded-For"));
    field(j, "http_content_type", htp->response_content_type);
    if (set->extended) {
        field(j, "http_refer", http_header_value(htp, FLOW_TOSERVER, "Referer"));
        field(j, "http_method", htp->request_method);
        field(j, "protocol", htp->request_protocol);
        if (htp->response_status_number > 0)
            json_int(j, "status", htp->response_status_number);
        field(j, "redirect", http_header_value(htp, FLOW_TOCLIENT, "Location"));
        json_uint(j, "length", tx->body_seen[FLOW_TOCLIENT]);
    }
    bool req_all = set->dump == HTTP_DUMP_REQUEST || set->dump == HTTP_DUMP_BOTH;
    bool res_all = set->dump == HTTP_DUMP_RESPONSE || set->dump == HTTP_DUMP_BOTH;
    if (req_all || set->ncustom)
        header_array(j, set, "request_headers", htp->request_headers, req_all);
    if (res_all || set->ncustom)
        header_array(j, set, "response_headers", htp->response_headers, res_all);
}
