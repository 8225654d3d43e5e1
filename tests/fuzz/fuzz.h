/* fuzz.h: the entry point every fuzz target defines (libFuzzer's), and
 * the checks the targets share. */
#ifndef CHAFF_FUZZ_H
#define CHAFF_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 if s[0..n) is strict UTF-8: no overlong forms, surrogates or code
 * points past U+10FFFF (written apart from utf8proc, which chaff uses, so
 * that the two check each other). */
static inline int fuzz_valid_utf8(const char *s, size_t n)
{
    static const unsigned min_cp[4] = {0, 0x80, 0x800, 0x10000};
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t k; /* continuation bytes */
        if (c < 0x80)
            k = 0;
        else if ((c & 0xE0) == 0xC0)
            k = 1;
        else if ((c & 0xF0) == 0xE0)
            k = 2;
        else if ((c & 0xF8) == 0xF0)
            k = 3;
        else
            return 0;
        if (n - i <= k)
            return 0;
        unsigned cp = k ? c & (0x3Fu >> k) : c;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i + j] & 0x3Fu);
        }
        if (cp < min_cp[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += k + 1;
    }
    return 1;
}

#endif
