/* EVE objects of a TLS/TLCP handshake: "tls" with Suricata's field names,
 * and xiezhi's own "tls_info" beside it (the negotiated suite's name and
 * TLCP's encryption certificate), since Suricata's schema allows no new
 * field inside "tls". */
#ifndef XIEZHI_APPLAYER_TLS_EVE_H
#define XIEZHI_APPLAYER_TLS_EVE_H

#include "applayer/tls/tls.h"
#include "event/json.h"

void tls_eve_write(struct json_writer *w, const struct tls_tx *tx);
void tls_eve_write_info(struct json_writer *w, const struct tls_tx *tx);
/* The members of "tls", for a writer that opened it already. */
void tls_eve_members(struct json_writer *w, const struct tls_tx *tx);
/* The negotiated suite's name, or "0xHHHH" in buf when unnamed; NULL before
 * the ServerHello. */
const char *tls_tx_cipher_name(const struct tls_tx *tx, char buf[8]);

#endif
