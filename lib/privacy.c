/*
 * Privacy: everything held about a person as one document, erasing it,
 * and consent with a suppression list that outlives the contacts.  The
 * tables that hold a contact's data are found by the lists below, so that
 * a new table is one line; one that does not exist yet is skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_contact.h"
#include "crm_db.h"
#include "crm_email.h"
#include "crm_privacy.h"
#include "crm_util.h"

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
static const struct held {
	const char	*key;
	const char	*table;
	const char	*column;	/* the contact's id */
	const char	*entity;	/* events.entity of its rows; NULL */
} held[] = {
	{ "activities", "activities", "contact_id", "activity" },
	{ "deals", "deals", "contact_id", "deal" },
	{ "deals", "deals", "company_id", "deal" },
	{ "tickets", "tickets", "contact_id", "ticket" },
	{ "campaign_sends", "campaign_sends", "contact_id", NULL },
};
#define NHELD (sizeof(held) / sizeof(held[0]))

/* The export's keys for those, in order. */
static const char *const held_keys[] = {
	"activities", "deals", "tickets", "campaign_sends", NULL
};

/*
 * The comments of a ticket: the contact's own, wherever they are, and
 * every one on the contact's tickets (a reply quotes and names them).
 */
#define COMMENTS_HELD "contact_id = ?1 OR ticket_id IN" \
	" (SELECT id FROM tickets WHERE contact_id = ?1)"

/*
 * What forget erases in them, in order: field of the rows whose column is
 * the contact's id (or that match where) becomes value (NULL: null, or ""
 * in a NOT NULL column).  A ticket keeps for reports its status,
 * priority, queue, times and CSAT score, and loses its subject, its
 * thread, the CSAT comment, the Message-IDs that tie it to mail, and
 * last, its link to the contact.
 */
static const struct erase {
	const char	*table;
	const char	*column;
	const char	*field;
	const char	*value;
	const char	*where;		/* instead of "column = ?1" */
} erase[] = {
	{ "activities", "contact_id", "subject", "forgotten", NULL },
	{ "activities", "contact_id", "body", NULL, NULL },
	{ "deals", "contact_id", "title", "forgotten", NULL },
	{ "deals", "company_id", "title", "forgotten", NULL },
	{ "ticket_attachments", "comment_id", "name", NULL, "comment_id IN"
	    " (SELECT id FROM ticket_comments WHERE " COMMENTS_HELD ")" },
	{ "ticket_comments", "ticket_id", "body", "forgotten", COMMENTS_HELD },
	{ "ticket_comments", "ticket_id", "message_id", NULL, COMMENTS_HELD },
	{ "ticket_comments", "contact_id", "author", "forgotten", NULL },
	{ "ticket_comments", "contact_id", "contact_id", NULL, NULL },
	{ "tickets", "contact_id", "subject", "forgotten", NULL },
	{ "tickets", "contact_id", "csat_comment", NULL, NULL },
	{ "tickets", "contact_id", "message_id", NULL, NULL },
	{ "tickets", "contact_id", "contact_id", NULL, NULL },
	{ "campaign_sends", "contact_id", "email", NULL, NULL },
};
#define NERASE (sizeof(erase) / sizeof(erase[0]))

/* The columns that exist, as "table.column". */
struct schema {
	struct crm_strv	 cols;
	struct crm_strv	 notnull;
};

static void
schema_release(struct schema *s)
{
	crm_strv_clear(&s->cols);
	crm_strv_clear(&s->notnull);
}

static struct crm_error *
load_schema(struct crm_db *db, struct schema *s)
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

