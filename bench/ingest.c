/*
 * Ingest benchmark: how fast the engine applies purchase events to one SQLite file, in batches
 * (group commit: one engine_apply call and one transaction per --batch events) and one event per
 * transaction, under the default durability (FULL: fsync at every commit) and under NORMAL.
 *
 * A run creates a merchant with a café-like programme (multipliers by SKU, by category and by
 * weekday + hour window, a stamp card per unit, tiers by order count, inactivity expiry), enrols
 * --members members in batches, then applies --events purchases of 1 to 4 lines spread over a
 * year. Events are deterministic (a seeded xorshift) and are written as JSON text one batch at a
 * time, so that memory does not grow with --events. The time measured is what a server does with
 * a batch that arrives as text: parse it, apply it, build the results; writing the text is the
 * client's work and is not counted. The single-event runs use a fresh file with the same
 * members and the first --single events of the same stream.
 *
 * Prints a table (durability, mode, events, seconds, events/s), the batch/single ratio, the FULL
 * batched run's CPU per event on the writer thread and on the others (parsing ahead,
 * checkpoints), the peak RSS (getrusage) after the large FULL run and at the end, and the machine.
 */
#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"
#include "ingest_floor.h"
#include "engine/engine.h"
#include "store/log_syncer.h"
#include "store/store.h"
#include "util/codes.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define DEFAULT_EVENTS  1000000LL
#define DEFAULT_MEMBERS 100000LL
#define DEFAULT_BATCH   1000LL
#define DEFAULT_SINGLE  20000LL
#define ENROL_BATCH     1000LL
#define LIMIT_EVENTS    100000000LL
#define LIMIT_BATCH     100000LL
#define START_AT        1735718400LL /* 2025-01-01T08:00:00Z */
/* The clock the purchases are posted at: after the year they span (an event may not be dated
 * ahead of the clock). */
#define POSTED_AT      (START_AT + YEAR_SECONDS + 86400)
#define YEAR_SECONDS   (365 * 86400LL)
#define PATH_MAX_BENCH 1024

static const char PROGRAM[] =
    "{\"description\": \"Benchmark cafe: the cafe template plus a SKU multiplier\","
    " \"earning\": {\"points\": 10, \"per_minor\": 100, \"rounding\": \"floor\","
    "  \"first_order_bonus\": 20, \"multipliers\": ["
    "   {\"id\": \"quiet-afternoon\", \"factor_pct\": 200, \"weekdays\": [\"mon\", \"tue\","
    "    \"wed\", \"thu\", \"fri\"], \"hours\": {\"from\": \"14:00\", \"to\": \"16:00\"}},"
    "   {\"id\": \"beans\", \"factor_pct\": 150, \"categories\": [\"beans\"]},"
    "   {\"id\": \"signature\", \"factor_pct\": 300, \"skus\": [\"SIGNATURE\"]}]},"
    " \"enrolment\": {\"bonus_points\": 20},"
    " \"stamp_cards\": [{\"id\": \"coffee\", \"stamps_required\": 10, \"reward\": "
    "\"free-coffee\", \"per\": \"unit\", \"categories\": [\"coffee\"]}],"
    " \"tiers\": {\"metric\": \"orders\", \"window\": \"rolling_12_months\", \"grace_days\": 30,"
    "  \"levels\": [{\"id\": \"regular\", \"threshold\": 20, \"multiplier_pct\": 110},"
    "   {\"id\": \"family\", \"threshold\": 100, \"multiplier_pct\": 125}]},"
    " \"rewards\": [{\"id\": \"free-coffee\", \"kind\": \"free_product\", \"sku\": \"ESPRESSO\","
    "  \"value_minor\": 250, \"cost_points\": 250, \"valid_days\": 60}],"
    " \"expiry\": {\"mode\": \"inactivity\", \"months\": 12}}";

struct product {
    const char *sku, *category;
    int64_t price;
};

static const struct product PRODUCTS[] = {
    {"ESPRESSO", "coffee", 250},   {"LATTE", "coffee", 380},
    {"CAPPUCCINO", "coffee", 360}, {"FLAT-WHITE", "coffee", 390},
    {"SIGNATURE", "coffee", 520},  {"BEANS-250", "beans", 1200},
    {"BEANS-1KG", "beans", 3900},  {"CROISSANT", "pastry", 180},
    {"PAIN-CHOC", "pastry", 200},  {"COOKIE", "pastry", 250},
    {"TEA", "tea", 320},           {"CHAI", "tea", 420},
    {"JUICE", "cold", 450},        {"SANDWICH", "food", 690},
    {"SALAD", "food", 890},        {"MUG", "", 1500},
};
#define N_PRODUCTS (sizeof PRODUCTS / sizeof PRODUCTS[0])

