/*
 * cxx_operators.c — C++'s operator new and delete (every form, arrays and aligned
 * ones too), served by our malloc family.
 *
 * libstdc++'s operators call malloc and so were counted anyway; jemalloc's (a C++
 * program linked with -ljemalloc gets them) go to jemalloc's insides: its plain new
 * was never counted, and its sized aligned delete handed our aligned blocks to its
 * sdallocx (a crash). Defined here, they come before any library's.
 *
 * A program may replace only the two base forms of a family (operator new(size_t) and
 * operator delete(void *), or their aligned pair): the other forms must then reach its
 * own, as libstdc++'s do. So each form asks, once, whether the base form the program
 * sees is ours: if it is, the form is served here; if not, it is the next library's
 * (libstdc++'s), which derives it from the program's. On failure, new asks the operator
 * it replaces, which runs the new_handler loop and throws std::bad_alloc: C++'s rules,
 * without C++ here.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <malloc.h>

#include "../wire/wire.h"
#include "core.h"

/* The next library's form of `name` (libstdc++'s or jemalloc's). There is always one
 * when the program calls new: C++ code links one. */
static void *next_operator(const char *name)
{
    void *next = dlsym(RTLD_NEXT, name);
    if (next == NULL) {
        diag("no C++ runtime's %s to hand this call to; aborting", name);
        abort();
    }
    return next;
}

static void our_library_marker(void) {}

/* Whether the program's `symbol` (the global scope's first definition) is this
 * library's: compared by the object that holds it, since our own address of an
 * exported function may be the one that was interposed. */
static int global_is_ours(const char *symbol)
{
    Dl_info ours, global;
    void *found = dlsym(RTLD_DEFAULT, symbol);
    return found != NULL && dladdr(found, &global) != 0 &&
           dladdr((void *)our_library_marker, &ours) != 0 && global.dli_fbase == ours.dli_fbase;
}

/* Each family's base forms, asked once: 1 ours, 0 the program's own, -1 not yet known. */
enum family { PLAIN_NEW, PLAIN_DELETE, ALIGNED_NEW, ALIGNED_DELETE, FAMILIES };
static const char *const family_base[FAMILIES] = {
    "_Znwm", "_ZdlPv", "_ZnwmSt11align_val_t", "_ZdlPvSt11align_val_t",
};
static int family_ours[FAMILIES] = { -1, -1, -1, -1 };

static int ours(enum family family)
{
    int known = __atomic_load_n(&family_ours[family], __ATOMIC_RELAXED);
    if (UNLIKELY(known < 0)) {
        known = global_is_ours(family_base[family]);
        __atomic_store_n(&family_ours[family], known, __ATOMIC_RELAXED);
    }
    return known;
}

#define NEW(symbol, family, name)                                                          \
    MPROF_EXPORT void *name(size_t size) __asm__(symbol);                                  \
    void *name(size_t size)                                                                \
    {                                                                                      \
        void *block = ours(family) ? malloc(size == 0 ? 1 : size) : NULL;                  \
        return LIKELY(block != NULL) ? block : ((void *(*)(size_t))next_operator(symbol))(size); \
    }
#define NEW_NOTHROW(symbol, family, name)                                                  \
    MPROF_EXPORT void *name(size_t size, const void *nothrow) __asm__(symbol);             \
    void *name(size_t size, const void *nothrow)                                           \
    {                                                                                      \
        void *block = ours(family) ? malloc(size == 0 ? 1 : size) : NULL;                  \
        if (LIKELY(block != NULL))                                                         \
            return block;                                                                  \
        return ((void *(*)(size_t, const void *))next_operator(symbol))(size, nothrow);    \
    }
#define NEW_ALIGNED(symbol, family, name)                                                  \
    MPROF_EXPORT void *name(size_t size, size_t alignment) __asm__(symbol);                \
    void *name(size_t size, size_t alignment)                                              \
    {                                                                                      \
        void *block = ours(family) ? memalign(alignment, size == 0 ? 1 : size) : NULL;     \
        if (LIKELY(block != NULL))                                                         \
            return block;                                                                  \
        return ((void *(*)(size_t, size_t))next_operator(symbol))(size, alignment);        \
    }