static int
has(const struct crm_strv *cols, const char *table, const char *column)
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
static struct crm_error *
aliases(struct crm_db *db, sqlite3_int64 id, struct crm_buf *terms,
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
static char *
emails_json(const cJSON *rec)
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
static void
events_where(struct crm_buf *sql, const struct schema *s, const char *terms)
{
	size_t i;

	crm_buf_adds(sql, " WHERE (entity = 'suppression' AND entity_id IN"
	    " (SELECT id FROM suppressions WHERE email IN"
	    " (SELECT value FROM json_each(?2))))");
	crm_buf_adds(sql, terms);
	crm_buf_adds(sql, " OR (entity = 'ticket' AND CASE WHEN"
	    " json_valid(changes) THEN json_extract(changes, '$.contact_id')"
	    " END = ?1)");
	for (i = 0; i < NHELD; i++)
		if (held[i].entity != NULL &&
		    has(&s->cols, held[i].table, held[i].column) &&
		    has(&s->cols, held[i].table, "id"))
			crm_buf_addf(sql, " OR (entity = '%s' AND entity_id IN"
			    " (SELECT id FROM %s WHERE %s = ?1))",
			    held[i].entity, held[i].table, held[i].column);
}

/* Prepare sql with ?1 the contact's id and ?2 text (may be NULL). */
static struct crm_error *
prepare_q(struct crm_db *db, const char *sql, sqlite3_int64 id,
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

/* Each row of st as an object appended to arr; st is finalized. */
static struct crm_error *
add_rows(struct crm_db *db, sqlite3_stmt *st, cJSON *arr, int events)
{
	struct crm_error *err = NULL;
	const char *name, *text;
	cJSON *row, *v;
	int i, rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row = cJSON_CreateObject();
		for (i = 0; i < sqlite3_column_count(st); i++) {
			name = sqlite3_column_name(st, i);
			text = (const char *)sqlite3_column_text(st, i);
			v = NULL;
			if (events && strcmp(name, "changes") == 0 &&
			    text != NULL)
				v = cJSON_Parse(text);
			if (v == NULL)
				v = crm_db_column_json(st, i);
			cJSON_AddItemToObject(row, name, v);
		}
		cJSON_AddItemToArray(arr, row);
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

/* The export's "privacy" object. */
static struct crm_error *
add_privacy(struct crm_db *db, sqlite3_int64 id, const char *emails,
    cJSON *doc)
{
	static const char sql[] = "SELECT opt_in, unsubscribed_at,"
	    " consent_source, consent_at, EXISTS (SELECT 1 FROM suppressions"
	    " WHERE email IN (SELECT value FROM json_each(?2))), forgotten_at"
	    " FROM contacts WHERE id = ?1";
	static const char *const names[] = { "opt_in", "unsubscribed_at",
	    "consent_source", "consent_at", "suppressed", "forgotten_at" };
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *p;
	int i, rc;

	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	crm_db_bind_text(st, 2, emails);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		p = cJSON_AddObjectToObject(doc, "privacy");
		for (i = 0; i < 6; i++)
			cJSON_AddItemToObject(p, names[i], i == 0 || i == 4 ?
			    cJSON_CreateBool(sqlite3_column_int(st, i)) :
			    crm_db_column_json(st, i));
	} else
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

/*
 * Each ticket in doc's "tickets" with its whole thread, "comments", and
 * the attachments of its comments, "attachments", where kept.
 */
static struct crm_error *
add_threads(struct crm_db *db, const struct schema *s, cJSON *doc)
{
	static const char *const sql[] = {
		"SELECT * FROM ticket_comments WHERE ticket_id = ?1"
		" ORDER BY id",
		"SELECT a.* FROM ticket_attachments a JOIN ticket_comments c"
		" ON c.id = a.comment_id WHERE c.ticket_id = ?1 ORDER BY a.id",
	};
	static const char *const keys[] = { "comments", "attachments" };
	struct crm_error *err = NULL;
	sqlite3_int64 id;
	sqlite3_stmt *st;
	cJSON *t;
	int i, n;

	n = !has(&s->cols, "ticket_comments", "ticket_id") ? 0 :
	    !has(&s->cols, "ticket_attachments", "comment_id") ? 1 : 2;
	cJSON_ArrayForEach(t, cJSON_GetObjectItem(doc, "tickets")) {
		id = (sqlite3_int64)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(t, "id"));
		for (i = 0; i < n && err == NULL; i++)
			if ((err = prepare_q(db, sql[i], id, NULL, &st)) ==
			    NULL)
				err = add_rows(db, st,
				    cJSON_AddArrayToObject(t, keys[i]), 0);
	}
	return err;
}

/* The rows of the held tables, then "events". */
static struct crm_error *
add_held(struct crm_db *db, const struct schema *s, sqlite3_int64 id,
    const char *emails, const char *terms, cJSON *doc)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_error *err = NULL;
	sqlite3_stmt *st;
	cJSON *arr;
	size_t i, k;

	for (k = 0; held_keys[k] != NULL && err == NULL; k++) {
		arr = cJSON_AddArrayToObject(doc, held_keys[k]);
		for (i = 0; i < NHELD && err == NULL; i++) {
			if (strcmp(held[i].key, held_keys[k]) != 0 ||
			    !has(&s->cols, held[i].table, held[i].column))
				continue;
			crm_buf_reset(&sql);
			crm_buf_addf(&sql, "SELECT * FROM %s WHERE %s = ?1"
			    " ORDER BY 1", held[i].table, held[i].column);
			err = prepare_q(db, sql.buf, id, NULL, &st);
			if (err == NULL)
				err = add_rows(db, st, arr, 0);
		}
	}
	crm_buf_reset(&sql);
	crm_buf_adds(&sql, "SELECT id, entity, entity_id, action, actor, at,"
	    " changes FROM events");
	events_where(&sql, s, terms);
	crm_buf_adds(&sql, " ORDER BY id");
	arr = cJSON_AddArrayToObject(doc, "events");
	if (err == NULL &&
	    (err = prepare_q(db, sql.buf, id, emails, &st)) == NULL)
		err = add_rows(db, st, arr, 1);
	crm_buf_release(&sql);
	return err;
}

struct crm_error *
crm_privacy_export(struct crm_db *db, sqlite3_int64 id, cJSON **doc)
{
	struct schema s = { CRM_STRV_INIT, CRM_STRV_INIT };
	struct crm_buf terms = CRM_BUF_INIT;
	char now[CRM_TIME_LEN], *emails = NULL;
	struct crm_error *err;
	cJSON *rec;

	*doc = NULL;
	if ((err = crm_contact_get(db, id, &rec)) != NULL)
		return err;
	*doc = cJSON_CreateObject();
	crm_time_now(now);
	cJSON_AddStringToObject(*doc, "exported_at", now);
	cJSON_AddItemToObject(*doc, "contact", rec);
	emails = emails_json(rec);
	if ((err = load_schema(db, &s)) == NULL &&
	    (err = add_privacy(db, id, emails, *doc)) == NULL &&
	    (err = aliases(db, id, &terms, cJSON_AddArrayToObject(*doc,
	    "merged_ids"))) == NULL &&
	    (err = add_held(db, &s, id, emails, crm_buf_str(&terms),
	    *doc)) == NULL)
		err = add_threads(db, &s, *doc);
	if (err != NULL) {
		cJSON_Delete(*doc);
		*doc = NULL;
	}
	schema_release(&s);
	crm_buf_release(&terms);
	cJSON_free(emails);
	return err;
}

/* Run sql with ?1 the contact's id and ?2 text (may be NULL). */
static struct crm_error *
exec_q(struct crm_db *db, const char *sql, sqlite3_int64 id,
    const char *text)
{
	struct crm_error *err;
	sqlite3_stmt *st;

	if ((err = prepare_q(db, sql, id, text, &st)) != NULL)
		return err;
	return crm_db_step_done(db, st);
}

/*
 * Events keep their rows (who did what, when) but lose what they said:
 * those about the contact and its rows, and any other that quotes one of
 * its addresses or its phone number as stored (one scan of the log).
 */
static struct crm_error *
erase_events(struct crm_db *db, const struct schema *s, const cJSON *rec,
    sqlite3_int64 id, const char *emails, const char *terms)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_strv needles = CRM_STRV_INIT;
	struct crm_error *err;
	cJSON *list = cJSON_Parse(emails), *v;
	const char *phone;
	sqlite3_stmt *st;
	size_t i;

	crm_buf_adds(&sql, "UPDATE events SET changes = NULL");
	events_where(&sql, s, terms);
	err = exec_q(db, sql.buf, id, emails);
	cJSON_ArrayForEach(v, list)
		if (cJSON_IsString(v) && *v->valuestring != '\0')
			crm_strv_push(&needles, v->valuestring);
	phone = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec,
	    "phone"));
	if (phone != NULL && strlen(phone) >= 7)
		crm_strv_push(&needles, phone);
	crm_buf_reset(&sql);
	crm_buf_adds(&sql, "UPDATE events SET changes = NULL"
	    " WHERE changes IS NOT NULL AND (0");
	for (i = 0; i < needles.n; i++)
		crm_buf_addf(&sql, " OR instr(changes, ?%zu)", i + 1);
	crm_buf_adds(&sql, ")");
	if (err == NULL && needles.n > 0 &&
	    (err = crm_db_prepare(db, sql.buf, &st)) == NULL) {
		for (i = 0; i < needles.n; i++)
			crm_db_bind_text(st, (int)i + 1, needles.v[i]);
		err = crm_db_step_done(db, st);
	}
	crm_buf_release(&sql);
	crm_strv_clear(&needles);
	cJSON_Delete(list);
	return err;
}

