// libbpf, and the formatting of its printf-style callbacks (log messages, BTF dumps). System calls
// Swift cannot make directly are in CSyscalls.
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

