/*
 * Fuzz target for the import parsers: the bytes as a CSV file (comma and semicolon) and as
 * whitespace-separated columns, and every field of every row as an amount, a quantity, an
 * e-mail address, a phone, an order status and a date (with and without a format). Nothing may
 * crash, leak or read out of bounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "import/rows.h"
#include "import/values.h"

static struct fid_tz *paris;

static int visit(const struct row *row, void *context)
{
    (void)context;
    FUZZ_ASSERT(row->n_fields >= 1 && row->n_fields <= ROWS_FIELDS_MAX && row->line >= 1);
    for (size_t i = 0; i < row->n_fields; i++) {
        int64_t v;
        char reason[VALUE_REASON_MAX];
        if (value_amount(row->fields[i], 2, &v, reason) == 0)
            FUZZ_ASSERT(v > -100000000000000000LL && v < 100000000000000000LL);
        if (value_quantity(row->fields[i], &v, reason) == 0)
            FUZZ_ASSERT(v >= 1 && v <= 1000000);
        char contact[VALUE_EMAIL_MAX];
        if (value_email(row->fields[i], contact, reason) == 0)
            FUZZ_ASSERT(strchr(contact, '@') != NULL && strlen(contact) < VALUE_EMAIL_MAX);
        else
            FUZZ_ASSERT(reason[0] != '\0');
        enum value_status status;
        if (value_status(row->fields[i], &status, reason) == 0)
            FUZZ_ASSERT(status >= VALUE_PAID && status <= VALUE_UNPAID);
        else
            FUZZ_ASSERT(reason[0] != '\0');
        if (value_phone(row->fields[i], "FR", contact, reason) == 0)
            FUZZ_ASSERT(contact[0] == '+' && strlen(contact) < FID_PHONE_MAX);
        else
            FUZZ_ASSERT(reason[0] != '\0');
        if (value_instant(row->fields[i], NULL, paris, &v, reason) != 0)
            FUZZ_ASSERT(reason[0] != '\0');
        if (value_instant(row->fields[i], "%d/%m/%Y %H:%M %z", paris, &v, reason) != 0)
            FUZZ_ASSERT(reason[0] != '\0');
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (paris == NULL) {
        struct fid_error err;
        if (fid_tz_open("Europe/Paris", &paris, &err) != FID_OK)
            abort();
    }
    static const char delimiters[] = {',', ';', 0};
    for (size_t d = 0; d < sizeof delimiters; d++) {
        FILE *in = fmemopen((void *)data, size, "rb");
        if (in == NULL)
            return 0;
        struct fid_error err;
        size_t bytes = 0;
        enum fid_status st = rows_read(in, delimiters[d], visit, NULL, &bytes, &err);
        FUZZ_ASSERT(st == FID_OK || (st == FID_ERR_INPUT && err.field[0] != '\0'));
        fclose(in);
    }
    return 0;
}
