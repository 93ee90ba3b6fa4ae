// libbpf plus the few kernel interfaces Swift cannot call directly (variadic syscall, ioctl macros).
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static inline int swr_perf_event_open(struct perf_event_attr *attr, int pid, int cpu, int group_fd,
                                      unsigned long flags) {
  return (int)syscall(__NR_perf_event_open, attr, pid, cpu, group_fd, flags);
}

static inline int swr_pidfd_open(int pid) {
  return (int)syscall(__NR_pidfd_open, pid, 0);
}

// libbpf hands its messages over as printf-style format + va_list (a verifier log arrives whole,
// in one message); format them into a malloc'ed string of any length. The caller frees it.
static inline char *swr_vformat_alloc_impl(const char *fmt, va_list args) {
  va_list copy;
  va_copy(copy, args);
  int n = vsnprintf(NULL, 0, fmt, copy);
  va_end(copy);
  if (n < 0) return NULL;
  char *buf = (char *)malloc((size_t)n + 1);
  if (buf) vsnprintf(buf, (size_t)n + 1, fmt, args);
  return buf;
}

static inline int swr_pipe2(int fds[2], int flags) {
  return (int)syscall(__NR_pipe2, fds, flags);
}

// C++ names in user symbols: libstdc++'s demangler (Swift already links libstdc++).
char *__cxa_demangle(const char *mangled_name, char *output_buffer, size_t *length, int *status);
