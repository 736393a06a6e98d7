/* Results kept as their shape's number and their values (store/result_shapes.h). */
#include "store/result_shapes.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/hash.h"
#include "util/json_shape.h"
#include "util/xalloc.h"

/* String values that stay in a result's shape: they take few forms (an event's type and status,
 * a rule, its label in the merchant's language, a currency, a ledger's account and kind). */
static const char *const KEPT[] = {"type",     "status",  "rule", "label",
                                   "currency", "account", "kind", NULL};

struct shape {
    int64_t id;
    char *text;
    size_t len;
    uint64_t hash;
    /* met inside the open write transaction (added by it, or read while it may have added it
     * before a savepoint): forgotten if it rolls back, since the row may go with it */
    bool added;
};

struct result_shapes {
    struct shape *items;
    size_t n, capacity;
    size_t *slots; /* by text: index + 1, 0 when free; at most half full */
    size_t slots_capacity;
    bool full; /* the table holds RESULT_SHAPES_MAX shapes */
};

static struct result_shapes *shapes_of(struct store *store)
{
    if (store->result_shapes == NULL)
        store->result_shapes = xcalloc(1, sizeof *store->result_shapes);
    return store->result_shapes;
}

/* The slot of a shape's text: where it is, or the free one where it would go. */
static size_t *slot_of(struct result_shapes *shapes, const char *text, size_t len, uint64_t hash)
{
    size_t mask = shapes->slots_capacity - 1;
    for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask) {
        size_t *slot = &shapes->slots[i];
        if (*slot == 0)
            return slot;
        const struct shape *s = &shapes->items[*slot - 1];
        if (s->hash == hash && s->len == len && strncmp(s->text, text, len) == 0)
            return slot;
    }
}

static void index_all(struct result_shapes *shapes)
{
    size_t capacity = shapes->slots_capacity ? shapes->slots_capacity : 64;
    while (2 * (shapes->n + 1) > capacity)
        capacity *= 2;
    free(shapes->slots);
    shapes->slots = xcalloc(capacity, sizeof *shapes->slots);
    shapes->slots_capacity = capacity;
    for (size_t i = 0; i < shapes->n; i++) {
        const struct shape *s = &shapes->items[i];
        *slot_of(shapes, s->text, s->len, s->hash) = i + 1;
    }
}

static const struct shape *remember(struct result_shapes *shapes, int64_t id, const char *text,
                                    size_t len, uint64_t hash, bool added)
{
    if (shapes->n == shapes->capacity) {
        shapes->capacity = shapes->capacity ? 2 * shapes->capacity : 16;
        shapes->items = xrealloc(shapes->items, shapes->capacity * sizeof *shapes->items);
    }
    shapes->items[shapes->n++] = (struct shape){
        .id = id, .text = xstrndup(text, len), .len = len, .hash = hash, .added = added};
    if (2 * shapes->n > shapes->slots_capacity)
        index_all(shapes);
    else
        *slot_of(shapes, text, len, hash) = shapes->n;
    return &shapes->items[shapes->n - 1];
}

/* The id of a shape, read from the table or added to it; 0 when the table is full. */
static enum fid_status shape_id(struct store *store, const char *text, size_t len, int64_t *id,
                                struct fid_error *err)
{
    struct result_shapes *shapes = shapes_of(store);
    uint64_t hash = fid_hash(text, len);
    if (shapes->slots_capacity) {
        size_t slot = *slot_of(shapes, text, len, hash);
        if (slot) {
            *id = shapes->items[slot - 1].id;
            return FID_OK;
        }
    }
    struct db_stmt *s = db_prepare(store->db, "SELECT id FROM result_shapes WHERE shape = ?");
    db_bind_textn(s, 1, text, len);
    enum fid_status st = db_run_int(s, 0, id, err);
    if (st == FID_OK && *id) {
        remember(shapes, *id, text, len, hash, store->writing);
        return FID_OK;
    }
    if (st != FID_OK || shapes->full)
        return st;
    int64_t count = 0;
    s = db_prepare(store->db, "SELECT COALESCE(MAX(id), 0) FROM result_shapes");
    if ((st = db_run_int(s, 0, &count, err)) != FID_OK)
        return st;
    if (count >= RESULT_SHAPES_MAX) {
        shapes->full = true;
        return FID_OK;
    }
    s = db_prepare(store->db, "INSERT INTO result_shapes (shape) VALUES (?) RETURNING id");
    db_bind_textn(s, 1, text, len);
    if ((st = db_run_int(s, 0, id, err)) == FID_OK)
        remember(shapes, *id, text, len, hash, true);
    return st;
}

