#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "crm_email.h"
#include "crm_stream.h"

static int
atext(unsigned char c)
{
	return isalnum(c) || c >= 0x80 ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static const char *
check_local(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return "empty local part";
	if (n > 64)
		return "local part longer than 64 octets";
	if (s[0] == '.' || s[n - 1] == '.')
		return "local part starts or ends with a dot";
	for (i = 0; i < n; i++) {
		if (s[i] == '.' && s[i + 1] == '.')
			return "two dots in a row";
		if (s[i] != '.' && !atext((unsigned char)s[i]))
			return "invalid character in local part";
	}
	return NULL;
}

static const char *
check_domain(const char *s, size_t n)
{
	size_t i, label = 0, labels = 1, digits = 0;

	if (n == 0)
		return "no domain";
	if (n > 253)
		return "domain longer than 253 octets";
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return "empty or malformed domain label";
			labels++;
			label = digits = 0;
			continue;
		}
		if (!isalnum(c) && c != '-' && c < 0x80)
			return "invalid character in domain";
		if (c == '-' && label == 0)
			return "empty or malformed domain label";
		if (++label > 63)
			return "domain label longer than 63 octets";
		digits += isdigit(c) != 0;
	}
	if (label == 0 || s[n - 1] == '-')
		return "empty or malformed domain label";
	if (labels < 2)
		return "domain needs a dot";
	if (digits == label)
		return "numeric top-level domain";
	return NULL;
}

int
crm_email_normalize(const char *s, char *out, size_t outsz,
    const char **why)
{
	const char *at, *e, *reason;
	size_t n, i;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (why == NULL)
		why = &reason;
	if (n == 0) {
		*why = "empty address";
		return -1;
	}
	if (n > 254 || n + 1 > outsz) {
		*why = "longer than 254 octets";
		return -1;
	}
	if (!crm_utf8_check(s, n, NULL)) {
		*why = "invalid UTF-8";
		return -1;
	}
	e = s + n;
	for (at = e; at > s && at[-1] != '@'; at--)
		;
	if (at == s) {
		*why = "no \"@\"";
		return -1;
	}
	at--;
	if ((*why = check_local(s, (size_t)(at - s))) != NULL ||
	    (*why = check_domain(at + 1, (size_t)(e - at - 1))) != NULL)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	for (i = (size_t)(at - s) + 1; i < n; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	return 0;
}
