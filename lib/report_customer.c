/*
 * Contact and customer reports: funnel, customers, cohort, clv, rfm.
 *
 * A customer is a contact with a won deal, and the time of a won deal is
 * its closed_at (else updated_at), as rfm.c reads it.  A customer's
 * cohort is the month of its first won deal.  Amounts are summed in SQL
 * as integer minor units, per currency or converted deal by deal into
 * --currency, and printed by report_money() (crm_report_money_begin()).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_contact.h"
#include "crm_filter.h"
#include "crm_money.h"
#include "crm_report.h"
#include "crm_score.h"
#include "crm_segment.h"
#include "crm_util.h"
#include "report_int.h"

#define WON_AT		"COALESCE(d.closed_at, d.updated_at)"
/*
 * The won deals with a contact, up to --until.  A third or so of all
 * deals: read in table order, not by stage through deals_board, which
 * would fetch each row's closed_at at random (five times slower).
 */
#define WON_DEALS	" FROM deals d NOT INDEXED" \
	" JOIN stages s ON s.id = d.stage_id" \
	" WHERE s.kind = 'won' AND d.contact_id IS NOT NULL" \
	" AND (:until IS NULL OR " WON_AT " < :until)"
/* The tables a contact filter's fields name. */
#define CONTACTS	"contacts c" \
	" LEFT JOIN contacts co ON co.id = c.company_id"

/* The conditions of a statement, in the order they appear in its SQL. */
struct conds {
	struct crm_filter **f;
	size_t		 n;
};
#define CONDS_INIT	{ NULL, 0 }

static void
conds_keep(struct conds *c, struct crm_filter *f)
{
	c->f = crm_xrealloc(c->f, (c->n + 1) * sizeof(*c->f));
	c->f[c->n++] = f;
}

static void
conds_release(struct conds *c)
{
	while (c->n > 0)
		crm_filter_free(c->f[--c->n]);
	free(c->f);
	c->f = NULL;
}

/*
 * Append " AND col IN (SELECT c.id ...)" for the contact condition f to
 * sql, and keep f in c (which frees it).
 */
static void
contact_cond(struct conds *c, struct crm_buf *sql, const char *col,
    struct crm_filter *f)
{
	conds_keep(c, f);
	crm_buf_addf(sql, " AND %s IN (SELECT c.id FROM " CONTACTS
	    " WHERE (%s))", col, crm_filter_sql(f));
}

/*
 * Append " AND " the --where condition on entity ("deal" or "contact",
 * whose rows are d.id or c.id) to sql, and keep its filter in c.
 */
static struct crm_error *
where_add(struct crm_db *db, struct conds *c, struct crm_buf *sql,
    const char *entity, const char *where)
{
	struct crm_filter *f;
	struct crm_error *err;
	char *cond;

	if (strcmp(entity, "deal") == 0)
		err = crm_report_deal_where(db, where, &cond, &f);
	else
		err = crm_report_where(db, where, crm_contact_fieldset(), "c.id",
		    CONTACTS, &cond, &f);
	if (err != NULL)
		return err;
	crm_buf_addf(sql, " AND %s", cond);
	if (f != NULL)
		conds_keep(c, f);
	free(cond);
	return NULL;
}

/*
 * Prepare sql and bind the named parameters the reports use (:since,
 * :until; those it does not name are skipped) and the anonymous ones of
 * c's conditions, in the order of the text, where a named one may come
 * between two conditions but never inside one.
 */
static struct crm_error *
prepare(struct crm_db *db, const char *sql, const struct crm_report_opts *o,
    const struct conds *c, sqlite3_stmt **st)
{
	struct crm_error *err;
	size_t i;
	int k, n;

	if ((err = crm_db_prepare(db, sql, st)) != NULL)
		return err;
	if ((k = sqlite3_bind_parameter_index(*st, ":since")) > 0)
		crm_db_bind_text(*st, k, *o->since ? o->since : NULL);
	if ((k = sqlite3_bind_parameter_index(*st, ":until")) > 0)
		crm_db_bind_text(*st, k, *o->until ? o->until : NULL);
	n = sqlite3_bind_parameter_count(*st);
	for (i = 0, k = 1; i < c->n; k += crm_filter_nparams(c->f[i]), i++) {
		while (k <= n && sqlite3_bind_parameter_name(*st, k) != NULL)
			k++;
		crm_filter_bind(c->f[i], *st, k);
	}
	return NULL;
}

