/*
 * crm-campaign: messages to the contacts of a segment, sent from cron
 * without reaching anyone twice.  Parses options, calls lib/campaign*.c,
 * and prints records; see crm-campaign(1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "crm_campaign.h"
#include "crm_contact.h"
#include "crm_dsn.h"
#include "crm_mail.h"
#include "crm_mime.h"
#include "crm_record.h"
#include "crm_segment.h"
#include "crm_sla.h"
#include "crm_smtp.h"
#include "crm_template.h"
#include "crm_util.h"
#include "cli.h"

enum {
	O_SEGMENT = 300, O_SUBJECT, O_FROM, O_REPLY_TO, O_TEXT, O_HTML,
	O_CHANNEL, O_URL, O_BODY, O_OPT_IN, O_SET, O_FORCE, O_TO, O_AS,
	O_MAX, O_RATE, O_DRY_RUN, O_STATUS, O_UNKNOWN, O_DUE, O_WINDOW,
	O_DAYS, O_MBOX, O_CONNECTIONS, O_STEP, O_STEPS
};

#define FIELD_OPTS \
	{ "segment", O_SEGMENT, "SEGMENT", "the audience: a segment's name" }, \
	{ "subject", O_SUBJECT, "TEXT", "the subject, a template" }, \
	{ "from", O_FROM, "ADDRESS", "the sender: addr or \"Name <addr>\"" }, \
	{ "reply-to", O_REPLY_TO, "ADDRESS", "where replies go" }, \
	{ "text", O_TEXT, "FILE", "the text body, a template (- for stdin)" }, \
	{ "html", O_HTML, "FILE", "the HTML body, a template (- for stdin)" }, \
	{ "channel", O_CHANNEL, "CHANNEL", "email (the default) or webhook" }, \
	{ "url", O_URL, "URL", "webhook: where each recipient's body is " \
	    "POSTed" }, \
	{ "body", O_BODY, "FILE", "webhook: the JSON body, a template" }, \
	{ "opt-in", O_OPT_IN, NULL, "send only to contacts who opted in" }, \
	{ "set", O_SET, "NAME=VALUE", "set any field (repeatable)" }

static const struct cli_opt create_opts[] = { FIELD_OPTS, CLI_OPT_END };
static const struct cli_opt edit_opts[] = { FIELD_OPTS, CLI_OPT_END };

static const struct cli_opt delete_opts[] = {
	{ "force", O_FORCE, NULL, "delete even after mail went out" },
	CLI_OPT_END
};

static const struct cli_opt preview_opts[] = {
	{ "to", O_TO, "REF", "the contact to render it for (required)" },
	CLI_OPT_END
};

static const struct cli_opt test_opts[] = {
	{ "to", O_TO, "ADDRESS", "where to send it (required)" },
	{ "as", O_AS, "REF", "render it for this contact (default: the "
	    "first of the audience)" },
	CLI_OPT_END
};

static const struct cli_opt send_opts[] = {
	{ "due", O_DUE, NULL, "every campaign whose time has come (for "
	    "cron), instead of NAME" },
	{ "window", O_WINDOW, "HOURS", "send only then: 'Mon-Fri 09:00-17:00 "
	    "Europe/Berlin'" },
	{ "max", O_MAX, "N", "at most N messages this run" },
	{ "connections", O_CONNECTIONS, "N", "N connections at once (default "
	    "1)" },
	{ "rate", O_RATE, "N/s", "at most N messages a second" },
	{ "dry-run", O_DRY_RUN, NULL, "print the messages (mbox, or -o "
	    "jsonl) and send nothing" },
	CLI_OPT_END
};

static const struct cli_opt sends_opts[] = {
	{ "status", O_STATUS, "STATUS", "only rows of this status" },
	CLI_OPT_END
};

static const struct cli_opt bounces_opts[] = {
	{ "mbox", O_MBOX, "FILE", "every message of an mbox file (- for "
	    "stdin), not one message on stdin" },
	CLI_OPT_END
};

static const struct cli_opt sequence_opts[] = {
	{ "segment", O_SEGMENT, "SEGMENT", "add: who enters the sequence" },
	{ "step", O_STEP, "'day N: CAMPAIGN'", "add: a step, in the order "
	    "of the days (repeatable)" },
	{ "steps", O_STEPS, "FILE", "add: the steps as JSON Lines, "
	    "{\"day\": N, \"campaign\": NAME} (- for stdin)" },
	CLI_OPT_END
};

static const struct cli_opt tick_opts[] = {
	{ "max", O_MAX, "N", "at most N messages a step campaign" },
	{ "rate", O_RATE, "N/s", "at most N messages a second" },
	CLI_OPT_END
};

static const struct cli_opt retry_opts[] = {
	{ "unknown", O_UNKNOWN, NULL, "requeue the unknown ones, not the "
	    "failed ones" },
	CLI_OPT_END
};

/* A template's text from FILE, "-" for stdin. */
static char *
read_file(struct cli *cli, const char *opt, const char *path)
{
	struct crm_buf b = CRM_BUF_INIT;
	char chunk[8192];
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	size_t n;

	if (fp == NULL)
		cli_usage_error(cli, "--%s: %s: %s", opt, path,
		    strerror(errno));
	while (b.len <= CRM_TEMPLATE_MAX &&
	    (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		crm_buf_add(&b, chunk, n);
	if (ferror(fp))
		cli_usage_error(cli, "--%s: %s: %s", opt, path,
		    strerror(errno));
	if (fp != stdin)
		fclose(fp);
	if (b.len > CRM_TEMPLATE_MAX)
		cli_usage_error(cli, "--%s: %s: larger than 1 MiB", opt, path);
	if (strlen(crm_buf_str(&b)) != b.len)
		cli_usage_error(cli, "--%s: %s: a NUL byte", opt, path);
	return crm_buf_detach(&b);
}

/* The field options into values. */
static cJSON *
field_values(struct cli *cli, int argc, char **argv, int *ind)
{
	static const struct { int key; const char *field; int file; } map[] = {
		{ O_SEGMENT, "segment", 0 }, { O_SUBJECT, "subject", 0 },
		{ O_FROM, "from", 0 }, { O_REPLY_TO, "reply_to", 0 },
		{ O_TEXT, "text", 1 }, { O_HTML, "html", 1 },
		{ O_CHANNEL, "channel", 0 }, { O_URL, "url", 0 },
		{ O_BODY, "body", 1 },
	};
	cJSON *values = cJSON_CreateObject();
	const char *arg, *eq;
	char *text, *name;
	size_t i;
	int c;

	while ((c = cli_getopt(cli, argc, argv, &arg, ind)) != -1) {
		if (c == O_OPT_IN) {
			cJSON_DeleteItemFromObject(values, "opt_in");
			cJSON_AddStringToObject(values, "opt_in", "true");
			continue;
		}
		if (c == O_SET) {
			if ((eq = strchr(arg, '=')) == NULL || eq == arg)
				cli_usage_error(cli, "--set needs NAME=VALUE, "
				    "got \"%s\"", arg);
			name = crm_xstrndup(arg, (size_t)(eq - arg));
			cJSON_DeleteItemFromObject(values, name);
			cJSON_AddStringToObject(values, name, eq + 1);
			free(name);
			continue;
		}
		for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (map[i].key == c)
				break;
		cJSON_DeleteItemFromObject(values, map[i].field);
		if (map[i].file) {
			text = read_file(cli, map[i].field, arg);
			cJSON_AddStringToObject(values, map[i].field, text);
			free(text);
		} else
			cJSON_AddStringToObject(values, map[i].field, arg);
	}
	return values;
}

static struct crm_error *
get_campaign(struct cli *cli, sqlite3_int64 id, void *arg, cJSON **rec)
{
	return crm_campaign_get(cli->db, id, rec);
}

static int
print_ids(struct cli *cli, const sqlite3_int64 *ids, size_t n)
{
	return cli_print_ids(cli, crm_campaign_columns, crm_campaign_columns,
	    crm_campaign_table_columns, ids, n, get_campaign, NULL);
}

static int
cmd_create(struct cli *cli, int argc, char **argv)
{
	struct crm_error *err;
	sqlite3_int64 id = 0;
	cJSON *values;
	int ind;

	values = field_values(cli, argc, argv, &ind);
	if (argc - ind != 1)
		cli_usage_error(cli, "expected one NAME");
	if ((err = cli_begin(cli)) == NULL)
		err = cli_commit(cli, crm_campaign_create(cli->db, argv[ind],
		    values, &id));
	cJSON_Delete(values);
	if (err != NULL)
		return cli_error(cli, err);
	return print_ids(cli, &id, 1);
}

static int
cmd_edit(struct cli *cli, int argc, char **argv)
{
	struct crm_error *err;
	sqlite3_int64 id = 0;
	cJSON *values;
	int ind;

	values = field_values(cli, argc, argv, &ind);
	if (argc - ind != 1)
		cli_usage_error(cli, "expected one NAME");
	if (cJSON_GetArraySize(values) == 0)
		cli_usage_error(cli, "nothing to change (give a field option "
		    "or --set)");
	if ((err = cli_begin(cli)) == NULL) {
		if ((err = crm_campaign_resolve(cli->db, argv[ind], &id)) ==
		    NULL)
			err = crm_campaign_edit(cli->db, id, values);
		err = cli_commit(cli, err);
	}
	cJSON_Delete(values);
	if (err != NULL)
		return cli_error(cli, err);
	return print_ids(cli, &id, 1);
}

static int
cmd_clone(struct cli *cli, int argc, char **argv)
{
	struct crm_error *err;
	sqlite3_int64 id = 0, out = 0;
	const char *arg;
	int ind;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		;
	if (argc - ind != 2)
		cli_usage_error(cli, "expected NAME NEW");
	if ((err = cli_begin(cli)) == NULL) {
		if ((err = crm_campaign_resolve(cli->db, argv[ind], &id)) ==
		    NULL)
			err = crm_campaign_clone(cli->db, id, argv[ind + 1],
			    &out);
		err = cli_commit(cli, err);
	}
	if (err != NULL)
		return cli_error(cli, err);
	return print_ids(cli, &out, 1);
}

static struct crm_error *
apply_delete(struct cli *cli, sqlite3_int64 id, void *arg)
{
	return crm_campaign_delete(cli->db, id, *(int *)arg);
}

static const char *const campaign_ref_keys[] = { "id", "name", NULL };

static int
cmd_delete(struct cli *cli, int argc, char **argv)
{
	const char *arg;
	int ind, force = 0;
	struct cli_batch b = { "campaign", "NAME...", campaign_ref_keys,
	    crm_campaign_resolve, apply_delete, NULL, &force, 1 };

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		force = 1;
	return cli_batch(cli, &b, argc - ind, argv + ind);
}

static int
print_batch(struct cli *cli, const sqlite3_int64 *ids, size_t n, void *arg)
{
	return print_ids(cli, ids, n);
}

static int
cmd_show(struct cli *cli, int argc, char **argv)
{
	const char *arg;
	int ind;
	struct cli_batch b = { "campaign", "NAME...", campaign_ref_keys,
	    crm_campaign_resolve, NULL, print_batch, NULL, 0 };

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		;
	return cli_batch(cli, &b, argc - ind, argv + ind);
}

/* Records from a library list call through cli_out. */
static int
print_list(struct cli *cli, const char *const *cols,
    const char *const *table, struct crm_error *(*list)(struct cli *,
    int (*)(const cJSON *, void *), void *, void *), void *arg)
{
	struct crm_error *err;
	struct crm_out *out = NULL;

	if ((err = cli_out(cli, cols, cols, table, &out)) == NULL &&
	    (err = list(cli, cli_write_one, out, arg)) == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	return cli_error(cli, err);
}

static struct crm_error *
list_campaigns(struct cli *cli, int (*fn)(const cJSON *, void *),
    void *out, void *arg)
{
	return crm_campaign_list(cli->db, fn, out);
}

static int
cmd_list(struct cli *cli, int argc, char **argv)
{
	struct crm_error *err;
	const char *arg;
	int ind;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		;
	if (ind < argc)
		cli_usage_error(cli, "unexpected argument \"%s\"", argv[ind]);
	if ((err = cli_db(cli, CRM_DB_READ)) != NULL)
		return cli_error(cli, err);
	return print_list(cli, crm_campaign_columns,
	    crm_campaign_table_columns, list_campaigns, NULL);
}

/* The one campaign operand, resolved, the database opened in mode. */
static sqlite3_int64
one_campaign(struct cli *cli, int argc, char **argv, int mode)
{
	struct crm_error *err;
	sqlite3_int64 id;

	if (argc != 1)
		cli_usage_error(cli, "expected one NAME");
	if ((err = cli_db(cli, mode)) != NULL ||
	    (err = crm_campaign_resolve(cli->db, argv[0], &id)) != NULL) {
		cli_error(cli, err);
		return 0;
	}
	return id;
}

static const char *const check_columns[] = {
	"variable", "missing", "recipients", NULL
};

static struct crm_error *
list_check(struct cli *cli, int (*fn)(const cJSON *, void *), void *out,
    void *arg)
{
	return crm_campaign_check(cli->db, *(sqlite3_int64 *)arg, fn, out);
}

static int
cmd_check(struct cli *cli, int argc, char **argv)
{
	sqlite3_int64 id;
	const char *arg;
	int ind;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		;
	if ((id = one_campaign(cli, argc - ind, argv + ind, CRM_DB_READ)) == 0)
		return cli->status;
	return print_list(cli, check_columns, check_columns, list_check, &id);
}

static int
cmd_preview(struct cli *cli, int argc, char **argv)
{
	struct crm_error *err;
	sqlite3_int64 id, contact;
	const char *arg, *to = NULL;
	char *msg = NULL, *p;
	int c, ind;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1)
		to = arg;
	if (to == NULL)
		cli_usage_error(cli, "expected --to REF");
	if ((id = one_campaign(cli, argc - ind, argv + ind, CRM_DB_READ)) == 0)
		return cli->status;
	if ((err = crm_contact_resolve(cli->db, to, &contact)) != NULL ||
	    (err = crm_campaign_preview(cli->db, id, contact, &msg)) != NULL)
		return cli_error(cli, err);
	/* On a terminal and in a pipe alike: LF line ends. */
	for (p = msg; *p != '\0'; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			putchar(*p);
	free(msg);
	return 0;
}

static void
progress(long done, long total, void *arg)
{
	fprintf(stderr, "\r%s: %ld of %ld", (const char *)arg, done, total);
}

static long
number(struct cli *cli, const char *name, const char *arg)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || errno != 0 || v < 1)
		cli_usage_error(cli, "--%s: expected a positive number, got "
		    "\"%s\"", name, arg);
	return v;
}

static double
rate(struct cli *cli, const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || errno != 0 || !(v > 0) || v > 1e6 ||
	    (*end != '\0' && strcmp(end, "/s") != 0))
		cli_usage_error(cli, "--rate: expected messages a second, as "
		    "10/s, got \"%s\"", arg);
	return v;
}

