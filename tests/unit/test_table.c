/*
 * test_table.c — preload/core/table.h: the library's one hash table. Keys that share a
 * home slot keep their probe chains through deletion (backward shift, no tombstones);
 * long random runs of insert/find/take agree with a plain reference array and keep
 * every entry reachable from its home; a growing table doubles through the caller's
 * page allocator, frees the old pages and refuses cleanly when the allocator fails; a
 * fixed table refuses past half its capacity and changes nothing when it does.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../../preload/core/table.h"
#include "check_main.h"

#define FIRST_CAPACITY 16

/* ---- a page allocator that counts, and can be told to fail ------------------------ */

static size_t pages_live;        /* blocks handed out and not yet freed */
static size_t pages_live_bytes;
static size_t pages_allocs;
static int pages_refuse;

static void *test_pages_alloc(size_t bytes)
{
    if (pages_refuse)
        return NULL;
    void *pages = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(pages, MAP_FAILED);
    pages_live++;
    pages_live_bytes += bytes;
    pages_allocs++;
    return pages;
}

static void test_pages_free(void *pages, size_t bytes)
{
    ck_assert_uint_gt(pages_live, 0);
    ck_assert_uint_ge(pages_live_bytes, bytes);
    pages_live--;
    pages_live_bytes -= bytes;
    ck_assert_int_eq(munmap(pages, bytes), 0);
}

/* ---- helpers ---------------------------------------------------------------------- */

static struct table_key key_of(uintptr_t first, uintptr_t second)
{
    struct table_key key = { { first, second } };
    return key;
}

static struct table_value value_of(uintptr_t first, uintptr_t second)
{
    struct table_value value = { { first, second } };
    return value;
}

/* The value found for `key`, which must be there. */
static struct table_value found(const struct table *table, struct table_key key)
{
    const struct table_value *value = table_find(table, key);
    ck_assert_msg(value != NULL, "key (%lu, %lu) missing", (unsigned long)key.word[0],
                  (unsigned long)key.word[1]);
    return *value;
}

/* Every occupied slot is reachable from its home: no empty slot lies between them, so
 * no search can stop short of it. And the count is the number of occupied slots. */
static void check_probe_chains(const struct table *table)
{
    size_t mask = table->capacity - 1;
    size_t occupied = 0;
    for (size_t slot = 0; slot < table->capacity; slot++) {
        if (table->entries[slot].key.word[0] == 0)
            continue;
        occupied++;
        for (size_t walk = table_home(table, table->entries[slot].key); walk != slot;
             walk = (walk + 1) & mask)
            ck_assert_msg(table->entries[walk].key.word[0] != 0,
                          "slot %zu cut off from its home by empty slot %zu", slot, walk);
    }
    ck_assert_uint_eq(occupied, table->count);
    ck_assert_uint_le(table->count, table->capacity / 2);
}

/* Keys (first word a multiple of 16, as addresses are) whose home is `home`. */
static size_t keys_with_home(const struct table *table, size_t home, struct table_key *keys,
                             size_t wanted)
{
    size_t count = 0;
    for (uintptr_t first = 16; count < wanted && first < 16u * 10000000u; first += 16)
        if (table_home(table, key_of(first, 7)) == home)
            keys[count++] = key_of(first, 7);
    return count;
}

static uint64_t random_state;

static uint64_t random_next(void)
{
    /* xorshift64*: fixed seed, so a failure repeats */
    random_state ^= random_state >> 12;
    random_state ^= random_state << 25;
    random_state ^= random_state >> 27;
    return random_state * 0x2545F4914F6CDD1Dull;
}

static void setup(void)
{
    pages_live = 0;
    pages_live_bytes = 0;
    pages_allocs = 0;
    pages_refuse = 0;
    random_state = 0x9E3779B97F4A7C15ull;
}

/* ---- tests ------------------------------------------------------------------------ */

