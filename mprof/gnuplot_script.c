/*
 * gnuplot_script.c — quoting text for gnuplot and growing a script (contracts in
 * gnuplot.h and gnuplot_script.h).
 *
 * Invariant: a literal we write is closed where gnuplot's scanner closes it, on the line
 * it opens on, so nothing inside can be read as code. Inside a single-quoted literal
 * gnuplot takes a backquote and '@' as themselves (neither command substitution nor a
 * macro is expanded there), so they are kept: a title shows what the user wrote.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnuplot.h"
#include "gnuplot_script.h"
#include "utf8.h"

/* Why a quote is not always doubled: gnuplot's scanner (scanner.c) reads '' as an
 * escaped quote only when it looks ahead from a plain character. Right after the opening
 * quote, or right after another escaped quote, '' would end the literal and let the rest
 * of the text be read as code. There a quote is written as U+2019 instead. */
#define GNUPLOT_RIGHT_QUOTE "\xe2\x80\x99"   /* ' where '' cannot be used */

size_t gnuplot_quote(const char *text, char *quoted, size_t quoted_size)
{
    static const char ellipsis[] = "...";
    if (quoted_size < 8) {  /* no room for text: the empty string, or nothing */
        if (quoted_size >= 3) {
            memcpy(quoted, "''", 3);
            return 2;
        }
        if (quoted_size > 0)
            quoted[0] = '\0';
        return 0;
    }
    /* Room kept for the opening and closing quotes, a possible "..." and the NUL. */
    size_t content_max = quoted_size - (2 + (sizeof ellipsis - 1) + 1);
    if (content_max > GNUPLOT_STRING_MAX)
        content_max = GNUPLOT_STRING_MAX;
    size_t used = 0;
    bool after_plain = false;  /* the last content byte can carry a doubled quote */
    const unsigned char *cursor = (const unsigned char *)(text != NULL ? text : "");
    quoted[used++] = '\'';
    while (*cursor != '\0') {
        const char *piece;
        size_t piece_length, consumed = 1;
        bool plain = true;
        size_t character_length = utf8_sequence_length(cursor);
        if (character_length == 0) {         /* invalid UTF-8: one byte becomes '?' */
            piece = "?";
        } else if (*cursor == '\'' && after_plain) {
            piece = "''";
            plain = false;
        } else if (*cursor == '\'') {
            piece = GNUPLOT_RIGHT_QUOTE;
        } else if (*cursor < 0x20 || *cursor == 0x7f ||
                   (cursor[0] == 0xc2 && cursor[1] >= 0x80 && cursor[1] <= 0x9f)) {
            /* No newline can end the command; and no C0 or C1 control (U+0080-U+009F:
             * CSI among them) reaches the terminal a text plot is drawn on. */
            piece = " ";
            consumed = character_length;
        } else {
            piece = (const char *)cursor;
            consumed = character_length;
        }
        piece_length = piece == (const char *)cursor ? consumed : strlen(piece);
        if (used - 1 + piece_length > content_max) {
            memcpy(quoted + used, ellipsis, sizeof ellipsis - 1);
            used += sizeof ellipsis - 1;
            break;
        }
        memcpy(quoted + used, piece, piece_length);
        used += piece_length;
        after_plain = plain;
        cursor += consumed;
    }
    quoted[used++] = '\'';
    quoted[used] = '\0';
    return used;
}

/* Room for the first lines, taken before anything is formatted: vsnprintf is then
 * always given a real buffer, never NULL plus an offset. */
#define GNUPLOT_SCRIPT_FIRST_CAPACITY 4096

void gnuplot_script_append(struct gnuplot_script *script, const char *format, ...)
{
    if (script->failed)
        return;
    if (script->text == NULL) {
        script->text = malloc(GNUPLOT_SCRIPT_FIRST_CAPACITY);
        if (script->text == NULL) {
            script->failed = true;
            return;
        }
        script->text[0] = '\0';
        script->length = 0;
        script->capacity = GNUPLOT_SCRIPT_FIRST_CAPACITY;
    }
    for (;;) {
        va_list args;
        va_start(args, format);
        int needed = vsnprintf(script->text + script->length, script->capacity - script->length,
                               format, args);
        va_end(args);
        if (needed < 0) {
            script->failed = true;
            return;
        }
        if ((size_t)needed < script->capacity - script->length) {
            script->length += (size_t)needed;
            return;
        }
        size_t capacity = script->capacity * 2 + (size_t)needed + 1;
        char *grown = realloc(script->text, capacity);
        if (grown == NULL) {
            script->failed = true;
            return;
        }
        script->text = grown;
        script->capacity = capacity;
    }
}

void gnuplot_script_append_string(struct gnuplot_script *script, const char *text)
{
    char quoted[GNUPLOT_STRING_MAX + 8];
    gnuplot_quote(text, quoted, sizeof quoted);
    gnuplot_script_append(script, "%s", quoted);
}