struct options {
    int64_t events, members, batch, single;
    const char *db;
    bool full_only;
    bool keep;
    bool profile_sql;
    bool floor;       /* the floor's run after the FULL runs (--no-floor: none) */
    bool sync_behind; /* the FULL batched run syncs behind its writer (--sync-inline: not) */
    enum engine_mode mode;
    int64_t late;        /* --late N: the late-orders runs instead (0: none) */
    int64_t late_silver; /* --late-silver MINOR: the late runs' first tier threshold */
};

static enum engine_mode apply_mode = ENGINE_EACH_ON_ITS_OWN;
/* --random-keys: idempotency keys spread like the UUIDs clients send, instead of in order. */
static bool random_keys;

/* ---- small helpers ------------------------------------------------------------------------- */

/* The project's seeded generator (util/codes.h): the same events in every run. */
struct prng {
    struct fid_rng *rng;
};

static int64_t prng_below(struct prng *r, int64_t n)
{
    return (int64_t)fid_rng_below(r->rng, (uint64_t)n);
}

struct text {
    char *data;
    size_t len, cap;
};

static void text_printf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_printf(struct text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = t->cap - t->len;
        int n = vsnprintf(t->data ? t->data + t->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) {
            fprintf(stderr, "bench_ingest: formatting failed\n");
            exit(1);
        }
        if ((size_t)n < room) {
            t->len += (size_t)n;
            return;
        }
        xgrow((void **)&t->data, &t->cap, t->len + (size_t)n + 1, 1);
    }
}

static double peak_rss_mb(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_maxrss / 1024.0; /* ru_maxrss is in KiB on Linux */
}

static void die(const char *what, const struct fid_error *err)
{
    fprintf(stderr, "bench_ingest: %s: %s%s%s\n", what, err->field, err->field[0] ? ": " : "",
            err->message);
    exit(1);
}

/* ---- event text -------------------------------------------------------------------------------
 */

/* Purchases: a member drawn uniformly, 1 to 4 distinct products of 1 to 3 units, one event every
 * year/N seconds on average (jittered), a fifth of them online. Event i is the same in every run.
 */
struct stream {
    struct prng rng;
    int64_t members, total, next;
};

static void stream_init(struct stream *s, int64_t members, int64_t total)
{
    static const uint64_t seed = 42;
    s->rng.rng = fid_rng_new(&seed);
    s->members = members;
    s->total = total;
    s->next = 0;
}

static void stream_order(struct stream *s, struct text *t)
{
    struct prng *r = &s->rng;
    int64_t i = s->next++;
    int64_t step = YEAR_SECONDS / s->total > 0 ? YEAR_SECONDS / s->total : 1;
    char at[FID_TIME_ISO_MAX];
    fid_time_format(START_AT + i * YEAR_SECONDS / s->total + prng_below(r, step), at);
    char key[40];
    if (random_keys) /* a bijection of i: unique, and in no order */
        snprintf(key, sizeof key, "%016llx",
                 (unsigned long long)((uint64_t)(i + 1) * 0x9E3779B97F4A7C15u));
    else
        snprintf(key, sizeof key, "pos-%08lld", (long long)i);
    text_printf(t,
                "{\"type\":\"order\",\"key\":\"%s\",\"at\":\"%s\",\"customer\":"
                "\"m%07lld\",\"order_id\":\"%08lld\",\"channel\":\"%s\",\"lines\":[",
                key, at, (long long)prng_below(r, s->members), (long long)i,
                prng_below(r, 5) == 0 ? "online" : "store");
    int n_lines = 1 + (int)prng_below(r, 4);
    bool used[N_PRODUCTS] = {false};
    for (int l = 0; l < n_lines; l++) {
        size_t p;
        do
            p = (size_t)prng_below(r, (int64_t)N_PRODUCTS);
        while (used[p]);
        used[p] = true;
        text_printf(t, "%s{\"sku\":\"%s\",", l ? "," : "", PRODUCTS[p].sku);
        if (PRODUCTS[p].category[0])
            text_printf(t, "\"category\":\"%s\",", PRODUCTS[p].category);
        text_printf(t, "\"quantity\":%d,\"unit_price_minor\":%lld}", 1 + (int)prng_below(r, 3),
                    (long long)PRODUCTS[p].price);
    }
    text_printf(t, "]}");
}

/* ---- runs -------------------------------------------------------------------------------------
 */

struct timing {
    int64_t events;
    int64_t failed;
    double seconds;
    double cpu_seconds;    /* user + system: what the run cost, whatever else the machine does */
    double writer_seconds; /* of that, the calling thread's: the engine's writer */
};

