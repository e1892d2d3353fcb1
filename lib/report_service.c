/*
 * Service and marketing reports: activity, tickets, campaigns, due.
 * Counts are one GROUP BY each.  The times tickets took are counted in C,
 * in the working time of each ticket's SLA calendar less the time its
 * clock stood (lib/crm_sla.h), which SQL cannot do.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_activity.h"
#include "crm_campaign.h"
#include "crm_filter.h"
#include "crm_report.h"
#include "crm_sla.h"
#include "crm_ticket.h"
#include "crm_util.h"
#include "report_int.h"

/*
 * Every statement here begins with three values bound as ?1 ?2 ?3 (the
 * range of the report, "" when open, and now), so that a filter's own
 * parameters, bare "?" after them in the text, are numbered from 4 on.
 */
#define PARAMS "WITH p(since, until, now) AS (SELECT ?1, ?2, ?3) "
#define NPARAMS 3

static struct crm_error *
prepare(struct crm_db *db, const char *sql, const char *a, const char *b,
    const struct crm_filter *f, sqlite3_stmt **st)
{
	struct crm_error *err;
	char now[CRM_TIME_LEN];

	if ((err = crm_db_prepare(db, sql, st)) != NULL)
		return err;
	crm_time_now(now);
	crm_db_bind_text(*st, 1, a);
	crm_db_bind_text(*st, 2, b);
	crm_db_bind_text(*st, 3, now);
	if (f != NULL)
		crm_filter_bind(f, *st, NPARAMS + 1);
	return NULL;
}

/* The condition that the time column col is within the range. */
#define IN_RANGE(col) "(p.since = '' OR " col " >= p.since) AND" \
	" (p.until = '' OR " col " < p.until)"

/*
 * The grouping of a report by the word by: *key the SQL of the group, its
 * column's name in *name ("period" for periods of the time column tcol,
 * else by itself), *order how the groups sort.  Both are the caller's to
 * free().  ranks, when by names a column of a fixed list of values,
 * sorts them in the list's order rather than by name.
 */
static void
grouping(const char *by, const char *col, const char *tcol,
    const char *const *ranks, char **key, const char **name, char **order)
{
	struct crm_buf b = CRM_BUF_INIT;
	const char *const *w;

	if (crm_report_is_period(by)) {
		*key = crm_report_period_sql(by, tcol);
		*name = "period";
		*order = crm_xstrdup("1");
		return;
	}
	*key = crm_xstrdup(col);
	*name = by;
	if (ranks == NULL) {
		/* Those with none (no queue, no owner) come last. */
		crm_buf_addf(&b, "%s IS NULL, %s", col, col);
		*order = crm_buf_detach(&b);
		return;
	}
	crm_buf_addf(&b, "instr('");
	for (w = ranks; *w != NULL; w++)
		crm_buf_addf(&b, ",%s", *w);
	crm_buf_addf(&b, ",', ',' || %s || ',')", col);
	*order = crm_buf_detach(&b);
}

/* activity */

#define ACTIVITY_COLUMNS "calls", "emails", "meetings", "notes", \
	"tasks_done", "total", "overdue_tasks", NULL
static const char *const activity_owner[] = { "owner", ACTIVITY_COLUMNS };
static const char *const activity_period[] = { "period", "owner",
	ACTIVITY_COLUMNS };

/*
 * An activity counts when it was done: a call, email, meeting or note at
 * its time, a task when it was marked done; a task not done counts as
 * overdue at its due time, once that is past.
 */
