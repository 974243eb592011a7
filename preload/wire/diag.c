/*
 * diag.c — the library's one way to say something. Formats into a stack buffer and
 * writes with write(2): no stdio, no malloc, so it is safe wherever a hook can be.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mprof/protocol.h"
#include "wire.h"

static size_t format_message(char *text, size_t text_size, const char *format, va_list args)
{
    int length = vsnprintf(text, text_size, format, args);
    if (length < 0)
        return 0;
    return (size_t)length < text_size ? (size_t)length : text_size - 1;
}

static void write_stderr(const char *text, size_t length)
{
    char line[MPROF_NOTICE_TEXT_MAX + 16];
    memcpy(line, "mprof: ", 7);
    memcpy(line + 7, text, length);
    line[7 + length] = '\n';
    ssize_t ignored = write(STDERR_FILENO, line, 8 + length);
    (void)ignored;
}

void diag(const char *format, ...)
{
    char text[MPROF_NOTICE_TEXT_MAX];
    va_list args;
    va_start(args, format);
    size_t length = format_message(text, sizeof(text), format, args);
    va_end(args);
    write_stderr(text, length);
}

void diag_notice(const char *format, ...)
{
    struct mprof_notice notice;
    va_list args;
    va_start(args, format);
    size_t length = format_message(notice.text, sizeof(notice.text), format, args);
    va_end(args);
    uint32_t size = (uint32_t)(sizeof(notice.header) + length + 1);
    mprof_record_header_init(&notice.header, MPROF_RECORD_NOTICE, size, (int32_t)getpid());
    if (writer_send(&notice, size) != 0)
        write_stderr(notice.text, length);
}
