/*
 * Phone numbers in international form (E.164: a plus, then 8 to 15 digits, the first not 0), as
 * an SMS gateway takes them. People type them with spaces, dots, dashes or brackets: those go,
 * and so does a trunk prefix written "(0)".
 */
#ifndef FIDELE_UTIL_PHONE_H
#define FIDELE_UTIL_PHONE_H

#define FID_PHONE_MAX 17 /* "+", 15 digits, NUL */

/* The canonical form of a typed number into out. Returns 0, or -1 when text is not a number in
 * international form (out is then empty). */
int fid_phone_normalise(const char *text, char out[FID_PHONE_MAX]);

#endif
