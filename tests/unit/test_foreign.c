/*
 * test_foreign.c — preload/python/foreign.c on its own: the hooks that count around
 * mimalloc through a 16-byte tagged header. Every block made through them counts its
 * requested size, once, on allocation and on free; a block made before them (no tag)
 * passes through uncounted both ways; a failed realloc leaves the old block counted and
 * still ours; calloc's product overflow is refused.
 *
 * The file is included whole; what it takes from the rest of the library (the thread's
 * counters) is stubbed below with the same contracts, and the allocator below the hooks
 * is malloc, noting each call. Check runs each test in a fork: each starts empty.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../preload/python/foreign.c"
#include "check_main.h"

/* ---- stubs: the counters (core/stats.c) ------------------------------------------- */

#define PEAK_CHECK_BYTES (256 * 1024)
__thread struct thread_stats *tls_thread_stats;
static struct thread_stats test_stats;

struct thread_stats *stats_register_thread(void)
{
    test_stats.peak_countdown = PEAK_CHECK_BYTES;
    tls_thread_stats = &test_stats;
    return &test_stats;
}

void stats_peak_check(struct thread_stats *stats)
{
    stats->peak_countdown = PEAK_CHECK_BYTES;
}

static int64_t counted_live(void)
{
    return (int64_t)(test_stats.pool_alloc_bytes - test_stats.pool_free_bytes);
}

/* ---- the allocator below: malloc, with a switch to make realloc fail ----------------
 * Like mimalloc, its blocks never start a mapping: each has 16 zeroed bytes of its own
 * in front, which the hooks' tag check may read (under ASan too). */

#define BELOW_FRONT 16
static int below_live_blocks;
static int realloc_fails;

static void *below_malloc(void *ctx, size_t size)
{
    (void)ctx;
    unsigned char *raw = calloc(1, BELOW_FRONT + size);
    if (raw == NULL)
        return NULL;
    below_live_blocks++;
    return raw + BELOW_FRONT;
}

static void *below_calloc(void *ctx, size_t count, size_t size)
{
    return below_malloc(ctx, count * size); /* the hooks checked the product */
}

static void *below_realloc(void *ctx, void *block, size_t size)
{
    if (realloc_fails)
        return NULL;
    if (block == NULL)
        return below_malloc(ctx, size);
    unsigned char *raw = realloc((unsigned char *)block - BELOW_FRONT, BELOW_FRONT + size);
    return raw == NULL ? NULL : raw + BELOW_FRONT;
}

static void below_free(void *ctx, void *block)
{
    (void)ctx;
    if (block == NULL)
        return;
    below_live_blocks--;
    free((unsigned char *)block - BELOW_FRONT);
}

static struct pymem_domain domain = {
    .domain = PY_DOMAIN_OBJ,
    .next = { NULL, below_malloc, below_calloc, below_realloc, below_free },
};

static void setup(void)
{
    foreign_init();
}

START_TEST(each_block_counts_its_requested_size)
{
    void *a = foreign_allocator.malloc(&domain, 40);
    void *b = foreign_allocator.calloc(&domain, 3, 7);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq((uintptr_t)a % 16, 0); /* CPython's alignment is kept */
    ck_assert_int_eq(counted_live(), 40 + 21);
    for (int i = 0; i < 21; i++)
        ck_assert_int_eq(((unsigned char *)b)[i], 0);
    void *c = foreign_allocator.realloc(&domain, a, 1000);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(counted_live(), 1000 + 21);
    foreign_allocator.free(&domain, c);
    foreign_allocator.free(&domain, b);
    foreign_allocator.free(&domain, NULL);
    ck_assert_int_eq(counted_live(), 0);
    ck_assert_int_eq(below_live_blocks, 0);
}
END_TEST

START_TEST(blocks_from_before_the_hooks_pass_through)
{
    /* Made by the allocator itself, before our hooks were on top: no tag in front. */
    void *block = below_malloc(NULL, 64);
    void *moved = foreign_allocator.realloc(&domain, block, 128);
    ck_assert_ptr_nonnull(moved);
    ck_assert_int_eq(counted_live(), 0); /* it stays uncounted, grown or not */
    foreign_allocator.free(&domain, moved);
    ck_assert_int_eq(counted_live(), 0);
    ck_assert_int_eq(below_live_blocks, 0);
    /* realloc(NULL) is a malloc of ours. */
    void *fresh = foreign_allocator.realloc(&domain, NULL, 24);
    ck_assert_int_eq(counted_live(), 24);
    foreign_allocator.free(&domain, fresh);
    ck_assert_int_eq(counted_live(), 0);
}
END_TEST

START_TEST(a_failed_realloc_keeps_the_old_block)
{
    void *block = foreign_allocator.malloc(&domain, 100);
    realloc_fails = 1;
    ck_assert_ptr_null(foreign_allocator.realloc(&domain, block, 200));
    realloc_fails = 0;
    ck_assert_int_eq(counted_live(), 100);
    /* Still tagged ours: its free uncounts it. */
    foreign_allocator.free(&domain, block);
    ck_assert_int_eq(counted_live(), 0);
    ck_assert_int_eq(below_live_blocks, 0);
}
END_TEST

START_TEST(overflowing_requests_are_refused)
{
    ck_assert_ptr_null(foreign_allocator.calloc(&domain, SIZE_MAX / 2, 4));
    ck_assert_ptr_null(foreign_allocator.malloc(&domain, SIZE_MAX - 8));
    ck_assert_int_eq(counted_live(), 0);
    ck_assert_int_eq(below_live_blocks, 0);
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("foreign");
    TCase *cases = tcase_create("header");
    tcase_add_checked_fixture(cases, setup, NULL);
    tcase_add_test(cases, each_block_counts_its_requested_size);
    tcase_add_test(cases, blocks_from_before_the_hooks_pass_through);
    tcase_add_test(cases, a_failed_realloc_keeps_the_old_block);
    tcase_add_test(cases, overflowing_requests_are_refused);
    suite_add_tcase(suite, cases);
    return suite;
}
