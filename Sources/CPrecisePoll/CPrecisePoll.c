#define _GNU_SOURCE
#include "CPrecisePoll.h"

#include <time.h>

int peer_poll_microseconds(struct pollfd *descriptors, nfds_t count, int64_t timeout_microseconds) {
    if (timeout_microseconds < 0) {
        return ppoll(descriptors, count, NULL, NULL);
    }
    struct timespec timeout = {
        .tv_sec = (time_t)(timeout_microseconds / 1000000),
        .tv_nsec = (long)(timeout_microseconds % 1000000) * 1000,
    };
    return ppoll(descriptors, count, &timeout, NULL);
}
