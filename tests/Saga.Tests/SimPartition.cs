using Wallet.Engine.Ledger;

namespace Wallet.Saga.Tests;

/// <summary>
/// One simulated ledger partition as the saga simulations model it: a <see cref="LedgerStateMachine"/> with an in-memory
/// command journal and a snapshot every 50 commands; a crash loses the process (and, if asked, its snapshot), a restart
/// rebuilds the machine from snapshot + journal tail (or the whole journal) and checks the digest is the one it had.
/// </summary>
internal sealed class SimPartition(LedgerOptions options)
{
    private readonly List<(CommandKind Kind, byte[] Payload, CommandStamp Stamp)> _journal = [];
    private byte[]? _snapshot;
    private int _snapshotJournalCount;

    public LedgerStateMachine Machine { get; private set; } = new(options);
    public bool Up { get; private set; } = true;
    public long DownUntil { get; private set; }

    public ResultCode[] Execute(CommandKind kind, ReadOnlySpan<byte> payload, long now)
    {
        var items = LedgerStateMachine.ItemCountOf(kind, payload.Length);
        var stamp = new CommandStamp(Machine.LastIndex + 1, 1, Math.Max(now, Machine.LastTimestamp + items + 1));
        _journal.Add((kind, payload.ToArray(), stamp));
        var results = new CreateResult[Math.Max(items, 1)];
        var sink = new NullLedgerEventSink();
        var n = Machine.Execute(stamp, kind, payload, results, ref sink);
        if (_journal.Count % 50 == 0)
        {
            var bytes = new MemoryStream();
            Machine.WriteState(bytes);
            _snapshot = bytes.ToArray();
            _snapshotJournalCount = _journal.Count;
        }

        var codes = new ResultCode[n];
        for (var i = 0; i < n; i++) codes[i] = results[i].Code;
        return codes;
    }

    public void Crash(long downUntil, bool fromScratch)
    {
        Up = false;
        DownUntil = downUntil;
        if (fromScratch) _snapshot = null;
    }

    public void Restart()
    {
        var before = Machine.ComputeDigest();
        var machine = _snapshot is null ? new LedgerStateMachine(options) : LedgerStateMachine.Restore(options, new MemoryStream(_snapshot));
        var results = new CreateResult[options.MaxBatchSize + 1];
        var sink = new NullLedgerEventSink();
        for (var i = _snapshot is null ? 0 : _snapshotJournalCount; i < _journal.Count; i++)
        {
            var c = _journal[i];
            machine.Execute(c.Stamp, c.Kind, c.Payload, results, ref sink);
        }

        if (machine.ComputeDigest() != before) throw new InvalidOperationException("partition replay diverged");
        Machine = machine;
        Up = true;
    }
}
