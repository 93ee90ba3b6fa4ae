// libclang, loaded on first use: most scripts have no C definitions, and linking libclang-14
// would load libLLVM-14.so (16 ms and 40 MB) into every run. Each function below resolves its
// namesake in libclang-14.so.13 with dlsym the first time it is called.
#include <clang-c/Index.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static void *libclang(void) {
  static void *handle;
  if (!handle) handle = dlopen("libclang-14.so.13", RTLD_NOW | RTLD_LOCAL);
  if (!handle) handle = dlopen("/usr/lib/llvm-14/lib/libclang.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!handle) { fprintf(stderr, "ERROR: cannot load libclang-14 (apt-get install libclang1-14): %s\n", dlerror()); exit(1); }
  return handle;
}

static void *symbol(const char *name) {
  void *p = dlsym(libclang(), name);
  if (!p) { fprintf(stderr, "ERROR: libclang-14 has no %s\n", name); exit(1); }
  return p;
}

long long clang_Cursor_getOffsetOfField(CXCursor a0) {
  static long long (*f)(CXCursor);
  if (!f) f = (long long (*)(CXCursor))symbol("clang_Cursor_getOffsetOfField");
  return f(a0);
}

unsigned clang_Cursor_isAnonymous(CXCursor a0) {
  static unsigned (*f)(CXCursor);
  if (!f) f = (unsigned (*)(CXCursor))symbol("clang_Cursor_isAnonymous");
  return f(a0);
}

unsigned clang_Cursor_isAnonymousRecordDecl(CXCursor a0) {
  static unsigned (*f)(CXCursor);
  if (!f) f = (unsigned (*)(CXCursor))symbol("clang_Cursor_isAnonymousRecordDecl");
  return f(a0);
}

unsigned clang_Cursor_isBitField(CXCursor a0) {
  static unsigned (*f)(CXCursor);
  if (!f) f = (unsigned (*)(CXCursor))symbol("clang_Cursor_isBitField");
  return f(a0);
}

unsigned clang_Cursor_isMacroFunctionLike(CXCursor a0) {
  static unsigned (*f)(CXCursor);
  if (!f) f = (unsigned (*)(CXCursor))symbol("clang_Cursor_isMacroFunctionLike");
  return f(a0);
}

int clang_Cursor_isNull(CXCursor a0) {
  static int (*f)(CXCursor);
  if (!f) f = (int (*)(CXCursor))symbol("clang_Cursor_isNull");
  return f(a0);
}

long long clang_Type_getSizeOf(CXType a0) {
  static long long (*f)(CXType);
  if (!f) f = (long long (*)(CXType))symbol("clang_Type_getSizeOf");
  return f(a0);
}

unsigned clang_Type_visitFields(CXType a0, CXFieldVisitor a1, CXClientData a2) {
  static unsigned (*f)(CXType, CXFieldVisitor, CXClientData);
  if (!f) f = (unsigned (*)(CXType, CXFieldVisitor, CXClientData))symbol("clang_Type_visitFields");
  return f(a0, a1, a2);
}

CXIndex clang_createIndex(int a0, int a1) {
  static CXIndex (*f)(int, int);
  if (!f) f = (CXIndex (*)(int, int))symbol("clang_createIndex");
  return f(a0, a1);
}

void clang_disposeDiagnostic(CXDiagnostic a0) {
  static void (*f)(CXDiagnostic);
  if (!f) f = (void (*)(CXDiagnostic))symbol("clang_disposeDiagnostic");
  f(a0);
}

void clang_disposeIndex(CXIndex a0) {
  static void (*f)(CXIndex);
  if (!f) f = (void (*)(CXIndex))symbol("clang_disposeIndex");
  f(a0);
}

void clang_disposeString(CXString a0) {
  static void (*f)(CXString);
  if (!f) f = (void (*)(CXString))symbol("clang_disposeString");
  f(a0);
}

