/*
 * lib/template.c: campaign templates, their errors, rendering in each
 * mode, missing names and the list of names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crm_error.h"
#include "crm_template.h"
#include "crm_util.h"
#include "tap.h"

static const char ctx_json[] =
    "{\"name\": \"Ada Lovelace\", \"first_name\": \"Ada\","
    " \"last_name\": \"\", \"email\": \"ada@example.org\","
    " \"stage\": \"lead\", \"tags\": [\"vip\", \"beta\"],"
    " \"no_tags\": [], \"mixed\": [1, \"a\", null, true, {}, \"\", [2], 0.5],"
    " \"fields\": {\"city\": \"Paris\", \"score\": 42, \"ratio\": 0.1,"
    "  \"big\": 1e20, \"neg\": -3.5, \"long\": 1234567890123,"
    "  \"sum\": 0.30000000000000004, \"zero\": 0, \"ok\": true,"
    "  \"no\": false, \"nothing\": null, \"blank\": \"\","
    "  \"html\": \"<b>\\\"Tom\\\" & 'Jerry'</b>\","
    "  \"nl\": \"a\\nb\\t\\\"c\\\"\\\\ \\u0001 \\u2028\","
    "  \"sub\": {\"x\": \"deep\"}},"
    " \"unsubscribe_url\": \"https://x.example/u?a=1&b=2\","
    " \"campaign\": {\"name\": \"Winter\"}}";

static cJSON *ctx;

/* The missing list as "a,b". */
static const char *
joined(const struct crm_strv *sv, char *buf, size_t n)
{
	size_t i, o = 0;

	*buf = '\0';
	for (i = 0; i < sv->n && o < n; i++)
		o += snprintf(buf + o, n - o, "%s%s", i ? "," : "", sv->v[i]);
	return buf;
}

/* tpl for a test's name: one line of printable ASCII, 40 bytes. */
static const char *
label(const char *tpl)
{
	static char buf[4 * 40 + 4];
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; tpl[i] != '\0' && i < 40; i++) {
		c = tpl[i];
		if (c < 0x20 || c >= 0x7f)
			o += sprintf(buf + o, "\\x%02x", c);
		else
			buf[o++] = c;
	}
	strcpy(buf + o, tpl[i] != '\0' ? "..." : "");
	return buf;
}

static void
renders_as(const char *tpl, enum crm_tpl_mode mode, const char *want,
    const char *want_missing)
{
	struct crm_buf out = CRM_BUF_INIT;
	struct crm_strv missing = CRM_STRV_INIT;
	struct crm_template *t;
	struct crm_error *err;
	char buf[512];

	if ((err = crm_template_parse(tpl, "--text", &t)) != NULL) {
		ok(0, "\"%s\" parses: %s", label(tpl), err->msg);
		crm_error_free(err);
		return;
	}
	crm_template_render(t, ctx, mode, &out, &missing);
	is_str(crm_buf_str(&out), want, "\"%s\" in mode %d", label(tpl),
	    mode);
	is_str(joined(&missing, buf, sizeof(buf)), want_missing,
	    "\"%s\": missing", label(tpl));
	crm_strv_clear(&missing);
	crm_buf_release(&out);
	crm_template_free(t);
}

#define text(tpl, want, m)	renders_as(tpl, CRM_TPL_TEXT, want, m)
#define html(tpl, want, m)	renders_as(tpl, CRM_TPL_HTML, want, m)
#define json(tpl, want, m)	renders_as(tpl, CRM_TPL_JSON, want, m)

static void
refuses_n(const char *tpl, size_t len, const char *what, const char *want)
{
	struct crm_template *t = (void *)1;
	struct crm_error *err;

	err = crm_template_parsen(tpl, len, what, &t);
	ok(err != NULL && t == NULL, "\"%s\" refused", label(tpl));
	if (err == NULL) {
		crm_template_free(t);
		return;
	}
	is_int(err->code, CRM_EXIT_USAGE, "\"%s\": a usage error", label(tpl));
	is_str(err->msg, want, "\"%s\": the message", label(tpl));
	crm_error_free(err);
}

