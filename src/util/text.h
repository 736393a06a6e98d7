/*
 * Checks on text that people type and that is printed back: well-formed UTF-8 (what JSON and
 * the database hold), and no control characters (ids and names are printed one a line).
 */
#ifndef FIDELE_UTIL_TEXT_H
#define FIDELE_UTIL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Whether the len bytes of text are well-formed UTF-8 without a NUL. */
bool fid_text_utf8(const char *text, size_t len);

/* The first control character of text (below U+0020, DEL, U+0080 to U+009F, or U+2028 and
 * U+2029, the line and paragraph separators), -1 when none. text is UTF-8. */
int fid_text_control(const char *text);

/* Copies text into out (size bytes, NUL-terminated), cut before a character that does not fit
 * whole, so that a cut UTF-8 text stays UTF-8. */
void fid_text_cut(const char *text, char *out, size_t size);

/* Copies text into out (size bytes, NUL-terminated) with every byte sequence that is not UTF-8
 * replaced by U+FFFD, cut as fid_text_cut does: for echoing untrusted bytes into JSON. */
void fid_text_sanitize(const char *text, char *out, size_t size);

/* Text in lower case, every script's capitals included ("ÉLODIE" -> "élodie"; ICU's
 * locale-neutral lowering), into out (size bytes). When that does not fit, or text is not UTF-8,
 * ASCII letters alone are lowered. */
void fid_text_lower(const char *text, char *out, size_t size);

/* Whether text reads as an e-mail address: one '@' with something on each side, and no white
 * space. Delivery is the mail server's judgement; this catches what was typed in the wrong
 * field ("bob@", "a@b@c", a name). */
bool fid_email_plausible(const char *text);

/* An e-mail address as it is kept and compared: fid_text_lower of it. */
void fid_email_fold(const char *text, char *out, size_t size);

#endif
