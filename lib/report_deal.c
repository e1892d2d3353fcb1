/*
 * Sales reports: forecast, winrate, velocity (pipeline is in
 * report_pipeline.c).  They read deals, stages and the stage history
 * with the SQL the deal module shares in deal_int.h (a deal's
 * probability, its state as of a bound), so that forecast --as-of agrees
 * with crm-deal list --as-of.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_deal.h"
#include "crm_filter.h"
#include "crm_money.h"
#include "crm_pipeline.h"
#include "crm_report.h"
#include "crm_util.h"
#include "deal_int.h"
#include "report_int.h"

/*
 * What forecast, winrate and velocity share.  A statement is written
 * with markers (not a format: the SQL of a week holds "%"): "@D" the
 * condition on the deals d with their stage s (--pipeline, --where),
 * "@C" a deal's currency and "@A" its amount, both in the --currency
 * when one is given (crm_report_money_begin()).  It begins with
 * SALES_HEAD, which numbers the fixed parameters: ?1 the --as-of bound
 * (DEAL_HISTORY_JOIN reads ?1), ?2 since, ?3 until, ?4 the pipeline id;
 * the values of --where bind after them, once per "@D".
 */
#define SALES_HEAD "WITH prm AS (SELECT ?1, ?2, ?3, ?4)"
#define SALES_FIRST	5

struct sales {
	struct crm_db	*db;
	const struct crm_report_opts *o;
	const char	*by;		/* checked, never NULL */
	char		*cond;		/* --where as SQL ("1") */
	struct crm_filter *f;		/* its values, or NULL */
	sqlite3_int64	 pid;		/* --pipeline, or 0 */
	char		 bound[CRM_TIME_LEN];	/* --as-of, or "" */
	struct crm_money_conv cv;
};

static void
sales_release(struct sales *x)
{
	free(x->cond);
	crm_filter_free(x->f);
	crm_report_money_end(&x->cv);
}

/* Check and compile what the options of report ask for into x. */
static struct crm_error *
sales_init(struct sales *x, struct crm_db *db,
    const struct crm_report_opts *o, const char *report)
{
	struct crm_error *err;

	memset(x, 0, sizeof(*x));
	x->db = db;
	x->o = o;
	if ((err = crm_report_money_begin(db, o, &x->cv)) != NULL ||
	    (err = crm_report_by(report, o->by, &x->by)) != NULL)
		return err;
	if (o->as_of[0] != '\0' &&
	    (err = crm_deal_as_of(o->as_of, x->bound)) != NULL)
		return err;
	if ((err = crm_report_deal_where(db, o->where, &x->cond, &x->f)) != NULL)
		return err;
	if (o->pipeline != NULL)
		return crm_pipeline_find(db, o->pipeline, &x->pid, NULL);
	return NULL;
}

/* SALES_HEAD, then body with its markers replaced; prepared and bound. */
static struct crm_error *
sales_prepare(struct sales *x, const char *body, sqlite3_stmt **st)
{
	struct crm_buf sql = CRM_BUF_INIT;
	const struct crm_report_opts *o = x->o;
	int nd = 0, i, np = x->f != NULL ? crm_filter_nparams(x->f) : 0;
	int conv = x->cv.to != NULL;
	struct crm_error *err;
	const char *p;

	crm_buf_adds(&sql, SALES_HEAD);
	for (p = body; *p != '\0'; p++) {
		if (p[0] != '@' || p[1] == '\0' ||
		    strchr("DCA", p[1]) == NULL) {
			crm_buf_addch(&sql, *p);
			continue;
		}
		/*
		 * No SQL function per deal without --currency: that is what
		 * keeps a report as fast as the plain GROUP BY.
		 */
		if (*++p == 'D') {
			crm_buf_addf(&sql, "(?4 IS NULL OR s.pipeline_id = ?4)"
			    " AND %s", x->cond);
			nd++;
		} else if (*p == 'C')
			crm_buf_adds(&sql, conv ?
			    "report_currency(d.currency)" : "d.currency");
		else
			crm_buf_adds(&sql, conv ? "report_convert(d.amount,"
			    " d.currency)" : "d.amount");
	}
	err = crm_db_prepare(x->db, sql.buf, st);
	crm_buf_release(&sql);
	if (err != NULL)
		return err;
	crm_db_bind_text(*st, 1, x->bound[0] != '\0' ? x->bound : NULL);
	crm_db_bind_text(*st, 2, o->since[0] != '\0' ? o->since : NULL);
	crm_db_bind_text(*st, 3, o->until[0] != '\0' ? o->until : NULL);
	if (x->pid != 0)
		sqlite3_bind_int64(*st, 4, x->pid);
	for (i = 0; x->f != NULL && i < nd; i++)
		crm_filter_bind(x->f, *st, SALES_FIRST + i * np);
	return NULL;
}