/* The clocks at the start of a measured part, added to a timing at its end. */
struct stopwatch {
    double wall, cpu, writer;
};

static struct stopwatch stopwatch_start(void)
{
    return (struct stopwatch){bench_wall_seconds(), bench_process_cpu_seconds(),
                              bench_thread_cpu_seconds()};
}

static void stopwatch_add(const struct stopwatch *w, struct timing *timing)
{
    timing->seconds += bench_wall_seconds() - w->wall;
    timing->cpu_seconds += bench_process_cpu_seconds() - w->cpu;
    timing->writer_seconds += bench_thread_cpu_seconds() - w->writer;
}

/* ---- SQL profile (--profile-sql): time per statement text, through SQLite's own tracing ------ */

#define PROFILE_SLOTS 256

struct sql_profile {
    char *sql; /* owned copy */
    int64_t calls;
    int64_t nanoseconds;
};

static struct sql_profile profile[PROFILE_SLOTS];
static size_t n_profile;
static bool profiling;

static int trace_statement(unsigned type, void *context, void *p, void *x)
{
    (void)context;
    if (type != SQLITE_TRACE_PROFILE || !profiling)
        return 0;
    const char *sql = sqlite3_sql((sqlite3_stmt *)p);
    int64_t ns = (int64_t) * (sqlite3_int64 *)x;
    for (size_t i = 0; sql && i < n_profile; i++)
        if (strcmp(profile[i].sql, sql) == 0) {
            profile[i].calls++;
            profile[i].nanoseconds += ns;
            return 0;
        }
    if (sql && n_profile < PROFILE_SLOTS)
        profile[n_profile++] = (struct sql_profile){xstrdup(sql), 1, ns};
    return 0;
}

/* Registered with sqlite3_auto_extension: runs on every connection the engine opens. */
static int trace_connection(sqlite3 *db, const char **error, const void *routines)
{
    (void)error;
    (void)routines;
    sqlite3_trace_v2(db, SQLITE_TRACE_PROFILE, trace_statement, NULL);
    return SQLITE_OK;
}

static int by_time(const void *a, const void *b)
{
    const struct sql_profile *x = a, *y = b;
    return (x->nanoseconds < y->nanoseconds) - (x->nanoseconds > y->nanoseconds);
}

static void print_profile(double seconds, int64_t events)
{
    qsort(profile, n_profile, sizeof profile[0], by_time);
    printf("\nSQL profile of the FULL batched run (SQLite's timing per statement; the run took "
           "%.2f s):\n%7s %10s %9s %7s  %s\n",
           seconds, "share", "calls", "us/call", "/event", "statement");
    for (size_t i = 0; i < n_profile && i < 20; i++)
        printf("%6.1f%% %10lld %9.2f %7.2f  %.150s\n",
               100.0 * (double)profile[i].nanoseconds / 1e9 / seconds, (long long)profile[i].calls,
               (double)profile[i].nanoseconds / 1e3 / (double)profile[i].calls,
               (double)profile[i].calls / (double)events, profile[i].sql);
    for (size_t i = 0; i < n_profile; i++)
        free(profile[i].sql);
}

/* Applies text (a JSON array) in one call, which parses it too, and counts failed events. */
static void apply_text(struct engine *e, const struct text *t, struct timing *timing)
{
    struct engine_results results = {0};
    struct fid_error err;
    struct engine_batch batch = {.text = t->data, .len = t->len};
    if (engine_apply_batch(e, &batch, POSTED_AT, apply_mode, &results, &err) != FID_OK)
        die("engine_apply_batch", &err);
    for (size_t i = 0; i < results.count; i++) {
        const struct engine_result *r = &results.items[i];
        if (r->outcome != ENGINE_APPLIED && timing->failed++ == 0)
            fprintf(stderr, "bench_ingest: an event failed: %.*s\n", (int)r->len,
                    results.text + r->offset);
    }
    timing->events += (int64_t)results.count;
    engine_results_free(&results);
}

