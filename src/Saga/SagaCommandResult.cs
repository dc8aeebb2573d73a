namespace Wallet.Saga;

/// <summary>Whole-command outcome of <see cref="SagaStateMachine.Execute{TSink}"/> (per-item outcomes go to the sink).</summary>
public enum SagaCommandResult
{
    Ok = 0,
    /// <summary>Payload length is not a multiple of the item size (or a Tick carries bytes): nothing applied.</summary>
    MalformedPayload = 1,
    /// <summary>More items than <see cref="SagaOptions.MaxBatchSize"/>: nothing applied.</summary>
    BatchTooLarge = 2,
    /// <summary>Unknown <see cref="SagaCommandKind"/>: nothing applied.</summary>
    UnknownCommand = 3,
}