/* Run st (finalized) into r; a failed conversion names its rate. */
static struct crm_error *
sales_rows(struct sales *x, sqlite3_stmt *st, struct crm_report *r)
{
	struct crm_error *err;

	err = crm_money_conv_error(&x->cv, crm_report_rows(x->db, st, r));
	if (err == NULL && r->rows == NULL)
		r->rows = cJSON_CreateArray();
	return err;
}

/* The key column: the --by word, or "period" for periods. */
static const char *
key_name(const char *by)
{
	return crm_report_is_period(by) ? "period" : by;
}

/*
 * The SQL of the key of by, a period of the time column col or a field
 * of the deal d in stage s; the caller frees it.
 */
static char *
key_sql(const char *by, const char *col)
{
	char *sql = crm_report_period_sql(by, col);

	if (sql != NULL)
		return sql;
	if (strcmp(by, "owner") == 0)
		return crm_xstrdup("d.owner");
	if (strcmp(by, "source") == 0)
		return crm_xstrdup("d.source");
	return crm_xstrdup("(SELECT name FROM pipelines"
	    " WHERE id = s.pipeline_id)");
}

#define S_RANGE(col) " AND (?2 IS NULL OR " col " >= ?2)" \
	" AND (?3 IS NULL OR " col " < ?3)"
/* Dates compare as the start of their day, as in --where. */
#define S_EXPECTED "(d.expected_close || 'T00:00:00Z')"
/* Deals closed before closed_at was kept have their last change. */
#define S_CLOSED "COALESCE(d.closed_at, d.updated_at)"
/*
 * Most deals are read, so a scan of the table in its order beats
 * SQLite's choice, a walk of deals_board that fetches every row from a
 * page of its own: ten times faster at 500,000 deals.  --where still
 * finds its deals by rowid.
 */
#define S_NOW " FROM deals d NOT INDEXED JOIN stages s ON s.id = d.stage_id"

/*
 * forecast: the open deals by the period of their expected close, now or
 * as of a bound (their stage and status then, from the stage history),
 * and, as of a bound, beside them what was won in each period.  Deals
 * with no expected close are left out.
 */
static const char *const forecast_cols[] = { "period", "currency", "count",
	"total", "weighted_total", NULL };
static const char *const forecast_as_of_cols[] = { "period", "currency",
	"count", "total", "weighted_total", "won", "won_total", NULL };

static const char fc_now_sql[] =
	" SELECT %s AS period, @C AS currency, count(*) AS count,"
	" report_money(COALESCE(sum(@A), 0), @C) AS total,"
	" report_money(COALESCE(sum(@A * " DEAL_PROB("s.kind") "), 0), @C,"
	" 100) AS weighted_total" S_NOW " WHERE s.kind = 'open'"
	" AND d.expected_close IS NOT NULL" S_RANGE(S_EXPECTED) " AND @D"
	" GROUP BY 1, 2 ORDER BY 1, 2";

static const char fc_as_of_sql[] =
	" SELECT k AS period, cur AS currency, sum(n) AS count,"
	" report_money(sum(t), cur) AS total,"
	" report_money(sum(w), cur, 100) AS weighted_total, sum(wn) AS won,"
	" report_money(sum(wt), cur) AS won_total"
	" FROM (SELECT %s AS k, @C AS cur, 1 AS n, COALESCE(@A, 0) AS t,"
	" COALESCE(@A, 0) * " DEAL_PROB(DEAL_AS_OF_STATUS) " AS w, 0 AS wn,"
	" 0 AS wt FROM deals d" DEAL_HISTORY_JOIN " WHERE d.created_at < ?1"
	" AND " DEAL_AS_OF_STATUS " = 'open' AND d.expected_close IS NOT NULL"
	S_RANGE(S_EXPECTED) " AND @D"
	" UNION ALL SELECT %s, @C, 0, 0, 0, 1, COALESCE(@A, 0)" S_NOW
	" WHERE s.kind = 'won'" S_RANGE(S_CLOSED) " AND @D)"
	" GROUP BY 1, 2 ORDER BY 1, 2";

REPORT_FN(report_forecast)
{
	struct crm_buf sql = CRM_BUF_INIT;
	char *exp = NULL, *won = NULL;
	struct crm_error *err;
	struct sales x;
	sqlite3_stmt *st;

	if ((err = sales_init(&x, db, o, "forecast")) != NULL)
		goto done;
	exp = key_sql(x.by, "d.expected_close");
	won = key_sql(x.by, S_CLOSED);
	if (x.bound[0] != '\0')
		crm_buf_addf(&sql, fc_as_of_sql, exp, won);
	else
		crm_buf_addf(&sql, fc_now_sql, exp);
	r->columns = x.bound[0] != '\0' ? forecast_as_of_cols : forecast_cols;
	r->label = "period";
	r->value = "weighted_total";
	r->periodic = 1;
	if ((err = sales_prepare(&x, sql.buf, &st)) == NULL)
		err = sales_rows(&x, st, r);
done:
	free(exp);
	free(won);
	crm_buf_release(&sql);
	sales_release(&x);
	return err;
}

