// A small program for uprobe tests: calls add() a fixed number of times with known arguments.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) long add(long a, long b) {
  __asm__ volatile("" ::: "memory");
  return a + b;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 5;
  long total = 0;
  for (int i = 0; i < n; i++) {
    total += add(i, 10);
    getppid();
  }
  printf("total %ld\n", total);
  return 0;
}
