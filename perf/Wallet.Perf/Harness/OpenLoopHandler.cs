using System.Diagnostics;
using Wallet.Client;
using Wallet.Engine.Ledger;

namespace Wallet.Perf.Harness;

/// <summary>
/// Completion side of an open loop on the SDK's callback path (<see cref="WalletClient.TrySubmitTransfer"/>): the user
/// token is the call's intended send time, so the latency is taken on the receive loop that read the answer — no task,
/// no thread-pool hop, no garbage per call. One instance serves every connection (Interlocked counters, the recorder
/// under a short lock).
/// </summary>
internal sealed class OpenLoopHandler(OpenLoopCompletions completions, LatencyRecorder? recorder, ThroughputTimeline? timeline, LatencyTrace? trace = null)
    : ITransferResultHandler
{
    private readonly Lock _recorderGate = new();
    private long _failed;

    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>A submission the SDK refused (full window): counted as failed and as completed, so the phase still ends.</summary>
    public void Refused()
    {
        Interlocked.Increment(ref _failed);
        completions.Completed();
    }

    public void OnTransferCompleted(long userToken, ResultCode code)
    {
        if (code != ResultCode.Ok) Interlocked.Increment(ref _failed);
        Record(userToken);
    }

    public void OnTransferFailed(long userToken, Exception error)
    {
        Interlocked.Increment(ref _failed);
        Record(userToken);
    }

    private void Record(long intendedTicks)
    {
        long now = Stopwatch.GetTimestamp();
        timeline?.Record(now);
        if (recorder is not null)
        {
            lock (_recorderGate)
            {
                recorder.RecordTicks(now - intendedTicks); // from the intended send time: no coordinated omission
                trace?.Record(intendedTicks, now - intendedTicks);
            }
        }
        completions.Completed();
    }
}
