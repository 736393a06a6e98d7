/*
 * Corpus replay for builds without libFuzzer (gcc, the sanitizer build): feeds every file named
 * on the command line, and every regular file directly inside a named directory (sorted, dot
 * files skipped), to LLVMFuzzerTestOneInput once. Each input is copied into a buffer of exactly
 * its size so that AddressSanitizer catches a target reading past the end. Exit status: 0 when
 * every input ran, 1 when an argument could not be read or named no input at all.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define REPLAY_FILE_MAX (16u * 1024 * 1024) /* larger seeds are an error: corpora are small */
#define REPLAY_PATH_MAX 4096

/* Reads path whole into a new buffer of exactly its size; *data is NULL for an empty file. */
static int read_file(const char *path, uint8_t **data, size_t *size)
{
    int rc = -1;
    uint8_t *buf = NULL;
    FILE *f = fopen(path, "rb");
    *data = NULL;
    *size = 0;
    if (f == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        goto done;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || st.st_size < 0 || (size_t)st.st_size > REPLAY_FILE_MAX) {
        fprintf(stderr, "replay: %s: unreadable or larger than %u bytes\n", path, REPLAY_FILE_MAX);
        goto done;
    }
    size_t n = (size_t)st.st_size;
    if (n > 0) {
        buf = malloc(n);
        if (buf == NULL || fread(buf, 1, n, f) != n) {
            fprintf(stderr, "replay: %s: short read\n", path);
            goto done;
        }
    }
    *data = buf;
    *size = n;
    buf = NULL;
    rc = 0;
done:
    free(buf);
    if (f != NULL)
        fclose(f);
    return rc;
}

static int run_file(const char *path, size_t *count)
{
    uint8_t *data = NULL;
    size_t size = 0;
    if (read_file(path, &data, &size) != 0)
        return -1;
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    (*count)++;
    return 0;
}

static int skip_dot(const struct dirent *entry)
{
    return entry->d_name[0] != '.';
}

static int run_directory(const char *dir, size_t *count)
{
    struct dirent **entries = NULL;
    int n = scandir(dir, &entries, skip_dot, alphasort);
    if (n < 0) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char path[REPLAY_PATH_MAX];
        struct stat st;
        int len = snprintf(path, sizeof path, "%s/%s", dir, entries[i]->d_name);
        if (len < 0 || (size_t)len >= sizeof path) {
            fprintf(stderr, "replay: %s/%s: path too long\n", dir, entries[i]->d_name);
            rc = -1;
        } else if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && run_file(path, count) != 0) {
            rc = -1;
        }
        free(entries[i]);
    }
    free(entries);
    return rc;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    int failed = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            failed = 1;
        } else if (S_ISDIR(st.st_mode)) {
            failed |= run_directory(argv[i], &count) != 0;
        } else {
            failed |= run_file(argv[i], &count) != 0;
        }
    }
    printf("replay: %zu inputs ran\n", count);
    if (count == 0) {
        fprintf(stderr, "replay: no input found\n");
        return 1;
    }
    return failed ? 1 : 0;
}
