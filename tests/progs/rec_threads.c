/* rec_threads.c - N threads (argv[1], default 4) each fill and sum their own array, one of
 * them sleeps 10 ms first. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define PER_THREAD 20000

static void *work(void *arg)
{
    long id = (long)arg;
    if (id == 0) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    long *a = malloc(PER_THREAD * sizeof *a);
    long s = 0;
    for (long i = 0; i < PER_THREAD; i++)
        a[i] = i + id;
    for (long i = 0; i < PER_THREAD; i++)
        s += a[i];
    free(a);
    return (void *)s;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 4;
    pthread_t t[64];
    if (n < 1 || n > 64)
        return 2;
    for (long i = 0; i < n; i++)
        pthread_create(&t[i], NULL, work, (void *)i);
    long total = 0;
    for (int i = 0; i < n; i++) {
        void *r;
        pthread_join(t[i], &r);
        total += (long)r;
    }
    printf("%ld\n", total);
    return 0;
}
