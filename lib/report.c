/*
 * The list of reports and what they share: periods, and rows from SQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "crm_deal.h"
#include "crm_filter.h"
#include "crm_money.h"
#include "crm_report.h"
#include "deal_int.h"
#include "report_int.h"

static const char *const by_period[] = {
	"month", "day", "week", "quarter", "year", NULL
};

/*
 * The --by words of each report, default first.  Kept here so that
 * --help, the completions and the errors agree with the reports.
 */
static const char *const by_pipeline[] = { "stage", "owner", "source",
	"pipeline", NULL };
static const char *const by_winrate[] = { "owner", "source", "pipeline",
	"month", "day", "week", "quarter", "year", NULL };
static const char *const by_velocity[] = { "stage", "pipeline", "owner",
	NULL };
static const char *const by_activity[] = { "owner", "month", "day", "week",
	"quarter", "year", NULL };
static const char *const by_tickets[] = { "status", "priority", "queue",
	"assignee", "month", "day", "week", "quarter", "year", NULL };
static const char *const by_customers[] = { "month", "day", "week",
	"quarter", "year", "source", "owner", NULL };
static const char *const by_clv[] = { "cohort", "segment", NULL };

#define RANGE	CRM_REPORT_RANGE
#define WHERE	CRM_REPORT_WHERE
#define CUR	CRM_REPORT_CURRENCY

const struct crm_report_def crm_reports[] = {
	{ "pipeline", "open deals per stage: count, total, weighted total, "
	    "average age", "deal", by_pipeline,
	    WHERE | CUR | CRM_REPORT_PIPELINE, report_pipeline },
	{ "forecast", "weighted expected revenue by expected-close period",
	    "deal", by_period, RANGE | WHERE | CUR | CRM_REPORT_AS_OF |
	    CRM_REPORT_PIPELINE, report_forecast },
	{ "winrate", "won / (won + lost), average won amount, lost reasons",
	    "deal", by_winrate, RANGE | WHERE | CUR | CRM_REPORT_PIPELINE,
	    report_winrate },
	{ "velocity", "days in each stage, sales cycle, stage-to-stage "
	    "conversion", "deal", by_velocity, RANGE | WHERE |
	    CRM_REPORT_PIPELINE, report_velocity },
	{ "funnel", "contacts by lifecycle stage and conversion between "
	    "stages", "contact", NULL, RANGE | WHERE, report_funnel },
	{ "activity", "calls, emails, meetings, notes and tasks done per "
	    "owner; overdue tasks", "activity", by_activity, RANGE | WHERE,
	    report_activity },
	{ "tickets", "backlog, response and resolution times, SLA, CSAT",
	    "ticket", by_tickets, RANGE | WHERE, report_tickets },
	{ "campaigns", "sent, failed, bounced, unsubscribed and deals won "
	    "per campaign", "campaign", NULL, RANGE | CRM_REPORT_DAYS,
	    report_campaigns },
	{ "customers", "new contacts per period by source", "contact",
	    by_customers, RANGE | WHERE, report_customers },
	{ "cohort", "repeat purchase by the month of the first won deal",
	    "deal", NULL, RANGE | WHERE, report_cohort },
	{ "clv", "revenue per customer and lifetime value by cohort or "
	    "segment", "deal", by_clv, RANGE | WHERE | CUR |
	    CRM_REPORT_SEGMENT, report_clv },
	{ "rfm", "the RFM groups with counts and revenue", "contact", NULL,
	    WHERE | CUR, report_rfm },
	{ "due", "overdue tasks, breached tickets, deals past expected "
	    "close: the morning mail", NULL, NULL, 0, report_due },
	{ NULL, NULL, NULL, NULL, 0, NULL }
};