/*
 * funnel: the lifecycle stages the contacts created in the range are in
 * now (contacts) and have ever been in (reached): the stages on either
 * side of each stage change their update events record, and the one they
 * are in.  A stage's step in a contact's path is how many changes came
 * before the contact reached it; stages are in the order of their average
 * step, so that the rows follow the way contacts go.  conversion_rate is
 * the percentage of the contacts that reached the row above that reached
 * this one too.
 */
static const char *const funnel_columns[] = {
	"stage", "contacts", "reached", "conversion_rate", NULL
};

/*
 * After sel (id, stage): the stage changes of its contacts in order (ch),
 * how many each had (k), the stages of the contacts that changed, each at
 * its first step (been), and the contacts that never changed counted in
 * their stage at step 0 without going through been, which would cost
 * them a GROUP BY each.  pairs counts the contacts in both of two stages.
 */
#define FUNNEL_SQL "), ch AS MATERIALIZED (SELECT e.entity_id AS id," \
	" json_extract(e.changes, '$.stage.old') AS old," \
	" json_extract(e.changes, '$.stage.new') AS new," \
	" row_number() OVER (PARTITION BY e.entity_id ORDER BY e.id) AS step" \
	" FROM events e JOIN sel ON sel.id = e.entity_id" \
	" WHERE e.entity = 'contact' AND e.action = 'update'" \
	" AND json_extract(e.changes, '$.stage') IS NOT NULL)," \
	" k AS MATERIALIZED (SELECT id, max(step) AS n FROM ch GROUP BY id)," \
	" been AS MATERIALIZED (SELECT id, stage, min(step) AS step" \
	" FROM (SELECT id, new AS stage, step FROM ch" \
	" UNION ALL SELECT id, old, 0 FROM ch WHERE step = 1" \
	" UNION ALL SELECT sel.id, sel.stage, k.n FROM sel" \
	" JOIN k ON k.id = sel.id) WHERE stage IS NOT NULL" \
	" GROUP BY id, stage)," \
	" g AS (SELECT stage, sum(n) AS reached, 1.0 * sum(s) / sum(n) AS pos" \
	" FROM (SELECT stage, count(*) AS n, sum(step) AS s FROM been" \
	" GROUP BY stage UNION ALL SELECT stage, count(*), 0 FROM sel" \
	" WHERE id NOT IN (SELECT id FROM k) GROUP BY stage) GROUP BY stage)," \
	" ord AS (SELECT stage, reached, pos," \
	" lag(stage) OVER (ORDER BY pos, reached DESC, stage) AS prev," \
	" lag(reached) OVER (ORDER BY pos, reached DESC, stage) AS prev_n" \
	" FROM g)," \
	" pairs AS (SELECT a.stage AS a, b.stage AS b, count(*) AS n" \
	" FROM been a JOIN been b ON b.id = a.id AND b.stage != a.stage" \
	" GROUP BY 1, 2)," \
	" now AS (SELECT stage, count(*) AS n FROM sel GROUP BY stage)" \
	" SELECT ord.stage AS stage, COALESCE(now.n, 0) AS contacts," \
	" ord.reached AS reached," \
	" round(100.0 * COALESCE(pairs.n, 0) / ord.prev_n, 1)" \
	" AS conversion_rate" \
	" FROM ord LEFT JOIN now ON now.stage = ord.stage" \
	" LEFT JOIN pairs ON pairs.a = ord.prev AND pairs.b = ord.stage" \
	" ORDER BY ord.pos, ord.reached DESC, ord.stage"

REPORT_FN(report_funnel)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct conds c = CONDS_INIT;
	struct crm_error *err;
	sqlite3_stmt *st;

	crm_buf_adds(&sql, "WITH sel AS (SELECT c.id, c.stage FROM contacts c"
	    " WHERE (:since IS NULL OR c.created_at >= :since)"
	    " AND (:until IS NULL OR c.created_at < :until)");
	if ((err = where_add(db, &c, &sql, "contact", o->where)) != NULL)
		goto done;
	crm_buf_adds(&sql, FUNNEL_SQL);
	if ((err = prepare(db, sql.buf, o, &c, &st)) != NULL)
		goto done;
	r->columns = funnel_columns;
	r->label = "stage";
	r->value = "reached";
	err = crm_report_rows(db, st, r);
