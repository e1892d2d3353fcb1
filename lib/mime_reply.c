/*
 * The text of incoming mail (crm_mime.h): HTML made plain, and the new
 * part of a reply told from what it quotes.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crm_mime.h"
#include "crm_util.h"

static const struct {
	const char	*name;
	const char	*utf8;
} entities[] = {
	{ "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" },
	{ "apos", "'" }, { "nbsp", " " }, { "copy", "\xC2\xA9" },
	{ "reg", "\xC2\xAE" }, { "hellip", "\xE2\x80\xA6" },
	{ "mdash", "\xE2\x80\x94" }, { "ndash", "\xE2\x80\x93" },
	{ "lsquo", "\xE2\x80\x98" }, { "rsquo", "\xE2\x80\x99" },
	{ "ldquo", "\xE2\x80\x9C" }, { "rdquo", "\xE2\x80\x9D" },
	{ "euro", "\xE2\x82\xAC" }, { "trade", "\xE2\x84\xA2" },
	{ "auml", "\xC3\xA4" }, { "ouml", "\xC3\xB6" }, { "uuml", "\xC3\xBC" },
	{ "Auml", "\xC3\x84" }, { "Ouml", "\xC3\x96" }, { "Uuml", "\xC3\x9C" },
	{ "szlig", "\xC3\x9F" }, { "eacute", "\xC3\xA9" },
	{ "egrave", "\xC3\xA8" }, { "agrave", "\xC3\xA0" },
	{ "ccedil", "\xC3\xA7" }, { "bull", "\xE2\x80\xA2" },
};

static void
add_cp(struct crm_buf *out, unsigned long cp)
{
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80)
		crm_buf_addch(out, (int)cp);
	else if (cp < 0x800) {
		crm_buf_addch(out, (int)(0xC0 | cp >> 6));
		crm_buf_addch(out, (int)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		crm_buf_addch(out, (int)(0xE0 | cp >> 12));
		crm_buf_addch(out, (int)(0x80 | (cp >> 6 & 0x3F)));
		crm_buf_addch(out, (int)(0x80 | (cp & 0x3F)));
	} else {
		crm_buf_addch(out, (int)(0xF0 | cp >> 18));
		crm_buf_addch(out, (int)(0x80 | (cp >> 12 & 0x3F)));
		crm_buf_addch(out, (int)(0x80 | (cp >> 6 & 0x3F)));
		crm_buf_addch(out, (int)(0x80 | (cp & 0x3F)));
	}
}

/* An entity at s ("&..."): its length, the text to out; 0: none. */
static size_t
entity(const char *s, size_t n, struct crm_buf *out)
{
	char name[16];
	unsigned long cp;
	size_t i, k;
	char *end;

	for (i = 1; i < n && i < sizeof(name) && s[i] != ';'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '#')
			return 0;
	if (i >= n || s[i] != ';' || i == 1)
		return 0;
	memcpy(name, s + 1, i - 1);
	name[i - 1] = '\0';
	if (name[0] == '#') {
		cp = name[1] == 'x' || name[1] == 'X' ?
		    strtoul(name + 2, &end, 16) : strtoul(name + 1, &end, 10);
		if (*end != '\0' || end == name + 1)
			return 0;
		add_cp(out, cp);
		return i + 1;
	}
	for (k = 0; k < sizeof(entities) / sizeof(entities[0]); k++)
		if (strcmp(entities[k].name, name) == 0) {
			crm_buf_adds(out, entities[k].utf8);
			return i + 1;
		}
	return 0;
}

static int
is_tag(const char *t, size_t len, const char *const *names)
{
	for (; *names != NULL; names++)
		if (strlen(*names) == len && strncasecmp(t, *names, len) == 0)
			return 1;
	return 0;
}

/*
 * End the line in out: a paragraph (para) leaves a blank line, a <br>
 * (br) always breaks, other blocks break unless the line just ended.
 */
