/* ptrace_decode.c - Zydis decoding into access plans, and their evaluation (see
 * ptrace_decode.h). The plan is built once per instruction address and evaluated at every
 * step, so evaluation only reads registers and adds. */
#include "capture/ptrace_decode.h"

#include <cpuid.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "traces/mmt.h"

struct pt_decoder {
    ZydisDecoder zd;
};

struct pt_decoder *pt_decoder_new(void)
{
    struct pt_decoder *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    if (!ZYAN_SUCCESS(ZydisDecoderInit(&d->zd, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64))) {
        free(d);
        return NULL;
    }
    return d;
}

void pt_decoder_free(struct pt_decoder *d)
{
    free(d);
}

/* ---- registers ---- */

#define SLOT(f) ((uint8_t)(offsetof(struct user_regs_struct, f) / sizeof(unsigned long long)))

/* The user_regs_struct slot holding a general-purpose register (any width), or PT_REG_NONE. */
static uint8_t gpr_slot(ZydisRegister r)
{
    if (r == ZYDIS_REGISTER_RIP || r == ZYDIS_REGISTER_EIP)
        return PT_REG_RIP;
    switch (ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r)) {
    case ZYDIS_REGISTER_RAX: return SLOT(rax);
    case ZYDIS_REGISTER_RBX: return SLOT(rbx);
    case ZYDIS_REGISTER_RCX: return SLOT(rcx);
    case ZYDIS_REGISTER_RDX: return SLOT(rdx);
    case ZYDIS_REGISTER_RSI: return SLOT(rsi);
    case ZYDIS_REGISTER_RDI: return SLOT(rdi);
    case ZYDIS_REGISTER_RBP: return SLOT(rbp);
    case ZYDIS_REGISTER_RSP: return SLOT(rsp);
    case ZYDIS_REGISTER_R8: return SLOT(r8);
    case ZYDIS_REGISTER_R9: return SLOT(r9);
    case ZYDIS_REGISTER_R10: return SLOT(r10);
    case ZYDIS_REGISTER_R11: return SLOT(r11);
    case ZYDIS_REGISTER_R12: return SLOT(r12);
    case ZYDIS_REGISTER_R13: return SLOT(r13);
    case ZYDIS_REGISTER_R14: return SLOT(r14);
    case ZYDIS_REGISTER_R15: return SLOT(r15);
    default: return PT_REG_NONE;
    }
}

static uint8_t reg_bytes(ZydisRegister r)
{
    return (uint8_t)(ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, r) / 8);
}

static uint64_t width_mask(unsigned bytes)
{
    return bytes >= 8 ? ~0ULL : (1ULL << (bytes * 8)) - 1;
}

static uint64_t reg_value(const struct user_regs_struct *r, uint8_t slot, uint8_t width)
{
    const unsigned long long *v = (const unsigned long long *)(const void *)r;
    return v[slot] & width_mask(width);
}

/* Vector register number (0..31) and its width in bytes. */
static int vec_reg(ZydisRegister r, uint8_t *num, uint8_t *bytes)
{
    if (r >= ZYDIS_REGISTER_XMM0 && r <= ZYDIS_REGISTER_XMM31) {
        *num = (uint8_t)(r - ZYDIS_REGISTER_XMM0);
        *bytes = 16;
    } else if (r >= ZYDIS_REGISTER_YMM0 && r <= ZYDIS_REGISTER_YMM31) {
        *num = (uint8_t)(r - ZYDIS_REGISTER_YMM0);
        *bytes = 32;
    } else if (r >= ZYDIS_REGISTER_ZMM0 && r <= ZYDIS_REGISTER_ZMM31) {
        *num = (uint8_t)(r - ZYDIS_REGISTER_ZMM0);
        *bytes = 64;
    } else {
        return -1;
    }
    return 0;
}

/* ---- decoding ---- */

static int is_skipped_mnemonic(ZydisMnemonic m)
{
    switch (m) {
    /* hints and cache maintenance: no data moves between memory and registers */
    case ZYDIS_MNEMONIC_PREFETCH:
    case ZYDIS_MNEMONIC_PREFETCHW:
    case ZYDIS_MNEMONIC_PREFETCHWT1:
    case ZYDIS_MNEMONIC_PREFETCHT0:
    case ZYDIS_MNEMONIC_PREFETCHT1:
    case ZYDIS_MNEMONIC_PREFETCHT2:
    case ZYDIS_MNEMONIC_PREFETCHNTA:
    case ZYDIS_MNEMONIC_CLFLUSH:
    case ZYDIS_MNEMONIC_CLFLUSHOPT:
    case ZYDIS_MNEMONIC_CLWB:
    case ZYDIS_MNEMONIC_CLDEMOTE:
    case ZYDIS_MNEMONIC_NOP:
        return 1;
    default:
        return 0;
    }
}

