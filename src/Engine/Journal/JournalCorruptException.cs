namespace Wallet.Engine.Journal;

/// <summary>Bytes on disk that are not a valid journal: names the file, the byte offset and, when known, the index.</summary>
public sealed class JournalCorruptException : Exception
{
    public JournalCorruptException()
        : this(string.Empty, -1, null, "journal corrupt")
    {
    }

    public JournalCorruptException(string message)
        : this(string.Empty, -1, null, message)
    {
    }

    public JournalCorruptException(string message, Exception innerException)
        : base(message, innerException)
    {
        FilePath = string.Empty;
        Offset = -1;
        Reason = message;
    }

    public JournalCorruptException(string filePath, long offset, long? index, string reason)
        : base(FormatMessage(filePath, offset, index, reason))
    {
        FilePath = filePath;
        Offset = offset;
        Index = index;
        Reason = reason;
    }

    public string FilePath { get; }

    /// <summary>Byte offset inside <see cref="FilePath"/> of the first bad byte or bad record.</summary>
    public long Offset { get; }

    /// <summary>The index the bad record should have had, when known.</summary>
    public long? Index { get; }

    public string Reason { get; }

    private static string FormatMessage(string filePath, long offset, long? index, string reason)
    {
        string indexText = index.HasValue ? index.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : "unknown";
        return $"Journal corrupt: {reason} (file '{filePath}', offset {offset}, index {indexText}).";
    }
}
