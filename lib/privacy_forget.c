/*
 * crm-contact forget: a person's data erased wherever it is held, the
 * rows kept for reports, and an event saying so without the data.
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

/*
 * Events keep their rows (who did what, when) but lose what they said:
 * those about the contact and its rows, and any other that quotes one of
 * its addresses or its phone number as stored (one scan of the log).
 */
static struct crm_error *
erase_events(struct crm_db *db, const struct privacy_schema *s,
    const cJSON *rec, sqlite3_int64 id, const char *emails, const char *terms)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_strv needles = CRM_STRV_INIT;
	struct crm_error *err;
	cJSON *list = cJSON_Parse(emails), *v;
	const char *phone;
	sqlite3_stmt *st;
	size_t i;

	crm_buf_adds(&sql, "UPDATE events SET changes = NULL");
	privacy_events_where(&sql, s, terms);
	err = privacy_exec(db, sql.buf, id, emails);
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
erase_held(struct crm_db *db, const struct privacy_schema *s, sqlite3_int64 id)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_error *err = NULL;
	const char *value;
	size_t i;

	for (i = 0; i < NERASE && err == NULL; i++) {
		if (!privacy_has(&s->cols, erase[i].table, erase[i].column) ||
		    !privacy_has(&s->cols, erase[i].table, erase[i].field))
			continue;
		value = erase[i].value;
		if (value == NULL && privacy_has(&s->notnull, erase[i].table,
		    erase[i].field))
			value = "";
		crm_buf_reset(&sql);
		crm_buf_addf(&sql, "UPDATE %s SET %s = ?2 WHERE ",
		    erase[i].table, erase[i].field);
		if (erase[i].where != NULL)
			crm_buf_adds(&sql, erase[i].where);
		else
			crm_buf_addf(&sql, "%s = ?1", erase[i].column);
		err = privacy_exec(db, sql.buf, id, value);
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

	/* Its lists and scores say something about the person too. */
	if ((err = privacy_exec(db, "DELETE FROM contact_tags"
	    " WHERE contact_id = ?1", id, NULL)) != NULL ||
	    (err = privacy_exec(db, "DELETE FROM segment_members"
	    " WHERE contact_id = ?1", id, NULL)) != NULL ||
	    (err = privacy_exec(db, "DELETE FROM contact_scores"
	    " WHERE contact_id = ?1", id, NULL)) != NULL)
		return err;
	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	crm_db_bind_text(st, 1, now);
	sqlite3_bind_int64(st, 2, id);
	return crm_db_step_done(db, st);
}

/* Forget one contact; the full-text indexes are left to the caller. */
static struct crm_error *
forget(struct crm_db *db, const struct privacy_schema *s, sqlite3_int64 id,
    const char *now)
{
	struct crm_buf terms = CRM_BUF_INIT;
	struct crm_error *err;
	cJSON *rec, *changes = NULL;
	char *emails;

	if ((err = crm_contact_get(db, id, &rec)) != NULL)
		return err;
	emails = privacy_emails_json(rec);
	if ((err = privacy_aliases(db, id, &terms, NULL)) != NULL ||
	    (err = erase_events(db, s, rec, id, emails,
	    crm_buf_str(&terms))) != NULL ||
	    /* The Message-IDs mail in threads the contact's tickets by. */
	    (privacy_has(&s->cols, "ticket_mail_refs", "ticket_id") &&
	    (err = privacy_exec(db, "DELETE FROM ticket_mail_refs"
	    " WHERE ticket_id IN (SELECT id FROM tickets"
	    " WHERE contact_id = ?1)", id, NULL)) != NULL) ||
	    (err = erase_held(db, s, id)) != NULL ||
	    (err = privacy_exec(db, "DELETE FROM suppressions WHERE email IN"
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
	struct privacy_schema s = { CRM_STRV_INIT, CRM_STRV_INIT };
	char now[CRM_TIME_LEN];
	struct crm_error *err;
	size_t i;

	crm_time_now(now);
	/* Freed pages are zeroed, not left for a file viewer to read. */
	if ((err = crm_db_exec(db, "PRAGMA secure_delete = ON")) != NULL ||
	    (err = privacy_schema_load(db, &s)) != NULL)
		goto done;
	for (i = 0; i < n && err == NULL; i++)
		err = forget(db, &s, ids[i], now);
	if (err == NULL && n > 0)
		err = optimize_fts(db);
done:
	privacy_schema_release(&s);
	return err;
}

