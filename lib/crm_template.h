/*
 * Campaign templates: a small logic-less language (a subset of Mustache)
 * for the subject, bodies and webhook payloads sent to each recipient.
 *
 *   Hello {{first_name|there}},          a default when missing or empty
 *   {{fields.city}} {{campaign.name}}    dotted paths into objects
 *   {{#fields.city}}In {{fields.city}}{{/fields.city}}   when present
 *   {{^fields.city}}Where are you?{{/fields.city}}       when absent
 *   {{ first_name }}                     blanks inside the braces
 *   {{{unsubscribe_url}}}                raw: never escaped
 *
 * A name is segments of [A-Za-z0-9_] joined by ".".  A default is the
 * literal text after "|", trimmed, up to the closing braces; like the
 * rest of the template it is never escaped.  A section tag alone on its
 * line (blanks aside) takes the whole line with it, as in Mustache, so
 * that sections in text bodies leave no blank lines.
 *
 * Values come from a cJSON object: strings as they are, numbers as
 * integers or as the shortest decimal that reads back the same ("0.1"),
 * true and false as words, arrays as their items joined with ", ".  A
 * value is missing when its path does not resolve or it is null, an
 * object, or renders empty ("", []).
 */
#ifndef CRM_TEMPLATE_H
#define CRM_TEMPLATE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "crm_error.h"
#include "crm_util.h"

/* The largest template, in bytes, and the deepest nesting of sections. */
#define CRM_TEMPLATE_MAX	(1024 * 1024)
#define CRM_TEMPLATE_DEPTH	32

/* How values are escaped; the template's own text never is. */
enum crm_tpl_mode {
	CRM_TPL_TEXT,	/* as they are */
	CRM_TPL_HTML,	/* & < > " ' as entities, except in {{{x}}} */
	CRM_TPL_JSON	/* as JSON string content, no quotes added, except
			 * in {{{x}}}; invalid UTF-8 becomes U+FFFD */
};

struct crm_template;

/*
 * Compile text (NUL-terminated) into *t, which the caller frees with
 * crm_template_free(); *t is NULL on error.  Errors are CRM_EXIT_USAGE,
 * one line, prefixed with what (when not NULL), the line and the column
 * (in characters, from 1):
 *   --html: line 3, column 9: "{{#fields.city}}" is never closed
 * for a "{{" or "{{{" without its closing braces, a section never closed,
 * a close tag that closes nothing or not the open section, an empty or
 * invalid name, invalid UTF-8, a NUL byte (crm_template_parsen), sections
 * nested deeper than CRM_TEMPLATE_DEPTH, and a template larger than
 * CRM_TEMPLATE_MAX (without line and column).
 */
struct crm_error *crm_template_parse(const char *text, const char *what,
	    struct crm_template **t);
/* The same for text[0..len), which may hold a NUL byte (an error). */
struct crm_error *crm_template_parsen(const char *text, size_t len,
	    const char *what, struct crm_template **t);

/*
 * Append the rendering of t against ctx (borrowed; may be NULL, when
 * everything is missing) to out.  {{#x}} renders its body when x is
 * present and neither false nor an empty array, {{^x}} when it is not;
 * an array section renders once.  The name of each variable that is
 * missing, has no default, and lies in a rendered part is appended to
 * missing (may be NULL) unless missing already holds it.
 */
void	 crm_template_render(const struct crm_template *t, const cJSON *ctx,
	    enum crm_tpl_mode mode, struct crm_buf *out,
	    struct crm_strv *missing);

/*
 * Add every name t uses (variables and sections alike) that names does
 * not hold yet, then sort names: with one list for a subject and its
 * bodies, the sorted union of their names.
 */
void	 crm_template_vars(const struct crm_template *t,
	    struct crm_strv *names);

/* Free t; NULL is fine. */
void	 crm_template_free(struct crm_template *t);

#endif