done:
	conds_release(&c);
	crm_buf_release(&sql);
	return err;
}

/*
 * customers: contacts created in the range, per period and source, or
 * per source or owner.
 */
static const char *const customers_period_columns[] = {
	"period", "source", "contacts", NULL
};
static const char *const customers_source_columns[] = {
	"source", "contacts", NULL
};
static const char *const customers_owner_columns[] = {
	"owner", "contacts", NULL
};

REPORT_FN(report_customers)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct conds c = CONDS_INIT;
	struct crm_error *err;
	sqlite3_stmt *st;
	const char *by;
	char *period;

	if ((err = crm_report_by("customers", o->by, &by)) != NULL)
		return err;
	if ((period = crm_report_period_sql(by, "c.created_at")) != NULL)
		crm_buf_addf(&sql, "SELECT %s AS period, c.source AS source,"
		    " count(*) AS contacts", period);
	else	/* source or owner: a word of the def, a column's name */
		crm_buf_addf(&sql, "SELECT c.%s AS %s, count(*) AS contacts",
		    by, by);
	crm_buf_adds(&sql, " FROM contacts c"
	    " WHERE (:since IS NULL OR c.created_at >= :since)"
	    " AND (:until IS NULL OR c.created_at < :until)");
	if ((err = where_add(db, &c, &sql, "contact", o->where)) != NULL)
		goto done;
	crm_buf_adds(&sql, period != NULL ? " GROUP BY 1, 2 ORDER BY 1, 2" :
	    " GROUP BY 1 ORDER BY 2 DESC, 1");
	if ((err = prepare(db, sql.buf, o, &c, &st)) != NULL)
		goto done;
	r->columns = period != NULL ? customers_period_columns :
	    strcmp(by, "source") == 0 ? customers_source_columns :
	    customers_owner_columns;
	r->label = period != NULL ? "period" : by;
	r->value = "contacts";
	r->series = period != NULL ? "source" : NULL;
	r->periodic = period != NULL;
	err = crm_report_rows(db, st, r);
done:
	free(period);
	conds_release(&c);
	crm_buf_release(&sql);
	return err;
}

/*
 * cohort, in one pass over the won deals: each (contact, month of a won
 * deal) becomes a key, sorted in memory so that a contact's months lie
 * together, first month first; then each (cohort, month) a customer was
 * active in becomes a key, sorted again and counted in runs.  Months are
 * year * 12 + month - 1; a bit says whether the deal is on or after
 * --since, so that a customer whose first won deal came before it is in
 * no cohort of the range.
 */
static const char *const cohort_columns[] = {
	"cohort", "months", "customers", "active", "retention_rate", NULL
};

#define MONTH_BITS	17	/* a month, shifted up one for the bit */

static int
cmp_key(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The month of an ISO time, or -1 (past the year 5461 too). */
static int
month_of(const char *t)
{
	int i, m;

	for (i = 0; i < 7; i++)
		if (t == NULL || (i == 4 ? t[i] != '-' : t[i] < '0' ||
		    t[i] > '9'))
			return -1;
	m = ((t[0] - '0') * 1000 + (t[1] - '0') * 100 + (t[2] - '0') * 10 +
	    (t[3] - '0')) * 12 + (t[5] - '0') * 10 + (t[6] - '0') - 1;
	return m <= 0xffff ? m : -1;
}

/* Read the (contact, month, on or after since) keys into *keys. */
static struct crm_error *
cohort_read(struct crm_db *db, const struct crm_report_opts *o,
    uint64_t **keys, size_t *n, int *last)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct conds c = CONDS_INIT;
	struct crm_error *err;
	sqlite3_stmt *st;
	size_t alloc = 0;
	const char *t;
	int m, rc;

	*keys = NULL;
	*n = 0;
	*last = -1;
	crm_buf_adds(&sql, "SELECT d.contact_id, " WON_AT ","
	    " :since IS NULL OR " WON_AT " >= :since" WON_DEALS);
	if ((err = where_add(db, &c, &sql, "deal", o->where)) != NULL ||
	    (err = prepare(db, sql.buf, o, &c, &st)) != NULL)
		goto done;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		t = (const char *)sqlite3_column_text(st, 1);
		if ((m = month_of(t)) < 0)
			continue;
		if (*n == alloc) {
			alloc = alloc ? alloc * 2 : 4096;
			*keys = crm_xrealloc(*keys, alloc * sizeof(**keys));
		}
		(*keys)[(*n)++] = (uint64_t)sqlite3_column_int64(st, 0) <<
		    MONTH_BITS | (uint64_t)m << 1 |
		    (uint64_t)sqlite3_column_int(st, 2);
		if (m > *last)
			*last = m;
	}
	if (rc != SQLITE_DONE) {
		err = crm_db_error(db, rc);
		free(*keys);
		*keys = NULL;
	}
	sqlite3_finalize(st);
