/*
 * Lead scores and RFM: the rules, the scoring pass, its explanation, and
 * the recency/frequency/monetary quintiles of won deals, kept per contact
 * in contact_scores, which the contact filter reads (score, rfm_r, rfm_f,
 * rfm_m, rfm_group).
 *
 * Both passes are one INSERT ... SELECT over every contact (the rules
 * become one sum of CASE expressions; the quintiles come from window
 * functions), so that a million contacts take one scan, not a million
 * statements.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_contact.h"
#include "crm_db.h"
#include "crm_filter.h"
#include "crm_money.h"
#include "crm_score.h"
#include "crm_util.h"

const char crm_score_schema_1[] =
	"CREATE TABLE score_rules ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" filter TEXT NOT NULL,"
	" points INTEGER NOT NULL,"
	" created_at TEXT NOT NULL);"
	"CREATE TABLE contact_scores ("
	" contact_id INTEGER PRIMARY KEY"
	"  REFERENCES contacts(id) ON DELETE CASCADE,"
	" score INTEGER,"
	" scored_at TEXT,"
	" rfm_r INTEGER CHECK (rfm_r BETWEEN 1 AND 5),"
	" rfm_f INTEGER CHECK (rfm_f BETWEEN 1 AND 5),"
	" rfm_m INTEGER CHECK (rfm_m BETWEEN 1 AND 5),"
	" rfm_group TEXT,"
	" rfm_at TEXT);"
	"CREATE INDEX contact_scores_score ON contact_scores(score);"
	"CREATE INDEX contact_scores_rfm ON contact_scores(rfm_group);";

const char *const crm_score_rule_columns[] = {
	"id", "where", "points", "created_at", NULL
};

const char *const crm_score_explain_columns[] = {
	"rule", "where", "points", "matched", "given", NULL
};

const char *const crm_rfm_columns[] = {
	"group", "contacts", "revenue", "currency", NULL
};

#define FROM_CONTACTS	" FROM contacts c" \
	" LEFT JOIN contacts co ON co.id = c.company_id"

/*
 * A pass reads every contact and writes every score: mapped pages spare
 * a pread each, and a cache of 128 MiB keeps the pages it changes until
 * the commit instead of spilling them early (together, half the time of
 * a pass over a million contacts).
 */
#define PASS_PRAGMA	"PRAGMA mmap_size = 1073741824;" \
	" PRAGMA cache_size = -131072"

/*
 * The groups, first match wins, in the order they are printed.  Stored
 * as single words so that "rfm_group = at-risk" needs no quotes.
 */
static const char *const groups[] = {
	"champions", "loyal", "new", "potential", "cannot-lose", "at-risk",
	"hibernating", "lost"
};
#define NGROUPS	(sizeof(groups) / sizeof(groups[0]))
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

struct rule {
	sqlite3_int64	 id;
	char		*where;
	long long	 points;
	struct crm_filter *f;
};

struct rules {
	struct rule	*v;
	size_t		 n;
};

static void
rules_release(struct rules *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++) {
		free(rs->v[i].where);
		crm_filter_free(rs->v[i].f);
	}
	free(rs->v);
	rs->v = NULL;
	rs->n = 0;
}

static struct crm_error *
compile(struct crm_db *db, const char *where, struct crm_filter **f)
{
	struct crm_filter_scope scope = { db, NULL, NULL, NULL, NULL };

	*f = NULL;
	/* A rule for everyone is a constant: surely a mistake. */
	if (where[strspn(where, " \t\r\n")] == '\0')
		return crm_error_new(CRM_EXIT_USAGE, "a rule needs a filter");
	return crm_filter_compile_in(where, crm_contact_fieldset(), &scope, f);
}

