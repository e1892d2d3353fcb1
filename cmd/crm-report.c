/*
 * crm-report: the reports of lib/report*.c, one verb each, printed as
 * records, a terminal chart or an SVG; see crm-report(1).  The verbs and
 * their options are made from crm_reports[], so that a report's options,
 * its --help and the completions cannot disagree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "crm_money.h"
#include "crm_pipeline.h"
#include "crm_record.h"
#include "crm_report.h"
#include "crm_segment.h"
#include "crm_util.h"
#include "cli.h"
#include "report.h"

enum {
	O_SINCE = 300, O_UNTIL, O_BY, O_WHERE, O_CURRENCY, O_AS_OF, O_DAYS,
	O_PIPELINE, O_SEGMENT, O_CHART
};

/* The options a def may list, in --help order, by CRM_REPORT_* bit. */
static const struct {
	unsigned	 bit;
	struct cli_opt	 opt;
} common[] = {
	{ CRM_REPORT_RANGE, { "since", O_SINCE, "DATE", "from this time on "
	    "(inclusive)" } },
	{ CRM_REPORT_RANGE, { "until", O_UNTIL, "DATE", "before this time "
	    "(exclusive)" } },
	{ CRM_REPORT_WHERE, { "where", O_WHERE, "FILTER", "only the records "
	    "matching the filter (crm-filter(7))" } },
	{ CRM_REPORT_CURRENCY, { "currency", O_CURRENCY, "CODE", "convert "
	    "every amount into CODE (rates from crm-deal rate set)" } },
	{ CRM_REPORT_AS_OF, { "as-of", O_AS_OF, "DATE", "as it stood at "
	    "DATE" } },
	{ CRM_REPORT_DAYS, { "days", O_DAYS, "N", "a window of N days" } },
	{ CRM_REPORT_PIPELINE, { "pipeline", O_PIPELINE, "NAME", "only the "
	    "deals of this pipeline" } },
	{ CRM_REPORT_SEGMENT, { "segment", O_SEGMENT, "NAME", "only the "
	    "contacts of this segment" } },
};
#define NCOMMON	(sizeof(common) / sizeof(common[0]))

static const struct cli_opt tail_opts[] = {
	{ "chart", O_CHART, NULL, "draw the report in the terminal (bars, "
	    "or sparklines for periods)" },
	{ "format", CLI_FORMAT, "FORMAT", "jsonl, json, csv, tsv, table or "
	    "svg (default: table on a terminal, else jsonl)" },
	{ "fields", CLI_FIELDS, "LIST", "print these fields, in this order "
	    "(comma-separated)" },
};
#define NTAIL	(sizeof(tail_opts) / sizeof(tail_opts[0]))

/* Room for every report's verb, and each verb's options. */
#define MAXREPORTS	32
#define MAXOPTS		(NCOMMON + NTAIL + 2)

static struct cli_verb verbs[MAXREPORTS + 1];
static struct cli_opt opts[MAXREPORTS][MAXOPTS];
static char *by_help[MAXREPORTS];

static const struct crm_report_def *
def_of(const struct cli *cli)
{
	return crm_report_find(cli->verb->name);
}

/* "group by stage (default), owner, source or pipeline" */
static char *
make_by_help(const char *const *by)
{
	struct crm_buf b = CRM_BUF_INIT;
	size_t i;

	crm_buf_adds(&b, "group by ");
	for (i = 0; by[i] != NULL; i++)
		crm_buf_addf(&b, "%s%s%s", i == 0 ? "" : by[i + 1] == NULL ?
		    " or " : ", ", by[i], i == 0 ? " (default)" : "");
	return crm_buf_detach(&b);
}

static int cmd_report(struct cli *cli, int argc, char **argv);

/* The verb table and each verb's options, from crm_reports[]. */
static void
make_verbs(void)
{
	const struct crm_report_def *d;
	size_t i, j, k;

	for (i = 0, d = crm_reports; d->name != NULL && i < MAXREPORTS;
	    d++, i++) {
		k = 0;
		for (j = 0; j < NCOMMON; j++)
			if (d->opts & common[j].bit)
				opts[i][k++] = common[j].opt;
		if (d->by != NULL) {
			by_help[i] = make_by_help(d->by);
			opts[i][k++] = (struct cli_opt){ "by", O_BY, "WORD",
			    by_help[i] };
		}
		for (j = 0; j < NTAIL; j++)
			opts[i][k++] = tail_opts[j];
		opts[i][k] = (struct cli_opt)CLI_OPT_END;
		verbs[i] = (struct cli_verb){ d->name, cmd_report, NULL,
		    d->summary, opts[i], CLI_DBOPT };
	}
	verbs[i] = (struct cli_verb){ NULL, NULL, NULL, NULL, NULL, 0 };
}