static void
refuses(const char *tpl, const char *want)
{
	refuses_n(tpl, strlen(tpl), "--html", want);
}

static void
test_variables(void)
{
	text("", "", "");
	text("Hello, world", "Hello, world", "");
	text("Hello {{first_name|there}},", "Hello Ada,", "");
	text("Hello {{last_name|there}},", "Hello there,", "");
	text("Hello {{nobody|there}},", "Hello there,", "");
	text("{{fields.nothing|none}}", "none", "");
	text("{{nobody|  friend of mine  }}!", "friend of mine!", "");
	text("{{nobody|}}", "", "");
	text("{{nobody|a|b}}", "a|b", "");
	text("{{nobody|{x}}}", "{x}", "");
	text("{{fields.city}} {{campaign.name}}", "Paris Winter", "");
	text("{{fields.sub.x}}", "deep", "");
	text("{{ first_name }}", "Ada", "");
	text("{{\tfirst_name\n|\tthere\t}}", "Ada", "");
	text("{{nobody}}.", ".", "nobody");
	text("{{last_name}}", "", "last_name");
	text("{{fields.nothing}}", "", "fields.nothing");
	text("{{fields}}", "", "fields");
	text("{{fields.sub}}", "", "fields.sub");
	text("{{fields.city.x}}", "", "fields.city.x");
	text("{{Fields.city}}", "", "Fields.city");
	text("{{{unsubscribe_url}}}", "https://x.example/u?a=1&b=2", "");
	text("{{{nobody|none}}}", "none", "");
	text("{{x}} }} {", " }} {", "x");
}

static void
test_values(void)
{
	text("{{fields.score}}", "42", "");
	text("{{fields.zero}}", "0", "");
	text("{{fields.ratio}}", "0.1", "");
	text("{{fields.neg}}", "-3.5", "");
	text("{{fields.big}}", "1e+20", "");
	text("{{fields.long}}", "1234567890123", "");
	text("{{fields.sum}}", "0.30000000000000004", "");
	text("{{fields.ok}} {{fields.no}}", "true false", "");
	text("{{tags}}", "vip, beta", "");
	text("{{no_tags}}", "", "no_tags");
	text("{{no_tags|none}}", "none", "");
	text("{{mixed}}", "1, a, true, 0.5", "");
}

static void
test_sections(void)
{
	text("{{#fields.city}}See you in {{fields.city}}!{{/fields.city}}",
	    "See you in Paris!", "");
	text("{{#fields.town}}See you in {{fields.town}}!{{/fields.town}}",
	    "", "");
	text("{{^fields.town}}Where are you?{{/fields.town}}",
	    "Where are you?", "");
	text("{{^fields.city}}Where are you?{{/fields.city}}", "", "");
	text("{{# fields.city }}y{{/ fields.city }}", "y", "");
	text("{{#fields.ok}}y{{/fields.ok}}", "y", "");
	text("{{#fields.no}}y{{/fields.no}}", "", "");
	text("{{^fields.no}}y{{/fields.no}}", "y", "");
	text("{{#fields.zero}}y{{/fields.zero}}", "y", "");
	text("{{#fields.blank}}y{{/fields.blank}}", "", "");
	text("{{#fields.nothing}}y{{/fields.nothing}}", "", "");
	text("{{^fields.nothing}}y{{/fields.nothing}}", "y", "");
	text("{{#fields.sub}}y{{/fields.sub}}", "y", "");
	text("{{#tags}}[{{tags}}]{{/tags}}", "[vip, beta]", "");
	text("{{#no_tags}}y{{/no_tags}}", "", "");
	text("{{^no_tags}}y{{/no_tags}}", "y", "");
	text("{{#a}}A{{#b}}B{{/b}}{{/a}}", "", "");
	text("{{#fields}}A{{#fields.city}}B{{^fields.no}}C{{/fields.no}}"
	    "{{/fields.city}}D{{/fields}}E", "ABCDE", "");
	text("{{#fields}}A{{^fields.city}}B{{#fields.ok}}C{{/fields.ok}}"
	    "{{/fields.city}}D{{/fields}}E", "ADE", "");
	text("{{#x}}{{/x}}{{#x}}{{/x}}", "", "");
	/* Missing only where rendered, and once. */
	text("{{#fields.town}}{{nobody}}{{/fields.town}}", "", "");
	text("{{^fields.town}}{{nobody}}{{/fields.town}}", "", "nobody");
	text("{{b}}{{a}}{{b}}{{#fields}}{{a}}{{c}}{{/fields}}", "", "b,a,c");
}

