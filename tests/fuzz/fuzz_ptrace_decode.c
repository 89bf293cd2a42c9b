/* fuzz_ptrace_decode.c - the ptrace backend's decoder and plan evaluation on arbitrary
 * instruction bytes, registers and vector state: nothing may crash or read out of bounds.
 * Input: 16 instruction bytes, then the registers before and after the step, then an xsave
 * buffer; missing bytes are zero. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "capture/ptrace_decode.h"

struct sink {
    uint64_t n;
};

static int count(void *ctx, unsigned kind, uint64_t addr, unsigned size)
{
    struct sink *s = ctx;
    (void)addr;
    if (kind > 3 || size == 0 || size > 255)
        __builtin_trap();
    /* a rep count of 2^64 is legal input; stop long before it */
    return ++s->n > 100000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t bytes[16] = {0};
    struct user_regs_struct before, after;
    static uint8_t xstate[2048];
    memset(&before, 0, sizeof before);
    memset(&after, 0, sizeof after);
    memset(xstate, 0, sizeof xstate);
    size_t off = 0, k;
    k = size < sizeof bytes ? size : sizeof bytes;
    memcpy(bytes, data, k);
    off += k;
    k = size - off < sizeof before ? size - off : sizeof before;
    memcpy(&before, data + off, k);
    off += k;
    k = size - off < sizeof after ? size - off : sizeof after;
    memcpy(&after, data + off, k);
    off += k;
    k = size - off < sizeof xstate ? size - off : sizeof xstate;
    memcpy(xstate, data + off, k);

    struct pt_cpu cpu;
    memset(&cpu, 0, sizeof cpu);
    cpu.xcr0 = 0xe7;
    cpu.comp_offset[2] = 576, cpu.comp_size[2] = 256;
    cpu.comp_offset[5] = 1088, cpu.comp_size[5] = 64;
    cpu.comp_offset[6] = 1152, cpu.comp_size[6] = 512;
    cpu.comp_offset[7] = 1664, cpu.comp_size[7] = 1024; /* runs past the buffer: must be checked */

    struct pt_decoder *d = pt_decoder_new();
    struct pt_insn in;
    if (d && pt_decode(d, bytes, sizeof bytes, &in) == 0) {
        struct sink s = {0};
        struct pt_regs_view rv = {&before, &after, xstate, sizeof xstate, &cpu};
        pt_insn_emit(&in, &rv, 0, count, &s);
        struct pt_regs_view bare = {&before, NULL, NULL, 0, NULL};
        s.n = 0;
        pt_insn_emit(&in, &bare, 1, count, &s);
    }
    pt_decoder_free(d);
    return 0;
}
