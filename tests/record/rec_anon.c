/* rec_anon.c - between the marks "anon-start" and "anon-end": one anonymous
 * private mapping of 16 pages, one byte written in each of pages 0..15
 * (after a read of page 3), then it is unmapped. Exits with status 5. */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

static void mark(const char *path)
{
    int fd = open(path, O_RDONLY); /* fails: only the recorder sees it */
    if (fd >= 0)
        close(fd);
}

int main(void)
{
    long ps = sysconf(_SC_PAGESIZE);
    mark("/vmreplay-marker/anon-start");
    volatile char *p =
        mmap(NULL, 16 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 1;
    char c = p[3 * ps];
    for (int i = 0; i < 16; i++)
        p[i * ps + 100] = (char)(i + c);
    munmap((void *)p, 16 * ps);
    mark("/vmreplay-marker/anon-end");
    return 5;
}
