/*
 * crm-contact import: rows read (import_read.c), mapped (import_map.c)
 * and normalised (import_row.c) are written here, in one transaction,
 * with prepared statements reused across rows.
 *
 * Two ways to write.  Live: the indexes stay, and every email and
 * external id is looked up before its row is written (upserts, and small
 * imports into a large table).  Bulk: a unique index filled in random key
 * order costs several times the whole load, so the indexes on contacts are
 * dropped, the rows inserted, and the indexes built again, all in the
 * transaction.  Uniqueness is kept meanwhile by a Bloom filter: a row
 * whose email or external id may have been seen is written without it and
 * noted as a suspect; once the indexes are back, each suspect's key is
 * looked up and set, or the row is removed as a duplicate.
 *
 * Line numbers of written rows, for "duplicate of line N", are kept as
 * runs in a temporary table: a row is noted only where line - id changes.
 */
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"
#include "crm_import.h"
#include "crm_search.h"
#include "crm_util.h"

#define SLOTS		131072		/* company names cached */
#define MAX_IDS		1000		/* updated ids listed in the event */
#define BLOOM_MIN	(1u << 20)	/* bits */
#define BLOOM_MAX	(1u << 26)	/* bits: 8 MB */

enum {
	S_INS, S_MERGE, S_TAG, S_LINE_ADD, S_LINE_FIND, S_SUS_ADD, S_CO_FIND,
	S_CO_ADD, S_CO_DB, S_BY_EMAIL, S_BY_EXT, S_UPSERT, S_TOUCH, S_UPD_ADD,
	S_UPD_FIND, S_COUNT
};

/*
 * OR FAIL and OR IGNORE where SQLite would otherwise open a statement
 * journal for every row (a constraint that aborts must undo the row's
 * changes): a single-row statement has nothing to undo, and an error stops
 * the import anyway.
 */
static const char *const sql[S_COUNT] = {
	"INSERT OR FAIL INTO contacts (kind, name, email, phone, company_id, title,"
	" stage, owner, source, external_id, fields, opt_in, unsubscribed_at,"
	" created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
	" ?10, ?11, ?12, ?13, ?14, ?15)",
	"UPDATE OR FAIL contacts SET kind = ?1, name = ?2, email = ?3, phone = ?4,"
	" company_id = ?5, title = ?6, stage = ?7, owner = ?8, source = ?9,"
	" external_id = ?10, fields = ?11, opt_in = ?12,"
	" unsubscribed_at = ?13, created_at = ?14, updated_at = ?15"
	" WHERE id = ?16",
	"INSERT OR IGNORE INTO contact_tags (contact_id, tag) VALUES (?, ?)",
	"INSERT OR IGNORE INTO temp.imp_line (id, line) VALUES (?, ?)",
	"SELECT id, line FROM temp.imp_line WHERE id <= ?"
	" ORDER BY id DESC LIMIT 1",
	"INSERT OR FAIL INTO temp.imp_sus (line, id, email, ext, raw)"
	" VALUES (?, ?, ?, ?, ?)",
	"SELECT id, auto FROM temp.imp_co WHERE name = ?",
	"INSERT OR REPLACE INTO temp.imp_co (name, id, auto) VALUES (?, ?, ?)",
	"SELECT min(id) FROM contacts WHERE kind = 'company' AND name = ?",
	"SELECT id FROM contacts WHERE email = ?",
	"SELECT id FROM contacts WHERE external_id = ?",
	/* Given values replace, absent ones stay; nothing changes, no row. */
	"UPDATE OR FAIL contacts SET kind = coalesce(?1, kind),"
	" name = coalesce(?2, name), email = coalesce(?3, email),"
	" phone = coalesce(?4, phone), company_id = coalesce(?5, company_id),"
	" title = coalesce(?6, title), stage = coalesce(?7, stage),"
	" owner = coalesce(?8, owner), source = coalesce(?9, source),"
	" external_id = coalesce(?10, external_id),"
	" fields = CASE WHEN ?11 IS NULL THEN fields"
	"  ELSE json_patch(fields, ?11) END,"
	" opt_in = coalesce(?12, opt_in),"
	" unsubscribed_at = coalesce(?13, unsubscribed_at, ?14),"
	" updated_at = ?15 WHERE id = ?16 AND (kind IS NOT coalesce(?1, kind)"
	" OR name IS NOT coalesce(?2, name) OR email IS NOT coalesce(?3, email)"
	" OR phone IS NOT coalesce(?4, phone)"
	" OR company_id IS NOT coalesce(?5, company_id)"
	" OR title IS NOT coalesce(?6, title) OR stage IS NOT coalesce(?7, stage)"
	" OR owner IS NOT coalesce(?8, owner)"
	" OR source IS NOT coalesce(?9, source)"
	" OR external_id IS NOT coalesce(?10, external_id)"
	" OR (?11 IS NOT NULL AND fields IS NOT json_patch(fields, ?11))"
	" OR opt_in IS NOT coalesce(?12, opt_in)"
	" OR unsubscribed_at IS NOT coalesce(?13, unsubscribed_at, ?14))",
	"UPDATE OR FAIL contacts SET updated_at = ? WHERE id = ?",
	"INSERT OR REPLACE INTO temp.imp_upd (id, line) VALUES (?, ?)",
	"SELECT line FROM temp.imp_upd WHERE id = ?",
};