/* --window: "HOURS ZONE", the hours as for crm-ticket calendars. */
static struct crm_sla_cal *
window(struct cli *cli, const char *arg)
{
	struct crm_sla_cal *cal = NULL;
	struct crm_error *err;
	const char *sp = strrchr(arg, ' ');
	char *hours, msg[300];

	if (sp == NULL || (strchr(sp, '/') == NULL && strcmp(sp + 1, "UTC") !=
	    0))
		cli_usage_error(cli, "--window: expected hours and a time zone, "
		    "as 'Mon-Fri 09:00-17:00 Europe/Berlin', got \"%s\"", arg);
	hours = crm_xstrndup(arg, (size_t)(sp - arg));
	err = crm_sla_cal_new(sp + 1, hours, &cal);
	free(hours);
	if (err != NULL) {
		snprintf(msg, sizeof(msg), "%s", err->msg);
		crm_error_free(err);
		cli_usage_error(cli, "--window: %s", msg);
	}
	return cal;
}

/* One campaign's run and its summary line; the exit status it earns. */
static int
send_one(struct cli *cli, sqlite3_int64 id, const char *name,
    struct crm_campaign_run *run)
{
	struct crm_campaign_tally t;
	struct crm_error *err;
	const char *who = name != NULL ? name : "";

