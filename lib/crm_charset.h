/*
 * Single-byte character sets converted to UTF-8 before parsing, for
 * files written by older Windows programs (crm-contact import
 * --encoding).  Windows-1252 is ISO-8859-1 with printable characters in
 * 0x80-0x9F, five of which it leaves undefined.
 */
#ifndef CRM_CHARSET_H
#define CRM_CHARSET_H

#include <stddef.h>

#include "crm_util.h"

enum crm_charset {
	CRM_CS_UTF8,
	CRM_CS_CP1252,
	CRM_CS_LATIN1
};

/*
 * The character set called name: "utf-8" (or "utf8"), "cp1252" (or
 * "windows-1252"), "latin1" (or "iso-8859-1"), in any case.  -1 when
 * unknown.
 */
int	 crm_charset_parse(const char *name, enum crm_charset *cs);

/* The name used in messages: "utf-8", "cp1252", "latin1". */
const char *crm_charset_name(enum crm_charset cs);

/*
 * Append s[0..n), in cs, to out as UTF-8 (CRM_CS_UTF8 copies).  Returns
 * 0, or -1 for a byte that cs leaves undefined (cp1252's 0x81, 0x8D, 0x8F,
 * 0x90, 0x9D), with *bad (may be NULL) its offset; out then holds the
 * bytes before it.
 */
int	 crm_charset_to_utf8(enum crm_charset cs, const char *s, size_t n,
	    struct crm_buf *out, size_t *bad);

#endif
