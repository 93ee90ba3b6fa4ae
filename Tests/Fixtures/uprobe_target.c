// A small program for uprobe tests: calls add() a fixed number of times with known arguments.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

// USDT probes (systemtap-sdt-dev's sys/sdt.h). `guarded` has a semaphore: the program skips it
// unless a tracer has raised the semaphore, as real applications do for costly arguments.
#if __has_include(<sys/sdt.h>)
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
// With semaphores on, every probe has one; only `guarded` is checked before it fires.
unsigned short swiftrace_tick_semaphore __attribute__((unused, section(".probes")));
unsigned short swiftrace_guarded_semaphore __attribute__((unused, section(".probes")));
unsigned short swiftrace_constant_u32_semaphore __attribute__((unused, section(".probes")));
unsigned short swiftrace_constant_s16_semaphore __attribute__((unused, section(".probes")));
unsigned short swiftrace_constant_u8_semaphore __attribute__((unused, section(".probes")));
#define GUARDED_ENABLED() __builtin_expect(swiftrace_guarded_semaphore, 0)
#else
#define DTRACE_PROBE2(provider, name, a, b) do { } while (0)
#define DTRACE_PROBE3(provider, name, a, b, c) do { } while (0)
#define GUARDED_ENABLED() 0
#define DTRACE_PROBE1(provider, name, a) do { } while (0)
#endif

// Written once per loop: what the watchpoint test watches (in a -no-pie build, at a fixed address).
volatile long swiftrace_watched;

__attribute__((noinline)) long add(long a, long b) {
  __asm__ volatile("" ::: "memory");
  return a + b;
}

// Hands a string with bytes that need escaping to buf() and str() tests.
__attribute__((noinline)) void greet(const char *text, long length) {
  __asm__ volatile("" ::"r"(text), "r"(length) : "memory");
}

// Arrays inside a struct, and a struct as a value: what the array and struct value tests read.
struct sample {
  int values[4];
  short grid[2][2];
  unsigned char bytes[3];
  long count;
};

__attribute__((noinline)) void inspect(struct sample *s) {
  __asm__ volatile("" ::"r"(s) : "memory");
}

// Arrays of structs and of pointers inside a struct: they index to the element's address.
struct pair { int a; short b[2]; };
struct nest { long tag; struct pair pairs[3]; long *pointers[2]; };

__attribute__((noinline)) void nested(struct nest *n) {
  __asm__ volatile("" ::"r"(n) : "memory");
}

// Writes through its argument: what `watchpoint:bump+arg0:8:w` watches.
__attribute__((noinline)) void bump(long *counter) {
  __asm__ volatile("" ::: "memory");
  (*counter)++;
}

// Eight arguments: the last two are passed on the stack (sarg0, sarg1).
__attribute__((noinline)) long many(long a, long b, long c, long d, long e, long f, long g, long h) {
  __asm__ volatile("" ::: "memory");
  return a + b + c + d + e + f + g + h;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 5;
  long total = 0;
  for (int i = 0; i < n; i++) {
    total += add(i, 10);
    swiftrace_watched = total;
    getppid();
    DTRACE_PROBE2(swiftrace, tick, i, total);
    if (GUARDED_ENABLED()) DTRACE_PROBE3(swiftrace, guarded, i, -i, (short)(i * 100));
  }
  // On the stack: probes read user memory without faulting pages in, and the stack is resident.
  char text[] = "hi\tthere\x01\xff!";
  printf("total %ld\n", total);
  fflush(stdout);  // before greet(), so the output's order does not depend on timing
  greet(text, sizeof text);
  struct sample sample = {{7, 0, 8, -1}, {{5, 6}, {-7, 8}}, {1, 2, 255}, 42};
  inspect(&sample);
  if (many(1, 2, 3, 4, 5, 6, 70, 80) != 171) return 1;
  long *bumped = malloc(sizeof(long));
  *bumped = 0;
  for (int i = 0; i < n; i++) bump(bumped);
  long pointed[2] = {111, 222};
  struct nest nest = {9, {{1, {2, 3}}, {4, {5, 6}}, {7, {8, 9}}}, {&pointed[0], &pointed[1]}};
  nested(&nest);
  // Constant operands of every width and sign (`4@$-202182160` is an unsigned 4092785136).
  DTRACE_PROBE1(swiftrace, constant_u32, (unsigned int)0xF3F3F3F0u);
  DTRACE_PROBE1(swiftrace, constant_s16, (short)-3600);
  DTRACE_PROBE1(swiftrace, constant_u8, (unsigned char)240);
  return 0;
}