	err = crm_campaign_send(cli->db, id, run, &t);
	if (run->progress != NULL && t.sent + t.failed > 0)
		fputc('\n', stderr);
	fflush(stdout);
	if (t.outside && t.sent + t.failed + t.deferred == 0 && err == NULL)
		return 0;	/* outside the window: quietly nothing */
	if (run->dry_run)
		fprintf(stderr, "%s: %s%swould send %ld, skipped %ld\n",
		    cli->prog->name, who, *who ? ": " : "", t.sent, t.skipped);
	else if (err == NULL || t.sent + t.failed + t.deferred + t.unknown >
	    0) {
		fprintf(stderr, "%s: %s%ssent %ld, failed %ld, skipped %ld, "
		    "remaining %ld", cli->prog->name, who, *who ? ": " : "",
		    t.sent, t.failed, t.skipped, t.remaining);
		if (t.deferred > 0)
			fprintf(stderr, " (%ld to try again later)",
			    t.deferred);
		if (t.unknown > 0)
			fprintf(stderr, ", unknown %ld (not sent again: see "
			    "crm-campaign retry --unknown)", t.unknown);
		fputc('\n', stderr);
	}
	if (err != NULL) {
		if (name != NULL)
			err = crm_error_prefix(err, "%s", name);
		return cli_error(cli, err);
	}
	return t.failed > 0 ? 1 : t.deferred > 0 ? 75 : 0;
}

