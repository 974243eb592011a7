/*
 * test_heap_slot.c — the heap slots of the counters page: the library's claim and
 * publish (preload/wire/heap_slot.c, included whole so its claimed slot can be seen)
 * and the reader mprof attach uses (mprof/heap_page.c), against each other.
 *
 * Live and dead owners are real processes: a child that sleeps, and one that has been
 * reaped. Check's fork mode gives each test a fresh copy of the library's state.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../preload/wire/heap_slot.c"
#include "check_main.h"
#include "heap_page.h"

static struct mprof_counters *new_page(void)
{
    struct mprof_counters *page = mmap(NULL, sizeof(*page), PROT_READ | PROT_WRITE,
                                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(page, MAP_FAILED);
    page->magic = MPROF_COUNTERS_MAGIC;
    page->version = MPROF_PROTOCOL_VERSION;
    page->slot_count = MPROF_HEAP_SLOT_COUNT;
    return page;
}

/* A process that lives until killed. */
static pid_t live_process(void)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        pause();
        _exit(0);
    }
    return pid;
}

static void end_process(pid_t pid)
{
    kill(pid, SIGKILL);
    ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
}

/* The pid of a process that has ended and been reaped. */
static pid_t dead_pid(void)
{
    pid_t pid = live_process();
    end_process(pid);
    return pid;
}

static int slot_index(const struct mprof_counters *page)
{
    ck_assert_ptr_nonnull(heap_slot_mine);
    return (int)(heap_slot_mine - page->slots);
}

START_TEST(claims_free_slots_and_its_own_again)
{
    struct mprof_counters *page = new_page();
    ck_assert_int_eq(heap_slot_claim(page, 1000), 0);
    ck_assert_int_eq(slot_index(page), 0);
    ck_assert_int_eq(page->slots[0].pid, 1000);
    heap_slot_publish(5, 4096, 8192);
    ck_assert_int_eq(heap_slot_claim(page, 1001), 0);
    ck_assert_int_eq(slot_index(page), 1);
    /* After an exec the pid's slot is found again, its figures started afresh. */
    ck_assert_int_eq(heap_slot_claim(page, 1000), 0);
    ck_assert_int_eq(slot_index(page), 0);
    ck_assert_uint_eq(page->slots[0].sample_time_ns, 0);
    ck_assert_int_eq(page->slots[0].heap_live_bytes, 0);
    ck_assert_uint_eq(page->slots[0].sequence % 2, 0);
    /* No page, no pid: nothing claimed, publishing does nothing. */
    ck_assert_int_eq(heap_slot_claim(NULL, 1002), -1);
    ck_assert_ptr_null(heap_slot_mine);
    heap_slot_publish(6, 1, 1);
    ck_assert_int_eq(heap_slot_claim(page, 0), -1);
}
END_TEST

START_TEST(a_full_table_takes_only_an_ended_process_slot)
{
    struct mprof_counters *page = new_page();
    pid_t live = live_process();
    for (unsigned i = 0; i < MPROF_HEAP_SLOT_COUNT; i++)
        page->slots[i].pid = live;
    /* Every owner alive: no slot. */
    ck_assert_int_eq(heap_slot_claim(page, 2000), -1);
    ck_assert_ptr_null(heap_slot_mine);
    /* One slot's owner has ended: that one is taken, the live ones are not touched. */
    page->slots[200].pid = dead_pid();
    page->slots[200].sequence = 7; /* it died writing */
    page->slots[200].heap_live_bytes = 123;
    ck_assert_int_eq(heap_slot_claim(page, 2000), 0);
    ck_assert_int_eq(slot_index(page), 200);
    ck_assert_int_eq(page->slots[200].pid, 2000);
    ck_assert_uint_eq(page->slots[200].sequence, 10);
    ck_assert_int_eq(page->slots[200].heap_live_bytes, 0);
    for (unsigned i = 0; i < MPROF_HEAP_SLOT_COUNT; i++)
        if (i != 200)
            ck_assert_int_eq(page->slots[i].pid, live);
    /* A free slot is preferred to an ended process's. */
    page->slots[3].pid = 0;
    page->slots[100].pid = dead_pid();
    ck_assert_int_eq(heap_slot_claim(page, 2001), 0);
    ck_assert_int_eq(slot_index(page), 3);
    /* A page cut to fewer slots (a file size limit): none past them is taken. */
    struct mprof_counters *small = new_page();
    small->slot_count = 2;
    small->slots[0].pid = small->slots[1].pid = live;
    ck_assert_int_eq(heap_slot_claim(small, 2102), -1);
    ck_assert_int_eq(small->slots[2].pid, 0);
    end_process(live);
}
END_TEST