static const char temp_sql[] =
	"DROP TABLE IF EXISTS temp.imp_line;"
	"DROP TABLE IF EXISTS temp.imp_sus;"
	"DROP TABLE IF EXISTS temp.imp_co;"
	"DROP TABLE IF EXISTS temp.imp_upd;"
	"CREATE TEMP TABLE imp_line (id INTEGER PRIMARY KEY, line INTEGER);"
	"CREATE TEMP TABLE imp_sus (line INTEGER PRIMARY KEY, id INTEGER,"
	" email TEXT, ext TEXT, raw BLOB);"
	"CREATE TEMP TABLE imp_co (name TEXT PRIMARY KEY, id INTEGER,"
	" auto INTEGER) WITHOUT ROWID;"
	"CREATE TEMP TABLE imp_upd (id INTEGER PRIMARY KEY, line INTEGER);";

struct slot {
	uint64_t	 h;
	sqlite3_int64	 id;
	char		*name;
	int		 autoc;		/* created by this import, no row yet */
};

struct imp {
	struct crm_db	*db;
	const struct crm_import_opts *o;
	struct crm_import_stats *st;
	struct imp_reader *rd;
	struct imp_map	*map;
	struct imp_norm	*nm;
	const struct imp_col *cols;
	int		 bulk;
	sqlite3_int64	 first_id, last_id, delta;
	int		 have_delta;
	char		 now[CRM_TIME_LEN];
	sqlite3_stmt	*s[S_COUNT];
	uint64_t	*bloom;
	uint64_t	 mask;
	struct slot	*cache;
	struct crm_strv	 indexes;	/* bulk: the CREATE INDEX statements */
	cJSON		*upd_ids;
	struct crm_search_bulk search;	/* the index is built once, at the end */
	struct crm_buf	 msg;
	int		 header_done;	/* --rejects: CSV header written */
};

/* Seconds since the last call, for the phases of st. */
static double
lap(struct timespec *t)
{
	struct timespec now;
	double d;

	clock_gettime(CLOCK_MONOTONIC, &now);
	d = (double)(now.tv_sec - t->tv_sec) +
	    (double)(now.tv_nsec - t->tv_nsec) / 1e9;
	*t = now;
	return d;
}

static uint64_t
hash(const char *s, size_t n, int fold, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	unsigned char c;
	size_t i;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (fold && c >= 'A' && c <= 'Z')
			c += 32;
		h = (h ^ c) * 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/* Add key to the filter; 1 when it may have been added before. */
static int
bloom_seen(struct imp *im, const char *s, int fold, uint64_t seed)
{
	uint64_t h = hash(s, strlen(s), fold, seed), h2 = (h >> 29) | 1, b;
	int i, seen = 1;

	for (i = 0; i < 4; i++, h += h2) {
		b = h & im->mask;
		if (!(im->bloom[b >> 6] & (1ULL << (b & 63)))) {
			seen = 0;
			im->bloom[b >> 6] |= 1ULL << (b & 63);
		}
	}
	return seen;
}

static struct crm_error *
step(struct imp *im, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return NULL;
	return crm_db_error(im->db, rc);
}

/* Run a one-parameter lookup: *id is the first column, 0 for no row. */
static struct crm_error *
lookup(struct imp *im, int which, const char *text, sqlite3_int64 id,
    sqlite3_int64 *out, sqlite3_int64 *out2)
{
	sqlite3_stmt *st = im->s[which];
	int rc;

	if (text != NULL)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, id);
	*out = 0;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		if (out2 != NULL)
			*out2 = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return crm_db_error(im->db, rc);
	return NULL;
}

static struct crm_error *
note_pair(struct imp *im, int which, sqlite3_int64 id, long line)
{
	sqlite3_bind_int64(im->s[which], 1, id);
	sqlite3_bind_int64(im->s[which], 2, line);
	return step(im, im->s[which]);
}