REPORT_FN(report_activity)
{
	struct crm_buf sql = CRM_BUF_INIT, owner = CRM_BUF_INIT;
	struct crm_filter *f = NULL;
	struct crm_error *err;
	sqlite3_stmt *st;
	const char *by, *name;
	char *cond = NULL, *key = NULL, *order = NULL;

	if ((err = crm_report_by("activity", o->by, &by)) != NULL ||
	    (err = crm_report_where(db, o->where, crm_activity_fieldset(),
	    "a.id", "activities a", &cond, &f)) != NULL)
		return err;
	grouping(by, "x.owner", "x.t", NULL, &key, &name, &order);
	/* Per owner per period: a period's rows, an owner each. */
	if (crm_report_is_period(by)) {
		crm_buf_adds(&owner, "x.owner AS owner,");
		free(order);
		order = crm_xstrdup("1, 2 IS NULL, 2");
	}
	crm_buf_addf(&sql, PARAMS "SELECT %s AS %s, %s"
	    " sum(x.type = 'call') AS calls, sum(x.type = 'email') AS emails,"
	    " sum(x.type = 'meeting') AS meetings,"
	    " sum(x.type = 'note') AS notes,"
	    " sum(x.type = 'task' AND x.done_at IS NOT NULL) AS tasks_done,"
	    " sum(x.type <> 'task' OR x.done_at IS NOT NULL) AS total,"
	    " sum(x.type = 'task' AND x.done_at IS NULL) AS overdue_tasks"
	    " FROM (SELECT a.owner, a.type, a.done_at, CASE WHEN"
	    " a.type <> 'task' THEN a.at ELSE coalesce(a.done_at, a.due_at)"
	    " END AS t FROM activities a WHERE %s) x, p"
	    " WHERE (x.type <> 'task' OR x.done_at IS NOT NULL OR x.t < p.now)"
	    " AND " IN_RANGE("x.t") " GROUP BY %s ORDER BY %s", key, name,
	    crm_buf_str(&owner), cond, crm_report_is_period(by) ? "1, 2" :
	    "1", order);
	if ((err = prepare(db, sql.buf, o->since, o->until, f, &st)) == NULL)
		err = crm_report_rows(db, st, r);
	r->columns = strcmp(name, "period") == 0 ? activity_period :
	    activity_owner;
	r->label = r->columns[0];
	r->value = "total";
	r->series = r->columns == activity_period ? "owner" : NULL;
	r->periodic = crm_report_is_period(by);
	crm_buf_release(&owner);
	crm_buf_release(&sql);
	crm_filter_free(f);
	free(cond);
	free(key);
	free(order);
	return err;
}

/* tickets */

#define TICKET_COLUMNS "tickets", "open", "first_response_median_h", \
	"first_response_p90_h", "resolution_median_h", "resolution_p90_h", \
	"sla_tickets", "breached", "sla_met_pct", "csat_avg", "csat_count", \
	"csat_1", "csat_2", "csat_3", "csat_4", "csat_5", NULL
static const char *const ticket_columns[][18] = {
	{ "status", TICKET_COLUMNS },
	{ "priority", TICKET_COLUMNS },
	{ "queue", TICKET_COLUMNS },
	{ "assignee", TICKET_COLUMNS },
	{ "period", TICKET_COLUMNS },
};

/* The times a ticket took: first response, resolution. */
enum { TOOK_FIRST, TOOK_RESOLUTION, NTOOK };
static const char *const took_columns[NTOOK][2] = {
	{ "first_response_median_h", "first_response_p90_h" },
	{ "resolution_median_h", "resolution_p90_h" },
};

/* A time a ticket took, to be counted with the others of its plan. */
struct wait {
	struct crm_sla_took	 t;
	size_t			 plan;	/* in struct plans */
	int			 which;	/* TOOK_* */
	struct crm_sla_span	*spans;	/* t's pauses when this owns them */
};

/* The times of a group: waiting, then counted. */
struct took {
	struct wait	*w;
	size_t		 nw, alloc_w;
	long		*v[NTOOK];	/* seconds of working time */
	size_t		 n[NTOOK], alloc[NTOOK];
};

/* The SLA plans met so far, by priority and queue. */
struct plans {
	struct crm_strv		 keys;	/* "priority\tqueue" */
	struct crm_sla_plan	*plan;
};

static void
took_add(struct took *t, int i, long secs)
{
	if (t->n[i] == t->alloc[i]) {
		t->alloc[i] = t->alloc[i] ? t->alloc[i] * 2 : 64;
		t->v[i] = crm_xrealloc(t->v[i], t->alloc[i] *
		    sizeof(*t->v[i]));
	}
	t->v[i][t->n[i]++] = secs;
}

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/*
 * The p-quantile of the sorted v, interpolated between the two nearest
 * ranks as a spreadsheet's PERCENTILE.INC does (the median of an even
 * number of values is the mean of the middle two), in hours to two
 * decimals.
 */
