/*
 * crm-ticket ingest: mail in.  One message on stdin, as a mail server's
 * pipe delivery hands it over, or every message of an mbox file; each
 * is one transaction (lib/ticket_ingest.c).  Exit 75 tells the mail
 * server to retry; a message that does not parse is still filed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "crm_mime.h"
#include "crm_record.h"
#include "crm_ticket.h"
#include "crm_ticket_ingest.h"
#include "crm_util.h"
#include "cli.h"
#include "ticket.h"

enum { O_QUEUE = 300, O_PRIORITY, O_MBOX, O_DRY_RUN };

const struct cli_opt ticket_ingest_opts[] = {
	{ "queue", O_QUEUE, "QUEUE", "the queue of new tickets" },
	{ "priority", O_PRIORITY, "PRIORITY", "the priority of new tickets: "
	    "low, normal (default), high or urgent" },
	{ "mbox", O_MBOX, "FILE", "every message of an mbox file (- for "
	    "stdin), a line each" },
	{ "dry-run", O_DRY_RUN, NULL, "print what each message parses to; "
	    "write nothing" },
	CLI_OPT_END
};

static const char *const preview_fields[] = {
	"message_id", "from_name", "from_addr", "subject", "date",
	"in_reply_to", "references", "content_type", "bounce",
	"enclosed_id", "body_type", "body",
	"text", "attachments", "problems", "severe", "size", "truncated",
	NULL
};

static const char *const preview_table[] = {
	"message_id", "from_addr", "subject", "body_type", "severe", NULL
};

static const char *const mbox_fields[] = {
	"message", "message_id", "action", "ticket_id", "comment_id", NULL
};

struct ingest {
	struct cli		*cli;
	struct crm_ingest_opts	 o;
	struct crm_out		*out;
	int			 mbox, dry_run;
	long			 n;		/* messages seen */
	int			 status;	/* 75 wins over 1 */
};

/* Report err; of_message: about the current message of an mbox. */
static void
fail(struct ingest *in, struct crm_error *err, int of_message)
{
	if (in->mbox && of_message)
		err = crm_error_prefix(err, "message %ld", in->n);
	if (err->code == CRM_EXIT_TEMPFAIL || in->status == 0)
		in->status = err->code;
	cli_error(in->cli, err);
}

static struct crm_error *
print_result(struct ingest *in, const struct crm_ingest_result *r)
{
	struct crm_error *err;
	cJSON *rec;

	if (!in->mbox) {
		if ((err = crm_ticket_get(in->cli->db, r->ticket_id, 0,
		    &rec)) != NULL)
			return err;
	} else {
		rec = cJSON_CreateObject();
		cJSON_AddNumberToObject(rec, "message", (double)in->n);
		cJSON_AddStringToObject(rec, "message_id", r->message_id);
		cJSON_AddStringToObject(rec, "action", r->action);
		cJSON_AddNumberToObject(rec, "ticket_id",
		    (double)r->ticket_id);
		cJSON_AddItemToObject(rec, "comment_id", r->comment_id ?
		    cJSON_CreateNumber((double)r->comment_id) :
		    cJSON_CreateNull());
	}
	err = crm_out_write(in->out, rec);
	cJSON_Delete(rec);
	return err;
}

/* One message: filed in its own transaction, then printed. */
static void
one(struct ingest *in, const char *raw, size_t len, size_t total)
{
	struct crm_ingest_result r;
	struct crm_error *err;
	struct crm_db *db = in->cli->db;
	cJSON *rec;
	size_t i;

	in->n++;
	if (in->dry_run) {
		rec = crm_ticket_ingest_preview(raw, len, total);
		if ((err = crm_out_write(in->out, rec)) != NULL)
			fail(in, err, 1);
		cJSON_Delete(rec);
		return;
	}
	if ((err = crm_db_begin(db)) != NULL) {
		fail(in, crm_ticket_ingest_retry(db, err), 1);
		return;
	}
	if ((err = crm_ticket_ingest(db, raw, len, total, &in->o, &r)) !=
	    NULL || (err = crm_ticket_ingest_retry(db, crm_db_commit(db))) !=
	    NULL) {
		crm_db_rollback(db);
		fail(in, err, 1);
		crm_ingest_result_release(&r);
		return;
	}
	for (i = 0; i < r.notes.n; i++)
		fprintf(stderr, "%s: %s\n", in->cli->prog->name, r.notes.v[i]);
	if (strcmp(r.action, "duplicate") == 0)
		fprintf(stderr, "%s: message %s already ingested (ticket "
		    "%lld)\n", in->cli->prog->name, r.message_id,
		    (long long)r.ticket_id);
	if ((err = print_result(in, &r)) != NULL)
		fail(in, err, 1);
	crm_ingest_result_release(&r);
}

static void
one_message(const char *raw, size_t len, size_t total, void *arg)
{
	one(arg, raw, len, total);
}

int
ticket_ingest(struct cli *cli, int argc, char **argv)
{
	struct ingest in = { 0 };
	struct crm_error *err;
	const char *arg, *mbox = NULL;
	int c, ind;

	in.cli = cli;
	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		switch (c) {
		case O_QUEUE: in.o.queue = arg; break;
		case O_PRIORITY: in.o.priority = arg; break;
		case O_MBOX: mbox = arg; break;
		default: in.dry_run = 1; break;
		}
	}
	if (ind < argc)
		cli_usage_error(cli, "unexpected argument \"%s\" (the message "
		    "comes on stdin)", argv[ind]);
	if ((mbox == NULL || strcmp(mbox, "-") == 0) && isatty(0))
		cli_usage_error(cli, "no message (pipe one in, or use --mbox "
		    "FILE)");
	in.mbox = mbox != NULL;
	/* A pipe delivery names the envelope sender here. */
	in.o.sender = getenv("SENDER");
	if (in.o.priority != NULL && strcmp(in.o.priority, "low") != 0 &&
	    strcmp(in.o.priority, "normal") != 0 &&
	    strcmp(in.o.priority, "high") != 0 &&
	    strcmp(in.o.priority, "urgent") != 0)
		cli_usage_error(cli, "--priority: unknown priority \"%s\" (use "
		    "low, normal, high or urgent)", in.o.priority);
	if ((!in.dry_run && (err = crm_ticket_ingest_retry(cli->db,
	    cli_db(cli, CRM_DB_WRITE))) != NULL) ||
	    (err = cli_out(cli, in.dry_run ? preview_fields : in.mbox ?
	    mbox_fields : crm_ticket_columns, in.dry_run ? preview_fields :
	    in.mbox ? mbox_fields : crm_ticket_columns, in.dry_run ?
	    preview_table : in.mbox ? mbox_fields : crm_ticket_table_columns,
	    &in.out)) != NULL)
		return cli_error(cli, err);
	if ((err = cli_read_messages(mbox, CRM_MIME_MAX, one_message,
	    &in)) != NULL)
		fail(&in, err, 0);
	if ((err = crm_out_finish(in.out)) != NULL)
		fail(&in, err, 0);
	crm_out_free(in.out);
	return in.status;
}
