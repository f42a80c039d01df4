/* rec_thread.c - a thread writes one byte in each of 4 pages of a buffer
 * the main thread mapped, between the marks "threads" and "joined". */
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile char *buf;
static long ps;

static void *work(void *arg)
{
    (void)arg;
    for (int i = 0; i < 4; i++)
        buf[i * ps] = 1;
    return NULL;
}

int main(void)
{
    ps = sysconf(_SC_PAGESIZE);
    buf = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED)
        return 1;
    int fd = open("/vmreplay-marker/threads", O_RDONLY);
    pthread_t t;
    if (pthread_create(&t, NULL, work, NULL) != 0)
        return 1;
    pthread_join(t, NULL);
    fd = open("/vmreplay-marker/joined", O_RDONLY);
    return fd >= 0;
}