/* Every rule by id, each compiled, into rs. */
static struct crm_error *
rules_load(struct crm_db *db, struct rules *rs)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	struct rule *r;
	int rc;

	memset(rs, 0, sizeof(*rs));
	if ((err = crm_db_prepare(db, "SELECT id, filter, points"
	    " FROM score_rules ORDER BY id", &st)) != NULL)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rs->v = crm_xrealloc(rs->v, (rs->n + 1) * sizeof(*rs->v));
		r = &rs->v[rs->n++];
		r->id = sqlite3_column_int64(st, 0);
		r->where = crm_xstrdup((const char *)sqlite3_column_text(st,
		    1));
		r->points = sqlite3_column_int64(st, 2);
		r->f = NULL;
		if ((err = compile(db, r->where, &r->f)) != NULL) {
			err = crm_error_prefix(err, "rule %lld",
			    (long long)r->id);
			break;
		}
	}
	if (err == NULL && rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	if (err != NULL)
		rules_release(rs);
	return err;
}

/*
 * Bind the conditions of rs from parameter 1, each followed by its
 * points when points is set; returns the next free index.
 */
static int
rules_bind(const struct rules *rs, sqlite3_stmt *st, int points)
{
	size_t i;
	int k = 1;

	for (i = 0; i < rs->n; i++) {
		crm_filter_bind(rs->v[i].f, st, k);
		k += crm_filter_nparams(rs->v[i].f);
		if (points)
			sqlite3_bind_int64(st, k++, rs->v[i].points);
	}
	return k;
}

struct crm_error *
crm_score_points_parse(const char *text, long long *points)
{
	char *end;

	errno = 0;
	*points = strtoll(text, &end, 10);
	if (*text == '\0' || *end != '\0' || text[strspn(text, "+-0123456789")]
	    != '\0')
		return crm_error_new(CRM_EXIT_USAGE, "points: expected a whole "
		    "number, got \"%s\"", text);
	if (errno != 0 || *points > CRM_SCORE_POINTS_MAX ||
	    *points < -CRM_SCORE_POINTS_MAX)
		return crm_error_new(CRM_EXIT_USAGE, "points: expected a whole "
		    "number from %lld to %lld, got \"%s\"",
		    -CRM_SCORE_POINTS_MAX, CRM_SCORE_POINTS_MAX, text);
	return NULL;
}

static struct crm_error *
rule_event(struct crm_db *db, sqlite3_int64 id, const char *action,
    const char *where, long long points)
{
	struct crm_error *err;
	cJSON *c = cJSON_CreateObject();

	cJSON_AddStringToObject(c, "where", where);
	cJSON_AddNumberToObject(c, "points", (double)points);
	err = crm_db_event(db, "score_rule", id, action, c);
	cJSON_Delete(c);
	return err;
}

struct crm_error *
crm_score_rule_add(struct crm_db *db, const char *where, long long points,
    sqlite3_int64 *id)
{
	char now[CRM_TIME_LEN];
	struct crm_filter *f;
	struct crm_error *err;
	sqlite3_stmt *st;

	*id = 0;
	if ((err = compile(db, where, &f)) != NULL)
		return crm_error_prefix(err, "rule");
	crm_filter_free(f);
	crm_time_now(now);
	if ((err = crm_db_prepare(db, "INSERT INTO score_rules (filter,"
	    " points, created_at) VALUES (?, ?, ?)", &st)) != NULL)
		return err;
	crm_db_bind_text(st, 1, where);
	sqlite3_bind_int64(st, 2, points);
	crm_db_bind_text(st, 3, now);
	if ((err = crm_db_step_done(db, st)) != NULL)
		return err;
	*id = sqlite3_last_insert_rowid(db->sql);
	return rule_event(db, *id, "add", where, points);
}

struct crm_error *
crm_score_rule_resolve(struct crm_db *db, const char *ref, sqlite3_int64 *id)
{
	struct crm_error *err;
	int n;

	*id = 0;
	if (!crm_is_id(ref))
		return crm_error_new(CRM_EXIT_USAGE, "rule: expected a rule "
		    "id, got \"%s\"", ref);
	if ((err = crm_db_lookup(db, "SELECT id FROM score_rules"
	    " WHERE id = CAST(? AS INTEGER)", ref, id, &n)) != NULL)
		return err;
	if (n == 0)
		return crm_error_new(CRM_EXIT_FAIL, "no rule %s", ref);
	return NULL;
}