/* A fresh file with the merchant and `members` enrolled members; returns the open engine. */
static struct engine *prepare_with(const char *path, const char *program_text,
                                   enum db_durability durability, bool sync_apart, int64_t members,
                                   double *enrol_seconds)
{
    bench_remove_db(path);
    struct merchant_setup setup = {.name = "Benchmark cafe",
                                   .currency = "EUR",
                                   .timezone = "Europe/Paris",
                                   .locale = "fr",
                                   .program_text = program_text};
    struct fid_error err;
    int64_t merchant_id = 0;
    if (engine_create_merchant(path, &setup, START_AT - 86400, &merchant_id, &err) != FID_OK)
        die("engine_create_merchant", &err);
    uint64_t seed = 42;
    struct engine_options options = {
        .db_path = path,
        .durability = durability,
        .merchant_id = merchant_id,
        .seed = &seed,
        .checkpoint_thread = true, /* as a server's committer */
        .sync_apart = sync_apart,
    };
    struct engine *e = NULL;
    if (engine_open(&options, &e, &err) != FID_OK)
        die("engine_open", &err);
    struct text t = {0};
    struct timing timing = {0};
    double start = bench_wall_seconds();
    for (int64_t first = 0; first < members; first += ENROL_BATCH) {
        t.len = 0;
        text_printf(&t, "[");
        for (int64_t i = first; i < members && i < first + ENROL_BATCH; i++)
            text_printf(&t,
                        "%s{\"type\":\"enrol\",\"key\":\"enrol-%07lld\",\"at\":"
                        "\"2024-12-31T08:00:00Z\",\"customer\":\"m%07lld\","
                        "\"email\":\"m%07lld@example.org\",\"consents\":[\"email\"]}",
                        i == first ? "" : ",", (long long)i, (long long)i, (long long)i);
        text_printf(&t, "]");
        apply_text(e, &t, &timing);
        if (db_sync_log(engine_store(e)->db, &err) != FID_OK)
            die("db_sync_log", &err);
    }
    *enrol_seconds = bench_wall_seconds() - start;
    free(t.data);
    if (timing.failed > 0) {
        fprintf(stderr, "bench_ingest: %lld enrolments failed\n", (long long)timing.failed);
        exit(1);
    }
    return e;
}

static struct engine *prepare(const char *path, enum db_durability durability, bool sync_apart,
                              int64_t members, double *enrol_seconds)
{
    return prepare_with(path, PROGRAM, durability, sync_apart, members, enrol_seconds);
}

/* Applies the first `events` purchases of a stream of stream_total, `per_call` to an
 * engine_apply call. With behind (an engine opened sync_apart), a batch's log is synced while
 * the next one applies, and the run waits for each sync before applying the batch after next:
 * as a server answering a batch once durable; the time counts the last sync. */
static void run_orders(struct engine *e, struct log_syncer *behind, int64_t members, int64_t events,
                       int64_t per_call, int64_t stream_total, struct timing *timing)
{
    uint64_t last_ticket = 0;
    struct fid_error err;
    struct text t = {0};
    memset(timing, 0, sizeof *timing);
    struct stream stream;
    stream_init(&stream, members, stream_total);
    for (int64_t done = 0; done < events; done += per_call) {
        t.len = 0;
        text_printf(&t, "[");
        for (int64_t i = done; i < events && i < done + per_call; i++) {
            if (i > done)
                text_printf(&t, ",");
            stream_order(&stream, &t);
        }
        text_printf(&t, "]");
        struct stopwatch watch = stopwatch_start();
        apply_text(e, &t, timing);
        if (behind) {
            uint64_t ticket = log_syncer_ask(behind);
            if (last_ticket && log_syncer_wait(behind, last_ticket, &err) != FID_OK)
                die("log_syncer_wait", &err);
            last_ticket = ticket;
            if (done + per_call >= events && log_syncer_wait(behind, ticket, &err) != FID_OK)
                die("log_syncer_wait", &err);
        }
        stopwatch_add(&watch, timing);
    }
    fid_rng_free(stream.rng.rng);
    free(t.data);
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: bench_ingest [--events N] [--members M] [--db PATH] [--batch N] [--single N]\n"
        "                    [--full-only] [--keep] [--all-or-nothing] [--profile-sql]\n"
        "                    [--random-keys] [--no-floor] [--sync-inline]\n"
        "                    [--late N [--late-silver MINOR]]\n"
        "  --events N   purchases applied in batches (default %lld)\n"
        "  --members M  members enrolled first (default %lld)\n"
        "  --db PATH    database file; the other runs use PATH.single, PATH.normal, ...\n"
        "               (default bench-ingest.db, removed after each run unless --keep)\n"
        "  --batch N    events per engine_apply call in the batched run (default %lld)\n"
        "  --single N   events applied one per transaction (default %lld)\n"
        "  --full-only  skip the runs with NORMAL durability\n"
        "  --keep       keep the database files\n"
        "  --all-or-nothing  apply in ENGINE_ALL_OR_NOTHING mode (default: each on its own,\n"
        "               as an importer reporting failures per event)\n"
        "  --profile-sql  time every SQL statement of the FULL batched run (slows it down)\n"
        "  --random-keys  idempotency keys in no order, as UUIDs would be (default: in order)\n"
        "  --no-floor   skip the floor: the same purchases' rows written by SQLite alone, in the\n"
        "               leanest layout, with no engine work (bench/ingest_floor.h)\n"
        "  --sync-inline  the FULL batched run syncs each commit before the next batch applies\n"
        "               (default: the log synced behind the writer, store/log_syncer.h)\n"
        "  --late N     instead: N purchases over --members customers (default 100 here),\n"
        "               --batch per call, in time order and then each dated before its\n"
        "               customer's newest order; prints the time per order of both\n"
        "  --late-silver MINOR  the late runs' first tier threshold (default 50000)\n",
        (long long)DEFAULT_EVENTS, (long long)DEFAULT_MEMBERS, (long long)DEFAULT_BATCH,
        (long long)DEFAULT_SINGLE);
}