static void
test_standalone(void)
{
	const char *t = "Hi\n{{#fields.city}}\nCity: {{fields.city}}\n"
	    "{{/fields.city}}\nBye\n";
	const char *u = "Hi\n  {{#fields.town}}  \r\nTown\n\t{{/fields.town}}"
	    "\nBye\n";

	text(t, "Hi\nCity: Paris\nBye\n", "");
	text(u, "Hi\nBye\n", "");
	text("{{^fields.town}}\nNo town\n{{/fields.town}}", "No town\n", "");
	text("a {{#fields.ok}}\nb\n{{/fields.ok}} c\n", "a \nb\n c\n", "");
	text("{{#fields.ok}}{{/fields.ok}}\nx", "\nx", "");
	text("{{first_name}}\n{{#fields.ok}}\nx\n{{/fields.ok}}\n",
	    "Ada\nx\n", "");
	text("{{#fields.ok}}\n{{#fields.city}}\nx\n{{/fields.city}}\n"
	    "{{/fields.ok}}\n", "x\n", "");
}

static void
test_escaping(void)
{
	const char *h = "<b>\"Tom\" & 'Jerry'</b>";

	text("{{fields.html}}", h, "");
	html("{{fields.html}}",
	    "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;", "");
	html("{{{fields.html}}}", h, "");
	html("<a href=\"{{{unsubscribe_url}}}\">{{unsubscribe_url}}</a>",
	    "<a href=\"https://x.example/u?a=1&b=2\">"
	    "https://x.example/u?a=1&amp;b=2</a>", "");
	html("<p>&'\"{{nobody|<i>you</i>}}</p>", "<p>&'\"<i>you</i></p>",
	    "");
	html("{{tags}} {{fields.score}}", "vip, beta 42", "");
	json("{\"city\": \"{{fields.city}}\"}", "{\"city\": \"Paris\"}", "");
	json("{{fields.html}}", "<b>\\\"Tom\\\" & 'Jerry'</b>", "");
	json("{{fields.nl}}", "a\\nb\\t\\\"c\\\"\\\\ \\u0001 \\u2028", "");
	json("{{{fields.html}}}", h, "");
	json("\"{{nobody|\"}}\"", "\"\"\"", "");
	text("{{fields.nl}}", "a\nb\t\"c\"\\ \001 \xe2\x80\xa8", "");
}

/* Values from the caller need not be valid UTF-8. */
static void
test_bad_utf8_value(void)
{
	struct crm_buf out = CRM_BUF_INIT;
	struct crm_template *t;
	struct crm_error *err;
	cJSON *c = cJSON_CreateObject();

	cJSON_AddStringToObject(c, "x", "a\xff" "b\xc3");
	err = crm_template_parse("{{x}}", NULL, &t);
	ok(err == NULL, "{{x}} parses");
	crm_template_render(t, c, CRM_TPL_JSON, &out, NULL);
	is_str(crm_buf_str(&out), "a\\ufffdb\\ufffd", "invalid UTF-8 in JSON");
	crm_buf_reset(&out);
	crm_template_render(t, c, CRM_TPL_TEXT, &out, NULL);
	is_str(crm_buf_str(&out), "a\xff" "b\xc3", "as it is in text");
	crm_buf_reset(&out);
	/* No context: everything is missing; out is appended to. */
	crm_buf_adds(&out, ">");
	crm_template_render(t, NULL, CRM_TPL_HTML, &out, NULL);
	is_str(crm_buf_str(&out), ">", "no context, no missing list");
	crm_buf_release(&out);
	crm_template_free(t);
	cJSON_Delete(c);
}

