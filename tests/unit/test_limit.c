/*
 * test_limit.c — mprof/limit.c: sizes and percentages as `mprof check` takes them,
 * exact to the byte (1.1KB is 1100, 1.5MiB 1572864), everything else refused with the
 * reason the message gives, and sizes written back for people.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "check_main.h"
#include "limit.h"

static uint64_t size_of(const char *text)
{
    uint64_t bytes = 12345;
    const char *why = NULL;
    ck_assert_msg(limit_parse_size(text, &bytes, &why) == 0, "%s: %s", text, why);
    return bytes;
}

static const char *size_refused(const char *text)
{
    uint64_t bytes = 12345;
    const char *why = NULL;
    ck_assert_msg(limit_parse_size(text, &bytes, &why) == -1, "%s was taken", text);
    ck_assert_uint_eq(bytes, 12345);  /* untouched */
    ck_assert_ptr_nonnull(why);
    return why;
}

START_TEST(sizes_in_every_unit)
{
    ck_assert_uint_eq(size_of("0"), 0);
    ck_assert_uint_eq(size_of("4096"), 4096);
    ck_assert_uint_eq(size_of("4096B"), 4096);
    ck_assert_uint_eq(size_of("1KiB"), 1024);
    ck_assert_uint_eq(size_of("300MiB"), 314572800);
    ck_assert_uint_eq(size_of("2GiB"), 2147483648ULL);
    ck_assert_uint_eq(size_of("1KB"), 1000);
    ck_assert_uint_eq(size_of("24MB"), 24000000);
    ck_assert_uint_eq(size_of("3GB"), 3000000000ULL);
    ck_assert_uint_eq(size_of("24 MB"), 24000000);     /* pytest-memray's spelling */
    ck_assert_uint_eq(size_of("5mib"), 5242880);       /* any case */
    ck_assert_uint_eq(size_of("5 b"), 5);
}
END_TEST

START_TEST(decimal_sizes_are_exact)
{
    ck_assert_uint_eq(size_of("1.5MiB"), 1572864);
    ck_assert_uint_eq(size_of("1.1KB"), 1100);
    ck_assert_uint_eq(size_of("0.001GB"), 1000000);
    ck_assert_uint_eq(size_of("2.25GiB"), 2415919104ULL);
    ck_assert_uint_eq(size_of("0.3KiB"), 307);           /* 307.2 rounds down */
    ck_assert_uint_eq(size_of("0.5"), 1);                 /* half a byte rounds up */
    ck_assert_uint_eq(size_of("1.000000001GB"), 1000000001);
    ck_assert_uint_eq(size_of("0.000000001KiB"), 0);
}
END_TEST

START_TEST(bad_sizes_are_refused)
{
    const char *not_a_size = size_refused("12XB");
    ck_assert_str_eq(not_a_size, "not a size (a number, then B, KiB, MiB, GiB, KB, MB or GB)");
    ck_assert_str_eq(size_refused(""), not_a_size);
    ck_assert_str_eq(size_refused("MiB"), not_a_size);
    ck_assert_str_eq(size_refused("1.MiB"), not_a_size);
    ck_assert_str_eq(size_refused(".5MiB"), not_a_size);
    ck_assert_str_eq(size_refused("1,5MiB"), not_a_size);
    ck_assert_str_eq(size_refused("+5MiB"), not_a_size);
    ck_assert_str_eq(size_refused(" 5MiB"), not_a_size);
    ck_assert_str_eq(size_refused("5 "), not_a_size);
    ck_assert_str_eq(size_refused("5MiBs"), not_a_size);
    ck_assert_str_eq(size_refused("5%"), not_a_size);
    ck_assert_str_eq(size_refused("5K"), not_a_size);
    ck_assert_str_eq(size_refused("0x10"), not_a_size);
    ck_assert_str_eq(size_refused("1.0000000001GB"), not_a_size);  /* ten decimals */
    ck_assert_str_eq(size_refused("-5MiB"), "a size cannot be negative");
    ck_assert_str_eq(size_refused("-0"), "a size cannot be negative");
    ck_assert_str_eq(size_refused("-x"), not_a_size);
    ck_assert_str_eq(size_refused("9223372036854775808"), "too large (at most 8 EiB)");
    ck_assert_str_eq(size_refused("8589934592GiB"), "too large (at most 8 EiB)");
    ck_assert_str_eq(size_refused("99999999999999999999999"), "too large (at most 8 EiB)");
    ck_assert_uint_eq(size_of("9223372036854775807"), 9223372036854775807ULL);
    ck_assert_uint_eq(size_of("8589934591GiB"), 9223372035781033984ULL);
}
END_TEST