/*
 * winrate: the deals closed (won or lost) in the range, by owner,
 * source, pipeline or the period they closed in, a row per currency
 * unless converted: won / (won + lost), the amount won and its average,
 * and the reasons of the losses.
 */
#define WR_COLS(key) { key, "currency", "won", "lost", "win_rate", \
	"won_total", "avg_won", "lost_reasons", NULL }
static const char *const winrate_cols[][9] = {
	WR_COLS("owner"), WR_COLS("source"), WR_COLS("pipeline"),
	WR_COLS("period")
};

#define WR_CLOSED S_NOW " WHERE s.kind IN ('won', 'lost')" \
	S_RANGE(S_CLOSED) " AND @D"
#define WR_WON(v) "CASE s.kind WHEN 'won' THEN " v " END"

static const char wr_sql[] =
	" SELECT %s AS %s, @C AS currency, sum(s.kind = 'won') AS won,"
	" sum(s.kind = 'lost') AS lost,"
	" round(100.0 * sum(s.kind = 'won') / count(*), 1) AS win_rate,"
	" report_money(COALESCE(sum(" WR_WON("@A") "), 0), @C) AS won_total,"
	" report_money(sum(" WR_WON("@A") "), @C, count(" WR_WON("d.amount")
	")) AS avg_won, NULL AS lost_reasons" WR_CLOSED
	" GROUP BY 1, 2 ORDER BY %s IS NULL, 1, 2";

/* In the order of wr_sql, so that the rows are met in turn. */
static const char wr_reasons_sql[] =
	" SELECT %s AS k, @C, COALESCE(NULLIF(d.lost_reason, ''), '(none)'),"
	" count(*)" WR_CLOSED " AND s.kind = 'lost'"
	" GROUP BY 1, 2, 3 ORDER BY k IS NULL, 1, 2, 4 DESC, 3";

/* Whether row is the one of key (NULL: none) and currency cur. */
static int
row_is(const cJSON *row, const char *name, const char *key, const char *cur)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(row, name);
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(row, "currency");

	if (key == NULL ? !cJSON_IsNull(k) : !cJSON_IsString(k) ||
	    strcmp(k->valuestring, key) != 0)
		return 0;
	return cur != NULL && cJSON_IsString(c) &&
	    strcmp(c->valuestring, cur) == 0;
}

/*
 * The lost reasons of each row, "price:3;timing:1" (most frequent first,
 * "(none)" for no reason), in place of its null: a merge of two lists in
 * the same order, since a day's rows over years are thousands.
 */
static struct crm_error *
winrate_reasons(struct sales *x, const char *key, struct crm_report *r)
{
	struct crm_buf sql = CRM_BUF_INIT, b = CRM_BUF_INIT;
	const char *name = key_name(x->by), *prev;
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *row = r->rows != NULL ? r->rows->child : NULL, *v;
	int rc;

	crm_buf_addf(&sql, wr_reasons_sql, key);
	err = sales_prepare(x, sql.buf, &st);
	crm_buf_release(&sql);
	if (err != NULL)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		while (row != NULL && !row_is(row, name, (const char *)
		    sqlite3_column_text(st, 0), (const char *)
		    sqlite3_column_text(st, 1)))
			row = row->next;
		if (row == NULL)
			break;
		v = cJSON_GetObjectItemCaseSensitive(row, "lost_reasons");
		prev = cJSON_IsString(v) ? v->valuestring : NULL;
		crm_buf_reset(&b);
		crm_buf_addf(&b, "%s%s%s:%lld", prev ? prev : "",
		    prev ? ";" : "", (const char *)sqlite3_column_text(st, 2),
		    (long long)sqlite3_column_int64(st, 3));
		cJSON_ReplaceItemInObjectCaseSensitive(row, "lost_reasons",
		    cJSON_CreateString(b.buf));
	}
	err = crm_money_conv_error(&x->cv, rc == SQLITE_DONE ||
	    rc == SQLITE_ROW ? NULL : crm_db_error(x->db, rc));
	sqlite3_finalize(st);
	crm_buf_release(&b);
	return err;
}

REPORT_FN(report_winrate)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_error *err;
	const char *name;
	struct sales x;
	sqlite3_stmt *st;
	char *key = NULL;
	int c;

	if ((err = sales_init(&x, db, o, "winrate")) != NULL)
		goto done;
	key = key_sql(x.by, S_CLOSED);
	name = key_name(x.by);
	for (c = 0; strcmp(winrate_cols[c][0], name) != 0; c++)
		;
	r->columns = winrate_cols[c];
	r->label = name;
	r->value = "win_rate";
	r->periodic = crm_report_is_period(x.by);
	/* name is a static word of ours, no user text */
	crm_buf_addf(&sql, wr_sql, key, name, name);
	if ((err = sales_prepare(&x, sql.buf, &st)) == NULL &&
	    (err = sales_rows(&x, st, r)) == NULL)
		err = winrate_reasons(&x, key, r);
