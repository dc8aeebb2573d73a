using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Engine.Tests.Ledger;

namespace Wallet.Engine.Tests.Partition;

/// <summary>Starts a partition on a directory and submits commands synchronously (submit, then wait for the pushed result).</summary>
internal sealed class PartitionFixture : IDisposable
{
    private long _correlation;

    public PartitionFixture(string directory, Func<PartitionOptions, PartitionOptions>? configure = null, ManualClock? clock = null)
    {
        Clock = clock ?? new ManualClock(LedgerHarness.StartTimestamp);
        PartitionOptions options = Defaults(directory, Clock);
        Options = configure?.Invoke(options) ?? options;
        Results = new CollectingResultHandler();
        Engine = PartitionEngine.Start(Options, Results);
    }

    public static LedgerOptions OptionsOnlyLedger() => Defaults("unused", new ManualClock(0)).Ledger;

    /// <summary>The options a fixture would use, without starting anything (for replay/audit tests).</summary>
    internal sealed class OptionsOnly(string directory)
    {
        public LedgerOptions Ledger { get; } = Defaults(directory, new ManualClock(0)).Ledger;
    }

    private static PartitionOptions Defaults(string directory, ManualClock clock) =>
        new()
        {
            DataDirectory = directory,
            Ledger = LedgerHarness.Options(maxAccounts: 4096, maxBatchSize: 256, maxPending: 256, retentionCount: 1 << 14),
            IngressRingSize = 64,
            EgressRingSize = 64,
            JournalSegmentSizeBytes = 1 << 20,
            MaxCommandBytes = 64 << 10,
            Fsync = Wallet.Engine.Journal.FsyncPolicy.None,
            SnapshotIntervalCommands = 0,
            Wait = WaitKind.Blocking,
            Clock = clock,
        };

    public ManualClock Clock { get; }
    public PartitionOptions Options { get; }
    public CollectingResultHandler Results { get; }
    public PartitionEngine Engine { get; }

    public long NextCorrelation() => Interlocked.Increment(ref _correlation);

    public CollectedResult Run(ushort kind, ReadOnlySpan<byte> payload)
    {
        long correlation = NextCorrelation();
        SubmitStatus status = Engine.TrySubmit(kind, correlation, sessionId: 7, payload);
        Assert.Equal(SubmitStatus.Accepted, status);
        return Results.Wait(correlation);
    }

    public ResultCode[] CreateAccounts(params Account[] accounts) => Codes(Run((ushort)CommandKind.CreateAccounts, MemoryMarshal.AsBytes(accounts.AsSpan())));

    public ResultCode[] CreateTransfers(params Transfer[] transfers) => Codes(Run((ushort)CommandKind.CreateTransfers, MemoryMarshal.AsBytes(transfers.AsSpan())));

    public Account[] LookupAccounts(params UInt128[] ids)
    {
        CollectedResult r = Run(QueryKind.LookupAccounts, MemoryMarshal.AsBytes(ids.AsSpan()));
        return MemoryMarshal.Cast<byte, Account>(r.Payload).ToArray();
    }

    public UInt128 Digest()
    {
        CollectedResult r = Run(QueryKind.StateDigest, default);
        return MemoryMarshal.Read<UInt128>(r.Payload);
    }

    public static ResultCode[] Codes(CollectedResult r)
    {
        var codes = new ResultCode[r.Results.Length];
        for (int i = 0; i < codes.Length; i++) codes[i] = r.Results[i].Code;
        return codes;
    }

    public bool Stop(bool snapshot = true) => Engine.Stop(TimeSpan.FromSeconds(20), snapshot);

    public void Dispose() => Engine.Dispose();
}