static void
test_missing_list(void)
{
	struct crm_strv missing = CRM_STRV_INIT;
	struct crm_buf out = CRM_BUF_INIT;
	struct crm_template *t;
	char buf[200];

	crm_strv_push(&missing, "b");
	if (crm_template_parse("{{a}}{{b}}{{a}}{{first_name}}", NULL,
	    &t) != NULL)
		exit(1);
	crm_template_render(t, ctx, CRM_TPL_TEXT, &out, &missing);
	crm_template_render(t, ctx, CRM_TPL_TEXT, &out, &missing);
	is_str(joined(&missing, buf, sizeof(buf)), "b,a",
	    "names already missing are not added again");
	is_str(crm_buf_str(&out), "AdaAda", "renders append");
	crm_strv_clear(&missing);
	crm_buf_release(&out);
	crm_template_free(t);
}

static void
test_vars(void)
{
	struct crm_strv names = CRM_STRV_INIT;
	struct crm_template *t, *u;
	char buf[200];

	if (crm_template_parse("{{b}} {{a|x}} {{#c.d}}{{b}}{{/c.d}}"
	    "{{^f}}{{/f}}{{{e}}}", NULL, &t) != NULL ||
	    crm_template_parse("Hi {{z}} {{b}}", NULL, &u) != NULL)
		exit(1);
	crm_template_vars(t, &names);
	is_str(joined(&names, buf, sizeof(buf)), "a,b,c.d,e,f",
	    "names: sorted, unique, sections too");
	crm_template_vars(u, &names);
	is_str(joined(&names, buf, sizeof(buf)), "a,b,c.d,e,f,z",
	    "names of two templates: the union");
	crm_strv_clear(&names);
	crm_template_free(t);
	crm_template_free(u);
	if (crm_template_parse("no names", NULL, &t) != NULL)
		exit(1);
	crm_template_vars(t, &names);
	is_int(names.n, 0, "no names");
	crm_template_free(t);
	crm_template_free(NULL);
	ok(1, "crm_template_free(NULL)");
}