static void
newline(struct crm_buf *out, int para, int br)
{
	size_t n;

	while (out->len > 0 && out->buf[out->len - 1] == ' ')
		out->buf[--out->len] = '\0';
	for (n = 0; n < out->len && n < 2 && out->buf[out->len - 1 - n] ==
	    '\n'; n++)
		;
	if (out->len == 0 || n == 2)
		return;
	if (n == 0 || br || para)
		crm_buf_addch(out, '\n');
	if (para && n == 0)
		crm_buf_addch(out, '\n');
}

/*
 * A tag at s ("<"): its length; line breaks for blocks to out, the
 * blockquote depth in *quote.
 */
static size_t
tag(const char *s, size_t n, struct crm_buf *out, int *quote)
{
	static const char *const bq[] = { "blockquote", NULL };
	static const char *const paras[] = { "p", "h1", "h2", "h3", "h4",
		"h5", "h6", "table", "blockquote", "ul", "ol", "pre", NULL };
	static const char *const blocks[] = { "div", "tr", "li", "hr",
		"title", "dd", "dt", NULL };
	static const char *const br[] = { "br", NULL };
	static const char *const skip[] = { "script", "style", "head", NULL };
	const char *t, *e;
	size_t i, len;
	char q = 0;

	if (n >= 4 && strncmp(s, "<!--", 4) == 0) {
		for (i = 4; i + 2 < n && strncmp(s + i, "-->", 3) != 0; i++)
			;
		return i + 2 < n ? i + 3 : n;
	}
	t = s + 1 + (n > 1 && s[1] == '/');
	for (e = t; e < s + n && isalnum((unsigned char)*e); e++)
		;
	len = (size_t)(e - t);
	for (i = (size_t)(e - s); i < n && (q || s[i] != '>'); i++)
		if (q == 0 && (s[i] == '"' || s[i] == '\''))
			q = s[i];
		else if (q == s[i])
			q = 0;
	i = i < n ? i + 1 : n;
	if (s[1] != '/' && is_tag(t, len, skip)) {
		/* Everything up to the closing tag goes. */
		for (; i + len + 2 < n; i++)
			if (s[i] == '<' && s[i + 1] == '/' &&
			    strncasecmp(s + i + 2, t, len) == 0)
				return i + tag(s + i, n - i, out, quote);
		return n;
	}
	if (is_tag(t, len, bq) && s[1] == '/' && *quote > 0)
		(*quote)--;
	else if (is_tag(t, len, bq) && s[1] != '/' && *quote < 100)
		(*quote)++;
	if (is_tag(t, len, paras) || is_tag(t, len, blocks) ||
	    is_tag(t, len, br))
		newline(out, is_tag(t, len, paras), is_tag(t, len, br));
	return i;
}

/* Quoted text (in a blockquote) is marked as mail marks it: "> ". */
static void
quote_mark(struct crm_buf *out, int quote)
{
	if (quote > 0 && (out->len == 0 || out->buf[out->len - 1] == '\n'))
		crm_buf_adds(out, "> ");
}

void
crm_mime_html_text(const char *s, size_t n, struct crm_buf *out)
{
	size_t i = 0, k;
	int quote = 0;

	while (i < n) {
		if (s[i] == '<' && i + 1 < n && (isalpha((unsigned char)s[i +
		    1]) || s[i + 1] == '/' || s[i + 1] == '!')) {
			i += tag(s + i, n - i, out, &quote);
			continue;
		}
		if (isspace((unsigned char)s[i])) {
			if (out->len > 0 && out->buf[out->len - 1] != ' ' &&
			    out->buf[out->len - 1] != '\n')
				crm_buf_addch(out, ' ');
			i++;
			continue;
		}
		quote_mark(out, quote);
		if (s[i] == '&' && (k = entity(s + i, n - i, out)) > 0)
			i += k;
		else
			crm_buf_addch(out, s[i++]);
	}
	while (out->len > 0 && isspace((unsigned char)out->buf[out->len - 1]))
		out->buf[--out->len] = '\0';
}

