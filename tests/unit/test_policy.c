/*
 * Unit tests for policy: a thread that hands transfers to lanes becomes
 * SCHED_BATCH; the threads it makes (which inherit that) take the run's
 * policy back; a policy the user chose is left alone.
 */
#define _GNU_SOURCE /* SCHED_BATCH, SCHED_IDLE */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>

#include "policy.h"

struct seen {
	int run_policy;    /* given to policy_restore() */
	int before, after; /* the thread's policy around the call */
};

/* A thread made by a batch thread: inherits batch, restores. */
static void *child(void *arg)
{
	struct seen *s = arg;

	s->before = sched_getscheduler(0);
	policy_restore(s->run_policy);
	s->after = sched_getscheduler(0);
	return NULL;
}

struct parent {
	int start;         /* the policy it starts with */
	int batch, batch2; /* after policy_batch(), and after a second one */
	struct seen kid;   /* what a thread it makes sees */
};

static void *parent(void *arg)
{
	struct parent *p = arg;
	struct sched_param none = {.sched_priority = 0};
	pthread_t t;

	pthread_setschedparam(pthread_self(), p->start, &none);
	policy_batch();
	p->batch = sched_getscheduler(0);
	pthread_setschedparam(pthread_self(), p->start, &none);
	policy_batch(); /* once per thread: no second change */
	p->batch2 = sched_getscheduler(0);
	pthread_setschedparam(pthread_self(), p->batch, &none);
	if (pthread_create(&t, NULL, child, &p->kid) == 0)
		pthread_join(t, NULL);
	return NULL;
}

static void run_parent(struct parent *p)
{
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, parent, p), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
}

/* The default policy: batch after policy_batch(), once; a thread it
 * makes starts batch and goes back to the run's default. */
static void test_policy_batch_and_restore(void **state)
{
	struct parent p = {.start = SCHED_OTHER, .kid = {.run_policy = SCHED_OTHER}};

	(void)state;
	run_parent(&p);
	assert_int_equal(p.batch, SCHED_BATCH);
	assert_int_equal(p.batch2, SCHED_OTHER);
	assert_int_equal(p.kid.before, SCHED_BATCH);
	assert_int_equal(p.kid.after, SCHED_OTHER);
}

/* A run the user started batch (chrt -b) stays batch in every thread;
 * an idle one stays idle (policy_batch() changes only the default). */
static void test_policy_user_choice_kept(void **state)
{
	struct parent batch = {.start = SCHED_BATCH, .kid = {.run_policy = SCHED_BATCH}};
	struct parent idle = {.start = SCHED_IDLE, .kid = {.run_policy = SCHED_IDLE}};

	(void)state;
	run_parent(&batch);
	assert_int_equal(batch.batch, SCHED_BATCH);
	assert_int_equal(batch.kid.after, SCHED_BATCH);
	run_parent(&idle);
	assert_int_equal(idle.batch, SCHED_IDLE);
	assert_int_equal(idle.kid.before, SCHED_IDLE);
	assert_int_equal(idle.kid.after, SCHED_IDLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_policy_batch_and_restore),
	    cmocka_unit_test(test_policy_user_choice_kept),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
