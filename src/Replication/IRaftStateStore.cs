namespace Wallet.Replication;

/// <summary>Durable storage of <see cref="RaftHardState"/>. Called on the node's (driver's) thread only.</summary>
public interface IRaftStateStore
{
    /// <summary>The last saved state, or <see cref="RaftHardState.Initial"/> when nothing was ever saved.</summary>
    RaftHardState Load();

    /// <summary>Stores the state durably: when this returns, a crash (or power loss) cannot lose it.</summary>
    void Save(in RaftHardState state);
}
