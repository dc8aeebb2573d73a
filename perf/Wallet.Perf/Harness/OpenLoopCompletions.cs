namespace Wallet.Perf.Harness;

/// <summary>
/// Counts the completions of an open loop's calls instead of keeping every call's task: a list of them (500k at
/// 100k/s for 5 s) kept them all alive to the end, promoted them to gen2 and made the load generator's own GC pauses
/// part of the measured tail. <see cref="Done"/> completes when the last of <c>count</c> calls has.
/// </summary>
internal sealed class OpenLoopCompletions(long count)
{
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _outstanding = count > 0 ? count : throw new ArgumentOutOfRangeException(nameof(count), count, "> 0");

    public Task Done => _all.Task;

    /// <summary>Call once per completed call (from any thread).</summary>
    public void Completed()
    {
        if (Interlocked.Decrement(ref _outstanding) == 0) _all.TrySetResult();
    }
}
