/*
 * What the import writes with, besides the rows themselves: the prepared
 * lookups, the line numbers of the rows written, the cache of companies
 * by name, the Bloom filter of emails and external ids, the rejects, and
 * the bulk path's drop and rebuild of the indexes (contact_import.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"
#include "crm_import.h"
#include "crm_util.h"

struct crm_error *
imp_step(struct imp *im, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return NULL;
	return crm_db_error(im->db, rc);
}

/* Run a one-parameter lookup: *id is the first column, 0 for no row. */
struct crm_error *
imp_lookup(struct imp *im, int which, const char *text, sqlite3_int64 id,
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

struct crm_error *
imp_note_pair(struct imp *im, int which, sqlite3_int64 id, long line)
{
	sqlite3_bind_int64(im->s[which], 1, id);
	sqlite3_bind_int64(im->s[which], 2, line);
	return imp_step(im, im->s[which]);
}

/* A row written as id on line: noted where line - id changes. */
struct crm_error *
imp_note_line(struct imp *im, sqlite3_int64 id, long line)
{
	if (im->have_delta && line - id == im->delta)
		return NULL;
	im->have_delta = 1;
	im->delta = line - id;
	return imp_note_pair(im, S_LINE_ADD, id, line);
}

/* The line on which contact id was written by this import; 0: not. */
struct crm_error *
imp_line_of(struct imp *im, sqlite3_int64 id, long *line)
{
	struct crm_error *err;
	sqlite3_int64 l, at;

	*line = 0;
	if ((err = imp_lookup(im, S_UPD_FIND, NULL, id, &l, NULL)) != NULL)
		return err;
	if (l == 0 && id >= im->first_id &&
	    (err = imp_lookup(im, S_LINE_FIND, NULL, id, &at, &l)) == NULL &&
	    at > 0)
		l += id - at;
	*line = (long)l;
	return err;
}

/*
 * The slot of name: of its two (h picks them), the one that holds it,
 * else an empty one, else the second, whose name gives way.
 */
static struct imp_slot *
slot_of(struct imp *im, const char *name, uint64_t *h)
{
	struct imp_slot *a, *b;

	*h = crm_hash(name, strlen(name), 0, 7);
	a = &im->cache[*h & (IMP_SLOTS - 1)];
	b = &im->cache[(*h >> 32) & (IMP_SLOTS - 1)];
	if (a->name != NULL && a->h == *h && strcmp(a->name, name) == 0)
		return a;
	if (b->name != NULL && b->h == *h && strcmp(b->name, name) == 0)
		return b;
	return a->name == NULL ? a : b;
}

static void
slot_set(struct imp_slot *sl, uint64_t h, const char *name, sqlite3_int64 id,
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

struct crm_error *
imp_co_remember(struct imp *im, const char *name, sqlite3_int64 id, int autoc)
{
	uint64_t h;
	struct imp_slot *sl = slot_of(im, name, &h);

	slot_set(sl, h, name, id, autoc);
	sqlite3_bind_text(im->s[S_CO_ADD], 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(im->s[S_CO_ADD], 2, id);
	sqlite3_bind_int(im->s[S_CO_ADD], 3, autoc);
	return imp_step(im, im->s[S_CO_ADD]);
}

/*
 * The company called name, known to this import or already in the
 * database (the oldest of that name): *id, and *autoc when this import
 * created it for a company column.  *id is 0 when there is none.
 */
struct crm_error *
imp_co_find(struct imp *im, const char *name, sqlite3_int64 *id, int *autoc)
{
	struct crm_error *err;
	sqlite3_int64 a = 0;
	uint64_t h;
	struct imp_slot *sl = slot_of(im, name, &h);

	if (sl->name != NULL && sl->h == h && strcmp(sl->name, name) == 0) {
		*id = sl->id;
		*autoc = sl->autoc;
		return NULL;
	}
	*autoc = 0;
	if ((err = imp_lookup(im, S_CO_FIND, name, 0, id, &a)) != NULL)
		return err;
	if (*id == 0 && !im->bulk) {
		if ((err = imp_lookup(im, S_CO_DB, name, 0, id, NULL)) != NULL)
			return err;
		if (*id != 0)
			return imp_co_remember(im, name, *id, 0);
	}
	if (*id != 0) {
		*autoc = (int)a;
		slot_set(sl, h, name, *id, *autoc);
	}
	return NULL;
}

/*
 * A copy of s that lives until the batch is written: in the arena when
 * it fits (one memcpy), else SQLite's own (a malloc).
 */
static void
bind_copy(struct imp *im, sqlite3_stmt *st, int i, const char *s)
{
	size_t n = strlen(s) + 1;

	if (im->arena_len + n > IMP_ARENA) {
		sqlite3_bind_text(st, i, s, (int)n - 1, SQLITE_TRANSIENT);
		return;
	}
	memcpy(im->arena + im->arena_len, s, n);
	sqlite3_bind_text(st, i, im->arena + im->arena_len, (int)n - 1,
	    SQLITE_STATIC);
	im->arena_len += n;
}

void
imp_bind_values(struct imp *im, sqlite3_stmt *st, int base,
    const struct imp_rowvals *r, int copy)
{
	int i;

	for (i = 0; i < 15; i++)
		if (i == 4 && r->co != 0)
			sqlite3_bind_int64(st, base + i + 1, r->co);
		else if (i == 11 && r->opt_in >= 0)
			sqlite3_bind_int(st, base + i + 1, r->opt_in);
		else if (i == 4 || i == 11 || r->s[i] == NULL)
			sqlite3_bind_null(st, base + i + 1);
		else if (copy)
			bind_copy(im, st, base + i + 1, r->s[i]);
		else
			sqlite3_bind_text(st, base + i + 1, r->s[i], -1,
			    SQLITE_STATIC);
}

/*
 * Bulk: the batch is one INSERT of IMP_BATCH rows of values; the rows
 * not bound have a NULL id and are left out, so that the last, short
 * batch goes through the same statement.
 */
static struct crm_error *
batch_prepare(struct imp *im)
{
	return crm_db_prepare_rows(im->db, "INSERT OR FAIL INTO contacts"
	    " (kind, name, email, phone, company_id, title, stage, owner,"
	    " source, external_id, fields, opt_in, unsubscribed_at,"
	    " created_at, updated_at, id) SELECT *", IMP_BATCH, IMP_VALUES,
	    "column16", &im->batch);
}

/* Write the n rows bound to batch st, if any, and start it afresh. */
struct crm_error *
imp_batch_step(struct imp *im, sqlite3_stmt *st, int *n)
{
	struct crm_error *err;

	if (*n == 0)
		return NULL;
	err = imp_step(im, st);
	sqlite3_clear_bindings(st);
	*n = 0;
	return err;
}

struct crm_error *
imp_flush(struct imp *im)
{
	struct crm_error *err;

	if ((err = imp_batch_step(im, im->batch, &im->nbatch)) != NULL)
		return err;
	im->arena_len = 0;
	return imp_batch_step(im, im->tagbatch, &im->ntags);
}

struct crm_error *
imp_batch_add(struct imp *im, const struct imp_rowvals *r, sqlite3_int64 *id)
{
	struct crm_error *err;
	int base;

	if (im->batch == NULL && ((err = batch_prepare(im)) != NULL ||
	    (im->arena = malloc(IMP_ARENA)) == NULL))
		return err != NULL ? err : crm_error_new(CRM_EXIT_FAIL,
		    "out of memory");
	base = im->nbatch++ * IMP_VALUES;
	*id = im->last_id = im->last_id >= im->first_id ? im->last_id + 1 :
	    im->first_id;
	imp_bind_values(im, im->batch, base, r, 1);
	sqlite3_bind_int64(im->batch, base + IMP_VALUES, *id);
	if (im->nbatch == IMP_BATCH)
		return imp_flush(im);
	return NULL;
}

/* The id of the company a person names, created when there is none. */
struct crm_error *
imp_company_id(struct imp *im, const char *name, sqlite3_int64 *id)
{
	struct imp_rowvals r = { { "company", name, NULL, NULL, NULL, NULL,
	    "lead", NULL, NULL, NULL, "{}", NULL, NULL, im->now, im->now },
	    0, 0 };
	struct crm_error *err;
	int autoc;

	if ((err = imp_co_find(im, name, id, &autoc)) != NULL || *id != 0)
		return err;
	if (im->bulk)
		err = imp_batch_add(im, &r, id);
	else {
		imp_bind_values(im, im->s[S_INS], 0, &r, 0);
		if ((err = imp_step(im, im->s[S_INS])) == NULL)
			*id = im->last_id = sqlite3_last_insert_rowid(
			    im->db->sql);
	}
	if (err != NULL)
		return err;
	im->st->companies++;
	return imp_co_remember(im, name, *id, 1);
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
void
imp_reject(struct imp *im, const char *raw, size_t n, struct crm_error *err)
{
	im->st->rejected++;
	if (im->o->reject != NULL)
		im->o->reject(err->msg, im->o->arg);
	crm_error_free(err);
	write_reject(im, raw, n);
}

/* The error for a key another contact holds, or NULL (err: fatal). */
struct crm_error *
imp_taken(struct imp *im, const char *what, const char *key,
    sqlite3_int64 other, struct crm_error **fatal)
{
	long line;

	if ((*fatal = imp_line_of(im, other, &line)) != NULL)
		return NULL;
	if (line > 0)
		return crm_error_new(CRM_EXIT_FAIL, "duplicate %s \"%s\" "
		    "(line %ld)", what, key, line);
	return crm_error_new(CRM_EXIT_FAIL, "%s \"%s\" already belongs to "
	    "contact %lld", what, key, (long long)other);
}

/* Bulk: keep the CREATE statements of the indexes on contacts and their
 * tags, drop them. */
struct crm_error *
imp_drop_indexes(struct imp *im)
{
	struct crm_strv names = CRM_STRV_INIT;
	struct crm_buf q = CRM_BUF_INIT;
	struct crm_error *err;
	sqlite3_stmt *st;
	const char *p;
	size_t i;
	int rc;

	if ((err = crm_db_prepare(im->db, "SELECT name, sql FROM sqlite_master"
	    " WHERE type = 'index' AND tbl_name IN ('contacts', 'contact_tags')"
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
struct crm_error *
imp_preload(struct imp *im)
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
			crm_bloom_seen(&im->bloom, s, 1, 1);
		if ((s = (const char *)sqlite3_column_text(st, 1)) != NULL)
			crm_bloom_seen(&im->bloom, s, 0, 2);
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(im->db, rc);
	sqlite3_finalize(st);
	return err;
}

/* Bulk: build the indexes again, then settle the suspects in line order. */
struct crm_error *
imp_rebuild(struct imp *im)
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
		if (email != NULL && (err = imp_lookup(im, S_BY_EMAIL, email, 0,
		    &other, NULL)) == NULL && other != 0)
			bad = imp_taken(im, "email", email, other, &err);
		if (err == NULL && bad == NULL && ext != NULL &&
		    (err = imp_lookup(im, S_BY_EXT, ext, 0, &other, NULL)) ==
		    NULL && other != 0)
			bad = imp_taken(im, "external id", ext, other, &err);
		if (err != NULL)
			break;
		if (bad != NULL) {
			/* Foreign keys are off: the cascades by hand. */
			for (i = 0; i < 3 && err == NULL; i++) {
				sqlite3_bind_int64(del[i], 1, id);
				err = imp_step(im, del[i]);
			}
			im->st->imported--;
			imp_reject(im, sqlite3_column_blob(st, 4),
			    (size_t)sqlite3_column_bytes(st, 4),
			    crm_error_prefix(bad, "line %lld",
			    (long long)sqlite3_column_int64(st, 0)));
			continue;
		}
		crm_db_bind_text(set, 1, email);
		crm_db_bind_text(set, 2, ext);
		sqlite3_bind_int64(set, 3, id);
		err = imp_step(im, set);
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

