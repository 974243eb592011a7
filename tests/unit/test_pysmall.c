/*
 * test_pysmall.c — preload/python/pysmall.c on its own: CPython's small-object allocator with
 * the counting done in the same pass. Every block counts its requested size, on
 * allocation and on free; pools, class lists and arena buckets keep their invariants
 * through random work; realloc follows pymalloc's rule; sizes 0 and over 512 go to the
 * raw functions; wholly free arenas go back to the system but one.
 *
 * The file is included whole, so its static state can be checked; what it takes from
 * the rest of the library (the thread's counters, slots.c's slots) is stubbed below
 * with the same contracts. Check runs each test in a fork: each starts empty.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../../preload/python/pysmall.c"
#include "check_main.h"

/* ---- stubs: the counters (core/stats.c) and the slots (python/slots.c) ----------------------- */

#define PEAK_CHECK_BYTES (256 * 1024)
__thread struct thread_stats *tls_thread_stats;
static struct thread_stats test_stats;
static int peak_checks;

struct thread_stats *stats_register_thread(void)
{
    test_stats.peak_countdown = PEAK_CHECK_BYTES;
    tls_thread_stats = &test_stats;
    return &test_stats;
}

void stats_peak_check(struct thread_stats *stats)
{
    peak_checks++;
    stats->peak_countdown = PEAK_CHECK_BYTES;
}

unsigned char *arena_map;
#define SLOTS_MAX 4096
static uintptr_t slots[SLOTS_MAX];
static size_t slot_count;
static long slots_mapped_ever;