/*
 * A full-text index keeps the words of a deleted document in its
 * segments until they are merged: merge them all now.
 */
static struct crm_error *
optimize_fts(struct crm_db *db)
{
	static const char sql[] = "SELECT name FROM sqlite_schema"
	    " WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'"
	    " AND sql LIKE '%USING fts5%'";
	struct crm_strv names = CRM_STRV_INIT;
	struct crm_buf cmd = CRM_BUF_INIT;
	struct crm_error *err;
	sqlite3_stmt *st;
	size_t i;
	int rc;

	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		crm_strv_push(&names, (const char *)sqlite3_column_text(st, 0));
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	for (i = 0; i < names.n && err == NULL; i++) {
		crm_buf_reset(&cmd);
		crm_buf_addf(&cmd, "INSERT INTO \"%s\"(\"%s\")"
		    " VALUES ('optimize')", names.v[i], names.v[i]);
		err = crm_db_exec(db, cmd.buf);
	}
	crm_buf_release(&cmd);
	crm_strv_clear(&names);
	return err;
}

/* The erase list, on the tables and columns that exist. */
static struct crm_error *
erase_held(struct crm_db *db, const struct schema *s, sqlite3_int64 id)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_error *err = NULL;
	const char *value;
	size_t i;

	for (i = 0; i < NERASE && err == NULL; i++) {
		if (!has(&s->cols, erase[i].table, erase[i].column) ||
		    !has(&s->cols, erase[i].table, erase[i].field))
			continue;
		value = erase[i].value;
		if (value == NULL && has(&s->notnull, erase[i].table,
		    erase[i].field))
			value = "";
		crm_buf_reset(&sql);
		crm_buf_addf(&sql, "UPDATE %s SET %s = ?2 WHERE ",
		    erase[i].table, erase[i].field);
		if (erase[i].where != NULL)
			crm_buf_adds(&sql, erase[i].where);
		else
			crm_buf_addf(&sql, "%s = ?1", erase[i].column);
		err = exec_q(db, sql.buf, id, value);
	}
	crm_buf_release(&sql);
	return err;
}

