/*
 * End-to-end tests of authentication, custom headers on redirects,
 * proxies, Referer and the address family, against the test server.
 *
 * Two origins on one server: BASE (http://127.0.0.1:PORT) and OTHER
 * (http://localhost:PORT), which differ by host, so a redirect from one to
 * the other crosses origins.  The server's /redirect-to sends a client
 * anywhere, /headers echoes what arrived, /basic-auth and /digest-auth
 * want credentials, and absolute-form requests (as a client sends them to
 * a proxy) are answered and counted in /stats, so the server is the proxy
 * too.  Every test works in its own temporary directory; every --json
 * output is checked with H_ASSERT_RUN_SANE.
 *
 * The password the routes want, SECRET, is written in URLs only
 * percent-encoded (PW1, and PW2 and PW3 for URLs inside one and two
 * /redirect-to parameters, which the server decodes once each), so that
 * any output holding SECRET itself can only have taken it from
 * --password, -u, the terminal or a netrc file.
 */
#define _GNU_SOURCE /* posix_openpt, POSIX_SPAWN_SETSID */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define RUN_TIMEOUT 60
/* never to be seen in any output */
#define SECRET "s3cret-PW-9271"

extern char **environ;

static struct h_server server;
static char other[64]; /* http://localhost:PORT */
/* SECRET percent-encoded once ("%73%33..."), twice and three times */
static char pw1[128], pw2[192], pw3[256];
static char *home; /* $HOME as the tests found it, or NULL */

/* SECRET with every byte as "%" + "25" x (levels - 1) + its hex. */
static void encode_secret(int levels, char *out, size_t len)
{
	size_t n = 0;

	for (const char *p = SECRET; *p; p++) {
		n += (size_t)snprintf(out + n, len - n, "%%");
		for (int i = 1; i < levels; i++)
			n += (size_t)snprintf(out + n, len - n, "25");
		n += (size_t)snprintf(out + n, len - n, "%02X", (unsigned char)*p);
	}
}

struct ctx {
	char *dir;
	char list[4096];
	char out[4096];
	struct h_server second; /* a test's own second server, if any */
};

static int group_setup(void **state)
{
	(void)state;
	if (h_server_start(&server, NULL) != 0)
		return -1;
	snprintf(other, sizeof(other), "http://localhost:%d", server.port);
	encode_secret(1, pw1, sizeof(pw1));
	encode_secret(2, pw2, sizeof(pw2));
	encode_secret(3, pw3, sizeof(pw3));
	home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	h_server_stop(&server);
	free(home);
	return 0;
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	c->dir = h_tmpdir();
	if (!c->dir)
		return -1;
	snprintf(c->list, sizeof(c->list), "%s/urls.txt", c->dir);
	snprintf(c->out, sizeof(c->out), "%s/out", c->dir);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	/* what a test changed, also when it failed */
	h_server_stop(&c->second);
	unsetenv("http_proxy");
	unsetenv("no_proxy");
	unsetenv("FETCHALL_PASSWORD");
	if (home)
		setenv("HOME", home, 1);
	else
		unsetenv("HOME");
	h_rmrf(c->dir);
	free(c->dir);
	free(c);
	return 0;
}

/* Writes the list: n URLs, each "BASE" + path unless it starts with
 * "http". */
static void write_list(struct ctx *c, const char *const *urls, size_t n)
{
	char buf[16384];
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		int k = snprintf(buf + len, sizeof(buf) - len, "%s%s\n",
				 strncmp(urls[i], "http", 4) ? server.base : "", urls[i]);

		assert_true(k > 0 && (size_t)k < sizeof(buf) - len);
		len += (size_t)k;
	}
	assert_int_equal(h_write_file(c->list, buf, len), 0);
}

/* Runs fetchall LIST -o OUT --json extra... (extra ends with NULL). */
static void run(struct ctx *c, struct h_result *r, ...)
{
	const char *argv[48] = {"fetchall", c->list, "-o", c->out, "--json"};
	int argc = 5;
	va_list ap;
	const char *a;

	va_start(ap, r);
	while ((a = va_arg(ap, const char *)) && argc < 46)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	assert_int_equal(h_run_in(c->dir, argv, NULL, RUN_TIMEOUT, r), 0);
	H_ASSERT_RUN_SANE(r, c->out);
}

