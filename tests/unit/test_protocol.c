/*
 * test_protocol.c — framing of the wire records (include/mprof/protocol.h): whole
 * valid records frame to their size, partial ones ask for more bytes (0), and anything
 * that cannot be a record is refused (-1) rather than guessed at.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "mprof/protocol.h"

static struct mprof_sample make_sample(void)
{
    struct mprof_sample sample;
    memset(&sample, 0, sizeof(sample));
    mprof_record_header_init(&sample.header, MPROF_RECORD_SAMPLE, sizeof(sample), 4242);
    sample.time_ns = 1700000000123456789ull;
    sample.rss_bytes = 10u << 20;
    sample.heap_live_bytes = 5000000;
    return sample;
}

/* A NOTICE of exactly header + text + NUL bytes. Returns its size. */
static size_t make_notice(struct mprof_notice *notice, const char *text)
{
    memset(notice, 0, sizeof(*notice));
    size_t size = sizeof(notice->header) + strlen(text) + 1;
    mprof_record_header_init(&notice->header, MPROF_RECORD_NOTICE, (uint32_t)size, 4242);
    memcpy(notice->text, text, strlen(text) + 1);
    return size;
}

START_TEST(layout_is_little_endian_and_fixed)
{
    struct mprof_sample sample = make_sample();
    const unsigned char *bytes = (const unsigned char *)&sample;
    /* "MRPF" on the wire, then version 4, type 2, size 56, pid 4242 (0x1092). */
    ck_assert_mem_eq(bytes, "MRPF", 4);
    ck_assert_uint_eq(bytes[4], 4);
    ck_assert_uint_eq(bytes[5], 0);
    ck_assert_uint_eq(bytes[6], 2);
    ck_assert_uint_eq(bytes[8], 56);
    ck_assert_uint_eq(bytes[12], 0x92);
    ck_assert_uint_eq(bytes[13], 0x10);
    /* The counters page: its header, then the heap slots, where mprof attach reads them. */
    ck_assert_uint_eq(offsetof(struct mprof_counters, slots), 32);
    ck_assert_uint_eq(offsetof(struct mprof_heap_slot, sequence), 4);
    ck_assert_uint_eq(offsetof(struct mprof_heap_slot, sample_time_ns), 8);
    ck_assert_uint_eq(offsetof(struct mprof_heap_slot, heap_live_bytes), 16);
    ck_assert_uint_eq(offsetof(struct mprof_heap_slot, heap_peak_bytes), 24);
}
END_TEST

START_TEST(valid_records_frame_to_their_size)
{
    struct mprof_sample sample = make_sample();
    ck_assert_int_eq(mprof_record_frame(&sample, sizeof(sample)), 56);

    struct mprof_hello hello;
    memset(&hello, 0, sizeof(hello));
    mprof_record_header_init(&hello.header, MPROF_RECORD_HELLO, sizeof(hello), 1);
    hello.flags = MPROF_HELLO_HEAP_COUNTED | MPROF_HELLO_PYTHON;
    ck_assert_int_eq(mprof_record_frame(&hello, sizeof(hello)), 40);

    struct mprof_record_header bye;
    mprof_record_header_init(&bye, MPROF_RECORD_BYE, sizeof(bye), 1);
    ck_assert_int_eq(mprof_record_frame(&bye, sizeof(bye)), 16);

    struct mprof_notice notice;
    size_t size = make_notice(&notice, "hello there");
    ck_assert_uint_eq(size, 16 + 12);
    ck_assert_int_eq(mprof_record_frame(&notice, size), 28);

    /* The shortest NOTICE: an empty text, just the NUL. */
    size = make_notice(&notice, "");
    ck_assert_int_eq(mprof_record_frame(&notice, size), 17);
}
END_TEST

START_TEST(frames_only_the_first_of_several)
{
    unsigned char stream[56 + 16];
    struct mprof_sample sample = make_sample();
    struct mprof_record_header bye;
    mprof_record_header_init(&bye, MPROF_RECORD_BYE, sizeof(bye), 4242);
    memcpy(stream, &sample, 56);
    memcpy(stream + 56, &bye, 16);
    ck_assert_int_eq(mprof_record_frame(stream, sizeof(stream)), 56);
    ck_assert_int_eq(mprof_record_frame(stream + 56, 16), 16);
}
END_TEST

