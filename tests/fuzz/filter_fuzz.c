/*
 * The filter language (lib/filter*.c): the input is a --where expression,
 * then a --sort list, run through the list of contacts, tickets, deals and
 * knowledge-base articles on a database empty but for three segments
 * (a static one, and dynamic ones naming others), so that "segment = c"
 * expands.  A filter that compiles must also run: any error but a usage
 * error is a bug (bad SQL).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crm_contact.h"
#include "crm_deal.h"
#include "crm_kb.h"
#include "crm_segment.h"
#include "crm_ticket.h"

static struct crm_db *db;
static char dir[] = "/tmp/crm-fuzz.XXXXXX";
static char path[64];

static void
cleanup(void)
{
	crm_db_close(db);
	unlink(path);
	rmdir(dir);
}

static int
stop(const cJSON *rec, void *arg)
{
	return 1;
}

static void
check(struct crm_error *err, const char *what, const char *s)
{
	if (err == NULL)
		return;
	if (err->code != CRM_EXIT_USAGE) {
		fprintf(stderr, "%s \"%s\": %s\n", what, s, err->msg);
		abort();
	}
	crm_error_free(err);
}

static void
list(const char *where, const char *sort)
{
	struct crm_contact_query cq = { where, sort, 0 };
	struct crm_ticket_query tq = { where, sort, 0 };
	struct crm_deal_query dq = { where, sort, 0, NULL };
	struct crm_kb_query kq = { where, sort, 0 };
	const char *s = where != NULL ? where : sort;

	check(crm_contact_list(db, &cq, stop, NULL), "contacts", s);
	check(crm_ticket_list(db, &tq, stop, NULL), "tickets", s);
	check(crm_deal_list(db, &dq, stop, NULL), "deals", s);
	dq.as_of = "2026-11-22T12:00:00Z";
	check(crm_deal_list(db, &dq, stop, NULL), "deals as of", s);
	check(crm_kb_list(db, &kq, stop, NULL), "kb", s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_error *err;
	sqlite3_int64 id;
	char *s;

	if (db == NULL) {
		setenv("CRM_NOW", "2026-11-22T12:00:00Z", 1);
		if (mkdtemp(dir) == NULL)
			abort();
		snprintf(path, sizeof(path), "%s/crm.db", dir);
		if ((err = crm_db_open(path, CRM_DB_WRITE, &db)) != NULL) {
			fprintf(stderr, "%s\n", err->msg);
			abort();
		}
		atexit(cleanup);
		if ((err = crm_segment_create(db, "a", NULL, NULL,
		    &id)) != NULL ||
		    (err = crm_segment_create(db, "b", "tag = vip or "
		    "fields.x > 3", NULL, &id)) != NULL ||
		    (err = crm_segment_create(db, "c", "segment = a and not "
		    "segment in (b, a)", NULL, &id)) != NULL) {
			fprintf(stderr, "%s\n", err->msg);
			abort();
		}
	}
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	list(s, NULL);
	list(NULL, s);
	free(s);
	return 0;
}
