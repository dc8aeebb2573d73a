using System.Collections.Concurrent;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Fix.Tests.Support;
using Wallet.Gateway.Routing;

namespace Wallet.Fix.Tests;

/// <summary>
/// The FIX acceptor on a node with several partitions and a saga sequencer: a TransferRequest across partitions goes to
/// the cross-partition seam and its outcome comes back as an ordinary TransferReport (LogIndex 0); the seam's refusals
/// are BusinessMessageRejects with nothing applied; a TransferStatusRequest finds a transfer on any partition.
/// </summary>
public sealed class CrossPartitionTests : IAsyncLifetime
{
    private static readonly PartitionMap s_map = PartitionMap.Uniform(2);
    private readonly TempDirectory _dir = new("fix-cross");
    private readonly Coordinator _coordinator = new();
    private FixFixture _f = null!;

    public async Task InitializeAsync() => _f = await FixFixture.StartAsync(_dir.Path, partitions: 2, crossPartition: _coordinator);

    public async Task DisposeAsync()
    {
        await _f.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>A coordinator double: takes transfers and lets the test decide their outcomes.</summary>
    private sealed class Coordinator : ICrossPartitionTransfers
    {
        public readonly ConcurrentQueue<(Transfer Transfer, long CorrelationId, ICrossPartitionCompletion Completion)> Taken = new();
        public volatile CrossPartitionSubmit Status = CrossPartitionSubmit.Accepted;

        public bool Enabled => true;

        public CrossPartitionSubmit TrySubmit(in Transfer transfer, long correlationId, ICrossPartitionCompletion completion)
        {
            if (Status == CrossPartitionSubmit.Accepted) Taken.Enqueue((transfer, correlationId, completion));
            return Status;
        }
    }

    private static ulong IdOn(int partition, ulong from)
    {
        for (ulong id = from; ; id++)
        {
            if (s_map.PartitionOf(id) == partition) return id;
        }
    }

    private async Task<(Transfer, long, ICrossPartitionCompletion)> TakenAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        (Transfer, long, ICrossPartitionCompletion) taken;
        while (!_coordinator.Taken.TryDequeue(out taken)) await Task.Delay(10, cts.Token);
        return taken;
    }

    [Fact(Timeout = 60_000)]
    public async Task A_cross_partition_transfer_is_carried_by_the_seam_and_reported_like_any_other()
    {
        ulong a = IdOn(0, 1000), b = IdOn(0, a + 1), c1 = IdOn(1, 1000), d1 = IdOn(1, c1 + 1);
        await using RawFixClient c = await _f.LogonAsync();
        foreach (ulong id in new[] { a, b, c1, d1 })
        {
            c.Send("UA", $"5020={id}|15=USD|");
            Assert.Equal("0", (await c.ReceiveTypeAsync("UB"))[5010]);
        }

        // Across partitions: the seam takes it (amount exact, from the currency's scale); its outcome is the report.
        c.Send("UT", $"5001=71|5002={a}|5003={c1}|5004=12.34|15=USD|");
        (Transfer transfer, long correlationId, ICrossPartitionCompletion completion) = await TakenAsync();
        Assert.Equal(((UInt128)71, (UInt128)a, (UInt128)c1, 1234L, 1u), (transfer.Id, transfer.DebitAccountId, transfer.CreditAccountId, transfer.Amount, transfer.Ledger));
        await Task.Run(() => completion.OnCompleted(correlationId, ResultCode.ExceedsCredits, 1_800_000_000_000_000_000));
        FixReply report = await c.ReceiveTypeAsync("UR");
        Assert.Equal(("71", ((int)ResultCode.ExceedsCredits).ToString(System.Globalization.CultureInfo.InvariantCulture), "ExceedsCredits", "0"),
            (report[5001], report[5010], report[58], report[5011]));
        Assert.Equal("12.34", report[5004]);

        // A same-partition transfer right after: its own report, nothing else queued before it.
        c.Send("UT", $"5001=72|5002={c1}|5003={d1}|5004=1.00|15=USD|");
        FixReply same = await c.ReceiveTypeAsync("UR");
        Assert.Equal(("72", "0"), (same[5001], same[5010]));

        // Transfer status finds the transfer on partition 1 (every partition is asked), and says when none has it.
        c.Send("US", "5030=s-72|5001=72|");
        FixReply status = await c.ReceiveTypeAsync("UR");
        Assert.Equal(("1", "s-72", c1.ToString(System.Globalization.CultureInfo.InvariantCulture)), (status[5012], status[5030], status[5002]));
        c.Send("US", "5030=s-99|5001=99|");
        Assert.Equal("0", (await c.ReceiveTypeAsync("UR"))[5012]);

        // The seam refuses: BusinessMessageReject naming the transfer, nothing taken.
        _coordinator.Status = CrossPartitionSubmit.Busy;
        int seq = c.Send("UT", $"5001=73|5002={b}|5003={d1}|5004=1.00|15=USD|");
        FixReply busy = await c.ReceiveTypeAsync("j");
        Assert.Equal((seq.ToString(System.Globalization.CultureInfo.InvariantCulture), "73", "4"), (busy[45], busy[379], busy[380]));
        Assert.Contains("saga sequencer", busy[58], StringComparison.Ordinal);
        Assert.Empty(_coordinator.Taken);

        // The session goes on: the next cross-partition transfer is taken again.
        _coordinator.Status = CrossPartitionSubmit.Accepted;
        c.Send("UT", $"5001=74|5002={b}|5003={d1}|5004=2.00|15=USD|");
        (Transfer again, long againCorrelation, ICrossPartitionCompletion last) = await TakenAsync();
        Assert.Equal((UInt128)74, again.Id);
        Assert.Same(completion, last); // one per session: its outcomes carry their correlation id
        last.OnCompleted(againCorrelation, ResultCode.Ok, 5);
        FixReply applied = await c.ReceiveTypeAsync("UR");
        Assert.Equal(("74", "0"), (applied[5001], applied[5010]));
    }
}