struct due {
	sqlite3_int64	*ids;
	char		**names;
	size_t		 n;
};

static void
add_due(sqlite3_int64 id, const char *name, void *arg)
{
	struct due *d = arg;

	d->ids = crm_xrealloc(d->ids, (d->n + 1) * sizeof(*d->ids));
	d->names = crm_xrealloc(d->names, (d->n + 1) * sizeof(*d->names));
	d->ids[d->n] = id;
	d->names[d->n++] = crm_xstrdup(name);
}

/* The worse of two exit statuses: 1 and 2 over 75 over 0. */
static int
worse(int a, int b)
{
	if (a == 0 || a == 75)
		return b != 0 ? b : a;
	return a;
}

static int
cmd_send(struct cli *cli, int argc, char **argv)
{
	struct crm_campaign_run run;
	struct crm_sla_cal *cal = NULL;
	struct crm_error *err;
	struct due d = { NULL, NULL, 0 };
	enum crm_format fmt;
	sqlite3_int64 id;
	const char *arg;
	size_t i;
	int c, ind, due = 0, status = 0;

	memset(&run, 0, sizeof(run));
	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_MAX)
			run.max = number(cli, "max", arg);
		else if (c == O_RATE)
			run.rate = rate(cli, arg);
		else if (c == O_DUE)
			due = 1;
		else if (c == O_CONNECTIONS) {
			run.connections = (int)number(cli, "connections", arg);
			if (run.connections > CRM_CAMPAIGN_CONNECTIONS)
				cli_usage_error(cli, "--connections: at most %d",
				    CRM_CAMPAIGN_CONNECTIONS);
		}
		else if (c == O_WINDOW) {
			crm_sla_cal_free(cal);
			cal = window(cli, arg);
		} else
			run.dry_run = 1;
	}
	run.window = cal;
	if (run.dry_run) {
		run.out = stdout;
		if (cli->format != NULL || getenv("CRM_FORMAT") != NULL) {
			if ((err = cli_format(cli, &fmt)) != NULL)
				return cli_error(cli, err);
			run.jsonl = fmt == CRM_FMT_JSONL;
		}
	} else if (isatty(STDERR_FILENO)) {
		run.progress = progress;
		run.arg = (void *)cli->prog->name;
	}
	if (!due) {
		if ((id = one_campaign(cli, argc - ind, argv + ind,
		    run.dry_run ? CRM_DB_READ : CRM_DB_WRITE)) != 0)
			status = send_one(cli, id, NULL, &run);
		else
			status = cli->status;
		crm_sla_cal_free(cal);
		return status;
	}
	if (ind < argc)
		cli_usage_error(cli, "--due sends every campaign due: give no "
		    "NAME");
	if ((err = cli_db(cli, run.dry_run ? CRM_DB_READ : CRM_DB_WRITE)) !=
	    NULL || (err = crm_campaign_due(cli->db, add_due, &d)) != NULL)
		status = cli_error(cli, err);
	for (i = 0; i < d.n; i++) {
		status = worse(status, send_one(cli, d.ids[i], d.names[i],
		    &run));
		free(d.names[i]);
	}
	free(d.ids);
	free(d.names);
	crm_sla_cal_free(cal);
	return status;
}