static void
test_errors(void)
{
	refuses("Hello,\n\nDear {{first_name}}, {{#fields.city}}x",
	    "--html: line 3, column 22: \"{{#fields.city}}\" is never closed");
	refuses("a\nb\nHello,  {{#fields.city}}",
	    "--html: line 3, column 9: \"{{#fields.city}}\" is never closed");
	refuses("{{#a}}{{/a}}{{^ b }}x",
	    "--html: line 1, column 13: \"{{^ b }}\" is never closed");
	refuses("ab {{name", "--html: line 1, column 4: \"{{\" has no "
	    "matching \"}}\"");
	refuses("{{a}}\n{{{b}}", "--html: line 2, column 1: \"{{{\" has no "
	    "matching \"}}}\"");
	refuses("{{#a}}{{/b}}", "--html: line 1, column 7: \"{{/b}}\" does "
	    "not close \"{{#a}}\"");
	refuses("{{#a}}{{^b}}{{/a}}{{/b}}", "--html: line 1, column 13: "
	    "\"{{/a}}\" does not close \"{{^b}}\"");
	refuses("x{{/a}}", "--html: line 1, column 2: \"{{/a}}\" closes no "
	    "section");
	refuses("{{}}", "--html: line 1, column 1: empty name in \"{{}}\"");
	refuses("{{ }}", "--html: line 1, column 1: empty name in \"{{ }}\"");
	refuses("{{#}}", "--html: line 1, column 1: empty name in \"{{#}}\"");
	refuses("{{/ }}", "--html: line 1, column 1: empty name in "
	    "\"{{/ }}\"");
	refuses("{{|x}}", "--html: line 1, column 1: empty name in "
	    "\"{{|x}}\"");
	refuses("{{{ }}}", "--html: line 1, column 1: empty name in "
	    "\"{{{ }}}\"");
	refuses("{{first name}}", "--html: line 1, column 3: invalid name "
	    "\"first name\": use letters, digits, \"_\" and \".\"");
	refuses("{{ a..b }}", "--html: line 1, column 4: invalid name "
	    "\"a..b\": use letters, digits, \"_\" and \".\"");
	refuses("{{.a}}", "--html: line 1, column 3: invalid name "
	    "\".a\": use letters, digits, \"_\" and \".\"");
	refuses("{{a.}}", "--html: line 1, column 3: invalid name "
	    "\"a.\": use letters, digits, \"_\" and \".\"");
	refuses("{{#a-b}}{{/a-b}}", "--html: line 1, column 4: invalid name "
	    "\"a-b\": use letters, digits, \"_\" and \".\"");
	refuses("{{#a|x}}{{/a}}", "--html: line 1, column 4: invalid name "
	    "\"a|x\": use letters, digits, \"_\" and \".\"");
	refuses("{{{#a}}}", "--html: line 1, column 4: invalid name "
	    "\"#a\": use letters, digits, \"_\" and \".\"");
	refuses("{{!comment}}", "--html: line 1, column 3: invalid name "
	    "\"!comment\": use letters, digits, \"_\" and \".\"");
	refuses("été {{é}}", "--html: line 1, column 7: invalid name "
	    "\"é\": use letters, digits, \"_\" and \".\"");
	refuses("{{a\nb}}", "--html: line 1, column 3: invalid name "
	    "\"a\\nb\": use letters, digits, \"_\" and \".\"");
	refuses("{{#aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}}",
	    "--html: line 1, column 1: \"{{#aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaa...\" is never closed");
	refuses("ab\xff", "--html: line 1, column 3: invalid UTF-8");
	refuses("é\n\xc3", "--html: line 2, column 1: invalid UTF-8");
	refuses("\xed\xa0\x80", "--html: line 1, column 1: invalid UTF-8");
	refuses_n("ab\0c", 4, "--html", "--html: line 1, column 3: NUL byte");
	refuses_n("\xff\0", 2, "--html", "--html: line 1, column 1: invalid "
	    "UTF-8");
	refuses_n("{{#a}}", 6, NULL, "line 1, column 1: \"{{#a}}\" is never "
	    "closed");
}

static void
test_limits(void)
{
	struct crm_buf b = CRM_BUF_INIT;
	struct crm_template *t;
	struct crm_error *err;
	int i;

	/* 32 nested sections are fine, 33 are not. */
	for (i = 0; i < 32; i++)
		crm_buf_adds(&b, "{{#a}}");
	for (i = 0; i < 32; i++)
		crm_buf_adds(&b, "{{/a}}");
	err = crm_template_parse(crm_buf_str(&b), NULL, &t);
	ok(err == NULL, "32 nested sections");
	crm_error_free(err);
	crm_template_free(t);
	crm_buf_reset(&b);
	for (i = 0; i < 33; i++)
		crm_buf_adds(&b, "{{#a}}");
	refuses(crm_buf_str(&b), "--html: line 1, column 193: sections "
	    "nested deeper than 32");

	/* 1 MiB is fine, a byte more is not. */
	crm_buf_reset(&b);
	for (i = 0; i < CRM_TEMPLATE_MAX; i++)
		crm_buf_addch(&b, 'x');
	err = crm_template_parse(crm_buf_str(&b), NULL, &t);
	ok(err == NULL, "a template of 1 MiB");
	crm_error_free(err);
	crm_template_free(t);
	crm_buf_addch(&b, 'x');
	refuses(crm_buf_str(&b), "--html: template larger than 1 MiB");
	refuses_n(crm_buf_str(&b), b.len, NULL, "template larger than 1 MiB");
	crm_buf_release(&b);
}

int
main(void)
{
	if ((ctx = cJSON_Parse(ctx_json)) == NULL) {
		printf("Bail out! bad test context\n");
		return 1;
	}
	test_variables();
	test_values();
	test_sections();
	test_standalone();
	test_escaping();
	test_bad_utf8_value();
	test_missing_list();
	test_vars();
	test_errors();
	test_limits();
	cJSON_Delete(ctx);
	return done_testing();
}
