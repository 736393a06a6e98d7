/*
 * Texts and who owns them: each text (an e-mail address, a phone) maps to its one owner, a
 * number the caller gives (an index + 1), or to TEXT_OWNERS_SHARED once two owners have it. Open
 * addressing over keyed hashes (a file cannot choose texts that collide), grown by doubling at
 * half full; the texts are copied into one arena. Not thread-safe: one user at a time.
 */
#ifndef FIDELE_UTIL_TEXT_OWNERS_H
#define FIDELE_UTIL_TEXT_OWNERS_H

#include <stddef.h>
#include <stdint.h>

#define TEXT_OWNERS_NONE   0u
#define TEXT_OWNERS_SHARED UINT32_MAX

struct text_owners_slot;

struct text_owners {
    struct text_owners_slot *slots; /* capacity of them; owner TEXT_OWNERS_NONE = empty */
    size_t capacity, count;
    char *texts; /* the texts, NUL-terminated one after the other */
    size_t texts_len, texts_cap;
    unsigned char key[16];
};

/* An empty map with a key of its own; text_owners_free releases it (and accepts a zeroed one). */
void text_owners_init(struct text_owners *map);
void text_owners_free(struct text_owners *map);

/* Notes that owner (neither NONE nor SHARED) has text: a text another owner has becomes shared. */
void text_owners_add(struct text_owners *map, const char *text, uint32_t owner);

/* The owner of text: TEXT_OWNERS_NONE, the one owner, or TEXT_OWNERS_SHARED. */
uint32_t text_owners_find(const struct text_owners *map, const char *text);

#endif