#define NEW_ALIGNED_NOTHROW(symbol, family, name)                                          \
    MPROF_EXPORT void *name(size_t size, size_t alignment, const void *nothrow)            \
        __asm__(symbol);                                                                   \
    void *name(size_t size, size_t alignment, const void *nothrow)                         \
    {                                                                                      \
        void *block = ours(family) ? memalign(alignment, size == 0 ? 1 : size) : NULL;     \
        if (LIKELY(block != NULL))                                                         \
            return block;                                                                  \
        return ((void *(*)(size_t, size_t, const void *))next_operator(symbol))(           \
            size, alignment, nothrow);                                                     \
    }
/* A delete of ours frees (the size and alignment a form passes are ours to know
 * already); one of a program that replaced its family's base delete goes on to the
 * next library's form, with every argument. */
#define DELETE(symbol, family, name, params, args)                                         \
    MPROF_EXPORT void name params __asm__(symbol);                                         \
    void name params                                                                       \
    {                                                                                      \
        if (LIKELY(ours(family)))                                                          \
            free(block);                                                                   \
        else                                                                               \
            ((void (*) params)next_operator(symbol)) args;                                 \
    }

NEW("_Znwm", PLAIN_NEW, operator_new)
NEW("_Znam", PLAIN_NEW, operator_new_array)
NEW_NOTHROW("_ZnwmRKSt9nothrow_t", PLAIN_NEW, operator_new_nothrow)
NEW_NOTHROW("_ZnamRKSt9nothrow_t", PLAIN_NEW, operator_new_array_nothrow)
NEW_ALIGNED("_ZnwmSt11align_val_t", ALIGNED_NEW, operator_new_aligned)
NEW_ALIGNED("_ZnamSt11align_val_t", ALIGNED_NEW, operator_new_array_aligned)
NEW_ALIGNED_NOTHROW("_ZnwmSt11align_val_tRKSt9nothrow_t", ALIGNED_NEW,
                    operator_new_aligned_nothrow)
NEW_ALIGNED_NOTHROW("_ZnamSt11align_val_tRKSt9nothrow_t", ALIGNED_NEW,
                    operator_new_array_aligned_nothrow)

DELETE("_ZdlPv", PLAIN_DELETE, operator_delete, (void *block), (block))
DELETE("_ZdaPv", PLAIN_DELETE, operator_delete_array, (void *block), (block))
DELETE("_ZdlPvRKSt9nothrow_t", PLAIN_DELETE, operator_delete_nothrow,
       (void *block, const void *nothrow), (block, nothrow))
DELETE("_ZdaPvRKSt9nothrow_t", PLAIN_DELETE, operator_delete_array_nothrow,
       (void *block, const void *nothrow), (block, nothrow))
DELETE("_ZdlPvm", PLAIN_DELETE, operator_delete_sized, (void *block, size_t size), (block, size))
DELETE("_ZdaPvm", PLAIN_DELETE, operator_delete_array_sized, (void *block, size_t size),
       (block, size))
DELETE("_ZdlPvSt11align_val_t", ALIGNED_DELETE, operator_delete_aligned,
       (void *block, size_t alignment), (block, alignment))
DELETE("_ZdaPvSt11align_val_t", ALIGNED_DELETE, operator_delete_array_aligned,
       (void *block, size_t alignment), (block, alignment))
DELETE("_ZdlPvSt11align_val_tRKSt9nothrow_t", ALIGNED_DELETE, operator_delete_aligned_nothrow,
       (void *block, size_t alignment, const void *nothrow), (block, alignment, nothrow))
DELETE("_ZdaPvSt11align_val_tRKSt9nothrow_t", ALIGNED_DELETE,
       operator_delete_array_aligned_nothrow,
       (void *block, size_t alignment, const void *nothrow), (block, alignment, nothrow))
DELETE("_ZdlPvmSt11align_val_t", ALIGNED_DELETE, operator_delete_sized_aligned,
       (void *block, size_t size, size_t alignment), (block, size, alignment))
DELETE("_ZdaPvmSt11align_val_t", ALIGNED_DELETE, operator_delete_array_sized_aligned,
       (void *block, size_t size, size_t alignment), (block, size, alignment))
