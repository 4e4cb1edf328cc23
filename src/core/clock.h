/* clock.h - the monotonic clock, for durations, deadlines and rates. */
#ifndef FC_CORE_CLOCK_H
#define FC_CORE_CLOCK_H

/* Seconds on CLOCK_MONOTONIC (an arbitrary origin; never goes back). */
double fc_now_s(void);

#endif
