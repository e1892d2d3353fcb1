/*
 * Reports: aggregates over contacts, deals, activities, tickets and
 * campaigns (crm-report(1)).  A report is a read-only function that fills
 * a struct crm_report: rows of the same keys in display order, the
 * columns to print, and what a chart draws.  Reports are few rows, so
 * they are built whole in memory; the work is done in SQL, one GROUP BY
 * where one will do.
 *
 * Owns no table: every report reads the tables of other modules, through
 * SQL kept in lib/report*.c, every value bound.
 */
#ifndef CRM_REPORT_H
#define CRM_REPORT_H

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"
#include "crm_util.h"

/* The options a report may take; which ones, its def says. */
#define CRM_REPORT_RANGE	0x01	/* --since, --until */
#define CRM_REPORT_WHERE	0x02	/* --where on def->entity */
#define CRM_REPORT_CURRENCY	0x04	/* --currency: convert into one */
#define CRM_REPORT_AS_OF	0x08	/* --as-of DATE */
#define CRM_REPORT_DAYS		0x10	/* --days N */
#define CRM_REPORT_PIPELINE	0x20	/* --pipeline NAME */
#define CRM_REPORT_SEGMENT	0x40	/* --segment NAME */

struct crm_report_opts {
	/* ISO times, "" when not given: the report's own default. */
	char		 since[CRM_TIME_LEN];	/* inclusive */
	char		 until[CRM_TIME_LEN];	/* exclusive */
	char		 as_of[CRM_TIME_LEN];	/* or a date: its end */
	const char	*by;		/* a word of def->by, or NULL: def's default */
	const char	*where;		/* filter text, or NULL */
	const char	*currency;	/* ISO code, or NULL: a row per currency */
	const char	*pipeline;	/* NULL: every pipeline */
	const char	*segment;	/* NULL: all contacts */
	int		 days;		/* 0: the report's default */
};

struct crm_report {
	const char *const *columns;	/* static, NULL-terminated */
	const char	*label;		/* the column naming a row in a chart */
	const char	*value;		/* the numeric column a chart draws */
	const char	*series;	/* the column that splits the rows into
					   series (a sparkline or line each),
					   or NULL; per currency besides */
	int		 periodic;	/* rows are periods in time order */
	cJSON		*rows;		/* array of objects, owned */
};

struct crm_report_def {
	const char		*name;		/* "pipeline" */
	const char		*summary;	/* one line, for --help */
	const char		*entity;	/* what --where filters, or NULL */
	const char *const	*by;		/* --by words, first the default;
						   NULL: no --by */
	unsigned		 opts;		/* CRM_REPORT_* */
	struct crm_error	*(*run)(struct crm_db *db,
				    const struct crm_report_opts *o,
				    struct crm_report *r);
};

/* Every report, in the order of crm-report(1); ends with a NULL name. */
extern const struct crm_report_def crm_reports[];

const struct crm_report_def *crm_report_find(const char *name);

/* Free r's rows; r itself is the caller's. */
void	 crm_report_free(struct crm_report *r);

/*
 * The SQL expression for the period of the ISO time column col under by
 * ("day" 2026-11-23, "week" 2026-W48 (ISO 8601 week), "month" 2026-11,
 * "quarter" 2026-Q4, "year" 2026), or NULL when by is not a period.  The
 * result is the caller's to free().  col is SQL from the caller, never
 * from the user.
 */
char	*crm_report_period_sql(const char *by, const char *col);
int	 crm_report_is_period(const char *by);

/*
 * Run st (prepared and bound by the caller, finalized here) and append a
 * row per result row to r->rows: the keys are the result's column names;
 * integers and reals are numbers, text is text, NULL is null.
 */
struct crm_error *crm_report_rows(struct crm_db *db, sqlite3_stmt *st,
	    struct crm_report *r);

/*
 * The --by word of report name: by, or the report's default when by is
 * NULL, into *out (static).  A word the report does not take is a
 * CRM_EXIT_USAGE error `--by: unknown "x" (use one of: stage, owner)`.
 */
struct crm_error *crm_report_by(const char *name, const char *by,
	    const char **out);

/*
 * Money in SQL, one statement for both ways of counting it: until
 * crm_report_money_end(), the connection has
 *
 *   report_currency(cur)	   o->currency when given, else cur;
 *   report_convert(minor, cur)   minor units of cur in report_currency(),
 *				   exact (crm_money_convert()); NULL stays NULL;
 *   report_money(minor, cur[, div])
 *				   minor (divided by div, half to even) as the
 *				   decimal text of cur ("1234.50"), or NULL.
 *
 * so that "GROUP BY report_currency(d.currency)" gives a row per currency
 * without --currency and one row with it.  A bad o->currency is a
 * CRM_EXIT_USAGE error prefixed "--currency"; cv is the caller's, and a
 * statement's error goes through crm_money_conv_error(cv, err) to name a
 * missing rate.
 */
struct crm_money_conv;
struct crm_error *crm_report_money_begin(struct crm_db *db,
	    const struct crm_report_opts *o, struct crm_money_conv *cv);
void	 crm_report_money_end(struct crm_money_conv *cv);

/*
 * --where as a condition on the row id idcol ("d.id"): "idcol IN (SELECT
 * idcol FROM from WHERE (filter))", where from ("deals d JOIN ...") gives
 * the aliases fs's fields name; "1" when where is NULL.  *cond is the
 * caller's to free(); *f (NULL without a filter) binds the values, for
 * crm_filter_free().  Errors are prefixed "--where".  Named fields
 * (a contact's "segment = vip") are looked up in db.
 */
struct crm_filter;
struct crm_fieldset;
struct crm_error *crm_report_where(struct crm_db *db, const char *where,
	    const struct crm_fieldset *fs, const char *idcol, const char *from,
	    char **cond, struct crm_filter **f);
/* The same for deals: their fieldset (crm-deal list's) and joins. */
struct crm_error *crm_report_deal_where(struct crm_db *db,
	    const char *where, char **cond, struct crm_filter **f);

#endif
