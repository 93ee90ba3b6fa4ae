// libclang 14's C API. Its headers live in /usr/lib/llvm-14/include (libclang-dev); the importing
// target adds that directory with -Xcc -I.
#include <clang-c/Index.h>