static int
cmd_test(struct cli *cli, int argc, char **argv)
{
	struct crm_error *err;
	sqlite3_int64 id, contact = 0;
	const char *arg, *to = NULL, *as = NULL;
	char *reply = NULL;
	int c, ind;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_TO)
			to = arg;
		else
			as = arg;
	}
	if (to == NULL)
		cli_usage_error(cli, "expected --to ADDRESS");
	if ((id = one_campaign(cli, argc - ind, argv + ind, CRM_DB_WRITE)) == 0)
		return cli->status;
	if ((as == NULL || (err = crm_contact_resolve(cli->db, as,
	    &contact)) == NULL) && (err = crm_db_begin(cli->db)) == NULL)
		err = cli_commit(cli, crm_campaign_test(cli->db, id, contact, to,
		    &reply));
	if (err != NULL)
		return cli_error(cli, err);
	fprintf(stderr, "%s: sent to %s: %s\n", cli->prog->name, to, reply);
	free(reply);
	return 0;
}

/* schedule, pause, resume, cancel: a change of status, printed. */
static int
control(struct cli *cli, int argc, char **argv, const char *action)
{
	struct crm_error *err;
	sqlite3_int64 id;
	const char *arg;
	int ind, want = strcmp(action, "schedule") == 0 ? 2 : 1;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		;
	if (argc - ind != want)
		cli_usage_error(cli, want == 2 ? "expected NAME AT" :
		    "expected one NAME");
	if ((id = one_campaign(cli, 1, argv + ind, CRM_DB_WRITE)) == 0)
		return cli->status;
	if ((err = crm_db_begin(cli->db)) != NULL ||
	    (err = cli_commit(cli, want == 2 ? crm_campaign_schedule(cli->db, id,
	    argv[ind + 1]) : crm_campaign_control(cli->db, id, action))) !=
	    NULL)
		return cli_error(cli, err);
	return print_ids(cli, &id, 1);
}

static int
cmd_schedule(struct cli *cli, int argc, char **argv)
{
	return control(cli, argc, argv, "schedule");
}

static int
cmd_pause(struct cli *cli, int argc, char **argv)
{
	return control(cli, argc, argv, "pause");
}

static int
cmd_resume(struct cli *cli, int argc, char **argv)
{
	return control(cli, argc, argv, "resume");
}

static int
cmd_cancel(struct cli *cli, int argc, char **argv)
{
	return control(cli, argc, argv, "cancel");
}

static const char *const stats_columns[] = {
	"campaign", "status", "queued", "sent", "failed", "unknown",
	"skipped", "skipped_because", "bounced", "unsubscribed_after", "days",
	"deals_won", "won_amount", NULL
};

static const struct cli_opt stats_opts[] = {
	{ "days", O_DAYS, "N", "deals won within N days of the message "
	    "(default 30)" },
	CLI_OPT_END
};

static const char *const status_columns[] = {
	"campaign", "status", "scheduled_at", "queued", "sent", "failed",
	"unknown", "skipped", NULL
};

static int
status_one(struct cli *cli, struct crm_out *out, sqlite3_int64 id)
{
	struct crm_error *err;
	cJSON *rec = NULL, *c;
	const char *const *f;

	if ((err = crm_campaign_stats(cli->db, id, 30, &rec)) == NULL &&
	    (err = crm_campaign_get(cli->db, id, &c)) == NULL) {
		cJSON_AddItemToObject(rec, "scheduled_at", cJSON_Duplicate(
		    cJSON_GetObjectItemCaseSensitive(c, "scheduled_at"), 1));
		cJSON_Delete(c);
		c = cJSON_CreateObject();
		for (f = status_columns; *f != NULL; f++)
			cJSON_AddItemToObject(c, *f, cJSON_Duplicate(
			    cJSON_GetObjectItemCaseSensitive(rec, *f), 1));
		err = crm_out_write(out, c);
		cJSON_Delete(c);
	}
	cJSON_Delete(rec);
	return err != NULL ? cli_error(cli, err) : 0;
}

static void
add_id(sqlite3_int64 id, const char *name, void *arg)
{
	struct due *d = arg;

	d->ids = crm_xrealloc(d->ids, (d->n + 1) * sizeof(*d->ids));
	d->ids[d->n++] = id;
}

static int
status_all(const cJSON *rec, void *arg)
{
	add_id((sqlite3_int64)cJSON_GetObjectItemCaseSensitive(rec, "id")->
	    valuedouble, NULL, arg);
	return 0;
}

static int
cmd_status(struct cli *cli, int argc, char **argv)
{
	struct due d = { NULL, NULL, 0 };
	struct crm_error *err;
	struct crm_out *out = NULL;
	sqlite3_int64 id;
	const char *arg;
	size_t i;
	int ind, status = 0;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		;
	if ((err = cli_db(cli, CRM_DB_READ)) != NULL)
		return cli_error(cli, err);
	for (i = (size_t)ind; i < (size_t)argc; i++) {
		if ((err = crm_campaign_resolve(cli->db, argv[i], &id)) != NULL)
			return cli_error(cli, err);
		add_id(id, NULL, &d);
	}
	if (ind == argc && (err = crm_campaign_list(cli->db, status_all,
	    &d)) != NULL)
		return cli_error(cli, err);
	if ((err = cli_out(cli, status_columns, status_columns, NULL, &out)) !=
	    NULL)
		status = cli_error(cli, err);
	for (i = 0; out != NULL && i < d.n && status == 0 &&
	    !crm_out_closed(out); i++)
		status = status_one(cli, out, d.ids[i]);
	if (out != NULL && status == 0 && (err = crm_out_finish(out)) != NULL)
		status = cli_error(cli, err);
	crm_out_free(out);
	free(d.ids);
	return status;
}

