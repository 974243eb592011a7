/*
 * test_backend.c — mprof/backend.c: memory_profiler's backend names, each to its own
 * figure and label, and nothing else taken for one.
 */
#include <check.h>

#include "backend.h"
#include "check_main.h"

START_TEST(every_name_round_trips)
{
    static const char *const names[] = { "psutil", "psutil_pss", "psutil_uss", "posix",
                                         "tracemalloc" };
    static const char *const labels[] = { "RSS", "PSS", "USS", "RSS", "heap" };
    for (int i = 0; i < 5; i++) {
        /* A value no name gives: a parse that set nothing cannot pass for any. */
        enum backend backend = (enum backend)-1;
        ck_assert_int_eq(backend_parse(names[i], &backend), 0);
        ck_assert_int_eq(backend, (enum backend)i);
        ck_assert_str_eq(backend_name(backend), names[i]);
        ck_assert_str_eq(backend_label(backend), labels[i]);
    }
}
END_TEST

START_TEST(only_the_resident_set_is_rss)
{
    ck_assert(backend_is_rss(BACKEND_PSUTIL));
    ck_assert(backend_is_rss(BACKEND_POSIX));
    ck_assert(!backend_is_rss(BACKEND_PSUTIL_PSS));
    ck_assert(!backend_is_rss(BACKEND_PSUTIL_USS));
    ck_assert(!backend_is_rss(BACKEND_TRACEMALLOC));
}
END_TEST

START_TEST(other_names_are_refused)
{
    static const char *const refused[] = { "", "rss", "PSUTIL", "psutil_", "psutil_pss ",
                                           "mprof" };
    for (int i = 0; i < 6; i++) {
        enum backend backend = BACKEND_POSIX;
        ck_assert_int_eq(backend_parse(refused[i], &backend), -1);
        ck_assert_int_eq(backend, BACKEND_POSIX); /* untouched */
    }
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("backend");
    TCase *tcase = tcase_create("names");
    tcase_add_test(tcase, every_name_round_trips);
    tcase_add_test(tcase, only_the_resident_set_is_rss);
    tcase_add_test(tcase, other_names_are_refused);
    suite_add_tcase(suite, tcase);
    return suite;
}