/* A row written as id on line: noted where line - id changes. */
static struct crm_error *
note_line(struct imp *im, sqlite3_int64 id, long line)
{
	if (im->have_delta && line - id == im->delta)
		return NULL;
	im->have_delta = 1;
	im->delta = line - id;
	return note_pair(im, S_LINE_ADD, id, line);
}

/* The line on which contact id was written by this import; 0: not. */
static struct crm_error *
line_of(struct imp *im, sqlite3_int64 id, long *line)
{
	struct crm_error *err;
	sqlite3_int64 l, at;

	*line = 0;
	if ((err = lookup(im, S_UPD_FIND, NULL, id, &l, NULL)) != NULL)
		return err;
	if (l == 0 && id >= im->first_id &&
	    (err = lookup(im, S_LINE_FIND, NULL, id, &at, &l)) == NULL &&
	    at > 0)
		l += id - at;
	*line = (long)l;
	return err;
}

static struct slot *
slot_of(struct imp *im, const char *name, uint64_t *h)
{
	*h = hash(name, strlen(name), 0, 7);
	return &im->cache[*h & (SLOTS - 1)];
}

static void
slot_set(struct slot *sl, uint64_t h, const char *name, sqlite3_int64 id,
    int autoc)
{
	if (sl->name == NULL || strcmp(sl->name, name) != 0) {
		free(sl->name);
		sl->name = crm_xstrdup(name);
	}
	sl->h = h;
	sl->id = id;
	sl->autoc = autoc;
}

