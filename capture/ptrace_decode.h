/* ptrace_decode.h - the ptrace backend's instruction decoder: turns the bytes of one x86-64
 * instruction (decoded once by Zydis, then cached by address) into a compact access plan, and
 * evaluates that plan against the registers read before and after a single step into the
 * exact memory accesses the instruction made: the fetch, explicit operands, implicit stack
 * accesses, string iterations, fs/gs-relative operands, xlat, bt bit offsets, xsave areas
 * and gather/scatter lanes. It knows nothing about ptrace itself, so it is unit tested on
 * hand-made register files. */
#ifndef MMSIM_PTRACE_DECODE_H
#define MMSIM_PTRACE_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/user.h>

/* How a planned operand's address is formed. */
enum pt_addr_mode {
    PT_ADDR_MEM = 0,   /* seg + base + index*scale + disp, truncated to the address width */
    PT_ADDR_PUSH,      /* a push-like stack write: rsp - size (Zydis reports [rsp]) */
    PT_ADDR_STRING,    /* a string operand: one element per iteration from rsi/rdi, DF-aware */
    PT_ADDR_XLAT,      /* [rbx + al] */
    PT_ADDR_BITOFF,    /* bt/bts/btr/btc m, r: base address plus the signed bit offset / 8 */
    PT_ADDR_VSIB,      /* gather/scatter: one element per active lane */
    PT_ADDR_XSAVE,     /* xsave family, standard format: size from XCR0 and edx:eax */
    PT_ADDR_XSAVEC,    /* xsavec/xsaves, compacted format */
};

#define PT_REG_NONE 0xff
#define PT_REG_RIP 0xfe /* rip-relative: the address of the next instruction */

struct pt_memop {
    uint8_t kind;        /* MMT_LOAD, MMT_STORE or MMT_MODIFY */
    uint8_t mode;        /* enum pt_addr_mode */
    uint8_t seg;         /* 0 none, 1 fs, 2 gs */
    uint8_t base;        /* index of a 64-bit field of user_regs_struct, or PT_REG_* */
    uint8_t index;       /* same; for PT_ADDR_VSIB the vector register number */
    uint8_t index_width; /* bytes of the index register */
    uint8_t base_width;
    uint8_t scale;
    uint32_t size;       /* bytes of one access (one element for strings and VSIB) */
    int64_t disp;
    /* PT_ADDR_VSIB only */
    uint8_t vsib_index_elem; /* 4 or 8: dword or qword indices */
    uint8_t vsib_lanes;
    uint8_t vsib_mask_kind;  /* 0 all lanes, 1 vector register (MSB of each element), 2 opmask */
    uint8_t vsib_mask_reg;   /* vector register number or k register number */
    uint8_t bit_reg;         /* PT_ADDR_BITOFF: slot of the bit-offset register */
    uint8_t bit_width;       /* its width in bytes */
};

#define PT_MAX_MEMOPS 4

enum pt_insn_flags {
    PT_F_SYSCALL = 1,      /* the `syscall` instruction: the tracer handles it apart */
    PT_F_REP = 2,          /* a string instruction under rep/repe/repne */
    PT_F_ADDR32 = 4,       /* 0x67 address-size override */
    PT_F_NEEDS_XSTATE = 8, /* gather/scatter: read the vector registers before the step */
    PT_F_STRING = 16,      /* a string instruction (with or without rep) */
};

/* The cached plan of one instruction. */
struct pt_insn {
    uint8_t len;
    uint8_t nops;
    uint8_t flags;
    uint8_t pad;
    struct pt_memop ops[PT_MAX_MEMOPS]; /* reads first, then writes, in the hardware's order */
};

/* The machine's xsave layout (CPUID leaf 0xd) and XCR0, read once by the tracer; unit tests
 * fill it by hand. */
struct pt_cpu {
    uint64_t xcr0;
    uint32_t comp_offset[32]; /* standard-format offset of state component i */
    uint32_t comp_size[32];
    uint8_t comp_align64[32]; /* compacted format: component aligned to 64 bytes */
};

/* The registers the plan is evaluated against: before the step (addresses) and after it
 * (the iteration count of rep string instructions). xstate is the NT_X86_XSTATE buffer read
 * before the step, needed only for PT_F_NEEDS_XSTATE instructions (NULL: all lanes). */
struct pt_regs_view {
    const struct user_regs_struct *before;
    const struct user_regs_struct *after;
    const uint8_t *xstate;
    size_t xstate_len;
    const struct pt_cpu *cpu;
};

/* Receives each access: kind (enum mmt_kind), address, size (1..255 bytes; larger areas
 * arrive as several pieces of at most 64 bytes). Returns nonzero to stop the evaluation. */
typedef int (*pt_emit_fn)(void *ctx, unsigned kind, uint64_t addr, unsigned size);

struct pt_decoder;

/* A decoder for 64-bit user code; NULL on allocation failure. */
struct pt_decoder *pt_decoder_new(void);
void pt_decoder_free(struct pt_decoder *d);

/* Decodes the instruction at the start of buf (up to len bytes) into a plan. Returns 0, or -1
 * when the bytes are not a valid instruction. */
int pt_decode(const struct pt_decoder *d, const uint8_t *buf, size_t len, struct pt_insn *out);

/* Emits the instruction fetch (unless no_ifetch) and every data access of one step.
 * Returns the number of accesses emitted (fetch included), or -1 when emit asked to stop. */
long pt_insn_emit(const struct pt_insn *in, const struct pt_regs_view *rv, int no_ifetch,
                  pt_emit_fn emit, void *ctx);

/* Fills cpu from CPUID and XGETBV of the machine this runs on. */
void pt_cpu_init(struct pt_cpu *cpu);

/* Standard- and compacted-format xsave sizes for the requested-feature bitmap rfbm. */
uint32_t pt_xsave_size(const struct pt_cpu *cpu, uint64_t rfbm);
uint32_t pt_xsavec_size(const struct pt_cpu *cpu, uint64_t rfbm);

#endif
