namespace Wallet.Saga.Replicated;

/// <summary>
/// The outcome of a transfer submitted to a <see cref="SagaReplica"/>: <see cref="ISagaCompletion.OnSagaCompleted"/> once its
/// saga's deciding command is committed by a majority and applied, or <see cref="OnNotLeader"/> when this replica stopped
/// leading before that — not an outcome: the saga may still run (a new leader commits the entry); the client resubmits
/// to the new leader with the same transfer id and gets the one outcome (sagas are idempotent by transfer id).
/// Exactly one of the two is called, on the replica's thread; it must return quickly.
/// </summary>
public interface ISagaReplicaCompletion : ISagaCompletion
{
    /// <param name="correlationId">The client's correlation id given to <c>SagaReplica.TrySubmit</c>.</param>
    /// <param name="leaderId">The leader as this replica knows it now; -1 during an election.</param>
    void OnNotLeader(long correlationId, int leaderId);
}
