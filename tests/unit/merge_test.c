/* The keys duplicates are found by: folded names, phone digits, --by. */
#include <stdlib.h>
#include <string.h>

#include "crm_merge.h"
#include "crm_util.h"
#include "tap.h"

static const char *
fold(const char *s)
{
	static struct crm_buf b = CRM_BUF_INIT;

	crm_buf_reset(&b);
	crm_merge_fold(s, &b);
	return crm_buf_str(&b);
}

static const char *
phone(const char *s)
{
	static char out[32];

	if (crm_merge_phone_key(s, out, sizeof(out)) != 0)
		return "none";
	return out;
}

int
main(void)
{
	struct crm_error *err;
	int bits;

	is_str(fold("Ada Lovelace"), "ada lovelace", "lower case");
	is_str(fold("  ADA \t  LOVELACE  "), "ada lovelace",
	    "blanks collapsed and trimmed");
	is_str(fold("Ádá Lövelàce"), "ada lovelace", "Latin-1 accents");
	is_str(fold("Łukasz Żółć"), "lukasz zolc", "Latin Extended-A");
	is_str(fold("Straße Æsir Œuvre"), "strasse aesir oeuvre",
	    "letters that fold to two");
	is_str(fold("Jose\xcc\x81"), "jose", "a combining accent (NFD)");
	is_str(fold("ЛИНУС Ёлкин"), "линус елкин", "Cyrillic, ё as е");
	is_str(fold("ΆΡΗΣ"), "αρησ", "Greek, tonos and final sigma");
	is_str(fold("山田 太郎"), "山田 太郎", "CJK as it is");
	is_str(fold("a\xff" "b"), "a\xff" "b", "a bad byte is kept");
	is_str(fold(""), "", "empty");

	is_str(phone("+49 30 1234567"), "49301234567", "digits only");
	is_str(phone("0049 (30) 123-4567"), "49301234567", "00 is +");
	is_str(phone("030 1234567 x12"), "0301234567", "an extension is cut");
	is_str(phone("555-1234 ext. 9"), "5551234", "ext too");
	is_str(phone("555 12"), "none", "fewer than 7 digits");
	is_str(phone("123456789012345678901234567890123"), "none",
	    "too many digits");

	ok(crm_merge_parse_reasons("email,name", &bits) == NULL &&
	    bits == (CRM_DUPES_EMAIL | CRM_DUPES_NAME), "--by email,name");
	err = crm_merge_parse_reasons("phnoe", &bits);
	is_str(err ? err->msg : "", "unknown reason \"phnoe\" (did you mean "
	    "\"phone\"?)", "a typo");
	crm_error_free(err);
	err = crm_merge_parse_reasons(",", &bits);
	is_int(err ? err->code : 0, CRM_EXIT_USAGE, "no reason at all");
	crm_error_free(err);
	return done_testing();
}
