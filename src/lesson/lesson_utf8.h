/* lesson_utf8.h: the few UTF-8 facts the lesson parser and its terminal output need: strict
 * validation, decoding one code point, and which characters take two terminal columns.
 *
 * Usage:
 *     size_t at;
 *     if (lesson_utf8_invalid(s, n, &at)) ... byte at is where the bad sequence starts
 *     size_t k;  uint32_t cp = lesson_utf8_decode(s, n, &k);    k bytes (valid input)
 *     int cols = lesson_utf8_width(s, n);                       terminal columns
 *
 * Strict means RFC 3629: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above
 * U+10FFFF, no truncated sequences. Pure functions; nothing is allocated or printed.
 */
#ifndef RESLAB_LESSON_UTF8_H
#define RESLAB_LESSON_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* 0 if s[0..n) is valid UTF-8; else 1 and *at = the offset of the first bad sequence. */
int lesson_utf8_invalid(const char *s, size_t n, size_t *at);

/* The code point at s (at most n bytes) and its length in *len (>= 1). Invalid input gives
 * U+FFFD with *len = 1. */
uint32_t lesson_utf8_decode(const char *s, size_t n, size_t *len);

/* 1 for a control character a lesson may not contain (C0 except tab, DEL, C1: they would drive
 * a terminal), else 0. */
int lesson_utf8_is_control(uint32_t cp);

/* 1 for East Asian wide and fullwidth characters (Han, kana, Hangul, CJK punctuation, fullwidth
 * forms): two terminal columns. */
int lesson_utf8_is_wide(uint32_t cp);

/* 1 for CJK and fullwidth punctuation (U+3000..U+303F, U+FE30..U+FE4F, U+FF00..U+FF60:
 * "，。：（）" ...): no space is put next to it when lines are joined. */
int lesson_utf8_is_cjk_punct(uint32_t cp);

/* Terminal columns of s[0..n): 2 per wide character, 0 per combining mark, else 1. */
int lesson_utf8_width(const char *s, size_t n);

#endif
