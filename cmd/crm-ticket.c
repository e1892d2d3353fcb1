/*
 * crm-ticket: helpdesk tickets.  Parses options, calls lib/ticket*.c and
 * prints records; see crm-ticket(1).  The verbs that change many tickets
 * run as one batch: every reference resolved and changed in one
 * transaction, all or nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "crm_record.h"
#include "crm_stream.h"
#include "crm_ticket.h"
#include "crm_ticket_ingest.h"
#include "crm_util.h"
#include "cli.h"
#include "ticket.h"

enum {
	O_CONTACT = 300, O_SUBJECT, O_BODY, O_PRIORITY, O_QUEUE, O_CHANNEL,
	O_ASSIGNEE, O_MESSAGE_ID, O_WHERE, O_SORT, O_LIMIT, O_INTERNAL, O_TO,
	O_UNASSIGN, O_COMMENT
};


static const struct cli_opt open_opts[] = {
	{ "contact", O_CONTACT, "REF", "who asks: id, email or ext:ID (an "
	    "unknown email adds the contact)" },
	{ "subject", O_SUBJECT, "TEXT", "what it is about" },
	{ "body", O_BODY, "TEXT", "the request; - (or no --body and a "
	    "pipe) reads stdin" },
	{ "priority", O_PRIORITY, "PRIORITY", "low, normal (default), high "
	    "or urgent" },
	{ "queue", O_QUEUE, "QUEUE", "the team or queue that handles it" },
	{ "channel", O_CHANNEL, "CHANNEL", "how it came: email, phone, web "
	    "..." },
	{ "assignee", O_ASSIGNEE, "NAME", "who works it" },
	{ "message-id", O_MESSAGE_ID, "ID", "the Message-ID of the mail it "
	    "came from" },
	CLI_OPT_END
};

static const struct cli_opt list_opts[] = {
	{ "where", O_WHERE, "FILTER", "only tickets matching the filter "
	    "(crm-filter(7))" },
	{ "sort", O_SORT, "FIELDS", "sort by these fields, -field "
	    "descending" },
	{ "limit", O_LIMIT, "N", "at most N tickets" },
	CLI_OPT_END
};

static const struct cli_opt comment_opts[] = {
	{ "body", O_BODY, "TEXT", "the comment; - (or no --body) reads "
	    "stdin" },
	{ "internal", O_INTERNAL, NULL, "an internal note, not a reply" },
	CLI_OPT_END
};

static const struct cli_opt update_opts[] = {
	{ "priority", O_PRIORITY, "PRIORITY", "low, normal, high or urgent" },
	{ "queue", O_QUEUE, "QUEUE", "the queue that handles it; \"\" for "
	    "none" },
	CLI_OPT_END
};

static const struct cli_opt assign_opts[] = {
	{ "to", O_TO, "NAME", "the new assignee" },
	{ "unassign", O_UNASSIGN, NULL, "remove the assignee" },
	CLI_OPT_END
};

static const struct cli_opt rate_opts[] = {
	{ "comment", O_COMMENT, "TEXT", "what the customer said" },
	CLI_OPT_END
};

static const char *const ref_keys[] = { "id", NULL };

/* A change applied to each ticket named, in one transaction. */
struct batch {
	struct crm_error *(*apply)(struct cli *cli, sqlite3_int64 id,
			    struct batch *b);
	int		 write;
	int		 print;		/* the records, after commit */
	int		 thread;	/* with their comments */
	const char	*arg;		/* assignee, status, priority */
	const char	*arg2;		/* queue */
};

/*
 * The body: --body's text, or stdin for "-" or when there is no --body
 * and stdin is not a terminal (need: a terminal is then an error).
 */
static struct crm_error *
get_body(struct cli *cli, const char *arg, int need, char **body)
{
	*body = NULL;
	if (arg != NULL && strcmp(arg, "-") != 0) {
		*body = crm_xstrdup(arg);
		return NULL;
	}
	if (arg == NULL && isatty(0)) {
		if (need)
			cli_usage_error(cli, "no body (use --body TEXT or a "
			    "pipe)");
		return NULL;
	}
	return cli_read_body(body);
}

struct crm_error *
ticket_body(struct cli *cli, const char *arg, int need, char **body)
{
	return get_body(cli, arg, need, body);
}

/* A ticket's record; with *thread, its comments and their attachments. */
static struct crm_error *
get_ticket(struct cli *cli, sqlite3_int64 id, void *arg, cJSON **rec)
{
	int thread = *(const int *)arg;
	struct crm_error *err;

	if ((err = crm_ticket_get(cli->db, id, thread, rec)) == NULL &&
	    thread && (err = crm_ticket_attachments(cli->db, *rec)) != NULL) {
		cJSON_Delete(*rec);
		*rec = NULL;
	}
	return err;
}

