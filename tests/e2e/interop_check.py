#!/usr/bin/python3
"""Checks for tests/e2e/interop.sh, computed independently of mmsim's C code.

champsim ORIG.lackey BACK.lackey RECORDS[.xz]
    ORIG is `mmsim dump --format lackey` of a trace, BACK the same of that trace exported to
    ChampSim and imported again, RECORDS the exported input_instr file. Checks, instruction by
    instruction (an 'I' line starts one), that BACK holds the fetch address and the memory
    operands ChampSim's record can carry: the first 4 distinct load addresses and the first 2
    distinct store addresses (a modify is both), in order; and that the records marked taken
    branches are exactly the fetches not followed by the next fetch at ip + length.
din ORIG.lackey BACK.lackey
    BACK must be ORIG with every size 4 and every modify a load then a store.
Prints what differs and exits 1, or exits 0."""
import lzma
import struct
import sys


def lackey(path):
    with open(path) as f:
        for line in f:
            kind = line[:3].strip()
            addr, size = line[3:].split(",")
            yield kind, int(addr, 16), int(size)


def instructions(path):
    """[(ip, length, loads, stores)] with loads/stores truncated as ChampSim's record is."""
    out = []
    for kind, addr, size in lackey(path):
        if kind == "I":
            out.append((addr, size, [], []))
            continue
        if not out or out[-1][1] is None:  # data before any fetch: each its own, at ip 0
            out.append((0, None, [], []))
        _, _, loads, stores = out[-1]
        if kind in ("L", "M") and addr not in loads:
            loads.append(addr)
        if kind in ("S", "M") and addr not in stores:
            stores.append(addr)
    return [(ip, n, lo[:4], st[:2]) for ip, n, lo, st in out]


def check_champsim(orig, back, records):
    a, b = instructions(orig), instructions(back)
    if len(a) != len(b):
        print(f"instructions: {len(a)} in the trace, {len(b)} after the round trip")
        return 1
    for i, (x, y) in enumerate(zip(a, b)):
        if x[0] != y[0] or x[2] != y[2] or x[3] != y[3]:
            print(f"instruction {i}: trace {x[0]:#x} loads {x[2]} stores {x[3]}; "
                  f"back {y[0]:#x} loads {y[2]} stores {y[3]}")
            return 1
    opener = lzma.open if records.endswith(".xz") else open
    with opener(records, "rb") as f:
        data = f.read()
    if len(data) != 64 * len(a):
        print(f"{len(data)} bytes of records for {len(a)} instructions")
        return 1
    for i in range(len(a)):
        taken = data[64 * i + 9]
        expect = int(i + 1 < len(a) and a[i][1] is not None and a[i + 1][1] is not None
                     and a[i + 1][0] != a[i][0] + a[i][1])
        if taken != expect:
            print(f"instruction {i} at {a[i][0]:#x}: branch_taken {taken}, expected {expect}")
            return 1
    print(f"{len(a)} instructions agree")
    return 0


def check_din(orig, back):
    want = []
    for kind, addr, _ in lackey(orig):
        want += [("L", addr, 4), ("S", addr, 4)] if kind == "M" else [(kind, addr, 4)]
    got = list(lackey(back))
    if want != got:
        n = next((i for i, (x, y) in enumerate(zip(want, got)) if x != y), min(len(want), len(got)))
        print(f"access {n} differs ({len(want)} expected, {len(got)} read back)")
        return 1
    print(f"{len(got)} accesses agree")
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "champsim":
        sys.exit(check_champsim(*sys.argv[2:5]))
    sys.exit(check_din(*sys.argv[2:4]))