/* The JSON line whose "url" ends with suffix, into buf; fails if none. */
static const char *line_for(const char *out, const char *suffix, char *buf, size_t len)
{
	if (!h_json_line_for(out, suffix, buf, len))
		fail_msg("no JSON line for a URL ending in '%s'", suffix);
	return buf;
}

/* Asserts that the URL ending in suffix failed with an error holding
 * want, or (want NULL) was saved. */
static void assert_outcome(const char *out, const char *suffix, const char *want)
{
	char line[8192], v[1024];

	line_for(out, suffix, line, sizeof(line));
	assert_true(h_json_get(line, "ok", v, sizeof(v)));
	if (!want) {
		if (strcmp(v, "true"))
			fail_msg("'%s' failed: %s", suffix, line);
		return;
	}
	if (strcmp(v, "false"))
		fail_msg("'%s' did not fail: %s", suffix, line);
	assert_true(h_json_get(line, "error", v, sizeof(v)));
	if (!strstr(v, want))
		fail_msg("'%s': error '%s' lacks '%s'", suffix, v, want);
}

/* The saved body of the URL ending in suffix (heap; caller frees). */
static char *saved_body(const struct ctx *c, const char *out, const char *suffix)
{
	char line[8192], rel[2048], path[8192], *data = NULL;
	size_t len;

	line_for(out, suffix, line, sizeof(line));
	if (!h_json_get(line, "path", rel, sizeof(rel)) || !strcmp(rel, "null"))
		fail_msg("'%s' saved nothing: %s", suffix, line);
	snprintf(path, sizeof(path), "%s/%s", c->out, rel);
	assert_int_equal(h_read_file(path, &data, &len), 0);
	return data;
}

static void assert_no_secret(const struct h_result *r)
{
	if (r->out && strstr(r->out, SECRET))
		fail_msg("the password is on stdout:\n%s", r->out);
	if (r->err && strstr(r->err, SECRET))
		fail_msg("the password is on stderr:\n%s", r->err);
}

/* ---- authentication ---- */

/* Basic and Digest, whichever the server asks for, with the password given
 * four ways; a wrong or missing one is a 401 that says which. */
/* A list of a Basic and a Digest URL on one host, fetched with --user at
 * -j jobs: both saved as the server's answer, the secret nowhere. */
static void basic_then_digest(struct ctx *c, const char *jobs)
{
	char basic[512], digest[512];
	const char *urls[] = {basic, digest};
	struct h_result r;
	char *body;

	snprintf(basic, sizeof(basic), "/basic-auth/alice/%s/b.txt", pw1);
	snprintf(digest, sizeof(digest), "/digest-auth/alice/%s/d.txt", pw1);
	write_list(c, urls, 2);
	run(c, &r, "-j", jobs, "--user", "alice", "--password", SECRET, NULL);
	assert_int_equal(r.status, 0);
	body = saved_body(c, r.out, "/b.txt");
	assert_string_equal(body, "authenticated alice\n");
	free(body);
	body = saved_body(c, r.out, "/d.txt");
	assert_string_equal(body, "authenticated alice\n");
	free(body);
	assert_no_secret(&r);
	h_result_release(&r);
}

static void test_auth_basic_and_digest(void **state)
{
	struct ctx *c = *state;
	const char *user_pass = "alice:" SECRET;
	struct h_result r;

	basic_then_digest(c, "8");

	/* wget's --http-user/--http-password, curl's -u USER:PASS */
	h_rmrf(c->out);
	run(c, &r, "--http-user=alice", "--http-password=" SECRET, NULL);
	assert_int_equal(r.status, 0);
	h_result_release(&r);
	h_rmrf(c->out);
	run(c, &r, "-u", user_pass, NULL);
	assert_int_equal(r.status, 0);
	assert_no_secret(&r);
	h_result_release(&r);

	/* FETCHALL_PASSWORD, with --user alone */
	h_rmrf(c->out);
	setenv("FETCHALL_PASSWORD", SECRET, 1);
	run(c, &r, "--user", "alice", NULL);
	unsetenv("FETCHALL_PASSWORD");
	assert_int_equal(r.status, 0);
	h_result_release(&r);

	run(c, &r, "--user", "alice", "--password", "wrong", NULL);
	assert_int_equal(r.status, 3);
	assert_outcome(r.out, "/b.txt", "HTTP 401: the server refused the credentials");
	assert_outcome(r.out, "/d.txt", "HTTP 401: the server refused the credentials");
	assert_non_null(strstr(r.err, "/b.txt: HTTP 401"));
	h_result_release(&r);

	run(c, &r, NULL);
	assert_int_equal(r.status, 3);
	assert_outcome(r.out, "/b.txt", "HTTP 401: the server wants credentials (--user");
	h_result_release(&r);
}

