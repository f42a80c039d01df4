/* rec_files.c FILE - FILE is 3 pages long. Phase "private": FILE mapped
 * read-only private, its 3 pages read. Phase "shared": FILE mapped shared
 * read-write through a dup()ed descriptor, pages 0 and 2 written, msync
 * (MS_SYNC), unmapped. Then write(2) of a buffer and a malloc of 1 MiB
 * (glibc maps it) written once per page, freed. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void mark(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd >= 0)
        close(fd);
}

int main(int argc, char **argv)
{
    long ps = sysconf(_SC_PAGESIZE);
    if (argc < 2)
        return 2;
    int fd = open(argv[1], O_RDWR);
    if (fd < 0)
        return 1;
    mark("/vmreplay-marker/private");
    volatile char *p = mmap(NULL, 3 * ps, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
        return 1;
    int sum = 0;
    for (int i = 0; i < 3; i++)
        sum += p[i * ps + 8];
    munmap((void *)p, 3 * ps);
    mark("/vmreplay-marker/shared");
    int fd2 = dup(fd);
    close(fd);
    volatile char *q = mmap(NULL, 3 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
    if (q == MAP_FAILED)
        return 1;
    q[0] = (char)sum;
    q[2 * ps + 1] = 'x';
    msync((void *)q, 3 * ps, MS_SYNC);
    munmap((void *)q, 3 * ps);
    close(fd2);
    mark("/vmreplay-marker/heap");
    char msg[64];
    memset(msg, 'a', sizeof msg);
    if (write(1, msg, 1) != 1)
        return 1;
    char *big = malloc(1 << 20);
    if (!big)
        return 1;
    for (long i = 0; i < (1 << 20); i += ps)
        big[i] = 1;
    free(big);
    mark("/vmreplay-marker/end");
    return 0;
}
