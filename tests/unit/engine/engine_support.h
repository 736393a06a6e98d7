/*
 * Helpers shared by the engine's unit tests, on top of unit_support.h: an engine on a fresh
 * file in a directory of its own under /tmp, with one merchant (EUR, Europe/Paris) and a
 * programme, and its removal.
 */
#ifndef FIDELE_TESTS_ENGINE_SUPPORT_H
#define FIDELE_TESTS_ENGINE_SUPPORT_H

#include "../unit_support.h"

#include <unistd.h>

#include "engine/engine.h"

struct engine_test {
    char dir[64], path[96];
    struct engine *engine;
};

/* Opens t->engine on a new database holding merchant name with program (its JSON text). */
static inline void engine_test_open(struct engine_test *t, const char *name, const char *program,
                                    int64_t now)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/fidele-engine-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->path, sizeof t->path, "%s/engine.db", t->dir);
    struct merchant_setup setup = {.name = name,
                                   .currency = "EUR",
                                   .timezone = "Europe/Paris",
                                   .locale = "fr",
                                   .program_text = program};
    struct fid_error err;
    int64_t merchant_id = 0;
    enum fid_status st = engine_create_merchant(t->path, &setup, now, &merchant_id, &err);
    if (st != FID_OK)
        fail_msg("engine_create_merchant: %s %s", err.field, err.message);
    struct engine_options options = {
        .db_path = t->path, .durability = DB_DURABILITY_NORMAL, .merchant_id = merchant_id};
    t->engine = NULL;
    assert_int_equal(engine_open(&options, &t->engine, &err), FID_OK);
}

/* Closes the engine and removes its files and directory. */
static inline void engine_test_close(struct engine_test *t)
{
    engine_close(t->engine);
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    char file[128];
    for (size_t i = 0; i < N_ELEMENTS(suffixes); i++) {
        snprintf(file, sizeof file, "%s%s", t->path, suffixes[i]);
        unlink(file);
    }
    rmdir(t->dir);
}

#endif
