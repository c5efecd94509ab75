/*
 * policy: the scheduling policy of fetchall's threads.
 *
 * A thread that hands its transfers to a lane becomes SCHED_BATCH
 * (policy_batch(); mux.c says why).  A thread inherits the policy of the
 * thread that makes it, and fetch threads make threads of their own (the
 * next pool thread, a lane, a resolver thread), so every such thread
 * first takes back the policy of its run (policy_restore()): only the
 * threads that hand transfers over are batch.  Where the system has no
 * SCHED_BATCH, both do nothing.
 */
#ifndef FA_POLICY_H
#define FA_POLICY_H

/* The calling thread's policy, to be given to policy_restore(). */
int policy_now(void);

/* The calling thread to SCHED_BATCH, once per thread, and only from the
 * default policy (a thread the user made real-time or idle keeps it). */
void policy_batch(void);

/* A thread made by a SCHED_BATCH thread back to the default policy, if
 * policy (the run's, policy_now() where the run began) is the default. */
void policy_restore(int policy);

#endif
