#!/usr/bin/env python3
"""Writes the emulated torch.save files under emulated/ and malicious/, with the standard library only.

torch.save (PyTorch 1.6 and later) writes a zip archive whose entries are stored uncompressed:
  ARCHIVE/data.pkl    the state dict, pickled with protocol 2 by pickle.Pickler; each storage is
                      replaced by a persistent id ('storage', torch.<Type>Storage, key, location, numel)
                      and each tensor is pickled as torch._utils._rebuild_tensor_v2(storage,
                      storage_offset, size, stride, requires_grad, backward_hooks)
  ARCHIVE/data/KEY    the raw little-endian bytes of storage KEY ('0', '1', ... in order of first use)
  ARCHIVE/version     "3\\n"
  ARCHIVE/byteorder   "little" (PyTorch 2.1 and later only)
torch pads each local header with an extra field ("FB") so that entry data starts on a 64-byte
boundary. Here the pickle comes from Python's own pickle module: stand-in modules named torch and
torch._utils are put in sys.modules so that pickle writes the same GLOBAL opcodes torch.save does
(nothing of them is ever called), and the zip comes from zipfile with ZIP_STORED, padded as torch pads.

Run from this folder: python3 emulate_torch_save.py   (any Python 3.8+, no third-party packages)
"""
import collections
import io
import os
import pickle
import struct
import sys
import types
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))

# --- stand-ins for the torch names torch.save's pickle refers to -------------------------------------------
torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")
torch_storage = types.ModuleType("torch.storage")
torch._utils = torch_utils
torch.storage = torch_storage
sys.modules.update({"torch": torch, "torch._utils": torch_utils, "torch.storage": torch_storage})

STORAGE_FORMATS = {"FloatStorage": "<f", "HalfStorage": "<e", "BFloat16Storage": None, "LongStorage": "<q"}
for _name in STORAGE_FORMATS:
    _cls = type(_name, (), {"__module__": "torch"})
    setattr(torch, _name, _cls)


def _named(module, name):
    def f(*args):
        raise AssertionError("a stand-in is never called")
    f.__module__, f.__qualname__, f.__name__ = module.__name__, name, name
    setattr(module, name, f)
    return f


rebuild_tensor_v2 = _named(torch_utils, "_rebuild_tensor_v2")
rebuild_parameter = _named(torch_utils, "_rebuild_parameter")
load_from_bytes = _named(torch_storage, "_load_from_bytes")


def bf16_bytes(values):
    """bfloat16: the high half of the float32 (the values used here are exact in bfloat16)."""
    out = b""
    for v in values:
        bits = struct.unpack("<I", struct.pack("<f", v))[0]
        assert bits & 0xFFFF == 0, f"{v} is not exact in bfloat16"
        out += struct.pack("<H", bits >> 16)
    return out


class Storage:
    def __init__(self, type_name, values):
        self.cls = getattr(torch, type_name)
        fmt = STORAGE_FORMATS[type_name]
        self.data = bf16_bytes(values) if fmt is None else b"".join(struct.pack(fmt, v) for v in values)
        self.numel = len(values)


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def __reduce_ex__(self, protocol):
        return rebuild_tensor_v2, (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict())


class Parameter:
    def __init__(self, tensor):
        self.tensor = tensor

    def __reduce_ex__(self, protocol):
        return rebuild_parameter, (self.tensor, True, collections.OrderedDict())


class StatePickler(pickle.Pickler):
    """Replaces each storage by torch.save's persistent id and numbers storages in order of first use."""

    def __init__(self, f, protocol):
        super().__init__(f, protocol=protocol)
        self.keys = {}

    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            key = self.keys.setdefault(id(obj), (str(len(self.keys)), obj))[0]
            return ("storage", obj.cls, key, "cpu", obj.numel)
        return None


def pickle_state(state, protocol=2):
    buf = io.BytesIO()
    p = StatePickler(buf, protocol)
    p.dump(state)
    return buf.getvalue(), {key: s.data for key, s in p.keys.values()}


