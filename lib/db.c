#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_config.h"
#include "crm_db.h"
#include "crm_filter.h"
#include "crm_schema.h"
#include "crm_util.h"

const char crm_db_schema_1[] =
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" entity TEXT NOT NULL,"
	" entity_id INTEGER NOT NULL,"
	" action TEXT NOT NULL,"
	" actor TEXT NOT NULL,"
	" at TEXT NOT NULL,"
	" changes TEXT);"
	"CREATE INDEX events_entity ON events(entity, entity_id);";

int
crm_db_schema_version(void)
{
	size_t n;

	crm_schema_migrations(&n);
	return (int)n;
}

struct crm_error *
crm_db_resolve(const char *flag, char **path)
{
	const char *s = crm_config_get("db", flag, NULL), *home;
	struct crm_buf b = CRM_BUF_INIT;

	if (s != NULL) {
		if (*s == '\0')
			return crm_error_new(CRM_EXIT_USAGE,
			    "empty database path");
		*path = crm_xstrdup(s);
		return NULL;
	}
	if ((s = getenv("XDG_DATA_HOME")) != NULL && *s == '/')
		crm_buf_addf(&b, "%s/crm/crm.db", s);
	else if ((home = getenv("HOME")) != NULL && *home != '\0')
		crm_buf_addf(&b, "%s/.local/share/crm/crm.db", home);
	else
		return crm_error_new(CRM_EXIT_FAIL, "no database: set CRM_DB, "
		    "XDG_DATA_HOME or HOME");
	*path = crm_buf_detach(&b);
	return NULL;
}

/* mkdir -p the directory part of path; the directories made are 0700. */
static struct crm_error *
make_parent(const char *path)
{
	char *dir = crm_xstrdup(path), *p;
	struct crm_error *err = NULL;

	if ((p = strrchr(dir, '/')) == NULL || p == dir)
		goto done;
	*p = '\0';
	for (p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		int last = *p == '\0';
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			err = crm_error_new(CRM_EXIT_FAIL,
			    "cannot create directory %s: %s", dir,
			    strerror(errno));
			goto done;
		}
		if (last)
			break;
		*p = '/';
	}
done:
	free(dir);
	return err;
}

struct crm_error *
crm_db_error(struct crm_db *db, int rc)
{
	const char *msg = db != NULL && db->sql != NULL ?
	    sqlite3_errmsg(db->sql) : sqlite3_errstr(rc);
	int code = rc & 0xff, sys;

	sys = db != NULL && db->sql != NULL ?
	    sqlite3_system_errno(db->sql) : 0;
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return crm_error_new(CRM_EXIT_TEMPFAIL,
		    "%s: database is busy, try again later",
		    db != NULL ? db->path : "database");
	/* The file may be writable: WAL needs its -wal and -shm beside it. */
	if (rc == SQLITE_READONLY_DIRECTORY)
		return crm_error_new(CRM_EXIT_FAIL, "%s: the directory of the "
		    "database is read-only", db->path);
	if (code == SQLITE_READONLY)
		return crm_error_new(CRM_EXIT_FAIL,
		    "%s: database is read-only", db->path);
	if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
		return crm_error_new(CRM_EXIT_FAIL,
		    "%s: file is not a crm database or is corrupt", db->path);
	if (code == SQLITE_FULL || (code == SQLITE_IOERR &&
	    (sys == ENOSPC || sys == EDQUOT)))
		return crm_error_new(CRM_EXIT_FAIL, "%s: disk full", db->path);
	/* "disk I/O error" alone hides the cause: a file size limit, ... */
	if (code == SQLITE_IOERR && sys != 0)
		return crm_error_new(CRM_EXIT_FAIL, "%s: %s: %s", db->path,
		    msg, strerror(sys));
	return crm_error_new(CRM_EXIT_FAIL, "%s: %s",
	    db != NULL ? db->path : "database", msg);
}

struct crm_error *
crm_db_prepare(struct crm_db *db, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(db->sql, sql, -1, st, NULL);

	return rc == SQLITE_OK ? NULL : crm_db_error(db, rc);
}

