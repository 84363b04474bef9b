using System.Buffers;
using System.Globalization;

namespace MlpTools.Core.Data;

/// <summary>
/// Splits delimited text into records and fields (RFC 4180): fields separated by one delimiter character, records
/// ended by LF, CRLF or a lone CR, a field that starts with '"' quoted up to the next '"' that is not doubled (so it
/// may hold delimiters and line breaks, and "" stands for one quote), a '"' anywhere else taken as text.
/// </summary>
/// <remarks>
/// Every character is examined once and every buffer grows by doubling, so the cost of a read is linear in the text
/// read, whatever its shape: a row of a million fields costs what a million rows of one field do.
/// <see cref="Work"/> counts the characters examined, so tests can check that without a clock. Fields past
/// <see cref="FieldLimit"/> are counted but not kept, so a row far wider than the header costs no memory to refuse.
/// Syntax errors are <see cref="MlpException"/>s naming the source, the line the record starts on and the field.
/// </remarks>
internal sealed class CsvTokenizer
{
    /// <summary>The delimiters recognised when none is given, in order of preference when counts tie.</summary>
    internal static readonly char[] DetectableDelimiters = { ',', '\t', ';', '|' };

    private const int BufferChars = 1 << 16;

    private readonly TextReader _reader;
    private readonly string _source;
    private readonly int _maxRecordChars;
    private readonly SearchValues<char> _unquotedStops;
    private readonly char[] _buffer = new char[BufferChars];
    private int _position;
    private int _end;
    private bool _endOfText;

    /// <summary>The decoded characters of the kept fields of the current record, one after another.</summary>
    private char[] _record = new char[256];
    private int _recordLength;

    /// <summary>Where kept field k ends in <see cref="_record"/> (it starts where field k-1 ends).</summary>
    private int[] _fieldEnds = new int[64];
    private int _keptFields;

    /// <summary>The characters of the current record so far, raw (quotes and line breaks included).</summary>
    private long _recordChars;
    private int _nextLine = 1;

    /// <summary>Whether the last character of quoted text counted was a CR.</summary>
    private bool _afterCr;

    /// <summary>Reads records from <paramref name="reader"/>; <paramref name="source"/> names it in messages.</summary>
    /// <param name="reader">The text.</param>
    /// <param name="source">The file or stream the text comes from, as messages name it.</param>
    /// <param name="delimiter">The delimiter; null detects it from the first line that holds a candidate.</param>
    /// <param name="maxRecordChars">The longest record, in characters, before the text is refused (<c>CsvRecordTooLarge</c>).</param>
    public CsvTokenizer(TextReader reader, string source, char? delimiter, int maxRecordChars)
    {
        _reader = reader;
        _source = source;
        _maxRecordChars = maxRecordChars;
        Fill();
        Delimiter = delimiter ?? DetectDelimiter();
        _unquotedStops = SearchValues.Create(new[] { Delimiter, '\r', '\n' });
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
        int start = index == 0 ? 0 : _fieldEnds[index - 1];
        return _record.AsSpan(start, _fieldEnds[index] - start);
    }

    /// <summary>Moves to the next record; false at the end of the text.</summary>
    public bool Read()
    {
        if (_position == _end && !Fill()) return false;
        Line = _nextLine;
        _recordLength = 0;
        _keptFields = 0;
        _recordChars = 0;
        FieldCount = 0;
        while (ReadField())
        {
        }
        return true;
    }

    /// <summary>Reads one field; true when a delimiter ended it (another field follows), false at the end of the record.</summary>
    private bool ReadField()
    {
        bool keep = FieldCount < FieldLimit;
        FieldCount++;
        if (_position == _end && !Fill()) return EndField(keep, recordEnds: true);
        if (_buffer[_position] == '"')
        {
            Take(1);
            ReadQuoted(keep);
            if (_position == _end && !Fill()) return EndField(keep, recordEnds: true);
            char next = _buffer[_position];
            if (next == Delimiter)
            {
                Take(1);
                return EndField(keep, recordEnds: false);
            }
            if (next is '\r' or '\n')
            {
                TakeLineEnd();
                return EndField(keep, recordEnds: true);
            }
            throw new MlpException("CsvInvalidQuote", MlpErrorKind.InvalidData,
                DataFile.Format($"'{_source}', line {Line}, column {FieldCount}: a quoted field is followed by '{next}' instead of a delimiter or the end of the line. Inside quotes, write a quote as \"\"."), _source);
        }
        while (true)
        {
            ReadOnlySpan<char> rest = _buffer.AsSpan(_position, _end - _position);
            int stop = rest.IndexOfAny(_unquotedStops);
            if (stop < 0)
            {
                Append(rest, keep);
                Take(rest.Length);
                if (!Fill()) return EndField(keep, recordEnds: true);
                continue;
            }
            Append(rest[..stop], keep);
            Take(stop);
            if (_buffer[_position] == Delimiter)
            {
                Take(1);
                return EndField(keep, recordEnds: false);
            }
            TakeLineEnd();
            return EndField(keep, recordEnds: true);
        }
    }

