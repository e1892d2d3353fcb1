/*
 * The database file as a whole: backup and restore through SQLite's
 * online backup API, integrity checks, statistics.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_admin.h"
#include "crm_config.h"
#include "crm_db.h"
#include "crm_util.h"

/* Pages copied per step: short read locks, so writers are not held up. */
#define BACKUP_PAGES	256
#define RETRY_MS	50

const char *const crm_db_stats_columns[] = {
	"path", "schema_version", "size_bytes", "page_size", "tables", NULL
};

static int
busy(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

/* The busy timeout in milliseconds; crm_db_open() has validated it. */
static int
busy_ms(void)
{
	return atoi(crm_config_get("busy_timeout", NULL, "5000"));
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Copy the main database of src into dst, pages at a time (-1: all in
 * one step).  A busy or locked step is retried until wait_ms have passed
 * (the busy handler may have waited already); a change of the source in
 * between makes SQLite restart the copy by itself.  Returns SQLITE_OK or
 * the code of the failure, whose message is then on dst.
 */
static int
copy(sqlite3 *dst, sqlite3 *src, int pages, int wait_ms)
{
	sqlite3_backup *b;
	long start = now_ms();
	int rc, frc;

	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL)
		return sqlite3_extended_errcode(dst);
	for (;;) {
		rc = sqlite3_backup_step(b, pages);
		if (rc == SQLITE_OK)
			continue;
		if (busy(rc) && now_ms() - start < wait_ms) {
			sqlite3_sleep(RETRY_MS);
			continue;
		}
		break;
	}
	frc = sqlite3_backup_finish(b);
	return rc == SQLITE_DONE ? frc : rc;
}

static int
same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* A new empty file, mode 0600, next to file; *tmp is the caller's. */
static struct crm_error *
make_temp(const char *file, char **tmp)
{
	const char *slash = strrchr(file, '/');
	struct crm_buf b = CRM_BUF_INIT;
	struct crm_error *err;
	int fd;

	if (slash != NULL)
		crm_buf_add(&b, file, (size_t)(slash - file + 1));
	crm_buf_addf(&b, ".%s.XXXXXX", slash != NULL ? slash + 1 : file);
	*tmp = crm_buf_detach(&b);
	if ((fd = mkstemp(*tmp)) < 0) {
		err = crm_error_new(CRM_EXIT_FAIL, "%s: %s", file,
		    strerror(errno));
		free(*tmp);
		*tmp = NULL;
		return err;
	}
	(void)fchmod(fd, 0600);
	close(fd);
	return NULL;
}

/* Make the rename durable; a directory that cannot be synced is no error. */
static void
sync_dir(const char *file)
{
	char *dir = crm_xstrdup(file), *slash = strrchr(dir, '/');
	int fd;

	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

/* Copy db into the empty database tmp, and turn it into one file. */
static struct crm_error *
write_backup(struct crm_db *db, const char *tmp, const char *file)
{
	struct crm_error *err = NULL;
	sqlite3 *dst = NULL;
	int rc;

	rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc == SQLITE_OK)
		rc = copy(dst, db->sql, BACKUP_PAGES, busy_ms());
	/* The copied header says WAL; a backup should be a single file. */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL,
		    NULL, NULL);
	if (busy(rc))
		err = crm_db_error(db, rc);
	else if (rc != SQLITE_OK)
		err = crm_error_new(CRM_EXIT_FAIL, "%s: cannot write backup: "
		    "%s", file, dst != NULL ? sqlite3_errmsg(dst) :
		    sqlite3_errstr(rc));
	rc = sqlite3_close(dst);
	if (err == NULL && rc != SQLITE_OK)
		err = crm_error_new(CRM_EXIT_FAIL, "%s: cannot write backup: "
		    "%s", file, sqlite3_errstr(rc));
	return err;
}

/* Remove a temporary database: tmp and SQLite's files. */
static void
remove_temp(const char *tmp)
{
	static const char *const ext[] = { "", "-journal", "-wal", "-shm" };
	struct crm_buf b = CRM_BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		crm_buf_reset(&b);
		crm_buf_addf(&b, "%s%s", tmp, ext[i]);
		unlink(b.buf);
	}
	crm_buf_release(&b);
}

