/*
 * crm-ticket reply: answer the customer of a ticket by mail, over SMTP
 * (lib/smtp.c), and keep the answer as a public comment with its
 * Message-ID.
 *
 * The order is what keeps a reply from being lost or sent twice:
 *   1. everything that can refuse does so before connecting: the ticket
 *      is not closed, its contact has an email, there is a From, the
 *      SMTP settings are sound, the message composes;
 *   2. the message is sent; a failure stores nothing (exit 75 for a
 *      4xx or no connection, 1 for a 5xx), so running again is safe;
 *   3. once the server accepted it, the comment is stored in one
 *      transaction.  Should that fail, the mail is out: the error says
 *      so with its Message-ID, and the status is 1, never 75, since a
 *      retry would send it again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "crm_config.h"
#include "crm_contact.h"
#include "crm_mail.h"
#include "crm_record.h"
#include "crm_smtp.h"
#include "crm_ticket.h"
#include "crm_util.h"
#include "cli.h"
#include "ticket.h"

enum { O_BODY = 300, O_FROM, O_DRY_RUN, O_VERBOSE };

/* The oldest msg-id is kept, then the newest: enough to thread. */
#define REFS_MAX 20

const struct cli_opt ticket_reply_opts[] = {
	{ "body", O_BODY, "TEXT", "the reply; - (or no --body) reads stdin" },
	{ "from", O_FROM, "ADDR", "the sender, \"Name <email>\" (default: "
	    "the config key from)" },
	{ "dry-run", O_DRY_RUN, NULL, "print the message, send and store "
	    "nothing" },
	{ "verbose", O_VERBOSE, NULL, "show the SMTP conversation on stderr "
	    "(AUTH hidden)" },
	CLI_OPT_END
};

struct reply {
	sqlite3_int64	 id;
	cJSON		*ticket;	/* with its thread */
	cJSON		*contact;
	char		*from_name, *from_email;
	char		*subject;
	struct crm_strv	 refs;
	char		*msg, *msgid;
};

static const char *
str(const cJSON *rec, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The ticket's Message-ID and its public comments', deduplicated. */
static void
thread_ids(struct reply *r)
{
	const cJSON *c, *comments;
	char id[1000];
	const char *s;

	if ((s = str(r->ticket, "message_id")) != NULL &&
	    crm_mail_msgid(s, id, sizeof(id)) == 0)
		crm_strv_push(&r->refs, id);
	comments = cJSON_GetObjectItemCaseSensitive(r->ticket, "comments");
	cJSON_ArrayForEach(c, comments) {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c,
		    "internal")) || (s = str(c, "message_id")) == NULL ||
		    crm_mail_msgid(s, id, sizeof(id)) != 0 ||
		    crm_strv_has(&r->refs, id))
			continue;
		crm_strv_push(&r->refs, id);
	}
	/* The list's NULL moves down with it. */
	while (r->refs.n > REFS_MAX) {
		free(r->refs.v[1]);
		memmove(r->refs.v + 1, r->refs.v + 2,
		    (r->refs.n - 1) * sizeof(*r->refs.v));
		r->refs.n--;
	}
}

/* "Re: SUBJECT [#ID]", without a second "Re:" or token. */
static char *
reply_subject(const char *subject, sqlite3_int64 id)
{
	struct crm_buf b = CRM_BUF_INIT;
	char token[32];

	snprintf(token, sizeof(token), "[#%lld]", (long long)id);
	if (strncasecmp(subject, "re:", 3) != 0)
		crm_buf_adds(&b, "Re: ");
	crm_buf_adds(&b, subject);
	if (strstr(subject, token) == NULL)
		crm_buf_addf(&b, " %s", token);
	return crm_buf_detach(&b);
}

/* Load what the reply needs and refuse what cannot be sent. */
static struct crm_error *
load(struct cli *cli, struct reply *r)
{
	struct crm_error *err;
	const cJSON *cid;
	const char *email;

	if ((err = crm_ticket_get(cli->db, r->id, 1, &r->ticket)) != NULL)
		return err;
	if (strcmp(str(r->ticket, "status"), "closed") == 0)
		return crm_error_new(CRM_EXIT_FAIL, "ticket %lld is closed "
		    "(reopen it to reply)", (long long)r->id);
	cid = cJSON_GetObjectItemCaseSensitive(r->ticket, "contact_id");
	if (!cJSON_IsNumber(cid))
		return crm_error_new(CRM_EXIT_FAIL, "ticket %lld has no "
		    "contact to reply to", (long long)r->id);
	if ((err = crm_contact_get(cli->db, (sqlite3_int64)cid->valuedouble,
	    &r->contact)) != NULL)
		return err;
	email = str(r->contact, "email");
	if (email == NULL || *email == '\0')
		return crm_error_new(CRM_EXIT_FAIL, "ticket %lld: contact %lld "
		    "has no email", (long long)r->id,
		    (long long)cid->valuedouble);
	r->subject = reply_subject(str(r->ticket, "subject"), r->id);
	thread_ids(r);
	return NULL;
}

