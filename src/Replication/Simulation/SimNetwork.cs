namespace Wallet.Replication.Simulation;

/// <summary>
/// Simulated network between replicas: every message gets a random delay (hence reordering), may be lost or
/// duplicated, and is dropped when its link is cut (at send or at delivery). Links are directed, so partitions can
/// be symmetric (both directions cut) or asymmetric (one direction only). Deterministic: ties in delivery time are
/// broken by send order.
/// </summary>
public sealed class SimNetwork
{
    private readonly SimRandom _random;
    private readonly SimOptions _options;
    private readonly PriorityQueue<SimMessage, (long DeliverAtMs, long Sequence)> _queue = new();
    private readonly bool[,] _cut;
    private long _sequence;

    public SimNetwork(SimRandom random, SimOptions options, int maxNodeId)
    {
        _random = random;
        _options = options;
        _cut = new bool[maxNodeId + 1, maxNodeId + 1];
    }

    public long Sent { get; private set; }
    public long Dropped { get; private set; }
    public long Duplicated { get; private set; }
    public int InFlight => _queue.Count;

    /// <summary>When true (fault phase) loss and duplication apply; false once faults are healed.</summary>
    public bool Lossy { get; set; } = true;

    public void Send(int from, int to, ReadOnlySpan<byte> message, long nowMs)
    {
        Sent++;
        if (_cut[from, to] || (Lossy && _random.Chance(_options.LossPerMillion)))
        {
            Dropped++;
            return;
        }

        var copies = Lossy && _random.Chance(_options.DuplicatePerMillion) ? 2 : 1;
        if (copies == 2) Duplicated++;
        var bytes = message.ToArray();
        for (var i = 0; i < copies; i++)
        {
            var delay = _random.NextInt(_options.MinDelayMs, _options.MaxDelayMs + 1);
            _queue.Enqueue(new SimMessage(from, to, bytes), (nowMs + delay, _sequence++));
        }
    }

    /// <summary>Next message due at or before <paramref name="nowMs"/>; links cut meanwhile drop it.</summary>
    public bool TryDequeue(long nowMs, out SimMessage message)
    {
        while (_queue.TryPeek(out message!, out var at) && at.DeliverAtMs <= nowMs)
        {
            _queue.Dequeue();
            if (!_cut[message.From, message.To]) return true;
            Dropped++;
        }

        message = null!;
        return false;
    }

    public void Cut(int from, int to) => _cut[from, to] = true;

    public bool IsCut(int from, int to) => _cut[from, to];

    public void HealAll() => Array.Clear(_cut);
}

/// <summary>One message in flight.</summary>
public sealed record SimMessage(int From, int To, byte[] Bytes);

/// <summary>The outbox of one simulated replica: stamps sends with the simulation clock.</summary>
internal sealed class SimOutbox : IRaftOutbox
{
    private readonly SimNetwork _network;
    private readonly int _from;
    private readonly Func<long> _clock;

    public SimOutbox(SimNetwork network, int from, Func<long> clock)
    {
        _network = network;
        _from = from;
        _clock = clock;
    }

    public void Send(int toNode, ReadOnlySpan<byte> message) => _network.Send(_from, toNode, message, _clock());
}
