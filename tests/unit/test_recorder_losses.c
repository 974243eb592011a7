/*
 * test_recorder_losses.c — mprof/recorder_losses.c: a main process whose latest image
 * said HELLO and no BYE, and records the libraries dropped, become exact MPROF lines and
 * the summary's exact words; a BYE, a signal or a drop that explains the silence do not.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "mprof/protocol.h"
#include "recorder.h"

#define MAIN_PID 1000
#define T0_NS    1700000000000000000ull /* 1700000000.0000 s */
#define MS_NS    1000000ull

struct run {
    struct recorder recorder;
    FILE *out;
    char *out_text;
    size_t out_size;
};

static void run_open(struct run *run)
{
    memset(run, 0, sizeof(*run));
    run->out = open_memstream(&run->out_text, &run->out_size);
    ck_assert_ptr_nonnull(run->out);
    recorder_init(&run->recorder, run->out, NULL, MAIN_PID, RECORDER_CHILDREN_IGNORE, true,
                  100 * MS_NS);
}

static void feed(struct run *run, const void *record, size_t size)
{
    ck_assert_int_eq(recorder_feed(&run->recorder, record, size), 0);
}

static void feed_hello(struct run *run, uint64_t time_ms)
{
    struct mprof_hello hello;
    memset(&hello, 0, sizeof(hello));
    mprof_record_header_init(&hello.header, MPROF_RECORD_HELLO, sizeof(hello), MAIN_PID);
    hello.interval_ns = 100 * MS_NS;
    hello.start_time_ns = T0_NS + time_ms * MS_NS;
    feed(run, &hello, sizeof(hello));
}

static void feed_sample(struct run *run, uint64_t time_ms, int64_t heap_bytes)
{
    struct mprof_sample sample;
    memset(&sample, 0, sizeof(sample));
    mprof_record_header_init(&sample.header, MPROF_RECORD_SAMPLE, sizeof(sample), MAIN_PID);
    sample.time_ns = T0_NS + time_ms * MS_NS;
    sample.heap_live_bytes = heap_bytes;
    feed(run, &sample, sizeof(sample));
}

static void feed_bye(struct run *run)
{
    struct mprof_record_header bye;
    mprof_record_header_init(&bye, MPROF_RECORD_BYE, sizeof(bye), MAIN_PID);
    feed(run, &bye, sizeof(bye));
}

/* Finish, and compare the MPROF lines after the peaks with `expected_tail` and the
 * summary's words with `expected_text`. */
static void run_close(struct run *run, const char *expected_tail, const char *expected_text)
{
    char text[512];
    recorder_losses_text(&run->recorder, text, sizeof(text));
    ck_assert_str_eq(text, expected_text);
    ck_assert_int_eq(recorder_finish(&run->recorder, 0), 0);
    recorder_free(&run->recorder);
    ck_assert_int_eq(fclose(run->out), 0);
    const char *after = strstr(run->out_text, "MPROF heap_peak_bytes ");
    ck_assert_ptr_nonnull(after);
    after = strchr(after, '\n') + 1;
    const char *end = strstr(after, "MPROF end ");
    ck_assert_ptr_nonnull(end);
    ck_assert_int_eq((int)(end - after), (int)strlen(expected_tail));
    ck_assert_int_eq(strncmp(after, expected_tail, strlen(expected_tail)), 0);
    free(run->out_text);
}

static const char lost_text_250[] =
    "; heap known for the first 0.25 s only: the program went on without mprof's library "
    "or its pipe (closed descriptors, a cleared environment, an LD_PRELOAD of its own)";

START_TEST(hello_without_bye_is_a_loss)
{
    struct run run;
    run_open(&run);
    feed_hello(&run, 0);
    feed_sample(&run, 100, 4096);
    feed_bye(&run);                /* an image that ended: not the latest */
    feed_hello(&run, 200);         /* exec'd: the latest image */
    feed_sample(&run, 250, 8192);  /* then it closed our pipe */
    recorder_set_losses(&run.recorder, true, 0, 0);
    ck_assert(run.recorder.heap_lost);
    run_close(&run, "MPROF heap_lost 1700000000.2500\n", lost_text_250);
}
END_TEST

