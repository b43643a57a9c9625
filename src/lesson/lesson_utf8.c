/* lesson_utf8.c: strict UTF-8 validation and decoding, control and wide characters. */
#include "lesson_utf8.h"

/* The length of the sequence a lead byte starts (0: not a lead byte), and the smallest code
 * point of that length (to refuse overlong forms). */
static int seq_len(unsigned char c, uint32_t *min)
{
    if (c < 0x80) return *min = 0, 1;
    if (c >= 0xc2 && c <= 0xdf) return *min = 0x80, 2;
    if (c >= 0xe0 && c <= 0xef) return *min = 0x800, 3;
    if (c >= 0xf0 && c <= 0xf4) return *min = 0x10000, 4;
    return 0;
}

/* Decodes one sequence; returns its length, or 0 if it is not valid. */
static size_t decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    uint32_t min;
    int k = seq_len(s[0], &min);
    if (k == 0 || (size_t)k > n) return 0;
    uint32_t v = k == 1 ? s[0] : (uint32_t)(s[0] & (0xff >> (k + 1)));
    for (int i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
    *cp = v;
    return (size_t)k;
}

int lesson_utf8_invalid(const char *s, size_t n, size_t *at)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = decode(u + i, n - i, &cp);
        if (k == 0) {
            *at = i;
            return 1;
        }
        i += k;
    }
    return 0;
}

uint32_t lesson_utf8_decode(const char *s, size_t n, size_t *len)
{
    uint32_t cp = 0xfffd;
    size_t k = n ? decode((const unsigned char *)s, n, &cp) : 0;
    *len = k ? k : 1;
    return k ? cp : 0xfffd;
}

int lesson_utf8_is_control(uint32_t cp)
{
    return (cp < 0x20 && cp != '\t') || (cp >= 0x7f && cp <= 0x9f);
}

int lesson_utf8_is_wide(uint32_t cp)
{
    return (cp >= 0x1100 && cp <= 0x115f) ||     /* Hangul Jamo */
           (cp >= 0x2e80 && cp <= 0x303e) ||     /* CJK radicals, symbols and punctuation */
           (cp >= 0x3041 && cp <= 0x33ff) ||     /* kana, CJK compatibility */
           (cp >= 0x3400 && cp <= 0x4dbf) ||     /* CJK extension A */
           (cp >= 0x4e00 && cp <= 0x9fff) ||     /* CJK unified ideographs */
           (cp >= 0xa000 && cp <= 0xa4cf) ||     /* Yi */
           (cp >= 0xac00 && cp <= 0xd7a3) ||     /* Hangul syllables */
           (cp >= 0xf900 && cp <= 0xfaff) ||     /* CJK compatibility ideographs */
           (cp >= 0xfe30 && cp <= 0xfe4f) ||     /* CJK compatibility forms */
           (cp >= 0xff00 && cp <= 0xff60) ||     /* fullwidth forms */
           (cp >= 0xffe0 && cp <= 0xffe6) ||
           (cp >= 0x20000 && cp <= 0x3fffd);     /* CJK extensions B.. */
}

int lesson_utf8_is_cjk_punct(uint32_t cp)
{
    return (cp >= 0x3000 && cp <= 0x303f) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60);
}

/* Combining marks that take no column of their own (the common blocks). */
static int is_combining(uint32_t cp)
{
    return (cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x20d0 && cp <= 0x20ff) ||
           (cp >= 0xfe20 && cp <= 0xfe2f) || cp == 0x200b || cp == 0x200d;
}

int lesson_utf8_width(const char *s, size_t n)
{
    int w = 0;
    size_t i = 0;
    while (i < n) {
        size_t k;
        uint32_t cp = lesson_utf8_decode(s + i, n - i, &k);
        w += lesson_utf8_is_wide(cp) ? 2 : is_combining(cp) ? 0 : 1;
        i += k;
    }
    return w;
}