static int
print_ids(struct cli *cli, const sqlite3_int64 *ids, size_t n, int thread)
{
	return cli_print_ids(cli, crm_ticket_thread_columns, thread ?
	    crm_ticket_thread_columns : crm_ticket_columns,
	    crm_ticket_table_columns, ids, n, get_ticket, &thread);
}

static struct crm_error *
batch_apply(struct cli *cli, sqlite3_int64 id, void *arg)
{
	struct batch *b = arg;

	return b->apply(cli, id, b);
}

static int
batch_print(struct cli *cli, const sqlite3_int64 *ids, size_t n, void *arg)
{
	const struct batch *b = arg;

	return print_ids(cli, ids, n, b->thread);
}

static int
run_batch(struct cli *cli, struct batch *b, int argc, char **argv)
{
	struct cli_batch cb = { "ticket", "ID...", ref_keys,
	    crm_ticket_resolve, b->apply ? batch_apply : NULL,
	    b->print ? batch_print : NULL, b, b->write };

	return cli_batch(cli, &cb, argc, argv);
}

static int
cmd_open(struct cli *cli, int argc, char **argv)
{
	struct crm_ticket_new t = { 0 };
	struct crm_error *err;
	sqlite3_int64 id = 0;
	const char *arg, *body_arg = NULL;
	char *body = NULL;
	int c, ind;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		switch (c) {
		case O_CONTACT: t.contact = arg; break;
		case O_SUBJECT: t.subject = arg; break;
		case O_BODY: body_arg = arg; break;
		case O_PRIORITY: t.priority = arg; break;
		case O_QUEUE: t.queue = arg; break;
		case O_CHANNEL: t.channel = arg; break;
		case O_ASSIGNEE: t.assignee = arg; break;
		default: t.message_id = arg; break;
		}
	}
	if (ind < argc)
		cli_usage_error(cli, "unexpected argument \"%s\"", argv[ind]);
	if (t.contact == NULL)
		cli_usage_error(cli, "a ticket needs a contact (--contact)");
	if (t.subject == NULL)
		cli_usage_error(cli, "a ticket needs a subject (--subject)");
	if ((err = get_body(cli, body_arg, 0, &body)) == NULL &&
	    (err = cli_db(cli, CRM_DB_WRITE)) == NULL &&
	    (err = crm_db_begin(cli->db)) == NULL) {
		t.body = body;
		if ((err = crm_ticket_open(cli->db, &t, &id)) == NULL)
			err = crm_db_commit(cli->db);
		else
			crm_db_rollback(cli->db);
	}
	free(body);
	if (err != NULL)
		return cli_error(cli, err);
	return print_ids(cli, &id, 1, 0);
}

static int
cmd_show(struct cli *cli, int argc, char **argv)
{
	struct batch b = { .print = 1, .thread = 1 };
	const char *arg;
	int ind;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		;
	return run_batch(cli, &b, argc - ind, argv + ind);
}

static int
cmd_list(struct cli *cli, int argc, char **argv)
{
	struct crm_ticket_query q = { NULL, NULL, 0 };
	struct crm_error *err;
	struct crm_out *out = NULL;
	const char *arg;
	int c, ind;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_WHERE)
			q.where = arg;
		else if (c == O_SORT)
			q.sort = arg;
		else
			q.limit = cli_number(cli, "--limit", arg, 1,
			    1000000000L);
	}
	if (ind < argc)
		cli_usage_error(cli, "unexpected argument \"%s\" (use "
		    "--where to filter)", argv[ind]);
	if ((err = cli_db(cli, CRM_DB_READ)) == NULL &&
	    (err = cli_out(cli, crm_ticket_columns, crm_ticket_columns,
	    crm_ticket_table_columns, &out)) == NULL &&
	    (err = crm_ticket_list(cli->db, &q, cli_write_one, out)) == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	return cli_error(cli, err);
}

