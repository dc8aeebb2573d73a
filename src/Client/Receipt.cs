namespace Wallet.Client;

/// <summary>
/// An answer together with where the ledger produced it: the log index of the command (or read) that answered and its
/// ledger timestamp, as the node sent them in the answer's header (CreateResults: both; AccountsFound and
/// TransfersFound: the log index only, <see cref="TimestampNs"/> is then 0). Use the index with point-in-time reads
/// (<see cref="WalletClient.GetBalanceAtAsync"/>). A request the gateway split over several partitions answers with
/// log index 0 (no single log orders it) and the latest of its parts' timestamps.
/// </summary>
/// <typeparam name="T">The answer (results per item, or the records found).</typeparam>
/// <param name="Value">The answer itself, as the method without a receipt returns it.</param>
/// <param name="LogIndex">Log index of the answering command or read; 0 when no single log ordered it.</param>
/// <param name="TimestampNs">Ledger time of the answering command, ns since the Unix epoch; 0 when not carried.</param>
public readonly record struct Receipt<T>(T Value, long LogIndex, long TimestampNs);
