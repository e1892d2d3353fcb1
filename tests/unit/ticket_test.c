/*
 * The ticket lifecycle through the library: open (a new contact for an
 * unknown email), the first response, the status rules and their exit
 * codes, the rating, and the events with their contact_id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crm_db.h"
#include "crm_ticket.h"
#include "tap.h"

/* The code of err (0 for NULL), freeing it. */
static int
code(struct crm_error *err)
{
	int c = err ? err->code : 0;

	crm_error_free(err);
	return c;
}

/* The message of err ("" for NULL), into a static buffer, freeing it. */
static const char *
msg(struct crm_error *err)
{
	static char buf[200];

	snprintf(buf, sizeof(buf), "%s", err ? err->msg : "");
	crm_error_free(err);
	return buf;
}

/* Field name of ticket id as text ("null" for null). */
static const char *
field(struct crm_db *db, sqlite3_int64 id, const char *name)
{
	static char buf[100];
	cJSON *rec, *v;

	if (code(crm_ticket_get(db, id, 0, &rec)) != 0)
		return "error";
	v = cJSON_GetObjectItem(rec, name);
	if (cJSON_IsString(v))
		snprintf(buf, sizeof(buf), "%s", v->valuestring);
	else if (cJSON_IsNumber(v))
		snprintf(buf, sizeof(buf), "%d", v->valueint);
	else
		snprintf(buf, sizeof(buf), "null");
	cJSON_Delete(rec);
	return buf;
}

static void
lifecycle(struct crm_db *db)
{
	struct crm_ticket_new t = { "ada@example.org", "Printer", "It burns",
	    "high", "support", "email", NULL, NULL };
	sqlite3_int64 id = 0, cid = 0;
	cJSON *rec;

	ok(crm_ticket_open(db, &t, &id) == NULL && id == 1,
	    "open for an unknown email");
	is_str(field(db, 1, "contact"), "ada@example.org",
	    "the contact was added");
	is_str(field(db, 1, "status"), "new", "it starts new");
	is_int(code(crm_ticket_comment(db, 1, "note", 1, &cid)), 0,
	    "an internal note");
	is_str(field(db, 1, "first_response_at"), "null",
	    "a note is no response");
	is_int(code(crm_ticket_comment(db, 1, "hi", 0, &cid)), 0, "a reply");
	is_str(field(db, 1, "first_response_at"), "2026-11-22T12:00:00Z",
	    "a reply is the first response");
	is_str(field(db, 1, "status"), "open", "and opens a new ticket");
	ok(crm_ticket_get(db, 1, 1, &rec) == NULL &&
	    cJSON_GetArraySize(cJSON_GetObjectItem(rec, "comments")) == 3,
	    "the thread: the request, the note, the reply");
	cJSON_Delete(rec);

	is_str(msg(crm_ticket_rate(db, 1, 5, NULL)), "ticket 1 is open: only "
	    "resolved or closed tickets take a rating", "no rating while open");
	is_int(code(crm_ticket_rate(db, 1, 9, NULL)), CRM_EXIT_USAGE,
	    "a score out of range is a usage error");
	is_int(code(crm_ticket_status(db, 1, "new", NULL)), CRM_EXIT_USAGE,
	    "no way back to new");
	is_int(code(crm_ticket_status(db, 1, "closed", NULL)), 0, "close");
	is_str(field(db, 1, "resolved_at"), "2026-11-22T12:00:00Z",
	    "closing resolves");
	is_str(msg(crm_ticket_comment(db, 1, "x", 0, NULL)),
	    "ticket 1 is closed: reopen it first", "closed takes no comment");
	is_int(code(crm_ticket_status(db, 1, "open", NULL)), CRM_EXIT_FAIL,
	    "closed leaves only by reopen");
	is_int(code(crm_ticket_rate(db, 1, 4, "ok")), 0, "rate closed");
	is_str(field(db, 1, "csat"), "4", "the score");
	is_int(code(crm_ticket_reopen(db, 1)), 0, "reopen");
	is_str(field(db, 1, "closed_at"), "null", "closed_at cleared");
	is_int(code(crm_ticket_reopen(db, 1)), CRM_EXIT_FAIL,
	    "an open ticket does not reopen");
	is_int(code(crm_ticket_delete(db, 1)), 0, "delete");
	is_int(code(crm_ticket_resolve(db, "1", &id)), CRM_EXIT_FAIL,
	    "it is gone");
}

int
main(void)
{
	char path[] = "/tmp/ticket_test.XXXXXX";
	struct crm_db *db = NULL;
	int fd;

	setenv("CRM_NOW", "2026-11-22T12:00:00Z", 1);
	setenv("CRM_USER", "tester", 1);
	if ((fd = mkstemp(path)) < 0)
		return 1;
	close(fd);
	ok(crm_db_open(path, CRM_DB_WRITE, &db) == NULL, "open a database");
	if (db != NULL) {
		lifecycle(db);
		crm_db_close(db);
	}
	unlink(path);
	return done_testing();
}
