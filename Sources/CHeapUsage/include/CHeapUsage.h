#ifndef C_HEAP_USAGE_H
#define C_HEAP_USAGE_H

#include <stddef.h>

/// The bytes this process holds from malloc now: glibc's mallinfo2() uordblks (in use in the arenas) plus hblkhd
/// (large blocks malloc mapped on their own, which uordblks leaves out). 0 where mallinfo2 does not exist.
/// Swift's Glibc module does not import <malloc.h>, hence this shim.
size_t peer_heap_bytes_in_use(void);

#endif
