"""Tests of the mmsim Python module (run by tests/e2e/python.sh with `make test`, against the
build tree, and by tests/e2e/install.sh against an installed tree). The expected values come
from the inputs themselves (a lackey file read here) or from the mmsim binary, never from
figures of one machine."""
import os
import subprocess
import tempfile
import unittest

import mmsim

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MMSIM = os.environ.get("MMSIM_BIN", os.path.join(ROOT, "bin", "mmsim"))
LACKEY = os.path.join(ROOT, "tests", "data", "small.lackey")
KINDS = {"I": mmsim.IFETCH, "L": mmsim.LOAD, "S": mmsim.STORE, "M": mmsim.MODIFY}


def lackey_accesses(path):
    out = []
    with open(path) as f:
        for line in f:
            if line.startswith("=="):
                continue
            addr, size = line[3:].split(",")
            out.append((KINDS[line[:3].strip()], int(addr, 16), int(size)))
    return out


class TraceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.trace = os.path.join(cls.tmp.name, "small.mmt")
        subprocess.run([MMSIM, "import", "-q", "-f", "lackey", LACKEY, "-o", cls.trace,
                        "--chunk-records", "100"], check=True)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_records_are_the_lackey_accesses(self):
        with mmsim.open(self.trace) as t:
            recs = t.records()
        acc = recs[recs["kind"] <= mmsim.MODIFY]
        got = list(zip(acc["kind"].tolist(), acc["addr"].tolist(), acc["size"].tolist()))
        self.assertEqual(lackey_accesses(LACKEY), got)

    def test_batches_are_the_chunks(self):
        with mmsim.open(self.trace) as t:
            sizes = [len(b) for b in t.batches()]
        self.assertGreater(len(sizes), 1)  # 100 records a chunk
        self.assertTrue(all(n <= 100 for n in sizes))

    def test_counts_match_the_records(self):
        with mmsim.open(self.trace) as t:
            counts = t.counts()
            recs = t.records()
        for k in range(mmsim.KIND_COUNT):
            self.assertEqual(counts[mmsim.kind_name(k)], int((recs["kind"] == k).sum()))

    def test_metadata(self):
        with mmsim.open(self.trace) as t:
            self.assertEqual("import:lackey", t.meta["backend"])
            self.assertEqual("tiny_sum", t.meta["command"])
            self.assertTrue(t.complete)
            self.assertIsNone(t.incomplete_reason)

    def test_foreign_file_raises_naming_it(self):
        path = os.path.join(self.tmp.name, "foreign.mmt")
        with open(path, "wb") as f:
            f.write(b"not a trace at all" * 10)
        with self.assertRaises(mmsim.MmsimError) as cm:
            mmsim.open(path)
        self.assertIn("foreign.mmt", str(cm.exception))

    def test_cut_trace_reads_to_its_last_whole_chunk(self):
        with open(self.trace, "rb") as f:
            data = f.read()
        path = os.path.join(self.tmp.name, "cut.mmt")
        with open(path, "wb") as f:
            f.write(data[: len(data) // 2])
        with mmsim.open(path) as t:
            self.assertFalse(t.complete)
            self.assertIn("cut", t.incomplete_reason)
            n = len(t.records())
        with mmsim.open(self.trace) as t:
            self.assertLess(n, len(t.records()))

    def test_replay_returns_the_json_report(self):
        d = mmsim.replay(self.trace)
        self.assertEqual(len(lackey_accesses(LACKEY)), d["accesses"])
        self.assertIn("faults", d)

    def test_replay_error_raises(self):
        with self.assertRaises(mmsim.MmsimError) as cm:
            mmsim.replay(self.trace, config=os.path.join(self.tmp.name, "missing.ini"))
        self.assertIn("missing.ini", str(cm.exception))

    def test_without_numpy_batches_are_tuples(self):
        code = ("import sys; sys.modules['numpy'] = None\n"
                "import mmsim\n"
                "recs = mmsim.open(sys.argv[1]).records()\n"
                "print(sum(1 for r in recs if r[1] <= mmsim.MODIFY), type(recs[0]).__name__)")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            p for p in [os.path.dirname(os.path.dirname(mmsim.__file__))] + os.environ.get("PYTHONPATH", "").split(os.pathsep) if p))
        out = subprocess.run(["/usr/bin/python3", "-c", code, self.trace], env=env, check=True,
                             stdout=subprocess.PIPE, text=True).stdout.split()
        self.assertEqual([str(len(lackey_accesses(LACKEY))), "tuple"], out)

    def test_version(self):
        self.assertEqual(3, len(mmsim.version()))


class EventsTest(unittest.TestCase):
    def test_recorded_trace_has_its_mappings(self):
        prog = os.path.join(ROOT, "build", "progs", "tiny_sum")
        if not os.path.exists(prog):
            self.skipTest("build/progs/tiny_sum not built")
        with tempfile.TemporaryDirectory() as tmp:
            trace = os.path.join(tmp, "t.mmt")
            subprocess.run([MMSIM, "record", "-o", trace, "--", prog], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            seen = []
            with mmsim.open(trace) as t:
                for batch in t.batches():
                    seen += list(t.events().values())
            paths = [e["path"] for e in seen if e["type"] == "map_initial"]
            self.assertTrue(any(p and p.endswith("tiny_sum") for p in paths))
            self.assertTrue(any(e["type"] == "exit" for e in seen))


if __name__ == "__main__":
    unittest.main()
