#!/usr/bin/env python3
"""Gives a HEIF file's primary image an 'irot' property, as an iPhone does for a photo taken upright.

heif-enc (libheif 1.15) writes no rotation, so this adds the box itself: an 'irot' in ipco, its association with the
primary item in ipma, and the iloc offsets moved by the bytes added before the data.

usage: heif-rotate.py IN OUT QUARTER_TURNS_ANTICLOCKWISE
"""
import struct
import sys


def boxes(data, start, end):
    """(type, offset, size, header size) of each box in data[start:end]."""
    offset = start
    while offset < end:
        size, kind = struct.unpack_from(">I4s", data, offset)
        if size < 8:
            raise ValueError(f"box {kind!r} at {offset}: sizes 0 and 1 are not used by heif-enc")
        yield kind, offset, size
        offset += size


def child(data, parent_start, parent_end, kind):
    return next((o, s) for k, o, s in boxes(data, parent_start, parent_end) if k == kind)


def with_size(kind, payload):
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def ipma_with(payload, item_id, property_index):
    """ipma's payload (after its size and type) with one more essential association for item_id."""
    version, flags = payload[0], int.from_bytes(payload[1:4], "big")
    count = struct.unpack_from(">I", payload, 4)[0]
    id_format, assoc_size = (">I", 4) if version >= 1 else (">H", 2), (2 if flags & 1 else 1)
    out, offset = bytearray(payload[:8]), 8
    for _ in range(count):
        entry_id = struct.unpack_from(id_format[0], payload, offset)[0]
        n = payload[offset + id_format[1]]
        associations = payload[offset + id_format[1] + 1: offset + id_format[1] + 1 + n * assoc_size]
        offset += id_format[1] + 1 + n * assoc_size
        if entry_id == item_id:
            n += 1
            extra = 0x8000 | property_index if assoc_size == 2 else 0x80 | property_index
            associations += extra.to_bytes(assoc_size, "big")
        out += struct.pack(id_format[0], entry_id) + bytes([n]) + associations
    return bytes(out)


def iloc_moved(payload, delta):
    """iloc's payload with every file offset (construction method 0) moved by delta."""
    version = payload[0]
    sizes = payload[4], payload[5]
    offset_size, length_size, base_size = sizes[0] >> 4, sizes[0] & 15, sizes[1] >> 4
    index_size = sizes[1] & 15 if version in (1, 2) else 0
    out, pos = bytearray(payload), 6
    count_size = 4 if version == 2 else 2
    count = int.from_bytes(payload[pos:pos + count_size], "big")
    pos += count_size
    for _ in range(count):
        pos += 4 if version == 2 else 2  # item_ID
        method = 0
        if version in (1, 2):
            method = int.from_bytes(payload[pos:pos + 2], "big") & 15
            pos += 2
        pos += 2  # data_reference_index
        base = int.from_bytes(payload[pos:pos + base_size], "big") if base_size else 0
        if method == 0 and base_size:
            out[pos:pos + base_size] = (base + delta).to_bytes(base_size, "big")
        pos += base_size
        extents = int.from_bytes(payload[pos:pos + 2], "big")
        pos += 2
        for _ in range(extents):
            pos += index_size
            if method == 0 and not base_size and offset_size:
                value = int.from_bytes(payload[pos:pos + offset_size], "big")
                out[pos:pos + offset_size] = (value + delta).to_bytes(offset_size, "big")
            pos += offset_size + length_size
    return bytes(out)


def main(source, target, quarter_turns):
    data = open(source, "rb").read()
    meta_start, meta_size = child(data, 0, len(data), b"meta")
    meta_end = meta_start + meta_size
    inner = meta_start + 12  # meta is a full box
    pitm, _ = child(data, inner, meta_end, b"pitm")
    version = data[pitm + 8]
    primary = struct.unpack_from(">I" if version else ">H", data, pitm + 12)[0]

    rebuilt = bytearray()
    for kind, offset, size in boxes(data, inner, meta_end):
        if kind == b"iprp":
            ipco_start, ipco_size = child(data, offset + 8, offset + size, b"ipco")
            existing = sum(1 for _ in boxes(data, ipco_start + 8, ipco_start + ipco_size))
            irot = with_size(b"irot", bytes([quarter_turns & 3]))
            parts = b""
            for k, o, s in boxes(data, offset + 8, offset + size):
                if k == b"ipco":
                    parts += with_size(b"ipco", data[o + 8:o + s] + irot)
                elif k == b"ipma":
                    parts += with_size(b"ipma", ipma_with(data[o + 8:o + s], primary, existing + 1))
                else:
                    parts += data[o:o + s]
            rebuilt += with_size(b"iprp", parts)
        else:
            rebuilt += data[offset:offset + size]

    delta = len(rebuilt) + 12 - meta_size
    final = bytearray()
    for kind, offset, size in boxes(bytes(rebuilt), 0, len(rebuilt)):
        box = bytes(rebuilt[offset:offset + size])
        final += with_size(b"iloc", iloc_moved(box[8:], delta)) if kind == b"iloc" else box
    meta = with_size(b"meta", data[meta_start + 8:meta_start + 12] + bytes(final))
    open(target, "wb").write(data[:meta_start] + meta + data[meta_end:])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
