/* Incoming mail: decoders and structure (lib/mime*.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm_mime.h"
#include "crm_util.h"
#include "tap.h"

static char out[4096];

static const char *
words(const char *s)
{
	struct crm_buf b = CRM_BUF_INIT;

	crm_mime_words(s, strlen(s), &b);
	snprintf(out, sizeof(out), "%s", crm_buf_str(&b));
	crm_buf_release(&b);
	return out;
}

static const char *
qp(const char *s)
{
	struct crm_buf b = CRM_BUF_INIT;

	crm_mime_qp_decode(s, strlen(s), &b);
	snprintf(out, sizeof(out), "%s", crm_buf_str(&b));
	crm_buf_release(&b);
	return out;
}

static const char *
b64(const char *s)
{
	struct crm_buf b = CRM_BUF_INIT;

	crm_mime_b64_decode(s, strlen(s), &b);
	snprintf(out, sizeof(out), "%s", crm_buf_str(&b));
	crm_buf_release(&b);
	return out;
}

static const char *
param(const char *v, const char *name)
{
	struct crm_buf b = CRM_BUF_INIT;

	if (!crm_mime_param(v, name, &b))
		snprintf(out, sizeof(out), "(none)");
	else
		snprintf(out, sizeof(out), "%s", crm_buf_str(&b));
	crm_buf_release(&b);
	return out;
}

static const char *
addr(const char *v)
{
	struct crm_buf n = CRM_BUF_INIT, a = CRM_BUF_INIT;

	if (crm_mime_address(v, &n, &a) != 0)
		snprintf(out, sizeof(out), "(none)");
	else
		snprintf(out, sizeof(out), "%s|%s", crm_buf_str(&n),
		    crm_buf_str(&a));
	crm_buf_release(&n);
	crm_buf_release(&a);
	return out;
}

static const char *
conv(const char *cs, const char *s)
{
	struct crm_buf b = CRM_BUF_INIT;
	int rc = crm_mime_to_utf8(cs, s, strlen(s), &b);

	snprintf(out, sizeof(out), "%s%s", rc ? "! " : "", crm_buf_str(&b));
	crm_buf_release(&b);
	return out;
}

static const char *
html(const char *s)
{
	struct crm_buf b = CRM_BUF_INIT;

	crm_mime_html_text(s, strlen(s), &b);
	snprintf(out, sizeof(out), "%s", crm_buf_str(&b));
	crm_buf_release(&b);
	return out;
}

static const char *
strip(const char *s)
{
	char *r = crm_mime_strip_quotes(s);

	snprintf(out, sizeof(out), "%s", r ? r : "(null)");
	free(r);
	return out;
}

static void
test_words(void)
{
	is_str(words("=?ISO-8859-1?Q?Andr=E9?= Pirard"), "Andr\xC3\xA9 Pirard",
	    "Q word, Latin-1");
	is_str(words("=?utf-8?B?w6lt?= =?utf-8?B?aWxl?="), "\xC3\xA9mile",
	    "blanks between adjacent words go");
	is_str(words("=?utf-8?q?a?=  b =?utf-8?q?c?="), "a  b c",
	    "blanks next to plain text stay");
	is_str(words("=?UTF-8?B?4oKs?= =?UTF-8?B?IDEw?="), "\xE2\x82\xAC 10",
	    "B words");
	is_str(words("=?utf-8?B?4g==?= =?utf-8?B?gqw=?="), "\xE2\x82\xAC",
	    "a character split across two words");
	is_str(words("=?windows-1252?Q?=80_5?="), "\xE2\x82\xAC 5",
	    "Q underscore is a space, cp1252");
	is_str(words("=?utf-8?x?bad?= =?utf-8?q?unterminated"),
	    "=?utf-8?x?bad?= =?utf-8?q?unterminated", "bad words stay");
	is_str(words("caf\xE9"), "caf\xC3\xA9", "raw 8-bit as cp1252");
	is_str(words("=?utf-8*en?q?hi?="), "hi", "RFC 2231 language");
	is_str(conv("x-no-such", "a\xFF"), "! a\xEF\xBF\xBD",
	    "an unknown charset says so");
}

static void
test_transfer(void)
{
	is_str(qp("caf=C3=A9 =\r\nsoft=\nbreak"), "caf\xC3\xA9 softbreak",
	    "QP: =XX and soft breaks");
	is_str(qp("a=  \nb= \r\nc"), "abc", "QP: blanks after a soft break");
	is_str(qp("100=%"), "100=%", "QP: a stray = stays");
	is_str(qp("end="), "end", "QP: a final =");
	is_str(b64("SGVs\r\nbG8="), "Hello", "base64 over lines");
	is_str(b64("SGVsbG8"), "Hello", "base64 without padding");
	is_str(b64("S!G*V#sbG8="), "Hello", "base64 skips junk");
}

static void
test_charsets(void)
{
	is_str(conv("iso-8859-1", "\xE9t\xE9"), "\xC3\xA9t\xC3\xA9",
	    "Latin-1");
	is_str(conv("windows-1252", "\x93hi\x94"),
	    "\xE2\x80\x9Chi\xE2\x80\x9D", "Windows-1252 quotes");
	is_str(conv("cp1252", "a\x81z"), "a\xEF\xBF\xBDz",
	    "undefined cp1252 byte");
	is_str(conv("us-ascii", "plain"), "plain", "US-ASCII");
	is_str(conv("utf-8", "ok\xC3"), "ok\xEF\xBF\xBD", "broken UTF-8");
	is_str(conv("ISO-8859-15", "\xA4"), "\xE2\x82\xAC", "iconv: Latin-9");
	is_str(conv("x-unknown", "a\xE9"), "! a\xEF\xBF\xBD",
	    "unknown charset");
}

static void
test_params(void)
{
	is_str(param("text/plain; charset=\"UTF-8\"; format=flowed",
	    "charset"), "UTF-8", "quoted parameter");
	is_str(param("attachment; filename*=UTF-8''na%C3%AFve%20plan.pdf",
	    "filename"), "na\xC3\xAFve plan.pdf", "RFC 2231 filename*");
	is_str(param("attachment; filename*0*=iso-8859-1''r%E9sum;"
	    " filename*1=\"e.doc\"", "filename"), "r\xC3\xA9sume.doc",
	    "RFC 2231 continuations");
	is_str(param("attachment; filename=\"=?utf-8?B?w6kuanBn?=\"",
	    "filename"), "\xC3\xA9.jpg", "RFC 2047 in a filename");
	is_str(param("attachment; filename=\"a \\\"b\\\".txt\"", "filename"),
	    "a \"b\".txt", "quoted-pair");
	is_str(param("inline", "filename"), "(none)", "no parameter");
	is_str(param("multipart/mixed; boundary=abc;", "boundary"), "abc",
	    "token parameter");
}

static void
test_addresses(void)
{
	is_str(addr("\"Doe, Jane\" <jane@example.org>"),
	    "Doe, Jane|jane@example.org", "quoted display name");
	is_str(addr("=?utf-8?q?J=C3=B6rg?= <jorg@example.de>"),
	    "J\xC3\xB6rg|jorg@example.de", "encoded display name");
	is_str(addr("bob@example.com (Bob)"), "|bob@example.com",
	    "comment is no name");
	is_str(addr("Team: ann@x.org, bob@y.org;"), "|ann@x.org", "group");
	is_str(addr("undisclosed-recipients:;"), "(none)", "no mailbox");
	is_str(addr("Pete(A nice \\) chap) <pete(his account)@silly.test>"),
	    "Pete|pete@silly.test", "comments everywhere");
	is_str(addr(""), "(none)", "empty");
}

static void
test_html(void)
{
	is_str(html("<p>Hello&nbsp;<b>world</b></p><p>2 &lt; 3 &amp; "
	    "&#8364;&#x41;</p>"), "Hello world\n\n2 < 3 & \xE2\x82\xAC" "A",
	    "tags, blocks and entities");
	is_str(html("<style>p{}</style><script>x<y</script>a<br>b"),
	    "a\nb", "style and script skipped");
	is_str(html("<input value=\"a>b\">c<!-- x > y -->d"), "cd",
	    "quoted > and comments");
	is_str(html("<unterminated"), "", "an unterminated tag");
	is_str(html("Yes<div>On Mon, Ann wrote:</div><blockquote>old<br>"
	    "text</blockquote>"), "Yes\nOn Mon, Ann wrote:\n\n> old\n> text",
	    "a blockquote is quoted text");
	is_str(strip(html("Yes<div>On Mon, Ann wrote:</div><blockquote>old"
	    "</blockquote>")), "Yes", "so a reply in HTML loses its quote");
	is_str(html("&bogus; &#0;"), "&bogus; \xEF\xBF\xBD",
	    "unknown and bad entities");
}

static void
test_quotes(void)
{
	is_str(strip("Thanks!\n\nOn Mon, 2 Nov 2026 at 10:00, Ada "
	    "<ada@x.org> wrote:\n> old\n> text\n"), "Thanks!",
	    "Gmail-style attribution");
	is_str(strip("Yes.\n\nOn Mon, 2 Nov 2026 at 10:00, Ada Lovelace\n"
	    "<ada@x.org> wrote:\n\n> old\n"), "Yes.",
	    "attribution over two lines");
	is_str(strip("Fine.\n\n-----Original Message-----\nFrom: a\n"
	    "Sent: b\n\nold"), "Fine.", "Outlook original message");
	is_str(strip("Ok\r\n\r\n________________________________\r\n"
	    "From: Help <h@x.org>\r\nSent: Monday\r\nTo: me\r\n\r\nold"),
	    "Ok", "Outlook From/Sent block");
	is_str(strip("> q1\nanswer 1\n> q2\nanswer 2"),
	    "answer 1\nanswer 2", "interleaved quotes");
	is_str(strip("> only a quote\n"), "(null)", "nothing left: NULL");
	is_str(strip("no quotes here\n"), "no quotes here", "plain text");
}

static const char *nested =
	"From: \"Ann\" <ann@example.org>\r\n"
	"Subject: =?iso-8859-1?q?R=E9sum=E9?=\r\n"
	" folded\r\n"
	"Message-ID: <m1@example.org>\r\n"
	"References: <r1@x> <r2@x>\r\n"
	"In-Reply-To: <r2@x> (comment)\r\n"
	"Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
	"\r\n"
	"preamble\r\n"
	"--outer\r\n"
	"Content-Type: multipart/alternative; boundary=inner\r\n"
	"\r\n"
	"--inner\r\n"
	"Content-Type: text/plain; charset=iso-8859-1\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"Gr=FC=DFe, long =\r\nline\r\n"
	"--inner\r\n"
	"Content-Type: text/html\r\n"
	"\r\n"
	"<p>html</p>\r\n"
	"--inner--\r\n"
	"--outer\r\n"
	"Content-Type: application/pdf; name=\"x.pdf\"\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"SGVsbG8=\r\n"
	"--outer--\r\n"
	"epilogue\r\n";

static void
test_parse(void)
{
	struct crm_mime_msg m;
	const char *s;
	char *deep;
	size_t i, n;

	crm_mime_parse(nested, strlen(nested), &m);
	is_str(m.subject, "R\xC3\xA9sum\xC3\xA9 folded", "subject unfolded");
	is_str(m.from_name, "Ann", "from name");
	is_str(m.from_addr, "ann@example.org", "from addr");
	is_str(m.message_id, "<m1@example.org>", "message-id");
	is_str(m.in_reply_to, "<r2@x>", "in-reply-to");
	is_int(m.references.n, 2, "references");
	is_str(m.body_type, "text/plain", "plain preferred");
	is_str(m.text, "Gr\xC3\xBC\xC3\x9F" "e, long line", "QP Latin-1 text");
	is_int(m.natt, 1, "one attachment");
	is_str(m.natt ? m.att[0].name : NULL, "x.pdf", "its name");
	is_int(m.natt ? m.att[0].size : 0, 5, "its decoded size");
	is_int(m.problems.n, 0, "no problems");
	crm_mime_msg_release(&m);

	s = "Subject: x\nContent-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: text/html\n\n<p>a &amp; b</p>\n--b\n"
	    "Content-Type: image/png\n\ntrunc";
	crm_mime_parse(s, strlen(s), &m);
	is_str(m.text, "a & b", "html fallback");
	ok(m.severe, "no From is severe");
	is_int(m.problems.n, 2, "and a missing closing boundary");
	crm_mime_msg_release(&m);

	/* Nesting past the limit: bounded, no crash. */
	n = 200;
	deep = crm_xmalloc(n * 64 + 64);
	strcpy(deep, "From: a@b.org\n");
	for (i = 0; i < n; i++)
		sprintf(deep + strlen(deep), "Content-Type: multipart/mixed;"
		    " boundary=b%zu\n\n--b%zu\n", i, i);
	strcat(deep, "\nend\n");
	crm_mime_parse(deep, strlen(deep), &m);
	ok(m.problems.n > 0 && !m.severe, "deep nesting stops, noted");
	crm_mime_msg_release(&m);
	free(deep);

	s = "From: MAILER-DAEMON@mx.example\nContent-Type: multipart/report;"
	    " report-type=delivery-status; boundary=r\n\n--r\n\nfailed\n"
	    "--r\nContent-Type: text/rfc822-headers\n\nSubject: x\n"
	    "Message-ID: <sent-1@crm.example>\n--r--\n";
	crm_mime_parse(s, strlen(s), &m);
	ok(m.bounce, "a delivery report is a bounce");
	is_str(m.enclosed_id, "<sent-1@crm.example>", "with the id it returns");
	is_str(m.text, "failed", "and its text");
	crm_mime_msg_release(&m);

	s = "From: a@b.org\nBad header line\nSubject: x\n\nbody";
	crm_mime_parse(s, strlen(s), &m);
	ok(m.severe, "a malformed header is severe");
	is_str(m.problems.n ? m.problems.v[0] : NULL,
	    "line 2: malformed header", "names the line");
	crm_mime_msg_release(&m);
}

int
main(void)
{
	test_words();
	test_transfer();
	test_charsets();
	test_params();
	test_addresses();
	test_html();
	test_quotes();
	test_parse();
	return done_testing();
}
