/*
 * hello.c - a small C program the ELF tests build twice (static with
 * libc.a, and dynamic, PIE) to check the loader and exec against the
 * headers the toolchain wrote. It has text, initialised data and a bss of
 * several pages; it is never run by the tests.
 */
#include <stdio.h>

int initialised[300] = {1, 2, 3};
char zeroed[5 * 4096 + 123];

int main(int argc, char **argv)
{
    (void)argv;
    zeroed[argc] = (char)initialised[argc];
    printf("hello %d\n", zeroed[1]);
    return 0;
}
