// A small program for uprobe tests: calls add() a fixed number of times with known arguments.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) long add(long a, long b) {
  __asm__ volatile("" ::: "memory");
  return a + b;
}

// Hands a string with bytes that need escaping to buf() and str() tests.
__attribute__((noinline)) void greet(const char *text, long length) {
  __asm__ volatile("" ::"r"(text), "r"(length) : "memory");
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 5;
  long total = 0;
  for (int i = 0; i < n; i++) {
    total += add(i, 10);
    getppid();
  }
  // On the stack: probes read user memory without faulting pages in, and the stack is resident.
  char text[] = "hi\tthere\x01\xff!";
  printf("total %ld\n", total);
  fflush(stdout);  // before greet(), so the output's order does not depend on timing
  greet(text, sizeof text);
  return 0;
}
