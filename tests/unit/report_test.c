/*
 * lib/report.c: the periods of --by (ISO weeks at year ends checked
 * against the calendar), the --by words, and the money functions the
 * reports call in SQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crm_db.h"
#include "crm_error.h"
#include "crm_money.h"
#include "crm_report.h"
#include "tap.h"

/* The text of the one-row, one-column query sql with ?1 bound to arg. */
static char *
scalar(struct crm_db *db, const char *sql, const char *arg)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	char *out = NULL;

	if ((err = crm_db_prepare(db, sql, &st)) != NULL) {
		printf("# %s\n", err->msg);
		crm_error_free(err);
		return NULL;
	}
	if (arg != NULL)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		out = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

static void
period(struct crm_db *db, const char *by, const char *at, const char *want)
{
	char *expr = crm_report_period_sql(by, "?1"), sql[1024], *got = NULL;

	if (expr != NULL) {
		snprintf(sql, sizeof(sql), "SELECT %s", expr);
		got = scalar(db, sql, at);
	}
	is_str(got, want, "%s of %s is %s", by, at, want);
	free(got);
	free(expr);
}

static void
periods(struct crm_db *db)
{
	/* Weeks: the Thursday names the year (ISO 8601). */
	period(db, "week", "2026-01-01T10:00:00Z", "2026-W01");
	period(db, "week", "2027-01-01T10:00:00Z", "2026-W53");
	period(db, "week", "2027-01-03T23:59:59Z", "2026-W53");
	period(db, "week", "2027-01-04T00:00:00Z", "2027-W01");
	period(db, "week", "2024-12-30T10:00:00Z", "2025-W01");
	period(db, "week", "2021-01-03T10:00:00Z", "2020-W53");
	period(db, "week", "2026-11-23T10:00:00Z", "2026-W48");
	period(db, "day", "2026-11-23T10:00:00Z", "2026-11-23");
	period(db, "month", "2026-11-23T10:00:00Z", "2026-11");
	period(db, "quarter", "2026-09-30T23:00:00Z", "2026-Q3");
	period(db, "quarter", "2026-10-01T00:00:00Z", "2026-Q4");
	period(db, "year", "2026-11-23T10:00:00Z", "2026");
	ok(crm_report_period_sql("owner", "x") == NULL,
	    "owner is not a period");
	ok(crm_report_is_period("week") && !crm_report_is_period("stage") &&
	    !crm_report_is_period(NULL), "crm_report_is_period");
}

static void
by_words(void)
{
	struct crm_error *err;
	const char *by = NULL;

	err = crm_report_by("pipeline", NULL, &by);
	ok(err == NULL && strcmp(by, "stage") == 0, "no --by: the default");
	err = crm_report_by("pipeline", "owner", &by);
	ok(err == NULL && strcmp(by, "owner") == 0, "a --by word it takes");
	err = crm_report_by("pipeline", "week", &by);
	is_str(err ? err->msg : NULL, "--by: unknown \"week\" (use one of: "
	    "stage, owner, source, pipeline)", "a word it does not take");
	ok(err != NULL && err->code == CRM_EXIT_USAGE && by == NULL,
	    "is a usage error");
	is_int(err != NULL ? err->code : 0, CRM_EXIT_USAGE, "exit 2");
	crm_error_free(err);
	err = crm_report_by("due", "owner", &by);
	ok(err != NULL && err->code == CRM_EXIT_USAGE,
	    "a report without --by refuses one");
	crm_error_free(err);
}

static void
money(struct crm_db *db)
{
	struct crm_report_opts o;
	struct crm_money_conv cv;
	struct crm_error *err;
	char *got;

	memset(&o, 0, sizeof(o));
	ok(crm_report_money_begin(db, &o, &cv) == NULL, "money functions");
	got = scalar(db, "SELECT report_money(123450, 'EUR') || ' ' ||"
	    " report_money(12000, 'JPY') || ' ' || report_money(1234, 'BHD')"
	    " || ' ' || report_money(250, 'EUR', 100) || ' ' ||"
	    " report_money(350, 'EUR', 100) || ' ' ||"
	    " report_currency('USD') || ' ' || report_convert(5, 'USD')",
	    NULL);
	is_str(got, "1234.50 12000 1.234 0.02 0.04 USD 5",
	    "decimals per currency, division half to even, no conversion");
	free(got);
	got = scalar(db, "SELECT report_money(NULL, 'EUR')", NULL);
	ok(got == NULL, "NULL stays NULL");
	crm_report_money_end(&cv);

	o.currency = "eur";
	crm_error_free(crm_rate_set(db, crm_currency_find("USD"),
	    crm_currency_find("EUR"), &(struct crm_rate){ 5, 1 }));
	ok(crm_report_money_begin(db, &o, &cv) == NULL, "with --currency");
	got = scalar(db, "SELECT report_currency('USD') || ' ' ||"
	    " report_money(report_convert(8000, 'USD'),"
	    " report_currency('USD'))", NULL);
	is_str(got, "EUR 40.00", "converted into --currency");
	free(got);
	crm_report_money_end(&cv);

	o.currency = "EUX";
	err = crm_report_money_begin(db, &o, &cv);
	ok(err != NULL && err->code == CRM_EXIT_USAGE &&
	    strncmp(err->msg, "--currency: unknown currency", 28) == 0,
	    "an unknown --currency");
	crm_error_free(err);
	crm_report_money_end(&cv);
}

int
main(void)
{
	char path[] = "/tmp/report_test.XXXXXX";
	struct crm_db *db = NULL;
	struct crm_error *err;
	int fd;

	by_words();
	setenv("CRM_USER", "tester", 1);
	if ((fd = mkstemp(path)) < 0)
		return 1;
	close(fd);
	if ((err = crm_db_open(path, CRM_DB_WRITE, &db)) == NULL) {
		periods(db);
		money(db);
	} else
		ok(0, "open a database: %s", err->msg);
	crm_error_free(err);
	crm_db_close(db);
	unlink(path);
	return done_testing();
}
