/*
 * What the commits in a write-ahead log wrote, by table and index: `bench_log_pages DB LOG
 * [COMMITS]` reads the frames of LOG (SQLite's WAL format: a 32-byte header, then frames of a
 * 24-byte header and a page; a frame whose commit field is not zero ends a transaction), keeps
 * the last COMMITS transactions (100 unless given) and names each frame's page by the B-tree
 * that holds it in DB today (SQLite's dbstat table). Prints the frames per commit and, for each
 * B-tree, the pages it wrote per commit, most first.
 *
 * LOG is usually a copy taken while a benchmark runs (`cp fidele.db-wal copy`): the log starts
 * over after a checkpoint round, so a copy holds the latest transactions up to its length. Pages
 * allocated since the copy are fine (they are only ever added in these workloads); a page that
 * DB no longer uses is counted as "(free)".
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#define HEADER_BYTES       32
#define FRAME_HEADER_BYTES 24

struct tally {
    const char *name;
    long frames;
};

static uint32_t big_endian(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void die(const char *what)
{
    fprintf(stderr, "bench_log_pages: %s\n", what);
    exit(1);
}

/* names[page] = the B-tree holding page in the database at path (NULL when none), *n_pages the
 * table's size. */
static char **page_names(const char *path, uint32_t *n_pages)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT pageno, name FROM dbstat", -1, &s, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_log_pages: %s: %s\n", path, sqlite3_errmsg(db));
        exit(1);
    }
    char **names = NULL;
    size_t cap = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        uint32_t page = (uint32_t)sqlite3_column_int64(s, 0);
        if (page >= cap) {
            size_t had = cap;
            xgrow((void **)&names, &cap, (size_t)page + 1, sizeof *names);
            memset(names + had, 0, (cap - had) * sizeof *names);
        }
        if (names[page] == NULL)
            names[page] = xstrdup((const char *)sqlite3_column_text(s, 1));
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    *n_pages = (uint32_t)cap;
    return names;
}

static int by_frames(const void *a, const void *b)
{
    const struct tally *x = a, *y = b;
    return (x->frames < y->frames) - (x->frames > y->frames);
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: bench_log_pages DB LOG [COMMITS]\n");
        return 2;
    }
    long wanted = argc == 4 ? strtol(argv[3], NULL, 10) : 100;
    if (wanted < 1)
        die("COMMITS is a whole number from 1");
    FILE *f = fopen(argv[2], "rb");
    unsigned char header[HEADER_BYTES];
    if (f == NULL || fread(header, 1, sizeof header, f) != sizeof header)
        die("cannot read the log's header");
    uint32_t page_size = big_endian(header + 8);
    if (page_size < 512 || page_size > 65536 || (page_size & (page_size - 1)) != 0)
        die("not a write-ahead log (page size)");
    /* Frames of the log's current generation carry its salts; older ones past them do not. */
    unsigned char *frame = xmalloc(FRAME_HEADER_BYTES + page_size);
    uint32_t *pages = NULL;
    long *commit_ends = NULL;
    size_t n_frames = 0, n_commits = 0, cap_frames = 0, cap_commits = 0;
    while (fread(frame, 1, FRAME_HEADER_BYTES + page_size, f) == FRAME_HEADER_BYTES + page_size &&
           big_endian(frame + 8) == big_endian(header + 16) &&
           big_endian(frame + 12) == big_endian(header + 20)) {
        xgrow((void **)&pages, &cap_frames, n_frames + 1, sizeof *pages);
        pages[n_frames++] = big_endian(frame);
        if (big_endian(frame + 4) != 0) {
            xgrow((void **)&commit_ends, &cap_commits, n_commits + 1, sizeof *commit_ends);
            commit_ends[n_commits++] = (long)n_frames;
        }
    }
    fclose(f);
    free(frame);
    if (n_commits == 0)
        die("the log holds no whole transaction");
    size_t first = n_commits > (size_t)wanted ? n_commits - (size_t)wanted : 0;
    long from = first == 0 ? 0 : commit_ends[first - 1], to = commit_ends[n_commits - 1];
    long counted = (long)(n_commits - first);

    uint32_t n_names = 0;
    char **names = page_names(argv[1], &n_names);
    struct tally *tallies = NULL;
    size_t n_tallies = 0, cap_tallies = 0;
    for (long i = from; i < to; i++) {
        const char *name = pages[i] < n_names && names[pages[i]] ? names[pages[i]] : "(free)";
        size_t t = 0;
        while (t < n_tallies && strcmp(tallies[t].name, name) != 0)
            t++;
        if (t == n_tallies) {
            xgrow((void **)&tallies, &cap_tallies, n_tallies + 1, sizeof *tallies);
            tallies[n_tallies++] = (struct tally){name, 0};
        }
        tallies[t].frames++;
    }
    qsort(tallies, n_tallies, sizeof *tallies, by_frames);
    printf("%ld commits of %zu in the log, %.1f frames (pages of %u bytes) per commit\n", counted,
           n_commits, (double)(to - from) / (double)counted, page_size);
    for (size_t t = 0; t < n_tallies; t++)
        printf("%9.1f  %s\n", (double)tallies[t].frames / (double)counted, tallies[t].name);
    for (uint32_t p = 0; p < n_names; p++)
        free(names[p]);
    free(names);
    free(tallies);
    free(pages);
    free(commit_ends);
    return 0;
}
