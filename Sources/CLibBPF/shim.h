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
#include <string.h>

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

#include <sys/types.h>
#include <signal.h>

// Detaching a tracepoint takes the kernel ~85 ms (RCU grace periods), serially per link. After
// the maps have printed, a child inherits every descriptor and releases them once this process
// has exited, so the user gets the prompt back at once and the kernel still ends with nothing
// attached. The child only makes async-signal-safe calls. Returns the child's pid, or -1.
static inline int swr_release_descriptors_after_exit(void) {
  pid_t parent = getpid();
  pid_t child = fork();
  if (child != 0) return child;
  // Not holding the terminal or a pipe open: whoever reads our output sees its end now.
  close(0); close(1); close(2);
  signal(SIGINT, SIG_IGN); signal(SIGTERM, SIG_IGN); signal(SIGHUP, SIG_IGN);
  while (getppid() == parent) usleep(1000);
  syscall(__NR_close_range, 3, ~0U, 0);
  _exit(0);
}

#include <sys/prctl.h>
#include <spawn.h>

// glibc 2.34's posix_spawn action that closes every descriptor from `from` on (Swift's Glibc
// module does not show it).
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *, int);
static inline int swr_spawn_close_from(posix_spawn_file_actions_t *actions, int from) {
  return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

// The `-c` command, started first (so that `cpid` is known when the program compiles) and held
// until the probes are attached: the child blocks reading one byte from `hold_fd`, then execs
// `path` itself, so the traced pid makes no calls of its own but that read's return and the
// execve (a shell in between made dozens). It dies with swiftrace (PR_SET_PDEATHSIG), and a
// closed pipe (swiftrace gone or giving up) makes it exit without running the command: the child
// closes its copy of the pipe's write end `release_fd` first, or that EOF would never come. Only
// async-signal-safe calls after fork. Returns the pid, or -1 with errno.
static inline int swr_spawn_held(const char *path, char *const argv[], char *const envp[], int hold_fd,
                                 int release_fd) {
  pid_t parent = getpid();
  pid_t child = fork();
  if (child != 0) return child;
  close(release_fd);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) _exit(127);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  char go;
  if (read(hold_fd, &go, 1) != 1) _exit(127);
  close(hold_fd);
  execve(path, argv, envp);
  _exit(127);
}

// The C definitions of BTF types `ids` and everything they depend on, as libbpf's btf_dump
// writes them: what a script's C definitions need when they embed a kernel struct by value.
// Returns a malloc'ed string (the caller frees it), or NULL.
struct swr_text { char *data; size_t length; };
static inline void swr_text_append(void *ctx, const char *fmt, va_list args) {
  struct swr_text *text = (struct swr_text *)ctx;
  char *piece = swr_vformat_alloc_impl(fmt, args);
  if (!piece) return;
  size_t n = strlen(piece);
  char *grown = (char *)realloc(text->data, text->length + n + 1);
  if (grown) {
    memcpy(grown + text->length, piece, n + 1);
    text->data = grown;
    text->length += n;
  }
  free(piece);
}
static inline char *swr_btf_dump_types(const struct btf *btf, const unsigned int *ids, size_t count) {
  struct swr_text text = { (char *)calloc(1, 1), 0 };
  struct btf_dump *dump = btf_dump__new(btf, swr_text_append, &text, NULL);
  if (!dump) { free(text.data); return NULL; }
  for (size_t i = 0; i < count; i++) btf_dump__dump_type(dump, ids[i]);
  btf_dump__free(dump);
  return text.data;
}

#include <sys/vfs.h>
// Whether `path` is the root of a BPF filesystem (where links and maps can be pinned).
static inline int swr_is_bpf_filesystem(const char *path) {
  struct statfs fs;
  return statfs(path, &fs) == 0 && fs.f_type == 0xcafe4a11;  // BPF_FS_MAGIC
}
