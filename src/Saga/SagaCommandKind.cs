namespace Wallet.Saga;

/// <summary>Record types of the saga journal (wire values, never renumber). Payload layouts in <see cref="SagaCommands"/>.</summary>
public enum SagaCommandKind : ushort
{
    /// <summary>N × 144 bytes: client transfer (128), correlation id (8), mode (1), 7 zero bytes.</summary>
    Begin = 1,
    /// <summary>N × 16 bytes: saga id (8), step (4), result code (4).</summary>
    StepOutcome = 2,
    /// <summary>Empty: advances time (deterministic step deadlines).</summary>
    Tick = 3,
}