done:
	conds_release(&c);
	crm_buf_release(&sql);
	return err;
}

/*
 * Turn the sorted (contact, month) keys into (cohort, month) keys, one
 * per month a customer in the range won a deal, in place; their count.
 */
static size_t
cohort_fold(uint64_t *k, size_t n)
{
	size_t i = 0, j, w = 0;
	uint64_t who, first;
	int m, prev, in;

	while (i < n) {
		/* Read before k[i] is overwritten. */
		who = k[i] >> MONTH_BITS;
		first = k[i] >> 1 & 0xffff;
		in = k[i] & 1;
		for (j = i, prev = -1; j < n && k[j] >> MONTH_BITS == who;
		    j++) {
			m = (int)(k[j] >> 1 & 0xffff);
			if (in && m != prev)
				k[w++] = first << 16 | (uint64_t)m;
			prev = m;
		}
		i = j;
	}
	return w;
}

static void
cohort_row(struct crm_report *r, int cohort, int k, double n, double active)
{
	char name[16];
	cJSON *row = cJSON_CreateObject();

	snprintf(name, sizeof(name), "%04d-%02d", cohort / 12,
	    cohort % 12 + 1);
	cJSON_AddStringToObject(row, "cohort", name);
	cJSON_AddNumberToObject(row, "months", k);
	cJSON_AddNumberToObject(row, "customers", n);
	cJSON_AddNumberToObject(row, "active", active);
	cJSON_AddNumberToObject(row, "retention_rate",
	    (double)(int64_t)(1000.0 * active / n + 0.5) / 10);
	cJSON_AddItemToArray(r->rows, row);
}

REPORT_FN(report_cohort)
{
	struct crm_error *err;
	uint64_t *k;
	size_t n, i, j;
	int last, cohort, m, at;
	double size;

	if ((err = cohort_read(db, o, &k, &n, &last)) != NULL)
		return err;
	if (n > 0) {
		qsort(k, n, sizeof(*k), cmp_key);
		n = cohort_fold(k, n);
		qsort(k, n, sizeof(*k), cmp_key);
	}
	r->columns = cohort_columns;
	/* The classic cohort chart: a retention curve per cohort. */
	r->label = "months";
	r->series = "cohort";
	r->value = "retention_rate";
	r->periodic = 1;
	r->rows = cJSON_CreateArray();
	/* Per cohort, every month from its first to the last, 0 or not. */
	for (i = 0; i < n; i = j) {
		cohort = (int)(k[i] >> 16);
		size = 0;
		for (j = i; j < n && (int)(k[j] >> 16) == cohort &&
		    (int)(k[j] & 0xffff) == cohort; j++)
			size++;
		for (m = cohort; m <= last; m++) {
			for (at = 0; j < n && (int)(k[j] >> 16) == cohort &&
			    (int)(k[j] & 0xffff) == m; j++)
				at++;
			cohort_row(r, cohort, m - cohort, size,
			    m == cohort ? size : at);
		}
	}
	free(k);
	return NULL;
}

/*
 * clv: per cohort (or segment) and currency, the customers won in the
 * range, their won deals and revenue to --until, the average deal and
 * the revenue per customer, their lifetime value so far.
 */
