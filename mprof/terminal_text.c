/*
 * terminal_text.c — escaping for the terminal (contract in terminal_text.h).
 *
 * Invariant: the text is walked one UTF-8 sequence at a time, so a byte is either part
 * of a whole valid character that is written as it is, or written as "\xHH": nothing
 * that reaches the terminal can start a control sequence.
 */
#include "terminal_text.h"

#include <string.h>

#include "utf8.h"

/* How many bytes at `text` are one character written as it is, or 0 when the byte
 * there is written as "\xHH". */
static size_t terminal_text_plain_length(const unsigned char *text)
{
    if ((*text < 0x20 && *text != '\t') || *text == 0x7f)
        return 0;
    size_t length = utf8_sequence_length(text);
    if (length == 2 && text[0] == 0xc2 && text[1] < 0xa0)
        return 0;  /* U+0080..U+009F: the C1 controls */
    return length;
}

int terminal_text_put(FILE *out, const char *text)
{
    const unsigned char *cursor = (const unsigned char *)text;
    while (*cursor != '\0') {
        size_t length = terminal_text_plain_length(cursor);
        if (length == 0) {
            if (fprintf(out, "\\x%02x", *cursor) < 0)
                return -1;
            cursor++;
            continue;
        }
        if (fwrite(cursor, 1, length, out) != length)
            return -1;
        cursor += length;
    }
    return 0;
}

const char *terminal_text_format(char *shown, size_t shown_size, const char *text)
{
    static const char hex[] = "0123456789abcdef";
    static const char more[] = "...";
    const unsigned char *cursor = (const unsigned char *)text;
    size_t used = 0;
    size_t cut = 0;  /* the last piece boundary that leaves room for "..." */
    shown[0] = '\0';
    while (*cursor != '\0') {
        if (used + sizeof more <= shown_size)
            cut = used;
        size_t length = terminal_text_plain_length(cursor);
        size_t needed = length == 0 ? 4 : length;
        if (used + needed + 1 > shown_size) {
            if (cut + sizeof more <= shown_size)
                memcpy(shown + cut, more, sizeof more);
            else
                shown[cut] = '\0';
            return shown;
        }
        if (length == 0) {
            shown[used++] = '\\';
            shown[used++] = 'x';
            shown[used++] = hex[*cursor >> 4];
            shown[used++] = hex[*cursor & 0xf];
            cursor++;
        } else {
            memcpy(shown + used, cursor, length);
            used += length;
            cursor += length;
        }
        shown[used] = '\0';
    }
    return shown;
}
