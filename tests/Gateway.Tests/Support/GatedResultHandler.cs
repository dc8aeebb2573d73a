using Wallet.Engine.Partition;

namespace Wallet.Gateway.Tests.Support;

/// <summary>Stalls the partition's egress thread until opened (bounded), to fill the rings deterministically.</summary>
public sealed class GatedResultHandler(IPartitionResultHandler inner) : IPartitionResultHandler, IDisposable
{
    private readonly ManualResetEventSlim _gate = new(false);

    public void Open() => _gate.Set();

    public void OnResult(ref ResultSlot result, bool endOfBatch)
    {
        _gate.Wait(TimeSpan.FromSeconds(20));
        inner.OnResult(ref result, endOfBatch);
    }

    public void Dispose() => _gate.Dispose();
}
