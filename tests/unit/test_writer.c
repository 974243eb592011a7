/*
 * test_writer.c — preload/wire/writer.c: records go into the very pipe the CLI named or
 * nowhere, and a full pipe holds the caller a bounded time, what it drops counted in the
 * shared page.
 *
 * The file is included whole, so its static state (the stall) can be seen; Check's fork
 * mode gives each test a fresh copy of it.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../preload/wire/writer.c"
#include "check_main.h"

struct identity {
    uint64_t device, inode;
};

static struct identity identity_of(int fd)
{
    struct stat info;
    ck_assert_int_eq(fstat(fd, &info), 0);
    return (struct identity){ (uint64_t)info.st_dev, (uint64_t)info.st_ino };
}

static struct mprof_counters *counters_page(int *fd)
{
    *fd = memfd_create("test-counters", MFD_CLOEXEC);
    ck_assert_int_ge(*fd, 0);
    ck_assert_int_eq(ftruncate(*fd, sizeof(struct mprof_counters)), 0);
    struct mprof_counters *page = mmap(NULL, sizeof(*page), PROT_READ | PROT_WRITE,
                                       MAP_SHARED, *fd, 0);
    ck_assert_ptr_ne(page, MAP_FAILED);
    page->magic = MPROF_COUNTERS_MAGIC;
    page->version = MPROF_PROTOCOL_VERSION;
    return page;
}

static double now_s(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

START_TEST(only_the_named_pipe_is_adopted)
{
    int ours[2], theirs[2];
    ck_assert_int_eq(pipe(ours), 0);
    ck_assert_int_eq(pipe(theirs), 0);
    struct identity id = identity_of(ours[1]);
    /* Another pipe, a pipe's other identity, a regular file, no descriptor: refused. */
    ck_assert_int_eq(writer_open(theirs[1], id.device, id.inode), -1);
    ck_assert_int_eq(writer_open(ours[1], id.device, id.inode + 1), -1);
    ck_assert_int_eq(writer_open(-1, id.device, id.inode), -1);
    int file = memfd_create("test-file", MFD_CLOEXEC);
    struct identity file_id = identity_of(file);
    ck_assert_int_eq(writer_open(file, file_id.device, file_id.inode), -1);
    ck_assert(!writer_is_open());
    ck_assert_int_eq(writer_open(ours[1], id.device, id.inode), 0);
    ck_assert(writer_is_open());
    ck_assert_int_ne(fcntl(ours[1], F_GETFL) & O_NONBLOCK, 0);
    ck_assert_int_eq(writer_send("ab", 2), 0);
    char got[4];
    ck_assert_int_eq(read(ours[0], got, sizeof(got)), 2);
}
END_TEST

START_TEST(a_reused_number_is_never_written)
{
    int ours[2], theirs[2];
    ck_assert_int_eq(pipe(ours), 0);
    ck_assert_int_eq(pipe(theirs), 0);
    struct identity id = identity_of(ours[1]);
    ck_assert_int_eq(writer_open(ours[1], id.device, id.inode), 0);
    /* The program closes ours and puts its own pipe at the number. */
    ck_assert_int_eq(dup2(theirs[1], ours[1]), ours[1]);
    ck_assert_int_eq(writer_send("ab", 2), -1);
    ck_assert(!writer_is_open());
    ck_assert_int_eq(fcntl(theirs[0], F_SETFL, O_NONBLOCK), 0);
    char got[4];
    ck_assert_int_eq(read(theirs[0], got, sizeof(got)), -1);
    ck_assert_int_eq(errno, EAGAIN);
}
END_TEST

