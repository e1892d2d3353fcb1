/*
 * Full-text search: the FTS5 index of contacts, the triggers that keep it
 * in step, queries made safe, and the rebuild for bulk loads.
 *
 * The index stores its own copy of the text (neither external-content
 * nor contentless): a document mixes several tables, and a trigger can
 * then drop the old document by rowid alone, without having to hand FTS5
 * the exact text it indexed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_contact.h"
#include "crm_db.h"
#include "crm_search.h"
#include "crm_stream.h"
#include "crm_util.h"

#define DOC_COLS "name, email, company, tags, fields, activities"

/*
 * Index the contact whose id the SQL expression ID gives afresh: drop its
 * document, make it again (nothing when the contact is gone).  Deleting
 * first, rather than INSERT OR REPLACE, because the statement that fires
 * the trigger may impose its own conflict mode (INSERT OR IGNORE INTO
 * contact_tags does).
 */
#define REINDEX(ID) \
	" DELETE FROM contact_search WHERE rowid = " ID ";" \
	" INSERT INTO contact_search (rowid, " DOC_COLS ")" \
	" SELECT id, " DOC_COLS " FROM contact_search_docs WHERE id = " ID ";"

#define PEOPLE_OF_NEW "(SELECT id FROM contacts WHERE company_id = NEW.id)"

const char crm_search_schema_1[] =
	"CREATE VIRTUAL TABLE contact_search USING fts5(" DOC_COLS ","
	" tokenize = 'unicode61 remove_diacritics 2');"
	"CREATE VIEW contact_search_docs (id, " DOC_COLS ") AS"
	" SELECT c.id, c.name, c.email,"
	" (SELECT co.name FROM contacts co WHERE co.id = c.company_id),"
	" (SELECT group_concat(t.tag, ' ') FROM contact_tags t"
	"  WHERE t.contact_id = c.id),"
	" (SELECT group_concat(j.value, ' ') FROM json_each(c.fields) j),"
	" (SELECT group_concat(a.subject || ' ' || coalesce(a.body, ''), ' ')"
	"  FROM activities a WHERE a.contact_id = c.id)"
	" FROM contacts c;"
	/* Every path that writes these tables, bulk imports included. */
	"CREATE TRIGGER contact_search_contact_add AFTER INSERT ON contacts"
	" BEGIN" REINDEX("NEW.id") " END;"
	"CREATE TRIGGER contact_search_contact_edit"
	" AFTER UPDATE OF id, name, email, company_id, fields ON contacts"
	" BEGIN DELETE FROM contact_search WHERE rowid = OLD.id;"
	REINDEX("NEW.id") " END;"
	/* A person's document holds the name of their company. */
	"CREATE TRIGGER contact_search_company_rename"
	" AFTER UPDATE OF name ON contacts"
	" WHEN NEW.kind = 'company' AND OLD.name IS NOT NEW.name BEGIN"
	" DELETE FROM contact_search WHERE rowid IN " PEOPLE_OF_NEW ";"
	" INSERT INTO contact_search (rowid, " DOC_COLS ")"
	" SELECT id, " DOC_COLS " FROM contact_search_docs"
	" WHERE id IN " PEOPLE_OF_NEW "; END;"
	"CREATE TRIGGER contact_search_contact_delete AFTER DELETE ON contacts"
	" BEGIN DELETE FROM contact_search WHERE rowid = OLD.id; END;"
	"CREATE TRIGGER contact_search_tag_add AFTER INSERT ON contact_tags"
	" BEGIN" REINDEX("NEW.contact_id") " END;"
	"CREATE TRIGGER contact_search_tag_edit AFTER UPDATE ON contact_tags"
	" BEGIN" REINDEX("OLD.contact_id") REINDEX("NEW.contact_id") " END;"
	"CREATE TRIGGER contact_search_tag_delete AFTER DELETE ON contact_tags"
	" BEGIN" REINDEX("OLD.contact_id") " END;"
	"CREATE TRIGGER contact_search_activity_add AFTER INSERT ON activities"
	" BEGIN" REINDEX("NEW.contact_id") " END;"
	"CREATE TRIGGER contact_search_activity_edit"
	" AFTER UPDATE OF contact_id, subject, body ON activities"
	" BEGIN" REINDEX("OLD.contact_id") REINDEX("NEW.contact_id") " END;"
	"CREATE TRIGGER contact_search_activity_delete"
	" AFTER DELETE ON activities"
	" BEGIN" REINDEX("OLD.contact_id") " END;";

/*
 * The documents a bulk load left for later (crm_search_resume() with
 * defer): those of the contacts whose id is above after; 0 is the whole
 * index.
 */
