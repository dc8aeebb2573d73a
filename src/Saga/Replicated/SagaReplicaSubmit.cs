namespace Wallet.Saga.Replicated;

/// <summary>What <c>SagaReplica.TrySubmit</c> did with a transfer.</summary>
public enum SagaReplicaSubmit
{
    /// <summary>Queued: the completion will be called exactly once.</summary>
    Accepted = 0,
    /// <summary>The inbox is full: tell the client Busy.</summary>
    Busy = 1,
    /// <summary>This replica does not lead the saga group: send the client to <see cref="SagaReplica.LeaderId"/>.</summary>
    NotLeader = 2,
    /// <summary>The replica is stopping or failed.</summary>
    NotRunning = 3,
}
