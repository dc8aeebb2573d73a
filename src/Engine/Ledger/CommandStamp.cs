namespace Wallet.Engine.Ledger;

/// <summary>
/// Position and time of a command, assigned by the sequencer and journaled with it. The only source of time
/// the state machine ever sees.
/// </summary>
public readonly record struct CommandStamp(long Index, long Term, long Timestamp);
