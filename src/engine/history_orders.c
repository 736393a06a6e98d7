/*
 * Imported orders made rows of the orders table: all of a customer's when they enrol (so that
 * crediting past orders and the tier windows see them), or one when a refund names it.
 */
#include "engine/engine_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "store/history_store.h"
#include "util/jsonwrite.h"

/* Records order t of customer c's imported history as a row named ref. */
static enum fid_status insert_row(struct engine *e, struct customer *c,
                                  const struct history_taken *t, const char *ref,
                                  struct fid_error *err)
{
    struct order_row row = {.customer_id = c->id,
                            .at = t->at,
                            .channel = CHANNEL_STORE,
                            .gross_minor = t->paid_minor,
                            .paid_minor = t->paid_minor,
                            .basis_minor = t->paid_minor};
    snprintf(row.ref, sizeof row.ref, "%s", ref);
    char key[EVENT_KEY_MAX];
    snprintf(key, sizeof key, "promote:%.100s", row.ref);
    json_t *body = event_history_order(key, c->ref, row.ref, t->at, t->paid_minor);
    row.body = jsonw_dump_sorted(body);
    json_decref(body);
    enum fid_status st = store_next_id(&e->store, TABLE_ORDERS, &row.id, err);
    if (st == FID_OK)
        st = order_insert(&e->store, &c->order_periods, &row, err);
    order_row_clear(&row);
    return st;
}

/* The name of the row an enrolment gives an imported order: the history keeps no ref's text. */
static void promoted_ref(const struct history_taken *t, char out[EVENT_REF_MAX])
{
    snprintf(out, EVENT_REF_MAX, "history-%lld-%zu", (long long)t->block, t->index);
}

enum fid_status history_promote_customer(struct engine *e, struct customer *c,
                                         struct fid_error *err)
{
    if (order_periods_orders(&c->order_periods) >= c->order_count)
        return FID_OK;
    struct history_taken *taken = NULL;
    size_t n = 0;
    enum fid_status st = history_take(&e->store, c->id, &taken, &n, err);
    for (size_t i = 0; i < n && st == FID_OK; i++) {
        char ref[EVENT_REF_MAX];
        promoted_ref(&taken[i], ref);
        st = insert_row(e, c, &taken[i], ref, err);
    }
    free(taken);
    return st;
}

enum fid_status history_order_row(struct engine *e, const char *ref, bool *found,
                                  struct fid_error *err)
{
    struct history_found order;
    enum fid_status st = history_take_ref(&e->store, ref, &order, found, err);
    if (st != FID_OK || !*found)
        return st;
    if (order.promoted_before) { /* its row takes the name the refund gives it */
        char promoted[EVENT_REF_MAX];
        promoted_ref(&order.taken, promoted);
        return order_rename(&e->store, promoted, ref, err);
    }
    struct customer c;
    if ((st = customer_find_id(&e->store, order.customer_id, &c, err)) == FID_OK &&
        (st = insert_row(e, &c, &order.taken, ref, err)) == FID_OK)
        st = customer_save(&e->store, &c, err);
    return st;
}
