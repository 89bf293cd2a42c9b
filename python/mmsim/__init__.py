"""mmsim - read mmsim's .mmt memory traces and run its replay from Python.

    import mmsim
    with mmsim.open("ls.mmt") as t:
        print(t.meta["command"], t.complete)
        for batch in t.batches():          # numpy structured arrays, one per chunk
            loads = batch[batch["kind"] == mmsim.LOAD]
            ...
        recs = t.records()                 # the whole trace as one array
    stats = mmsim.replay("ls.mmt", config="configs/skylake.ini")   # replay --json, as a dict

Records have the fields addr (uint64), kind (uint8: IFETCH, LOAD, STORE, MODIFY, SWITCH,
EVENT), size (uint8) and aux (uint32: the pid of a SWITCH, the event index of an EVENT);
Trace.events(batch) gives a batch's events as dicts. Without numpy, batches are lists of
(addr, kind, size, aux) tuples.

The module is a ctypes binding of libmmsim (mmsim.h). It finds the library beside itself in
an installed tree (PREFIX/lib), in the build tree (build/pub/ of the checkout it sits in),
through MMSIM_LIBRARY, or on the loader's path; replay() runs the mmsim binary found the same
way (PREFIX/bin, bin/ of the checkout, MMSIM_BIN, or PATH).
"""
import ctypes
import json
import os
import shutil
import subprocess

try:
    import numpy as _np
except ImportError:  # numpy is optional: batches become lists of tuples
    _np = None

__all__ = ["open", "Trace", "replay", "MmsimError", "version", "kind_name", "event_name",
           "IFETCH", "LOAD", "STORE", "MODIFY", "SWITCH", "EVENT", "RECORD_DTYPE"]

IFETCH, LOAD, STORE, MODIFY, SWITCH, EVENT = range(6)
KIND_COUNT = 6
_HERE = os.path.dirname(os.path.abspath(__file__))
_SONAME = "libmmsim.so.0"


class MmsimError(Exception):
    """A trace that cannot be opened or read; the message names the file and the place."""


class _Record(ctypes.Structure):
    _fields_ = [("addr", ctypes.c_uint64), ("kind", ctypes.c_uint8), ("size", ctypes.c_uint8),
                ("reserved", ctypes.c_uint16), ("aux", ctypes.c_uint32)]


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_uint16), ("nargs", ctypes.c_uint8), ("reserved", ctypes.c_uint8),
                ("pid", ctypes.c_uint32), ("tid", ctypes.c_uint32), ("result", ctypes.c_int64),
                ("args", ctypes.c_uint64 * 6), ("path", ctypes.c_char_p)]


if _np is not None:
    RECORD_DTYPE = _np.dtype([("addr", "<u8"), ("kind", "u1"), ("size", "u1"),
                              ("reserved", "<u2"), ("aux", "<u4")])
    assert RECORD_DTYPE.itemsize == ctypes.sizeof(_Record) == 16
else:
    RECORD_DTYPE = None


def _candidates(env, installed, build_tree, fallback):
    if os.environ.get(env):
        yield os.environ[env]
    yield installed
    yield build_tree
    if fallback:
        yield fallback


def _load_library():
    # installed: PREFIX/lib/pythonX.Y/dist-packages/mmsim -> PREFIX/lib
    installed = os.path.normpath(os.path.join(_HERE, "..", "..", "..", _SONAME))
    build_tree = os.path.normpath(os.path.join(_HERE, "..", "..", "build", "pub", _SONAME))
    tried = []
    for path in _candidates("MMSIM_LIBRARY", installed, build_tree, _SONAME):
        if os.sep in path and not os.path.exists(path):
            tried.append(path)
            continue
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{path} ({e})")
    raise ImportError("mmsim: cannot find libmmsim: tried " + ", ".join(tried) +
                      " (build it with `make`, or set MMSIM_LIBRARY)")


_lib = _load_library()


def _fn(name, restype, *argtypes):
    f = getattr(_lib, name)
    f.restype, f.argtypes = restype, list(argtypes)
    return f


_T = ctypes.c_void_p
_open = _fn("mmsim_open", _T, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t)
_next = _fn("mmsim_next", ctypes.c_int, _T, ctypes.POINTER(ctypes.POINTER(_Record)),
            ctypes.POINTER(ctypes.c_size_t))
_event_at = _fn("mmsim_event_at", ctypes.POINTER(_Event), _T, ctypes.c_uint32)
_rewind = _fn("mmsim_rewind", ctypes.c_int, _T)
_close = _fn("mmsim_close", None, _T)
_meta_count = _fn("mmsim_meta_count", ctypes.c_size_t, _T)
_meta_key = _fn("mmsim_meta_key", ctypes.c_char_p, _T, ctypes.c_size_t)
_meta_value = _fn("mmsim_meta_value", ctypes.c_char_p, _T, ctypes.c_size_t)
_complete = _fn("mmsim_complete", ctypes.c_int, _T)
_incomplete_reason = _fn("mmsim_incomplete_reason", ctypes.c_char_p, _T)
_counts = _fn("mmsim_counts", ctypes.c_int, _T, ctypes.POINTER(ctypes.c_uint64))
_error = _fn("mmsim_error", ctypes.c_char_p, _T)
_kind_name = _fn("mmsim_kind_name", ctypes.c_char_p, ctypes.c_uint)
_event_name = _fn("mmsim_event_name", ctypes.c_char_p, ctypes.c_uint)
_version = _fn("mmsim_version_number", ctypes.c_uint)