/* The contact row itself: an anonymised tombstone. */
static struct crm_error *
tombstone(struct crm_db *db, sqlite3_int64 id, const char *now)
{
	static const char sql[] = "UPDATE contacts SET name = 'forgotten',"
	    " email = NULL, phone = NULL, company_id = NULL, title = NULL,"
	    " external_id = NULL, fields = '{}', opt_in = 0,"
	    " unsubscribed_at = NULL, consent_source = NULL,"
	    " consent_at = NULL, forgotten_at = ?1, updated_at = ?1"
	    " WHERE id = ?2";
	struct crm_error *err;
	sqlite3_stmt *st;

	if ((err = exec_q(db, "DELETE FROM contact_tags WHERE contact_id = ?1",
	    id, NULL)) != NULL)
		return err;
	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	crm_db_bind_text(st, 1, now);
	sqlite3_bind_int64(st, 2, id);
	return crm_db_step_done(db, st);
}

/* Forget one contact; the full-text indexes are left to the caller. */
static struct crm_error *
forget(struct crm_db *db, const struct schema *s, sqlite3_int64 id,
    const char *now)
{
	struct crm_buf terms = CRM_BUF_INIT;
	struct crm_error *err;
	cJSON *rec, *changes = NULL;
	char *emails;

	if ((err = crm_contact_get(db, id, &rec)) != NULL)
		return err;
	emails = emails_json(rec);
	if ((err = aliases(db, id, &terms, NULL)) != NULL ||
	    (err = erase_events(db, s, rec, id, emails,
	    crm_buf_str(&terms))) != NULL ||
	    /* The Message-IDs mail in threads the contact's tickets by. */
	    (has(&s->cols, "ticket_mail_refs", "ticket_id") &&
	    (err = exec_q(db, "DELETE FROM ticket_mail_refs WHERE ticket_id"
	    " IN (SELECT id FROM tickets WHERE contact_id = ?1)", id,
	    NULL)) != NULL) ||
	    (err = erase_held(db, s, id)) != NULL ||
	    (err = exec_q(db, "DELETE FROM suppressions WHERE email IN"
	    " (SELECT value FROM json_each(?2))", id, emails)) != NULL ||
	    (err = tombstone(db, id, now)) != NULL)
		goto done;
	changes = cJSON_CreateObject();
	cJSON_AddStringToObject(changes, "forgotten_at", now);
	err = crm_db_event(db, "contact", id, "forget", changes);
done:
	cJSON_Delete(changes);
	cJSON_Delete(rec);
	cJSON_free(emails);
	crm_buf_release(&terms);
	return err;
}

struct crm_error *
crm_privacy_forget(struct crm_db *db, const sqlite3_int64 *ids, size_t n)
{
	struct schema s = { CRM_STRV_INIT, CRM_STRV_INIT };
	char now[CRM_TIME_LEN];
	struct crm_error *err;
	size_t i;

	crm_time_now(now);
	/* Freed pages are zeroed, not left for a file viewer to read. */
	if ((err = crm_db_exec(db, "PRAGMA secure_delete = ON")) != NULL ||
	    (err = load_schema(db, &s)) != NULL)
		goto done;
	for (i = 0; i < n && err == NULL; i++)
		err = forget(db, &s, ids[i], now);
	if (err == NULL && n > 0)
		err = optimize_fts(db);
done:
	schema_release(&s);
	return err;
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
