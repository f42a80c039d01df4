/* rec_killed.c - marks "before", then kills itself with SIGKILL: the trace
 * must still hold everything up to the mark, and the recorder must exit
 * with 128 + 9. */
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

int main(void)
{
    int fd = open("/vmreplay-marker/before", O_RDONLY);
    if (fd >= 0)
        close(fd);
    kill(getpid(), SIGKILL);
    return 0;
}