static int xsave_class(ZydisMnemonic m, uint8_t *mode, uint8_t *kind)
{
    switch (m) {
    case ZYDIS_MNEMONIC_XSAVE:
    case ZYDIS_MNEMONIC_XSAVE64:
    case ZYDIS_MNEMONIC_XSAVEOPT:
    case ZYDIS_MNEMONIC_XSAVEOPT64:
        *mode = PT_ADDR_XSAVE, *kind = MMT_STORE;
        return 1;
    case ZYDIS_MNEMONIC_XRSTOR:
    case ZYDIS_MNEMONIC_XRSTOR64:
        *mode = PT_ADDR_XSAVE, *kind = MMT_LOAD;
        return 1;
    case ZYDIS_MNEMONIC_XSAVEC:
    case ZYDIS_MNEMONIC_XSAVEC64:
    case ZYDIS_MNEMONIC_XSAVES:
    case ZYDIS_MNEMONIC_XSAVES64:
        *mode = PT_ADDR_XSAVEC, *kind = MMT_STORE;
        return 1;
    case ZYDIS_MNEMONIC_XRSTORS:
    case ZYDIS_MNEMONIC_XRSTORS64:
        *mode = PT_ADDR_XSAVEC, *kind = MMT_LOAD;
        return 1;
    default:
        return 0;
    }
}

static int is_bit_test(ZydisMnemonic m)
{
    return m == ZYDIS_MNEMONIC_BT || m == ZYDIS_MNEMONIC_BTS || m == ZYDIS_MNEMONIC_BTR ||
           m == ZYDIS_MNEMONIC_BTC;
}

/* dword (4) or qword (8) indices, from the mnemonic's name: v[p]gather{d,q}*, v[p]scatter{d,q}*. */
static uint8_t vsib_index_elem(ZydisMnemonic m)
{
    const char *s = ZydisMnemonicGetString(m);
    const char *p = s ? strstr(s, "gather") : NULL;
    size_t skip = 6;
    if (!p) {
        p = s ? strstr(s, "scatter") : NULL;
        skip = 7;
    }
    return (p && p[skip] == 'q') ? 8 : 4;
}

static void plan_vsib(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *ops,
                      const ZydisDecodedOperand *op, struct pt_memop *p, struct pt_insn *out)
{
    uint8_t num = 0, bytes = 16;
    vec_reg(op->mem.index, &num, &bytes);
    p->mode = PT_ADDR_VSIB;
    p->index = num;
    p->vsib_index_elem = vsib_index_elem(zi->mnemonic);
    p->vsib_lanes = (uint8_t)(bytes / p->vsib_index_elem);
    p->vsib_mask_kind = 0;
    if (zi->avx.mask.reg >= ZYDIS_REGISTER_K1 && zi->avx.mask.reg <= ZYDIS_REGISTER_K7) {
        p->vsib_mask_kind = 2;
        p->vsib_mask_reg = (uint8_t)(zi->avx.mask.reg - ZYDIS_REGISTER_K0);
    } else {
        /* VEX gathers: the mask is the last visible vector register operand */
        for (int i = zi->operand_count_visible - 1; i >= 0; i--) {
            uint8_t mn, mb;
            if (&ops[i] != op && ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                i == zi->operand_count_visible - 1 && vec_reg(ops[i].reg.value, &mn, &mb) == 0) {
                p->vsib_mask_kind = 1;
                p->vsib_mask_reg = mn;
                break;
            }
        }
    }
    out->flags |= PT_F_NEEDS_XSTATE;
}