uintptr_t slots_map(unsigned char kind)
{
    if (slot_count == SLOTS_MAX)
        return 0;
    size_t span = 2 * SLOT_BYTES;
    char *mapping = mmap(NULL, span, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    ck_assert_ptr_ne(mapping, MAP_FAILED);
    uintptr_t base = ((uintptr_t)mapping + SLOT_BYTES - 1) & ~(SLOT_BYTES - 1);
    if (base > (uintptr_t)mapping)
        munmap(mapping, base - (uintptr_t)mapping);
    if ((uintptr_t)mapping + span > base + SLOT_BYTES)
        munmap((void *)(base + SLOT_BYTES), (uintptr_t)mapping + span - (base + SLOT_BYTES));
    arena_map[base >> SLOT_BITS] = kind;
    slots[slot_count++] = base;
    slots_mapped_ever++;
    return base;
}

void slots_unmap(uintptr_t base)
{
    arena_map[base >> SLOT_BITS] = ARENA_NONE;
    for (size_t i = 0; i < slot_count; i++)
        if (slots[i] == base) {
            slots[i] = slots[--slot_count];
            break;
        }
    munmap((void *)base, SLOT_BYTES);
}

/* The raw functions count their live blocks, so a test sees where a request went. */
static long raw_live_blocks;

static void *raw_malloc(size_t size)
{
    raw_live_blocks++;
    return malloc(size ? size : 1);
}

static void *raw_calloc(size_t count, size_t size)
{
    raw_live_blocks++;
    return calloc(count ? count : 1, size ? size : 1);
}

static void *raw_realloc(void *block, size_t size)
{
    if (block == NULL)
        raw_live_blocks++;
    return realloc(block, size ? size : 1);
}

static void raw_free(void *block)
{
    if (block != NULL)
        raw_live_blocks--;
    free(block);
}

static struct pymem_domain test_domain;

static void setup(void)
{
    arena_map = mmap(NULL, (size_t)1 << (ADDRESS_BITS - SLOT_BITS), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    ck_assert_ptr_ne(arena_map, MAP_FAILED);
    struct pysmall_raw functions = { raw_malloc, raw_calloc, raw_realloc, raw_free,
                                     NULL, NULL, NULL };
    pysmall_init(&functions);
}

static int64_t counted_live(void)
{
    return (int64_t)(test_stats.pool_alloc_bytes - test_stats.pool_free_bytes);
}

/* ---- the invariants, checked from the structures themselves ----------------------- */

/* Every list and bucket is consistent; returns the bytes the pools and shadows say are
 * live (used blocks times class, less their shadows), to compare with the counters. */
static int64_t check_invariants(void)
{
    for (unsigned size_index = 0; size_index < CLASS_COUNT; size_index++) {
        struct small_pool *previous = NULL;
        for (struct small_pool *pool = pools_with_room[size_index]; pool; pool = pool->next) {
            ck_assert_ptr_eq(pool->prev, previous);
            ck_assert_uint_eq(pool->size_index, size_index);
            ck_assert_uint_gt(pool->used, 0);
            ck_assert_ptr_nonnull(pool->free_blocks);
            previous = pool;
        }
    }
    for (unsigned count = 1; count <= POOLS_PER_ARENA; count++) {
        int bit = (arena_buckets_used >> (count - 1)) & 1;
        ck_assert_int_eq(bit, arenas_by_free_pools[count] != NULL);
        struct small_arena *previous = NULL;
        for (struct small_arena *arena = arenas_by_free_pools[count]; arena; arena = arena->next) {
            ck_assert_ptr_eq(arena->prev, previous);
            ck_assert_uint_eq(arena->free_pool_count, count);
            previous = arena;
        }
    }
    int64_t live = 0;
    int wholly_free = 0;
    for (size_t i = 0; i < slot_count; i++) {
        struct small_arena *arena = arena_of((const void *)slots[i]);
        unsigned in_use = 0;
        for (unsigned index = 0; index < arena->fresh_pool_index; index++) {
            struct small_pool *pool = (struct small_pool *)(slots[i] + index * POOL_SIZE);
            if (pool->used == 0)
                continue;
            in_use++;
            uint32_t class_bytes = (pool->size_index + 1) << 4;
            /* Handed out + on the free list + never handed out = what the pool holds. */
            unsigned on_list = 0;
            for (void *block = pool->free_blocks; block; block = *(void **)block)
                on_list++;
            unsigned fresh = (pool->max_next_offset + class_bytes - pool->next_offset) / class_bytes;
            ck_assert_uint_eq(pool->used + on_list + (on_list ? fresh : 0),
                              (POOL_SIZE - POOL_HEADER_BYTES) / class_bytes);
            live += (int64_t)pool->used * class_bytes;
        }
        ck_assert_uint_eq(arena->free_pool_count, POOLS_PER_ARENA - in_use);
        wholly_free += in_use == 0;
        const unsigned char *shadow = shadow_of((const void *)slots[i]);
        for (size_t granule = 0; granule < SHADOW_BYTES; granule++)
            live -= shadow[granule];
    }
    ck_assert_int_le(wholly_free, 1);
    return live;
}

/* ---- tests ------------------------------------------------------------------------- */

START_TEST(counts_requested_bytes)
{
    void *a = pysmall_malloc(&test_domain, 1);
    void *b = pysmall_malloc(&test_domain, 100);
    void *c = pysmall_calloc(&test_domain, 10, 51);
    ck_assert_int_eq(counted_live(), 1 + 100 + 510);
    ck_assert_uint_eq(arena_kind(a), ARENA_OWN);
    ck_assert_uint_eq(pool_block_bytes(b), 112);
    ck_assert_uint_eq(*shadow_of(b), 12);
    for (int i = 0; i < 510; i++)
        ck_assert_int_eq(((unsigned char *)c)[i], 0);
    ck_assert_int_eq(check_invariants(), 611);
    pysmall_free(&test_domain, b);
    ck_assert_int_eq(counted_live(), 511);
    ck_assert_uint_eq(*shadow_of(b), 0);
    pysmall_free(&test_domain, a);
    pysmall_free(&test_domain, c);
    ck_assert_int_eq(counted_live(), 0);
    ck_assert_int_eq(check_invariants(), 0);
}
END_TEST

START_TEST(zero_and_large_sizes_go_raw)
{
    void *zero = pysmall_malloc(&test_domain, 0);
    void *large = pysmall_malloc(&test_domain, 513);
    void *large_zeroed = pysmall_calloc(&test_domain, 3, 200);
    ck_assert_ptr_nonnull(zero);
    ck_assert_uint_eq(arena_kind(zero), ARENA_NONE);
    ck_assert_uint_eq(arena_kind(large), ARENA_NONE);
    ck_assert_uint_eq(arena_kind(large_zeroed), ARENA_NONE);
    ck_assert_int_eq(raw_live_blocks, 3);
    ck_assert_int_eq(counted_live(), 0); /* malloc's hooks count those, not this layer */
    /* A raw block stays raw through realloc, even when it shrinks to a small size. */
    large = pysmall_realloc(&test_domain, large, 16);
    ck_assert_uint_eq(arena_kind(large), ARENA_NONE);
    pysmall_free(&test_domain, zero);
    pysmall_free(&test_domain, large);
    pysmall_free(&test_domain, large_zeroed);
    ck_assert_int_eq(raw_live_blocks, 0);
    /* PyObject_Calloc's limit: the product must fit a Py_ssize_t. */
    ck_assert_ptr_null(pysmall_calloc(&test_domain, (size_t)1 << 62, 4));
}
END_TEST

START_TEST(realloc_follows_pymalloc_rule)
{
    unsigned char *block = pysmall_malloc(&test_domain, 100); /* class 112 */
    memset(block, 0x5a, 100);
    /* In place while the new size fits the class and is more than 3/4 of it. */
    ck_assert_ptr_eq(pysmall_realloc(&test_domain, block, 112), block);
    ck_assert_int_eq(counted_live(), 112);
    ck_assert_ptr_eq(pysmall_realloc(&test_domain, block, 85), block);
    ck_assert_int_eq(counted_live(), 85);
    ck_assert_uint_eq(*shadow_of(block), 112 - 85);
    /* 84 is 3/4 of 112: it moves to the 96-byte class, and keeps its bytes. */
    unsigned char *moved = pysmall_realloc(&test_domain, block, 84);
    ck_assert_ptr_ne(moved, block);
    ck_assert_uint_eq(pool_block_bytes(moved), 96);
    ck_assert_int_eq(counted_live(), 84);
    for (int i = 0; i < 84; i++)
        ck_assert_int_eq(moved[i], 0x5a);
    /* Growing past the class moves it, and past 512 it becomes raw. */
    unsigned char *grown = pysmall_realloc(&test_domain, moved, 600);
    ck_assert_uint_eq(arena_kind(grown), ARENA_NONE);
    ck_assert_int_eq(counted_live(), 0);
    for (int i = 0; i < 84; i++)
        ck_assert_int_eq(grown[i], 0x5a);
    pysmall_free(&test_domain, grown);
    ck_assert_int_eq(check_invariants(), 0);
}
END_TEST

START_TEST(full_pool_regains_room)
{
    /* A 512-byte pool holds 31 blocks; the 32nd opens a second pool. */
    void *blocks[32];
    for (int i = 0; i < 32; i++)
        blocks[i] = pysmall_malloc(&test_domain, 512);
    ck_assert_ptr_eq(pool_of(blocks[30]), pool_of(blocks[0]));
    ck_assert_ptr_ne(pool_of(blocks[31]), pool_of(blocks[0]));
    ck_assert_ptr_eq(pools_with_room[31], pool_of(blocks[31]));
    /* Freeing a block of the full pool puts it first in its class's list again, and
     * the next allocation takes that very block. */
    pysmall_free(&test_domain, blocks[7]);
    ck_assert_ptr_eq(pools_with_room[31], pool_of(blocks[0]));
    ck_assert_ptr_eq(pysmall_malloc(&test_domain, 500), blocks[7]);
    ck_assert_int_eq(counted_live(), 31 * 512 + 500);
    ck_assert_int_eq(check_invariants(), counted_live());
}
END_TEST

START_TEST(empty_arenas_go_back_but_one)
{
    /* 400,000 blocks of 32 bytes fill 13 arenas (511 blocks per pool, 64 pools). */
    enum { COUNT = 400000 };
    void **blocks = malloc(COUNT * sizeof(*blocks));
    for (int i = 0; i < COUNT; i++)
        blocks[i] = pysmall_malloc(&test_domain, 30);
    ck_assert_int_eq(slot_count, 13);
    ck_assert_int_eq(counted_live(), (int64_t)COUNT * 30);
    ck_assert_int_eq(check_invariants(), counted_live());
    for (int i = 0; i < COUNT; i++)
        pysmall_free(&test_domain, blocks[i]);
    ck_assert_int_eq(counted_live(), 0);
    ck_assert_int_eq(slot_count, 1);
    /* The arena kept is used again before any new one is mapped. */
    long mapped = slots_mapped_ever;
    void *again = pysmall_malloc(&test_domain, 30);
    ck_assert_int_eq(slots_mapped_ever, mapped);
    ck_assert_uint_eq(arena_kind(again), ARENA_OWN);
    free(blocks);
}
END_TEST

START_TEST(new_pools_come_from_the_fullest_arena)
{
    /* Fill two arenas with 512-byte blocks (64 pools of 31 each), then empty 40 pools
     * of the first and 10 of the second: a new pool must come from the second, the
     * fuller one, so that the first can empty. */
    enum { PER_POOL = 31, PER_ARENA = 64 * PER_POOL };
    static void *blocks[2 * PER_ARENA];
    for (int i = 0; i < 2 * PER_ARENA; i++)
        blocks[i] = pysmall_malloc(&test_domain, 512);
    ck_assert_int_eq(slot_count, 2);
    struct small_arena *first = arena_of(blocks[0]);
    struct small_arena *second = arena_of(blocks[PER_ARENA]);
    ck_assert_ptr_ne(first, second);
    for (int i = 0; i < 40 * PER_POOL; i++)
        pysmall_free(&test_domain, blocks[i]);
    for (int i = PER_ARENA; i < PER_ARENA + 10 * PER_POOL; i++)
        pysmall_free(&test_domain, blocks[i]);
    ck_assert_uint_eq(first->free_pool_count, 40);
    ck_assert_uint_eq(second->free_pool_count, 10);
    void *small = pysmall_malloc(&test_domain, 16); /* a class with no pool yet */
    ck_assert_ptr_eq(arena_of(small), second);
    ck_assert_int_eq(check_invariants(), counted_live());
}
END_TEST

static int holds_only(const unsigned char *bytes, size_t size, unsigned char value)
{
    for (size_t k = 0; k < size; k++)
        if (bytes[k] != value)
            return 0;
    return 1;
}

START_TEST(random_work_keeps_every_invariant)
{
    /* This layer counts the blocks it serves, at their requested size; a raw block
     * (size 0, over 512) is malloc's to count, and stays raw through realloc. */
    enum { LIVE_MAX = 20000, STEPS = 200000 };
    static unsigned char *blocks[LIVE_MAX];
    static size_t sizes[LIVE_MAX];
    long served_small = 0;
    int64_t expected = 0;
    srand(12345);
    for (int step = 0; step < STEPS; step++) {
        int i = rand() % LIVE_MAX;
        size_t size = (size_t)(rand() % 4 == 0 ? rand() % 1100 : rand() % 520);
        if (blocks[i] != NULL) {
            ck_assert(holds_only(blocks[i], sizes[i], (unsigned char)i));
            expected -= arena_kind(blocks[i]) == ARENA_OWN ? (int64_t)sizes[i] : 0;
        }
        if (blocks[i] != NULL && rand() % 3 == 0) {
            blocks[i] = pysmall_realloc(&test_domain, blocks[i], size);
        } else {
            if (blocks[i] != NULL)
                pysmall_free(&test_domain, blocks[i]);
            blocks[i] = NULL;
            if (rand() % 4 != 0)
                blocks[i] = rand() % 5 == 0 ? pysmall_calloc(&test_domain, 1, size)
                                            : pysmall_malloc(&test_domain, size);
        }
        if (blocks[i] != NULL) {
            sizes[i] = size;
            memset(blocks[i], (unsigned char)i, size);
            if (arena_kind(blocks[i]) == ARENA_OWN) {
                ck_assert_uint_ge(size, 1);
                ck_assert_uint_le(size, 512);
                expected += (int64_t)size;
                served_small++;
            }
        }
        if (step % 25000 == 0)
            ck_assert_int_eq(check_invariants(), expected);
        ck_assert_int_eq(counted_live(), expected);
    }
    for (int i = 0; i < LIVE_MAX; i++)
        pysmall_free(&test_domain, blocks[i]);
    ck_assert_int_eq(counted_live(), 0);
    ck_assert_int_eq(check_invariants(), 0);
    ck_assert_int_eq(raw_live_blocks, 0);
    ck_assert_int_le(slot_count, 1);
    ck_assert_int_gt(peak_checks, 0);
    ck_assert_int_gt(served_small, STEPS / 3);
}
END_TEST

/* ---- 3.12+: only the main interpreter is served ------------------------------------ */

/* A thread state is three words (prev, next, interp) as far as pysmall.c reads it. */
static void *main_state[3], *other_state[3];
static void *const *current_state;
static int main_asked;

static void *state_now(void)
{
    return (void *)current_state;
}

static void *main_interpreter_now(void)
{
    main_asked++;
    return main_state[2];
}

/* The other interpreters' hooks: their own pymalloc, here malloc, noting each call. */
static int other_calls;

static void *other_malloc(void *ctx, size_t size)
{
    ck_assert_ptr_eq(ctx, &test_domain);
    other_calls++;
    return malloc(size);
}

static void *other_calloc(void *ctx, size_t count, size_t size)
{
    ck_assert_ptr_eq(ctx, &test_domain);
    other_calls++;
    return calloc(count, size);
}

static void *other_realloc(void *ctx, void *block, size_t size)
{
    ck_assert_ptr_eq(ctx, &test_domain);
    other_calls++;
    return realloc(block, size);
}

static const struct py_mem_allocator other_hooks = {
    .malloc = other_malloc, .calloc = other_calloc, .realloc = other_realloc,
};

START_TEST(other_interpreters_go_to_their_own_allocator)
{
    main_state[2] = (void *)0x1000;
    other_state[2] = (void *)0x2000;
    struct pysmall_raw functions = { raw_malloc, raw_calloc, raw_realloc, raw_free,
                                     state_now, main_interpreter_now, &other_hooks };
    pysmall_init(&functions);
    /* Before any thread state: only the main interpreter can be running. */
    current_state = NULL;
    void *early = pysmall_malloc(&test_domain, 40);
    ck_assert_uint_eq(arena_kind(early), ARENA_OWN);
    current_state = main_state;
    void *mine = pysmall_malloc(&test_domain, 40);
    ck_assert_uint_eq(arena_kind(mine), ARENA_OWN);
    ck_assert_int_eq(counted_live(), 80);
    ck_assert_int_eq(other_calls, 0);
    current_state = other_state;
    void *theirs = pysmall_malloc(&test_domain, 40);
    void *zeroed = pysmall_calloc(&test_domain, 4, 10);
    ck_assert_int_eq(other_calls, 2);
    ck_assert_uint_eq(arena_kind(theirs), ARENA_NONE);
    ck_assert_int_eq(counted_live(), 80); /* their hooks count their own */
    /* Over 512 bytes goes raw whoever asks, as pymalloc sends it. */
    void *large = pysmall_malloc(&test_domain, 600);
    ck_assert_int_eq(other_calls, 2);
    ck_assert_int_eq(raw_live_blocks, 1);
    /* The main interpreter is looked up once, then kept. */
    current_state = main_state;
    pysmall_free(&test_domain, pysmall_malloc(&test_domain, 24));
    ck_assert_int_eq(main_asked, 1);
    pysmall_free(&test_domain, early);
    pysmall_free(&test_domain, mine);
    pysmall_free(&test_domain, large);
    ck_assert_int_eq(counted_live(), 0);
    ck_assert_int_eq(raw_live_blocks, 0);
    free(theirs);
    free(zeroed);
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("pysmall");
    TCase *cases = tcase_create("allocator");
    tcase_add_checked_fixture(cases, setup, NULL);
    tcase_set_timeout(cases, 60);
    tcase_add_test(cases, counts_requested_bytes);
    tcase_add_test(cases, zero_and_large_sizes_go_raw);
    tcase_add_test(cases, realloc_follows_pymalloc_rule);
    tcase_add_test(cases, full_pool_regains_room);
    tcase_add_test(cases, empty_arenas_go_back_but_one);
    tcase_add_test(cases, new_pools_come_from_the_fullest_arena);
    tcase_add_test(cases, random_work_keeps_every_invariant);
    tcase_add_test(cases, other_interpreters_go_to_their_own_allocator);
    suite_add_tcase(suite, cases);
    return suite;
}
