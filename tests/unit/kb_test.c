/* The query suggest builds from a ticket's text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm_kb.h"
#include "crm_util.h"
#include "tap.h"

static const char *
expr(const char *in)
{
	static char out[1024];
	struct crm_buf b = CRM_BUF_INIT;
	int n = crm_kb_suggest_expr(in, &b);

	snprintf(out, sizeof(out), "%d %s", n, crm_buf_str(&b));
	crm_buf_release(&b);
	return out;
}

int
main(void)
{
	struct crm_buf b = CRM_BUF_INIT;
	int i;

	is_str(expr(""), "0 ", "no text, no words");
	is_str(expr("Hi, thanks for all this!"), "0 ",
	    "short and common words left out");
	is_str(expr("Printer blinks RED; printer red?"),
	    "3 \"printer\" OR \"blinks\" OR \"red\"",
	    "each word once, without ASCII case, in order");
	is_str(expr("VPN-Client \"quoted\" NEAR(x"),
	    "4 \"vpn\" OR \"client\" OR \"quoted\" OR \"near\"",
	    "punctuation splits, nothing is syntax");
	is_str(expr("Überweisung für 2026 ab"),
	    "3 \"Überweisung\" OR \"für\" OR \"2026\"",
	    "UTF-8 letters and digits are word characters");
	for (i = 0; i < 100; i++)
		crm_buf_addf(&b, "word%03d ", i);
	is_int(atoi(expr(crm_buf_str(&b))), 64, "at most 64 words");
	ok(strstr(expr(crm_buf_str(&b)), "word063") != NULL &&
	    strstr(expr(crm_buf_str(&b)), "word064") == NULL,
	    "the first 64");
	crm_buf_release(&b);
	return done_testing();
}
