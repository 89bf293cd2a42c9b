/* val_threads.c - validation: T threads, each writing its own slice of one anonymous
 * mapping, a page at a time. Faults of all threads count for the process.
 * usage: val_threads [MiB=8] [threads=4] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

struct slice { volatile unsigned char *p; size_t len, pg; };

static void *worker(void *arg)
{
    struct slice *s = arg;
    for (size_t i = 0; i < s->len; i += s->pg) s->p[i] = 1;
    return NULL;
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 8;
    int t = argc > 2 ? atoi(argv[2]) : 4;
    if (t < 1 || t > 64) return 1;
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = mib << 20;
    unsigned char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 1;
    pthread_t th[64];
    struct slice sl[64];
    size_t each = n / (size_t)t / pg * pg;
    for (int i = 0; i < t; i++) {
        sl[i] = (struct slice){p + (size_t)i * each, each, pg};
        if (pthread_create(&th[i], NULL, worker, &sl[i])) return 1;
    }
    for (int i = 0; i < t; i++) pthread_join(th[i], NULL);
    return 0;
}