static double
quantile_hours(const long *v, size_t n, double p)
{
	double rank = p * (double)(n - 1), x;
	size_t lo = (size_t)rank;

	x = (double)v[lo];
	if (lo + 1 < n)
		x += (rank - (double)lo) * (double)(v[lo + 1] - v[lo]);
	return round(x / 36.0) / 100.0;
}

/* Count the waiting times, each plan's calendar entered once. */
static void
took_count(struct took *t, const struct plans *pl)
{
	struct crm_sla_took *batch;
	size_t p, i, m;

	batch = crm_xcalloc(t->nw + 1, sizeof(*batch));
	for (p = 0; p < pl->keys.n; p++) {
		for (i = m = 0; i < t->nw; i++)
			if (t->w[i].plan == p)
				batch[m++] = t->w[i].t;
		crm_sla_elapsed(pl->plan[p].cal, batch, m);
		for (i = m = 0; i < t->nw; i++)
			if (t->w[i].plan == p)
				took_add(t, t->w[i].which, batch[m++].secs);
	}
	for (i = 0; i < t->nw; i++)
		free(t->w[i].spans);
	t->nw = 0;
	free(batch);
}

/* Put the quantiles of t into row and empty t for the next group. */
static void
took_put(cJSON *row, struct took *t, const struct plans *pl)
{
	int i;

	took_count(t, pl);
	for (i = 0; row != NULL && i < NTOOK; i++) {
		if (t->n[i] == 0)
			continue;
		qsort(t->v[i], t->n[i], sizeof(*t->v[i]), cmp_long);
		cJSON_ReplaceItemInObjectCaseSensitive(row, took_columns[i][0],
		    cJSON_CreateNumber(quantile_hours(t->v[i], t->n[i], 0.5)));
		cJSON_ReplaceItemInObjectCaseSensitive(row, took_columns[i][1],
		    cJSON_CreateNumber(quantile_hours(t->v[i], t->n[i], 0.9)));
	}
	for (i = 0; i < NTOOK; i++)
		t->n[i] = 0;
}

static void
took_release(struct took *t)
{
	int i;

	for (i = 0; i < NTOOK; i++)
		free(t->v[i]);
	free(t->w);
}

/* The index in pl of the plan of priority and queue, loaded once. */
static struct crm_error *
plan_for(struct crm_db *db, struct plans *pl, const char *priority,
    const char *queue, size_t *plan)
{
	struct crm_buf key = CRM_BUF_INIT;
	struct crm_error *err = NULL;
	size_t i;

	crm_buf_addf(&key, "%s\t%s", priority, queue != NULL ? queue : "");
	for (i = 0; i < pl->keys.n; i++)
		if (strcmp(pl->keys.v[i], key.buf) == 0)
			break;
	if (i == pl->keys.n) {
		pl->plan = crm_xrealloc(pl->plan, (i + 1) * sizeof(*pl->plan));
		if ((err = crm_sla_plan(db, priority, queue, &pl->plan[i])) ==
		    NULL)
			crm_strv_push(&pl->keys, key.buf);
	}
	*plan = i;
	crm_buf_release(&key);
	return err;
}

static void
plans_release(struct plans *pl)
{
	size_t i;

	for (i = 0; i < pl->keys.n; i++)
		crm_sla_plan_release(&pl->plan[i]);
	free(pl->plan);
	crm_strv_clear(&pl->keys);
}

/*
 * The times the ticket of st's row (key, id, priority, queue, created_at,
 * first_response_at, resolved_at) took, waiting in t.
 */
static struct crm_error *
ticket_took(struct crm_db *db, struct plans *pl, sqlite3_stmt *st,
    struct took *t)
{
	struct crm_sla_span *spans = NULL;
	struct crm_error *err;
	struct wait *w;
	time_t start, end;
	size_t plan, n = 0;
	int i, owned = 0;

