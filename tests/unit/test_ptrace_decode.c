/* test_ptrace_decode.c - the ptrace backend's access plans, evaluated on hand-made registers.
 * Every expected address is computed by hand from the x86-64 rules (SDM vol. 2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "capture/ptrace_decode.h"
#include "traces/mmt.h"

struct acc {
    unsigned kind;
    uint64_t addr;
    unsigned size;
};

struct sink {
    struct acc a[2100];
    size_t n;
};

static int collect(void *ctx, unsigned kind, uint64_t addr, unsigned size)
{
    struct sink *s = ctx;
    if (s->n < sizeof s->a / sizeof s->a[0])
        s->a[s->n++] = (struct acc){kind, addr, size};
    return 0;
}

static struct pt_decoder *dec;

static int setup(void **state)
{
    (void)state;
    dec = pt_decoder_new();
    return dec ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    pt_decoder_free(dec);
    return 0;
}

static struct user_regs_struct base_regs(void)
{
    struct user_regs_struct r;
    memset(&r, 0, sizeof r);
    r.rip = 0x401000;
    r.rsp = 0x7ffd0000;
    r.rbp = 0x7ffd0100;
    r.rax = 0x1000;
    r.rbx = 0x2000;
    r.rcx = 0x3;
    r.rdx = 0x4000;
    r.rsi = 0x5000;
    r.rdi = 0x6000;
    r.fs_base = 0x7f0000001000;
    r.eflags = 0x202;
    return r;
}

/* Decodes bytes, evaluates with before (and after, for string counts), returns the sink. */
static void run(const uint8_t *bytes, size_t len, const struct user_regs_struct *before,
                const struct user_regs_struct *after, struct sink *s)
{
    struct pt_insn in;
    struct pt_regs_view rv = {before, after, NULL, 0, NULL};
    memset(s, 0, sizeof *s);
    assert_int_equal(pt_decode(dec, bytes, len, &in), 0);
    assert_true(pt_insn_emit(&in, &rv, 0, collect, s) >= 1);
    /* the fetch always comes first, at rip, with the instruction's length */
    assert_int_equal(s->a[0].kind, MMT_IFETCH);
    assert_int_equal(s->a[0].addr, before->rip);
}

static void expect(const struct sink *s, size_t i, unsigned kind, uint64_t addr, unsigned size)
{
    assert_true(i < s->n);
    assert_int_equal(s->a[i].kind, kind);
    assert_int_equal(s->a[i].addr, addr);
    assert_int_equal(s->a[i].size, size);
}

static void test_stack_ops(void **state)
{
    (void)state;
    struct user_regs_struct r = base_regs();
    struct sink s;
    static const uint8_t push[] = {0x50}, pop[] = {0x59}, call[] = {0xe8, 0, 0, 0, 0},
                         ret[] = {0xc3}, leave[] = {0xc9}, pushf[] = {0x9c},
                         push_mem[] = {0xff, 0x73, 0x08}, pop_mem[] = {0x8f, 0x03},
                         enter[] = {0xc8, 0x20, 0, 0};
    run(push, sizeof push, &r, NULL, &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.a[0].size, 1);
    expect(&s, 1, MMT_STORE, r.rsp - 8, 8);
    run(pop, sizeof pop, &r, NULL, &s);
    assert_int_equal(s.n, 2);
    expect(&s, 1, MMT_LOAD, r.rsp, 8);
    run(call, sizeof call, &r, NULL, &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.a[0].size, 5);
    expect(&s, 1, MMT_STORE, r.rsp - 8, 8);
    run(ret, sizeof ret, &r, NULL, &s);
    expect(&s, 1, MMT_LOAD, r.rsp, 8);
    run(leave, sizeof leave, &r, NULL, &s);
    assert_int_equal(s.n, 2);
    expect(&s, 1, MMT_LOAD, r.rbp, 8);
    run(pushf, sizeof pushf, &r, NULL, &s);
    expect(&s, 1, MMT_STORE, r.rsp - 8, 8);
    run(enter, sizeof enter, &r, NULL, &s);
    expect(&s, 1, MMT_STORE, r.rsp - 8, 8);
    /* push [rbx+8]: the source is read before the stack is written */
    run(push_mem, sizeof push_mem, &r, NULL, &s);
    assert_int_equal(s.n, 3);
    expect(&s, 1, MMT_LOAD, r.rbx + 8, 8);
    expect(&s, 2, MMT_STORE, r.rsp - 8, 8);
    run(pop_mem, sizeof pop_mem, &r, NULL, &s);
    assert_int_equal(s.n, 3);
    expect(&s, 1, MMT_LOAD, r.rsp, 8);
    expect(&s, 2, MMT_STORE, r.rbx, 8);
}

