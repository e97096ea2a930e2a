"""The limits of a model file :func:`liger.load` accepts (a zip bomb or a crafted header is
refused before anything is allocated): members stored uncompressed (``save`` never compresses),
no name twice, each member declaring at most the file's own size, an array member at most
:data:`MAX_MEMBER_BYTES` and the manifest (and its checksum) at most :data:`MAX_MANIFEST_BYTES`;
an array's ``.npy`` header declaring no more data than its member holds, and no objects."""

from __future__ import annotations

import math
import os
import zipfile

import numpy as np

from .errors import ModelFileError

MAX_MEMBER_BYTES = 1 << 36  # 64 GiB
MAX_MANIFEST_BYTES = 1 << 26  # 64 MiB


def check_members(path: str, archive: zipfile.ZipFile, *small: str) -> None:
    """Refuse what ``save`` never writes, before reading a byte of any member: a compressed
    member, a name twice, a member declaring more than the file holds or than the caps
    (``small``: the members capped at :data:`MAX_MANIFEST_BYTES`)."""
    size = os.path.getsize(path)
    seen: set[str] = set()
    total = 0
    for info in archive.infolist():
        name = info.filename
        problem = None
        if name in seen:
            problem = "appears twice"
        elif info.compress_type != zipfile.ZIP_STORED:
            problem = (
                f"is compressed (method {info.compress_type}); model files hold stored "
                "(uncompressed) members only"
            )
        else:
            cap = MAX_MANIFEST_BYTES if name in small else MAX_MEMBER_BYTES
            declared = max(info.file_size, info.compress_size)
            if info.file_size != info.compress_size or declared > min(size, cap):
                problem = (
                    f"declares {info.file_size} bytes ({info.compress_size} stored) in a file of "
                    f"{size} bytes (at most {cap} per member)"
                )
        if problem is not None:
            raise ModelFileError(f"{path}: corrupted model file: member {name!r} {problem}")
        seen.add(name)
        total += info.file_size
    if total > size:
        raise ModelFileError(
            f"{path}: corrupted model file: its members declare {total} bytes in all, more than "
            f"the file's {size}"
        )


def check_npy_header(path: str, name: str, member, archive: zipfile.ZipFile):
    """``(dtype, shape)`` of an array member's .npy header, refused (before the array is
    allocated: a header may declare any shape) if it holds objects or declares more data
    than the member holds."""
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(member)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(member)
    else:
        raise ModelFileError(
            f"{path}: corrupted model file: cannot read {name} (.npy version {version})"
        )
    if dtype.hasobject:
        raise ModelFileError(
            f"{path}: corrupted model file: cannot read {name} (object arrays are refused)"
        )
    nbytes = dtype.itemsize * math.prod(shape)
    if nbytes > archive.getinfo(name).file_size:
        raise ModelFileError(
            f"{path}: corrupted model file: {name} declares {nbytes} bytes of data, "
            "more than the member holds"
        )
    return dtype, shape