static void
free_verbs(void)
{
	size_t i;

	for (i = 0; i < MAXREPORTS; i++)
		free(by_help[i]);
}

/*
 * A --since, --until or --as-of argument into out, an ISO time; for
 * --as-of (day set), a whole day stays the date alone, which means its
 * end, as crm-deal list --as-of has it.
 */
static void
parse_time(struct cli *cli, const char *name, const char *arg, int day,
    char out[CRM_TIME_LEN])
{
	int is_day;

	if (crm_time_parse(arg, out, &is_day) != 0)
		cli_usage_error(cli, "--%s: expected a date or time such as "
		    "2026-01-01 or -30d, got \"%s\"", name, arg);
	if (day && is_day)
		out[10] = '\0';
}

/* What to draw instead of records. */
enum draw { DRAW_NONE, DRAW_CHART, DRAW_SVG };

/* What the options ask for together; a usage error when they clash. */
static enum draw
check_opts(struct cli *cli, struct crm_report_opts *o, int chart)
{
	struct crm_error *err;

	if (o->since[0] != '\0' && o->until[0] != '\0' &&
	    strcmp(o->since, o->until) >= 0)
		cli_usage_error(cli, "--since must be before --until");
	if ((err = crm_report_by(cli->verb->name, o->by, &o->by)) != NULL) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		crm_error_free(err);
		cli_usage_error(cli, "%s", msg);
	}
	if (cli->format != NULL && strcmp(cli->format, "svg") == 0) {
		if (chart)
			cli_usage_error(cli, "--chart and -o svg exclude each "
			    "other");
		if (cli->fields != NULL)
			cli_usage_error(cli, "-o svg draws instead of "
			    "--fields");
		return DRAW_SVG;
	}
	if (chart && cli->format != NULL)
		cli_usage_error(cli, "--chart draws instead of -o %s",
		    cli->format);
	if (chart && cli->fields != NULL)
		cli_usage_error(cli, "--chart draws instead of --fields");
	return chart ? DRAW_CHART : DRAW_NONE;
}

static enum draw
parse_opts(struct cli *cli, int argc, char **argv, struct crm_report_opts *o)
{
	const char *arg;
	int c, ind, chart = 0;

	memset(o, 0, sizeof(*o));
	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		switch (c) {
		case O_SINCE:
			parse_time(cli, "since", arg, 0, o->since);
			break;
		case O_UNTIL:
			parse_time(cli, "until", arg, 0, o->until);
			break;
		case O_AS_OF:
			parse_time(cli, "as-of", arg, 1, o->as_of);
			break;
		case O_BY:
			o->by = arg;
			break;
		case O_WHERE:
			o->where = arg;
			break;
		case O_CURRENCY:
			o->currency = arg;
			break;
		case O_DAYS:
			o->days = (int)cli_number(cli, "--days", arg, 1, 36500);
			break;
		case O_PIPELINE:
			o->pipeline = arg;
			break;
		case O_SEGMENT:
			o->segment = arg;
			break;
		default:
			chart = 1;
		}
	}
	if (ind < argc)
		cli_usage_error(cli, "unexpected argument \"%s\"", argv[ind]);
	return check_opts(cli, o, chart);
}

