/*
 * Privacy: everything held about a person as one document
 * (privacy_export.c), erasing it (privacy_forget.c), and consent with a
 * suppression list that outlives the contacts.  The tables that hold a
 * contact's data are found by the lists here and in privacy_forget.c, so
 * that a new table is one line; one that does not exist yet is skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_contact.h"
#include "crm_db.h"
#include "crm_privacy.h"
#include "crm_util.h"
#include "privacy_int.h"

/*
 * A contact added, or given an address, that is on the suppression list
 * is unsubscribed as of the time the address was listed: an import cannot
 * bring back marketing mail to someone who said no.
 */
#define SUPPRESSION(col) "(SELECT " col " FROM suppressions s" \
	" WHERE s.email = new.email)"
#define SUPPRESS \
	" BEGIN UPDATE contacts SET opt_in = 0," \
	" unsubscribed_at = coalesce(unsubscribed_at, " \
	SUPPRESSION("created_at") ")," \
	" consent_source = CASE WHEN unsubscribed_at IS NULL" \
	" THEN " SUPPRESSION("source") " ELSE consent_source END," \
	" consent_at = CASE WHEN unsubscribed_at IS NULL" \
	" THEN " SUPPRESSION("created_at") " ELSE consent_at END" \
	" WHERE id = new.id; END;"

const char crm_privacy_schema_1[] =
	"ALTER TABLE contacts ADD COLUMN consent_source TEXT;"
	"ALTER TABLE contacts ADD COLUMN consent_at TEXT;"
	"ALTER TABLE contacts ADD COLUMN forgotten_at TEXT;"
	"CREATE TABLE suppressions ("
	" id INTEGER PRIMARY KEY,"
	" email TEXT NOT NULL COLLATE NOCASE,"
	" source TEXT NOT NULL,"
	" created_at TEXT NOT NULL);"
	"CREATE UNIQUE INDEX suppressions_email ON suppressions(email);"
	"CREATE TRIGGER contacts_suppressed_add AFTER INSERT ON contacts"
	" WHEN new.email IS NOT NULL AND EXISTS " SUPPRESSION("1") SUPPRESS
	"CREATE TRIGGER contacts_suppressed_email"
	" AFTER UPDATE OF email ON contacts"
	" WHEN new.email IS NOT NULL AND new.email IS NOT old.email"
	" AND EXISTS " SUPPRESSION("1") SUPPRESS;

/*
 * The tables that hold rows about a contact: exported under key, their
 * events (entity) exported and erased with them.
 */
const struct privacy_held privacy_held[] = {
	{ "activities", "activities", "contact_id", "activity" },
	{ "deals", "deals", "contact_id", "deal" },
	{ "deals", "deals", "company_id", "deal" },
	{ "tickets", "tickets", "contact_id", "ticket" },
	{ "campaign_sends", "campaign_sends", "contact_id", NULL },
	{ "segments", "segment_members", "contact_id", NULL },
	{ "scores", "contact_scores", "contact_id", NULL },
};
const size_t privacy_nheld = sizeof(privacy_held) / sizeof(privacy_held[0]);

void
privacy_schema_release(struct privacy_schema *s)
{
	crm_strv_clear(&s->cols);
	crm_strv_clear(&s->notnull);
}

struct crm_error *
privacy_schema_load(struct crm_db *db, struct privacy_schema *s)
{
	static const char sql[] = "SELECT m.name || '.' || c.name,"
	    " c.\"notnull\" FROM sqlite_schema m, pragma_table_info(m.name) c"
	    " WHERE m.type = 'table'";
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		crm_strv_push(&s->cols, (const char *)sqlite3_column_text(st,
		    0));
		if (sqlite3_column_int(st, 1))
			crm_strv_push(&s->notnull,
			    (const char *)sqlite3_column_text(st, 0));
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

int
privacy_has(const struct crm_strv *cols, const char *table, const char *column)
{
	char name[128];

	snprintf(name, sizeof(name), "%s.%s", table, column);
	return crm_strv_has(cols, name);
}

/*
 * The contacts that were this one: id and those merged into it, at any
 * depth, each with the events that are its own: from its last "add" on,
 * and for one merged, up to the merge, for its id may have been given to
 * a new contact since.  Appends to terms an OR of conditions on events,
 * and the ids merged to merged (may be NULL).
 */
struct crm_error *
privacy_aliases(struct crm_db *db, sqlite3_int64 id, struct crm_buf *terms,
    cJSON *merged)
{
	static const char sql[] = "WITH RECURSIVE ids(id, upto) AS"
	    " (SELECT ?1, NULL UNION SELECT j.value, e.id FROM ids"
	    " JOIN events e ON e.entity = 'contact' AND e.entity_id = ids.id"
	    " AND e.action = 'merge' AND (ids.upto IS NULL OR e.id < ids.upto),"
	    " json_each(CASE WHEN json_valid(e.changes) THEN e.changes END,"
	    " '$.merged') j)"
	    " SELECT id, upto, (SELECT max(e.id) FROM events e"
	    " WHERE e.entity = 'contact' AND e.entity_id = ids.id"
	    " AND e.action = 'add' AND (ids.upto IS NULL OR e.id < ids.upto))"
	    " FROM ids ORDER BY upto IS NOT NULL, id, upto";
	struct crm_error *err;
	sqlite3_int64 a, upto;
	sqlite3_stmt *st;
	const cJSON *v;
	int rc;

	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		a = sqlite3_column_int64(st, 0);
		upto = sqlite3_column_int64(st, 1);
		crm_buf_addf(terms, " OR (entity = 'contact'"
		    " AND entity_id = %lld AND id >= %lld", (long long)a,
		    (long long)sqlite3_column_int64(st, 2));
		if (upto != 0)
			crm_buf_addf(terms, " AND id < %lld", (long long)upto);
		crm_buf_addch(terms, ')');
		cJSON_ArrayForEach(v, merged)
			if ((sqlite3_int64)v->valuedouble == a)
				break;
		if (upto != 0 && merged != NULL && v == NULL)
			cJSON_AddItemToArray(merged,
			    cJSON_CreateNumber((double)a));
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

/* The contact's addresses, its own and fields.other_emails, as JSON. */
char *
privacy_emails_json(const cJSON *rec)
{
	struct crm_strv sv = CRM_STRV_INIT;
	const cJSON *v;
	cJSON *a = cJSON_CreateArray();
	char *json;
	size_t i;

	v = cJSON_GetObjectItemCaseSensitive(rec, "email");
	if (cJSON_IsString(v))
		cJSON_AddItemToArray(a, cJSON_CreateString(v->valuestring));
	v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    rec, "fields"), "other_emails");
	if (cJSON_IsString(v))
		crm_strv_split(&sv, v->valuestring, ';');
	for (i = 0; i < sv.n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(sv.v[i]));
	json = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	crm_strv_clear(&sv);
	return json;
}

