using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MlpTools.Core.Data;

/// <summary>
/// Splits delimited text into records and fields (RFC 4180): fields separated by one delimiter character, records
/// ended by LF, CRLF or a lone CR, a field that starts with '"' quoted up to the next '"' that is not doubled (so it
/// may hold delimiters and line breaks, and "" stands for one quote), a '"' anywhere else taken as text.
/// </summary>
/// <remarks>
/// <para>
/// The current record stays whole in one buffer: an unquoted field is a slice of it, and a quoted one is unescaped in
/// place (its text only gets shorter), so nothing is copied per field. Every character is examined once; the buffer
/// doubles when a record needs more than half of it, and a partial record is moved to the buffer's front at most
/// once per refill that at least as many new characters follow, so the cost of a read is linear in the text read,
/// whatever its shape: a row of a million fields costs what a million rows of one field do.
/// </para>
/// <para>
/// <see cref="Work"/> counts the characters examined, so tests can check the growth without a clock. Fields past
/// <see cref="FieldLimit"/> are counted but not kept, so a row far wider than the header costs no memory to refuse.
/// Syntax errors are <see cref="MlpException"/>s naming the source, the line the record starts on and the field.
/// </para>
/// </remarks>
internal sealed class CsvTokenizer
{
    /// <summary>The delimiters recognised when none is given, in order of preference when counts tie.</summary>
    internal static readonly char[] DetectableDelimiters = { ',', '\t', ';', '|' };

    private const int InitialBufferChars = 1 << 16;

    private readonly TextReader _reader;
    private readonly string _source;
    private readonly int _maxRecordChars;
    private readonly bool _vectorized;
    private char[] _buffer;

    /// <summary>Where the current record starts in <see cref="_buffer"/>; kept field positions are relative to it.</summary>
    private int _recordStart;

    /// <summary>The next character to examine.</summary>
    private int _position;

    /// <summary>The end of the characters read into <see cref="_buffer"/>.</summary>
    private int _end;

    private bool _endOfText;

    /// <summary>Kept field k is <see cref="_buffer"/>[_recordStart + _starts[k] ..][.. _lengths[k]].</summary>
    private int[] _starts = new int[64];
    private int[] _lengths = new int[64];
    private int _keptFields;
    private int _nextLine = 1;

    /// <summary>Reads records from <paramref name="reader"/>; <paramref name="source"/> names it in messages.</summary>
    /// <param name="reader">The text.</param>
    /// <param name="source">The file or stream the text comes from, as messages name it.</param>
    /// <param name="delimiter">The delimiter; null detects it from the first line that holds a candidate.</param>
    /// <param name="maxRecordChars">The longest record, in characters, before the text is refused (<c>CsvRecordTooLarge</c>).</param>
    /// <param name="bufferChars">The buffer's starting size (tests make it small so that records cross refills).</param>
    /// <param name="vectorized">Whether unquoted fields are scanned 32 characters at a time where the CPU can (tests compare both paths).</param>
    public CsvTokenizer(TextReader reader, string source, char? delimiter, int maxRecordChars, int bufferChars = InitialBufferChars, bool vectorized = true)
    {
        _buffer = new char[Math.Max(bufferChars, 2)];
        _vectorized = vectorized && Vector128.IsHardwareAccelerated;
        _reader = reader;
        _source = source;
        _maxRecordChars = maxRecordChars;
        Refill(out _);
        Delimiter = delimiter ?? DetectDelimiter();
    }

    /// <summary>The field delimiter, given or detected.</summary>
    public char Delimiter { get; }

    /// <summary>How many fields of a record are kept; the rest are only counted. Default: all of them.</summary>
    public int FieldLimit { get; set; } = int.MaxValue;

    /// <summary>The physical line (1-based) on which the current record starts.</summary>
    public int Line { get; private set; }

    /// <summary>The number of fields of the current record (kept or not).</summary>
    public int FieldCount { get; private set; }

    /// <summary>The characters examined so far: the work done, for tests that check it grows linearly.</summary>
    public long Work { get; private set; }

    /// <summary>True when the current record is one blank line (a single field of white space only).</summary>
    public bool IsBlank => FieldCount == 1 && Field(0).IsWhiteSpace();

    /// <summary>Field <paramref name="index"/> of the current record, unquoted; only kept fields can be read.</summary>
    public ReadOnlySpan<char> Field(int index)
    {
        if ((uint)index >= (uint)_keptFields)
            throw new ArgumentOutOfRangeException(nameof(index), index, "Only the kept fields of the record can be read.");
        return _buffer.AsSpan(_recordStart + _starts[index], _lengths[index]);
    }