static const char *const clv_cohort_columns[] = {
	"cohort", "currency", "customers", "deals", "revenue",
	"average_deal", "clv", NULL
};
static const char *const clv_segment_columns[] = {
	"segment", "currency", "customers", "deals", "revenue",
	"average_deal", "clv", NULL
};

/*
 * members (sid, c): the members of every segment, each by its own
 * condition; no segments, no rows.  A segment's id is an integer from
 * the table, written into the SQL as a number.
 */
static struct crm_error *
clv_segments(struct crm_db *db, struct conds *c, struct crm_buf *sql)
{
	struct crm_filter_scope scope = { db, NULL, NULL, NULL, NULL };
	struct crm_error *err = NULL;
	struct crm_filter *f;
	sqlite3_stmt *st;
	int rc;

	crm_buf_adds(sql, "members (sid, c) AS (SELECT NULL, NULL WHERE 0");
	if ((err = crm_db_prepare(db, "SELECT id, name FROM segments"
	    " ORDER BY name", &st)) != NULL)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((err = crm_segment_expand(&scope, (const char *)
		    sqlite3_column_text(st, 1), &f)) != NULL)
			break;
		crm_buf_addf(sql, " UNION ALL SELECT %lld, c.id FROM " CONTACTS
		    " WHERE (%s)", (long long)sqlite3_column_int64(st, 0),
		    crm_filter_sql(f));
		conds_keep(c, f);
	}
	if (err == NULL && rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	crm_buf_adds(sql, "), ");
	return err;
}

static struct crm_error *
clv_sql(struct crm_db *db, const struct crm_report_opts *o, const char *by,
    struct conds *c, struct crm_buf *sql)
{
	struct crm_filter_scope scope = { db, NULL, NULL, NULL, NULL };
	struct crm_filter *f;
	struct crm_error *err;
	int seg = strcmp(by, "segment") == 0;

	crm_buf_adds(sql, "WITH ");
	if (seg && (err = clv_segments(db, c, sql)) != NULL)
		return err;
	crm_buf_adds(sql, "w AS (SELECT d.contact_id AS c, d.currency AS cur,"
	    " d.amount AS a, " WON_AT " AS t" WON_DEALS);
	if ((err = where_add(db, c, sql, "deal", o->where)) != NULL)
		return err;
	if (o->segment != NULL) {
		if ((err = crm_segment_expand(&scope, o->segment, &f)) != NULL)
			return crm_error_prefix(err, "--segment");
		contact_cond(c, sql, "d.contact_id", f);
	}
	crm_buf_addf(sql, "), f AS (SELECT c, substr(min(t), 1, 7) AS cohort"
	    " FROM w GROUP BY c HAVING :since IS NULL OR min(t) >= :since),"
	    " k AS (%s)"
	    " SELECT key AS %s, cur AS currency, customers, deals,"
	    " report_money(m, cur) AS revenue,"
	    " report_money(m, cur, deals) AS average_deal,"
	    " report_money(m, cur, customers) AS clv"
	    " FROM (SELECT k.key AS key, report_currency(w.cur) AS cur,"
	    " count(DISTINCT w.c) AS customers, count(*) AS deals,"
	    " sum(report_convert(w.a, w.cur)) AS m"
	    " FROM w JOIN k ON k.c = w.c GROUP BY 1, 2) ORDER BY 1, 2",
	    seg ? "SELECT sg.name AS key, f.c FROM f"
	    " JOIN members m ON m.c = f.c JOIN segments sg ON sg.id = m.sid" :
	    "SELECT cohort AS key, c FROM f", by);
	return NULL;
}

REPORT_FN(report_clv)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct conds c = CONDS_INIT;
	struct crm_money_conv cv;
	struct crm_error *err;
	sqlite3_stmt *st;
	const char *by;

	if ((err = crm_report_by("clv", o->by, &by)) != NULL)
		return err;
	if ((err = crm_report_money_begin(db, o, &cv)) != NULL ||
	    (err = clv_sql(db, o, by, &c, &sql)) != NULL ||
	    (err = prepare(db, sql.buf, o, &c, &st)) != NULL)
		goto done;
	r->columns = strcmp(by, "segment") == 0 ? clv_segment_columns :
	    clv_cohort_columns;
	r->label = by;
	r->value = "clv";
	err = crm_money_conv_error(&cv, crm_report_rows(db, st, r));
