#ifndef C_PRECISE_POLL_H
#define C_PRECISE_POLL_H

#include <poll.h>
#include <stdint.h>

/// poll(2) with a timeout in microseconds (ppoll's timespec), so a wait for 1.2 ms lasts 1.2 ms, not 2: a negative
/// timeout waits until something happens. Returns what ppoll returns (-1 with errno set on failure). Swift's
/// Glibc module does not import ppoll (it needs _GNU_SOURCE), hence this shim.
int peer_poll_microseconds(struct pollfd *descriptors, nfds_t count, int64_t timeout_microseconds);

#endif
