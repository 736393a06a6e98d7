/*
 * The committer: a queue of jobs under one mutex, one thread that drains it. Jobs of the same
 * merchant taken together are concatenated into one engine_apply call (each event in its own
 * savepoint), so a batch of N concurrent requests costs one commit. Jobs are never reordered
 * within a merchant: the queue is FIFO and a batch keeps queue order.
 *
 * Its connection commits without syncing the log (db_options.sync_apart): committed jobs go to
 * a second thread, the syncer, which syncs the log once for every job handed over since its last
 * sync and only then answers them. The committer applies the next batch meanwhile instead of
 * waiting for the disk, and no answer leaves before its commit is durable.
 */
#include "http/committer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "http/key_cache.h"
#include "http/metrics.h"
#include "http/worker.h"
#include "store/customer_journal.h"
#include "store/schema.h"
#include "store/store.h"
#include "util/thread_name.h"
#include "util/xalloc.h"

struct job {
    int64_t merchant_id;
    struct committer_events events;
    struct committer_check check;
    bool to_check;    /* check holds a key to check before applying */
    bool key_refused; /* that key is unknown or revoked: the job is not applied */
    struct engine_results results;
    struct fid_error err;
    enum fid_status status;
    bool done;
    pthread_cond_t done_cond; /* signalled once done is set: only this job's thread wakes */
    committer_done callback;  /* set for committer_submit: the job is on the heap */
    void *context;
    struct job *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_ready = PTHREAD_COND_INITIALIZER;
static struct job *head, *tail;
static bool stopping, running;
static pthread_t thread;

/* Committed jobs waiting for the log's sync, under their own mutex. */
static pthread_mutex_t sync_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sync_ready = PTHREAD_COND_INITIALIZER;
static struct job *sync_head, *sync_tail;
static struct db *sync_db; /* the committer's connection, whose log the syncer syncs */
static bool sync_stopping;
static pthread_t sync_thread;
static const char *database;
static size_t batch_max;
static unsigned due_every; /* seconds between rounds of scheduled work; 0: none */
static time_t due_next;    /* when the next round starts */
static bool due_more;      /* the last round left customers due: the next one comes at once */
/* The customers' images the committer keeps instead of writing their rows; request threads read
 * through it (store/customer_journal.h). */
static struct customer_journal *journal;

/* Keys found valid since the last commit of another connection: only such a commit (the CLI's,
 * or a request thread's on its own connection) can revoke one, so until the next they hold. */
#define VERIFIED_KEYS 8
static struct committer_check verified[VERIFIED_KEYS];
static size_t n_verified, next_verified;
static uint64_t verified_version; /* the committer's connection's db_others_version then */

static bool same_key(const struct committer_check *a, const struct committer_check *b)
{
    return strcmp(a->key_id, b->key_id) == 0 && strcmp(a->digest, b->digest) == 0;
}

static bool verified_already(const struct committer_check *check)
{
    for (size_t i = 0; i < n_verified; i++)
        if (same_key(&verified[i], check))
            return true;
    return false;
}

static void remember_verified(const struct committer_check *check)
{
    verified[next_verified] = *check;
    next_verified = (next_verified + 1) % VERIFIED_KEYS;
    if (n_verified < VERIFIED_KEYS)
        n_verified++;
}

/* Checks the keys that only a request thread's cache vouched for (on the directory connection,
 * in a snapshot taken now: any revocation committed before the request arrived is seen, unless
 * no other connection committed since the key was last found valid) and fails the jobs of a key
 * unknown or revoked; false when the check itself failed (err). */
static bool check_keys(struct worker *worker, struct job **jobs, size_t n, struct fid_error *err)
{
    uint64_t version = 0;
    if (db_others_version(worker->engines_db, &version, err) != FID_OK)
        return false;
    if (version != verified_version) {
        n_verified = next_verified = 0;
        verified_version = version;
    }
    for (size_t j = 0; j < n; j++) {
        if (!jobs[j]->to_check)
            continue;
        size_t same = 0; /* a job before with the same key: its answer holds (one look per key) */
        while (same < j && !(jobs[same]->to_check && same_key(&jobs[same]->check, &jobs[j]->check)))
            same++;
        if (same < j) {
            jobs[j]->key_refused = jobs[same]->key_refused;
            jobs[j]->err = jobs[same]->err;
            continue;
        }
        if (verified_already(&jobs[j]->check))
            continue;
        struct api_key key;
        enum fid_status st = api_key_verify(worker->directory, jobs[j]->check.key_id,
                                            jobs[j]->check.digest, &key, err);
        if (st == FID_OK)
            remember_verified(&jobs[j]->check);
        if (st == FID_ERR_NOT_FOUND) {
            jobs[j]->key_refused = true;
            fid_fail(&jobs[j]->err, FID_ERR_NOT_FOUND, "Authorization",
                     "the API key is unknown or revoked");
            key_cache_invalidate_all(); /* request threads check their cached keys again */
        } else if (st != FID_OK) {
            return false;
        }
    }
    fid_error_clear(err);
    return true;
}

static size_t job_events(const struct job *job)
{
    return job->events.array ? json_array_size(job->events.array) : job->events.n_read;
}

static size_t events_of(struct job *const *jobs, size_t n)
{
    size_t total = 0;
    for (size_t j = 0; j < n; j++)
        total += job_events(jobs[j]);
    return total;
}

/* Applies jobs[0..n) (all of one merchant) in one transaction and fills their results. */
static void apply_group(struct job **jobs, size_t n)
{
    struct fid_error err;
    fid_error_clear(&err);
    struct worker *worker = NULL;
    struct engine *engine = NULL;
    json_t *all = json_array();
    const struct event **parsed = NULL; /* per event of all: read already, or NULL */
    struct engine_results results = {0};
    enum fid_status st = worker_current(database, &worker, &err);
    if (st == FID_OK) {
        worker->committer = true;
        st = worker_engine(worker, database, jobs[0]->merchant_id, &engine, &err);
    }
    if (st == FID_OK && !check_keys(worker, jobs, n, &err))
        st = err.status;
    for (size_t j = 0; j < n; j++) {
        if (jobs[j]->key_refused)
            continue;
        const struct committer_events *events = &jobs[j]->events;
        if (events->array) {
            json_array_extend(all, (json_t *)events->array);
            continue;
        }
        if (parsed == NULL)
            parsed = xcalloc(events_of(jobs, n), sizeof *parsed);
        for (size_t i = 0; i < events->n_read; i++) {
            parsed[json_array_size(all)] = events->read[i];
            json_array_append(all, json_null());
        }
    }
    if (st == FID_OK) {
        pthread_mutex_lock(&sync_lock);
        sync_db = worker->engines_db;
        pthread_mutex_unlock(&sync_lock);
    }
    if (st == FID_OK) /* check_keys read the connection's version */
        st = engine_refresh_program_since(engine, verified_version, &err);
    if (st == FID_OK && json_array_size(all) > 0)
        st = engine_apply_batch(engine, &(struct engine_batch){.events = all, .parsed = parsed},
                                (int64_t)time(NULL), ENGINE_EACH_ON_ITS_OWN, &results, &err);
    size_t offset = 0, applied = 0;
    for (size_t j = 0; j < n; j++) {
        size_t count = job_events(jobs[j]);
        if (jobs[j]->key_refused) {
            jobs[j]->status = FID_ERR_NOT_FOUND;
            continue;
        }
        jobs[j]->status = st;
        if (st != FID_OK) {
            jobs[j]->err = err;
            continue;
        }
        engine_results_slice(&results, offset, count, &jobs[j]->results);
        for (size_t i = 0; i < count; i++)
            applied += results.items[offset + i].outcome == ENGINE_APPLIED;
        offset += count;
    }
    if (st == FID_OK)
        metrics_events(applied, json_array_size(all));
    else if (st == FID_ERR_DB)
        metrics_db_error();
    engine_results_free(&results);
    json_decref(all);
    free(parsed);
}

/* Writes every image the journal holds into the rows, in a transaction of engine's store. */
static enum fid_status fold_all(struct engine *engine, struct fid_error *err)
{
    struct store *store = engine_store(engine);
    enum fid_status st = store_begin(store, err);
    if (st != FID_OK)
        return st;
    if ((st = customer_journal_fold_owned(journal, store->db, err)) == FID_OK &&
        (st = store_commit(store, err)) == FID_OK)
        return FID_OK;
    store_rollback(store);
    return st;
}

/* The programme another connection may have saved since the last look, before scheduled work
 * that no batch preceded (a batch's key check reads the connection's version, not this). */
static enum fid_status refresh_program(struct worker *worker, struct engine *engine,
                                       struct fid_error *err)
{
    uint64_t version = 0;
    enum fid_status st = db_others_version(worker->engines_db, &version, err);
    return st == FID_OK ? engine_refresh_program_since(engine, version, err) : st;
}

/* A batch of every merchant's due customers (the committer's own transactions: its journal, its
 * images). Customers are picked by their rows: after a round that filled a batch, the rows are
 * first brought up to the images it wrote, else the next round would pick the same customers. */
static void due_round(void)
{
    struct fid_error err;
    fid_error_clear(&err);
    struct worker *worker = NULL;
    int64_t *ids = NULL;
    size_t n = 0;
    bool catching_up = due_more;
    due_more = false;
    if (worker_current(database, &worker, &err) != FID_OK ||
        merchant_ids(worker->directory, &ids, &n, &err) != FID_OK) {
        free(ids);
        return;
    }
    worker->committer = true;
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < n; i++) {
        struct engine *engine = NULL;
        bool more = false;
        if (worker_engine(worker, database, ids[i], &engine, &err) == FID_OK &&
            (!catching_up || i > 0 || fold_all(engine, &err) == FID_OK) &&
            refresh_program(worker, engine, &err) == FID_OK &&
            engine_run_due_some(engine, now, &more, &err) == FID_OK)
            due_more = due_more || more;
        else /* the next round tries again; the server's writes go on meanwhile */
            fprintf(stderr, "fidele serve: scheduled work of merchant %lld: %s\n",
                    (long long)ids[i], err.message);
    }
    free(ids);
}

