/*
 * The database schema as numbered migrations, applied in order inside one transaction each by
 * schema_migrate (idempotent: applied versions are recorded in schema_migrations).
 */
#ifndef FIDELE_STORE_SCHEMA_H
#define FIDELE_STORE_SCHEMA_H

#include "store/db.h"

enum fid_status schema_migrate(struct db *db, struct fid_error *err) FID_MUST_USE;

/* Applies the migrations up to version only (tests of a migration start from the one before). */
enum fid_status schema_migrate_to(struct db *db, int version, struct fid_error *err) FID_MUST_USE;

/* Highest migration this build knows. */
int schema_latest_version(void);

#endif
