/* The transaction of the parsers that have one per connection (SSH, TLS:
 * the handshake): live from the first message until the framework frees
 * it, and never a second one.  A row that starts with a struct one_tx gives
 * one_tx_count/at/free to the registry as its tx callbacks. */
#ifndef XIEZHI_APPLAYER_ONE_TX_H
#define XIEZHI_APPLAYER_ONE_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "applayer/applayer.h"

struct one_tx {
    struct applayer_tx base;    /* first: the row is found from its transaction */
    bool live;                  /* the transaction exists and is not freed */
    bool done;                  /* freed by the framework: no second one */
};

/* Registry callbacks; row is a parser state that starts with a struct one_tx. */
size_t one_tx_count(void *row);
struct applayer_tx *one_tx_at(void *row, size_t i);
void one_tx_free(void *row, struct applayer_tx *base);

/* Both directions' progress; a direction that moved is looked at again. */
void one_tx_set_progress(struct one_tx *t, const uint8_t progress[2]);
/* Event bit k for every malformed[k] counted; a new bit makes detection
 * look again at both directions. */
void one_tx_set_events(struct one_tx *t, const uint64_t *malformed, int kinds);

#endif