const char crm_search_schema_2[] =
	"CREATE TABLE search_backlog (name TEXT PRIMARY KEY,"
	" after INTEGER NOT NULL) WITHOUT ROWID;";

static int
blank(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f';
}

/* The word s[0..n) as an FTS5 string: "..." with " doubled. */
static void
add_string(struct crm_buf *out, const char *s, size_t n)
{
	size_t i;

	crm_buf_addch(out, '"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			crm_buf_addch(out, '"');
		crm_buf_addch(out, s[i]);
	}
	crm_buf_addch(out, '"');
}

void
crm_search_quote(struct crm_buf *out, const char *s, size_t n)
{
	add_string(out, s, n);
}

/*
 * The last word is written ("w" OR "w"*): it matches as a prefix, and a
 * whole word, matching twice, ranks above a word it only begins.  The
 * ANDs are explicit: FTS5 takes no implicit AND before a parenthesis.
 */
int
crm_search_expr(const char *text, struct crm_buf *out)
{
	const char *p = text, *end, *last = NULL;
	size_t lastn = 0;
	int n = 0;

	for (;;) {
		while (blank((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		for (end = p; *end != '\0' && !blank((unsigned char)*end);
		    end++)
			;
		if (last != NULL) {
			add_string(out, last, lastn);
			crm_buf_adds(out, " AND ");
		}
		last = p;
		lastn = (size_t)(end - p);
		p = end;
		n++;
	}
	if (last != NULL) {
		crm_buf_addch(out, '(');
		add_string(out, last, lastn);
		crm_buf_adds(out, " OR ");
		add_string(out, last, lastn);
		crm_buf_adds(out, "*)");
	}
	return n;
}

struct crm_error *
crm_search_contacts(struct crm_db *db, const char *text, long limit,
    int (*fn)(const cJSON *, void *), void *arg)
{
	static const char sql[] = "SELECT rowid FROM contact_search"
	    " WHERE contact_search MATCH ?1"
	    " ORDER BY bm25(contact_search, 10.0, 5.0, 4.0, 3.0, 2.0, 1.0),"
	    " rowid LIMIT ?2";
	struct crm_buf expr = CRM_BUF_INIT;
	struct crm_error *err = NULL;
	sqlite3_stmt *st = NULL;
	cJSON *rec;
	int rc, stop = 0;

	if (!crm_utf8_check(text, strlen(text), NULL))
		return crm_error_new(CRM_EXIT_USAGE, "invalid UTF-8 in the "
		    "search words");
	if (crm_search_expr(text, &expr) == 0) {
		err = crm_error_new(CRM_EXIT_USAGE, "nothing to search for");
		goto done;
	}
	if ((err = crm_search_catch_up(db)) != NULL)
		goto done;
	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		goto done;
	sqlite3_bind_text(st, 1, expr.buf, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = crm_contact_get(db, sqlite3_column_int64(st, 0), &rec);
		if (err != NULL)
			goto done;
		stop = fn(rec, arg);
		cJSON_Delete(rec);
	}
	if (!stop && rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
done:
	sqlite3_finalize(st);
	crm_buf_release(&expr);
	return err;
}

/*
 * Dropping and creating the table again is much faster than deleting
 * every document of an FTS5 table that keeps its own content.
 */
struct crm_error *
crm_search_rebuild(struct crm_db *db)
{
	static const char sql[] = "SELECT sql FROM sqlite_schema"
	    " WHERE type = 'table' AND name = 'contact_search'";
	struct crm_error *err;
	sqlite3_stmt *st;
	char *create = NULL;

	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	if (sqlite3_step(st) == SQLITE_ROW)
		create = crm_xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (create == NULL)
		return crm_error_new(CRM_EXIT_FAIL, "%s: no search index",
		    db->path);
	if ((err = crm_db_exec(db, "DROP TABLE contact_search")) == NULL &&
	    (err = crm_db_exec(db, create)) == NULL)
		err = crm_db_exec(db, "INSERT INTO contact_search"
		    " (rowid, " DOC_COLS ") SELECT id, " DOC_COLS
		    " FROM contact_search_docs");
	free(create);
	return err;
}

struct crm_error *
crm_search_reindex(struct crm_db *db, sqlite3_int64 id)
{
	static const char *const sql[] = {
		"DELETE FROM contact_search WHERE rowid = ?",
		"INSERT INTO contact_search (rowid, " DOC_COLS ")"
		" SELECT id, " DOC_COLS " FROM contact_search_docs"
		" WHERE id = ?",
	};
	struct crm_error *err = NULL;
	sqlite3_stmt *st;
	size_t i;

	for (i = 0; i < 2 && err == NULL; i++) {
		if ((err = crm_db_prepare(db, sql[i], &st)) != NULL)
			break;
		sqlite3_bind_int64(st, 1, id);
		err = crm_db_step_done(db, st);
	}
	return err;
}

static struct crm_error *
last_id(struct crm_db *db, sqlite3_int64 *id)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	if ((err = crm_db_prepare(db, "SELECT coalesce(max(id), 0)"
	    " FROM contacts", &st)) != NULL)
		return err;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	else
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_search_suspend(struct crm_db *db, struct crm_search_bulk *b)
{
	struct crm_error *err;

	if (b->suspended)
		return NULL;
	if ((err = last_id(db, &b->last_id)) == NULL &&
	    (err = crm_db_triggers_drop(db, "contact\\_search\\_%",
	    &b->triggers)) == NULL)
		b->suspended = 1;
	return err;
}

void
crm_search_touch(struct crm_search_bulk *b, sqlite3_int64 id)
{
	if (id <= b->last_id)
		crm_buf_addf(&b->touched, "%c%lld", b->touched.len ? ',' : '[',
		    (long long)id);
}

/* Index the contacts after id after, and those in touched (a JSON array). */
static struct crm_error *
index_since(struct crm_db *db, sqlite3_int64 after, const char *touched)
{
	static const char *const sql[] = {
		"DELETE FROM contact_search WHERE rowid > ?1",
		"DELETE FROM contact_search"
		" WHERE rowid IN (SELECT value FROM json_each(?2))",
		"INSERT INTO contact_search (rowid, " DOC_COLS ")"
		" SELECT id, " DOC_COLS " FROM contact_search_docs"
		" WHERE id > ?1 OR id IN (SELECT value FROM json_each(?2))",
	};
	struct crm_error *err = NULL;
	sqlite3_stmt *st;
	size_t i;

	for (i = 0; i < 3 && err == NULL; i++) {
		if ((err = crm_db_prepare(db, sql[i], &st)) != NULL)
			break;
		sqlite3_bind_int64(st, 1, after);
		sqlite3_bind_text(st, 2, touched, -1, SQLITE_STATIC);
		err = crm_db_step_done(db, st);
	}
	return err;
}

struct crm_error *
crm_search_resume(struct crm_db *db, struct crm_search_bulk *b)
{
	struct crm_error *err;
	sqlite3_stmt *st;

	if (!b->suspended)
		return NULL;
	if ((err = crm_db_triggers_restore(db, &b->triggers)) != NULL)
		return err;
	if (b->defer && b->touched.len == 0) {
		/* The oldest backlog wins: it covers the newer one. */
		if ((err = crm_db_prepare(db, "INSERT INTO search_backlog"
		    " (name, after) VALUES ('contacts', ?1)"
		    " ON CONFLICT (name) DO UPDATE"
		    " SET after = min(after, excluded.after)", &st)) == NULL) {
			sqlite3_bind_int64(st, 1, b->last_id);
			err = crm_db_step_done(db, st);
		}
	} else {
		if (b->touched.len == 0)
			crm_buf_addch(&b->touched, '[');
		crm_buf_addch(&b->touched, ']');
		err = index_since(db, b->last_id, b->touched.buf);
		crm_buf_reset(&b->touched);
	}
	if (err == NULL)
		b->suspended = 0;
	return err;
}

void
crm_search_bulk_release(struct crm_search_bulk *b)
{
	crm_strv_clear(&b->triggers);
	crm_buf_release(&b->touched);
	b->suspended = 0;
}

struct crm_error *
crm_search_backlog(struct crm_db *db, sqlite3_int64 *after)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	*after = -1;
	if ((err = crm_db_prepare(db, "SELECT after FROM search_backlog"
	    " WHERE name = 'contacts'", &st)) != NULL)
		return err;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*after = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_search_catch_up(struct crm_db *db)
{
	struct crm_error *err;
	sqlite3_int64 after;
	int own = !db->in_tx;

	if ((err = crm_search_backlog(db, &after)) != NULL || after < 0)
		return err;
	if (db->readonly)
		return crm_error_new(CRM_EXIT_FAIL, "%s: the search index "
		    "waits to be brought up to date after a bulk import, and "
		    "the database is read-only", db->path);
	if (own && (err = crm_db_begin(db)) != NULL)
		return err;
	/* Begun: another process may have caught up meanwhile. */
	if ((err = crm_search_backlog(db, &after)) == NULL && after >= 0) {
		if (after == 0)
			err = crm_search_rebuild(db);
		else
			err = index_since(db, after, "[]");
		if (err == NULL)
			err = crm_db_exec(db, "DELETE FROM search_backlog");
	}
	if (own)
		err = err == NULL ? crm_db_commit(db) :
		    (crm_db_rollback(db), err);
	return err;
}
