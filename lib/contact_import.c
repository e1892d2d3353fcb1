/*
 * crm-contact import: rows read (import_read.c), mapped (import_map.c)
 * and normalised (import_row.c) are written here, in one transaction,
 * with prepared statements reused across rows.
 *
 * Two ways to write.  Live: the indexes stay, and every email and
 * external id is looked up before its row is written (upserts, and small
 * imports into a large table).  Bulk: a unique index filled in random key
 * order costs several times the whole load, so the indexes on contacts and
 * their tags are dropped, the rows inserted, and the indexes built again,
 * all in the transaction.  The rows go IMP_BATCH to an INSERT, under ids
 * given here: a statement's own cost (AUTOINCREMENT's bookkeeping among
 * it) is then shared by many rows.  Uniqueness is kept meanwhile by a Bloom filter: a row
 * whose email or external id may have been seen is written without it and
 * noted as a suspect; once the indexes are back, each suspect's key is
 * looked up and set, or the row is removed as a duplicate.
 *
 * Line numbers of written rows, for "duplicate of line N", are kept as
 * runs in a temporary table: a row is noted only where line - id changes.
 *
 * The rows are read, checked and normalised ahead, in a thread of their
 * own (import_ahead.c), while the ones before are written here.
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
#include "crm_privacy.h"
#include "crm_search.h"
#include "crm_util.h"

/*
 * OR FAIL and OR IGNORE where SQLite would otherwise open a statement
 * journal for every row (a constraint that aborts must undo the row's
 * changes): a single-row statement has nothing to undo, and an error stops
 * the import anyway.
 */
static const char *const sql[S_COUNT] = {
	"INSERT OR FAIL INTO contacts (kind, name, email, phone, company_id,"
	" title, stage, owner, source, external_id, fields, opt_in,"
	" unsubscribed_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
	" ?10, ?11, ?12, ?13, ?14, ?15)",
	"UPDATE OR FAIL contacts SET kind = ?1, name = ?2, email = ?3,"
	" phone = ?4, company_id = ?5, title = ?6, stage = ?7, owner = ?8,"
	" source = ?9, external_id = ?10, fields = ?11, opt_in = ?12,"
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
	" OR title IS NOT coalesce(?6, title)"
	" OR stage IS NOT coalesce(?7, stage)"
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

/*
 * The values of a row into st (INSERT, or the merge or upsert UPDATE):
 * ?1-?15 in the order of S_INS.  full: a whole row, with the defaults of
 * a new contact; else absent values are NULL (kept by the upsert).
 */
static void
row_values(struct imp *im, const struct imp_vals *v, sqlite3_int64 co,
    int full, int no_email, int no_ext, struct imp_rowvals *r)
{
	const char *unsub_at = v->v[T_UNSUB_AT];

	if (full && unsub_at == NULL && v->unsub)
		unsub_at = im->now;
	memset(r, 0, sizeof(*r));
	r->s[0] = v->v[T_KIND] != NULL ? v->v[T_KIND] : full ? "person" : NULL;
	r->s[1] = v->v[T_NAME] != NULL ? v->v[T_NAME] : full ? "" : NULL;
	r->s[2] = no_email ? NULL : v->v[T_EMAIL];
	r->s[3] = v->v[T_PHONE];
	r->co = co;
	r->s[5] = v->v[T_TITLE];
	r->s[6] = v->v[T_STAGE] != NULL ? v->v[T_STAGE] : full ? "lead" : NULL;
	r->s[7] = v->v[T_OWNER];
	r->s[8] = v->v[T_SOURCE];
	r->s[9] = no_ext ? NULL : v->v[T_EXT];
	r->s[10] = v->custom != NULL ? v->custom : full ? "{}" : NULL;
	r->opt_in = v->v[T_OPTIN] != NULL || full ? v->v[T_OPTIN] != NULL &&
	    v->v[T_OPTIN][0] == '1' : -1;
	r->s[12] = unsub_at;
	if (full) {
		r->s[13] = v->v[T_CREATED] != NULL ? v->v[T_CREATED] : im->now;
		r->s[14] = v->v[T_UPDATED] != NULL ? v->v[T_UPDATED] : im->now;
	} else {
		r->s[13] = v->unsub ? im->now : NULL;
		r->s[14] = im->now;
	}
}

/*
 * Bulk: the tags of the batch's contacts go in IMP_BATCH at a time too;
 * the pairs not bound are NULL and left out.
 */
static struct crm_error *
tag_batch(struct imp *im, sqlite3_int64 id, const char *tag)
{
	struct crm_error *err;

	if (im->tagbatch == NULL && (err = crm_db_prepare_rows(im->db,
	    "INSERT OR IGNORE INTO contact_tags (contact_id, tag) SELECT *",
	    IMP_BATCH, 2, "column1", &im->tagbatch)) != NULL)
		return err;
	sqlite3_bind_int64(im->tagbatch, 2 * im->ntags + 1, id);
	sqlite3_bind_text(im->tagbatch, 2 * im->ntags + 2, tag, -1,
	    SQLITE_TRANSIENT);
	if (++im->ntags == IMP_BATCH)
		return imp_batch_step(im, im->tagbatch, &im->ntags);
	return NULL;
}

static struct crm_error *
add_tags(struct imp *im, sqlite3_int64 id, const struct imp_vals *v,
    int *changed)
{
	struct crm_error *err;
	const char *t = v->tags;
	size_t i;

	for (i = 0; i < v->ntags; i++, t += strlen(t) + 1) {
		if (im->bulk && changed == NULL) {
			if ((err = tag_batch(im, id, t)) != NULL)
				return err;
			continue;
		}
		sqlite3_bind_int64(im->s[S_TAG], 1, id);
		sqlite3_bind_text(im->s[S_TAG], 2, t, -1, SQLITE_STATIC);
		if ((err = imp_step(im, im->s[S_TAG])) != NULL)
			return err;
		if (changed != NULL && sqlite3_changes(im->db->sql) > 0)
			*changed = 1;
	}
	return NULL;
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
	    (err = imp_lookup(im, S_BY_EMAIL, email, 0, &e, NULL)) != NULL) ||
	    (ext != NULL &&
	    (err = imp_lookup(im, S_BY_EXT, ext, 0, &x, NULL)) != NULL))
		return err;
	k = im->o->key_ext ? x : e;
	if (im->o->upsert && k != 0) {
		if ((err = imp_line_of(im, k, &line)) != NULL)
			return err;
		if (line == 0)
			*target = k;
	}
	if (e != 0 && e != *target)
		*bad = imp_taken(im, "email", email, e, &err);
	else if (x != 0 && x != *target)
		*bad = imp_taken(im, "external id", ext, x, &err);
	return err;
}

