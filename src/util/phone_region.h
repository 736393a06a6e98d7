/*
 * The merchant's country for phone numbers typed in national form ("06 12 34 56 78" in France):
 * the region of its time zone, and the reading of a national number in that region. A C
 * interface over ICU and Google's libphonenumber (phone_region.cc, the project's one C++ file).
 * Thread-safe; nothing here allocates memory the caller must free.
 */
#ifndef FIDELE_UTIL_PHONE_REGION_H
#define FIDELE_UTIL_PHONE_REGION_H

#include "util/phone.h"

#ifdef __cplusplus
extern "C" {
#define FID_PHONE_NOTHROW noexcept
#else
#define FID_PHONE_NOTHROW
#endif

#define FID_PHONE_REGION_MAX  3  /* ISO 3166-1 alpha-2 ("FR"), NUL; "" for no country */
#define FID_PHONE_EXAMPLE_MAX 32 /* a number as a region writes it: "06 12 34 56 78" */

/* The country (ISO 3166-1 alpha-2, "FR") of an IANA time zone into region: "" when the zone is
 * unknown or names no country (UTC, Etc/GMT+2). A country without a numbering plan (Antarctica)
 * reads no national number. */
void fid_phone_region_of_zone(const char *zone,
                              char region[FID_PHONE_REGION_MAX]) FID_PHONE_NOTHROW;

/* A number in national form in region ("FR"), as E.164 into out: 0, or -1 when it cannot be
 * read there or has not a length that region's numbers have (out is then empty). */
int fid_phone_region_read(const char *text, const char *region,
                          char out[FID_PHONE_MAX]) FID_PHONE_NOTHROW;

/* A mobile number of region in its national and its international form: 0, or -1 (both empty)
 * when libphonenumber has no example for it. */
int fid_phone_region_example(const char *region, char national[FID_PHONE_EXAMPLE_MAX],
                             char international[FID_PHONE_MAX]) FID_PHONE_NOTHROW;

#ifdef __cplusplus
}
#endif

#endif