def version():
    """libmmsim's version as (major, minor, release)."""
    v = _version()
    return (v // 10000, v // 100 % 100, v % 100)


def kind_name(kind):
    return _kind_name(kind).decode()


def event_name(event_type):
    return _event_name(event_type).decode()


def _text(b):
    return b.decode("utf-8", "replace") if b is not None else None


class Trace:
    """An open .mmt trace (see the module's documentation)."""

    def __init__(self, path):
        self._h = None
        err = ctypes.create_string_buffer(1024)
        self.path = os.fspath(path)
        self._h = _open(os.fsencode(self.path), err, len(err))
        if not self._h:
            raise MmsimError(_text(err.value))
        self.meta = {_text(_meta_key(self._h, i)): _text(_meta_value(self._h, i))
                     for i in range(_meta_count(self._h))}
        self.complete = bool(_complete(self._h))
        self.incomplete_reason = None if self.complete else _text(_incomplete_reason(self._h))
        self._events = []

    def _handle(self):
        if not self._h:
            raise MmsimError(f"{self.path}: the trace is closed")
        return self._h

    def counts(self):
        """Records by kind name from the footer, or None for a trace without one."""
        c = (ctypes.c_uint64 * KIND_COUNT)()
        if _counts(self._handle(), c):
            return None
        return {kind_name(k): c[k] for k in range(KIND_COUNT)}

    def batches(self):
        """Yields each chunk's records (a numpy array, or a list of tuples without numpy),
        from the first chunk on."""
        h = self._handle()
        if _rewind(h):
            raise MmsimError(_text(_error(h)))
        recs, n = ctypes.POINTER(_Record)(), ctypes.c_size_t()
        while True:
            rc = _next(h, ctypes.byref(recs), ctypes.byref(n))
            if rc == 0:
                return
            if rc < 0:
                raise MmsimError(_text(_error(h)))
            self._events = self._copy_events(recs, n.value)
            if _np is not None:
                buf = ctypes.string_at(recs, n.value * 16)
                yield _np.frombuffer(buf, dtype=RECORD_DTYPE)
            else:
                yield [(recs[i].addr, recs[i].kind, recs[i].size, recs[i].aux) for i in range(n.value)]

    def _copy_events(self, recs, n):
        out = {}
        for i in range(n):
            if recs[i].kind == EVENT:
                p = _event_at(self._h, recs[i].aux)
                if p:
                    e = p.contents
                    out[recs[i].aux] = {"type": event_name(e.type), "pid": e.pid, "tid": e.tid,
                                        "args": list(e.args[:e.nargs]), "result": e.result,
                                        "path": _text(e.path)}
        return out

    def events(self):
        """The events of the batch last yielded by batches(), by their index (a record's aux)."""
        return dict(self._events)

    def records(self):
        """Every record of the trace as one array (or list)."""
        parts = list(self.batches())
        if _np is None:
            return [r for p in parts for r in p]
        return _np.concatenate(parts) if parts else _np.zeros(0, dtype=RECORD_DTYPE)

    def __iter__(self):
        return self.batches()

    def close(self):
        if getattr(self, "_h", None):  # also from __del__ of a Trace whose open failed
            _close(self._h)
            self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()


def open(path):  # noqa: A001 - mirrors the C API's mmsim_open
    """Opens a .mmt trace; raises MmsimError naming the file when it cannot be read."""
    return Trace(path)


def _mmsim_binary():
    installed = os.path.normpath(os.path.join(_HERE, "..", "..", "..", "..", "bin", "mmsim"))
    build_tree = os.path.normpath(os.path.join(_HERE, "..", "..", "bin", "mmsim"))
    for path in _candidates("MMSIM_BIN", installed, build_tree, shutil.which("mmsim")):
        if path and os.access(path, os.X_OK):
            return path
    raise MmsimError("cannot find the mmsim binary (set MMSIM_BIN)")


def replay(traces, config=None, settings=None, mmsim=None):
    """Runs `mmsim replay --json` on one trace or a list of traces (replayed together) and
    returns the report as a dict (docs/replay.md has the schema). config is a .ini file;
    settings a dict of section.key -> value overrides (-s). Raises MmsimError with mmsim's
    message when the replay fails."""
    if isinstance(traces, (str, bytes, os.PathLike)):
        traces = [traces]
    cmd = [mmsim or _mmsim_binary(), "replay", "--json", "--no-progress"]
    if config:
        cmd += ["-c", os.fspath(config)]
    for k, v in (settings or {}).items():
        cmd += ["-s", f"{k}={v}"]
    cmd += [os.fspath(t) for t in traces]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise MmsimError(p.stderr.strip() or f"mmsim replay exited with {p.returncode}")
    return json.loads(p.stdout)