/* Credentials follow a redirect only to the job's own origin: not to
 * another host (nor port or scheme), unless --location-trusted; the same
 * for credentials written in the URL. */
static void test_auth_credentials_not_sent_cross_origin(void **state)
{
	struct ctx *c = *state;
	char cross[512], same[512], back[1024], url_creds[1024];
	const char *urls[] = {cross, same, back};
	struct h_result r;

	snprintf(cross, sizeof(cross), "/redirect-to?url=%s/basic-auth/alice/%s/x.txt", other, pw2);
	snprintf(same, sizeof(same), "/redirect-to?url=%s/basic-auth/alice/%s/s.txt", server.base,
		 pw2);
	/* out to the other origin and back: the credentials go again */
	snprintf(back, sizeof(back),
		 "/redirect-to?url=%s/redirect-to%%3Furl%%3D%s/basic-auth/alice/%s/b.txt", other,
		 server.base, pw3);
	write_list(c, urls, 3);
	run(c, &r, "-u", "alice:" SECRET, NULL);
	assert_int_equal(r.status, 1);
	assert_outcome(r.out, "/x.txt",
		       "HTTP 401: credentials and -H headers are not sent to another origin");
	assert_outcome(r.out, "/s.txt", NULL);
	assert_outcome(r.out, "/b.txt", NULL);
	assert_no_secret(&r);
	h_result_release(&r);

	h_rmrf(c->out);
	run(c, &r, "-u", "alice:" SECRET, "--location-trusted", NULL);
	assert_int_equal(r.status, 0);
	assert_no_secret(&r);
	h_result_release(&r);

	/* user:password@ in the URL: the same rule */
	snprintf(url_creds, sizeof(url_creds),
		 "http://alice:%s@127.0.0.1:%d/redirect-to?url=%s/basic-auth/alice/%s/u.txt",
		 SECRET, server.port, other, pw2);
	urls[0] = url_creds;
	write_list(c, urls, 1);
	h_rmrf(c->out);
	run(c, &r, NULL);
	assert_int_equal(r.status, 3);
	assert_outcome(r.out, "/u.txt", "not sent to another origin");
	assert_no_secret(&r);
	h_result_release(&r);
	h_rmrf(c->out);
	run(c, &r, "--location-trusted", NULL);
	assert_int_equal(r.status, 0);
	assert_no_secret(&r);
	h_result_release(&r);
}

/* Custom -H headers reach the job's own origin, also after a redirect,
 * and never another origin unless --location-trusted. */
static void test_auth_headers_dropped_cross_origin(void **state)
{
	struct ctx *c = *state;
	char cross[512];
	const char *urls[] = {"/headers", "/redirect-to?url=/headers&x=same", cross};
	struct h_result r;
	char *body;

	snprintf(cross, sizeof(cross), "/redirect-to?url=%s/headers%%3Fx%%3Dcross", other);
	write_list(c, urls, 3);
	run(c, &r, "-H", "X-Api-Key: key-1", "-H", "PRIVATE-TOKEN: tok-2", NULL);
	assert_int_equal(r.status, 0);
	body = saved_body(c, r.out, "/headers");
	assert_non_null(strstr(body, "X-Api-Key: key-1"));
	assert_non_null(strstr(body, "PRIVATE-TOKEN: tok-2"));
	free(body);
	body = saved_body(c, r.out, "&x=same");
	assert_non_null(strstr(body, "X-Api-Key: key-1"));
	assert_non_null(strstr(body, "PRIVATE-TOKEN: tok-2"));
	free(body);
	body = saved_body(c, r.out, "cross");
	assert_non_null(strstr(body, "Host: localhost:"));
	assert_null(strstr(body, "X-Api-Key"));
	assert_null(strstr(body, "PRIVATE-TOKEN"));
	free(body);
	h_result_release(&r);

	h_rmrf(c->out);
	run(c, &r, "-H", "X-Api-Key: key-1", "-H", "PRIVATE-TOKEN: tok-2", "--location-trusted",
	    NULL);
	assert_int_equal(r.status, 0);
	body = saved_body(c, r.out, "cross");
	assert_non_null(strstr(body, "X-Api-Key: key-1"));
	assert_non_null(strstr(body, "PRIVATE-TOKEN: tok-2"));
	free(body);
	h_result_release(&r);
}

