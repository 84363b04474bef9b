#!/usr/bin/env python3
"""Writes the malformed-file corpus for the IDX and CSV readers' tests.

Run from anywhere with `python3 make_corpus.py`; it rewrites idx/ and csv/ beside this script and their
cases.tsv manifests (one line per case: the files, the reader options, the ErrorId expected, what is wrong).
Every file is small except idx/bomb-1gb.gz (about 1 MB: deflate cannot pack 1 GB into less).
The output is deterministic (gzip headers carry no time stamp or name), so re-running it changes nothing.
"""
import gzip
import io
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
IDX = os.path.join(HERE, "idx")
CSV = os.path.join(HERE, "csv")

UBYTE, SBYTE, INT16, INT32, FLOAT32, FLOAT64 = 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E
FMT = {UBYTE: "B", SBYTE: "b", INT16: "h", INT32: "i", FLOAT32: "f", FLOAT64: "d"}


def gz(data, level=9):
    """gzip with mtime 0 and no file name, so the bytes never change."""
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=level, mtime=0, filename="") as f:
        f.write(data)
    return buf.getvalue()


def header(dtype, dims):
    return bytes([0, 0, dtype, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)


def idx(dtype, dims, values):
    return header(dtype, dims) + struct.pack(">" + FMT[dtype] * len(values), *values)


def write(folder, name, data):
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def make_idx():
    os.makedirs(IDX, exist_ok=True)
    cases = []  # (images, labels, error id, what)
    ok_images = idx(UBYTE, [4, 2, 3], list(range(24)))
    ok_labels = idx(UBYTE, [4], [0, 1, 2, 1])
    write(IDX, "ok-images.idx", ok_images)
    write(IDX, "ok-labels.idx", ok_labels)
    write(IDX, "ok-images.idx.gz", gz(ok_images))
    write(IDX, "ok-labels.idx.gz", gz(ok_labels))

    def images(name, data, error, what):
        write(IDX, name, data)
        cases.append((name, "ok-labels.idx", error, what))

    def labels(name, data, error, what):
        write(IDX, name, data)
        cases.append(("ok-images.idx", name, error, what))

    images("empty.idx", b"", "IdxEmptyFile", "zero bytes")
    images("empty.gz", gz(b""), "IdxEmptyFile", "a gzip file that decompresses to nothing")
    images("magic-cut.idx", b"\x00\x00", "IdxTruncatedHeader", "two bytes of the magic number")
    images("magic-cut.gz", gz(b"\x00\x00\x08"), "IdxTruncatedHeader", "three bytes of the magic number, gzipped")
    images("zip-file.idx", b"PK\x03\x04" + bytes(40), "IdxBadMagic", "a zip archive, not IDX")
    images("text-file.idx", b"hello, this is not an IDX file\n", "IdxBadMagic", "a text file")
    images("png-file.idx", b"\x89PNG\r\n\x1a\n" + bytes(16), "IdxBadMagic", "a PNG image")
    images("unknown-type-07.idx", header(0x07, [4, 2, 3]) + bytes(24), "IdxUnknownType", "element type 0x07")
    images("unknown-type-0A.idx", header(0x0A, [4, 2, 3]) + bytes(24), "IdxUnknownType", "element type 0x0A (between sbyte and int16)")
    images("unknown-type-FF.gz", gz(header(0xFF, [4, 2, 3]) + bytes(24)), "IdxUnknownType", "element type 0xFF, gzipped")
    images("zero-dims.idx", bytes([0, 0, UBYTE, 0]) + bytes(24), "IdxNoDimensions", "a dimension count of 0")
    images("dims-cut.idx", bytes([0, 0, UBYTE, 3]) + struct.pack(">I", 4) + b"\x00\x00", "IdxTruncatedHeader", "three dimensions declared, six bytes of them present")
    images("dims-cut.gz", gz(bytes([0, 0, UBYTE, 3]) + struct.pack(">I", 4)), "IdxTruncatedHeader", "three dimensions declared, one present, gzipped")
    images("rank-255-cut.idx", bytes([0, 0, UBYTE, 255]) + bytes(40), "IdxTruncatedHeader", "255 dimensions declared, 10 present")
    images("zero-samples.idx", header(UBYTE, [0, 2, 3]), "IdxNoSamples", "a sample count of 0")
    images("zero-width.idx", header(UBYTE, [4, 2, 0]), "IdxEmptyDimension", "a sample dimension of 0")
    images("overflow-int64.idx", header(UBYTE, [0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF]), "IdxSizeOverflow", "dimensions whose product overflows int64")
    images("overflow-int64-rank255.idx", header(UBYTE, [2] * 255), "IdxSizeOverflow", "2^255 elements")
    images("overflow-int64-bytes.idx", header(FLOAT64, [0x80000000, 0x80000000, 4]), "IdxSizeOverflow", "2^64 elements of 8 bytes")
    images("overflow-int32.idx", header(UBYTE, [65536, 65536]) + bytes(64), "IdxTooLarge", "2^32 elements: fits int64, not an array")
    images("overflow-int32-float.idx", header(FLOAT32, [4, 0x20000000]) + bytes(64), "IdxTooLarge", "2^31 floats: above the cap")
    images("huge-claim.gz", gz(header(UBYTE, [1000000, 28, 28])), "IdxTruncated", "a 40-byte gzip claiming 784 MB: refused before allocating")
    images("huge-claim.idx", header(UBYTE, [1000000, 28, 28]) + bytes(100), "IdxTruncated", "a 116-byte file claiming 784 MB")
    images("header-only.idx", header(UBYTE, [4, 2, 3]), "IdxHeaderOnly", "the header and no elements")
    images("header-only.gz", gz(header(UBYTE, [4, 2, 3])), "IdxHeaderOnly", "the header and no elements, gzipped")
    images("short-by-one.idx", ok_images[:-1], "IdxTruncated", "one byte short")
    images("short-by-one.gz", gz(ok_images[:-1]), "IdxTruncated", "one byte short, gzipped")
    images("long-by-one.idx", ok_images + b"\x00", "IdxTrailingData", "one byte too many")
    images("long-by-one.gz", gz(ok_images + b"\x00"), "IdxTrailingData", "one byte too many, gzipped")
    # A decompression bomb: a small header and 1 GB of zeros after it, about 1 MB compressed.
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [bomb.compress(header(UBYTE, [4, 2, 3]) + bytes(24))]
    block = bytes(1 << 20)
    for _ in range(1024):
        parts.append(bomb.compress(block))
    parts.append(bomb.flush())
    images("bomb-1gb.gz", b"".join(parts), "IdxTrailingData", "claims 24 bytes, inflates to 1 GB")
    good = gz(ok_images)
    images("gzip-cut.gz", good[: len(good) // 2], "IdxTruncated", "the compressed stream cut in half")
    corrupt = bytearray(good)
    corrupt[10] |= 0x06  # the first deflate block's type bits set to 11, which deflate reserves
    images("gzip-corrupt.gz", bytes(corrupt), "IdxCorruptGzip", "a deflate block of the reserved type 11")
    bad_crc = bytearray(good)
    bad_crc[-8] ^= 0xFF
    images("gzip-bad-crc.gz", bytes(bad_crc), "IdxCorruptGzip", "a wrong CRC-32 in the gzip trailer")
    images("gzip-garbage.gz", b"\x1f\x8b" + b"not really gzip at all" * 3, "IdxCorruptGzip", "the gzip magic, then garbage")
    images("nan-float32.idx", idx(FLOAT32, [4, 2, 3], [0.5] * 10 + [float("nan")] + [0.5] * 13), "IdxNonFiniteValue", "a NaN at sample 1, feature 4")
    images("inf-float64.idx", idx(FLOAT64, [4, 2, 3], [0.5] * 23 + [float("inf")]), "IdxNonFiniteValue", "+infinity in the last element")
    images("neginf-float32.gz", gz(idx(FLOAT32, [4, 2, 3], [float("-inf")] + [0.0] * 23)), "IdxNonFiniteValue", "-infinity first, gzipped")

    labels("labels-float.idx", idx(FLOAT32, [4], [0.0, 1.0, 2.0, 1.0]), "IdxLabelType", "float labels")
    labels("labels-2d.idx", idx(UBYTE, [4, 2], [0, 1, 2, 1, 0, 1, 2, 1]), "IdxLabelShape", "two labels per sample")
    labels("labels-five.idx", idx(UBYTE, [5], [0, 1, 2, 1, 0]), "IdxCountMismatch", "5 labels for 4 images")
    labels("labels-three.gz", gz(idx(UBYTE, [3], [0, 1, 2])), "IdxCountMismatch", "3 labels for 4 images, gzipped")
    labels("labels-negative-sbyte.idx", idx(SBYTE, [4], [0, 1, -1, 1]), "IdxNegativeLabel", "a label of -1")
    labels("labels-negative-int16.idx", idx(INT16, [4], [0, -300, 2, 1]), "IdxNegativeLabel", "a label of -300")
    labels("labels-huge-int32.idx", idx(INT32, [4], [0, 1, 2000000000, 1]), "IdxTooManyClasses", "a label of 2,000,000,000")
    labels("labels-empty.idx", b"", "IdxEmptyFile", "an empty labels file")
    labels("labels-short.idx", ok_labels[:-1], "IdxTruncated", "labels one byte short")
    labels("labels-long.gz", gz(ok_labels + b"\x07"), "IdxTrailingData", "a fifth label byte, gzipped")
    write(IDX, "swapped-labels.idx", ok_images)
    cases.append(("ok-images.idx", "swapped-labels.idx", "IdxLabelShape", "an images file given as the labels"))

    with open(os.path.join(IDX, "cases.tsv"), "w", newline="\n") as f:
        f.write("images\tlabels\terror\twhat\n")
        for c in cases:
            f.write("\t".join(c) + "\n")
    return len(cases)


def make_csv():
    os.makedirs(CSV, exist_ok=True)
    cases = []  # (file, options, error id, what)

    def case(name, content, error, what, options="-"):
        write(CSV, name, content if isinstance(content, bytes) else content.encode("utf-8"))
        cases.append((name, options, error, what))

    ok = "a,b,label\n1.5,2,x\n3,4.25,y\n"
    case("empty.csv", b"", "CsvEmptyFile", "zero bytes")
    case("bom-only.csv", b"\xef\xbb\xbf", "CsvEmptyFile", "a byte-order mark and nothing else")
    case("blank-lines.csv", "\n\r\n  \n", "CsvEmptyFile", "blank lines only")
    case("header-only.csv", "a,b,label\n", "CsvHeaderOnly", "a header and no rows")
    case("header-only-bom-crlf.csv", b"\xef\xbb\xbfa,b,label\r\n", "CsvHeaderOnly", "a header with BOM and CRLF, no rows")
    case("header-only-blank-after.csv", "a,b,label\n\n\n", "CsvHeaderOnly", "a header then blank lines")
    case("header-only-stated.csv", "1,2,3\n", "CsvHeaderOnly", "one row, declared a header", "header=Present")
    case("ragged-short.csv", ok + "5,x\n", "CsvRaggedRow", "a row with 2 of 3 fields (line 4)")
    case("ragged-long.csv", ok + "5,6,7,x\n", "CsvRaggedRow", "a row with 4 of 3 fields")
    case("ragged-no-header.csv", "1,2,0\n3,4,1\n5,6\n", "CsvRaggedRow", "a short row in a file without header")
    case("ragged.csv.gz", gz((ok + "1,2,3,4,5\n").encode()), "CsvRaggedRow", "a long row, gzipped")
    case("unterminated-quote.csv", ok + '5,6,"z\n', "CsvUnterminatedQuote", "a quote opened in the last row, never closed")
    case("unterminated-quote-early.csv", 'a,b,label\n"1,2,x\n' + "3,4,y\n" * 2000, "CsvUnterminatedQuote", "a quote opened on line 2 that swallows the rest")
    case("quote-then-garbage.csv", ok + '"5"x,6,z\n', "CsvInvalidQuote", "text after a closing quote")
    case("missing-value.csv", ok + "5,,z\n", "CsvMissingValue", "an empty feature field")
    case("missing-value-na.csv", ok + "NA,6,z\n", "CsvMissingValue", "NA as a feature")
    case("missing-value-quoted.csv", ok + '5,"",z\n', "CsvMissingValue", "an empty quoted feature")
    case("missing-value-spaces.tsv", "a\tb\tlabel\n1\t2\tx\n  \t2\ty\n", "CsvMissingValue", "a feature of spaces only")
    case("nan.csv", ok + "NaN,6,z\n", "CsvNonFiniteValue", "NaN")
    case("infinity.csv", ok + "5,-Infinity,z\n", "CsvNonFiniteValue", "-Infinity")
    case("overflow-1e400.csv", ok + "1e400,6,z\n", "CsvNonFiniteValue", "1e400, beyond double")
    case("comma-decimal.tsv", "a\tb\tlabel\n1,5\t2,5\tx\n", "CsvInvalidNumber", "decimal commas in a TSV")
    case("text-in-number.csv", ok + "five,6,z\n", "CsvInvalidNumber", "a word where a number belongs (row 4, so the header is still detected)")
    case("thousands-separator.csv", ok + '"1,000",6,z\n', "CsvInvalidNumber", "a thousands separator")
    case("hex-number.csv", ok + "0x1F,6,z\n", "CsvInvalidNumber", "a hexadecimal number")
    case("missing-label.csv", ok + "5,6,\n", "CsvMissingLabel", "an empty label")
    case("missing-label-quoted.csv", ok + '5,6,"  "\n', "CsvMissingLabel", "a label of spaces")
    case("label-name-not-found.csv", ok, "CsvLabelColumnNotFound", "the label named species is not there", "label=species")
    case("label-index-out-of-range.csv", ok, "CsvLabelColumnNotFound", "label index 7 of 3 columns", "label=7")
    case("label-name-without-header.csv", "1,2,0\n3,4,1\n", "CsvLabelColumnNotFound", "a label name with NoHeader", "label=species header=Absent")
    case("feature-not-found.csv", ok, "CsvFeatureColumnNotFound", "a feature named c", "features=a,c")
    case("feature-index-out-of-range.csv", ok, "CsvFeatureColumnNotFound", "feature index 3 of 3 columns", "features=0,3")
    case("label-among-features.csv", ok, "CsvLabelAmongFeatures", "the label also listed as a feature", "features=a,label")
    case("duplicate-feature.csv", ok, "CsvDuplicateFeatureColumn", "a feature listed twice", "features=a,0")
    case("ambiguous-column.csv", "a,a,label\n1,2,x\n", "CsvAmbiguousColumn", "two columns named a", "features=a")
    case("one-column.csv", "1\n2\n3\n", "CsvTooFewColumns", "one column")
    case("semicolons.csv", "a;b;label\n1;2;x\n", "CsvTooFewColumns", "semicolon-separated in a .csv (a hint names the delimiter)")
    case("invalid-utf8.csv", b"a,b,label\n1,2,\xff\xfe\n", "CsvInvalidEncoding", "bytes that are not UTF-8")
    case("latin1.csv", "a,b,label\n1,2,caf\u00e9\n".encode("latin-1"), "CsvInvalidEncoding", "Latin-1, not UTF-8")
    case("png-file.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "DataFileWrongKind", "a PNG image")
    case("model-file.csv", struct.pack("<Q", 24) + b'{"__metadata__":{}}     ', "DataFileWrongKind", "a model file (safetensors)")
    case("xlsx-file.csv", b"PK\x03\x04\x14\x00\x06\x00" + bytes(30), "DataFileWrongKind", "a ZIP archive (a spreadsheet)")
    case("too-many-classes.csv", "a,label\n1,0\n2,250000\n", "CsvTooManyClasses", "an integer label of 250,000")
    case("corrupt.csv.gz", b"\x1f\x8b\x08\x00" + b"garbage" * 10, "CsvCorruptGzip", "the gzip magic, then garbage")

    with open(os.path.join(CSV, "cases.tsv"), "w", newline="\n") as f:
        f.write("file\toptions\terror\twhat\n")
        for c in cases:
            f.write("\t".join(c) + "\n")
    return len(cases)


if __name__ == "__main__":
    print(f"{make_idx()} IDX cases, {make_csv()} CSV cases")
