/*
 * crm-contact gdpr-export: everything held about a person, as one
 * document: the contact, its consent, the rows of the tables that hold
 * its data (privacy.c lists them), ticket threads, and the events.
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

/* The export's keys for those, in order. */
static const char *const held_keys[] = {
	"activities", "deals", "tickets", "campaign_sends", "segments",
	"scores", NULL
};

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
add_threads(struct crm_db *db, const struct privacy_schema *s, cJSON *doc)
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

	n = !privacy_has(&s->cols, "ticket_comments", "ticket_id") ? 0 :
	    !privacy_has(&s->cols, "ticket_attachments", "comment_id") ? 1 : 2;
	cJSON_ArrayForEach(t, cJSON_GetObjectItem(doc, "tickets")) {
		id = (sqlite3_int64)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(t, "id"));
		for (i = 0; i < n && err == NULL; i++)
			if ((err = privacy_prepare(db, sql[i], id, NULL,
			    &st)) == NULL)
				err = add_rows(db, st,
				    cJSON_AddArrayToObject(t, keys[i]), 0);
	}
	return err;
}

/* The rows of the held tables, then "events". */
static struct crm_error *
add_held(struct crm_db *db, const struct privacy_schema *s, sqlite3_int64 id,
    const char *emails, const char *terms, cJSON *doc)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_error *err = NULL;
	const struct privacy_held *h;
	sqlite3_stmt *st;
	cJSON *arr;
	size_t k;

	for (k = 0; held_keys[k] != NULL && err == NULL; k++) {
		arr = cJSON_AddArrayToObject(doc, held_keys[k]);
		for (h = privacy_held; h < privacy_held + privacy_nheld &&
		    err == NULL; h++) {
			if (strcmp(h->key, held_keys[k]) != 0 ||
			    !privacy_has(&s->cols, h->table, h->column))
				continue;
			crm_buf_reset(&sql);
			crm_buf_addf(&sql, "SELECT * FROM %s WHERE %s = ?1"
			    " ORDER BY 1", h->table, h->column);
			err = privacy_prepare(db, sql.buf, id, NULL, &st);
			if (err == NULL)
				err = add_rows(db, st, arr, 0);
		}
	}
	crm_buf_reset(&sql);
	crm_buf_adds(&sql, "SELECT id, entity, entity_id, action, actor, at,"
	    " changes FROM events");
	privacy_events_where(&sql, s, terms);
	crm_buf_adds(&sql, " ORDER BY id");
	arr = cJSON_AddArrayToObject(doc, "events");
	if (err == NULL &&
	    (err = privacy_prepare(db, sql.buf, id, emails, &st)) == NULL)
		err = add_rows(db, st, arr, 1);
	crm_buf_release(&sql);
	return err;
}

struct crm_error *
crm_privacy_export(struct crm_db *db, sqlite3_int64 id, cJSON **doc)
{
	struct privacy_schema s = { CRM_STRV_INIT, CRM_STRV_INIT };
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
	emails = privacy_emails_json(rec);
	if ((err = privacy_schema_load(db, &s)) == NULL &&
	    (err = add_privacy(db, id, emails, *doc)) == NULL &&
	    (err = privacy_aliases(db, id, &terms, cJSON_AddArrayToObject(*doc,
	    "merged_ids"))) == NULL &&
	    (err = add_held(db, &s, id, emails, crm_buf_str(&terms),
	    *doc)) == NULL)
		err = add_threads(db, &s, *doc);
	if (err != NULL) {
		cJSON_Delete(*doc);
		*doc = NULL;
	}
	privacy_schema_release(&s);
	crm_buf_release(&terms);
	cJSON_free(emails);
	return err;
}