static cJSON *
rule_row(sqlite3_stmt *st)
{
	cJSON *rec = cJSON_CreateObject();

	cJSON_AddNumberToObject(rec, "id",
	    (double)sqlite3_column_int64(st, 0));
	cJSON_AddStringToObject(rec, "where",
	    (const char *)sqlite3_column_text(st, 1));
	cJSON_AddNumberToObject(rec, "points",
	    (double)sqlite3_column_int64(st, 2));
	cJSON_AddStringToObject(rec, "created_at",
	    (const char *)sqlite3_column_text(st, 3));
	return rec;
}

#define RULE_SELECT "SELECT id, filter, points, created_at FROM score_rules"

struct crm_error *
crm_score_rule_get(struct crm_db *db, sqlite3_int64 id, cJSON **rec)
{
	return crm_db_get_one(db, RULE_SELECT " WHERE id = ?", id, rule_row,
	    "rule", rec);
}

struct crm_error *
crm_score_rule_delete(struct crm_db *db, sqlite3_int64 id)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *rec;

	/* The event keeps what the rule was. */
	if ((err = crm_score_rule_get(db, id, &rec)) != NULL)
		return err;
	if ((err = crm_db_prepare(db, "DELETE FROM score_rules WHERE id = ?",
	    &st)) == NULL) {
		sqlite3_bind_int64(st, 1, id);
		if ((err = crm_db_step_done(db, st)) == NULL)
			err = rule_event(db, id, "delete",
			    cJSON_GetObjectItem(rec, "where")->valuestring,
			    (long long)cJSON_GetObjectItem(rec,
			    "points")->valuedouble);
	}
	cJSON_Delete(rec);
	return err;
}