def write_zip(path, archive, pickled, storages, align=64, misalign=False, byteorder=None):
    """The zip as torch.save lays it out; misalign puts every entry's data at 2 mod 4 instead."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    entries = [("data.pkl", pickled)] + [("data/" + k, v) for k, v in storages.items()] + [("version", b"3\n")]
    if byteorder is not None:
        entries.append(("byteorder", byteorder.encode()))
    with open(path, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(archive + "/" + name, date_time=(1980, 1, 1, 0, 0, 0))
            start = f.tell() + 30 + len(info.filename) + 4
            pad = (2 - start) % 4 if misalign else (-start) % align
            info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
            z.writestr(info, data)


def state_dict(entries, metadata=True):
    sd = collections.OrderedDict(entries)
    if metadata:
        sd._metadata = collections.OrderedDict([("", {"version": 1})])
    return sd


# --- the valid files ------------------------------------------------------------------------------------------
def views_state():
    """Every kind of view the reader handles; the Java test checks each value."""
    w = Storage("FloatStorage", [float(i) for i in range(12)])  # w[i][j] = 4i + j
    half = Storage("HalfStorage", [1.5, -2.0, 0.25, 65504.0, 2.0 ** -24])
    bf = Storage("BFloat16Storage", [-2.0, 1.0, 3.140625, 0.5, 256.0, -0.125])
    param = Storage("FloatStorage", [0.5, -0.5])
    scalar = Storage("FloatStorage", [3.0])
    ids = Storage("LongStorage", [0, 1, 2])
    empty = Storage("FloatStorage", [])
    return state_dict([
        ("w", Tensor(w, 0, (3, 4), (4, 1))),
        ("tied", Tensor(w, 0, (3, 4), (4, 1))),
        ("t", Tensor(w, 0, (4, 3), (1, 4))),
        ("slice", Tensor(w, 5, (2, 2), (4, 1))),
        ("row", Tensor(w, 8, (4,), (1,))),
        ("half", Tensor(half, 0, (5,), (1,))),
        ("bf16", Tensor(bf, 0, (2, 3), (3, 1))),
        ("bf16t", Tensor(bf, 0, (3, 2), (1, 3))),
        ("bf16tail", Tensor(bf, 3, (3,), (1,))),
        ("param", Parameter(Tensor(param, 0, (2,), (1,)))),
        ("scalar", Tensor(scalar, 0, (), ())),
        ("ids", Tensor(ids, 0, (3,), (1,))),
        ("empty", Tensor(empty, 0, (0, 4), (4, 1))),
    ])


def write_valid():
    pickled, storages = pickle_state(views_state())
    write_zip(os.path.join(HERE, "emulated", "views.bin"), "views", pickled, storages)
    write_zip(os.path.join(HERE, "emulated", "views-misaligned.bin"), "archive", pickled, storages, misalign=True)
    write_zip(os.path.join(HERE, "emulated", "views-byteorder.bin"), "views", pickled, storages, byteorder="little")
    p4, s4 = pickle_state(views_state(), protocol=4)
    write_zip(os.path.join(HERE, "emulated", "views-protocol4.bin"), "views", p4, s4)
    write_zip(os.path.join(HERE, "emulated", "big-endian.bin"), "views", pickled, storages, byteorder="big")
    write_sharded()


def write_sharded():
    """Two shards and the index mapping each tensor to its shard, as save_pretrained writes them."""
    folder = os.path.join(HERE, "emulated", "sharded")
    a = Storage("FloatStorage", [1.0, 2.0, 3.0, 4.0])
    b = Storage("HalfStorage", [0.5, 0.25])
    shards = {
        "pytorch_model-00001-of-00002.bin": [("encoder.weight", Tensor(a, 0, (2, 2), (2, 1)))],
        "pytorch_model-00002-of-00002.bin": [("decoder.bias", Tensor(b, 0, (2,), (1,))),
                                             ("unmapped", Tensor(a, 0, (4,), (1,)))],
    }
    weight_map = {}
    for file, entries in shards.items():
        pickled, storages = pickle_state(state_dict(entries))
        write_zip(os.path.join(folder, file), file[:-4], pickled, storages)
        weight_map.update({name: file for name, _ in entries if name != "unmapped"})
    with open(os.path.join(folder, "pytorch_model.bin.index.json"), "w") as f:
        f.write('{"metadata": {"total_size": 20}, "weight_map": {\n')
        f.write(",\n".join(f'  "{k}": "{v}"' for k, v in weight_map.items()) + "\n}}\n")


# --- the malicious files ----------------------------------------------------------------------------------------
class Reducer:
    """An object that pickles as a call of func(*args): what a malicious pickle does."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


evil = types.ModuleType("evil")
sys.modules["evil"] = evil


class Payload:
    """Pickled with protocol 2 as NEWOBJ of evil.Payload (then BUILD of its __dict__)."""
    __module__ = "evil"

    def __init__(self):
        self.command = "rm -rf ~"


evil.Payload = Payload


def write_malicious():
    folder = os.path.join(HERE, "malicious")
    w = Storage("FloatStorage", [1.0, 2.0])
    cases = {
        # os.system is posix.system on Linux: pickle names the module that defines it
        "posix-system.bin": state_dict([("w", Reducer(os.system, ("echo pwned",)))]),
        "builtins-eval.bin": state_dict([("w", Reducer(eval, ("print('pwned')",)))]),
        "newobj-unknown-class.bin": state_dict([("w", Payload())]),
        "load-from-bytes.bin": state_dict([("w", Reducer(load_from_bytes, (b"\x80\x02.",)))]),
        "reduce-storage-type.bin": state_dict([("w", Reducer(torch.FloatStorage, (2,)))]),
        "not-a-tensor.bin": state_dict([("w", Tensor(w, 0, (2,), (1,))), ("step", 7)]),
    }
    for file, state in cases.items():
        pickled, storages = pickle_state(state)
        write_zip(os.path.join(folder, file), "archive", pickled, storages)
    # a persistent id of the wrong shape, a storage the zip lacks, a view past its storage's end
    pickled, storages = pickle_state(state_dict([("w", Tensor(w, 0, (2,), (1,)))]))
    write_zip(os.path.join(folder, "missing-storage.bin"), "archive", pickled, {})
    write_zip(os.path.join(folder, "short-storage.bin"), "archive", pickled, {"0": storages["0"][:6]})
    pickled, storages = pickle_state(state_dict([("w", Tensor(w, 1, (2,), (1,)))]))
    write_zip(os.path.join(folder, "offset-past-end.bin"), "archive", pickled, storages)
    pid = pickled.replace(b"X\x03\x00\x00\x00cpuq", b"X\x03\x00\x00\x00cpu\x85q")  # numel no longer in the tuple
    write_zip(os.path.join(folder, "bad-persistent-id.bin"), "archive", pid, storages)
    with open(os.path.join(HERE, "emulated", "views.bin"), "rb") as f:
        whole = f.read()
    with open(os.path.join(folder, "truncated.bin"), "wb") as f:
        f.write(whole[: len(whole) * 2 // 3])


if __name__ == "__main__":
    write_valid()
    write_malicious()
