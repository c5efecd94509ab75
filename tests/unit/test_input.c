/* Unit tests for input: the streaming reader and its line rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fetch.h"
#include "input.h"
#include "queue.h"

/* The sink's push: into a queue, closed by on_done. */
struct sink_ctx {
	struct queue *jobs;
	uint64_t total;
	bool complete;
	int calls;
	/* from the counter thread: read after input_read(), or `counted` */
	atomic_int counted;
	uint64_t counted_total;
};

static enum fa_err push_job(void *arg, struct fetch_job *job)
{
	struct sink_ctx *c = arg;

	return queue_push(c->jobs, job);
}

static void on_done(void *arg, uint64_t total, bool complete)
{
	struct sink_ctx *d = arg;

	d->total = total;
	d->complete = complete;
	d->calls++;
	queue_close(d->jobs);
}

static void on_counted(void *arg, uint64_t total)
{
	struct sink_ctx *d = arg;

	d->counted_total = total;
	atomic_fetch_add(&d->counted, 1);
}

/* input_read() on a thread of its own, for a test that takes the jobs
 * meanwhile on its own thread, as fetchall's workers do. */
struct reader {
	pthread_t thread;
	struct input *in;
	const struct input_sink *sink;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	input_read(r->in, r->sink);
	return NULL;
}

static void reader_start(struct reader *r, struct input *in, const struct input_sink *sink)
{
	r->in = in;
	r->sink = sink;
	assert_int_equal(pthread_create(&r->thread, NULL, reader_main, r), 0);
}

static void reader_join(struct reader *r)
{
	assert_int_equal(pthread_join(r->thread, NULL), 0);
}

static void test_input_trim_table(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"http://a/\r", "http://a/"},
	    {"  http://a/ \t", "http://a/"},
	    {"\t\t", ""},
	    {"", ""},
	    {"x", "x"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];
		size_t n;

		snprintf(buf, sizeof(buf), "%s", cases[i].in);
		n = input_trim(buf, strlen(buf));
		assert_string_equal(buf, cases[i].out);
		assert_int_equal(n, strlen(cases[i].out));
	}
}

static char *write_temp(const char *data, size_t len)
{
	char tmpl[] = "/tmp/fetchall-input-XXXXXX";
	int fd = mkstemp(tmpl);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return strdup(tmpl);
}

static void test_input_reads_lines_jobs_and_bad_lines(void **state)
{
	static char data[40000];
	size_t len = 0;
	char err[256];
	struct input *in;
	struct queue *jobs = queue_new(64, fetch_job_free);
	struct queue *results = queue_new(64, fetch_result_free);
	struct sink_ctx done = {.jobs = jobs};
	struct input_sink sink = {push_job, results, false, on_done, &done, NULL, on_counted};
	struct fetch_job *job;
	struct fetch_result *res;
	char *path;
	void *item;

	(void)state;
	len += (size_t)snprintf(data + len, sizeof(data) - len,
				"# comment\n"            /* 1 */
				"\n"                     /* 2 */
				"http://a.example/1\r\n" /* 3 */
				"   \n"                  /* 4 */
				"not a url\n"            /* 5 */
				"  https://b.example/2  \n" /* 6 */);
	memset(data + len, 'x', 20000); /* 7: too long */
	len += 20000;
	data[len++] = '\n';
	len += (size_t)snprintf(data + len, sizeof(data) - len,
				"file:///etc/passwd\n" /* 8 */
				"http://c.example/3" /* 9, no final newline */);
	path = write_temp(data, len);

	assert_int_equal(input_open(path, &in, err, sizeof(err)), FA_OK);
	input_read(in, &sink);

	assert_int_equal(done.calls, 1);
	assert_true(done.complete);
	assert_int_equal(done.total, 6);
	/* the reader may have been through first */
	assert_true(atomic_load(&done.counted) <= 1);
	if (atomic_load(&done.counted))
		assert_int_equal(done.counted_total, 6);
	/* jobs: lines 3, 6, 9 in order, normalized */
	assert_int_equal(queue_pop(jobs, &item), FA_OK);
	job = item;
	assert_string_equal(job->url, "http://a.example/1");
	assert_int_equal(job->line, 3);
	fetch_job_free(job);
	assert_int_equal(queue_pop(jobs, &item), FA_OK);
	job = item;
	assert_string_equal(job->url, "https://b.example/2");
	assert_int_equal(job->line, 6);
	fetch_job_free(job);
	assert_int_equal(queue_pop(jobs, &item), FA_OK);
	job = item;
	assert_string_equal(job->url, "http://c.example/3");
	assert_int_equal(job->line, 9);
	fetch_job_free(job);
	/* the reader closed the job queue when done */
	assert_int_equal(queue_pop(jobs, &item), FA_ERR_CLOSED);
	/* bad lines: 5, 7, 8, each naming the file and line */
	for (int k = 0; k < 3; k++) {
		static const unsigned long lines[] = {5, 7, 8};
		char want[64];

		assert_int_equal(queue_try_pop(results, &item), FA_OK);
		res = item;
		assert_int_equal(res->line, lines[k]);
		assert_int_equal(res->outcome, FETCH_FAILED);
		snprintf(want, sizeof(want), " line %lu: ", lines[k]);
		assert_non_null(strstr(res->error, want));
		assert_non_null(strstr(res->error, path));
		fetch_result_free(res);
	}
	assert_int_equal(queue_try_pop(results, &item), FA_ERR_BUSY);

	input_free(in);
	queue_free(jobs);
	queue_free(results);
	unlink(path);
	free(path);
}