/* Another port of the same host is another origin. */
static void test_auth_headers_dropped_other_port(void **state)
{
	struct ctx *c = *state;
	char url[512];
	const char *urls[] = {url};
	struct h_result r;
	char *body;

	assert_int_equal(h_server_start(&c->second, NULL), 0);
	snprintf(url, sizeof(url), "/redirect-to?url=%s/headers", c->second.base);
	write_list(c, urls, 1);
	run(c, &r, "-H", "X-Api-Key: key-1", NULL);
	assert_int_equal(r.status, 0);
	body = saved_body(c, r.out, "/headers");
	assert_null(strstr(body, "X-Api-Key"));
	free(body);
	h_result_release(&r);
	assert_int_equal(h_server_stop(&c->second), 0);
}

/* --netrc-file, and --netrc reading ~/.netrc: credentials for the hosts
 * the file names, and only for those; a user in the URL with no password
 * takes its password from the file. */
static void test_auth_netrc(void **state)
{
	struct ctx *c = *state;
	char netrc[4200], text[256], mine[512], cross[512];
	const char *urls[] = {mine, cross};
	struct h_result r;

	snprintf(netrc, sizeof(netrc), "%s/.netrc", c->dir);
	snprintf(text, sizeof(text), "machine 127.0.0.1 login alice password %s\n", SECRET);
	assert_int_equal(h_write_file(netrc, text, strlen(text)), 0);
	assert_int_equal(chmod(netrc, 0600), 0);
	snprintf(mine, sizeof(mine), "/basic-auth/alice/%s/n.txt", pw1);
	snprintf(cross, sizeof(cross), "%s/basic-auth/alice/%s/o.txt", other, pw1);
	write_list(c, urls, 2);

	run(c, &r, "--netrc-file", netrc, NULL);
	assert_int_equal(r.status, 1);
	assert_outcome(r.out, "/n.txt", NULL);
	assert_outcome(r.out, "/o.txt", "the netrc file has none it takes");
	assert_no_secret(&r);
	h_result_release(&r);

	/* a file that cannot be read is a usage error, not silence */
	run(c, &r, "--netrc-file", "no-such.netrc", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "cannot read --netrc-file 'no-such.netrc'"));
	h_result_release(&r);

	h_rmrf(c->out);
	setenv("HOME", c->dir, 1);
	run(c, &r, "--netrc", NULL);
	assert_outcome(r.out, "/n.txt", NULL);
	h_result_release(&r);
	/* a user in the URL without a password: the file gives it */
	snprintf(mine, sizeof(mine), "http://alice@127.0.0.1:%d/basic-auth/alice/%s/u.txt",
		 server.port, pw1);
	write_list(c, urls, 1);
	run(c, &r, "--netrc", NULL);
	assert_outcome(r.out, "/u.txt", NULL);
	h_result_release(&r);
	/* without --netrc the file is not read */
	run(c, &r, NULL);
	assert_outcome(r.out, "/u.txt", "HTTP 401");
	h_result_release(&r);
}

/* The password given on the command line is in no output: not in the
 * progress, failure and -v lines, not in --json, not in --save-failed's
 * list, not in --compare's; and ps no longer shows it once fetchall runs. */