static int64_t parse_count(const char *flag, const char *value, int64_t min, int64_t max)
{
    char *end = NULL;
    errno = 0;
    long long n = value ? strtoll(value, &end, 10) : 0;
    if (value == NULL || errno != 0 || end == value || *end != '\0' || n < min || n > max) {
        fprintf(stderr, "bench_ingest: %s expects a number from %lld to %lld\n", flag,
                (long long)min, (long long)max);
        usage(stderr);
        exit(2);
    }
    return n;
}

static void parse_options(int argc, char **argv, struct options *o)
{
    *o = (struct options){.events = DEFAULT_EVENTS,
                          .members = DEFAULT_MEMBERS,
                          .batch = DEFAULT_BATCH,
                          .single = DEFAULT_SINGLE,
                          .db = "bench-ingest.db",
                          .floor = true,
                          .sync_behind = true,
                          .late_silver = 50000,
                          .mode = ENGINE_EACH_ON_ITS_OWN};
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(flag, "--events") == 0)
            o->events = parse_count(flag, value, 1, LIMIT_EVENTS), i++;
        else if (strcmp(flag, "--members") == 0)
            o->members = parse_count(flag, value, 1, 10000000), i++;
        else if (strcmp(flag, "--batch") == 0)
            o->batch = parse_count(flag, value, 1, LIMIT_BATCH), i++;
        else if (strcmp(flag, "--single") == 0)
            o->single = parse_count(flag, value, 0, LIMIT_EVENTS), i++;
        else if (strcmp(flag, "--db") == 0 && value && strlen(value) < PATH_MAX_BENCH - 32)
            o->db = value, i++;
        else if (strcmp(flag, "--full-only") == 0)
            o->full_only = true;
        else if (strcmp(flag, "--keep") == 0)
            o->keep = true;
        else if (strcmp(flag, "--profile-sql") == 0)
            o->profile_sql = true;
        else if (strcmp(flag, "--random-keys") == 0)
            random_keys = true;
        else if (strcmp(flag, "--no-floor") == 0)
            o->floor = false;
        else if (strcmp(flag, "--sync-inline") == 0)
            o->sync_behind = false;
        else if (strcmp(flag, "--late") == 0)
            o->late = parse_count(flag, value, 1, LIMIT_EVENTS), i++;
        else if (strcmp(flag, "--late-silver") == 0)
            o->late_silver = parse_count(flag, value, 1, 10000000), i++;
        else if (strcmp(flag, "--all-or-nothing") == 0)
            o->mode = ENGINE_ALL_OR_NOTHING;
        else if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else {
            fprintf(stderr, "bench_ingest: unknown or incomplete option %s\n", flag);
            usage(stderr);
            exit(2);
        }
    }
}

static void cpu_model(char *out, size_t size)
{
    snprintf(out, size, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0)
            continue;
        const char *colon = strchr(line, ':');
        if (colon) {
            snprintf(out, size, "%s", colon + 2);
            out[strcspn(out, "\n")] = '\0';
        }
        break;
    }
    if (f)
        fclose(f);
}

static void print_row(const char *durability, const char *mode, const struct timing *t)
{
    printf("%-11s %-30s %10lld %10.2f %12.0f %10.2f %14.0f\n", durability, mode,
           (long long)t->events, t->seconds, t->seconds > 0 ? (double)t->events / t->seconds : 0.0,
           t->cpu_seconds, t->cpu_seconds > 0 ? (double)t->events / t->cpu_seconds : 0.0);
}

struct run_result {
    struct timing batched, single;
    double rss_after_batched;
    bool have_rows; /* the batched run's row sizes were read (FULL only) */
    struct floor_rows rows;
};

