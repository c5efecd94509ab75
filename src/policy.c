/* policy: see policy.h. */
#define _GNU_SOURCE /* SCHED_BATCH */
#include "policy.h"

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>

int policy_now(void)
{
	return sched_getscheduler(0);
}

void policy_batch(void)
{
#ifdef SCHED_BATCH
	static _Thread_local bool done;
	struct sched_param none = {.sched_priority = 0};

	if (done)
		return;
	done = true;
	if (sched_getscheduler(0) == SCHED_OTHER)
		pthread_setschedparam(pthread_self(), SCHED_BATCH, &none);
#endif
}

void policy_restore(int policy)
{
#ifdef SCHED_BATCH
	struct sched_param none = {.sched_priority = 0};

	if (policy == SCHED_OTHER && sched_getscheduler(0) == SCHED_BATCH)
		pthread_setschedparam(pthread_self(), SCHED_OTHER, &none);
#else
	(void)policy;
#endif
}