struct crm_error *
crm_score_rule_list(struct crm_db *db, int (*fn)(const cJSON *, void *),
    void *arg)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *rec;
	int rc, stop = 0;

	if ((err = crm_db_prepare(db, RULE_SELECT " ORDER BY id", &st)) !=
	    NULL)
		return err;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rec = rule_row(st);
		stop = fn(rec, arg);
		cJSON_Delete(rec);
	}
	if (!stop && rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

/* The event of a pass: entity "score", no id; takes c over. */
static struct crm_error *
pass_event(struct crm_db *db, const char *action, cJSON *c)
{
	struct crm_error *err;

	err = crm_db_event(db, "score", 0, action, c);
	cJSON_Delete(c);
	return err;
}

struct crm_error *
crm_score_run(struct crm_db *db, long long *contacts, long long *rules)
{
	char now[CRM_TIME_LEN];
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_error *err;
	struct rules rs;
	sqlite3_stmt *st;
	cJSON *ev;
	size_t i;

	*contacts = *rules = 0;
	if ((err = rules_load(db, &rs)) != NULL)
		return err;
	sqlite3_exec(db->sql, PASS_PRAGMA, NULL, NULL, NULL);
	crm_buf_adds(&sql, "INSERT INTO contact_scores (contact_id, score,"
	    " scored_at) SELECT c.id, 0");
	for (i = 0; i < rs.n; i++)
		crm_buf_addf(&sql, " + CASE WHEN (%s) THEN ? ELSE 0 END",
		    crm_filter_sql(rs.v[i].f));
	/* WHERE true: an upsert after a join needs it to parse. */
	crm_buf_adds(&sql, ", ?" FROM_CONTACTS " WHERE true"
	    " ON CONFLICT (contact_id) DO UPDATE SET score = excluded.score,"
	    " scored_at = excluded.scored_at");
	if ((err = crm_db_prepare(db, sql.buf, &st)) != NULL)
		goto done;
	crm_time_now(now);
	crm_db_bind_text(st, rules_bind(&rs, st, 1), now);
	if ((err = crm_db_step_done(db, st)) != NULL)
		goto done;
	*contacts = sqlite3_changes64(db->sql);
	*rules = (long long)rs.n;
	ev = cJSON_CreateObject();
	cJSON_AddNumberToObject(ev, "contacts", (double)*contacts);
	cJSON_AddNumberToObject(ev, "rules", (double)*rules);
	err = pass_event(db, "score", ev);
done:
	crm_buf_release(&sql);
	rules_release(&rs);
	return err;
}

static cJSON *
explain_record(const struct rule *r, int matched)
{
	cJSON *rec = cJSON_CreateObject();

	cJSON_AddNumberToObject(rec, "rule", (double)r->id);
	cJSON_AddStringToObject(rec, "where", r->where);
	cJSON_AddNumberToObject(rec, "points", (double)r->points);
	cJSON_AddBoolToObject(rec, "matched", matched);
	cJSON_AddNumberToObject(rec, "given",
	    matched ? (double)r->points : 0);
	return rec;
}

struct crm_error *
crm_score_explain(struct crm_db *db, sqlite3_int64 contact,
    int (*fn)(const cJSON *, void *), void *arg, long long *total,
    long long *stored, int *scored)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_error *err;
	struct rules rs;
	sqlite3_stmt *st = NULL;
	cJSON *rec;
	size_t i;
	int rc, m, stop = 0;

	*total = *stored = 0;
	*scored = 0;
	if ((err = rules_load(db, &rs)) != NULL)
		return err;
	/* The whole explanation from one row: the same SQL as the pass. */
	crm_buf_adds(&sql, "SELECT (SELECT cs.score FROM contact_scores cs"
	    " WHERE cs.contact_id = c.id)");
	for (i = 0; i < rs.n; i++)
		crm_buf_addf(&sql, ", CASE WHEN (%s) THEN 1 ELSE 0 END",
		    crm_filter_sql(rs.v[i].f));
	crm_buf_adds(&sql, FROM_CONTACTS " WHERE c.id = ?");
	if ((err = crm_db_prepare(db, sql.buf, &st)) != NULL)
		goto done;
	sqlite3_bind_int64(st, rules_bind(&rs, st, 0), contact);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		err = rc == SQLITE_DONE ? crm_error_new(CRM_EXIT_FAIL,
		    "no contact %lld", (long long)contact) :
		    crm_db_error(db, rc);
		goto done;
	}
	if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*scored = 1;
		*stored = sqlite3_column_int64(st, 0);
	}
	for (i = 0; i < rs.n; i++) {
		m = sqlite3_column_int(st, (int)i + 1);
		if (m)
			*total += rs.v[i].points;
		if (!stop) {
			rec = explain_record(&rs.v[i], m);
			stop = fn(rec, arg);
			cJSON_Delete(rec);
		}
	}
done:
	sqlite3_finalize(st);
	crm_buf_release(&sql);
	rules_release(&rs);
	return err;
}

/*
 * Conversion of the monetary totals into one currency, done in SQL by
 * the function score_convert(minor, currency), which calls
 * crm_money_convert() so that the sums stay exact integers.
 */
struct conv_rate {
	const struct crm_currency *cur;
	struct crm_rate	 r;
	int		 inv;
};

struct conv {
	const struct crm_currency *to;
	struct conv_rate *v;
	size_t		 n;
};

static void
conv_func(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct conv *cv = sqlite3_user_data(ctx);
	const char *code = (const char *)sqlite3_value_text(argv[1]);
	struct crm_error *err;
	int64_t out;
	size_t i;

	if (code != NULL && strcmp(code, cv->to->code) == 0) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	for (i = 0; i < cv->n; i++)
		if (code != NULL && strcmp(cv->v[i].cur->code, code) == 0)
			break;
	if (i == cv->n) {
		sqlite3_result_error(ctx, "no rate for a won deal's currency",
		    -1);
		return;
	}
	if ((err = crm_money_convert(sqlite3_value_int64(argv[0]),
	    cv->v[i].cur->digits, cv->to->digits, &cv->v[i].r, cv->v[i].inv,
	    &out)) != NULL) {
		sqlite3_result_error(ctx, err->msg, -1);
		crm_error_free(err);
		return;
	}
	sqlite3_result_int64(ctx, out);
}

