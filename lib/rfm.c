/*
 * RFM: the recency/frequency/monetary quintiles of won deals, and the
 * group they put each contact in, kept per contact in contact_scores
 * (whose schema is score.c's), which the contact filter reads (rfm_r,
 * rfm_f, rfm_m, rfm_group).
 *
 * The pass is a few statements over every contact (the quintiles come
 * from window functions), so that a million contacts take one scan, not
 * a million statements.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_money.h"
#include "crm_score.h"
#include "crm_util.h"
#include "score_int.h"

const char *const crm_rfm_columns[] = {
	"group", "contacts", "revenue", "currency", NULL
};

/*
 * The groups, first match wins, in the order they are printed.  Stored
 * as single words so that "rfm_group = at-risk" needs no quotes.
 */
static const char *const groups[] = {
	"champions", "loyal", "new", "potential", "cannot-lose", "at-risk",
	"hibernating", "lost"
};
#define NGROUPS	(sizeof(groups) / sizeof(groups[0]))

const char *const *
crm_rfm_groups(size_t *n)
{
	*n = NGROUPS;
	return groups;
}

#define GROUP_SQL "CASE" \
	" WHEN r >= 4 AND f >= 4 THEN 'champions'" \
	" WHEN r >= 3 AND f >= 3 THEN 'loyal'" \
	" WHEN r >= 4 AND f = 1 THEN 'new'" \
	" WHEN r >= 3 AND f <= 2 THEN 'potential'" \
	" WHEN r = 1 AND f >= 4 THEN 'cannot-lose'" \
	" WHEN r <= 2 AND f >= 3 THEN 'at-risk'" \
	" WHEN r = 2 AND f <= 2 THEN 'hibernating'" \
	" ELSE 'lost' END"

/*
 * Quintile of a value among the n scored: equal values share the rank
 * of the first of them, so ties always get equal scores, and the lowest
 * value always scores 1.
 */
#define QUINTILE(col) "1 + 5 * (rank() OVER (ORDER BY " col ") - 1)" \
	" / count(*) OVER ()"

#define WON_DEALS " FROM deals d JOIN stages s ON s.id = d.stage_id" \
	" WHERE s.kind = 'won' AND d.contact_id IS NOT NULL" \
	" AND (?1 IS NULL OR COALESCE(d.closed_at, d.updated_at) >= ?1)"

/*
 * The currencies of the won deals (in temp.rfm_cur); one, or q->currency
 * and a rate into it for each, into cv, whose score_convert() sums the
 * monetary totals as exact integers.  Otherwise an error that says what
 * to do.
 */
static struct crm_error *
conv_prepare(struct crm_db *db, const struct crm_rfm_query *q,
    struct crm_money_conv *cv)
{
	struct crm_buf names = CRM_BUF_INIT;
	const struct crm_currency *to = NULL;
	struct crm_error *err;
	sqlite3_stmt *st;
	const char *code;
	int rc, n = 0;

	crm_money_conv_init(cv, db, NULL);
	if (q->currency != NULL && (err = crm_currency_parse(q->currency,
	    &to)) != NULL)
		return crm_error_prefix(err, "--currency");
	cv->to = to;
	if ((err = crm_db_prepare(db, "SELECT DISTINCT currency"
	    " FROM temp.rfm_cur ORDER BY 1", &st)) != NULL)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		code = (const char *)sqlite3_column_text(st, 0);
		crm_buf_addf(&names, "%s%s", n++ ? ", " : "", code);
		if (q->currency == NULL) {
			cv->to = crm_currency_find(code);
			continue;
		}
		if (crm_currency_find(code) == NULL) {
			err = crm_error_new(CRM_EXIT_FAIL, "won deals in "
			    "unknown currency \"%s\"", code);
			break;
		}
		if ((err = crm_money_conv_add(cv, code)) != NULL)
			break;
	}
	if (err == NULL && rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	if (err == NULL && q->currency == NULL && n > 1)
		err = crm_error_new(CRM_EXIT_USAGE, "won deals are in %d "
		    "currencies (%s): give --currency CODE to convert them, "
		    "with rates from crm-deal rate set", n, names.buf);
	else if (err == NULL && q->currency == NULL && n == 1 &&
	    cv->to == NULL)
		err = crm_error_new(CRM_EXIT_FAIL, "won deals in unknown "
		    "currency \"%s\"", names.buf);
	crm_buf_release(&names);
	return err;
}

/*
 * The statements of a pass, run in order; ?1 is since, ?2 the time.  The
 * won deals are read once, summed per contact and currency (so that a
 * conversion is one per sum, not per deal) into rfm_cur, whose
 * currencies conv_prepare() reads between the two halves.
 */
static const char *const rfm_read_sql[] = {
	"DROP TABLE IF EXISTS temp.rfm_cur",
	"DROP TABLE IF EXISTS temp.rfm_base",
	"CREATE TEMP TABLE rfm_cur AS SELECT d.contact_id, d.currency,"
	" max(COALESCE(d.closed_at, d.updated_at)) AS last, count(*) AS n,"
	" COALESCE(sum(d.amount), 0) AS m" WON_DEALS
	" GROUP BY d.contact_id, d.currency",
	NULL
};