static struct crm_error *
co_remember(struct imp *im, const char *name, sqlite3_int64 id, int autoc)
{
	uint64_t h;
	struct slot *sl = slot_of(im, name, &h);

	slot_set(sl, h, name, id, autoc);
	sqlite3_bind_text(im->s[S_CO_ADD], 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(im->s[S_CO_ADD], 2, id);
	sqlite3_bind_int(im->s[S_CO_ADD], 3, autoc);
	return step(im, im->s[S_CO_ADD]);
}

/*
 * The company called name, known to this import or already in the
 * database (the oldest of that name): *id, and *autoc when this import
 * created it for a company column.  *id is 0 when there is none.
 */
static struct crm_error *
co_find(struct imp *im, const char *name, sqlite3_int64 *id, int *autoc)
{
	struct crm_error *err;
	sqlite3_int64 a = 0;
	uint64_t h;
	struct slot *sl = slot_of(im, name, &h);

	if (sl->name != NULL && sl->h == h && strcmp(sl->name, name) == 0) {
		*id = sl->id;
		*autoc = sl->autoc;
		return NULL;
	}
	*autoc = 0;
	if ((err = lookup(im, S_CO_FIND, name, 0, id, &a)) != NULL)
		return err;
	if (*id == 0 && !im->bulk) {
		if ((err = lookup(im, S_CO_DB, name, 0, id, NULL)) != NULL)
			return err;
		if (*id != 0)
			return co_remember(im, name, *id, 0);
	}
	if (*id != 0) {
		*autoc = (int)a;
		slot_set(sl, h, name, *id, *autoc);
	}
	return NULL;
}

/* The id of the company a person names, created when there is none. */
static struct crm_error *
company_id(struct imp *im, const char *name, sqlite3_int64 *id)
{
	sqlite3_stmt *st = im->s[S_INS];
	struct crm_error *err;
	int autoc, i;

	if ((err = co_find(im, name, id, &autoc)) != NULL || *id != 0)
		return err;
	for (i = 1; i <= 15; i++)
		sqlite3_bind_null(st, i);
	sqlite3_bind_text(st, 1, "company", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, "lead", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, "{}", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 12, 0);
	sqlite3_bind_text(st, 14, im->now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 15, im->now, -1, SQLITE_STATIC);
	if ((err = step(im, st)) != NULL)
		return err;
	*id = im->last_id = sqlite3_last_insert_rowid(im->db->sql);
	im->st->companies++;
	return co_remember(im, name, *id, 1);
}

static void
bind(sqlite3_stmt *st, int i, const char *s, const char *dflt)
{
	if (s == NULL)
		s = dflt;
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/*
 * The values of a row into st (INSERT, or the merge or upsert UPDATE):
 * ?1-?15 in the order of S_INS.  full: a whole row, with the defaults of
 * a new contact; else absent values are NULL (kept by the upsert).
 */
static void
bind_row(struct imp *im, sqlite3_stmt *st, const struct imp_vals *v,
    sqlite3_int64 co, int full, int no_email, int no_ext)
{
	const char *unsub_at = v->v[T_UNSUB_AT];

	if (full && unsub_at == NULL && v->unsub)
		unsub_at = im->now;
	bind(st, 1, v->v[T_KIND], full ? "person" : NULL);
	bind(st, 2, v->v[T_NAME], full ? "" : NULL);
	bind(st, 3, no_email ? NULL : v->v[T_EMAIL], NULL);
	bind(st, 4, v->v[T_PHONE], NULL);
	if (co != 0)
		sqlite3_bind_int64(st, 5, co);
	else
		sqlite3_bind_null(st, 5);
	bind(st, 6, v->v[T_TITLE], NULL);
	bind(st, 7, v->v[T_STAGE], full ? "lead" : NULL);
	bind(st, 8, v->v[T_OWNER], NULL);
	bind(st, 9, v->v[T_SOURCE], NULL);
	bind(st, 10, no_ext ? NULL : v->v[T_EXT], NULL);
	bind(st, 11, v->custom, full ? "{}" : NULL);
	if (v->v[T_OPTIN] != NULL || full)
		sqlite3_bind_int(st, 12, v->v[T_OPTIN] != NULL &&
		    v->v[T_OPTIN][0] == '1');
	else
		sqlite3_bind_null(st, 12);
	bind(st, 13, unsub_at, NULL);
	if (full) {
		bind(st, 14, v->v[T_CREATED], im->now);
		bind(st, 15, v->v[T_UPDATED], im->now);
	} else {
		bind(st, 14, v->unsub ? im->now : NULL, NULL);
		bind(st, 15, im->now, NULL);
	}
}

static struct crm_error *
add_tags(struct imp *im, sqlite3_int64 id, const struct imp_vals *v,
    int *changed)
{
	struct crm_error *err;
	const char *t = v->tags;
	size_t i;

	for (i = 0; i < v->ntags; i++, t += strlen(t) + 1) {
		sqlite3_bind_int64(im->s[S_TAG], 1, id);
		sqlite3_bind_text(im->s[S_TAG], 2, t, -1, SQLITE_STATIC);
		if ((err = step(im, im->s[S_TAG])) != NULL)
			return err;
		if (changed != NULL && sqlite3_changes(im->db->sql) > 0)
			*changed = 1;
	}
	return NULL;
}

/* Write a bad row to --rejects, as it was read. */
static void
write_reject(struct imp *im, const char *raw, size_t n)
{
	const char *h;
	size_t hn;

	if (im->o->rejects == NULL || raw == NULL || n == 0)
		return;
	if (!im->header_done && (h = imp_reader_header_raw(im->rd, &hn))) {
		fwrite(h, 1, hn, im->o->rejects);
		fputc('\n', im->o->rejects);
	}
	im->header_done = 1;
	fwrite(raw, 1, n, im->o->rejects);
	if (raw[n - 1] != '\n')
		fputc('\n', im->o->rejects);
}

/* A bad row: counted, reported, kept for --rejects; err is taken. */
static void
reject(struct imp *im, const char *raw, size_t n, struct crm_error *err)
{
	im->st->rejected++;
	if (im->o->reject != NULL)
		im->o->reject(err->msg, im->o->arg);
	crm_error_free(err);
	write_reject(im, raw, n);
}

/* The error for a key another contact holds, or NULL (err: fatal). */
static struct crm_error *
taken(struct imp *im, const char *what, const char *key, sqlite3_int64 other,
    struct crm_error **fatal)
{
	long line;

	if ((*fatal = line_of(im, other, &line)) != NULL)
		return NULL;
	if (line > 0)
		return crm_error_new(CRM_EXIT_FAIL, "duplicate %s \"%s\" "
		    "(line %ld)", what, key, line);
	return crm_error_new(CRM_EXIT_FAIL, "%s \"%s\" already belongs to "
	    "contact %lld", what, key, (long long)other);
}

/*
 * Live: the contact an upsert updates (*target), and whether the row's
 * email and external id are free; a row error in *bad.
 */
static struct crm_error *
live_checks(struct imp *im, const struct imp_vals *v, sqlite3_int64 *target,
    struct crm_error **bad)
{
	const char *email = v->v[T_EMAIL], *ext = v->v[T_EXT];
	sqlite3_int64 e = 0, x = 0, k;
	struct crm_error *err = NULL;
	long line;

	*target = 0;
	*bad = NULL;
	if ((email != NULL &&
	    (err = lookup(im, S_BY_EMAIL, email, 0, &e, NULL)) != NULL) ||
	    (ext != NULL &&
	    (err = lookup(im, S_BY_EXT, ext, 0, &x, NULL)) != NULL))
		return err;
	k = im->o->key_ext ? x : e;
	if (im->o->upsert && k != 0) {
		if ((err = line_of(im, k, &line)) != NULL)
			return err;
		if (line == 0)
			*target = k;
	}
	if (e != 0 && e != *target)
		*bad = taken(im, "email", email, e, &err);
	else if (x != 0 && x != *target)
		*bad = taken(im, "external id", ext, x, &err);
	return err;
}

static struct crm_error *
upsert(struct imp *im, const struct imp_row *row, const struct imp_vals *v,
    sqlite3_int64 id, sqlite3_int64 co)
{
	sqlite3_stmt *st = im->s[S_UPSERT];
	struct crm_error *err;
	int changed, tagged = 0;

	/* Matched by email: the address stays as it is stored. */
	bind_row(im, st, v, co, 0, !im->o->key_ext, 0);
	sqlite3_bind_int64(st, 16, id);
	if ((err = step(im, st)) != NULL)
		return err;
	changed = sqlite3_changes(im->db->sql) > 0;
	if ((err = add_tags(im, id, v, &tagged)) != NULL)
		return err;
	if (tagged && !changed) {
		sqlite3_bind_text(im->s[S_TOUCH], 1, im->now, -1, SQLITE_STATIC);
		sqlite3_bind_int64(im->s[S_TOUCH], 2, id);
		if ((err = step(im, im->s[S_TOUCH])) != NULL)
			return err;
	}
	if ((err = note_pair(im, S_UPD_ADD, id, row->line)) != NULL)
		return err;
	if (changed || tagged)
		crm_search_touch(&im->search, id);
	if (!changed && !tagged) {
		im->st->unchanged++;
		return NULL;
	}
	if (++im->st->updated <= MAX_IDS)
		cJSON_AddItemToArray(im->upd_ids, cJSON_CreateNumber(
		    (double)id));
	return NULL;
}

/* Bulk: a suspect row's keys, to be set or refused after the rebuild. */
static struct crm_error *
suspect(struct imp *im, const struct imp_row *row, sqlite3_int64 id,
    const char *email, const char *ext)
{
	sqlite3_stmt *st = im->s[S_SUS_ADD];

	sqlite3_bind_int64(st, 1, row->line);
	sqlite3_bind_int64(st, 2, id);
	bind(st, 3, email, NULL);
	bind(st, 4, ext, NULL);
	if (im->o->rejects != NULL && row->rawlen > 0)
		sqlite3_bind_blob(st, 5, row->raw, (int)row->rawlen,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 5);
	return step(im, st);
}

/* Insert a new contact, or fill a company this import made for a link. */
static struct crm_error *
insert(struct imp *im, const struct imp_row *row, const struct imp_vals *v,
    sqlite3_int64 co, sqlite3_int64 merge)
{
	sqlite3_stmt *st = im->s[merge ? S_MERGE : S_INS];
	struct crm_error *err;
	sqlite3_int64 id = merge, other;
	int autoc, sus_email = 0, sus_ext = 0;

	if (im->bulk) {
		sus_email = v->v[T_EMAIL] != NULL &&
		    bloom_seen(im, v->v[T_EMAIL], 1, 1);
		sus_ext = v->v[T_EXT] != NULL && bloom_seen(im, v->v[T_EXT], 0, 2);
	}
	bind_row(im, st, v, co, 1, sus_email, sus_ext);
	if (merge)
		sqlite3_bind_int64(st, 16, merge);
	if ((err = step(im, st)) != NULL)
		return err;
	if (merge) {
		im->st->companies--;
		err = note_pair(im, S_UPD_ADD, id, row->line);
		if (err == NULL)
			err = co_remember(im, v->v[T_NAME], id, 0);
	} else {
		id = im->last_id = sqlite3_last_insert_rowid(im->db->sql);
		err = note_line(im, id, row->line);
		/* The first company of a name is the one a link finds. */
		if (err == NULL && v->company &&
		    (err = co_find(im, v->v[T_NAME], &other, &autoc)) == NULL &&
		    other == 0)
			err = co_remember(im, v->v[T_NAME], id, 0);
	}
	if (err == NULL)
		err = add_tags(im, id, v, NULL);
	if (err == NULL && (sus_email || sus_ext))
		err = suspect(im, row, id, sus_email ? v->v[T_EMAIL] : NULL,
		    sus_ext ? v->v[T_EXT] : NULL);
	if (err == NULL)
		im->st->imported++;
	return err;
}

/* Write one good row; a row refused for its keys goes to reject(). */
static struct crm_error *
store(struct imp *im, const struct imp_row *row, const struct imp_vals *v)
{
	sqlite3_int64 target = 0, co = 0, id;
	struct crm_error *err, *bad = NULL;
	int autoc;

	if (!im->bulk) {
		if ((err = live_checks(im, v, &target, &bad)) != NULL)
			return err;
		if (bad != NULL) {
			reject(im, row->raw, row->rawlen,
			    crm_error_prefix(bad, "line %ld", row->line));
			return NULL;
		}
	}
	if (v->v[T_COMPANY] != NULL &&
	    (err = company_id(im, v->v[T_COMPANY], &co)) != NULL)
		return err;
	if (target != 0)
		return upsert(im, row, v, target, co);
	if (v->company) {
		if ((err = co_find(im, v->v[T_NAME], &id, &autoc)) != NULL)
			return err;
		if (autoc)
			return insert(im, row, v, co, id);
	}
	return insert(im, row, v, co, 0);
}

/* Bulk: keep the CREATE statements of the indexes on contacts, drop them. */
static struct crm_error *
drop_indexes(struct imp *im)
{
	struct crm_strv names = CRM_STRV_INIT;
	struct crm_buf q = CRM_BUF_INIT;
	struct crm_error *err;
	sqlite3_stmt *st;
	const char *p;
	size_t i;
	int rc;

	if ((err = crm_db_prepare(im->db, "SELECT name, sql FROM sqlite_master"
	    " WHERE type = 'index' AND tbl_name = 'contacts'"
	    " AND sql IS NOT NULL ORDER BY rowid", &st)) != NULL)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		crm_strv_push(&names, (const char *)sqlite3_column_text(st, 0));
		crm_strv_push(&im->indexes,
		    (const char *)sqlite3_column_text(st, 1));
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(im->db, rc);
	sqlite3_finalize(st);
	for (i = 0; err == NULL && i < names.n; i++) {
		crm_buf_reset(&q);
		crm_buf_adds(&q, "DROP INDEX \"");
		for (p = names.v[i]; *p != '\0'; p++) {
			if (*p == '"')
				crm_buf_addch(&q, '"');
			crm_buf_addch(&q, *p);
		}
		crm_buf_addch(&q, '"');
		err = crm_db_exec(im->db, q.buf);
	}
	crm_strv_clear(&names);
	crm_buf_release(&q);
	return err;
}

/* Bulk into a table with rows: their keys and companies are known. */
static struct crm_error *
preload(struct imp *im)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	const char *s;
	int rc;

	if ((err = crm_db_exec(im->db, "INSERT INTO temp.imp_co"
	    " SELECT name, min(id), 0 FROM contacts WHERE kind = 'company'"
	    " GROUP BY name")) != NULL ||
	    (err = crm_db_prepare(im->db, "SELECT email, external_id"
	    " FROM contacts", &st)) != NULL)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((s = (const char *)sqlite3_column_text(st, 0)) != NULL)
			bloom_seen(im, s, 1, 1);
		if ((s = (const char *)sqlite3_column_text(st, 1)) != NULL)
			bloom_seen(im, s, 0, 2);
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(im->db, rc);
	sqlite3_finalize(st);
	return err;
}

/*
 * Temporary tables, the choice of bulk or live, the statements.  Bulk
 * when not upserting and the input looks as big as half the table at
 * least (an empty table always).
 */
static struct crm_error *
setup(struct imp *im)
{
	sqlite3_int64 rows = 0, bits, est;
	struct crm_error *err;
	sqlite3_stmt *st;
	int i;

	if ((err = crm_db_exec(im->db, temp_sql)) != NULL ||
	    (err = crm_db_prepare(im->db, "SELECT count(*),"
	    " coalesce(max(id), 0) FROM contacts", &st)) != NULL)
		return err;
	if (sqlite3_step(st) == SQLITE_ROW) {
		rows = sqlite3_column_int64(st, 0);
		im->first_id = sqlite3_column_int64(st, 1) + 1;
	}
	sqlite3_finalize(st);
	est = im->st->size > 0 ? im->st->size / 100 : 0;
	im->bulk = !im->o->upsert && (rows == 0 || est * 2 >= rows);
	im->st->bulk = im->bulk;
	if (im->bulk) {
		est = est > 0 ? est : 1000000;
		for (bits = BLOOM_MIN; bits < BLOOM_MAX &&
		    bits < 24 * (est + rows); bits *= 2)
			;
		im->mask = (uint64_t)bits - 1;
		im->bloom = crm_xcalloc((size_t)bits / 64, sizeof(uint64_t));
		if ((err = drop_indexes(im)) != NULL ||
		    (rows > 0 && (err = preload(im)) != NULL))
			return err;
	}
	for (i = 0; i < S_COUNT && err == NULL; i++)
		err = crm_db_prepare(im->db, sql[i], &im->s[i]);
	return err;
}

/* Bulk: build the indexes again, then settle the suspects in line order. */
static struct crm_error *
rebuild(struct imp *im)
{
	sqlite3_stmt *st = NULL, *del[3] = { NULL, NULL, NULL }, *set = NULL;
	struct crm_error *err = NULL, *bad;
	const char *email, *ext;
	sqlite3_int64 id, other;
	size_t i;
	int rc = SQLITE_DONE;

	for (i = 0; i < im->indexes.n && err == NULL; i++)
		err = crm_db_exec(im->db, im->indexes.v[i]);
	if (err != NULL ||
	    (err = crm_db_prepare(im->db, "SELECT line, id, email, ext, raw"
	    " FROM temp.imp_sus ORDER BY line", &st)) != NULL ||
	    (err = crm_db_prepare(im->db, "DELETE FROM contacts WHERE id = ?",
	    &del[0])) != NULL ||
	    (err = crm_db_prepare(im->db, "DELETE FROM contact_tags"
	    " WHERE contact_id = ?", &del[1])) != NULL ||
	    (err = crm_db_prepare(im->db, "UPDATE contacts SET company_id ="
	    " NULL WHERE company_id = ?", &del[2])) != NULL ||
	    (err = crm_db_prepare(im->db, "UPDATE contacts SET"
	    " email = coalesce(?1, email), external_id = coalesce(?2,"
	    " external_id) WHERE id = ?3", &set)) != NULL)
		goto done;
	while (err == NULL && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 1);
		email = (const char *)sqlite3_column_text(st, 2);
		ext = (const char *)sqlite3_column_text(st, 3);
		bad = NULL;
		if (email != NULL && (err = lookup(im, S_BY_EMAIL, email, 0,
		    &other, NULL)) == NULL && other != 0)
			bad = taken(im, "email", email, other, &err);
		if (err == NULL && bad == NULL && ext != NULL &&
		    (err = lookup(im, S_BY_EXT, ext, 0, &other, NULL)) ==
		    NULL && other != 0)
			bad = taken(im, "external id", ext, other, &err);
		if (err != NULL)
			break;
		if (bad != NULL) {
			/* Foreign keys are off: the cascades by hand. */
			for (i = 0; i < 3 && err == NULL; i++) {
				sqlite3_bind_int64(del[i], 1, id);
				err = step(im, del[i]);
			}
			im->st->imported--;
			reject(im, sqlite3_column_blob(st, 4),
			    (size_t)sqlite3_column_bytes(st, 4),
			    crm_error_prefix(bad, "line %lld",
			    (long long)sqlite3_column_int64(st, 0)));
			continue;
		}
		bind(set, 1, email, NULL);
		bind(set, 2, ext, NULL);
		sqlite3_bind_int64(set, 3, id);
		err = step(im, set);
	}
	if (err == NULL && rc != SQLITE_DONE)
		err = crm_db_error(im->db, rc);
done:
	sqlite3_finalize(st);
	for (i = 0; i < 3; i++)
		sqlite3_finalize(del[i]);
	sqlite3_finalize(set);
	return err;
}

