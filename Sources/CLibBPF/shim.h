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

static inline int swr_perf_event_open(struct perf_event_attr *attr, int pid, int cpu, int group_fd,
                                      unsigned long flags) {
  return (int)syscall(__NR_perf_event_open, attr, pid, cpu, group_fd, flags);
}

static inline int swr_pidfd_open(int pid) {
  return (int)syscall(__NR_pidfd_open, pid, 0);
}

// libbpf hands its log lines over as printf-style format + va_list; format them here.
static inline int swr_vformat(char *buf, size_t size, const char *fmt, va_list args) {
  return vsnprintf(buf, size, fmt, args);
}

static inline int swr_pipe2(int fds[2], int flags) {
  return (int)syscall(__NR_pipe2, fds, flags);
}