#define WON_DEALS " FROM deals d JOIN stages s ON s.id = d.stage_id" \
	" WHERE s.kind = 'won' AND d.contact_id IS NOT NULL" \
	" AND (?1 IS NULL OR COALESCE(d.closed_at, d.updated_at) >= ?1)"

/*
 * The currencies of the won deals (in temp.rfm_cur); one, or q->currency
 * and a rate into it for each, into cv.  Otherwise an error that says
 * what to do.
 */
static struct crm_error *
conv_prepare(struct crm_db *db, const struct crm_rfm_query *q,
    struct conv *cv)
{
	struct crm_buf names = CRM_BUF_INIT;
	struct crm_error *err;
	struct conv_rate *r;
	sqlite3_stmt *st;
	const char *code;
	int rc, n = 0;

	memset(cv, 0, sizeof(*cv));
	if (q->currency != NULL && (err = crm_currency_parse(q->currency,
	    &cv->to)) != NULL)
		return crm_error_prefix(err, "--currency");
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
		if (strcmp(code, cv->to->code) == 0)
			continue;
		cv->v = crm_xrealloc(cv->v, (cv->n + 1) * sizeof(*cv->v));
		r = &cv->v[cv->n];
		if ((r->cur = crm_currency_find(code)) == NULL) {
			err = crm_error_new(CRM_EXIT_FAIL, "won deals in "
			    "unknown currency \"%s\"", code);
			break;
		}
		cv->n++;
		if ((err = crm_rate_get(db, code, cv->to->code, &r->r,
		    &r->inv)) != NULL)
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
	if (err != NULL) {
		free(cv->v);
		cv->v = NULL;
	}
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
rfm_groups(struct crm_db *db, const struct conv *cv, cJSON **out,
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
	struct conv cv;
	cJSON *ev;
	size_t i;

	*out = NULL;
	*contacts = 0;
	if (q->since != NULL && crm_time_parse(q->since, since, NULL) != 0)
		return crm_error_new(CRM_EXIT_USAGE, "--since: expected a date "
		    "or time such as 2026-01-01 or -90d, got \"%s\"",
		    q->since);
	memset(&cv, 0, sizeof(cv));
	sqlite3_exec(db->sql, PASS_PRAGMA, NULL, NULL, NULL);
	crm_time_now(now);
	for (i = 0; err == NULL && rfm_read_sql[i] != NULL; i++)
		err = rfm_exec(db, rfm_read_sql[i], q->since ? since : NULL,
		    now);
	if (err != NULL || (err = conv_prepare(db, q, &cv)) != NULL)
		goto done;
	if (sqlite3_create_function(db->sql, "score_convert", 2,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, &cv, conv_func, NULL,
	    NULL) != SQLITE_OK) {
		err = crm_db_error(db, sqlite3_errcode(db->sql));
		goto done;
	}
	for (i = 0; err == NULL && rfm_write_sql[i] != NULL; i++)
		err = rfm_exec(db, rfm_write_sql[i], q->since ? since : NULL,
		    now);
	if (err == NULL)
		err = rfm_groups(db, &cv, out, contacts);
	if (err == NULL) {
		ev = cJSON_CreateObject();
		cJSON_AddNumberToObject(ev, "contacts", (double)*contacts);
		cJSON_AddItemToObject(ev, "since", q->since != NULL ?
		    cJSON_CreateString(since) : cJSON_CreateNull());
		cJSON_AddItemToObject(ev, "currency", cv.to != NULL ?
		    cJSON_CreateString(cv.to->code) : cJSON_CreateNull());
		err = pass_event(db, "rfm", ev);
	}
	sqlite3_create_function(db->sql, "score_convert", 2, SQLITE_UTF8,
	    NULL, NULL, NULL, NULL);
done:
	crm_error_free(rfm_exec(db, "DROP TABLE IF EXISTS temp.rfm_cur",
	    NULL, NULL));
	crm_error_free(rfm_exec(db, "DROP TABLE IF EXISTS temp.rfm_base",
	    NULL, NULL));
	free(cv.v);
	if (err != NULL) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	return err;
}
