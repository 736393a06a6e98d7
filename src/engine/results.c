/*
 * A batch's results as text: the writer the apply loop fills event by event, the helpers handlers
 * write their members with, and what callers do with the finished results (read them as a tree,
 * cut out one caller's share).
 */
#include "engine/engine_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

void results_writer_init(struct results_writer *out)
{
    *out = (struct results_writer){0};
    jsonw_init(&out->text);
    jsonw_text(&out->text, "[");
}

void results_writer_reset(struct results_writer *out)
{
    jsonw_free(&out->text);
    jsonw_text(&out->text, "[");
    out->count = 0;
}

void results_writer_free(struct results_writer *out)
{
    jsonw_free(&out->text);
    free(out->items);
    *out = (struct results_writer){0};
}

void result_begin(struct results_writer *out)
{
    jsonw_next(&out->text);
    xgrow((void **)&out->items, &out->cap, out->count + 1, sizeof *out->items);
    out->items[out->count].offset = out->text.len;
}

void result_end(struct results_writer *out, enum engine_outcome outcome)
{
    struct engine_result *r = &out->items[out->count++];
    r->len = out->text.len - r->offset;
    r->outcome = outcome;
}

void results_writer_finish(struct results_writer *out, struct engine_results *results)
{
    jsonw_text(&out->text, "]");
    results->len = out->text.len;
    results->text = jsonw_detach(&out->text);
    results->items = out->items;
    results->count = out->count;
    *out = (struct results_writer){0};
}

void engine_results_free(struct engine_results *results)
{
    free(results->text);
    free(results->items);
    *results = (struct engine_results){0};
}

json_t *engine_results_json(const struct engine_results *results)
{
    json_error_t jerr;
    json_t *tree = results->text ? json_loadb(results->text, results->len, 0, &jerr) : NULL;
    return tree ? tree : json_array();
}

void engine_results_slice(const struct engine_results *from, size_t first, size_t count,
                          struct engine_results *to)
{
    struct results_writer out;
    results_writer_init(&out);
    for (size_t i = first; i < first + count && i < from->count; i++) {
        const struct engine_result *r = &from->items[i];
        result_begin(&out);
        jsonw_raw(&out.text, from->text + r->offset, r->len);
        result_end(&out, r->outcome);
    }
    engine_results_free(to);
    results_writer_finish(&out, to);
}

void result_put(struct jsonw *result, const char *key, json_t *value)
{
    jsonw_key(result, key);
    jsonw_value(result, value);
    json_decref(value);
}

void vouchers_open(struct jsonw *vouchers)
{
    jsonw_init(vouchers);
    jsonw_text(vouchers, "[");
}

void result_vouchers(struct jsonw *result, struct jsonw *vouchers)
{
    jsonw_text(vouchers, "]");
    jsonw_key(result, "vouchers");
    jsonw_raw(result, vouchers->data, vouchers->len);
    jsonw_free(vouchers);
}
