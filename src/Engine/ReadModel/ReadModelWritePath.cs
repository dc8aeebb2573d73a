namespace Wallet.Engine.ReadModel;

/// <summary>How the projector puts a batch (rows + checkpoint) into the read model's RocksDB.</summary>
public enum ReadModelWritePath
{
    /// <summary>
    /// Each batch becomes one sorted SST file, ingested (moved) into the database: no memtable insert, no memtable
    /// memory to allocate, fill, flush and free. One file is ingested atomically, so rows and checkpoint land together.
    /// </summary>
    Ingest,
    /// <summary>Each batch is one WriteBatch written to the memtable (no WAL) and flushed later.</summary>
    WriteBatch,
}
