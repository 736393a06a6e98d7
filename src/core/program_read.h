/*
 * Helpers shared by the files that parse the programme document (program.c and
 * segment_rules.c): strict readers of ids, names, string lists, sub-objects, the "when"
 * conditions of multipliers and segment filters, and lists of objects. Not for other modules.
 */
#ifndef FIDELE_CORE_PROGRAM_READ_H
#define FIDELE_CORE_PROGRAM_READ_H

#include <jansson.h>
#include <stdbool.h>

#include "core/program.h"
#include "util/jsonread.h"

#define POINTS_MAX  1000000000LL      /* any single points figure in the programme */
#define MINOR_MAX   100000000000000LL /* 10^14 minor units: far above any real order */
#define PERCENT_MAX 10000LL

/* Whether the document read is a stored version (program_parse_stored_text). */
bool program_read_stored(void);

/* An id: letters, digits, '-', '_' or '.'; "" when absent and not required. */
enum fid_status program_read_id(const json_t *obj, const char *path, const char *key, bool required,
                                char out[PROGRAM_ID_MAX], struct fid_error *err) FID_MUST_USE;
/* "name", or fallback when absent. */
enum fid_status program_read_name(const json_t *obj, const char *path, const char *fallback,
                                  char out[PROGRAM_NAME_MAX], struct fid_error *err) FID_MUST_USE;
/* An optional array of non-empty strings. */
enum fid_status program_read_strings(const json_t *obj, const char *path, const char *key,
                                     struct string_list *out, struct fid_error *err) FID_MUST_USE;
/* An optional sub-object (*out NULL when absent); at gets its pointer. */
enum fid_status program_read_object(const json_t *obj, const char *path, const char *key,
                                    const json_t **out, char at[JSONR_PATH_MAX],
                                    struct fid_error *err) FID_MUST_USE;
/* "weekdays", "hours" {from, to} (local, may cross midnight) and "channels". */
enum fid_status program_read_when(const json_t *item, const char *at, unsigned *weekdays,
                                  int *from_minute, int *to_minute, unsigned *channels,
                                  struct fid_error *err) FID_MUST_USE;

/* Parses the optional array obj[key] of objects into a new array of item_size slots, calling
 * parse for each; *count grows as items are parsed so that a failure leaves a freeable program. */
typedef enum fid_status (*item_parser)(const json_t *item, const char *at, void *slot,
                                       struct fid_error *err);
enum fid_status program_parse_list(const json_t *obj, const char *path, const char *key, size_t max,
                                   size_t item_size, void **items, size_t *count, item_parser parse,
                                   struct fid_error *err) FID_MUST_USE;

/* The "segments" section (segment_rules.c): lifecycle thresholds and custom segments. */
enum fid_status program_parse_segments(const json_t *doc, struct program *p,
                                       struct fid_error *err) FID_MUST_USE;

#endif
