/*
 * gnuplot_flame_names.c — the labels of `mprof plot --flame`'s bars (contract in
 * gnuplot_builder.h): each name's shortest dotted tail that no other name ends in, as
 * memory_profiler 0.61's function_labels lengthens an ambiguous label a component at a
 * time.
 *
 * Invariant: the names are sorted by their components read from the last one, so the
 * names that share the most trailing components with a name are its neighbours: one
 * sort and two comparisons a name, where asking every other name of every name took
 * minutes on tens of thousands of distinct functions.
 */
#include <stdlib.h>
#include <string.h>

#include "gnuplot_builder.h"

struct gnuplot_flame_name {
    const char *name;
    size_t length;
    size_t index;   /* in the caller's array */
};

/* The byte `back` places before the end of `name`, as the order of components sees it:
 * 0 past its start, 1 a '.' (it ends a component, so it sorts before any character),
 * else the byte shifted above those two. */
static unsigned gnuplot_flame_key(const struct gnuplot_flame_name *name, size_t back)
{
    if (back >= name->length)
        return 0;
    unsigned char byte = (unsigned char)name->name[name->length - 1 - back];
    return byte == '.' ? 1 : byte + 2u;
}

/* Names ordered by their last component, then the one before it, and so on. */
static int gnuplot_flame_name_order(const void *left, const void *right)
{
    const struct gnuplot_flame_name *a = left, *b = right;
    for (size_t back = 0;; back++) {
        unsigned key_a = gnuplot_flame_key(a, back), key_b = gnuplot_flame_key(b, back);
        if (key_a != key_b)
            return key_a < key_b ? -1 : 1;
        if (key_a == 0)
            return 0;
    }
}

/* How many whole trailing components two different names have in common. */
static size_t gnuplot_flame_shared(const struct gnuplot_flame_name *a,
                                   const struct gnuplot_flame_name *b)
{
    size_t shared = 0;
    for (size_t back = 0;; back++) {
        unsigned key_a = gnuplot_flame_key(a, back), key_b = gnuplot_flame_key(b, back);
        if (key_a <= 1 && key_b <= 1) {   /* both at the start of a component */
            shared++;
            if (key_a == 0 || key_b == 0)
                return shared;
        } else if (key_a != key_b) {
            return shared;
        }
    }
}

/* The tail of `name` made of its last `components` components (the whole name when it
 * has no more). */
static const char *gnuplot_flame_tail(const struct gnuplot_flame_name *name,
                                      size_t components)
{
    size_t seen = 0;
    for (size_t p = name->length; p > 0; p--)
        if (name->name[p - 1] == '.' && ++seen == components)
            return name->name + p;
    return name->name;
}

int gnuplot_flame_short_names(const char *const *names, size_t count, const char **short_names)
{
    struct gnuplot_flame_name *sorted = malloc((count + 1) * sizeof *sorted);
    if (sorted == NULL)
        return -1;
    for (size_t i = 0; i < count; i++)
        sorted[i] = (struct gnuplot_flame_name){ names[i], strlen(names[i]), i };
    qsort(sorted, count, sizeof *sorted, gnuplot_flame_name_order);
    for (size_t first = 0; first < count;) {
        size_t end = first + 1;   /* the same name, called more than once */
        while (end < count && gnuplot_flame_name_order(&sorted[first], &sorted[end]) == 0)
            end++;
        size_t shared = 0;
        if (first > 0)
            shared = gnuplot_flame_shared(&sorted[first - 1], &sorted[first]);
        if (end < count) {
            size_t after = gnuplot_flame_shared(&sorted[first], &sorted[end]);
            shared = after > shared ? after : shared;
        }
        size_t components = shared + 1;
        const struct gnuplot_flame_name *name = &sorted[first];
        /* A name ending in '.' has an empty last component: never an empty label. */
        if (components < 2 && name->length > 0 && name->name[name->length - 1] == '.')
            components = 2;
        size_t offset = (size_t)(gnuplot_flame_tail(name, components) - name->name);
        for (size_t i = first; i < end; i++)
            short_names[sorted[i].index] = sorted[i].name + offset;
        first = end;
    }
    free(sorted);
    return 0;
}
