/* rec_fork.c - forks; the child writes one page of a fresh anonymous
 * mapping, then execs /bin/true; the parent waits, marks "waited" and
 * exits with the child's status + 4. A second child crashes (SIGSEGV). */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    long ps = sysconf(_SC_PAGESIZE);
    pid_t c = fork();
    if (c == 0) {
        volatile char *p =
            mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        p[0] = 1;
        execl("/bin/true", "true", (char *)NULL);
        _exit(99);
    }
    int st = 0;
    waitpid(c, &st, 0);
    int fd = open("/vmreplay-marker/waited", O_RDONLY);
    if (fd >= 0)
        close(fd);
    pid_t d = fork();
    if (d == 0) {
        volatile char *nil = (volatile char *)0;
        *nil = 1; /* crashes */
        _exit(0);
    }
    waitpid(d, &st, 0);
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV ? 4 : 1;
}
