/* event_id sequence numbers: unique, and increasing across restarts.  The
 * state file holds a high-water mark; numbers are handed out from reserved
 * blocks, and the mark is moved forward (write + fsync + rename) before a
 * number past it is returned, so a crash never reuses a number.  A fresh
 * state starts at 1, so fresh runs on the same input give the same ids. */
#ifndef XIEZHI_SEQUENCE_H
#define XIEZHI_SEQUENCE_H

#include <stdint.h>

#include "util/diag.h"

/* Numbers reserved per write of the state file. */
#define EVENT_SEQUENCE_BLOCK 65536

struct event_sequence;

/* state_path NULL: in memory only (starts at 1, nothing persisted).  A state
 * file that exists but does not hold a number is reported to diag and NULL is
 * returned: continuing from 1 could repeat ids a consumer has already seen. */
struct event_sequence *event_sequence_open(const char *state_path, struct diag *diag);
/* The next number; thread-safe (one atomic add; a lock only when a new block
 * must be reserved). */
uint64_t event_sequence_next(struct event_sequence *seq);
/* The number the next call would return (for stats and tests). */
uint64_t event_sequence_peek(const struct event_sequence *seq);
/* Takes an exclusive lock (flock on "<state_path>.lock", which, unlike the
 * state file, is never replaced) for this process's lifetime: two sensors
 * numbering from one file would hand out the same ids.  Returns the fd to
 * keep open (close it at exit), or -1 with a diag error when another
 * process holds it. */
int event_sequence_lock(const char *state_path, struct diag *diag);
/* Records the exact next value, so a clean restart continues without a gap. */
void event_sequence_close(struct event_sequence *seq);

#endif
