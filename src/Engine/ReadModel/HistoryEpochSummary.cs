namespace Wallet.Engine.ReadModel;

/// <summary>
/// A view's history epochs (<see cref="ReadModelStore.GetHistoryEpochs"/>): how many there are, the newest one's first
/// log index and the rows written to it (all 0 for a view without history).
/// </summary>
public readonly record struct HistoryEpochSummary(int Epochs, long NewestEpochIndex, long NewestEpochRows);