/* Plans one memory operand; returns 0 when it is not an access (lea, hints). */
static int plan_operand(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *ops,
                        const ZydisDecodedOperand *op, struct pt_memop *p, struct pt_insn *out)
{
    int rd = (op->actions & (ZYDIS_OPERAND_ACTION_READ | ZYDIS_OPERAND_ACTION_CONDREAD)) != 0;
    int wr = (op->actions & (ZYDIS_OPERAND_ACTION_WRITE | ZYDIS_OPERAND_ACTION_CONDWRITE)) != 0;
    if (op->mem.type != ZYDIS_MEMOP_TYPE_MEM && op->mem.type != ZYDIS_MEMOP_TYPE_VSIB)
        return 0; /* lea (address generation) and MIB operands touch no memory */
    if (!rd && !wr)
        return 0;
    memset(p, 0, sizeof *p);
    p->kind = rd && wr ? MMT_MODIFY : wr ? MMT_STORE : MMT_LOAD;
    p->mode = PT_ADDR_MEM;
    p->seg = op->mem.segment == ZYDIS_REGISTER_FS ? 1 : op->mem.segment == ZYDIS_REGISTER_GS ? 2 : 0;
    p->base = op->mem.base == ZYDIS_REGISTER_NONE ? PT_REG_NONE : gpr_slot(op->mem.base);
    p->base_width = op->mem.base == ZYDIS_REGISTER_NONE ? 0 : reg_bytes(op->mem.base);
    p->index = op->mem.index == ZYDIS_REGISTER_NONE ? PT_REG_NONE : gpr_slot(op->mem.index);
    p->index_width = op->mem.index == ZYDIS_REGISTER_NONE ? 0 : reg_bytes(op->mem.index);
    p->scale = op->mem.scale;
    p->disp = op->mem.disp.has_displacement ? op->mem.disp.value : 0;
    p->size = op->size / 8;
    if (p->size == 0)
        p->size = 1;

    int hidden = op->visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN;
    int rsp_based = op->mem.base == ZYDIS_REGISTER_RSP;
    if (op->mem.type == ZYDIS_MEMOP_TYPE_VSIB) {
        plan_vsib(zi, ops, op, p, out);
    } else if (xsave_class(zi->mnemonic, &p->mode, &p->kind)) {
        /* size computed at each step from edx:eax and XCR0 */
    } else if (zi->meta.category == ZYDIS_CATEGORY_STRINGOP && hidden) {
        p->mode = PT_ADDR_STRING;
        out->flags |= PT_F_STRING;
    } else if (zi->mnemonic == ZYDIS_MNEMONIC_XLAT) {
        p->mode = PT_ADDR_XLAT;
    } else if (hidden && rsp_based && p->kind == MMT_STORE) {
        p->mode = PT_ADDR_PUSH; /* push, call, pushf, enter: the write lands below rsp */
    } else if (!hidden && rsp_based && zi->mnemonic == ZYDIS_MNEMONIC_POP) {
        p->disp += p->size; /* pop [rsp+d] addresses with rsp already incremented */
    } else if (is_bit_test(zi->mnemonic) && !hidden && zi->operand_count_visible >= 2 &&
               ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER) {
        p->mode = PT_ADDR_BITOFF;
        p->bit_reg = gpr_slot(ops[1].reg.value);
        p->bit_width = reg_bytes(ops[1].reg.value);
    }
    return 1;
}

int pt_decode(const struct pt_decoder *d, const uint8_t *buf, size_t len, struct pt_insn *out)
{
    ZydisDecodedInstruction zi;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d->zd, buf, len, &zi, ops)))
        return -1;
    memset(out, 0, sizeof *out);
    out->len = zi.length;
    if (zi.mnemonic == ZYDIS_MNEMONIC_SYSCALL)
        out->flags |= PT_F_SYSCALL;
    if (zi.address_width == 32)
        out->flags |= PT_F_ADDR32;
    if (zi.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE))
        out->flags |= PT_F_REP;
    if (is_skipped_mnemonic(zi.mnemonic))
        return 0;

    struct pt_memop planned[ZYDIS_MAX_OPERAND_COUNT];
    int n = 0;
    for (int i = 0; i < zi.operand_count; i++) {
        if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
            plan_operand(&zi, ops, &ops[i], &planned[n], out))
            n++;
    }
    if (!(out->flags & PT_F_STRING))
        out->flags &= (uint8_t)~PT_F_REP; /* rep on anything else is a plain prefix */
    /* the hardware reads its sources before it writes its results */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n && out->nops < PT_MAX_MEMOPS; i++)
            if ((planned[i].kind == MMT_STORE) == (pass == 1))
                out->ops[out->nops++] = planned[i];
    return 0;
}

/* ---- evaluation ---- */

static uint64_t seg_base(const struct user_regs_struct *r, uint8_t seg)
{
    return seg == 1 ? r->fs_base : seg == 2 ? r->gs_base : 0;
}

static uint64_t base_value(const struct pt_insn *in, const struct pt_memop *p,
                           const struct user_regs_struct *r)
{
    if (p->base == PT_REG_NONE)
        return 0;
    if (p->base == PT_REG_RIP)
        return r->rip + in->len;
    return reg_value(r, p->base, p->base_width);
}