/* One durability: the batched run on PATH, then the single run on a fresh file. */
static void run_durability(const struct options *o, enum db_durability durability,
                           const char *suffix, struct run_result *out)
{
    char path[PATH_MAX_BENCH], single_path[PATH_MAX_BENCH + 16];
    snprintf(path, sizeof path, "%s%s", o->db, suffix);
    snprintf(single_path, sizeof single_path, "%s%s.single", o->db, suffix);
    const char *name = durability == DB_DURABILITY_FULL ? "FULL" : "NORMAL";
    double enrol_seconds = 0;

    /* The batched run syncs behind its writer under FULL (sync_behind.h); single events are
     * each synced before the next, as a till waiting for its answer. */
    bool behind = durability == DB_DURABILITY_FULL && o->sync_behind;
    struct engine *e = prepare(path, durability, behind, o->members, &enrol_seconds);
    struct log_syncer *syncer = NULL;
    struct fid_error err;
    if (behind && log_syncer_start(engine_store(e)->db, &syncer, &err) != FID_OK)
        die("log_syncer_start", &err);
    fprintf(stderr, "bench_ingest: %s: %lld members enrolled in %.1f s; applying %lld events\n",
            name, (long long)o->members, enrol_seconds, (long long)o->events);
    profiling = o->profile_sql && durability == DB_DURABILITY_FULL;
    run_orders(e, syncer, o->members, o->events, o->batch, o->events, &out->batched);
    profiling = false;
    if (log_syncer_stop(syncer, &err) != FID_OK)
        die("log_syncer_stop", &err);
    out->rss_after_batched = peak_rss_mb();
    engine_close(e);
    out->have_rows =
        o->floor && durability == DB_DURABILITY_FULL && floor_rows_measure(path, &out->rows);
    if (!o->keep)
        bench_remove_db(path);

    memset(&out->single, 0, sizeof out->single);
    if (o->single > 0) {
        e = prepare(single_path, durability, false, o->members, &enrol_seconds);
        fprintf(stderr, "bench_ingest: %s: %lld events one per transaction\n", name,
                (long long)o->single);
        /* The same stream as the batched run (same instants), cut after --single events. */
        run_orders(e, NULL, o->members, o->single < o->events ? o->single : o->events, 1, o->events,
                   &out->single);
        engine_close(e);
        if (!o->keep)
            bench_remove_db(single_path);
    }
    if (out->batched.failed || out->single.failed) {
        fprintf(stderr, "bench_ingest: %lld + %lld events failed\n", (long long)out->batched.failed,
                (long long)out->single.failed);
        exit(1);
    }
}

/* ---- late orders (--late N) ------------------------------------------------------------------
 *
 * N purchases spread over the year for --members customers (round robin), each customer with one
 * more order dated at the end of the year. In the in-order run the purchases come in time order
 * and those newest orders after them; in the late run the newest orders are posted first and the
 * purchases in a shuffled order, so every one of them is dated before its customer's newest
 * recorded order and most before others of its customer's (a till that syncs late, an unsorted
 * import). Only the N purchases are timed, in the same run, on two fresh files.
 */

/* Tiers by spend over a rolling year whose top is out of reach: every order is judged against
 * the windows (a member at the top tier has nothing to gain and skips them). A purchase is 7.60
 * EUR on average: with N/M purchases a customer, a silver threshold near N/M * 760 keeps the
 * customers' windows about it (--late-silver). */
#define LATE_PROGRAM                                                                               \
    "{\"earning\": {\"points\": 10, \"per_minor\": 100},"                                          \
    " \"tiers\": {\"metric\": \"spend\", \"window\": \"rolling_12_months\", \"grace_days\": 30,"   \
    "  \"levels\": [{\"id\": \"silver\", \"threshold\": %lld, \"multiplier_pct\": 110},"           \
    "   {\"id\": \"gold\", \"threshold\": 100000000, \"multiplier_pct\": 125}]},"                  \
    " \"expiry\": {\"mode\": \"per_lot\", \"months\": 12}}"

static void late_order_text(struct text *t, int64_t i, int64_t members, int64_t total)
{
    char at[FID_TIME_ISO_MAX];
    fid_time_format(START_AT + i * YEAR_SECONDS / total, at);
    text_printf(t,
                "{\"type\":\"order\",\"key\":\"late-%08lld\",\"at\":\"%s\",\"customer\":"
                "\"m%07lld\",\"order_id\":\"late-%08lld\",\"lines\":[{\"sku\":\"LATTE\","
                "\"category\":\"coffee\",\"quantity\":%lld,\"unit_price_minor\":380}]}",
                (long long)i, at, (long long)(i % members), (long long)i, (long long)(1 + i % 3));
}