const struct crm_report_def *
crm_report_find(const char *name)
{
	const struct crm_report_def *d;

	for (d = crm_reports; d->name != NULL; d++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

void
crm_report_free(struct crm_report *r)
{
	cJSON_Delete(r->rows);
	r->rows = NULL;
}

int
crm_report_is_period(const char *by)
{
	const char *const *p;

	for (p = by_period; by != NULL && *p != NULL; p++)
		if (strcmp(*p, by) == 0)
			return 1;
	return 0;
}

char *
crm_report_period_sql(const char *by, const char *col)
{
	struct crm_buf b = CRM_BUF_INIT;

	if (!crm_report_is_period(by))
		return NULL;
	if (strcmp(by, "day") == 0)
		crm_buf_addf(&b, "substr(%s, 1, 10)", col);
	else if (strcmp(by, "month") == 0)
		crm_buf_addf(&b, "substr(%s, 1, 7)", col);
	else if (strcmp(by, "year") == 0)
		crm_buf_addf(&b, "substr(%s, 1, 4)", col);
	else if (strcmp(by, "quarter") == 0)
		crm_buf_addf(&b, "substr(%s, 1, 4) || '-Q' || "
		    "((CAST(substr(%s, 6, 2) AS INTEGER) + 2) / 3)", col, col);
	else
		/*
		 * ISO 8601: the week's Thursday names its year, and its
		 * day of the year its number.
		 */
		crm_buf_addf(&b, "strftime('%%Y-W', date(%s, '-3 days', "
		    "'weekday 4')) || printf('%%02d', (strftime('%%j', "
		    "date(%s, '-3 days', 'weekday 4')) - 1) / 7 + 1)", col,
		    col);
	return crm_buf_detach(&b);
}

struct crm_error *
crm_report_rows(struct crm_db *db, sqlite3_stmt *st, struct crm_report *r)
{
	cJSON *row;
	int rc, i, n;

	if (r->rows == NULL)
		r->rows = cJSON_CreateArray();
	n = sqlite3_column_count(st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row = cJSON_CreateObject();
		for (i = 0; i < n; i++) {
			const char *k = sqlite3_column_name(st, i);

			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER:
			case SQLITE_FLOAT:
				cJSON_AddNumberToObject(row, k,
				    sqlite3_column_double(st, i));
				break;
			case SQLITE_NULL:
				cJSON_AddNullToObject(row, k);
				break;
			default:
				cJSON_AddStringToObject(row, k, (const char *)
				    sqlite3_column_text(st, i));
			}
		}
		cJSON_AddItemToArray(r->rows, row);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? NULL : crm_db_error(db, rc);
}

struct crm_error *
crm_report_by(const char *name, const char *by, const char **out)
{
	const struct crm_report_def *d = crm_report_find(name);
	struct crm_buf list = CRM_BUF_INIT;
	const char *const *w;
	struct crm_error *err;

	*out = NULL;
	if (d == NULL || d->by == NULL)
		return by == NULL ? NULL : crm_error_new(CRM_EXIT_USAGE,
		    "--by: %s has no groupings", name);
	if (by == NULL) {
		*out = d->by[0];
		return NULL;
	}
	for (w = d->by; *w != NULL; w++)
		if (strcmp(*w, by) == 0) {
			*out = *w;
			return NULL;
		}
	for (w = d->by; *w != NULL; w++)
		crm_buf_addf(&list, "%s%s", w == d->by ? "" : ", ", *w);
	err = crm_error_new(CRM_EXIT_USAGE, "--by: unknown \"%s\" (use one "
	    "of: %s)", by, list.buf);
	crm_buf_release(&list);
	return err;
}

static void
currency_func(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct crm_money_conv *cv = sqlite3_user_data(ctx);

	if (cv->to != NULL)
		sqlite3_result_text(ctx, cv->to->code, -1, SQLITE_STATIC);
	else
		sqlite3_result_value(ctx, argv[0]);
}

static void
money_func(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *code = (const char *)sqlite3_value_text(argv[1]);
	const struct crm_currency *cur;
	char out[CRM_MONEY_LEN];
	int64_t v, div = 1;
	int neg;

	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || code == NULL ||
	    (cur = crm_currency_find(code)) == NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	v = sqlite3_value_int64(argv[0]);
	if (argc > 2 && sqlite3_value_int64(argv[2]) > 0)
		div = sqlite3_value_int64(argv[2]);
	/* Amounts are not negative; a difference may be. */
	neg = v < 0;
	v = crm_money_div_round(neg ? -v : v, div);
	crm_money_format(neg ? -v : v, cur->digits, out);
	sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

struct crm_error *
crm_report_money_begin(struct crm_db *db, const struct crm_report_opts *o,
    struct crm_money_conv *cv)
{
	const struct crm_currency *to = NULL;
	struct crm_error *err;
	int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;

	crm_money_conv_init(cv, db, NULL);
	if (o->currency != NULL && (err = crm_currency_parse(o->currency,
	    &to)) != NULL)
		return crm_error_prefix(err, "--currency");
	cv->to = to;
	if ((err = crm_money_conv_register(cv, "report_convert")) != NULL)
		return err;
	if (sqlite3_create_function(db->sql, "report_currency", 1, flags, cv,
	    currency_func, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db->sql, "report_money", 2, flags, NULL,
	    money_func, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db->sql, "report_money", 3, flags, NULL,
	    money_func, NULL, NULL) != SQLITE_OK)
		return crm_db_error(db, sqlite3_errcode(db->sql));
	return NULL;
}

void
crm_report_money_end(struct crm_money_conv *cv)
{
	struct crm_db *db = cv->db;

	if (db != NULL && db->sql != NULL) {
		sqlite3_create_function(db->sql, "report_currency", 1,
		    SQLITE_UTF8, NULL, NULL, NULL, NULL);
		sqlite3_create_function(db->sql, "report_money", 2,
		    SQLITE_UTF8, NULL, NULL, NULL, NULL);
		sqlite3_create_function(db->sql, "report_money", 3,
		    SQLITE_UTF8, NULL, NULL, NULL, NULL);
	}
	crm_money_conv_release(cv);
}

struct crm_error *
crm_report_where(struct crm_db *db, const char *where,
    const struct crm_fieldset *fs, const char *idcol, const char *from,
    char **cond, struct crm_filter **f)
{
	struct crm_filter_scope scope = { db, NULL, NULL, NULL, NULL };
	struct crm_buf b = CRM_BUF_INIT;
	struct crm_error *err;
	char *order = NULL;

	*cond = NULL;
	*f = NULL;
	if (where == NULL) {
		*cond = crm_xstrdup("1");
		return NULL;
	}
	if ((err = crm_list_compile(where, NULL, fs, fs, &scope, idcol, f,
	    &order)) != NULL)
		return err;
	free(order);
	crm_buf_addf(&b, "%s IN (SELECT %s FROM %s WHERE (%s))", idcol, idcol,
	    from, *f != NULL ? crm_filter_sql(*f) : "1");
	*cond = crm_buf_detach(&b);
	return NULL;
}

struct crm_error *
crm_report_deal_where(struct crm_db *db, const char *where, char **cond,
    struct crm_filter **f)
{
	/* DEAL_FROM_NOW without its leading " FROM ". */
	return crm_report_where(db, where, crm_deal_fieldset(0), "d.id",
	    &DEAL_FROM_NOW[sizeof(" FROM ") - 1], cond, f);
}