START_TEST(partial_records_need_more)
{
    struct mprof_sample sample = make_sample();
    for (size_t available = 0; available < sizeof(sample); available++)
        ck_assert_int_eq(mprof_record_frame(&sample, available), 0);

    struct mprof_notice notice;
    size_t size = make_notice(&notice, "partial notice");
    for (size_t available = 0; available < size; available++)
        ck_assert_int_eq(mprof_record_frame(&notice, available), 0);
    ck_assert_int_eq(mprof_record_frame(&notice, size), (long)size);
}
END_TEST

START_TEST(bad_magic_is_refused)
{
    struct mprof_sample sample = make_sample();
    sample.header.magic ^= 1;
    ck_assert_int_eq(mprof_record_frame(&sample, sizeof(sample)), -1);
    /* Refused as soon as the header is there, without waiting for the rest. */
    ck_assert_int_eq(mprof_record_frame(&sample, 16), -1);
}
END_TEST

START_TEST(bad_version_is_refused)
{
    struct mprof_sample sample = make_sample();
    sample.header.version = MPROF_PROTOCOL_VERSION + 1;
    ck_assert_int_eq(mprof_record_frame(&sample, sizeof(sample)), -1);
    sample.header.version = 0;
    ck_assert_int_eq(mprof_record_frame(&sample, sizeof(sample)), -1);
}
END_TEST

START_TEST(bad_type_is_refused)
{
    struct mprof_sample sample = make_sample();
    sample.header.type = 0;
    ck_assert_int_eq(mprof_record_frame(&sample, sizeof(sample)), -1);
    sample.header.type = 9; /* the first unused type */
    ck_assert_int_eq(mprof_record_frame(&sample, sizeof(sample)), -1);
    sample.header.type = 0xffff;
    ck_assert_int_eq(mprof_record_frame(&sample, sizeof(sample)), -1);
}
END_TEST

START_TEST(bad_size_is_refused)
{
    struct mprof_sample sample = make_sample();
    sample.header.size = 55;
    ck_assert_int_eq(mprof_record_frame(&sample, sizeof(sample)), -1);
    sample.header.size = 57;
    ck_assert_int_eq(mprof_record_frame(&sample, sizeof(sample)), -1);
    sample.header.size = 0;
    ck_assert_int_eq(mprof_record_frame(&sample, sizeof(sample)), -1);
    sample.header.size = 0xffffffffu;
    ck_assert_int_eq(mprof_record_frame(&sample, sizeof(sample)), -1);

    struct mprof_record_header bye;
    mprof_record_header_init(&bye, MPROF_RECORD_BYE, 17, 1);
    ck_assert_int_eq(mprof_record_frame(&bye, sizeof(bye)), -1);

    struct mprof_notice notice;
    make_notice(&notice, "x");
    notice.header.size = 16; /* no room even for the NUL */
    ck_assert_int_eq(mprof_record_frame(&notice, sizeof(notice)), -1);
    notice.header.size = sizeof(notice) + 1;
    ck_assert_int_eq(mprof_record_frame(&notice, sizeof(notice)), -1);
    notice.header.size = MPROF_RECORD_MAX + 1;
    ck_assert_int_eq(mprof_record_frame(&notice, sizeof(notice)), -1);
}
END_TEST

START_TEST(notice_without_nul_is_refused)
{
    struct mprof_notice notice;
    size_t size = make_notice(&notice, "abc");
    notice.text[3] = '!'; /* the byte the size says is the NUL */
    ck_assert_int_eq(mprof_record_frame(&notice, size), -1);

    /* The longest NOTICE with its last byte not a NUL. */
    memset(notice.text, 'a', sizeof(notice.text));
    notice.header.size = sizeof(notice);
    ck_assert_int_eq(mprof_record_frame(&notice, sizeof(notice)), -1);
    notice.text[sizeof(notice.text) - 1] = '\0';
    ck_assert_int_eq(mprof_record_frame(&notice, sizeof(notice)), (long)sizeof(notice));
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("protocol");
    TCase *cases = tcase_create("frame");
    tcase_add_test(cases, layout_is_little_endian_and_fixed);
    tcase_add_test(cases, valid_records_frame_to_their_size);
    tcase_add_test(cases, frames_only_the_first_of_several);
    tcase_add_test(cases, partial_records_need_more);
    tcase_add_test(cases, bad_magic_is_refused);
    tcase_add_test(cases, bad_version_is_refused);
    tcase_add_test(cases, bad_type_is_refused);
    tcase_add_test(cases, bad_size_is_refused);
    tcase_add_test(cases, notice_without_nul_is_refused);
    suite_add_tcase(suite, cases);
    return suite;
}