static void newest_order_text(struct text *t, int64_t m)
{
    char at[FID_TIME_ISO_MAX];
    fid_time_format(START_AT + YEAR_SECONDS + m, at);
    text_printf(t,
                "{\"type\":\"order\",\"key\":\"newest-%07lld\",\"at\":\"%s\",\"customer\":"
                "\"m%07lld\",\"order_id\":\"newest-%07lld\",\"lines\":[{\"sku\":\"TEA\","
                "\"category\":\"tea\",\"quantity\":1,\"unit_price_minor\":320}]}",
                (long long)m, at, (long long)m, (long long)m);
}

/* Applies the newest orders (untimed). */
static void late_newest(struct engine *e, int64_t members)
{
    struct text t = {0};
    struct timing timing = {0};
    for (int64_t first = 0; first < members; first += ENROL_BATCH) {
        t.len = 0;
        text_printf(&t, "[");
        for (int64_t m = first; m < members && m < first + ENROL_BATCH; m++) {
            if (m > first)
                text_printf(&t, ",");
            newest_order_text(&t, m);
        }
        text_printf(&t, "]");
        apply_text(e, &t, &timing);
    }
    free(t.data);
    if (timing.failed > 0)
        exit(1);
}

/* Applies the N purchases, per_call to a call, timed: in time order, or shuffled (a seeded
 * Fisher-Yates: the same order in every run). */
