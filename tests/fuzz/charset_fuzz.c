/*
 * Character sets (crm_charset_to_utf8, lib/charset.c): cp1252 and latin1
 * text always comes out as valid UTF-8 (up to a byte cp1252 leaves
 * undefined); UTF-8 is copied as it is.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm_charset.h"
#include "crm_stream.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum crm_charset cs[] = {
		CRM_CS_UTF8, CRM_CS_CP1252, CRM_CS_LATIN1
	};
	struct crm_buf out = CRM_BUF_INIT;
	enum crm_charset named;
	size_t i, bad;
	char name[32];
	int rc;

	for (i = 0; i < 3; i++) {
		crm_buf_reset(&out);
		bad = (size_t)-1;
		rc = crm_charset_to_utf8(cs[i], (const char *)data, size,
		    &out, &bad);
		if (cs[i] == CRM_CS_UTF8 && (rc != 0 || out.len != size ||
		    (size > 0 && memcmp(out.buf, data, size) != 0)))
			abort();
		if (cs[i] != CRM_CS_UTF8 &&
		    !crm_utf8_check(crm_buf_str(&out), out.len, NULL))
			abort();
		if (rc != 0 && (cs[i] != CRM_CS_CP1252 || bad >= size))
			abort();
		if (cs[i] == CRM_CS_LATIN1 && rc != 0)
			abort();
	}
	crm_buf_release(&out);
	i = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
	memcpy(name, data, i);
	name[i] = '\0';
	if (crm_charset_parse(name, &named) == 0)
		(void)crm_charset_name(named);
	return 0;
}