done:
	crm_report_money_end(&cv);
	conds_release(&c);
	crm_buf_release(&sql);
	return err;
}

/*
 * rfm: the groups crm-segment rfm stored, in its order, with how many
 * contacts each holds and the revenue of their won deals since the
 * --since of that pass.  Without a pass there is nothing to read: an
 * error says to run one.
 */
static struct crm_error *
rfm_since(struct crm_db *db, char **since)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	const char *t;
	cJSON *ch;
	int rc;

	*since = NULL;
	if ((err = crm_db_prepare(db, "SELECT changes FROM events"
	    " WHERE entity = 'score' AND action = 'rfm'"
	    " ORDER BY id DESC LIMIT 1", &st)) != NULL)
		return err;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ch = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
		t = cJSON_GetStringValue(cJSON_GetObjectItem(ch, "since"));
		*since = t != NULL ? crm_xstrdup(t) : NULL;
		cJSON_Delete(ch);
	} else if (rc == SQLITE_DONE)
		err = crm_error_new(CRM_EXIT_FAIL, "no RFM scores yet: "
		    "run \"crm-segment rfm\" to compute them");
	else
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

/*
 * The groups, by name and place, as named parameters :g0, :g1...; the
 * rows of each are t's (grp, cur, contacts, m), or else one of none: 0
 * in the currency of --currency, or no amount.
 */
static void
rfm_sql(struct crm_buf *sql, size_t n)
{
	size_t i;

	crm_buf_adds(sql, ", grp (pos, name) AS (VALUES ");
	for (i = 0; i < n; i++)
		crm_buf_addf(sql, "%s(%zu, :g%zu)", i ? ", " : "", i, i);
	crm_buf_adds(sql, ") SELECT grp.name AS \"group\","
	    " COALESCE(t.contacts, 0) AS contacts,"
	    " report_money(COALESCE(t.m, 0),"
	    " COALESCE(t.cur, report_currency(NULL))) AS revenue,"
	    " COALESCE(t.cur, report_currency(NULL)) AS currency"
	    " FROM grp LEFT JOIN t ON t.grp = grp.name"
	    " ORDER BY grp.pos, t.cur");
}

REPORT_FN(report_rfm)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct conds c = CONDS_INIT;
	struct crm_money_conv cv;
	struct crm_error *err;
	const char *const *g;
	char *since = NULL, name[32];
	sqlite3_stmt *st;
	size_t i, n;

	if ((err = crm_report_money_begin(db, o, &cv)) != NULL ||
	    (err = rfm_since(db, &since)) != NULL)
		goto done;
	crm_buf_adds(&sql, "WITH t AS (SELECT cs.rfm_group AS grp,"
	    " report_currency(d.currency) AS cur,"
	    " count(DISTINCT cs.contact_id) AS contacts,"
	    " sum(report_convert(d.amount, d.currency)) AS m"
	    " FROM contact_scores cs JOIN contacts c ON c.id = cs.contact_id"
	    " JOIN deals d ON d.contact_id = c.id"
	    " JOIN stages s ON s.id = d.stage_id"
	    " WHERE cs.rfm_group IS NOT NULL AND s.kind = 'won'"
	    " AND (:from IS NULL OR " WON_AT " >= :from)");
	if ((err = where_add(db, &c, &sql, "contact", o->where)) != NULL)
		goto done;
	crm_buf_adds(&sql, " GROUP BY 1, 2)");
	g = crm_rfm_groups(&n);
	rfm_sql(&sql, n);
	if ((err = prepare(db, sql.buf, o, &c, &st)) != NULL)
		goto done;
	crm_db_bind_text(st, sqlite3_bind_parameter_index(st, ":from"),
	    since);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), ":g%zu", i);
		crm_db_bind_text(st, sqlite3_bind_parameter_index(st, name),
		    g[i]);
	}
	r->columns = crm_rfm_columns;
	r->label = "group";
	r->value = "contacts";
	err = crm_money_conv_error(&cv, crm_report_rows(db, st, r));
done:
	crm_report_money_end(&cv);
	conds_release(&c);
	crm_buf_release(&sql);
	free(since);
	return err;
}
