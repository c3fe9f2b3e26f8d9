/* Situation aggregates: per segment and minute (from each alert's own
 * timestamp, in UTC), counts of alerts by severity and by category, the
 * distinct sources (HyperLogLog) and the signatures (sorted set), kept in
 * Redis under xiezhi:agg:{<segment>}:<YYYYMMDDHHMM>:* with a TTL, and
 * xiezhi:agg:{<segment>}:minutes indexing them.  The segment is the hash
 * tag, so one segment's keys share a slot in a cluster.  The exporter feeds
 * the alerts of every delivered batch and flushes after it; a flush that
 * fails is dropped (counted): the aggregates are a view, the stream is the
 * record.  Exporter thread only. */
#ifndef XIEZHI_REDIS_AGGREGATES_H
#define XIEZHI_REDIS_AGGREGATES_H

#include <hiredis.h>
#include <stddef.h>
#include <stdint.h>

struct redis_agg;

struct redis_agg *redis_agg_new(const char *segment, int64_t ttl_seconds);
void redis_agg_free(struct redis_agg *a);
/* One alert's EVE JSON; other or unreadable lines are ignored. */
void redis_agg_add(struct redis_agg *a, const char *json, size_t len);
/* Sends what is pending on c (pipelined) and forgets it.  0 ok; -1 with
 * the first error in err (a lost connection when c->err is set); c NULL
 * drops what is pending. */
int redis_agg_flush(struct redis_agg *a, redisContext *c, char *err, size_t errsize);
/* The key whose slot all of this segment's aggregates share. */
const char *redis_agg_slot_key(const struct redis_agg *a);

#endif
