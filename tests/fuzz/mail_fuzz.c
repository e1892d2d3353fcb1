/*
 * Mail out (lib/mail.c, lib/mail_header.c): the input is the display
 * name, address, subject and text of a message, NUL-separated.  Composed
 * or refused, never half: a message made has CRLF line ends only (no
 * header injection), no line over 998 octets, and a valid Message-ID.
 * The address parser and crm_mail_msgid see the whole input too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm_mail.h"

static void
check(const char *msg, const char *id)
{
	char out[256];
	size_t col = 0;
	const char *p;

	for (p = msg; *p != '\0'; p++) {
		if ((*p == '\r' && p[1] != '\n') ||
		    (*p == '\n' && (p == msg || p[-1] != '\r'))) {
			fprintf(stderr, "bare CR or LF at %zu\n",
			    (size_t)(p - msg));
			abort();
		}
		col = *p == '\n' ? 0 : col + 1;
		if (col > 999)
			abort();
	}
	if (crm_mail_msgid(id, out, sizeof(out)) != 0 || strcmp(out, id))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_mail_addr to = { "Ada", "ada@example.org" };
	const char *f[4] = { "", "bob@example.org", "hi", "text" };
	struct crm_mail m = { 0 };
	struct crm_error *err;
	char *s, *p, *name, *email, *msg, *id, out[128];
	size_t i;

	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	if ((err = crm_mail_addr_parse(s, &name, &email)) == NULL) {
		free(name);
		free(email);
	}
	crm_error_free(err);
	(void)crm_mail_msgid(s, out, sizeof(out));
	for (i = 0, p = s; i < 4 && p <= s + size; i++, p += strlen(p) + 1)
		f[i] = p;
	m.from.name = *f[0] != '\0' ? f[0] : NULL;
	m.from.email = f[1];
	m.to = &to;
	m.nto = 1;
	m.subject = f[2];
	m.text = f[3];
	m.date = 1795348800;
	if ((err = crm_mail_compose(&m, &msg, &id)) == NULL) {
		check(msg, id);
		free(msg);
		free(id);
	}
	crm_error_free(err);
	free(s);
	return 0;
}