START_TEST(what_is_published_is_read_whole_and_only_for_its_pid)
{
    struct mprof_counters *page = new_page();
    struct heap_reading reading;
    ck_assert_int_eq(heap_slot_claim(page, 3000), 0);
    heap_slot_publish(1234567890123ull, 16777216, 50331648);
    ck_assert(heap_slot_read(&page->slots[0], 3000, &reading));
    ck_assert_uint_eq(reading.time_ns, 1234567890123ull);
    ck_assert_int_eq(reading.live_bytes, 16777216);
    ck_assert_int_eq(reading.peak_bytes, 50331648);
    /* Another pid's slot is not read as this one's. */
    ck_assert(!heap_slot_read(&page->slots[0], 3001, &reading));
    ck_assert(!heap_slot_read(&page->slots[1], 3000, &reading));
    /* Mid-write (odd): no reading, and a second writer skips rather than interleaves. */
    page->slots[0].sequence++;
    ck_assert(!heap_slot_read(&page->slots[0], 3000, &reading));
    heap_slot_publish(1, 2, 3);
    ck_assert_int_eq(page->slots[0].heap_live_bytes, 16777216);
    page->slots[0].sequence++;
    ck_assert(heap_slot_read(&page->slots[0], 3000, &reading));
    ck_assert_int_eq(reading.live_bytes, 16777216);
    /* A fork child forgets the parent's slot: it never writes it. */
    heap_slot_forget();
    heap_slot_publish(9, 9, 9);
    ck_assert(heap_slot_read(&page->slots[0], 3000, &reading));
    ck_assert_uint_eq(reading.time_ns, 1234567890123ull);
}
END_TEST

#define PUBLISH_ROUNDS 200000

static void *publish_rounds(void *unused)
{
    (void)unused;
    for (uint64_t i = 1; i <= PUBLISH_ROUNDS; i++)
        heap_slot_publish(i, (int64_t)i * 3, (int64_t)i * 5);
    return NULL;
}

START_TEST(a_reader_beside_the_writer_never_sees_a_torn_sample)
{
    struct mprof_counters *page = new_page();
    ck_assert_int_eq(heap_slot_claim(page, 4000), 0);
    pthread_t writer;
    ck_assert_int_eq(pthread_create(&writer, NULL, publish_rounds, NULL), 0);
    uint64_t whole = 0, last = 0;
    while (last < PUBLISH_ROUNDS) {
        struct heap_reading reading;
        if (!heap_slot_read(&page->slots[0], 4000, &reading))
            continue;
        /* All three figures of one sample, never two samples' halves. */
        ck_assert_int_eq(reading.live_bytes, (int64_t)reading.time_ns * 3);
        ck_assert_int_eq(reading.peak_bytes, (int64_t)reading.time_ns * 5);
        ck_assert_uint_ge(reading.time_ns, last);
        last = reading.time_ns;
        whole++;
    }
    ck_assert_int_eq(pthread_join(writer, NULL), 0);
    ck_assert_uint_gt(whole, 0);
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("heap_slot");
    TCase *tcase = tcase_create("slots");
    tcase_set_timeout(tcase, 30);
    tcase_add_test(tcase, claims_free_slots_and_its_own_again);
    tcase_add_test(tcase, a_full_table_takes_only_an_ended_process_slot);
    tcase_add_test(tcase, what_is_published_is_read_whole_and_only_for_its_pid);
    tcase_add_test(tcase, a_reader_beside_the_writer_never_sees_a_torn_sample);
    suite_add_tcase(suite, tcase);
    return suite;
}