static void late_purchases(struct engine *e, int64_t members, int64_t events, int64_t per_call,
                           bool shuffled, struct timing *timing)
{
    struct text t = {0};
    memset(timing, 0, sizeof *timing);
    int64_t *order = xmalloc((size_t)events * sizeof *order);
    for (int64_t i = 0; i < events; i++)
        order[i] = i;
    static const uint64_t seed = 7;
    struct prng rng = {fid_rng_new(&seed)};
    for (int64_t i = events - 1; shuffled && i > 0; i--) {
        int64_t j = prng_below(&rng, i + 1), x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    fid_rng_free(rng.rng);
    for (int64_t done = 0; done < events; done += per_call) {
        t.len = 0;
        text_printf(&t, "[");
        for (int64_t i = done; i < events && i < done + per_call; i++) {
            if (i > done)
                text_printf(&t, ",");
            late_order_text(&t, order[i], members, events);
        }
        text_printf(&t, "]");
        struct stopwatch watch = stopwatch_start();
        apply_text(e, &t, timing);
        stopwatch_add(&watch, timing);
    }
    free(order);
    free(t.data);
}

static void run_late(const struct options *o)
{
    char path[PATH_MAX_BENCH + 16], program[1024];
    snprintf(program, sizeof program, LATE_PROGRAM, (long long)o->late_silver);
    struct timing runs[2];
    for (int late = 0; late < 2; late++) {
        snprintf(path, sizeof path, "%s%s", o->db, late ? ".late" : ".in-order");
        double enrol_seconds = 0;
        struct engine *e =
            prepare_with(path, program, DB_DURABILITY_FULL, false, o->members, &enrol_seconds);
        if (late)
            late_newest(e, o->members);
        late_purchases(e, o->members, o->late, o->batch, late, &runs[late]);
        if (!late)
            late_newest(e, o->members);
        engine_close(e);
        if (!o->keep)
            bench_remove_db(path);
        if (runs[late].failed > 0)
            exit(1);
    }
    char model[256];
    cpu_model(model, sizeof model);
    printf("Fidele late orders: %lld purchases over %lld members, %lld per call, FULL, silver at "
           "%lld\nmachine: %s, %ld CPUs (nproc)\n\n%-38s %10s %10s %12s\n",
           (long long)o->late, (long long)o->members, (long long)o->batch,
           (long long)o->late_silver, model, sysconf(_SC_NPROCESSORS_ONLN), "run", "seconds",
           "us/order", "writer us");
    const char *names[] = {"in time order (baseline)", "shuffled, after each newest order"};
    for (int i = 0; i < 2; i++)
        printf("%-38s %10.2f %10.1f %12.1f\n", names[i], runs[i].seconds,
               runs[i].seconds * 1e6 / (double)runs[i].events,
               runs[i].writer_seconds * 1e6 / (double)runs[i].events);
    printf("ratio late / in order: %.1fx\n", runs[1].seconds / runs[0].seconds);
}

int main(int argc, char **argv)
{
    xalloc_tune(); /* as the fidele program does */
    struct options o;
    bool members_given = false;
    for (int i = 1; i < argc; i++)
        members_given |= strcmp(argv[i], "--members") == 0;
    parse_options(argc, argv, &o);
    apply_mode = o.mode;
    if (o.late > 0) {
        if (!members_given)
            o.members = 100;
        run_late(&o);
        return 0;
    }
    char model[256];
    cpu_model(model, sizeof model);
    double load[3] = {0, 0, 0};
    int have_load = getloadavg(load, 3);

    if (o.profile_sql)
        sqlite3_auto_extension((void (*)(void))trace_connection);
    struct run_result full, normal;
    memset(&normal, 0, sizeof normal);
    run_durability(&o, DB_DURABILITY_FULL, "", &full);
    if (!o.full_only)
        run_durability(&o, DB_DURABILITY_NORMAL, ".normal", &normal);
    struct floor_timing floor = {0};
    if (full.have_rows) {
        char floor_path[PATH_MAX_BENCH + 16];
        snprintf(floor_path, sizeof floor_path, "%s.floor", o.db);
        fprintf(stderr, "bench_ingest: the floor: the same purchases' rows, SQLite alone\n");
        floor_run(floor_path, o.events, o.members, o.batch, random_keys, o.sync_behind, &full.rows,
                  &floor);
        if (!o.keep)
            bench_remove_db(floor_path);
    }

    char batch_mode[64];
    snprintf(batch_mode, sizeof batch_mode, "batch (%lld events/call)", (long long)o.batch);
    printf("Fidele ingest benchmark: %lld purchases (1-4 lines) over %lld members, SQLite, %s%s\n",
           (long long)o.events, (long long)o.members,
           o.mode == ENGINE_ALL_OR_NOTHING ? "all-or-nothing" : "each event on its own",
           random_keys ? ", keys in no order" : "");
    printf("machine: %s, %ld CPUs (nproc)", model, sysconf(_SC_NPROCESSORS_ONLN));
    if (have_load == 3)
        printf(", load average %.2f at start", load[0]);
    printf("\n\n%-11s %-30s %10s %10s %12s %10s %14s\n", "durability", "mode", "events", "seconds",
           "events/s", "cpu s", "events/cpu-s");
    const struct run_result *runs[] = {&full, o.full_only ? NULL : &normal};
    const char *names[] = {"FULL", "NORMAL"};
    for (size_t i = 0; i < 2; i++) {
        if (runs[i] == NULL)
            continue;
        print_row(names[i], batch_mode, &runs[i]->batched);
        if (runs[i]->single.events > 0) {
            print_row(names[i], "single (1 event/transaction)", &runs[i]->single);
            double batched = (double)runs[i]->batched.events / runs[i]->batched.seconds;
            double single = (double)runs[i]->single.events / runs[i]->single.seconds;
            printf("%-11s %-30s %33.1fx\n", names[i], "ratio batch / single", batched / single);
        }
    }
    const struct timing *b = &full.batched;
    if (b->events > 0)
        printf("\nFULL batched, CPU per event: the writer thread %.1f us, the other threads "
               "(parsing ahead, checkpoints) %.1f us\n",
               b->writer_seconds * 1e6 / (double)b->events,
               (b->cpu_seconds - b->writer_seconds) * 1e6 / (double)b->events);
    if (full.have_rows && b->events > 0) {
        const struct floor_rows *r = &full.rows;
        printf("\nthe floor (bench/ingest_floor.h): the same %lld purchases' rows written by "
               "SQLite alone, FULL,\n%lld per transaction, the customers' state in memory, no "
               "engine work; rows as the engine's run wrote them\n(an idempotency record of "
               "%lld bytes of result, an order of %lld bytes of body, %lld.%03lld ledger entries "
               "and %lld.%03lld vouchers a purchase):\n",
               (long long)o.events, (long long)o.batch, (long long)r->result_bytes,
               (long long)r->body_bytes, (long long)(r->ledger_per_mille / 1000),
               (long long)(r->ledger_per_mille % 1000), (long long)(r->vouchers_per_mille / 1000),
               (long long)(r->vouchers_per_mille % 1000));
        printf("  %.0f events/s, the writer thread %.1f us per event, the other threads %.1f us; "
               "the engine's batched run is %.0f%% of it\n",
               (double)o.events / floor.seconds, floor.writer_seconds * 1e6 / (double)o.events,
               (floor.cpu_seconds - floor.writer_seconds) * 1e6 / (double)o.events,
               100.0 * ((double)b->events / b->seconds) / ((double)o.events / floor.seconds));
    }
    printf("\npeak RSS: %.1f MB after the FULL batched run (%lld events, %lld members); "
           "%.1f MB at the end\n",
           full.rss_after_batched, (long long)o.events, (long long)o.members, peak_rss_mb());
    if (o.profile_sql)
        print_profile(full.batched.seconds, full.batched.events);
    return 0;
}
