namespace Wallet.Engine.ReadModel;

/// <summary>
/// How far the view trails the event journal: <see cref="Events"/> log records not yet applied; for how long the view
/// has been behind (<see cref="BehindMs"/>: 0 when caught up; measured from the moment the projector first saw work it
/// had not yet applied, so under a steady stream, where the view is never exactly at the end, it keeps growing); and
/// how stale the view is (<see cref="AgeMs"/>: ledger time of the journal's newest record minus that of the newest
/// record the view holds — what a query answered from the view misses; 0 when caught up). Alert on the age.
/// </summary>
public readonly record struct ReadModelLag(long JournalIndex, long ViewIndex, long Events, long BehindMs, long AgeMs = 0);
