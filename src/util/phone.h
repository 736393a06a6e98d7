/*
 * Phone numbers, kept in international form (E.164: a plus, then 8 to 15 digits, the first not
 * 0), as an SMS gateway takes them. People type them with spaces, dots, dashes or brackets: those
 * go, and so does a trunk prefix written "(0)". A number typed with "00" for the plus is
 * international too. A number typed in national form ("06 12 34 56 78") is read in the
 * merchant's country (util/phone_region.h); without one, it is refused.
 */
#ifndef FIDELE_UTIL_PHONE_H
#define FIDELE_UTIL_PHONE_H

#include <stdbool.h>

#include "util/error.h"

#define FID_PHONE_MAX       17 /* "+", 15 digits, NUL */
#define FID_PHONE_TYPED_MAX 33 /* a number as typed, NUL included: longer is not a number */
#define FID_PHONE_HINT_MAX  80 /* what fid_phone_expected writes */

/* The canonical form of a typed number into out: an international one as it is, a national one
 * read in region ("" for none: it is refused). Returns 0, or -1 when text is not a number there
 * (out is then empty). */
int fid_phone_normalise(const char *text, const char *region, char out[FID_PHONE_MAX]);

/* Whether text is written as a national number: digits with the separators people type, no plus
 * and no "00" before them. Such a text is for fid_phone_normalise with the merchant's region. */
bool fid_phone_national(const char *text);

/* fid_phone_normalise as a check of field: FID_ERR_INPUT naming it, and what it takes. */
enum fid_status fid_phone_read(const char *text, const char *region, char out[FID_PHONE_MAX],
                               const char *field, struct fid_error *err) FID_MUST_USE;

#endif
