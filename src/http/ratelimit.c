/*
 * Token buckets in an open-addressing table keyed by API key id, under one mutex (the critical
 * section is a few arithmetic operations).
 */
#include "http/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/xalloc.h"

#define BUCKET_KEY_MAX 24

struct bucket {
    char key[BUCKET_KEY_MAX];
    double tokens;
    int64_t updated_ns;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct bucket *table;
static size_t capacity, used;
static double rate_per_s, burst_size;

void ratelimit_init(double rate, double burst)
{
    rate_per_s = rate;
    burst_size = burst > 1 ? burst : 1;
}

static size_t hash(const char *s)
{
    return (size_t)fid_hash(s, strlen(s));
}

static struct bucket *find(const char *key)
{
    if (used * 2 >= capacity) {
        struct bucket *old = table;
        size_t old_cap = capacity;
        capacity = capacity ? capacity * 2 : 64;
        table = xcalloc(capacity, sizeof *table);
        used = 0;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].key[0]) {
                size_t j = hash(old[i].key) & (capacity - 1);
                while (table[j].key[0])
                    j = (j + 1) & (capacity - 1);
                table[j] = old[i];
                used++;
            }
        free(old);
    }
    size_t i = hash(key) & (capacity - 1);
    while (table[i].key[0] && strcmp(table[i].key, key) != 0)
        i = (i + 1) & (capacity - 1);
    if (!table[i].key[0]) {
        snprintf(table[i].key, sizeof table[i].key, "%s", key);
        table[i].tokens = burst_size;
        table[i].updated_ns = 0;
        used++;
    }
    return &table[i];
}

bool ratelimit_take(const char *key_id, int64_t now_ns, unsigned *retry_after)
{
    if (rate_per_s <= 0)
        return true;
    pthread_mutex_lock(&lock);
    struct bucket *b = find(key_id);
    if (b->updated_ns)
        b->tokens += (double)(now_ns - b->updated_ns) / 1e9 * rate_per_s;
    if (b->tokens > burst_size)
        b->tokens = burst_size;
    b->updated_ns = now_ns;
    bool ok = b->tokens >= 1.0;
    if (ok)
        b->tokens -= 1.0;
    else
        *retry_after = (unsigned)ceil((1.0 - b->tokens) / rate_per_s);
    pthread_mutex_unlock(&lock);
    return ok;
}

void ratelimit_free(void)
{
    pthread_mutex_lock(&lock);
    free(table);
    table = NULL;
    capacity = used = 0;
    pthread_mutex_unlock(&lock);
}
