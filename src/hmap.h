/* hmap.h -- a hash table of pointers under 64-bit hashes, for lookups that
 * must not grow with the number of files followed.  The caller hashes
 * (hmap_hash_str(), hmap_hash_pair()) and compares: several items may share
 * a hash, or a key, and hmap_next() gives each of them.  Not thread safe:
 * one owner, the loop thread. */
#ifndef TAILMUX_HMAP_H
#define TAILMUX_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap;

/* An empty table. */
struct hmap *hmap_create(void);

/* Adds `item' under `hash' (an item already there under it is kept:
 * both are found). */
void hmap_put(struct hmap *m, uint64_t hash, void *item);

/* Removes `item' from under `hash'.  Returns 1 if it was there, else 0. */
int hmap_del(struct hmap *m, uint64_t hash, const void *item);

/* The items under `hash', one a call: *pos starts NULL; returns NULL after
 * the last.  The table must not change between calls. */
void *hmap_next(const struct hmap *m, uint64_t hash, void **pos);

/* How many items the table holds. */
size_t hmap_count(const struct hmap *m);

/* Frees the table (NULL is fine), not the items. */
void hmap_free(struct hmap *m);

/* The hash of a string. */
uint64_t hmap_hash_str(const char *s);

/* The hash of a pair of numbers (a device and an inode). */
uint64_t hmap_hash_pair(uint64_t a, uint64_t b);

#endif