START_TEST(insert_find_take)
{
    static struct table_entry entries[64];
    struct table table;
    table_init_fixed(&table, entries, 64);
    ck_assert_ptr_null(table_find(&table, key_of(32, 0)));
    ck_assert_int_eq(table_take(&table, key_of(32, 0), NULL), -1);

    ck_assert_int_eq(table_insert(&table, key_of(32, 0), value_of(1, 2)), 0);
    ck_assert_int_eq(table_insert(&table, key_of(32, 1), value_of(3, 4)), 0);
    ck_assert_int_eq(table_insert(&table, key_of(48, 0), value_of(5, 6)), 0);
    ck_assert_uint_eq(table.count, 3);
    ck_assert_uint_eq(found(&table, key_of(32, 0)).word[0], 1);
    ck_assert_uint_eq(found(&table, key_of(32, 0)).word[1], 2);
    ck_assert_uint_eq(found(&table, key_of(32, 1)).word[1], 4);
    ck_assert_uint_eq(found(&table, key_of(48, 0)).word[0], 5);
    ck_assert_ptr_null(table_find(&table, key_of(48, 1)));

    /* A second insert of a key replaces its value; the count stays. */
    ck_assert_int_eq(table_insert(&table, key_of(32, 1), value_of(30, 40)), 0);
    ck_assert_uint_eq(table.count, 3);
    ck_assert_uint_eq(found(&table, key_of(32, 1)).word[0], 30);

    /* A value can be changed in place through find. */
    table_find(&table, key_of(48, 0))->word[1] = 60;
    ck_assert_uint_eq(found(&table, key_of(48, 0)).word[1], 60);

    struct table_value taken = value_of(0, 0);
    ck_assert_int_eq(table_take(&table, key_of(32, 1), &taken), 0);
    ck_assert_uint_eq(taken.word[0], 30);
    ck_assert_uint_eq(taken.word[1], 40);
    ck_assert_uint_eq(table.count, 2);
    ck_assert_ptr_null(table_find(&table, key_of(32, 1)));
    ck_assert_int_eq(table_take(&table, key_of(32, 1), &taken), -1);
    ck_assert_uint_eq(found(&table, key_of(32, 0)).word[0], 1);
    check_probe_chains(&table);
}
END_TEST

START_TEST(colliding_keys_keep_their_chains)
{
    static struct table_entry entries[64];
    struct table table;
    table_init_fixed(&table, entries, 64);
    /* Five keys with one home, then three whose home is the next slot: they interleave
     * in one run of eight slots. */
    struct table_key same[5], next[3];
    ck_assert_uint_eq(keys_with_home(&table, 20, same, 5), 5);
    ck_assert_uint_eq(keys_with_home(&table, 21, next, 3), 3);
    for (size_t index = 0; index < 5; index++) {
        ck_assert_int_eq(table_insert(&table, same[index], value_of(100 + index, 0)), 0);
        if (index < 3)
            ck_assert_int_eq(table_insert(&table, next[index], value_of(200 + index, 0)), 0);
    }
    for (size_t slot = 20; slot < 28; slot++)
        ck_assert_uint_ne(entries[slot].key.word[0], 0);
    check_probe_chains(&table);

    /* Take from the front, the middle and the end of the run: every other key stays
     * found, with its own value. */
    size_t take_order[] = { 0, 2, 4 };
    int taken_same[5] = { 0 };
    for (size_t step = 0; step < 3; step++) {
        size_t index = take_order[step];
        struct table_value taken;
        ck_assert_int_eq(table_take(&table, same[index], &taken), 0);
        ck_assert_uint_eq(taken.word[0], 100 + index);
        taken_same[index] = 1;
        check_probe_chains(&table);
        for (size_t other = 0; other < 5; other++) {
            if (taken_same[other])
                ck_assert_ptr_null(table_find(&table, same[other]));
            else
                ck_assert_uint_eq(found(&table, same[other]).word[0], 100 + other);
        }
        for (size_t other = 0; other < 3; other++)
            ck_assert_uint_eq(found(&table, next[other]).word[0], 200 + other);
    }
    ck_assert_uint_eq(table.count, 5);
}
END_TEST

START_TEST(chains_wrap_around_the_end)
{
    static struct table_entry entries[32];
    struct table table;
    table_init_fixed(&table, entries, 32);
    struct table_key last[4];
    ck_assert_uint_eq(keys_with_home(&table, 31, last, 4), 4);
    for (size_t index = 0; index < 4; index++)
        ck_assert_int_eq(table_insert(&table, last[index], value_of(index + 1, 0)), 0);
    /* Slot 31, then 0, 1, 2. */
    ck_assert_uint_ne(entries[31].key.word[0], 0);
    ck_assert_uint_ne(entries[2].key.word[0], 0);
    ck_assert_int_eq(table_take(&table, last[0], NULL), 0);
    check_probe_chains(&table);
    for (size_t index = 1; index < 4; index++)
        ck_assert_uint_eq(found(&table, last[index]).word[0], index + 1);
    /* The shifted entries closed the run from the end: slot 2 is empty again. */
    ck_assert_uint_eq(entries[2].key.word[0], 0);
}
END_TEST

