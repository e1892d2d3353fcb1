/*
 * The database file as a whole: backup, restore, integrity check and
 * statistics (crm-db(1)).  Unlike the domain modules this one owns no
 * table; it works on every table there is.
 */
#ifndef CRM_ADMIN_H
#define CRM_ADMIN_H

#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"

/* The fields of the crm_db_stats() record, in output order. */
extern const char *const crm_db_stats_columns[];

/*
 * Copy the open database into file, consistently, while other commands
 * go on writing (SQLite's online backup, in chunks).  The copy goes to a
 * temporary file of mode 0600 in file's directory that is renamed over
 * file once complete: file is always either what it was or a whole
 * backup.  The backup is one self-contained file (rollback journal, not
 * WAL).  file must not be the database itself.
 */
struct crm_error *crm_db_backup(struct crm_db *db, const char *file);

/*
 * Replace the content of the open database with that of file, a backup,
 * in one write transaction: other readers see the old or the new data,
 * never a mix.  file must be a crm database (integrity "ok", schema
 * version 1 to crm_db_schema_version()); an older schema is migrated
 * after the copy, which reopens the connection inside *db (db itself
 * stays valid).  Anything else is refused with the database untouched.
 * db must not be in a transaction.
 */
struct crm_error *crm_db_restore(struct crm_db *db, const char *file);

/*
 * Run PRAGMA integrity_check and foreign_key_check: fn is called with
 * each problem, one line of text borrowed for the call, until it returns
 * non-zero.  *problems (may be NULL) is their count: 0 when the database
 * is sound.  An error is returned when the check cannot run at all.
 */
struct crm_error *crm_db_check(struct crm_db *db,
	    int (*fn)(const char *problem, void *arg), void *arg,
	    long *problems);

/*
 * A record about the database: {"path", "schema_version", "size_bytes"
 * (the file and its -wal), "page_size", "tables": {NAME: rows, ...}}
 * with every table but SQLite's own and full-text shadow tables.  *out is
 * the caller's to cJSON_Delete().
 */
struct crm_error *crm_db_stats(struct crm_db *db, cJSON **out);

#endif