static void test_rep_movsb(void **state)
{
    (void)state;
    static const uint8_t rep_movsb[] = {0xf3, 0xa4};
    struct user_regs_struct b = base_regs(), a;
    struct sink s;
    /* one iteration per step: rcx 1000 -> 999 */
    b.rcx = 1000;
    a = b;
    a.rcx = 999;
    run(rep_movsb, sizeof rep_movsb, &b, &a, &s);
    assert_int_equal(s.n, 3);
    expect(&s, 1, MMT_LOAD, 0x5000, 1);
    expect(&s, 2, MMT_STORE, 0x6000, 1);
    /* a step that ran all 1000 iterations still yields 1000 loads and 1000 stores */
    a.rcx = 0;
    run(rep_movsb, sizeof rep_movsb, &b, &a, &s);
    assert_int_equal(s.n, 1 + 2000);
    expect(&s, 1999, MMT_LOAD, 0x5000 + 999, 1);
    expect(&s, 2000, MMT_STORE, 0x6000 + 999, 1);
    /* DF set: addresses go down */
    b.eflags |= 1u << 10;
    a.rcx = 998;
    run(rep_movsb, sizeof rep_movsb, &b, &a, &s);
    assert_int_equal(s.n, 5);
    expect(&s, 3, MMT_LOAD, 0x5000 - 1, 1);
    expect(&s, 4, MMT_STORE, 0x6000 - 1, 1);
    /* rcx == 0: the instruction is fetched and does nothing */
    b = base_regs();
    b.rcx = 0;
    a = b;
    run(rep_movsb, sizeof rep_movsb, &b, &a, &s);
    assert_int_equal(s.n, 1);
}

static void test_strings(void **state)
{
    (void)state;
    static const uint8_t movsq[] = {0x48, 0xa5}, repe_cmpsb[] = {0xf3, 0xa6},
                         rep_stosd[] = {0xf3, 0xab}, lodsb[] = {0xac};
    struct user_regs_struct b = base_regs(), a;
    struct sink s;
    run(movsq, sizeof movsq, &b, NULL, &s); /* no rep: one iteration whatever rcx says */
    assert_int_equal(s.n, 3);
    expect(&s, 1, MMT_LOAD, 0x5000, 8);
    expect(&s, 2, MMT_STORE, 0x6000, 8);
    a = b;
    a.rcx = b.rcx - 2;
    run(repe_cmpsb, sizeof repe_cmpsb, &b, &a, &s);
    assert_int_equal(s.n, 5);
    expect(&s, 1, MMT_LOAD, 0x5000, 1);
    expect(&s, 2, MMT_LOAD, 0x6000, 1);
    expect(&s, 3, MMT_LOAD, 0x5001, 1);
    expect(&s, 4, MMT_LOAD, 0x6001, 1);
    a.rcx = b.rcx - 1;
    run(rep_stosd, sizeof rep_stosd, &b, &a, &s);
    assert_int_equal(s.n, 2);
    expect(&s, 1, MMT_STORE, 0x6000, 4);
    run(lodsb, sizeof lodsb, &b, NULL, &s);
    expect(&s, 1, MMT_LOAD, 0x5000, 1);
}

static void test_operands(void **state)
{
    (void)state;
    static const uint8_t lea[] = {0x48, 0x8d, 0x44, 0x8b, 0x08},
                         add_mem[] = {0x48, 0x83, 0x00, 0x01},
                         cmpxchg[] = {0xf0, 0x48, 0x0f, 0xb1, 0x0f},
                         fs_load[] = {0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0},
                         addr32[] = {0x67, 0x8b, 0x04, 0x0b},
                         riprel[] = {0x48, 0x8b, 0x05, 0x00, 0x01, 0, 0},
                         xlat[] = {0xd7}, prefetch[] = {0x0f, 0x18, 0x0e},
                         bt[] = {0x48, 0x0f, 0xa3, 0x07}, syscall[] = {0x0f, 0x05},
                         movdqa[] = {0x66, 0x0f, 0x6f, 0x06}, xchg[] = {0x48, 0x87, 0x07};
    struct user_regs_struct r = base_regs();
    struct sink s;
    struct pt_insn in;

    run(lea, sizeof lea, &r, NULL, &s); /* address generation only */
    assert_int_equal(s.n, 1);
    run(add_mem, sizeof add_mem, &r, NULL, &s);
    assert_int_equal(s.n, 2);
    expect(&s, 1, MMT_MODIFY, r.rax, 8);
    run(cmpxchg, sizeof cmpxchg, &r, NULL, &s);
    expect(&s, 1, MMT_MODIFY, r.rdi, 8);
    run(xchg, sizeof xchg, &r, NULL, &s);
    expect(&s, 1, MMT_MODIFY, r.rdi, 8);
    run(fs_load, sizeof fs_load, &r, NULL, &s);
    expect(&s, 1, MMT_LOAD, r.fs_base + 0x28, 8);
    /* 32-bit addressing wraps: 0x10 + 0xffffffff = 0xf */
    r.rbx = 0x100000010ULL;
    r.rcx = 0xffffffffULL;
    run(addr32, sizeof addr32, &r, NULL, &s);
    expect(&s, 1, MMT_LOAD, 0xf, 4);
    r = base_regs();
    run(riprel, sizeof riprel, &r, NULL, &s);
    expect(&s, 1, MMT_LOAD, r.rip + 7 + 0x100, 8);
    r.rax = 0x12345678ab;
    run(xlat, sizeof xlat, &r, NULL, &s);
    expect(&s, 1, MMT_LOAD, r.rbx + 0xab, 1);
    run(prefetch, sizeof prefetch, &r, NULL, &s); /* a hint, not an access */
    assert_int_equal(s.n, 1);
    /* bt m64, r64: the signed bit offset picks the qword */
    r.rax = (uint64_t)-1;
    run(bt, sizeof bt, &r, NULL, &s);
    expect(&s, 1, MMT_LOAD, r.rdi - 8, 8);
    r.rax = 130;
    run(bt, sizeof bt, &r, NULL, &s);
    expect(&s, 1, MMT_LOAD, r.rdi + 16, 8);
    run(movdqa, sizeof movdqa, &r, NULL, &s);
    expect(&s, 1, MMT_LOAD, r.rsi, 16);
    assert_int_equal(pt_decode(dec, syscall, sizeof syscall, &in), 0);
    assert_true(in.flags & PT_F_SYSCALL);
    assert_int_equal(in.nops, 0);
    /* garbage is reported, not guessed */
    static const uint8_t truncated[] = {0x48, 0x8b};
    assert_int_equal(pt_decode(dec, truncated, sizeof truncated, &in), -1);
}

