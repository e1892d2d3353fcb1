/*
 * crm-campaign: messages to the contacts of a segment, sent from cron
 * without reaching anyone twice.  Parses options, calls lib/campaign*.c,
 * and prints records; see crm-campaign(1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crm_campaign.h"
#include "crm_contact.h"
#include "crm_segment.h"
#include "crm_template.h"
#include "crm_util.h"
#include "cli.h"
#include "campaign.h"


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

/* A template's text from FILE, "-" for stdin. */
char *
campaign_read_file(struct cli *cli, const char *opt, const char *path)
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
			text = campaign_read_file(cli, map[i].field, arg);
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

int
campaign_print_ids(struct cli *cli, const sqlite3_int64 *ids, size_t n)
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
	return campaign_print_ids(cli, &id, 1);
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
	return campaign_print_ids(cli, &id, 1);
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
	return campaign_print_ids(cli, &out, 1);
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
	return campaign_print_ids(cli, ids, n);
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
int
campaign_print_list(struct cli *cli, const char *const *cols,
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
	return campaign_print_list(cli, crm_campaign_columns,
	    crm_campaign_table_columns, list_campaigns, NULL);
}

/* The one campaign operand, resolved, the database opened in mode. */
sqlite3_int64
campaign_one(struct cli *cli, int argc, char **argv, int mode)
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
	if ((id = campaign_one(cli, argc - ind, argv + ind, CRM_DB_READ)) == 0)
		return cli->status;
	return campaign_print_list(cli, check_columns, check_columns, list_check, &id);
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
	if ((id = campaign_one(cli, argc - ind, argv + ind, CRM_DB_READ)) == 0)
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
	if ((id = campaign_one(cli, argc - ind, argv + ind, CRM_DB_WRITE)) == 0)
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
	{ "send", campaign_cmd_send, "[NAME]", "send to the recipients not sent to "
	    "yet", campaign_send_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "schedule", campaign_cmd_control, "NAME AT", "send from that time on, with "
	    "send --due", NULL, CLI_DBOPT | CLI_OUTPUT },
	{ "pause", campaign_cmd_control, "NAME", "stop sending until resumed", NULL,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "resume", campaign_cmd_control, "NAME", "send again after a pause", NULL,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "cancel", campaign_cmd_control, "NAME", "never send the rest", NULL,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "status", campaign_cmd_status, "[NAME...]", "where campaigns stand: status, "
	    "time, counts", NULL, CLI_DBOPT | CLI_OUTPUT },
	{ "sends", campaign_cmd_sends, "NAME", "print the send log",
	    campaign_sends_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "failed", campaign_cmd_failed, "NAME", "print the recipients that failed",
	    NULL, CLI_DBOPT | CLI_OUTPUT },
	{ "retry", campaign_cmd_retry, "NAME", "queue the failed recipients again",
	    campaign_retry_opts, CLI_DBOPT },
	{ "sequence", campaign_cmd_sequence, "add|list|show|delete [NAME]", "drips: "
	    "campaigns days after contacts enter a segment", campaign_sequence_opts,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "tick", campaign_cmd_tick, NULL, "for cron: move every drip on, and send "
	    "what came due", campaign_tick_opts, CLI_DBOPT },
	{ "bounces", campaign_cmd_bounces, NULL, "mark hard bounces from delivery "
	    "reports (RFC 3464)", campaign_bounces_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "stats", campaign_cmd_stats, "NAME", "counts of the send log, and what "
	    "recipients did after", campaign_stats_opts, CLI_DBOPT | CLI_OUTPUT },
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
