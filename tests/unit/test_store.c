/*
 * Unit tests for store: URL -> safe relative path, atomic publishing,
 * collisions, keeping and resuming ".part" files.
 *
 * Name mapping is checked by tables (flat and tree mode, hostile URLs
 * included) and by a property check over generated hostile paths from a
 * fixed-seed PRNG.  File tests run twice, once with O_TMPFILE (the default)
 * and once with STORE_NO_TMPFILE (the ".part" fallback): the second run's
 * name ends in "_part".  Each test works in its own mkdtemp directory,
 * removed with nftw at the end, and checks that it leaked no descriptor.
 * Worker threads only record; cmocka asserts on the test thread after join.
 * The disk-full test mounts a 64 KiB tmpfs, so it runs only as root and
 * skips (saying why) elsewhere.
 */
#define _GNU_SOURCE /* nftw, O_TMPFILE */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"

struct mode {
	unsigned flags;
};

static const struct mode mode_tmpfile = {0};
static const struct mode mode_part = {STORE_NO_TMPFILE};
/* records in sidecar files, as on a file system without user xattrs */
static const struct mode mode_sidecar = {STORE_NO_XATTR};
static const struct mode mode_sidecar_part = {STORE_NO_XATTR | STORE_NO_TMPFILE};
/* O_TMPFILE files linked through /proc/self/fd, as for a user who may not
 * link by descriptor (AT_EMPTY_PATH wants CAP_DAC_READ_SEARCH) */
static const struct mode mode_proc = {STORE_NO_LINK_BY_FD};

struct fixture {
	char dir[PATH_MAX];
	unsigned flags; /* the mode's flags, to add to every store_new */
	int fds_at_start;
	char mounted[PATH_MAX]; /* a tmpfs to unmount at teardown, or "" */
};

/* ---- helpers ----------------------------------------------------------- */

static int count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *ent;
	int n = 0;

	if (!d)
		return -1;
	while ((ent = readdir(d)) != NULL) {
		if (ent->d_name[0] != '.')
			n++;
	}
	closedir(d);
	return n - 1; /* the DIR's own descriptor */
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP || type == FTW_D || type == FTW_DNR)
		return rmdir(path) != 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) != 0 && errno != ENOENT ? -1 : 0;
}

static int chmod_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D || type == FTW_DNR)
		chmod(path, (st->st_mode & 07777) | 0700);
	return 0;
}

