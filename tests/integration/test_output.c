/*
 * End-to-end tests of where output goes and how it is named: -O FILE and
 * -O - (one URL, saved under FILE exactly or streamed to stdout), the note
 * that -o makes a directory, file names that are not UTF-8 found again
 * from the --json lines, the per-page link cap reported as such, and
 * make install / make uninstall (tests/install.sh).
 *
 * One server serves the group, its --root a fresh directory holding a
 * generated page with more links than a page may give (HTML_MAX_LINKS).
 * Every test works in its own temporary directory.
 */
#define _GNU_SOURCE /* posix_spawn_file_actions_addchdir_np */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "content.h"
#include "harness.h"
#include "html.h"

#define RUN_TIMEOUT 120
#define CAP_EXTRA   50 /* links past HTML_MAX_LINKS on the generated page */

extern char **environ;

static struct h_server server;
static char *root; /* the server's --root */

/* root/cap.html: HTML_MAX_LINKS + CAP_EXTRA distinct images. */
static int write_cap_page(void)
{
	size_t cap = (HTML_MAX_LINKS + CAP_EXTRA) * 32 + 64, len = 0;
	char *page = malloc(cap), path[4096];
	int rc;

	if (!page)
		return -1;
	len += (size_t)snprintf(page, cap, "<html><body>\n");
	for (size_t i = 0; i < HTML_MAX_LINKS + CAP_EXTRA; i++)
		len += (size_t)snprintf(page + len, cap - len, "<img src=/i/%zu.png>\n", i);
	snprintf(path, sizeof(path), "%s/cap.html", root);
	rc = h_write_file(path, page, len);
	free(page);
	return rc;
}

static int group_setup(void **state)
{
	(void)state;
	root = h_tmpdir();
	if (!root || write_cap_page() != 0)
		return -1;
	return h_server_start(&server, root);
}