static void test_auth_password_never_printed(void **state)
{
	struct ctx *c = *state;
	char ok[512], cross[512], failed[4200], slow[512], cmdline[4096];
	const char *urls[] = {ok, "/status/404/nf.txt", cross, "/digest-auth/alice/other/bad.txt"};
	const char *argv[] = {"fetchall", slow,         "-o",   c->out, "--user",
			      "alice",    "--password", SECRET, "-q",   NULL};
	const char *compare[] = {"fetchall", c->list, "-o",         c->out, "--compare=1,2",
				 "--user",   "alice", "--password", SECRET, NULL};
	struct h_stats st;
	struct h_result r;
	char *data;
	size_t len;
	int fd, status;
	ssize_t n;
	pid_t pid;

	snprintf(ok, sizeof(ok), "/basic-auth/alice/%s/ok.txt", pw1);
	snprintf(cross, sizeof(cross), "/redirect-to?url=%s/basic-auth/alice/%s/x.txt", other, pw2);
	snprintf(failed, sizeof(failed), "%s/failed.txt", c->dir);
	write_list(c, urls, 4);
	run(c, &r, "-v", "--user", "alice", "--password", SECRET, "--save-failed", failed, NULL);
	assert_int_equal(r.status, 1);
	assert_no_secret(&r);
	h_result_release(&r);
	/* the list holds the three failed URLs as given */
	assert_int_equal(h_read_file(failed, &data, &len), 0);
	assert_null(strstr(data, SECRET));
	assert_non_null(strstr(data, "/nf.txt\n"));
	assert_non_null(strstr(data, "/x.txt\n"));
	free(data);

	/* --compare's runs get the password (not on their command line):
	 * each authenticates, and fails the other three as above */
	h_rmrf(c->out);
	assert_int_equal(h_run_in(c->dir, compare, NULL, RUN_TIMEOUT, &r), 0);
	H_ASSERT_SANE(r.status, r.timed_out, r.err, NULL, NULL);
	assert_no_secret(&r);
	assert_non_null(strstr(r.err, "J=1 run 1: "));
	assert_non_null(strstr(r.err, "s, 1 ok, 3 failed\nfetchall: --compare: J=2 run 1: "));
	assert_non_null(strstr(r.out, "knee"));
	h_result_release(&r);

	/* /proc/PID/cmdline while a transfer is in flight */
	snprintf(slow, sizeof(slow), "%s/delay/2000/slow.txt", server.base);
	assert_int_equal(h_server_reset(&server, NULL), 0);
	pid = h_spawn(argv, NULL, c->dir);
	assert_true(pid > 0);
	for (int i = 0; i < 200; i++) {
		assert_int_equal(h_server_stats(&server, &st), 0);
		if (st.inflight > 0)
			break;
		usleep(10000);
	}
	snprintf(cmdline, sizeof(cmdline), "/proc/%d/cmdline", (int)pid);
	fd = open(cmdline, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, cmdline, sizeof(cmdline) - 1);
	close(fd);
	assert_true(n > 0);
	for (ssize_t i = 0; i < n; i++)
		cmdline[i] = cmdline[i] ? cmdline[i] : ' ';
	cmdline[n] = '\0';
	if (strstr(cmdline, SECRET))
		fail_msg("ps shows the password: %s", cmdline);
	assert_non_null(strstr(cmdline, "--password **************"));
	assert_int_equal(h_wait(pid, 30, &status), 0);
	assert_int_equal(status, 0);
}

/* Starts fetchall with argv in a session of its own: with a pty (its
 * master in *master) as its terminal and stdin if master is not NULL (the
 * first terminal a session leader opens becomes its own), else with no
 * terminal at all; stdout and stderr to DIR/stdout and DIR/stderr.
 * Returns the pid (h_wait() reaps it). */
