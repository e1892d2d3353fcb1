/*
 * Email addresses as crm stores them: addr-spec only (no display name, no
 * quoted local part, no IP literal), at most 254 octets, UTF-8 allowed
 * (RFC 6531), a domain of at least two labels.  Normalised by trimming
 * blanks and lowercasing the domain; the local part is kept as written and
 * compared without regard to ASCII case.
 */
#ifndef CRM_EMAIL_H
#define CRM_EMAIL_H

#include <stddef.h>

/*
 * Normalise s into out (outsz bytes).  Returns 0, or -1 when s is not a
 * valid address (out is then undefined) with *why (if not NULL) a short
 * static reason: "no domain", "empty local part", ...
 */
int	 crm_email_normalize(const char *s, char *out, size_t outsz,
	    const char **why);

#define CRM_EMAIL_MAX 255	/* 254 octets and the NUL */

#endif