static int group_teardown(void **state)
{
	(void)state;
	h_server_stop(&server);
	h_rmrf(root);
	free(root);
	return 0;
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Runs fetchall with the arguments (NULL-terminated) in c->dir; a
 * "URL:PATH" argument is the server's URL for PATH. */
static void run_va(const struct h_tmp *c, struct h_result *r, va_list ap)
{
	const char *argv[32];
	char *urls[32];
	int argc = 0, nurls = 0;
	const char *a;

	argv[argc++] = "fetchall";
	while ((a = va_arg(ap, const char *)) && argc < 31) {
		if (!strncmp(a, "URL:", 4)) {
			urls[nurls] = h_url(&server, a + 4);
			assert_non_null(urls[nurls]);
			a = urls[nurls++];
		}
		argv[argc++] = a;
	}
	argv[argc] = NULL;
	assert_int_equal(h_run_in(c->dir, argv, NULL, RUN_TIMEOUT, r), 0);
	for (int i = 0; i < nurls; i++)
		free(urls[i]);
}

static void run(const struct h_tmp *c, struct h_result *r, ...)
{
	va_list ap;

	va_start(ap, r);
	run_va(c, r, ap);
	va_end(ap);
}

/* Runs fetchall with the arguments, as run(): a usage error, one line on
 * stderr holding needle, nothing on stdout. */
static void usage_error(const struct h_tmp *c, const char *needle, ...)
{
	struct h_result r;
	va_list ap;

	va_start(ap, needle);
	run_va(c, &r, ap);
	va_end(ap);
	if (r.status != 2 || r.out_len != 0 || lines(r.err) != 1 || !strstr(r.err, needle))
		fail_msg("status %d, stdout %zu bytes, stderr: %s (wanted: %s)", r.status,
			 r.out_len, r.err, needle);
	h_result_release(&r);
}

/* Copies the line at p into line (len bytes) and returns where the next
 * one starts, or NULL when p is at the end. */
static const char *next_line(const char *p, char *line, size_t len)
{
	size_t n = strcspn(p, "\n");

	if (!*p)
		return NULL;
	snprintf(line, len, "%.*s", (int)n, p);
	return p + n + (p[n] == '\n');
}

static void path_in(const struct h_tmp *c, const char *rel, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", c->dir, rel);
}

/* Whether c->dir/rel holds exactly the n bytes of /bytes/N?seed=seed. */
static bool holds_bytes(const struct h_tmp *c, const char *rel, uint64_t seed, uint64_t n)
{
	char path[4096];

	path_in(c, rel, path, sizeof(path));
	return h_check_bytes(path, seed, n) == 1;
}

static bool holds_text(const struct h_tmp *c, const char *rel, const char *text)
{
	char path[4096], *data = NULL;
	size_t len = 0;
	bool same;

	path_in(c, rel, path, sizeof(path));
	if (h_read_file(path, &data, &len) != 0)
		return false;
	same = len == strlen(text) && memcmp(data, text, len) == 0;
	free(data);
	return same;
}

static bool exists(const struct h_tmp *c, const char *rel)
{
	char path[4096];
	struct stat st;

	path_in(c, rel, path, sizeof(path));
	return lstat(path, &st) == 0;
}

static void put_text(const struct h_tmp *c, const char *rel, const char *text)
{
	char path[4096];

	path_in(c, rel, path, sizeof(path));
	assert_int_equal(h_write_file(path, text, strlen(text)), 0);
}

/* Entries of c->dir/rel, "." and ".." aside. */
static int entries(const struct h_tmp *c, const char *rel)
{
	char path[4096];
	struct dirent *e;
	DIR *d;
	int n = 0;

	path_in(c, rel, path, sizeof(path));
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* -O FILE: saved under FILE exactly (the JSON path is FILE), an existing
 * FILE replaced only by a whole body and left as it was by a failure,
 * with nothing else left beside it; missing directories made; names that
 * cannot be a file's refused before anything is fetched. */
static void test_output_document_saves_and_replaces(void **state)
{
	struct h_tmp *c = *state;
	struct h_result r;
	char path[4096], val[256];

	run(c, &r, "-O", "exact.iso", "URL:/bytes/30000/other-name.bin", "--json", NULL);
	H_ASSERT_RUN_SANE(&r, c->dir);
	assert_int_equal(r.status, 0);
	assert_int_equal(lines(r.out), 1);
	assert_true(h_json_get(r.out, "path", val, sizeof(val)));
	assert_string_equal(val, "exact.iso");
	assert_true(holds_bytes(c, "exact.iso", 30000, 30000));
	assert_int_equal(entries(c, "."), 1);
	h_result_release(&r);

	/* a failure leaves the old FILE, and no temporary beside it */
	put_text(c, "exact.iso", "old content\n");
	run(c, &r, "-O", "exact.iso", "URL:/status/404", "--json", NULL);
	H_ASSERT_RUN_SANE(&r, c->dir);
	assert_int_equal(r.status, 3);
	assert_true(h_json_get(r.out, "path", val, sizeof(val)));
	assert_string_equal(val, "null");
	assert_true(holds_text(c, "exact.iso", "old content\n"));
	assert_int_equal(entries(c, "."), 1);
	h_result_release(&r);
	/* ... a body cut short too (no retries) */
	run(c, &r, "-O", "exact.iso", "--retries", "0", "URL:/truncate/t1", NULL);
	assert_int_equal(r.status, 3);
	assert_true(holds_text(c, "exact.iso", "old content\n"));
	assert_int_equal(entries(c, "."), 1);
	h_result_release(&r);

	/* a whole body replaces it, whatever the URL's name; -v names FILE */
	run(c, &r, "-O", "exact.iso", "-v", "URL:/bytes/777/x.bin", NULL);
	H_ASSERT_RUN_SANE(&r, c->dir);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "-> exact.iso\n"));
	assert_true(holds_bytes(c, "exact.iso", 777, 777));
	assert_int_equal(entries(c, "."), 1);
	h_result_release(&r);

	/* an absolute FILE in directories not there yet */
	path_in(c, "new/sub/abs.bin", path, sizeof(path));
	run(c, &r, "--output-document", path, "URL:/bytes/100", "--json", NULL);
	H_ASSERT_RUN_SANE(&r, c->dir);
	assert_int_equal(r.status, 0);
	assert_true(holds_bytes(c, "new/sub/abs.bin", 100, 100));
	h_result_release(&r);

	/* --no-clobber keeps any FILE */
	run(c, &r, "-O", "exact.iso", "--no-clobber", "URL:/bytes/10", "--json", NULL);
	H_ASSERT_RUN_SANE(&r, c->dir);
	assert_int_equal(r.status, 0);
	assert_true(h_json_get(r.out, "skip_reason", val, sizeof(val)));
	assert_string_equal(val, "file exists");
	assert_true(holds_bytes(c, "exact.iso", 777, 777));
	h_result_release(&r);

	/* not a file's name: refused before any request, nothing made */
	usage_error(c, "'new'", "-O", "new", "URL:/bytes/10", NULL);
	usage_error(c, "'new/'", "-O", "new/", "URL:/bytes/10", NULL);
	usage_error(c, "'x.part'", "-O", "x.part", "URL:/bytes/10", NULL);
	usage_error(c, "'new/..'", "-O", "new/..", "URL:/bytes/10", NULL);
	assert_false(exists(c, "x.part"));

	/* the user's name wins over the server's Content-Disposition (wget) */
	run(c, &r, "-O", "named.iso", "URL:/bytes/555?cd=attachment%3B%20filename%3Dserver.bin",
	    "--json", NULL);
	H_ASSERT_RUN_SANE(&r, c->dir);
	assert_int_equal(r.status, 0);
	assert_true(h_json_get(r.out, "path", val, sizeof(val)));
	assert_string_equal(val, "named.iso");
	assert_true(holds_bytes(c, "named.iso", 555, 555));
	assert_false(exists(c, "server.bin"));
	h_result_release(&r);

	/* a device is written to as it stands */
	run(c, &r, "-O", "/dev/null", "URL:/bytes/100000", NULL);
	H_ASSERT_RUN_SANE(&r, NULL);
	assert_int_equal(r.status, 0);
	h_result_release(&r);
}

