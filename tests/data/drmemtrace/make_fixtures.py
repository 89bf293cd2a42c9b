#!/usr/bin/python3
"""Writes the drmemtrace fixtures of tests/e2e/interop.sh (run from this folder; the outputs
are committed). Our own generator, from the layout in DynamoRIO's trace_entry.h: a thread's
file is packed little-endian 12-byte entries (type u16, size u16, addr u64).

mt/trace/*.zip   two threads of one process, each a zip of chunk components as drmemtrace
                 writes them, their buffers interleaved by timestamp
one.trace, one.trace.gz, one.trace.zst   one thread: plain, gzip, zstd (the zstd CLI)
*.expect.lackey  the accesses mmsim must produce, in lackey's layout
*.expect.switch  the threads in the order mmsim must switch to them ("pid P tid T")

What goes in the expected files is worked out here, independently of mmsim: fetches and
reads/writes become accesses (a 512-byte read is 8 pieces of 64), a bundle expands into
fetches following the previous instruction, prefetches / non-fetched instructions / encodings
/ markers produce nothing, and the pieces between timestamps go out sorted by
(timestamp, file)."""
import gzip
import io
import struct
import subprocess
import zipfile

READ, WRITE, PREFETCHT0 = 0, 1, 3
INSTR, DIRECT_JUMP, DIRECT_CALL, RETURN, BUNDLE = 10, 11, 14, 16, 17
THREAD, THREAD_EXIT, PID, HEADER, FOOTER, MARKER, NO_FETCH, ENCODING, TAKEN = 22, 23, 24, 25, 26, 28, 29, 47, 48
M_TIMESTAMP, M_CPU, M_FILETYPE, M_LINE, M_VERSION, M_PAGE, M_CHUNK_INSTRS, M_CHUNK_FOOTER, M_ORDINAL = 2, 3, 9, 10, 12, 18, 20, 21, 22


def entry(t, size, addr):
    return struct.pack("<HHQ", t, size, addr)


class Thread:
    """Builds one thread's entries and, beside them, what mmsim should make of them."""

    def __init__(self, pid, tid):
        self.pid, self.tid = pid, tid
        self.out = bytearray()
        self.pieces = []  # [(timestamp, [lackey lines])]
        self.next_pc = 0
        self.put(HEADER, 0, 5)
        self.marker(M_VERSION, 5)
        self.marker(M_FILETYPE, 0x248)
        self.put(THREAD, 4, tid)
        self.put(PID, 4, pid)
        self.marker(M_LINE, 64)
        self.marker(M_PAGE, 4096)
        self.marker(M_CHUNK_INSTRS, 10000000)

    def put(self, t, size, addr):
        self.out += entry(t, size, addr)

    def marker(self, kind, value):
        self.put(MARKER, kind, value)

    def timestamp(self, ts, cpu):
        self.marker(M_TIMESTAMP, ts)
        self.marker(M_CPU, cpu)
        self.pieces.append((ts, []))

    def instr(self, pc, length, t=INSTR, encoding=False):
        if encoding:
            self.put(ENCODING, min(length, 8), 0x9090909090909090)
        self.put(t, length, pc)
        self.pieces[-1][1].append(f"I  {pc:08x},{length}")
        self.next_pc = pc + length

    def bundle(self, lengths):
        packed = sum(n << (8 * i) for i, n in enumerate(lengths))
        self.put(BUNDLE, len(lengths), packed)
        for n in lengths:
            self.pieces[-1][1].append(f"I  {self.next_pc:08x},{n}")
            self.next_pc += n

    def data(self, t, addr, size):
        self.put(t, size, addr)
        kind = " L " if t == READ else " S "
        if size <= 255:
            self.pieces[-1][1].append(f"{kind}{addr:08x},{size}")
        else:
            for off in range(0, size, 64):
                self.pieces[-1][1].append(f"{kind}{addr + off:08x},{min(64, size - off)}")

    def skipped(self, t, size, addr):
        self.put(t, size, addr)

    def end(self):
        self.put(THREAD_EXIT, 4, self.tid)
        self.put(FOOTER, 0, 0)


def body(th, ts0, base, n):
    """n buffers of work at timestamps ts0, ts0 + 10, ..."""
    for k in range(n):
        th.timestamp(ts0 + 10 * k, k % 4)
        pc = base + 0x100 * k
        th.instr(pc, 3, encoding=True)
        th.data(READ, 0x7ffd0000 + 8 * k, 8)
        th.instr(pc + 3, 5)
        th.data(WRITE, 0x10000 + 64 * k, 4)
        th.skipped(PREFETCHT0, 1, 0x20000)
        th.instr(pc + 8, 2, t=TAKEN)
        th.skipped(NO_FETCH, 2, pc + 8)
        th.bundle([2, 3, 4])
        th.instr(pc + 0x40, 5, t=DIRECT_CALL)
        th.data(WRITE, 0x7ffcfff8, 8)
        th.instr(pc + 0x80, 1, t=RETURN)
        th.data(READ, 0x7ffcfff8, 8)


def expected(threads, stem):
    pieces = sorted((ts, i, j) for i, th in enumerate(threads) for j, (ts, _) in enumerate(th.pieces))
    lines, switches, cur = [], [], None
    for ts, i, j in pieces:
        th = threads[i]
        if cur is not th and th.pieces[j][1]:
            switches.append(f"pid {th.pid} tid {th.tid}")
            cur = th
        lines += th.pieces[j][1]
    with open(f"{stem}.expect.lackey", "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(f"{stem}.expect.switch", "w") as f:
        f.write("\n".join(switches) + "\n")


def zip_thread(path, th, cut):
    """Two components: entries up to byte `cut` (a whole entry) and the rest, as drmemtrace's
    chunking does (a chunk-footer marker ends the first, an ordinal marker starts the next)."""
    first = bytes(th.out[:cut]) + entry(MARKER, M_CHUNK_FOOTER, 0)
    second = entry(MARKER, M_ORDINAL, 0) + bytes(th.out[cut:])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("chunk.0000", first)
        z.writestr("chunk.0001", second)


def main():
    import os
    os.makedirs("mt/trace", exist_ok=True)
    a, b = Thread(4242, 4242), Thread(4242, 4250)
    body(a, 1000, 0x401000, 4)   # buffers at 1000, 1010, 1020, 1030
    body(b, 1005, 0x402000, 3)   # buffers at 1005, 1015, 1025
    a.end()
    b.end()
    # cut each thread after its second buffer's first entries (whole entries only)
    zip_thread("mt/trace/drmemtrace.fixture.4242.0000.trace.zip", a, len(a.out) // 24 * 12)
    zip_thread("mt/trace/drmemtrace.fixture.4250.0001.trace.zip", b, len(b.out) // 36 * 12)
    expected([a, b], "mt")

    one = Thread(77, 77)
    body(one, 500, 0x500000, 2)
    one.data(READ, 0x30000, 512)  # past 255 bytes: 8 pieces of 64
    one.end()
    with open("one.trace", "wb") as f:
        f.write(one.out)
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as g:
        g.write(one.out)
    with open("one.trace.gz", "wb") as f:
        f.write(buf.getvalue())
    with open("one.trace.zst", "wb") as f:
        f.write(subprocess.run(["zstd", "-q", "-c"], input=bytes(one.out), stdout=subprocess.PIPE, check=True).stdout)
    expected([one], "one")


if __name__ == "__main__":
    main()