struct crm_error *
crm_db_backup(struct crm_db *db, const char *file)
{
	struct crm_error *err;
	struct stat sb;
	char *tmp;

	if (stat(file, &sb) == 0 && S_ISDIR(sb.st_mode))
		return crm_error_new(CRM_EXIT_FAIL, "%s: is a directory", file);
	if (same_file(file, db->path))
		return crm_error_new(CRM_EXIT_FAIL, "%s: is the database "
		    "itself", file);
	if ((err = make_temp(file, &tmp)) != NULL)
		return err;
	err = write_backup(db, tmp, file);
	if (err == NULL && rename(tmp, file) != 0)
		err = crm_error_new(CRM_EXIT_FAIL, "%s: %s", file,
		    strerror(errno));
	if (err != NULL)
		remove_temp(tmp);
	else
		sync_dir(file);
	free(tmp);
	return err;
}

/* The integer a pragma returns on src, in *v. */
static int
pragma_int(sqlite3 *s, const char *sql, int *v)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = sqlite3_prepare_v2(s, sql, -1, &st, NULL)) != SQLITE_OK)
		return rc;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*v = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* src passes quick_check; *problem is the first complaint, or none. */
static int
quick_check(sqlite3 *src, char *problem, size_t len)
{
	sqlite3_stmt *st;
	const char *s;
	int rc;

	*problem = '\0';
	rc = sqlite3_prepare_v2(src, "PRAGMA quick_check(1)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s = (const char *)sqlite3_column_text(st, 0);
		if (s != NULL && strcmp(s, "ok") != 0) {
			/* One line: past the header, up to the first break. */
			if (strncmp(s, "*** in database", 15) == 0 &&
			    strchr(s, '\n') != NULL)
				s = strchr(s, '\n') + 1;
			snprintf(problem, len, "%.*s", (int)strcspn(s, "\n"),
			    s);
		}
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Is src a sound crm database that this crm can take?  *version is its. */
static struct crm_error *
verify(struct crm_db *db, sqlite3 *src, const char *file, int *version)
{
	char problem[256];
	int rc, have, want = crm_db_schema_version();

	if ((rc = quick_check(src, problem, sizeof(problem))) != SQLITE_OK ||
	    (rc = pragma_int(src, "PRAGMA user_version", &have)) != SQLITE_OK) {
		if (busy(rc))
			return crm_error_new(CRM_EXIT_TEMPFAIL, "%s: database "
			    "is busy, try again later", file);
		/* Damage where the check itself must read: the schema. */
		if ((rc & 0xff) == SQLITE_CORRUPT)
			return crm_error_new(CRM_EXIT_FAIL, "%s: damaged "
			    "database: %s", file, sqlite3_errstr(rc));
		return crm_error_new(CRM_EXIT_FAIL, "%s: not a crm database",
		    file);
	}
	if (*problem != '\0')
		return crm_error_new(CRM_EXIT_FAIL, "%s: damaged database: %s",
		    file, problem);
	if (have < 1)
		return crm_error_new(CRM_EXIT_FAIL, "%s: not a crm database",
		    file);
	if (have > want)
		return crm_error_new(CRM_EXIT_FAIL, "%s: schema version %d is "
		    "newer than this crm knows (%d): upgrade crm", file, have,
		    want);
	*version = have;
	return NULL;
}

/*
 * Into a WAL database SQLite copies pages of its own size only: a backup
 * of another size (made before crm chose 8192-byte pages, say) is first
 * rewritten with the database's into *tmp, next to it, and read from
 * there.
 */
static struct crm_error *
resize(struct crm_db *db, sqlite3 **src, const char *file, char **tmp)
{
	struct crm_error *err;
	sqlite3_stmt *st = NULL;
	char sql[40];
	int psrc, pdst, rc;

	if ((rc = pragma_int(*src, "PRAGMA page_size", &psrc)) != SQLITE_OK ||
	    (rc = pragma_int(db->sql, "PRAGMA page_size", &pdst)) !=
	    SQLITE_OK)
		return crm_db_error(db, rc);
	if (psrc == pdst)
		return NULL;
	if ((err = make_temp(db->path, tmp)) != NULL)
		return err;
	snprintf(sql, sizeof(sql), "PRAGMA page_size = %d", pdst);
	if ((rc = sqlite3_exec(*src, sql, NULL, NULL, NULL)) == SQLITE_OK &&
	    (rc = sqlite3_prepare_v2(*src, "VACUUM INTO ?", -1, &st,
	    NULL)) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, *tmp, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK :
		    sqlite3_errcode(*src);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return crm_error_new(CRM_EXIT_FAIL, "%s: cannot convert to "
		    "page size %d: %s", file, pdst, sqlite3_errmsg(*src));
	sqlite3_close(*src);
	if ((rc = sqlite3_open_v2(*tmp, src, SQLITE_OPEN_READONLY, NULL)) !=
	    SQLITE_OK)
		return crm_error_new(CRM_EXIT_FAIL, "%s: %s", *tmp,
		    sqlite3_errstr(rc));
	return NULL;
}

/* Open the database at db->path again, migrating it, inside *db. */
static struct crm_error *
reopen(struct crm_db *db)
{
	struct crm_db *fresh, old;
	struct crm_error *err;

	if ((err = crm_db_open(db->path, CRM_DB_WRITE, &fresh)) != NULL)
		return crm_error_prefix(err, "restored, but the upgrade "
		    "failed");
	old = *db;
	*db = *fresh;
	*fresh = old;
	crm_db_close(fresh);
	return NULL;
}

struct crm_error *
crm_db_restore(struct crm_db *db, const char *file)
{
	struct crm_error *err = NULL;
	struct stat sb;
	sqlite3 *src = NULL;
	char *tmp = NULL;
	int rc, version = 0;

	if (db->in_tx)
		return crm_error_new(CRM_EXIT_FAIL, "cannot restore inside a "
		    "transaction");
	if (db->readonly)
		return crm_error_new(CRM_EXIT_FAIL, "%s: database is read-only",
		    db->path);
	if (stat(file, &sb) != 0)
		return crm_error_new(CRM_EXIT_FAIL, "%s: %s", file,
		    strerror(errno));
	if (S_ISDIR(sb.st_mode))
		return crm_error_new(CRM_EXIT_FAIL, "%s: is a directory", file);
	if (same_file(file, db->path))
		return crm_error_new(CRM_EXIT_FAIL, "%s: is the database "
		    "itself", file);
	rc = sqlite3_open_v2(file, &src, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		err = crm_error_new(CRM_EXIT_FAIL, "%s: %s", file,
		    src != NULL ? sqlite3_errmsg(src) : sqlite3_errstr(rc));
		goto done;
	}
	if ((err = verify(db, src, file, &version)) != NULL ||
	    (err = resize(db, &src, file, &tmp)) != NULL)
		goto done;
	/* One step: one write transaction on the live database. */
	if ((rc = copy(db->sql, src, -1, busy_ms())) != SQLITE_OK) {
		err = crm_db_error(db, rc);
		goto done;
	}
	if (version < crm_db_schema_version())
		err = reopen(db);
done:
	sqlite3_close(src);
	if (tmp != NULL)
		remove_temp(tmp);
	free(tmp);
	return err;
}

/* Hand each line of text to fn; 1 when fn asked to stop. */
static int
report(const char *text, int (*fn)(const char *, void *), void *arg,
    long *n)
{
	const char *nl;
	char *line;
	int stop = 0;

	while (!stop && *text != '\0') {
		if ((nl = strchr(text, '\n')) == NULL)
			nl = text + strlen(text);
		line = crm_xstrndup(text, (size_t)(nl - text));
		/* A header line, not a problem. */
		if (*line != '\0' &&
		    strncmp(line, "*** in database", 15) != 0) {
			(*n)++;
			stop = fn(line, arg) != 0;
		}
		free(line);
		text = *nl == '\0' ? nl : nl + 1;
	}
	return stop;
}

static struct crm_error *
integrity(struct crm_db *db, int (*fn)(const char *, void *), void *arg,
    long *n, int *stop)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	const char *s;
	int rc;

	if ((err = crm_db_prepare(db, "PRAGMA integrity_check", &st)) != NULL)
		return err;
	while (!*stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		s = (const char *)sqlite3_column_text(st, 0);
		if (s != NULL && strcmp(s, "ok") != 0)
			*stop = report(s, fn, arg, n);
	}
	if (!*stop && rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

static struct crm_error *
foreign_keys(struct crm_db *db, int (*fn)(const char *, void *), void *arg,
    long *n, int *stop)
{
	struct crm_buf b = CRM_BUF_INIT;
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	if ((err = crm_db_prepare(db, "PRAGMA foreign_key_check", &st)) !=
	    NULL)
		return err;
	while (!*stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		crm_buf_reset(&b);
		crm_buf_adds(&b, "foreign key: ");
		if (sqlite3_column_type(st, 1) == SQLITE_NULL)
			crm_buf_adds(&b, "a row");
		else
			crm_buf_addf(&b, "row %lld", (long long)
			    sqlite3_column_int64(st, 1));
		crm_buf_addf(&b, " of \"%s\" refers to a missing row of "
		    "\"%s\"", sqlite3_column_text(st, 0),
		    sqlite3_column_text(st, 2));
		(*n)++;
		*stop = fn(b.buf, arg) != 0;
	}
	if (!*stop && rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	crm_buf_release(&b);
	return err;
}

struct crm_error *
crm_db_check(struct crm_db *db, int (*fn)(const char *, void *), void *arg,
    long *problems)
{
	struct crm_error *err;
	long n = 0;
	int stop = 0;

	err = integrity(db, fn, arg, &n, &stop);
	if (err == NULL && !stop)
		err = foreign_keys(db, fn, arg, &n, &stop);
	if (problems != NULL)
		*problems = n;
	return err;
}

/* Rows in every table but SQLite's own and FTS shadow tables. */
static struct crm_error *
count_tables(struct crm_db *db, cJSON *tables)
{
	static const char sql[] = "SELECT name FROM pragma_table_list"
	    " WHERE schema = 'main' AND type IN ('table', 'virtual')"
	    " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";
	struct crm_buf q = CRM_BUF_INIT;
	struct crm_error *err;
	sqlite3_stmt *st, *cnt;
	const char *name, *p;
	int rc;

	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	while (err == NULL && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		/*
		 * A table name cannot be bound: it is pasted, quoted with
		 * its '"' doubled.  It comes from the schema, never from
		 * the user, and this is the only such place.
		 */
		crm_buf_reset(&q);
		crm_buf_adds(&q, "SELECT count(*) FROM \"");
		for (p = name; *p != '\0'; p++) {
			if (*p == '"')
				crm_buf_addch(&q, '"');
			crm_buf_addch(&q, *p);
		}
		crm_buf_adds(&q, "\"");
		if ((err = crm_db_prepare(db, q.buf, &cnt)) != NULL)
			break;
		if ((rc = sqlite3_step(cnt)) == SQLITE_ROW)
			cJSON_AddNumberToObject(tables, name,
			    (double)sqlite3_column_int64(cnt, 0));
		else
			err = crm_db_error(db, rc);
		sqlite3_finalize(cnt);
	}
	if (err == NULL && rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	crm_buf_release(&q);
	return err;
}

/* The size of the database file and of its write-ahead log. */
static double
file_size(const char *path)
{
	struct crm_buf wal = CRM_BUF_INIT;
	struct stat sb;
	double n = 0;

	if (stat(path, &sb) == 0)
		n += (double)sb.st_size;
	crm_buf_addf(&wal, "%s-wal", path);
	if (stat(wal.buf, &sb) == 0)
		n += (double)sb.st_size;
	crm_buf_release(&wal);
	return n;
}

struct crm_error *
crm_db_stats(struct crm_db *db, cJSON **out)
{
	cJSON *rec = cJSON_CreateObject();
	struct crm_error *err;
	int rc, version = 0, page = 0;

	*out = NULL;
	/* One read transaction: every count from the same snapshot. */
	if ((err = crm_db_exec(db, "BEGIN")) != NULL)
		goto done;
	if ((rc = pragma_int(db->sql, "PRAGMA user_version", &version)) !=
	    SQLITE_OK ||
	    (rc = pragma_int(db->sql, "PRAGMA page_size", &page)) !=
	    SQLITE_OK) {
		err = crm_db_error(db, rc);
		goto done;
	}
	cJSON_AddStringToObject(rec, "path", db->path);
	cJSON_AddNumberToObject(rec, "schema_version", version);
	cJSON_AddNumberToObject(rec, "size_bytes", file_size(db->path));
	cJSON_AddNumberToObject(rec, "page_size", page);
	err = count_tables(db, cJSON_AddObjectToObject(rec, "tables"));
done:
	if (sqlite3_get_autocommit(db->sql) == 0)
		sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL);
	if (err != NULL)
		cJSON_Delete(rec);
	else
		*out = rec;
	return err;
}
