namespace Wallet.Replication.Simulation;

/// <summary>Simulated hard-state file: Save is durable on return (as the real store's fsync + rename), so crashes never lose it.</summary>
public sealed class SimStateStore : IRaftStateStore
{
    private RaftHardState _state = RaftHardState.Initial;

    public int Saves { get; private set; }

    public RaftHardState Load() => _state;

    public void Save(in RaftHardState state)
    {
        if (state.CurrentTerm < _state.CurrentTerm) throw new InvalidOperationException($"Term went back from {_state.CurrentTerm} to {state.CurrentTerm}.");
        _state = state;
        Saves++;
    }
}
