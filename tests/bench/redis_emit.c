/* Driver for bench_redis.sh: pushes N synthetic EVE alerts (about 700 bytes,
 * like real ones) through outputs_write() into the Redis exporter and prints
 * the rate from the first write until outputs_close() has delivered all.
 * Usage: redis_emit PORT N LOGDIR [key=value ...] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "exporters/exporter.h"
#include "util/log.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: redis_emit PORT N LOGDIR [key=value ...]\n");
        return 2;
    }
    log_set_level(LOG_LEVEL_WARNING);
    long n = atol(argv[2]);
    struct config *cfg = config_new();
    struct diag d = { 0 };
    char buf[256];
    snprintf(buf, sizeof buf, "outputs.redis.port=%s", argv[1]);
    config_set_override(cfg, buf, &d);
    config_set_override(cfg, "outputs.redis.enabled=yes", &d);
    config_set_override(cfg, "outputs.eve.enabled=no", &d);
    config_set_override(cfg, "outputs.redis.close-timeout=120s", &d);
    for (int i = 4; i < argc; i++)
        config_set_override(cfg, argv[i], &d);
    struct outputs_env env = { .log_dir = argv[3], .sensor_id = "bench" };
    struct output_set *set = outputs_open(cfg, &env, &d);
    if (!set || d.errors)
        return 1;
    char json[2048];
    double t0 = now_s();
    for (long i = 1; i <= n; i++) {
        int len = snprintf(json, sizeof json,
            "{\"timestamp\":\"2026-01-01T00:00:00.%06ld+0000\",\"flow_id\":%ld,\"pcap_cnt\":%ld,"
            "\"event_type\":\"alert\",\"src_ip\":\"10.1.%ld.%ld\",\"src_port\":%ld,"
            "\"dest_ip\":\"203.0.113.7\",\"dest_port\":443,\"proto\":\"TCP\",\"app_proto\":\"tls\","
            "\"alert\":{\"action\":\"allowed\",\"gid\":1,\"signature_id\":2010935,\"rev\":3,"
            "\"signature\":\"ET POLICY Suspicious outbound TLS to a rare destination\","
            "\"category\":\"Potential Corporate Privacy Violation\",\"severity\":2,\"metadata\":{}},"
            "\"flow\":{\"pkts_toserver\":12,\"pkts_toclient\":10,\"bytes_toserver\":2311,"
            "\"bytes_toclient\":5120,\"start\":\"2026-01-01T00:00:00.000000+0000\"},"
            "\"ndpi\":{\"protocol\":\"TLS\",\"category\":\"Web\",\"hostname\":\"rare.example.net\","
            "\"ja3\":\"e7d705a3286e19ea42f587b344ee6865\"},\"geoip\":{\"dest\":{\"country\":\"US\","
            "\"asn\":64500,\"org\":\"Example Transit\"}},\"sensor\":{\"id\":\"bench\"},"
            "\"event_id\":\"bench:%ld\"}",
            i % 1000000, i * 7919, i, (i >> 8) & 255, i & 255, 1024 + i % 60000, i);
        struct event_record ev = { EVENT_ALERT, (uint64_t)i, json, (size_t)len };
        outputs_write(set, &ev);
    }
    double t_write = now_s() - t0;
    struct outputs_stats st;
    outputs_get_stats(set, &st);
    uint64_t spooled = st.spooled;
    outputs_close(set);
    double t_all = now_s() - t0;
    config_free(cfg);
    printf("events %ld write_s %.3f total_s %.3f rate %.0f spooled %llu payload %d\n", n, t_write,
           t_all, (double)n / t_all, (unsigned long long)spooled, (int)strlen(json));
    return 0;
}