    /// <summary>Moves to the next record; false at the end of the text.</summary>
    public bool Read()
    {
        _recordStart = _position;
        if (_position == _end)
        {
            bool more = Refill(out _);
            if (!more) return false;
        }
        Line = _nextLine;
        FieldCount = 0;
        _keptFields = 0;
        char delimiter = Delimiter;
        int i = _position;
        while (true)
        {
            // The start of a field.
            int shift;
            if (i == _end)
            {
                bool more = Refill(out shift);
                i -= shift;
                if (!more)
                {
                    AddField(i, i);
                    return EndRecord(i);
                }
            }
            if (_buffer[i] == '"')
            {
                i = ReadQuoted(i + 1);
                if (i == _end)
                {
                    bool more = Refill(out shift);
                    i -= shift;
                    if (!more) return EndRecord(i);
                }
                char next = _buffer[i];
                if (next == delimiter)
                {
                    i++;
                    continue;
                }
                if (next is not ('\r' or '\n'))
                    throw Refused("CsvInvalidQuote", i,
                        Invariant.Format($"'{_source}', line {Line}, column {FieldCount}: a quoted field is followed by '{next}' instead of a delimiter or the end of the line. Inside quotes, write a quote as \"\"."));
                return EndRecord(TakeLineEnd(i));
            }

            int start = i;
            if (_vectorized)
            {
                i = ScanFields(i, ref start, delimiter);
                if (i == start && i < _end && _buffer[i] == '"') continue;
            }
            while (true)
            {
                char[] buffer = _buffer;
                int end = _end;
                while (i < end)
                {
                    char c = buffer[i];
                    if (c == delimiter || c == '\n' || c == '\r') break;
                    i++;
                }
                if (i < end) break;
                bool more = Refill(out shift);
                i -= shift;
                start -= shift;
                if (!more)
                {
                    AddField(start, i);
                    return EndRecord(i);
                }
            }
            AddField(start, i);
            if (_buffer[i] == delimiter)
            {
                i++;
                continue;
            }
            return EndRecord(TakeLineEnd(i));
        }
    }

    /// <summary>
    /// Skips <paramref name="count"/> physical lines as raw text (quotes mean nothing there), before the first record.
    /// Returns how many were skipped: fewer when the text ends first.
    /// </summary>
    public int SkipLines(int count)
    {
        int skipped = 0;
        while (skipped < count)
        {
            _recordStart = _position;
            if (_position == _end && !Refill(out _)) break;
            int i = _position;
            while (i < _end && _buffer[i] is not ('\r' or '\n')) i++;
            Work += i - _position;
            _position = i;
            if (i == _end)
            {
                // A line longer than the buffer: drop what was read of it and read on.
                _recordStart = _position;
                if (!Refill(out _))
                {
                    skipped++;
                    break;
                }
                continue;
            }
            _recordStart = i;
            _position = TakeLineEnd(i);
            skipped++;
        }
        _recordStart = _position;
        return skipped;
    }