static int setup(void **state)
{
	const struct mode *mode = *state;
	struct fixture *fx = calloc(1, sizeof(*fx));
	const char *tmp = getenv("TMPDIR");

	if (!fx)
		return -1;
	fx->flags = mode ? mode->flags : 0;
	snprintf(fx->dir, sizeof(fx->dir), "%s/test_store.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	fx->fds_at_start = count_open_fds();
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int fds = count_open_fds();
	int ret = 0;

	if (fx->mounted[0])
		umount2(fx->mounted, MNT_DETACH);
	nftw(fx->dir, chmod_entry, 16, FTW_PHYS);
	if (nftw(fx->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
		print_error("could not remove %s\n", fx->dir);
		ret = -1;
	}
	if (fds != fx->fds_at_start) {
		print_error("descriptor leak: %d open at start, %d at end\n", fx->fds_at_start,
			    fds);
		ret = -1;
	}
	free(fx);
	return ret;
}

static void path_in(const struct fixture *fx, const char *rel, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", fx->dir, rel);

	assert_true(n > 0 && (size_t)n < len);
}

static struct store *open_store(const struct fixture *fx, const char *rel, unsigned flags)
{
	char dir[PATH_MAX];
	char errbuf[256];
	struct store *store = NULL;

	path_in(fx, rel, dir, sizeof(dir));
	assert_int_equal(store_new(dir, fx->flags | flags, &store, errbuf, sizeof(errbuf)), FA_OK);
	assert_non_null(store);
	return store;
}

/* Whether fx->dir/rel exists (a dangling symbolic link counts). */
static bool exists(const struct fixture *fx, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	path_in(fx, rel, path, sizeof(path));
	return lstat(path, &st) == 0;
}

/* Entries in fx->dir/rel, "." and ".." aside. */
static int count_entries(const struct fixture *fx, const char *rel)
{
	char path[PATH_MAX];
	DIR *d;
	struct dirent *ent;
	int n = 0;

	path_in(fx, rel, path, sizeof(path));
	d = opendir(path);
	assert_non_null(d);
	while ((ent = readdir(d)) != NULL) {
		if (strcmp(ent->d_name, ".") != 0 && strcmp(ent->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

/* Reads fx->dir/rel into buf; returns its length, or -1. */
static ssize_t slurp(const struct fixture *fx, const char *rel, char *buf, size_t cap)
{
	char path[PATH_MAX];
	size_t used = 0;
	int fd;

	path_in(fx, rel, path, sizeof(path));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t n = read(fd, buf + used, cap - used);

		if (n < 0) {
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used == cap)
			break;
	}
	close(fd);
	return (ssize_t)used;
}

static void spit(const struct fixture *fx, const char *rel, const char *data, size_t len)
{
	char path[PATH_MAX];
	int fd;

	path_in(fx, rel, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void make_dir(const struct fixture *fx, const char *rel)
{
	char path[PATH_MAX];

	path_in(fx, rel, path, sizeof(path));
	assert_int_equal(mkdir(path, 0755), 0);
}

static void make_symlink(const struct fixture *fx, const char *target, const char *rel)
{
	char path[PATH_MAX];

	path_in(fx, rel, path, sizeof(path));
	assert_int_equal(symlink(target, path), 0);
}

/* Deterministic content: len bytes that depend on seed. */
static void fill(char *buf, size_t len, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (char)(x >> 16);
	}
}

static void write_all(struct store_file *file, const char *data, size_t len)
{
	assert_int_equal(store_write(file, data, len), FA_OK);
}

/* Opens rel, writes data, commits; returns the final path (caller frees). */
static char *save(struct store *store, const char *rel, const char *data, size_t len)
{
	struct store_file *file = NULL;
	char *final = NULL;

	assert_int_equal(store_open(store, rel, NULL, &file, NULL), FA_OK);
	write_all(file, data, len);
	assert_int_equal(store_commit(file, &final), FA_OK);
	assert_non_null(final);
	return final;
}

static void assert_file(const struct fixture *fx, const char *rel, const char *data, size_t len)
{
	char *buf = malloc(len + 1);
	ssize_t got;

	assert_non_null(buf);
	got = slurp(fx, rel, buf, len + 1);
	assert_int_equal(got, (ssize_t)len);
	assert_memory_equal(buf, data, len);
	free(buf);
}

/* ---- name mapping: tables ---------------------------------------------- */

struct name_case {
	const char *url;
	const char *want;
};

static void check_names(const struct name_case *cases, size_t n, bool tree)
{
	char out[STORE_PATH_MAX + 1];

	for (size_t i = 0; i < n; i++) {
		enum fa_err err = store_name_for_url(cases[i].url, tree, out, sizeof(out));

		if (err != FA_OK || strcmp(out, cases[i].want) != 0)
			print_error("%s (tree %d): got %s \"%s\", want \"%s\"\n", cases[i].url,
				    tree, fa_strerror(err), out, cases[i].want);
		assert_int_equal(err, FA_OK);
		assert_string_equal(out, cases[i].want);
	}
}

static void test_store_name_flat(void **state)
{
	static const struct name_case cases[] = {
	    {"http://h/a/b/photo.jpg", "photo.jpg"},
	    {"http://h/photo.jpg?w=200&h=1", "photo_w=200_h=1.jpg"},
	    {"http://h/page?id=3", "page_id=3"},
	    {"http://h/?q=x", "index_q=x.html"},
	    {"http://h?q=x", "index_q=x.html"},
	    {"http://h", "index.html"},
	    {"http://h/", "index.html"},
	    {"http://h/dir/", "index.html"},
	    {"http://h////", "index.html"},
	    {"http://h/a?", "a"},
	    {"http://h/a#frag", "a"},
	    {"http://h/../../etc/passwd", "passwd"},
	    {"http://h/a/%2e%2e/%2e%2e/x", "x"},
	    {"http://h/a/%2e%2e", "__"},
	    {"http://h/a/%2E", "_"},
	    {"http://h/%2e?q=1", "__q=1"},
	    {"http://h/%2F..%2Fetc%2Fpasswd", "_.._etc_passwd"},
	    {"http://h/a%00b", "a_b"},
	    {"http://h/%0a%0d", "__"},
	    {"http://h/a%7fb%1b", "a_b_"},
	    {"http://h/a%5Cb", "a_b"},
	    {"http://h/a\\b", "a_b"},
	    {"http://h/-rf", "_rf"},
	    {"http://h/--help", "_-help"},
	    {"http://h/%2Drf", "_rf"},
	    {"http://h/x.part", "x.part_"},
	    {"http://h/x.PaRt", "x.PaRt_"},
	    {"http://h/.part", ".part_"},
	    {"http://h/x.part?a=1", "x_a=1.part_"},
	    {"http://h/x.part.1", "x.part.1"},
	    {"http://h/x?.part", "x_.part_"},
	    {"http://h/caf%C3%A9.txt", "caf\xc3\xa9.txt"},
	    {"http://h/%FF%FE", "\xff\xfe"},
	    {"http://h/a?x=%2F..%2F", "a_x=_.._"},
	    {"http://h/a?q=a+b&c=%41", "a_q=a_b_c=A"},
	    {"http://h/.hidden", ".hidden"},
	    {"http://h/.hidden?x=1", ".hidden_x=1"},
	    {"http://h/a.tar.gz?v=2", "a.tar_v=2.gz"},
	    {"http://h/f.verylongextension?v=1", "f.verylongextension_v=1"},
	    {"http://h/%25", "%"},
	    {"http://h/%zz%4", "%zz%4"},
	    {"http://H:80/A", "A"},
	    {"ftp://h/pub/file.iso", "file.iso"},
	    {"file:///etc/passwd", "passwd"},
	};

	(void)state;
	check_names(cases, sizeof(cases) / sizeof(cases[0]), false);
}

static void test_store_name_tree(void **state)
{
	static const struct name_case cases[] = {
	    {"http://H:80/A", "h/A"},
	    {"http://h:8080/a/b/", "h:8080/a/b/index.html"},
	    {"http://h:8080/a/b/?x=1", "h:8080/a/b/index_x=1.html"},
	    {"https://h:443/x", "h/x"},
	    {"https://h:80/x", "h:80/x"},
	    {"http://[::1]:8080/x", "[::1]:8080/x"},
	    {"http://EXAMPLE.com/Dir/F.txt", "example.com/Dir/F.txt"},
	    {"http://h", "h/index.html"},
	    {"http://h////", "h/index.html"},
	    {"http://h//a//b//", "h/a/b/index.html"},
	    {"http://h/../../etc/passwd", "h/etc/passwd"},
	    {"http://h/a/%2e%2e/%2e%2e/x", "h/a/__/__/x"},
	    {"http://h/%2e/x", "h/_/x"},
	    {"http://h/%2F..%2Fetc%2Fpasswd", "h/_.._etc_passwd"},
	    {"http://h/a%2Fb/c", "h/a_b/c"},
	    {"http://h/d%00/%0a/f?q", "h/d_/_/f_q"},
	    {"http://h/-a/-b", "h/_a/_b"},
	    {"http://h/x.part/y", "h/x.part_/y"},
	    {"http://h/.git/config", "h/.git/config"},
	    {"http://user:pw@h/x", "h/x"},
	};

	(void)state;
	check_names(cases, sizeof(cases) / sizeof(cases[0]), true);
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_store_name_long(void **state)
{
	char url[8192];
	char want[512];
	char out[STORE_PATH_MAX + 1];
	char *a1000 = repeat('a', 1000);
	char *q100 = repeat('q', 100);
	char *a196 = repeat('a', 196);
	char *a192 = repeat('a', 192);
	char *q64 = repeat('q', 64);

	(void)state;
	/* A long name keeps its extension. */
	snprintf(url, sizeof(url), "http://h/%s.jpg", a1000);
	assert_int_equal(store_name_for_url(url, false, out, sizeof(out)), FA_OK);
	snprintf(want, sizeof(want), "%s.jpg", a196);
	assert_string_equal(out, want);

	/* ... and its query, which is cut at 64 bytes. */
	snprintf(url, sizeof(url), "http://h/%s.jpg?v=1", a1000);
	assert_int_equal(store_name_for_url(url, false, out, sizeof(out)), FA_OK);
	snprintf(want, sizeof(want), "%s_v=1.jpg", a192);
	assert_string_equal(out, want);
	snprintf(url, sizeof(url), "http://h/p?%s", q100);
	assert_int_equal(store_name_for_url(url, false, out, sizeof(out)), FA_OK);
	snprintf(want, sizeof(want), "p_%s", q64);
	assert_string_equal(out, want);

	/* Cutting a long name that would then end in ".part" still avoids it. */
	snprintf(url, sizeof(url), "http://h/%s.part", a1000);
	assert_int_equal(store_name_for_url(url, false, out, sizeof(out)), FA_OK);
	assert_int_equal(strlen(out), STORE_COMPONENT_MAX);
	assert_string_equal(out + STORE_COMPONENT_MAX - 6, ".part_");

	/* A cut never splits a UTF-8 sequence. */
	{
		char *p = url + snprintf(url, sizeof(url), "http://h/");

		for (int i = 0; i < 150; i++)
			p += snprintf(p, 8, "%%C3%%A9"); /* U+00E9, 2 bytes */
		assert_int_equal(store_name_for_url(url, false, out, sizeof(out)), FA_OK);
		assert_int_equal(strlen(out), STORE_COMPONENT_MAX);
		assert_int_equal((unsigned char)out[STORE_COMPONENT_MAX - 2], 0xc3);
	}
	free(a1000);
	free(q100);
	free(a196);
	free(a192);
	free(q64);
}

/* Splits a result and checks every promise store_name_for_url makes. */
static void assert_safe_path(const char *url, const char *path)
{
	size_t len = strlen(path);
	size_t depth = 0;
	const char *comp = path;

	if (len == 0 || path[0] == '/' || len > STORE_PATH_MAX)
		fail_msg("%s: bad path \"%s\"", url, path);
	for (;;) {
		const char *slash = strchr(comp, '/');
		size_t clen = slash ? (size_t)(slash - comp) : strlen(comp);

		depth++;
		if (clen == 0 || (clen == 1 && comp[0] == '.') ||
		    (clen == 2 && comp[0] == '.' && comp[1] == '.') || comp[0] == '-')
			fail_msg("%s: bad component in \"%s\"", url, path);
		if (clen > STORE_COMPONENT_MAX || clen + strlen(".part") > NAME_MAX ||
		    clen + strlen(".999") > NAME_MAX)
			fail_msg("%s: component too long in \"%s\"", url, path);
		for (size_t i = 0; i < clen; i++) {
			unsigned char c = (unsigned char)comp[i];

			if (c < 0x20 || c == 0x7f || c == '\\')
				fail_msg("%s: bad byte %#x in \"%s\"", url, c, path);
		}
		if (clen >= 5 && strncasecmp(comp + clen - 5, ".part", 5) == 0)
			fail_msg("%s: reserved name in \"%s\"", url, path);
		if (!slash)
			break;
		comp = slash + 1;
	}
	if (depth > STORE_DEPTH_MAX)
		fail_msg("%s: too deep \"%s\"", url, path);
}

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* Appends a hostile segment (percent-encoded) to url at *used. */
static void hostile_segment(uint64_t *rng, char *url, size_t *used, size_t cap)
{
	static const char *const specials[] = {"..",         ".",   "%2e%2e", "%2E", "",
					       "%2F..%2F..", "-rf", "x.part", "%00", "%5c..%5c"};
	static const char unreserved[] = "abcXYZ019-._~";
	uint64_t r = rng_next(rng);

	if (r % 4 == 0) {
		const char *s = specials[(r >> 8) % (sizeof(specials) / sizeof(specials[0]))];

		*used += (size_t)snprintf(url + *used, cap - *used, "%s", s);
		return;
	}
	size_t n = (r >> 8) % ((r >> 20) % 2 ? 20 : 400);

	for (size_t i = 0; i < n && *used + 4 < cap; i++) {
		uint64_t b = rng_next(rng);

		if (b % 3 == 0)
			url[(*used)++] = unreserved[(b >> 8) % (sizeof(unreserved) - 1)];
		else
			*used += (size_t)snprintf(url + *used, cap - *used, "%%%02X",
						  (unsigned)((b >> 8) & 0xff));
	}
	url[*used] = '\0';
}

/*
 * Thousands of generated hostile URLs: every result keeps every promise,
 * and, for some, the file saved under it lands inside the output dir.
 */
static void test_store_name_hostile_property(void **state)
{
	struct fixture *fx = *state;
	struct store *store = open_store(fx, "out", 0);
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	char url[16384];
	char out[STORE_PATH_MAX + 1];
	char root[PATH_MAX];
	char outdir[PATH_MAX];

	path_in(fx, "out", outdir, sizeof(outdir));
	assert_non_null(realpath(outdir, root));
	for (int iter = 0; iter < 4000; iter++) {
		size_t used = (size_t)snprintf(url, sizeof(url), "http://h%d/", iter % 7);
		uint64_t r = rng_next(&rng);
		size_t segments = r % 45;
		bool tree = (r >> 8) % 2;

		for (size_t s = 0; s < segments && used + 1200 < sizeof(url); s++) {
			hostile_segment(&rng, url, &used, sizeof(url));
			if ((rng_next(&rng) % 8) != 0 || s + 1 < segments)
				url[used++] = '/';
			url[used] = '\0';
		}
		if ((r >> 16) % 3 == 0) {
			url[used++] = '?';
			url[used] = '\0';
			hostile_segment(&rng, url, &used, sizeof(url));
		}
		if (store_name_for_url(url, tree, out, sizeof(out)) != FA_OK)
			fail_msg("store_name_for_url failed for %s", url);
		assert_safe_path(url, out);

		if (iter % 40 == 0) {
			struct store_file *file = NULL;
			char *final = NULL;
			char joined[PATH_MAX + STORE_PATH_MAX + 2];
			char real[PATH_MAX];
			size_t rootlen = strlen(root);

			assert_int_equal(store_open(store, out, NULL, &file, NULL), FA_OK);
			write_all(file, "x", 1);
			assert_int_equal(store_commit(file, &final), FA_OK);
			assert_true(snprintf(joined, sizeof(joined), "%s/%s", root, final) <
				    (int)sizeof(joined));
			assert_non_null(realpath(joined, real));
			if (strncmp(real, root, rootlen) != 0 || real[rootlen] != '/')
				fail_msg("%s saved outside: %s", url, real);
			free(final);
		}
	}
	store_free(store);
}

static void test_store_name_errors(void **state)
{
	char out[STORE_PATH_MAX + 1];
	char small[10];

	(void)state;
	assert_int_equal(store_name_for_url("not a url", false, out, sizeof(out)), FA_ERR_URL);
	assert_int_equal(store_name_for_url("", false, out, sizeof(out)), FA_ERR_URL);
	assert_int_equal(store_name_for_url("http://", false, out, sizeof(out)), FA_ERR_URL);
	/* Tree mode needs a host. */
	assert_int_equal(store_name_for_url("file:///etc/passwd", true, out, sizeof(out)),
			 FA_ERR_URL);
	/* "photo.jpg" needs 10 bytes. */
	assert_int_equal(store_name_for_url("http://h/photo.jpg", false, small, 9),
			 FA_ERR_TOO_LONG);
	assert_string_equal(small, "");
	assert_int_equal(store_name_for_url("http://h/photo.jpg", false, small, 10), FA_OK);
	assert_string_equal(small, "photo.jpg");
	assert_int_equal(store_name_for_url(NULL, false, out, sizeof(out)), FA_ERR_ARG);
	assert_int_equal(store_name_for_url("http://h/", false, NULL, 10), FA_ERR_ARG);
	assert_int_equal(store_name_for_url("http://h/", false, out, 0), FA_ERR_ARG);
}

/* Deep and long paths stay within the caps, keeping the file name. */
static void test_store_name_deep(void **state)
{
	char url[16384];
	char out[STORE_PATH_MAX + 1];
	size_t used = (size_t)snprintf(url, sizeof(url), "http://h");
	const char *last;
	char *long_seg = repeat('d', 300);

	(void)state;
	for (int i = 0; i < 100; i++)
		used += (size_t)snprintf(url + used, sizeof(url) - used, "/d%d", i);
	snprintf(url + used, sizeof(url) - used, "/file.txt");
	assert_int_equal(store_name_for_url(url, true, out, sizeof(out)), FA_OK);
	assert_safe_path(url, out);
	assert_true(strncmp(out, "h/d0/d1/", 8) == 0);
	last = strrchr(out, '/');
	assert_string_equal(last, "/file.txt");
	{
		size_t depth = 1;

		for (const char *p = out; *p; p++)
			depth += *p == '/';
		assert_int_equal(depth, STORE_DEPTH_MAX);
	}

	used = (size_t)snprintf(url, sizeof(url), "http://h");
	for (int i = 0; i < 10; i++)
		used += (size_t)snprintf(url + used, sizeof(url) - used, "/%s", long_seg);
	snprintf(url + used, sizeof(url) - used, "/file.txt");
	assert_int_equal(store_name_for_url(url, true, out, sizeof(out)), FA_OK);
	assert_safe_path(url, out);
	assert_true(strlen(out) <= STORE_PATH_MAX);
	last = strrchr(out, '/');
	assert_string_equal(last, "/file.txt");
	free(long_seg);
}

/* ---- files ------------------------------------------------------------- */

/* Before commit the final name does not exist; after, it holds every byte. */
static void test_store_commit_complete(void **state)
{
	struct fixture *fx = *state;
	struct store *store = open_store(fx, "out", 0);
	struct store_file *file = NULL;
	char *final = NULL;
	size_t len = 300000;
	char *data = malloc(len);

	assert_non_null(data);
	fill(data, len, 1);
	assert_int_equal(store_open(store, "a/b/file.bin", NULL, &file, NULL), FA_OK);
	assert_int_equal(store_offset(file), 0);
	write_all(file, data, 100000);
	write_all(file, data + 100000, 150000);
	write_all(file, data + 250000, 50000);
	write_all(file, data, 0);
	assert_int_equal(store_offset(file), (off_t)len);
	assert_false(exists(fx, "out/a/b/file.bin"));
	if (fx->flags & STORE_NO_TMPFILE)
		assert_true(exists(fx, "out/a/b/file.bin.part"));
	else
		assert_int_equal(count_entries(fx, "out/a/b"), 0);
	assert_int_equal(store_commit(file, &final), FA_OK);
	assert_string_equal(final, "a/b/file.bin");
	assert_file(fx, "out/a/b/file.bin", data, len);
	assert_int_equal(count_entries(fx, "out/a/b"), 1);
	free(final);

	/* NULL final_relpath is allowed; an empty file is a file. */
	assert_int_equal(store_open(store, "empty", NULL, &file, NULL), FA_OK);
	assert_int_equal(store_commit(file, NULL), FA_OK);
	assert_file(fx, "out/empty", "", 0);
	store_free(store);
	free(data);
}

static void test_store_collision_suffix(void **state)
{
	struct fixture *fx = *state;
	struct store *store = open_store(fx, "out", 0);
	struct store_file *first = NULL;
	struct store_file *second = NULL;
	char *final1 = NULL;
	char *final2 = NULL;
	char *final3;

	/* Two files to one name, both open at once. */
	assert_int_equal(store_open(store, "d/name", NULL, &first, NULL), FA_OK);
	assert_int_equal(store_open(store, "d/name", NULL, &second, NULL), FA_OK);
	write_all(first, "first", 5);
	write_all(second, "second", 6);
	assert_int_equal(store_commit(second, &final2), FA_OK);
	assert_int_equal(store_commit(first, &final1), FA_OK);
	assert_string_equal(final2, "d/name");
	assert_string_equal(final1, "d/name.1");
	assert_file(fx, "out/d/name", "second", 6);
	assert_file(fx, "out/d/name.1", "first", 5);
	/* And one after the other. */
	final3 = save(store, "d/name", "third", 5);
	assert_string_equal(final3, "d/name.2");
	assert_file(fx, "out/d/name.2", "third", 5);
	assert_int_equal(count_entries(fx, "out/d"), 3);
	free(final1);
	free(final2);
	free(final3);

	/* The suffix goes after the extension; a taken ".1" is skipped. */
	spit(fx, "out/photo.jpg", "old", 3);
	spit(fx, "out/photo.jpg.1", "old", 3);
	final3 = save(store, "photo.jpg", "new", 3);
	assert_string_equal(final3, "photo.jpg.2");
	free(final3);
	/* A directory in the way is a taken name too. */
	make_dir(fx, "out/dirname");
	final3 = save(store, "dirname", "f", 1);
	assert_string_equal(final3, "dirname.1");
	free(final3);
	store_free(store);
}

/* All 1000 names taken: FA_ERR_EXISTS, and nothing left behind. */
static void test_store_collision_cap(void **state)
{
	struct fixture *fx = *state;
	struct store *store = open_store(fx, "out", 0);
	struct store_file *file = NULL;
	char *final = NULL;
	char rel[64];

	spit(fx, "out/full", "", 0);
	for (int i = 1; i <= STORE_COLLISIONS_MAX; i++) {
		snprintf(rel, sizeof(rel), "out/full.%d", i);
		spit(fx, rel, "", 0);
	}
	assert_int_equal(store_open(store, "full", NULL, &file, NULL), FA_OK);
	write_all(file, "data", 4);
	assert_int_equal(store_commit(file, &final), FA_ERR_EXISTS);
	assert_null(final);
	assert_int_equal(count_entries(fx, "out"), STORE_COLLISIONS_MAX + 1);
	store_free(store);
}

#define COMMITS_PER_THREAD 40
#define MAX_THREADS        8

struct committer {
	pthread_t thread;
	struct store *store;
	const char *rel;
	int id;
	enum fa_err errs[COMMITS_PER_THREAD];
	char *finals[COMMITS_PER_THREAD];
};

static size_t content_for(int id, int j, char *buf, size_t cap)
{
	size_t len = 1000 + (size_t)((id * 131 + j * 17) % 3000);

	if (len > cap)
		len = cap;
	fill(buf, len, (unsigned)(id * 1000 + j));
	return len;
}

static void *committer_main(void *arg)
{
	struct committer *c = arg;
	char buf[4096];

	for (int j = 0; j < COMMITS_PER_THREAD; j++) {
		struct store_file *file = NULL;
		size_t len = content_for(c->id, j, buf, sizeof(buf));

		c->errs[j] = store_open(c->store, c->rel, NULL, &file, NULL);
		if (c->errs[j] != FA_OK)
			continue;
		c->errs[j] = store_write(file, buf, len / 2);
		if (c->errs[j] == FA_OK)
			c->errs[j] = store_write(file, buf + len / 2, len - len / 2);
		if (c->errs[j] != FA_OK) {
			store_abort(file, false);
			continue;
		}
		c->errs[j] = store_commit(file, &c->finals[j]);
	}
	return NULL;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Threads committing to one name at once all get distinct, intact files;
 * with 1, 2 and 8 threads, three rounds each. */
static void test_store_concurrent_collisions(void **state)
{
	struct fixture *fx = *state;
	struct store *store = open_store(fx, "out", 0);
	static const int thread_counts[] = {1, 2, MAX_THREADS};
	struct committer *c = calloc(MAX_THREADS, sizeof(*c));
	char *names[MAX_THREADS * COMMITS_PER_THREAD];
	char rel[64];
	char path[PATH_MAX];
	char buf[4096];

	assert_non_null(c);
	for (size_t t = 0; t < sizeof(thread_counts) / sizeof(thread_counts[0]); t++) {
		for (int round = 0; round < 3; round++) {
			int threads = thread_counts[t];
			size_t n = 0;

			snprintf(rel, sizeof(rel), "sub/same-%d-%d.bin", threads, round);
			for (int i = 0; i < threads; i++) {
				memset(&c[i], 0, sizeof(c[i]));
				c[i].store = store;
				c[i].rel = rel;
				c[i].id = i;
				assert_int_equal(
				    pthread_create(&c[i].thread, NULL, committer_main, &c[i]), 0);
			}
			for (int i = 0; i < threads; i++)
				assert_int_equal(pthread_join(c[i].thread, NULL), 0);
			for (int i = 0; i < threads; i++) {
				for (int j = 0; j < COMMITS_PER_THREAD; j++) {
					size_t len = content_for(i, j, buf, sizeof(buf));

					assert_int_equal(c[i].errs[j], FA_OK);
					assert_non_null(c[i].finals[j]);
					snprintf(path, sizeof(path), "out/%s", c[i].finals[j]);
					assert_file(fx, path, buf, len);
					names[n++] = c[i].finals[j];
				}
			}
			qsort(names, n, sizeof(names[0]), compare_strings);
			for (size_t k = 1; k < n; k++)
				assert_string_not_equal(names[k - 1], names[k]);
			for (size_t k = 0; k < n; k++)
				free(names[k]);
		}
	}
	/* Every file published, no temporary or .part file left over. */
	assert_int_equal(count_entries(fx, "out/sub"),
			 3 * (1 + 2 + MAX_THREADS) * COMMITS_PER_THREAD);
	free(c);
	store_free(store);
}

/* Descriptors the process has open now (/proc/self/fd), -1 if unknown. */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = -1; /* the opendir's own */

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

#define TREE_DIRS 50 /* more than the directories a store keeps open */

/* Thread id's files, each in one of TREE_DIRS directories two levels
 * deep (t/dK/eK): rel of file j. */
static void tree_rel(int id, int j, char *rel, size_t len)
{
	int k = (id * 7 + j * 3) % TREE_DIRS;

	snprintf(rel, len, "t/d%d/e%d/f-%d-%d.bin", k, k, id, j);
}

static void *tree_main(void *arg)
{
	struct committer *c = arg;
	char buf[4096], rel[64];

	for (int j = 0; j < COMMITS_PER_THREAD; j++) {
		struct store_file *file = NULL;
		size_t len = content_for(c->id, j, buf, sizeof(buf));

		tree_rel(c->id, j, rel, sizeof(rel));
		c->errs[j] = store_open(c->store, rel, NULL, &file, NULL);
		if (c->errs[j] != FA_OK)
			continue;
		c->errs[j] = store_write(file, buf, len);
		if (c->errs[j] != FA_OK) {
			store_abort(file, false);
			continue;
		}
		c->errs[j] = store_commit(file, &c->finals[j]);
	}
	return NULL;
}

/* A tree (-x) saved from 8 threads at once over more directories than
 * the store keeps open: every file whole at its own path (a directory
 * dropped while a file used it would put that file elsewhere or fail
 * it), at most DIR_CACHE (32) directories held open meanwhile, and none
 * after store_free(). */
static void test_store_tree_dirs_kept_open(void **state)
{
	struct fixture *fx = *state;
	int before = open_fds(), during;
	struct store *store = open_store(fx, "out", 0);
	struct committer *c = calloc(MAX_THREADS, sizeof(*c));
	char buf[4096], rel[64], path[PATH_MAX];

	assert_non_null(c);
	assert_true(before >= 0);
	for (int i = 0; i < MAX_THREADS; i++) {
		c[i].store = store;
		c[i].id = i;
		assert_int_equal(pthread_create(&c[i].thread, NULL, tree_main, &c[i]), 0);
	}
	for (int i = 0; i < MAX_THREADS; i++)
		assert_int_equal(pthread_join(c[i].thread, NULL), 0);
	during = open_fds();
	for (int i = 0; i < MAX_THREADS; i++) {
		for (int j = 0; j < COMMITS_PER_THREAD; j++) {
			size_t len = content_for(i, j, buf, sizeof(buf));

			tree_rel(i, j, rel, sizeof(rel));
			assert_int_equal(c[i].errs[j], FA_OK);
			assert_string_equal(c[i].finals[j], rel);
			snprintf(path, sizeof(path), "out/%s", rel);
			assert_file(fx, path, buf, len);
			free(c[i].finals[j]);
		}
	}
	/* the store's directory, /proc/self/fd linked through, and the
	 * tree's kept open */
	if (during > before + ((fx->flags & STORE_NO_LINK_BY_FD) ? 2 : 1) + 32)
		fail_msg("%d descriptors open after the saves, %d before", during, before);
	store_free(store);
	assert_int_equal(open_fds(), before);
	free(c);
}

static void test_store_abort_discards(void **state)
{
	struct fixture *fx = *state;
	struct store *store = open_store(fx, "out", 0);
	struct store_file *file = NULL;

	assert_int_equal(store_open(store, "d/file", NULL, &file, NULL), FA_OK);
	write_all(file, "some bytes", 10);
	store_abort(file, false);
	assert_int_equal(count_entries(fx, "out/d"), 0);

	/* Keeping zero bytes keeps nothing. */
	assert_int_equal(store_open(store, "d/file", NULL, &file, NULL), FA_OK);
	store_abort(file, true);
	assert_int_equal(count_entries(fx, "out/d"), 0);
	store_abort(NULL, true);
	store_free(store);
}

static void test_store_abort_keep_part(void **state)
{
	struct fixture *fx = *state;
	struct store *store = open_store(fx, "out", 0);
	struct store_file *file = NULL;
	char data[1234];

	fill(data, sizeof(data), 7);
	assert_int_equal(store_open(store, "file.bin", NULL, &file, NULL), FA_OK);
	write_all(file, data, sizeof(data));
	store_abort(file, true);
	assert_false(exists(fx, "out/file.bin"));
	assert_file(fx, "out/file.bin.part", data, sizeof(data));
	assert_int_equal(count_entries(fx, "out"), 1);

	/* A later interrupted transfer (no -c) replaces the old part. */
	assert_int_equal(store_open(store, "file.bin", NULL, &file, NULL), FA_OK);
	write_all(file, "newer", 5);
	store_abort(file, true);
	assert_file(fx, "out/file.bin.part", "newer", 5);
	assert_int_equal(count_entries(fx, "out"), 1);

	/* Two at once: each holds its own slot, so both parts survive whole
	 * and neither is the other's. */
	{
		struct store_file *other = NULL;

		assert_int_equal(store_open(store, "file.bin", NULL, &file, NULL), FA_OK);
		assert_int_equal(store_open(store, "file.bin", NULL, &other, NULL), FA_OK);
		write_all(file, "AAAA", 4);
		write_all(other, "BBBBBB", 6);
		store_abort(file, true);
		store_abort(other, true);
		assert_file(fx, "out/file.bin.part", "AAAA", 4);
		assert_file(fx, "out/file.bin.1.part", "BBBBBB", 6);
		assert_int_equal(count_entries(fx, "out"), 2);
		{
			char path[PATH_MAX + 32];

			snprintf(path, sizeof(path), "%s/out/file.bin.1.part", fx->dir);
			assert_int_equal(unlink(path), 0);
		}
	}

	/* A directory squatting on NAME.part: saving works, keeping does not,
	 * and no temporary name is left. */
	make_dir(fx, "out/y.part");
	{
		char *final = save(store, "y", "yy", 2);

		assert_string_equal(final, "y");
		free(final);
	}
	make_dir(fx, "out/z.part");
	assert_int_equal(store_open(store, "z", NULL, &file, NULL), FA_OK);
	write_all(file, "zz", 2);
	store_abort(file, true);
	assert_int_equal(count_entries(fx, "out"), 4);
	assert_int_equal(count_entries(fx, "out/y.part"), 0);
	assert_int_equal(count_entries(fx, "out/z.part"), 0);
	store_free(store);
}

/* A .part this run keeps is seen by every later slot of its name, in a
 * directory known to hold none before (store.c, no_parts()): the store's
 * own, one it makes, one that was there without any, and one it closed
 * and opened again.  Another URL's file takes the next slot; -c goes on
 * from the kept bytes. */
static void test_store_kept_part_seen(void **state)
{
	struct fixture *fx = *state;
	const char *names[] = {"k.bin", "made/k.bin", "there/k.bin", "again/k.bin"};
	char data[600], want[64];
	struct store *store, *resume;
	struct store_file *file = NULL;

	fill(data, sizeof(data), 5);
	make_dir(fx, "out");
	make_dir(fx, "out/there");
	spit(fx, "out/there/other.bin", "x", 1);
	store = open_store(fx, "out", 0);
	/* "again": its entry dropped from the 32 kept open, then looked at anew */
	free(save(store, "again/first.bin", "y", 1));
	for (int i = 0; i < 40; i++) {
		char rel[32];

		snprintf(rel, sizeof(rel), "d%d/f.bin", i);
		free(save(store, rel, "z", 1));
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(store_open(store, names[i], "http://a/k.bin", &file, NULL), FA_OK);
		write_all(file, data, sizeof(data));
		assert_int_equal(store_set_record(file, "", "", -1), FA_OK);
		store_abort(file, true);
		/* another URL's file, interrupted too, keeps its bytes in the
		 * next slot's .part, not over this one */
		assert_int_equal(store_open(store, names[i], "http://b/k.bin", &file, NULL), FA_OK);
		write_all(file, "bb", 2);
		store_abort(file, true);
		snprintf(want, sizeof(want), "out/%s.part", names[i]);
		assert_file(fx, want, data, sizeof(data));
		snprintf(want, sizeof(want), "out/%s.1.part", names[i]);
		assert_file(fx, want, "bb", 2);
		/* a later run finds both (its directories looked at anew) */
		resume = open_store(fx, "out", 0);
		assert_int_equal(store_open(resume, names[i], "http://c/k.bin", &file, NULL),
				 FA_OK);
		write_all(file, "ccc", 3);
		store_abort(file, true);
		store_free(resume);
		snprintf(want, sizeof(want), "out/%s.2.part", names[i]);
		assert_file(fx, want, "ccc", 3);
		snprintf(want, sizeof(want), "out/%s.part", names[i]);
		assert_file(fx, want, data, sizeof(data));
		/* -c, a later run: the kept bytes go on */
		resume = open_store(fx, "out", STORE_CONTINUE);
		assert_int_equal(store_open(resume, names[i], "http://a/k.bin", &file, NULL),
				 FA_OK);
		assert_int_equal(store_offset(file), (off_t)sizeof(data));
		store_abort(file, true);
		store_free(resume);
	}
	store_free(store);
}

static void test_store_continue_resumes(void **state)
{
	struct fixture *fx = *state;
	struct store *store = open_store(fx, "out", STORE_CONTINUE);
	struct store_file *file = NULL;
	struct store_file *other = NULL;
	char data[1500];
	char *final = NULL;

	fill(data, sizeof(data), 3);
	make_dir(fx, "out/d");
	spit(fx, "out/d/g.part", data, 1000);

	assert_int_equal(store_open(store, "d/g", NULL, &file, NULL), FA_OK);
	assert_int_equal(store_offset(file), 1000);
	/* The part is in use: a second file of this run starts afresh. */
	assert_int_equal(store_open(store, "d/g", NULL, &other, NULL), FA_OK);
	assert_int_equal(store_offset(other), 0);
	write_all(file, data + 1000, 500);
	assert_int_equal(store_offset(file), 1500);
	assert_int_equal(store_commit(file, &final), FA_OK);
	assert_string_equal(final, "d/g");
	assert_file(fx, "out/d/g", data, sizeof(data));
	assert_false(exists(fx, "out/d/g.part"));
	free(final);
	/* The name appeared after it was opened: it takes the next one. */
	write_all(other, "x", 1);
	assert_int_equal(store_commit(other, &final), FA_OK);
	assert_string_equal(final, "d/g.1");
	free(final);

	/* Interrupted again: keep, resume, keep, resume, finish. */
	assert_int_equal(store_open(store, "d/h", NULL, &file, NULL), FA_OK);
	assert_int_equal(store_offset(file), 0);
	write_all(file, data, 600);
	store_abort(file, true);
	assert_int_equal(store_open(store, "d/h", NULL, &file, NULL), FA_OK);
	assert_int_equal(store_offset(file), 600);
	write_all(file, data + 600, 300);
	store_abort(file, true);
	assert_file(fx, "out/d/h.part", data, 900);
	assert_int_equal(store_open(store, "d/h", NULL, &file, NULL), FA_OK);
	assert_int_equal(store_offset(file), 900);
	write_all(file, data + 900, 600);
	assert_int_equal(store_commit(file, &final), FA_OK);
	assert_string_equal(final, "d/h");
	assert_file(fx, "out/d/h", data, sizeof(data));
	free(final);

	/* A resumed part aborted without keeping is removed. */
	spit(fx, "out/d/k.part", data, 10);
	assert_int_equal(store_open(store, "d/k", NULL, &file, NULL), FA_OK);
	assert_int_equal(store_offset(file), 10);
	store_abort(file, false);
	assert_false(exists(fx, "out/d/k.part"));

	/* A part with a second link is not ours to append to. */
	{
		char a[PATH_MAX];
		char b[PATH_MAX];

		spit(fx, "linked", "precious", 8);
		path_in(fx, "linked", a, sizeof(a));
		path_in(fx, "out/d/m.part", b, sizeof(b));
		assert_int_equal(link(a, b), 0);
		assert_int_equal(store_open(store, "d/m", NULL, &file, NULL), FA_OK);
		assert_int_equal(store_offset(file), 0);
		write_all(file, "new", 3);
		assert_int_equal(store_commit(file, &final), FA_OK);
		free(final);
		assert_file(fx, "linked", "precious", 8);
	}
	store_free(store);
}

static void test_store_restart_truncates(void **state)
{
	struct fixture *fx = *state;
	struct store *store;
	struct store_file *file = NULL;
	char data[100];
	char *final = NULL;

	fill(data, sizeof(data), 5);
	/* a .part from an earlier run (one made while a run goes on is not
	 * its to see: store.c, no_parts()) */
	make_dir(fx, "out");
	spit(fx, "out/g.part", data, sizeof(data));
	store = open_store(fx, "out", STORE_CONTINUE);
	assert_int_equal(store_open(store, "f", NULL, &file, NULL), FA_OK);
	write_all(file, data, sizeof(data));
	assert_int_equal(store_restart(file), FA_OK);
	assert_int_equal(store_offset(file), 0);
	write_all(file, "0123456789", 10);
	assert_int_equal(store_commit(file, &final), FA_OK);
	assert_file(fx, "out/f", "0123456789", 10);
	free(final);

	/* A resumed part the server would not continue. */
	assert_int_equal(store_open(store, "g", NULL, &file, NULL), FA_OK);
	assert_int_equal(store_offset(file), (off_t)sizeof(data));
	assert_int_equal(store_restart(file), FA_OK);
	assert_int_equal(store_offset(file), 0);
	write_all(file, "abc", 3);
	assert_int_equal(store_errno(file), 0);
	assert_int_equal(store_commit(file, &final), FA_OK);
	assert_file(fx, "out/g", "abc", 3);
	assert_false(exists(fx, "out/g.part"));
	free(final);
	store_free(store);
}

static void test_store_exists_skips(void **state)
{
	struct fixture *fx = *state;
	struct store *noclobber = open_store(fx, "out", STORE_NO_CLOBBER);
	struct store *cont = open_store(fx, "out", STORE_CONTINUE);
	struct store *plain = open_store(fx, "out", 0);
	struct store_file *file = (struct store_file *)&file;
	char *final;

	spit(fx, "out/f", "old", 3);
	make_symlink(fx, "nowhere", "out/dangling");
	assert_int_equal(store_open(noclobber, "f", NULL, &file, NULL), FA_ERR_EXISTS);
	assert_null(file);
	assert_int_equal(store_open(noclobber, "dangling", NULL, &file, NULL), FA_ERR_EXISTS);
	/* -c over a file with no record at the name itself continues it
	 * (wget -c): it is the base, and stays as it is if nothing is added. */
	assert_int_equal(store_open(cont, "f", NULL, &file, NULL), FA_OK);
	assert_int_equal(store_offset(file), 3);
	assert_non_null(store_resumed(file));
	store_abort(file, true);
	assert_file(fx, "out/f", "old", 3);
	assert_false(exists(fx, "out/f.part"));

	final = save(noclobber, "g", "new", 3);
	assert_string_equal(final, "g");
	free(final);
	final = save(plain, "f", "new", 3);
	assert_string_equal(final, "f.1");
	free(final);
	assert_file(fx, "out/f", "old", 3);
	store_free(noclobber);
	store_free(cont);
	store_free(plain);
}

static void test_store_open_rejects(void **state)
{
	struct fixture *fx = *state;
	struct store *store = open_store(fx, "out", 0);
	struct store_file *file = NULL;
	char *long_name = repeat('n', STORE_COMPONENT_MAX + 1);
	static const char *const bad[] = {"",      "/abs",   "a//b", "a/",     "./a",
					  "a/./b", "a/../b", "..",   "x.part", "a/X.PART"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(store_open(store, bad[i], NULL, &file, NULL), FA_ERR_NAME);
		assert_null(file);
	}
	assert_int_equal(store_open(store, long_name, NULL, &file, NULL), FA_ERR_TOO_LONG);
	assert_int_equal(store_open(store, NULL, NULL, &file, NULL), FA_ERR_ARG);
	assert_int_equal(store_write(NULL, "x", 1), FA_ERR_ARG);
	assert_int_equal(store_commit(NULL, NULL), FA_ERR_ARG);
	/* A file where a directory should be. */
	spit(fx, "out/plain", "x", 1);
	assert_int_equal(store_open(store, "plain/f", NULL, &file, NULL), FA_ERR_IO);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(count_entries(fx, "out"), 1);
	store_free(store);
	store_free(NULL);
	free(long_name);
}

/* Symbolic links planted in the output directory are never followed. */
static void test_store_symlink_not_followed(void **state)
{
	struct fixture *fx = *state;
	struct store *store;
	struct store_file *file = NULL;
	char *final = NULL;
	enum fa_err err;

	make_dir(fx, "outside");
	make_dir(fx, "out");
	spit(fx, "outside/victim", "victim", 6);
	make_symlink(fx, "../outside", "out/evil.example");
	make_symlink(fx, "../outside", "out/d");
	make_symlink(fx, "../outside/victim", "out/f");
	make_symlink(fx, "../outside/victim", "out/g.part");
	make_symlink(fx, "../outside/victim", "out/h.part");
	store = open_store(fx, "out", STORE_CONTINUE);

	/* As a host directory (tree mode) and as the final name's directory. */
	err = store_open(store, "evil.example/a/file", NULL, &file, NULL);
	assert_int_equal(err, FA_ERR_IO);
	assert_true(errno == ELOOP || errno == ENOTDIR);
	err = store_open(store, "d/file", NULL, &file, NULL);
	assert_int_equal(err, FA_ERR_IO);
	assert_null(file);
	assert_int_equal(count_entries(fx, "outside"), 1);

	/* As the final name: with -c it exists; otherwise it is not replaced. */
	assert_int_equal(store_open(store, "f", NULL, &file, NULL), FA_ERR_EXISTS);
	store_free(store);
	store = open_store(fx, "out", 0);
	final = save(store, "f", "data", 4);
	assert_string_equal(final, "f.1");
	free(final);

	/* As NAME.part: not resumed, not written through, replaced on keep. */
	store_free(store);
	store = open_store(fx, "out", STORE_CONTINUE);
	assert_int_equal(store_open(store, "g", NULL, &file, NULL), FA_OK);
	assert_int_equal(store_offset(file), 0);
	write_all(file, "mine", 4);
	store_abort(file, true);
	assert_file(fx, "out/g.part", "mine", 4);
	store_free(store);
	store = open_store(fx, "out", 0);
	assert_int_equal(store_open(store, "h", NULL, &file, NULL), FA_OK);
	write_all(file, "mine", 4);
	assert_int_equal(store_commit(file, &final), FA_OK);
	assert_string_equal(final, "h");
	free(final);

	assert_file(fx, "outside/victim", "victim", 6);
	assert_int_equal(count_entries(fx, "outside"), 1);
	store_free(store);
}

static void test_store_new_unwritable(void **state)
{
	struct fixture *fx = *state;
	struct store *store = (struct store *)&store;
	char path[PATH_MAX];
	char errbuf[PATH_MAX + 128];
	char want[PATH_MAX + 128];

	/* Below a regular file: no one can create that. */
	spit(fx, "file", "x", 1);
	path_in(fx, "file/sub", path, sizeof(path));
	assert_int_equal(store_new(path, fx->flags, &store, errbuf, sizeof(errbuf)), FA_ERR_IO);
	assert_null(store);
	snprintf(want, sizeof(want), "cannot create output directory '%s': %s", path,
		 strerror(ENOTDIR));
	assert_string_equal(errbuf, want);

	/* A file given as the directory. */
	path_in(fx, "file", path, sizeof(path));
	assert_int_equal(store_new(path, fx->flags, &store, errbuf, sizeof(errbuf)), FA_ERR_IO);
	snprintf(want, sizeof(want), "cannot open output directory '%s': %s", path,
		 strerror(ENOTDIR));
	assert_string_equal(errbuf, want);

	/* A short buffer still gets a NUL-terminated start of the message. */
	assert_int_equal(store_new(path, fx->flags, &store, errbuf, 8), FA_ERR_IO);
	assert_string_equal(errbuf, "cannot ");

	/* mkdir -p. */
	path_in(fx, "new/a/b", path, sizeof(path));
	assert_int_equal(store_new(path, fx->flags, &store, NULL, 0), FA_OK);
	store_free(store);
	assert_int_equal(count_entries(fx, "new/a/b"), 0);

	if (geteuid() == 0) {
		print_message("note: running as root, chmod 0500 cannot make a directory "
			      "unwritable; only the not-a-directory cases were checked\n");
		return;
	}
	make_dir(fx, "ro");
	path_in(fx, "ro", path, sizeof(path));
	assert_int_equal(chmod(path, 0500), 0);
	assert_int_equal(store_new(path, fx->flags, &store, errbuf, sizeof(errbuf)), FA_ERR_IO);
	snprintf(want, sizeof(want), "cannot write to output directory '%s': %s", path,
		 strerror(EACCES));
	assert_string_equal(errbuf, want);
	assert_int_equal(count_entries(fx, "ro"), 0);
}

/* Needs root for a small tmpfs; skips with a message otherwise. */
static void test_store_disk_full(void **state)
{
	struct fixture *fx = *state;
	struct store *store;
	struct store_file *file = NULL;
	char chunk[8192];
	enum fa_err err = FA_OK;

	if (geteuid() != 0) {
		print_message("skipped: mounting a small tmpfs needs root\n");
		skip();
	}
	make_dir(fx, "mnt");
	path_in(fx, "mnt", fx->mounted, sizeof(fx->mounted));
	if (mount("tmpfs", fx->mounted, "tmpfs", 0, "size=64k") != 0) {
		print_message("skipped: cannot mount a tmpfs: %s\n", strerror(errno));
		fx->mounted[0] = '\0';
		skip();
	}
	store = open_store(fx, "mnt", 0);
	fill(chunk, sizeof(chunk), 11);
	assert_int_equal(store_open(store, "big", NULL, &file, NULL), FA_OK);
	for (int i = 0; i < 64 && err == FA_OK; i++)
		err = store_write(file, chunk, sizeof(chunk));
	assert_int_equal(err, FA_ERR_DISK_FULL);
	assert_int_equal(store_errno(file), ENOSPC);
	assert_true(store_offset(file) <= 64 * 1024);
	store_abort(file, false);
	assert_int_equal(count_entries(fx, "mnt"), 0);

	/* Space is back: a small file fits again. */
	{
		char *final = save(store, "small", chunk, 100);

		assert_string_equal(final, "small");
		free(final);
	}
	store_free(store);
	assert_int_equal(umount2(fx->mounted, 0), 0);
	fx->mounted[0] = '\0';
}

static void test_store_component_table(void **state)
{
	static const struct {
		const char *raw;
		const char *want;
	} cases[] = {
	    {"report.pdf", "report.pdf"},
	    {"..", "__"},
	    {".", "_"},
	    {"-rf", "_rf"},
	    {"a/b\\c", "a_b_c"},
	    {"tab\there\x01\x7f", "tab_here__"},
	    {"movie.PART", "movie.PART_"},
	    {"%2e%2e", "%2e%2e"}, /* never percent-decoded */
	    {".hidden", ".hidden"},
	    {"caf\xc3\xa9.txt", "caf\xc3\xa9.txt"},
	};
	char out[STORE_COMPONENT_MAX + 1];
	char longname[600];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(store_component(cases[i].raw, out, sizeof(out)), FA_OK);
		assert_string_equal(out, cases[i].want);
	}
	/* Cut to the cap, the extension kept. */
	memset(longname, 'n', sizeof(longname));
	memcpy(longname + sizeof(longname) - 5, ".jpg", 5);
	assert_int_equal(store_component(longname, out, sizeof(out)), FA_OK);
	assert_int_equal(strlen(out), STORE_COMPONENT_MAX);
	assert_string_equal(out + STORE_COMPONENT_MAX - 4, ".jpg");
	assert_int_equal(store_component("", out, sizeof(out)), FA_ERR_NAME);
	assert_int_equal(store_component("abcdef", out, 4), FA_ERR_TOO_LONG);
	assert_string_equal(out, "");
	assert_int_equal(store_component(NULL, out, sizeof(out)), FA_ERR_ARG);
}

/* store_commit_as: another name in the same directory; -c keeps the
 * opened name's .part; -nc/-c skip a taken name instead of numbering. */
static void test_store_commit_as(void **state)
{
	struct fixture *fx = *state;
	struct store *plain = open_store(fx, "out", 0);
	struct store *noclobber = open_store(fx, "out", STORE_NO_CLOBBER);
	struct store *cont = open_store(fx, "out", STORE_CONTINUE);
	struct store_file *file = NULL;
	char *final = NULL;

	assert_int_equal(store_open(plain, "d/from-url", NULL, &file, NULL), FA_OK);
	write_all(file, "abc", 3);
	assert_false(store_name_taken(file, "given.txt"));
	assert_int_equal(store_commit_as(file, "given.txt", &final), FA_OK);
	assert_string_equal(final, "d/given.txt");
	assert_file(fx, "out/d/given.txt", "abc", 3);
	assert_false(exists(fx, "out/d/from-url"));
	free(final);

	/* Taken: numbered without -nc/-c ... */
	assert_int_equal(store_open(plain, "d/other", NULL, &file, NULL), FA_OK);
	write_all(file, "def", 3);
	assert_false(store_name_taken(file, "given.txt"));
	assert_int_equal(store_commit_as(file, "given.txt", &final), FA_OK);
	assert_string_equal(final, "d/given.txt.1");
	free(final);
	/* ... skipped with them, the old file kept, nothing left behind. */
	assert_int_equal(store_open(noclobber, "d/third", NULL, &file, NULL), FA_OK);
	write_all(file, "ghi", 3);
	assert_true(store_name_taken(file, "given.txt"));
	assert_false(store_name_taken(file, "free.txt"));
	assert_int_equal(store_commit_as(file, "given.txt", &final), FA_ERR_EXISTS);
	assert_null(final);
	assert_file(fx, "out/d/given.txt", "abc", 3);
	assert_int_equal(count_entries(fx, "out/d"), 2);

	/* -c: an interrupted file is kept under the opened name's .part and
	 * resumed from it, then saved under the given name. */
	assert_int_equal(store_open(cont, "d/url-name", NULL, &file, NULL), FA_OK);
	write_all(file, "12", 2);
	store_abort(file, true);
	assert_file(fx, "out/d/url-name.part", "12", 2);
	assert_int_equal(store_open(cont, "d/url-name", NULL, &file, NULL), FA_OK);
	assert_int_equal(store_offset(file), 2);
	write_all(file, "345", 3);
	assert_int_equal(store_commit_as(file, "server.bin", &final), FA_OK);
	assert_string_equal(final, "d/server.bin");
	assert_file(fx, "out/d/server.bin", "12345", 5);
	assert_false(exists(fx, "out/d/url-name.part"));
	assert_false(exists(fx, "out/d/url-name"));
	free(final);

	/* Names no component may have are refused; the data goes. */
	static const char *const bad[] = {"", ".", "..", "a/b", "x.part"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(store_open(plain, "e/f", NULL, &file, NULL), FA_OK);
		write_all(file, "z", 1);
		assert_int_equal(store_commit_as(file, bad[i], &final), FA_ERR_NAME);
		assert_null(final);
	}
	assert_int_equal(count_entries(fx, "out/e"), 0);
	/* NULL is store_commit(). */
	assert_int_equal(store_open(plain, "e/f", NULL, &file, NULL), FA_OK);
	assert_int_equal(store_commit_as(file, NULL, &final), FA_OK);
	assert_string_equal(final, "e/f");
	free(final);
	store_free(plain);
	store_free(noclobber);
	store_free(cont);
}

/* store_rewrite: the whole file replaced in one step, nothing left
 * beside it; links, directories and missing files refused. */
static void test_store_rewrite(void **state)
{
	struct fixture *fx = *state;
	struct store *store = open_store(fx, "out", STORE_CONTINUE); /* flags do not apply */
	char *final = save(store, "d/page.html", "old page", 8);
	char big[100000];

	assert_string_equal(final, "d/page.html");
	free(final);
	assert_int_equal(store_rewrite(store, "d/page.html", "new", 3), FA_OK);
	assert_file(fx, "out/d/page.html", "new", 3);
	memset(big, 'b', sizeof(big));
	assert_int_equal(store_rewrite(store, "d/page.html", big, sizeof(big)), FA_OK);
	assert_file(fx, "out/d/page.html", big, sizeof(big));
	assert_int_equal(store_rewrite(store, "d/page.html", "", 0), FA_OK);
	assert_file(fx, "out/d/page.html", "", 0);
	assert_int_equal(count_entries(fx, "out/d"), 1);

	spit(fx, "outside", "keep", 4);
	make_symlink(fx, "../outside", "out/link.html");
	errno = 0;
	assert_int_equal(store_rewrite(store, "link.html", "x", 1), FA_ERR_IO);
	assert_int_equal(errno, EINVAL);
	assert_file(fx, "outside", "keep", 4);
	make_dir(fx, "out/dir.html");
	assert_int_equal(store_rewrite(store, "dir.html", "x", 1), FA_ERR_IO);
	assert_int_equal(store_rewrite(store, "missing.html", "x", 1), FA_ERR_IO);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(store_rewrite(store, "../escape", "x", 1), FA_ERR_NAME);
	assert_int_equal(store_rewrite(NULL, "x", "x", 1), FA_ERR_ARG);
	assert_int_equal(count_entries(fx, "out"), 3); /* d, link.html, dir.html */

	/* store_read: what is there, within max; the same refusals */
	{
		char *data = NULL;
		size_t len = 0;

		assert_int_equal(store_rewrite(store, "d/page.html", "read me", 7), FA_OK);
		assert_int_equal(store_read(store, "d/page.html", 7, &data, &len), FA_OK);
		assert_int_equal(len, 7);
		assert_string_equal(data, "read me");
		free(data);
		assert_int_equal(store_read(store, "d/page.html", 6, &data, &len), FA_ERR_TOO_LONG);
		assert_null(data);
		assert_int_equal(store_read(store, "link.html", 100, &data, &len), FA_ERR_IO);
		assert_int_equal(store_read(store, "dir.html", 100, &data, &len), FA_ERR_IO);
		assert_int_equal(store_read(store, "missing.html", 100, &data, &len), FA_ERR_IO);
		assert_int_equal(store_read(store, "../outside", 100, &data, &len), FA_ERR_NAME);
		assert_null(data);
	}
	store_free(store);
}

/* A file test twice: with O_TMPFILE, and with the .part fallback.  (clang-format 14
 * mangles braces in a macro.) */

/* Saves data for url at rel in store; returns the final path (caller
 * frees). */
static char *save_url(struct store *store, const char *rel, const char *url, const char *data,
		      size_t len)
{
	struct store_file *file = NULL;
	char *final = NULL;

	assert_int_equal(store_open(store, rel, url, &file, NULL), FA_OK);
	write_all(file, data, len);
	assert_int_equal(store_set_record(file, "\"e1\"", "", (long long)len), FA_OK);
	assert_int_equal(store_commit(file, &final), FA_OK);
	assert_non_null(final);
	return final;
}

#define URL_A "http://h/a/file.bin"
#define URL_B "http://h/b/file.bin"

/* Two URLs, one name: -c and -nc skip exactly the one that is done, in the
 * slot an earlier run gave it; the other is fetched, not dropped. */
static void test_store_identity_same_name(void **state)
{
	struct fixture *fx = *state;
	struct store *plain = open_store(fx, "out", 0);
	struct store *cont = open_store(fx, "out", STORE_CONTINUE);
	struct store *nc = open_store(fx, "out", STORE_NO_CLOBBER);
	struct store_file *file = NULL;
	char *final, *existing = NULL;

	final = save_url(plain, "file.bin", URL_B, "bbbb", 4); /* b first this time */
	assert_string_equal(final, "file.bin");
	free(final);
	/* a is not done: b's file is not a's, so a gets the next name. */
	assert_int_equal(store_open(cont, "file.bin", URL_A, &file, &existing), FA_OK);
	assert_null(existing);
	assert_int_equal(store_offset(file), 0);
	write_all(file, "aaaa", 4);
	assert_int_equal(store_set_record(file, NULL, NULL, 4), FA_OK);
	assert_int_equal(store_commit(file, &final), FA_OK);
	assert_string_equal(final, "file.bin.1");
	free(final);
	/* Both done now, each found under its own name. */
	assert_int_equal(store_open(cont, "file.bin", URL_B, &file, &existing), FA_ERR_EXISTS);
	assert_string_equal(existing, "file.bin");
	free(existing);
	assert_int_equal(store_open(nc, "file.bin", URL_A, &file, &existing), FA_ERR_EXISTS);
	assert_string_equal(existing, "file.bin.1");
	free(existing);
	assert_file(fx, "out/file.bin", "bbbb", 4);
	assert_file(fx, "out/file.bin.1", "aaaa", 4);
	store_free(plain);
	store_free(cont);
	store_free(nc);
}

/* A .part belongs to its URL: another URL with the same name never
 * resumes it, and its own URL gets its record back. */
static void test_store_identity_part(void **state)
{
	struct fixture *fx = *state;
	struct store *plain = open_store(fx, "out", 0);
	struct store *cont;
	struct store_file *file = NULL, *other = NULL;
	const struct store_record *rec;
	char *final;

	/* Interrupted: a's bytes kept as a .part with their validators. */
	assert_int_equal(store_open(plain, "file.bin", URL_A, &file, NULL), FA_OK);
	write_all(file, "AAA", 3);
	assert_int_equal(store_set_record(file, "\"v1\"", "Wed, 01 Jan 2020 00:00:00 GMT", 10),
			 FA_OK);
	store_abort(file, true);
	assert_file(fx, "out/file.bin.part", "AAA", 3);
	/* -c, a later run (it looks at the directory when it starts) */
	cont = open_store(fx, "out", STORE_CONTINUE);
	/* b, same name: a fresh file in the next slot, not a's bytes. */
	assert_int_equal(store_open(cont, "file.bin", URL_B, &other, NULL), FA_OK);
	assert_int_equal(store_offset(other), 0);
	assert_null(store_resumed(other));
	/* a resumes its own bytes, with what the response said. */
	assert_int_equal(store_open(cont, "file.bin", URL_A, &file, NULL), FA_OK);
	assert_int_equal(store_offset(file), 3);
	rec = store_resumed(file);
	assert_non_null(rec);
	assert_string_equal(rec->url, URL_A);
	assert_string_equal(rec->etag, "\"v1\"");
	assert_string_equal(rec->last_modified, "Wed, 01 Jan 2020 00:00:00 GMT");
	assert_int_equal(rec->total, 10);
	write_all(file, "AAAAAAA", 7);
	write_all(other, "BB", 2);
	assert_int_equal(store_set_record(other, NULL, NULL, 4), FA_OK);
	/* b is interrupted too: its .part is its own, beside a's. */
	store_abort(other, true);
	assert_file(fx, "out/file.bin.1.part", "BB", 2);
	assert_int_equal(store_commit(file, &final), FA_OK);
	assert_string_equal(final, "file.bin");
	free(final);
	assert_file(fx, "out/file.bin", "AAAAAAAAAA", 10);
	assert_false(exists(fx, "out/file.bin.part"));
	/* b resumes from its own .part and saves beside a's file. */
	assert_int_equal(store_open(cont, "file.bin", URL_B, &other, NULL), FA_OK);
	assert_int_equal(store_offset(other), 2);
	write_all(other, "BB", 2);
	assert_int_equal(store_commit(other, &final), FA_OK);
	assert_string_equal(final, "file.bin.1");
	free(final);
	assert_file(fx, "out/file.bin.1", "BBBB", 4);
	/* two files; in sidecar mode each with its record beside it, and no
	 * .part's sidecar left behind */
	assert_int_equal(count_entries(fx, "out"), (fx->flags & STORE_NO_XATTR) ? 4 : 2);
	if (fx->flags & STORE_NO_XATTR) {
		assert_true(exists(fx, "out/file.bin.fetchall.part.part"));
		assert_true(exists(fx, "out/file.bin.1.fetchall.part.part"));
	}
	store_free(plain);
	store_free(cont);
}

/* -c over a short file with no record: continued (the bytes are copied
 * only when more come) and replaced whole; -nc leaves it. */
static void test_store_continue_base(void **state)
{
	struct fixture *fx = *state;
	struct store *cont = open_store(fx, "out", STORE_CONTINUE);
	struct store *nc = open_store(fx, "out", STORE_NO_CLOBBER);
	struct store_file *file = NULL;
	char *final, *existing = NULL;

	spit(fx, "out/a.bin", "12345", 5);
	assert_int_equal(store_open(nc, "a.bin", URL_A, &file, &existing), FA_ERR_EXISTS);
	assert_string_equal(existing, "a.bin");
	free(existing);
	assert_int_equal(store_open(cont, "a.bin", URL_A, &file, NULL), FA_OK);
	assert_int_equal(store_offset(file), 5);
	write_all(file, "6789", 4);
	assert_file(fx, "out/a.bin", "12345", 5); /* untouched until the commit */
	assert_int_equal(store_commit(file, &final), FA_OK);
	assert_string_equal(final, "a.bin");
	free(final);
	assert_file(fx, "out/a.bin", "123456789", 9);
	assert_int_equal(count_entries(fx, "out"), 1);
	/* Now it has a record: done. */
	assert_int_equal(store_open(cont, "a.bin", URL_A, &file, &existing), FA_OK);
	/* (no record was set above: still a base, at its full size) */
	assert_int_equal(store_offset(file), 9);
	store_abort(file, true);
	free(existing);
	/* A restart drops the base; the commit still replaces it whole. */
	assert_int_equal(store_open(cont, "a.bin", URL_A, &file, NULL), FA_OK);
	assert_int_equal(store_restart(file), FA_OK);
	write_all(file, "xyz", 3);
	assert_int_equal(store_commit(file, &final), FA_OK);
	free(final);
	assert_file(fx, "out/a.bin", "xyz", 3);
	assert_int_equal(count_entries(fx, "out"), 1);
	store_free(cont);
	store_free(nc);
}

/* ---- one file (-O FILE) ------------------------------------------------ */

static struct store *open_one(const struct fixture *fx, const char *rel, unsigned flags)
{
	char path[PATH_MAX];
	char errbuf[256];
	struct store *store = NULL;

	path_in(fx, rel, path, sizeof(path));
	assert_int_equal(store_new_file(path, fx->flags | flags, &store, errbuf, sizeof(errbuf)),
			 FA_OK);
	assert_non_null(store);
	assert_string_equal(store_one_file(store), path);
	return store;
}

/* The one file is replaced whole, only by a commit; a failure leaves it as
 * it was; its .part is kept and resumed as any other; another relpath is
 * refused. */
static void test_store_one_file_replaced_when_whole(void **state)
{
	struct fixture *fx = *state;
	struct store *store;
	struct store_file *file = NULL;
	char path[PATH_MAX], data[3000], *final = NULL;

	fill(data, sizeof(data), 11);
	make_dir(fx, "d");
	spit(fx, "d/out.iso", "old", 3);
	path_in(fx, "d/out.iso", path, sizeof(path));
	store = open_one(fx, "d/out.iso", 0);
	assert_int_equal(store_open(store, "out.iso", "http://h/a", &file, NULL), FA_ERR_NAME);
	assert_null(file);

	/* failed: the old file stays, nothing else is left */
	assert_int_equal(store_open(store, path, "http://h/a", &file, NULL), FA_OK);
	write_all(file, data, 1000);
	assert_file(fx, "d/out.iso", "old", 3);
	store_abort(file, false);
	assert_file(fx, "d/out.iso", "old", 3);
	assert_int_equal(count_entries(fx, "d"), 1);

	/* interrupted: FILE.part; whole: FILE replaced, named as given */
	assert_int_equal(store_open(store, path, "http://h/a", &file, NULL), FA_OK);
	write_all(file, data, 1000);
	store_abort(file, true);
	assert_file(fx, "d/out.iso", "old", 3);
	assert_file(fx, "d/out.iso.part", data, 1000);
	assert_int_equal(store_open(store, path, "http://h/a", &file, NULL), FA_OK);
	assert_int_equal(store_offset(file), 0); /* no -c: from zero */
	assert_int_equal(store_set_record(file, "\"a\"", "", sizeof(data)), FA_OK);
	write_all(file, data, sizeof(data));
	assert_int_equal(store_commit(file, &final), FA_OK);
	assert_string_equal(final, path);
	free(final);
	assert_file(fx, "d/out.iso", data, sizeof(data));
	store_free(store);

	/* -c: this URL's FILE.part is resumed, also when FILE is another
	 * URL's; the commit replaces FILE */
	fill(data, sizeof(data), 12);
	path_in(fx, "d/out.iso.part", path, sizeof(path));
	unlink(path); /* a stale one with no record would be resumed too */
	path_in(fx, "d/out.iso", path, sizeof(path));
	store = open_one(fx, "d/out.iso", STORE_CONTINUE);
	assert_int_equal(store_open(store, path, "http://h/b", &file, NULL), FA_OK);
	write_all(file, data, 700);
	store_abort(file, true);
	assert_int_equal(store_open(store, path, "http://h/b", &file, NULL), FA_OK);
	assert_int_equal(store_offset(file), 700);
	assert_int_equal(store_set_record(file, "\"b\"", "", sizeof(data)), FA_OK);
	write_all(file, data + 700, sizeof(data) - 700);
	assert_int_equal(store_commit(file, NULL), FA_OK);
	assert_file(fx, "d/out.iso", data, sizeof(data));
	/* the file, and its record's sidecar where there are no xattrs */
	assert_int_equal(count_entries(fx, "d"), (fx->flags & STORE_NO_XATTR) ? 2 : 1);
	/* ... and then it is this URL's: done */
	assert_int_equal(store_open(store, path, "http://h/b", &file, &final), FA_ERR_EXISTS);
	assert_string_equal(final, path);
	free(final);
	store_free(store);

	/* --no-clobber: any FILE is kept */
	store = open_one(fx, "d/out.iso", STORE_NO_CLOBBER);
	assert_int_equal(store_open(store, path, "http://h/c", &file, NULL), FA_ERR_EXISTS);
	store_free(store);
	assert_file(fx, "d/out.iso", data, sizeof(data));
}

/* A link to a file writes the file it names; names that cannot be a
 * final name, and directories, are refused at once. */
static void test_store_one_file_paths(void **state)
{
	struct fixture *fx = *state;
	static const char *const bad[] = {"d/", "d/x.part", "d/.", "d/..", "d"};
	struct store *store = NULL;
	struct store_file *file = NULL;
	char path[PATH_MAX], errbuf[256];

	make_dir(fx, "d");
	spit(fx, "d/target", "old", 3);
	make_symlink(fx, "target", "d/link");
	store = open_one(fx, "d/link", 0);
	path_in(fx, "d/link", path, sizeof(path));
	assert_int_equal(store_open(store, path, "http://h/a", &file, NULL), FA_OK);
	write_all(file, "new!", 4);
	assert_int_equal(store_commit(file, NULL), FA_OK);
	store_free(store);
	assert_file(fx, "d/target", "new!", 4);
	assert_int_equal(count_entries(fx, "d"), 2);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		path_in(fx, bad[i], path, sizeof(path));
		store = NULL;
		if (store_new_file(path, fx->flags, &store, errbuf, sizeof(errbuf)) == FA_OK)
			fail_msg("'%s' accepted", bad[i]);
		assert_null(store);
		assert_non_null(strstr(errbuf, path));
	}
	/* a directory made on the way, as -o makes its own */
	store = open_one(fx, "new/sub/f", 0);
	store_free(store);
	assert_int_equal(count_entries(fx, "new/sub"), 0);
}

/* "-" and devices stream: written straight through, nothing to take
 * back, so a restart after the first byte fails. */
static void test_store_one_file_streams(void **state)
{
	struct fixture *fx = *state;
	struct store *store = NULL;
	struct store_file *file = NULL;
	char errbuf[256], *final = NULL;

	(void)fx;
	assert_int_equal(store_new_file("/dev/null", 0, &store, errbuf, sizeof(errbuf)), FA_OK);
	assert_int_equal(store_open(store, "/dev/null", "http://h/a", &file, NULL), FA_OK);
	assert_true(store_streams(file));
	assert_int_equal(store_restart(file), FA_OK); /* nothing out yet */
	assert_int_equal(store_set_record(file, "\"e\"", "", 10), FA_OK);
	write_all(file, "0123456789", 10);
	assert_int_equal(store_offset(file), 10);
	assert_int_equal(store_restart(file), FA_ERR_STREAMED);
	assert_int_equal(store_offset(file), 10);
	assert_int_equal(store_commit(file, &final), FA_OK);
	assert_string_equal(final, "/dev/null");
	free(final);
	assert_int_equal(store_open(store, "/dev/null", "http://h/a", &file, NULL), FA_OK);
	store_abort(file, true);
	store_free(store);

	/* standard output is borrowed: never closed */
	assert_int_equal(store_new_file("-", 0, &store, errbuf, sizeof(errbuf)), FA_OK);
	assert_string_equal(store_one_file(store), "-");
	assert_int_equal(store_open(store, "-", "http://h/a", &file, NULL), FA_OK);
	assert_true(store_streams(file));
	store_abort(file, false);
	store_free(store);
	assert_true(fcntl(STDOUT_FILENO, F_GETFD) >= 0);
}

/* Decoys the parent holds while a forked child saves a file (below). */
#define FORK_DECOYS 8

/*
 * A file saved by a forked child holds the child's bytes.  Linked through
 * /proc, the store's descriptor for /proc/self/fd names the directory of
 * the process that made the store: there, the child's file's number is
 * the parent's file.  The parent holds "PARENT" files at every number the
 * child's first descriptors can get; the child must not link one of them.
 */
static void test_store_fork_saves_own_file(void **state)
{
	struct fixture *fx = *state;
	struct store *store = open_store(fx, "out", 0);
	int decoys[FORK_DECOYS], go[2], status;
	char byte = 'g', out[PATH_MAX];
	pid_t pid;

	path_in(fx, "out", out, sizeof(out));
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store_file *file = NULL;
		bool ok;

		close(go[1]);
		ok = read(go[0], &byte, 1) == 1; /* the decoys are there */
		close(go[0]);
		ok = ok && store_open(store, "fork.bin", NULL, &file, NULL) == FA_OK &&
		     store_write(file, "CHILD", 5) == FA_OK && store_commit(file, NULL) == FA_OK;
		_exit(ok ? 0 : 1);
	}
	close(go[0]);
	for (int i = 0; i < FORK_DECOYS; i++) {
		decoys[i] = open(out, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
		if (decoys[i] < 0) /* no O_TMPFILE here: nothing to confuse */
			decoys[i] = open("/dev/null", O_WRONLY | O_CLOEXEC);
		assert_true(decoys[i] >= 0);
		assert_int_equal(write(decoys[i], "PARENT", 6), 6);
	}
	assert_int_equal(write(go[1], &byte, 1), 1);
	close(go[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	for (int i = 0; i < FORK_DECOYS; i++)
		close(decoys[i]);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_file(fx, "out/fork.bin", "CHILD", 5);
	store_free(store);
}

/* The architecture the filter below is written for (its system call
 * numbers are this build's); none: the test that uses it is skipped. */
#if defined(__x86_64__)
#define FILTER_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define FILTER_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef FILTER_ARCH
/* From here on, the calling process's linkat() by descriptor
 * (AT_EMPTY_PATH) fails with ENOENT, as it does for a user without
 * CAP_DAC_READ_SEARCH on kernels before 6.10 (which let the file's own
 * opener do it): a seccomp filter on linkat's flags. */
static bool refuse_link_by_fd(void)
{
	struct sock_filter code[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FILTER_ARCH, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), /* another ABI: as is */
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_linkat, 0, 3),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[4])),
	    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, AT_EMPTY_PATH, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOENT),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};

	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
	       prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}
#else
static bool refuse_link_by_fd(void)
{
	return false;
}
#endif

/*
 * Where linking by descriptor is refused, a store still keeps its files
 * nameless until they are whole (through /proc/self/fd), rather than
 * falling back to NAME.part.  In a child, whose filter goes with it.
 */
static void test_store_links_when_refused_by_fd(void **state)
{
	struct fixture *fx = *state;
	char out[PATH_MAX];
	int status;
	pid_t pid;

#ifndef FILTER_ARCH
	skip(); /* no filter written for this architecture */
#endif
	path_in(fx, "out", out, sizeof(out));
	assert_int_equal(mkdir(out, 0755), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *store = NULL;
		struct store_file *file = NULL;
		char errbuf[256];
		int code = 0;

		if (!refuse_link_by_fd())
			code = 2;
		else if (store_new(out, 0, &store, errbuf, sizeof(errbuf)) != FA_OK ||
			 store_open(store, "a.bin", NULL, &file, NULL) != FA_OK ||
			 store_write(file, "whole", 5) != FA_OK)
			code = 3;
		else if (count_entries(fx, "out") != 0) /* a NAME.part */
			code = 4;
		else if (store_commit(file, NULL) != FA_OK)
			code = 5;
		store_free(store);
		_exit(code);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_file(fx, "out/a.bin", "whole", 5);
}

/* clang-format off */
#define IN_MODE(fn, suffix, mode) {#fn suffix, fn, setup, teardown, (void *)&(mode)}
#define BOTH(fn) IN_MODE(fn, "", mode_tmpfile), IN_MODE(fn, "_part", mode_part)
/* and linked through /proc: where files are committed */
#define THREE(fn) BOTH(fn), IN_MODE(fn, "_proc", mode_proc)
#define ALL4(fn)                                                                           \
	BOTH(fn), IN_MODE(fn, "_sidecar", mode_sidecar),                                   \
	    IN_MODE(fn, "_sidecar_part", mode_sidecar_part)
/* clang-format on */

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_store_name_flat),
	    cmocka_unit_test(test_store_name_tree),
	    cmocka_unit_test(test_store_name_long),
	    cmocka_unit_test(test_store_name_deep),
	    cmocka_unit_test(test_store_name_errors),
	    cmocka_unit_test(test_store_component_table),
	    BOTH(test_store_name_hostile_property),
	    THREE(test_store_commit_complete),
	    THREE(test_store_collision_suffix),
	    BOTH(test_store_collision_cap),
	    THREE(test_store_concurrent_collisions),
	    THREE(test_store_tree_dirs_kept_open),
	    BOTH(test_store_abort_discards),
	    THREE(test_store_abort_keep_part),
	    ALL4(test_store_kept_part_seen),
	    BOTH(test_store_continue_resumes),
	    BOTH(test_store_restart_truncates),
	    BOTH(test_store_exists_skips),
	    ALL4(test_store_identity_same_name),
	    ALL4(test_store_identity_part),
	    ALL4(test_store_continue_base),
	    THREE(test_store_commit_as),
	    THREE(test_store_rewrite),
	    BOTH(test_store_open_rejects),
	    BOTH(test_store_symlink_not_followed),
	    BOTH(test_store_new_unwritable),
	    THREE(test_store_disk_full),
	    ALL4(test_store_one_file_replaced_when_whole),
	    BOTH(test_store_one_file_paths),
	    THREE(test_store_fork_saves_own_file),
	    cmocka_unit_test_setup_teardown(test_store_links_when_refused_by_fd, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_one_file_streams, setup, teardown),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
