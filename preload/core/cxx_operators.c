/*
 * cxx_operators.c — C++'s operator new and delete (every form, arrays and aligned
 * ones too), served by our malloc family.
 *
 * libstdc++'s operators call malloc and so were counted anyway; jemalloc's (a C++
 * program linked with -ljemalloc gets them) go to jemalloc's insides: its plain new
 * was never counted, and its sized aligned delete handed our aligned blocks to its
 * sdallocx (a crash). Defined here, they come before any library's (a program that
 * defines its own still has those: the executable comes first). On failure, new asks
 * the operator it replaces, which runs the new_handler loop and throws std::bad_alloc:
 * C++'s rules, without C++ here.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <malloc.h>

#include "../wire/wire.h"
#include "core.h"

typedef void *(*sized_new)(size_t);
typedef void *(*aligned_new)(size_t, size_t);

/* The operator a failed allocation falls back to: the next library's (libstdc++'s or
 * jemalloc's). There is always one when the program calls new: C++ code links one. */
static void *next_operator(const char *name)
{
    void *next = dlsym(RTLD_NEXT, name);
    if (next == NULL) {
        diag("out of memory in operator new, and no C++ runtime's %s to throw; aborting", name);
        abort();
    }
    return next;
}

#define NEW(symbol, name)                                                                  \
    MPROF_EXPORT void *name(size_t size) __asm__(symbol);                                  \
    void *name(size_t size)                                                                \
    {                                                                                      \
        void *block = malloc(size == 0 ? 1 : size);                                        \
        return LIKELY(block != NULL) ? block : ((sized_new)next_operator(symbol))(size);   \
    }
#define NEW_NOTHROW(symbol, name)                                                          \
    MPROF_EXPORT void *name(size_t size, const void *nothrow) __asm__(symbol);             \
    void *name(size_t size, const void *nothrow)                                           \
    {                                                                                      \
        void *block = malloc(size == 0 ? 1 : size);                                        \
        if (LIKELY(block != NULL))                                                         \
            return block;                                                                  \
        return ((void *(*)(size_t, const void *))next_operator(symbol))(size, nothrow);    \
    }
#define NEW_ALIGNED(symbol, name)                                                          \
    MPROF_EXPORT void *name(size_t size, size_t alignment) __asm__(symbol);                \
    void *name(size_t size, size_t alignment)                                              \
    {                                                                                      \
        void *block = memalign(alignment, size == 0 ? 1 : size);                           \
        if (LIKELY(block != NULL))                                                         \
            return block;                                                                  \
        return ((aligned_new)next_operator(symbol))(size, alignment);                      \
    }
#define NEW_ALIGNED_NOTHROW(symbol, name)                                                  \
    MPROF_EXPORT void *name(size_t size, size_t alignment, const void *nothrow)            \
        __asm__(symbol);                                                                   \
    void *name(size_t size, size_t alignment, const void *nothrow)                         \
    {                                                                                      \
        void *block = memalign(alignment, size == 0 ? 1 : size);                           \
        if (LIKELY(block != NULL))                                                         \
            return block;                                                                  \
        return ((void *(*)(size_t, size_t, const void *))next_operator(symbol))(           \
            size, alignment, nothrow);                                                     \
    }
/* Every delete frees: the size and alignment a form passes are ours to know already. */
#define UNUSED __attribute__((unused))
#define DELETE(symbol, name, ...)                                                          \
    MPROF_EXPORT void name(void *block, ##__VA_ARGS__) __asm__(symbol);                    \
    void name(void *block, ##__VA_ARGS__)                                                  \
    {                                                                                      \
        free(block);                                                                       \
    }

NEW("_Znwm", operator_new)
NEW("_Znam", operator_new_array)
NEW_NOTHROW("_ZnwmRKSt9nothrow_t", operator_new_nothrow)
NEW_NOTHROW("_ZnamRKSt9nothrow_t", operator_new_array_nothrow)
NEW_ALIGNED("_ZnwmSt11align_val_t", operator_new_aligned)
NEW_ALIGNED("_ZnamSt11align_val_t", operator_new_array_aligned)
NEW_ALIGNED_NOTHROW("_ZnwmSt11align_val_tRKSt9nothrow_t", operator_new_aligned_nothrow)
NEW_ALIGNED_NOTHROW("_ZnamSt11align_val_tRKSt9nothrow_t", operator_new_array_aligned_nothrow)

DELETE("_ZdlPv", operator_delete)
DELETE("_ZdaPv", operator_delete_array)
DELETE("_ZdlPvRKSt9nothrow_t", operator_delete_nothrow, UNUSED const void *nothrow)
DELETE("_ZdaPvRKSt9nothrow_t", operator_delete_array_nothrow, UNUSED const void *nothrow)
DELETE("_ZdlPvm", operator_delete_sized, UNUSED size_t size)
DELETE("_ZdaPvm", operator_delete_array_sized, UNUSED size_t size)
DELETE("_ZdlPvSt11align_val_t", operator_delete_aligned, UNUSED size_t alignment)
DELETE("_ZdaPvSt11align_val_t", operator_delete_array_aligned, UNUSED size_t alignment)
DELETE("_ZdlPvSt11align_val_tRKSt9nothrow_t", operator_delete_aligned_nothrow,
       UNUSED size_t alignment, UNUSED const void *nothrow)
DELETE("_ZdaPvSt11align_val_tRKSt9nothrow_t", operator_delete_array_aligned_nothrow,
       UNUSED size_t alignment, UNUSED const void *nothrow)
DELETE("_ZdlPvmSt11align_val_t", operator_delete_sized_aligned, UNUSED size_t size, UNUSED size_t alignment)
DELETE("_ZdaPvmSt11align_val_t", operator_delete_array_sized_aligned, UNUSED size_t size,
       UNUSED size_t alignment)
