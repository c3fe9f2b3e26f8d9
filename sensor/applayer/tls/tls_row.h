/* What detection reads from a TLS transaction of the app-layer registry
 * (tls_row.c): the parser's handshake record. */
#ifndef XIEZHI_APPLAYER_TLS_ROW_H
#define XIEZHI_APPLAYER_TLS_ROW_H

#include "applayer/applayer.h"
#include "applayer/tls/tls.h"

const struct tls_tx *tls_row_tx(const struct applayer_tx *tx);

#endif