/*
 * The condition on events about the contact: terms from aliases(), ?1
 * its id, ?2 its addresses.  Its rows elsewhere count by their entity;
 * an address listed alone counts as entity "suppression".  A ticket's
 * events all carry its contact_id (crm_ticket.h), so those of the
 * contact's tickets count even once the ticket is deleted or moved.
 */
void
privacy_events_where(struct crm_buf *sql, const struct privacy_schema *s,
    const char *terms)
{
	const struct privacy_held *h;

	crm_buf_adds(sql, " WHERE (entity = 'suppression' AND entity_id IN"
	    " (SELECT id FROM suppressions WHERE email IN"
	    " (SELECT value FROM json_each(?2))))");
	crm_buf_adds(sql, terms);
	crm_buf_adds(sql, " OR (entity = 'ticket' AND CASE WHEN"
	    " json_valid(changes) THEN json_extract(changes, '$.contact_id')"
	    " END = ?1)");
	for (h = privacy_held; h < privacy_held + privacy_nheld; h++)
		if (h->entity != NULL &&
		    privacy_has(&s->cols, h->table, h->column) &&
		    privacy_has(&s->cols, h->table, "id"))
			crm_buf_addf(sql, " OR (entity = '%s' AND entity_id IN"
			    " (SELECT id FROM %s WHERE %s = ?1))",
			    h->entity, h->table, h->column);
}

/* Prepare sql with ?1 the contact's id and ?2 text (may be NULL). */
struct crm_error *
privacy_prepare(struct crm_db *db, const char *sql, sqlite3_int64 id,
    const char *text, sqlite3_stmt **st)
{
	struct crm_error *err;

	if ((err = crm_db_prepare(db, sql, st)) != NULL)
		return err;
	sqlite3_bind_int64(*st, 1, id);
	if (sqlite3_bind_parameter_count(*st) >= 2)
		crm_db_bind_text(*st, 2, text);
	return NULL;
}

/* Run sql with ?1 the contact's id and ?2 text (may be NULL). */
struct crm_error *
privacy_exec(struct crm_db *db, const char *sql, sqlite3_int64 id,
    const char *text)
{
	struct crm_error *err;
	sqlite3_stmt *st;

	if ((err = privacy_prepare(db, sql, id, text, &st)) != NULL)
		return err;
	return crm_db_step_done(db, st);
}

struct crm_error *
crm_privacy_purge(struct crm_db *db)
{
	sqlite3_stmt *st;
	struct crm_error *err;

	if ((err = crm_db_prepare(db, "PRAGMA wal_checkpoint(TRUNCATE)",
	    &st)) != NULL)
		return err;
	return crm_db_step_done(db, st);
}

/*
 * The suppression triggers' work for many contacts at once: a loader
 * that drops the triggers "contacts\_suppressed\_%" for speed calls this
 * for the ids it added before creating them again.
 */
struct crm_error *
crm_privacy_suppress_since(struct crm_db *db, sqlite3_int64 first_id)
{
	struct crm_error *err;
	sqlite3_stmt *st;

	if ((err = crm_db_prepare(db, "UPDATE contacts SET opt_in = 0,"
	    " unsubscribed_at = coalesce(unsubscribed_at, s.created_at),"
	    " consent_source = CASE WHEN unsubscribed_at IS NULL"
	    " THEN s.source ELSE consent_source END,"
	    " consent_at = CASE WHEN unsubscribed_at IS NULL"
	    " THEN s.created_at ELSE consent_at END"
	    " FROM suppressions s"
	    " WHERE s.email = contacts.email AND contacts.id >= ?1",
	    &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, first_id);
	return crm_db_step_done(db, st);
}
