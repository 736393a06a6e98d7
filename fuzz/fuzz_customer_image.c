/*
 * Fuzz target for a customer's image as the journal of customers' images keeps it
 * (store/customer_image.h). The input is the image's bytes. What decodes encodes again to bytes
 * that decode to the same customer, and encoding that customer once more gives the same bytes:
 * a fold writes what the writer held. What does not decode is refused without reading past it.
 */
#include <string.h>

#include "fuzz.h"
#include "store/customer_image.h"
#include "store/store.h"

static void check_same_text(const char *a, const char *b)
{
    FUZZ_ASSERT(strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct customer c, again;
    memset(&c, 0, sizeof c);
    int64_t merchant = 0;
    const char *stamps = NULL;
    size_t stamps_size = 0;
    if (!customer_image_decode(data, size, &merchant, &c, &stamps, &stamps_size))
        return 0;
    FUZZ_ASSERT(stamps == NULL || (stamps >= (const char *)data &&
                                   stamps + stamps_size <= (const char *)data + size));
    static char text[CUSTOMER_IMAGE_MAX];
    if (stamps != NULL && stamps_size >= sizeof text)
        return 0;
    if (stamps != NULL) {
        memcpy(text, stamps, stamps_size);
        text[stamps_size] = '\0';
        if (strlen(text) != stamps_size)
            return 0; /* a NUL inside: not a text the store would hold */
    }
    static unsigned char first[CUSTOMER_IMAGE_MAX], second[CUSTOMER_IMAGE_MAX];
    size_t n = customer_image_encode(merchant, &c, stamps ? text : NULL, first, sizeof first);
    FUZZ_ASSERT(n > 0);
    memset(&again, 0, sizeof again);
    int64_t merchant_again = 0;
    const char *stamps_again = NULL;
    size_t stamps_again_size = 0;
    FUZZ_ASSERT(customer_image_decode(first, n, &merchant_again, &again, &stamps_again,
                                      &stamps_again_size));
    FUZZ_ASSERT(merchant_again == merchant && again.id == c.id);
    FUZZ_ASSERT(again.points_available == c.points_available && again.rowid == c.rowid);
    FUZZ_ASSERT(again.next_due_at == c.next_due_at && again.is_member == c.is_member);
    FUZZ_ASSERT(again.order_periods.n == c.order_periods.n);
    check_same_text(again.ref, c.ref);
    check_same_text(again.tier, c.tier);
    check_same_text(again.email, c.email);
    FUZZ_ASSERT((stamps_again == NULL) == (stamps == NULL) && stamps_again_size == stamps_size);
    size_t m =
        customer_image_encode(merchant_again, &again, stamps ? text : NULL, second, sizeof second);
    FUZZ_ASSERT(m == n);
    for (size_t i = 0; i < n; i++)
        FUZZ_ASSERT(first[i] == second[i]);
    return 0;
}