static pid_t spawn_session(const char *const argv[], const char *dir, int *master)
{
	const char *fetchall = getenv("FETCHALL");
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	char out[4200], err[4200];
	pid_t pid;
	int rc;

	assert_non_null(fetchall);
	snprintf(out, sizeof(out), "%s/stdout", dir);
	snprintf(err, sizeof(err), "%s/stderr", dir);
	if (master) {
		*master = posix_openpt(O_RDWR | O_NOCTTY);
		if (*master < 0) {
			fprintf(stderr, "test_auth: no pseudo-terminal (%s): skipped\n",
				strerror(errno));
			skip();
		}
		assert_int_equal(grantpt(*master), 0);
		assert_int_equal(unlockpt(*master), 0);
	}
	assert_int_equal(posix_spawnattr_init(&attr), 0);
	assert_int_equal(posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID), 0);
	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	rc = posix_spawn_file_actions_addopen(&fa, 0, master ? ptsname(*master) : "/dev/null",
					      master ? O_RDWR : O_RDONLY, 0);
	rc |= posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	rc |= posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (master)
		rc |= posix_spawn_file_actions_addclose(&fa, *master);
	assert_int_equal(rc, 0);
	assert_int_equal(posix_spawn(&pid, fetchall, &fa, &attr, (char *const *)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return pid;
}

/* Waits (up to 10 s) for DIR/stderr to hold the password prompt. */
static void wait_for_prompt(const char *dir)
{
	char path[4200], *text = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/stderr", dir);
	for (int i = 0; i < 1000 && (!text || !strstr(text, "Password for 'alice': ")); i++) {
		free(text);
		text = NULL;
		usleep(10000);
		if (h_read_file(path, &text, &len) != 0)
			text = NULL;
	}
	if (!text || !strstr(text, "Password for 'alice': "))
		fail_msg("no prompt on stderr: '%s'", text ? text : "");
	free(text);
}

/* --ask-password: on a terminal, a prompt on stderr and the password read
 * with echo off, and the terminal as it was after Ctrl-C; with no
 * terminal, a usage error. */
static void test_auth_ask_password(void **state)
{
	struct ctx *c = *state;
	char url[512], path[4200], echoed[4096] = "";
	const char *argv[] = {"fetchall",       url, "-o", c->out, "--json", "-u", "alice",
			      "--ask-password", NULL};
	struct termios tio;
	char *text = NULL;
	size_t len = 0, got = 0;
	int master, status;
	pid_t pid;

	snprintf(url, sizeof(url), "%s/basic-auth/alice/%s/a.txt", server.base, pw1);
	pid = spawn_session(argv, c->dir, &master);
	/* the password only once the prompt (after echo went off) is out */
	wait_for_prompt(c->dir);
	assert_int_equal(tcgetattr(master, &tio), 0);
	assert_false(tio.c_lflag & ECHO);
	assert_int_equal(write(master, SECRET "\n", strlen(SECRET) + 1),
			 (ssize_t)strlen(SECRET) + 1);
	assert_int_equal(h_wait(pid, 30, &status), 0);
	assert_int_equal(status, 0);
	/* what the terminal showed: the newline, not the password */
	fcntl(master, F_SETFL, O_NONBLOCK);
	for (ssize_t n; got < sizeof(echoed) - 1 &&
			(n = read(master, echoed + got, sizeof(echoed) - 1 - got)) > 0;)
		got += (size_t)n;
	echoed[got] = '\0';
	assert_null(strstr(echoed, SECRET));
	assert_int_equal(tcgetattr(master, &tio), 0);
	assert_true(tio.c_lflag & ECHO);
	close(master);
	snprintf(path, sizeof(path), "%s/stdout", c->dir);
	assert_int_equal(h_read_file(path, &text, &len), 0);
	assert_null(h_json_check(text, c->out));
	assert_non_null(strstr(text, "\"ok\":true"));
	assert_null(strstr(text, SECRET));
	free(text);

	/* Ctrl-C at the prompt: the terminal echoes again, and SIGINT ends
	 * fetchall as it would have without the prompt */
	pid = spawn_session(argv, c->dir, &master);
	wait_for_prompt(c->dir);
	assert_int_equal(write(master, "\003", 1), 1);
	assert_int_equal(h_wait(pid, 30, &status), 0);
	assert_int_equal(status, 128 + SIGINT);
	assert_int_equal(tcgetattr(master, &tio), 0);
	assert_true(tio.c_lflag & ECHO);
	close(master);

	/* no terminal at all: a new session without one */
	pid = spawn_session(argv, c->dir, NULL);
	assert_int_equal(h_wait(pid, 30, &status), 0);
	assert_int_equal(status, 2);
	snprintf(path, sizeof(path), "%s/stderr", c->dir);
	assert_int_equal(h_read_file(path, &text, &len), 0);
	assert_non_null(strstr(text, "--ask-password: no terminal to ask on"));
	free(text);
}

/* ---- proxies ---- */

/* --proxy and http_proxy send every request to the proxy (here the test
 * server, which answers for any host: a name that cannot resolve proves
 * the request went nowhere else); --no-proxy and no_proxy exempt hosts. */
static void test_auth_proxy(void **state)
{
	struct ctx *c = *state;
	const char *urls[] = {"http://proxied.invalid/bytes/1000/p1.bin",
			      "http://proxied.invalid/bytes/2000/p2.bin"};
	const char *direct[] = {"/bytes/1000/d.bin"};
	char path[4200];
	struct h_stats st;
	struct h_result r;

	write_list(c, urls, 2);
	assert_int_equal(h_server_reset(&server, NULL), 0);
	run(c, &r, "--proxy", server.base, NULL);
	assert_int_equal(r.status, 0);
	h_result_release(&r);
	snprintf(path, sizeof(path), "%s/p2.bin", c->out);
	assert_true(h_check_bytes(path, 2000, 2000));
	assert_int_equal(h_server_stats(&server, &st), 0);
	assert_int_equal(st.proxy_requests, 2);
	assert_int_equal(st.requests, 2);

	/* the environment, as libcurl reads it */
	h_rmrf(c->out);
	assert_int_equal(h_server_reset(&server, NULL), 0);
	setenv("http_proxy", server.base, 1);
	run(c, &r, NULL);
	assert_int_equal(r.status, 0);
	h_result_release(&r);
	assert_int_equal(h_server_stats(&server, &st), 0);
	assert_int_equal(st.proxy_requests, 2);

	/* no_proxy: the server's own address is reached directly */
	write_list(c, direct, 1);
	assert_int_equal(h_server_reset(&server, NULL), 0);
	setenv("no_proxy", "127.0.0.1", 1);
	run(c, &r, NULL);
	unsetenv("no_proxy");
	unsetenv("http_proxy");
	assert_int_equal(r.status, 0);
	h_result_release(&r);
	assert_int_equal(h_server_stats(&server, &st), 0);
	assert_int_equal(st.proxy_requests, 0);
	assert_int_equal(st.requests, 1);

	/* --no-proxy, and --proxy as curl's bare HOST:PORT */
	snprintf(path, sizeof(path), "127.0.0.1:%d", server.port);
	assert_int_equal(h_server_reset(&server, NULL), 0);
	run(c, &r, "--proxy", path, "--no-proxy", "127.0.0.1", NULL);
	assert_int_equal(r.status, 0);
	h_result_release(&r);
	assert_int_equal(h_server_stats(&server, &st), 0);
	assert_int_equal(st.proxy_requests, 0);
	assert_int_equal(h_server_reset(&server, NULL), 0);
	run(c, &r, "--proxy", path, NULL);
	assert_int_equal(r.status, 0);
	h_result_release(&r);
	assert_int_equal(h_server_stats(&server, &st), 0);
	assert_int_equal(st.proxy_requests, 1);
}

/* ---- Referer, address family ---- */

/* --referer goes with the URLs given; an image found on a page is asked
 * for with that page as Referer (without its credentials), as wget does. */
static void test_auth_referer(void **state)
{
	struct ctx *c = *state;
	char page[512];
	const char *urls[] = {"/headers"};
	const char *pages[] = {page};
	struct h_result r;
	char *body, want[600];

	write_list(c, urls, 1);
	run(c, &r, "--referer", "http://ref.example/start", NULL);
	assert_int_equal(r.status, 0);
	body = saved_body(c, r.out, "/headers");
	assert_non_null(strstr(body, "Referer: http://ref.example/start\r\n"));
	free(body);
	h_result_release(&r);

	h_rmrf(c->out);
	snprintf(page, sizeof(page),
		 "http://bob:%s@127.0.0.1:%d/html?b=%%3Cimg%%20src%%3D/headers%%3E", SECRET,
		 server.port);
	write_list(c, pages, 1);
	run(c, &r, "--images", "--referer", "http://ref.example/start", NULL);
	assert_int_equal(r.status, 0);
	body = saved_body(c, r.out, "/headers");
	snprintf(want, sizeof(want),
		 "Referer: http://127.0.0.1:%d/html?b=%%3Cimg%%20src%%3D/headers%%3E\r\n",
		 server.port);
	if (!strstr(body, want))
		fail_msg("no '%s' in:\n%s", want, body);
	assert_null(strstr(body, SECRET));
	free(body);
	assert_no_secret(&r);
	h_result_release(&r);
}

/* -4 and -6 choose the address family: localhost over IPv4 works with
 * -4, 127.0.0.1 cannot be reached with -6; both at once is refused. */
static void test_auth_ip_family(void **state)
{
	struct ctx *c = *state;
	char v4[512];
	const char *urls[] = {v4};
	struct h_result r;

	snprintf(v4, sizeof(v4), "%s/bytes/100/v4.bin", other);
	write_list(c, urls, 1);
	run(c, &r, "-4", NULL);
	assert_int_equal(r.status, 0);
	h_result_release(&r);
	snprintf(v4, sizeof(v4), "%s/bytes/100/v6.bin", server.base);
	write_list(c, urls, 1);
	run(c, &r, "-6", "--retries", "0", NULL);
	assert_int_equal(r.status, 3);
	h_result_release(&r);
	run(c, &r, "-4", "-6", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "-6 and -4 cannot be combined"));
	h_result_release(&r);
}

