/*
 * The database: one SQLite file, found by --db, CRM_DB, the config key
 * "db", or $XDG_DATA_HOME/crm/crm.db; created 0600 in a 0700 directory;
 * WAL, a busy timeout (CRM_BUSY_TIMEOUT, milliseconds, default 5000),
 * migrations by PRAGMA user_version applied on open.
 *
 * A command's writes are one transaction: crm_db_begin() (BEGIN IMMEDIATE),
 * the library calls, crm_db_commit(); on any error crm_db_rollback().
 * Only domain modules (lib/<entity>.c) run SQL, each on its own tables.
 */
#ifndef CRM_DB_H
#define CRM_DB_H

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_error.h"
#include "crm_util.h"

#define CRM_DB_READ	0	/* opens read-only when the file is */
#define CRM_DB_WRITE	1	/* refuses a read-only file */

struct crm_db {
	sqlite3	*sql;
	char	*path;
	int	 readonly;
	int	 in_tx;
	sqlite3_stmt *event_st;	/* crm_db_event()'s, finalized on close */
	int	 busy_ms;	/* how long to wait for a lock */
	double	 busy_since;	/* when this wait began (monotonic s) */
	/* crm_db_get_one()'s statements, kept for the next call. */
	struct {
		char		*sql;
		sqlite3_stmt	*st;
	}	 kept[8];
};

/* The schema version this library writes (PRAGMA user_version). */
int	 crm_db_schema_version(void);

/* Resolve the path from flag (may be NULL); *path is the caller's to free. */
struct crm_error *crm_db_resolve(const char *flag, char **path);

/*
 * Open (creating file and directory on first use) and migrate.  *out is
 * freed with crm_db_close(), which rolls back an open transaction.
 */
struct crm_error *crm_db_open(const char *path, int mode,
	    struct crm_db **out);
void	 crm_db_close(struct crm_db *db);

struct crm_error *crm_db_begin(struct crm_db *db);
struct crm_error *crm_db_commit(struct crm_db *db);
void	 crm_db_rollback(struct crm_db *db);

/*
 * The error for a failed SQLite call: busy and locked give
 * CRM_EXIT_TEMPFAIL, everything else CRM_EXIT_FAIL, with SQLite's message.
 */
struct crm_error *crm_db_error(struct crm_db *db, int rc);
/* Prepare sql; *st is the caller's to sqlite3_finalize(). */
struct crm_error *crm_db_prepare(struct crm_db *db, const char *sql,
	    sqlite3_stmt **st);
/*
 * Prepare "head FROM (VALUES (?,...),...) WHERE key IS NOT NULL": rows
 * rows of cols parameters, for bulk loads that bind many rows to one
 * statement; the rows left unbound (NULL key) are left out.  head ends
 * in a SELECT of column1...columnN.
 */
struct crm_error *crm_db_prepare_rows(struct crm_db *db, const char *head,
	    int rows, int cols, const char *key, sqlite3_stmt **st);
/* Run SQL that takes no parameters and returns no rows. */
struct crm_error *crm_db_exec(struct crm_db *db, const char *sql);
/*
 * Step st once and finalize it: an error unless it is done (or gave a
 * row, which is ignored).
 */
struct crm_error *crm_db_step_done(struct crm_db *db, sqlite3_stmt *st);
/*
 * Run sql, which selects ids and binds text as its one parameter: *id is
 * the first id (0 when none), *count how many rows matched.
 */
struct crm_error *crm_db_lookup(struct crm_db *db, const char *sql,
	    const char *text, sqlite3_int64 *id, int *count);
/*
 * The id of the row of table (a name from the code, never the user's)
 * whose id is ref, when ref is all digits, else whose name is ref.  None
 * is a CRM_EXIT_USAGE error "no WHAT \"REF\"".
 */
struct crm_error *crm_db_resolve_name(struct crm_db *db, const char *table,
	    const char *what, const char *ref, sqlite3_int64 *id);

/*
 * Whether name may name a row of table (from the code): a slug
 * (crm_name_check(), what naming the kind) that no row but self (0: a
 * new one) has; else a usage error, "a WHAT named \"NAME\" exists".
 */
struct crm_error *crm_db_name_free(struct crm_db *db, const char *table,
	    const char *what, const char *name, sqlite3_int64 self);

/*
 * The record of one row: sql binds the id as its one parameter, row turns
 * the row into a record.  No row is a CRM_EXIT_FAIL error "no WHAT ID".
 * *rec is the caller's to cJSON_Delete().
 */
struct crm_error *crm_db_get_one(struct crm_db *db, const char *sql,
	    sqlite3_int64 id, cJSON *(*row)(sqlite3_stmt *st),
	    const char *what, cJSON **rec);
/*
 * Run sql, which takes no parameters and selects one text column, and
 * call fn with each value (borrowed for the call; NULL for NULL).
 */
struct crm_error *crm_db_each_text(struct crm_db *db, const char *sql,
	    void (*fn)(const char *value, void *arg), void *arg);
/* Bind text, or NULL for a NULL string. */
int	 crm_db_bind_text(sqlite3_stmt *st, int i, const char *s);

/*
 * Record a change in the events table, in the current transaction:
 * entity ("contact"), its id, the action ("add", "update", "delete",
 * "tag", ...), and the changed fields (may be NULL; not taken over).
 */
struct crm_error *crm_db_event(struct crm_db *db, const char *entity,
	    sqlite3_int64 id, const char *action, const cJSON *changes);

/*
 * Bulk writes: drop the triggers whose names are like pattern (LIKE, with
 * \\ as the escape), keeping their SQL in *saved; create them again with
 * crm_db_triggers_restore(), which empties *saved.  Both in the caller's
 * transaction, so that a rollback brings the triggers back.
 */
struct crm_error *crm_db_triggers_drop(struct crm_db *db,
	    const char *pattern, struct crm_strv *saved);
struct crm_error *crm_db_triggers_restore(struct crm_db *db,
	    struct crm_strv *saved);

/*
 * Step st, prepared and bound by the caller: each row made a record by
 * row and handed to fn (borrowed for the call) until fn returns non-zero.
 * st is finalized.
 */
struct crm_error *crm_db_each_row(struct crm_db *db, sqlite3_stmt *st,
	    cJSON *(*row)(sqlite3_stmt *st),
	    int (*fn)(const cJSON *rec, void *arg), void *arg);

/*
 * A list: the rows of select (an SQL SELECT without WHERE) that where
 * passes, in the order sort asks (tiebreak last), both against the
 * fields fs and either NULL (crm_list_compile()), at most limit (0: all),
 * each made a record by row and handed to fn (borrowed for the call)
 * until fn returns non-zero.
 */
struct crm_fieldset;
struct crm_error *crm_db_list(struct crm_db *db, const char *select,
	    const struct crm_fieldset *fs, const char *where,
	    const char *sort, const char *tiebreak, long limit,
	    cJSON *(*row)(sqlite3_stmt *st),
	    int (*fn)(const cJSON *rec, void *arg), void *arg);

/* Column i of the current row as a cJSON value (NULL → JSON null). */
cJSON	*crm_db_column_json(sqlite3_stmt *st, int i);

#endif
