/*
 * table.h — the library's one hash table: open addressing over fixed-size words.
 *
 * Header-only (static inline) because both libmprof.so and the CPython plugin compile
 * it in, and because it runs inside allocation hooks: it never calls malloc. Its slots
 * are the caller's memory, either one fixed array given once, or pages from a caller's
 * page allocator (zeroed mmap'd memory) when the table grows.
 *
 * The contract, for every function below:
 * - A key is two words and a value two words, copied in and out whole. A key whose
 *   first word is 0 marks an empty slot, so a key's first word is never 0 (an address,
 *   a pointer). The second word may be anything.
 * - Linear probing from one multiplicative (Fibonacci) hash of both key words. Deletion
 *   shifts the entries after the hole back, so there are no tombstones: a search ends
 *   at the first empty slot, and a table that has seen any number of inserts and takes
 *   probes exactly as far as one built from its present keys would.
 * - A table holds at most half its capacity (the fill limit, which keeps the probes
 *   short). An insert past it grows a table that has a page allocator (capacity
 *   doubled, every entry moved, the old pages freed) and is refused by one that has
 *   none, or when the allocator fails. A refused insert changes nothing.
 * - No locking: callers serialise (the GIL, or one owning thread).
 */
#ifndef MPROF_CORE_TABLE_H
#define MPROF_CORE_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct table_key {
    uintptr_t word[2];          /* word[0] != 0 */
};

struct table_value {
    uintptr_t word[2];
};

struct table_entry {
    struct table_key key;
    struct table_value value;
};

/* Zeroed memory of `bytes` (a multiple of the entry size), or NULL; and its release. */
typedef void *(*table_pages_alloc_fn)(size_t bytes);
typedef void (*table_pages_free_fn)(void *pages, size_t bytes);

struct table {
    struct table_entry *entries;   /* [capacity]; NULL until a growing table's first insert */
    size_t capacity;               /* a power of two, >= 2; 0 before the first growth */
    size_t count;                  /* keys present, <= capacity / 2 */
    unsigned shift;                /* 64 - log2(capacity): the hash's top bits index */
    size_t first_capacity;         /* a growing table's first pages hold this many */
    table_pages_alloc_fn pages_alloc;   /* NULL: a fixed table */
    table_pages_free_fn pages_free;
};

/* A fixed table over `entries` (zeroed, `capacity` of them, a power of two >= 2): it
 * holds up to capacity / 2 keys and never allocates. */
static inline void table_init_fixed(struct table *table, struct table_entry *entries,
                                    size_t capacity)
{
    table->entries = entries;
    table->capacity = capacity;
    table->count = 0;
    table->shift = 64u - (unsigned)__builtin_ctzll((unsigned long long)capacity);
    table->first_capacity = capacity;
    table->pages_alloc = NULL;
    table->pages_free = NULL;
}

/* An empty growing table: it takes pages for `first_capacity` slots (a power of two,
 * >= 2) at its first insert, and doubles through `pages_alloc` (never malloc) whenever
 * the fill limit is reached. */
static inline void table_init_growing(struct table *table, size_t first_capacity,
                                      table_pages_alloc_fn pages_alloc,
                                      table_pages_free_fn pages_free)
{
    table->entries = NULL;
    table->capacity = 0;
    table->count = 0;
    table->shift = 64;
    table->first_capacity = first_capacity;
    table->pages_alloc = pages_alloc;
    table->pages_free = pages_free;
}

/* The slot a key's probe starts from (capacity > 0). The second word is spread over
 * all 64 bits first, so keys sharing their first word (one code object, many lines)
 * still scatter; the product's top bits are the best mixed, so they are the index. */
static inline size_t table_home(const struct table *table, struct table_key key)
{
    uint64_t mixed = (uint64_t)key.word[0] ^ ((uint64_t)key.word[1] * 0xC2B2AE3D27D4EB4Full);
    return (size_t)((mixed * 0x9E3779B97F4A7C15ull) >> table->shift);
}

static inline int table_key_equal(struct table_key left, struct table_key right)
{
    return left.word[0] == right.word[0] && left.word[1] == right.word[1];
}