static struct crm_error *
upsert(struct imp *im, const struct imp_item *row, sqlite3_int64 id,
    sqlite3_int64 co)
{
	const struct imp_vals *v = &row->v;
	sqlite3_stmt *st = im->s[S_UPSERT];
	struct crm_error *err;
	struct imp_rowvals r;
	int changed, tagged = 0;

	/* Matched by email: the address stays as it is stored. */
	row_values(im, v, co, 0, !im->o->key_ext, 0, &r);
	imp_bind_values(im, st, 0, &r, 0);
	sqlite3_bind_int64(st, 16, id);
	if ((err = imp_step(im, st)) != NULL)
		return err;
	changed = sqlite3_changes(im->db->sql) > 0;
	if ((err = add_tags(im, id, v, &tagged)) != NULL)
		return err;
	if (tagged && !changed) {
		sqlite3_bind_text(im->s[S_TOUCH], 1, im->now, -1,
		    SQLITE_STATIC);
		sqlite3_bind_int64(im->s[S_TOUCH], 2, id);
		if ((err = imp_step(im, im->s[S_TOUCH])) != NULL)
			return err;
	}
	if ((err = imp_note_pair(im, S_UPD_ADD, id, row->line)) != NULL)
		return err;
	if (changed || tagged)
		crm_search_touch(&im->search, id);
	if (!changed && !tagged) {
		im->st->unchanged++;
		return NULL;
	}
	if (++im->st->updated <= IMP_MAX_IDS)
		cJSON_AddItemToArray(im->upd_ids, cJSON_CreateNumber(
		    (double)id));
	return NULL;
}

