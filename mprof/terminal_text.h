/*
 * terminal_text.h — text that came from a .dat or from the pipe, made safe to show on a
 * terminal. Such text is anyone's: a source line, a function or file name, a notice can
 * hold an escape sequence that sets the window title or writes the clipboard (OSC 52),
 * so everything a command prints of it goes through here.
 *
 * What is escaped, each byte as "\xHH" (lower-case hex): the C0 control bytes but tab
 * (source text keeps its indentation), DEL, the C1 controls U+0080..U+009F (a terminal
 * may take U+009B as CSI), and every byte that is not part of valid UTF-8 (utf8.h).
 * Everything else, the backslash included, is written as it is, so a table reads as
 * memory_profiler prints it.
 */
#ifndef MPROF_TERMINAL_TEXT_H
#define MPROF_TERMINAL_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* Write `text` to `out`, escaped as above. 0, or -1 when writing failed (errno from
 * stdio). */
int terminal_text_put(FILE *out, const char *text);

/* `text` escaped as above into `shown` (shown_size > 0; always NUL-terminated). When it
 * does not fit it ends in "..." after the last whole character or escape that does.
 * Returns `shown`, for a printf argument. */
const char *terminal_text_format(char *shown, size_t shown_size, const char *text);

#endif
