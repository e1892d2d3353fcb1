/*
 * Incoming mail (lib/mime.c, lib/mime_text.c): the whole message, then
 * the same bytes through each decoder on its own.  Every string of the
 * parsed message must be valid UTF-8, as crm_mime.h promises.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm_mime.h"
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
message(const char *s, size_t n)
{
	struct crm_mime_msg m;
	size_t i;

	crm_mime_parse(s, n, &m);
	utf8(m.subject, "subject");
	utf8(m.from_name, "from_name");
	utf8(m.from_addr, "from_addr");
	utf8(m.message_id, "message_id");
	utf8(m.in_reply_to, "in_reply_to");
	utf8(m.date, "date");
	utf8(m.body, "body");
	utf8(m.text, "text");
	utf8(m.enclosed_id, "enclosed_id");
	for (i = 0; i < m.natt; i++)
		utf8(m.att[i].name, "attachment name");
	for (i = 0; i < m.references.n; i++)
		utf8(m.references.v[i], "a reference");
	for (i = 0; i < m.problems.n; i++)
		utf8(m.problems.v[i], "a problem");
	crm_mime_msg_release(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_buf a = CRM_BUF_INIT, b = CRM_BUF_INIT;
	const char *s;
	char *z, *q;

	z = malloc(size + 1);
	memcpy(z, data, size);
	z[size] = '\0';
	s = z;
	message(s, size);
	crm_mime_qp_decode(s, size, &a);
	crm_mime_b64_decode(s, size, &a);
	crm_buf_reset(&a);
	crm_mime_words(s, size, &a);
	crm_buf_reset(&a);
	crm_mime_to_utf8("iso-2022-jp", s, size, &a);
	crm_mime_to_utf8("windows-1252", s, size, &a);
	crm_mime_html_text(s, size, &a);
	crm_buf_reset(&a);
	(void)crm_mime_param(z, "filename", &a);
	(void)crm_mime_address(z, &a, &b);
	if ((q = crm_mime_strip_quotes(z)) != NULL)
		free(q);
	crm_buf_release(&a);
	crm_buf_release(&b);
	free(z);
	return 0;
}
