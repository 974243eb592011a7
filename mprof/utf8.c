/*
 * utf8.c — strict UTF-8 sequence lengths (see utf8.h). The second byte's range carries
 * the rules that are not about continuation bytes: E0 needs A0..BF (no overlong form),
 * ED needs 80..9F (no surrogate), F0 needs 90..BF (no overlong), F4 needs 80..8F (not
 * above U+10FFFF).
 */
#include "utf8.h"

size_t utf8_sequence_length(const unsigned char *text)
{
    unsigned char lead = text[0];
    size_t length;
    unsigned char low = 0x80, high = 0xbf;  /* the range of the second byte */
    if (lead < 0x80)
        return 1;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        if (lead == 0xe0)
            low = 0xa0;
        else if (lead == 0xed)
            high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        if (lead == 0xf0)
            low = 0x90;
        else if (lead == 0xf4)
            high = 0x8f;
    } else {
        return 0;
    }
    if (text[1] < low || text[1] > high)
        return 0;
    for (size_t i = 2; i < length; i++)
        if (text[i] < 0x80 || text[i] > 0xbf)
            return 0;
    return length;
}
