/* check_hmap.c -- the hash table: items found under their hash, several
 * under one, removal, growth. */
#include "autoconf.h"

#include "hmap.h"

#include "tmcheck.h"
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Counts the items under `hash' and says whether `item' is one. */
static size_t
count_under(const struct hmap *m, uint64_t hash, const void *item, int *found)
{
	void *pos = NULL, *it;
	size_t n = 0;

	*found = 0;
	while ((it = hmap_next(m, hash, &pos)) != NULL) {
		n++;
		*found |= it == item;
	}
	return n;
}

/* Each item put is found under its hash, and only there, through many
 * doublings of the buckets; removed, it is gone. */
START_TEST(test_put_get_del)
{
	enum { N = 100000 };
	struct hmap *m = hmap_create();
	int *items = calloc(N, sizeof *items);
	int found;

	ck_assert_ptr_nonnull(items);
	for (int i = 0; i < N; i++)
		hmap_put(m, hmap_hash_pair(1, (uint64_t)i), &items[i]);
	ck_assert_uint_eq(hmap_count(m), N);
	for (int i = 0; i < N; i++) {
		ck_assert_uint_eq(count_under(m, hmap_hash_pair(1, (uint64_t)i),
		                              &items[i], &found),
		                  1);
		ck_assert(found);
	}
	ck_assert_uint_eq(count_under(m, hmap_hash_pair(2, 0), NULL, &found),
	                  0);
	for (int i = 0; i < N; i += 2)
		ck_assert_int_eq(
		    hmap_del(m, hmap_hash_pair(1, (uint64_t)i), &items[i]), 1);
	ck_assert_int_eq(hmap_del(m, hmap_hash_pair(1, 0), &items[0]), 0);
	ck_assert_uint_eq(hmap_count(m), N / 2);
	for (int i = 0; i < N; i++)
		ck_assert_uint_eq(count_under(m, hmap_hash_pair(1, (uint64_t)i),
		                              &items[i], &found),
		                  (size_t)(i % 2));
	hmap_free(m);
	free(items);
}
END_TEST

/* Several items under one hash all come back, in the order put; one
 * removed leaves the others. */
START_TEST(test_same_hash)
{
	struct hmap *m = hmap_create();
	int a, b, c, found;
	uint64_t h = hmap_hash_str("/var/log/a.log");
	void *pos = NULL;

	hmap_put(m, h, &a);
	hmap_put(m, h, &b);
	hmap_put(m, h, &c);
	ck_assert_ptr_eq(hmap_next(m, h, &pos), &a);
	ck_assert_ptr_eq(hmap_next(m, h, &pos), &b);
	ck_assert_ptr_eq(hmap_next(m, h, &pos), &c);
	ck_assert_ptr_null(hmap_next(m, h, &pos));
	ck_assert_int_eq(hmap_del(m, h, &b), 1);
	ck_assert_uint_eq(count_under(m, h, &b, &found), 2);
	ck_assert(!found);
	hmap_free(m);
	hmap_free(NULL);
}
END_TEST

/* The hashes tell apart what they should: strings that differ in one
 * byte, and pairs in either order. */
START_TEST(test_hashes)
{
	ck_assert(hmap_hash_str("a.log") != hmap_hash_str("b.log"));
	ck_assert(hmap_hash_str("") != hmap_hash_str("a"));
	ck_assert(hmap_hash_str("x/1") == hmap_hash_str("x/1"));
	ck_assert(hmap_hash_pair(1, 2) != hmap_hash_pair(2, 1));
	ck_assert(hmap_hash_pair(0, 0) != hmap_hash_pair(0, 1));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("hmap");
	TCase *tc = tcase_create("hmap");

	tcase_add_test(tc, test_put_get_del);
	tcase_add_test(tc, test_same_hash);
	tcase_add_test(tc, test_hashes);
	suite_add_tcase(s, tc);
	return tmcheck_run(s);
}