	if ((err = plan_for(db, pl, (const char *)sqlite3_column_text(st, 2),
	    (const char *)sqlite3_column_text(st, 3), &plan)) != NULL ||
	    (err = crm_sla_pauses(db, sqlite3_column_int64(st, 1), &spans,
	    &n)) != NULL ||
	    crm_sla_time((const char *)sqlite3_column_text(st, 4), &start) != 0)
		goto done;
	for (i = 0; i < NTOOK; i++) {
		if (sqlite3_column_type(st, 5 + i) == SQLITE_NULL ||
		    crm_sla_time((const char *)sqlite3_column_text(st, 5 + i),
		    &end) != 0)
			continue;
		if (t->nw == t->alloc_w) {
			t->alloc_w = t->alloc_w ? t->alloc_w * 2 : 64;
			t->w = crm_xrealloc(t->w, t->alloc_w * sizeof(*t->w));
		}
		w = &t->w[t->nw++];
		w->t = (struct crm_sla_took){ start, end, spans, n, 0 };
		w->plan = plan;
		w->which = i;
		/* The first of the ticket's times frees the pauses. */
		w->spans = owned++ == 0 ? spans : NULL;
	}
	if (owned > 0)
		spans = NULL;
done:
	free(spans);
	return err;
}

/* Whether the first column of row, its group, is st's column 0. */
static int
in_group(const cJSON *row, sqlite3_stmt *st)
{
	const char *k = (const char *)sqlite3_column_text(st, 0);
	const cJSON *v = row->child;

	return k == NULL ? cJSON_IsNull(v) : cJSON_IsString(v) &&
	    strcmp(v->valuestring, k) == 0;
}

/* The row of r of st's group: row itself while the group lasts. */
static cJSON *
group_row(const struct crm_report *r, cJSON *row, sqlite3_stmt *st)
{
	if (row != NULL && in_group(row, st))
		return row;
	cJSON_ArrayForEach(row, r->rows)
		if (in_group(row, st))
			return row;
	return NULL;
}

/* Fill in the quantiles of r's rows from st, whose rows sort by group. */
static struct crm_error *
ticket_times(struct crm_db *db, sqlite3_stmt *st, struct crm_report *r)
{
	struct plans pl = { CRM_STRV_INIT, NULL };
	struct took t;
	struct crm_error *err = NULL;
	cJSON *row = NULL, *next;
	int rc;

	memset(&t, 0, sizeof(t));
	while (err == NULL && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((next = group_row(r, row, st)) != row) {
			took_put(row, &t, &pl);
			row = next;
		}
		err = ticket_took(db, &pl, st, &t);
	}
	took_put(row, &t, &pl);
	if (err == NULL && rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	took_release(&t);
	plans_release(&pl);
	return err;
}

/* A ticket under an SLA policy, and one whose SLA breached by now. */
#define SLA "(t.first_response_due IS NOT NULL OR t.next_response_due" \
	" IS NOT NULL OR t.resolution_due IS NOT NULL)"
#define BREACHED "coalesce(t.sla_breach_at <= p.now, 0)"

/*
 * The counts of each group, as rows, and then what the tickets took:
 * two statements over the same tickets, groups and order.
 */
static struct crm_error *
tickets_run(struct crm_db *db, const struct crm_report_opts *o,
    const char *key, const char *name, const char *order, const char *cond,
    const struct crm_filter *f, struct crm_report *r)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_error *err;
	sqlite3_stmt *st;

	crm_buf_addf(&sql, PARAMS "SELECT %s AS %s, count(*) AS tickets,"
	    " sum(t.status IN ('new', 'open', 'pending')) AS open,"
	    " NULL AS first_response_median_h, NULL AS first_response_p90_h,"
	    " NULL AS resolution_median_h, NULL AS resolution_p90_h,"
	    " sum(%s) AS sla_tickets, sum(%s) AS breached,"
	    " round(100.0 * (sum(%s) - sum(%s)) / nullif(sum(%s), 0), 1)"
	    " AS sla_met_pct, round(avg(t.csat), 2) AS csat_avg,"
	    " count(t.csat) AS csat_count, sum(t.csat IS 1) AS csat_1,"
	    " sum(t.csat IS 2) AS csat_2, sum(t.csat IS 3) AS csat_3,"
	    " sum(t.csat IS 4) AS csat_4, sum(t.csat IS 5) AS csat_5"
	    " FROM tickets t, p WHERE %s AND " IN_RANGE("t.created_at")
	    " GROUP BY 1 ORDER BY %s", key, name, SLA, BREACHED, SLA,
	    BREACHED, SLA, cond, order);
	if ((err = prepare(db, sql.buf, o->since, o->until, f, &st)) == NULL)
		err = crm_report_rows(db, st, r);
	crm_buf_reset(&sql);
	crm_buf_addf(&sql, PARAMS "SELECT %s, t.id, t.priority, t.queue,"
	    " t.created_at, t.first_response_at, t.resolved_at"
	    " FROM tickets t, p WHERE %s AND " IN_RANGE("t.created_at")
	    " AND (t.first_response_at IS NOT NULL OR t.resolved_at IS NOT"
	    " NULL) ORDER BY %s", key, cond, order);
	if (err == NULL && (err = prepare(db, sql.buf, o->since, o->until, f,
	    &st)) == NULL)
		err = ticket_times(db, st, r);
	crm_buf_release(&sql);
	return err;
}