/* The one "import" event: counts, the ids added, the ids updated. */
static struct crm_error *
event(struct imp *im)
{
	const struct crm_import_stats *st = im->st;
	struct crm_error *err;
	cJSON *ch = cJSON_CreateObject(), *ids;

	cJSON_AddStringToObject(ch, "source", im->o->name != NULL ?
	    im->o->name : "stdin");
	cJSON_AddStringToObject(ch, "format", imp_reader_is_csv(im->rd) ?
	    "csv" : "jsonl");
	cJSON_AddNumberToObject(ch, "imported", (double)st->imported);
	cJSON_AddNumberToObject(ch, "updated", (double)st->updated);
	cJSON_AddNumberToObject(ch, "unchanged", (double)st->unchanged);
	cJSON_AddNumberToObject(ch, "rejected", (double)st->rejected);
	cJSON_AddNumberToObject(ch, "companies_created",
	    (double)st->companies);
	if (im->last_id >= im->first_id) {
		ids = cJSON_AddObjectToObject(ch, "inserted_ids");
		cJSON_AddNumberToObject(ids, "first", (double)im->first_id);
		cJSON_AddNumberToObject(ids, "last", (double)im->last_id);
	} else
		cJSON_AddNullToObject(ch, "inserted_ids");
	if (st->updated <= MAX_IDS) {
		cJSON_AddItemToObject(ch, "updated_ids", im->upd_ids);
		im->upd_ids = NULL;
	} else
		cJSON_AddNullToObject(ch, "updated_ids");
	err = crm_db_event(im->db, "contact", 0, "import", ch);
	cJSON_Delete(ch);
	return err;
}

