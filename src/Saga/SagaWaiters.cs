using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Saga;

/// <summary>
/// The clients a saga driver owes an answer (the local coordinator's and the replicated group's replica's — one driver
/// thread owns it): every Begin the driver writes is registered under the driver's own correlation id; a decided
/// outcome queues the client's answer, and the driver fires the round's answers in one burst (<see cref="Fire"/>); a
/// repeat of a transfer whose saga is still undecided (<see cref="ResultCode.SagaInProgress"/>) is parked until the
/// decision and then proposed again (<see cref="TryTakeResubmit"/>), so the machine gives it the repeat's answer.
/// </summary>
internal sealed class SagaWaiters<TCompletion>
    where TCompletion : class, ISagaCompletion
{
    /// <summary>A client's submission: where its answer goes, its own correlation id, and what to propose again if parked.</summary>
    public readonly record struct Waiter(TCompletion Completion, long ClientCorrelationId, Transfer Transfer, SagaMode Mode);

    private readonly record struct Answer(Waiter Waiter, ulong SagaId, ResultCode Code, long Timestamp);

    private struct Slot
    {
        public bool Occupied;
        public long Correlation;
        public Waiter Waiter;
    }

    /// <summary>Smallest ring: a driver with a tiny active-saga limit still answers a burst of Begins without overflow.</summary>
    internal const int MinRingSlots = 1024;

    // The driver numbers its Begins consecutively and most are decided within a few rounds, so the waiting clients
    // occupy a sliding window of correlation ids: a ring indexed by the id's low bits finds each with one probe and
    // touches memory in order (a Dictionary here was ~8 % of the coordinator thread, BENCHMARKS §46). A waiter still
    // in its slot when the ring comes round again (its saga is slow) moves to the overflow map.
    private readonly Slot[] _ring;
    private readonly long _mask;
    private readonly Dictionary<long, Waiter> _overflow = [];
    private readonly Dictionary<ulong, List<Waiter>> _parked = [];
    private readonly List<Waiter> _resubmit = [];
    private Answer[] _answers = new Answer[256];
    private int _answerCount;

    /// <param name="capacity">Expected waiting clients (the machine's active-saga limit): the ring holds at least as many.</param>
    public SagaWaiters(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var slots = (int)Math.Min(1 << 30, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, MinRingSlots)));
        _ring = new Slot[slots];
        _mask = slots - 1;
    }

    /// <summary>Clients waiting for an answer (in the ring or its overflow); not parked ones.</summary>
    public int WaitingCount { get; private set; }

    /// <summary>Waiters moved out of the ring because it came round to their slot while they still waited.</summary>
    internal int OverflowCount => _overflow.Count;

    /// <summary>The client of the Begin written under <paramref name="correlation"/> (the driver's id, unique per driver).</summary>
    public void Add(long correlation, in Waiter waiter)
    {
        ref var slot = ref _ring[correlation & _mask];
        if (!slot.Occupied)
        {
            WaitingCount++;
        }
        else if (slot.Correlation != correlation)
        {
            _overflow.Add(slot.Correlation, slot.Waiter);
            WaitingCount++;
        }
        else
        {
            // A driver never reuses a correlation id; if one did, the newer client takes the slot (as a map would).
            System.Diagnostics.Debug.Fail($"correlation {correlation} is already waiting");
        }

        slot.Occupied = true;
        slot.Correlation = correlation;
        slot.Waiter = waiter;
    }

    private bool TryRemove(long correlation, out Waiter waiter)
    {
        ref var slot = ref _ring[correlation & _mask];
        if (slot.Occupied && slot.Correlation == correlation)
        {
            waiter = slot.Waiter;
            slot = default; // drop the references: the completion and the transfer
        }
        else if (!_overflow.Remove(correlation, out waiter))
        {
            return false;
        }

        WaitingCount--;
        return true;
    }

    /// <summary>A parked repeat whose saga has been decided since: the driver proposes it again (newest first).</summary>
    public bool TryTakeResubmit(out Waiter waiter)
    {
        if (_resubmit.Count == 0)
        {
            waiter = default;
            return false;
        }

        waiter = _resubmit[^1];
        _resubmit.RemoveAt(_resubmit.Count - 1);
        return true;
    }

    /// <summary>
    /// The machine's answer to the Begin written under <paramref name="correlationId"/>: queued for the client, or the
    /// client parked when its saga is undecided. A decision of <paramref name="sagaId"/> releases the repeats parked on it.
    /// An id this driver did not register (another leader's Begin, a replayed one) is ignored.
    /// </summary>
    public void OnDecided(long correlationId, ulong sagaId, ResultCode code, long timestamp)
    {
        if (sagaId != 0 && code != ResultCode.SagaInProgress && _parked.Remove(sagaId, out var parked)) _resubmit.AddRange(parked);
        if (!TryRemove(correlationId, out var waiter)) return;
        if (code == ResultCode.SagaInProgress && sagaId != 0)
        {
            // A repeat while the first submission's saga is undecided (a client resubmitting after a timeout or a leader
            // change): no answer yet — wait for the decision instead of making the client poll.
            if (!_parked.TryGetValue(sagaId, out var list)) _parked[sagaId] = list = [];
            list.Add(waiter);
            return;
        }

        if (_answerCount == _answers.Length) Array.Resize(ref _answers, _answers.Length * 2);
        _answers[_answerCount++] = new Answer(waiter, sagaId, code, timestamp);
    }

    /// <summary>Delivers the queued answers in one burst (a front end flushes each session once, not once per answer); returns how many.</summary>
    public int Fire()
    {
        if (_answerCount == 0) return 0;
        ResultBurst.Begin();
        try
        {
            for (var i = 0; i < _answerCount; i++)
            {
                ref var a = ref _answers[i];
                a.Waiter.Completion.OnSagaCompleted(a.Waiter.ClientCorrelationId, a.SagaId, a.Code, a.Timestamp);
                a = default;
            }
        }
        finally
        {
            ResultBurst.End();
        }

        var fired = _answerCount;
        _answerCount = 0;
        return fired;
    }

    /// <summary>
    /// Hands every client still owed an answer — waiting, parked or queued for resubmission — to
    /// <paramref name="refuse"/> and forgets them all (a replica that stops leading). Fire the decided answers first.
    /// </summary>
    public void RefuseAll<TRefuse>(ref TRefuse refuse)
        where TRefuse : struct, IWaiterRefusal
    {
        for (var i = 0; i < _ring.Length; i++)
        {
            ref var slot = ref _ring[i];
            if (!slot.Occupied) continue;
            refuse.Refuse(slot.Waiter);
            slot = default;
        }

        foreach (var (_, waiter) in _overflow) refuse.Refuse(waiter);
        _overflow.Clear();
        WaitingCount = 0;
        foreach (var (_, parked) in _parked)
        {
            foreach (var waiter in parked) refuse.Refuse(waiter);
        }

        _parked.Clear();
        foreach (var waiter in _resubmit) refuse.Refuse(waiter);
        _resubmit.Clear();
    }

    /// <summary>What <see cref="RefuseAll"/> does with each client (a struct, so the call is specialised and allocates nothing).</summary>
    public interface IWaiterRefusal
    {
        void Refuse(in Waiter waiter);
    }
}