START_TEST(percentages)
{
    uint64_t micropercent = 0;
    const char *why = NULL;
    ck_assert_int_eq(limit_parse_percent("5%", &micropercent, &why), 0);
    ck_assert_uint_eq(micropercent, 5000000);
    ck_assert_int_eq(limit_parse_percent("5.5%", &micropercent, &why), 0);
    ck_assert_uint_eq(micropercent, 5500000);
    ck_assert_int_eq(limit_parse_percent("0%", &micropercent, &why), 0);
    ck_assert_uint_eq(micropercent, 0);
    ck_assert_int_eq(limit_parse_percent("0.000001%", &micropercent, &why), 0);
    ck_assert_uint_eq(micropercent, 1);
    ck_assert_int_eq(limit_parse_percent("1000000%", &micropercent, &why), 0);
    ck_assert_uint_eq(micropercent, 1000000000000ULL);

    ck_assert_int_eq(limit_parse_percent("1000000.5%", &micropercent, &why), -1);
    ck_assert_str_eq(why, "too large (at most 1000000%)");
    ck_assert_int_eq(limit_parse_percent("-5%", &micropercent, &why), -1);
    ck_assert_str_eq(why, "a percentage cannot be negative");
    const char *bad[] = { "5", "%", "5%%", "5 %", "5.%", "0.0000001%", "x%", "" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(limit_parse_percent(bad[i], &micropercent, &why) == -1, "%s", bad[i]);
        ck_assert_str_eq(why, "not a percentage (a number, then %)");
    }
}
END_TEST

START_TEST(growth_is_a_percentage_or_a_size)
{
    struct limit_growth growth;
    const char *why = NULL;
    ck_assert_int_eq(limit_parse_growth("2%", &growth, &why), 0);
    ck_assert(growth.is_percent);
    ck_assert_uint_eq(growth.micropercent, 2000000);
    /* 2% of 13,983,266 is 279,665.32: the floor. */
    ck_assert_uint_eq(limit_growth_allowed_bytes(&growth, 13983266), 279665);
    ck_assert_uint_eq(limit_growth_allowed_bytes(&growth, 0), 0);
    ck_assert_int_eq(limit_parse_growth("5.5%", &growth, &why), 0);
    ck_assert_uint_eq(limit_growth_allowed_bytes(&growth, 1000), 55);
    ck_assert_uint_eq(limit_growth_allowed_bytes(&growth, 999), 54);   /* 54.945 */
    ck_assert_int_eq(limit_parse_growth("1000000%", &growth, &why), 0);
    ck_assert_uint_eq(limit_growth_allowed_bytes(&growth, LIMIT_BYTES_MAX), LIMIT_BYTES_MAX);

    ck_assert_int_eq(limit_parse_growth("2MiB", &growth, &why), 0);
    ck_assert(!growth.is_percent);
    ck_assert_uint_eq(growth.bytes, 2097152);
    ck_assert_uint_eq(limit_growth_allowed_bytes(&growth, 13983266), 2097152);

    ck_assert_int_eq(limit_parse_growth("2XB", &growth, &why), -1);
    ck_assert_str_eq(why, "not a size (a number, then B, KiB, MiB, GiB, KB, MB or GB)");
    ck_assert_int_eq(limit_parse_growth("two%", &growth, &why), -1);
    ck_assert_str_eq(why, "not a percentage (a number, then %)");
}
END_TEST

START_TEST(sizes_for_people)
{
    char text[LIMIT_TEXT_MAX];
    limit_format_bytes(text, sizeof text, 0);
    ck_assert_str_eq(text, "0 B");
    limit_format_bytes(text, sizeof text, 1023);
    ck_assert_str_eq(text, "1023 B");
    limit_format_bytes(text, sizeof text, 2048);
    ck_assert_str_eq(text, "2.0 KiB");
    limit_format_bytes(text, sizeof text, 13983266);
    ck_assert_str_eq(text, "13.3 MiB");
    limit_format_bytes(text, sizeof text, 1048575);      /* not "1024.0 KiB" */
    ck_assert_str_eq(text, "1.0 MiB");
    limit_format_bytes(text, sizeof text, 1610612736);
    ck_assert_str_eq(text, "1.5 GiB");
    limit_format_bytes(text, sizeof text, LIMIT_BYTES_MAX);
    ck_assert_str_eq(text, "8.0 EiB");
    limit_format_signed_bytes(text, sizeof text, 3000000);
    ck_assert_str_eq(text, "+2.9 MiB");
    limit_format_signed_bytes(text, sizeof text, -512);
    ck_assert_str_eq(text, "-512 B");
    limit_format_signed_bytes(text, sizeof text, 0);
    ck_assert_str_eq(text, "+0 B");
    limit_format_signed_bytes(text, sizeof text, INT64_MIN);
    ck_assert_str_eq(text, "-8.0 EiB");
    limit_format_percent(text, sizeof text, 5000000);
    ck_assert_str_eq(text, "5%");
    limit_format_percent(text, sizeof text, 5500000);
    ck_assert_str_eq(text, "5.5%");
    limit_format_percent(text, sizeof text, 1);
    ck_assert_str_eq(text, "0.000001%");
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("limit");
    TCase *tcase = tcase_create("limits");
    tcase_add_test(tcase, sizes_in_every_unit);
    tcase_add_test(tcase, decimal_sizes_are_exact);
    tcase_add_test(tcase, bad_sizes_are_refused);
    tcase_add_test(tcase, percentages);
    tcase_add_test(tcase, growth_is_a_percentage_or_a_size);
    tcase_add_test(tcase, sizes_for_people);
    suite_add_tcase(suite, tcase);
    return suite;
}
