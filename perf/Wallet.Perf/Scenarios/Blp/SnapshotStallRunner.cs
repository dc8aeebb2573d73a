using System.Diagnostics;
using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using Wallet.Perf.Harness;

namespace Wallet.Perf.Scenarios.Blp;

/// <summary>
/// `blp --phases snapshot`: what a snapshot costs the BLP thread. A state machine with the scenario's accounts and a
/// full idempotency window (2^20 stored transfers) is captured three ways, each after a warm-up capture so buffers
/// are reused as in <c>wallet serve</c>:
/// <list type="bullet">
/// <item>full copy (<see cref="LedgerStateMachine.CaptureImage()"/>, what the snapshot scheduler did before): one
/// stall of the BLP for the whole copy;</item>
/// <item>copy-on-write (<see cref="LedgerStateMachine.BeginCapture"/>): the BLP's stall at the capture point, then
/// commands applied on this thread while a writer thread copies the rest (<see cref="LedgerCapture.CopyAll"/>),
/// timed one by one and compared with the same number of commands with no capture open.</item>
/// </list>
/// Time per command here is the state machine alone (no ring, no journal): the added cost is the chunk copies the
/// BLP does itself and the memory bandwidth the writer takes from it.
/// </summary>
internal static class SnapshotStallRunner
{
    private const int CommandTransfers = 64; // small commands: per-command time resolves the copy-on-write steps

    public static void Run(LedgerOptions options, int accounts, AccountPicker picker, ScenarioResult result, TextWriter log)
    {
        const string group = "snapshot capture";
        log.WriteLine($"[blp] {group}: {accounts:N0} accounts, filling the window ({options.TransferRetentionCount:N0} transfers)");
        var ledger = new LedgerStateMachine(options);
        ledger.ReserveCapacity(accounts, options.TransferRetentionCount + options.MaxBatchSize);
        var results = new CreateResult[LedgerOptions.DefaultMaxBatchSize + 1];
        var sink = new NullLedgerEventSink();
        long index = 0, timestamp = 1_000_000_000, nextId = 0;
        var accountBatch = new Account[LedgerOptions.DefaultMaxBatchSize];
        for (int created = 0; created < accounts; created += accountBatch.Length)
        {
            int n = Math.Min(accountBatch.Length, accounts - created);
            for (int i = 0; i < n; i++) accountBatch[i] = new Account { Id = (UInt128)(created + i + 1), Ledger = 1, Code = 1 };
            timestamp += n + 1;
            ledger.Execute(new CommandStamp(++index, 1, timestamp), CommandKind.CreateAccounts, MemoryMarshal.AsBytes(accountBatch.AsSpan(0, n)), results, ref sink);
        }
        var big = new Transfer[LedgerOptions.DefaultMaxBatchSize];
        while (ledger.StoredTransferCount < options.TransferRetentionCount)
        {
            Fill(big, big.Length, ref nextId, picker);
            timestamp += big.Length + 1;
            ledger.Execute(new CommandStamp(++index, 1, timestamp), CommandKind.CreateTransfers, MemoryMarshal.AsBytes(big.AsSpan()), results, ref sink);
        }

        // Full copy, as before: the second capture reuses the first one's buffers (the scheduler's steady state).
        LedgerStateImage first = ledger.CaptureImage(reuse: null);
        long t0 = Stopwatch.GetTimestamp();
        LedgerStateImage full = ledger.CaptureImage(first);
        double fullMs = Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - t0) * 1e3;
        long stateBytes = full.SizeBytes;

        var small = new Transfer[CommandTransfers];
        void Command()
        {
            Fill(small, small.Length, ref nextId, picker);
            timestamp += small.Length + 1;
            ledger.Execute(new CommandStamp(++index, 1, timestamp), CommandKind.CreateTransfers, MemoryMarshal.AsBytes(small.AsSpan()), results, ref sink);
        }

        // Copy-on-write: a warm-up capture (allocates the buffers), then the measured one reusing them.
        LedgerCapture warm = ledger.BeginCapture(reuse: null);
        warm.CopyAll();
        ledger.ReleaseCompletedCapture();
        for (int i = 0; i < 2000; i++) Command(); // JIT and caches warm for the timed commands

        t0 = Stopwatch.GetTimestamp();
        LedgerCapture capture = ledger.BeginCapture(warm);
        double beginMs = Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - t0) * 1e3;
        var during = new LatencyRecorder("during copy");
        long copyStart = Stopwatch.GetTimestamp(), copyEnd = 0;
        var writer = new Thread(() =>
        {
            capture.CopyAll();
            Volatile.Write(ref copyEnd, Stopwatch.GetTimestamp());
        }) { IsBackground = true, Name = "snapshot-writer (bench)" };
        writer.Start();
        int commandsDuring = 0;
        while (!capture.IsComplete && commandsDuring < 10_000_000)
        {
            long s = Stopwatch.GetTimestamp();
            Command();
            during.RecordTicks(Stopwatch.GetTimestamp() - s);
            commandsDuring++;
        }
        if (!writer.Join(TimeSpan.FromSeconds(120))) throw new InvalidOperationException("the capture writer did not finish in 120 s");
        double copyMs = Pacing.TicksToSeconds(Volatile.Read(ref copyEnd) - copyStart) * 1e3;
        ledger.ReleaseCompletedCapture();

        var baseline = new LatencyRecorder("no capture");
        for (int i = 0; i < Math.Max(commandsDuring, 1000); i++)
        {
            long s = Stopwatch.GetTimestamp();
            Command();
            baseline.RecordTicks(Stopwatch.GetTimestamp() - s);
        }
        result.Add(group, "state size", stateBytes / (1024.0 * 1024.0), "MiB");
        result.Add(group, "full copy: BLP stall", fullMs, "ms");
        result.Add(group, "copy-on-write: BLP stall at the capture point", beginMs, "ms");
        result.Add(group, "copy-on-write: writer copy time", copyMs, "ms");
        result.Add(group, "copy-on-write: chunks the BLP copied itself", capture.ChunksCopiedOnWrite, "chunks");
        result.Add(group, "commands applied during the copy", commandsDuring, "commands");
        Add(result, group, "command time during the copy", during);
        Add(result, group, "command time, no capture", baseline);
        result.Note($"snapshot capture: {CommandTransfers} transfers per timed command; state machine alone on this thread, the copy-on-write writer on another");
        log.WriteLine($"[blp] {group}: full copy {fullMs:F1} ms; copy-on-write stall {beginMs:F2} ms, writer {copyMs:F1} ms, {commandsDuring:N0} commands meanwhile (max {during.MaxNs / 1000.0:F0} µs vs {baseline.MaxNs / 1000.0:F0} µs without)");
    }

    private static void Add(ScenarioResult result, string group, string what, LatencyRecorder r)
    {
        result.Add(group, what + " p50", r.PercentileNs(50) / 1000.0, "µs");
        result.Add(group, what + " p99", r.PercentileNs(99) / 1000.0, "µs");
        result.Add(group, what + " max", r.MaxNs / 1000.0, "µs");
    }

    private static void Fill(Transfer[] batch, int count, ref long nextId, AccountPicker picker)
    {
        for (int i = 0; i < count; i++)
        {
            long id = ++nextId;
            picker.Pick(id, out int debit, out int credit);
            batch[i] = new Transfer { Id = (UInt128)id, DebitAccountId = (UInt128)(debit + 1), CreditAccountId = (UInt128)(credit + 1), Amount = 1, Ledger = 1, Code = 1 };
        }
    }
}