static void test_input_missing_file(void **state)
{
	struct input *in = (struct input *)1;
	char err[256];

	(void)state;
	assert_int_equal(input_open("/nonexistent/urls.txt", &in, err, sizeof(err)), FA_ERR_IO);
	assert_null(in);
	assert_non_null(strstr(err, "'/nonexistent/urls.txt'"));
	assert_non_null(strstr(err, "No such file"));
}

/* A consumer slower than the list: the reader blocks on the full job
 * queue instead of reading ahead, so memory does not grow with the list. */
static void test_input_backpressure_bounded_queue(void **state)
{
	size_t n = 5000, len = 0;
	char *data = malloc(n * 32);
	struct queue *jobs = queue_new(4, fetch_job_free);
	struct queue *results = queue_new(4, fetch_result_free);
	struct sink_ctx done = {.jobs = jobs};
	struct input_sink sink = {push_job, results, false, on_done, &done, NULL, on_counted};
	struct input *in;
	struct reader rd;
	char err[128], *path;
	void *item;
	size_t got = 0;

	(void)state;
	assert_non_null(data);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(data + len, 32, "http://h.example/%zu\n", i);
	path = write_temp(data, len);
	assert_int_equal(input_open(path, &in, err, sizeof(err)), FA_OK);
	reader_start(&rd, in, &sink);
	while (queue_pop(jobs, &item) == FA_OK) {
		assert_true(queue_length(jobs) <= 4);
		fetch_job_free(item);
		got++;
	}
	reader_join(&rd);
	assert_int_equal(got, n);
	assert_int_equal(done.total, n);
	assert_true(queue_high_water(jobs) <= 4);
	input_free(in);
	queue_free(jobs);
	queue_free(results);
	unlink(path);
	free(path);
	free(data);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* A regular file is counted ahead, by the reader's rules, while the
 * reader is held up (a job queue of 4 not drained), and the count is the
 * reader's own total.  A pipe is not counted. */
static void test_input_counts_ahead(void **state)
{
	size_t n = 3000, len = 0, cap = n * 40 + 40000;
	char *data = malloc(cap);
	struct queue *jobs = queue_new(4, fetch_job_free);
	struct queue *results = queue_new(16, fetch_result_free);
	struct sink_ctx done = {.jobs = jobs};
	struct input_sink sink = {push_job, results, false, on_done, &done, NULL, on_counted};
	struct input *in;
	struct reader rd;
	char err[128], *path;
	void *item;
	int fds[2];

	(void)state;
	assert_non_null(data);
	/* a byte order mark before a comment: still a comment */
	len += (size_t)snprintf(data + len, cap - len, "\xEF\xBB\xBF# list\n\n  \t\n");
	len += (size_t)snprintf(data + len, cap - len, "not a url\n#x\n");
	memcpy(data + len, "http://a/\0b\n", 12); /* a NUL byte: a bad line */
	len += 12;
	memset(data + len, '#', 20000); /* too long, even as a comment */
	len += 20000;
	data[len++] = '\n';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(data + len, cap - len, "http://h.example/%zu\n", i);
	len += (size_t)snprintf(data + len, cap - len, "http://h.example/last");
	path = write_temp(data, len);
	assert_int_equal(input_open(path, &in, err, sizeof(err)), FA_OK);
	reader_start(&rd, in, &sink);
	for (int i = 0; i < 1000 && !atomic_load(&done.counted); i++)
		sleep_ms(5);
	assert_int_equal(atomic_load(&done.counted), 1);
	while (queue_pop(jobs, &item) == FA_OK)
		fetch_job_free(item);
	reader_join(&rd);
	assert_true(done.complete);
	assert_int_equal(done.total, n + 4);
	assert_int_equal(done.counted_total, done.total);
	input_free(in);
	while (queue_try_pop(results, &item) == FA_OK)
		fetch_result_free(item);

	/* standard input from a pipe: no count */
	queue_free(jobs);
	jobs = queue_new(4, fetch_job_free);
	done = (struct sink_ctx){.jobs = jobs};
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "http://a/1\nhttp://a/2\n", 22), 22);
	close(fds[1]);
	assert_int_equal(input_open("-", &in, err, sizeof(err)), FA_OK);
	{
		int saved = dup(STDIN_FILENO);

		assert_true(saved >= 0);
		assert_int_equal(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
		close(fds[0]);
		reader_start(&rd, in, &sink);
		while (queue_pop(jobs, &item) == FA_OK)
			fetch_job_free(item);
		reader_join(&rd);
		dup2(saved, STDIN_FILENO);
		close(saved);
	}
	assert_int_equal(done.total, 2);
	assert_int_equal(atomic_load(&done.counted), 0);
	input_free(in);
	queue_free(jobs);
	queue_free(results);
	unlink(path);
	free(path);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_input_trim_table),
	    cmocka_unit_test(test_input_reads_lines_jobs_and_bad_lines),
	    cmocka_unit_test(test_input_missing_file),
	    cmocka_unit_test(test_input_backpressure_bounded_queue),
	    cmocka_unit_test(test_input_counts_ahead),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