/* seg + base + index*scale + disp with the address-size truncation. */
static uint64_t effective_address(const struct pt_insn *in, const struct pt_memop *p,
                                  const struct user_regs_struct *r, uint64_t extra)
{
    uint64_t a = base_value(in, p, r) + (uint64_t)p->disp + extra;
    if (p->index != PT_REG_NONE && p->mode != PT_ADDR_VSIB)
        a += reg_value(r, p->index, p->index_width) * p->scale;
    if (in->flags & PT_F_ADDR32)
        a &= 0xffffffffULL;
    return a + seg_base(r, p->seg);
}

/* Emits an access, in pieces of at most 64 bytes when it is larger than a record holds. */
static int emit_sized(pt_emit_fn emit, void *ctx, unsigned kind, uint64_t addr, uint32_t size)
{
    if (size <= 255)
        return emit(ctx, kind, addr, size);
    for (uint32_t off = 0; off < size; off += 64) {
        uint32_t piece = size - off < 64 ? size - off : 64;
        if (emit(ctx, kind, addr + off, piece))
            return 1;
    }
    return 0;
}

/* Bytes [off, off+len) of vector register n from an xsave buffer (standard format). */
static int vreg_read(const struct pt_regs_view *rv, unsigned n, unsigned off, unsigned len,
                     uint8_t *out)
{
    const struct pt_cpu *c = rv->cpu;
    for (unsigned i = 0; i < len; i++) {
        unsigned b = off + i;
        size_t at;
        if (n < 16 && b < 16)
            at = 160 + 16 * n + b;
        else if (n < 16 && b < 32)
            at = c->comp_offset[2] + 16 * n + (b - 16);
        else if (n < 16)
            at = c->comp_offset[6] + 32 * n + (b - 32);
        else
            at = c->comp_offset[7] + 64 * (n - 16) + b;
        if (!rv->xstate || at >= rv->xstate_len)
            return -1;
        out[i] = rv->xstate[at];
    }
    return 0;
}

static int vsib_lane_active(const struct pt_memop *p, const struct pt_regs_view *rv, unsigned lane)
{
    uint8_t b[8] = {0};
    if (p->vsib_mask_kind == 0 || !rv->xstate || !rv->cpu)
        return 1;
    if (p->vsib_mask_kind == 2) {
        size_t at = rv->cpu->comp_offset[5] + 8u * p->vsib_mask_reg + lane / 8;
        return at < rv->xstate_len ? (rv->xstate[at] >> (lane % 8)) & 1 : 1;
    }
    /* vector mask: the sign bit of the lane's data element */
    unsigned el = p->size;
    if (vreg_read(rv, p->vsib_mask_reg, lane * el + el - 1, 1, b) != 0)
        return 1;
    return b[0] >> 7;
}

static int emit_vsib(const struct pt_insn *in, const struct pt_memop *p,
                     const struct pt_regs_view *rv, pt_emit_fn emit, void *ctx, long *count)
{
    const struct user_regs_struct *r = rv->before;
    uint64_t base = base_value(in, p, r);
    for (unsigned lane = 0; lane < p->vsib_lanes; lane++) {
        uint8_t b[8] = {0};
        int64_t idx = 0;
        if (!vsib_lane_active(p, rv, lane))
            continue;
        if (rv->xstate && rv->cpu &&
            vreg_read(rv, p->index, lane * p->vsib_index_elem, p->vsib_index_elem, b) == 0) {
            if (p->vsib_index_elem == 4) {
                int32_t v;
                memcpy(&v, b, 4);
                idx = v;
            } else {
                memcpy(&idx, b, 8);
            }
        }
        uint64_t a = base + (uint64_t)p->disp + (uint64_t)idx * p->scale;
        if (in->flags & PT_F_ADDR32)
            a &= 0xffffffffULL;
        if (emit(ctx, p->kind, a + seg_base(r, p->seg), p->size))
            return 1;
        (*count)++;
    }
    return 0;
}

/* Address of bt/bts/btr/btc m, r: the signed bit offset selects an operand-sized word. */
static uint64_t bitoff_address(const struct pt_insn *in, const struct pt_memop *p,
                               const struct user_regs_struct *r)
{
    uint64_t raw = reg_value(r, p->bit_reg, p->bit_width);
    int64_t off;
    if (p->bit_width == 2)
        off = (int16_t)raw;
    else if (p->bit_width == 4)
        off = (int32_t)raw;
    else
        off = (int64_t)raw;
    int64_t bits = (int64_t)p->size * 8;
    /* floor division: negative offsets address words below the base */
    int64_t word = off >= 0 ? off / bits : -((-off + bits - 1) / bits);
    return effective_address(in, p, r, (uint64_t)(word * (int64_t)p->size));
}

