using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Engine.Tests.Partition;

/// <summary>A result the test copied out of the egress ring.</summary>
internal sealed record CollectedResult(ushort Kind, long CorrelationId, long Index, long Timestamp, CreateResult[] Results, byte[] Payload);

/// <summary>Collects results by correlation id; tests wait on them with a bounded timeout. Optionally holds the egress thread at a gate.</summary>
internal sealed class CollectingResultHandler : IPartitionResultHandler
{
    private readonly Dictionary<long, CollectedResult> _results = [];
    private readonly List<long> _order = [];
    private readonly ManualResetEventSlim _gate = new(initialState: true);

    public void OnResult(ref ResultSlot result, bool endOfBatch)
    {
        _gate.Wait(TimeSpan.FromSeconds(30));
        var copy = new CollectedResult(result.Kind, result.CorrelationId, result.Index, result.Timestamp, result.ResultSpan.ToArray(), result.PayloadSpan.ToArray());
        lock (_results)
        {
            _results[result.CorrelationId] = copy;
            _order.Add(result.CorrelationId);
            Monitor.PulseAll(_results);
        }
    }

    public void Close() => _gate.Reset();
    public void Open() => _gate.Set();

    public IReadOnlyList<long> Order
    {
        get { lock (_results) return _order.ToArray(); }
    }

    public CollectedResult Wait(long correlationId, int timeoutMs = 10_000)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        lock (_results)
        {
            while (!_results.ContainsKey(correlationId))
            {
                long left = deadline - Environment.TickCount64;
                Assert.True(left > 0, $"no result for correlation {correlationId} within {timeoutMs} ms");
                Monitor.Wait(_results, (int)left);
            }
            return _results[correlationId];
        }
    }
}
