using Wallet.Engine.Partition;

namespace Wallet.Saga;

/// <summary>
/// The result handler to start partition <see cref="Partition"/> with: results of the saga coordinator's commands
/// (its session id) go to the coordinator, all others to <paramref name="inner"/> (e.g. the gateway), unchanged.
/// Create the routers first, start the partitions with them, then <see cref="SagaCoordinator.Start"/> attaches itself.
/// </summary>
public sealed class SagaResultRouter(int partition, IPartitionResultHandler? inner) : IPartitionResultHandler
{
    private SagaCoordinator? _coordinator;

    public int Partition { get; } = partition;

    internal void Attach(SagaCoordinator coordinator) => Volatile.Write(ref _coordinator, coordinator);

    public void OnResult(ref ResultSlot result, bool endOfBatch)
    {
        var coordinator = Volatile.Read(ref _coordinator);
        if (coordinator is not null && result.SessionId == coordinator.SessionId) coordinator.OnPartitionResult(Partition, ref result);
        else inner?.OnResult(ref result, endOfBatch);
    }
}