/* -c with -O FILE: an interrupted body stays as FILE.part, the next -c
 * run asks for the rest and FILE comes out whole; then it is done. */
static void test_output_document_continue(void **state)
{
	struct h_tmp *c = *state;
	const char *url = "URL:/lie206/5000/resume.bin?mode=ok&cut=1234";
	struct h_result r;
	char val[256];

	run(c, &r, "-O", "r.bin", "-c", "--retries", "0", url, NULL);
	assert_int_equal(r.status, 3);
	assert_false(exists(c, "r.bin"));
	assert_true(exists(c, "r.bin.part"));
	h_result_release(&r);

	run(c, &r, "-O", "r.bin", "-c", "--retries", "0", url, "--json", NULL);
	H_ASSERT_RUN_SANE(&r, c->dir);
	assert_int_equal(r.status, 0);
	assert_true(h_json_get(r.out, "http_code", val, sizeof(val)));
	assert_string_equal(val, "206");
	assert_true(holds_bytes(c, "r.bin", 5000, 5000));
	assert_false(exists(c, "r.bin.part"));
	h_result_release(&r);

	run(c, &r, "-O", "r.bin", "-c", url, "--json", NULL);
	H_ASSERT_RUN_SANE(&r, c->dir);
	assert_int_equal(r.status, 0);
	assert_true(h_json_get(r.out, "skip_reason", val, sizeof(val)));
	assert_string_equal(val, "file exists");
	h_result_release(&r);
}

/* -O -: the body, and nothing else, on stdout; a retry that continues
 * where the bytes stopped is fine, one that would start over fails and
 * says why; what would share stdout or cannot apply is a usage error. */
