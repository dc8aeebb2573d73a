namespace Wallet.Engine.ReadModel;

/// <summary>Lifecycle of the read-model projector.</summary>
public enum ProjectorState
{
    Created,
    /// <summary>Applying events (caught up or catching up).</summary>
    Running,
    /// <summary>The last attempt failed (see <see cref="ReadModelProjector.LastError"/>); it retries from its checkpoint.</summary>
    Faulted,
    Stopped,
}
