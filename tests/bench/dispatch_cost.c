/* What a dispatcher thread would cost (docs/operations.md, "Fanout or a
 * dispatcher thread?"): one thread hashes each frame's address pair and
 * copies the frame into one of N single-producer rings; N consumer threads
 * only drain.  Frames are read from a pcap into memory first, so the figure
 * excludes the capture itself.  usage: dispatch_cost FILE.pcap CONSUMERS */
#include <pcap/pcap.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOTS 4096
#define SLOT_BYTES 2048
#define MAX_FRAMES 65536
#define MAX_CONSUMERS 8
#define PACKETS 5000000ul

struct ring {
    _Atomic unsigned long head, tail;
    unsigned char (*slot)[SLOT_BYTES];
    unsigned len[SLOTS];
    atomic_int done;
    unsigned long checksum;
};

static void *drain(void *arg)
{
    struct ring *r = arg;
    for (;;) {
        unsigned long t = atomic_load_explicit(&r->tail, memory_order_relaxed);
        if (t == atomic_load_explicit(&r->head, memory_order_acquire)) {
            if (atomic_load(&r->done))
                return NULL;
            sched_yield();
            continue;
        }
        r->checksum += r->slot[t % SLOTS][0] + r->len[t % SLOTS];
        atomic_store_explicit(&r->tail, t + 1, memory_order_release);
    }
}

static unsigned pair_hash(const unsigned char *f, unsigned len)
{
    if (len < 34 || f[12] != 8 || f[13] != 0)
        return 0;
    unsigned src, dst;
    memcpy(&src, f + 26, 4);
    memcpy(&dst, f + 30, 4);
    return ((src ^ dst) * 2654435761u) >> 16;
}

int main(int argc, char **argv)
{
    int n = argc > 2 ? atoi(argv[2]) : 0;
    if (argc != 3 || n < 1 || n > MAX_CONSUMERS) {
        fprintf(stderr, "usage: dispatch_cost FILE.pcap CONSUMERS(1-%d)\n", MAX_CONSUMERS);
        return 2;
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (!p) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    static unsigned char *frame[MAX_FRAMES];
    static unsigned frame_len[MAX_FRAMES];
    size_t count = 0;
    struct pcap_pkthdr *h;
    const u_char *d;
    while (count < MAX_FRAMES && pcap_next_ex(p, &h, &d) == 1) {
        unsigned len = h->caplen > SLOT_BYTES ? SLOT_BYTES : h->caplen;
        if (!(frame[count] = malloc(len)))
            return 1;
        memcpy(frame[count], d, len);
        frame_len[count++] = len;
    }
    pcap_close(p);
    if (!count)
        return 1;
    struct ring ring[MAX_CONSUMERS];
    pthread_t thread[MAX_CONSUMERS];
    memset(ring, 0, sizeof ring);
    for (int i = 0; i < n; i++) {
        if (!(ring[i].slot = malloc((size_t)SLOTS * SLOT_BYTES)))
            return 1;
        pthread_create(&thread[i], NULL, drain, &ring[i]);
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (unsigned long k = 0; k < PACKETS; k++) {
        const unsigned char *f = frame[k % count];
        unsigned len = frame_len[k % count];
        struct ring *q = &ring[pair_hash(f, len) % (unsigned)n];
        unsigned long head = atomic_load_explicit(&q->head, memory_order_relaxed);
        while (head - atomic_load_explicit(&q->tail, memory_order_acquire) >= SLOTS)
            sched_yield();
        memcpy(q->slot[head % SLOTS], f, len);
        q->len[head % SLOTS] = len;
        atomic_store_explicit(&q->head, head + 1, memory_order_release);
    }
    for (int i = 0; i < n; i++) {
        atomic_store(&ring[i].done, 1);
        pthread_join(thread[i], NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double sec = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("dispatcher with %d consumer(s): %.0f ns per packet (%.2f Mpps), excluding capture\n", n,
           sec * 1e9 / (double)PACKETS, (double)PACKETS / sec / 1e6);
    return 0;
}