    /// <summary>Reads the inside of a quoted field, the opening quote already taken, up to and including its closing quote.</summary>
    private void ReadQuoted(bool keep)
    {
        _afterCr = false;
        while (true)
        {
            if (_position == _end && !Fill())
                throw new MlpException("CsvUnterminatedQuote", MlpErrorKind.InvalidData,
                    DataFile.Format($"'{_source}', line {Line}, column {FieldCount}: a quoted field is never closed; the file ends inside it. Add the closing '\"'."), _source);
            ReadOnlySpan<char> rest = _buffer.AsSpan(_position, _end - _position);
            int quote = rest.IndexOf('"');
            ReadOnlySpan<char> text = quote < 0 ? rest : rest[..quote];
            Append(text, keep);
            CountLineBreaks(text);
            Take(text.Length);
            if (quote < 0) continue;
            Take(1);
            // A doubled quote is one quote of text; a single one closes the field.
            if (_position == _end && !Fill()) return;
            if (_buffer[_position] != '"') return;
            _afterCr = false;
            Append("\"", keep);
            Take(1);
        }
    }

    /// <summary>
    /// Counts the line breaks in a piece of a quoted field (CRLF once, a lone CR or LF once each), so lines stay
    /// physical. A field can arrive in several pieces: <see cref="_afterCr"/> carries a CR at the end of one piece
    /// over to an LF at the start of the next.
    /// </summary>
    private void CountLineBreaks(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty) return;
        // Every CR is a break, and every LF that does not follow a CR.
        int n = text.Count('\r') + text.Count('\n');
        if (_afterCr && text[0] == '\n') n--;
        for (int i = text.IndexOf('\r'); i >= 0 && i + 1 < text.Length;)
        {
            if (text[i + 1] == '\n') n--;
            int next = text[(i + 1)..].IndexOf('\r');
            i = next < 0 ? -1 : i + 1 + next;
        }
        _afterCr = text[^1] == '\r';
        _nextLine += n;
    }

    /// <summary>Takes a CR, LF or CRLF at the current position.</summary>
    private void TakeLineEnd()
    {
        char c = _buffer[_position];
        Take(1);
        if (c == '\r' && (_position < _end || Fill()) && _buffer[_position] == '\n') Take(1);
        _nextLine++;
    }

    private bool EndField(bool keep, bool recordEnds)
    {
        if (keep)
        {
            if (_keptFields == _fieldEnds.Length) Array.Resize(ref _fieldEnds, _fieldEnds.Length * 2);
            _fieldEnds[_keptFields++] = _recordLength;
        }
        return !recordEnds;
    }

    private void Append(ReadOnlySpan<char> text, bool keep)
    {
        if (!keep || text.IsEmpty) return;
        if (_recordLength + text.Length > _record.Length)
        {
            int size = _record.Length;
            while (size < _recordLength + text.Length) size *= 2;
            Array.Resize(ref _record, size);
        }
        text.CopyTo(_record.AsSpan(_recordLength));
        _recordLength += text.Length;
    }

    /// <summary>Consumes <paramref name="count"/> characters of the buffer as part of the current record.</summary>
    private void Take(int count)
    {
        _position += count;
        _recordChars += count;
        Work += count;
        if (_recordChars > _maxRecordChars)
            throw new MlpException("CsvRecordTooLarge", MlpErrorKind.InvalidData,
                DataFile.Format($"'{_source}', line {Line}: the record is longer than {_maxRecordChars:N0} characters. Most likely a quote opened here is never closed."), _source);
    }

    /// <summary>Refills the buffer once it is used up; false when the text has ended.</summary>
    private bool Fill()
    {
        if (_position < _end) return true;
        if (_endOfText) return false;
        _position = 0;
        _end = _reader.Read(_buffer, 0, _buffer.Length);
        if (_end == 0) _endOfText = true;
        return _end > 0;
    }

    /// <summary>
    /// The candidate delimiter seen most often on the first line of the buffer that holds any (ties go to the earlier
    /// candidate in <see cref="DetectableDelimiters"/>); a comma when no line of the first buffer holds one.
    /// </summary>
    private char DetectDelimiter()
    {
        Span<int> counts = stackalloc int[DetectableDelimiters.Length];
        ReadOnlySpan<char> text = _buffer.AsSpan(_position, _end - _position);
        foreach (char c in text)
        {
            Work++;
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
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{_source} line {Line}: {FieldCount} fields");
}