/* Waits for work; meanwhile, when it is time, does a round of scheduled work (unlocked). */
static void wait_for_work(void)
{
    while (head == NULL && !stopping) {
        time_t now = time(NULL);
        if (due_every && now >= due_next) {
            pthread_mutex_unlock(&lock);
            due_round();
            pthread_mutex_lock(&lock);
            /* customers left due: the next round comes at the next idle moment */
            due_next = due_more ? 0 : time(NULL) + due_every;
            continue;
        }
        if (!due_every) {
            pthread_cond_wait(&work_ready, &lock);
            continue;
        }
        struct timespec until = {.tv_sec = due_next};
        pthread_cond_timedwait(&work_ready, &lock, &until);
    }
}

static void *committer_main(void *unused)
{
    (void)unused;
    fid_thread_name("committer");
    pthread_mutex_lock(&lock);
    for (;;) {
        wait_for_work();
        if (head == NULL) /* stopping, and nothing left to apply */
            break;
        /* Take a prefix of the queue holding at most batch_max events (at least one job). */
        struct job *taken = head, *last = head;
        size_t events = job_events(head), n = 1;
        while (last->next && events + job_events(last->next) <= batch_max) {
            last = last->next;
            events += job_events(last);
            n++;
        }
        head = last->next;
        if (head == NULL)
            tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&lock);

        struct job **jobs = xcalloc(n, sizeof *jobs), **group = xcalloc(n, sizeof *group);
        size_t k = 0;
        for (struct job *j = taken; j; j = j->next)
            jobs[k++] = j;
        /* One transaction per merchant, in queue order of each merchant's first job. */
        for (size_t i = 0; i < n; i++) {
            if (jobs[i] == NULL)
                continue;
            size_t g = 0;
            int64_t merchant = jobs[i]->merchant_id;
            for (size_t m = i; m < n; m++)
                if (jobs[m] && jobs[m]->merchant_id == merchant) {
                    group[g++] = jobs[m];
                    jobs[m] = NULL;
                }
            apply_group(group, g);
        }
        free(jobs);
        free(group);
        pthread_mutex_lock(&sync_lock);
        if (sync_tail)
            sync_tail->next = taken;
        else
            sync_head = taken;
        sync_tail = last;
        pthread_cond_signal(&sync_ready);
        pthread_mutex_unlock(&sync_lock);
        pthread_mutex_lock(&lock);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

/* Answers the jobs of list: submitted ones through their callback, then the waiters. */
static void answer(struct job *list)
{
    struct job *waiting = NULL;
    for (struct job *j = list; j;) {
        struct job *next = j->next;
        if (j->callback) {
            j->callback(j->context, j->status, &j->results, &j->err);
            engine_results_free(&j->results);
            free(j);
        } else {
            j->next = waiting;
            waiting = j;
        }
        j = next;
    }
    pthread_mutex_lock(&lock);
    for (struct job *j = waiting; j;) {
        struct job *next = j->next;
        j->done = true;
        pthread_cond_signal(&j->done_cond);
        j = next;
    }
    pthread_mutex_unlock(&lock);
}

static void *syncer_main(void *unused)
{
    (void)unused;
    fid_thread_name("syncer");
    pthread_mutex_lock(&sync_lock);
    for (;;) {
        while (sync_head == NULL && !sync_stopping)
            pthread_cond_wait(&sync_ready, &sync_lock);
        if (sync_head == NULL)
            break;
        struct job *list = sync_head;
        struct db *db = sync_db;
        sync_head = sync_tail = NULL;
        pthread_mutex_unlock(&sync_lock);
        struct fid_error err;
        fid_error_clear(&err);
        enum fid_status st = db ? db_sync_log(db, &err) : FID_OK;
        for (struct job *j = list; j && st != FID_OK; j = j->next)
            if (j->status == FID_OK) { /* committed, but not known durable: not a success */
                engine_results_free(&j->results);
                j->status = st;
                j->err = err;
            }
        if (st != FID_OK)
            metrics_db_error();
        answer(list);
        pthread_mutex_lock(&sync_lock);
    }
    pthread_mutex_unlock(&sync_lock);
    return NULL;
}

/* Answers what the syncer still holds, then stops it. */
static void stop_syncer(void)
{
    pthread_mutex_lock(&sync_lock);
    sync_stopping = true;
    pthread_cond_signal(&sync_ready);
    pthread_mutex_unlock(&sync_lock);
    pthread_join(sync_thread, NULL);
}

struct customer_journal *committer_journal(void)
{
    return journal;
}

/* What an earlier server left in the journal goes into the rows before any request reads them. */
static enum fid_status fold_left_over(const char *db_path, struct fid_error *err)
{
    struct db *db = NULL;
    struct db_options options = {.durability = DB_DURABILITY_FULL};
    enum fid_status st = db_open(db_path, &options, &db, err);
    if (st == FID_OK && (st = schema_migrate(db, err)) == FID_OK)
        st = customer_journal_fold_first(db, err);
    db_close(db);
    return st;
}

enum fid_status committer_start(const char *db_path, size_t max_events, unsigned due_seconds,
                                struct fid_error *err)
{
    enum fid_status st = fold_left_over(db_path, err);
    if (st != FID_OK)
        return st;
    journal = customer_journal_new();
    database = db_path;
    batch_max = max_events ? max_events : 1000;
    due_every = due_seconds;
    due_next = time(NULL); /* a first round at start: what fell due while the server was down */
    due_more = false;
    stopping = sync_stopping = false;
    n_verified = next_verified = 0; /* keys of another run or database vouch for nothing here */
    verified_version = 0;
    if (pthread_create(&sync_thread, NULL, syncer_main, NULL) != 0)
        return fid_fail(err, FID_ERR_INTERNAL, "", "cannot start the syncer thread");
    if (pthread_create(&thread, NULL, committer_main, NULL) != 0) {
        stop_syncer();
        return fid_fail(err, FID_ERR_INTERNAL, "", "cannot start the committer thread");
    }
    running = true;
    return FID_OK;
}

void committer_stop(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&lock);
    stopping = true;
    pthread_cond_signal(&work_ready);
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
    stop_syncer(); /* after the committer: it answers the last batches */
    running = false;
}

