using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Cluster.Tests;

internal sealed record Answer(ushort Kind, long Index, CreateResult[] Results, byte[] Payload);

/// <summary>Collects a partition's results by correlation id; tests wait with a bounded timeout.</summary>
internal sealed class Results : IPartitionResultHandler
{
    private readonly Dictionary<long, Answer> _answers = [];

    public void OnResult(ref ResultSlot result, bool endOfBatch)
    {
        if (result.SessionId <= 0) return;
        var a = new Answer(result.Kind, result.Index, result.ResultSpan.ToArray(), result.PayloadSpan.ToArray());
        lock (_answers)
        {
            _answers[result.CorrelationId] = a;
            Monitor.PulseAll(_answers);
        }
    }

    public Answer Wait(long correlationId, int timeoutMs = 10_000)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        lock (_answers)
        {
            while (!_answers.ContainsKey(correlationId))
            {
                long left = deadline - Environment.TickCount64;
                Assert.True(left > 0, $"no answer for correlation {correlationId} within {timeoutMs} ms");
                Monitor.Wait(_answers, (int)left);
            }
            return _answers[correlationId];
        }
    }
}
