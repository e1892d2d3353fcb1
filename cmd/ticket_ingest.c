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

/* Add a line to msg, keeping at most CRM_MIME_MAX bytes; count all. */
static void
add_line(struct crm_buf *msg, size_t *total, const char *line, size_t n)
{
	*total += n;
	if (msg->len < CRM_MIME_MAX)
		crm_buf_add(msg, line, msg->len + n > CRM_MIME_MAX ?
		    CRM_MIME_MAX - msg->len : n);
}

/* The messages of an mbox: "From " lines after a blank line split. */
static struct crm_error *
read_mbox(struct ingest *in, FILE *fp, const char *name)
{
	struct crm_buf msg = CRM_BUF_INIT;
	char *line = NULL;
	size_t cap = 0, total = 0;
	ssize_t n;
	int blank = 1, started = 0;
	const char *p;

	while ((n = getline(&line, &cap, fp)) > 0) {
		if (blank && strncmp(line, "From ", 5) == 0) {
			if (started && total > 0)
				one(in, crm_buf_str(&msg), msg.len, total);
			crm_buf_reset(&msg);
			total = 0;
			started = 1;
			blank = 0;
			continue;
		}
		blank = line[0] == '\n' || (line[0] == '\r' && line[1] == '\n');
		/* mboxrd: ">From " stands for "From ", ">>From " for
		 * ">From ". */
		for (p = line; *p == '>'; p++)
			;
		p = p > line && strncmp(p, "From ", 5) == 0 ? line + 1 : line;
		started = 1;
		add_line(&msg, &total, p, (size_t)n - (size_t)(p - line));
	}
	if (started && total > 0)
		one(in, crm_buf_str(&msg), msg.len, total);
	free(line);
	crm_buf_release(&msg);
	if (ferror(fp))
		return crm_error_new(CRM_EXIT_TEMPFAIL, "%s: %s", name,
		    strerror(errno));
	return NULL;
}

/* One message on stdin: the first CRM_MIME_MAX bytes, all counted. */
static struct crm_error *
read_one(struct ingest *in)
{
	struct crm_buf msg = CRM_BUF_INIT;
	struct crm_error *err = NULL;
	char chunk[65536];
	size_t n, total = 0;

	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		add_line(&msg, &total, chunk, n);
	if (ferror(stdin))
		err = crm_error_new(CRM_EXIT_TEMPFAIL, "stdin: %s",
		    strerror(errno));
	else if (total == 0)
		err = crm_error_new(CRM_EXIT_FAIL, "stdin: no message");
	else
		one(in, crm_buf_str(&msg), msg.len, total);
	crm_buf_release(&msg);
	return err;
}

static struct crm_error *
run(struct ingest *in, const char *mbox)
{
	struct crm_error *err;
	FILE *fp;

	if (mbox == NULL)
		return read_one(in);
	if (strcmp(mbox, "-") == 0)
		return read_mbox(in, stdin, "stdin");
	if ((fp = fopen(mbox, "r")) == NULL)
		return crm_error_new(CRM_EXIT_FAIL, "%s: %s", mbox,
		    strerror(errno));
	err = read_mbox(in, fp, mbox);
	fclose(fp);
	return err;
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
	if ((err = run(&in, mbox)) != NULL)
		fail(&in, err, 0);
	if ((err = crm_out_finish(in.out)) != NULL)
		fail(&in, err, 0);
	crm_out_free(in.out);
	return in.status;
}
