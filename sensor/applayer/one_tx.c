/* The one-transaction-per-connection parsers' shared part: the registry's
 * tx callbacks and the progress/event updates that tell detection to look
 * again (see one_tx.h). */
#include "applayer/one_tx.h"

size_t one_tx_count(void *row)
{
    return ((struct one_tx *)row)->live ? 1 : 0;
}

struct applayer_tx *one_tx_at(void *row, size_t i)
{
    struct one_tx *t = row;
    return t->live && i == 0 ? &t->base : NULL;
}

void one_tx_free(void *row, struct applayer_tx *base)
{
    struct one_tx *t = row;
    if (base == &t->base) {
        t->live = false;
        t->done = true;
    }
}

void one_tx_set_progress(struct one_tx *t, const uint8_t progress[2])
{
    for (int d = 0; d < 2; d++) {
        if (progress[d] != t->base.progress[d]) {
            t->base.progress[d] = progress[d];
            t->base.changed |= (uint8_t)(1u << d);
        }
    }
}

void one_tx_set_events(struct one_tx *t, const uint64_t *malformed, int kinds)
{
    uint64_t events = t->base.events;
    for (int k = 0; k < kinds; k++)
        if (malformed[k])
            events |= 1ull << k;
    if (events != t->base.events) {
        t->base.events = events;
        t->base.changed |= 3;
    }
}
