namespace Wallet.Engine.Partition;

/// <summary>What happens to old journal segments once snapshots cover them.</summary>
public enum JournalRetention
{
    /// <summary>
    /// Keep every segment (the default). The journal is the legal record: with it, any balance at any past moment
    /// can be reproduced by replay from genesis. Archive old segments yourself if disk is a concern.
    /// </summary>
    KeepAll = 0,
    /// <summary>
    /// Delete whole segments whose records are all at or below the oldest retained snapshot's index. Restart and
    /// snapshot fallback still work; replay to a point before that snapshot no longer can.
    /// </summary>
    BeforeOldestSnapshot = 1,
}

/// <summary>
/// Carries "segments below this index may go" from the snapshot writer thread to the journal-owning threads,
/// which act on it at their next batch end (a journal has exactly one writer thread).
/// </summary>
internal sealed class RetentionSignal
{
    private long _pruneBelowIndex;

    public long PruneBelowIndex => Volatile.Read(ref _pruneBelowIndex);

    public void Raise(long pruneBelowIndex)
    {
        long current;
        do
        {
            current = Volatile.Read(ref _pruneBelowIndex);
            if (pruneBelowIndex <= current) return;
        }
        while (Interlocked.CompareExchange(ref _pruneBelowIndex, pruneBelowIndex, current) != current);
    }
}
