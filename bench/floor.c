// Loads one program of floor.bpf.o, attaches it, drains its ring buffer (if it has one) on a thread,
// runs the command given, and prints what it prints.
#include <bpf/libbpf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int discard(void *ctx, void *data, size_t size) { return 0; }
static void *drain(void *rb) { for (;;) { ring_buffer__consume(rb); usleep(1000); } return NULL; }

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: floor OBJECT PROGRAM COMMAND\n"); return 2; }
  libbpf_set_print(NULL);
  struct bpf_object *o = bpf_object__open_file(argv[1], NULL);
  if (!o) { perror("open"); return 1; }
  struct bpf_program *p;
  bpf_object__for_each_program(p, o) bpf_program__set_autoload(p, strcmp(bpf_program__name(p), argv[2]) == 0);
  if (bpf_object__load(o)) { fprintf(stderr, "load failed\n"); return 1; }
  struct bpf_link *l = bpf_program__attach(bpf_object__find_program_by_name(o, argv[2]));
  if (!l) { perror("attach"); return 1; }
  struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(o, "events")), discard, NULL, NULL);
  pthread_t t;
  if (rb) pthread_create(&t, NULL, drain, rb);
  return system(argv[3]) == 0 ? 0 : 1;
}