enum fid_status result_shapes_pack(struct store *store, const char *result, size_t len,
                                   struct jsonw *out, struct fid_error *err)
{
    struct jsonw shape, values;
    jsonw_init(&shape);
    jsonw_init(&values);
    int64_t id = 0;
    enum fid_status st = FID_OK;
    if (json_shape_split(result, len, KEPT, &shape, &values))
        st = shape_id(store, shape.data, shape.len, &id, err);
    if (st == FID_OK && id) {
        char head[24];
        int n = snprintf(head, sizeof head, "%c%" PRId64 "%c", RESULT_SHAPED, id, JSON_SHAPE_END);
        jsonw_raw(out, head, (size_t)n);
        jsonw_raw(out, values.data, values.len);
    } else if (st == FID_OK) {
        jsonw_raw(out, result, len);
    }
    jsonw_free(&shape);
    jsonw_free(&values);
    return st;
}

static enum fid_status find_shape(struct store *store, int64_t id, const struct shape **out,
                                  struct fid_error *err)
{
    struct result_shapes *shapes = shapes_of(store);
    for (size_t i = 0; i < shapes->n; i++)
        if (shapes->items[i].id == id) {
            *out = &shapes->items[i];
            return FID_OK;
        }
    struct db_stmt *s = db_prepare(store->db, "SELECT shape FROM result_shapes WHERE id = ?");
    db_bind_int(s, 1, id);
    enum db_step rc = db_step(s);
    if (rc == DB_ROW) {
        const char *text = db_column_text(s, 0);
        size_t len = strlen(text);
        *out = remember(shapes, id, text, len, fid_hash(text, len), store->writing);
    }
    db_done(s);
    if (rc == DB_ROW)
        return FID_OK;
    if (rc == DB_DONE)
        return fid_fail(
            err, FID_ERR_INTERNAL, "",
            "a stored result names shape %" PRId64 ", which result_shapes does not hold", id);
    return fid_fail(err, FID_ERR_DB, "", "reading a result's shape failed: %s",
                    db_errmsg(store->db));
}

enum fid_status result_shapes_unpack(struct store *store, const char *stored, size_t len,
                                     char **result, struct fid_error *err)
{
    *result = NULL;
    if (len == 0 || stored[0] != RESULT_SHAPED) {
        *result = xstrndup(stored, len);
        return FID_OK;
    }
    int64_t id = 0;
    size_t i = 1;
    for (; i < len && stored[i] >= '0' && stored[i] <= '9' && id < INT64_MAX / 10; i++)
        id = 10 * id + (stored[i] - '0');
    if (i == 1 || i == len || stored[i] != JSON_SHAPE_END)
        return fid_fail(err, FID_ERR_INTERNAL, "", "a stored result names no shape");
    const struct shape *shape = NULL;
    enum fid_status st = find_shape(store, id, &shape, err);
    if (st != FID_OK)
        return st;
    struct jsonw text;
    jsonw_init(&text);
    if (!json_shape_join(shape->text, shape->len, stored + i + 1, len - i - 1, &text)) {
        jsonw_free(&text);
        return fid_fail(err, FID_ERR_INTERNAL, "",
                        "a stored result's values do not fill shape %" PRId64, id);
    }
    *result = jsonw_detach(&text);
    return FID_OK;
}

void result_shapes_committed(struct result_shapes *shapes)
{
    for (size_t i = 0; shapes && i < shapes->n; i++)
        shapes->items[i].added = false;
}

void result_shapes_rolled_back(struct result_shapes *shapes)
{
    if (shapes == NULL)
        return;
    shapes->full = false; /* its count may have taken shapes the rollback removed */
    size_t kept = 0;
    for (size_t i = 0; i < shapes->n; i++)
        if (shapes->items[i].added)
            free(shapes->items[i].text);
        else
            shapes->items[kept++] = shapes->items[i];
    if (kept == shapes->n)
        return;
    shapes->n = kept;
    index_all(shapes);
}

void result_shapes_free(struct result_shapes *shapes)
{
    if (shapes == NULL)
        return;
    for (size_t i = 0; i < shapes->n; i++)
        free(shapes->items[i].text);
    free(shapes->items);
    free(shapes->slots);
    free(shapes);
}