/* Bulk: a suspect row's keys, to be set or refused after the rebuild. */
static struct crm_error *
suspect(struct imp *im, const struct imp_item *row, sqlite3_int64 id,
    const char *email, const char *ext)
{
	sqlite3_stmt *st = im->s[S_SUS_ADD];

	sqlite3_bind_int64(st, 1, row->line);
	sqlite3_bind_int64(st, 2, id);
	crm_db_bind_text(st, 3, email);
	crm_db_bind_text(st, 4, ext);
	if (im->o->rejects != NULL && row->rawlen > 0)
		sqlite3_bind_blob(st, 5, row->raw, (int)row->rawlen,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 5);
	return imp_step(im, st);
}

/* Insert a new contact, or fill a company this import made for a link. */
static struct crm_error *
insert(struct imp *im, const struct imp_item *row, sqlite3_int64 co,
    sqlite3_int64 merge)
{
	sqlite3_stmt *st = im->s[merge ? S_MERGE : S_INS];
	const struct imp_vals *v = &row->v;
	int autoc, sus_email = row->sus_email, sus_ext = row->sus_ext;
	struct crm_error *err;
	struct imp_rowvals r;
	sqlite3_int64 id = merge, other;

	row_values(im, v, co, 1, sus_email, sus_ext, &r);
	if (im->bulk && !merge)
		err = imp_batch_add(im, &r, &id);
	else {
		/* The company to fill may still wait in the batch. */
		if ((err = imp_flush(im)) != NULL)
			return err;
		imp_bind_values(im, st, 0, &r, 0);
		if (merge)
			sqlite3_bind_int64(st, 16, merge);
		if ((err = imp_step(im, st)) == NULL && !merge)
			id = im->last_id = sqlite3_last_insert_rowid(
			    im->db->sql);
	}
	if (err != NULL)
		return err;
	if (merge) {
		im->st->companies--;
		err = imp_note_pair(im, S_UPD_ADD, id, row->line);
		if (err == NULL)
			err = imp_co_remember(im, v->v[T_NAME], id, 0);
	} else {
		err = imp_note_line(im, id, row->line);
		/* The first company of a name is the one a link finds. */
		if (err == NULL && v->company &&
		    (err = imp_co_find(im, v->v[T_NAME], &other,
		    &autoc)) == NULL &&
		    other == 0)
			err = imp_co_remember(im, v->v[T_NAME], id, 0);
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

/* Write one good row; a row refused for its keys goes to imp_reject(). */
static struct crm_error *
store(struct imp *im, const struct imp_item *row)
{
	const struct imp_vals *v = &row->v;
	sqlite3_int64 target = 0, co = 0, id;
	struct crm_error *err, *bad = NULL;
	int autoc;

	if (!im->bulk) {
		if ((err = live_checks(im, v, &target, &bad)) != NULL)
			return err;
		if (bad != NULL) {
			imp_reject(im, row->raw, row->rawlen,
			    crm_error_prefix(bad, "line %ld", row->line));
			return NULL;
		}
	}
	if (v->v[T_COMPANY] != NULL &&
	    (err = imp_company_id(im, v->v[T_COMPANY], &co)) != NULL)
		return err;
	if (target != 0)
		return upsert(im, row, target, co);
	if (v->company) {
		if ((err = imp_co_find(im, v->v[T_NAME], &id, &autoc)) != NULL)
			return err;
		if (autoc)
			return insert(im, row, co, id);
	}
	return insert(im, row, co, 0);
}

/*
 * Bulk, on: the row-by-row work of the triggers on contacts moves to set
 * statements after the load (the search index to the next search, see
 * crm_search_resume(); the suppression list to one UPDATE), and CHECK
 * constraints are off, the values being made here and checked as add
 * checks them: together a third of the load.  The index builds sort in
 * two threads.  Off: all back as it was, in this transaction.
 */
static struct crm_error *
bulk_mode(struct imp *im, int on)
{
	struct crm_error *err;

	if (on) {
		im->search.defer = 1;
		if ((err = crm_db_triggers_drop(im->db,
		    "contacts\\_suppressed\\_%", &im->triggers)) != NULL)
			return err;
		return crm_db_exec(im->db, "PRAGMA ignore_check_constraints"
		    " = ON; PRAGMA threads = 2");
	}
	if ((err = crm_privacy_suppress_since(im->db, im->first_id)) != NULL)
		return err;
	return crm_db_triggers_restore(im->db, &im->triggers);
}

/*
 * Temporary tables, the choice of bulk or live, the statements.  Bulk
 * when not upserting and the input looks as big as half the table at
 * least (an empty table always).
 */
static struct crm_error *
setup(struct imp *im)
{
	sqlite3_int64 rows = 0, est;
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
	/* With AUTOINCREMENT, the ids of deleted contacts are not given. */
	if (sqlite3_prepare_v2(im->db->sql, "SELECT seq FROM sqlite_sequence"
	    " WHERE name = 'contacts'", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_int64(st, 0) + 1 > im->first_id)
		im->first_id = sqlite3_column_int64(st, 0) + 1;
	sqlite3_finalize(st);
	est = im->st->size > 0 ? im->st->size / 100 : 0;
	im->bulk = !im->o->upsert && (rows == 0 || est * 2 >= rows);
	im->st->bulk = im->bulk;
	if (im->bulk) {
		crm_bloom_init(&im->bloom, (uint64_t)(est > 0 ? est : 1000000) +
		    (uint64_t)rows, 24);
		if ((err = imp_drop_indexes(im)) != NULL ||
		    (rows > 0 && (err = imp_preload(im)) != NULL) ||
		    (err = bulk_mode(im, 1)) != NULL)
			return err;
	}
	for (i = 0; i < S_COUNT && err == NULL; i++)
		err = crm_db_prepare(im->db, sql[i], &im->s[i]);
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
	if (st->updated <= IMP_MAX_IDS) {
		cJSON_AddItemToObject(ch, "updated_ids", im->upd_ids);
		im->upd_ids = NULL;
	} else
		cJSON_AddNullToObject(ch, "updated_ids");
	err = crm_db_event(im->db, "contact", 0, "import", ch);
	cJSON_Delete(ch);
	return err;
}

/* Every row, as read ahead: stored, or rejected. */
static struct crm_error *
rows(struct imp *im, struct imp_ahead *a)
{
	struct crm_error *err;
	struct imp_item *it;

	while ((it = imp_ahead_next(a)) != NULL) {
		err = it->err;
		it->err = NULL;
		if (it->rc == -2)
			return err;
		if (++im->st->rows % 4096 == 0 && im->o->progress != NULL) {
			im->st->bytes = imp_ahead_bytes(a);
			im->o->progress(im->st, im->o->arg);
		}
		if (it->rc < 0)
			imp_reject(im, it->raw, it->rawlen, err);
		else if ((err = store(im, it)) != NULL)
			return err;
	}
	return imp_flush(im);
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
	sqlite3_finalize(im->batch);
	free(im->arena);
	sqlite3_finalize(im->tagbatch);
	for (i = 0; im->cache != NULL && i < IMP_SLOTS; i++)
		free(im->cache[i].name);
	free(im->cache);
	crm_bloom_free(&im->bloom);
	crm_strv_clear(&im->indexes);
	crm_strv_clear(&im->triggers);
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
	struct imp_ahead *ahead = NULL;
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
	im.cache = crm_xcalloc(IMP_SLOTS, sizeof(*im.cache));
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
	ahead = imp_ahead_start(&im, rc, &row, rowerr);
	rowerr = NULL;
	err = rows(&im, ahead);
	imp_ahead_stop(ahead);
	ahead = NULL;
	if (err != NULL)
		goto done;
	st->seconds[0] = lap(&t);
	if (im.bulk && (err = imp_rebuild(&im)) != NULL)
		goto done;
	st->seconds[1] = lap(&t);
	st->bytes = imp_reader_bytes(im.rd);
	if (o->dry_run || (st->rejected > 0 && !o->skip))
		goto done;
	if ((err = crm_db_exec(db, "DROP TABLE temp.imp_line;"
	    "DROP TABLE temp.imp_sus; DROP TABLE temp.imp_co;"
	    "DROP TABLE temp.imp_upd")) != NULL ||
	    (im.bulk && (err = bulk_mode(&im, 0)) != NULL) ||
	    (err = crm_search_resume(db, &im.search)) != NULL)
		goto done;
	st->seconds[2] = lap(&t);
	if ((err = event(&im)) == NULL)
		err = crm_db_commit(db);
	st->seconds[3] = lap(&t);
	began = 0;
done:
	imp_ahead_stop(ahead);
	crm_error_free(rowerr);
	if (began)
		crm_db_rollback(db);
	crm_error_free(crm_db_exec(db, "PRAGMA foreign_keys = ON;"
	    "PRAGMA ignore_check_constraints = OFF; PRAGMA threads = 0"));
	imp_release(&im);
	return err;
}