/* Every row: normalised and stored, or rejected. */
static struct crm_error *
rows(struct imp *im, struct imp_row *row, int rc, struct crm_error *err)
{
	struct imp_vals v;

	for (; rc != 0; rc = imp_reader_next(im->rd, row, &err)) {
		if (rc == -2)
			return err;
		if (++im->st->rows % 4096 == 0 && im->o->progress != NULL) {
			im->st->bytes = imp_reader_bytes(im->rd);
			im->o->progress(im->st, im->o->arg);
		}
		if (rc < 0) {
			reject(im, row->raw, row->rawlen, err);
			continue;
		}
		if ((err = imp_normalise(im->nm, im->map, im->cols, row,
		    &v)) != NULL) {
			reject(im, row->raw, row->rawlen,
			    crm_error_prefix(err, "line %ld", row->line));
			continue;
		}
		if ((err = store(im, row, &v)) != NULL)
			return err;
	}
	return NULL;
}

/*
 * The first row (or the end), the header mapped: before any lock.  A bad
 * first row leaves its error in *rowerr.
 */
static struct crm_error *
start(struct imp *im, struct imp_row *row, int *rc, struct crm_error **rowerr)
{
	const char *const *names;
	struct crm_error *err = NULL;
	size_t n;

	*rc = imp_reader_next(im->rd, row, rowerr);
	if (*rc == -2) {
		err = *rowerr;
		*rowerr = NULL;
		return err;
	}
	if (imp_reader_is_csv(im->rd)) {
		names = imp_reader_header(im->rd, &n);
		err = imp_map_header(im->map, names, n, &im->cols);
	}
	return err;
}