static void test_output_document_stdout(void **state)
{
	struct h_tmp *c = *state;
	struct h_result r;
	uint8_t *want = malloc(100000);

	assert_non_null(want);
	run(c, &r, "-O", "-", "-v", "URL:/bytes/100000/s.bin", NULL);
	H_ASSERT_RUN_SANE(&r, NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.out_len, 100000);
	tsrv_fill(100000, 0, want, 100000);
	assert_memory_equal(r.out, want, 100000);
	assert_int_equal(entries(c, "."), 0);
	h_result_release(&r);

	/* cut at 1234, then an honest 206 for the rest: whole */
	run(c, &r, "-O", "-", "--retry-wait", "0.1", "URL:/lie206/5000/a?mode=ok&cut=1234", NULL);
	H_ASSERT_RUN_SANE(&r, NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.out_len, 5000);
	tsrv_fill(5000, 0, want, 5000);
	assert_memory_equal(r.out, want, 5000);
	h_result_release(&r);

	/* cut at 1234, then the whole body again: it cannot be un-written */
	run(c, &r, "-O", "-", "--retry-wait", "0.1", "URL:/lie206/5000/b?mode=whole&cut=1234",
	    NULL);
	H_ASSERT_RUN_SANE(&r, NULL);
	assert_int_equal(r.status, 3);
	assert_int_equal(r.out_len, 1234);
	assert_memory_equal(r.out, want, 1234);
	assert_non_null(strstr(r.err, "cannot be taken back"));
	h_result_release(&r);

	usage_error(c, "-O - and --json cannot be combined", "-O", "-", "--json", "URL:/bytes/10",
		    NULL);
	usage_error(c, "-O - and -c cannot be combined", "-O", "-", "-c", "URL:/bytes/10", NULL);
	usage_error(c, "-O - and --no-clobber cannot be combined", "-O", "-", "--no-clobber",
		    "URL:/bytes/10", NULL);
	/* one URL only: not a list, not two, not a crawl */
	put_text(c, "list.txt", "http://127.0.0.1:1/x\n");
	usage_error(c, "-O saves one URL, not a list ('list.txt')", "-O", "f", "list.txt", NULL);
	usage_error(c, "-O saves one URL, not 2", "-O", "f", "URL:/bytes/1", "URL:/bytes/2", NULL);
	usage_error(c, "-O and --crawl cannot be combined", "-O", "f", "--crawl", "URL:/bytes/1",
		    NULL);
	assert_int_equal(entries(c, "."), 1);
	free(want);
}

/* -o NAME.EXT that does not exist: made a directory, with a note pointing
 * at -O; not when it exists, ends in '/', or with -q. */
static void test_output_dir_looks_like_file(void **state)
{
	struct h_tmp *c = *state;
	struct h_result r;
	struct stat st;
	char path[4096];

	run(c, &r, "-o", "file.iso", "URL:/bytes/10/a.bin", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "fetchall: note: -o 'file.iso' makes a new directory"));
	assert_non_null(strstr(r.err, "use -O 'file.iso'\n"));
	path_in(c, "file.iso", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_true(holds_bytes(c, "file.iso/a.bin", 10, 10));
	h_result_release(&r);

	run(c, &r, "-o", "file.iso", "URL:/bytes/10/b.bin", NULL);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.err, "note:"));
	h_result_release(&r);
	run(c, &r, "-o", "other.zip", "-q", "URL:/bytes/10/b.bin", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.err_len, 0);
	h_result_release(&r);
	run(c, &r, "-o", "dir.d/", "URL:/bytes/10/b.bin", NULL);
	assert_null(strstr(r.err, "note:"));
	h_result_release(&r);
	run(c, &r, "-o", "plain", "URL:/bytes/10/b.bin", NULL);
	assert_null(strstr(r.err, "note:"));
	h_result_release(&r);
}

/* Names that are not UTF-8 (a URL's %E9, a raw byte in a list line, a
 * server's Latin-1 Content-Disposition name): the JSON's "url" is the
 * URL with those bytes percent-encoded, "path_bytes" decodes to the exact
 * name (h_json_check opens it), and a run from the JSON's URLs saves the
 * same names, and with -c finds them its own; a valid name with '%' has
 * no path_bytes. */
