/* mmt_names.c - names of record kinds and event types, and the CRC-32C of the format. */
#include "traces/mmt.h"
#include "traces/mmt_format.h"

uint32_t mmt_crc32c(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1u));
    }
    return ~crc;
}

const char *mmt_kind_name(unsigned kind)
{
    static const char *const names[MMT_KIND_COUNT] = {"ifetch", "load", "store", "modify",
                                                      "switch", "event"};
    return kind < MMT_KIND_COUNT ? names[kind] : "unknown";
}

const char *mmt_event_name(unsigned type)
{
    static const char *const names[] = {
        [MMT_EV_MAP_INITIAL] = "map_initial", [MMT_EV_MMAP] = "mmap",
        [MMT_EV_MUNMAP] = "munmap",           [MMT_EV_MREMAP] = "mremap",
        [MMT_EV_BRK] = "brk",                 [MMT_EV_MPROTECT] = "mprotect",
        [MMT_EV_MADVISE] = "madvise",         [MMT_EV_FORK] = "fork",
        [MMT_EV_CLONE] = "clone",             [MMT_EV_EXEC] = "exec",
        [MMT_EV_EXIT] = "exit",               [MMT_EV_SLEEP] = "sleep",
        [MMT_EV_PAGE_FAULT] = "page_fault",   [MMT_EV_FILE_READ] = "file_read",
        [MMT_EV_FILE_WRITE] = "file_write",   [MMT_EV_TIME] = "time",
        [MMT_EV_SIGNAL] = "signal",           [MMT_EV_KERNEL_READ] = "kernel_read",
        [MMT_EV_KERNEL_WRITE] = "kernel_write",
        [MMT_EV_WINDOW] = "window",
    };
    if (type < sizeof names / sizeof names[0] && names[type])
        return names[type];
    return "unknown";
}
