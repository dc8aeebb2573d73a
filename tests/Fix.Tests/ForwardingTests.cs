using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Fix.Tests.Support;
using Wallet.Gateway.Routing;

namespace Wallet.Fix.Tests;

/// <summary>
/// FIX on a cluster whose partitions are led by different nodes (docs/gateway.md, "Forwarding between nodes"): FIX has
/// no redirect, so a partner's TransferRequest, CreateAccountRequest or BalanceRequest for a partition led by another
/// node is forwarded there and the answer reported as usual; a cross-partition transfer whose saga group is led
/// elsewhere likewise. Unreachable: the items report PartitionUnavailable (not applied); no answer: a
/// BusinessMessageReject saying the outcome is unknown. Here partition 1 is "led by another node", a forwarder double
/// that answers as that node would.
/// </summary>
public sealed class ForwardingTests : IAsyncLifetime
{
    private static readonly PartitionMap s_map = PartitionMap.Uniform(2);
    private static readonly LeaderInfo s_other = LeaderInfo.Remote("10.0.0.2", 7002, 4);
    private readonly TempDirectory _dir = new("fix-forward");
    private readonly Forwarder _forwarder = new();
    private FixFixture _f = null!;

    public async Task InitializeAsync() =>
        _f = await FixFixture.StartAsync(_dir.Path, partitions: 2, crossPartition: new ElsewhereCoordinator(), wrapRouter: inner => new Router(inner, _forwarder));

    public async Task DisposeAsync()
    {
        await _f.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>Partition 1 and the saga group are led by <see cref="s_other"/>: offers to them answer NotLeader.</summary>
    private sealed class Router(IRequestRouter inner, IRequestForwarder forwarder) : IRequestRouter
    {
        public int PartitionCount => inner.PartitionCount;

        public int PartitionOf(UInt128 accountId) => inner.PartitionOf(accountId);

        public ICrossPartitionTransfers CrossPartition => inner.CrossPartition;

        public IRequestForwarder? Forwarder => forwarder;

        public LeaderInfo LeaderOf(int partition) => partition == 1 ? s_other : LeaderInfo.Local;

        public SubmitStatus Submit(int partition, ushort kind, long correlationId, long sessionId, ReadOnlySpan<byte> payload) =>
            partition == 1 ? SubmitStatus.NotLeader : inner.Submit(partition, kind, correlationId, sessionId, payload);
    }

    private sealed class ElsewhereCoordinator : ICrossPartitionTransfers
    {
        public bool Enabled => true;

        public LeaderInfo Leader => s_other;

        public CrossPartitionSubmit TrySubmit(in Transfer transfer, long correlationId, ICrossPartitionCompletion completion) => CrossPartitionSubmit.NotLeader;
    }

    /// <summary>Records what is forwarded; the test answers each as the other node would.</summary>
    private sealed class Forwarder : IRequestForwarder
    {
        public readonly ConcurrentQueue<(LeaderInfo Node, ushort Kind, byte[] Payload, int Count, IForwardCompletion Completion)> Sent = new();
        public volatile bool Full;

        public bool TryForward(in LeaderInfo node, ushort kind, ReadOnlySpan<byte> payload, int count, IForwardCompletion completion)
        {
            if (Full) return false;
            Sent.Enqueue((node, kind, payload.ToArray(), count, completion));
            return true;
        }

        public readonly ConcurrentQueue<(LeaderInfo Node, int Partition, UInt128[] Ids, ITransferLookupCompletion Completion)> Lookups = new();

        public bool TryForwardTransferLookup(in LeaderInfo node, int partition, ReadOnlySpan<UInt128> ids, ITransferLookupCompletion completion)
        {
            if (Full) return false;
            Lookups.Enqueue((node, partition, ids.ToArray(), completion));
            return true;
        }

        public async Task<(LeaderInfo Node, ushort Kind, byte[] Payload, int Count, IForwardCompletion Completion)> NextAsync()
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            (LeaderInfo, ushort, byte[], int, IForwardCompletion) sent;
            while (!Sent.TryDequeue(out sent)) await Task.Delay(10, cts.Token);
            return sent;
        }
    }

