/*
 * crm-campaign status, stats, sends, failed, retry: what the send log
 * says; and bounces, the delivery reports that come back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "crm_campaign.h"
#include "crm_dsn.h"
#include "crm_mime.h"
#include "crm_util.h"
#include "cli.h"
#include "campaign.h"

const struct cli_opt campaign_sends_opts[] = {
	{ "status", O_STATUS, "STATUS", "only rows of this status" },
	CLI_OPT_END
};

const struct cli_opt campaign_bounces_opts[] = {
	{ "mbox", O_MBOX, "FILE", "every message of an mbox file (- for "
	    "stdin), not one message on stdin" },
	CLI_OPT_END
};

const struct cli_opt campaign_retry_opts[] = {
	{ "unknown", O_UNKNOWN, NULL, "requeue the unknown ones, not the "
	    "failed ones" },
	CLI_OPT_END
};

static const char *const stats_columns[] = {
	"campaign", "status", "queued", "sent", "failed", "unknown",
	"skipped", "skipped_because", "bounced", "unsubscribed_after", "days",
	"deals_won", "won_amount", NULL
};

const struct cli_opt campaign_stats_opts[] = {
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

	/* The counts only: not what the recipients did after. */
	if ((err = crm_campaign_stats(cli->db, id, 0, &rec)) == NULL &&
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
	struct campaign_due *d = arg;

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

int
campaign_cmd_status(struct cli *cli, int argc, char **argv)
{
	struct campaign_due d = { NULL, NULL, 0 };
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

int
campaign_cmd_stats(struct cli *cli, int argc, char **argv)
{
	struct crm_error *err;
	struct crm_out *out = NULL;
	sqlite3_int64 id;
	const char *arg;
	cJSON *rec = NULL;
	int ind, days = 30;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		days = (int)cli_number(cli, "--days", arg, 1, LONG_MAX);
	if ((id = campaign_one(cli, argc - ind, argv + ind, CRM_DB_READ)) == 0)
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
	if ((s.id = campaign_one(cli, argc - ind, argv + ind,
	    CRM_DB_READ)) == 0)
		return cli->status;
	return campaign_print_list(cli, crm_campaign_send_columns, sends_table,
	    list_sends, &s);
}

int
campaign_cmd_sends(struct cli *cli, int argc, char **argv)
{
	return sends(cli, argc, argv, NULL);
}

int
campaign_cmd_failed(struct cli *cli, int argc, char **argv)
{
	return sends(cli, argc, argv, "failed");
}

int
campaign_cmd_retry(struct cli *cli, int argc, char **argv)
{
	struct crm_error *err;
	sqlite3_int64 id;
	const char *arg;
	long n = 0;
	int ind, unknown = 0;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		unknown = 1;
	if ((id = campaign_one(cli, argc - ind, argv + ind, CRM_DB_WRITE)) ==
	    0)
		return cli->status;
	if ((err = crm_db_begin(cli->db)) != NULL ||
	    (err = cli_commit(cli, crm_campaign_retry(cli->db, id, unknown, &n))) !=
	    NULL)
		return cli_error(cli, err);
	fprintf(stderr, "%s: requeued %ld\n", cli->prog->name, n);
	return 0;
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
		b->status = campaign_worse(b->status, 1);
	}
	if (err != NULL) {
		crm_db_rollback(b->cli->db);
		err = crm_error_prefix(err, "message %ld", b->messages);
		b->status = campaign_worse(b->status, cli_error(b->cli, err));
	}
	b->reports += is_dsn;
}

int
campaign_cmd_bounces(struct cli *cli, int argc, char **argv)
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
		b.status = campaign_worse(b.status, cli_error(cli, err));
	if ((err = crm_out_finish(b.out)) != NULL)
		b.status = campaign_worse(b.status, cli_error(cli, err));
	crm_out_free(b.out);
	fprintf(stderr, "%s: %ld message%s, %ld bounce report%s, %ld hard "
	    "bounce%s marked\n", cli->prog->name, b.messages,
	    b.messages == 1 ? "" : "s", b.reports, b.reports == 1 ? "" : "s",
	    b.hard, b.hard == 1 ? "" : "s");
	return b.status;
}