/* The slot holding `key`, or the empty slot where its probe ends (capacity > 0). */
static inline size_t table_probe(const struct table *table, struct table_key key)
{
    size_t mask = table->capacity - 1;
    size_t slot = table_home(table, key);
    while (table->entries[slot].key.word[0] != 0 &&
           !table_key_equal(table->entries[slot].key, key))
        slot = (slot + 1) & mask;
    return slot;
}

/* The value stored for `key` (the caller may change it in place), or NULL. */
static inline struct table_value *table_find(const struct table *table, struct table_key key)
{
    if (table->count == 0)
        return NULL;
    struct table_entry *entry = &table->entries[table_probe(table, key)];
    return entry->key.word[0] != 0 ? &entry->value : NULL;
}

/* Move every entry into `capacity` new slots and free the old ones: 0, or -1 (nothing
 * changed) when the allocator has no pages. Out of line: it is the rare path. */
static __attribute__((noinline, unused)) int table_grow(struct table *table, size_t capacity)
{
    struct table_entry *entries = table->pages_alloc(capacity * sizeof(*entries));
    if (entries == NULL)
        return -1;
    struct table_entry *old_entries = table->entries;
    size_t old_capacity = table->capacity;
    table->entries = entries;
    table->capacity = capacity;
    table->shift = 64u - (unsigned)__builtin_ctzll((unsigned long long)capacity);
    for (size_t slot = 0; slot < old_capacity; slot++)
        if (old_entries[slot].key.word[0] != 0)
            entries[table_probe(table, old_entries[slot].key)] = old_entries[slot];
    if (old_entries != NULL && table->pages_free != NULL)
        table->pages_free(old_entries, old_capacity * sizeof(*old_entries));
    return 0;
}

/* Store `value` for `key` (key.word[0] != 0), replacing the value of a key already
 * there: 0, or -1 when the table is at its fill limit and cannot grow (the table is
 * then unchanged). */
static inline int table_insert(struct table *table, struct table_key key, struct table_value value)
{
    if (table->capacity > 0) {
        struct table_entry *entry = &table->entries[table_probe(table, key)];
        if (entry->key.word[0] != 0) {
            entry->value = value;
            return 0;
        }
        if (table->count + 1 <= table->capacity / 2) {
            entry->key = key;
            entry->value = value;
            table->count++;
            return 0;
        }
    }
    if (table->pages_alloc == NULL ||
        table_grow(table, table->capacity ? table->capacity * 2 : table->first_capacity) != 0)
        return -1;
    struct table_entry *entry = &table->entries[table_probe(table, key)];
    entry->key = key;
    entry->value = value;
    table->count++;
    return 0;
}

/* Remove `key`: 0 with its value in *value (when value is not NULL), or -1 when it is
 * not there. The entries after it in its probe run move back to close the hole, each
 * only as far as its own home allows, so every other key stays reachable. */
static inline int table_take(struct table *table, struct table_key key, struct table_value *value)
{
    if (table->count == 0)
        return -1;
    size_t mask = table->capacity - 1;
    size_t hole = table_probe(table, key);
    if (table->entries[hole].key.word[0] == 0)
        return -1;
    if (value != NULL)
        *value = table->entries[hole].value;
    for (size_t next = (hole + 1) & mask; table->entries[next].key.word[0] != 0;
         next = (next + 1) & mask) {
        size_t home = table_home(table, table->entries[next].key);
        /* The entry at `next` may fill the hole only if the hole lies on its probe path,
         * between its home and itself (cyclically). */
        if (((next - home) & mask) >= ((next - hole) & mask)) {
            table->entries[hole] = table->entries[next];
            hole = next;
        }
    }
    table->entries[hole].key.word[0] = 0;
    table->entries[hole].key.word[1] = 0;
    table->entries[hole].value.word[0] = 0;
    table->entries[hole].value.word[1] = 0;
    table->count--;
    return 0;
}

/* Give a growing table's pages back (a table made by table_init_growing only): it is
 * then empty, and may be used again. */
static inline void table_release(struct table *table)
{
    if (table->entries != NULL && table->pages_free != NULL)
        table->pages_free(table->entries, table->capacity * sizeof(*table->entries));
    table_init_growing(table, table->first_capacity, table->pages_alloc, table->pages_free);
}

#endif