void clang_disposeTokens(CXTranslationUnit a0, CXToken * a1, unsigned a2) {
  static void (*f)(CXTranslationUnit, CXToken *, unsigned);
  if (!f) f = (void (*)(CXTranslationUnit, CXToken *, unsigned))symbol("clang_disposeTokens");
  f(a0, a1, a2);
}

void clang_disposeTranslationUnit(CXTranslationUnit a0) {
  static void (*f)(CXTranslationUnit);
  if (!f) f = (void (*)(CXTranslationUnit))symbol("clang_disposeTranslationUnit");
  f(a0);
}

CXType clang_getArrayElementType(CXType a0) {
  static CXType (*f)(CXType);
  if (!f) f = (CXType (*)(CXType))symbol("clang_getArrayElementType");
  return f(a0);
}

long long clang_getArraySize(CXType a0) {
  static long long (*f)(CXType);
  if (!f) f = (long long (*)(CXType))symbol("clang_getArraySize");
  return f(a0);
}

const char * clang_getCString(CXString a0) {
  static const char * (*f)(CXString);
  if (!f) f = (const char * (*)(CXString))symbol("clang_getCString");
  return f(a0);
}

CXType clang_getCanonicalType(CXType a0) {
  static CXType (*f)(CXType);
  if (!f) f = (CXType (*)(CXType))symbol("clang_getCanonicalType");
  return f(a0);
}

CXCursor clang_getCursorDefinition(CXCursor a0) {
  static CXCursor (*f)(CXCursor);
  if (!f) f = (CXCursor (*)(CXCursor))symbol("clang_getCursorDefinition");
  return f(a0);
}

CXSourceRange clang_getCursorExtent(CXCursor a0) {
  static CXSourceRange (*f)(CXCursor);
  if (!f) f = (CXSourceRange (*)(CXCursor))symbol("clang_getCursorExtent");
  return f(a0);
}

CXString clang_getCursorSpelling(CXCursor a0) {
  static CXString (*f)(CXCursor);
  if (!f) f = (CXString (*)(CXCursor))symbol("clang_getCursorSpelling");
  return f(a0);
}

CXType clang_getCursorType(CXCursor a0) {
  static CXType (*f)(CXCursor);
  if (!f) f = (CXType (*)(CXCursor))symbol("clang_getCursorType");
  return f(a0);
}

CXString clang_getCursorUSR(CXCursor a0) {
  static CXString (*f)(CXCursor);
  if (!f) f = (CXString (*)(CXCursor))symbol("clang_getCursorUSR");
  return f(a0);
}

CXDiagnostic clang_getDiagnostic(CXTranslationUnit a0, unsigned a1) {
  static CXDiagnostic (*f)(CXTranslationUnit, unsigned);
  if (!f) f = (CXDiagnostic (*)(CXTranslationUnit, unsigned))symbol("clang_getDiagnostic");
  return f(a0, a1);
}

CXSourceLocation clang_getDiagnosticLocation(CXDiagnostic a0) {
  static CXSourceLocation (*f)(CXDiagnostic);
  if (!f) f = (CXSourceLocation (*)(CXDiagnostic))symbol("clang_getDiagnosticLocation");
  return f(a0);
}

enum CXDiagnosticSeverity clang_getDiagnosticSeverity(CXDiagnostic a0) {
  static enum CXDiagnosticSeverity (*f)(CXDiagnostic);
  if (!f) f = (enum CXDiagnosticSeverity (*)(CXDiagnostic))symbol("clang_getDiagnosticSeverity");
  return f(a0);
}

CXString clang_getDiagnosticSpelling(CXDiagnostic a0) {
  static CXString (*f)(CXDiagnostic);
  if (!f) f = (CXString (*)(CXDiagnostic))symbol("clang_getDiagnosticSpelling");
  return f(a0);
}

long long clang_getEnumConstantDeclValue(CXCursor a0) {
  static long long (*f)(CXCursor);
  if (!f) f = (long long (*)(CXCursor))symbol("clang_getEnumConstantDeclValue");
  return f(a0);
}