START_TEST(hello_and_no_sample_is_lost_from_the_first_hello)
{
    struct run run;
    run_open(&run);
    feed_hello(&run, 0);
    feed_hello(&run, 40);          /* env, exec'd by bash, then env -i python3 */
    recorder_set_losses(&run.recorder, true, 0, 0);
    ck_assert_int_eq(recorder_losses_write(&run.recorder), 0);
    char text[512];
    recorder_losses_text(&run.recorder, text, sizeof(text));
    ck_assert_str_eq(text, "; heap known for the first 0.00 s only: the program went on "
                           "without mprof's library or its pipe (closed descriptors, a "
                           "cleared environment, an LD_PRELOAD of its own)");
    recorder_free(&run.recorder);
    ck_assert_int_eq(fclose(run.out), 0);
    ck_assert_str_eq(run.out_text, "MPROF heap_lost 1700000000.0000\n");
    free(run.out_text);
}
END_TEST

START_TEST(bye_signal_or_drop_is_no_loss)
{
    for (int variant = 0; variant < 4; variant++) {
        struct run run;
        run_open(&run);
        feed_hello(&run, 0);
        feed_sample(&run, 100, 4096);
        if (variant == 0)
            feed_bye(&run);
        if (variant == 1)
            recorder_set_signal(&run.recorder, 9);
        /* variant 2: mprof run lost track of the program: nothing is known of its end */
        recorder_set_losses(&run.recorder, variant != 2, variant == 3 ? 2 : 0,
                            variant == 3 ? 72 : 0);
        ck_assert_msg(!run.recorder.heap_lost, "variant %d", variant);
        if (variant == 3) {
            run_close(&run, "MPROF dropped_records 2\nMPROF dropped_bytes 72\n",
                      "; 2 records (72 B) dropped: mprof run did not read them in time "
                      "(stopped or too slow)");
        } else if (variant == 1) {
            char text[512];
            recorder_losses_text(&run.recorder, text, sizeof(text));
            ck_assert_str_eq(text, "");
            recorder_free(&run.recorder);
            fclose(run.out);
            free(run.out_text);
        } else {
            run_close(&run, "", "");
        }
    }
}
END_TEST

START_TEST(no_hello_is_said_elsewhere)
{
    /* A library that never reported (a static binary) is mprof run's own message. */
    struct run run;
    run_open(&run);
    recorder_set_losses(&run.recorder, true, 0, 0);
    ck_assert(!run.recorder.heap_lost);
    ck_assert_int_eq(recorder_losses_write(&run.recorder), 0);
    recorder_free(&run.recorder);
    ck_assert_int_eq(fclose(run.out), 0);
    ck_assert_str_eq(run.out_text, "");
    free(run.out_text);
}
END_TEST

START_TEST(summary_words_are_cut_not_overrun)
{
    struct run run;
    run_open(&run);
    feed_hello(&run, 0);
    recorder_set_losses(&run.recorder, true, 0, 0);
    char text[16];
    memset(text, 'x', sizeof(text));
    recorder_losses_text(&run.recorder, text, 12);
    ck_assert_str_eq(text, "; heap know");
    ck_assert_int_eq(text[12], 'x');
    recorder_free(&run.recorder);
    fclose(run.out);
    free(run.out_text);
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("recorder_losses");
    TCase *tcase = tcase_create("losses");
    tcase_add_test(tcase, hello_without_bye_is_a_loss);
    tcase_add_test(tcase, hello_and_no_sample_is_lost_from_the_first_hello);
    tcase_add_test(tcase, bye_signal_or_drop_is_no_loss);
    tcase_add_test(tcase, no_hello_is_said_elsewhere);
    tcase_add_test(tcase, summary_words_are_cut_not_overrun);
    suite_add_tcase(suite, tcase);
    return suite;
}