static int
cmd_comment(struct cli *cli, int argc, char **argv)
{
	const char *const *known = crm_ticket_comment_columns;
	struct crm_error *err;
	struct crm_out *out = NULL;
	sqlite3_int64 id, cid = 0;
	const char *arg, *body_arg = NULL;
	char *body = NULL;
	cJSON *rec = NULL;
	int c, ind, internal = 0;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_BODY)
			body_arg = arg;
		else
			internal = 1;
	}
	if (argc - ind != 1)
		cli_usage_error(cli, argc == ind ? "no ticket given" :
		    "one ticket at a time");
	if ((err = get_body(cli, body_arg, 1, &body)) == NULL &&
	    (err = cli_db(cli, CRM_DB_WRITE)) == NULL &&
	    (err = crm_db_begin(cli->db)) == NULL) {
		if ((err = crm_ticket_resolve(cli->db, argv[ind], &id)) ==
		    NULL && (err = crm_ticket_comment(cli->db, id, body,
		    internal, &cid)) == NULL)
			err = crm_db_commit(cli->db);
		else
			crm_db_rollback(cli->db);
	}
	if (err == NULL &&
	    (err = crm_ticket_comment_get(cli->db, cid, &rec)) == NULL &&
	    (err = cli_out(cli, known, known, known, &out)) == NULL &&
	    (err = crm_out_write(out, rec)) == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	cJSON_Delete(rec);
	free(body);
	return cli_error(cli, err);
}

static struct crm_error *
apply_assign(struct cli *cli, sqlite3_int64 id, struct batch *b)
{
	return crm_ticket_assign(cli->db, id, b->arg, NULL);
}

static int
cmd_assign(struct cli *cli, int argc, char **argv)
{
	struct batch b = { .apply = apply_assign, .write = 1, .print = 1 };
	const char *arg;
	int c, ind, unassign = 0;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_TO)
			b.arg = arg;
		else
			unassign = 1;
	}
	if ((b.arg == NULL) == !unassign)
		cli_usage_error(cli, "give one of --to NAME or --unassign");
	return run_batch(cli, &b, argc - ind, argv + ind);
}

static struct crm_error *
apply_update(struct cli *cli, sqlite3_int64 id, struct batch *b)
{
	struct crm_error *err = NULL;

	if (b->arg != NULL)
		err = crm_ticket_priority(cli->db, id, b->arg, NULL);
	if (err == NULL && b->arg2 != NULL)
		err = crm_ticket_queue(cli->db, id, b->arg2, NULL);
	return err;
}

/* The SLA targets follow: due times are worked out again. */
static int
cmd_update(struct cli *cli, int argc, char **argv)
{
	struct batch b = { .apply = apply_update, .write = 1, .print = 1 };
	const char *arg;
	int c, ind;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_PRIORITY)
			b.arg = arg;
		else
			b.arg2 = arg;
	}
	if (b.arg == NULL && b.arg2 == NULL)
		cli_usage_error(cli, "nothing to change: give --priority or "
		    "--queue");
	return run_batch(cli, &b, argc - ind, argv + ind);
}

static struct crm_error *
apply_status(struct cli *cli, sqlite3_int64 id, struct batch *b)
{
	return crm_ticket_status(cli->db, id, b->arg, NULL);
}

static int
cmd_status(struct cli *cli, int argc, char **argv)
{
	struct batch b = { .apply = apply_status, .write = 1, .print = 1 };
	const char *arg;
	int ind;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		;
	if (argc - ind < 2)
		cli_usage_error(cli, "expected ID... STATUS");
	b.arg = argv[argc - 1];
	return run_batch(cli, &b, argc - ind - 1, argv + ind);
}

static int
cmd_close(struct cli *cli, int argc, char **argv)
{
	struct batch b = { .apply = apply_status, .write = 1, .print = 1,
	    .arg = "closed" };
	const char *arg;
	int ind;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		;
	return run_batch(cli, &b, argc - ind, argv + ind);
}

static struct crm_error *
apply_reopen(struct cli *cli, sqlite3_int64 id, struct batch *b)
{
	return crm_ticket_reopen(cli->db, id);
}

static int
cmd_reopen(struct cli *cli, int argc, char **argv)
{
	struct batch b = { .apply = apply_reopen, .write = 1, .print = 1 };
	const char *arg;
	int ind;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		;
	return run_batch(cli, &b, argc - ind, argv + ind);
}

struct rate {
	struct batch	 b;
	int		 score;
	const char	*comment;
};

static struct crm_error *
apply_rate(struct cli *cli, sqlite3_int64 id, struct batch *b)
{
	struct rate *r = (struct rate *)b;

	return crm_ticket_rate(cli->db, id, r->score, r->comment);
}

static int
cmd_rate(struct cli *cli, int argc, char **argv)
{
	struct rate r = { { .apply = apply_rate, .write = 1, .print = 1 },
	    0, NULL };
	const char *arg;
	int ind;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		r.comment = arg;
	if (argc - ind != 2)
		cli_usage_error(cli, "expected ID SCORE");
	r.score = (int)cli_number(cli, "score", argv[ind + 1], 1, 5);
	return run_batch(cli, &r.b, 1, argv + ind);
}