int clang_getFieldDeclBitWidth(CXCursor a0) {
  static int (*f)(CXCursor);
  if (!f) f = (int (*)(CXCursor))symbol("clang_getFieldDeclBitWidth");
  return f(a0);
}

unsigned clang_getNumDiagnostics(CXTranslationUnit a0) {
  static unsigned (*f)(CXTranslationUnit);
  if (!f) f = (unsigned (*)(CXTranslationUnit))symbol("clang_getNumDiagnostics");
  return f(a0);
}

CXType clang_getPointeeType(CXType a0) {
  static CXType (*f)(CXType);
  if (!f) f = (CXType (*)(CXType))symbol("clang_getPointeeType");
  return f(a0);
}

void clang_getSpellingLocation(CXSourceLocation a0, CXFile * a1, unsigned * a2, unsigned * a3, unsigned * a4) {
  static void (*f)(CXSourceLocation, CXFile *, unsigned *, unsigned *, unsigned *);
  if (!f) f = (void (*)(CXSourceLocation, CXFile *, unsigned *, unsigned *, unsigned *))symbol("clang_getSpellingLocation");
  f(a0, a1, a2, a3, a4);
}

CXString clang_getTokenSpelling(CXTranslationUnit a0, CXToken a1) {
  static CXString (*f)(CXTranslationUnit, CXToken);
  if (!f) f = (CXString (*)(CXTranslationUnit, CXToken))symbol("clang_getTokenSpelling");
  return f(a0, a1);
}

CXCursor clang_getTranslationUnitCursor(CXTranslationUnit a0) {
  static CXCursor (*f)(CXTranslationUnit);
  if (!f) f = (CXCursor (*)(CXTranslationUnit))symbol("clang_getTranslationUnitCursor");
  return f(a0);
}

CXCursor clang_getTypeDeclaration(CXType a0) {
  static CXCursor (*f)(CXType);
  if (!f) f = (CXCursor (*)(CXType))symbol("clang_getTypeDeclaration");
  return f(a0);
}

CXString clang_getTypeSpelling(CXType a0) {
  static CXString (*f)(CXType);
  if (!f) f = (CXString (*)(CXType))symbol("clang_getTypeSpelling");
  return f(a0);
}

unsigned clang_isCursorDefinition(CXCursor a0) {
  static unsigned (*f)(CXCursor);
  if (!f) f = (unsigned (*)(CXCursor))symbol("clang_isCursorDefinition");
  return f(a0);
}

enum CXErrorCode clang_parseTranslationUnit2(CXIndex a0, const char * a1, const char *const * a2, int a3, struct CXUnsavedFile * a4, unsigned a5, unsigned a6, CXTranslationUnit * a7) {
  static enum CXErrorCode (*f)(CXIndex, const char *, const char *const *, int, struct CXUnsavedFile *, unsigned, unsigned, CXTranslationUnit *);
  if (!f) f = (enum CXErrorCode (*)(CXIndex, const char *, const char *const *, int, struct CXUnsavedFile *, unsigned, unsigned, CXTranslationUnit *))symbol("clang_parseTranslationUnit2");
  return f(a0, a1, a2, a3, a4, a5, a6, a7);
}

void clang_tokenize(CXTranslationUnit a0, CXSourceRange a1, CXToken ** a2, unsigned * a3) {
  static void (*f)(CXTranslationUnit, CXSourceRange, CXToken **, unsigned *);
  if (!f) f = (void (*)(CXTranslationUnit, CXSourceRange, CXToken **, unsigned *))symbol("clang_tokenize");
  f(a0, a1, a2, a3);
}

unsigned clang_visitChildren(CXCursor a0, CXCursorVisitor a1, CXClientData a2) {
  static unsigned (*f)(CXCursor, CXCursorVisitor, CXClientData);
  if (!f) f = (unsigned (*)(CXCursor, CXCursorVisitor, CXClientData))symbol("clang_visitChildren");
  return f(a0, a1, a2);
}