START_TEST(fixed_table_refuses_past_half)
{
    static struct table_entry entries[8];
    struct table table;
    table_init_fixed(&table, entries, 8);
    for (uintptr_t index = 1; index <= 4; index++)
        ck_assert_int_eq(table_insert(&table, key_of(index * 16, 0), value_of(index, 0)), 0);
    struct table_entry before[8];
    memcpy(before, entries, sizeof(before));
    ck_assert_int_eq(table_insert(&table, key_of(80, 0), value_of(5, 0)), -1);
    ck_assert_uint_eq(table.count, 4);
    ck_assert_int_eq(memcmp(before, entries, sizeof(before)), 0);
    ck_assert_ptr_null(table_find(&table, key_of(80, 0)));
    /* A key already there still takes a new value at the limit. */
    ck_assert_int_eq(table_insert(&table, key_of(32, 0), value_of(22, 0)), 0);
    ck_assert_uint_eq(found(&table, key_of(32, 0)).word[0], 22);
    /* And room made by a take is room again. */
    ck_assert_int_eq(table_take(&table, key_of(16, 0), NULL), 0);
    ck_assert_int_eq(table_insert(&table, key_of(80, 0), value_of(5, 0)), 0);
    ck_assert_uint_eq(found(&table, key_of(80, 0)).word[0], 5);
    ck_assert_uint_eq(table.count, 4);
    check_probe_chains(&table);
}
END_TEST

START_TEST(growth_doubles_and_frees_the_old_pages)
{
    struct table table;
    table_init_growing(&table, FIRST_CAPACITY, test_pages_alloc, test_pages_free);
    ck_assert_ptr_null(table_find(&table, key_of(16, 0)));
    ck_assert_int_eq(table_take(&table, key_of(16, 0), NULL), -1);
    ck_assert_uint_eq(pages_allocs, 0);

    size_t capacity = 0, doublings = 0;
    for (uintptr_t index = 1; index <= 10000; index++) {
        ck_assert_int_eq(table_insert(&table, key_of(index * 16, index % 5),
                                      value_of(index, ~index)), 0);
        ck_assert_uint_le(table.count, table.capacity / 2);
        if (table.capacity != capacity) {
            ck_assert_uint_eq(table.capacity, capacity ? capacity * 2 : FIRST_CAPACITY);
            capacity = table.capacity;
            doublings++;
        }
    }
    /* 16 -> 32768: 12 tables, only the last one still held. */
    ck_assert_uint_eq(table.capacity, 32768);
    ck_assert_uint_eq(doublings, 12);
    ck_assert_uint_eq(pages_allocs, 12);
    ck_assert_uint_eq(pages_live, 1);
    ck_assert_uint_eq(pages_live_bytes, 32768 * sizeof(struct table_entry));
    for (uintptr_t index = 1; index <= 10000; index++) {
        struct table_value value = found(&table, key_of(index * 16, index % 5));
        ck_assert_uint_eq(value.word[0], index);
        ck_assert_uint_eq(value.word[1], ~index);
    }
    ck_assert_ptr_null(table_find(&table, key_of(16, 2)));
    check_probe_chains(&table);

    table_release(&table);
    ck_assert_uint_eq(pages_live, 0);
    ck_assert_uint_eq(table.count, 0);
    ck_assert_ptr_null(table_find(&table, key_of(16, 1)));
    ck_assert_int_eq(table_insert(&table, key_of(16, 1), value_of(1, 1)), 0);
    ck_assert_uint_eq(table.capacity, FIRST_CAPACITY);
    table_release(&table);
}
END_TEST

START_TEST(growth_refused_changes_nothing)
{
    struct table table;
    table_init_growing(&table, FIRST_CAPACITY, test_pages_alloc, test_pages_free);
    pages_refuse = 1;
    ck_assert_int_eq(table_insert(&table, key_of(16, 0), value_of(1, 0)), -1);
    ck_assert_uint_eq(table.count, 0);
    ck_assert_ptr_null(table.entries);
    pages_refuse = 0;
    for (uintptr_t index = 1; index <= FIRST_CAPACITY / 2; index++)
        ck_assert_int_eq(table_insert(&table, key_of(index * 16, 0), value_of(index, 0)), 0);
    struct table_entry *entries = table.entries;
    pages_refuse = 1;
    ck_assert_int_eq(table_insert(&table, key_of(4096, 0), value_of(9, 0)), -1);
    ck_assert_ptr_eq(table.entries, entries);
    ck_assert_uint_eq(table.capacity, FIRST_CAPACITY);
    ck_assert_uint_eq(table.count, FIRST_CAPACITY / 2);
    for (uintptr_t index = 1; index <= FIRST_CAPACITY / 2; index++)
        ck_assert_uint_eq(found(&table, key_of(index * 16, 0)).word[0], index);
    ck_assert_ptr_null(table_find(&table, key_of(4096, 0)));
    pages_refuse = 0;
    ck_assert_int_eq(table_insert(&table, key_of(4096, 0), value_of(9, 0)), 0);
    ck_assert_uint_eq(table.capacity, 2 * FIRST_CAPACITY);
    ck_assert_uint_eq(pages_live, 1);
    table_release(&table);
}
END_TEST