static void
imp_release(struct imp *im)
{
	size_t i;

	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(im->s[i]);
	for (i = 0; im->cache != NULL && i < SLOTS; i++)
		free(im->cache[i].name);
	free(im->cache);
	free(im->bloom);
	crm_strv_clear(&im->indexes);
	cJSON_Delete(im->upd_ids);
	crm_buf_release(&im->msg);
	crm_search_bulk_release(&im->search);
	imp_norm_free(im->nm);
	imp_map_free(im->map);
	imp_reader_free(im->rd);
}

struct crm_error *
crm_contact_import(struct crm_db *db, FILE *fp,
    const struct crm_import_opts *o, struct crm_import_stats *st)
{
	struct crm_error *err = NULL, *rowerr = NULL;
	struct imp_row row;
	struct timespec t;
	struct imp im;
	struct stat sb;
	int rc, began = 0;

	memset(st, 0, sizeof(*st));
	memset(&im, 0, sizeof(im));
	crm_buf_init(&im.search.touched);
	if (fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode))
		st->size = sb.st_size;
	im.db = db;
	im.o = o;
	im.st = st;
	crm_time_now(im.now);
	if ((im.map = imp_map_new(o->map, o->ignore_unknown, &err)) == NULL)
		return err;
	im.rd = imp_reader_new(fp, o);
	im.nm = imp_norm_new();
	im.cache = crm_xcalloc(SLOTS, sizeof(*im.cache));
	im.upd_ids = cJSON_CreateArray();
	if ((err = start(&im, &row, &rc, &rowerr)) != NULL)
		goto done;
	/*
	 * Every reference the import writes is valid by construction (the
	 * companies it links, the contacts it tags), and with foreign keys
	 * on SQLite opens a statement journal for each INSERT, which costs
	 * more than the INSERT.  The pragma works outside a transaction only.
	 */
	if ((err = crm_db_exec(db, "PRAGMA foreign_keys = OFF")) != NULL ||
	    (err = crm_db_begin(db)) != NULL)
		goto done;
	began = 1;
	lap(&t);
	if ((err = crm_search_suspend(db, &im.search)) != NULL ||
	    (err = setup(&im)) != NULL)
		goto done;
	err = rows(&im, &row, rc, rowerr);
	rowerr = NULL;
	if (err != NULL)
		goto done;
	st->seconds[0] = lap(&t);
	if (im.bulk && (err = rebuild(&im)) != NULL)
		goto done;
	st->seconds[1] = lap(&t);
	st->bytes = imp_reader_bytes(im.rd);
	if (o->dry_run || (st->rejected > 0 && !o->skip))
		goto done;
	if ((err = crm_db_exec(db, "DROP TABLE temp.imp_line;"
	    "DROP TABLE temp.imp_sus; DROP TABLE temp.imp_co;"
	    "DROP TABLE temp.imp_upd")) != NULL ||
	    (err = crm_search_resume(db, &im.search)) != NULL)
		goto done;
	st->seconds[2] = lap(&t);
	if ((err = event(&im)) == NULL)
		err = crm_db_commit(db);
	st->seconds[3] = lap(&t);
	began = 0;
done:
	crm_error_free(rowerr);
	if (began)
		crm_db_rollback(db);
	crm_error_free(crm_db_exec(db, "PRAGMA foreign_keys = ON"));
	imp_release(&im);
	return err;
}