/* fetchall follows redirects itself now: a chain still gives the final
 * URL, timers summed over its requests (as libcurl sums them), one
 * attempt per chain, and a retry that starts the chain over. */
static void test_auth_redirects_keep_results(void **state)
{
	struct ctx *c = *state;
	const char *urls[] = {"/redirect-to?url=/delay/300/t.bin", "/redirect/3/r.bin",
			      "/redirect-to?url=/flaky/503/1/f.bin%3Fkey%3Dauth-redirect-retry"};
	char line[8192], v[256];
	struct h_stats st;
	struct h_result r;

	write_list(c, urls, 3);
	assert_int_equal(h_server_reset(&server, NULL), 0);
	run(c, &r, "--retry-wait", "0.1", NULL);
	assert_int_equal(r.status, 0);
	line_for(r.out, "/t.bin", line, sizeof(line));
	assert_true(h_json_get(line, "final_url", v, sizeof(v)));
	assert_non_null(strstr(v, "/delay/300/t.bin"));
	assert_true(h_json_get(line, "total_ms", v, sizeof(v)));
	assert_true(atof(v) >= 300.0);
	assert_true(h_json_get(line, "ttfb_ms", v, sizeof(v)));
	assert_true(atof(v) >= 300.0);
	assert_true(h_json_get(line, "attempts", v, sizeof(v)));
	assert_string_equal(v, "1");
	line_for(r.out, "/r.bin", line, sizeof(line));
	assert_true(h_json_get(line, "final_url", v, sizeof(v)));
	assert_non_null(strstr(v, "/redirect/0/r.bin"));
	line_for(r.out, "retry", line, sizeof(line));
	assert_true(h_json_get(line, "attempts", v, sizeof(v)));
	assert_string_equal(v, "2");
	h_result_release(&r);
	/* 2 + 4 + 2 x 2 requests */
	assert_int_equal(h_server_stats(&server, &st), 0);
	assert_int_equal(st.requests, 10);
}