static void test_output_json_non_utf8_names(void **state)
{
	struct h_tmp *c = *state;
	struct h_result r;
	char *base = h_url(&server, ""), list[4096], line[2048], val[2048];
	const char *p;
	int n;

	assert_non_null(base);
	n = snprintf(list, sizeof(list),
		     "%s/bytes/101/raw\xff.bin\n"
		     "%s/bytes/102/caf%%E9.bin\n"
		     "%s/bytes/103/x.bin?cd=attachment%%3B%%20filename%%3D%%22na%%EFve.bin%%22\n"
		     "%s/bytes/104/100%%25.txt\n",
		     base, base, base, base);
	assert_true(n > 0 && (size_t)n < sizeof(list));
	put_text(c, "list.txt", list);
	run(c, &r, "list.txt", "-o", "out", "-J", "--json", NULL);
	{
		char out[4096];

		path_in(c, "out", out, sizeof(out));
		H_ASSERT_RUN_SANE(&r, out); /* every path_bytes names its file */
	}
	assert_int_equal(r.status, 0);
	assert_int_equal(lines(r.out), 4);
	assert_true(holds_bytes(c, "out/raw\xff.bin", 101, 101));
	assert_true(holds_bytes(c, "out/caf\xe9.bin", 102, 102));
	assert_true(holds_bytes(c, "out/na\xefve.bin", 103, 103));
	assert_true(holds_bytes(c, "out/100%.txt", 104, 104));
	for (p = next_line(r.out, line, sizeof(line)); p; p = next_line(p, line, sizeof(line))) {
		assert_true(h_json_get(line, "url", val, sizeof(val)));
		assert_null(strstr(val, "\xef\xbf\xbd")); /* no U+FFFD in a URL */
		if (strstr(val, "/bytes/101/")) {
			assert_non_null(strstr(val, "/bytes/101/raw%FF.bin"));
			assert_true(h_json_get(line, "path_bytes", val, sizeof(val)));
			assert_string_equal(val, "raw%FF.bin");
		} else if (strstr(val, "/bytes/102/")) {
			assert_true(h_json_get(line, "path", val, sizeof(val)));
			assert_string_equal(val, "caf\xef\xbf\xbd.bin");
			assert_true(h_json_get(line, "path_bytes", val, sizeof(val)));
			assert_string_equal(val, "caf%E9.bin");
		} else if (strstr(val, "/bytes/103/")) {
			assert_true(h_json_get(line, "path_bytes", val, sizeof(val)));
			assert_string_equal(val, "na%EFve.bin");
		} else {
			assert_true(h_json_get(line, "path", val, sizeof(val)));
			assert_string_equal(val, "100%.txt");
			assert_false(h_json_get(line, "path_bytes", val, sizeof(val)));
		}
	}

	/* the retry loop's way: the URLs from the JSON, run again */
	list[0] = '\0';
	for (p = next_line(r.out, line, sizeof(line)); p; p = next_line(p, line, sizeof(line))) {
		size_t used = strlen(list);

		assert_true(h_json_get(line, "url", val, sizeof(val)));
		snprintf(list + used, sizeof(list) - used, "%s\n", val);
	}
	put_text(c, "again.txt", list);
	h_result_release(&r);
	run(c, &r, "again.txt", "-o", "again", "-J", "--json", NULL);
	{
		char out[4096];

		path_in(c, "again", out, sizeof(out));
		H_ASSERT_RUN_SANE(&r, out);
	}
	assert_int_equal(r.status, 0);
	assert_true(holds_bytes(c, "again/raw\xff.bin", 101, 101));
	assert_true(holds_bytes(c, "again/caf\xe9.bin", 102, 102));
	assert_true(holds_bytes(c, "again/na\xefve.bin", 103, 103));
	assert_true(holds_bytes(c, "again/100%.txt", 104, 104));
	assert_int_equal(entries(c, "again"), 4);
	h_result_release(&r);

	/* ... and with -c over the first run's files: each is that URL's own
	 * (its record names the very URL the JSON gave), so none is fetched
	 * again under another name */
	run(c, &r, "again.txt", "-o", "out", "-c", "-J", "--json", NULL);
	{
		char out[4096];

		path_in(c, "out", out, sizeof(out));
		H_ASSERT_RUN_SANE(&r, out);
	}
	assert_int_equal(r.status, 0);
	for (p = next_line(r.out, line, sizeof(line)); p; p = next_line(p, line, sizeof(line))) {
		assert_true(h_json_get(line, "skip_reason", val, sizeof(val)));
		if (strcmp(val, "file exists") != 0)
			fail_msg("not skipped: %s", line);
	}
	assert_int_equal(entries(c, "out"), 4);
	h_result_release(&r);
	free(base);
}