/* vpgatherdd ymm0, [rax+ymm1*4], ymm2 with lanes 0 and 5 enabled in the vector mask. */
static void test_gather(void **state)
{
    (void)state;
    static const uint8_t gather[] = {0xc4, 0xe2, 0x6d, 0x90, 0x04, 0x88};
    static uint8_t xs[1024];
    struct pt_cpu cpu;
    memset(&cpu, 0, sizeof cpu);
    memset(xs, 0, sizeof xs);
    cpu.xcr0 = 7;
    cpu.comp_offset[2] = 576;
    cpu.comp_size[2] = 256;
    /* ymm1 dword lanes: 0..3 in xmm1 (legacy area at 160 + 16), 4..7 in the YMM_Hi128 area */
    int32_t idx[8] = {10, -3, 7, 1, 2, 100, 4, 5};
    memcpy(xs + 160 + 16 * 1, idx, 16);
    memcpy(xs + 576 + 16 * 1, idx + 4, 16);
    /* ymm2 mask: sign bit of dword lanes 0 and 5 */
    xs[160 + 16 * 2 + 3] = 0x80;
    xs[576 + 16 * 2 + 4 + 3] = 0x80;
    struct user_regs_struct r = base_regs();
    struct pt_insn in;
    struct sink s;
    memset(&s, 0, sizeof s);
    assert_int_equal(pt_decode(dec, gather, sizeof gather, &in), 0);
    assert_true(in.flags & PT_F_NEEDS_XSTATE);
    struct pt_regs_view rv = {&r, NULL, xs, sizeof xs, &cpu};
    assert_int_equal(pt_insn_emit(&in, &rv, 1, collect, &s), 2);
    expect(&s, 0, MMT_LOAD, r.rax + 10 * 4, 4);
    expect(&s, 1, MMT_LOAD, r.rax + 100 * 4, 4);
}

/* xsave [rdi] with XCR0 = x87|SSE|AVX: 576 + 256 bytes, in 64-byte pieces. */
static void test_xsave(void **state)
{
    (void)state;
    static const uint8_t xsave[] = {0x0f, 0xae, 0x27};
    struct pt_cpu cpu;
    memset(&cpu, 0, sizeof cpu);
    cpu.xcr0 = 7;
    cpu.comp_offset[2] = 576;
    cpu.comp_size[2] = 256;
    assert_int_equal(pt_xsave_size(&cpu, 7), 832);
    assert_int_equal(pt_xsave_size(&cpu, 3), 576);
    assert_int_equal(pt_xsavec_size(&cpu, 7), 832);
    struct user_regs_struct r = base_regs();
    r.rax = 7;
    r.rdx = 0;
    struct pt_insn in;
    struct sink s;
    memset(&s, 0, sizeof s);
    assert_int_equal(pt_decode(dec, xsave, sizeof xsave, &in), 0);
    struct pt_regs_view rv = {&r, NULL, NULL, 0, &cpu};
    assert_int_equal(pt_insn_emit(&in, &rv, 1, collect, &s), 1);
    assert_int_equal(s.n, 13);
    expect(&s, 0, MMT_STORE, r.rdi, 64);
    expect(&s, 12, MMT_STORE, r.rdi + 768, 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stack_ops), cmocka_unit_test(test_rep_movsb),
        cmocka_unit_test(test_strings),   cmocka_unit_test(test_operands),
        cmocka_unit_test(test_gather),    cmocka_unit_test(test_xsave),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
