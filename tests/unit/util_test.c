/* Times, suggestions, buffers and string lists. */
#include <stdlib.h>
#include <string.h>

#include "crm_util.h"
#include "tap.h"

static const char *
t(const char *in)
{
	static char out[CRM_TIME_LEN + 8];
	int day = 0;

	if (crm_time_parse(in, out, &day) != 0)
		return "invalid";
	if (day)
		strcat(out, " day");
	return out;
}

int
main(void)
{
	const char *fields[] = { "name", "email", "stage", "created_at",
	    "owner" };
	struct crm_strv sv = CRM_STRV_INIT;
	struct crm_buf b = CRM_BUF_INIT;
	struct crm_bloom bl;
	char now[CRM_TIME_LEN], *s, key[32];
	int i, fp;

	setenv("CRM_NOW", "2026-11-22T18:50:20Z", 1);
	crm_time_now(now);
	is_str(now, "2026-11-22T18:50:20Z", "CRM_NOW fixes the clock");
	is_str(t("now"), "2026-11-22T18:50:20Z", "now");
	is_str(t("today"), "2026-11-22T00:00:00Z day", "today is a day");
	is_str(t("yesterday"), "2026-11-21T00:00:00Z day", "yesterday");
	is_str(t("tomorrow"), "2026-11-23T00:00:00Z day", "tomorrow");
	is_str(t("-30d"), "2026-10-23T18:50:20Z", "-30d");
	is_str(t("+2w"), "2026-12-06T18:50:20Z", "+2w");
	is_str(t("-6h"), "2026-11-22T12:50:20Z", "-6h");
	is_str(t("-3mo"), "2026-08-22T18:50:20Z", "-3mo");
	is_str(t("+1y"), "2027-11-22T18:50:20Z", "+1y");
	is_str(t("2026-02-28"), "2026-02-28T00:00:00Z day", "a date");
	is_str(t("2026-11-01T10:00"), "2026-11-01T10:00:00Z", "minutes");
	is_str(t("2026-11-01 10:00:05+01:00"), "2026-11-01T09:00:05Z",
	    "an offset is converted to UTC");
	is_str(t("2026-11-01T10:00:05.123Z"), "2026-11-01T10:00:05Z",
	    "fractions dropped");
	is_str(t("2026-02-31"), "invalid", "no 31 February");
	is_str(t("2026-13-01"), "invalid", "no month 13");
	is_str(t("30d"), "invalid", "a relative time needs a sign");
	is_str(t("-30x"), "invalid", "an unknown unit");
	is_str(t("-d"), "invalid", "a sign alone");
	is_str(t("2026-11-01T25:00"), "invalid", "hour 25");
	is_str(t("2026-11-01junk"), "invalid", "trailing text");
	is_str(t(""), "invalid", "empty");
	/* Found by tests/fuzz/time_fuzz.c: years before 1000 came out as
	 * "26-11-22T...", and "+9000y" ran past four digits. */
	is_str(t("0026-11-22T10:00"), "0026-11-22T10:00:00Z",
	    "a year before 1000 keeps four digits");
	is_str(t("+9000y"), "invalid", "past year 9999");
	is_str(t("-2100y"), "invalid", "before year 1");

	is_str(crm_suggest("stag", fields, 5), "stage", "stag → stage");
	is_str(crm_suggest("emial", fields, 5), "email", "emial → email");
	is_str(crm_suggest("created", fields, 5), "created_at",
	    "a prefix is a plausible slip");
	ok(crm_suggest("zzzzzz", fields, 5) == NULL, "nothing near zzzzzz");
	is_int(crm_levenshtein("kitten", "sitting"), 3, "edit distance");

	crm_buf_addf(&b, "%s-%d", "x", 42);
	crm_buf_addch(&b, '!');
	is_str(crm_buf_str(&b), "x-42!", "buffer formatting");
	s = crm_buf_detach(&b);
	is_str(crm_buf_str(&b), "", "detach leaves an empty buffer");
	free(s);

	crm_strv_split(&sv, " a, b ,,c ", ',');
	is_int(sv.n, 3, "split trims and skips empty items");
	ok(crm_strv_has(&sv, "b") && !crm_strv_has(&sv, " b"), "has");
	crm_strv_clear(&sv);

	setenv("CRM_USER", "alice", 1);
	is_str(crm_actor(), "alice", "CRM_USER is the actor");

	crm_bloom_init(&bl, 1000000, 24);
	is_int((long)bl.mask, (1L << 25) - 1, "24 bits a key for a million keys");
	is_int(crm_bloom_seen(&bl, "Ada@Example.org", 1, 1), 0, "a new key");
	is_int(crm_bloom_seen(&bl, "ada@example.ORG", 1, 1), 1,
	    "seen again, folded");
	is_int(crm_bloom_seen(&bl, "ada@example.org", 0, 2), 0,
	    "another seed is another filter");
	for (i = 0, fp = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		fp += crm_bloom_seen(&bl, key, 0, 3);
	}
	ok(fp < 100, "few false positives at 100,000 keys (%d)", fp);
	crm_bloom_free(&bl);
	ok(bl.w == NULL, "freed");
	crm_bloom_init(&bl, 10, 16);
	is_int((long)bl.mask, (1L << 20) - 1, "2^20 bits at least");
	crm_bloom_free(&bl);
	ok(crm_hash("ABC", 3, 1, 0) == crm_hash("abc", 3, 0, 0) &&
	    crm_hash("abc", 3, 0, 0) != crm_hash("abc", 3, 0, 1),
	    "hash: folding, seeds");
	return done_testing();
}