    private static ulong IdOn(int partition, ulong from)
    {
        for (ulong id = from; ; id++)
        {
            if (s_map.PartitionOf(id) == partition) return id;
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Requests_for_a_partition_led_elsewhere_are_forwarded_and_reported_as_usual()
    {
        ulong a = IdOn(1, 1000), b = IdOn(1, a + 1), local = IdOn(0, 1000);
        await using RawFixClient c = await _f.LogonAsync();

        // CreateAccountRequest for partition 1: forwarded as CreateAccounts to the node leading it.
        c.Send("UA", $"5020={a}|15=USD|");
        var sent = await _forwarder.NextAsync();
        Assert.Equal((s_other.Host, s_other.Port, (ushort)CommandKind.CreateAccounts, 1), (sent.Node.Host, sent.Node.Port, sent.Kind, sent.Count));
        Assert.Equal((UInt128)a, MemoryMarshal.Cast<byte, Account>(sent.Payload)[0].Id);
        await Task.Run(() => sent.Completion.OnResults([ResultCode.Ok], 40, 1_800_000_000_000_000_000));
        Assert.Equal("0", (await c.ReceiveTypeAsync("UB"))[5010]);

        // A local request is not forwarded.
        c.Send("UA", $"5020={local}|15=USD|");
        Assert.Equal("0", (await c.ReceiveTypeAsync("UB"))[5010]);
        Assert.Empty(_forwarder.Sent);

        // TransferRequests within partition 1 (one burst → one forwarded command): one report each, the other node's codes.
        c.Send("UT", $"5001=81|5002={a}|5003={b}|5004=1.50|15=USD|");
        sent = await _forwarder.NextAsync();
        Assert.Equal((ushort)CommandKind.CreateTransfers, sent.Kind);
        Transfer t = MemoryMarshal.Cast<byte, Transfer>(sent.Payload)[0];
        Assert.Equal(((UInt128)81, (UInt128)a, (UInt128)b, 150L), (t.Id, t.DebitAccountId, t.CreditAccountId, t.Amount));
        sent.Completion.OnResults([ResultCode.ExceedsCredits], 777, 1_800_000_000_123_000_000);
        FixReply report = await c.ReceiveTypeAsync("UR");
        Assert.Equal(("81", ((int)ResultCode.ExceedsCredits).ToString(CultureInfo.InvariantCulture), "1.50"), (report[5001], report[5010], report[5004]));
        // The leader's receipt: its log index and the command's ledger time (2027-01-15T08:00:00.123 UTC), not this node's clock.
        Assert.Equal("777", report[5011]);
        Assert.StartsWith("20270115-08:00:00.123", report[60], StringComparison.Ordinal);

        // BalanceRequest: forwarded LookupAccounts; the account found there is reported.
        c.Send("UQ", $"5030=q-a|5020={a}|");
        sent = await _forwarder.NextAsync();
        Assert.Equal((ushort)QueryKind.LookupAccounts, sent.Kind);
        sent.Completion.OnFound([new Account { Id = a, Ledger = 1, Code = 1, CreditsPosted = 1234 }], 778);
        FixReply balance = await c.ReceiveTypeAsync("UP");
        Assert.Equal(("q-a", "12.34"), (balance[5030], balance[5035]));

        // Across partitions with the saga group led elsewhere: forwarded there whole.
        c.Send("UT", $"5001=82|5002={local}|5003={a}|5004=2.00|15=USD|");
        sent = await _forwarder.NextAsync();
        Assert.Equal((s_other.Port, (UInt128)82), (sent.Node.Port, MemoryMarshal.Cast<byte, Transfer>(sent.Payload)[0].Id));
        sent.Completion.OnResults([ResultCode.Ok], 0, 1_800_000_000_200_000_000); // a saga there: no single log index
        FixReply cross = await c.ReceiveTypeAsync("UR");
        Assert.Equal(("82", "0", "0"), (cross[5001], cross[5010], cross[5011]));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_transfer_status_request_asks_partition_1_of_its_leader()
    {
        ulong a = IdOn(1, 3000), b = IdOn(1, a + 1);
        await using RawFixClient c = await _f.LogonAsync();
        c.Send("US", "5030=s-1|5001=95|");
        (LeaderInfo node, int partition, UInt128[] ids, ITransferLookupCompletion completion) = await LookupAsync();
        Assert.Equal((s_other.Port, 1, (UInt128)95), (node.Port, partition, Assert.Single(ids)));
        completion.OnFound([new Transfer { Id = 95, DebitAccountId = a, CreditAccountId = b, Amount = 700, Ledger = 1, Code = 1 }], 779);
        FixReply status = await c.ReceiveTypeAsync("UR");
        Assert.Equal(("1", "s-1", a.ToString(CultureInfo.InvariantCulture), "7.00"), (status[5012], status[5030], status[5002], status[5004]));

        // No answer from there: never "not found" — the request is refused, to be asked again.
        c.Send("US", "5030=s-2|5001=96|");
        (_, _, _, completion) = await LookupAsync();
        completion.OnUnanswered();
        FixReply refused = await c.ReceiveTypeAsync("j");
        Assert.Contains("outcome unknown", refused[58], StringComparison.Ordinal);
    }

    private async Task<(LeaderInfo, int, UInt128[], ITransferLookupCompletion)> LookupAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        (LeaderInfo, int, UInt128[], ITransferLookupCompletion) sent;
        while (!_forwarder.Lookups.TryDequeue(out sent)) await Task.Delay(10, cts.Token);
        return sent;
    }

    [Fact(Timeout = 60_000)]
    public async Task An_unreachable_or_silent_leader_is_reported_as_not_applied_or_unknown()
    {
        ulong a = IdOn(1, 2000), b = IdOn(1, a + 1);
        await using RawFixClient c = await _f.LogonAsync();

        // Not taken there (unreachable, busy): reported PartitionUnavailable — not applied, resend.
        c.Send("UT", $"5001=91|5002={a}|5003={b}|5004=1.00|15=USD|");
        var sent = await _forwarder.NextAsync();
        sent.Completion.OnNotTaken(ResultCode.PartitionUnavailable);
        FixReply notTaken = await c.ReceiveTypeAsync("UR");
        Assert.Equal(("91", ((int)ResultCode.PartitionUnavailable).ToString(CultureInfo.InvariantCulture)), (notTaken[5001], notTaken[5010]));

        // Sent and never answered: outcome unknown, said so (resend with the same id, or ask its status).
        int seq = c.Send("UT", $"5001=92|5002={a}|5003={b}|5004=1.00|15=USD|");
        sent = await _forwarder.NextAsync();
        sent.Completion.OnOutcomeUnknown();
        sent.Completion.OnResults([ResultCode.Ok], 1, 1); // ignored: exactly one answer
        FixReply unknown = await c.ReceiveTypeAsync("j");
        Assert.Equal((seq.ToString(CultureInfo.InvariantCulture), "92"), (unknown[45], unknown[379]));
        Assert.Contains("outcome unknown", unknown[58], StringComparison.Ordinal);

        // Too many forwarded already: refused at once, nothing sent.
        _forwarder.Full = true;
        int refusedSeq = c.Send("UT", $"5001=93|5002={a}|5003={b}|5004=1.00|15=USD|");
        FixReply refused = await c.ReceiveTypeAsync("j");
        Assert.Equal((refusedSeq.ToString(CultureInfo.InvariantCulture), "93"), (refused[45], refused[379]));
        Assert.Empty(_forwarder.Sent);
    }
}
