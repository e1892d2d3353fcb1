/*
 * Email addresses (crm_email_normalize, lib/email.c): an accepted address
 * fits, holds no control characters, is valid UTF-8 and normalises to
 * itself.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm_email.h"
#include "crm_stream.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[CRM_EMAIL_MAX], again[CRM_EMAIL_MAX], small[8];
	const char *why;
	size_t i, n;
	char *s;

	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	if (crm_email_normalize(s, out, sizeof(out), &why) == 0) {
		n = strlen(out);
		if (n > 254 || !crm_utf8_check(out, n, NULL))
			abort();
		for (i = 0; i < n; i++)
			if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
				abort();
		if (crm_email_normalize(out, again, sizeof(again), &why) != 0 ||
		    strcmp(out, again) != 0) {
			fprintf(stderr, "\"%s\" -> \"%s\"\n", s, out);
			abort();
		}
	} else if (why == NULL)
		abort();
	(void)crm_email_normalize(s, small, sizeof(small), NULL);
	free(s);
	return 0;
}