/* Number of iterations a string instruction performed in this step. */
static uint64_t string_iterations(const struct pt_insn *in, const struct pt_regs_view *rv)
{
    if (!(in->flags & PT_F_REP))
        return 1;
    uint64_t m = (in->flags & PT_F_ADDR32) ? 0xffffffffULL : ~0ULL;
    uint64_t before = rv->before->rcx & m;
    if (!rv->after)
        return before ? 1 : 0;
    return (before - (rv->after->rcx & m)) & m;
}

static int emit_string(const struct pt_insn *in, const struct pt_regs_view *rv, pt_emit_fn emit,
                       void *ctx, long *count)
{
    const struct user_regs_struct *r = rv->before;
    uint64_t iters = string_iterations(in, rv);
    int down = (r->eflags >> 10) & 1; /* DF */
    uint64_t m = (in->flags & PT_F_ADDR32) ? 0xffffffffULL : ~0ULL;
    for (uint64_t k = 0; k < iters; k++) {
        for (unsigned i = 0; i < in->nops; i++) {
            const struct pt_memop *p = &in->ops[i];
            uint64_t step = k * p->size;
            uint64_t a = (base_value(in, p, r) + (down ? -step : step)) & m;
            if (emit(ctx, p->kind, a + seg_base(r, p->seg), p->size))
                return 1;
            (*count)++;
        }
    }
    return 0;
}

long pt_insn_emit(const struct pt_insn *in, const struct pt_regs_view *rv, int no_ifetch,
                  pt_emit_fn emit, void *ctx)
{
    const struct user_regs_struct *r = rv->before;
    long count = 0;
    if (!no_ifetch) {
        if (emit(ctx, MMT_IFETCH, r->rip, in->len))
            return -1;
        count++;
    }
    if (in->flags & PT_F_STRING)
        return emit_string(in, rv, emit, ctx, &count) ? -1 : count;
    for (unsigned i = 0; i < in->nops; i++) {
        const struct pt_memop *p = &in->ops[i];
        uint64_t a;
        uint32_t size = p->size;
        switch (p->mode) {
        case PT_ADDR_PUSH:
            a = (reg_value(r, p->base, 8) - p->size) + seg_base(r, p->seg);
            break;
        case PT_ADDR_XLAT:
            a = effective_address(in, p, r, r->rax & 0xff);
            break;
        case PT_ADDR_BITOFF:
            a = bitoff_address(in, p, r);
            break;
        case PT_ADDR_VSIB:
            if (emit_vsib(in, p, rv, emit, ctx, &count))
                return -1;
            continue;
        case PT_ADDR_XSAVE:
        case PT_ADDR_XSAVEC: {
            uint64_t rfbm = ((r->rdx & 0xffffffffULL) << 32) | (r->rax & 0xffffffffULL);
            if (rv->cpu)
                size = p->mode == PT_ADDR_XSAVE ? pt_xsave_size(rv->cpu, rfbm)
                                                : pt_xsavec_size(rv->cpu, rfbm);
            a = effective_address(in, p, r, 0);
            break;
        }
        default:
            a = effective_address(in, p, r, 0);
            break;
        }
        if (emit_sized(emit, ctx, p->kind, a, size))
            return -1;
        count++;
    }
    return count;
}

/* ---- xsave layout ---- */

void pt_cpu_init(struct pt_cpu *cpu)
{
    unsigned a, b, c, d;
    memset(cpu, 0, sizeof *cpu);
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) /* OSXSAVE */
        return;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    cpu->xcr0 = ((uint64_t)hi << 32) | lo;
    for (unsigned i = 2; i < 32; i++) {
        if (!(cpu->xcr0 & (1ULL << i)))
            continue;
        __cpuid_count(0xd, i, a, b, c, d);
        cpu->comp_size[i] = a;
        cpu->comp_offset[i] = b;
        cpu->comp_align64[i] = (c >> 1) & 1;
    }
}

uint32_t pt_xsave_size(const struct pt_cpu *cpu, uint64_t rfbm)
{
    uint32_t size = 576; /* legacy area and xsave header */
    rfbm &= cpu->xcr0;
    for (unsigned i = 2; i < 32; i++)
        if ((rfbm >> i) & 1 && cpu->comp_offset[i] + cpu->comp_size[i] > size)
            size = cpu->comp_offset[i] + cpu->comp_size[i];
    return size;
}

uint32_t pt_xsavec_size(const struct pt_cpu *cpu, uint64_t rfbm)
{
    uint32_t size = 576;
    rfbm &= cpu->xcr0;
    for (unsigned i = 2; i < 32; i++) {
        if (!((rfbm >> i) & 1))
            continue;
        if (cpu->comp_align64[i])
            size = (size + 63) & ~63u;
        size += cpu->comp_size[i];
    }
    return size;
}
