/*
 * test_writer.c — preload/wire/writer.c: records go into the very pipe the CLI named or
 * nowhere.
 *
 * The file is included whole; Check's fork mode gives each test a fresh copy of its
 * static state.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

Suite *test_suite(void)
{
    Suite *suite = suite_create("writer");
    TCase *tcase = tcase_create("pipe");
    tcase_add_test(tcase, only_the_named_pipe_is_adopted);
    tcase_add_test(tcase, a_reused_number_is_never_written);
    suite_add_tcase(suite, tcase);
    return suite;
}
