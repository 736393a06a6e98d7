/*
 * libphonenumber knows each country's trunk prefix ("0" in France, "1" in the US, none in
 * Italy, whose landlines keep their 0) and the lengths of its numbers; ICU knows the country of
 * a time zone. Nothing may throw across the C interface: the functions are noexcept, so that an
 * allocation failure ends the process as xmalloc's does. libphonenumber's one instance is made
 * on first use and only read afterwards.
 */
#include "util/phone_region.h"

#include <cstring>
#include <string>

#include <phonenumbers/phonenumberutil.h>
#include <unicode/timezone.h>
#include <unicode/unistr.h>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

/* Copies text into out of size bytes: false, and out empty, when it does not fit. */
static bool copy_bounded(const std::string &text, char *out, size_t size)
{
    out[0] = '\0';
    if (text.size() >= size)
        return false;
    std::memcpy(out, text.c_str(), text.size() + 1);
    return true;
}

void fid_phone_region_of_zone(const char *zone, char region[FID_PHONE_REGION_MAX]) noexcept
{
    UErrorCode status = U_ZERO_ERROR;
    char found[8] = "";
    int32_t len = icu::TimeZone::getRegion(icu::UnicodeString::fromUTF8(zone), found,
                                           (int32_t)sizeof found, status);
    region[0] = '\0';
    /* "001", the world, for UTC. Whether the country has a numbering plan (Antarctica has none)
     * is left to the reading of a number: libphonenumber's metadata (~5 MB once parsed) is
     * loaded only by a process that reads a phone number, not by every engine that opens. */
    if (U_FAILURE(status) || len != 2)
        return;
    region[0] = found[0];
    region[1] = found[1];
    region[2] = '\0';
}

int fid_phone_region_read(const char *text, const char *region, char out[FID_PHONE_MAX]) noexcept
{
    const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
    PhoneNumber number;
    std::string e164;
    out[0] = '\0';
    /* A possible number, not a "valid" one: the ranges a country allocates change faster than
     * the library's copy in Debian, and a real new number refused at the till is worse than a
     * mistyped one kept. The length alone refuses a digit too many or too few, and a number
     * without its area code ("555-0123" in the US), which is possible only locally. */
    if (util->Parse(text, region, &number) != PhoneNumberUtil::NO_PARSING_ERROR ||
        number.has_extension() ||
        util->IsPossibleNumberWithReason(number) != PhoneNumberUtil::IS_POSSIBLE)
        return -1;
    util->Format(number, PhoneNumberUtil::E164, &e164);
    return copy_bounded(e164, out, FID_PHONE_MAX) ? 0 : -1;
}

int fid_phone_region_example(const char *region, char national[FID_PHONE_EXAMPLE_MAX],
                             char international[FID_PHONE_MAX]) noexcept
{
    const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
    PhoneNumber number;
    std::string written, e164;
    national[0] = international[0] = '\0';
    if (!util->GetExampleNumberForType(region, PhoneNumberUtil::MOBILE, &number))
        return -1;
    util->Format(number, PhoneNumberUtil::NATIONAL, &written);
    util->Format(number, PhoneNumberUtil::E164, &e164);
    if (!copy_bounded(written, national, FID_PHONE_EXAMPLE_MAX) ||
        !copy_bounded(e164, international, FID_PHONE_MAX)) {
        national[0] = international[0] = '\0';
        return -1;
    }
    return 0;
}