enum fid_status committer_release(struct fid_error *err)
{
    enum fid_status st = journal ? fold_left_over(database, err) : FID_OK;
    customer_journal_free(journal);
    journal = NULL;
    return st;
}

/* Fills a zeroed job with what both ways of queueing give it. */
static void job_init(struct job *job, int64_t merchant_id, const struct committer_events *events,
                     const struct committer_check *check)
{
    job->merchant_id = merchant_id;
    job->events = *events;
    job->to_check = check != NULL;
    if (check)
        job->check = *check;
}

/* Appends job to the queue; false when the committer is stopping. Holds the lock itself. */
static bool enqueue_locked(struct job *job)
{
    if (stopping)
        return false;
    if (tail)
        tail->next = job;
    else
        head = job;
    tail = job;
    pthread_cond_signal(&work_ready);
    return true;
}

enum fid_status committer_submit(int64_t merchant_id, const struct committer_events *events,
                                 const struct committer_check *check, committer_done callback,
                                 void *context, struct fid_error *err)
{
    struct job *job = xcalloc(1, sizeof *job);
    job_init(job, merchant_id, events, check);
    job->callback = callback;
    job->context = context;
    pthread_mutex_lock(&lock);
    bool queued = enqueue_locked(job);
    pthread_mutex_unlock(&lock);
    if (!queued) {
        free(job);
        return fid_fail(err, FID_ERR_DB, "", "the server is stopping");
    }
    return FID_OK;
}

enum fid_status committer_apply(int64_t merchant_id, const struct committer_events *events,
                                const struct committer_check *check, struct engine_results *results,
                                struct fid_error *err)
{
    struct job job = {0};
    job_init(&job, merchant_id, events, check);
    pthread_cond_init(&job.done_cond, NULL);
    pthread_mutex_lock(&lock);
    if (!enqueue_locked(&job)) {
        pthread_mutex_unlock(&lock);
        pthread_cond_destroy(&job.done_cond);
        return fid_fail(err, FID_ERR_DB, "", "the server is stopping");
    }
    while (!job.done)
        pthread_cond_wait(&job.done_cond, &lock);
    pthread_mutex_unlock(&lock);
    pthread_cond_destroy(&job.done_cond);
    if (job.status != FID_OK) {
        *err = job.err;
        return job.status;
    }
    engine_results_free(results);
    *results = job.results;
    return FID_OK;
}