static struct crm_error *
compose(struct reply *r, const char *from, const char *body)
{
	struct crm_mail_addr to;
	struct crm_mail m = { { NULL, NULL }, &to, 1, NULL, NULL, NULL, NULL,
	    NULL, 0, NULL, 0, NULL, 0, NULL };
	struct crm_error *err;

	if (from == NULL || *from == '\0')
		return crm_error_new(CRM_EXIT_USAGE, "no sender: use --from "
		    "or set CRM_FROM or the config key from");
	if ((err = crm_mail_addr_parse(from, &r->from_name,
	    &r->from_email)) != NULL)
		return crm_error_prefix(err, "--from");
	to.name = str(r->contact, "name");
	to.email = str(r->contact, "email");
	m.from.name = r->from_name;
	m.from.email = r->from_email;
	m.subject = r->subject;
	m.text = body;
	m.references = (const char *const *)r->refs.v;
	m.nreferences = r->refs.n;
	m.in_reply_to = r->refs.n > 0 ? r->refs.v[r->refs.n - 1] : NULL;
	m.domain = crm_config_get("mail_domain", NULL, NULL);
	return crm_mail_compose(&m, &r->msg, &r->msgid);
}

static void
trace(const char *line, void *arg)
{
	fprintf(stderr, "%s\n", line);
}

static struct crm_error *
deliver(struct reply *r, int verbose)
{
	struct crm_smtp_conf c;
	struct crm_smtp *s = NULL;
	struct crm_error *err;
	const char *rcpt = str(r->contact, "email"), *s_from;
	char *name = NULL, *sender = NULL;

	if ((err = crm_smtp_conf_load(&c)) != NULL)
		return err;
	if (verbose)
		c.trace = trace;
	if ((s_from = crm_config_get("mail_from", NULL, NULL)) != NULL &&
	    (err = crm_mail_addr_parse(s_from, &name, &sender)) != NULL)
		return crm_error_prefix(err, "mail_from");
	if ((err = crm_smtp_new(&c, &s)) == NULL)
		err = crm_smtp_send(s, sender ? sender : r->from_email, &rcpt,
		    1, r->msg);
	crm_smtp_free(s);
	free(name);
	free(sender);
	return err;
}

/* After the send: the comment, in one transaction. */
static struct crm_error *
store(struct cli *cli, struct reply *r, const char *body,
    sqlite3_int64 *cid)
{
	struct crm_ticket_note n = { body, 0, 0, r->msgid };
	struct crm_error *err;

	if ((err = crm_db_begin(cli->db)) == NULL) {
		if ((err = crm_ticket_note(cli->db, r->id, &n, cid)) ==
		    NULL && (err = crm_db_commit(cli->db)) == NULL)
			return NULL;
		crm_db_rollback(cli->db);
	}
	/* Sent but not kept: loud, and never "retry" (75). */
	err = crm_error_prefix(err, "ticket %lld: the reply was sent as %s "
	    "but not stored (do not send it again; record it with "
	    "crm-ticket comment %lld)", (long long)r->id, r->msgid,
	    (long long)r->id);
	err->code = CRM_EXIT_FAIL;
	return err;
}

/* The message as it would go, with the line ends of a text file. */
static struct crm_error *
print_message(const char *msg)
{
	const char *p;

	for (p = msg; *p != '\0'; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			putchar(*p);
	return NULL;
}

static struct crm_error *
print_comment(struct cli *cli, sqlite3_int64 cid)
{
	const char *const *known = crm_ticket_comment_columns;
	struct crm_error *err;
	struct crm_out *out = NULL;
	cJSON *rec = NULL;

	if ((err = crm_ticket_comment_get(cli->db, cid, &rec)) == NULL &&
	    (err = cli_out(cli, known, known, known, &out)) == NULL &&
	    (err = crm_out_write(out, rec)) == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	cJSON_Delete(rec);
	return err;
}

static void
reply_release(struct reply *r)
{
	cJSON_Delete(r->ticket);
	cJSON_Delete(r->contact);
	free(r->from_name);
	free(r->from_email);
	free(r->subject);
	crm_strv_clear(&r->refs);
	free(r->msg);
	free(r->msgid);
}

int
ticket_reply(struct cli *cli, int argc, char **argv)
{
	struct reply r = { 0 };
	struct crm_error *err;
	sqlite3_int64 cid = 0;
	const char *arg, *body_arg = NULL, *from = NULL;
	char *body = NULL;
	int c, ind, dry_run = 0, verbose = 0;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		switch (c) {
		case O_BODY: body_arg = arg; break;
		case O_FROM: from = arg; break;
		case O_DRY_RUN: dry_run = 1; break;
		default: verbose = 1; break;
		}
	}
	if (argc - ind != 1)
		cli_usage_error(cli, argc == ind ? "no ticket given" :
		    "one ticket at a time");
	/* Refused here, not after the mail went out by crm_ticket_note. */
	if ((err = ticket_body(cli, body_arg, 1, &body)) == NULL &&
	    (body == NULL || body[strspn(body, " \t\r\n")] == '\0'))
		err = crm_error_new(CRM_EXIT_USAGE, "the reply is empty");
	if (err == NULL &&
	    (err = cli_db(cli, dry_run ? CRM_DB_READ : CRM_DB_WRITE)) ==
	    NULL && (err = crm_ticket_resolve(cli->db, argv[ind], &r.id)) ==
	    NULL && (err = load(cli, &r)) == NULL &&
	    (err = compose(&r, crm_config_get("from", from, NULL), body)) ==
	    NULL) {
		if (dry_run)
			err = print_message(r.msg);
		else if ((err = deliver(&r, verbose)) == NULL &&
		    (err = store(cli, &r, body, &cid)) == NULL)
			err = print_comment(cli, cid);
	}
	reply_release(&r);
	free(body);
	return cli_error(cli, err);
}