/* The lines of a text, pointers into a copy. */
struct lines {
	char	 *copy;
	char	**v;
	size_t	  n;
};

static void
split_lines(const char *text, struct lines *l)
{
	char *p;
	size_t alloc = 16;

	l->copy = crm_xstrdup(text);
	l->v = crm_xmalloc(alloc * sizeof(*l->v));
	l->n = 0;
	for (p = l->copy; p != NULL; ) {
		if (l->n == alloc)
			l->v = crm_xrealloc(l->v, (alloc *= 2) * sizeof(*l->v));
		l->v[l->n++] = p;
		if ((p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
	}
	for (alloc = 0; alloc < l->n; alloc++) {
		p = l->v[alloc];
		if (*p != '\0' && p[strlen(p) - 1] == '\r')
			p[strlen(p) - 1] = '\0';
	}
}

static int
blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

static int
prefix(const char *s, const char *p)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return strncasecmp(s, p, strlen(p)) == 0;
}

/* "On Mon, ... Ada <ada@x> wrote:", "Am ... schrieb Ada:" ... */
static int
attribution(const char *s)
{
	static const char *const verbs[] = { "wrote:", "schrieb:",
		"a \xC3\xA9" "crit :", "a \xC3\xA9" "crit:", "escribi\xC3\xB3:",
		"wrote :", NULL };
	const char *const *v;
	size_t n = strlen(s), k;

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	for (v = verbs; *v != NULL; v++) {
		k = strlen(*v);
		if (n >= k && strncasecmp(s + n - k, *v, k) == 0)
			return 1;
	}
	return 0;
}

/* Where an Outlook-style quoted original starts, or l->n. */
static size_t
outlook_cut(const struct lines *l)
{
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		if (prefix(l->v[i], "-----Original Message-----") ||
		    prefix(l->v[i], "----- Original Message -----"))
			return i;
		if (!prefix(l->v[i], "From:"))
			continue;
		for (j = i + 1; j < l->n && j <= i + 3; j++)
			if (prefix(l->v[j], "Sent:"))
				break;
		if (j < l->n && j <= i + 3) {
			/* An Outlook rule ("____") above goes too. */
			if (i > 0 && prefix(l->v[i - 1], "__________"))
				i--;
			return i;
		}
	}
	return l->n;
}

char *
crm_mime_strip_quotes(const char *text)
{
	struct crm_buf out = CRM_BUF_INIT;
	struct lines l;
	char *keep;
	size_t i, j, n, last;
	int was_blank;

	split_lines(text, &l);
	n = outlook_cut(&l);
	keep = crm_xcalloc(n + 1, 1);
	for (i = 0; i < n; i++)
		keep[i] = l.v[i][0] != '>';
	for (i = 0; i < n; i++) {
		if (keep[i] || (i > 0 && !keep[i - 1]))
			continue;
		/* A quote starts: drop its attribution, on one line or two. */
		for (j = i; j > 0 && blank(l.v[j - 1]); j--)
			;
		if (j > 0 && attribution(l.v[j - 1])) {
			keep[j - 1] = 0;
			if (j > 1 && prefix(l.v[j - 2], "On ") &&
			    !attribution(l.v[j - 2]) && strlen(l.v[j - 1]) <
			    40)
				keep[j - 2] = 0;
		}
	}
	for (i = 0, last = 0, was_blank = 1; i < n; i++) {
		/* Where quotes were, at most one blank line in a row. */
		if (!keep[i] || (was_blank && blank(l.v[i])))
			continue;
		was_blank = blank(l.v[i]);
		crm_buf_adds(&out, l.v[i]);
		crm_buf_addch(&out, '\n');
		if (!blank(l.v[i]))
			last = out.len;
	}
	free(keep);
	free(l.v);
	free(l.copy);
	if (last == 0) {
		crm_buf_release(&out);
		return NULL;
	}
	out.buf[last - 1] = '\0';
	out.len = last - 1;
	return crm_buf_detach(&out);
}
