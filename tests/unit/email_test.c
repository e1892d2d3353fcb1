/* Email address checking and normalisation, and the isemail corpus. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crm_email.h"
#include "tap.h"

static const char *
norm(const char *in)
{
	static char out[CRM_EMAIL_MAX];
	const char *why;

	if (crm_email_normalize(in, out, sizeof(out), &why) != 0)
		snprintf(out, sizeof(out), "! %s", why);
	return out;
}

/* Every address the corpus calls invalid is refused; every plainly valid
 * one is taken, but for a domain without a dot ("test@io"), which crm
 * refuses as a likely typo. */
static void
corpus(void)
{
	const char *dir = getenv("CRM_CORPORA");
	char path[4096], *line = NULL, out[CRM_EMAIL_MAX];
	size_t cap = 0;
	int wrong_invalid = 0, wrong_valid = 0, n = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/email-addresses/isemail/"
	    "verdicts.jsonl", dir ? dir : "../shared/corpora");
	if ((fp = fopen(path, "r")) == NULL) {
		printf("ok %d # skip corpora not found at %s\n", ++tap_n, path);
		printf("ok %d # skip corpora not found\n", ++tap_n);
		return;
	}
	while (getline(&line, &cap, fp) > 0) {
		cJSON *o = cJSON_Parse(line);
		const char *a = cJSON_GetStringValue(cJSON_GetObjectItem(o,
		    "address"));
		const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(o,
		    "verdict_for_crm"));
		int ok = a && crm_email_normalize(a, out, sizeof(out), NULL) == 0;

		n++;
		if (v && strcmp(v, "invalid") == 0 && ok) {
			wrong_invalid++;
			printf("# accepted invalid: %s\n", a);
		}
		if (v && strncmp(v, "valid", 5) == 0 && strcmp(v,
		    "valid-rfc5321-unusual") != 0 && !ok &&
		    strchr(strrchr(a, '@'), '.') != NULL) {
			wrong_valid++;
			printf("# refused valid: %s\n", a);
		}
		cJSON_Delete(o);
	}
	free(line);
	fclose(fp);
	is_int(wrong_invalid, 0, "isemail: all invalid addresses refused "
	    "(%d cases)", n);
	is_int(wrong_valid, 0, "isemail: valid addresses with a dotted "
	    "domain accepted");
}

int
main(void)
{
	char big[400];

	is_str(norm("ada@example.org"), "ada@example.org", "plain");
	is_str(norm("  Ada.L@Example.ORG\t"), "Ada.L@example.org",
	    "trimmed, domain lowercased, local part kept");
	is_str(norm("o'brien+tag@mail.example.co.uk"),
	    "o'brien+tag@mail.example.co.uk", "atext and subdomains");
	is_str(norm("jörg@bücher.example"), "jörg@bücher.example",
	    "UTF-8 local part and domain");
	is_str(norm("bob@"), "! no domain", "no domain");
	is_str(norm("bob"), "! no \"@\"", "no at sign");
	is_str(norm("@example.org"), "! empty local part", "no local part");
	is_str(norm("a..b@example.org"), "! two dots in a row", "double dot");
	is_str(norm(".a@example.org"), "! local part starts or ends with a dot",
	    "leading dot");
	is_str(norm("a b@example.org"), "! invalid character in local part",
	    "blank inside");
	is_str(norm("a@localhost"), "! domain needs a dot", "dotless domain");
	is_str(norm("a@-x.example"), "! empty or malformed domain label",
	    "label starting with a hyphen");
	is_str(norm("a@x..example"), "! empty or malformed domain label",
	    "empty label");
	is_str(norm("a@example.123"), "! numeric top-level domain",
	    "numeric TLD");
	is_str(norm("a\r\nBcc: x@evil.example@example.org"),
	    "! invalid character in local part", "CR LF (header injection)");
	is_str(norm("a@ex\xff.org"), "! invalid UTF-8", "invalid UTF-8");
	is_str(norm(""), "! empty address", "empty");
	memset(big, 'a', sizeof(big));
	strcpy(big + 250, "@example.org");
	is_str(norm(big), "! longer than 254 octets", "too long");
	corpus();
	return done_testing();
}
