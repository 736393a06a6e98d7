/*
 * Fuzz target for a JSON text's shape and values (util/json_shape.h), which the store keeps
 * results as. The input, split, must join back to itself byte for byte, and a text that cannot
 * be split must hold a mark byte or an unclosed string. The input cut at its first NUL is also
 * joined as a shape and its values: that must not fail but by saying the values do not fit.
 */
#include <string.h>

#include "fuzz.h"
#include "util/json_shape.h"

static const char *const KEPT[] = {"type", "status", "rule", "label", NULL};

static bool same_bytes(const char *a, const char *b, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

static bool holds_mark(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (text[i] >= 0x1c && text[i] <= 0x1f)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct jsonw shape, values, joined;
    jsonw_init(&shape);
    jsonw_init(&values);
    jsonw_init(&joined);
    if (json_shape_split(text, size, KEPT, &shape, &values)) {
        FUZZ_ASSERT(!holds_mark(text, size));
        FUZZ_ASSERT(json_shape_join(shape.data, shape.len, values.data, values.len, &joined));
        FUZZ_ASSERT(joined.len == size && same_bytes(joined.data, text, size));
    } else {
        FUZZ_ASSERT(holds_mark(text, size) || memchr(text, '"', size) != NULL);
    }
    jsonw_free(&shape);
    jsonw_free(&values);
    jsonw_free(&joined);

    const char *nul = memchr(text, '\0', size);
    if (nul != NULL) {
        size_t shape_len = (size_t)(nul - text);
        jsonw_init(&joined);
        (void)json_shape_join(text, shape_len, nul + 1, size - shape_len - 1, &joined);
        jsonw_free(&joined);
    }
    return 0;
}