struct crm_error *
crm_db_prepare_rows(struct crm_db *db, const char *head, int rows, int cols,
    const char *key, sqlite3_stmt **st)
{
	struct crm_buf q = CRM_BUF_INIT;
	struct crm_error *err;
	int i, j;

	crm_buf_adds(&q, head);
	crm_buf_adds(&q, " FROM (VALUES ");
	for (i = 0; i < rows; i++)
		for (j = 0; j < cols; j++)
			crm_buf_adds(&q, j == 0 ? (i ? "),(?" : "(?") : ",?");
	crm_buf_addf(&q, ")) WHERE %s IS NOT NULL", key);
	err = crm_db_prepare(db, q.buf, st);
	crm_buf_release(&q);
	return err;
}

struct crm_error *
crm_db_exec(struct crm_db *db, const char *sql)
{
	int rc = sqlite3_exec(db->sql, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? NULL : crm_db_error(db, rc);
}

struct crm_error *
crm_db_step_done(struct crm_db *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	struct crm_error *err = NULL;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_db_lookup(struct crm_db *db, const char *sql, const char *text,
    sqlite3_int64 *id, int *count)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	*id = 0;
	*count = 0;
	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (++*count == 1)
			*id = sqlite3_column_int64(st, 0);
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

/*
 * A statement for sql kept from an earlier call, reset, or a new one kept
 * in a free slot (NULL *slot when none is free: the caller finalizes it).
 * A get runs once per record shown or sent, so its SQL is parsed once.
 */
static struct crm_error *
kept_prepare(struct crm_db *db, const char *sql, sqlite3_stmt **st,
    int *slot)
{
	size_t i, n = sizeof(db->kept) / sizeof(db->kept[0]);
	struct crm_error *err;

	*slot = -1;
	for (i = 0; i < n && db->kept[i].sql != NULL; i++)
		if (strcmp(db->kept[i].sql, sql) == 0 &&
		    !sqlite3_stmt_busy(db->kept[i].st)) {
			*st = db->kept[i].st;
			sqlite3_reset(*st);
			sqlite3_clear_bindings(*st);
			*slot = (int)i;
			return NULL;
		}
	if ((err = crm_db_prepare(db, sql, st)) != NULL || i == n)
		return err;
	db->kept[i].sql = crm_xstrdup(sql);
	db->kept[i].st = *st;
	*slot = (int)i;
	return NULL;
}

struct crm_error *
crm_db_get_one(struct crm_db *db, const char *sql, sqlite3_int64 id,
    cJSON *(*row)(sqlite3_stmt *), const char *what, cJSON **rec)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc, slot;

	*rec = NULL;
	if ((err = kept_prepare(db, sql, &st, &slot)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*rec = row(st);
	else if (rc == SQLITE_DONE)
		err = crm_error_new(CRM_EXIT_FAIL, "no %s %lld", what,
		    (long long)id);
	else
		err = crm_db_error(db, rc);
	if (slot < 0)
		sqlite3_finalize(st);
	else
		sqlite3_reset(st);
	return err;
}

struct crm_error *
crm_db_each_text(struct crm_db *db, const char *sql,
    void (*fn)(const char *, void *), void *arg)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn((const char *)sqlite3_column_text(st, 0), arg);
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

int
crm_db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

static struct crm_error *
user_version(struct crm_db *db, int *v)
{
	sqlite3_stmt *st;
	struct crm_error *err;
	int rc;

	if ((err = crm_db_prepare(db, "PRAGMA user_version", &st)) != NULL)
		return err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	else
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

static struct crm_error *
migrate(struct crm_db *db, int have)
{
	const struct crm_migration *m;
	struct crm_error *err;
	char sql[64];
	size_t n;
	int v;

	m = crm_schema_migrations(&n);
	if (db->readonly)
		return crm_error_new(CRM_EXIT_FAIL, "%s: schema version %d "
		    "needs an upgrade to %zu, but the database is read-only",
		    db->path, have, n);
	if ((err = crm_db_begin(db)) != NULL)
		return err;
	/* Another command may have migrated while we waited for the lock. */
	if ((err = user_version(db, &v)) != NULL)
		goto fail;
	for (; v < (int)n; v++) {
		if ((err = crm_db_exec(db, m[v].sql)) != NULL) {
			crm_error_prefix(err, "migration %d (%s)", v + 1,
			    m[v].module);
			goto fail;
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", n);
	if ((err = crm_db_exec(db, sql)) != NULL)
		goto fail;
	return crm_db_commit(db);
fail:
	crm_db_rollback(db);
	return err;
}

/* Create the file 0600 (and its directory) when it does not exist yet. */
static struct crm_error *
create_file(const char *path)
{
	struct crm_error *err;
	int fd;

	if ((err = make_parent(path)) != NULL)
		return err;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno != EEXIST)
		return crm_error_new(CRM_EXIT_FAIL, "%s: %s", path,
		    strerror(errno));
	if (fd >= 0)
		close(fd);
	return NULL;
}

/*
 * Wait for a lock another connection holds, up to db->busy_ms in all:
 * first in steps of a tenth of a millisecond, doubling up to 10 ms.
 * SQLite's own handler sleeps a whole millisecond at first, which is
 * long beside the commit of a row that another run is making.
 */
static int
busy_wait(void *arg, int count)
{
	struct crm_db *db = arg;
	struct timespec now, d;
	double t, left;
	long us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	t = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	if (count == 0)
		db->busy_since = t;
	left = db->busy_ms / 1000.0 - (t - db->busy_since);
	if (left <= 0)
		return 0;
	us = 100L << (count < 7 ? count : 7);
	if (us > 10000)
		us = 10000;
	if (us > (long)(left * 1e6))
		us = (long)(left * 1e6) + 1;
	d.tv_sec = us / 1000000;
	d.tv_nsec = us % 1000000 * 1000;
	nanosleep(&d, NULL);
	return 1;
}

static struct crm_error *
configure(struct crm_db *db)
{
	const char *s = crm_config_get("busy_timeout", NULL, "5000");
	struct crm_error *err;
	char *end;
	long ms;
	int v;

	ms = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || ms < 0 || ms > INT_MAX)
		return crm_error_new(CRM_EXIT_USAGE,
		    "CRM_BUSY_TIMEOUT: invalid milliseconds \"%s\"", s);
	db->busy_ms = (int)ms;
	sqlite3_busy_handler(db->sql, busy_wait, db);
	/* Reading the header first: a file that is no database stays as is. */
	if ((err = user_version(db, &v)) != NULL)
		return err;
	if (v > crm_db_schema_version())
		return crm_error_new(CRM_EXIT_FAIL, "%s: schema version %d is "
		    "newer than this crm knows (%d): upgrade crm", db->path, v,
		    crm_db_schema_version());
	if ((err = crm_db_exec(db, "PRAGMA foreign_keys = ON")) != NULL)
		return err;
	/*
	 * A new file: pages of 8 KiB, fixed from its first write on.  A
	 * million-row import writes and reads a fifth less per row than with
	 * the default 4 KiB, and builds its indexes a fifth faster.
	 */
	if (v == 0 && !db->readonly &&
	    (err = crm_db_exec(db, "PRAGMA page_size = 8192")) != NULL)
		return err;
	if (!db->readonly &&
	    (err = crm_db_exec(db, "PRAGMA journal_mode = WAL")) != NULL)
		return err;
	if (v < crm_db_schema_version())
		return migrate(db, v);
	return NULL;
}

struct crm_error *
crm_db_open(const char *path, int mode, struct crm_db **out)
{
	struct crm_error *err = NULL;
	struct crm_db *db;
	struct stat sb;
	int flags, rc;

	*out = NULL;
	if (stat(path, &sb) != 0) {
		if (errno != ENOENT)
			return crm_error_new(CRM_EXIT_FAIL, "%s: %s", path,
			    strerror(errno));
		if ((err = create_file(path)) != NULL)
			return err;
	} else if (S_ISDIR(sb.st_mode))
		return crm_error_new(CRM_EXIT_FAIL, "%s: is a directory", path);
	db = crm_xcalloc(1, sizeof(*db));
	db->path = crm_xstrdup(path);
	/* No write bit counts as read-only even for root, whom access()
	 * lets write anything. */
	if (access(path, W_OK) != 0 || (stat(path, &sb) == 0 &&
	    (sb.st_mode & 0222) == 0)) {
		if (mode == CRM_DB_WRITE) {
			err = crm_error_new(CRM_EXIT_FAIL,
			    "%s: database is read-only", path);
			goto fail;
		}
		db->readonly = 1;
	}
	/*
	 * A connection is used by one thread only (an import reads ahead in
	 * another, which never calls SQLite): no mutex on every call.
	 */
	flags = (db->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
	    SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX;
	if ((rc = sqlite3_open_v2(path, &db->sql, flags, NULL)) != SQLITE_OK) {
		err = crm_db_error(db, rc);
		goto fail;
	}
	sqlite3_extended_result_codes(db->sql, 1);
	if ((err = configure(db)) != NULL)
		goto fail;
	*out = db;
	return NULL;
fail:
	crm_db_close(db);
	return err;
}

void
crm_db_close(struct crm_db *db)
{
	size_t i;

	if (db == NULL)
		return;
	if (db->in_tx)
		crm_db_rollback(db);
	sqlite3_finalize(db->event_st);
	for (i = 0; i < sizeof(db->kept) / sizeof(db->kept[0]); i++) {
		sqlite3_finalize(db->kept[i].st);
		free(db->kept[i].sql);
	}
	sqlite3_close_v2(db->sql);
	free(db->path);
	free(db);
}

struct crm_error *
crm_db_begin(struct crm_db *db)
{
	struct crm_error *err;

	if (db->readonly)
		return crm_error_new(CRM_EXIT_FAIL,
		    "%s: database is read-only", db->path);
	if ((err = crm_db_exec(db, "BEGIN IMMEDIATE")) == NULL)
		db->in_tx = 1;
	return err;
}

struct crm_error *
crm_db_commit(struct crm_db *db)
{
	struct crm_error *err = crm_db_exec(db, "COMMIT");

	if (err != NULL)
		crm_db_rollback(db);
	db->in_tx = 0;
	return err;
}

void
crm_db_rollback(struct crm_db *db)
{
	if (sqlite3_get_autocommit(db->sql) == 0)
		sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
	db->in_tx = 0;
}

struct crm_error *
crm_db_event(struct crm_db *db, const char *entity, sqlite3_int64 id,
    const char *action, const cJSON *changes)
{
	static const char sql[] = "INSERT INTO events"
	    " (entity, entity_id, action, actor, at, changes)"
	    " VALUES (?, ?, ?, ?, ?, ?)";
	struct crm_error *err = NULL;
	sqlite3_stmt *st;
	char now[CRM_TIME_LEN], *json = NULL;
	int rc;

	/* Kept in the handle: a batch writes an event per record. */
	if (db->event_st == NULL &&
	    (err = crm_db_prepare(db, sql, &db->event_st)) != NULL)
		return err;
	st = db->event_st;
	crm_time_now(now);
	if (changes != NULL)
		json = cJSON_PrintUnformatted(changes);
	sqlite3_bind_text(st, 1, entity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, crm_actor(), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, now, -1, SQLITE_TRANSIENT);
	crm_db_bind_text(st, 6, json);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	cJSON_free(json);
	return err;
}

cJSON *
crm_db_column_json(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return cJSON_CreateNumber((double)sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return cJSON_CreateNumber(sqlite3_column_double(st, i));
	case SQLITE_NULL:
		return cJSON_CreateNull();
	default:
		return cJSON_CreateString(
		    (const char *)sqlite3_column_text(st, i));
	}
}

struct crm_error *
crm_db_triggers_drop(struct crm_db *db, const char *pattern,
    struct crm_strv *saved)
{
	struct crm_strv names = CRM_STRV_INIT;
	struct crm_error *err;
	sqlite3_stmt *st;
	size_t i;
	char *sql;
	int rc;

	if ((err = crm_db_prepare(db, "SELECT name, sql FROM sqlite_schema"
	    " WHERE type = 'trigger' AND name LIKE ?1 ESCAPE '\\'"
	    " ORDER BY name", &st)) != NULL)
		return err;
	sqlite3_bind_text(st, 1, pattern, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		crm_strv_push(&names, (const char *)sqlite3_column_text(st, 0));
		crm_strv_push(saved, (const char *)sqlite3_column_text(st, 1));
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	for (i = 0; i < names.n && err == NULL; i++) {
		sql = sqlite3_mprintf("DROP TRIGGER \"%w\"", names.v[i]);
		err = crm_db_exec(db, sql);
		sqlite3_free(sql);
	}
	crm_strv_clear(&names);
	return err;
}

struct crm_error *
crm_db_triggers_restore(struct crm_db *db, struct crm_strv *saved)
{
	struct crm_error *err = NULL;
	size_t i;

	for (i = 0; i < saved->n && err == NULL; i++)
		err = crm_db_exec(db, saved->v[i]);
	if (err == NULL)
		crm_strv_clear(saved);
	return err;
}

struct crm_error *
crm_db_resolve_name(struct crm_db *db, const char *table, const char *what,
    const char *ref, sqlite3_int64 *id)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_error *err;
	int n;

	crm_buf_addf(&sql, "SELECT id FROM %s WHERE %s = ?", table,
	    crm_is_id(ref) ? "id" : "name");
	err = crm_db_lookup(db, sql.buf, ref, id, &n);
	crm_buf_release(&sql);
	if (err == NULL && n == 0)
		err = crm_error_new(CRM_EXIT_USAGE, "no %s \"%s\"", what, ref);
	return err;
}

struct crm_error *
crm_db_name_free(struct crm_db *db, const char *table, const char *what,
    const char *name, sqlite3_int64 self)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_error *err;
	sqlite3_int64 id;
	int n;

	if ((err = crm_name_check(name, what)) != NULL)
		return err;
	crm_buf_addf(&sql, "SELECT id FROM %s WHERE name = ?", table);
	err = crm_db_lookup(db, sql.buf, name, &id, &n);
	crm_buf_release(&sql);
	if (err == NULL && n > 0 && id != self)
		err = crm_error_new(CRM_EXIT_USAGE, "a %s named \"%s\" exists",
		    what, name);
	return err;
}

struct crm_error *
crm_db_each_row(struct crm_db *db, sqlite3_stmt *st,
    cJSON *(*row)(sqlite3_stmt *), int (*fn)(const cJSON *, void *),
    void *arg)
{
	struct crm_error *err = NULL;
	cJSON *rec;
	int rc = SQLITE_DONE, stop = 0;

	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rec = row(st);
		stop = fn(rec, arg);
		cJSON_Delete(rec);
	}
	if (!stop && rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_db_list(struct crm_db *db, const char *select,
    const struct crm_fieldset *fs, const char *where, const char *sort,
    const char *tiebreak, long limit, cJSON *(*row)(sqlite3_stmt *),
    int (*fn)(const cJSON *, void *), void *arg)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_filter_scope scope = { db, NULL, NULL, NULL, NULL };
	struct crm_filter *f = NULL;
	struct crm_error *err;
	sqlite3_stmt *st = NULL;
	char *order = NULL;

	if ((err = crm_list_compile(where, sort, fs, fs, &scope, tiebreak, &f,
	    &order)) != NULL)
		return err;
	crm_buf_addf(&sql, "%s WHERE (%s) ORDER BY %s%s", select,
	    crm_filter_sql(f), order, limit > 0 ? " LIMIT ?" : "");
	if ((err = crm_db_prepare(db, sql.buf, &st)) == NULL) {
		crm_filter_bind(f, st, 1);
		if (limit > 0)
			sqlite3_bind_int64(st, crm_filter_nparams(f) + 1,
			    limit);
		err = crm_db_each_row(db, st, row, fn, arg);
	}
	crm_buf_release(&sql);
	crm_filter_free(f);
	free(order);
	return err;
}