done:
	free(key);
	crm_buf_release(&sql);
	sales_release(&x);
	return err;
}

/*
 * velocity: of the deals created in the range, by stage: how many were
 * ever in it, the average days of a stay that ended, and how many went
 * on to a later stage of the pipeline or were won from it (conversion).
 * By pipeline or owner: deals, won, lost and the sales cycle (days from
 * creation to the win).  A stay begins at the deal's creation or at the
 * move into the stage and ends at the next move (deal_history).
 */
static const char *const velocity_stage_cols[] = { "pipeline", "stage",
	"deals", "avg_days", "advanced", "conversion", NULL };
#define VL_COLS(key) { key, "deals", "won", "lost", "cycle_days", NULL }
static const char *const velocity_cols[][6] = {
	VL_COLS("pipeline"), VL_COLS("owner")
};

#define VL_BASE ", base AS (SELECT d.id, d.created_at" S_NOW " WHERE @D" \
	S_RANGE("d.created_at") ")"
/* The position of a stage; one deleted since goes after the rest. */
#define VL_POS(id) "COALESCE((SELECT position FROM stages WHERE id = " id \
	"), 1000000000)"
#define VL_FWD "count(DISTINCT CASE WHEN fwd THEN deal_id END)"

static const char vl_stage_sql[] = VL_BASE
	", stays AS (SELECT h.deal_id, h.from_pipeline AS pipeline,"
	" h.from_stage AS stage, h.from_stage_id AS sid,"
	" julianday(h.at) - julianday(COALESCE(lag(h.at) OVER (PARTITION BY"
	" h.deal_id ORDER BY h.at, h.id), b.created_at)) AS days,"
	" h.from_status, (h.to_status = 'won' OR (h.to_status = 'open'"
	" AND h.to_pipeline = h.from_pipeline AND " VL_POS("h.to_stage_id")
	" > " VL_POS("h.from_stage_id") ")) AS fwd"
	" FROM deal_history h JOIN base b ON b.id = h.deal_id),"
	" visits AS (SELECT deal_id, pipeline, stage, sid, days, fwd"
	" FROM stays WHERE from_status = 'open' UNION ALL"
	" SELECT b.id, p.name, s.name, s.id, NULL, 0 FROM base b"
	" JOIN deals d ON d.id = b.id JOIN stages s ON s.id = d.stage_id"
	" JOIN pipelines p ON p.id = s.pipeline_id WHERE s.kind = 'open')"
	" SELECT pipeline, stage, count(DISTINCT deal_id) AS deals,"
	" round(avg(days), 1) AS avg_days, " VL_FWD " AS advanced,"
	" round(100.0 * " VL_FWD " / count(DISTINCT deal_id), 1)"
	" AS conversion FROM visits GROUP BY pipeline, stage"
	" ORDER BY pipeline, min(" VL_POS("sid") "), stage";

static const char vl_group_sql[] = VL_BASE
	" SELECT %s AS %s, count(*) AS deals, sum(s.kind = 'won') AS won,"
	" sum(s.kind = 'lost') AS lost, round(avg(CASE s.kind WHEN 'won'"
	" THEN julianday(" S_CLOSED ") - julianday(d.created_at) END), 1)"
	" AS cycle_days FROM base b JOIN deals d ON d.id = b.id"
	" JOIN stages s ON s.id = d.stage_id GROUP BY 1 ORDER BY %s IS NULL, 1";

REPORT_FN(report_velocity)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_error *err;
	struct sales x;
	sqlite3_stmt *st;
	char *key = NULL;
	int c;

	if ((err = sales_init(&x, db, o, "velocity")) != NULL)
		goto done;
	if (strcmp(x.by, "stage") == 0) {
		crm_buf_adds(&sql, vl_stage_sql);
		r->columns = velocity_stage_cols;
		r->label = "stage";
		r->value = "avg_days";
	} else {
		c = strcmp(x.by, "owner") == 0;
		key = key_sql(x.by, NULL);
		crm_buf_addf(&sql, vl_group_sql, key, x.by, x.by);
		r->columns = velocity_cols[c];
		r->label = velocity_cols[c][0];
		r->value = "cycle_days";
	}
	if ((err = sales_prepare(&x, sql.buf, &st)) == NULL)
		err = sales_rows(&x, st, r);
done:
	free(key);
	crm_buf_release(&sql);
	sales_release(&x);
	return err;
}
