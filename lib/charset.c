/*
 * Windows-1252 and ISO-8859-1 to UTF-8.  Both are ASCII below 0x80 and
 * ISO-8859-1 is Unicode's first 256 code points; Windows-1252 differs only
 * in 0x80-0x9F, given by the table (WHATWG / Unicode's CP1252.TXT).
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "crm_charset.h"
#include "crm_util.h"

/* 0x80-0x9F in Windows-1252; 0 where the byte is undefined. */
static const uint16_t cp1252_high[32] = {
	0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
	0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

static const struct {
	const char	*name;
	enum crm_charset cs;
} names[] = {
	{ "utf-8", CRM_CS_UTF8 }, { "utf8", CRM_CS_UTF8 },
	{ "cp1252", CRM_CS_CP1252 }, { "windows-1252", CRM_CS_CP1252 },
	{ "latin1", CRM_CS_LATIN1 }, { "iso-8859-1", CRM_CS_LATIN1 },
};

int
crm_charset_parse(const char *name, enum crm_charset *cs)
{
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(name, names[i].name) == 0) {
			*cs = names[i].cs;
			return 0;
		}
	return -1;
}

const char *
crm_charset_name(enum crm_charset cs)
{
	switch (cs) {
	case CRM_CS_CP1252:
		return "cp1252";
	case CRM_CS_LATIN1:
		return "latin1";
	default:
		return "utf-8";
	}
}

int
crm_charset_to_utf8(enum crm_charset cs, const char *s, size_t n,
    struct crm_buf *out, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned cp;
	size_t i, run;
	char *w;

	if (cs == CRM_CS_UTF8) {
		crm_buf_add(out, s, n);
		return 0;
	}
	/* At most three bytes for one: reserve once, write directly. */
	crm_buf_grow(out, 3 * n);
	w = out->buf + out->len;
	for (i = 0; i < n; i++) {
		if (p[i] < 0x80) {
			/* Copy a run of ASCII at once. */
			for (run = i; run < n && p[run] < 0x80; run++)
				;
			memcpy(w, p + i, run - i);
			w += run - i;
			i = run - 1;
			continue;
		}
		cp = p[i];
		if (cs == CRM_CS_CP1252 && cp < 0xA0 &&
		    (cp = cp1252_high[cp - 0x80]) == 0) {
			out->len = (size_t)(w - out->buf);
			out->buf[out->len] = '\0';
			if (bad != NULL)
				*bad = i;
			return -1;
		}
		if (cp < 0x800) {
			*w++ = (char)(0xC0 | (cp >> 6));
			*w++ = (char)(0x80 | (cp & 0x3F));
		} else {
			*w++ = (char)(0xE0 | (cp >> 12));
			*w++ = (char)(0x80 | ((cp >> 6) & 0x3F));
			*w++ = (char)(0x80 | (cp & 0x3F));
		}
	}
	out->len = (size_t)(w - out->buf);
	out->buf[out->len] = '\0';
	return 0;
}