static int
cmd_stats(struct cli *cli, int argc, char **argv)
{
	struct crm_error *err;
	struct crm_out *out = NULL;
	sqlite3_int64 id;
	const char *arg;
	cJSON *rec = NULL;
	int ind, days = 30;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		days = (int)number(cli, "days", arg);
	if ((id = one_campaign(cli, argc - ind, argv + ind, CRM_DB_READ)) == 0)
		return cli->status;
	if ((err = crm_campaign_stats(cli->db, id, days, &rec)) == NULL &&
	    (err = cli_out(cli, stats_columns, stats_columns, NULL, &out)) ==
	    NULL && (err = crm_out_write(out, rec)) == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	cJSON_Delete(rec);
	return cli_error(cli, err);
}

struct sends_arg {
	sqlite3_int64	 id;
	const char	*status;
};

static struct crm_error *
list_sends(struct cli *cli, int (*fn)(const cJSON *, void *), void *out,
    void *arg)
{
	struct sends_arg *s = arg;

	return crm_campaign_sends(cli->db, s->id, s->status, fn, out);
}

static const char *const sends_table[] = {
	"id", "contact_id", "email", "status", "reason", "sent_at", NULL
};

static int
sends(struct cli *cli, int argc, char **argv, const char *status)
{
	struct sends_arg s = { 0, status };
	const char *arg;
	int ind;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		s.status = arg;
	if (s.status != NULL && strcmp(s.status, "queued") != 0 &&
	    strcmp(s.status, "claimed") != 0 && strcmp(s.status, "sent") != 0 &&
	    strcmp(s.status, "failed") != 0 &&
	    strcmp(s.status, "unknown") != 0 &&
	    strcmp(s.status, "skipped") != 0)
		cli_usage_error(cli, "--status: expected queued, claimed, sent, "
		    "failed, unknown or skipped, got \"%s\"", s.status);
	if ((s.id = one_campaign(cli, argc - ind, argv + ind,
	    CRM_DB_READ)) == 0)
		return cli->status;
	return print_list(cli, crm_campaign_send_columns, sends_table,
	    list_sends, &s);
}

static int
cmd_sends(struct cli *cli, int argc, char **argv)
{
	return sends(cli, argc, argv, NULL);
}

static int
cmd_failed(struct cli *cli, int argc, char **argv)
{
	return sends(cli, argc, argv, "failed");
}

static int
cmd_retry(struct cli *cli, int argc, char **argv)
{
	struct crm_error *err;
	sqlite3_int64 id;
	const char *arg;
	long n = 0;
	int ind, unknown = 0;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		unknown = 1;
	if ((id = one_campaign(cli, argc - ind, argv + ind, CRM_DB_WRITE)) ==
	    0)
		return cli->status;
	if ((err = crm_db_begin(cli->db)) != NULL ||
	    (err = cli_commit(cli, crm_campaign_retry(cli->db, id, unknown, &n))) !=
	    NULL)
		return cli_error(cli, err);
	fprintf(stderr, "%s: requeued %ld\n", cli->prog->name, n);
	return 0;
}

static int
print_sequences(struct cli *cli, sqlite3_int64 only)
{
	struct crm_error *err;
	struct crm_out *out = NULL;

	if ((err = cli_out(cli, crm_sequence_columns, crm_sequence_columns,
	    NULL, &out)) == NULL &&
	    (err = crm_sequence_list(cli->db, only, cli_write_one, out)) ==
	    NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	return cli_error(cli, err);
}

/* --steps FILE: JSON Lines of {"day", "campaign"} as "day N: NAME". */
static void
steps_file(struct cli *cli, const char *path, struct crm_strv *steps)
{
	char *text = read_file(cli, "steps", path), *line, *next, spec[300];
	const cJSON *day, *name;
	cJSON *o;
	int n = 0;

	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		n++;
		if (line[strspn(line, " \t\r")] == '\0')
			continue;
		o = cJSON_Parse(line);
		day = cJSON_GetObjectItemCaseSensitive(o, "day");
		name = cJSON_GetObjectItemCaseSensitive(o, "campaign");
		if (!cJSON_IsNumber(day) || !cJSON_IsString(name) ||
		    day->valuedouble != (double)(long)day->valuedouble) {
			cJSON_Delete(o);
			cli_usage_error(cli, "--steps: %s: line %d: expected "
			    "{\"day\": N, \"campaign\": NAME}", path, n);
		}
		snprintf(spec, sizeof(spec), "day %ld: %s",
		    (long)day->valuedouble, name->valuestring);
		crm_strv_push(steps, spec);
		cJSON_Delete(o);
	}
	free(text);
}

static int
cmd_sequence(struct cli *cli, int argc, char **argv)
{
	struct crm_strv steps = CRM_STRV_INIT;
	struct crm_error *err;
	sqlite3_int64 id = 0;
	const char *arg, *segment = NULL, *sub;
	int c, ind, status;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_STEP)
			crm_strv_push(&steps, arg);
		else if (c == O_STEPS)
			steps_file(cli, arg, &steps);
		else
			segment = arg;
	}
	argc -= ind;
	argv += ind;
	if (argc < 1)
		cli_usage_error(cli, "expected add, list, show or delete");
	sub = argv[0];
	if (strcmp(sub, "list") == 0 && argc == 1) {
		if ((err = cli_db(cli, CRM_DB_READ)) != NULL)
			return cli_error(cli, err);
		status = print_sequences(cli, 0);
	} else if ((strcmp(sub, "show") == 0 || strcmp(sub, "delete") == 0 ||
	    strcmp(sub, "add") == 0) && argc == 2) {
		if (sub[0] == 'a' && segment == NULL)
			cli_usage_error(cli, "add needs --segment and --step");
		if ((err = cli_db(cli, sub[0] == 's' ? CRM_DB_READ :
		    CRM_DB_WRITE)) != NULL)
			return cli_error(cli, err);
		if (sub[0] == 's') {
			if ((err = crm_sequence_resolve(cli->db, argv[1],
			    &id)) != NULL)
				return cli_error(cli, err);
			status = print_sequences(cli, id);
		} else {
			if ((err = crm_db_begin(cli->db)) == NULL) {
				if (sub[0] == 'a')
					err = crm_sequence_create(cli->db,
					    argv[1], segment,
					    (const char *const *)steps.v,
					    steps.n, &id);
				else if ((err = crm_sequence_resolve(cli->db,
				    argv[1], &id)) == NULL)
					err = crm_sequence_delete(cli->db, id);
				err = cli_commit(cli, err);
			}
			status = err != NULL ? cli_error(cli, err) :
			    sub[0] == 'a' ? print_sequences(cli, id) : 0;
		}
	} else
		cli_usage_error(cli, "expected add NAME, list, show NAME or "
		    "delete NAME");
	crm_strv_clear(&steps);
	return status;
}

