// Hand-written reference programs: what each benchmark script would cost written in C by hand
// (clang -O2 -target bpf), attached to the same tracepoint. Generated code is compared to these.
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

typedef __u64 u64;
typedef __u32 u32;

struct { __uint(type, BPF_MAP_TYPE_PERCPU_HASH); __uint(max_entries, 4096); __type(key, char[16]); __type(value, u64); } by_comm SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1); __type(key, u32); __type(value, u64); } total SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 66); __type(key, u32); __type(value, u64); } buckets SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_HASH); __uint(max_entries, 4096); __type(key, u64); __type(value, u64); } by_tid SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 1 << 20); } events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid") int empty(void *ctx) { return 0; }

// @[comm] = count()
SEC("tracepoint/syscalls/sys_enter_getppid") int count_comm(void *ctx) {
  char c[16] = {};
  bpf_get_current_comm(c, sizeof c);
  u64 *v = bpf_map_lookup_elem(&by_comm, c);
  if (v) { *v += 1; } else { u64 one = 1; bpf_map_update_elem(&by_comm, c, &one, BPF_NOEXIST); }
  return 0;
}

// @ = count()
SEC("tracepoint/syscalls/sys_enter_getppid") int count_total(void *ctx) {
  u32 k = 0;
  u64 *v = bpf_map_lookup_elem(&total, &k);
  if (v) *v += 1;
  return 0;
}

// @ = hist(pid): log2 bucket of the value, one per-CPU counter per bucket
SEC("tracepoint/syscalls/sys_enter_getppid") int hist_pid(void *ctx) {
  u64 x = bpf_get_current_pid_tgid() >> 32;
  u32 bucket = x == 0 ? 1 : 2 + (63 - __builtin_clzll(x));
  u64 *v = bpf_map_lookup_elem(&buckets, &bucket);
  if (v) *v += 1;
  return 0;
}

// @[tid] = sum(pid)
SEC("tracepoint/syscalls/sys_enter_getppid") int sum_by_tid(void *ctx) {
  u64 id = bpf_get_current_pid_tgid();
  u64 tid = (u32)id, pid = id >> 32;
  u64 *v = bpf_map_lookup_elem(&by_tid, &tid);
  if (v) { *v += pid; } else { bpf_map_update_elem(&by_tid, &tid, &pid, BPF_NOEXIST); }
  return 0;
}

// printf("%d\n", pid): an id and the value through a ring buffer. No wakeup per event: the
// loader's thread polls, so this measures the BPF side alone.
SEC("tracepoint/syscalls/sys_enter_getppid") int printf_pid(void *ctx) {
  u64 event[2] = { 0, bpf_get_current_pid_tgid() >> 32 };
  bpf_ringbuf_output(&events, event, sizeof event, BPF_RB_NO_WAKEUP);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