    /// <summary>
    /// The fast path through unquoted fields: 32 characters at a time, keeps every field that a delimiter ends, with
    /// <paramref name="start"/> the start of the field in progress. Returns where the scalar path takes over: at a line
    /// end, at the start of a quoted field (then equal to <paramref name="start"/>), or within the last 32 characters read.
    /// </summary>
    private int ScanFields(int i, ref int start, char delimiter)
    {
        char[] buffer = _buffer;
        ref ushort first = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetArrayDataReference(buffer));
        Vector128<ushort> delimiters = Vector128.Create((ushort)delimiter);
        Vector128<ushort> cr = Vector128.Create((ushort)'\r');
        Vector128<ushort> lf = Vector128.Create((ushort)'\n');
        for (int last = _end - 32; i <= last; i += 32)
        {
            // Four vectors of eight characters: bit k of each mask is character i + k.
            uint delimiterBits = 0, lineEndBits = 0;
            for (int part = 0; part < 4; part++)
            {
                Vector128<ushort> v = Vector128.LoadUnsafe(ref first, (nuint)(i + 8 * part));
                delimiterBits |= Vector128.Equals(v, delimiters).ExtractMostSignificantBits() << (8 * part);
                lineEndBits |= (Vector128.Equals(v, cr) | Vector128.Equals(v, lf)).ExtractMostSignificantBits() << (8 * part);
            }
            int lineEnd = lineEndBits == 0 ? 32 : BitOperations.TrailingZeroCount(lineEndBits);
            if (lineEnd < 32) delimiterBits &= (1u << lineEnd) - 1;
            while (delimiterBits != 0)
            {
                int end = i + BitOperations.TrailingZeroCount(delimiterBits);
                AddField(start, end);
                start = end + 1;
                if (start < _end && buffer[start] == '"') return start;
                delimiterBits &= delimiterBits - 1;
            }
            if (lineEnd < 32) return i + lineEnd;
        }
        return i;
    }

    /// <summary>
    /// Reads the inside of a quoted field from <paramref name="i"/> (just past the opening quote) up to and including its
    /// closing quote, unescaping "" in place and counting line breaks (CRLF once, a lone CR or LF once each), and keeps it.
    /// Returns the position after the closing quote.
    /// </summary>
    private int ReadQuoted(int i)
    {
        int text = i, write = i, lines = 0;
        bool afterCr = false;
        while (true)
        {
            if (i == _end)
            {
                bool more = Refill(out int shift);
                i -= shift;
                text -= shift;
                write -= shift;
                if (!more)
                    throw Refused("CsvUnterminatedQuote", i,
                        Invariant.Format($"'{_source}', line {Line}, column {FieldCount + 1}: a quoted field is never closed; the file ends inside it. Add the closing '\"'."));
            }
            char c = _buffer[i];
            if (c == '"')
            {
                if (i + 1 == _end)
                {
                    bool more = Refill(out int shift);
                    i -= shift;
                    text -= shift;
                    write -= shift;
                    if (!more) break;
                }
                if (_buffer[i + 1] != '"') break;
                // A doubled quote is one quote of text.
                _buffer[write++] = '"';
                i += 2;
                afterCr = false;
                continue;
            }
            if (c == '\r') lines++;
            else if (c == '\n' && !afterCr) lines++;
            afterCr = c == '\r';
            _buffer[write++] = c;
            i++;
        }
        _nextLine += lines;
        AddField(text, write);
        return i + 1;
    }

    /// <summary>Takes the CR, LF or CRLF at <paramref name="i"/>; returns the position after it.</summary>
    private int TakeLineEnd(int i)
    {
        _nextLine++;
        if (_buffer[i++] != '\r') return i;
        if (i == _end)
        {
            bool more = Refill(out int shift);
            i -= shift;
            if (!more) return i;
        }
        return _buffer[i] == '\n' ? i + 1 : i;
    }

    private void AddField(int start, int end)
    {
        if (FieldCount++ >= FieldLimit) return;
        if (_keptFields == _starts.Length)
        {
            Array.Resize(ref _starts, _starts.Length * 2);
            Array.Resize(ref _lengths, _lengths.Length * 2);
        }
        _starts[_keptFields] = start - _recordStart;
        _lengths[_keptFields++] = end - start;
    }

    /// <summary>Ends the record at <paramref name="i"/> (past its line end): counts its characters and checks its length.</summary>
    private bool EndRecord(int i)
    {
        _position = i;
        Work += i - _recordStart;
        if (i - _recordStart > _maxRecordChars) throw TooLarge(i);
        return true;
    }

    private MlpException Refused(string errorId, int i, string message)
    {
        Work += i - _recordStart;
        return new MlpException(errorId, MlpErrorKind.InvalidData, message, _source);
    }

    private MlpException TooLarge(int i) => Refused("CsvRecordTooLarge", i,
        Invariant.Format($"'{_source}', line {Line}: the record is longer than {_maxRecordChars:N0} characters. Most likely a quote opened here is never closed."));

    /// <summary>
    /// Reads more text after <see cref="_end"/>, keeping the current record: moves it to the front of the buffer first
    /// (by <paramref name="shift"/> characters, which the caller subtracts from its positions), and doubles the buffer
    /// when the record fills more than half of it. False when the text has ended.
    /// </summary>
    private bool Refill(out int shift)
    {
        shift = 0;
        if (_endOfText) return false;
        int keep = _end - _recordStart;
        if (keep > _maxRecordChars) throw TooLarge(_end);
        if (_recordStart > 0)
        {
            shift = _recordStart;
            Array.Copy(_buffer, _recordStart, _buffer, 0, keep);
            _recordStart = 0;
            _position -= shift;
            _end = keep;
        }
        if (_buffer.Length - keep < _buffer.Length / 2) Array.Resize(ref _buffer, _buffer.Length * 2);
        int got = _reader.Read(_buffer, _end, _buffer.Length - _end);
        if (got == 0)
        {
            _endOfText = true;
            return false;
        }
        _end += got;
        return true;
    }

    /// <summary>
    /// The candidate delimiter seen most often on the first line of the buffer that holds any (ties go to the earlier
    /// candidate in <see cref="DetectableDelimiters"/>); a comma when no line of the first buffer holds one.
    /// </summary>
    private char DetectDelimiter()
    {
        Span<int> counts = stackalloc int[DetectableDelimiters.Length];
        foreach (char c in _buffer.AsSpan(0, _end))
        {
            if (c is '\r' or '\n')
            {
                bool any = false;
                foreach (int n in counts) any |= n > 0;
                if (any) break;
                continue;
            }
            int k = Array.IndexOf(DetectableDelimiters, c);
            if (k >= 0) counts[k]++;
        }
        int best = 0;
        for (int k = 1; k < counts.Length; k++)
            if (counts[k] > counts[best]) best = k;
        return DetectableDelimiters[best];
    }

    /// <inheritdoc />
    public override string ToString() => Invariant.Format($"{_source} line {Line}: {FieldCount} fields");
}