static struct crm_error *
apply_delete(struct cli *cli, sqlite3_int64 id, struct batch *b)
{
	return crm_ticket_delete(cli->db, id);
}

static int
cmd_delete(struct cli *cli, int argc, char **argv)
{
	struct batch b = { .apply = apply_delete, .write = 1 };
	const char *arg;
	int ind;

	while (cli_getopt(cli, argc, argv, &arg, &ind) != -1)
		;
	return run_batch(cli, &b, argc - ind, argv + ind);
}

static void
print_value(const char *value, void *arg)
{
	printf("%s\n", value);
}

static void
values(struct cli *cli, const char *opt)
{
	const char *const *f;

	if (strcmp(opt, "fields") == 0 || strcmp(opt, "sort") == 0) {
		for (f = crm_ticket_columns; *f != NULL; f++)
			printf("%s\n", *f);
		return;
	}
	if (ticket_kb_values(cli, opt) || ticket_sla_values(cli, opt))
		return;
	if (strcmp(opt, "to") == 0)
		opt = "assignee";
	if (strcmp(opt, "status") == 0 || strcmp(opt, "priority") == 0)
		crm_error_free(crm_ticket_values(NULL, opt, print_value,
		    NULL));
	else if ((strcmp(opt, "queue") == 0 || strcmp(opt, "channel") == 0 ||
	    strcmp(opt, "assignee") == 0) && cli_db(cli, CRM_DB_READ) == NULL)
		crm_error_free(crm_ticket_values(cli->db, opt, print_value,
		    NULL));
}

static const struct cli_verb verbs[] = {
	{ "open", cmd_open, NULL, "open a ticket and print it", open_opts,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "show", cmd_show, "ID...", "print tickets with their comments",
	    NULL, CLI_DBOPT | CLI_OUTPUT },
	{ "list", cmd_list, NULL, "list tickets", list_opts,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "comment", cmd_comment, "ID", "add a reply or an internal note",
	    comment_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "reply", ticket_reply, "ID", "mail a reply to the customer and "
	    "keep it as a comment", ticket_reply_opts,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "update", cmd_update, "ID...", "change the priority or the queue",
	    update_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "assign", cmd_assign, "ID...", "set or remove the assignee",
	    assign_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "status", cmd_status, "ID... STATUS", "move tickets to open, "
	    "pending, resolved or closed", NULL, CLI_DBOPT | CLI_OUTPUT },
	{ "close", cmd_close, "ID...", "close tickets", NULL,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "reopen", cmd_reopen, "ID...", "reopen resolved or closed tickets",
	    NULL, CLI_DBOPT | CLI_OUTPUT },
	{ "rate", cmd_rate, "ID SCORE", "record the customer's rating, 1 "
	    "to 5", rate_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "delete", cmd_delete, "ID...", "delete tickets and their comments",
	    NULL, CLI_DBOPT },
	{ "merge", ticket_merge, "KEEP OTHER...", "merge tickets into KEEP "
	    "and close the others", NULL, CLI_DBOPT | CLI_OUTPUT },
	{ "kb", ticket_kb, "add|list|show|edit|delete|search [ARG...]",
	    "the knowledge base: articles and their search", ticket_kb_opts,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "suggest", ticket_suggest, "ID", "the articles that fit a ticket, "
	    "best first", ticket_suggest_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "ingest", ticket_ingest, NULL, "file a mail from stdin (or "
	    "--mbox) as a ticket or a reply", ticket_ingest_opts,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "sla", ticket_sla, "set|list|show|delete [PRIORITY]", "SLA "
	    "policies: response and resolution targets", ticket_sla_opts,
	    CLI_DBOPT | CLI_OUTPUT },
	{ "calendar", ticket_calendar, "set|holiday|list|show|delete "
	    "[ARG...]", "business calendars for SLA "
	    "policies", ticket_calendar_opts, CLI_DBOPT | CLI_OUTPUT },
	{ "escalate", ticket_escalate, NULL, "raise or reassign tickets "
	    "whose SLA targets breached", ticket_escalate_opts,
	    CLI_DBOPT | CLI_OUTPUT },
	{ NULL, NULL, NULL, NULL, NULL, 0 }
};

static const struct cli_prog prog = {
	"crm-ticket",
	"Helpdesk tickets: open, comment, assign, resolve, close, rate.",
	verbs,
	values,
};

int
main(int argc, char **argv)
{
	return cli_main(&prog, argc, argv);
}