/* The --by words of tickets that name a column, and how they sort. */
static const struct ticket_by {
	const char		*by;
	const char		*col;
	const char *const	*ranks;	/* NULL: by name */
} ticket_by[] = {
	{ "status", "t.status", crm_ticket_statuses },
	{ "priority", "t.priority", crm_ticket_priorities },
	{ "queue", "t.queue", NULL },
	{ "assignee", "t.assignee", NULL },
};
#define NBY (sizeof(ticket_by) / sizeof(ticket_by[0]))

REPORT_FN(report_tickets)
{
	const struct ticket_by *b;
	struct crm_filter *f = NULL;
	struct crm_error *err;
	const char *by, *name;
	char *cond = NULL, *key = NULL, *order = NULL;
	size_t i;

	/* The field "breached" of --where asks crm_now(). */
	if ((err = crm_report_by("tickets", o->by, &by)) != NULL ||
	    (err = crm_ticket_sla_functions(db)) != NULL ||
	    (err = crm_report_where(db, o->where, crm_ticket_fieldset(), "t.id",
	    "tickets t LEFT JOIN contacts c ON c.id = t.contact_id", &cond,
	    &f)) != NULL)
		return err;
	for (b = ticket_by; b < ticket_by + NBY - 1; b++)
		if (strcmp(b->by, by) == 0)
			break;
	grouping(by, b->col, "t.created_at", b->ranks, &key, &name, &order);
	err = tickets_run(db, o, key, name, order, cond, f, r);
	for (i = 0; i < sizeof(ticket_columns) / sizeof(ticket_columns[0]);
	    i++)
		if (strcmp(ticket_columns[i][0], name) == 0)
			r->columns = ticket_columns[i];
	r->label = name;
	r->value = "tickets";
	r->periodic = crm_report_is_period(by);
	crm_filter_free(f);
	free(cond);
	free(key);
	free(order);
	return err;
}

/* campaigns */

static const char *const campaign_columns[] = {
	"campaign", "status", "first_sent_at", "queued", "sent", "failed",
	"unknown", "skipped", "bounced", "unsubscribed", "deals_won", NULL
};

/* The row of a campaign from crm_campaign_stats()' record. */
static cJSON *
campaign_row(const cJSON *rec, sqlite3_stmt *st)
{
	static const char *const from[] = {
		"queued", "sent", "failed", "unknown", "skipped", "bounced",
		"unsubscribed_after", "deals_won", NULL
	};
	cJSON *row = cJSON_CreateObject();
	const cJSON *v;
	size_t i;

	cJSON_AddItemToObject(row, "campaign", cJSON_Duplicate(
	    cJSON_GetObjectItemCaseSensitive(rec, "campaign"), 1));
	cJSON_AddItemToObject(row, "status", cJSON_Duplicate(
	    cJSON_GetObjectItemCaseSensitive(rec, "status"), 1));
	cJSON_AddItemToObject(row, "first_sent_at", crm_db_column_json(st, 1));
	for (i = 0; from[i] != NULL; i++) {
		v = cJSON_GetObjectItemCaseSensitive(rec, from[i]);
		cJSON_AddNumberToObject(row, campaign_columns[i + 3],
		    cJSON_IsNumber(v) ? v->valuedouble : 0);
	}
	return row;
}

