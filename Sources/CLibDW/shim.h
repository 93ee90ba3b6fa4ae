// elfutils' libdw and libdwfl: DWARF of user binaries, and their separate debug files.
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <elfutils/libdwelf.h>
#include <stddef.h>

// One binary, opened offline. libdwfl's standard callbacks also look for its separate debug file
// (by build id under /usr/lib/debug/.build-id, by .gnu_debuglink); the callbacks must outlive it.
static inline Dwfl *swr_dwfl_open_offline(const char *path) {
  static const Dwfl_Callbacks callbacks = {
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
  };
  Dwfl *dwfl = dwfl_begin(&callbacks);
  if (dwfl == NULL) return NULL;
  if (dwfl_report_offline(dwfl, path, path, -1) == NULL) {
    dwfl_end(dwfl);
    return NULL;
  }
  dwfl_report_end(dwfl, NULL, NULL);
  return dwfl;
}

// An attribute's DIE reference (DW_AT_type and the like), looking through abstract origins and
// specifications. Returns 0 on success.
static inline int swr_dwarf_ref(Dwarf_Die *die, unsigned int name, Dwarf_Die *result) {
  Dwarf_Attribute attr;
  if (dwarf_attr_integrate(die, name, &attr) == NULL) return -1;
  return dwarf_formref_die(&attr, result) == NULL ? -1 : 0;
}

// An attribute's unsigned constant; returns 0 on success.
static inline int swr_dwarf_udata(Dwarf_Die *die, unsigned int name, Dwarf_Word *result) {
  Dwarf_Attribute attr;
  if (dwarf_attr_integrate(die, name, &attr) == NULL) return -1;
  return dwarf_formudata(&attr, result);
}

// The module of the one file a session opened with swr_dwfl_open_offline reports.
static inline int swr_first_module_cb(Dwfl_Module *module, void **userdata, const char *name, Dwarf_Addr start,
                                      void *arg) {
  (void)userdata; (void)name; (void)start;
  *(Dwfl_Module **)arg = module;
  return DWARF_CB_ABORT;
}

static inline Dwfl_Module *swr_dwfl_first_module(Dwfl *dwfl) {
  Dwfl_Module *module = NULL;
  dwfl_getmodules(dwfl, swr_first_module_cb, &module, 0);
  return module;
}

// libelf (elfutils): ELF files read with every offset and size checked by the library.
#include <gelf.h>