/* A host remembered for Basic may still have a resource that wants
 * Digest: Basic sent up front gets a Digest challenge, and the request
 * is made once more with Digest, on the same thread (-j 1: the Basic URL
 * is always done first; it failed every time before). */
static void test_auth_basic_host_digest_resource(void **state)
{
	basic_then_digest(*state, "1");
}

/* A host that answered 401 with Basic gets Basic at once from every
 * thread afterwards, as wget remembers it per host (libcurl only per
 * handle): 8 URLs taken in turn by 4 threads cost one 401, not one per
 * thread. */
static void test_auth_basic_remembered_per_host(void **state)
{
	struct ctx *c = *state;
	char paths[8][512];
	const char *urls[8];
	struct h_result r;
	struct h_stats st;

	for (int i = 0; i < 8; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/basic-auth/alice/%s/r%d.txt", pw1, i);
		urls[i] = paths[i];
	}
	write_list(c, urls, 8);
	assert_int_equal(h_server_reset(&server, NULL), 0);
	run(c, &r, "--user", "alice", "--password", SECRET, "-j", "4", "--per-host", "1", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(h_server_stats(&server, &st), 0);
	if (st.requests != 9)
		fail_msg("%lld requests for 8 URLs behind Basic, want 9 (one 401)", st.requests);
	h_result_release(&r);

	/* a server offering Basic and Digest gets Digest, never Basic (a
	 * Basic Authorization would be a 403), and is not remembered as Basic */
	for (int i = 0; i < 3; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/digest-auth/alice/%s/both%d.txt?both=1", pw1,
			 i);
		urls[i] = paths[i];
	}
	write_list(c, urls, 3);
	h_rmrf(c->out);
	run(c, &r, "--user", "alice", "--password", SECRET, "-j", "2", "--per-host", "1", NULL);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "\"http_code\":403"));
	h_result_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_auth_basic_and_digest, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_auth_basic_host_digest_resource, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_auth_basic_remembered_per_host, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_auth_credentials_not_sent_cross_origin, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_auth_headers_dropped_cross_origin, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_auth_headers_dropped_other_port, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_auth_netrc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_auth_password_never_printed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_auth_ask_password, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_auth_proxy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_auth_referer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_auth_ip_family, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_auth_redirects_keep_results, setup, teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	curl_global_cleanup();
	return rc;
}