/* A page with more links than HTML_MAX_LINKS: the rest are dropped and
 * the parse summary counts them apart from unparsable ones, parsed in
 * the fetch thread and in a parser process alike. */
static void test_output_links_over_cap_reported(void **state)
{
	struct h_tmp *c = *state;
	static const char *const procs[] = {"0", "1"};
	char want[128];

	snprintf(want, sizeof(want), ", %d links over the %d-per-page cap\n", CAP_EXTRA,
		 HTML_MAX_LINKS);
	for (size_t i = 0; i < sizeof(procs) / sizeof(procs[0]); i++) {
		struct h_result r;
		char found[64];

		run(c, &r, "--images", "--accept", "none", "-P", procs[i], "-o", "out",
		    "URL:/static/cap.html", NULL);
		H_ASSERT_RUN_SANE(&r, NULL);
		assert_int_equal(r.status, 0);
		snprintf(found, sizeof(found), "%d URLs found", HTML_MAX_LINKS);
		if (!strstr(r.err, found) || !strstr(r.err, "0 unparsable links") ||
		    !strstr(r.err, want))
			fail_msg("-P %s: %s", procs[i], r.err);
		h_result_release(&r);
	}
}

/* make install / make uninstall under a staging DESTDIR (tests/install.sh),
 * from the source tree (where fixtures/ is), for this build's variant. */
static void test_output_install_uninstall(void **state)
{
	struct h_tmp *c = *state;
	const char *fetchall = getenv("FETCHALL"), *fixtures = h_fixtures();
	char variant[64] = "release", srcdir[4096], log[4096], *text = NULL;
	const char *v = fetchall ? strstr(fetchall, "build/") : NULL, *slash;
	posix_spawn_file_actions_t fa;
	size_t len = 0;
	pid_t pid;
	int status = -1, fd;

	if (v && (slash = strchr(v + 6, '/')) && (size_t)(slash - v - 6) < sizeof(variant))
		snprintf(variant, sizeof(variant), "%.*s", (int)(slash - v - 6), v + 6);
	slash = strrchr(fixtures, '/');
	snprintf(srcdir, sizeof(srcdir), "%.*s", slash ? (int)(slash - fixtures) : 1,
		 slash ? fixtures : ".");
	snprintf(log, sizeof(log), "%s/install.log", c->dir);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	{
		char sh[] = "sh", script[] = "tests/install.sh";
		char *const argv[] = {sh, script, variant, NULL};

		assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
		assert_int_equal(posix_spawn_file_actions_adddup2(&fa, fd, 1), 0);
		assert_int_equal(posix_spawn_file_actions_adddup2(&fa, fd, 2), 0);
		assert_int_equal(posix_spawn_file_actions_addchdir_np(&fa, srcdir), 0);
		assert_int_equal(posix_spawnp(&pid, "sh", &fa, NULL, argv, environ), 0);
		posix_spawn_file_actions_destroy(&fa);
	}
	close(fd);
	assert_int_equal(h_wait(pid, 600, &status), 0);
	assert_int_equal(h_read_file(log, &text, &len), 0);
	if (status != 0 || !strstr(text, "install.sh: ok\n"))
		fail_msg("tests/install.sh %s (status %d):\n%s", variant, status, text);
	if (strstr(text, "zsh is not installed"))
		print_message("zsh is not installed: its completion was not syntax-checked\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_output_document_saves_and_replaces, h_tmp_setup,
					    h_tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_output_document_continue, h_tmp_setup,
					    h_tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_output_document_stdout, h_tmp_setup,
					    h_tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_output_dir_looks_like_file, h_tmp_setup,
					    h_tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_output_json_non_utf8_names, h_tmp_setup,
					    h_tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_output_links_over_cap_reported, h_tmp_setup,
					    h_tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_output_install_uninstall, h_tmp_setup,
					    h_tmp_teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	curl_global_cleanup();
	return rc;
}
