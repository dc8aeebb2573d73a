namespace Wallet.Engine.Ledger;

/// <summary>
/// Position and time of a command, assigned by the sequencer and journaled with it. The only source of time
/// the state machine ever sees. Rules (violations throw <see cref="InvalidOperationException"/>, a sequencer bug):
/// Index strictly increasing (first ≥ 1); Timestamp (ns since the Unix epoch) − itemCount strictly greater than
/// the previous command's Timestamp, so every item gets a unique, increasing timestamp.
/// </summary>
public readonly record struct CommandStamp(long Index, long Term, long Timestamp);
