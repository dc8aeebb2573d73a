namespace Wallet.Engine.Ledger;

/// <summary>Journal record types handled by the ledger (wire values, never renumber).</summary>
public enum CommandKind : ushort
{
    /// <summary>Payload: N × 128-byte <see cref="Account"/>.</summary>
    CreateAccounts = 1,
    /// <summary>Payload: N × 128-byte <see cref="Transfer"/>.</summary>
    CreateTransfers = 2,
    /// <summary>Payload: N × 16-byte account id (little-endian UInt128).</summary>
    CloseAccounts = 3,
    /// <summary>Payload: empty. Advances log time only (expires due pending transfers).</summary>
    Tick = 4,
    /// <summary>
    /// Payload: N × 128-byte <see cref="Account"/>, as <see cref="CreateAccounts"/>, but system ids
    /// (<see cref="SystemIds"/>) are allowed. Only the saga sequencer submits it; gateways never accept it from clients.
    /// </summary>
    SystemCreateAccounts = 5,
    /// <summary>
    /// Payload: N × 128-byte <see cref="Transfer"/>, as <see cref="CreateTransfers"/>, but system ids and the
    /// system-only flags (<see cref="TransferFlags.FenceIfAbsent"/>, <see cref="TransferFlags.LockAccounts"/>) are
    /// allowed and Linked is not. Only the saga sequencer submits it; gateways never accept it from clients.
    /// </summary>
    SystemTransfers = 6,
}
