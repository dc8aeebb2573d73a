using Wallet.Engine.Ring;

namespace Wallet.Engine.Partition;

/// <summary>
/// The seam between a partition and the consensus module that sequences it (<see cref="PartitionSequencing.External"/>).
/// The module's driver thread — and only that thread — (1) polls the commands clients submitted
/// (<see cref="PollIngress{THandler}"/>), stamps and replicates them through its own log, and (2) publishes each
/// command once it is committed (<see cref="TryPublishCommitted"/>), in log order, exactly once; the BLP applies
/// exactly what is published. Queries and refusals also pass through here so results keep the ring's order.
/// </summary>
public sealed class SequencerPort
{
    private readonly PartitionEngine _engine;
    private readonly EventPoller<CommandSlot> _ingress;
    private readonly RingBuffer<CommandSlot> _committed;
    private long _publishedIndex;
    private long _publishedTimestampNs;
    private Action? _ingressSignal;

    internal SequencerPort(PartitionEngine engine, EventPoller<CommandSlot> ingress, RingBuffer<CommandSlot> committed,
        Journal.Journal commands, long recoveredIndex, long recoveredTimestampNs)
    {
        _engine = engine;
        _ingress = ingress;
        _committed = committed;
        CommandJournal = commands;
        RecoveredIndex = recoveredIndex;
        _publishedIndex = recoveredIndex;
        _publishedTimestampNs = recoveredTimestampNs;
    }

    /// <summary>The partition's command journal: the consensus module's log. Written by the driver thread only.</summary>
    public Journal.Journal CommandJournal { get; }

    /// <summary>The index the BLP's state was recovered to on open; the next committed entry to publish is this + 1.</summary>
    public long RecoveredIndex { get; }

    /// <summary>The last log index handed to the BLP.</summary>
    public long PublishedIndex => _publishedIndex;

    public PartitionEngine Engine => _engine;

    /// <summary>
    /// Called (on the submitting thread) after every command or query offered to the ingress ring; must not block.
    /// The driver uses it to wake from an idle wait instead of polling on a timer.
    /// </summary>
    public void SetIngressSignal(Action? signal) => Volatile.Write(ref _ingressSignal, signal);

    internal void SignalIngress() => Volatile.Read(ref _ingressSignal)?.Invoke();

    /// <summary>Hands submitted commands/queries to <paramref name="handler"/> (see <see cref="EventPoller{T}.Poll{THandler}"/>).</summary>
    public PollState PollIngress<THandler>(ref THandler handler)
        where THandler : IPollHandler<CommandSlot>
    {
        // The driver is each ingress slot's last reader (it copies the payload into its log or its read queue):
        // a borrowed payload goes back to the pool right after its handler ran.
        var releasing = new ReleasingHandler<THandler>(handler, _engine.Payloads);
        PollState state = _ingress.Poll(ref releasing);
        handler = releasing.Inner;
        return state;
    }

    private struct ReleasingHandler<THandler>(THandler inner, PayloadPool pool) : IPollHandler<CommandSlot>
        where THandler : IPollHandler<CommandSlot>
    {
        public THandler Inner = inner;

        public bool OnEvent(ref CommandSlot data, long sequence, bool endOfBatch)
        {
            bool more = Inner.OnEvent(ref data, sequence, endOfBatch);
            data.Release(pool);
            return more;
        }
    }

    /// <summary>
    /// Publishes one committed log entry to the BLP. Entries must come in index order without gaps, starting at
    /// <see cref="RecoveredIndex"/> + 1; <paramref name="sessionId"/> is -1 when no session here waits for the result
    /// (a follower, or an entry another leader proposed). False when the BLP is behind (ring full): retry later.
    /// </summary>
    public bool TryPublishCommitted(ushort kind, long index, long term, long timestampNs, ReadOnlySpan<byte> payload,
        long sessionId, long correlationId)
    {
        if (QueryKind.IsQuery(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "a query is not a log entry");
        if (index != _publishedIndex + 1) throw new InvalidOperationException($"committed index {index} does not follow {_publishedIndex}");
        if (timestampNs <= _publishedTimestampNs) throw new InvalidOperationException($"committed timestamp {timestampNs} not after {_publishedTimestampNs}");
        if (!_committed.TryNext(out long sequence)) return false;
        ref CommandSlot slot = ref _committed[sequence];
        Fill(ref slot, kind, sessionId, correlationId, payload);
        slot.Prestamped = true;
        slot.Index = index;
        slot.Term = term;
        slot.Timestamp = timestampNs;
        _committed.Publish(sequence);
        _publishedIndex = index;
        _publishedTimestampNs = timestampNs;
        return true;
    }

    /// <summary>
    /// After the consensus module installed a snapshot at <paramref name="index"/> in the partition's snapshot directory
    /// (its log now continues after it): tells the BLP to replace its state with that snapshot, behind everything published
    /// so far — the BLP thread does the swap, between two commands, so nothing else ever sees a half-replaced state. The next
    /// committed entry to publish is <paramref name="index"/> + 1. False when the BLP is behind (ring full): retry later.
    /// </summary>
    public bool TryPublishSnapshotInstall(long index, long term, long timestampNs)
    {
        if (index <= _publishedIndex) throw new InvalidOperationException($"snapshot index {index} is not after the published index {_publishedIndex}");
        if (!_committed.TryNext(out long sequence)) return false;
        ref CommandSlot slot = ref _committed[sequence];
        Fill(ref slot, QueryKind.InstallSnapshot, -1, 0, []);
        slot.Prestamped = true;
        slot.Index = index;
        slot.Term = term;
        slot.Timestamp = timestampNs;
        _committed.Publish(sequence);
        _publishedIndex = index;
        _publishedTimestampNs = timestampNs;
        return true;
    }

    /// <summary>
    /// Publishes a read (or a refusal, <see cref="QueryKind.NotLeader"/>) behind every committed entry published so
    /// far; the BLP answers it against that state. False when the BLP is behind.
    /// </summary>
    public bool TryPublishQuery(ushort kind, long sessionId, long correlationId, ReadOnlySpan<byte> payload)
    {
        if (!QueryKind.IsQuery(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a query kind");
        if (!_committed.TryNext(out long sequence)) return false;
        ref CommandSlot slot = ref _committed[sequence];
        Fill(ref slot, kind, sessionId, correlationId, payload);
        slot.Prestamped = true;
        slot.Index = _publishedIndex;
        slot.Term = 0;
        slot.Timestamp = _publishedTimestampNs;
        _committed.Publish(sequence);
        return true;
    }

    private void Fill(ref CommandSlot slot, ushort kind, long sessionId, long correlationId, ReadOnlySpan<byte> payload)
    {
        slot.Kind = kind;
        slot.SessionId = sessionId;
        slot.CorrelationId = correlationId;
        // Small payloads in the slot's own buffer, large ones borrowed (the BLP gives them back once applied).
        slot.FillPayload(payload, _engine.Payloads);
    }
}
