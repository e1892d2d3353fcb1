/* Windows-1252 and ISO-8859-1 to UTF-8 (lib/charset.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm_charset.h"
#include "crm_stream.h"
#include "crm_util.h"
#include "tap.h"

/* s converted from cs, or "! BAD@N" when byte N is undefined. */
static const char *
conv(enum crm_charset cs, const char *s, size_t n)
{
	static char out[1024];
	struct crm_buf b = CRM_BUF_INIT;
	size_t bad;

	if (crm_charset_to_utf8(cs, s, n, &b, &bad) != 0)
		snprintf(out, sizeof(out), "! %s@%zu", crm_buf_str(&b), bad);
	else
		snprintf(out, sizeof(out), "%s", crm_buf_str(&b));
	crm_buf_release(&b);
	return out;
}

/* A literal, NULs and all. */
#define CONV(cs, lit) conv((cs), (lit), sizeof(lit) - 1)

/* Every byte of cs: valid UTF-8 out, or one of the undefined five. */
static void
all_bytes(enum crm_charset cs, const char *name)
{
	struct crm_buf b = CRM_BUF_INIT;
	char c;
	int i, undefined = 0, valid = 1;

	for (i = 1; i < 256; i++) {
		c = (char)i;
		crm_buf_reset(&b);
		if (crm_charset_to_utf8(cs, &c, 1, &b, NULL) != 0)
			undefined++;
		else if (!crm_utf8_check(b.buf, b.len, NULL) ||
		    (i < 0x80 && (b.len != 1 || b.buf[0] != c)))
			valid = 0;
	}
	ok(valid, "%s: every defined byte gives valid UTF-8, ASCII as is",
	    name);
	is_int(undefined, cs == CRM_CS_CP1252 ? 5 : 0,
	    "%s: undefined bytes", name);
	crm_buf_release(&b);
}

int
main(void)
{
	enum crm_charset cs;

	is_int(crm_charset_parse("CP1252", &cs), 0, "names in any case");
	is_int(cs, CRM_CS_CP1252, "cp1252");
	is_int(crm_charset_parse("windows-1252", &cs), 0, "windows-1252");
	is_int(crm_charset_parse("ISO-8859-1", &cs), 0, "iso-8859-1");
	is_int(cs, CRM_CS_LATIN1, "is latin1");
	is_int(crm_charset_parse("utf8", &cs), 0, "utf8");
	is_int(crm_charset_parse("koi8-r", &cs), -1, "unknown names refused");
	is_str(crm_charset_name(CRM_CS_CP1252), "cp1252", "the name");

	is_str(CONV(CRM_CS_CP1252, "Caf\xe9 \x80 \x93quoted\x94 \x9f"),
	    "Café € “quoted” Ÿ", "cp1252: Latin-1 range and the 0x80-0x9F table");
	is_str(CONV(CRM_CS_CP1252, "\x8a\x8c\x8e\x9a\x9c\x9e\x85\x99"),
	    "ŠŒŽšœž…™", "cp1252: more of the table");
	is_str(CONV(CRM_CS_CP1252, "ab\x81" "cd"), "! ab@2",
	    "cp1252: 0x81 is undefined, with its offset");
	is_str(CONV(CRM_CS_CP1252, "\x8d"), "! @0", "0x8D undefined");
	is_str(CONV(CRM_CS_CP1252, "\x8f"), "! @0", "0x8F undefined");
	is_str(CONV(CRM_CS_CP1252, "\x90"), "! @0", "0x90 undefined");
	is_str(CONV(CRM_CS_CP1252, "\x9d"), "! @0", "0x9D undefined");
	is_str(CONV(CRM_CS_LATIN1, "Caf\xe9 \x80\xff"),
	    "Café \xc2\x80ÿ", "latin1: every byte is its code point");
	is_str(CONV(CRM_CS_UTF8, "Zoë"), "Zoë", "utf-8 is copied");
	is_str(CONV(CRM_CS_CP1252, ""), "", "nothing in, nothing out");
	is_str(CONV(CRM_CS_LATIN1, "a\0b"), "a", "a NUL passes through");
	all_bytes(CRM_CS_CP1252, "cp1252");
	all_bytes(CRM_CS_LATIN1, "latin1");
	return done_testing();
}
