using RocksDbSharp;

namespace Wallet.Engine.ReadModel;

/// <summary>
/// The SST files of one batch on the ingest path: up to <see cref="MaxFiles"/> files with disjoint, ascending key
/// ranges, written one after the other (<see cref="Begin"/>, puts through <see cref="Writer"/>, <see cref="End"/>)
/// into fixed paths of the ingest folder, then ingested together. Paths and the path array are made once; nothing is
/// allocated per batch. One thread.
/// </summary>
internal sealed class SstFileSet
{
    /// <summary>Key ranges of a batch: [A C E], [H], [R], [S], [T], [U].</summary>
    public const int MaxFiles = 6;

    private readonly EnvOptions _env = new();
    private readonly DbOptions _tableOptions;
    private readonly DbOptions _plainTableOptions;
    private readonly string[] _paths = new string[MaxFiles];
    private IntPtr _writer;

    public SstFileSet(string directory)
    {
        Directory.CreateDirectory(directory);
        for (int i = 0; i < MaxFiles; i++) _paths[i] = Path.Combine(directory, "batch-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".sst");
        // Same table format and compression as the database's own flushes and compactions (or none: Begin).
        _tableOptions = ReadModelStore.DbOptionsFor();
        _plainTableOptions = ReadModelStore.DbOptionsFor().SetCompression(Compression.No);
    }

    /// <summary>Files finished since <see cref="Reset"/>.</summary>
    public int Count { get; private set; }
    /// <summary>The paths; the first <see cref="Count"/> are the finished files, in key order.</summary>
    public string[] Paths => _paths;
    /// <summary>The native writer of the file being written (between <see cref="Begin"/> and <see cref="End"/>).</summary>
    public IntPtr Writer => _writer;

    public void Reset()
    {
        Abort();
        Count = 0;
    }

    /// <summary>
    /// Starts the next file (truncating whatever an earlier failure left at its path). <paramref name="compress"/>
    /// false writes it without compression: for a file that lands in L0 and is soon rewritten by a compaction (which
    /// compresses its output with LZ4), compressing it here is paid twice and decompressed once more for nothing
    /// (docs/BENCHMARKS.md §6d: about a quarter of the apply's CPU). Files that go to the last level stay compressed.
    /// </summary>
    public void Begin(bool compress = true)
    {
        if (_writer != IntPtr.Zero) throw new InvalidOperationException("the previous file was not ended");
        if (Count == MaxFiles) throw new InvalidOperationException($"a batch has at most {MaxFiles} files");
        Native native = Native.Instance;
        _writer = native.rocksdb_sstfilewriter_create(_env.Handle, compress ? _tableOptions.Handle : _plainTableOptions.Handle);
        native.rocksdb_sstfilewriter_open(_writer, _paths[Count]);
    }

    /// <summary>Finishes (and syncs) the file being written.</summary>
    public void End()
    {
        Native native = Native.Instance;
        try
        {
            native.rocksdb_sstfilewriter_finish(_writer);
        }
        finally
        {
            native.rocksdb_sstfilewriter_destroy(_writer);
            _writer = IntPtr.Zero;
        }
        Count++;
    }

    /// <summary>Drops the file being written, if any (after a failure).</summary>
    public void Abort()
    {
        if (_writer == IntPtr.Zero) return;
        Native.Instance.rocksdb_sstfilewriter_destroy(_writer);
        _writer = IntPtr.Zero;
    }
}
