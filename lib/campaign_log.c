/*
 * Campaigns, what the send log says: the rows by status, retries, the
 * counts, and the check of the templates against the audience.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_campaign.h"
#include "crm_contact.h"
#include "crm_db.h"
#include "crm_filter.h"
#include "crm_money.h"
#include "crm_template.h"
#include "crm_util.h"
#include "campaign_int.h"

static cJSON *
send_record(sqlite3_stmt *st)
{
	cJSON *rec = cJSON_CreateObject();
	int i;

	for (i = 0; crm_campaign_send_columns[i] != NULL; i++)
		cJSON_AddItemToObject(rec, crm_campaign_send_columns[i],
		    crm_db_column_json(st, i));
	return rec;
}

struct crm_error *
crm_campaign_sends(struct crm_db *db, sqlite3_int64 id, const char *status,
    int (*fn)(const cJSON *, void *), void *arg)
{
	struct crm_error *err;
	sqlite3_stmt *st;

	if ((err = crm_db_prepare(db, "SELECT id, campaign_id, contact_id,"
	    " email, status, reason, message_id, reply, attempts, next_at,"
	    " claimed_at, sent_at FROM campaign_sends WHERE campaign_id = ?1"
	    " AND (?2 IS NULL OR status = ?2) ORDER BY id", &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	crm_db_bind_text(st, 2, status);
	return crm_db_each_row(db, st, send_record, fn, arg);
}

struct crm_error *
crm_campaign_retry(struct crm_db *db, sqlite3_int64 id, int unknown,
    long *n)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *c;

	*n = 0;
	if ((err = crm_db_prepare(db, "UPDATE campaign_sends SET"
	    " status = 'queued', next_at = NULL WHERE campaign_id = ?1"
	    " AND status = ?2", &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	crm_db_bind_text(st, 2, unknown ? "unknown" : "failed");
	if ((err = crm_db_step_done(db, st)) != NULL)
		return err;
	*n = sqlite3_changes(db->sql);
	if (*n > 0 && (err = crm_db_prepare(db, "UPDATE campaigns SET"
	    " status = 'sending' WHERE id = ?1 AND status = 'done'", &st)) ==
	    NULL) {
		sqlite3_bind_int64(st, 1, id);
		err = crm_db_step_done(db, st);
	}
	if (err != NULL)
		return err;
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "status", unknown ? "unknown" : "failed");
	cJSON_AddNumberToObject(c, "requeued", (double)*n);
	err = crm_db_event(db, "campaign", id, "retry", c);
	cJSON_Delete(c);
	return err;
}

/* What the recipients did after their message: rec's last fields. */
static struct crm_error *
after(struct crm_db *db, sqlite3_int64 id, int days, cJSON *rec)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *won;
	char buf[CRM_MONEY_LEN];
	const struct crm_currency *cur;
	long deals = 0;
	int rc;

	if ((err = crm_db_prepare(db, "SELECT count(*) FROM campaign_sends s"
	    " JOIN contacts c ON c.id = s.contact_id WHERE s.campaign_id = ?"
	    " AND s.status = 'sent' AND c.unsubscribed_at >= s.sent_at",
	    &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW)
		err = crm_db_error(db, rc);
	else
		cJSON_AddNumberToObject(rec, "unsubscribed_after",
		    (double)sqlite3_column_int64(st, 0));
	sqlite3_finalize(st);
	if (err != NULL)
		return err;
	cJSON_AddNumberToObject(rec, "days", days);
	won = cJSON_CreateObject();
	/* Won deals of recipients, closed from their message to days on. */
	if ((err = crm_db_prepare(db, "SELECT d.currency, count(*),"
	    " sum(d.amount) FROM campaign_sends s JOIN deals d"
	    " ON d.contact_id = s.contact_id JOIN stages g ON g.id = d.stage_id"
	    " WHERE s.campaign_id = ?1 AND s.status = 'sent'"
	    " AND g.kind = 'won' AND d.closed_at >= s.sent_at"
	    " AND d.closed_at < strftime('%Y-%m-%dT%H:%M:%SZ', s.sent_at,"
	    " '+' || ?2 || ' days') GROUP BY 1 ORDER BY 1", &st)) != NULL) {
		cJSON_Delete(won);
		return err;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, days);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *code = (const char *)sqlite3_column_text(st, 0);

		deals += sqlite3_column_int(st, 1);
		cur = crm_currency_find(code);
		crm_money_format(sqlite3_column_int64(st, 2), cur != NULL ?
		    cur->digits : 2, buf);
		cJSON_AddStringToObject(won, code, buf);
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	cJSON_AddNumberToObject(rec, "deals_won", (double)deals);
	cJSON_AddItemToObject(rec, "won_amount", won);
	return err;
}

struct crm_error *
crm_campaign_stats(struct crm_db *db, sqlite3_int64 id, int days,
    cJSON **rec)
{
	static const char *const statuses[] = {
		"queued", "sent", "failed", "unknown", "skipped"
	};
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *skipped;
	const char *s;
	size_t i;
	int rc;

	*rec = NULL;
	if ((err = crm_campaign_get(db, id, rec)) != NULL)
		return err;
	{
		cJSON *r = cJSON_CreateObject();

		cJSON_AddItemToObject(r, "campaign", cJSON_Duplicate(
		    cJSON_GetObjectItemCaseSensitive(*rec, "name"), 1));
		cJSON_AddItemToObject(r, "status", cJSON_Duplicate(
		    cJSON_GetObjectItemCaseSensitive(*rec, "status"), 1));
		cJSON_Delete(*rec);
		*rec = r;
	}
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		cJSON_AddNumberToObject(*rec, statuses[i], 0);
	skipped = cJSON_AddObjectToObject(*rec, "skipped_because");
	cJSON_AddNumberToObject(*rec, "bounced", 0);
	if ((err = crm_db_prepare(db, "SELECT CASE WHEN status = 'claimed'"
	    " THEN 'queued' ELSE status END, reason, count(*)"
	    " FROM campaign_sends WHERE campaign_id = ? GROUP BY 1, 2"
	    " UNION ALL SELECT 'bounced', NULL, count(*) FROM campaign_sends"
	    " WHERE campaign_id = ?1 AND bounced_at IS NOT NULL ORDER BY 1, 2",
	    &st)) != NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const cJSON *have;
		double n = (double)sqlite3_column_int64(st, 2);

		s = (const char *)sqlite3_column_text(st, 0);
		have = cJSON_GetObjectItemCaseSensitive(*rec, s);
		cJSON_SetNumberValue((cJSON *)have,
		    (have != NULL ? have->valuedouble : 0) + n);
		if (strcmp(s, "skipped") == 0)
			cJSON_AddNumberToObject(skipped, (const char *)
			    sqlite3_column_text(st, 1), n);
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	if (err == NULL && (days == 0 ||
	    (err = after(db, id, days, *rec)) == NULL))
		return NULL;
fail:
	cJSON_Delete(*rec);
	*rec = NULL;
	return err;
}

struct miss {
	struct crm_strv	 names;
	long		*count;
};

/*
 * crm-campaign check: render every template for each recipient the
 * audience has now, counting for how many each variable is missing.
 */
struct crm_error *
crm_campaign_check(struct crm_db *db, sqlite3_int64 id,
    int (*fn)(const cJSON *, void *), void *arg)
{
	struct crm_strv vars = CRM_STRV_INIT, missing = CRM_STRV_INIT;
	struct campaign k;
	struct crm_error *err;
	sqlite3_stmt *st = NULL;
	struct crm_buf out = CRM_BUF_INIT;
	long *count = NULL, n = 0;
	cJSON *ctx, *rec;
	size_t i, j;
	int rc = SQLITE_DONE, stop = 0;

	if ((err = campaign_load(db, id, &k)) != NULL)
		return err;
	for (i = 0; i < CAMPAIGN_NTPL; i++)
		if (k.tpl[i] != NULL)
			crm_template_vars(k.tpl[i], &vars);
	count = crm_xcalloc(vars.n + 1, sizeof(*count));
	if ((err = campaign_audience(db, &k, &st)) != NULL)
		goto done;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			continue;
		if ((err = campaign_context(db, &k, sqlite3_column_int64(st, 0),
		    0, &ctx, NULL)) != NULL)
			goto done;
		crm_strv_clear(&missing);
		for (i = 0; i < CAMPAIGN_NTPL; i++)
			if (k.tpl[i] != NULL) {
				crm_buf_reset(&out);
				crm_template_render(k.tpl[i], ctx, CRM_TPL_TEXT,
				    &out, &missing);
			}
		for (j = 0; j < missing.n; j++)
			for (i = 0; i < vars.n; i++)
				if (strcmp(vars.v[i], missing.v[j]) == 0)
					count[i]++;
		cJSON_Delete(ctx);
		n++;
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	for (i = 0; err == NULL && !stop && i < vars.n; i++) {
		rec = cJSON_CreateObject();
		cJSON_AddStringToObject(rec, "variable", vars.v[i]);
		cJSON_AddNumberToObject(rec, "missing", (double)count[i]);
		cJSON_AddNumberToObject(rec, "recipients", (double)n);
		stop = fn(rec, arg);
		cJSON_Delete(rec);
	}
done:
	sqlite3_finalize(st);
	campaign_release(&k);
	crm_strv_clear(&vars);
	crm_strv_clear(&missing);
	crm_buf_release(&out);
	free(count);
	return err;
}