START_TEST(a_full_pipe_holds_a_bounded_time_and_counts)
{
    int ours[2], page_fd;
    ck_assert_int_eq(pipe(ours), 0);
    struct mprof_counters *page = counters_page(&page_fd);
    struct identity id = identity_of(ours[1]), page_id = identity_of(page_fd);
    ck_assert_int_eq(writer_open(ours[1], id.device, id.inode), 0);
    ck_assert_int_eq(writer_counters_open(page_fd, page_id.device, page_id.inode), 0);
    static const char record[56] = "a sample's worth of bytes";
    while (write(ours[1], record, sizeof(record)) == (ssize_t)sizeof(record))
        ;
    ck_assert_int_eq(errno, EAGAIN);
    /* The first record waits for room, up to the stall's limit, then is dropped. */
    double start = now_s();
    ck_assert_int_eq(writer_send(record, sizeof(record)), -1);
    ck_assert_int_eq(errno, EAGAIN);
    double waited = now_s() - start;
    ck_assert_msg(waited >= 0.99 && waited < 1.5, "waited %.3f s", waited);
    /* Then none waits until a write goes through; the writer stays open for it. */
    start = now_s();
    ck_assert_int_eq(writer_send(record, 16), -1);
    ck_assert_msg(now_s() - start < 0.1, "waited %.3f s while stalled", now_s() - start);
    ck_assert(writer_is_open());
    ck_assert_uint_eq(page->dropped_records, 2);
    ck_assert_uint_eq(page->dropped_bytes, 56 + 16);
    /* The reader comes back: the next record goes through, and the stall is over. */
    char drain[65536];
    ck_assert_int_gt(read(ours[0], drain, sizeof(drain)), 0);
    ck_assert_int_eq(writer_send(record, sizeof(record)), 0);
    ck_assert_int_eq(__atomic_load_n(&writer_stalled, __ATOMIC_RELAXED), 0);
    ck_assert_uint_eq(page->dropped_records, 2);
}
END_TEST

START_TEST(waits_add_up_to_the_budget)
{
    int ours[2];
    ck_assert_int_eq(pipe(ours), 0);
    struct identity id = identity_of(ours[1]);
    ck_assert_int_eq(writer_open(ours[1], id.device, id.inode), 0);
    static const char record[56] = "x";
    while (write(ours[1], record, sizeof(record)) == (ssize_t)sizeof(record))
        ;
    /* Stall twice, a write going through in between: the second wait is cut to what
     * the budget has left, and after it none waits at all. */
    ck_assert_int_eq(writer_send(record, sizeof(record)), -1);
    __atomic_store_n(&writer_stalled, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&writer_waited_ms, WRITER_WAIT_BUDGET_MS - 200, __ATOMIC_RELAXED);
    double start = now_s();
    ck_assert_int_eq(writer_send(record, sizeof(record)), -1);
    double waited = now_s() - start;
    ck_assert_msg(waited >= 0.19 && waited < 0.6, "waited %.3f s", waited);
    __atomic_store_n(&writer_stalled, 0, __ATOMIC_RELAXED);
    start = now_s();
    ck_assert_int_eq(writer_send(record, sizeof(record)), -1);
    ck_assert_msg(now_s() - start < 0.1, "waited %.3f s past the budget", now_s() - start);
}
END_TEST

START_TEST(counters_only_from_the_named_page)
{
    int page_fd;
    struct mprof_counters *page = counters_page(&page_fd);
    struct identity page_id = identity_of(page_fd);
    ck_assert_int_eq(writer_counters_open(page_fd, page_id.device, page_id.inode + 1), -1);
    page->magic = 0;
    ck_assert_int_eq(writer_counters_open(page_fd, page_id.device, page_id.inode), -1);
    page->magic = MPROF_COUNTERS_MAGIC;
    page->version = MPROF_PROTOCOL_VERSION - 1;
    ck_assert_int_eq(writer_counters_open(page_fd, page_id.device, page_id.inode), -1);
    ck_assert_ptr_null(writer_counters);
    page->version = MPROF_PROTOCOL_VERSION;
    /* More slots than the page holds: refused, as another layout. */
    page->slot_count = MPROF_HEAP_SLOT_COUNT + 1;
    ck_assert_int_eq(writer_counters_open(page_fd, page_id.device, page_id.inode), -1);
    page->slot_count = MPROF_HEAP_SLOT_COUNT;
    ck_assert_int_eq(writer_counters_open(page_fd, page_id.device, page_id.inode), 0);
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("writer");
    TCase *tcase = tcase_create("pipe");
    tcase_set_timeout(tcase, 20);
    tcase_add_test(tcase, only_the_named_pipe_is_adopted);
    tcase_add_test(tcase, a_reused_number_is_never_written);
    tcase_add_test(tcase, a_full_pipe_holds_a_bounded_time_and_counts);
    tcase_add_test(tcase, waits_add_up_to_the_budget);
    tcase_add_test(tcase, counters_only_from_the_named_page);
    suite_add_tcase(suite, tcase);
    return suite;
}