static struct crm_error *
print_records(struct cli *cli, const struct crm_report *r)
{
	struct crm_out *out = NULL;
	struct crm_error *err;
	const cJSON *row;

	if ((err = cli_out(cli, r->columns, r->columns, NULL, &out)) != NULL)
		return err;
	cJSON_ArrayForEach(row, r->rows) {
		if ((err = crm_out_write(out, row)) != NULL ||
		    crm_out_closed(out))
			break;
	}
	if (err == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	return err;
}

/* Colour unless NO_COLOR; on a terminal, or when CLICOLOR_FORCE asks. */
static int
use_colour(void)
{
	const char *no = getenv("NO_COLOR"), *force = getenv("CLICOLOR_FORCE");

	if (no != NULL && *no != '\0')
		return 0;
	if (force != NULL && *force != '\0' && strcmp(force, "0") != 0)
		return 1;
	return isatty(fileno(stdout));
}

static int
has_column(const struct crm_report *r, const char *name)
{
	const char *const *c;

	for (c = r->columns; c != NULL && *c != NULL; c++)
		if (strcmp(*c, name) == 0)
			return 1;
	return 0;
}

static void
draw(struct cli *cli, const struct crm_report_opts *o,
    const struct crm_report *r, enum draw how)
{
	struct crm_buf value = CRM_BUF_INIT;
	struct report_point *v;
	size_t n;
	int width, per_currency, money;

	if (r->label == NULL || r->value == NULL) {
		cli_warn(cli, "%s: nothing to chart", cli->verb->name);
		return;
	}
	per_currency = o->currency == NULL && has_column(r, "currency") &&
	    strcmp(r->label, "currency") != 0;
	report_points(r, per_currency, &v, &n, &money);
	crm_buf_adds(&value, r->value);
	if (o->currency != NULL && has_column(r, "currency"))
		crm_buf_addf(&value, " in %s", crm_currency_find(o->currency) ?
		    crm_currency_find(o->currency)->code : o->currency);
	else if (money && !r->periodic)
		crm_buf_adds(&value, ", each currency to its own scale");
	if (n == 0)
		fprintf(stderr, "%s: %s: no rows to chart\n", cli->prog->name,
		    cli->verb->name);
	if (how == DRAW_SVG)
		report_svg(stdout, cli->verb->name, value.buf, v, n,
		    r->periodic);
	else if (n > 0) {
		if ((width = crm_term_width(stdout)) <= 0)
			width = 80;
		report_chart(stdout, cli->verb->name, value.buf, v, n,
		    r->periodic, width, use_colour());
	}
	report_points_free(v, n);
	crm_buf_release(&value);
}

static int
cmd_report(struct cli *cli, int argc, char **argv)
{
	const struct crm_report_def *d = def_of(cli);
	struct crm_report r;
	struct crm_report_opts o;
	struct crm_error *err;
	enum draw how;

	how = parse_opts(cli, argc, argv, &o);
	memset(&r, 0, sizeof(r));
	if ((err = cli_db(cli, CRM_DB_READ)) == NULL &&
	    (err = d->run(cli->db, &o, &r)) == NULL) {
		if (r.rows == NULL)
			r.rows = cJSON_CreateArray();
		if (how == DRAW_NONE)
			err = print_records(cli, &r);
		else
			draw(cli, &o, &r, how);
	}
	crm_report_free(&r);
	return cli_error(cli, err);
}

static void
print_value(const char *value, void *arg)
{
	printf("%s\n", value);
}

/* Whether a report before d takes the --by word w. */
static int
by_seen(const struct crm_report_def *d, const char *w)
{
	const struct crm_report_def *e;
	const char *const *x;

	for (e = crm_reports; e != d; e++)
		for (x = e->by; x != NULL && *x != NULL; x++)
			if (strcmp(*x, w) == 0)
				return 1;
	return 0;
}

/* Completion values: the --by words, currencies, pipelines, segments. */
static void
values(struct cli *cli, const char *opt)
{
	const struct crm_report_def *d;
	const char *const *w;
	size_t i, n;

	if (strcmp(opt, "format") == 0)
		printf("svg\n");
	else if (strcmp(opt, "by") == 0) {
		for (d = crm_reports; d->name != NULL; d++)
			for (w = d->by; w != NULL && *w != NULL; w++)
				if (!by_seen(d, *w))
					printf("%s\n", *w);
	} else if (strcmp(opt, "currency") == 0) {
		const struct crm_currency *cur = crm_currency_table(&n);

		for (i = 0; i < n; i++)
			printf("%s\n", cur[i].code);
	} else if (strcmp(opt, "pipeline") == 0) {
		if (cli_db(cli, CRM_DB_READ) == NULL)
			crm_error_free(crm_pipeline_values(cli->db,
			    "pipeline", print_value, NULL));
	} else if (strcmp(opt, "segment") == 0) {
		if (cli_db(cli, CRM_DB_READ) == NULL)
			crm_error_free(crm_segment_names(cli->db,
			    print_value, NULL));
	}
}

static const struct cli_prog prog = {
	"crm-report",
	"Sales, service, marketing and customer reports, with charts.",
	verbs,
	values,
};

int
main(int argc, char **argv)
{
	int status;

	make_verbs();
	status = cli_main(&prog, argc, argv);
	free_verbs();
	return status;
}