static int
cmd_tick(struct cli *cli, int argc, char **argv)
{
	struct crm_campaign_run run;
	struct crm_error *err;
	struct due d = { NULL, NULL, 0 };
	const char *arg;
	long enrolled, queued;
	size_t i;
	int c, ind, status = 0;

	memset(&run, 0, sizeof(run));
	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_MAX)
			run.max = number(cli, "max", arg);
		else
			run.rate = rate(cli, arg);
	}
	if (ind < argc)
		cli_usage_error(cli, "unexpected argument \"%s\"", argv[ind]);
	if ((err = cli_db(cli, CRM_DB_WRITE)) != NULL ||
	    (err = crm_sequence_tick(cli->db, &enrolled, &queued, add_due,
	    &d)) != NULL)
		return cli_error(cli, err);
	if (enrolled + queued > 0)
		fprintf(stderr, "%s: enrolled %ld, steps due %ld\n",
		    cli->prog->name, enrolled, queued);
	for (i = 0; i < d.n; i++) {
		status = worse(status, send_one(cli, d.ids[i], d.names[i],
		    &run));
		free(d.names[i]);
	}
	free(d.ids);
	free(d.names);
	return status;
}

struct bounces {
	struct cli	*cli;
	struct crm_out	*out;
	long		 messages, reports, hard;
	int		 status;
};

static int
bounce_record(const cJSON *rec, void *arg)
{
	struct bounces *b = arg;

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "marked")))
		b->hard++;
	return cli_write_one(rec, b->out);
}

/* One message: its bounces recorded in a transaction of their own. */
static void
bounce_one(const char *raw, size_t len, size_t total, void *arg)
{
	struct bounces *b = arg;
	struct crm_error *err;
	int is_dsn = 0, cut = 0;

	b->messages++;
	if ((err = crm_db_begin(b->cli->db)) == NULL &&
	    (err = crm_campaign_bounce(b->cli->db, raw, len, bounce_record, b,
	    &is_dsn, &cut)) == NULL)
		err = crm_db_commit(b->cli->db);
	if (err == NULL && cut) {
		cli_warn(b->cli, "message %ld: the report was cut short (over "
		    "%d recipients, or broken off): the rest was not read",
		    b->messages, CRM_DSN_RCPTS);
		b->status = worse(b->status, 1);
	}
	if (err != NULL) {
		crm_db_rollback(b->cli->db);
		err = crm_error_prefix(err, "message %ld", b->messages);
		b->status = worse(b->status, cli_error(b->cli, err));
	}
	b->reports += is_dsn;
}

