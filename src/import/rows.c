/*
 * Row reading. libcsv hands fields and row ends to callbacks; this file gathers them into a
 * struct row in one growing buffer that is reused for every row. Whitespace mode splits lines on
 * runs of spaces and tabs without quoting (the format of fixed-width exports such as CDNOW's).
 */
#include "import/rows.h"

#include <csv.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct gather {
    struct row row;
    char *buffer;
    size_t used, cap;
    size_t offsets[ROWS_FIELDS_MAX];
    size_t line;      /* current physical line */
    size_t row_start; /* line where the current row began */
    /* the line of the first byte fed since the last row ended: a row whose first field spans
     * lines (quoted) reaches add_field only on its last one */
    size_t fed_line;
    bool fed;
    bool at_line_start;
    bool cr_ended; /* the last piece ended with '\r': a '\n' first in the next one ends no line */
    bool row_open;
    row_visit visit;
    void *context;
    int stop;
    enum fid_status status;
    struct fid_error *err;
};

/* Past the end of the line that starts at p: its "\n", "\r\n" or lone "\r" (the files of old Mac
 * software), or end when the line goes on in the next read. */
static const char *line_end(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *cr = memchr(p, '\r', (size_t)((nl ? nl : end) - p));
    if (cr == NULL)
        return nl ? nl + 1 : end;
    return cr + 1 < end && cr[1] == '\n' ? cr + 2 : cr + 1;
}

static void add_field(struct gather *g, const char *data, size_t len)
{
    if (g->status != FID_OK)
        return;
    if (!g->row_open) {
        g->row_open = true;
        g->row_start = g->fed ? g->fed_line : g->line;
    }
    if (g->row.n_fields == ROWS_FIELDS_MAX || len > ROWS_FIELD_MAX) {
        char where[32];
        snprintf(where, sizeof where, "line %zu", g->row_start);
        g->status = fid_fail(g->err, FID_ERR_INPUT, where, "%s",
                             len > ROWS_FIELD_MAX ? "a field is longer than 4096 bytes"
                                                  : "more than 256 fields");
        return;
    }
    if (g->row.nul_field < 0 && memchr(data, '\0', len) != NULL)
        g->row.nul_field = (int)g->row.n_fields;
    xgrow((void **)&g->buffer, &g->cap, g->used + len + 1, 1);
    memcpy(g->buffer + g->used, data, len);
    g->buffer[g->used + len] = '\0';
    g->offsets[g->row.n_fields++] = g->used;
    g->used += len + 1;
}

static void end_row(struct gather *g)
{
    if (g->status == FID_OK && g->stop == 0 && g->row.n_fields > 0) {
        for (size_t i = 0; i < g->row.n_fields; i++)
            g->row.fields[i] = g->buffer + g->offsets[i];
        g->row.line = g->row_start;
        g->stop = g->visit(&g->row, g->context);
    }
    g->row.n_fields = 0;
    g->row.nul_field = -1;
    g->used = 0;
    g->row_open = false;
    g->fed = false;
}

static void on_field(void *data, size_t len, void *context)
{
    add_field(context, data ? data : "", data ? len : 0);
}

static void on_row(int terminator, void *context)
{
    (void)terminator;
    end_row(context);
}

static enum fid_status read_csv(FILE *in, char delimiter, struct gather *g, size_t *bytes_read)
{
    struct csv_parser parser;
    if (csv_init(&parser, CSV_APPEND_NULL) != 0)
        return fid_fail(g->err, FID_ERR_INTERNAL, "", "cannot start the CSV parser");
    csv_set_delim(&parser, (unsigned char)delimiter);
    char chunk[65536];
    size_t n;
    bool first = true;
    while (g->status == FID_OK && g->stop == 0 && (n = fread(chunk, 1, sizeof chunk, in)) > 0) {
        const char *start = chunk;
        if (first && n >= 3 && memcmp(chunk, "\xEF\xBB\xBF", 3) == 0) { /* banned-ok: BOM */
            start += 3;
            n -= 3;
            if (bytes_read)
                *bytes_read += 3;
        }
        first = false;
        /* Feed line by line so that every row knows the line it starts on (libcsv does not
         * count lines). */
        const char *p = start, *end = start + n;
        while (p < end && g->status == FID_OK && g->stop == 0) {
            const char *stop = line_end(p, end);
            bool rest_of_crlf = g->cr_ended && *p == '\n';
            if (g->at_line_start && !rest_of_crlf)
                g->line++;
            g->at_line_start = stop[-1] == '\n' || stop[-1] == '\r';
            g->cr_ended = stop[-1] == '\r';
            if (!g->fed && *p != '\n' && *p != '\r') { /* a blank line starts no row */
                g->fed = true;
                g->fed_line = g->line;
            }
            if (bytes_read) /* counted per line: an import estimates its size from it */
                *bytes_read += (size_t)(stop - p);
            if (csv_parse(&parser, p, (size_t)(stop - p), on_field, on_row, g) !=
                (size_t)(stop - p)) {
                char where[32];
                snprintf(where, sizeof where, "line %zu", g->line);
                g->status = fid_fail(g->err, FID_ERR_INPUT, where, "malformed CSV: %s",
                                     csv_strerror(csv_error(&parser)));
            }
            p = stop;
        }
    }
    if (g->status == FID_OK && g->stop == 0)
        csv_fini(&parser, on_field, on_row, g);
    csv_free(&parser);
    return g->status;
}

static enum fid_status read_blank_separated(FILE *in, struct gather *g, size_t *bytes_read)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while (g->status == FID_OK && g->stop == 0 && (n = getline(&line, &cap, in)) > 0) {
        g->line++;
        if (bytes_read)
            *bytes_read += (size_t)n;
        char *p = line;
        if (g->line == 1 && n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) /* banned-ok: BOM */
            p += 3;
        while (*p) {
            while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
                p++;
            if (*p == '\0')
                break;
            char *start = p;
            while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
                p++;
            add_field(g, start, (size_t)(p - start));
        }
        if (p < line + n && g->row.nul_field < 0) /* a NUL byte, where reading the line stopped */
            g->row.nul_field = (int)g->row.n_fields - (p > line && p[-1] != ' ' && p[-1] != '\t');
        end_row(g);
    }
    free(line);
    return g->status;
}

enum fid_status rows_read(FILE *in, char delimiter, row_visit visit, void *context,
                          size_t *bytes_read, struct fid_error *err)
{
    struct gather g = {.visit = visit,
                       .context = context,
                       .status = FID_OK,
                       .err = err,
                       .at_line_start = true,
                       .row.nul_field = -1};
    enum fid_status st = delimiter ? read_csv(in, delimiter, &g, bytes_read)
                                   : read_blank_separated(in, &g, bytes_read);
    free(g.buffer);
    return st;
}