/* Random insert/find/take against a reference array of `universe` keys, checking each
 * result as it comes and the whole table (every key, every probe chain) at intervals. */
static void random_work(struct table *table, size_t universe, size_t fill_limit, int steps)
{
    uintptr_t *reference = calloc(universe, sizeof(*reference)); /* 0: absent */
    ck_assert_ptr_nonnull(reference);
    size_t present = 0;
    for (int step = 0; step < steps; step++) {
        uint64_t draw = random_next();
        size_t index = (size_t)(draw % universe);
        /* Keys of one first word and several second words, as (code, line) pairs. */
        struct table_key key = key_of((index / 4 + 1) * 64, index % 4);
        uintptr_t value = (uintptr_t)(draw >> 16) | 1;
        switch ((draw >> 8) % 4) {
        case 0:
        case 1: {
            int expected = reference[index] != 0 || present < fill_limit ? 0 : -1;
            ck_assert_int_eq(table_insert(table, key, value_of(value, index)), expected);
            if (expected == 0) {
                present += reference[index] == 0;
                reference[index] = value;
            }
            break;
        }
        case 2: {
            struct table_value taken;
            ck_assert_int_eq(table_take(table, key, &taken), (reference[index] != 0 ? 0 : -1));
            if (reference[index] != 0) {
                ck_assert_uint_eq(taken.word[0], reference[index]);
                ck_assert_uint_eq(taken.word[1], index);
                reference[index] = 0;
                present--;
            }
            break;
        }
        default: {
            const struct table_value *value_found = table_find(table, key);
            if (reference[index] == 0)
                ck_assert_ptr_null(value_found);
            else
                ck_assert_uint_eq(value_found->word[0], reference[index]);
        }
        }
        ck_assert_uint_eq(table->count, present);
        if (step % 5000 == 4999) {
            check_probe_chains(table);
            for (size_t other = 0; other < universe; other++) {
                struct table_key other_key = key_of((other / 4 + 1) * 64, other % 4);
                if (reference[other] == 0)
                    ck_assert_ptr_null(table_find(table, other_key));
                else
                    ck_assert_uint_eq(found(table, other_key).word[0], reference[other]);
            }
        }
    }
    free(reference);
}

START_TEST(random_work_on_a_fixed_table)
{
    /* 700 keys for 512 places: the table runs at its limit, and refuses there. */
    static struct table_entry entries[1024];
    struct table table;
    table_init_fixed(&table, entries, 1024);
    random_work(&table, 700, 512, 100000);
}
END_TEST

START_TEST(random_work_on_a_growing_table)
{
    struct table table;
    table_init_growing(&table, FIRST_CAPACITY, test_pages_alloc, test_pages_free);
    random_work(&table, 5000, 5000, 100000);
    ck_assert_uint_gt(table.capacity, FIRST_CAPACITY);
    ck_assert_uint_eq(pages_live, 1);
    table_release(&table);
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("table");
    TCase *cases = tcase_create("table");
    tcase_add_checked_fixture(cases, setup, NULL);
    tcase_set_timeout(cases, 60);
    tcase_add_test(cases, insert_find_take);
    tcase_add_test(cases, colliding_keys_keep_their_chains);
    tcase_add_test(cases, chains_wrap_around_the_end);
    tcase_add_test(cases, fixed_table_refuses_past_half);
    tcase_add_test(cases, growth_doubles_and_frees_the_old_pages);
    tcase_add_test(cases, growth_refused_changes_nothing);
    tcase_add_test(cases, random_work_on_a_fixed_table);
    tcase_add_test(cases, random_work_on_a_growing_table);
    suite_add_tcase(suite, cases);
    return suite;
}