static const char *const rfm_write_sql[] = {
	"CREATE TEMP TABLE rfm_base AS SELECT contact_id, max(last) AS last,"
	" sum(n) AS n, sum(score_convert(m, currency)) AS m"
	" FROM temp.rfm_cur GROUP BY contact_id",
	"UPDATE contact_scores SET rfm_r = NULL, rfm_f = NULL, rfm_m = NULL,"
	" rfm_group = NULL, rfm_at = NULL WHERE rfm_at IS NOT NULL"
	" AND contact_id NOT IN (SELECT contact_id FROM temp.rfm_base)",
	"INSERT INTO contact_scores (contact_id, rfm_r, rfm_f, rfm_m,"
	" rfm_group, rfm_at) SELECT contact_id, r, f, m, " GROUP_SQL ", ?2"
	" FROM (SELECT contact_id, " QUINTILE("last") " AS r, "
	QUINTILE("n") " AS f, " QUINTILE("m") " AS m FROM temp.rfm_base)"
	" WHERE true ON CONFLICT (contact_id) DO UPDATE SET"
	" rfm_r = excluded.rfm_r, rfm_f = excluded.rfm_f,"
	" rfm_m = excluded.rfm_m, rfm_group = excluded.rfm_group,"
	" rfm_at = excluded.rfm_at",
	NULL
};

static struct crm_error *
rfm_exec(struct crm_db *db, const char *sql, const char *since,
    const char *now)
{
	struct crm_error *err;
	sqlite3_stmt *st;

	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	if (sqlite3_bind_parameter_count(st) >= 1)
		crm_db_bind_text(st, 1, since);
	if (sqlite3_bind_parameter_count(st) >= 2)
		crm_db_bind_text(st, 2, now);
	return crm_db_step_done(db, st);
}

/* The record per group, from the scores just stored. */
static struct crm_error *
rfm_groups(struct crm_db *db, const struct crm_money_conv *cv, cJSON **out,
    long long *contacts)
{
	long long n[NGROUPS] = { 0 }, rev[NGROUPS] = { 0 };
	char money[CRM_MONEY_LEN];
	struct crm_error *err;
	sqlite3_stmt *st;
	const char *g;
	cJSON *rec;
	size_t i;
	int rc;

	*out = NULL;
	if ((err = crm_db_prepare(db, "SELECT cs.rfm_group, count(*),"
	    " sum(b.m) FROM temp.rfm_base b JOIN contact_scores cs"
	    " ON cs.contact_id = b.contact_id GROUP BY cs.rfm_group",
	    &st)) != NULL)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		g = (const char *)sqlite3_column_text(st, 0);
		for (i = 0; i < NGROUPS; i++)
			if (g != NULL && strcmp(g, groups[i]) == 0)
				break;
		if (i == NGROUPS)
			continue;
		n[i] = sqlite3_column_int64(st, 1);
		rev[i] = sqlite3_column_int64(st, 2);
		*contacts += n[i];
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	if (err != NULL)
		return err;
	*out = cJSON_CreateArray();
	for (i = 0; i < NGROUPS; i++) {
		rec = cJSON_CreateObject();
		cJSON_AddStringToObject(rec, "group", groups[i]);
		cJSON_AddNumberToObject(rec, "contacts", (double)n[i]);
		if (cv->to != NULL) {
			crm_money_format(rev[i], cv->to->digits, money);
			cJSON_AddStringToObject(rec, "revenue", money);
			cJSON_AddStringToObject(rec, "currency", cv->to->code);
		} else {
			cJSON_AddNullToObject(rec, "revenue");
			cJSON_AddNullToObject(rec, "currency");
		}
		cJSON_AddItemToArray(*out, rec);
	}
	return NULL;
}

struct crm_error *
crm_rfm_run(struct crm_db *db, const struct crm_rfm_query *q, cJSON **out,
    long long *contacts)
{
	char since[CRM_TIME_LEN], now[CRM_TIME_LEN];
	struct crm_error *err = NULL;
	struct crm_money_conv cv;
	cJSON *ev;
	size_t i;

	*out = NULL;
	*contacts = 0;
	if (q->since != NULL && crm_time_parse(q->since, since, NULL) != 0)
		return crm_error_new(CRM_EXIT_USAGE, "--since: expected a date "
		    "or time such as 2026-01-01 or -90d, got \"%s\"",
		    q->since);
	crm_money_conv_init(&cv, db, NULL);
	sqlite3_exec(db->sql, SCORE_PASS_PRAGMA, NULL, NULL, NULL);
	crm_time_now(now);
	for (i = 0; err == NULL && rfm_read_sql[i] != NULL; i++)
		err = rfm_exec(db, rfm_read_sql[i], q->since ? since : NULL,
		    now);
	if (err != NULL || (err = conv_prepare(db, q, &cv)) != NULL)
		goto done;
	if ((err = crm_money_conv_register(&cv, "score_convert")) != NULL)
		goto done;
	for (i = 0; err == NULL && rfm_write_sql[i] != NULL; i++)
		err = crm_money_conv_error(&cv, rfm_exec(db, rfm_write_sql[i],
		    q->since ? since : NULL, now));
	if (err == NULL)
		err = rfm_groups(db, &cv, out, contacts);
	if (err == NULL) {
		ev = cJSON_CreateObject();
		cJSON_AddNumberToObject(ev, "contacts", (double)*contacts);
		cJSON_AddItemToObject(ev, "since", q->since != NULL ?
		    cJSON_CreateString(since) : cJSON_CreateNull());
		cJSON_AddItemToObject(ev, "currency", cv.to != NULL ?
		    cJSON_CreateString(cv.to->code) : cJSON_CreateNull());
		err = score_pass_event(db, "rfm", ev);
	}
done:
	crm_money_conv_release(&cv);
	crm_error_free(rfm_exec(db, "DROP TABLE IF EXISTS temp.rfm_cur",
	    NULL, NULL));
	crm_error_free(rfm_exec(db, "DROP TABLE IF EXISTS temp.rfm_base",
	    NULL, NULL));
	if (err != NULL) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	return err;
}
