// The system calls and process tricks Swift cannot do directly (variadic syscall(), code that must
// run between fork and exec), for code that does not otherwise need libbpf.
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>
#include <stddef.h>
#include <stdlib.h>

static inline int swr_perf_event_open(struct perf_event_attr *attr, int pid, int cpu, int group_fd,
                                      unsigned long flags) {
  return (int)syscall(__NR_perf_event_open, attr, pid, cpu, group_fd, flags);
}

static inline int swr_pidfd_open(int pid) {
  return (int)syscall(__NR_pidfd_open, pid, 0);
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

// The `-c` command, started before the program loads and held until the probes are attached:
// the child blocks reading one byte from `hold_fd`, then execs `path` itself, so the traced pid
// makes no calls of its own but that read's return and the execve (a shell in between made
// dozens). It dies with swiftrace (PR_SET_PDEATHSIG), and a closed pipe (swiftrace gone or giving
// up) makes it exit without running the command: the child closes its copy of the pipe's write
// end `release_fd` first, or that EOF would never come. Its setup calls come before it closes
// `ready_fd` (the write end of a pipe whose EOF the parent waits for), so that none of them can
// reach a probe. Only async-signal-safe calls after fork. Returns the pid, or -1 with errno.
static inline int swr_spawn_held(const char *path, char *const argv[], char *const envp[], int hold_fd,
                                 int release_fd, int ready_read_fd, int ready_fd) {
  pid_t parent = getpid();
  pid_t child = fork();
  if (child != 0) return child;
  close(release_fd);
  close(ready_read_fd);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) _exit(127);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  close(ready_fd);
  char go;
  if (read(hold_fd, &go, 1) != 1) _exit(127);
  close(hold_fd);
  execve(path, argv, envp);
  _exit(127);
}

#include <sys/vfs.h>
// Whether `path` is the root of a BPF filesystem (where links and maps can be pinned).
static inline int swr_is_bpf_filesystem(const char *path) {
  struct statfs fs;
  return statfs(path, &fs) == 0 && fs.f_type == 0xcafe4a11;  // BPF_FS_MAGIC
}
