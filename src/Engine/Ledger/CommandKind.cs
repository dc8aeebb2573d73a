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
}
