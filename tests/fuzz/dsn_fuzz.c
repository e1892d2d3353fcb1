/*
 * Delivery status notifications (lib/dsn.c): the whole message, from a
 * buffer of exactly its size.  Every string must be valid UTF-8 and the
 * diagnostic one line of at most CRM_DSN_DIAG bytes, as crm_dsn.h
 * promises; hard only for failed 5.x.x.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm_dsn.h"
#include "crm_error.h"
#include "crm_stream.h"

static void
utf8(const char *s, const char *what)
{
	if (s != NULL && !crm_utf8_check(s, strlen(s), NULL)) {
		fprintf(stderr, "%s is not UTF-8\n", what);
		abort();
	}
}

static void
check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "%s\n", what);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_dsn d;
	struct crm_error *err;
	const struct crm_dsn_rcpt *r;
	const char *g;
	size_t i, j;

	err = crm_dsn_parse((const char *)data, size, &d);
	check(d.is_dsn || (d.n == 0 && err == NULL), "not a DSN with results");
	check(d.n <= CRM_DSN_RCPTS, "too many recipients");
	utf8(d.message_id, "message_id");
	for (i = 0; i < d.n; i++) {
		r = &d.rcpt[i];
		utf8(r->email, "email");
		utf8(r->original, "original");
		utf8(r->diagnostic, "diagnostic");
		check(strlen(r->status) < CRM_DSN_STATUS, "status too long");
		check(!r->hard || (r->status[0] == '5' && r->action != NULL &&
		    strcmp(r->action, "failed") == 0), "hard but not failed 5");
		if ((g = r->diagnostic) == NULL)
			continue;
		check(strlen(g) <= CRM_DSN_DIAG, "diagnostic too long");
		for (j = 0; g[j] != '\0'; j++)
			check((unsigned char)g[j] >= 0x20 && g[j] != 0x7f,
			    "control character in diagnostic");
	}
	crm_dsn_free(&d);
	crm_error_free(err);
	return 0;
}
