// A small C++ program for uprobes on demangled names: namespaced functions and a method.
#include <cstdio>
#include <cstdlib>

namespace shapes {
__attribute__((noinline)) int area(int w, int h) {
  __asm__ volatile("" ::: "memory");
  return w * h;
}

struct Box {
  int depth = 2;
  __attribute__((noinline)) int volume(int w, int h) {
    __asm__ volatile("" ::: "memory");
    return area(w, h) * depth;
  }
};
}  // namespace shapes

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 3;
  shapes::Box box;
  long total = 0;
  for (int i = 1; i <= n; i++) total += box.volume(i, i + 1);
  printf("total %ld\n", total);
  return 0;
}
