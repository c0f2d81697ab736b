/* hmap.c -- a chained hash table of pointers: see hmap.h. */
#include "autoconf.h"

#include <stdlib.h>

#include "hmap.h"
#include "xmalloc.h"

#define HMAP_MIN_BUCKETS 64

struct hmap_node {
	struct hmap_node *next;
	uint64_t hash;
	void *item;
};

struct hmap {
	struct hmap_node **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
};

struct hmap *
hmap_create(void)
{
	struct hmap *m = xcalloc(1, sizeof *m);

	m->nbuckets = HMAP_MIN_BUCKETS;
	m->buckets = xcalloc(m->nbuckets, sizeof *m->buckets);
	return m;
}

/* Doubles the buckets, keeping each chain's order. */
static void
hmap_grow(struct hmap *m)
{
	size_t n = m->nbuckets * 2;
	struct hmap_node **b = xcalloc(n, sizeof *b), **tail, *e, *next;

	for (size_t i = 0; i < m->nbuckets; i++) {
		for (e = m->buckets[i]; e != NULL; e = next) {
			next = e->next;
			tail = &b[e->hash & (n - 1)];
			while (*tail != NULL)
				tail = &(*tail)->next;
			e->next = NULL;
			*tail = e;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
}

void
hmap_put(struct hmap *m, uint64_t hash, void *item)
{
	struct hmap_node *e = xmalloc(sizeof *e), **p;

	if (m->count >= m->nbuckets)
		hmap_grow(m);
	e->hash = hash;
	e->item = item;
	e->next = NULL;
	/* Last in its chain: items under one hash come back in the order
	 * they were put. */
	for (p = &m->buckets[hash & (m->nbuckets - 1)]; *p != NULL;
	     p = &(*p)->next)
		;
	*p = e;
	m->count++;
}

int
hmap_del(struct hmap *m, uint64_t hash, const void *item)
{
	struct hmap_node **p, *e;

	for (p = &m->buckets[hash & (m->nbuckets - 1)]; *p != NULL;
	     p = &(*p)->next) {
		e = *p;
		if (e->hash == hash && e->item == item) {
			*p = e->next;
			free(e);
			m->count--;
			return 1;
		}
	}
	return 0;
}

void *
hmap_next(const struct hmap *m, uint64_t hash, void **pos)
{
	struct hmap_node *e = *pos;

	e = e == NULL ? m->buckets[hash & (m->nbuckets - 1)] : e->next;
	while (e != NULL && e->hash != hash)
		e = e->next;
	*pos = e;
	return e != NULL ? e->item : NULL;
}

size_t
hmap_count(const struct hmap *m)
{
	return m->count;
}

void
hmap_free(struct hmap *m)
{
	struct hmap_node *e, *next;

	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nbuckets; i++)
		for (e = m->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(m->buckets);
	free(m);
}

/* Mixes the bits of x (the finaliser of SplitMix64). */
static uint64_t
hmap_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9u;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebu;
	x ^= x >> 31;
	return x;
}

uint64_t
hmap_hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3u;
	}
	return hmap_mix(h);
}

uint64_t
hmap_hash_pair(uint64_t a, uint64_t b)
{
	return hmap_mix(hmap_mix(a) ^ b);
}