static int
cmd_bounces(struct cli *cli, int argc, char **argv)
{
	struct bounces b = { cli, NULL, 0, 0, 0, 0 };
	struct crm_error *err;
	const char *arg, *mbox = NULL;
	int ind;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		mbox = arg;
	if (ind < argc)
		cli_usage_error(cli, "unexpected argument \"%s\" (the message "
		    "comes on stdin, or use --mbox FILE)", argv[ind]);
	if ((mbox == NULL || strcmp(mbox, "-") == 0) && isatty(0))
		cli_usage_error(cli, "no message (pipe one in, or use --mbox "
		    "FILE)");
	if ((err = cli_db(cli, CRM_DB_WRITE)) != NULL ||
	    (err = cli_out(cli, crm_campaign_bounce_columns,
	    crm_campaign_bounce_columns, NULL, &b.out)) != NULL)
		return cli_error(cli, err);
	if ((err = cli_read_messages(mbox, CRM_MIME_MAX, bounce_one,
	    &b)) != NULL)
		b.status = worse(b.status, cli_error(cli, err));
	if ((err = crm_out_finish(b.out)) != NULL)
		b.status = worse(b.status, cli_error(cli, err));
	crm_out_free(b.out);
	fprintf(stderr, "%s: %ld message%s, %ld bounce report%s, %ld hard "
	    "bounce%s marked\n", cli->prog->name, b.messages,
	    b.messages == 1 ? "" : "s", b.reports, b.reports == 1 ? "" : "s",
	    b.hard, b.hard == 1 ? "" : "s");
	return b.status;
}

static void
print_value(const char *value, void *arg)
{
	printf("%s\n", value);
}

static int
print_name(const cJSON *rec, void *arg)
{
	printf("%s\n", cJSON_GetObjectItemCaseSensitive(rec, "name")->
	    valuestring);
	return 0;
}

static void
values(struct cli *cli, const char *opt)
{
	const char *const *f;

	if (strcmp(opt, "fields") == 0) {
		for (f = crm_campaign_columns; *f != NULL; f++)
			printf("%s\n", *f);
	} else if (strcmp(opt, "set") == 0) {
		for (f = crm_campaign_writable; *f != NULL; f++)
			printf("%s=\n", *f);
	} else if (strcmp(opt, "channel") == 0)
		printf("email\nwebhook\n");
	else if (strcmp(opt, "status") == 0)
		printf("queued\nclaimed\nsent\nfailed\nunknown\nskipped\n");
	else if (cli_db(cli, CRM_DB_READ) != NULL)
		return;
	else if (strcmp(opt, "segment") == 0)
		crm_error_free(crm_segment_names(cli->db, print_value, NULL));
	else if (strchr(opt, ':') != NULL && strcmp(strchr(opt, ':'), ":1") ==
	    0 && strncmp(opt, "create:", 7) != 0)
		crm_error_free(crm_campaign_list(cli->db, print_name, NULL));
}

static const struct cli_verb verbs[] = {
	{ "create", cmd_create, "NAME", "create a campaign and print it",
	    create_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "edit", cmd_edit, "NAME", "change a campaign and print it",
	    edit_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "list", cmd_list, NULL, "list campaigns", NULL,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "show", cmd_show, "NAME...", "print campaigns", NULL,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "clone", cmd_clone, "NAME NEW", "copy a campaign, unsent",
	    NULL, CLI_DBOPT | CLI_OUTPUT },
	{ "delete", cmd_delete, "NAME...", "delete campaigns", delete_opts,
	    CLI_DBOPT },
	{ "check", cmd_check, "NAME", "how many recipients lack each "
	    "template variable", NULL, CLI_DBOPT | CLI_OUTPUT },
	{ "preview", cmd_preview, "NAME", "print the message for one "
	    "contact", preview_opts, CLI_DBOPT },
	{ "test", cmd_test, "NAME", "send one message to an address",
	    test_opts, CLI_DBOPT },
	{ "send", cmd_send, "[NAME]", "send to the recipients not sent to "
	    "yet", send_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "schedule", cmd_schedule, "NAME AT", "send from that time on, with "
	    "send --due", NULL, CLI_DBOPT | CLI_OUTPUT },
	{ "pause", cmd_pause, "NAME", "stop sending until resumed", NULL,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "resume", cmd_resume, "NAME", "send again after a pause", NULL,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "cancel", cmd_cancel, "NAME", "never send the rest", NULL,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "status", cmd_status, "[NAME...]", "where campaigns stand: status, "
	    "time, counts", NULL, CLI_DBOPT | CLI_OUTPUT },
	{ "sends", cmd_sends, "NAME", "print the send log", sends_opts,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "failed", cmd_failed, "NAME", "print the recipients that failed",
	    NULL, CLI_DBOPT | CLI_OUTPUT },
	{ "retry", cmd_retry, "NAME", "queue the failed recipients again",
	    retry_opts, CLI_DBOPT },
	{ "sequence", cmd_sequence, "add|list|show|delete [NAME]", "drips: "
	    "campaigns days after contacts enter a segment", sequence_opts,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "tick", cmd_tick, NULL, "for cron: move every drip on, and send "
	    "what came due", tick_opts, CLI_DBOPT },
	{ "bounces", cmd_bounces, NULL, "mark hard bounces from delivery "
	    "reports (RFC 3464)", bounces_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "stats", cmd_stats, "NAME", "counts of the send log, and what "
	    "recipients did after", stats_opts, CLI_DBOPT | CLI_OUTPUT },
	{ NULL, NULL, NULL, NULL, NULL, 0 }
};

static const struct cli_prog prog = {
	"crm-campaign",
	"Email and webhook campaigns to segments, safe to run from cron.",
	verbs,
	values,
};

int
main(int argc, char **argv)
{
	return cli_main(&prog, argc, argv);
}
