/*
 * Images of customers (customer_image.h): little-endian fixed-width integers and
 * length-prefixed texts, so that a database file read on another machine decodes the same.
 */
#include "store/customer_image.h"

#include <string.h>

#include "store/store.h"

#define IMAGE_VERSION 1
#define NO_STAMPS     UINT32_MAX

struct writer {
    unsigned char *at, *end;
    bool full;
};

static void put_bytes(struct writer *w, const void *bytes, size_t size)
{
    if (w->full || (size_t)(w->end - w->at) < size) {
        w->full = true;
        return;
    }
    memcpy(w->at, bytes, size);
    w->at += size;
}

static void put_u64(struct writer *w, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    put_bytes(w, b, sizeof b);
}

void customer_image_put_u32(unsigned char out[4], uint32_t v)
{
    for (int i = 0; i < 4; i++)
        out[i] = (unsigned char)(v >> (8 * i));
}

uint32_t customer_image_get_u32(const unsigned char in[4])
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | in[i];
    return v;
}

static void put_u32(struct writer *w, uint32_t v)
{
    unsigned char b[4];
    customer_image_put_u32(b, v);
    put_bytes(w, b, sizeof b);
}

/* Texts of the customer's fixed fields, each shorter than 65,536 bytes. */
static void put_text(struct writer *w, const char *text)
{
    size_t n = strlen(text);
    unsigned char len[2] = {(unsigned char)(n & 0xff), (unsigned char)(n >> 8)};
    put_bytes(w, len, sizeof len);
    put_bytes(w, text, n);
}

/* The integer fields of an image, in their order: the state, then the profile's. */
#define IMAGE_INTS(c)                                                                              \
    &(c)->id, &(c)->order_count, &(c)->spend_minor, &(c)->first_order_at, &(c)->last_order_at,     \
        &(c)->last_activity_at, &(c)->points_available, &(c)->points_pending,                      \
        &(c)->points_lifetime, &(c)->cashback_minor, &(c)->tier_since, &(c)->tier_review_at,       \
        &(c)->vip_until, &(c)->vip_started_at, &(c)->vip_months, &(c)->last_ledger_id,             \
        &(c)->last_lot_id, &(c)->open_lots_from, &(c)->next_due_at, &(c)->enrolled_at,             \
        &(c)->consents_at, &(c)->created_at, &(c)->rowid
/* Its texts: the state's, then the profile's. */
#define IMAGE_TEXTS(c)                                                                             \
    {(c)->tier, sizeof(c)->tier}, {(c)->vip_plan, sizeof(c)->vip_plan},                            \
        {(c)->ref, sizeof(c)->ref}, {(c)->card_code, sizeof(c)->card_code},                        \
        {(c)->email, sizeof(c)->email}, {(c)->phone, sizeof(c)->phone},                            \
        {(c)->name, sizeof(c)->name}, {(c)->birthday, sizeof(c)->birthday},                        \
    {                                                                                              \
        (c)->locale, sizeof(c)->locale                                                             \
    }

struct text_field {
    char *text;
    size_t capacity;
};

size_t customer_image_encode(int64_t merchant_id, const struct customer *c, const char *stamps,
                             unsigned char *out, size_t capacity)
{
    struct writer w = {out, out + capacity, false};
    unsigned char version = IMAGE_VERSION;
    put_bytes(&w, &version, 1);
    put_u64(&w, (uint64_t)merchant_id);
    const int64_t *ints[] = {IMAGE_INTS(c)};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        put_u64(&w, (uint64_t)*ints[i]);
    unsigned char flags[2] = {c->is_member, (unsigned char)c->consents};
    put_bytes(&w, flags, sizeof flags);
    struct customer *mutable = (struct customer *)c; /* the texts are only read here */
    const struct text_field texts[] = {IMAGE_TEXTS(mutable)};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        put_text(&w, texts[i].text);
    if (stamps == NULL) {
        put_u32(&w, NO_STAMPS);
    } else {
        size_t n = strlen(stamps);
        if (n >= NO_STAMPS)
            return 0;
        put_u32(&w, (uint32_t)n);
        put_bytes(&w, stamps, n);
    }
    unsigned char periods[ORDER_PERIODS_BLOB_MAX];
    size_t periods_size = order_periods_encode(&c->order_periods, periods);
    put_u32(&w, (uint32_t)periods_size);
    put_bytes(&w, periods, periods_size);
    return w.full ? 0 : (size_t)(w.at - out);
}

struct reader {
    const unsigned char *at, *end;
    bool short_;
};

static const unsigned char *take(struct reader *r, size_t size)
{
    if (r->short_ || (size_t)(r->end - r->at) < size) {
        r->short_ = true;
        return NULL;
    }
    const unsigned char *bytes = r->at;
    r->at += size;
    return bytes;
}

static uint64_t get_u64(struct reader *r)
{
    const unsigned char *b = take(r, 8);
    uint64_t v = 0;
    for (int i = 7; b != NULL && i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

static uint32_t get_u32(struct reader *r)
{
    const unsigned char *b = take(r, 4);
    return b ? customer_image_get_u32(b) : 0;
}

static void get_text(struct reader *r, char *out, size_t capacity)
{
    const unsigned char *len = take(r, 2);
    size_t n = len ? (size_t)len[0] | (size_t)len[1] << 8 : 0;
    const unsigned char *text = len ? take(r, n) : NULL;
    if (text == NULL || n >= capacity || memchr(text, '\0', n) != NULL) {
        r->short_ = true;
        return;
    }
    memcpy(out, text, n);
    out[n] = '\0';
}

bool customer_image_decode(const unsigned char *image, size_t size, int64_t *merchant_id,
                           struct customer *c, const char **stamps, size_t *stamps_size)
{
    struct reader r = {image, image + size, false};
    const unsigned char *version = take(&r, 1);
    if (version == NULL || *version != IMAGE_VERSION)
        return false;
    *merchant_id = (int64_t)get_u64(&r);
    int64_t *ints[] = {IMAGE_INTS(c)};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        *ints[i] = (int64_t)get_u64(&r);
    const unsigned char *flags = take(&r, 2);
    if (flags != NULL) {
        c->is_member = flags[0] != 0;
        c->consents = flags[1];
    }
    const struct text_field texts[] = {IMAGE_TEXTS(c)};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        get_text(&r, texts[i].text, texts[i].capacity);
    uint32_t n = get_u32(&r);
    *stamps = n == NO_STAMPS ? NULL : (const char *)take(&r, n);
    *stamps_size = n == NO_STAMPS ? 0 : n;
    uint32_t periods_size = get_u32(&r);
    const unsigned char *periods = take(&r, periods_size);
    if (r.short_ || r.at != r.end)
        return false;
    c->next_due_at_stored = c->next_due_at;
    return order_periods_decode(periods, periods_size, &c->order_periods);
}
