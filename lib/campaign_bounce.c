/*
 * Campaigns, what comes back: delivery status notifications (lib/dsn.c)
 * matched to the send log, a hard bounce marked on the row and on the
 * contact, so that no later campaign mails that address again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_campaign.h"
#include "crm_db.h"
#include "crm_dsn.h"
#include "crm_util.h"

const char *const crm_campaign_bounce_columns[] = {
	"email", "action", "status", "hard", "diagnostic", "campaign_id",
	"contact_id", "marked", NULL
};

/*
 * The send log row a bounce is about: by the bounced message's
 * Message-ID, or else the last row sent to email.  *row 0: none.
 */
static struct crm_error *
find_row(struct crm_db *db, const char *msgid, const char *email,
    sqlite3_int64 *row, sqlite3_int64 *campaign, sqlite3_int64 *contact)
{
	struct crm_buf id = CRM_BUF_INIT;
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	*row = *campaign = *contact = 0;
	if (msgid != NULL)
		crm_buf_addf(&id, "<%s>", msgid);
	err = crm_db_prepare(db, "SELECT id, campaign_id, contact_id"
	    " FROM campaign_sends WHERE status IN ('sent', 'unknown')"
	    " AND (message_id = ?1 OR email = ?2)"
	    " ORDER BY message_id IS ?1 DESC, sent_at DESC, id DESC LIMIT 1",
	    &st);
	if (err == NULL) {
		crm_db_bind_text(st, 1, msgid != NULL ? id.buf : NULL);
		crm_db_bind_text(st, 2, email);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			*row = sqlite3_column_int64(st, 0);
			*campaign = sqlite3_column_int64(st, 1);
			*contact = sqlite3_column_int64(st, 2);
		} else if (rc != SQLITE_DONE)
			err = crm_db_error(db, rc);
		sqlite3_finalize(st);
	}
	crm_buf_release(&id);
	return err;
}

/* A hard bounce: the row, and every contact with the address. */
static struct crm_error *
mark(struct crm_db *db, sqlite3_int64 row, const char *email,
    const struct crm_dsn_rcpt *r, int *marked)
{
	char now[CRM_TIME_LEN];
	struct crm_error *err;
	sqlite3_stmt *st;
	sqlite3_int64 id;
	cJSON *c;
	int rc;

	crm_time_now(now);
	if (row != 0) {
		if ((err = crm_db_prepare(db, "UPDATE campaign_sends SET"
		    " bounced_at = ?2 WHERE id = ?1 AND bounced_at IS NULL",
		    &st)) != NULL)
			return err;
		sqlite3_bind_int64(st, 1, row);
		crm_db_bind_text(st, 2, now);
		if ((err = crm_db_step_done(db, st)) != NULL)
			return err;
		*marked |= sqlite3_changes(db->sql) > 0;
	}
	/* Emails are unique: one contact at most. */
	if ((err = crm_db_prepare(db, "SELECT id FROM contacts"
	    " WHERE email = ? AND bounced_at IS NULL", &st)) != NULL)
		return err;
	crm_db_bind_text(st, 1, email);
	rc = sqlite3_step(st);
	id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return crm_db_error(db, rc);
	if (id == 0)
		return NULL;
	if ((err = crm_db_prepare(db, "UPDATE contacts SET bounced_at = ?2,"
	    " updated_at = ?2 WHERE id = ?1", &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	crm_db_bind_text(st, 2, now);
	if ((err = crm_db_step_done(db, st)) != NULL)
		return err;
	*marked = 1;
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "bounced_at", now);
	cJSON_AddStringToObject(c, "status", r->status);
	err = crm_db_event(db, "contact", id, "bounce", c);
	cJSON_Delete(c);
	return err;
}

struct crm_error *
crm_campaign_bounce(struct crm_db *db, const char *msg, size_t len,
    int (*fn)(const cJSON *, void *), void *arg, int *is_dsn, int *cut)
{
	struct crm_dsn d;
	struct crm_error *err;
	sqlite3_int64 row, campaign, contact;
	cJSON *rec;
	size_t i;
	int marked, stop = 0;

	*is_dsn = 0;
	err = crm_dsn_parse(msg, len, &d);
	*is_dsn = d.is_dsn;
	*cut = d.truncated;
	for (i = 0; err == NULL && !stop && i < d.n; i++) {
		const struct crm_dsn_rcpt *r = &d.rcpt[i];

		if (r->email == NULL)
			continue;
		if ((err = find_row(db, d.message_id, r->email, &row,
		    &campaign, &contact)) != NULL)
			break;
		/* A Message-ID of another recipient's: by address then. */
		marked = 0;
		if (r->hard && (err = mark(db, row, r->email, r, &marked)) !=
		    NULL)
			break;
		rec = cJSON_CreateObject();
		cJSON_AddStringToObject(rec, "email", r->email);
		cJSON_AddItemToObject(rec, "action", r->action != NULL ?
		    cJSON_CreateString(r->action) : cJSON_CreateNull());
		cJSON_AddStringToObject(rec, "status", r->status);
		cJSON_AddBoolToObject(rec, "hard", r->hard);
		cJSON_AddItemToObject(rec, "diagnostic", r->diagnostic != NULL ?
		    cJSON_CreateString(r->diagnostic) : cJSON_CreateNull());
		cJSON_AddItemToObject(rec, "campaign_id", campaign != 0 ?
		    cJSON_CreateNumber((double)campaign) : cJSON_CreateNull());
		cJSON_AddItemToObject(rec, "contact_id", contact != 0 ?
		    cJSON_CreateNumber((double)contact) : cJSON_CreateNull());
		cJSON_AddBoolToObject(rec, "marked", marked);
		stop = fn(rec, arg);
		cJSON_Delete(rec);
	}
	crm_dsn_free(&d);
	return err;
}
