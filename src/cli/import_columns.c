/*
 * Which column holds which field: the formats' header names (generic, Shopify, WooCommerce),
 * overridden by --map FIELD=COLUMN (a header name or a 1-based position; FIELD= for none).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/import.h"

const char *const FIELD_NAMES[F_COUNT] = {
    "customer", "order_id", "date",  "amount",   "currency", "email", "phone",  "sku",
    "category", "quantity", "price", "discount", "shipping", "tax",   "status", "refunded"};

/* Header names each format recognises per field, first match wins (case-insensitive). */

static const struct preset PRESETS[] = {
    {"generic",
     {[F_CUSTOMER] = {"customer", "customer_id", "client", NULL},
      [F_ORDER_ID] = {"order_id", "order", "order id", NULL},
      [F_DATE] = {"date", "order_date", "created_at", "datetime"},
      [F_AMOUNT] = {"amount", "total", "value", NULL},
      [F_CURRENCY] = {"currency", NULL},
      [F_EMAIL] = {"email", NULL},
      [F_PHONE] = {"phone", NULL},
      [F_SKU] = {"sku", NULL},
      [F_CATEGORY] = {"category", NULL},
      [F_QUANTITY] = {"quantity", "qty", NULL},
      [F_PRICE] = {"price", "unit_price", NULL},
      [F_DISCOUNT] = {"discount", NULL},
      [F_SHIPPING] = {"shipping", NULL},
      [F_TAX] = {"tax", NULL},
      [F_STATUS] = {"status", "financial_status", "order_status", NULL},
      [F_REFUNDED] = {"refunded", "refunded_amount", "refund", NULL}}},
    {"shopify",
     {[F_ORDER_ID] = {"Name", NULL},
      [F_EMAIL] = {"Email", NULL},
      [F_PHONE] = {"Billing Phone", "Phone", NULL},
      [F_DATE] = {"Created at", NULL},
      [F_AMOUNT] = {"Total", NULL},
      [F_CURRENCY] = {"Currency", NULL},
      [F_SKU] = {"Lineitem sku", NULL},
      [F_QUANTITY] = {"Lineitem quantity", NULL},
      [F_PRICE] = {"Lineitem price", NULL},
      [F_DISCOUNT] = {"Discount Amount", NULL},
      [F_SHIPPING] = {"Shipping", NULL},
      [F_TAX] = {"Taxes", NULL},
      [F_STATUS] = {"Financial Status", NULL},
      [F_REFUNDED] = {"Refunded Amount", NULL}}},
    {"woocommerce",
     {[F_ORDER_ID] = {"Order ID", "Order Number", NULL},
      [F_EMAIL] = {"Customer Email", "Billing Email", "Email (Billing)", NULL},
      [F_PHONE] = {"Billing Phone", "Phone (Billing)", NULL},
      [F_DATE] = {"Order Date", NULL},
      [F_AMOUNT] = {"Order Total", "Order Total Amount", NULL},
      [F_CURRENCY] = {"Order Currency", "Currency", NULL},
      [F_SKU] = {"SKU", NULL},
      [F_QUANTITY] = {"Quantity", NULL},
      [F_PRICE] = {"Item Cost", NULL},
      [F_DISCOUNT] = {"Cart Discount", "Order Discount", NULL},
      [F_SHIPPING] = {"Order Shipping", "Shipping Total", NULL},
      [F_TAX] = {"Order Total Tax", "Tax Total", NULL},
      [F_STATUS] = {"Order Status", "Status", NULL},
      [F_REFUNDED] = {"Order Refund Amount", "Refund Amount", "Refunded Total", NULL}}},
};

const struct preset *import_preset(const char *name)
{
    for (size_t i = 0; i < sizeof PRESETS / sizeof PRESETS[0]; i++)
        if (strcmp(PRESETS[i].name, name) == 0)
            return &PRESETS[i];
    return NULL;
}

bool import_find_columns(struct import *im, const struct row *header)
{
    for (int f = 0; f < F_COUNT; f++) {
        im->column[f] = -1;
        const char *wanted = im->maps[f];
        if (wanted && wanted[0] == '\0')
            continue; /* --map FIELD= : none */
        if (wanted) {
            char *end = NULL;
            long position = strtol(wanted, &end, 10);
            if (end != wanted && *end == '\0') {
                im->column[f] = (int)position - 1;
                continue;
            }
        }
        for (size_t c = 0; header && c < header->n_fields && im->column[f] < 0; c++) {
            if (wanted) {
                if (strcasecmp(header->fields[c], wanted) == 0)
                    im->column[f] = (int)c;
                continue;
            }
            for (int k = 0; k < 4 && im->preset->headers[f][k]; k++)
                if (strcasecmp(header->fields[c], im->preset->headers[f][k]) == 0)
                    im->column[f] = (int)c;
        }
        if (wanted && im->column[f] < 0) {
            fid_fail(&im->err, FID_ERR_INPUT, "--map", "no column \"%s\" for %s%s", wanted,
                     FIELD_NAMES[f], header ? " in the header" : " (positions start at 1)");
            return false;
        }
    }
    if (im->column[F_CUSTOMER] < 0 && im->column[F_EMAIL] < 0 && im->column[F_PHONE] < 0) {
        fid_fail(&im->err, FID_ERR_INPUT, "--map",
                 "no customer column: map one with --map customer=COLUMN");
        return false;
    }
    if (im->column[F_DATE] < 0) {
        fid_fail(&im->err, FID_ERR_INPUT, "--map",
                 "no date column: map one with --map date=COLUMN");
        return false;
    }
    if (im->column[F_AMOUNT] < 0 && im->column[F_PRICE] < 0) {
        fid_fail(&im->err, FID_ERR_INPUT, "--map",
                 "no amount or price column: map one with --map amount=COLUMN");
        return false;
    }
    return true;
}

const char *import_field(const struct import *im, const struct row *row, enum field f)
{
    int c = im->column[f];
    return c >= 0 && (size_t)c < row->n_fields ? row->fields[c] : NULL;
}