/*
 * A campaign belongs to the time of its first message, or, before it
 * sent one, to the time it was made; its counts are those of
 * crm-campaign status.
 */
REPORT_FN(report_campaigns)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *rec;
	int rc, days = o->days != 0 ? o->days : 30;

	r->columns = campaign_columns;
	r->label = "campaign";
	r->value = "sent";
	r->rows = cJSON_CreateArray();
	if ((err = prepare(db, PARAMS "SELECT x.id, x.first FROM (SELECT"
	    " k.id, k.created_at, (SELECT min(s.sent_at) FROM campaign_sends s"
	    " WHERE s.campaign_id = k.id) AS first FROM campaigns k) x, p"
	    " WHERE " IN_RANGE("coalesce(x.first, x.created_at)")
	    " ORDER BY coalesce(x.first, x.created_at), x.id", o->since,
	    o->until, NULL, &st)) != NULL)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((err = crm_campaign_stats(db, sqlite3_column_int64(st, 0),
		    days, &rec)) != NULL)
			break;
		cJSON_AddItemToArray(r->rows, campaign_row(rec, st));
		cJSON_Delete(rec);
	}
	if (err == NULL && rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

/* due */

static const char *const due_columns[] = {
	"kind", "id", "state", "due", "days", "subject", "owner", "contact",
	NULL
};

#define CONTACT "coalesce(nullif(c.name, ''), c.email)"

/*
 * What needs doing today, for a mail from cron: tasks overdue or due
 * today, tickets not resolved whose SLA breached or falls due today,
 * open deals past their expected close; "today" is the UTC day of now,
 * bound as the range [since, until).
 */
REPORT_FN(report_due)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	char today[CRM_TIME_LEN], tomorrow[CRM_TIME_LEN];

	(void)o;
	crm_time_now(today);
	memcpy(today + 10, "T00:00:00Z", 11);
	crm_time_add_days(today, 1, tomorrow);
	r->columns = due_columns;
	r->label = "subject";
	r->value = "days";
	if ((err = prepare(db, PARAMS "SELECT x.kind, x.id, x.state, x.due,"
	    " max(0, CAST(julianday(p.now) - julianday(x.due) AS INTEGER))"
	    " AS days, x.subject, x.owner, x.contact FROM (SELECT 'task'"
	    " AS kind, a.id, CASE WHEN a.due_at < p.now THEN"
	    " 'overdue' ELSE 'due today' END AS state, a.due_at AS due,"
	    " a.subject, a.owner, " CONTACT " AS contact FROM activities a"
	    " JOIN contacts c ON c.id = a.contact_id, p WHERE a.type = 'task'"
	    " AND a.done_at IS NULL AND a.due_at < p.until"
	    " UNION ALL SELECT 'ticket', t.id, CASE WHEN t.sla_breach_at <="
	    " p.now THEN 'breached' ELSE 'breaching' END, CASE WHEN"
	    " t.sla_breach_at <= p.now THEN t.sla_breach_at ELSE t.sla_due END,"
	    " t.subject, t.assignee, " CONTACT " FROM tickets t LEFT JOIN"
	    " contacts c ON c.id = t.contact_id, p WHERE t.status NOT IN"
	    " ('resolved', 'closed') AND (t.sla_breach_at <= p.now OR"
	    " t.sla_due < p.until)"
	    " UNION ALL SELECT 'deal', d.id, 'past close', d.expected_close,"
	    " d.title, d.owner, " CONTACT " FROM deals d JOIN stages g"
	    " ON g.id = d.stage_id LEFT JOIN contacts c ON c.id = d.contact_id,"
	    " p WHERE g.kind = 'open' AND d.expected_close < substr(p.since,"
	    " 1, 10)) x, p ORDER BY instr('task ticket deal', x.kind), x.due,"
	    " x.id", today, tomorrow, NULL, &st)) != NULL)
		return err;
	return crm_report_rows(db, st, r);
}
