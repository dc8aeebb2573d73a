using System.Collections.Concurrent;
using Wallet.Engine.Ledger;

namespace Wallet.Client.Tests;

/// <summary>Records every handler call; <see cref="WaitForAsync"/> completes once the expected number arrived.</summary>
internal sealed class RecordingHandler : ITransferResultHandler
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _expected;
    private int _calls;

    public RecordingHandler(int expected) => _expected = expected;

    public ConcurrentDictionary<long, ResultCode> Codes { get; } = new();
    public ConcurrentDictionary<long, Exception> Errors { get; } = new();
    public ConcurrentQueue<int> ThreadIds { get; } = new();
    /// <summary>Tokens seen more than once (must stay empty: exactly one call per submission).</summary>
    public ConcurrentQueue<long> Repeats { get; } = new();

    public void OnTransferCompleted(long userToken, ResultCode code)
    {
        if (!Codes.TryAdd(userToken, code) || Errors.ContainsKey(userToken))
        {
            Repeats.Enqueue(userToken);
        }
        Count();
    }

    public void OnTransferFailed(long userToken, Exception error)
    {
        if (!Errors.TryAdd(userToken, error) || Codes.ContainsKey(userToken))
        {
            Repeats.Enqueue(userToken);
        }
        Count();
    }

    private void Count()
    {
        ThreadIds.Enqueue(Environment.CurrentManagedThreadId);
        if (Interlocked.Increment(ref _calls) == _expected)
        {
            _done.TrySetResult();
        }
    }

    public Task WaitForAsync() => _done.Task.WaitAsync(TestKit.Bound);

    /// <summary>Until at least <paramref name="calls"/> outcomes arrived.</summary>
    public Task WaitUntilAsync(int calls) => TestKit.Eventually(() => Volatile.Read(ref _calls) >= calls, $"{calls} outcomes");
}
