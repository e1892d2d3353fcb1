/* Search queries made safe, due times, and the bulk-load path of search. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_activity.h"
#include "crm_contact.h"
#include "crm_db.h"
#include "crm_search.h"
#include "crm_util.h"
#include "tap.h"

static const char *
expr(const char *in)
{
	static char out[256];
	struct crm_buf b = CRM_BUF_INIT;
	int n = crm_search_expr(in, &b);

	snprintf(out, sizeof(out), "%d %s", n, crm_buf_str(&b));
	crm_buf_release(&b);
	return out;
}

static const char *
due(const char *in)
{
	static char out[CRM_TIME_LEN];

	return crm_activity_parse_due(in, out) == 0 ? out : "invalid";
}

static int
collect_id(const cJSON *rec, void *arg)
{
	struct crm_buf *b = arg;

	crm_buf_addf(b, "%s%.0f", b->len ? " " : "",
	    cJSON_GetNumberValue(cJSON_GetObjectItem(rec, "id")));
	return 0;
}

/* The ids search finds for text, blank-separated. */
static const char *
found(struct crm_db *db, const char *text)
{
	static char out[256];
	struct crm_buf b = CRM_BUF_INIT;
	struct crm_error *err = crm_search_contacts(db, text, 0, collect_id,
	    &b);

	snprintf(out, sizeof(out), "%s", err ? err->msg : crm_buf_str(&b));
	crm_error_free(err);
	crm_buf_release(&b);
	return out;
}

static int
triggers(struct crm_db *db)
{
	sqlite3_stmt *st;
	int n = -1;

	sqlite3_prepare_v2(db->sql, "SELECT count(*) FROM sqlite_schema"
	    " WHERE type = 'trigger' AND name LIKE 'contact_search_%'", -1,
	    &st, NULL);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void
add(struct crm_db *db, const char *name)
{
	cJSON *v = cJSON_CreateObject();
	sqlite3_int64 id;

	cJSON_AddStringToObject(v, "name", name);
	crm_error_free(crm_contact_add(db, v, &id));
	cJSON_Delete(v);
}

static void
bulk(struct crm_db *db)
{
	struct crm_search_bulk b = CRM_SEARCH_BULK_INIT;
	int n = triggers(db);

	ok(crm_db_begin(db) == NULL, "begin");
	ok(crm_search_suspend(db, &b) == NULL, "suspend");
	is_int(triggers(db), 0, "suspended: no triggers");
	sqlite3_exec(db->sql, "INSERT INTO contacts (name, created_at,"
	    " updated_at) VALUES ('Quentin Bulk', 'x', 'x');"
	    "UPDATE contacts SET name = 'Ada Renamed' WHERE id = 1",
	    NULL, NULL, NULL);
	is_str(found(db, "quentin"), "", "an insert is not indexed meanwhile");
	crm_search_touch(&b, 1);
	crm_search_touch(&b, 3);	/* new: indexed anyway */
	ok(crm_search_resume(db, &b) == NULL, "resume");
	crm_search_bulk_release(&b);
	is_int(triggers(db), n, "resumed: the triggers are back");
	is_str(found(db, "quentin"), "3", "the new contact is indexed");
	is_str(found(db, "renamed"), "1", "the touched one too");
	is_str(found(db, "lovelace"), "", "and its old name is gone");
	ok(crm_db_commit(db) == NULL, "commit");

	ok(crm_db_begin(db) == NULL, "begin");
	ok(crm_search_suspend(db, &b) == NULL, "suspend again");
	crm_db_rollback(db);
	crm_search_bulk_release(&b);
	is_int(triggers(db), n, "a rollback brings the triggers back");

	ok(crm_db_begin(db) == NULL, "begin");
	sqlite3_exec(db->sql, "DELETE FROM contact_search WHERE rowid = 2",
	    NULL, NULL, NULL);
	is_str(found(db, "bob"), "", "a document dropped behind its back");
	ok(crm_search_reindex(db, 2) == NULL, "reindex");
	is_str(found(db, "bob"), "2", "is back");
	sqlite3_exec(db->sql, "DELETE FROM contact_search", NULL, NULL, NULL);
	is_str(found(db, "bob"), "", "an emptied index finds nothing");
	ok(crm_search_rebuild(db) == NULL, "rebuild");
	is_str(found(db, "bob"), "2", "the rebuilt index finds again");
	ok(crm_db_commit(db) == NULL, "commit");
}

int
main(void)
{
	char dir[] = "/tmp/crm-search-test.XXXXXX", path[64];
	struct crm_db *db = NULL;

	setenv("CRM_NOW", "2026-11-22T12:00:00Z", 1);
	setenv("CRM_USER", "tester", 1);
	is_str(expr("acme renewal"),
	    "2 \"acme\" AND (\"renewal\" OR \"renewal\"*)",
	    "words quoted, the last a prefix too");
	is_str(expr("  a\"  OR\t"), "2 \"a\"\"\" AND (\"OR\" OR \"OR\"*)",
	    "quotes doubled, operators are words");
	is_str(expr("NEAR(a b) x:y ^z -w *"),
	    "6 \"NEAR(a\" AND \"b)\" AND \"x:y\" AND \"^z\" AND \"-w\" AND "
	    "(\"*\" OR \"*\"*)",
	    "no FTS5 syntax survives");
	is_str(expr(" \t\n"), "0 ", "blank text has no words");
	is_str(due("2026-11-25"), "2026-11-25T23:59:59Z", "a day is due "
	    "at its end");
	is_str(due("tomorrow"), "2026-11-23T23:59:59Z", "tomorrow, too");
	is_str(due("+3d"), "2026-11-25T12:00:00Z", "a time is kept");
	is_str(due("soon"), "invalid", "not a time");

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/crm.db", dir);
	ok(crm_db_open(path, CRM_DB_WRITE, &db) == NULL, "open");
	crm_db_begin(db);
	add(db, "Ada Lovelace");
	add(db, "Bob Bobson");
	crm_db_commit(db);
	is_str(found(db, "lovelace"), "1", "found by name");
	is_str(found(db, "   "), "nothing to search for", "blank");
	bulk(db);
	crm_db_close(db);
	unlink(path);
	snprintf(path, sizeof(path), "%s/crm.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/crm.db-shm", dir);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
